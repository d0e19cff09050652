//! Action markers: the comment lines through which an action that `apply` leaves in a YAML or
//! TOML file stays visible to later runs.
//!
//! A step's `action-required` finding is located at some entry. When the step runs, the entry
//! gets a comment line above it (through [`Edit::Annotate`], verified like every edit):
//!
//! ```text
//! # pomerium-migrate action v0.24/redis-storage-removed: Redis databroker storage was removed …
//! databroker_storage_type: redis
//! ```
//!
//! An entry the step comments out carries the marker in its note line instead
//! (`# pomerium-migrate action v0.20/allowed-groups-removed: …` above the `# allowed_groups:`
//! lines). Every run reports each marker of its input as an open action at the marker's line
//! ([`scan`]). Deleting the marker closes the action; writing `accepted` instead of `action`
//! (`# pomerium-migrate accepted v0.23/escape-dollar-in-request-headers`) keeps the entry as it
//! is by choice: the marker no longer counts, and the step's own finding there becomes a note.
//!
//! JSON has no comments, and `--removed delete` removes the entry: such actions leave no marker
//! ([`Placement::untraced`]); the runner says so in the finding.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::document::{Document, Edit, EntryId, Location, NodeId, NodeKind};
use crate::step::{Finding, Severity, Step};

/// The word every marker starts with.
pub const TOOL: &str = "pomerium-migrate";

/// What a marker says about its action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Still to do.
    Open,
    /// Kept as it is by choice.
    Accepted,
}

/// A marker found in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub state: State,
    /// `v0.24/redis-storage-removed`, as written.
    pub step: String,
    /// The text after the step id (the action as the step described it), trimmed.
    pub text: String,
    /// Where the comment's `#` is.
    pub location: Location,
    /// The first line below the marker that is neither blank nor a comment: the entry it
    /// belongs to (`None` at the end of the file).
    pub attached_line: Option<usize>,
}

/// The comment text (without `# `) of a marker for an action of `step`.
pub fn action_text(step: &Step, message: &str) -> String {
    let message: Vec<&str> = message.split_whitespace().collect();
    format!(
        "{TOOL} action {}: {}",
        step.qualified_id(),
        message.join(" ")
    )
}

/// A comment-out note (`pomerium-migrate v0.20: …`) turned into the marker of an action.
pub fn note_as_marker(step: &Step, note: &str) -> String {
    let prefix = format!("{TOOL} v{}: ", step.version);
    action_text(step, note.strip_prefix(&prefix).unwrap_or(note))
}

/// Reads a comment's text (after `#`) as a marker: `pomerium-migrate action|accepted ID[: text]`.
fn parse_comment(comment: &str) -> Option<(State, String, String)> {
    let rest = comment.trim_start().strip_prefix(TOOL)?;
    let rest = rest.strip_prefix(' ')?.trim_start();
    let (state, rest) = if let Some(r) = rest.strip_prefix("action") {
        (State::Open, r)
    } else if let Some(r) = rest.strip_prefix("accepted") {
        (State::Accepted, r)
    } else {
        return None;
    };
    let rest = rest.strip_prefix([' ', '\t'])?.trim_start();
    let id_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_')))
        .unwrap_or(rest.len());
    let id = rest[..id_end].trim_end_matches('.');
    if !id.starts_with('v') || !id.contains('/') {
        return None;
    }
    let text = rest[id.len()..].trim_start_matches(':').trim().to_owned();
    Some((state, id.to_owned(), text))
}

/// Every marker of a YAML or TOML document, in line order. Lines inside a scalar (a block
/// scalar or a multi-line string holding `# pomerium-migrate …`) are text, not comments.
pub fn scan(doc: &Document) -> Vec<Marker> {
    if doc.format() == crate::document::Format::Json {
        return Vec::new();
    }
    let text = doc.text();
    if !text.contains(TOOL) {
        return Vec::new();
    }
    let scalars = multiline_scalars(doc);
    let lines: Vec<(usize, &str)> = line_starts(text);
    let mut out = Vec::new();
    for (n, &(start, line)) in lines.iter().enumerate() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        let Some(comment) = trimmed.strip_prefix('#') else {
            continue;
        };
        let Some((state, step, body)) = parse_comment(comment) else {
            continue;
        };
        // The ranges are disjoint and in text order: only the last one starting before this
        // line can hold it.
        let before = scalars.partition_point(|r| r.start < start);
        if before > 0 && start < scalars[before - 1].end {
            continue;
        }
        let attached_line = lines[n + 1..]
            .iter()
            .position(|(_, l)| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#')
            })
            .map(|k| n + 1 + k + 1);
        let column = line[..line.len() - trimmed.len()].chars().count() + 1;
        out.push(Marker {
            state,
            step,
            text: body,
            location: Location {
                line: n + 1,
                column,
            },
            attached_line,
        });
    }
    out
}

/// `(offset, line without its break)` for every line of `text`.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        out.push((at, line.trim_end_matches(['\n', '\r'])));
        at += line.len();
    }
    out
}

