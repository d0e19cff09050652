//! `ingress.pomerium.io/<option>` annotations on Ingress objects.
//!
//! The controller reads each annotation whose name is a route option as that option's value,
//! written in YAML (`pomerium/proto.go`: YAML → JSON → protobuf). So the release steps apply to
//! them unchanged: each Ingress's route annotations are **projected** into a *virtual config*,
//! one route per Ingress (`routes: - from: https://HOST` then `OPTION:` with the annotation's
//! text indented below it, so every byte of the value is the chain's to edit), the ordinary
//! chain runs on it, and each annotation's fate is **mapped back** by the line of its key:
//!
//! - a renamed option renames the annotation (`lb_policy` → `load_balancing_policy` at 0.32);
//! - a rewritten value rewrites the annotation's text (the `$` of `set_request_headers` at
//!   0.23): the new text is the value's lines as the chain left them, set on the annotation's
//!   scalar, which keeps its style (a block scalar stays one);
//! - a removed option (`allowed_groups` at 0.20) comments the annotation out under the chain's
//!   own note, and the chain's action names the `ingress.pomerium.io/policy` annotation to add.
//!
//! Annotations that are not route options (Secret names, the controller's own switches) are not
//! projected. Every annotation is also checked against the controller release that runs the
//! target ([`super::controller::acceptance`]): one that controller does not accept makes it
//! refuse the whole Ingress, which is an action (`lb_config`, gone at 0.16, has no route option
//! to migrate to).

use std::collections::BTreeMap;

use super::controller::{self, Acceptance, AnnotationKind};
use crate::document::{Document, EntryId, Format, Location, NodeId, Value};
use crate::step::{Finding, Severity};
use crate::validate::marker;
use crate::version::Version;

/// The controller's default annotation prefix (its `--prefix` flag can change it).
pub const PREFIX: &str = "ingress.pomerium.io/";

/// The controller's reference of the annotations.
pub const LINK: &str = "https://www.pomerium.com/docs/deploy/k8s/ingress";

/// The id of findings about annotations the target's controller refuses.
pub const REFUSED_ANNOTATION: &str = "refused-annotation";
/// The id of findings about annotation values that do not read as YAML.
pub const UNREADABLE_ANNOTATION: &str = "unreadable-annotation";

/// The objects of a manifest: the top-level mapping, each mapping of a multi-document stream
/// (a sequence root, one item per document), and the `items` of a `kind: List`.
pub fn objects(doc: &Document) -> Vec<NodeId> {
    let mut out = Vec::new();
    let Some(root) = doc.root() else {
        return out;
    };
    let top: Vec<NodeId> = if doc.is_sequence(root) {
        doc.items(root).iter().map(|n| doc.resolve(*n)).collect()
    } else {
        vec![root]
    };
    for object in top.into_iter().filter(|n| doc.is_mapping(*n)) {
        out.push(object);
        let is_list = doc
            .get(object, "kind")
            .and_then(|e| doc.str(e.value))
            .is_some_and(|k| k == "List" || k.ends_with("List"));
        if is_list && let Some(items) = doc.get(object, "items") {
            out.extend(
                doc.items(doc.resolve(items.value))
                    .iter()
                    .map(|n| doc.resolve(*n))
                    .filter(|n| doc.is_mapping(*n)),
            );
        }
    }
    out
}

/// Whether a mapping is an Ingress (`networking.k8s.io/v1`, the older `v1beta1`s, and
/// `extensions/v1beta1`).
pub fn is_ingress(doc: &Document, object: NodeId) -> bool {
    let text = |key: &str| doc.get(object, key).and_then(|e| doc.str(e.value));
    text("kind") == Some("Ingress")
        && text("apiVersion").is_some_and(|v| {
            matches!(
                v,
                "networking.k8s.io/v1" | "networking.k8s.io/v1beta1" | "extensions/v1beta1"
            )
        })
}

/// `namespace/name` of an object (`name` alone without a namespace; `?` without a name).
pub fn object_name(doc: &Document, object: NodeId) -> String {
    let meta = doc.get(object, "metadata").map(|e| doc.resolve(e.value));
    let text = |key: &str| {
        meta.and_then(|m| doc.get(m, key))
            .and_then(|e| doc.scalar(e.value))
            .and_then(Value::scalar_text)
    };
    match (text("namespace"), text("name")) {
        (Some(ns), Some(name)) => format!("{ns}/{name}"),
        (None, Some(name)) => name,
        (_, None) => "?".to_owned(),
    }
}

