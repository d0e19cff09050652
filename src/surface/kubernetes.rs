//! Kubernetes manifests: files of one or more objects (`---`-separated), read as one stream
//! ([`Document::parse_stream`]), so that every object is edited and verified like a config.
//!
//! A manifest can hold workloads, ConfigMaps and Secrets, Ingresses and the `Pomerium` object at
//! once. Each kind of object has a handler ([`HANDLERS`]); a handler returns what it did to the
//! objects it knows, or `None` when the manifest has none. This module handles workloads:
//! the `env:` entries of the containers of a Deployment, StatefulSet or DaemonSet pod template
//! (`spec.template.spec.containers` and `initContainers`) whose image is Pomerium's, through
//! [`super::env_vars`]. An entry with `value:` is migrated; a `valueFrom` is reported, not
//! followed; `envFrom` is reported too. A manifest in which nothing concerns Pomerium is
//! skipped ([`RunError::NotPomerium`]), never read as a config.
//!
//! Other streams add their handler (and their [`FINDERS`] entry for `detect`) here.

use crate::document::{Document, Edit, Location, NodeId};
use crate::runner::{self, FileRun, Input, RunConfig, RunError};
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

use super::env;
use super::env_vars::{self, Container, Handle, Var, VarValue};
use super::image::Image;
use super::{Component, Surface};

/// What one handler did to the objects it knows.
#[derive(Debug, Default)]
pub struct Part {
    pub edits: Vec<Edit>,
    /// Located in the manifest.
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
    /// The versions the part was migrated between.
    pub versions: Option<(Version, Version)>,
    /// The component the part configures (Core unless only the Console's).
    pub kind: Option<FileKind>,
    /// Texts the part shows decoded in the report (a Secret's base64 `data`, a `POLICY`).
    pub decoded: Vec<super::decoded::DecodedView>,
}

/// A handler: the manifest (a stream: its root is a sequence of the documents), what it did, or
/// `None` when the manifest has no object it handles.
pub type Handler = fn(&Input, &Document, &RunConfig<'_>) -> Result<Option<Part>, RunError>;

/// What in a manifest runs or configures Pomerium, for `detect` and directory runs.
pub type Finder = fn(&Document) -> Vec<Component>;

/// Every handler, in the order their edits are collected.
pub const HANDLERS: &[Handler] = &[workloads, embedded_configs, ingress_controller];

/// Every finder.
pub const FINDERS: &[Finder] = &[
    workload_components,
    embedded_components,
    super::ingress::manifest::components,
];

/// Migrates a manifest (a stream document).
pub fn migrate(
    input: Input,
    document: Document,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let mut edits = Vec::new();
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    let mut span: Option<(Version, Version)> = None;
    let mut kind: Option<FileKind> = None;
    let mut decoded = Vec::new();
    let mut any = false;
    for handler in HANDLERS {
        let Some(part) = handler(&input, &document, config)? else {
            continue;
        };
        any = true;
        edits.extend(part.edits);
        findings.extend(part.findings);
        warnings.extend(part.warnings);
        decoded.extend(part.decoded);
        if let Some((f, t)) = part.versions {
            span = Some(span.map_or((f, t), |(f0, t0)| (f0.min(f), t0.max(t))));
        }
        kind = match (kind, part.kind) {
            (Some(FileKind::Core), _) | (_, Some(FileKind::Core)) => Some(FileKind::Core),
            (k, p) => k.or(p),
        };
    }
    if !any {
        return Err(RunError::NotPomerium {
            path: input.source.display(),
            reason: "a Kubernetes manifest with nothing that runs or configures Pomerium (no \
                     container with a Pomerium image, no Pomerium config in a ConfigMap or \
                     Secret, no `ingress.pomerium.io/` annotation, `Pomerium` resource or \
                     ingress controller image)"
                .into(),
        });
    }
    let to_default = runner::default_target(config.steps);
    let (from, to) = span.unwrap_or((
        config.from.unwrap_or(to_default),
        config.to.unwrap_or(to_default),
    ));
    super::file_run(
        input,
        document,
        super::Outcome {
            edits,
            findings,
            warnings,
            decoded,
        },
        (
            kind.unwrap_or(FileKind::Core),
            Surface::Kubernetes,
            from,
            to,
        ),
        "Kubernetes manifest",
    )
}

/// The objects of a manifest: the documents of a stream, or the one root.
pub fn objects(doc: &Document) -> Vec<NodeId> {
    super::embedded::objects(doc)
}

/// The workload kinds whose pod template is read.
const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];

