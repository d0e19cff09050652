//! Applying text splices, shared by the backends that edit a text in place.

use std::ops::Range;

/// `src` with each range replaced by its text. The splices come sorted by start and do not
/// overlap (backends check that first); insertions are empty ranges and keep their order.
pub(crate) fn apply<'a>(
    src: &str,
    capacity: usize,
    splices: impl IntoIterator<Item = (Range<usize>, &'a str)>,
) -> String {
    let mut out = String::with_capacity(capacity);
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
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_and_inserts_in_order() {
        let out = super::apply(
            "a: 1\nb: 2\n",
            16,
            [(0..1, "x"), (5..5, "c: 3\n"), (8..9, "9")],
        );
        assert_eq!(out, "x: 1\nc: 3\nb: 9\n");
    }
}
