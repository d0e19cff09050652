//! Deployment surfaces: where operators set Pomerium's options besides a config file.
//!
//! A file is a [`Surface`]: a config file (Core or Console, today's path, unchanged), a
//! docker-compose file, a `.env` file, a Kubernetes manifest or Helm values. [`detect_surface`]
//! tells which from the file's name and top-level shape, with its evidence; `--kind compose`
//! (and `dotenv`, `kubernetes`, `helm`) says so instead ([`SurfaceKind`]). The runner decides the
//! surface first ([`crate::runner::prepare`]) and dispatches: configs take the chain as they
//! always did, the others go to [`migrate`], which hands each surface to its module.
//!
//! Every surface reuses the one chain through the *virtual config* ([`virtual_config`]): its
//! pieces are projected into an ordinary config text, the release steps run on it, and what
//! they did is mapped back onto the surface file, which is edited through the `Document` API
//! and verified like any config. A surface's [`FileRun`] has the input and the result as its
//! stages and its findings located in the surface file, so diff, report, `check` and `apply`
//! work unchanged.
//!
//! A compose file or manifest that does not concern Pomerium is skipped, never read as a Core
//! config ([`RunError::NotPomerium`], exit 0).

pub mod compose;
pub mod decoded;
pub mod dotenv;
pub mod embedded;
pub mod encoded;
pub mod env;
pub(crate) mod env_vars;
pub mod helm;
pub mod helm_tables;
pub mod image;
pub mod ingress;
pub mod kubernetes;
pub mod route_env;
pub mod route_list;
pub mod virtual_config;

use std::fmt;
use std::path::Path;

use crate::document::{Document, Location, NodeId, NodeKind};
use crate::runner::{FileRun, Input, RunConfig, RunError};
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

/// Where a file's options live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Surface {
    /// A Pomerium config file (YAML, JSON or TOML) of this kind.
    Config(FileKind),
    /// A docker-compose file: `services.*.environment` of the services running Pomerium.
    Compose,
    /// A `.env` file (`KEY=value` lines).
    Dotenv,
    /// A Kubernetes manifest (one or more objects: workloads, ConfigMaps, Secrets, Ingresses,
    /// the `Pomerium` object).
    Kubernetes,
    /// Values of one of Pomerium's Helm charts.
    Helm(HelmChart),
}

impl Surface {
    /// The surface's short name, as `--kind` and the JSON report spell it (`config` for a
    /// config file of either kind).
    pub fn name(self) -> &'static str {
        match self {
            Surface::Config(_) => "config",
            Surface::Compose => "compose",
            Surface::Dotenv => "dotenv",
            Surface::Kubernetes => "kubernetes",
            Surface::Helm(_) => "helm",
        }
    }
}

/// Which Helm chart a values file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelmChart {
    /// The deprecated `pomerium` chart (Core).
    Pomerium,
    /// The `pomerium-console` chart.
    Console,
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Surface::Config(FileKind::Core) => f.write_str("core config"),
            Surface::Config(FileKind::Console) => f.write_str("console config"),
            Surface::Compose => f.write_str("docker-compose file"),
            Surface::Dotenv => f.write_str(".env file"),
            Surface::Kubernetes => f.write_str("Kubernetes manifest"),
            Surface::Helm(HelmChart::Pomerium) => f.write_str("Helm values (pomerium chart)"),
            Surface::Helm(HelmChart::Console) => {
                f.write_str("Helm values (pomerium-console chart)")
            }
        }
    }
}

/// A surface named with `--kind` (`core`/`console` are [`SurfaceKind::Config`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurfaceKind {
    Config,
    Compose,
    Dotenv,
    Kubernetes,
    Helm,
}

/// The surface `--kind` names, given what the file looks like (which Helm chart).
pub fn forced_surface(kind: SurfaceKind, detected: Option<Surface>) -> Surface {
    match (kind, detected) {
        (SurfaceKind::Helm, Some(helm @ Surface::Helm(_))) => helm,
        (SurfaceKind::Helm, _) => Surface::Helm(HelmChart::Pomerium),
        (SurfaceKind::Compose, _) => Surface::Compose,
        (SurfaceKind::Dotenv, _) => Surface::Dotenv,
        (SurfaceKind::Kubernetes, _) => Surface::Kubernetes,
        (SurfaceKind::Config, Some(Surface::Config(kind))) => Surface::Config(kind),
        (SurfaceKind::Config, _) => Surface::Config(FileKind::Core),
    }
}

