//! The Ingress Controller's part of a Kubernetes manifest: what the release steps do to the
//! Ingress annotations (through the virtual config), what the target's controller refuses, the
//! `Pomerium` resource's removed and deprecated fields, and the controller image as version
//! evidence. The manifest's other objects are the other Kubernetes parts' (and untouched here).

use crate::document::{Document, Edit, EntryId, Location, NodeId, Value};
use crate::runner::{self, Input, RunConfig, RunError};
use crate::step::{FileKind, Finding, RemovedMode, Severity};
use crate::surface::image::Image;
use crate::surface::virtual_config::{self, Fate, Piece};
use crate::validate::marker;
use crate::version::Version;

use super::annotations::{self, PREFIX, Projection};
use super::{controller, crd};

/// The id of findings about the controller image.
pub const CONTROLLER_IMAGE: &str = "controller-image";

/// The workload kinds whose pod template may run the controller, and where their containers
/// are.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("Pod", &["spec"]),
];

/// A container of the manifest that runs the Ingress Controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerImage {
    /// The container's name (`?` without one).
    pub container: String,
    /// The image reference as written.
    pub reference: String,
    /// Where the reference is.
    pub at: Location,
    /// The `image` entry and its value node.
    pub entry: EntryId,
    pub node: NodeId,
    /// The Pomerium release its tag embeds (`None`: no tag the table knows).
    pub version: Option<Version>,
    /// The release an earlier `apply` migrated the manifest to while this image stayed older:
    /// the newest `controller-image` action marker above it (`vX.Y/controller-image`).
    pub migrated_to: Option<Version>,
}

impl ControllerImage {
    /// The release the manifest's controller objects are written for, as far as this container
    /// tells: what an earlier run migrated them to, else the image's.
    pub fn content_version(&self) -> Option<Version> {
        self.version.max(self.migrated_to)
    }
}

/// The containers of the manifest's workloads whose image is `pomerium/ingress-controller`.
pub fn controller_images(doc: &Document) -> Vec<ControllerImage> {
    let lines: Vec<&str> = doc.text().lines().collect();
    let mut out = Vec::new();
    for object in annotations::objects(doc) {
        let Some(kind) = doc.get(object, "kind").and_then(|e| doc.str(e.value)) else {
            continue;
        };
        let Some((_, path)) = WORKLOADS.iter().find(|(k, _)| *k == kind) else {
            continue;
        };
        let mut pod = Some(object);
        for key in *path {
            pod = pod
                .and_then(|m| doc.get(m, key))
                .map(|e| doc.resolve(e.value));
        }
        let Some(pod) = pod else {
            continue;
        };
        for list in ["initContainers", "containers"] {
            let Some(containers) = doc.get(pod, list) else {
                continue;
            };
            for container in doc.items(doc.resolve(containers.value)) {
                let Some(image) = doc.get(doc.resolve(*container), "image") else {
                    continue;
                };
                let Some(reference) = doc.str(image.value) else {
                    continue;
                };
                let parsed = Image::parse(reference);
                let name = parsed.name.to_ascii_lowercase();
                if name == "pomerium/ingress-controller"
                    || name.ends_with("/pomerium/ingress-controller")
                {
                    let container = doc
                        .get(doc.resolve(*container), "name")
                        .and_then(|e| doc.scalar(e.value))
                        .and_then(Value::scalar_text)
                        .unwrap_or_else(|| "?".to_owned());
                    let at = doc.location(image.value);
                    let key_line = doc.entry_location(image.id).line;
                    let migrated_to =
                        crate::surface::image::marked_release(&lines, key_line, CONTROLLER_IMAGE);
                    out.push(ControllerImage {
                        container,
                        reference: reference.to_owned(),
                        at,
                        entry: image.id,
                        node: image.value,
                        version: parsed.tag.and_then(controller::pomerium_version),
                        migrated_to,
                    });
                }
            }
        }
    }
    out
}

/// The release of an open `controller-image` marker (`pomerium-migrate action
/// v0.23/controller-image: …` gives 0.23).
#[cfg(test)]
fn marker_release(text: &str) -> Option<Version> {
    crate::surface::image::marker_release(text, CONTROLLER_IMAGE)
}

