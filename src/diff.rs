//! Git-style unified diffs of a config before and after a run.
//!
//! The texts given here are already redacted (see [`crate::redact`]); this module only formats.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff, udiff::UnifiedHunkHeader};

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
            write_change(
                &mut out,
                change.tag(),
                change.value(),
                change.missing_newline(),
            );
        }
    }
    out
}

/// One line of a hunk.
fn write_change(out: &mut String, tag: ChangeTag, value: &str, missing_newline: bool) {
    let sign = match tag {
        ChangeTag::Delete => '-',
        ChangeTag::Insert => '+',
        ChangeTag::Equal => ' ',
    };
    // A CR of a CRLF file stays in the line: the diff shows the bytes as they are.
    let line = value.strip_suffix('\n').unwrap_or(value);
    let _ = writeln!(out, "{sign}{line}");
    if missing_newline {
        let _ = writeln!(out, "\\ No newline at end of file");
    }
}

/// The operations of [`line_diff`], kept to show or map the same two texts again without
/// diffing them again.
pub fn line_ops(old: &str, new: &str) -> Vec<DiffOp> {
    line_diff(old, new).ops().to_vec()
}

/// [`line_ops`] of `old` and `new`, made from `changes` (where the texts differ, known from the
/// edits that made `new` of `old`) by diffing only the lines around each change, when they are
/// given and hold for the texts; else of the whole texts. See [`crate::changes`] for how the
/// two may differ (alignment only).
pub(crate) fn line_ops_changed(
    old: &str,
    new: &str,
    changes: Option<&crate::changes::Changes>,
) -> Vec<DiffOp> {
    changes
        .and_then(|c| c.line_ops(old, new))
        .unwrap_or_else(|| line_ops(old, new))
}

/// [`unified`] from the operations of a line diff already made: `ops` must be [`line_ops`] (or
/// [`line_ops_changed`]) of `old` and `new`, or of two texts for which [`same_line_equalities`]
/// holds with them. The bytes are [`unified`]'s (same hunks, context and headers) for the same
/// operations, without diffing again; only the lines the hunks show are read.
pub fn unified_from_ops(old: &str, new: &str, ops: &[DiffOp], path: &str) -> String {
    let mut out = String::new();
    if old == new {
        return out;
    }
    // Only the lines the hunks show are read, in order.
    let (mut old_cursor, mut new_cursor) = (LineCursor::new(old), LineCursor::new(new));
    let label = diff_label(path);
    let _ = writeln!(out, "--- a/{label}");
    let _ = writeln!(out, "+++ b/{label}");
    // As `similar`'s unified diff groups and shows them.
    for group in similar::group_diff_ops(ops.to_vec(), CONTEXT_LINES) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_lines = old_cursor.window(first.old_range().start..last.old_range().end);
        let new_lines = new_cursor.window(first.new_range().start..last.new_range().end);
        let _ = writeln!(out, "{}", UnifiedHunkHeader::new(&group));
        for op in &group {
            for change in op.iter_changes(&old_lines, &new_lines) {
                let value: &str = change.value();
                write_change(&mut out, change.tag(), value, change.missing_newline());
            }
        }
    }
    out
}

/// The lines of `text` as [`line_diff`] cuts them: each with its terminator (`\n`, `\r\n` or a
/// lone `\r`), the last one without when the text does not end with one.
#[cfg(test)]
pub(crate) fn lines(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len() / 32 + 1);
    lines_into(text, &mut out);
    out
}

/// [`lines`] into `out` (emptied first), for a caller that cuts many short texts.
pub(crate) fn lines_into<'a>(text: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    let mut rest = text;
    while let Some((line, after)) = split_line(rest) {
        out.push(line);
        rest = after;
    }
}

/// The first line of `text` (as [`lines`] cuts it) and the text after it; `None` when `text` is
/// empty.
fn split_line(text: &str) -> Option<(&str, &str)> {
    if text.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let end = match memchr::memchr2(b'\n', b'\r', bytes) {
        Some(i) if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') => i + 2,
        Some(i) => i + 1,
        None => bytes.len(),
    };
    // A line ends after an ASCII byte: a char boundary.
    Some((text.get(..end)?, text.get(end..)?))
}