/// The `--kind` value that names a surface.
pub fn kind_name(kind: SurfaceKind) -> &'static str {
    match kind {
        SurfaceKind::Config => "core",
        SurfaceKind::Compose => "compose",
        SurfaceKind::Dotenv => "dotenv",
        SurfaceKind::Kubernetes => "kubernetes",
        SurfaceKind::Helm => "helm",
    }
}

/// The surface a file is, when it is not a config file, with the evidence in words (`None`: a
/// config file, whose kind the keys decide as before). `path` is the file's, when it has one.
pub fn detect_surface(path: Option<&Path>, doc: Option<&Document>) -> Option<(Surface, String)> {
    if let Some(name) = path.and_then(Path::file_name).and_then(|n| n.to_str())
        && (name == ".env" || name.ends_with(".env") || name.starts_with(".env."))
    {
        return Some((Surface::Dotenv, format!("the file name `{name}`")));
    }
    let doc = doc?;
    let root = doc.resolve(doc.root()?);
    if doc.is_stream() {
        // A stream of documents is a manifest when one of them is a Kubernetes object.
        return embedded::objects(doc).into_iter().find_map(|object| {
            let kind = embedded::object_kind(doc, object)?;
            Some((
                Surface::Kubernetes,
                format!(
                    "a stream of {} documents; `kind: {kind}` at {}",
                    doc.items(root).len(),
                    doc.location(object)
                ),
            ))
        });
    }
    if !doc.is_mapping(root) {
        return None;
    }
    if let Some(services) = doc.get(root, "services")
        && is_compose_services(doc, services.value)
    {
        return Some((
            Surface::Compose,
            format!(
                "`services` at {} is a mapping of containers",
                doc.location(services.key_node)
            ),
        ));
    }
    let scalar_key = |key: &str| doc.get(root, key).filter(|e| doc.str(e.value).is_some());
    if let (Some(api), Some(kind)) = (scalar_key("apiVersion"), scalar_key("kind")) {
        return Some((
            Surface::Kubernetes,
            format!(
                "`apiVersion` at {} and `kind: {}` at {}",
                doc.location(api.key_node),
                doc.str(kind.value).unwrap_or_default(),
                doc.location(kind.key_node)
            ),
        ));
    }
    helm_chart(doc, root)
}

/// Whether a `services` value is a compose file's: a mapping whose values are mappings that
/// hold container settings. (Pomerium's own `services` option is a string.)
fn is_compose_services(doc: &Document, services: NodeId) -> bool {
    const CONTAINER_KEYS: &[&str] = &[
        "image",
        "build",
        "environment",
        "env_file",
        "command",
        "ports",
        "volumes",
        "depends_on",
        "networks",
    ];
    let services = doc.resolve(services);
    doc.is_mapping(services)
        && doc.entries(services).iter().any(|s| {
            let service = doc.resolve(s.value);
            doc.is_mapping(service)
                && doc
                    .entries(service)
                    .iter()
                    .any(|e| CONTAINER_KEYS.contains(&e.key))
        })
}