/// The byte ranges of scalars written over several lines, in text order (a walk of the tree
/// meets nodes in the order they are written; ranges never overlap).
fn multiline_scalars(doc: &Document) -> Vec<Range<usize>> {
    fn walk(doc: &Document, node: NodeId, out: &mut Vec<Range<usize>>, depth: usize) {
        if depth > 64 || doc.resolve(node) != node {
            return;
        }
        match &doc.node(node).kind {
            NodeKind::Scalar(_) => {
                let span = doc.span(node);
                if doc
                    .text()
                    .get(span.clone())
                    .is_some_and(|s| s.contains('\n'))
                {
                    out.push(span);
                }
            }
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    walk(doc, entry.key_node, out, depth + 1);
                    walk(doc, entry.value, out, depth + 1);
                }
            }
            NodeKind::Sequence(items) => {
                for item in items {
                    walk(doc, *item, out, depth + 1);
                }
            }
            NodeKind::Alias(_) => {}
        }
    }
    let mut out = Vec::new();
    if let Some(root) = doc.root() {
        walk(doc, root, &mut out, 0);
    }
    out
}

/// The open markers of `doc` as action findings, at the marker's line. `steps` names the
/// steps a marker may refer to (for its version, id and link).
pub fn findings(markers: &[Marker], steps: &[&'static Step], fallback: Finding) -> Vec<Finding> {
    markers
        .iter()
        .filter(|m| m.state == State::Open)
        .map(|m| {
            let step = steps.iter().find(|s| s.qualified_id() == m.step);
            let what = if m.text.is_empty() {
                format!("open action of {}", m.step)
            } else {
                m.text.clone()
            };
            Finding {
                version: step.map_or(fallback.version, |s| s.version),
                step: step.map_or(fallback.step, |s| s.id),
                severity: Severity::ActionRequired,
                location: Some(m.location),
                message: format!(
                    "{what} [open action marked in the file: once done, delete this comment \
                     line; to keep the entry as it is, write `accepted` instead of `action`]"
                ),
                link: step.map_or(fallback.link, |s| s.link),
            }
        })
        .collect()
}

/// The entries that enclose `at`, outermost first: each entry whose key starts at or before
/// `at` and whose value ends after it. Aliases are not followed.
pub fn entries_at(doc: &Document, at: Location) -> Vec<EntryId> {
    entries_at_offset(doc, offset_of(doc.text(), &line_offsets(doc.text()), at))
}

/// [`entries_at`] at a byte offset.
fn entries_at_offset(doc: &Document, offset: usize) -> Vec<EntryId> {
    let mut chain = Vec::new();
    if let Some(root) = doc.root() {
        walk(doc, root, offset, &mut chain, 0);
    }
    chain
}

fn walk(doc: &Document, node: NodeId, offset: usize, chain: &mut Vec<EntryId>, depth: usize) {
    if depth > 32 || doc.resolve(node) != node {
        return;
    }
    match &doc.node(node).kind {
        NodeKind::Mapping(_) => {
            for entry in doc.entries(node) {
                if entry.merged_into.is_some() {
                    continue;
                }
                let start = doc.span(entry.key_node).start;
                let end = doc.span(entry.value).end.max(doc.span(entry.key_node).end);
                if start <= offset && offset <= end {
                    chain.push(entry.id);
                    walk(doc, entry.value, offset, chain, depth + 1);
                    return;
                }
            }
        }
        NodeKind::Sequence(items) => {
            // Items are written in order, so their starts and their ends both grow: the first
            // item with `start <= offset <= end` is the first whose end reaches `offset`, if it
            // starts at or before it (a binary search: a list of routes is long).
            let first = items.partition_point(|item| doc.span(*item).end < offset);
            if let Some(item) = items.get(first)
                && doc.span(*item).start <= offset
            {
                walk(doc, *item, offset, chain, depth + 1);
            }
        }
        NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
    }
}

/// The byte offset where each line of `text` starts.
fn line_offsets(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(k, _)| k + 1))
        .collect()
}

/// The byte offset of a 1-based line and character column in `text` (clamped to the text);
/// `lines` is [`line_offsets`] of `text`.
fn offset_of(text: &str, lines: &[usize], at: Location) -> usize {
    let Some(&start) = lines.get(at.line.max(1) - 1) else {
        return text.len();
    };
    let line_end = text[start..].find('\n').map_or(text.len(), |k| start + k);
    text[start..line_end]
        .char_indices()
        .nth(at.column.saturating_sub(1))
        .map_or(line_end, |(k, _)| start + k)
}

/// Where the marker of each action of one step run goes.
#[derive(Debug, Default)]
pub struct Placement {
    /// The step's edits with markers added (comment-out notes rewritten, annotations added).
    pub edits: Vec<Edit>,
    /// Indices into the step's findings of the actions marked by an [`Edit::Annotate`] (which
    /// [`crate::step::run_step`] drops again if the engine refuses it).
    pub annotated: Vec<usize>,
    /// Indices into the step's findings of actions that leave no marker.
    pub untraced: Vec<usize>,
}

