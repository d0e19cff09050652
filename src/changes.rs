//! Where a migrated text differs from its input, known from the splices the engine applied
//! rather than found by diffing the two texts, and the line diff made from it.
//!
//! Every step that edits renders its edits as splices of the text it ran on (see
//! `document::splice`; YAML reports them as [`Changed`]). The chain composes them step by step
//! into [`Changes`]: byte regions of the input and of the current text such that everything
//! outside them is the same bytes in both. [`Changes::line_ops`] then diffs only the lines
//! around each region and joins the pieces with the unchanged lines between them, so a run pays
//! for its changes, not for the length of the file.
//!
//! # How the result compares with a diff of the whole texts
//!
//! The operations are always a correct line diff of the two texts (applied to the input they
//! give the result), and each changed region is diffed by `similar`'s Patience diff, as
//! [`crate::diff::line_ops`] diffs whole texts. Before diffing, each region is widened to whole
//! lines and by [`PAD`] unchanged lines on each side, and regions that then meet are diffed
//! together, so an insertion that repeats its neighbours slides within the window as it would in
//! the whole text. The operations equal those of the whole-text diff except where the whole-text
//! diff aligns lines differently for reasons outside a window:
//!
//! - a line that occurs once inside a window but elsewhere in the file too is an anchor of the
//!   window's Patience diff and not of the whole text's (the whole text diffs it with Myers'
//!   algorithm instead, which may pick another of several equally short alignments);
//! - a run of inserted or deleted lines that repeats more than [`PAD`] unchanged lines next to it
//!   may be placed at the other end of that run by the whole-text diff (its compaction slides
//!   such runs until they meet another change);
//! - lines moved from one window to another far away are shown as deleted and inserted where
//!   the whole-text diff might keep them and show what lies between as changed instead.
//!
//! In each case both diffs change the same text in the same places up to that alignment; the
//! tests compare the two on random edits.

use std::ops::Range;

use similar::{Algorithm, DiffOp};

use crate::document::Changed;

/// Unchanged lines diffed with each changed region on either side (see the module doc).
pub const PAD: usize = 3;

/// A changed region: `old` of the input became `new` of the current text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Region {
    old: Range<usize>,
    new: Range<usize>,
}

/// Where two texts differ: sorted, disjoint byte regions of each, paired in order; outside them
/// the texts are the same bytes (the stretch before the first region, between two regions and
/// after the last are equal in both). Built from a step's splices and composed through the
/// chain; [`Changes::holds`] checks the claim against the texts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    regions: Vec<Region>,
}

/// `at` moved by `delta` bytes; `None` when it would leave the range of `usize`.
fn moved(at: usize, delta: i128) -> Option<usize> {
    usize::try_from(i128::try_from(at).ok()? + delta).ok()
}

/// The length of `range` as a signed count.
fn len(range: &Range<usize>) -> i128 {
    i128::try_from(range.end.saturating_sub(range.start)).unwrap_or(i128::MAX)
}

impl Changes {
    /// The changes that `splices` (sorted by place, not overlapping, each `(start, end, new
    /// length)` of the old text) make; `None` when they are not in that form.
    pub(crate) fn from_splices(splices: &[Changed]) -> Option<Changes> {
        let mut regions: Vec<Region> = Vec::with_capacity(splices.len());
        let (mut delta, mut last_end) = (0i128, 0usize);
        for &(start, end, new_len) in splices {
            if end < start || start < last_end {
                return None;
            }
            last_end = end;
            let new_start = moved(start, delta)?;
            let new_end = new_start.checked_add(new_len)?;
            delta += len(&(new_start..new_end)) - len(&(start..end));
            if start == end && new_len == 0 {
                continue;
            }
            match regions.last_mut() {
                // Splices that meet make one region.
                Some(last) if last.old.end == start => {
                    last.old.end = end;
                    last.new.end = new_end;
                }
                _ => regions.push(Region {
                    old: start..end,
                    new: new_start..new_end,
                }),
            }
        }
        Some(Changes { regions })
    }

