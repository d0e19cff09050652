//! The stream a run writes to where nothing is coloured.
//!
//! anstream's stripping adapter (what `AutoStream` is for a stream that takes no colour) reads
//! every byte through its escape-sequence parser. A run that colours nothing writes no escapes
//! of its own, and a diff can be megabytes long, so [`PlainStream`] writes the text as it is as
//! long as it holds none of the bytes that adapter removes, and hands everything from the first
//! such byte on to the same adapter: what reaches the stream is exactly what the adapter gives.

use std::io::{self, Write};

use anstream::adapter::StripBytes;

/// A writer that gives the bytes anstream's stripping adapter would, reading each byte once with a
/// plain comparison until a control character shows up.
pub struct PlainStream<W: Write> {
    raw: W,
    /// The adapter, from the first buffer holding a byte it removes; it keeps its state
    /// across writes, so it gets every buffer after that one too.
    strip: Option<StripBytes>,
}

impl<W: Write> PlainStream<W> {
    pub fn new(raw: W) -> PlainStream<W> {
        PlainStream { raw, strip: None }
    }

    /// The stream written to.
    pub fn into_inner(self) -> W {
        self.raw
    }
}

/// Whether the adapter could change `bytes`: it keeps the printable characters (all of UTF-8
/// from the space on, but DEL) and the whitespace controls (tab, line feed, form feed, carriage
/// return), and removes every other control character and the escape sequences they start.
fn has_strippable(bytes: &[u8]) -> bool {
    // Chunks without an early exit inside, so that the comparison runs on whole vectors.
    bytes.chunks(64).any(|chunk| {
        chunk.iter().fold(false, |seen, &b| {
            seen | ((b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r')) || b == 0x7f)
        })
    })
}

impl<W: Write> Write for PlainStream<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.strip.is_none() && !has_strippable(buf) {
            // Whole, as the adapter writes: a partial write must not hand the adapter the rest
            // of a character later.
            self.raw.write_all(buf)?;
            return Ok(buf.len());
        }
        let strip = self.strip.get_or_insert_with(StripBytes::new);
        for printable in strip.strip_next(buf) {
            self.raw.write_all(printable)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.raw.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What anstream's stripping stream writes for the same writes.
    fn stripped_by_anstream(writes: &[String]) -> io::Result<Vec<u8>> {
        let mut stream = anstream::StripStream::new(Vec::new());
        for w in writes {
            stream.write_all(w.as_bytes())?;
        }
        Ok(stream.into_inner())
    }

    fn written(writes: &[String]) -> io::Result<Vec<u8>> {
        let mut stream = PlainStream::new(Vec::new());
        for w in writes {
            stream.write_all(w.as_bytes())?;
        }
        Ok(stream.into_inner())
    }

    #[test]
    fn text_without_controls_goes_out_as_it_is() -> io::Result<()> {
        let text = "--- a/c.yaml\n+++ b/c.yaml\n@@ -1 +1 @@\n-a: é\t\u{a0}\u{85}\r\n+b: ✓\x0c\n";
        assert_eq!(written(&[text.to_string()])?, text.as_bytes());
        assert!(!has_strippable(text.as_bytes()));
        Ok(())
    }

    #[test]
    fn escapes_are_removed_from_where_they_start() -> io::Result<()> {
        let writes = [
            "plain ".to_string(),
            "\x1b[31mred\x1b[0m\x07 bell".to_string(),
        ];
        assert_eq!(written(&writes)?, b"plain red bell");
        Ok(())
    }

    /// Counts the flushes that reach it.
    struct Flushes(usize);

    impl Write for Flushes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            self.0 += 1;
            Ok(())
        }
    }

    #[test]
    fn a_flush_reaches_the_stream() -> io::Result<()> {
        let mut stream = PlainStream::new(Flushes(0));
        stream.write_all(b"text\n")?;
        stream.flush()?;
        assert_eq!(stream.into_inner().0, 1);
        Ok(())
    }

    #[test]
    fn a_sequence_split_across_writes_is_still_removed() -> io::Result<()> {
        let writes = ["a\x1b[3".to_string(), "1mb".to_string()];
        assert_eq!(written(&writes)?, b"ab");
        Ok(())
    }

    proptest! {
        /// Whatever is written, in whatever pieces, the stream gets what anstream's stripping
        /// stream gives.
        #[test]
        fn writes_what_the_adapter_writes(
            writes in proptest::collection::vec("(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}]|\\x1b\\[[0-9;]{0,4}m){0,12}", 0..6)
        ) {
            prop_assert_eq!(written(&writes)?, stripped_by_anstream(&writes)?);
        }
    }
}
