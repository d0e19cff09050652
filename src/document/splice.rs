//! Planning and applying text splices, shared by the backends that edit a text in place (YAML,
//! JSON, TOML) and by redaction.
//!
//! A backend turns a batch of edits into [`Splice`]s — "replace this byte range by this text" —
//! collected in a [`SplicePlan`]. The plan puts them in one order ([`SplicePlan::sort`]),
//! refuses a plan where two splices overlap ([`SplicePlan::first_overlap`]) and writes the new
//! text in one pass ([`SplicePlan::apply`], or [`apply`] for plain pairs). What each backend
//! keeps to itself is how an edit becomes splices, and which splices may touch the text of an
//! entry that is being removed (that depends on how each format writes an entry).

use std::ops::Range;

/// One planned change: `start..end` of the source is replaced by `text` (an empty range inserts).
#[derive(Debug)]
pub(crate) struct Splice<O> {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Among splices at one place, those not `late` go first: text that belongs to what stands
    /// before the place (a nested insertion, a `key = value` line of the table above) comes
    /// before text that starts something new (a comment-out note, a header).
    pub late: bool,
    /// The order the splice was planned in: the last tie-break.
    pub seq: usize,
    /// What the splice belongs to, for the backend's own conflict checks.
    pub owner: O,
}

/// The splices of one batch of edits.
#[derive(Debug)]
pub(crate) struct SplicePlan<O> {
    splices: Vec<Splice<O>>,
}

impl<O> Default for SplicePlan<O> {
    fn default() -> Self {
        SplicePlan {
            splices: Vec::new(),
        }
    }
}

impl<O> SplicePlan<O> {
    /// Plans a splice; insertions at one place keep the order they are planned in.
    pub(crate) fn push(&mut self, range: Range<usize>, text: String, late: bool, owner: O) {
        let seq = self.splices.len();
        self.splices.push(Splice {
            start: range.start,
            end: range.end,
            text,
            late,
            seq,
            owner,
        });
    }

    /// Puts the splices in the order they apply: by place, then early before late, then in the
    /// order planned.
    pub(crate) fn sort(&mut self) {
        self.splices
            .sort_by_key(|s| (s.start, s.end, s.late, s.seq));
    }

    /// The start of the first splice that overlaps an earlier one; run after [`Self::sort`].
    /// Two insertions at one place do not overlap; an insertion at either end of a replaced
    /// range does not either.
    pub(crate) fn first_overlap(&self) -> Option<usize> {
        let mut last_end = 0;
        for s in &self.splices {
            if s.start < last_end {
                return Some(s.start);
            }
            last_end = last_end.max(s.end);
        }
        None
    }

    /// `prefix` followed by `src` with every splice applied; run after [`Self::sort`] and
    /// [`Self::first_overlap`].
    pub(crate) fn apply(&self, prefix: &str, src: &str) -> String {
        let capacity = prefix.len() + src.len() + self.splices.len() * 16;
        let mut out = String::with_capacity(capacity);
        out.push_str(prefix);
        apply_into(
            &mut out,
            src,
            self.splices
                .iter()
                .map(|s| (s.start..s.end, s.text.as_str())),
        );
        out
    }
}

impl<'p, O> IntoIterator for &'p SplicePlan<O> {
    type Item = &'p Splice<O>;
    type IntoIter = std::slice::Iter<'p, Splice<O>>;

    fn into_iter(self) -> Self::IntoIter {
        self.splices.iter()
    }
}

