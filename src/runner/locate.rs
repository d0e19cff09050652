//! Location mapping: steps run on intermediate texts, but findings and errors must point into
//! the file the user has. [`LineMap`] maps a line of an intermediate text back to the input
//! line it comes from (a diff of the two), and locates what a step added at the nearest
//! enclosing node the input has.

use similar::{DiffOp, DiffTag};

use crate::document::{Document, EditError, Location, NodeId, NodeKind};

/// An engine refusal with its lines moved from the intermediate text into the input (a line a
/// step added becomes the input line it follows: an error needs some line).
pub(super) fn relocate(mut err: EditError, map: &LineMap) -> EditError {
    let fix = |line: &mut usize| *line = map.nearest_input_line(*line);
    match &mut err {
        EditError::Conflict { location }
        | EditError::Unsupported { location, .. }
        | EditError::Invalid { location, .. }
        | EditError::DuplicateKey { location, .. }
        | EditError::TooManyAliases { location } => fix(&mut location.line),
        EditError::AnchorInUse {
            location,
            alias_line,
        }
        | EditError::AliasedKey {
            location,
            alias_line,
        } => {
            fix(&mut location.line);
            fix(alias_line);
        }
        EditError::Verification { .. } => {}
    }
    err
}

/// Maps line numbers of an intermediate text back to the input, so that every finding points
/// into the file the user has: an unchanged line maps to itself, a line a step rewrote to the
/// input line it replaced. A line a step added has no input line.
pub(super) struct LineMap {
    /// The operations of the line diff of the input and the intermediate text that hold lines
    /// of the intermediate text (all but deletions), in order: a line is looked up in them, so
    /// the map costs what the diff has operations, not what the text has lines.
    ops: Vec<DiffOp>,
    /// How many lines the input has.
    input_lines: usize,
}

/// Where a line of the intermediate text comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// This 0-based input line, unchanged or rewritten.
    Input(usize),
    /// Added before this 0-based input line (the input's length when added at the end).
    AddedBefore(usize),
}

/// How many lines `str::lines` gives for `text`, counted without cutting it.
fn count_str_lines(text: &str) -> usize {
    let breaks = memchr::memchr_iter(b'\n', text.as_bytes()).count();
    breaks + usize::from(!text.is_empty() && !text.ends_with('\n'))
}

impl LineMap {
    pub(super) fn new(input: &str, current: &str) -> LineMap {
        LineMap::from_ops(input, &crate::diff::line_ops(input, current))
    }

    /// The map from `ops`, the line diff ([`crate::diff::line_ops`]) of `input` and the
    /// intermediate text.
    pub(super) fn from_ops(input: &str, ops: &[DiffOp]) -> LineMap {
        LineMap {
            ops: ops
                .iter()
                .filter(|op| !op.new_range().is_empty())
                .copied()
                .collect(),
            input_lines: count_str_lines(input),
        }
    }

    /// Where 0-based line `index` of the intermediate text comes from; `None` past its end.
    fn origin(&self, index: usize) -> Option<Origin> {
        let at = self.ops.partition_point(|op| op.new_range().end <= index);
        let op = self.ops.get(at)?;
        let (old, new) = (op.old_range(), op.new_range());
        let k = index.checked_sub(new.start)?;
        Some(match op.tag() {
            DiffTag::Equal => Origin::Input(old.start + k),
            // Lines written in place of others belong to the entry they replaced.
            DiffTag::Replace => Origin::Input(old.start + k.min(old.len().saturating_sub(1))),
            DiffTag::Insert | DiffTag::Delete => Origin::AddedBefore(old.start),
        })
    }

    /// The 1-based input line a 1-based line of the intermediate text comes from; `None` for a
    /// line a step added (or one the text does not have).
    fn to_input(&self, line: usize) -> Option<usize> {
        match self.origin(line.checked_sub(1)?)? {
            Origin::Input(l) => Some(l + 1),
            Origin::AddedBefore(_) => None,
        }
    }