/// The controller image retagged to the newest controller release that embeds exactly the
/// Pomerium release `release` (`0.23.0` → `v0.23.1`, whose go.mod requires v0.23.0); `None`
/// when no release does, or the image is pinned by a digest or has no tag.
fn retag(reference: &str, release: &str) -> Option<String> {
    if reference.contains('@') {
        return None;
    }
    let wanted = format!("v{}", release.trim_start_matches(['v', 'V']));
    let tag = controller::releases()
        .iter()
        .rev()
        .find(|r| r.go_mod == wanted)?
        .tag;
    let parsed = Image::parse(reference);
    let at = parsed.tag_at?;
    Some(format!("{}{tag}", &reference[..at]))
}

/// The `Pomerium` resources of the manifest.
pub fn pomerium_objects(doc: &Document) -> Vec<NodeId> {
    annotations::objects(doc)
        .into_iter()
        .filter(|o| crd::is_pomerium_object(doc, *o))
        .collect()
}

/// What `detect` lists of the manifest: each Ingress with Pomerium annotations, each `Pomerium`
/// resource (both read by Pomerium Core through the controller), and each controller container
/// with the Pomerium release its image embeds.
pub fn components(doc: &Document) -> Vec<crate::surface::Component> {
    let mut out = Vec::new();
    for ingress in annotations::ingresses(doc) {
        if ingress.annotations.is_empty() && ingress.orphans.is_empty() {
            continue;
        }
        out.push(crate::surface::Component {
            name: format!(
                "Ingress {} ({} {PREFIX} annotation{})",
                ingress.name,
                ingress.annotations.len(),
                if ingress.annotations.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ),
            kind: FileKind::Core,
            image: None,
            at: doc.location(ingress.object),
            version: None,
            marked: None,
        });
    }
    for object in pomerium_objects(doc) {
        out.push(crate::surface::Component {
            name: format!(
                "Pomerium resource {}",
                annotations::object_name(doc, object)
            ),
            kind: FileKind::Core,
            image: None,
            at: doc.location(object),
            version: None,
            marked: None,
        });
    }
    for image in controller_images(doc) {
        out.push(crate::surface::Component {
            name: format!("ingress controller container {}", image.container),
            kind: FileKind::Core,
            image: Some(image.reference),
            at: image.at,
            version: image.version,
            marked: image.migrated_to,
        });
    }
    out
}

/// Whether the manifest concerns the Ingress Controller: an Ingress with a
/// `ingress.pomerium.io/` annotation (or a marker the tool left among them), a `Pomerium`
/// resource, or a controller container.
pub fn concerns_controller(doc: &Document) -> bool {
    annotations::ingresses(doc)
        .iter()
        .any(|i| !i.annotations.is_empty() || !i.orphans.is_empty())
        || !pomerium_objects(doc).is_empty()
        || !controller_images(doc).is_empty()
}

/// The Ingress Controller's contribution to a manifest's run: edits of the manifest document
/// (to apply together with the other parts'), findings located in it, and the versions.
#[derive(Debug)]
pub struct Part {
    pub edits: Vec<Edit>,
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
    pub from: Version,
    pub to: Version,
}