/// The lines of a text as [`lines`] cuts them, one by one.
#[cfg(test)]
struct LineIter<'a>(&'a str);

#[cfg(test)]
impl<'a> Iterator for LineIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (line, rest) = split_line(self.0)?;
        self.0 = rest;
        Some(line)
    }
}

/// A window of consecutive lines of a text, indexed by their line numbers in the whole text,
/// read by a cursor that only moves forward (the hunks of a diff come in order).
struct LineWindow<'a> {
    first: usize,
    lines: Vec<&'a str>,
}

impl<'a> std::ops::Index<usize> for LineWindow<'a> {
    type Output = &'a str;

    fn index(&self, line: usize) -> &&'a str {
        &self.lines[line - self.first]
    }
}

/// Reads lines of a text in increasing order without cutting the whole text into lines.
struct LineCursor<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> LineCursor<'a> {
    fn new(text: &'a str) -> LineCursor<'a> {
        LineCursor {
            rest: text,
            line: 0,
        }
    }

    /// Lines `range` (at or after the lines read so far).
    fn window(&mut self, range: std::ops::Range<usize>) -> LineWindow<'a> {
        while self.line < range.start {
            match split_line(self.rest) {
                Some((_, after)) => self.rest = after,
                None => break,
            }
            self.line += 1;
        }
        let mut lines = Vec::with_capacity(range.len());
        while self.line < range.end {
            let Some((line, after)) = split_line(self.rest) else {
                break;
            };
            lines.push(line);
            self.rest = after;
            self.line += 1;
        }
        LineWindow {
            first: range.start,
            lines,
        }
    }
}

/// Lines that may differ between the two pairs for [`same_line_equalities`] to look further;
/// more (a redaction of many secrets) is diffed again rather than checked.
const MAX_CHANGED_LINES: usize = 4096;

/// Whether the line diff of `b` has the same operations as that of `a`, known without diffing
/// either: the pairs have as many lines on each side, and lines equal in exactly the same
/// places (a line of `b` equals another line of `b` exactly when the lines at the same places
/// in `a` are equal). `a` is a file's texts and `b` the same texts as shown, secrets redacted.
///
/// Why the operations are then the same: for texts of more than 100 lines `similar` diffs
/// numbers standing for the lines, numbered by first occurrence, and two pairs with lines
/// equal in the same places get the same numbers; everything after reads only the numbers.
/// Smaller texts are diffed as text and are not checked here (`false`): diffing them again is
/// cheap.
pub fn same_line_equalities(a: (&str, &str), b: (&str, &str)) -> bool {
    let count = |text: &str| crate::changes::count_lines(text.as_bytes());
    let (old_lines, new_lines) = (count(a.0), count(a.1));
    if a == b {
        // The same texts: the same diff, when long enough to be judged at all (below).
        return old_lines > 100 || new_lines > 100;
    }
    if old_lines != count(b.0) || new_lines != count(b.1) {
        return false;
    }
    if old_lines <= 100 && new_lines <= 100 {
        return false;
    }
    // The lines that differ, with where each stands in its text of `a`.
    let mut changed: Vec<(&str, &str)> = Vec::new();
    let mut changed_at: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (k, (x, y)) in [(a.0, b.0), (a.1, b.1)].into_iter().enumerate() {
        if !differing_lines(x, y, &mut changed, &mut changed_at[k]) {
            return false;
        }
    }
    // Among the lines that differ: equal in `a` exactly where equal in `b` (a one-to-one
    // correspondence of their texts).
    let mut forward: foldhash::HashMap<&str, &str> = foldhash::HashMap::default();
    let mut backward: foldhash::HashMap<&str, &str> = foldhash::HashMap::default();
    for &(x, y) in &changed {
        if *forward.entry(x).or_insert(y) != y || *backward.entry(y).or_insert(x) != x {
            return false;
        }
    }
    // A line that is the same in both pairs must equal none of the lines that differ, on
    // either side (it would be equal to one of them in one pair only).
    let values: foldhash::HashSet<&str> = changed.iter().flat_map(|&(x, y)| [x, y]).collect();
    let lengths: foldhash::HashSet<usize> = values.iter().map(|v| v.len()).collect();
    for (text, skip) in [a.0, a.1].into_iter().zip(&changed_at) {
        let mut skip = skip.iter().peekable();
        let (mut rest, mut at) = (text, 0);
        while let Some((line, after)) = split_line(rest) {
            if skip.next_if_eq(&&at).is_none()
                && lengths.contains(&line.len())
                && values.contains(line)
            {
                return false;
            }
            at += line.len();
            rest = after;
        }
    }
    true
}

