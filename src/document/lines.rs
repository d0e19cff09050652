//! Offsets to lines and columns, shared by the backends.
//!
//! Every backend works on byte offsets into its text; every message a user sees names a 1-based
//! line and a 1-based column counted in characters. [`Lines`] is the one table that turns the
//! first into the second. The formats disagree only on what ends a line: YAML also breaks at a
//! lone `\r` ([`Lines::new`]); TOML breaks at `\n` only ([`Lines::lf_only`]).

use super::Location;

/// The start offset of every line of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    /// Lines ended by `\n`, `\r\n` or a lone `\r` (YAML's line breaks).
    pub(crate) fn new(src: &str) -> Lines {
        let b = src.as_bytes();
        let mut starts = vec![0];
        for (i, byte) in b.iter().enumerate() {
            match byte {
                b'\n' => starts.push(i + 1),
                b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        Lines { starts }
    }

    /// Lines ended by `\n` only (TOML, where `\r` alone is not a line break).
    pub(crate) fn lf_only(src: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
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
        let column = src
            .get(start..pos)
            .map_or(pos - start, |s| s.chars().count())
            + 1;
        Location {
            line: line + 1,
            column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
