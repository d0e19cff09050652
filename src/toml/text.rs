//! Small text helpers: lines, trivia and dotted key paths as written.
//!
//! TOML line breaks are LF or CRLF; a lone CR is not allowed, so a line ends at `\n`.

use std::ops::Range;

/// Start of the line holding `pos`.
pub(crate) fn line_start(src: &str, pos: usize) -> usize {
    src[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// Start of the line after the one holding `pos` (the end of the text on the last line).
pub(crate) fn next_line_start(src: &str, pos: usize) -> usize {
    src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1)
}

/// End of the content of the line holding `pos`, before its `\n` or `\r\n`.
pub(crate) fn line_content_end(src: &str, pos: usize) -> usize {
    match src[pos..].find('\n') {
        Some(i) if src[..pos + i].ends_with('\r') => pos + i - 1,
        Some(i) => pos + i,
        None => src.len(),
    }
}

/// Number of spaces and tabs from `pos`.
pub(crate) fn blank_run(src: &str, pos: usize) -> usize {
    src.as_bytes()[pos..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()
}

/// Whether the line holding `pos` is a comment line.
pub(crate) fn is_comment_line(src: &str, pos: usize) -> bool {
    let start = line_start(src, pos);
    src.as_bytes().get(start + blank_run(src, start)) == Some(&b'#')
}

/// Skips spaces, tabs, line breaks and comments (the trivia inside arrays and inline tables).
pub(crate) fn skip_trivia(src: &str, mut pos: usize) -> usize {
    let bytes = src.as_bytes();
    while let Some(b) = bytes.get(pos) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => pos = line_content_end(src, pos),
            _ => break,
        }
    }
    pos
}

fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Reads a dotted key written at `pos`: the byte range of each key and the end of the last one.
/// `None` when the text there is not a key this scanner knows.
pub(crate) fn scan_key_path(src: &str, mut pos: usize) -> Option<(Vec<Range<usize>>, usize)> {
    let bytes = src.as_bytes();
    let mut keys = Vec::new();
    loop {
        let start = pos;
        match *bytes.get(pos)? {
            b'"' => {
                pos += 1;
                loop {
                    match *bytes.get(pos)? {
                        b'\\' => pos += 2,
                        b'"' => break,
                        _ => pos += 1,
                    }
                }
                pos += 1;
            }
            b'\'' => {
                pos += 1;
                while *bytes.get(pos)? != b'\'' {
                    pos += 1;
                }
                pos += 1;
            }
            b if is_bare(b) => {
                while bytes.get(pos).copied().is_some_and(is_bare) {
                    pos += 1;
                }
            }
            _ => return None,
        }
        keys.push(start..pos);
        let after = pos + blank_run(src, pos);
        if bytes.get(after) == Some(&b'.') {
            pos = after + 1;
            pos += blank_run(src, pos);
        } else {
            return Some((keys, pos));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_with_quotes_and_spaces() {
        let src = "a . \"b.c\" .'d' = 1";
        let (keys, end) = scan_key_path(src, 0).unwrap_or_default();
        let texts: Vec<&str> = keys.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(texts, ["a", "\"b.c\"", "'d'"]);
        assert_eq!(&src[end..], " = 1");
        assert_eq!(scan_key_path("= 1", 0), None);
        assert_eq!(scan_key_path("\"open", 0), None);
        // An escaped quote does not end a quoted key.
        let src = r#""x\"y" . z = 1"#;
        let (keys, _) = scan_key_path(src, 0).unwrap_or_default();
        let texts: Vec<&str> = keys.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(texts, [r#""x\"y""#, "z"]);
    }

    #[test]
    fn line_helpers() {
        let src = "a\r\nbé = 1\n";
        let at = src.find('=').unwrap_or_default();
        assert_eq!(line_content_end(src, 0), 1);
        assert_eq!(next_line_start(src, 0), 3);
        assert_eq!(line_start(src, at), 3);
    }
}
