//! Kubernetes manifests: one file (one document or a stream of them) whose objects hold
//! Pomerium's options in several shapes. Each shape is a *part* that reads the same parsed
//! manifest and returns edits of it and findings on its lines; the edits of every part are
//! applied as one batch (they touch different objects), verified like any config's, so the
//! objects no part concerns stay byte for byte as they were.
//!
//! Parts: the Ingress Controller's objects ([`super::ingress`]: `ingress.pomerium.io/`
//! annotations, the `Pomerium` resource, the controller image as version evidence).

use crate::document::{Document, Edit, Format};
use crate::runner::{FileRun, Input, RunConfig, RunError, Stage};
use crate::step::{FileKind, Finding};

use super::Surface;
use super::ingress::manifest as controller;

/// Migrates a manifest. One that concerns no part is refused as not supported yet (exit 2):
/// it may hold Pomerium's options in a shape no part reads yet (a container's `env:`, a config
/// in a ConfigMap), and `check` must not call such a file up to date. `evidence` says why the
/// file was read as a manifest.
pub fn migrate(
    input: Input,
    document: Document,
    evidence: &str,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let path = input.source.display();
    if !controller::concerns_controller(&document) {
        return Err(RunError::SurfaceNotSupported {
            path,
            surface: Surface::Kubernetes.to_string(),
            evidence: format!(
                "{evidence}; no `ingress.pomerium.io/` annotation, `Pomerium` resource or \
                 ingress controller image"
            ),
        });
    }
    let part = controller::migrate(&input, &document, config)?;
    let (edits, mut findings): (Vec<Edit>, Vec<Finding>) = (part.edits, part.findings);
    let (from, to, warnings) = (part.from, part.to, part.warnings);
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
        kind: FileKind::Core,
        surface: Surface::Kubernetes,
        from,
        to,
        inferred: None,
        warnings,
        stages,
        findings,
        created: Vec::new(),
    })
}
