//! Git-style unified diffs of a config before and after a run.
//!
//! The texts given here are already redacted (see [`crate::redact`]); this module only formats.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use similar::{Algorithm, ChangeTag, TextDiff};

/// Lines of unchanged context around each change, as `git diff` shows.
pub const CONTEXT_LINES: usize = 3;

const HEADER: Style = Style::new().bold();
const HUNK: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const REMOVED: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const ADDED: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));

/// The unified diff between `old` and `new`, with `--- a/PATH` and `+++ b/PATH` headers; empty
/// when the texts are equal.
pub fn unified(old: &str, new: &str, path: &str) -> String {
    let mut out = String::new();
    if old == new {
        return out;
    }
    let diff = line_diff(old, new);
    let label = diff_label(path);
    let _ = writeln!(out, "--- a/{label}");
    let _ = writeln!(out, "+++ b/{label}");
    for hunk in diff
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .iter_hunks()
    {
        let _ = writeln!(out, "{}", hunk.header());
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            let value: &str = change.value();
            // A CR of a CRLF file stays in the line: the diff shows the bytes as they are.
            let line = value.strip_suffix('\n').unwrap_or(value);
            let _ = writeln!(out, "{sign}{line}");
            if change.missing_newline() {
                let _ = writeln!(out, "\\ No newline at end of file");
            }
        }
    }
    out
}

/// The line-by-line diff of two texts, for the unified diff and for mapping lines back to the
/// input. Patience diff anchors on lines that occur once in both texts (route names, hosts) and
/// diffs only between them, so a file with a change in every route costs time in proportion to
/// its length; Myers' algorithm over the whole text grows with the length times the number of
/// changes.
pub fn line_diff<'a>(old: &'a str, new: &'a str) -> TextDiff<'a, 'a, str> {
    TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(old, new)
}

/// Colours one file's diff made by [`unified`] for a terminal: file headers bold, hunk headers
/// cyan, removed lines red, added lines green.
pub fn paint(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    let mut in_hunk = false;
    for line in diff.split_inclusive('\n') {
        let content = line.strip_suffix('\n').unwrap_or(line);
        let style = if content.starts_with("@@ ") {
            in_hunk = true;
            Some(HUNK)
        } else if !in_hunk {
            Some(HEADER)
        } else if content.starts_with('-') {
            Some(REMOVED)
        } else if content.starts_with('+') {
            Some(ADDED)
        } else {
            None
        };
        match style {
            Some(style) => {
                let _ = writeln!(out, "{style}{content}{style:#}");
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The path as it appears after `a/` and `b/`: relative paths as given (without `./`), absolute
/// paths without their leading `/`, stdin as `stdin`.
pub fn diff_label(path: &str) -> String {
    if path == "-" {
        return "stdin".to_owned();
    }
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.trim_start_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a\nb\n", "a\nb\n", "c.yaml"), "");
    }

    #[test]
    fn diff_is_git_style_with_three_lines_of_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        let d = unified(old, new, "./config.yaml");
        assert_eq!(
            d,
            "--- a/config.yaml\n+++ b/config.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let d = unified("a\nb", "a\nc", "x.yaml");
        assert!(d.contains("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"));
    }

    #[test]
    fn paint_colours_each_kind_of_line() {
        let plain = unified("a\n---x\n", "b\n---x\n", "x.yaml");
        assert!(!plain.contains('\x1b'));
        let coloured = paint(&plain);
        assert!(coloured.starts_with("\x1b[1m--- a/x.yaml"));
        assert!(coloured.contains("\x1b[36m@@ -1,2 +1,2 @@"));
        assert!(coloured.contains("\x1b[31m-a"));
        assert!(coloured.contains("\x1b[32m+b"));
        assert!(
            coloured.contains("\n ---x\n"),
            "context lines stay plain: {coloured:?}"
        );
    }

    #[test]
    fn labels_are_relative() {
        assert_eq!(
            diff_label("/etc/pomerium/config.yaml"),
            "etc/pomerium/config.yaml"
        );
        assert_eq!(diff_label("././c.yaml"), "c.yaml");
        assert_eq!(diff_label("-"), "stdin");
    }
}