/// One `ingress.pomerium.io/…` annotation as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// The name after the prefix.
    pub option: String,
    pub entry: EntryId,
    /// The value node (a string scalar, usually a block scalar for structured values).
    pub value: NodeId,
    /// The annotation's text; `None` when the value is not a scalar (Kubernetes refuses that).
    pub text: Option<String>,
    /// Where the key is written.
    pub location: Location,
    /// The tool's markers (`pomerium-migrate action …` / `… accepted …`, text after `# `) on
    /// the comment lines right above it, with their places.
    pub markers: Vec<(String, Location)>,
    /// For a literal block scalar (`|`), the place of its first content line: its lines are
    /// the value's lines one for one.
    pub literal_start: Option<Location>,
}

/// An Ingress and its Pomerium annotations.
#[derive(Clone, Debug, PartialEq)]
pub struct Ingress {
    pub object: NodeId,
    /// `namespace/name`.
    pub name: String,
    /// The host of its first rule, when it has one.
    pub host: Option<String>,
    pub annotations: Vec<Annotation>,
    /// Open markers in its annotations that sit above no annotation (above one the tool
    /// commented out), with their places.
    pub orphans: Vec<(String, Location)>,
}

impl Ingress {
    /// How messages name it.
    pub fn display(&self) -> String {
        format!("the Ingress `{}`", self.name)
    }
}