/// Migrates the Ingress Controller's objects of a manifest. The starting release is `--from`,
/// else the oldest controller image's (through the embedded Pomerium release), else what the
/// annotations' options say (as for a config).
pub fn migrate(input: &Input, doc: &Document, config: &RunConfig<'_>) -> Result<Part, RunError> {
    let path = input.source.display();
    let to_default = runner::default_target(config.steps);
    let images = controller_images(doc);
    let tagged = images
        .iter()
        .filter_map(ControllerImage::content_version)
        .min();
    let mut warnings = Vec::new();
    if let (Some(given), Some(tagged)) = (config.from, tagged)
        && given != tagged
    {
        warnings.push(format!(
            "{path}: --from {given}, but the ingress controller image is a release that embeds \
             Pomerium {tagged}"
        ));
    }
    let known_from = config.from.or(tagged);
    let removed = config.options.removed;
    let projection = annotations::project(doc);
    let mut part = Part {
        edits: Vec::new(),
        findings: Vec::new(),
        warnings,
        from: to_default,
        to: to_default,
    };
    let mut handled: Vec<(usize, usize)> = Vec::new();
    if projection.route_names.is_empty() {
        let from = known_from.unwrap_or(config.to.unwrap_or(to_default));
        let (from, to) = runner::resolve_versions(from, config.to, config.steps)?;
        part.from = from;
        part.to = to;
    } else {
        let run = virtual_config::run_virtual(
            &input.source,
            projection.text.clone(),
            FileKind::Core,
            known_from,
            config,
        )?;
        part.from = run.from;
        part.to = run.to;
        let pieces: Vec<Piece> = projection
            .pieces
            .iter()
            .map(|p| Piece {
                virtual_line: p.virtual_line,
            })
            .collect();
        let fates = virtual_config::fates(&run, &pieces);
        let mut options: Vec<String> = Vec::new();
        for (piece, fate) in projection.pieces.iter().zip(&fates) {
            if let Some(a) = projection.annotation(piece) {
                options.push(a.option.clone());
            }
            if let Fate::Kept { path, .. } = fate
                && let Some(key) = path.last()
            {
                options.push(key.clone());
            }
        }
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        // With `--removed delete` a removed annotation is deleted where the chain (run with
        // `--removed comment`, so that the piece's line remains) commented its option out.
        let deleted: Vec<usize> = projection
            .pieces
            .iter()
            .zip(&fates)
            .filter(|(_, fate)| matches!(fate, Fate::Removed { .. }))
            .filter(|_| removed == RemovedMode::Delete)
            .map(|(piece, _)| piece.virtual_line)
            .collect();
        for f in &run.findings {
            let Some(at) = f
                .location
                .and_then(|at| annotations::relocate(&projection, at))
            else {
                continue;
            };
            let mut f = f.clone();
            f.message = annotations::rewrite_message(&f.message, &projection, &options);
            if f.location.is_some_and(|v| deleted.contains(&v.line)) {
                f.message = f.message.replace("commented out", "deleted");
                if f.severity == Severity::ActionRequired {
                    f.message.push_str(
                        "\n[the annotation was deleted (--removed delete), so no marker keeps \
                         this action open: once applied, `check` will not report it again]",
                    );
                }
            }
            f.location = Some(at);
            part.findings.push(f);
        }
        let back = Back {
            doc,
            run: &run,
            projection: &projection,
            options: &options,
            removed,
        };
        for (piece, fate) in projection.pieces.iter().zip(fates) {
            if let Some(done) = apply_fate(&back, piece, fate, &mut part) {
                handled.push(done);
            }
        }
    }
    for (i, k, reason) in &projection.unreadable {
        let Some(ingress) = projection.ingresses.get(*i) else {
            continue;
        };
        let Some(a) = ingress.annotations.get(*k) else {
            continue;
        };
        handled.push((*i, *k));
        part.findings.push(Finding {
            version: part.to,
            step: annotations::UNREADABLE_ANNOTATION,
            severity: Severity::ActionRequired,
            location: Some(a.location),
            message: format!(
                "`{PREFIX}{}` of {}: {reason}; the controller reads annotation values as YAML, \
                 so the release steps could not check it: left unchanged, check it by hand",
                a.option,
                ingress.display()
            ),
            link: annotations::LINK,
        });
    }
    for (_, _, finding) in annotations::refused(&projection, part.to, &handled) {
        part.findings.push(finding);
    }
    header_secrets(&projection, &mut part);
    crd_part(doc, removed, &mut part);
    for image in &images {
        image_finding(doc, image, config.to_release.as_deref(), &mut part);
    }
    Ok(part)
}

/// After the migration, a controller image older than the target: retagged when `--to` names
/// a Pomerium patch release some controller release embeds exactly, else an action, with a
/// marker above the image that tells later runs which release the manifest is now for (the
/// image alone would have them migrate it again: the `$` of 0.23 would double twice).
fn image_finding(doc: &Document, image: &ControllerImage, release: Option<&str>, part: &mut Part) {
    let (Some(tagged), to) = (image.version, part.to) else {
        return;
    };
    if let Some(new) = release.and_then(|r| retag(&image.reference, r))
        && (tagged < to || new != image.reference)
        && tagged <= to
    {
        if new != image.reference {
            part.edits.push(Edit::SetScalar {
                node: image.node,
                value: Value::String(new.clone()),
            });
            part.findings.push(Finding {
                version: to,
                step: CONTROLLER_IMAGE,
                severity: Severity::Changed,
                location: Some(image.at),
                message: format!(
                    "ingress controller container `{}`: image `{}` is now `{new}`, the \
                     controller release that embeds Pomerium {}",
                    image.container,
                    image.reference,
                    release.unwrap_or_default().trim_start_matches(['v', 'V'])
                ),
                link: annotations::LINK,
            });
        }
        return;
    }
    if tagged >= to {
        return;
    }
    let suggestion = controller::controller_for(to)
        .map(|r| format!(" (such as {})", r.tag))
        .unwrap_or_default();
    let message = format!(
        "the ingress controller image `{}` runs Pomerium {tagged}, and the manifest's \
         annotations and Pomerium resource are now for {to}: deploy a controller release that \
         embeds Pomerium {to}{suggestion} with them (or give the Pomerium release with --to, \
         e.g. --to v{to}.0, and apply rewrites the tag)",
        image.reference
    );
    if image.migrated_to.is_none_or(|m| m < to) && doc.can_comment_out(image.entry) {
        part.edits.push(Edit::Annotate {
            entry: image.entry,
            text: format!(
                "{} action v{to}/{CONTROLLER_IMAGE}: {message}",
                marker::TOOL
            ),
        });
    }
    part.findings.push(Finding {
        version: to,
        step: CONTROLLER_IMAGE,
        severity: Severity::ActionRequired,
        location: Some(image.at),
        message,
        link: annotations::LINK,
    });
}