    /// These changes (input → current) followed by `next` (current → next), as changes of the
    /// input → next; `None` when `next` is not in splice form.
    pub(crate) fn then(&self, next: &Changes) -> Option<Changes> {
        let (a, b) = (&self.regions, &next.regions);
        let (mut i, mut j) = (0, 0);
        // Input minus current past the regions of `a` taken so far; next minus current past
        // those of `b`.
        let (mut da, mut db) = (0i128, 0i128);
        let mut regions = Vec::with_capacity(a.len().max(b.len()));
        loop {
            // In the current text's positions: `a`'s regions end there (`new`), `b`'s start
            // there (`old`).
            let start = match (a.get(i), b.get(j)) {
                (None, None) => break,
                (Some(x), None) => x.new.start,
                (None, Some(y)) => y.old.start,
                (Some(x), Some(y)) => x.new.start.min(y.old.start),
            };
            let (old_start, new_start) = (moved(start, da)?, moved(start, db)?);
            let mut end = start;
            loop {
                let mut took = false;
                if let Some(x) = a.get(i).filter(|x| x.new.start <= end) {
                    end = end.max(x.new.end);
                    da += len(&x.old) - len(&x.new);
                    i += 1;
                    took = true;
                }
                if let Some(y) = b.get(j).filter(|y| y.old.start <= end) {
                    end = end.max(y.old.end);
                    db += len(&y.new) - len(&y.old);
                    j += 1;
                    took = true;
                }
                if !took {
                    break;
                }
            }
            regions.push(Region {
                old: old_start..moved(end, da)?,
                new: new_start..moved(end, db)?,
            });
        }
        Some(Changes { regions })
    }

    /// Whether `old` and `new` are the same bytes outside the regions (and the regions lie
    /// within them): what the line diff below relies on. A byte comparison of the unchanged
    /// text, far cheaper than a diff.
    pub fn holds(&self, old: &str, new: &str) -> bool {
        let (ob, nb) = (old.as_bytes(), new.as_bytes());
        let (mut po, mut pn) = (0, 0);
        for r in &self.regions {
            if r.old.end < r.old.start || r.new.end < r.new.start {
                return false;
            }
            match (ob.get(po..r.old.start), nb.get(pn..r.new.start)) {
                (Some(x), Some(y)) if x == y => {}
                _ => return false,
            }
            (po, pn) = (r.old.end, r.new.end);
        }
        matches!((ob.get(po..), nb.get(pn..)), (Some(x), Some(y)) if x == y)
    }

    /// The line diff of `old` and `new` (the texts these changes are of), as
    /// [`crate::diff::line_ops`] gives it, made by diffing the lines around each region only
    /// (see the module doc for where the two may align lines differently). `None` when the
    /// changes do not hold for the texts ([`Changes::holds`]): diff them whole.
    pub fn line_ops(&self, old: &str, new: &str) -> Option<Vec<DiffOp>> {
        if !self.holds(old, new) {
            return None;
        }
        let (ob, nb) = (old.as_bytes(), new.as_bytes());
        let windows = windows(ob, nb, &self.regions)?;
        let groups = pad(ob, &windows);
        let mut ops = Vec::with_capacity(windows.len() * 3 + 1);
        // Reused from group to group.
        let (mut old_lines, mut new_lines, mut changed, mut cores) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut line_old, mut line_new) = (0usize, 0usize);
        let mut at = 0usize;
        for (g, members) in &groups {
            let same = count_lines(ob.get(at..g.old.start)?);
            push(
                &mut ops,
                DiffOp::Equal {
                    old_index: line_old,
                    new_index: line_new,
                    len: same,
                },
            );
            line_old += same;
            line_new += same;
            crate::diff::lines_into(old.get(g.old.clone())?, &mut old_lines);
            crate::diff::lines_into(new.get(g.new.clone())?, &mut new_lines);
            // The windows of the group as line ranges of it.
            changed.clear();
            let (mut o, mut n, mut from) = (0usize, 0usize, g.old.start);
            for w in windows.get(members.clone())? {
                let same = count_lines(ob.get(from..w.old.start)?);
                let (old_len, new_len) = (
                    count_lines(ob.get(w.old.clone())?),
                    count_lines(nb.get(w.new.clone())?),
                );
                changed.push((o + same..o + same + old_len, n + same..n + same + new_len));
                o += same + old_len;
                n += same + new_len;
                from = w.old.end;
            }
            window_ops(&old_lines, &new_lines, &changed, &mut cores, |op| {
                push(&mut ops, shifted(op, line_old, line_new));
            });
            line_old += old_lines.len();
            line_new += new_lines.len();
            at = g.old.end;
        }
        let same = count_lines(ob.get(at..)?);
        push(
            &mut ops,
            DiffOp::Equal {
                old_index: line_old,
                new_index: line_new,
                len: same,
            },
        );
        Some(ops)
    }
}