/// The containers with a Pomerium image of every workload, with their `env` sequence.
fn pomerium_containers(doc: &Document) -> Vec<(Container, Option<NodeId>, Option<Location>)> {
    let mut out = Vec::new();
    for object in objects(doc) {
        let Some(kind) = doc.get(object, "kind").and_then(|e| doc.str(e.value)) else {
            continue;
        };
        if !WORKLOADS.contains(&kind) {
            continue;
        }
        let object_name = doc
            .get(object, "metadata")
            .and_then(|m| doc.get(m.value, "name"))
            .and_then(|n| doc.str(n.value))
            .unwrap_or("(unnamed)");
        let Some(pod) = ["spec", "template", "spec"]
            .iter()
            .try_fold(object, |node, key| doc.get(node, key).map(|e| e.value))
        else {
            continue;
        };
        for list in ["initContainers", "containers"] {
            let Some(containers) = doc.get(pod, list) else {
                continue;
            };
            for &c in doc.items(doc.resolve(containers.value)) {
                let c = doc.resolve(c);
                if !doc.is_mapping(c) {
                    continue;
                }
                let image_entry = doc.get(c, "image");
                let image = image_entry
                    .as_ref()
                    .and_then(|e| doc.str(e.value).map(|t| (e.value, t.to_owned())));
                let Some(component) = image
                    .as_ref()
                    .and_then(|(_, text)| Image::parse(text).component())
                else {
                    continue;
                };
                let name = doc
                    .get(c, "name")
                    .and_then(|n| doc.str(n.value))
                    .unwrap_or("(unnamed)");
                let env = doc.get(c, "env");
                let at = env
                    .as_ref()
                    .map_or_else(|| doc.location(c), |e| doc.location(e.key_node));
                let env_from = doc.get(c, "envFrom").map(|e| doc.location(e.key_node));
                out.push((
                    Container {
                        what: "container",
                        name: name.to_owned(),
                        owner: Some(format!("{kind} `{object_name}`")),
                        kind: component,
                        image,
                        image_entry: image_entry.map(|e| e.id),
                        env_at: at,
                        env_name: "env",
                        env_map: None,
                        lines: match &env {
                            Some(_) => env_vars::block_lines(doc.text(), at.line, at.column),
                            None => at.line..=at.line,
                        },
                    },
                    env.map(|e| doc.resolve(e.value)),
                    env_from,
                ));
            }
        }
    }
    out
}

fn workload_components(doc: &Document) -> Vec<Component> {
    pomerium_containers(doc)
        .into_iter()
        .map(|(c, _, _)| super::component(doc, c))
        .collect()
}

/// The `env:` entries of a container, in order, with the `valueFrom` ones marked.
fn env_entries(doc: &Document, env: NodeId) -> Vec<(Var, bool)> {
    let lines: Vec<&str> = doc.text().lines().collect();
    doc.items(env)
        .iter()
        .filter_map(|&item| {
            let entry = doc.resolve(item);
            let name_entry = doc.get(entry, "name")?;
            let name = doc.str(name_entry.value)?.to_owned();
            let value = doc.get(entry, "value");
            let from = doc.get(entry, "valueFrom").is_some();
            let at = doc.location(name_entry.key_node);
            let item_at = doc.location(item);
            Some((
                Var {
                    value: match (&value, from) {
                        (_, true) => VarValue::Unknown(format!("${{{name}}}")),
                        (Some(v), false) => match doc.scalar(doc.resolve(v.value)) {
                            Some(s) => env_vars::classify(&s.scalar_text().unwrap_or_default()),
                            None => VarValue::Unset,
                        },
                        (None, false) => VarValue::Unset,
                    },
                    name,
                    at,
                    handle: Handle::EnvEntry {
                        item,
                        name: name_entry.value,
                        value: value.map(|v| v.value),
                    },
                    markers: env_vars::markers_above(&lines, item_at.line),
                    written: None,
                },
                from,
            ))
        })
        .collect()
}

