//! docker-compose files: the `environment` of the services that run Pomerium, in map form
//! (`KEY: value`) and list form (`- KEY=value`).
//!
//! Only services whose `image:` is Pomerium's ([`super::image`]) are read: `DATABASE_URL` or
//! `DEBUG` in another service is not Pomerium's. With `--kind compose`, a service without an
//! `image:` (built locally) whose name contains `pomerium` counts as Core too. Each service's
//! variables go through [`super::env_vars`], which says what changes and how.

use crate::document::{Document, NodeId, Value};
use crate::runner::{self, FileRun, Input, RunConfig, RunError};
use crate::step::{FileKind, Finding};
use crate::version::Version;

use super::env_vars::{self, Container, Handle, Var, VarValue};
use super::image::Image;
use super::{Surface, SurfaceKind};

/// Migrates a compose file. A file with no Pomerium service is [`RunError::NotPomerium`].
pub fn migrate(
    input: Input,
    document: Document,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let path = input.source.display();
    let forced = config.surface == Some(SurfaceKind::Compose);
    let services = pomerium_services(&document, forced);
    if services.is_empty() {
        return Err(RunError::NotPomerium {
            path,
            reason: "a docker-compose file with no Pomerium service (no service runs a \
                     pomerium/pomerium or Enterprise Console image)"
                .into(),
        });
    }
    let to_default = runner::default_target(config.steps);
    let mut edits = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut decoded = Vec::new();
    let mut span: Option<(Version, Version)> = None;
    for service in &services {
        let vars = service_vars(&document, service);
        let done = env_vars::migrate_vars(&input, &document, service, &vars, config, to_default)?;
        edits.extend(done.edits);
        decoded.extend(done.decoded);
        findings.extend(done.findings);
        warnings.extend(done.warnings);
        span = Some(match span {
            None => (done.from, done.to),
            Some((f, t)) => (f.min(done.from), t.max(done.to)),
        });
    }
    let (from, to) = span.unwrap_or((to_default, to_default));
    findings.extend(super::dotenv::missing_notes(
        &document,
        input.source.path(),
        to,
    ));
    let kind = if services.iter().any(|s| s.kind == FileKind::Core) {
        FileKind::Core
    } else {
        FileKind::Console
    };
    super::file_run(
        input,
        document,
        super::Outcome {
            edits,
            findings,
            warnings,
            decoded,
        },
        (kind, Surface::Compose, from, to),
        "docker-compose environment",
    )
}

/// The services that run Pomerium, as `detect` lists them.
pub fn components(doc: &Document, forced: bool) -> Vec<super::Component> {
    pomerium_services(doc, forced)
        .into_iter()
        .map(|s| super::component(doc, s))
        .collect()
}

/// The services that run Pomerium, in file order.
pub(crate) fn pomerium_services(doc: &Document, forced: bool) -> Vec<Container> {
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let Some(services) = doc.get(root, "services") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in doc.entries(services.value) {
        let service = doc.resolve(s.value);
        if !doc.is_mapping(service) {
            continue;
        }
        let image_entry = doc.get(service, "image");
        let image = image_entry
            .as_ref()
            .and_then(|e| doc.str(e.value).map(|t| (e.value, t.to_owned())));
        let image_entry = image_entry.map(|e| e.id);
        let kind = match &image {
            Some((_, text)) => Image::parse(text).component(),
            None if forced && s.key.to_ascii_lowercase().contains("pomerium") => {
                Some(FileKind::Core)
            }
            None => None,
        };
        let Some(kind) = kind else {
            continue;
        };
        let environment = doc.get(service, "environment");
        let env_at = environment
            .as_ref()
            .map_or(doc.location(s.key_node), |e| doc.location(e.key_node));
        let env_map = environment
            .as_ref()
            .map(|e| doc.resolve(e.value))
            .filter(|m| doc.is_mapping(*m));
        out.push(Container {
            what: "service",
            name: s.key.to_owned(),
            kind,
            image,
            image_entry,
            env_at,
            env_name: "environment",
            env_map,
            lines: match &environment {
                Some(_) => env_vars::block_lines(doc.text(), env_at.line, env_at.column),
                None => env_at.line..=env_at.line,
            },
            owner: None,
        });
    }
    out
}

/// The variables of a service's `environment`, map or list form, in order.
fn service_vars(doc: &Document, service: &Container) -> Vec<Var> {
    let lines: Vec<&str> = doc.text().lines().collect();
    let Some(environment) = doc
        .root()
        .and_then(|r| doc.get(r, "services"))
        .and_then(|s| doc.get(s.value, &service.name))
        .and_then(|s| doc.get(s.value, "environment"))
    else {
        return Vec::new();
    };
    let env = doc.resolve(environment.value);
    if doc.is_mapping(env) {
        return map_vars(doc, env);
    }
    doc.items(env)
        .iter()
        .filter_map(|&item| list_var(doc, &lines, item))
        .collect()
}

/// The variables of a mapping (`NAME: value`; a `.env` file's root too), in order.
pub(crate) fn map_vars(doc: &Document, env: NodeId) -> Vec<Var> {
    let lines: Vec<&str> = doc.text().lines().collect();
    doc.entries(env)
        .into_iter()
        .filter(|e| e.merged_into.is_none())
        .filter_map(|e| {
            let node = doc.resolve(e.value);
            let value = match doc.scalar(node)? {
                Value::Null => VarValue::Unknown(format!("${{{}}}", e.key)),
                v => env_vars::classify(&v.scalar_text()?),
            };
            let at = doc.location(e.key_node);
            Some(Var {
                name: e.key.to_owned(),
                value,
                at,
                handle: Handle::MapEntry {
                    entry: e.id,
                    value: e.value,
                },
                markers: env_vars::markers_above(&lines, at.line),
                written: None,
            })
        })
        .collect()
}

/// `- NAME=value` (or `- NAME`, taken from the shell).
fn list_var(doc: &Document, lines: &[&str], item: NodeId) -> Option<Var> {
    let text = doc.str(item)?;
    let (name, written) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (text, None),
    };
    if name.is_empty() {
        return None;
    }
    let at = doc.location(item);
    Some(Var {
        name: name.to_owned(),
        value: match &written {
            Some(value) => env_vars::classify(value),
            None => VarValue::Unknown(format!("${{{name}}}")),
        },
        at,
        handle: Handle::ListItem { item },
        markers: env_vars::markers_above(lines, at.line),
        written,
    })
}