/// Helm values of Pomerium's charts: a `config` mapping in camelCase beside the chart's own
/// sections (`authenticate`, `proxy`, … for the `pomerium` chart; `databaseUrl`, `licenseKey`
/// under `config` for `pomerium-console`).
fn helm_chart(doc: &Document, root: NodeId) -> Option<(Surface, String)> {
    let config = doc.get(root, "config")?;
    let config_map = doc.resolve(config.value);
    if !matches!(doc.node(config_map).kind, NodeKind::Mapping(_)) {
        return None;
    }
    let at = doc.location(config.key_node);
    // The image the values deploy names the chart (`image.repository`: the Console chart's
    // default is `docker.cloudsmith.io/pomerium/enterprise/pomerium-console`, the pomerium
    // chart's `pomerium/pomerium`; pomerium-helm `charts/*/values.yaml`).
    if let Some(repository) = doc
        .get(root, "image")
        .and_then(|i| doc.get(i.value, "repository"))
        && let Some(component) = doc
            .str(repository.value)
            .and_then(|r| image::Image::parse(r).component())
    {
        let chart = match component {
            FileKind::Console => HelmChart::Console,
            FileKind::Core => HelmChart::Pomerium,
        };
        return Some((
            Surface::Helm(chart),
            format!(
                "`config` at {at} and `image.repository: {}` at {}",
                doc.str(repository.value).unwrap_or_default(),
                doc.location(repository.key_node)
            ),
        ));
    }
    // Values only the Console chart has (`charts/pomerium-console/values.yaml`, `config:`).
    const CONSOLE: &[&str] = &[
        "databaseUrl",
        "licenseKey",
        "databaseEncryptionKey",
        "audience",
        "prometheusUrl",
        "customerId",
    ];
    if let Some(key) = doc
        .entries(config_map)
        .iter()
        .find(|e| CONSOLE.contains(&e.key))
    {
        return Some((
            Surface::Helm(HelmChart::Console),
            format!("`config.{}` at {}", key.key, doc.location(key.key_node)),
        ));
    }
    const SECTIONS: &[&str] = &[
        "authenticate",
        "authorize",
        "proxy",
        "databroker",
        "forwardAuth",
        "ingressController",
        "redis",
    ];
    let section = doc
        .entries(root)
        .into_iter()
        .find(|e| SECTIONS.contains(&e.key) && doc.is_mapping(doc.resolve(e.value)))?;
    Some((
        Surface::Helm(HelmChart::Pomerium),
        format!(
            "`config` at {at} beside the chart section `{}` at {}",
            section.key,
            doc.location(section.key_node)
        ),
    ))
}

/// A container (or service) of a surface that runs Pomerium, as `detect` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// The service or container name.
    pub name: String,
    pub kind: FileKind,
    /// The image as written.
    pub image: Option<String>,
    /// Where the name (or the image) is.
    pub at: Location,
    /// The release the image tag names (exact `--from` evidence).
    pub version: Option<Version>,
    /// The release an image action marker above the image names: an earlier `apply` migrated
    /// the options to it while the tag stayed older, and runs start there.
    pub marked: Option<Version>,
}

/// The parts of a surface file that run Pomerium (empty: the file does not concern Pomerium).
/// `forced` is `--kind` naming the surface.
pub fn components(surface: Surface, doc: &Document, forced: bool) -> Vec<Component> {
    match surface {
        Surface::Compose => compose::components(doc, forced),
        Surface::Dotenv => dotenv::components(None, forced),
        Surface::Kubernetes => kubernetes::FINDERS.iter().flat_map(|f| f(doc)).collect(),
        Surface::Helm(chart) => helm::components(doc, chart),
        _ => Vec::new(),
    }
}

/// A Kubernetes manifest read as a stream of objects: every document a mapping (or empty), at
/// least one with `apiVersion` and `kind`. `None` for other texts.
pub fn manifest_stream(text: &str) -> Option<Document> {
    let doc = Document::parse_stream(text.to_owned()).ok()?;
    let root = doc.root()?;
    let items = doc.items(root);
    let mut objects = 0;
    for &item in items {
        let item = doc.resolve(item);
        match &doc.node(item).kind {
            NodeKind::Mapping(_) => {
                let has = |key: &str| {
                    doc.get(item, key)
                        .is_some_and(|e| doc.str(e.value).is_some())
                };
                if has("apiVersion") && has("kind") {
                    objects += 1;
                }
            }
            NodeKind::Scalar(crate::document::Value::Null) => {}
            _ => return None,
        }
    }
    (objects > 0).then_some(doc)
}

/// A container as `detect` lists it.
pub(crate) fn component(doc: &Document, c: env_vars::Container) -> Component {
    let marked = env_vars::image_migrated_to(doc, &c);
    Component {
        marked,
        version: c
            .image
            .as_ref()
            .and_then(|(_, text)| image::Image::parse(text).version()),
        at: c
            .image
            .as_ref()
            .map_or(c.env_at, |(node, _)| doc.location(*node)),
        image: c.image.map(|(_, text)| text),
        name: c.name,
        kind: c.kind,
    }
}

/// What a surface module did to its file, before it is applied.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub edits: Vec<crate::document::Edit>,
    pub findings: Vec<crate::step::Finding>,
    pub warnings: Vec<String>,
    pub decoded: Vec<decoded::DecodedView>,
}

