//! The *virtual config*: how every surface reuses the one chain.
//!
//! A surface holds pieces of a Pomerium config in a foreign shape (environment variables,
//! annotations, a subtree of Helm values). To migrate them:
//!
//! 1. **Project** the pieces into an ordinary YAML config text, recording the virtual line each
//!    piece is written on ([`VirtualText`] for any shape, [`project`] for flat and dotted keys).
//!    Comments that belong to a piece (its action markers, `# pomerium-migrate action …`) are
//!    projected above it, so the chain reads them as it reads a config's.
//! 2. **Run the chain** on that text ([`run_virtual`]): [`runner::prepare`] and
//!    [`runner::migrate_one`] with kind, format and versions forced and `--removed comment`,
//!    giving an ordinary [`FileRun`] — steps, verification, validation at the target, markers.
//! 3. **Map back** by line identity ([`fates`]): the forward line map of the virtual input to
//!    its result tells where each piece's line went, and the entry now on that line gives the
//!    piece's [`Fate`]: kept (perhaps with a new value, perhaps under a new key) or removed.
//!    Findings on a virtual line move to the line of the piece in the surface file
//!    ([`relocate_findings`]).
//! 4. The surface then edits its own file through the [`crate::document::Document`] API
//!    (`RenameKey`, `SetScalar`, `CommentOut`, `Annotate`, …), verified like any config.
//!
//! The contract for a caller: every virtual line it wants findings on (pieces and their
//! comment lines) gets an origin in the surface file; a piece's line holds exactly one entry
//! key (nested pieces are written as `parent:` then `  child: value`, the child on the piece's
//! line).

use crate::document::{Document, Location, NodeId, NodeKind, Value};
use crate::runner::{self, FileRun, Input, RunConfig, RunError, Source};
use crate::step::{FileKind, Finding, RemovedMode};
use crate::version::Version;

use crate::runner::locate::ForwardMap;

/// A virtual config text being written line by line.
#[derive(Debug, Default)]
pub struct VirtualText {
    text: String,
    lines: usize,
}

impl VirtualText {
    pub fn new() -> VirtualText {
        VirtualText::default()
    }

    /// Appends one line (without its line end) and returns its 1-based number.
    pub fn push_line(&mut self, line: &str) -> usize {
        self.text.push_str(line);
        self.text.push('\n');
        self.lines += 1;
        self.lines
    }

    pub fn into_text(self) -> String {
        self.text
    }
}

/// One flat piece to project: a dotted key path, its value as a YAML scalar
/// ([`yaml_scalar`]), and comment lines (text after `# `) to write above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualEntry {
    /// `["idp_service_account"]`, or `["downstream_mtls", "ca"]` for a nested key.
    pub path: Vec<String>,
    pub value: String,
    pub comments: Vec<String>,
}

/// Where [`project`] wrote each entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    pub text: String,
    /// Per entry (index for index), its key's line.
    pub lines: Vec<usize>,
    /// Per entry, the lines of its comments.
    pub comment_lines: Vec<Vec<usize>>,
}

/// Writes flat and dotted entries as a YAML mapping: entries sharing a first key are grouped
/// under it (in the order the first of them came), each entry on a line of its own.
pub fn project(entries: &[VirtualEntry]) -> Projection {
    let mut text = VirtualText::new();
    let mut lines = vec![0; entries.len()];
    let mut comment_lines = vec![Vec::new(); entries.len()];
    let mut done = vec![false; entries.len()];
    for i in 0..entries.len() {
        if done[i] {
            continue;
        }
        let head = entries[i].path.first().cloned().unwrap_or_default();
        if entries[i].path.len() <= 1 {
            done[i] = true;
            for c in &entries[i].comments {
                comment_lines[i].push(text.push_line(&format!("# {c}")));
            }
            lines[i] = text.push_line(&format!("{}: {}", yaml_key(&head), entries[i].value));
            continue;
        }
        text.push_line(&format!("{}:", yaml_key(&head)));
        for j in i..entries.len() {
            if done[j] || entries[j].path.len() < 2 || entries[j].path[0] != head {
                continue;
            }
            done[j] = true;
            for c in &entries[j].comments {
                comment_lines[j].push(text.push_line(&format!("  # {c}")));
            }
            let rest = entries[j].path[1..].join(".");
            lines[j] = text.push_line(&format!("  {}: {}", yaml_key(&rest), entries[j].value));
        }
    }
    Projection {
        text: text.into_text(),
        lines,
        comment_lines,
    }
}

