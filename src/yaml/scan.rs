//! Exact text scanning: line tables, trivia, and where each kind of scalar ends.
//!
//! yaml-rust2 reports where tokens start; these functions find where they end, so that an edit
//! can replace exactly a scalar, an entry or an item and nothing around it.

pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Start of the line holding `pos`.
pub(crate) fn line_start(src: &str, pos: usize) -> usize {
    let b = src.as_bytes();
    let mut i = pos.min(b.len());
    while i > 0 && b[i - 1] != b'\n' && b[i - 1] != b'\r' {
        i -= 1;
    }
    i
}

/// End of the content of the line holding `pos` (before its line break).
pub(crate) fn line_content_end(src: &str, pos: usize) -> usize {
    let b = src.as_bytes();
    let mut i = pos.min(b.len());
    while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
        i += 1;
    }
    i
}

/// Start of the next line after the one holding `pos` (the text's length on the last line).
pub(crate) fn next_line_start(src: &str, pos: usize) -> usize {
    let b = src.as_bytes();
    let mut i = line_content_end(src, pos);
    if i < b.len() && b[i] == b'\r' {
        i += 1;
    }
    if i < b.len() && b[i] == b'\n' {
        i += 1;
    }
    i
}

/// Whether only spaces precede `pos` on its line.
pub(crate) fn first_on_line(src: &str, pos: usize) -> bool {
    let start = line_start(src, pos);
    src.as_bytes()[start..pos].iter().all(|b| *b == b' ')
}

/// Skips whitespace, line breaks and comments from `pos`.
pub(crate) fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let b = src.as_bytes();
    loop {
        while pos < b.len() && is_ws(b[pos]) {
            pos += 1;
        }
        if pos < b.len() && b[pos] == b'#' && (pos == 0 || is_ws(b[pos - 1])) {
            pos = line_content_end(src, pos);
            continue;
        }
        return pos;
    }
}

/// From the line start `pos`: the end of the lines that would join a block scalar above them
/// once the lines before `pos` are gone — comments indented deeper than `column`, the blank
/// lines before them, and (for a `+` scalar, `keep`) any blank lines.
pub(crate) fn lines_below(src: &str, mut pos: usize, column: usize, keep: bool) -> usize {
    let b = src.as_bytes();
    let mut end = pos;
    while pos < b.len() {
        let content_end = line_content_end(src, pos);
        let spaces = b[pos..content_end]
            .iter()
            .take_while(|c| **c == b' ')
            .count();
        let blank = pos + spaces == content_end;
        let deep_comment = spaces > column && b.get(pos + spaces) == Some(&b'#');
        if !blank && !deep_comment {
            break;
        }
        pos = next_line_start(src, pos);
        if deep_comment || keep {
            end = pos;
        }
    }
    end
}

/// Skips spaces and tabs from `pos`.
pub(crate) fn skip_trivia_inline(src: &str, mut pos: usize) -> usize {
    let b = src.as_bytes();
    while pos < b.len() && (b[pos] == b' ' || b[pos] == b'\t') {
        pos += 1;
    }
    pos
}

/// Whether only blanks, or a comment, follow `pos` on its line.
pub(crate) fn rest_of_line_blank(src: &str, pos: usize) -> bool {
    let p = skip_trivia_inline(src, pos);
    match src.as_bytes().get(p) {
        None | Some(b'\n' | b'\r') => true,
        Some(b'#') => p > pos || p == 0 || is_ws(src.as_bytes()[p - 1]),
        _ => false,
    }
}

/// End of a node property (`&anchor`, `!tag`) or alias (`*name`) starting at `pos`.
pub(crate) fn token_end(src: &str, pos: usize, flow: bool) -> usize {
    let b = src.as_bytes();
    let mut i = pos + 1;
    if b.get(pos) == Some(&b'!') && b.get(i) == Some(&b'<') {
        while i < b.len() && b[i] != b'>' {
            i += 1;
        }
        return (i + 1).min(b.len());
    }
    while i < b.len() && !is_ws(b[i]) && !(flow && matches!(b[i], b',' | b'[' | b']' | b'{' | b'}'))
    {
        i += 1;
    }
    i
}