/// Adds the pairs of lines at the same places of `x` and `y` that differ to `changed`, and
/// where each starts in `x` to `at`; `false` when they would be more than
/// [`MAX_CHANGED_LINES`], or when one text runs out of lines before the other. What both
/// texts share byte for byte is skipped without cutting it into lines.
fn differing_lines<'t>(
    x: &'t str,
    y: &'t str,
    changed: &mut Vec<(&'t str, &'t str)>,
    at: &mut Vec<usize>,
) -> bool {
    let (xb, yb) = (x.as_bytes(), y.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        let same = common_prefix(&xb[i..], &yb[j..]);
        if i + same == xb.len() && j + same == yb.len() {
            return true;
        }
        // The lines before the one holding the first differing byte are the same in both.
        // A `\r` just before that byte may end its line in one text and begin a `\r\n` in the
        // other: its line is compared whole.
        let mut shared = same;
        if shared > 0 && xb[i + shared - 1] == b'\r' {
            shared -= 1;
        }
        let line_start = memchr::memrchr2(b'\n', b'\r', &xb[i..i + shared]).map_or(0, |q| q + 1);
        i += line_start;
        j += line_start;
        let (Some((lx, _)), Some((ly, _))) = (split_line(&x[i..]), split_line(&y[j..])) else {
            return false;
        };
        if lx != ly {
            if changed.len() == MAX_CHANGED_LINES {
                return false;
            }
            changed.push((lx, ly));
            at.push(i);
        }
        i += lx.len();
        j += ly.len();
    }
}

/// How many bytes `a` and `b` start with in common.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    // Whole blocks first: comparing slices is one `memcmp` each.
    while i + 64 <= n && a[i..i + 64] == b[i..i + 64] {
        i += 64;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(p, q)| p == q)
        .count()
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
pub(crate) mod tests {
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

    use proptest::prelude::*;

    /// A text of lines from a small set (so that lines repeat, as keys and values of routes
    /// do), with every kind of line end and sometimes none at the end.
    fn text(max_lines: usize) -> impl Strategy<Value = String> {
        text_with_routes(max_lines, 200)
    }

    /// [`text`] with `from` lines drawn from `routes` routes (many routes: lines that occur once,
    /// as a config's route names do).
    pub(crate) fn text_with_routes(max_lines: usize, routes: u32) -> impl Strategy<Value = String> {
        let line = prop_oneof![
            4 => (0u8..12).prop_map(|n| format!("  key{n}: v\n")),
            3 => (0..routes).prop_map(|n| format!("- from: https://r{n}\n")),
            1 => Just("\n".to_owned()),
            1 => (0u8..3).prop_map(|n| format!("crlf{n}\r\n")),
            1 => Just("cr\r".to_owned()),
        ];
        (prop::collection::vec(line, 0..max_lines), any::<bool>()).prop_map(|(lines, cut)| {
            let mut text = lines.concat();
            if cut && text.ends_with('\n') {
                text.pop();
                text.push_str("end");
            }
            text
        })
    }

    /// `new` as `old` edited: lines dropped, added and changed here and there, the rest kept.
    fn edited(old: &str, edits: &[(u8, u8)]) -> String {
        let mut lines: Vec<String> = lines(old).into_iter().map(str::to_owned).collect();
        for &(at, what) in edits {
            let at = usize::from(at) % (lines.len() + 1);
            match what % 4 {
                0 if at < lines.len() => {
                    lines.remove(at);
                }
                1 => lines.insert(at, format!("  added{}: x\n", what % 7)),
                2 if at < lines.len() => lines[at] = format!("  key{}: changed\n", what % 5),
                _ => lines.insert(at, "\n".to_owned()),
            }
        }
        lines.concat()
    }

