//! Secret values in the comment lines of a TOML file.
//!
//! A removed option is commented out line by line (`# shared_secret = "…"`, a section as
//! `# [audit_key]` followed by `# id = "…"`, a multi-line string or array with `# ` before each of
//! its lines), so its value is no longer part of the document. Each commented `key = value` is
//! read back as TOML (the comment prefixes taken off, following comment lines added while the
//! value is still open) and walked with the same rule as the document's own entries, inside the
//! table it belongs to: the last commented header above it, or else the real table around it.
//! The spans found are spans of the original text.

use std::ops::Range;

use toml_edit::{Item, Table};

use super::{SpanFinder, is_secret_key};
use crate::document::{Document, Format};

/// How many comment lines one commented value may span (a PEM key or a service account is a few
/// dozen; the bound keeps prose with an unclosed `[` from being re-read line by line for ever).
const MAX_VALUE_LINES: usize = 400;

/// How many bytes the re-reading of commented values may parse in all, per byte of the file (on
/// top of [`MIN_READ_BUDGET`]): comment blocks full of unclosed brackets stay linear.
const READ_BUDGET_PER_BYTE: usize = 16;
const MIN_READ_BUDGET: usize = 1 << 20;

/// The spans of secret values in the comment lines of `text` (a TOML file that parses), and the
/// values.
pub(super) fn secret_spans(text: &str) -> (Vec<Range<usize>>, Vec<String>) {
    let base = text.len() - text.trim_start_matches('\u{feff}').len();
    let src = &text[base..];
    let real_headers = real_headers(src);
    let lines = comment_lines(src);
    let mut spans = Vec::new();
    let mut secrets = Vec::new();
    // The table named by the last commented header of the current run of comment lines.
    let mut commented_table: Option<Vec<String>> = None;
    let mut budget = src.len().saturating_mul(READ_BUDGET_PER_BYTE) + MIN_READ_BUDGET;
    let mut i = 0;
    while i < lines.len() {
        let Some(body) = lines[i].body.clone() else {
            commented_table = None;
            i += 1;
            continue;
        };
        let body_text = &src[body.clone()];
        if let Some(path) = header_path(body_text) {
            commented_table = Some(path);
            i += 1;
            continue;
        }
        let Some(entry) = read_entry(src, &lines, i, &mut budget) else {
            i += 1;
            continue;
        };
        let table = match &commented_table {
            Some(path) => path.clone(),
            None => real_table_at(&real_headers, body.start),
        };
        let mut finder = SpanFinder::new(&entry.document, 0);
        if let Some(root) = entry.document.root() {
            finder.walk_below(root, &table, path_is_secret(&table));
        }
        for span in finder.spans {
            if let (Some(start), Some(end)) = (entry.to_src(span.start), entry.to_src(span.end)) {
                spans.push(start + base..end + base);
            }
        }
        secrets.extend(finder.secrets);
        i = entry.next_line;
    }
    (spans, secrets)
}

/// Whether anything under the table `path` is secret (a key of the path is secret in its place).
fn path_is_secret(path: &[String]) -> bool {
    (0..path.len()).any(|k| {
        let ancestors: Vec<&str> = path[..k].iter().map(String::as_str).collect();
        is_secret_key(&path[k], &ancestors)
    })
}

/// One line of the text; `body` is set for comment lines: what follows `#` and one space.
struct Line {
    body: Option<Range<usize>>,
}

fn comment_lines(src: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for line in src.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        let blanks = content.len() - content.trim_start_matches([' ', '\t']).len();
        let body = content[blanks..].strip_prefix('#').map(|after| {
            let after = after.strip_prefix(' ').unwrap_or(after);
            let body_start = start + content.len() - after.len();
            body_start..start + content.len()
        });
        lines.push(Line { body });
        start += line.len();
    }
    lines
}

/// `[a.b]` or `[[a.b]]` (with an optional trailing comment): the table's path.
fn header_path(body: &str) -> Option<Vec<String>> {
    let body = body.trim();
    if !body.starts_with('[') {
        return None;
    }
    // A header line on its own is a document with one (possibly nested) empty table.
    let parsed = toml_edit::Document::parse(body).ok()?;
    let mut path = Vec::new();
    let mut table = parsed.as_table();
    loop {
        let mut items = table.iter();
        let (key, item) = items.next()?;
        if items.next().is_some() {
            return None;
        }
        path.push(key.to_owned());
        table = match item {
            Item::Table(t) => t,
            Item::ArrayOfTables(a) if a.len() == 1 => a.get(0)?,
            _ => return None,
        };
        if table.is_empty() {
            return Some(path);
        }
    }
}

/// Where each real (uncommented) table header starts, with the table's path, in text order.
fn real_headers(src: &str) -> Vec<(usize, Vec<String>)> {
    let mut headers = Vec::new();
    if let Ok(parsed) = toml_edit::Document::parse(src) {
        collect_headers(parsed.as_table(), &mut Vec::new(), &mut headers);
    }
    headers.sort_by_key(|(start, _)| *start);
    headers
}

