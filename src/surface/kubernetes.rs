//! Kubernetes manifests: one file (one document or a stream of them) whose objects hold
//! Pomerium's options in several shapes. Each shape is a *part* that reads the same parsed
//! manifest and returns edits of it and findings on its lines; the edits of every part are
//! applied as one batch (they touch different objects), verified like any config's, so the
//! objects no part concerns stay byte for byte as they were.
//!
//! Parts: the Ingress Controller's objects ([`super::ingress`]: `ingress.pomerium.io/`
//! annotations, the `Pomerium` resource, the controller image as version evidence).

use crate::document::{Document, Edit, Format, NodeId};
use crate::runner::{FileRun, Input, RunConfig, RunError, Stage};
use crate::step::{FileKind, Finding};

use super::Surface;
use super::ingress::annotations::objects;
use super::ingress::manifest as controller;

/// Migrates a manifest. One that concerns no part is skipped ([`RunError::NotPomerium`], exit 0)
/// when nothing in it can hold Pomerium's options, and refused as not supported yet (exit 2)
/// when something may hold them in a shape no part reads yet ([`unread_shapes`]): `check` must
/// not call such a file up to date. `evidence` says why the file was read as a manifest.
pub fn migrate(
    input: Input,
    document: Document,
    evidence: &str,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let path = input.source.display();
    if !controller::concerns_controller(&document) {
        let unread = unread_shapes(&document);
        if unread.is_empty() {
            return Err(RunError::NotPomerium {
                path,
                reason: "a Kubernetes manifest with nothing of Pomerium's (no \
                         `ingress.pomerium.io/` annotation, `Pomerium` resource, Pomerium \
                         container, ConfigMap or Secret)"
                    .into(),
            });
        }
        return Err(RunError::SurfaceNotSupported {
            path,
            surface: Surface::Kubernetes.to_string(),
            evidence: format!("{evidence}; {}", unread.join(", ")),
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

/// Objects that may hold Pomerium's options in a shape no part reads yet: a container whose
/// image is Pomerium's (its `env:`), a ConfigMap or Secret (an embedded config), each named.
fn unread_shapes(doc: &Document) -> Vec<String> {
    let mut out = Vec::new();
    for object in objects(doc) {
        let text = |key: &str| doc.get(object, key).and_then(|e| doc.str(e.value));
        let kind = text("kind").unwrap_or_default();
        let name = super::ingress::annotations::object_name(doc, object);
        if matches!(kind, "ConfigMap" | "Secret") {
            out.push(format!("{kind} `{name}` at {}", doc.location(object)));
            continue;
        }
        let pomerium_image = images(doc, object).into_iter().any(|image| {
            let parsed = super::image::Image::parse(image);
            parsed.name.to_ascii_lowercase().contains("pomerium")
        });
        if pomerium_image {
            out.push(format!(
                "{kind} `{name}` at {} runs a Pomerium image",
                doc.location(object)
            ));
        }
    }
    out
}

/// Every `image:` of an object's containers, wherever its pod template is.
fn images(doc: &Document, node: NodeId) -> Vec<&str> {
    let mut out = Vec::new();
    let node = doc.resolve(node);
    for entry in doc.entries(node) {
        if entry.key == "image"
            && let Some(image) = doc.str(entry.value)
        {
            out.push(image);
        } else {
            out.extend(images(doc, entry.value));
        }
    }
    for item in doc.items(node) {
        out.extend(images(doc, *item));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(text: &str) -> Document {
        match Document::parse_stream(text.to_owned()) {
            Ok(d) => d,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    #[test]
    fn objects_that_may_hold_options_elsewhere_are_named() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\n\
                    kind: ConfigMap\nmetadata: {name: pomerium-config}\n---\napiVersion: apps/v1\n\
                    kind: Deployment\nmetadata: {name: p}\nspec:\n  template:\n    spec:\n      \
                    containers:\n        - image: docker.io/pomerium/pomerium:v0.20.0\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  \
                    template:\n    spec:\n      containers:\n        - image: nginx\n";
        let unread = unread_shapes(&stream(text));
        assert_eq!(
            unread,
            [
                "ConfigMap `pomerium-config` at 5:1",
                "Deployment `p` at 9:1 runs a Pomerium image"
            ]
        );
        let plain = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: \
                     networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n";
        assert!(unread_shapes(&stream(plain)).is_empty());
    }
}