    /// [`same_line_equalities`] as first written: every line of the four texts cut and compared
    /// (the oracle of the version that skips what the texts share).
    fn same_line_equalities_by_lines(a: (&str, &str), b: (&str, &str)) -> bool {
        use std::collections::{HashMap, HashSet};
        let count = |text: &str| crate::changes::count_lines(text.as_bytes());
        let (old_lines, new_lines) = (count(a.0), count(a.1));
        if a == b {
            return old_lines > 100 || new_lines > 100;
        }
        if old_lines != count(b.0) || new_lines != count(b.1) {
            return false;
        }
        if old_lines <= 100 && new_lines <= 100 {
            return false;
        }
        let pairs = || {
            LineIter(a.0)
                .zip(LineIter(b.0))
                .chain(LineIter(a.1).zip(LineIter(b.1)))
        };
        let mut changed: Vec<(&str, &str)> = Vec::new();
        for (x, y) in pairs() {
            if x != y {
                if changed.len() == MAX_CHANGED_LINES {
                    return false;
                }
                changed.push((x, y));
            }
        }
        let mut forward: HashMap<&str, &str> = HashMap::new();
        let mut backward: HashMap<&str, &str> = HashMap::new();
        for &(x, y) in &changed {
            if *forward.entry(x).or_insert(y) != y || *backward.entry(y).or_insert(x) != x {
                return false;
            }
        }
        let values: HashSet<&str> = changed.iter().flat_map(|&(x, y)| [x, y]).collect();
        pairs()
            .filter(|(x, y)| x == y)
            .all(|(x, _)| !values.contains(x))
    }

    /// A text of lines drawn from a few, with every kind of line break, and no break at the
    /// end sometimes.
    fn broken_lines(max_lines: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(
            (0u8..6, prop::sample::select(vec!["\n", "\r\n", "\r", "\n"])),
            95..max_lines,
        )
        .prop_flat_map(|lines| (Just(lines), any::<bool>()))
        .prop_map(|(lines, open_end)| {
            let mut out: String = lines
                .iter()
                .map(|(n, br)| format!("key{n}: v{br}"))
                .collect();
            if open_end {
                out.push_str("tail");
            }
            out
        })
    }