fn collect_headers(table: &Table, path: &mut Vec<String>, out: &mut Vec<(usize, Vec<String>)>) {
    for (key, item) in table.iter() {
        path.push(key.to_owned());
        let tables: Vec<&Table> = match item {
            Item::Table(t) => vec![t],
            Item::ArrayOfTables(a) => a.iter().collect(),
            Item::Value(_) | Item::None => Vec::new(),
        };
        for t in tables {
            if let Some(span) = t.span()
                && !t.is_implicit()
                && !t.is_dotted()
            {
                out.push((span.start, path.clone()));
            }
            collect_headers(t, path, out);
        }
        path.pop();
    }
}

/// The path of the real table whose lines hold the offset `at`.
fn real_table_at(headers: &[(usize, Vec<String>)], at: usize) -> Vec<String> {
    headers
        .iter()
        .take_while(|(start, _)| *start < at)
        .last()
        .map(|(_, path)| path.clone())
        .unwrap_or_default()
}

/// A commented `key = value`, read back as a TOML document.
struct CommentedEntry {
    document: Document,
    /// For each comment line of the entry: where its body starts in the entry's text and in the
    /// file, and its length.
    pieces: Vec<(usize, usize, usize)>,
    /// The first line after the entry.
    next_line: usize,
}

impl CommentedEntry {
    /// An offset of the entry's text as an offset of the file (text after a line's end maps to
    /// that end).
    fn to_src(&self, at: usize) -> Option<usize> {
        let (own, src, len) = self
            .pieces
            .iter()
            .take_while(|(own, _, _)| *own <= at)
            .last()?;
        Some(src + (at - own).min(*len))
    }
}

/// The commented entry starting at line `first`: the shortest run of comment lines from there
/// that reads as TOML key/value lines. A value that opens a string, array or table and does not
/// close on its line takes the following comment lines, while `budget` (bytes to parse) lasts.
/// An entry whose value never closes is not an entry: its lines are read again on their own.
fn read_entry(
    src: &str,
    lines: &[Line],
    first: usize,
    budget: &mut usize,
) -> Option<CommentedEntry> {
    let first_body = &src[lines[first].body.clone()?];
    let (_, value) = first_body.split_once('=')?;
    let opens = value.trim_start().starts_with(['"', '\'', '[', '{']);
    let mut text = String::new();
    let mut pieces = Vec::new();
    for (k, line) in lines.iter().enumerate().skip(first) {
        let last = k - first + 1;
        if last > MAX_VALUE_LINES {
            break;
        }
        let Some(body) = line.body.clone() else {
            break;
        };
        if k > first {
            text.push('\n');
        }
        pieces.push((text.len(), body.start, body.len()));
        text.push_str(&src[body]);
        // A line on its own is always read (linear in all); reading it on with the next lines
        // takes from the budget.
        if k > first {
            match budget.checked_sub(text.len()) {
                Some(left) => *budget = left,
                None => break,
            }
        }
        if let Ok(document) = Document::parse(text.clone(), Format::Toml) {
            let has_entries = document
                .root()
                .is_some_and(|root| !document.entries(root).is_empty());
            return has_entries.then_some(CommentedEntry {
                document,
                pieces,
                next_line: k + 1,
            });
        }
        if !opens {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_paths_are_read_like_toml() {
        let path = |body: &str| header_path(body).map(|p| p.join("/"));
        assert_eq!(path("[audit_key]").as_deref(), Some("audit_key"));
        assert_eq!(path("[[routes]]  # first").as_deref(), Some("routes"));
        assert_eq!(
            path("[routes.\"set_request_headers\"]").as_deref(),
            Some("routes/set_request_headers")
        );
        assert_eq!(path("[ a . 'b c' ]").as_deref(), Some("a/b c"));
        for not_a_header in ["[docs] say so", "see [docs]", "[]", "[a] = 1", "a = 1"] {
            assert_eq!(path(not_a_header), None, "{not_a_header}");
        }
    }

    #[test]
    fn real_tables_are_found_by_offset() {
        let src = "a = 1\n# x = 1\n[t]\n# y = 2\n[[u.v]]\nz.w = 3\n# k = 4\n";
        let headers = real_headers(src);
        let at = |needle: &str| real_table_at(&headers, src.find(needle).unwrap_or(0)).join(".");
        assert_eq!(at("# x"), "");
        assert_eq!(at("# y"), "t");
        // A dotted key is no header: the comment after it is still in [[u.v]].
        assert_eq!(at("# k"), "u.v");
    }

    #[test]
    fn unclosed_brackets_in_prose_do_not_make_the_work_quadratic() {
        // Each line opens an array that never closes: each is re-read with the following
        // comment lines until the budget is spent, then only on its own line.
        let text =
            "# list = [ see below\n".repeat(5_000) + "# shared_secret = \"c2VjcmV0LXZhbHVl\"\n";
        let (spans, secrets) = secret_spans(&text);
        assert_eq!(secrets, ["c2VjcmV0LXZhbHVl"]);
        assert_eq!(spans.len(), 1);
    }
}