/// The first and last index of each run of consecutive numbers in a sorted list: the runs of
/// neighbouring entries that go together, so that their deleted ranges meet without
/// overlapping.
pub(crate) fn runs(sorted: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &i in sorted {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// Renders a whole file whose first `base` bytes (a BOM) are no part of the edited text: the
/// rest is planned through [`with_final_break`] and the prefix put back in front.
pub(crate) fn render_after_prefix<E>(
    text: &str,
    base: usize,
    eol: &str,
    render: impl FnOnce(&str) -> Result<String, E>,
) -> Result<String, E> {
    let mut out = with_final_break(&text[base..], eol, render)?;
    out.insert_str(0, &text[..base]);
    Ok(out)
}

/// Renders on `src` ended by a line break, so that its last line is a line like any other:
/// deleted last lines take their own break along (the line before them keeps its break, which
/// now ends the text) and new lines at the end are written like any others. A `src` without a
/// final break gets the output back without one: its last line break, whichever kind, goes.
pub(crate) fn with_final_break<E>(
    src: &str,
    eol: &str,
    render: impl FnOnce(&str) -> Result<String, E>,
) -> Result<String, E> {
    if src.is_empty() || src.ends_with(['\n', '\r']) {
        return render(src);
    }
    let mut out = render(&format!("{src}{eol}"))?;
    let kept = ["\r\n", "\n", "\r"]
        .iter()
        .find_map(|b| out.strip_suffix(b))
        .map_or(out.len(), str::len);
    out.truncate(kept);
    Ok(out)
}

/// `src` with each range replaced by its text. The splices come sorted by start and do not
/// overlap (checked first); insertions are empty ranges and keep their order.
pub(crate) fn apply<'a>(
    src: &str,
    splices: impl IntoIterator<Item = (Range<usize>, &'a str)>,
) -> String {
    let mut out = String::with_capacity(src.len());
    apply_into(&mut out, src, splices);
    out
}

fn apply_into<'a>(
    out: &mut String,
    src: &str,
    splices: impl IntoIterator<Item = (Range<usize>, &'a str)>,
) {
    let mut at = 0;
    for (range, text) in splices {
        if range.start >= at {
            out.push_str(&src[at..range.start]);
            at = range.start;
        }
        out.push_str(text);
        at = at.max(range.end);
    }
    out.push_str(&src[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_inserts_in_order() {
        let out = apply("a: 1\nb: 2\n", [(0..1, "x"), (5..5, "c: 3\n"), (8..9, "9")]);
        assert_eq!(out, "x: 1\nc: 3\nb: 9\n");
    }

    #[test]
    fn a_plan_sorts_early_before_late_and_finds_overlaps() {
        let mut plan = SplicePlan::default();
        plan.push(5..5, "late ".into(), true, ());
        plan.push(5..5, "early ".into(), false, ());
        plan.push(0..1, "x".into(), false, ());
        plan.sort();
        assert_eq!(plan.first_overlap(), None);
        assert_eq!(plan.apply(">", "a: 1\nb: 2\n"), ">x: 1\nearly late b: 2\n");
        let mut plan = SplicePlan::default();
        plan.push(2..4, String::new(), false, ());
        plan.push(4..4, "at the end".into(), false, ());
        plan.push(0..3, String::new(), false, ());
        plan.sort();
        assert_eq!(plan.first_overlap(), Some(2));
    }

    #[test]
    fn a_text_without_a_final_break_is_rendered_with_one_and_given_back_without() {
        let render = |src: &str| -> Result<String, ()> {
            // Deletes the last line, and keeps everything else.
            let last = src[..src.len() - 1].rfind('\n').map_or(0, |i| i + 1);
            Ok(src[..last].to_owned())
        };
        assert_eq!(
            with_final_break("a: 1\nb: 2", "\n", render),
            Ok("a: 1".into())
        );
        assert_eq!(
            with_final_break("a: 1\r\nb: 2", "\r\n", render),
            Ok("a: 1".into())
        );
        assert_eq!(
            with_final_break("a: 1\n\nb: 2", "\n", render),
            Ok("a: 1\n".into())
        );
        assert_eq!(
            with_final_break("a: 1\nb: 2\n", "\n", render),
            Ok("a: 1\n".into())
        );
        let same = |src: &str| -> Result<String, ()> { Ok(src.to_owned()) };
        assert_eq!(with_final_break("a: 1", "\r\n", same), Ok("a: 1".into()));
        assert_eq!(with_final_break("", "\n", same), Ok(String::new()));
    }

    #[test]
    fn runs_group_neighbours() {
        assert_eq!(runs(&[]), []);
        assert_eq!(runs(&[1, 2, 3, 5, 7, 8]), [(1, 3), (5, 5), (7, 8)]);
    }
}
