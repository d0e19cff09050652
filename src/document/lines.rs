//! Offsets to lines and columns, shared by the backends.
//!
//! Every backend works on byte offsets into its text; every message a user sees names a 1-based
//! line and a 1-based column counted in characters. [`Lines`] is the one table that turns the
//! first into the second. The formats disagree only on what ends a line: YAML also breaks at a
//! lone `\r` ([`Lines::new`]); TOML breaks at `\n` only ([`Lines::lf_only`]).

use super::Location;

/// The start offset of every line of a text, and what it takes to count characters in it
/// without walking from the start of a line: a file written on one line (minified JSON) would
/// otherwise cost a walk along that line for every node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lines {
    starts: Vec<usize>,
    /// `None` when the text is ASCII (a character is a byte). Otherwise the number of characters
    /// before every [`CHUNK`]th byte.
    chars: Option<Vec<usize>>,
}

/// The spacing of [`Lines::chars`]' checkpoints, in bytes.
const CHUNK: usize = 256;

/// The characters that start in `bytes` (UTF-8: every byte that is not a continuation byte).
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

/// The character checkpoints of a text, or `None` for ASCII.
fn char_checkpoints(src: &str) -> Option<Vec<usize>> {
    if src.is_ascii() {
        return None;
    }
    let mut seen = 0;
    let mut table = Vec::with_capacity(src.len() / CHUNK + 1);
    for chunk in src.as_bytes().chunks(CHUNK) {
        table.push(seen);
        seen += count_chars(chunk);
    }
    Some(table)
}

impl Lines {
    /// Lines ended by `\n`, `\r\n` or a lone `\r` (YAML's line breaks).
    pub(crate) fn new(src: &str) -> Lines {
        let b = src.as_bytes();
        // Nearly every text has no `\r`: then the line feeds are found by memchr's search,
        // which skips a line's bytes many at a time (the table is built for the input and
        // again for every step's text). Otherwise every byte is looked at.
        let mut starts = Vec::with_capacity(b.len() / 32 + 1);
        starts.push(0);
        if memchr::memchr(b'\r', b).is_none() {
            starts.extend(memchr::memchr_iter(b'\n', b).map(|i| i + 1));
        } else {
            for (i, byte) in b.iter().enumerate() {
                match byte {
                    b'\n' => starts.push(i + 1),
                    // A `\r` followed by `\n` is one break, counted at the `\n`.
                    b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                    _ => {}
                }
            }
        }
        Lines {
            starts,
            chars: char_checkpoints(src),
        }
    }

    /// Lines ended by `\n` only (TOML, where `\r` alone is not a line break).
    pub(crate) fn lf_only(src: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Lines {
            starts,
            chars: char_checkpoints(src),
        }
    }