    /// [`LineMap::to_input`], or for an added line the input line it follows (line 1 when it
    /// comes first), never past the input's last line.
    fn nearest_input_line(&self, line: usize) -> usize {
        let before = match line.checked_sub(1).and_then(|i| self.origin(i)) {
            Some(Origin::Input(l)) => l + 1,
            Some(Origin::AddedBefore(next)) => next,
            None => self.input_lines,
        };
        before.clamp(1, self.input_lines.max(1))
    }

    /// A location in the intermediate document `doc` as a location in the input. Something a
    /// step added (a key, or anything inside it) is located at the nearest enclosing entry or
    /// item the input has: the mapping the key was added to. `None` when nothing encloses it.
    pub(super) fn locate(&self, doc: &Document, at: Location) -> Option<Location> {
        if let Some(line) = self.to_input(at.line) {
            return Some(Location { line, ..at });
        }
        enclosing(doc, at).into_iter().rev().find_map(|outer| {
            self.to_input(outer.line)
                .map(|line| Location { line, ..outer })
        })
    }
}

/// Maps input lines forward into a migrated text, for `apply`'s report, which points into the
/// file as written: an unchanged line maps to where it now is; a rewritten line to the line of
/// its replacement that reads most like it (`X: "$5"` → `X: "$$5"`, `key: v` → `# key: v`), or
/// to the note above that line when the step commented the key out; a deleted line to the line
/// that now follows where it was.
pub(crate) struct ForwardMap {
    /// The operations of the line diff that hold input lines (all but insertions), in order: a
    /// line is looked up in them.
    ops: Vec<DiffOp>,
    /// The input lines of small replaced blocks, matched by content: (0-based input line,
    /// 0-based line of the migrated text), by input line.
    matched: Vec<(usize, usize)>,
    /// How many lines the input has (as `str::lines` counts them).
    input_lines: usize,
    /// The last 0-based line of the migrated text.
    last: usize,
}

/// Replaced blocks larger than this (old × new lines) are mapped by position, not by content.
const MATCHED_BLOCK: usize = 4096;

/// Two lines are compared by edit distance only when the product of their lengths is at most
/// this (the distance costs that many steps): longer lines, such as the one line of a minified
/// JSON file, only match when equal. Without the bound, `apply` on a 3 MB one-line file spent
/// hours comparing its line with the migrated one.
const COMPARED_LINE_PAIR: usize = 1 << 22;

/// How much `candidate` reads like `old`, from 0 to 1.
fn similarity(old: &str, candidate: &str) -> f64 {
    if old.len().saturating_mul(candidate.len()) <= COMPARED_LINE_PAIR {
        strsim::normalized_levenshtein(old, candidate)
    } else if old == candidate {
        1.0
    } else {
        0.0
    }
}

/// Reads lines of a text (as `str::lines` gives them) at increasing indexes.
struct StrLines<'a> {
    lines: std::str::Lines<'a>,
    next: usize,
}

impl<'a> StrLines<'a> {
    fn new(text: &'a str) -> StrLines<'a> {
        StrLines {
            lines: text.lines(),
            next: 0,
        }
    }

    /// Line `index` (at or after the last one read); `None` past the end.
    fn get(&mut self, index: usize) -> Option<&'a str> {
        let skip = index.checked_sub(self.next)?;
        self.next = index + 1;
        self.lines.nth(skip)
    }
}

impl ForwardMap {
    pub(crate) fn new(input: &str, output: &str) -> ForwardMap {
        ForwardMap::from_ops(input, output, &crate::diff::line_ops(input, output))
    }