/// The line diff of one step's text and the text it made (`new` made of `old` by one batch of
/// edits, as `--per-step` keeps them), from the splices `new` records; `None` when it records
/// none or they do not hold for the two texts.
pub(crate) fn step_line_ops(
    old: &crate::document::Document,
    new: &crate::document::Document,
) -> Option<Vec<DiffOp>> {
    Changes::from_splices(new.changed()?)?.line_ops(old.text(), new.text())
}

/// How many line comparisons [`window_ops`] makes at most to show that a window's changed
/// lines match nothing; past that, `similar` diffs the window.
const MAX_COMPARISONS: usize = 1 << 14;

/// Windows this long on both sides may take `similar`'s shortcut for unrelated texts: they go to
/// `similar` itself.
const LONG_WINDOW: usize = 512;

/// The line diff of one window (lines `old` and `new`, unchanged at both ends), as `similar`'s
/// Patience diff makes it, without building its tables in the common case. `changed` are the
/// line ranges of each side that the splices touched (in order, the lines between them the same
/// on both sides). Trimmed of the lines they share at their ends, they are the cores; when no
/// core line equals any line of the other side, the only longest common subsequence keeps every
/// other line in place, Patience's anchors and `similar`'s compaction agree with it, and the
/// diff is each core replaced, inserted or deleted where it is. Every other window goes to
/// `similar`.
fn window_ops(
    old: &[&str],
    new: &[&str],
    changed: &[(Range<usize>, Range<usize>)],
    cores: &mut Vec<(Range<usize>, Range<usize>)>,
    mut emit: impl FnMut(DiffOp),
) {
    let whole = |emit: &mut dyn FnMut(DiffOp)| {
        for op in similar::capture_diff_slices(Algorithm::Patience, old, new) {
            emit(op);
        }
    };
    if old.len() >= LONG_WINDOW && new.len() >= LONG_WINDOW {
        return whole(&mut emit);
    }
    cores.clear();
    let mut comparisons = 0usize;
    for (o, n) in changed {
        let (Some(os), Some(ns)) = (old.get(o.clone()), new.get(n.clone())) else {
            return whole(&mut emit);
        };
        let prefix = os.iter().zip(ns).take_while(|(a, b)| a == b).count();
        let suffix = os[prefix..]
            .iter()
            .rev()
            .zip(ns[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let core = (
            o.start + prefix..o.end - suffix,
            n.start + prefix..n.end - suffix,
        );
        comparisons += core.0.len() * new.len() + core.1.len() * old.len();
        if comparisons > MAX_COMPARISONS
            || old[core.0.clone()].iter().any(|l| new.contains(l))
            || new[core.1.clone()].iter().any(|l| old.contains(l))
        {
            return whole(&mut emit);
        }
        cores.push(core);
    }
    // The lines between the cores are the same on both sides (checked before anything is
    // emitted).
    let (mut o, mut n) = (0usize, 0usize);
    for (oc, nc) in cores.iter() {
        if oc.start < o || nc.start < n || oc.start - o != nc.start - n {
            return whole(&mut emit);
        }
        (o, n) = (oc.end, nc.end);
    }
    if old.len() < o || new.len() < n || old.len() - o != new.len() - n {
        return whole(&mut emit);
    }
    let (mut o, mut n) = (0usize, 0usize);
    for (oc, nc) in cores.drain(..) {
        if oc.start > o {
            emit(DiffOp::Equal {
                old_index: o,
                new_index: n,
                len: oc.start - o,
            });
        }
        match (oc.len(), nc.len()) {
            (0, 0) => {}
            (0, new_len) => emit(DiffOp::Insert {
                old_index: oc.start,
                new_index: nc.start,
                new_len,
            }),
            (old_len, 0) => emit(DiffOp::Delete {
                old_index: oc.start,
                old_len,
                new_index: nc.start,
            }),
            (old_len, new_len) => emit(DiffOp::Replace {
                old_index: oc.start,
                old_len,
                new_index: nc.start,
                new_len,
            }),
        }
        (o, n) = (oc.end, nc.end);
    }
    if old.len() > o {
        emit(DiffOp::Equal {
            old_index: o,
            new_index: n,
            len: old.len() - o,
        });
    }
}

/// Appends `op`, joining it to an equal run just before it; empty runs are dropped.
fn push(ops: &mut Vec<DiffOp>, op: DiffOp) {
    if let DiffOp::Equal { len, .. } = op {
        if len == 0 {
            return;
        }
        if let Some(DiffOp::Equal { len: last, .. }) = ops.last_mut() {
            *last += len;
            return;
        }
    }
    ops.push(op);
}

/// `op` of a window whose first lines are `old` and `new` of the whole texts.
fn shifted(op: DiffOp, old: usize, new: usize) -> DiffOp {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + old,
            new_index: new_index + new,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + old,
            old_len,
            new_index: new_index + new,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + old,
            new_index: new_index + new,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + old,
            old_len,
            new_index: new_index + new,
            new_len,
        },
    }
}