fn yaml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        key.to_owned()
    } else {
        yaml_quote(key)
    }
}

/// A value read from a foreign shape (an environment variable's text) as a YAML scalar that
/// reads as Pomerium would decode it: `true`/`false` and plain integers as such (viper decodes
/// them weakly from strings), anything else as a double-quoted string.
pub fn yaml_scalar(text: &str) -> String {
    let is_int = |t: &str| {
        let digits = t.strip_prefix('-').unwrap_or(t);
        !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
            && digits.len() < 18
    };
    if matches!(text, "true" | "false") || is_int(text) {
        text.to_owned()
    } else {
        yaml_quote(text)
    }
}

/// `text` as a YAML double-quoted scalar (JSON's escaping is valid there).
pub fn yaml_quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{}\"", text.escape_default()))
}

/// Runs the ordinary chain on a virtual config: read as YAML, `kind` forced, starting at `from`
/// (inferred from the keys when `None`), `--removed comment` (so that a removed piece leaves a
/// line to map back), steps writing no files beside it. `source` names the surface file in
/// error messages.
pub fn run_virtual(
    source: &Source,
    text: String,
    kind: FileKind,
    from: Option<Version>,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let input = Input::from_bytes(source.clone(), text.into_bytes())?;
    let mut options = config.options.clone();
    options.removed = RemovedMode::Comment;
    let virtual_config = RunConfig {
        from: from.or(config.from),
        to: config.to,
        to_release: config.to_release.clone(),
        kind: Some(kind),
        surface: Some(super::SurfaceKind::Config),
        input_format: Some(crate::document::Format::Yaml),
        options,
        output: None,
        steps: config.steps,
        verify_each_step: false,
    };
    let prepared = runner::prepare(input, &virtual_config)?;
    runner::migrate_one(prepared, &virtual_config, None)
}

/// A piece placed in a virtual config (the surface's own handle for it stays with the caller,
/// index for index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The 1-based virtual line of the piece's key.
    pub virtual_line: usize,
}

/// What the chain did to a piece.
#[derive(Clone, Debug, PartialEq)]
pub enum Fate {
    /// The piece's line still holds an entry.
    Kept {
        /// The key path now (`["databroker_service_url"]`).
        path: Vec<String>,
        /// The key path before the chain ran.
        was: Vec<String>,
        value: Value,
        value_changed: bool,
        /// Action markers (comment text after `# `) the chain put above the entry.
        markers: Vec<String>,
    },
    /// No entry is left on the piece's line: commented out (or deleted).
    Removed {
        /// The key path before the chain ran.
        was: Vec<String>,
        /// The comment-out note or action marker above the commented lines (text after `# `),
        /// when there is one.
        note: Option<String>,
    },
}

impl Fate {
    pub fn renamed(&self) -> bool {
        matches!(self, Fate::Kept { path, was, .. } if path != was)
    }
}

/// The fate of every piece, index for index.
pub fn fates(run: &FileRun, pieces: &[Piece]) -> Vec<Fate> {
    let original = run.original();
    let result = run.result();
    let map = ForwardMap::new(original.text(), result.text());
    let result_lines: Vec<&str> = result.text().lines().collect();
    let original_lines: Vec<&str> = original.text().lines().collect();
    pieces
        .iter()
        .map(|piece| {
            let (was, old_value) = entry_at_line(original, piece.virtual_line)
                .map(|(path, node)| (path, original.value(node)))
                .unwrap_or((Vec::new(), Value::Null));
            let line = if run.changed() {
                map.line(piece.virtual_line)
            } else {
                piece.virtual_line
            };
            match entry_at_line(result, line) {
                Some((path, node)) => {
                    let value = result.value(node);
                    let before = markers_above(&original_lines, piece.virtual_line);
                    let markers = markers_above(&result_lines, line)
                        .into_iter()
                        .filter(|m| !before.contains(m))
                        .collect();
                    Fate::Kept {
                        value_changed: value != old_value,
                        path,
                        was,
                        value,
                        markers,
                    }
                }
                None => Fate::Removed {
                    was,
                    note: result_lines
                        .get(line.saturating_sub(1))
                        .map(|l| l.trim_start())
                        .and_then(|l| l.strip_prefix("# "))
                        .filter(|l| l.starts_with(crate::validate::marker::TOOL))
                        .map(str::to_owned),
                },
            }
        })
        .collect()
}