    /// The 0-based line holding a byte offset (the last line for an offset past the end).
    pub(crate) fn line_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|s| *s <= pos).saturating_sub(1)
    }

    /// Where a 0-based line starts.
    pub(crate) fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// The 1-based line and column (in characters) of a byte offset into `src`, the text this
    /// table was made from. An offset past the end is read as the end.
    pub(crate) fn location(&self, src: &str, pos: usize) -> Location {
        let pos = pos.min(src.len());
        let line = self.line_of(pos);
        let start = self.starts[line].min(pos);
        let column = if src.get(start..pos).is_some() {
            self.chars_before(src, pos) - self.chars_before(src, start)
        } else {
            pos - start
        } + 1;
        Location {
            line: line + 1,
            column,
        }
    }

    /// The number of characters before byte offset `pos` of `src` (the text of this table).
    pub(crate) fn chars_before(&self, src: &str, pos: usize) -> usize {
        let pos = pos.min(src.len());
        match &self.chars {
            None => pos,
            Some(table) => {
                // The end of a text whose length is a multiple of CHUNK has no checkpoint of its
                // own: count from the last one.
                let chunk = (pos / CHUNK).min(table.len().saturating_sub(1));
                let from = chunk * CHUNK;
                table.get(chunk).copied().unwrap_or(0) + count_chars(&src.as_bytes()[from..pos])
            }
        }
    }

    /// The byte offset of the character numbered `index` (from 0) of `src`, the text of this
    /// table; `src.len()` when the text has no such character.
    pub(crate) fn char_offset(&self, src: &str, index: usize) -> usize {
        let Some(table) = &self.chars else {
            return index.min(src.len());
        };
        // The last checkpoint at or before the character, then a walk of at most one chunk.
        let chunk = table
            .partition_point(|seen| *seen <= index)
            .saturating_sub(1);
        let from = chunk * CHUNK;
        let mut left = index - table.get(chunk).copied().unwrap_or(0);
        for (i, b) in src.as_bytes().iter().enumerate().skip(from) {
            if (b & 0xC0) != 0x80 {
                if left == 0 {
                    return i;
                }
                left -= 1;
            }
        }
        src.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line starts as a walk over every byte finds them (the table's definition).
    fn starts_by_bytes(src: &str) -> Vec<usize> {
        let b = src.as_bytes();
        let mut starts = vec![0];
        for (i, byte) in b.iter().enumerate() {
            match byte {
                b'\n' => starts.push(i + 1),
                b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        starts
    }

    proptest::proptest! {
        /// Any mix of `\n`, `\r`, `\r\n` and text, and text with line feeds only, gives the
        /// starts a byte walk gives.
        #[test]
        fn line_starts_are_those_of_a_byte_walk(src in "(a|é|\\r|\\n|\\r\\n| ){0,200}|(a|é|\\n| ){0,200}") {
            proptest::prop_assert_eq!(Lines::new(&src).starts, starts_by_bytes(&src));
        }
    }

    #[test]
    fn yaml_lines_know_all_breaks() {
        let l = Lines::new("a\r\nb\rc\nd");
        assert_eq!(l.line_of(7), 3);
        assert_eq!(l.line_of(3), 1);
        assert_eq!(l.line_of(5), 2);
        assert_eq!(l.start(2), Some(5));
        assert_eq!(l.start(4), None);
    }

    #[test]
    fn toml_lines_break_at_line_feeds_only() {
        let src = "a\rb\r\nc = 1\n";
        let l = Lines::lf_only(src);
        assert_eq!(l.line_of(2), 0);
        assert_eq!(l.location(src, 5).to_string(), "2:1");
    }

    #[test]
    fn columns_count_characters() {
        let src = "a\r\nbé = 1\n";
        let lines = Lines::lf_only(src);
        assert_eq!(lines.location(src, 0).to_string(), "1:1");
        let at = src.find('=').unwrap_or_default();
        assert_eq!(lines.location(src, at).to_string(), "2:4");
        assert_eq!(lines.location(src, 999).to_string(), "3:1");
    }

    /// The character counts agree with `str::chars` at every offset and index, across
    /// checkpoints, in ASCII and non-ASCII text alike.
    #[test]
    fn character_counts_match_chars() {
        let mut src = String::new();
        for i in 0..300 {
            src.push_str(if i % 7 == 0 { "é€😀a" } else { "ab" });
        }
        for text in [src.as_str(), "plain ascii text", "", "€"] {
            let lines = Lines::new(text);
            for (n, (at, _)) in text.char_indices().enumerate() {
                assert_eq!(lines.chars_before(text, at), n, "{at}");
                assert_eq!(lines.char_offset(text, n), at, "{n}");
            }
            let total = text.chars().count();
            assert_eq!(lines.chars_before(text, text.len()), total);
            assert_eq!(lines.char_offset(text, total), text.len());
            assert_eq!(lines.char_offset(text, total + 5), text.len());
        }
    }

    #[test]
    fn the_end_of_a_text_of_whole_chunks_counts_its_characters() {
        // 512 bytes: the end has no checkpoint of its own.
        let text = format!("{}\n{}", "é".repeat(100), "a".repeat(311));
        assert_eq!(text.len(), 2 * CHUNK);
        let lines = Lines::new(&text);
        assert_eq!(lines.chars_before(&text, text.len()), text.chars().count());
        assert_eq!(
            lines.location(&text, text.len()),
            Location {
                line: 2,
                column: 312
            }
        );
    }

    #[test]
    fn columns_on_one_long_line_count_characters() {
        let src = format!("{}x", "é".repeat(1000));
        let lines = Lines::new(&src);
        let at = src.len() - 1;
        assert_eq!(lines.location(&src, at).to_string(), "1:1001");
    }
}