/// Whether a line starts at byte `at` of `text`, as [`crate::diff::lines`] cuts lines (after
/// `\n`, after `\r` not followed by `\n`, at either end).
fn boundary(text: &[u8], at: usize) -> bool {
    match at.checked_sub(1).and_then(|i| text.get(i)) {
        None => true,
        Some(b'\n') => true,
        Some(b'\r') => text.get(at) != Some(&b'\n'),
        Some(_) => at >= text.len(),
    }
}

/// The last line start before `at` (0 when none).
fn line_start_before(text: &[u8], at: usize) -> usize {
    let mut end = at.saturating_sub(1);
    while let Some(i) = memchr::memrchr2(b'\n', b'\r', text.get(..end).unwrap_or_default()) {
        if boundary(text, i + 1) {
            return i + 1;
        }
        end = i;
    }
    0
}

/// The first line start after `at` (the text's end when none).
fn line_start_after(text: &[u8], at: usize) -> usize {
    let mut from = at;
    while let Some(i) = memchr::memchr2(b'\n', b'\r', text.get(from..).unwrap_or_default()) {
        let next = from + i + 1;
        if boundary(text, next) {
            return next;
        }
        from = next;
    }
    text.len()
}

/// How many lines `stretch` holds, cut as [`crate::diff::lines`] cuts them; `stretch` starts
/// at a line start, and a last line without its break counts.
pub(crate) fn count_lines(stretch: &[u8]) -> usize {
    let breaks = memchr::memchr_iter(b'\n', stretch).count();
    let lone_cr = memchr::memchr_iter(b'\r', stretch)
        .filter(|&i| stretch.get(i + 1) != Some(&b'\n'))
        .count();
    let open = stretch
        .last()
        .is_some_and(|&last| last != b'\n' && last != b'\r');
    breaks + lone_cr + usize::from(open)
}

