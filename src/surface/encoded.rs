//! Base64 text as operators write it, read and written back the same way.
//!
//! A Kubernetes Secret's `data` values and the `POLICY`/`ROUTES` environment variables hold
//! base64. To migrate what they hold, the tool decodes the text, migrates the decoded config or
//! route list, and encodes the result again. The new text must look like the old one: the same
//! alphabet (standard `+/` or URL-safe `-_`), padding or not, and the same line wrapping (width
//! and line ends), so that the diff shows only what the migration changed.
//!
//! What Pomerium and Kubernetes read is narrower than what is written: Pomerium decodes
//! `POLICY`/`ROUTES` with Go's `base64.StdEncoding` (pomerium/pomerium v0.10.0
//! `config/options.go:363`, v0.20.0 `config/custom.go:401`, v0.33.0 `config/custom.go:472`),
//! and Kubernetes decodes Secret `data` the same way (a `[]byte` field in JSON). Both ignore line
//! ends. [`Encoding::is_standard`] tells whether a text is what they read.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use thiserror::Error;

/// The 64-character alphabet a text uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// `A–Z a–z 0–9 + /` (RFC 4648 §4); also what a text with neither `+/` nor `-_` is read as.
    Standard,
    /// `A–Z a–z 0–9 - _` (RFC 4648 §5).
    UrlSafe,
}

/// How a base64 text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Encoding {
    pub alphabet: Alphabet,
    /// `=` padding to a multiple of four characters. A text whose length needs none reads as
    /// padded.
    pub padded: bool,
    /// Characters per line when the text is wrapped (every line but the last has this many);
    /// `None` for one line.
    pub wrap: Option<usize>,
    /// Line ends are `\r\n` rather than `\n`.
    pub crlf: bool,
    /// The text ends with a line end.
    pub final_newline: bool,
}

/// Why a text is not base64.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("it is empty")]
    Empty,
    #[error("character {position} (`{found}`) is not a base64 character")]
    Character { position: usize, found: char },
    #[error("it mixes the standard (`+`, `/`) and URL-safe (`-`, `_`) alphabets")]
    MixedAlphabets,
    #[error("it is not valid base64 ({0})")]
    Invalid(String),
}

impl Encoding {
    /// Whether Go's `base64.StdEncoding` reads this text as it is written: standard alphabet,
    /// padded (line ends are ignored).
    pub fn is_standard(&self) -> bool {
        self.alphabet == Alphabet::Standard && self.padded
    }

    /// How the encoding differs from `StdEncoding`, in words; `None` when it does not.
    pub fn deviation(&self) -> Option<&'static str> {
        match (self.alphabet, self.padded) {
            (Alphabet::Standard, true) => None,
            (Alphabet::Standard, false) => Some("it has no `=` padding"),
            (Alphabet::UrlSafe, true) => Some("it uses the URL-safe alphabet (`-`, `_`)"),
            (Alphabet::UrlSafe, false) => {
                Some("it uses the URL-safe alphabet (`-`, `_`) without `=` padding")
            }
        }
    }

    fn engine(&self) -> &'static base64::engine::GeneralPurpose {
        match (self.alphabet, self.padded) {
            (Alphabet::Standard, true) => &STANDARD,
            (Alphabet::Standard, false) => &STANDARD_NO_PAD,
            (Alphabet::UrlSafe, true) => &URL_SAFE,
            (Alphabet::UrlSafe, false) => &URL_SAFE_NO_PAD,
        }
    }
}

/// Decodes `text`, telling how it is written. Line ends (`\n`, `\r\n`) may wrap it; no other
/// whitespace is allowed inside (neither Go nor Kubernetes accepts it), but the text may be
/// surrounded by it.
pub fn decode(text: &str) -> Result<(Vec<u8>, Encoding), DecodeError> {
    let trimmed = text.trim_matches([' ', '\t']);
    let final_newline = trimmed.ends_with('\n');
    let body = trimmed.trim_end_matches(['\r', '\n']);
    let crlf = body.contains("\r\n") || trimmed.ends_with("\r\n");
    let lines: Vec<&str> = body
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut compact = String::with_capacity(body.len());
    let mut position = 0;
    let (mut standard, mut url_safe) = (false, false);
    for line in &lines {
        for c in line.chars() {
            position += 1;
            match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '=' => {}
                '+' | '/' => standard = true,
                '-' | '_' => url_safe = true,
                found => return Err(DecodeError::Character { position, found }),
            }
            compact.push(c);
        }
    }
    if compact.is_empty() {
        return Err(DecodeError::Empty);
    }
    if standard && url_safe {
        return Err(DecodeError::MixedAlphabets);
    }
    let wrap = (lines.len() > 1).then(|| lines[0].chars().count());
    let encoding = Encoding {
        alphabet: if url_safe {
            Alphabet::UrlSafe
        } else {
            Alphabet::Standard
        },
        padded: compact.ends_with('=') || compact.len().is_multiple_of(4),
        wrap,
        crlf,
        final_newline,
    };
    let bytes = encoding
        .engine()
        .decode(&compact)
        .map_err(|e| DecodeError::Invalid(e.to_string()))?;
    Ok((bytes, encoding))
}