    /// The map from `ops`, the line diff ([`crate::diff::line_ops`]) of `input` and `output`.
    /// Only the lines of small replaced blocks are read (to match them by content).
    pub(crate) fn from_ops(input: &str, output: &str, ops: &[DiffOp]) -> ForwardMap {
        let input_lines = count_str_lines(input);
        let (mut old_lines, mut new_lines) = (StrLines::new(input), StrLines::new(output));
        let mut matched = Vec::new();
        let mut window: Vec<&str> = Vec::new();
        for op in ops {
            let (old, new) = (op.old_range(), op.new_range());
            if op.tag() != DiffTag::Replace || old.len() * new.len() > MATCHED_BLOCK {
                continue;
            }
            window.clear();
            window.extend(new.clone().map_while(|n| new_lines.get(n)));
            let new_line = |n: usize| {
                n.checked_sub(new.start)
                    .and_then(|k| window.get(k))
                    .copied()
            };
            // Lines keep their order: each old line of a block matches at or after the last.
            let mut floor = new.start;
            for i in old.take_while(|i| *i < input_lines) {
                let line = old_lines.get(i).unwrap_or_default();
                let (at, shown) = best_match(line, new_line, floor..new.end);
                floor = at;
                matched.push((i, shown));
            }
        }
        ForwardMap {
            ops: ops
                .iter()
                .filter(|op| !op.old_range().is_empty())
                .copied()
                .collect(),
            matched,
            input_lines,
            last: count_str_lines(output).saturating_sub(1),
        }
    }

    /// The 1-based line of the migrated text where 1-based input line `line` is.
    pub(crate) fn line(&self, line: usize) -> usize {
        let Some(last_input) = self.input_lines.checked_sub(1) else {
            return line;
        };
        let index = line.saturating_sub(1).min(last_input);
        if let Ok(at) = self.matched.binary_search_by_key(&index, |m| m.0) {
            return self.matched[at].1 + 1;
        }
        let at = self.ops.partition_point(|op| op.old_range().end <= index);
        let Some(op) = self.ops.get(at) else {
            return 1;
        };
        let (old, new) = (op.old_range(), op.new_range());
        let Some(k) = index.checked_sub(old.start) else {
            return 1;
        };
        1 + match op.tag() {
            DiffTag::Equal => new.start + k,
            DiffTag::Delete | DiffTag::Insert => new.start.min(self.last),
            DiffTag::Replace => new.start + k.min(new.len().saturating_sub(1)),
        }
    }
}

/// The 0-based line of lines `range` of the migrated text (`new_line`) that reads most like `old` (its text with a `# `
/// comment prefix removed, compared without indentation; the first of equals), and the line to
/// show for it: the note line above it when the step commented the entry out under a note.
fn best_match<'a>(
    old: &str,
    new_line: impl Fn(usize) -> Option<&'a str>,
    range: std::ops::Range<usize>,
) -> (usize, usize) {
    let uncomment = |l: &str| {
        let t = l.trim_start();
        t.strip_prefix("# ").unwrap_or(t).to_owned()
    };
    let old = old.trim();
    let mut best = (f64::MIN, range.start);
    for n in range.clone() {
        let candidate = new_line(n).unwrap_or_default();
        let score = similarity(old, &uncomment(candidate));
        if score > best.0 {
            best = (score, n);
        }
    }
    let n = best.1;
    let note_above = n > range.start
        && new_line(n - 1).is_some_and(|l| l.trim_start().starts_with("# pomerium-migrate "))
        && new_line(n).is_some_and(|l| l.trim_start().starts_with('#'))
        && !old.starts_with('#');
    (n, if note_above { n - 1 } else { n })
}