/// The regions widened to whole lines of both texts, those that then meet or overlap joined.
fn windows(ob: &[u8], nb: &[u8], regions: &[Region]) -> Option<Vec<Region>> {
    let mut out: Vec<Region> = Vec::with_capacity(regions.len());
    let mut k = 0;
    while let Some(r) = regions.get(k) {
        k += 1;
        let mut w = r.clone();
        if !(boundary(ob, w.old.start) && boundary(nb, w.new.start)) {
            // The bytes before a region are the same in both texts back to the previous one.
            let start = line_start_before(ob, w.old.start);
            let back = w.old.start - start;
            w.old.start = start;
            w.new.start = w.new.start.checked_sub(back)?;
        }
        if let Some(last) = out.last().filter(|last| last.old.end >= w.old.start) {
            // Back into the previous window (whose end is a line start of both): join them.
            w.old.start = last.old.start;
            w.new.start = last.new.start;
            out.pop();
        }
        while !(boundary(ob, w.old.end) && boundary(nb, w.new.end)) {
            let end = line_start_after(ob, w.old.end);
            match regions.get(k) {
                // The line reaches the next region (or the byte after it is that region's):
                // the window takes it in.
                Some(next) if next.old.start <= end => {
                    w.old.end = next.old.end;
                    w.new.end = next.new.end;
                    k += 1;
                }
                _ => {
                    w.new.end += end - w.old.end;
                    w.old.end = end;
                }
            }
        }
        out.push(w);
    }
    Some(out)
}