/// Every Ingress object of the document, with its `ingress.pomerium.io/` annotations (an
/// Ingress with none is listed too: it is still an Ingress the controller may serve).
pub fn ingresses(doc: &Document) -> Vec<Ingress> {
    let lines: Vec<&str> = doc.text().lines().collect();
    let all_objects = objects(doc);
    let markers = marker::scan(doc);
    all_objects
        .iter()
        .copied()
        .filter(|o| is_ingress(doc, *o))
        .map(|object| {
            let meta = doc.get(object, "metadata").map(|e| doc.resolve(e.value));
            let block = meta.and_then(|m| doc.get(m, "annotations"));
            let annotations: Vec<Annotation> = block
                .as_ref()
                .map(|e| doc.resolve(e.value))
                .map(|map| {
                    doc.entries(map)
                        .into_iter()
                        .filter(|e| e.merged_into.is_none())
                        .filter_map(|e| {
                            let option = e.key.strip_prefix(PREFIX)?;
                            let location = doc.entry_location(e.id);
                            Some(Annotation {
                                option: option.to_owned(),
                                entry: e.id,
                                value: e.value,
                                text: doc.scalar(e.value).and_then(Value::scalar_text),
                                location,
                                markers: markers_above(&lines, location.line),
                                literal_start: literal_start(doc, &lines, e.value),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let orphans = match &block {
                Some(block) => {
                    let start = doc.location(block.key_node).line;
                    let end = region_end(doc, object, &all_objects, start);
                    let used: Vec<usize> = annotations
                        .iter()
                        .flat_map(|a| a.markers.iter().map(|(_, at)| at.line))
                        .collect();
                    markers
                        .iter()
                        .filter(|m| m.state == marker::State::Open)
                        .filter(|m| {
                            start < m.location.line && end.is_none_or(|e| m.location.line < e)
                        })
                        .filter(|m| !used.contains(&m.location.line))
                        .map(|m| {
                            let text = if m.text.is_empty() {
                                format!("{} action {}", marker::TOOL, m.step)
                            } else {
                                format!("{} action {}: {}", marker::TOOL, m.step, m.text)
                            };
                            (text, m.location)
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            let spec = doc.get(object, "spec").map(|e| doc.resolve(e.value));
            let host = spec
                .and_then(|s| doc.get(s, "rules"))
                .and_then(|r| doc.items(doc.resolve(r.value)).first().copied())
                .and_then(|rule| doc.get(doc.resolve(rule), "host"))
                .and_then(|h| doc.str(h.value))
                .map(str::to_owned);
            Ingress {
                object,
                name: object_name(doc, object),
                host,
                annotations,
                orphans,
            }
        })
        .collect()
}

/// The tool's markers on the comment lines right above 1-based `line` (text after `# `), with
/// their places. Any other line ends them: the lines of an entry the tool commented out belong
/// to that entry, and so does the marker above them.
pub fn markers_above(lines: &[&str], line: usize) -> Vec<(String, Location)> {
    let (action, accepted) = (
        format!("{} action ", marker::TOOL),
        format!("{} accepted ", marker::TOOL),
    );
    let mut out = Vec::new();
    let mut at = line.saturating_sub(1);
    while at > 0 {
        let Some(raw) = lines.get(at - 1) else {
            break;
        };
        let text = raw.trim_start();
        let Some(comment) = text.strip_prefix('#').map(str::trim_start) else {
            break;
        };
        if !(comment.starts_with(&action) || comment.starts_with(&accepted)) {
            break;
        }
        out.push((
            comment.to_owned(),
            Location {
                line: at,
                column: raw[..raw.len() - text.len()].chars().count() + 1,
            },
        ));
        at -= 1;
    }
    out.reverse();
    out
}

/// The first line after `start` that belongs to what follows an object's annotations: the
/// next key of `metadata` or of the object, or the next object; `None` at the end of the file.
pub fn region_end(
    doc: &Document,
    object: NodeId,
    all_objects: &[NodeId],
    start: usize,
) -> Option<usize> {
    let mut candidates: Vec<usize> = Vec::new();
    let mut keys_of = |map: NodeId| {
        for e in doc.entries(map) {
            let line = doc.location(e.key_node).line;
            if line > start {
                candidates.push(line);
            }
        }
    };
    keys_of(object);
    if let Some(meta) = doc.get(object, "metadata") {
        keys_of(doc.resolve(meta.value));
    }
    candidates.extend(
        all_objects
            .iter()
            .map(|o| doc.location(*o).line)
            .filter(|l| *l > start),
    );
    candidates.into_iter().min()
}

/// Where the first content line of a literal block scalar is (`None` for any other value).
fn literal_start(doc: &Document, lines: &[&str], value: NodeId) -> Option<Location> {
    let span = doc.span(value);
    let written = doc.text().get(span)?;
    if !written.starts_with('|') {
        return None;
    }
    let line = doc.location(value).line + 1;
    let text = lines.get(line - 1)?;
    let content = text.trim_start_matches(' ');
    Some(Location {
        line,
        column: text.len() - content.len() + 1,
    })
}

/// Indentation of a route's keys and of an option's value lines in the virtual config.
const KEY_INDENT: usize = 4;
const VALUE_INDENT: usize = 6;

/// One annotation placed in the virtual config.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    /// Index into [`Projection::ingresses`].
    pub ingress: usize,
    /// Index into that Ingress's annotations.
    pub annotation: usize,
    /// The 1-based line of `OPTION:` in the virtual config.
    pub virtual_line: usize,
}

/// A virtual line that stands for a place in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineOrigin {
    pub virtual_line: usize,
    pub at: Location,
    /// A line of a literal block scalar's text: columns carry over (less the indentation).
    pub text_line: bool,
}

/// The route annotations of a manifest as a virtual config.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// A Core config with one route per Ingress that has route annotations.
    pub text: String,
    pub ingresses: Vec<Ingress>,
    pub pieces: Vec<Piece>,
    /// How the chain names each projected route (`routes[0] (https://app.example.com)`), and
    /// the Ingress it stands for.
    pub route_names: Vec<(String, usize)>,
    /// Every virtual line that stands for a place in the manifest (annotation keys, the lines
    /// of their values, markers), with that place.
    pub origins: Vec<LineOrigin>,
    /// Annotations whose value could not be projected faithfully, with the reason.
    pub unreadable: Vec<(usize, usize, String)>,
}

impl Projection {
    pub fn annotation(&self, piece: &Piece) -> Option<&Annotation> {
        self.ingresses
            .get(piece.ingress)?
            .annotations
            .get(piece.annotation)
    }
}

/// The data of an annotation's text read as YAML on its own (`Null` for an empty text), as the
/// controller reads it; `Err` with the parser's message when it does not parse.
fn standalone_value(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let doc = Document::parse(text.to_owned(), Format::Yaml).map_err(|e| e.to_string())?;
    Ok(doc.root().map_or(Value::Null, |root| doc.value(root)))
}

/// The lines of an annotation's value as written under its key in the virtual config.
fn indent_value(text: &str) -> String {
    let pad = " ".repeat(VALUE_INDENT);
    let mut out = String::new();
    for line in text.lines() {
        if !line.trim().is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Projects the route annotations of every Ingress into a virtual config. An annotation is
/// projected when its name is a route option for the controller (`annotations.tsv`, kind
/// `route`) and its text reads back from the virtual config as the same data it has on its own
/// (what the controller reads); the others are listed in [`Projection::unreadable`].
pub fn project(doc: &Document) -> Projection {
    let ingresses = ingresses(doc);
    let mut unreadable = Vec::new();
    let mut candidates: Vec<((usize, usize), Value)> = Vec::new();
    for (i, ingress) in ingresses.iter().enumerate() {
        for (k, a) in ingress.annotations.iter().enumerate() {
            if !controller::annotation(&a.option).is_some_and(|r| r.kind == AnnotationKind::Route) {
                continue;
            }
            let Some(value) = a.text.as_deref() else {
                unreadable.push((i, k, "its value is not a string".to_owned()));
                continue;
            };
            match standalone_value(value) {
                Ok(data) => candidates.push(((i, k), data)),
                Err(e) => unreadable.push((i, k, format!("its value does not read as YAML ({e})"))),
            }
        }
    }
    let keys: Vec<(usize, usize)> = candidates.iter().map(|(key, _)| *key).collect();
    let expected: Vec<&Value> = candidates.iter().map(|(_, v)| v).collect();
    let mut projection = project_only(&ingresses, &keys);
    if read_values(&projection.text)
        .is_none_or(|values| values.iter().collect::<Vec<_>>() != expected)
    {
        // Some value reads differently once indented (a document marker, say): try each on its
        // own and leave out those that do.
        let mut keep = Vec::new();
        for (key, data) in &candidates {
            let single = project_only(&ingresses, &[*key]);
            if read_values(&single.text).is_some_and(|v| v.len() == 1 && v[0] == *data) {
                keep.push(*key);
            } else {
                unreadable.push((
                    key.0,
                    key.1,
                    "its value reads differently when written under a route option, so it \
                     cannot be migrated as written"
                        .to_owned(),
                ));
            }
        }
        projection = project_only(&ingresses, &keep);
    }
    projection.unreadable = unreadable;
    projection
}

/// The values of every route option (`from` aside) of a virtual config, in order.
fn read_values(text: &str) -> Option<Vec<Value>> {
    let doc = Document::parse(text.to_owned(), Format::Yaml).ok()?;
    let mut out = Vec::new();
    for selected in doc.select_str("routes[*]") {
        for entry in doc.entries(selected.node) {
            if entry.key != "from" {
                out.push(doc.value(entry.value));
            }
        }
    }
    Some(out)
}

/// A host as the `from` URL can carry it (no wildcard, no characters a URL would escape).
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

/// The projection of exactly the annotations `keep` (`(ingress, annotation)` pairs), in the
/// manifest's order, with the markers above them and each Ingress's orphan markers (at the end
/// of its route) as comment lines.
fn project_only(ingresses: &[Ingress], keep: &[(usize, usize)]) -> Projection {
    let mut text = String::from("routes:\n");
    let mut line = 1;
    let mut pieces = Vec::new();
    let mut route_names = Vec::new();
    let mut origins = Vec::new();
    let key_pad = " ".repeat(KEY_INDENT);
    for (i, ingress) in ingresses.iter().enumerate() {
        let mine: Vec<usize> = keep
            .iter()
            .filter(|(ii, _)| *ii == i)
            .map(|(_, k)| *k)
            .collect();
        if mine.is_empty() && ingress.orphans.is_empty() {
            continue;
        }
        let index = route_names.len();
        let from = match &ingress.host {
            Some(host) if is_plain_host(host) => format!("https://{host}"),
            _ => format!("https://ingress-{index}.invalid"),
        };
        route_names.push((format!("routes[{index}] ({from})"), i));
        text.push_str(&format!("  - from: {from}\n"));
        line += 1;
        for k in mine {
            let Some(a) = ingress.annotations.get(k) else {
                continue;
            };
            for (marker, at) in &a.markers {
                text.push_str(&format!("{key_pad}# {marker}\n"));
                line += 1;
                origins.push(LineOrigin {
                    virtual_line: line,
                    at: *at,
                    text_line: false,
                });
            }
            text.push_str(&format!("{key_pad}{}:\n", a.option));
            line += 1;
            origins.push(LineOrigin {
                virtual_line: line,
                at: a.location,
                text_line: false,
            });
            pieces.push(Piece {
                ingress: i,
                annotation: k,
                virtual_line: line,
            });
            let value = indent_value(a.text.as_deref().unwrap_or_default());
            for j in 0..value.lines().count() {
                line += 1;
                origins.push(match a.literal_start {
                    Some(start) => LineOrigin {
                        virtual_line: line,
                        at: Location {
                            line: start.line + j,
                            column: start.column,
                        },
                        text_line: true,
                    },
                    None => LineOrigin {
                        virtual_line: line,
                        at: a.location,
                        text_line: false,
                    },
                });
            }
            text.push_str(&value);
        }
        for (marker, at) in &ingress.orphans {
            text.push_str(&format!("{key_pad}# {marker}\n"));
            line += 1;
            origins.push(LineOrigin {
                virtual_line: line,
                at: *at,
                text_line: false,
            });
        }
    }
    Projection {
        text,
        ingresses: ingresses.to_vec(),
        pieces,
        route_names,
        origins,
        unreadable: Vec::new(),
    }
}

/// Where a finding at `at` in the virtual config belongs in the manifest: the annotation (or
/// marker) whose line it is on, at the same place within a literal block scalar's lines. `None`
/// for a line the projection wrote itself (`routes:`, `from:`): what the chain says of those
/// concerns the virtual frame, not the manifest.
pub fn relocate(projection: &Projection, at: Location) -> Option<Location> {
    let origin = projection
        .origins
        .iter()
        .find(|o| o.virtual_line == at.line)?;
    let column = if origin.text_line && at.column > VALUE_INDENT {
        origin.at.column + at.column - VALUE_INDENT - 1
    } else {
        origin.at.column
    };
    Some(Location {
        line: origin.at.line,
        column,
    })
}

/// The text of the value written below the key at 1-based `key_line` of a virtual config (as
/// the chain left it): the following lines that are blank or indented as a value, with the
/// value indentation removed, trailing blank lines dropped, and a final line break when
/// `final_newline`.
pub fn value_text(virtual_text: &str, key_line: usize, final_newline: bool) -> String {
    let mut lines: Vec<&str> = virtual_text
        .lines()
        .skip(key_line)
        .take_while(|l| l.trim().is_empty() || indent(l) >= VALUE_INDENT)
        .map(|l| l.get(VALUE_INDENT..).unwrap_or(""))
        .collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let mut out = lines.join("\n");
    if final_newline && !out.is_empty() {
        out.push('\n');
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Rewrites a message of the chain about the virtual config into the Ingress's terms: route
/// names become the Ingress, option names in backquotes their annotation, and a proposed
/// `policy:` block the `ingress.pomerium.io/policy` annotation holding it.
pub fn rewrite_message(message: &str, projection: &Projection, options: &[&str]) -> String {
    let mut out = message.to_owned();
    for (route, ingress) in &projection.route_names {
        if let Some(ingress) = projection.ingresses.get(*ingress) {
            out = out.replace(route.as_str(), &ingress.display());
        }
    }
    for option in options {
        out = out.replace(&format!("`{option}`"), &format!("`{PREFIX}{option}`"));
    }
    // The route the steps speak of is the Ingress.
    for (route, ingress) in [
        ("each of these routes", "each of these Ingresses"),
        ("this policy to the route", "this annotation to the Ingress"),
        (
            "this policy to each of these Ingresses",
            "this annotation to each of these Ingresses",
        ),
        (" the route", " the Ingress"),
        (" this route", " this Ingress"),
    ] {
        out = out.replace(route, ingress);
    }
    // The policy the v0.20 step proposes, as the annotation that holds it: the lines below
    // `policy:` are indented, so they read as the block scalar's text.
    out.replace("\npolicy:\n", &format!("\n{PREFIX}policy: |\n"))
}

/// What the controller that runs the target says of each annotation: an action for every one
/// it does not accept (it refuses the whole Ingress), except those `handled` (annotations the
/// chain already renamed or removed, by `(ingress, annotation)`).
pub fn refused(
    projection: &Projection,
    to: Version,
    handled: &[(usize, usize)],
) -> Vec<(usize, usize, Finding)> {
    let mut out = Vec::new();
    for (i, ingress) in projection.ingresses.iter().enumerate() {
        for (k, a) in ingress.annotations.iter().enumerate() {
            if handled.contains(&(i, k)) {
                continue;
            }
            let name = format!("`{PREFIX}{}` of {}", a.option, ingress.display());
            let refusal = "so the controller refuses the whole Ingress";
            let message = match controller::acceptance(&a.option, to) {
                Acceptance::Accepted | Acceptance::NoController => continue,
                Acceptance::Gone {
                    annotation,
                    controller,
                } => format!(
                    "{name}: ingress-controller {controller}, which runs Pomerium {to}, no longer \
                     accepts it (gone since {}), {refusal}{}",
                    annotation.gone.map(|g| g.to_string()).unwrap_or_default(),
                    gone_advice(&a.option, to)
                ),
                Acceptance::NotYet {
                    annotation,
                    controller,
                } => format!(
                    "{name}: accepted from ingress-controller {} only; {controller}, which runs \
                     Pomerium {to}, does not know it, {refusal}: remove it or upgrade further",
                    annotation.first
                ),
                Acceptance::Unknown { controller } => {
                    let mut m = format!(
                        "{name}: no controller release accepts this annotation \
                         (`unknown {PREFIX}{}` from {controller}), {refusal}",
                        a.option
                    );
                    if let Some(near) = did_you_mean(&a.option) {
                        m.push_str(&format!("; did you mean `{PREFIX}{near}`?"));
                    }
                    m
                }
            };
            out.push((
                i,
                k,
                Finding {
                    version: to,
                    step: REFUSED_ANNOTATION,
                    severity: Severity::ActionRequired,
                    location: Some(a.location),
                    message,
                    link: LINK,
                },
            ));
        }
    }
    out
}

/// What to do instead of an annotation the controller dropped.
fn gone_advice(option: &str, to: Version) -> String {
    let policy = if to >= Version::new(0, 32) {
        format!(
            "`{PREFIX}load_balancing_policy` (the policy's own settings are no longer \
             configurable from 0.32)"
        )
    } else {
        format!(
            "`{PREFIX}lb_policy`, and its settings with `{PREFIX}least_request_lb_config`, \
             `{PREFIX}ring_hash_lb_config` or `{PREFIX}maglev_lb_config`"
        )
    };
    match option {
        // ingress-controller commit 068a5f9 (#122) replaced it by the fields of the Envoy
        // cluster's `lb_config` choice, which v0.32.0 (commit b7c47dc) narrowed to
        // `load_balancing_policy`.
        "lb_config" => format!(
            ": `lb_config` named Envoy's choice of load-balancer settings, not a setting; set the \
             policy with {policy}, or remove the annotation"
        ),
        _ => ": remove it, or write what it did in the annotations the release accepts".to_owned(),
    }
}

/// The annotation name nearest to a misspelt one, when one is near.
fn did_you_mean(option: &str) -> Option<&'static str> {
    controller::annotations()
        .iter()
        .map(|a| (strsim::jaro_winkler(option, a.name), a.name))
        .filter(|(score, _)| *score >= 0.9)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

/// The annotations of each projected Ingress, by option name, for [`rewrite_message`].
pub fn projected_options(projection: &Projection) -> BTreeMap<usize, Vec<&str>> {
    let mut out: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for piece in &projection.pieces {
        if let Some(a) = projection.annotation(piece) {
            out.entry(piece.ingress)
                .or_default()
                .push(a.option.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(d) => d,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: \
                           app\n  namespace: web\n  annotations:\n    kubernetes.io/ingress.class: \
                           pomerium\n    ingress.pomerium.io/lb_policy: ROUND_ROBIN\n    \
                           ingress.pomerium.io/set_request_headers: |\n      X-Price: \"$5\"\n      \
                           X-Plain: ok\n    ingress.pomerium.io/tls_client_secret: app-client\n    \
                           ingress.pomerium.io/allowed_groups: '[admins, \"staff\"]'\nspec:\n  \
                           rules:\n    - host: app.example.com\n";

    #[test]
    fn ingress_annotations_are_found_with_their_names_and_texts() {
        let d = doc(INGRESS);
        let found = ingresses(&d);
        assert_eq!(found.len(), 1);
        let ingress = &found[0];
        assert_eq!(ingress.name, "web/app");
        assert_eq!(ingress.host.as_deref(), Some("app.example.com"));
        let names: Vec<&str> = ingress
            .annotations
            .iter()
            .map(|a| a.option.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "lb_policy",
                "set_request_headers",
                "tls_client_secret",
                "allowed_groups"
            ]
        );
        assert_eq!(
            ingress.annotations[1].text.as_deref(),
            Some("X-Price: \"$5\"\nX-Plain: ok\n")
        );
        assert_eq!(ingress.annotations[0].location.line, 8);
    }

    #[test]
    fn route_annotations_are_projected_one_route_per_ingress() {
        let p = project(&doc(INGRESS));
        assert_eq!(
            p.text,
            "routes:\n  - from: https://app.example.com\n    lb_policy:\n      ROUND_ROBIN\n    \
             set_request_headers:\n      X-Price: \"$5\"\n      X-Plain: ok\n    \
             allowed_groups:\n      [admins, \"staff\"]\n"
        );
        let lines: Vec<usize> = p.pieces.iter().map(|p| p.virtual_line).collect();
        assert_eq!(lines, [3, 5, 8]);
        for piece in &p.pieces {
            let line = p
                .text
                .lines()
                .nth(piece.virtual_line - 1)
                .unwrap_or_default();
            let option = p.annotation(piece).map(|a| a.option.clone());
            assert_eq!(Some(line.trim().trim_end_matches(':').to_owned()), option);
        }
        assert_eq!(
            p.route_names,
            [("routes[0] (https://app.example.com)".to_owned(), 0)]
        );
        assert!(p.unreadable.is_empty(), "{:?}", p.unreadable);
        // The values read back as the annotations' own YAML.
        assert_eq!(
            value_text(&p.text, 5, true),
            "X-Price: \"$5\"\nX-Plain: ok\n"
        );
        assert_eq!(value_text(&p.text, 3, false), "ROUND_ROBIN");
    }

    #[test]
    fn values_that_do_not_read_as_yaml_are_not_projected() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  \
                    annotations:\n    ingress.pomerium.io/timeout: '[unclosed'\n    \
                    ingress.pomerium.io/idle_timeout: 5m\n";
        let p = project(&doc(text));
        assert_eq!(p.pieces.len(), 1);
        assert_eq!(p.unreadable.len(), 1);
        assert_eq!(p.unreadable[0].1, 0);
        assert_eq!(
            p.text,
            "routes:\n  - from: https://ingress-0.invalid\n    idle_timeout:\n      5m\n"
        );
    }

    #[test]
    fn other_objects_and_foreign_annotations_are_left_out() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    \
                    ingress.pomerium.io/timeout: 5s\n";
        assert!(ingresses(&doc(text)).is_empty());
        assert_eq!(project(&doc(text)).text, "routes:\n");
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  \
                    annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /\n";
        let found = ingresses(&doc(text));
        assert_eq!(found.len(), 1);
        assert!(found[0].annotations.is_empty());
    }

    #[test]
    fn messages_name_the_ingress_and_its_annotations() {
        let p = project(&doc(INGRESS));
        let message = "routes[0] (https://app.example.com) allowed the groups below. Add this \
                       policy:\npolicy:\n  - allow:\n      or:\n        - claim/groups: admins\n\
                       `allowed_groups` is gone";
        let out = rewrite_message(message, &p, &["allowed_groups"]);
        assert_eq!(
            out,
            "the Ingress `web/app` allowed the groups below. Add this policy:\n\
             ingress.pomerium.io/policy: |\n  - allow:\n      or:\n        - claim/groups: \
             admins\n`ingress.pomerium.io/allowed_groups` is gone"
        );
        // The proposed annotation is YAML that holds the policy as its text.
        let start = out.find("ingress.pomerium.io/policy").unwrap_or_default();
        let end = out.find("\n`").unwrap_or(out.len());
        let proposal = doc(&out[start..end]);
        let text = proposal
            .top("ingress.pomerium.io/policy")
            .and_then(|e| proposal.str(e.value).map(str::to_owned));
        assert_eq!(
            text.as_deref(),
            Some("- allow:\n    or:\n      - claim/groups: admins\n")
        );
    }

    #[test]
    fn the_target_controller_refuses_what_it_does_not_accept() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  \
                    annotations:\n    ingress.pomerium.io/lb_config: x\n    \
                    ingress.pomerium.io/load_balancing_policy: maglev\n    \
                    ingress.pomerium.io/set_request_header: x\n    \
                    ingress.pomerium.io/timeout: 5s\n";
        let p = project(&doc(text));
        let found = refused(&p, Version::new(0, 16), &[]);
        let what: Vec<(usize, &str)> = found
            .iter()
            .map(|(_, k, f)| (*k, f.message.as_str()))
            .collect();
        assert_eq!(found.len(), 3, "{what:?}");
        assert!(
            what[0]
                .1
                .contains("v0.16.1, which runs Pomerium 0.16, no longer accepts it")
        );
        assert!(
            what[0]
                .1
                .contains("`ingress.pomerium.io/lb_policy`, and its settings")
        );
        assert!(
            what[1]
                .1
                .contains("accepted from ingress-controller v0.32.0 only")
        );
        assert!(
            what[2]
                .1
                .contains("did you mean `ingress.pomerium.io/set_request_headers`?")
        );
        // At 0.32 the load-balancing advice names the new option, and what the chain handled
        // is left to it.
        let found = refused(&p, Version::new(0, 32), &[(0, 2)]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .2
                .message
                .contains("`ingress.pomerium.io/load_balancing_policy`")
        );
        // Before the first controller release, nothing is checked.
        assert!(refused(&p, Version::new(0, 14), &[]).is_empty());
    }

    #[test]
    fn findings_move_to_the_annotation_and_into_its_block_scalar() {
        let p = project(&doc(INGRESS));
        let at = |line, column| Location { line, column };
        // `set_request_headers:` (virtual 5) is the annotation's key at 9:5.
        assert_eq!(relocate(&p, at(5, 5)), Some(at(9, 5)));
        // `X-Price: "$5"` is virtual line 6, the block scalar's first line (10:7); a column
        // within it carries over.
        assert_eq!(relocate(&p, at(6, 7)), Some(at(10, 7)));
        assert_eq!(relocate(&p, at(6, 16)), Some(at(10, 16)));
        // A flow value on one line: the annotation's key.
        assert_eq!(relocate(&p, at(9, 7)), Some(at(13, 5)));
        // The frame: no place in the manifest.
        assert_eq!(relocate(&p, at(1, 1)), None);
        assert_eq!(relocate(&p, at(2, 5)), None);
    }

    #[test]
    fn markers_are_projected_above_their_annotation_and_orphans_after_the_route() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  \
                    annotations:\n    # pomerium-migrate action v0.20/allowed-groups-removed: \
                    removed\n    # ingress.pomerium.io/allowed_groups: admins\n    # \
                    pomerium-migrate accepted v0.23/escape-dollar-in-request-headers: kept\n    \
                    ingress.pomerium.io/set_request_headers: '{X: \"%A%\"}'\nspec: {}\n";
        let p = project(&doc(text));
        assert_eq!(
            p.text,
            "routes:\n  - from: https://ingress-0.invalid\n    # pomerium-migrate accepted \
             v0.23/escape-dollar-in-request-headers: kept\n    set_request_headers:\n      \
             {X: \"%A%\"}\n    # pomerium-migrate action v0.20/allowed-groups-removed: \
             removed\n"
        );
        let at = |line, column| Location { line, column };
        assert_eq!(relocate(&p, at(3, 5)), Some(at(8, 5)));
        assert_eq!(relocate(&p, at(6, 5)), Some(at(6, 5)));
        // An Ingress with only an orphan marker still gets a route, so the marker is read.
        let text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: a\n  \
                    annotations:\n    # pomerium-migrate action v0.20/allowed-groups-removed: \
                    x\n    # ingress.pomerium.io/allowed_groups: admins\n    \
                    kubernetes.io/ingress.class: pomerium\n";
        let p = project(&doc(text));
        assert!(p.pieces.is_empty());
        assert!(
            p.text
                .ends_with("    # pomerium-migrate action v0.20/allowed-groups-removed: x\n")
        );
    }
}