/// Adds a marker for each action finding of a step to its edits. An action whose entry the
/// step comments out is marked by that entry's note; one at an entry that stays gets an
/// annotation (unless the same step's marker is already above it); one that has no entry, or
/// whose entry is deleted or cannot take a comment (JSON, flow collections), is untraced.
pub fn place(doc: &Document, step: &Step, findings: &[Finding], edits: &[Edit]) -> Placement {
    let mut out = Placement {
        edits: edits.to_vec(),
        ..Placement::default()
    };
    if !findings
        .iter()
        .any(|f| f.severity == Severity::ActionRequired)
    {
        return out;
    }
    let id = step.qualified_id();
    // The lines this step's markers are already attached to.
    let existing: HashSet<usize> = scan(doc)
        .into_iter()
        .filter(|m| m.step == id)
        .filter_map(|m| m.attached_line)
        .collect();
    let lines = line_offsets(doc.text());
    // The first edit that removes each entry.
    let mut removals: HashMap<EntryId, usize> = HashMap::new();
    for (k, edit) in edits.iter().enumerate() {
        if let Edit::CommentOut { entry, .. } | Edit::Delete { entry } = edit {
            removals.entry(*entry).or_insert(k);
        }
    }
    let mut marked: HashSet<EntryId> = HashSet::new();
    for (i, finding) in findings.iter().enumerate() {
        if finding.severity != Severity::ActionRequired {
            continue;
        }
        let Some(at) = finding.location else {
            out.untraced.push(i);
            continue;
        };
        let chain = entries_at_offset(doc, offset_of(doc.text(), &lines, at));
        if chain.is_empty() {
            out.untraced.push(i);
            continue;
        }
        // The outermost entry the step removes decides: its note, or no trace at all.
        let removed = chain.iter().find_map(|e| removals.get(e).copied());
        if let Some(k) = removed {
            match &mut out.edits[k] {
                Edit::CommentOut { note, .. } => {
                    if !note.starts_with(&format!("{TOOL} action ")) {
                        *note = note_as_marker(step, note);
                    }
                }
                _ => out.untraced.push(i),
            }
            continue;
        }
        let Some(&entry) = chain.last() else {
            out.untraced.push(i);
            continue;
        };
        if marked.contains(&entry) {
            continue;
        }
        let line = doc
            .location(doc.entry(entry).map_or(entry.map, |e| e.key_node))
            .line;
        let entry_line = line_of_entry(doc, entry).unwrap_or(line);
        if existing.contains(&entry_line) {
            marked.insert(entry);
            continue;
        }
        if !doc.can_comment_out(entry) {
            out.untraced.push(i);
            continue;
        }
        out.edits.push(Edit::Annotate {
            entry,
            text: action_text(step, &finding.message),
        });
        out.annotated.push(i);
        marked.insert(entry);
    }
    out
}

/// The line an entry's text starts on (the line a comment above it precedes).
fn line_of_entry(doc: &Document, entry: EntryId) -> Option<usize> {
    let e = doc.entry(entry)?;
    Some(doc.location(e.key_node).line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    fn yaml(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(doc) => doc,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    #[test]
    fn markers_are_read_from_comments_only() {
        let doc = yaml(
            "# pomerium-migrate action v0.24/redis-storage-removed: move to postgres\n\
             databroker_storage_type: redis\n\
             text: |\n  # pomerium-migrate action v0.20/x: inside a scalar\n\
             # pomerium-migrate accepted v0.23/escape-dollar-in-request-headers\n\
             \n\
             a: 1\n\
             # pomerium-migrate v0.25: removed; an ordinary comment-out note\n\
             # pomerium_debug: true\n",
        );
        let found = scan(&doc);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].state, State::Open);
        assert_eq!(found[0].step, "v0.24/redis-storage-removed");
        assert_eq!(found[0].text, "move to postgres");
        assert_eq!(found[0].location, Location { line: 1, column: 1 });
        assert_eq!(found[0].attached_line, Some(2));
        assert_eq!(found[1].state, State::Accepted);
        assert_eq!(found[1].location, Location { line: 5, column: 1 });
        assert_eq!(found[1].attached_line, Some(7));
    }

    #[test]
    fn entries_enclosing_a_location_are_found() {
        let doc = yaml("a: 1\nroutes:\n  - from: x\n    set: {b: 2}\n");
        let keys = |at| -> Vec<String> {
            entries_at(&doc, at)
                .iter()
                .filter_map(|e| doc.entry(*e))
                .map(|e| e.key.to_string())
                .collect()
        };
        assert_eq!(keys(Location { line: 1, column: 1 }), ["a"]);
        assert_eq!(
            keys(Location {
                line: 4,
                column: 11
            }),
            ["routes", "set", "b"]
        );
        assert_eq!(keys(Location { line: 3, column: 5 }), ["routes", "from"]);
    }
}