/// `windows` (line windows of both texts, apart) widened by [`PAD`] unchanged lines on each
/// side, those that then meet joined: each group with the indexes of the windows it holds.
fn pad(ob: &[u8], windows: &[Region]) -> Vec<(Region, Range<usize>)> {
    let mut out: Vec<(Region, Range<usize>)> = Vec::with_capacity(windows.len());
    for (i, w) in windows.iter().enumerate() {
        let floor = i.checked_sub(1).map_or(0, |p| windows[p].old.end);
        let ceiling = windows.get(i + 1).map_or(ob.len(), |n| n.old.start);
        let mut start = w.old.start;
        for _ in 0..PAD {
            if start <= floor {
                break;
            }
            start = line_start_before(ob, start).max(floor);
        }
        let mut end = w.old.end;
        for _ in 0..PAD {
            if end >= ceiling {
                break;
            }
            end = line_start_after(ob, end).min(ceiling);
        }
        let padded = Region {
            old: start..end,
            new: w.new.start - (w.old.start - start)..w.new.end + (end - w.old.end),
        };
        match out.last_mut() {
            Some((last, members)) if last.old.end >= padded.old.start => {
                last.old.end = padded.old.end;
                last.new.end = padded.new.end;
                members.end = i + 1;
            }
            _ => out.push((padded, i..i + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::lines;
    use proptest::prelude::*;

    /// `text` with `splices` (sorted, apart) applied.
    fn apply(text: &str, splices: &[(usize, usize, String)]) -> String {
        let mut out = String::new();
        let mut at = 0;
        for (start, end, with) in splices {
            out.push_str(&text[at..*start]);
            out.push_str(with);
            at = *end;
        }
        out.push_str(&text[at..]);
        out
    }

    fn changed(splices: &[(usize, usize, String)]) -> Vec<Changed> {
        splices.iter().map(|(s, e, t)| (*s, *e, t.len())).collect()
    }

    /// Whether `ops` are a line diff of `old` and `new`: they cover both texts in order, and
    /// the lines they call equal are.
    fn is_diff_of(ops: &[DiffOp], old: &str, new: &str) -> Result<(), String> {
        let (old_lines, new_lines) = (lines(old), lines(new));
        let (mut o, mut n) = (0, 0);
        for op in ops {
            let (or, nr) = (op.old_range(), op.new_range());
            if or.start != o || nr.start != n {
                return Err(format!("{op:?} does not follow line {o}/{n}"));
            }
            if let DiffOp::Equal { .. } = op
                && old_lines.get(or.clone()) != new_lines.get(nr.clone())
            {
                return Err(format!("{op:?} joins different lines"));
            }
            (o, n) = (or.end, nr.end);
        }
        if o != old_lines.len() || n != new_lines.len() {
            return Err(format!("ops end at {o}/{n}"));
        }
        Ok(())
    }

    /// A text of lines from a small set (they repeat, as a config's keys do) with unique route
    /// lines among them, every kind of line break, sometimes none at the end.
    fn text(max_lines: usize) -> impl Strategy<Value = String> {
        crate::diff::tests::text_with_routes(max_lines, 100_000)
    }

    /// Splices of `text` at random bytes (char boundaries), sorted and apart, each replacing
    /// a short range with a short text that may hold line breaks and repeat nearby lines.
    fn splices(text: &str, picks: &[(u16, u8, u8)]) -> Vec<(usize, usize, String)> {
        let snippets = [
            "",
            "\n",
            "  key1: v\n",
            "  added: x\n",
            "# note\n  # key2: v\n",
            "X",
            "\r\n",
            "\r",
            "- from: https://new\n  key3: v\n",
        ];
        let mut out: Vec<(usize, usize, String)> = Vec::new();
        let mut positions: Vec<(usize, usize, usize)> = picks
            .iter()
            .map(|&(at, span, what)| {
                let start = usize::from(at) % (text.len() + 1);
                let end = (start + usize::from(span % 24)).min(text.len());
                (start, end, usize::from(what) % snippets.len())
            })
            .collect();
        positions.sort();
        for (start, end, what) in positions {
            if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
                continue;
            }
            if out.last().is_some_and(|(_, last_end, _)| *last_end > start) {
                continue;
            }
            out.push((start, end, snippets[what].to_owned()));
        }
        out
    }

    #[test]
    fn splices_that_meet_make_one_region_and_no_ops_are_dropped() {
        let c = Changes::from_splices(&[(2, 4, 1), (4, 4, 3), (6, 6, 0), (8, 9, 0)]);
        let regions = c.map(|c| c.regions);
        assert_eq!(
            regions,
            Some(vec![
                Region {
                    old: 2..4,
                    new: 2..6
                },
                Region {
                    old: 8..9,
                    new: 10..10
                },
            ])
        );
        // Out of order or overlapping: not splices.
        assert_eq!(Changes::from_splices(&[(4, 6, 0), (2, 3, 0)]), None);
        assert_eq!(Changes::from_splices(&[(4, 6, 0), (5, 7, 0)]), None);
    }

    #[test]
    fn changes_that_do_not_match_the_texts_are_refused() {
        let c = Changes::from_splices(&[(2, 3, 1)]).unwrap_or_default();
        assert!(c.holds("abcd", "abXd"));
        assert!(!c.holds("abcd", "abXe"));
        assert!(!c.holds("abcd", "Xbcd"));
        assert!(!c.holds("ab", "abX"));
        assert_eq!(c.line_ops("abcd", "abXe"), None);
    }

    #[test]
    fn a_migration_like_run_diffs_as_the_whole_texts_do() {
        // Every route edited (a key renamed, one commented out under a note, one added), as
        // the chain's steps do, in three rounds composed.
        let mut old = String::from("# header\nroutes:\n");
        for n in 0..300 {
            old.push_str(&format!(
                "  - from: https://r{n}.example.com\n    to: http://b{n}\n    allowed_users: [a]\n    tls_skip_verify: true\n    # kept\n"
            ));
        }
        let rounds: [(&str, &str); 3] = [
            ("allowed_users: [a]", "policy: [a]"),
            (
                "tls_skip_verify: true\n",
                "# pomerium-migrate: removed\n    # tls_skip_verify: true\n",
            ),
            ("    # kept\n", "    # kept\n    added_key: 1\n"),
        ];
        let mut changes = Changes::default();
        let mut text = old.clone();
        for (from, to) in rounds {
            let splices: Vec<(usize, usize, String)> = text
                .match_indices(from)
                .map(|(at, _)| (at, at + from.len(), to.to_owned()))
                .collect();
            let next = apply(&text, &splices);
            let step = Changes::from_splices(&changed(&splices));
            changes = step.and_then(|s| changes.then(&s)).unwrap_or_default();
            text = next;
        }
        assert!(changes.holds(&old, &text));
        // The note and the added key meet: one region.
        assert_eq!(changes.regions.len(), 600);
        assert_eq!(
            changes.line_ops(&old, &text),
            Some(crate::diff::line_ops(&old, &text))
        );
    }

    #[test]
    fn a_documents_recorded_splices_give_its_line_diff() -> Result<(), Box<dyn std::error::Error>> {
        use crate::document::{Document, Edit, Format};
        let text: String = (0..150)
            .map(|n| format!("# about k{n}\nk{n}: v{n}\n"))
            .collect();
        let doc = Document::parse(text, Format::Yaml)?;
        let edits: Vec<Edit> = (0..150)
            .step_by(7)
            .filter_map(|n| {
                let entry = doc.top(&format!("k{n}"))?;
                Some(Edit::RenameKey {
                    entry: entry.id,
                    new_key: format!("renamed_{n}"),
                })
            })
            .collect();
        assert_eq!(edits.len(), 22);
        let next = doc.apply(&edits)?;
        assert!(next.changed().is_some_and(|c| c.len() == 22));
        assert_eq!(
            step_line_ops(&doc, &next),
            Some(crate::diff::line_ops(doc.text(), next.text()))
        );
        // A parsed document records nothing: diffed whole.
        assert_eq!(step_line_ops(&next, &doc), None);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A window diffed without `similar`'s tables is diffed as `similar` diffs it.
        #[test]
        fn a_window_is_diffed_as_similar_diffs_it(
            pieces in prop::collection::vec(
                (
                    prop::collection::vec(0u8..16, 0..4),
                    prop::collection::vec(0u8..16, 0..4),
                    prop::collection::vec(0u8..8, 1..4),
                ),
                1..4,
            ),
            pad in prop::collection::vec(0u8..8, 0..4),
        ) {
            // The unchanged lines repeat; half the changed ones are lines found nowhere else
            // (as most lines a step writes are), which is the shape diffed without `similar`.
            let lines = [
                "a\n", "b\n", "c\n", "\n", "d\r\n", "e", "f\n", "g\n", "h\n", "i\n", "j\n",
                "k\n", "l\r", "m\n", "n\n", "o",
            ];
            let line = |n: &u8| lines[usize::from(*n)];
            // Unchanged lines, then changed ones and unchanged ones in turn.
            let (mut old, mut new): (Vec<&str>, Vec<&str>) =
                (pad.iter().map(line).collect(), pad.iter().map(line).collect());
            let mut changed = Vec::new();
            for (o, n, same) in &pieces {
                changed.push((old.len()..old.len() + o.len(), new.len()..new.len() + n.len()));
                old.extend(o.iter().map(line));
                new.extend(n.iter().map(line));
                old.extend(same.iter().map(line));
                new.extend(same.iter().map(line));
            }
            let mut ops = Vec::new();
            window_ops(&old, &new, &changed, &mut Vec::new(), |op| push(&mut ops, op));
            prop_assert_eq!(ops, similar::capture_diff_slices(Algorithm::Patience, &old, &new));
        }

        /// Composed through two steps, the changes hold for the input and the last text, and
        /// the line diff made from them is a diff of the two texts; where every window is
        /// apart from the others and from repeats it is the whole-text diff exactly.
        #[test]
        fn composed_changes_give_a_line_diff_of_the_texts(
            old in text(120),
            first in prop::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 0..8),
            second in prop::collection::vec((any::<u16>(), any::<u8>(), any::<u8>()), 0..8),
        ) {
            let a = splices(&old, &first);
            let mid = apply(&old, &a);
            let b = splices(&mid, &second);
            let new = apply(&mid, &b);
            let step_a = Changes::from_splices(&changed(&a));
            let step_b = Changes::from_splices(&changed(&b));
            prop_assert!(step_a.as_ref().is_some_and(|c| c.holds(&old, &mid)));
            prop_assert!(step_b.as_ref().is_some_and(|c| c.holds(&mid, &new)));
            let composed = step_a.zip(step_b).and_then(|(a, b)| a.then(&b));
            prop_assert!(composed.as_ref().is_some_and(|c| c.holds(&old, &new)));
            let ops = composed.and_then(|c| c.line_ops(&old, &new));
            prop_assert!(ops.is_some());
            let ops = ops.unwrap_or_default();
            if let Err(e) = is_diff_of(&ops, &old, &new) {
                prop_assert!(false, "{e}");
            }
            // The unified diff from these operations shows a correct diff too.
            let shown = crate::diff::unified_from_ops(&old, &new, &ops, "c.yaml");
            prop_assert_eq!(shown.is_empty(), old == new);
        }
    }
}