/// Encodes `bytes` as `encoding` says (the inverse of [`decode`]).
pub fn encode(bytes: &[u8], encoding: &Encoding) -> String {
    let compact = encoding.engine().encode(bytes);
    let line_end = if encoding.crlf { "\r\n" } else { "\n" };
    let mut out = match encoding.wrap {
        Some(width) if width > 0 => {
            let mut out = String::with_capacity(compact.len() + compact.len() / width * 2);
            // The text is ASCII: byte chunks are character chunks.
            for (i, chunk) in compact.as_bytes().chunks(width).enumerate() {
                if i > 0 {
                    out.push_str(line_end);
                }
                out.push_str(&String::from_utf8_lossy(chunk));
            }
            out
        }
        _ => compact,
    };
    if encoding.final_newline {
        out.push_str(line_end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_way_a_text_is_written_is_read() -> Result<(), DecodeError> {
        let (bytes, e) = decode("aGk/Pz8+Pg==")?;
        assert_eq!(bytes, b"hi???>>");
        assert_eq!(
            (e.alphabet, e.padded, e.wrap, e.final_newline),
            (Alphabet::Standard, true, None, false)
        );
        assert!(e.is_standard());
        let (_, e) = decode("aGk_Pz8-Pg")?;
        assert_eq!((e.alphabet, e.padded), (Alphabet::UrlSafe, false));
        assert!(e.deviation().is_some_and(|d| d.contains("URL-safe")));
        let (bytes, e) = decode("YWJj\r\nZGVm\r\nZw==\r\n")?;
        assert_eq!(bytes, b"abcdefg");
        assert_eq!((e.wrap, e.crlf, e.final_newline), (Some(4), true, true));
        assert_eq!(encode(&bytes, &e), "YWJj\r\nZGVm\r\nZw==\r\n");
        // Neither `+/` nor `-_`, length a multiple of four: standard and padded, as Go reads it.
        let (_, e) = decode("YWJj")?;
        assert!(e.is_standard());
        Ok(())
    }

    #[test]
    fn what_is_not_base64_says_why() {
        assert_eq!(decode(" \n"), Err(DecodeError::Empty));
        assert_eq!(
            decode("abc d"),
            Err(DecodeError::Character {
                position: 4,
                found: ' '
            })
        );
        assert_eq!(decode("a+b_"), Err(DecodeError::MixedAlphabets));
        assert!(matches!(decode("abcde"), Err(DecodeError::Invalid(_))));
        // `- from:` is YAML, not base64: the first character that cannot be one is named.
        assert!(matches!(
            decode("- from: https://a"),
            Err(DecodeError::Character { found: ' ', .. })
        ));
    }

    fn encodings() -> impl Strategy<Value = Encoding> {
        (
            any::<bool>(),
            any::<bool>(),
            prop::option::of(1usize..80),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(url, padded, wrap, crlf, final_newline)| Encoding {
                alphabet: if url {
                    Alphabet::UrlSafe
                } else {
                    Alphabet::Standard
                },
                padded,
                wrap,
                crlf,
                final_newline,
            })
    }

    proptest! {
        /// Whatever is written one way reads back as the same bytes, and new bytes written the
        /// way that was read look like the old text: same alphabet, padding, wrapping and line
        /// ends (where the old text shows them; a short text cannot show its wrapping width).
        #[test]
        fn texts_round_trip_in_their_own_encoding(
            bytes in prop::collection::vec(any::<u8>(), 1..300),
            other in prop::collection::vec(any::<u8>(), 1..300),
            encoding in encodings(),
        ) {
            let text = encode(&bytes, &encoding);
            let (decoded, read) = decode(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&decoded, &bytes);
            prop_assert_eq!(encode(&decoded, &read), text.clone());
            let again = encode(&other, &read);
            let (decoded_other, read_other) =
                decode(&again).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(decoded_other, other);
            // What the text showed stays as it was.
            if text.contains(['+', '/']) || text.contains(['-', '_']) {
                prop_assert_eq!(read.alphabet, encoding.alphabet);
            }
            let written = text.chars().filter(|c| !matches!(c, '\r' | '\n')).count();
            prop_assert_eq!(read.padded, encoding.padded || written.is_multiple_of(4));
            prop_assert_eq!(read_other.final_newline, encoding.final_newline);
            if text.trim_end().contains('\n') {
                prop_assert_eq!(read.wrap, encoding.wrap);
                prop_assert_eq!(read.crlf, encoding.crlf);
            }
        }
    }
}