/// An entry the chain wrote that no piece's line leads to (a value a step moved into a block,
/// `client_ca` → `downstream_mtls.ca`, or a key a step added).
#[derive(Clone, Debug, PartialEq)]
pub struct Added {
    /// The key path (`["downstream_mtls", "ca"]`).
    pub path: Vec<String>,
    pub value: Value,
    /// Its 1-based line in the result.
    pub line: usize,
}

/// The scalar entries of the result that are new: on no line a piece went to, and not at the
/// same path in the input.
pub fn added(run: &FileRun, pieces: &[Piece]) -> Vec<Added> {
    let original = run.original();
    let result = run.result();
    if !run.changed() {
        return Vec::new();
    }
    let map = ForwardMap::new(original.text(), result.text());
    let taken: Vec<usize> = pieces.iter().map(|p| map.line(p.virtual_line)).collect();
    let mut out = Vec::new();
    let mut path = Vec::new();
    if let Some(root) = result.root() {
        collect_added(result, original, root, &taken, &mut path, &mut out);
    }
    out
}

fn collect_added(
    result: &Document,
    original: &Document,
    node: NodeId,
    taken: &[usize],
    path: &mut Vec<String>,
    out: &mut Vec<Added>,
) {
    for entry in result.entries(node) {
        if entry.merged_into.is_some() {
            continue;
        }
        path.push(entry.key.to_owned());
        let value = result.resolve(entry.value);
        if result.is_mapping(value) {
            collect_added(result, original, value, taken, path, out);
        } else {
            let line = result.location(entry.key_node).line;
            if !taken.contains(&line) && value_at(original, path).is_none() {
                out.push(Added {
                    path: path.clone(),
                    value: result.value(value),
                    line,
                });
            }
        }
        path.pop();
    }
}

/// The value node at a key path of mappings.
fn value_at(doc: &Document, path: &[String]) -> Option<NodeId> {
    let mut node = doc.root()?;
    for key in path {
        node = doc.get(node, key)?.value;
    }
    Some(node)
}

/// The action markers (`pomerium-migrate action …`, `… accepted …`) on the comment lines right
/// above 1-based `line` (text after `# `); any other line ends them (the lines of an entry a
/// step commented out above this one are not this entry's).
fn markers_above(lines: &[&str], line: usize) -> Vec<String> {
    let tool = crate::validate::marker::TOOL;
    let (action, accepted) = (format!("{tool} action "), format!("{tool} accepted "));
    let mut out = Vec::new();
    let mut at = line.saturating_sub(1);
    while at > 0 {
        let Some(comment) = lines
            .get(at - 1)
            .and_then(|l| l.trim_start().strip_prefix('#'))
            .map(str::trim_start)
        else {
            break;
        };
        if !(comment.starts_with(&action) || comment.starts_with(&accepted)) {
            break;
        }
        out.push(comment.to_owned());
        at -= 1;
    }
    out.reverse();
    out
}