/// The [`FileRun`] of a surface file: its input, and the result of `edits` (applied and verified
/// like any config's) when there are any; findings sorted by line. `what` names the edits in
/// an error.
pub(crate) fn file_run(
    input: Input,
    document: Document,
    outcome: Outcome,
    (kind, surface, from, to): (FileKind, Surface, Version, Version),
    what: &str,
) -> Result<FileRun, RunError> {
    let Outcome {
        edits,
        mut findings,
        warnings,
        decoded,
    } = outcome;
    let mut stages = vec![crate::runner::Stage {
        step: None,
        document,
    }];
    if !edits.is_empty() {
        let result = stages[0]
            .document
            .apply(&edits)
            .map_err(|source| RunError::Step {
                path: input.source.display(),
                step: what.to_owned(),
                source,
            })?;
        stages.push(crate::runner::Stage {
            step: None,
            document: result,
        });
    }
    findings.sort_by_key(|f| f.location.map(|l| (l.line, l.column)));
    Ok(FileRun {
        input,
        format: crate::document::Format::Yaml,
        kind,
        surface,
        from,
        to,
        inferred: None,
        warnings,
        stages,
        findings,
        created: Vec::new(),
        decoded,
        line_ops: Default::default(),
        input_shown: None,
    })
}

/// A surface file read and recognised, ready for [`migrate`].
#[derive(Debug)]
pub struct Prepared {
    pub input: Input,
    pub surface: Surface,
    /// The YAML document, for the surfaces read as YAML.
    pub document: Option<Document>,
    pub evidence: String,
    /// For a `.env` file: the service of a compose file of the run that names it.
    pub named_by: Option<dotenv::EnvFileRef>,
}

/// Migrates a surface file: each surface's module runs the chain through virtual configs.
pub fn migrate(file: Prepared, config: &RunConfig<'_>) -> Result<FileRun, RunError> {
    let path = file.input.source.display();
    match (file.surface, file.document) {
        (Surface::Compose, Some(document)) => compose::migrate(file.input, document, config),
        (Surface::Kubernetes, Some(document)) => kubernetes::migrate(file.input, document, config),
        (Surface::Dotenv, Some(document)) => {
            dotenv::migrate(file.input, document, config, file.evidence, file.named_by)
        }
        (Surface::Helm(chart), Some(document)) => {
            helm::migrate(file.input, document, chart, config)
        }
        (surface, _) => Err(RunError::SurfaceNotSupported {
            path,
            surface: surface.to_string(),
            evidence: file.evidence,
        }),
    }
}

/// A finding a surface reports itself (not a release step's), located in the surface file;
/// `to` is the release it concerns.
pub(crate) fn finding(
    to: Version,
    step: &'static str,
    severity: Severity,
    at: Location,
    message: String,
) -> Finding {
    Finding {
        version: to,
        step,
        severity,
        location: Some(at),
        message,
        link: "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    fn detect(path: &str, text: &str) -> Option<Surface> {
        let doc = Document::parse(text.to_owned(), Format::Yaml).ok();
        detect_surface(Some(Path::new(path)), doc.as_ref()).map(|(s, _)| s)
    }

    #[test]
    fn surfaces_are_told_by_name_and_shape() {
        let compose = "services:\n  pomerium:\n    image: pomerium/pomerium:v0.19.0\n";
        assert_eq!(
            detect("docker-compose.yml", compose),
            Some(Surface::Compose)
        );
        // Pomerium's own `services` option is a string: a config.
        assert_eq!(
            detect("config.yaml", "services: all\naddress: :443\n"),
            None
        );
        assert_eq!(detect("config.yaml", "routes: []\n"), None);
        assert_eq!(detect(".env", "A=1\n"), Some(Surface::Dotenv));
        assert_eq!(detect("pomerium.env", ""), Some(Surface::Dotenv));
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p}\n";
        assert_eq!(detect("d.yaml", deployment), Some(Surface::Kubernetes));
        let helm = "config:\n  sharedSecret: x\nauthenticate:\n  idp:\n    provider: google\n";
        assert_eq!(
            detect("values.yaml", helm),
            Some(Surface::Helm(HelmChart::Pomerium))
        );
        let console = "config:\n  databaseUrl: x\n";
        assert_eq!(
            detect("values.yaml", console),
            Some(Surface::Helm(HelmChart::Console))
        );
        let evidence = Document::parse(compose.to_owned(), Format::Yaml)
            .ok()
            .and_then(|d| detect_surface(None, Some(&d)))
            .map(|(_, e)| e)
            .unwrap_or_default();
        assert!(evidence.contains("`services` at 1:1"), "{evidence}");
    }
}