/// The locations of the nodes and entry keys that enclose the node or key written at `target`,
/// outermost first and ending with `target`; empty when no node or key is written there.
/// Aliases are not followed (what they name is written, and found, elsewhere).
fn enclosing(doc: &Document, target: Location) -> Vec<Location> {
    fn walk(doc: &Document, id: NodeId, target: Location, chain: &mut Vec<Location>) -> bool {
        let here = doc.location(id);
        chain.push(here);
        if here == target {
            return true;
        }
        if doc.resolve(id) == id {
            match &doc.node(id).kind {
                NodeKind::Mapping(entries) => {
                    for entry in entries {
                        let key = doc.location(entry.key_node);
                        chain.push(key);
                        if key == target || walk(doc, entry.value, target, chain) {
                            return true;
                        }
                        chain.pop();
                    }
                }
                NodeKind::Sequence(items) => {
                    if items.iter().any(|item| walk(doc, *item, target, chain)) {
                        return true;
                    }
                }
                NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
            }
        }
        chain.pop();
        false
    }
    let mut chain = Vec::new();
    if let Some(root) = doc.root() {
        walk(doc, root, target, &mut chain);
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    /// A file on one line replaced by another one-line file maps its line to the line: the
    /// two lines are not compared by edit distance (which costs the product of their lengths).
    #[test]
    fn a_long_replaced_line_maps_by_position_without_comparing_it() {
        let input = format!("{{\"a\": \"{}\"}}\n", "x".repeat(100_000));
        let output = format!("{{\"a\": \"{}y\"}}\n", "x".repeat(100_000));
        let map = ForwardMap::new(&input, &output);
        assert_eq!(map.line(1), 1);
        assert_eq!(similarity(&input, &output), 0.0);
        assert_eq!(similarity(&input, &input), 1.0);
        assert!((similarity("abcd", "abce") - 0.75).abs() < 1e-9);
    }

    #[test]
    fn line_map_follows_inserted_and_removed_lines() {
        let input = "a\nb\nc\nd\n";
        let current = "a\n# note\n# b\nc\nX\n";
        let map = LineMap::new(input, current);
        assert_eq!(map.to_input(1), Some(1));
        assert_eq!(map.to_input(4), Some(3)); // c
        assert_eq!(map.to_input(2), Some(2)); // the note replaced b
        assert_eq!(map.to_input(5), Some(4)); // X replaced d
        assert_eq!(map.to_input(99), None);
        assert_eq!(map.nearest_input_line(99), 4);
    }

    fn yaml(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(doc) => doc,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    #[test]
    fn added_things_are_located_at_what_encloses_them_in_the_input() {
        let input = "a: 1\nroutes:\n  - from: https://x\nb: 2\n";
        let current = "a: 1\nroutes:\n  - from: https://x\n    added: y\nnew:\n  inner: z\nb: 2\n";
        let (map, doc) = (LineMap::new(input, current), yaml(current));
        let at = |line, column| Location { line, column };
        // Kept lines map as they are.
        assert_eq!(map.locate(&doc, at(7, 1)), Some(at(4, 1)));
        // A key added to a route: the route's mapping, which the input has.
        assert_eq!(map.locate(&doc, at(4, 5)), Some(at(3, 5)));
        assert_eq!(map.locate(&doc, at(4, 12)), Some(at(3, 5)));
        // Inside a new top-level block: the root mapping.
        assert_eq!(map.locate(&doc, at(6, 3)), Some(at(1, 1)));
        // No node written there: no location rather than a guess.
        assert_eq!(map.locate(&doc, at(5, 30)), None);
        // Added after the input's last line: never a line past its end.
        let input = "database-url: x\n";
        let current = "database-url: x\nsigning-key: k\n";
        let (map, doc) = (LineMap::new(input, current), yaml(current));
        assert_eq!(map.locate(&doc, at(2, 1)), Some(at(1, 1)));
        assert_eq!(map.nearest_input_line(2), 1);
    }
}

#[cfg(test)]
mod forward_tests {
    use super::*;

    #[test]
    fn input_lines_move_to_where_they_are_written() {
        let input = "a: 1\nold: x\nb: \"$5\"\nkeep: 1\nc: 3\nd: 4\n";
        let output = "a: 1\n# pomerium-migrate v0.2: removed\n# old: x\nadded: y\nb: \"$$5\"\nkeep: 1\nd: 4\n";
        let map = ForwardMap::new(input, output);
        assert_eq!(map.line(1), 1);
        // Commented out under a note: the note line.
        assert_eq!(map.line(2), 2);
        // Rewritten in place, after an added line.
        assert_eq!(map.line(3), 5);
        assert_eq!(map.line(4), 6);
        // Deleted: the line that now follows where it was.
        assert_eq!(map.line(5), 7);
        assert_eq!(map.line(6), 7);
        // Past the end: the last line.
        assert_eq!(map.line(99), 7);
    }

    #[test]
    fn lines_of_a_replaced_block_keep_their_order() {
        let input = "- cert: AAAA\n  key: BBBB\n- cert: |\n    CCCC\n  key: >-\n    DDDD\n";
        let output = "- cert: a.pem\n  key: a-key.pem\n- cert: b.pem\n  key: b-key.pem\n";
        let map = ForwardMap::new(input, output);
        let lines: Vec<usize> = [1, 2, 3, 5].iter().map(|l| map.line(*l)).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
    }
}

/// The maps made from the line diff of the changes the steps made ([`crate::changes`]) against
/// the texts themselves and against the maps made from the whole-text diff.
#[cfg(test)]
mod changed_tests {
    use super::*;
    use crate::changes::Changes;
    use crate::diff::lines;
    use proptest::prelude::*;

    /// Each line of `text` with its byte range.
    fn spans(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
        let mut at = 0;
        lines(text)
            .into_iter()
            .map(|l| {
                at += l.len();
                (at - l.len()..at, l)
            })
            .collect()
    }

    /// The migrated line of every input line, as the forward map was built before it looked
    /// lines up in the operations.
    fn every_input_line(input: &str, output: &str, ops: &[DiffOp]) -> Vec<usize> {
        let old_lines: Vec<&str> = input.lines().collect();
        let new_lines: Vec<&str> = output.lines().collect();
        let last = new_lines.len().saturating_sub(1);
        let mut lines = vec![0; old_lines.len()];
        for op in ops {
            let (old, new) = (op.old_range(), op.new_range());
            let mut floor = new.start;
            for (k, i) in old.clone().enumerate() {
                let Some(slot) = lines.get_mut(i) else {
                    continue;
                };
                *slot = match op.tag() {
                    DiffTag::Equal => new.start + k,
                    DiffTag::Delete | DiffTag::Insert => new.start.min(last),
                    DiffTag::Replace if old.len() * new.len() > MATCHED_BLOCK => {
                        new.start + k.min(new.len() - 1)
                    }
                    DiffTag::Replace => {
                        let line = old_lines.get(i).copied().unwrap_or_default();
                        let get = |n: usize| new_lines.get(n).copied();
                        let (matched, shown) = best_match(line, get, floor..new.end);
                        floor = matched;
                        shown
                    }
                };
            }
        }
        lines
    }

    /// The origin of every line of the intermediate text, and the input's line count, as the
    /// map was built before it looked lines up in the operations.
    fn every_line(input: &str, ops: &[DiffOp]) -> (Vec<Origin>, usize) {
        let mut lines = Vec::new();
        for op in ops {
            let old = op.old_range();
            for k in 0..op.new_range().len() {
                lines.push(match op.tag() {
                    DiffTag::Equal => Origin::Input(old.start + k),
                    DiffTag::Replace => Origin::Input(old.start + k.min(old.len() - 1)),
                    DiffTag::Insert | DiffTag::Delete => Origin::AddedBefore(old.start),
                });
            }
        }
        (lines, input.lines().count())
    }

    fn config(routes: &[u8]) -> String {
        let mut text = String::from("# head\nroutes:\n");
        for (n, kind) in routes.iter().enumerate() {
            text.push_str(&format!("  - from: https://r{n}\n"));
            if kind % 2 == 0 {
                text.push_str("    to: http://b\n");
            }
            if kind % 3 == 0 {
                text.push_str("    allowed_users: [a]\n\n");
            }
        }
        text
    }

    #[test]
    fn lines_are_counted_as_str_lines_counts_them() {
        for text in [
            "",
            "a",
            "a\n",
            "a\nb",
            "\n\n",
            "a\r\nb\r\n",
            "a\rb",
            "x\r",
            "\r\n",
        ] {
            assert_eq!(count_str_lines(text), text.lines().count(), "{text:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Unchanged lines map to input lines of the same text, both ways; where the two diffs
        /// agree the maps are the same maps.
        #[test]
        fn maps_from_the_changes_agree_with_the_texts(
            routes in prop::collection::vec(any::<u8>(), 1..60),
            picks in prop::collection::vec((any::<u16>(), 0u8..6), 0..10),
        ) {
            let old = config(&routes);
            let starts: Vec<usize> = spans(&old).into_iter().map(|(r, _)| r.start).collect();
            let mut edits: Vec<(usize, usize, String)> = Vec::new();
            let mut picked: Vec<(usize, u8)> = picks
                .iter()
                .map(|&(at, what)| (starts[usize::from(at) % starts.len()], what))
                .collect();
            picked.sort();
            picked.dedup_by_key(|p| p.0);
            for (at, what) in picked {
                let line_end = old[at..].find('\n').map_or(old.len(), |i| at + i + 1);
                let commented = format!(
                    "    # pomerium-migrate v0.2: removed\n    # {}",
                    old[at..line_end].trim_start()
                );
                edits.push(match what {
                    0 => (at, at, "    # pomerium-migrate v0.2: note\n".to_owned()),
                    1 => (at, line_end, String::new()),
                    2 => (at, line_end, "    # to: removed\n".to_owned()),
                    3 => (at, (at + 2).min(line_end), "  ".to_owned()),
                    4 => (at, line_end, commented),
                    _ => (at, at, "\n".to_owned()),
                });
            }
            let mut new = String::new();
            let mut last = 0;
            for (s, e, t) in &edits {
                new.push_str(&old[last..*s]);
                new.push_str(t);
                last = *e;
            }
            new.push_str(&old[last..]);
            let splices: Vec<(usize, usize, usize)> =
                edits.iter().map(|(s, e, t)| (*s, *e, t.len())).collect();
            let changes = Changes::from_splices(&splices);
            prop_assert!(changes.is_some());
            let changes = changes.unwrap_or_default();
            let ops = changes.line_ops(&old, &new);
            prop_assert!(ops.is_some());
            let ops = ops.unwrap_or_default();
            let whole = crate::diff::line_ops(&old, &new);
            let (back, back_whole) = (LineMap::from_ops(&old, &ops), LineMap::from_ops(&old, &whole));
            // The forward map agrees with the one that held every input line.
            for diff in [&ops, &whole] {
                let (map, oracle) = (ForwardMap::from_ops(&old, &new, diff), every_input_line(&old, &new, diff));
                for line in 0..oracle.len() + 3 {
                    let expected = oracle.get(line.saturating_sub(1)).or(oracle.last()).map_or(line, |l| l + 1);
                    prop_assert_eq!(map.line(line), expected, "input line {}", line);
                }
            }
            // The map looks lines up in the operations; the map of every line it replaced
            // agrees with it.
            for diff in [&ops, &whole] {
                let (map, oracle) = (LineMap::from_ops(&old, diff), every_line(&old, diff));
                for line in 0..oracle.0.len() + 3 {
                    let expected = match line.checked_sub(1).and_then(|i| oracle.0.get(i)) {
                        Some(Origin::Input(l)) => Some(l + 1),
                        _ => None,
                    };
                    prop_assert_eq!(map.to_input(line), expected);
                    let nearest = match line.checked_sub(1).and_then(|i| oracle.0.get(i)) {
                        Some(Origin::Input(l)) => l + 1,
                        Some(Origin::AddedBefore(next)) => *next,
                        None => oracle.1,
                    };
                    prop_assert_eq!(map.nearest_input_line(line), nearest.clamp(1, oracle.1.max(1)));
                }
            }
            let forward = ForwardMap::from_ops(&old, &new, &ops);
            let forward_whole = ForwardMap::from_ops(&old, &new, &whole);
            let (old_spans, new_spans) = (spans(&old), spans(&new));
            // Lines the diff keeps map to each other, both ways, and read the same.
            for op in &ops {
                if let similar::DiffOp::Equal { old_index, new_index, len } = *op {
                    for k in 0..len {
                        let (o, n) = (old_index + k, new_index + k);
                        prop_assert_eq!(old_spans[o].1, new_spans[n].1);
                        prop_assert_eq!(back.to_input(n + 1), Some(o + 1));
                        prop_assert_eq!(forward.line(o + 1), n + 1);
                    }
                }
            }
            // Where the two diffs agree, so do the maps made from them.
            if ops == whole {
                for i in 0..new_spans.len() {
                    prop_assert_eq!(back.to_input(i + 1), back_whole.to_input(i + 1));
                    prop_assert_eq!(back.nearest_input_line(i + 1), back_whole.nearest_input_line(i + 1));
                }
                for i in 0..old_spans.len() {
                    prop_assert_eq!(forward.line(i + 1), forward_whole.line(i + 1));
                }
            }
        }
    }
}