/// The key path and value node of the entry whose key is written on 1-based `line`.
pub fn entry_at_line(doc: &Document, line: usize) -> Option<(Vec<String>, NodeId)> {
    fn walk(doc: &Document, node: NodeId, line: usize, path: &mut Vec<String>) -> Option<NodeId> {
        match &doc.node(node).kind {
            NodeKind::Mapping(_) => {
                for entry in doc.entries(node) {
                    if entry.merged_into.is_some() {
                        continue;
                    }
                    path.push(entry.key.to_owned());
                    if doc.location(entry.key_node).line == line {
                        return Some(entry.value);
                    }
                    if doc.location(entry.key_node).line < line
                        && let Some(found) = walk(doc, entry.value, line, path)
                    {
                        return Some(found);
                    }
                    path.pop();
                }
                None
            }
            NodeKind::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    if let Some(found) = walk(doc, *item, line, path) {
                        return Some(found);
                    }
                    path.pop();
                }
                None
            }
            NodeKind::Scalar(_) | NodeKind::Alias(_) => None,
        }
    }
    let mut path = Vec::new();
    let root = doc.root()?;
    walk(doc, root, line, &mut path).map(|node| (path, node))
}

/// Where a virtual line comes from in the surface file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub virtual_line: usize,
    pub at: Location,
}

/// The run's findings, located in the surface file: a finding on a line with an origin goes
/// there; one on another line (a parent key a projection wrote) to the next line below that
/// has one; one without a line, or past every origin, to `fallback`. Each comes with the index
/// of the origin it was moved to, if any.
pub fn relocate_findings(
    run: &FileRun,
    origins: &[Origin],
    fallback: Option<Location>,
) -> Vec<(Finding, Option<usize>)> {
    run.findings
        .iter()
        .map(|finding| {
            let origin = finding.location.and_then(|at| {
                origins
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.virtual_line >= at.line)
                    .min_by_key(|(_, o)| o.virtual_line)
                    .map(|(i, _)| i)
            });
            let mut finding = finding.clone();
            finding.location = match origin {
                Some(i) => Some(origins[i].at),
                None => fallback,
            };
            (finding, origin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &[&str], value: &str) -> VirtualEntry {
        VirtualEntry {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            value: yaml_scalar(value),
            comments: Vec::new(),
        }
    }

    #[test]
    fn entries_are_projected_one_per_line_nested_ones_grouped() {
        let mut marked = entry(&["idp_service_account"], "x");
        marked
            .comments
            .push("pomerium-migrate action v0.20/a: b".into());
        let p = project(&[
            entry(&["pomerium_debug"], "true"),
            entry(&["downstream_mtls", "ca"], "Q0E="),
            marked,
            entry(&["downstream_mtls", "enforcement"], "reject_connection"),
            entry(&["grpc_port"], "0123"),
        ]);
        assert_eq!(
            p.text,
            "pomerium_debug: true\ndownstream_mtls:\n  ca: \"Q0E=\"\n  enforcement: \
             \"reject_connection\"\n# pomerium-migrate action v0.20/a: b\nidp_service_account: \
             \"x\"\ngrpc_port: \"0123\"\n"
        );
        assert_eq!(p.lines, [1, 3, 6, 4, 7]);
        assert_eq!(p.comment_lines[2], [5]);
        let doc = Document::parse(p.text.clone(), crate::document::Format::Yaml);
        let doc = doc.unwrap_or_else(|e| panic!("{e}"));
        for (i, e) in [
            (0, vec!["pomerium_debug"]),
            (1, vec!["downstream_mtls", "ca"]),
            (3, vec!["downstream_mtls", "enforcement"]),
        ] {
            let found = entry_at_line(&doc, p.lines[i]).map(|(path, _)| path);
            assert_eq!(found, Some(e.iter().map(|s| (*s).to_owned()).collect()));
        }
        assert_eq!(entry_at_line(&doc, 5), None);
    }

    #[test]
    fn scalars_read_as_pomerium_decodes_them() {
        assert_eq!(yaml_scalar("true"), "true");
        assert_eq!(yaml_scalar("42"), "42");
        assert_eq!(yaml_scalar("-1"), "-1");
        assert_eq!(yaml_scalar("007"), "\"007\"");
        assert_eq!(yaml_scalar("yes"), "\"yes\"");
        assert_eq!(yaml_scalar("a: b # c"), "\"a: b # c\"");
        assert_eq!(yaml_scalar("line\nnext\"q\""), "\"line\\nnext\\\"q\\\"\"");
    }
}