/// The id of the notes about Secrets whose values are request headers.
pub const HEADER_SECRET: &str = "header-secret-dollar";

/// Pomerium 0.23 started expanding `$` in request header values (`v0.23/escape-dollar-in-request-headers`).
const DOLLAR_RELEASE: Version = Version::new(0, 23);

/// A run across 0.23: the values of a Secret that `set_request_headers_secret` names are
/// merged into the route's `set_request_headers` (ingress-controller
/// pomerium/ingress_annotations.go, `applySecretAnnotations`), so the `$` escaping concerns them
/// too. The tool does not edit the Secret (its data is secret and may live elsewhere): a note
/// says what to do.
fn header_secrets(projection: &Projection, part: &mut Part) {
    if !(part.from < DOLLAR_RELEASE && DOLLAR_RELEASE <= part.to) {
        return;
    }
    for ingress in &projection.ingresses {
        for a in &ingress.annotations {
            if a.option != "set_request_headers_secret" {
                continue;
            }
            part.findings.push(Finding {
                version: DOLLAR_RELEASE,
                step: HEADER_SECRET,
                severity: Severity::Note,
                location: Some(a.location),
                message: format!(
                    "the values of the Secret that `{PREFIX}set_request_headers_secret` of {} \
                     names become request headers of the route: from 0.23 a `$` in them starts \
                     a substitution and `$$` is a literal `$`, so double every `$` in that \
                     Secret's values (pomerium-migrate does not edit Secrets an annotation \
                     names)",
                    ingress.display()
                ),
                link: "https://www.pomerium.com/docs/deploy/upgrading#v0230",
            });
        }
    }
}

/// What mapping the chain's result back onto the manifest needs.
#[derive(Clone, Copy)]
struct Back<'a> {
    doc: &'a Document,
    run: &'a runner::FileRun,
    projection: &'a Projection,
    /// The option names the messages speak of.
    options: &'a [&'a str],
    removed: RemovedMode,
}

/// The edits for one annotation's fate; the annotation when the chain renamed or removed it
/// (the target's controller refusal is then the chain's to report).
fn apply_fate(
    back: &Back<'_>,
    piece: &annotations::Piece,
    fate: Fate,
    part: &mut Part,
) -> Option<(usize, usize)> {
    let Back {
        doc,
        run,
        projection,
        options,
        removed,
    } = *back;
    let ingress = projection.ingresses.get(piece.ingress)?;
    let a = ingress.annotations.get(piece.annotation)?;
    let key = (piece.ingress, piece.annotation);
    match fate {
        Fate::Kept {
            path, was, markers, ..
        } => {
            let renamed = path != was;
            if renamed && let Some(new) = path.last() {
                part.edits.push(Edit::RenameKey {
                    entry: a.entry,
                    new_key: format!("{PREFIX}{new}"),
                });
            }
            // The value's text as the chain left it: a new value, or a marker the chain put
            // above a line of it (which the data does not show).
            if let Some(original) = a.text.as_deref()
                && let Some(line) = key_line(run.result(), &path)
            {
                let text =
                    annotations::value_text(run.result().text(), line, original.ends_with('\n'));
                let text = rewrite_marker_lines(&text, projection, options);
                if text != original {
                    part.edits.push(Edit::SetScalar {
                        node: a.value,
                        value: Value::String(text),
                    });
                }
            }
            for text in markers {
                if doc.can_comment_out(a.entry) {
                    part.edits.push(Edit::Annotate {
                        entry: a.entry,
                        text: annotations::rewrite_message(&text, projection, options),
                    });
                }
            }
            renamed.then_some(key)
        }
        Fate::Removed { note, .. } => {
            let comment = removed == RemovedMode::Comment && doc.can_comment_out(a.entry);
            if comment {
                let note = note
                    .map(|n| annotations::rewrite_message(&n, projection, options))
                    .unwrap_or_else(|| {
                        format!(
                            "{} v{}: `{}` is no longer read",
                            marker::TOOL,
                            part.to,
                            a.option
                        )
                    });
                part.edits.push(Edit::CommentOut {
                    entry: a.entry,
                    note,
                });
            } else {
                part.edits.push(Edit::Delete { entry: a.entry });
            }
            Some(key)
        }
    }
}

