//! Kubernetes manifests: one file (one document or a stream of them) whose objects hold
//! Pomerium's options in several shapes. Each shape is a *part* that reads the same parsed
//! manifest and returns edits of it and findings on its lines; the edits of every part are
//! applied as one batch (they touch different objects), verified like any config's, so the
//! objects no part concerns stay byte for byte as they were.
//!
//! Parts: configs embedded in ConfigMaps and Secrets ([`super::embedded`]), and the Ingress
//! Controller's objects ([`super::ingress`]: `ingress.pomerium.io/` annotations, the `Pomerium`
//! resource, the controller image as version evidence). The `env:` of Pomerium's own
//! containers is not read yet: a manifest with nothing else of Pomerium's is refused as not
//! supported (so that `check` does not call it up to date), and otherwise each such `env:` gets
//! a note.

use crate::document::{Document, Edit, Format};
use crate::runner::{FileRun, Input, RunConfig, RunError, Stage};
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

use super::Surface;
use super::embedded;
use super::ingress::manifest as controller;

/// The id of the notes about containers whose `env:` is not read.
const ENV_NOT_READ: &str = "container-env";

/// Migrates a manifest. One with nothing of Pomerium's is [`RunError::NotPomerium`] (skipped).
pub fn migrate(
    input: Input,
    document: Document,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let path = input.source.display();
    let embedded = embedded::manifest_part(&input, &document, config)?;
    let ingress = if controller::concerns_controller(&document) {
        Some(controller::migrate(&input, &document, config)?)
    } else {
        None
    };
    let containers = embedded::pomerium_containers(&document);
    if embedded.is_none() && ingress.is_none() {
        if !containers.is_empty() {
            return Err(RunError::SurfaceNotSupported {
                path,
                surface: Surface::Kubernetes.to_string(),
                evidence: "a container runs a Pomerium image; its `env:` is not migrated yet"
                    .into(),
            });
        }
        return Err(RunError::NotPomerium {
            path,
            reason: "a Kubernetes manifest with no Pomerium config in a ConfigMap or Secret, no \
                     `ingress.pomerium.io/` annotation, `Pomerium` resource or ingress \
                     controller image"
                .into(),
        });
    }
    let mut edits: Vec<Edit> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut decoded = Vec::new();
    let mut span: Option<(Version, Version)> = None;
    let mut widen = |from: Version, to: Version| {
        span = Some(span.map_or((from, to), |(f, t)| (f.min(from), t.max(to))));
    };
    let mut kind = FileKind::Core;
    if let Some(part) = embedded {
        widen(part.from, part.to);
        if ingress.is_none() {
            kind = part.kind;
        }
        edits.extend(part.edits);
        findings.extend(part.findings);
        decoded.extend(part.decoded);
    }
    if let Some(part) = ingress {
        widen(part.from, part.to);
        edits.extend(part.edits);
        findings.extend(part.findings);
        warnings.extend(part.warnings);
    }
    let to_default = crate::runner::default_target(config.steps);
    let (from, to) = span.unwrap_or((to_default, to_default));
    for container in containers {
        if let Some(env) = document.get(container, "env")
            && !document.items(document.resolve(env.value)).is_empty()
        {
            findings.push(Finding {
                version: to,
                step: ENV_NOT_READ,
                severity: Severity::Note,
                location: Some(document.location(env.key_node)),
                message: "this Pomerium container's `env:` is not migrated by this version of \
                          pomerium-migrate: check its variables against the releases by hand"
                    .into(),
                link: "",
            });
        }
    }
    let mut stages = vec![Stage {
        step: None,
        document,
    }];
    if !edits.is_empty() {
        let result = stages[0]
            .document
            .apply(&edits)
            .map_err(|source| RunError::Step {
                path: path.clone(),
                step: "Kubernetes manifest".into(),
                source,
            })?;
        stages.push(Stage {
            step: None,
            document: result,
        });
    }
    findings.sort_by_key(|f| f.location.map(|l| (l.line, l.column)));
    Ok(FileRun {
        input,
        format: Format::Yaml,
        kind,
        surface: Surface::Kubernetes,
        from,
        to,
        inferred: None,
        warnings,
        stages,
        findings,
        created: Vec::new(),
        decoded,
    })
}