/// End of a single-quoted scalar whose opening quote is at `pos`.
pub(crate) fn single_quoted_end(src: &str, pos: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut i = pos + 1;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// End of a double-quoted scalar whose opening quote is at `pos`.
pub(crate) fn double_quoted_end(src: &str, pos: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut i = pos + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// End of a plain scalar starting at `pos` whose parsed value is `value`.
///
/// A plain scalar's end depends on context (`: `, ` #`, flow indicators, indentation), but its
/// value fixes it: the text folds to the value (runs of blanks inside a line are kept, one line
/// break becomes a space, n breaks become n-1 newlines), so walking the text against the value
/// finds the exact last character.
pub(crate) fn plain_end(src: &str, pos: usize, value: &str) -> Option<usize> {
    let s = src.as_bytes();
    let v = value.as_bytes();
    let (mut i, mut j) = (pos, 0);
    while j < v.len() {
        let c = *s.get(i)?;
        if !is_ws(c) {
            if c != v[j] {
                return None;
            }
            i += 1;
            j += 1;
            continue;
        }
        let run = i;
        let mut breaks = 0;
        while i < s.len() && is_ws(s[i]) {
            match s[i] {
                b'\n' => breaks += 1,
                b'\r' if s.get(i + 1) != Some(&b'\n') => breaks += 1,
                _ => {}
            }
            i += 1;
        }
        match breaks {
            0 => {
                let blanks = &s[run..i];
                if v.get(j..j + blanks.len()) != Some(blanks) {
                    return None;
                }
                j += blanks.len();
            }
            1 => {
                if v[j] != b' ' {
                    return None;
                }
                j += 1;
            }
            n => {
                for _ in 1..n {
                    if v.get(j) != Some(&b'\n') {
                        return None;
                    }
                    j += 1;
                }
            }
        }
    }
    Some(i)
}

/// What a block scalar's header (`|`, `>-`, `|2+` …) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    /// Explicit indentation indicator.
    pub indent: Option<usize>,
    /// `+`: trailing blank lines are content.
    pub keep: bool,
    /// Where the header's indicators end (before a comment).
    pub end: usize,
}

pub(crate) fn block_header(src: &str, pos: usize) -> BlockHeader {
    let b = src.as_bytes();
    let mut i = pos + 1;
    let mut indent = None;
    let mut keep = false;
    while i < b.len() && (b[i] == b'-' || b[i] == b'+' || b[i].is_ascii_digit()) {
        if b[i].is_ascii_digit() {
            indent = Some((b[i] - b'0') as usize);
        }
        keep |= b[i] == b'+';
        i += 1;
    }
    BlockHeader {
        indent,
        keep,
        end: i,
    }
}

/// The last content line of a block scalar whose indicator is at `pos`, and the content
/// indentation. `parent_indent` is the indentation of the collection holding it (-1 at top
/// level). Returns (end of the last content line, content indent); the end is the header's end
/// when the scalar has no content line.
pub(crate) fn block_scalar_end(src: &str, pos: usize, parent_indent: i64) -> (usize, usize) {
    let header = block_header(src, pos);
    let b = src.as_bytes();
    let mut end = header.end;
    let mut line = next_line_start(src, pos);
    let mut indent = header.indent.map(|m| {
        if parent_indent >= 0 {
            parent_indent as usize + m
        } else {
            m
        }
    });
    let min = (parent_indent + 1).max(0) as usize;
    while line < b.len() {
        let content_end = line_content_end(src, line);
        let mut spaces = 0;
        while line + spaces < content_end && b[line + spaces] == b' ' {
            spaces += 1;
        }
        // A line of spaces only is empty unless it is longer than the content indentation
        // (then its extra spaces are content).
        let blank = line + spaces == content_end && indent.is_none_or(|n| spaces <= n);
        if blank && header.keep {
            // With `+` chomping, trailing blank lines belong to the value.
            end = content_end;
        }
        if !blank {
            if spaces < min && line + spaces != content_end {
                break;
            }
            let need = *indent.get_or_insert(spaces);
            if spaces < need {
                break;
            }
            if spaces == 0 && is_document_marker(src, line) {
                break;
            }
            end = content_end;
        }
        line = next_line_start(src, line);
    }
    (end, indent.unwrap_or(min.max(1)))
}

/// Whether `---` or `...` followed by a blank or the end starts at `pos`.
pub(crate) fn is_document_marker(src: &str, pos: usize) -> bool {
    let rest = &src.as_bytes()[pos..];
    (rest.starts_with(b"---") || rest.starts_with(b"...")) && rest.get(3).is_none_or(|c| is_ws(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_end_follows_folding() {
        let src = "a: one two\n  three\n\n  four # c\nb: x";
        assert_eq!(
            plain_end(src, 3, "one two three\nfour"),
            Some(src.find(" # c").unwrap_or(0))
        );
        assert_eq!(plain_end(src, 3, "one two"), Some(10));
        assert_eq!(plain_end(src, 3, "one  two"), None);
    }

    #[test]
    fn quoted_ends() {
        assert_eq!(single_quoted_end("'it''s' x", 0), Some(7));
        assert_eq!(double_quoted_end(r#""a\"b" x"#, 0), Some(6));
        assert_eq!(double_quoted_end(r#""open"#, 0), None);
    }

    #[test]
    fn block_scalar_stops_at_less_indented_line() {
        let src = "a: |\n  x\n\n  y\n# c\nb: 1\n";
        let (end, indent) = block_scalar_end(src, 3, 0);
        assert_eq!(&src[3..end], "|\n  x\n\n  y");
        assert_eq!(indent, 2);
        let src = "a: >-\nb: 1\n";
        assert_eq!(block_scalar_end(src, 3, 0).0, 5);
    }

    #[test]
    fn trivia_skips_comments_not_hashes_in_words() {
        assert_eq!(skip_trivia("  # c\n  x", 0), 8);
        assert_eq!(skip_trivia("x#y", 1), 1);
    }
}