/// The tool's comment lines in an annotation's text (a marker the chain put above a line of
/// the value) in the Ingress's terms; every other line as it is.
fn rewrite_marker_lines(text: &str, projection: &Projection, options: &[&str]) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let comment = line.trim_start().strip_prefix('#').map(str::trim_start);
            if comment.is_some_and(|c| c.starts_with(marker::TOOL)) {
                annotations::rewrite_message(line, projection, options)
            } else {
                line.to_owned()
            }
        })
        .collect()
}

/// The line of the entry a key path leads to (`["routes", "0", "load_balancing_policy"]`).
fn key_line(doc: &Document, path: &[String]) -> Option<usize> {
    let mut node = doc.root()?;
    let mut line = None;
    for segment in path {
        node = doc.resolve(node);
        if doc.is_sequence(node) {
            node = *doc.items(node).get(segment.parse::<usize>().ok()?)?;
            continue;
        }
        let entry = doc.get(node, segment)?;
        line = Some(doc.location(entry.key_node).line);
        node = entry.value;
    }
    line
}

/// The `Pomerium` resources' fields, and the markers an earlier run left in them.
fn crd_part(doc: &Document, removed: RemovedMode, part: &mut Part) {
    let objects = annotations::objects(doc);
    let markers = marker::scan(doc);
    for object in pomerium_objects(doc) {
        let name = format!(
            "the Pomerium resource `{}`",
            annotations::object_name(doc, object)
        );
        let plan = crd::plan(doc, object, &name, part.to, removed);
        part.edits.extend(plan.edits);
        part.findings.extend(plan.findings);
        let start = doc.location(object).line;
        let end = objects
            .iter()
            .map(|o| doc.location(*o).line)
            .filter(|l| *l > start)
            .min();
        for m in markers.iter().filter(|m| {
            m.state == marker::State::Open
                && m.location.line >= start
                && end.is_none_or(|e| m.location.line < e)
        }) {
            let change = crd::field_changes()
                .iter()
                .find(|c| c.qualified_id() == m.step);
            part.findings.push(Finding {
                version: change.map_or(part.to, |c| c.version),
                step: change.map_or(crate::validate::MARKER, |c| c.id),
                severity: Severity::ActionRequired,
                location: Some(m.location),
                message: format!(
                    "{} [open action marked in the file: once done, delete this comment line; \
                     to keep the entry as it is, write `accepted` instead of `action`]",
                    if m.text.is_empty() {
                        format!("open action of {}", m.step)
                    } else {
                        m.text.clone()
                    }
                ),
                link: crd::LINK,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_image_markers_name_their_release() {
        let v = |minor| Some(Version::new(0, minor));
        assert_eq!(
            marker_release("pomerium-migrate action v0.23/controller-image: the image runs 0.22"),
            v(23)
        );
        assert_eq!(
            marker_release("pomerium-migrate action v0.23/escape-dollar-in-request-headers: x"),
            None
        );
        assert_eq!(
            marker_release("pomerium-migrate accepted v0.23/controller-image"),
            None
        );
        assert_eq!(marker_release("something else"), None);
    }

    #[test]
    fn images_are_retagged_to_the_controller_release_that_embeds_the_patch_release() {
        let retagged = |image, release| retag(image, release);
        // v0.23.1 is the newest controller release whose go.mod requires Pomerium v0.23.0.
        assert_eq!(
            retagged("pomerium/ingress-controller:v0.22.3", "0.23.0").as_deref(),
            Some("pomerium/ingress-controller:v0.23.1")
        );
        assert_eq!(
            retagged("ghcr.io/pomerium/ingress-controller:v0.31.0", "v0.32.1").as_deref(),
            Some("ghcr.io/pomerium/ingress-controller:v0.32.3")
        );
        // No controller release embeds Pomerium v0.32.2; a digest pins the image.
        assert_eq!(
            retagged("pomerium/ingress-controller:v0.31.0", "0.32.2"),
            None
        );
        assert_eq!(
            retagged("pomerium/ingress-controller:v0.22.3@sha256:abc", "0.23.0"),
            None
        );
    }
}