/// The workloads' Pomerium containers.
fn workloads(
    input: &Input,
    doc: &Document,
    config: &RunConfig<'_>,
) -> Result<Option<Part>, RunError> {
    let containers = pomerium_containers(doc);
    if containers.is_empty() {
        return Ok(None);
    }
    let to_default = runner::default_target(config.steps);
    let mut part = Part::default();
    for (container, env, env_from) in &containers {
        let entries = env.map(|e| env_entries(doc, e)).unwrap_or_default();
        let vars: Vec<Var> = entries.iter().map(|(v, _)| v.clone()).collect();
        let done = env_vars::migrate_vars(input, doc, container, &vars, config, to_default)?;
        for (var, from) in &entries {
            if *from && env::key_for(container.kind, &var.name, done.from).is_some() {
                part.findings.push(note(
                    done.to,
                    var.at,
                    format!(
                        "`{}` of {} is set through `valueFrom`: pomerium-migrate does not \
                         follow it, so its value is not checked",
                        var.name,
                        container.describe()
                    ),
                ));
            }
        }
        if let Some(at) = env_from {
            part.findings.push(note(
                done.to,
                *at,
                format!(
                    "{} takes variables through `envFrom`: pomerium-migrate does not read \
                     the ConfigMaps or Secrets it names; check their keys against the releases \
                     from {} to {}",
                    container.describe(),
                    done.from,
                    done.to
                ),
            ));
        }
        part.edits.extend(done.edits);
        part.findings.extend(done.findings);
        part.warnings.extend(done.warnings);
        part.versions = Some(match part.versions {
            None => (done.from, done.to),
            Some((f, t)) => (f.min(done.from), t.max(done.to)),
        });
        if part.kind != Some(FileKind::Core) {
            part.kind = Some(container.kind);
        }
    }
    Ok(Some(part))
}

/// The configs embedded in ConfigMaps and Secrets, as `detect` lists them.
fn embedded_components(doc: &Document) -> Vec<Component> {
    // The configs start where the manifest's Pomerium containers run (their image tag).
    let version = super::embedded::image_version(doc);
    super::embedded::find(doc)
        .configs
        .into_iter()
        .map(|c| Component {
            marked: None,
            name: c.host.replace('`', ""),
            kind: c.kind,
            image: None,
            at: c.key_at,
            version,
        })
        .collect()
}

/// The configs embedded in ConfigMaps and Secrets ([`super::embedded`]).
fn embedded_configs(
    input: &Input,
    doc: &Document,
    config: &RunConfig<'_>,
) -> Result<Option<Part>, RunError> {
    use super::embedded;
    let found = embedded::find(doc);
    if found.configs.is_empty() && found.unreadable.is_empty() {
        return Ok(None);
    }
    let to = config.to.unwrap_or(runner::default_target(config.steps));
    let from = config.from.or_else(|| embedded::image_version(doc));
    let outcome = embedded::migrate(doc, &input.source, from, to, config)?;
    let mut part = Part {
        edits: outcome.edits(),
        findings: outcome.all_findings(),
        ..Part::default()
    };
    part.versions = outcome
        .migrated
        .iter()
        .map(|m| (m.run.from, m.run.to))
        .reduce(|(f, t), (f2, t2)| (f.min(f2), t.max(t2)))
        .or(Some((from.unwrap_or(to), to)));
    part.kind = Some(
        if outcome.migrated.is_empty()
            || outcome
                .migrated
                .iter()
                .any(|m| m.config.kind == FileKind::Core)
        {
            FileKind::Core
        } else {
            FileKind::Console
        },
    );
    for m in outcome.migrated {
        if matches!(m.config.layout, embedded::Layout::Block { .. }) || !m.run.changed() {
            continue;
        }
        let parse = |text: &str| Document::parse(text.to_owned(), m.config.format);
        if let (Ok(before), Ok(after)) =
            (parse(m.run.original().text()), parse(m.run.result().text()))
        {
            part.decoded.push(super::decoded::DecodedView {
                label: m.config.host.clone(),
                before,
                after,
            });
        }
    }
    Ok(Some(part))
}

/// The Pomerium Ingress Controller's objects ([`super::ingress`]): `ingress.pomerium.io/`
/// annotations of Ingresses, the `Pomerium` resource, the controller image.
fn ingress_controller(
    input: &Input,
    doc: &Document,
    config: &RunConfig<'_>,
) -> Result<Option<Part>, RunError> {
    use super::ingress::manifest;
    if !manifest::concerns_controller(doc) {
        return Ok(None);
    }
    let done = manifest::migrate(input, doc, config)?;
    Ok(Some(Part {
        edits: done.edits,
        findings: done.findings,
        warnings: done.warnings,
        versions: Some((done.from, done.to)),
        kind: Some(FileKind::Core),
        decoded: Vec::new(),
    }))
}

fn note(to: Version, at: Location, message: String) -> Finding {
    Finding {
        version: to,
        step: "env-not-followed",
        severity: Severity::Note,
        location: Some(at),
        message,
        link: "",
    }
}