    /// `text` with some bytes replaced: line contents, breaks, or both.
    fn changed_bytes(text: &str, edits: &[(u16, u8)]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for &(at, with) in edits {
            if !bytes.is_empty() {
                let i = usize::from(at) % bytes.len();
                bytes[i] = [b'\n', b'\r', b'x', b'v', b'1'][usize::from(with) % 5];
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// `text` (ASCII) with each edit made in turn at its position: a byte replaced by a line
    /// feed, a carriage return or a letter, a byte deleted, or a line break or a redaction
    /// inserted (the end of the text is a position too).
    fn varied_edits(text: &str, edits: &[(u16, u8)]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for &(at, kind) in edits {
            let insert_at = usize::from(at) % (bytes.len() + 1);
            let at = usize::from(at) % bytes.len().max(1);
            // Kinds past 7 keep the number of lines (a letter, a redaction), so that most
            // edited texts still have as many lines as the original.
            let kind = match kind {
                0..=7 => kind,
                k if k % 2 == 0 => 2,
                _ => 6,
            };
            match (kind, bytes.is_empty()) {
                (0, false) => bytes[at] = b'\n',
                (1, false) => bytes[at] = b'\r',
                (2, false) => bytes[at] = b'x',
                (3, false) => {
                    bytes.remove(at);
                }
                (4, _) => bytes.insert(insert_at, b'\n'),
                (5, _) => bytes.splice(insert_at..insert_at, *b"\r\n").for_each(drop),
                (6, _) => bytes
                    .splice(insert_at..insert_at, *b"<redacted>")
                    .for_each(drop),
                _ => bytes.insert(insert_at, b'\r'),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The pairs `differing_lines` reports are the pairs of lines at the same places that
        /// differ, in order, each with where it starts, whenever the texts have as many lines.
        #[test]
        fn differing_lines_are_the_unequal_pairs_of_lines(
            old in broken_lines(140),
            edits in prop::collection::vec((any::<u16>(), 0u8..24), 0..8),
        ) {
            let new = varied_edits(&old, &edits);
            let (x, y) = (old.as_str(), new.as_str());
            let (xs, ys): (Vec<&str>, Vec<&str>) = (LineIter(x).collect(), LineIter(y).collect());
            if xs.len() != ys.len() {
                // The caller never asks: it compares the counts first.
                return Ok(());
            }
            let (mut expected, mut expected_at, mut at) = (Vec::new(), Vec::new(), 0);
            for (a, b) in xs.iter().zip(&ys) {
                if a != b {
                    expected.push((*a, *b));
                    expected_at.push(at);
                }
                at += a.len();
            }
            let (mut changed, mut changed_at) = (Vec::new(), Vec::new());
            prop_assert!(differing_lines(x, y, &mut changed, &mut changed_at));
            prop_assert_eq!(changed, expected);
            prop_assert_eq!(changed_at, expected_at);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Skipping the bytes the texts share decides as cutting every line does, whatever
        /// the line breaks and wherever the texts differ.
        #[test]
        fn skipping_shared_bytes_decides_as_cutting_lines(
            old in broken_lines(140),
            new_edits in prop::collection::vec((any::<u16>(), any::<u8>()), 0..6),
            old_shown in prop::collection::vec((any::<u16>(), 0u8..24), 0..4),
            new_shown in prop::collection::vec((any::<u16>(), 0u8..24), 0..4),
        ) {
            let new = changed_bytes(&old, &new_edits);
            let a = (old.as_str(), new.as_str());
            let shown = (varied_edits(&old, &old_shown), varied_edits(&new, &new_shown));
            let b = (shown.0.as_str(), shown.1.as_str());
            prop_assert_eq!(same_line_equalities(a, b), same_line_equalities_by_lines(a, b));
            prop_assert_eq!(same_line_equalities(a, a), same_line_equalities_by_lines(a, a));
        }

        /// The diff shown from kept operations is the diff made from the texts, byte for byte.
        #[test]
        fn the_diff_from_kept_operations_is_the_diff_of_the_texts(
            old in text(250),
            edits in prop::collection::vec((any::<u8>(), any::<u8>()), 0..12),
            other in text(40),
            whole in any::<bool>(),
        ) {
            let new = if whole { other } else { edited(&old, &edits) };
            prop_assert_eq!(
                unified_from_ops(&old, &new, &line_ops(&old, &new), "c.yaml"),
                unified(&old, &new, "c.yaml")
            );
        }

        /// When the check holds, the second pair's diff has the first pair's operations; texts
        /// whose lines are renamed one to one (as a redaction of distinct secrets does) pass it.
        #[test]
        fn texts_with_lines_equal_in_the_same_places_diff_alike(
            old in text(250),
            edits in prop::collection::vec((any::<u8>(), any::<u8>()), 0..12),
            renamed in prop::collection::vec(0u8..12, 0..4),
            collide in any::<bool>(),
            only_old in any::<bool>(),
        ) {
            let new = edited(&old, &edits);
            // Some `keyN` lines shown otherwise: one to one, or all as the same line, in both
            // texts or in the old one only.
            let show = |text: &str, side_old: bool| -> String {
                lines(text)
                    .into_iter()
                    .map(|l| {
                        let hit = renamed.iter().any(|n| l == format!("  key{n}: v\n"));
                        match (hit, collide) {
                            _ if !side_old && only_old => l.to_owned(),
                            (true, false) => l.replace(": v", ": <redacted>"),
                            (true, true) => "  key: <redacted>\n".to_owned(),
                            (false, _) => l.to_owned(),
                        }
                    })
                    .collect()
            };
            let (shown_old, shown_new) = (show(&old, true), show(&new, false));
            let same = same_line_equalities((&old, &new), (&shown_old, &shown_new));
            if same {
                prop_assert_eq!(line_ops(&old, &new), line_ops(&shown_old, &shown_new));
                prop_assert_eq!(
                    unified_from_ops(&shown_old, &shown_new, &line_ops(&old, &new), "c.yaml"),
                    unified(&shown_old, &shown_new, "c.yaml")
                );
            }
            let long = lines(&old).len() > 100 || lines(&new).len() > 100;
            if long && !collide && !only_old {
                prop_assert!(same, "a one-to-one renaming must pass");
            }
        }
    }

    #[test]
    fn common_prefix_counts_every_shared_byte() {
        let a: Vec<u8> = (0..200u8).collect();
        for at in [0, 1, 63, 64, 65, 127, 128, 150, 199] {
            let mut b = a.clone();
            b[at] ^= 0xff;
            assert_eq!(common_prefix(&a, &b), at, "first difference at {at}");
        }
        assert_eq!(common_prefix(&a, &a), 200);
        assert_eq!(common_prefix(&a[..70], &a), 70);
        assert_eq!(common_prefix(&a, &a[..130]), 130);
    }

    #[test]
    fn a_text_that_ends_first_still_has_its_last_line_compared() {
        let pairs = |x: &str, y: &str| {
            let (mut changed, mut at) = (Vec::new(), Vec::new());
            let complete = differing_lines(x, y, &mut changed, &mut at);
            (
                complete,
                changed
                    .into_iter()
                    .map(|(a, b)| format!("{a:?}/{b:?}"))
                    .collect::<Vec<_>>(),
                at,
            )
        };
        assert_eq!(
            pairs("a\nb", "a\nb\n"),
            (true, vec![r#""b"/"b\n""#.to_owned()], vec![2])
        );
        assert_eq!(
            pairs("a\nb\n", "a\nb"),
            (true, vec![r#""b\n"/"b""#.to_owned()], vec![2])
        );
        assert_eq!(
            pairs("a\r", "a\r\n"),
            (true, vec![r#""a\r"/"a\r\n""#.to_owned()], vec![0])
        );
        // A `\r` shared by both, then different: the line is the `\r`'s, compared whole.
        assert_eq!(
            pairs("a\rb\n", "a\r\nb\n").1,
            vec![r#""a\r"/"a\r\n""#.to_owned()]
        );
        assert_eq!(pairs("x\n", "x\n"), (true, Vec::new(), Vec::new()));
    }

    #[test]
    fn lines_are_cut_as_the_line_diff_cuts_them() {
        assert_eq!(lines("a\nb\r\nc\rd"), ["a\n", "b\r\n", "c\r", "d"]);
        assert_eq!(lines(""), Vec::<&str>::new());
        assert_eq!(lines("\r\n\n"), ["\r\n", "\n"]);
    }

    #[test]
    fn lines_made_equal_or_unequal_by_the_second_pair_fail_the_check() {
        let body: String = (0..120).map(|n| format!("line {n}\n")).collect();
        let old = format!("a: 1\nb: 2\n{body}");
        let new = format!("a: 1\nb: 3\n{body}");
        assert!(same_line_equalities((&old, &new), (&old, &new)));
        // Two different lines shown alike: equal in the second pair only.
        let shown = |t: &str| t.replace("a: 1", "x").replace("b: 2", "x");
        assert!(!same_line_equalities(
            (&old, &new),
            (&shown(&old), &shown(&new))
        ));
        // A line shown as another line of the file.
        let clash = |t: &str| t.replace("a: 1", "line 5");
        assert!(!same_line_equalities(
            (&old, &new),
            (&clash(&old), &clash(&new))
        ));
        // Shown differently in one text only.
        assert!(!same_line_equalities(
            (&old, &new),
            (&old.replace("a: 1", "a: <redacted>"), &new)
        ));
        // Renamed one to one everywhere: same operations.
        let renamed = |t: &str| t.replace("a: 1", "a: <redacted>");
        assert!(same_line_equalities(
            (&old, &new),
            (&renamed(&old), &renamed(&new))
        ));
        // Short texts are not judged: diffing them again is cheap.
        assert!(!same_line_equalities(("a\n", "b\n"), ("a\n", "b\n")));
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
