//! A byte-based reader for the subset of YAML that configuration files are written in, giving
//! exactly the events yaml-rust2's `Parser` gives for the same text, with the same markers.
//!
//! yaml-rust2 reads a character at a time through a small ring buffer and builds every scalar a
//! character at a time; on a large config that is most of the time it takes to read one. This
//! reader works on bytes and slices, for the common subset: block mappings and sequences
//! (compact `- key: v` included), plain, single- and double-quoted scalars on one line, flow
//! sequences and mappings on one line, literal and folded block scalars, comments, blank lines and
//! a leading `---`. The text must be printable ASCII and line feeds (no tab, carriage return or
//! other character), one document.
//!
//! Anything else — anchors, aliases, tags, explicit keys, directives, a second document, a scalar
//! over several lines, a flow collection over several lines, a flow collection as a key, a pair
//! in a flow sequence, any text yaml-rust2 refuses — makes [`drive`] answer [`Unsupported`], and
//! the caller reads the text with yaml-rust2 instead (with a fresh receiver: what this reader sent
//! is thrown away), so the result and every error message stay yaml-rust2's.
//!
//! The reader is a transcription of yaml-rust2's scanner and parser restricted to that subset:
//! the same indentation stack (`roll_indent`, `unroll_indent`, the one-column indents that do not
//! open a block), the same simple-key rules (a key is a scalar on one line followed by `:` and a
//! blank, where a simple key is allowed), the same parser states, and so the same token marks,
//! which is what the markers of events are. Where yaml-rust2 would report an error, this reader
//! gives up instead. Debug builds check every text this reader accepts against yaml-rust2 itself:
//! the whole event stream, events and markers (index, line and column), must be equal.

use std::cell::Cell;
use std::collections::VecDeque;

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position as yaml-rust2 marks it: `index` counts characters from the start, `line` is
/// 1-based, `col` 0-based (in characters). yaml-rust2's own `Marker` cannot be built outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    pub index: usize,
    pub line: usize,
    pub col: usize,
}

impl From<&Marker> for Mark {
    fn from(m: &Marker) -> Mark {
        Mark {
            index: m.index(),
            line: m.line(),
            col: m.col(),
        }
    }
}

/// What receives the events.
pub(crate) trait Sink {
    fn event(&mut self, ev: Event, mark: Mark);
    /// Whether the sink has seen enough (it found an error). The rest of the text is still read,
    /// so that a text outside the subset is still handed to yaml-rust2, but no more is sent.
    fn done(&self) -> bool;
}

/// The text is outside the subset this reader follows (or yaml-rust2 refuses it); the reason is
/// for tests and debugging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

type Res<T> = Result<T, Unsupported>;

fn no<T>(why: &'static str) -> Res<T> {
    Err(Unsupported(why))
}

/// Sends the events of `src` to `sink`, or answers [`Unsupported`] when the text is outside the
/// subset; then the sink has received part of the events (or all) and must be thrown away.
pub(crate) fn drive<S: Sink>(src: &str, sink: &mut S) -> Res<()> {
    #[cfg(debug_assertions)]
    let mut seen = Vec::new();
    let mut parser = Parser::new(src)?;
    loop {
        let (ev, mark) = parser.next_event()?;
        let end = ev == Event::StreamEnd;
        #[cfg(debug_assertions)]
        seen.push((ev.clone(), mark));
        if !sink.done() {
            sink.event(ev, mark);
        }
        if end {
            break;
        }
    }
    #[cfg(debug_assertions)]
    check_against_yaml_rust2(src, &seen);
    Ok(())
}

/// The events of `src` from this reader.
#[cfg(test)]
pub(crate) fn events(src: &str) -> Res<Vec<(Event, Mark)>> {
    let mut parser = Parser::new(src)?;
    let mut out = Vec::new();
    loop {
        let (ev, mark) = parser.next_event()?;
        let end = ev == Event::StreamEnd;
        out.push((ev, mark));
        if end {
            return Ok(out);
        }
    }
}

/// The events of `src` from yaml-rust2, up to its first error.
#[cfg(any(test, debug_assertions))]
pub(crate) fn yaml_rust2_events(
    src: &str,
) -> Result<Vec<(Event, Mark)>, yaml_rust2::scanner::ScanError> {
    let mut parser = yaml_rust2::parser::Parser::new_from_str(src);
    let mut out = Vec::new();
    loop {
        let (ev, mark) = parser.next_token()?;
        let end = ev == Event::StreamEnd;
        out.push((ev, Mark::from(&mark)));
        if end {
            return Ok(out);
        }
    }
}

/// Debug builds: the events this reader gave for an accepted text are yaml-rust2's.
#[cfg(debug_assertions)]
fn check_against_yaml_rust2(src: &str, seen: &[(Event, Mark)]) {
    match yaml_rust2_events(src) {
        Ok(expected) => assert!(
            expected.as_slice() == seen,
            "the fast YAML reader's events differ from yaml-rust2's for:\n{src}\n\
             fast: {seen:?}\nyaml-rust2: {expected:?}"
        ),
        Err(e) => panic!("the fast YAML reader accepted a text yaml-rust2 refuses ({e}):\n{src}"),
    }
}

#[derive(Debug)]
enum Tok {
    StreamStart,
    StreamEnd,
    DocumentStart,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Scalar(TScalarStyle, String),
}

struct Indent {
    indent: isize,
    needs_block_end: bool,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

/// Bytes a text of the subset may hold: printable ASCII, line breaks, and the bytes of other
/// characters (yaml-rust2 gives no character beyond ASCII a meaning of its own). A carriage
/// return must start a `\r\n` (checked apart).
fn allowed_byte(b: u8) -> bool {
    matches!(b, b' '..=b'~' | b'\n' | b'\r' | 0x80..)
}

/// Whether a line break starts with `b` (every `\r` of an accepted text starts a `\r\n`).
fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// The characters that start in `bytes` (UTF-8: the bytes that do not continue one).
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

/// yaml-rust2's `is_blank_or_breakz` on the subset's bytes (0 stands for the end).
fn blankz(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | 0)
}

fn is_flow(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

struct Scanner<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    /// 1-based.
    line: usize,
    line_start: usize,
    /// The characters before `line_start` (yaml-rust2's columns count characters).
    line_start_chars: usize,
    /// For a text that is not ASCII: a byte position and the characters before it, the last
    /// asked for (positions are asked for in order, so counting from there is short).
    chars: Option<Cell<(usize, usize)>>,
    tokens: VecDeque<(Mark, Tok)>,
    indent: isize,
    indents: Vec<Indent>,
    /// The open flow collections (true: a mapping).
    flows: Vec<bool>,
    simple_key_allowed: bool,
    started: bool,
    /// Whether a token other than the stream start was made (a `---` must come first).
    content: bool,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Res<Scanner<'a>> {
        // In blocks without an early exit, which the compiler turns into vector code.
        let fine = text
            .as_bytes()
            .chunks(256)
            .all(|c| c.iter().fold(true, |ok, b| ok & allowed_byte(*b)));
        if !fine {
            return no("a control character other than a line break");
        }
        let bytes = text.as_bytes();
        if memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
            return no("a carriage return alone");
        }
        Ok(Scanner {
            text,
            s: text.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            line_start_chars: 0,
            chars: (!text.is_ascii()).then(|| Cell::new((0, 0))),
            tokens: VecDeque::new(),
            indent: -1,
            indents: Vec::new(),
            flows: Vec::new(),
            simple_key_allowed: false,
            started: false,
            content: false,
        })
    }

    fn at(&self, p: usize) -> u8 {
        self.s.get(p).copied().unwrap_or(0)
    }

    fn ch(&self) -> u8 {
        self.at(self.pos)
    }

    /// The characters before byte `p`.
    fn chars_at(&self, p: usize) -> usize {
        let Some(cell) = &self.chars else {
            return p;
        };
        let (at, before) = cell.get();
        let n = if p >= at {
            before + count_chars(&self.s[at..p])
        } else {
            before - count_chars(&self.s[p..at])
        };
        cell.set((p, n));
        n
    }

    /// The column (in characters) of the current position.
    fn col(&self) -> usize {
        self.chars_at(self.pos) - self.line_start_chars
    }

    fn mark_at(&self, p: usize) -> Mark {
        let index = self.chars_at(p);
        Mark {
            index,
            line: self.line,
            col: index - self.line_start_chars,
        }
    }

    fn mark(&self) -> Mark {
        self.mark_at(self.pos)
    }

    fn flow_level(&self) -> usize {
        self.flows.len()
    }

    fn push(&mut self, mark: Mark, tok: Tok) {
        self.tokens.push_back((mark, tok));
    }

    /// Past a line break (`\n` or `\r\n`) at `pos`.
    fn newline(&mut self) {
        self.pos += if self.ch() == b'\r' { 2 } else { 1 };
        self.line += 1;
        self.line_start = self.pos;
        self.line_start_chars = self.chars_at(self.pos);
    }

    /// The end of the line from `p` (its line break, or the end of the text).
    fn line_end(&self, p: usize) -> usize {
        let p = p.min(self.s.len());
        match memchr::memchr(b'\n', &self.s[p..]) {
            Some(i) if i > 0 && self.s[p + i - 1] == b'\r' => p + i - 1,
            Some(i) => p + i,
            None => self.s.len(),
        }
    }

    fn fetch_next_token(&mut self) -> Res<()> {
        if !self.started {
            self.started = true;
            self.indent = -1;
            self.simple_key_allowed = true;
            self.push(
                Mark {
                    index: 0,
                    line: 1,
                    col: 0,
                },
                Tok::StreamStart,
            );
            return Ok(());
        }
        self.skip_to_next_token()?;
        let mark = self.mark();
        self.unroll_indent(mark.col as isize, mark);
        let c = self.ch();
        if self.pos >= self.s.len() {
            return self.fetch_stream_end();
        }
        let col0 = mark.col == 0;
        if col0 && c == b'%' {
            return no("a directive");
        }
        if col0 && self.is_document_indicator(self.pos) {
            if c == b'.' {
                return no("a document end marker");
            }
            if self.content {
                return no("a second document");
            }
            return self.fetch_document_start();
        }
        self.content = true;
        if (mark.col as isize) < self.indent {
            return no("invalid indentation");
        }
        let nc = self.at(self.pos + 1);
        match c {
            b'[' | b'{' => self.fetch_flow_collection_start(c == b'{'),
            b']' | b'}' => self.fetch_flow_collection_end(c == b'}'),
            b',' => self.fetch_flow_entry(),
            b'-' if blankz(nc) => self.fetch_block_entry(),
            b'?' if blankz(nc) => no("an explicit key"),
            b':' if blankz(nc) || self.flow_level() > 0 => no("a value without a simple key"),
            b'*' | b'&' | b'!' => no("an alias, anchor or tag"),
            b'|' | b'>' if self.flow_level() == 0 => self.fetch_block_scalar(c == b'|'),
            b'\'' | b'"' => self.fetch_quoted_scalar(c == b'\''),
            b'%' | b'@' | b'`' => no("a reserved character"),
            _ => self.fetch_plain_scalar(),
        }
    }

    /// `---` or `...` followed by a blank, a line break or the end.
    fn is_document_indicator(&self, p: usize) -> bool {
        let three = &self.s[p.min(self.s.len())..];
        (three.starts_with(b"---") || three.starts_with(b"...")) && blankz(self.at(p + 3))
    }

    fn skip_to_next_token(&mut self) -> Res<()> {
        loop {
            match self.ch() {
                b' ' => self.pos += 1,
                b'\n' | b'\r' => {
                    if self.flow_level() > 0 {
                        return no("a flow collection over several lines");
                    }
                    self.newline();
                    self.simple_key_allowed = true;
                }
                b'#' => self.pos = self.line_end(self.pos),
                _ => return Ok(()),
            }
        }
    }

    /// yaml-rust2's `skip_ws_to_eol`: blanks, then a comment, which must follow a blank.
    fn skip_ws_to_eol(&mut self) -> Res<()> {
        let from = self.pos;
        while self.ch() == b' ' {
            self.pos += 1;
        }
        if self.ch() == b'#' {
            if self.pos == from {
                return no("a comment not separated by whitespace");
            }
            self.pos = self.line_end(self.pos);
        }
        Ok(())
    }

    fn unroll_indent(&mut self, col: isize, mark: Mark) {
        if self.flow_level() > 0 {
            return;
        }
        while self.indent > col {
            let Some(indent) = self.indents.pop() else {
                break;
            };
            self.indent = indent.indent;
            if indent.needs_block_end {
                self.push(mark, Tok::BlockEnd);
            }
        }
    }

    /// Adds a block level at `col` if it is deeper than the current one, with its start token.
    fn roll_indent(&mut self, col: usize, tok: Tok, mark: Mark) {
        if self.flow_level() > 0 {
            return;
        }
        let col = col as isize;
        if self.indent <= col
            && let Some(last) = self.indents.last()
            && !last.needs_block_end
        {
            self.indent = last.indent;
            self.indents.pop();
        }
        if self.indent < col {
            self.indents.push(Indent {
                indent: self.indent,
                needs_block_end: true,
            });
            self.indent = col;
            self.push(mark, tok);
        }
    }

    fn roll_one_col_indent(&mut self) {
        if self.flow_level() == 0 && self.indents.last().is_some_and(|i| i.needs_block_end) {
            self.indents.push(Indent {
                indent: self.indent,
                needs_block_end: false,
            });
            self.indent += 1;
        }
    }

    fn unroll_non_block_indents(&mut self) {
        while let Some(last) = self.indents.last() {
            if last.needs_block_end {
                break;
            }
            self.indent = last.indent;
            self.indents.pop();
        }
    }

    /// Whether a simple key saved here would be required (yaml-rust2 then fails unless a `:`
    /// follows on the same line).
    fn key_required(&self) -> bool {
        self.simple_key_allowed
            && self.flow_level() == 0
            && self.indent == self.col() as isize
            && self.indents.last().is_some_and(|i| i.needs_block_end)
    }

    fn fetch_stream_end(&mut self) -> Res<()> {
        if self.flow_level() > 0 {
            return no("an unclosed flow collection");
        }
        let mut mark = self.mark();
        if mark.col != 0 {
            mark.col = 0;
            mark.line += 1;
        }
        self.unroll_indent(-1, mark);
        self.simple_key_allowed = false;
        self.push(mark, Tok::StreamEnd);
        Ok(())
    }

    fn fetch_document_start(&mut self) -> Res<()> {
        let mark = self.mark();
        self.unroll_indent(-1, mark);
        self.simple_key_allowed = false;
        self.pos += 3;
        self.content = true;
        self.push(mark, Tok::DocumentStart);
        Ok(())
    }

    fn fetch_flow_collection_start(&mut self, map: bool) -> Res<()> {
        if self.key_required() {
            return no("a flow collection where a key is required");
        }
        self.roll_one_col_indent();
        self.flows.push(map);
        self.simple_key_allowed = true;
        let mark = self.mark();
        self.pos += 1;
        self.skip_ws_to_eol()?;
        let tok = if map {
            Tok::FlowMappingStart
        } else {
            Tok::FlowSequenceStart
        };
        self.push(mark, tok);
        Ok(())
    }

    fn fetch_flow_collection_end(&mut self, map: bool) -> Res<()> {
        if self.flows.last() != Some(&map) {
            return no("a closing bracket that does not match");
        }
        self.flows.pop();
        self.simple_key_allowed = false;
        let mark = self.mark();
        self.pos += 1;
        self.skip_ws_to_eol()?;
        let next = self.ch();
        if self.flow_level() > 0 {
            if !matches!(next, b',' | b']' | b'}') {
                return no("a flow collection followed by something else than , ] }");
            }
        } else if !matches!(next, b'\n' | b'\r' | 0) {
            // A flow collection as a key, or content yaml-rust2 refuses.
            return no("a flow collection followed by more on its line");
        }
        let tok = if map {
            Tok::FlowMappingEnd
        } else {
            Tok::FlowSequenceEnd
        };
        self.push(mark, tok);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Res<()> {
        if self.flow_level() == 0 {
            return no("a comma outside a flow collection");
        }
        self.simple_key_allowed = true;
        let mark = self.mark();
        self.pos += 1;
        self.skip_ws_to_eol()?;
        self.push(mark, Tok::FlowEntry);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Res<()> {
        if self.flow_level() > 0 {
            return no("a block entry in a flow collection");
        }
        if !self.simple_key_allowed {
            return no("a block entry where none is allowed");
        }
        let mark = self.mark();
        self.pos += 1;
        self.roll_indent(mark.col, Tok::BlockSequenceStart, mark);
        self.skip_ws_to_eol()?;
        let c = self.ch();
        if is_break(c) || is_flow(c) {
            self.roll_one_col_indent();
        }
        self.simple_key_allowed = true;
        let here = self.mark();
        self.push(here, Tok::BlockEntry);
        Ok(())
    }

    /// A scalar just read, at `start`: a key when a `:` and a blank follow it at `after` (past
    /// blanks) and a simple key was allowed where it starts; otherwise a scalar alone.
    fn finish_scalar(
        &mut self,
        start: Mark,
        allowed: bool,
        required: bool,
        style: TScalarStyle,
        value: String,
        after: usize,
    ) -> Res<()> {
        let flow = self.flow_level() > 0;
        let colon = self.at(after) == b':';
        let key = colon
            && if flow {
                self.at(after + 1) == b' '
            } else {
                blankz(self.at(after + 1))
            };
        if colon && !key {
            return no("a value indicator this reader does not follow");
        }
        if !key {
            if required {
                return no("a scalar where a key is required");
            }
            self.push(start, Tok::Scalar(style, value));
            self.pos = after;
            return Ok(());
        }
        if !allowed {
            return no("a key where none is allowed");
        }
        if flow && self.flows.last() == Some(&false) {
            return no("a pair in a flow sequence");
        }
        if start.index + 1024 < self.chars_at(after) {
            return no("a key longer than yaml-rust2 looks for");
        }
        let colon_mark = self.mark_at(after);
        self.roll_indent(start.col, Tok::BlockMappingStart, colon_mark);
        self.push(start, Tok::Key);
        self.push(start, Tok::Scalar(style, value));
        self.roll_one_col_indent();
        self.simple_key_allowed = false;
        self.push(colon_mark, Tok::Value);
        self.pos = after + 1;
        Ok(())
    }

    fn skip_blanks_from(&self, mut p: usize) -> usize {
        while self.at(p) == b' ' {
            p += 1;
        }
        p
    }

    fn fetch_plain_scalar(&mut self) -> Res<()> {
        let allowed = self.simple_key_allowed;
        let required = self.key_required();
        self.simple_key_allowed = false;
        self.unroll_non_block_indents();
        let indent = self.indent + 1;
        let start = self.mark();
        let begin = self.pos;
        let flow = self.flow_level() > 0;
        if flow && (start.col as isize) < indent {
            return no("invalid indentation in a flow collection");
        }
        let can_be_plain = |p: usize| -> bool {
            let c = self.at(p);
            match c {
                b':' => {
                    let n = self.at(p + 1);
                    !(blankz(n) || (flow && is_flow(n)))
                }
                _ => !(flow && is_flow(c)),
            }
        };
        let mut p = self.pos;
        let mut end = p;
        loop {
            let c = self.at(p);
            if c == b'#' {
                break;
            }
            if flow && c == b'-' && is_flow(self.at(p + 1)) {
                return no("a plain scalar of - followed by a flow indicator");
            }
            if !blankz(c) && can_be_plain(p) {
                p += 1;
                while !blankz(self.at(p)) && can_be_plain(p) {
                    p += 1;
                }
                end = p;
            }
            if self.at(p) != b' ' {
                break;
            }
            p = self.skip_blanks_from(p);
        }
        if is_break(self.at(p)) {
            if flow {
                return no("a flow collection over several lines");
            }
            // A more indented line that is not a comment would continue the scalar.
            let mut q = p;
            while is_break(self.at(q)) {
                let line = q + if self.at(q) == b'\r' { 2 } else { 1 };
                q = self.skip_blanks_from(line);
                match self.at(q) {
                    b'\n' | b'\r' => {}
                    0 => break,
                    c => {
                        let col = (q - line) as isize;
                        if col >= indent
                            && c != b'#'
                            && !(col == 0 && self.is_document_indicator(q))
                        {
                            return no("a plain scalar over several lines");
                        }
                        break;
                    }
                }
            }
        }
        let value = self.text[begin..end].to_owned();
        self.finish_scalar(start, allowed, required, TScalarStyle::Plain, value, p)
    }

    fn fetch_quoted_scalar(&mut self, single: bool) -> Res<()> {
        let allowed = self.simple_key_allowed;
        let required = self.key_required();
        self.simple_key_allowed = false;
        let start = self.mark();
        if ((start.col + 1) as isize) < self.indent {
            return no("invalid indentation in a quoted scalar");
        }
        let quote = if single { b'\'' } else { b'"' };
        let mut value = String::new();
        let mut p = self.pos + 1;
        loop {
            // The run up to the next quote, backslash or line feed is copied as it is.
            let rest = &self.s[p..];
            let run = if single {
                memchr::memchr3(b'\'', b'\n', b'\r', rest)
            } else {
                memchr::memchr3(b'"', b'\\', b'\n', rest)
            }
            .unwrap_or(rest.len());
            value.push_str(&self.text[p..p + run]);
            p += run;
            match self.at(p) {
                b'\'' if single && self.at(p + 1) == b'\'' => {
                    value.push('\'');
                    p += 2;
                }
                c if c == quote => break,
                b'\\' => {
                    let (ch, len) = self.escape(p)?;
                    value.push(ch);
                    p += len;
                }
                _ => return no("a quoted scalar over several lines"),
            }
        }
        self.pos = p + 1;
        self.skip_ws_to_eol()?;
        let next = self.ch();
        let fine = match next {
            b',' | b'}' | b']' => self.flow_level() > 0,
            b'\n' | b'\r' | 0 | b':' => true,
            _ => false,
        };
        if !fine {
            return no("trailing content after a quoted scalar");
        }
        let style = if single {
            TScalarStyle::SingleQuoted
        } else {
            TScalarStyle::DoubleQuoted
        };
        let after = self.pos;
        self.finish_scalar(start, allowed, required, style, value, after)
    }

    /// The character an escape at `p` (its backslash) stands for, and the escape's length.
    fn escape(&self, p: usize) -> Res<(char, usize)> {
        let ch = match self.at(p + 1) {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\x0b',
            b'f' => '\x0c',
            b'r' => '\x0d',
            b'e' => '\x1b',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let len = match self.at(p + 1) {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let digits = self
                    .text
                    .get(p + 2..p + 2 + len)
                    .ok_or(Unsupported("a short escape"))?;
                if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return no("an escape without its hexadecimal digits");
                }
                let code = u32::from_str_radix(digits, 16)
                    .map_err(|_| Unsupported("an escape without its hexadecimal digits"))?;
                let ch = char::from_u32(code).ok_or(Unsupported("an escape of no character"))?;
                return Ok((ch, 2 + len));
            }
            _ => return no("an escape this reader does not follow"),
        };
        Ok((ch, 2))
    }

    fn fetch_block_scalar(&mut self, literal: bool) -> Res<()> {
        if self.key_required() {
            return no("a block scalar where a key is required");
        }
        self.simple_key_allowed = true;
        let start_mark = self.mark();
        let mut chomping = Chomping::Clip;
        let mut increment = 0usize;
        self.pos += 1;
        self.unroll_non_block_indents();
        let c = self.ch();
        if c == b'+' || c == b'-' {
            chomping = if c == b'+' {
                Chomping::Keep
            } else {
                Chomping::Strip
            };
            self.pos += 1;
            if self.ch().is_ascii_digit() {
                if self.ch() == b'0' {
                    return no("an indentation indicator of 0");
                }
                increment = usize::from(self.ch() - b'0');
                self.pos += 1;
            }
        } else if c.is_ascii_digit() {
            if c == b'0' {
                return no("an indentation indicator of 0");
            }
            increment = usize::from(c - b'0');
            self.pos += 1;
            let c = self.ch();
            if c == b'+' || c == b'-' {
                chomping = if c == b'+' {
                    Chomping::Keep
                } else {
                    Chomping::Strip
                };
                self.pos += 1;
            }
        }
        self.skip_ws_to_eol()?;
        if !matches!(self.ch(), b'\n' | b'\r' | 0) {
            return no("content after a block scalar's header");
        }
        let mut chomping_break = false;
        if is_break(self.ch()) {
            self.newline();
            chomping_break = true;
        }
        let mut indent = 0usize;
        if increment > 0 {
            indent = if self.indent >= 0 {
                (self.indent + increment as isize) as usize
            } else {
                increment
            };
        }
        // Line breaks are counted rather than gathered: each stands for one `\n`.
        let mut trailing_breaks = 0usize;
        if indent == 0 {
            let mut max_indent = 0;
            loop {
                while self.ch() == b' ' {
                    self.pos += 1;
                }
                max_indent = max_indent.max(self.col());
                if is_break(self.ch()) {
                    self.newline();
                    trailing_breaks += 1;
                } else {
                    break;
                }
            }
            indent = max_indent.max((self.indent + 1) as usize);
            if self.indent > 0 {
                indent = indent.max(1);
            }
        } else {
            self.skip_block_scalar_indent(indent, &mut trailing_breaks);
        }
        let style = if literal {
            TScalarStyle::Literal
        } else {
            TScalarStyle::Folded
        };
        let eof = |s: &Self| s.pos >= s.s.len();
        if eof(self) {
            let contents = match chomping {
                Chomping::Strip => String::new(),
                _ if self.line == start_mark.line => String::new(),
                Chomping::Clip => "\n".repeat(usize::from(chomping_break)),
                Chomping::Keep if trailing_breaks == 0 => "\n".repeat(usize::from(chomping_break)),
                Chomping::Keep => "\n".repeat(trailing_breaks),
            };
            self.push(start_mark, Tok::Scalar(style, contents));
            return Ok(());
        }
        if self.col() < indent && (self.col() as isize) > self.indent {
            return no("a wrongly indented line in a block scalar");
        }
        let mut string = String::new();
        let mut leading_break = false;
        let mut leading_blank = false;
        let start = self.mark();
        while self.col() == indent && !eof(self) {
            if indent == 0
                && self.s[self.pos..].starts_with(b"...")
                && blankz(self.at(self.pos + 3))
            {
                break;
            }
            let trailing_blank = self.ch() == b' ';
            if !literal && leading_break && !leading_blank && !trailing_blank {
                push_breaks(&mut string, trailing_breaks);
                if trailing_breaks == 0 {
                    string.push(' ');
                }
            } else {
                push_breaks(&mut string, usize::from(leading_break) + trailing_breaks);
            }
            leading_break = false;
            trailing_breaks = 0;
            leading_blank = trailing_blank;
            let end = self.line_end(self.pos);
            let line = &self.text[self.pos..end];
            if self.chars.is_some() && !line.is_ascii() {
                // yaml-rust2 counts part of such a line in bytes rather than characters, in
                // markers' indexes from there on.
                return no("a block scalar line beyond ASCII");
            }
            string.push_str(line);
            self.pos = end;
            if eof(self) {
                break;
            }
            self.newline();
            leading_break = true;
            self.skip_block_scalar_indent(indent, &mut trailing_breaks);
        }
        if chomping != Chomping::Strip {
            push_breaks(&mut string, usize::from(leading_break));
            if eof(self) && self.col() >= indent.max(1) {
                string.push('\n');
            }
        }
        if chomping == Chomping::Keep {
            push_breaks(&mut string, trailing_breaks);
        }
        self.push(start, Tok::Scalar(style, string));
        Ok(())
    }

    fn skip_block_scalar_indent(&mut self, indent: usize, breaks: &mut usize) {
        loop {
            while self.col() < indent && self.ch() == b' ' {
                self.pos += 1;
            }
            if is_break(self.ch()) {
                self.newline();
                *breaks += 1;
            } else {
                break;
            }
        }
    }
}

fn push_breaks(s: &mut String, n: usize) {
    for _ in 0..n {
        s.push('\n');
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    IndentlessSequenceEntry,
    End,
}

/// yaml-rust2's parser states, on this reader's tokens.
struct Parser<'a> {
    scanner: Scanner<'a>,
    states: Vec<State>,
    state: State,
}

type Ev = Res<(Event, Mark)>;

fn empty_scalar() -> Event {
    Event::Scalar(String::new(), TScalarStyle::Plain, 0, None)
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Res<Parser<'a>> {
        Ok(Parser {
            scanner: Scanner::new(text)?,
            states: Vec::new(),
            state: State::StreamStart,
        })
    }

    fn peek(&mut self) -> Res<&(Mark, Tok)> {
        while self.scanner.tokens.is_empty() {
            self.scanner.fetch_next_token()?;
        }
        self.scanner
            .tokens
            .front()
            .ok_or(Unsupported("no token where one was made"))
    }

    fn peek_mark(&mut self) -> Res<Mark> {
        self.peek().map(|t| t.0)
    }

    fn skip(&mut self) {
        self.scanner.tokens.pop_front();
    }

    fn pop_state(&mut self) -> Res<()> {
        self.state = self
            .states
            .pop()
            .ok_or(Unsupported("no parser state to return to"))?;
        Ok(())
    }

    fn next_event(&mut self) -> Ev {
        match self.state {
            State::StreamStart => match self.peek()? {
                (mark, Tok::StreamStart) => {
                    let mark = *mark;
                    self.state = State::ImplicitDocumentStart;
                    self.skip();
                    Ok((Event::StreamStart, mark))
                }
                _ => no("no stream start"),
            },
            State::ImplicitDocumentStart => self.document_start(true),
            State::DocumentStart => self.document_start(false),
            State::DocumentContent => match self.peek()? {
                (mark, Tok::DocumentStart | Tok::StreamEnd) => {
                    let mark = *mark;
                    self.pop_state()?;
                    Ok((empty_scalar(), mark))
                }
                _ => self.parse_node(true, false),
            },
            State::DocumentEnd => {
                let mark = self.peek_mark()?;
                self.state = State::DocumentStart;
                Ok((Event::DocumentEnd, mark))
            }
            State::BlockNode => self.parse_node(true, false),
            State::BlockMappingFirstKey => self.block_mapping_key(true),
            State::BlockMappingKey => self.block_mapping_key(false),
            State::BlockMappingValue => self.block_mapping_value(),
            State::BlockSequenceFirstEntry => self.block_sequence_entry(true),
            State::BlockSequenceEntry => self.block_sequence_entry(false),
            State::FlowSequenceFirstEntry => self.flow_sequence_entry(true),
            State::FlowSequenceEntry => self.flow_sequence_entry(false),
            State::FlowMappingFirstKey => self.flow_mapping_key(true),
            State::FlowMappingKey => self.flow_mapping_key(false),
            State::FlowMappingValue => self.flow_mapping_value(false),
            State::FlowMappingEmptyValue => self.flow_mapping_value(true),
            State::IndentlessSequenceEntry => self.indentless_sequence_entry(),
            State::End => no("events after the stream's end"),
        }
    }

    fn document_start(&mut self, implicit: bool) -> Ev {
        match self.peek()? {
            (mark, Tok::StreamEnd) => {
                let mark = *mark;
                self.state = State::End;
                self.skip();
                Ok((Event::StreamEnd, mark))
            }
            (mark, Tok::DocumentStart) => {
                let mark = *mark;
                self.states.push(State::DocumentEnd);
                self.state = State::DocumentContent;
                self.skip();
                Ok((Event::DocumentStart, mark))
            }
            (mark, _) if implicit => {
                let mark = *mark;
                self.states.push(State::DocumentEnd);
                self.state = State::BlockNode;
                Ok((Event::DocumentStart, mark))
            }
            _ => no("content after the document"),
        }
    }

    fn parse_node(&mut self, block: bool, indentless_sequence: bool) -> Ev {
        let (mark, kind) = match self.peek()? {
            (mark, Tok::BlockEntry) if indentless_sequence => (*mark, 0),
            (mark, Tok::Scalar(..)) => (*mark, 1),
            (mark, Tok::FlowSequenceStart) => (*mark, 2),
            (mark, Tok::FlowMappingStart) => (*mark, 3),
            (mark, Tok::BlockSequenceStart) if block => (*mark, 4),
            (mark, Tok::BlockMappingStart) if block => (*mark, 5),
            _ => return no("no node where one is expected"),
        };
        match kind {
            0 => {
                self.state = State::IndentlessSequenceEntry;
                Ok((Event::SequenceStart(0, None), mark))
            }
            1 => {
                self.pop_state()?;
                match self.scanner.tokens.pop_front() {
                    Some((_, Tok::Scalar(style, v))) => {
                        Ok((Event::Scalar(v, style, 0, None), mark))
                    }
                    _ => no("a scalar token went missing"),
                }
            }
            2 => {
                self.state = State::FlowSequenceFirstEntry;
                Ok((Event::SequenceStart(0, None), mark))
            }
            3 => {
                self.state = State::FlowMappingFirstKey;
                Ok((Event::MappingStart(0, None), mark))
            }
            4 => {
                self.state = State::BlockSequenceFirstEntry;
                Ok((Event::SequenceStart(0, None), mark))
            }
            _ => {
                self.state = State::BlockMappingFirstKey;
                Ok((Event::MappingStart(0, None), mark))
            }
        }
    }

    fn block_mapping_key(&mut self, first: bool) -> Ev {
        if first {
            self.peek()?;
            self.skip();
        }
        match self.peek()? {
            (_, Tok::Key) => {
                self.skip();
                match self.peek()? {
                    (mark, Tok::Key | Tok::Value | Tok::BlockEnd) => {
                        let mark = *mark;
                        self.state = State::BlockMappingValue;
                        Ok((empty_scalar(), mark))
                    }
                    _ => {
                        self.states.push(State::BlockMappingValue);
                        self.parse_node(true, true)
                    }
                }
            }
            (mark, Tok::Value) => {
                let mark = *mark;
                self.state = State::BlockMappingValue;
                Ok((empty_scalar(), mark))
            }
            (mark, Tok::BlockEnd) => {
                let mark = *mark;
                self.pop_state()?;
                self.skip();
                Ok((Event::MappingEnd, mark))
            }
            _ => no("no key in a block mapping"),
        }
    }

    fn block_mapping_value(&mut self) -> Ev {
        match self.peek()? {
            (_, Tok::Value) => {
                self.skip();
                match self.peek()? {
                    (mark, Tok::Key | Tok::Value | Tok::BlockEnd) => {
                        let mark = *mark;
                        self.state = State::BlockMappingKey;
                        Ok((empty_scalar(), mark))
                    }
                    _ => {
                        self.states.push(State::BlockMappingKey);
                        self.parse_node(true, true)
                    }
                }
            }
            (mark, _) => {
                let mark = *mark;
                self.state = State::BlockMappingKey;
                Ok((empty_scalar(), mark))
            }
        }
    }

    fn block_sequence_entry(&mut self, first: bool) -> Ev {
        if first {
            self.peek()?;
            self.skip();
        }
        match self.peek()? {
            (mark, Tok::BlockEnd) => {
                let mark = *mark;
                self.pop_state()?;
                self.skip();
                Ok((Event::SequenceEnd, mark))
            }
            (_, Tok::BlockEntry) => {
                self.skip();
                match self.peek()? {
                    (mark, Tok::BlockEntry | Tok::BlockEnd) => {
                        let mark = *mark;
                        self.state = State::BlockSequenceEntry;
                        Ok((empty_scalar(), mark))
                    }
                    _ => {
                        self.states.push(State::BlockSequenceEntry);
                        self.parse_node(true, false)
                    }
                }
            }
            _ => no("no - in a block sequence"),
        }
    }

    fn indentless_sequence_entry(&mut self) -> Ev {
        match self.peek()? {
            (_, Tok::BlockEntry) => {}
            (mark, _) => {
                let mark = *mark;
                self.pop_state()?;
                return Ok((Event::SequenceEnd, mark));
            }
        }
        self.skip();
        match self.peek()? {
            (mark, Tok::BlockEntry | Tok::Key | Tok::Value | Tok::BlockEnd) => {
                let mark = *mark;
                self.state = State::IndentlessSequenceEntry;
                Ok((empty_scalar(), mark))
            }
            _ => {
                self.states.push(State::IndentlessSequenceEntry);
                self.parse_node(true, false)
            }
        }
    }

    fn flow_sequence_entry(&mut self, first: bool) -> Ev {
        if first {
            self.peek()?;
            self.skip();
        }
        match self.peek()? {
            (mark, Tok::FlowSequenceEnd) => {
                let mark = *mark;
                self.pop_state()?;
                self.skip();
                return Ok((Event::SequenceEnd, mark));
            }
            (_, Tok::FlowEntry) if !first => self.skip(),
            _ if !first => return no("no , or ] in a flow sequence"),
            _ => {}
        }
        match self.peek()? {
            (mark, Tok::FlowSequenceEnd) => {
                let mark = *mark;
                self.pop_state()?;
                self.skip();
                Ok((Event::SequenceEnd, mark))
            }
            (_, Tok::Key) => no("a pair in a flow sequence"),
            _ => {
                self.states.push(State::FlowSequenceEntry);
                self.parse_node(false, false)
            }
        }
    }

    fn flow_mapping_key(&mut self, first: bool) -> Ev {
        if first {
            self.peek()?;
            self.skip();
        }
        let mark = match self.peek()? {
            (mark, Tok::FlowMappingEnd) => *mark,
            (mark, _) => {
                let mark = *mark;
                if !first {
                    match self.peek()? {
                        (_, Tok::FlowEntry) => self.skip(),
                        _ => return no("no , or } in a flow mapping"),
                    }
                }
                match self.peek()? {
                    (_, Tok::Key) => {
                        self.skip();
                        return match self.peek()? {
                            (mark, Tok::Value | Tok::FlowEntry | Tok::FlowMappingEnd) => {
                                let mark = *mark;
                                self.state = State::FlowMappingValue;
                                Ok((empty_scalar(), mark))
                            }
                            _ => {
                                self.states.push(State::FlowMappingValue);
                                self.parse_node(false, false)
                            }
                        };
                    }
                    (mark, Tok::Value) => {
                        let mark = *mark;
                        self.state = State::FlowMappingValue;
                        return Ok((empty_scalar(), mark));
                    }
                    (_, Tok::FlowMappingEnd) => {}
                    _ => {
                        self.states.push(State::FlowMappingEmptyValue);
                        return self.parse_node(false, false);
                    }
                }
                mark
            }
        };
        self.pop_state()?;
        self.skip();
        Ok((Event::MappingEnd, mark))
    }

    fn flow_mapping_value(&mut self, empty: bool) -> Ev {
        if empty {
            let mark = self.peek_mark()?;
            self.state = State::FlowMappingKey;
            return Ok((empty_scalar(), mark));
        }
        let mark = match self.peek()? {
            (mark, Tok::Value) => {
                let mark = *mark;
                self.skip();
                match self.peek()? {
                    (_, Tok::FlowEntry | Tok::FlowMappingEnd) => {}
                    _ => {
                        self.states.push(State::FlowMappingKey);
                        return self.parse_node(false, false);
                    }
                }
                mark
            }
            (mark, _) => *mark,
        };
        self.state = State::FlowMappingKey;
        Ok((empty_scalar(), mark))
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;

    /// Whether the fast reader accepts `src`; when it does, its events must be yaml-rust2's.
    fn accepted_and_equal(src: &str) -> bool {
        let Ok(fast) = events(src) else {
            return false;
        };
        let theirs = catch_unwind(AssertUnwindSafe(|| yaml_rust2_events(src)));
        match theirs {
            Ok(Ok(theirs)) => assert!(
                fast == theirs,
                "events differ for {src:?}\nfast: {fast:?}\nyaml-rust2: {theirs:?}"
            ),
            Ok(Err(e)) => panic!("accepted a text yaml-rust2 refuses ({e}): {src:?}"),
            Err(_) => panic!("accepted a text yaml-rust2 panics on: {src:?}"),
        }
        true
    }

    const SUBSET: &[&str] = &[
        "",
        "# only a comment\n",
        "a: 1\n",
        "a: 1",
        "a:\n",
        "a:",
        "a:\nb: 2\n",
        "a:\n  b:\n    c: d\ne: f\n",
        "a:\n- 1\n- 2\nb: 3\n",
        "a:\n  - 1\n  -\n  - x: y\n    z: w\n",
        "- a\n- b: c\n  d: e\n-\n- - x\n  - y\n",
        "---\na: b\n",
        "--- # doc\n- a\n",
        "---\n",
        "hello world\n",
        "'single'\n",
        "[a, b, 'c', \"d\"]\n",
        "{a: b, c: [d, e], f: {g: h}}\n",
        "a: [x, y] # comment\nb: {}\nc: []\n",
        "a: {is: x}\nb: ['http://x:80', y]\n",
        "a: 'it''s'\nb: \"q \\\" \\\\ \\n \\t \\x41 \\u00e9 \\U0001F600 \\/\"\n",
        "a: |\n  line 1\n  line 2\nb: >\n  folded\n  text\n\n  para\n",
        "a: |-\n  x\n\n\nb: |+\n  y\n\n\nc: >-\n  z\n",
        "- |\n  text\n- >2\n    indented\n",
        "a: |\n",
        "a: |\nb: 1\n",
        "a: >\n\n  after blank\n   more\n  back\n",
        "key with spaces: value with spaces\n\"quoted key\": 1\n'k': 2\n",
        "a : b\n",
        "url: https://x.example.com:8443/path?q=1#frag\naddress: :8443\n",
        "a: b # c\n# d\n\n  # e\nf: g\n",
        "a:\n  # comment\n  b: c\n",
        "- a: 1\n  b:\n    - x\n    - y\n- c: 2\n",
        "a: -1\nb: -x\nc: ?x\n",
        "a: null\nb: ~\nc: true\nd: 1.5\ne: 0x1f\n",
        "top:\n    four: 4\n    list:\n        - one\n",
        "[a, [b, c], {d: e}]\n",
        "{a, b: c}\n",
        "[a, b, ]\n",
        "{a: 1, }\n",
        "a: \"\"\nb: ''\n",
        "- - - a\n",
        "a:\n  - b:\n    - c\n",
        "--- # c\r\na: b\r\nc:\r\n- d # e\r\n-\r\n  f: |\r\n    x\r\n\r\n    y\r\n  g: >-\r\n    z\r\n\r\nh: [i, 'j']\r\n",
        "a: 1\r\nb: 2",
        "é: ü # ñ\nb: [ä, 'ö', \"€\"]\nc: |\n  text\nd: {k: 😀}\ne: \u{feff}x\n",
    ];

    #[test]
    fn the_subset_is_read_as_yaml_rust2_reads_it() {
        for src in SUBSET {
            assert!(accepted_and_equal(src), "refused: {src:?}");
        }
    }

    const OUTSIDE: &[&str] = &[
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "? a\n: b\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "a:\tb\n",
        "a: b\r",
        "a: \"b\r\n\"\n",
        "a: multi\n  line\n",
        "a: 'multi\n  line'\n",
        "a: [b,\n  c]\n",
        "[a]: b\n",
        "[a: b]\n",
        "a: b: c\n",
        "a: - b\n",
        "a: |\n  日本\n",
        "a: \"\\q\"\n",
        "a: \"x\"y\n",
        "a: [b]c\n",
        "a\nb: c\n",
        "@a\n",
        "a:\n  b: c\n d: e\n",
    ];

    #[test]
    fn texts_outside_the_subset_are_left_to_yaml_rust2() {
        for src in OUTSIDE {
            assert!(events(src).is_err(), "accepted: {src:?}");
        }
    }

    fn repo() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn suite_dir() -> Option<PathBuf> {
        let candidates = [
            std::env::var_os("YAML_TEST_SUITE").map(PathBuf::from),
            Some(repo().join("../shared/yaml-test-suite")),
        ];
        candidates.into_iter().flatten().find(|p| p.is_dir())
    }

    /// Every file under `dir` whose name `keep` accepts.
    fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(read) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in read.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if keep(&p) {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// How many of `paths` the fast reader accepts (each with yaml-rust2's events), of how many.
    fn accepted(paths: &[PathBuf]) -> (usize, usize) {
        let mut count = 0;
        let mut total = 0;
        for p in paths {
            let Ok(text) = std::fs::read_to_string(p) else {
                continue;
            };
            total += 1;
            if accepted_and_equal(&text) {
                count += 1;
            }
        }
        (count, total)
    }

    #[test]
    fn the_yaml_test_suite_is_read_as_yaml_rust2_reads_it() {
        let Some(dir) = suite_dir() else {
            assert!(
                std::env::var_os("SKIP_YAML_TEST_SUITE").is_some_and(|v| v == "1"),
                "the yaml-test-suite was not found (set YAML_TEST_SUITE, or SKIP_YAML_TEST_SUITE=1)"
            );
            return;
        };
        let cases = files(&dir, &|p| p.file_name().is_some_and(|n| n == "in.yaml"));
        let (count, total) = accepted(&cases);
        println!("fast reader: {count} of {total} yaml-test-suite cases accepted");
        assert!(total > 300, "only {total} cases found");
        assert!(count >= 90, "only {count} of {total} cases accepted");
    }

    #[test]
    fn the_repositorys_yaml_files_are_read_as_yaml_rust2_reads_them() {
        let yaml = |p: &Path| p.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let mut paths = files(&repo().join("examples"), &yaml);
        paths.extend(files(&repo().join("tests"), &yaml));
        let (count, total) = accepted(&paths);
        println!("fast reader: {count} of {total} YAML files of the repository accepted");
        assert!(total > 50, "only {total} files found");
        assert!(
            count * 10 >= total * 7,
            "only {count} of {total} files accepted"
        );
    }

    /// A config-like document, written with the generator's choices.
    #[derive(Debug, Clone)]
    enum Node {
        Scalar(String),
        /// Written as nothing (`key:`).
        Empty,
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
        Flow(String),
        Block(String),
    }

    fn plain() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zé][a-z0-9_./@é-]{0,8}( [a-z0-9日]{1,4}){0,2}",
            "https://[a-z]{1,5}\\.example\\.com(:[0-9]{2,4})?(/[a-z]{0,4})?",
            "-?[0-9]{1,4}(\\.[0-9]{1,2})?",
            Just("true".to_owned()),
            Just("~".to_owned()),
            Just("null".to_owned()),
            ":[0-9]{2,4}",
        ]
    }

    fn single_quoted() -> impl Strategy<Value = String> {
        "[ -~]{0,12}".prop_map(|s| format!("'{}'", s.replace('\'', "''")))
    }

    fn double_quoted() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-z :#,\\[\\]{}'é€-]{1,4}",
            Just("\\n".to_owned()),
            Just("\\t".to_owned()),
            Just("\\\"".to_owned()),
            Just("\\\\".to_owned()),
            Just("\\x41".to_owned()),
            Just("\\u00e9".to_owned()),
            Just("\\U0001F600".to_owned()),
            Just("\\/".to_owned()),
            Just("\\0".to_owned()),
            Just("\\ ".to_owned()),
        ];
        prop::collection::vec(piece, 0..5).prop_map(|p| format!("\"{}\"", p.concat()))
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![4 => plain(), 1 => single_quoted(), 1 => double_quoted()]
    }

    fn flow_item() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[a-z0-9][a-z0-9.@-]{0,8}",
            1 => single_quoted(),
            1 => double_quoted(),
        ]
    }

    fn flow() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::collection::vec(flow_item(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-z]{1,4}", flow_item()), 0..3).prop_map(|v| {
                let pairs: Vec<String> = v.iter().map(|(k, x)| format!("{k}: {x}")).collect();
                format!("{{{}}}", pairs.join(", "))
            }),
        ]
    }

    fn block() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("|"), Just(">")],
            prop_oneof![Just(""), Just("-"), Just("+")],
            "[a-z][a-z .:#-]{0,10}",
            prop::collection::vec(
                prop_oneof![3 => "[a-z][a-z .:#-]{0,10}", 1 => Just(String::new()), 1 => " [a-z]{1,5}"],
                0..5,
            ),
            0usize..3,
        )
            .prop_map(|(style, chomp, first, lines, trailing)| {
                let mut s = format!("{style}{chomp}\n{first}\n");
                for l in lines {
                    s.push_str(&l);
                    s.push('\n');
                }
                s.push_str(&"\n".repeat(trailing));
                s
            })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[a-z_][a-z0-9_-]{0,8}",
            1 => "\"[a-z ]{1,6}\"",
            1 => "'[a-z :]{1,6}'",
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            6 => scalar().prop_map(Node::Scalar),
            1 => Just(Node::Empty),
            2 => flow().prop_map(Node::Flow),
            1 => block().prop_map(Node::Block),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec((key(), inner.clone()), 1..5).prop_map(Node::Map),
                prop::collection::vec(inner, 1..5).prop_map(Node::Seq),
            ]
        })
    }

    /// How the generated text is laid out.
    #[derive(Debug, Clone)]
    struct Layout {
        step: usize,
        indentless: bool,
        crlf: bool,
        comments: Vec<bool>,
        blank_lines: Vec<bool>,
    }

    struct Writer<'a> {
        out: String,
        layout: &'a Layout,
        n: usize,
    }

    impl Writer<'_> {
        fn flip(&mut self, of: fn(&Layout) -> &Vec<bool>) -> bool {
            self.n += 1;
            let v = of(self.layout);
            !v.is_empty() && v[self.n % v.len()]
        }

        /// The end of a line holding a value: maybe a comment, then the break.
        fn eol(&mut self) {
            if self.flip(|l| &l.comments) {
                self.out.push_str(" # note ü");
            }
            self.out.push('\n');
            if self.flip(|l| &l.blank_lines) {
                self.out.push('\n');
            }
        }

        /// Writes `node` as the value after `key:` or `-` (already written), for a parent at
        /// column `col`.
        fn value(&mut self, node: &Node, col: usize, in_seq: bool) {
            match node {
                Node::Scalar(s) | Node::Flow(s) => {
                    self.out.push(' ');
                    self.out.push_str(s);
                    self.eol();
                }
                Node::Empty => self.eol(),
                Node::Block(b) => {
                    let inner = col + self.layout.step;
                    let mut lines = b.lines();
                    let header = lines.next().unwrap_or("|");
                    self.out.push(' ');
                    self.out.push_str(header);
                    self.out.push('\n');
                    for l in lines {
                        if !l.is_empty() {
                            self.out.push_str(&" ".repeat(inner));
                        }
                        self.out.push_str(l);
                        self.out.push('\n');
                    }
                }
                Node::Map(entries) => {
                    if in_seq && self.flip(|l| &l.comments) {
                        // Compact: the first entry on the dash's line.
                        self.out.push(' ');
                        self.map(entries, col + 2, true);
                    } else {
                        self.eol();
                        self.map(entries, col + self.layout.step, false);
                    }
                }
                Node::Seq(items) => {
                    self.eol();
                    let c = if !in_seq && self.layout.indentless {
                        col
                    } else {
                        col + self.layout.step
                    };
                    self.seq(items, c);
                }
            }
        }

        fn map(&mut self, entries: &[(String, Node)], col: usize, first_inline: bool) {
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 || !first_inline {
                    self.out.push_str(&" ".repeat(col));
                }
                self.out.push_str(k);
                self.out.push(':');
                self.value(v, col, false);
            }
        }

        fn seq(&mut self, items: &[Node], col: usize) {
            for item in items {
                self.out.push_str(&" ".repeat(col));
                self.out.push('-');
                self.value(item, col, true);
            }
        }
    }

    fn write(root: &Node, layout: &Layout) -> String {
        let mut w = Writer {
            out: String::new(),
            layout,
            n: 0,
        };
        w.out.push_str("# generated\n");
        match root {
            Node::Map(entries) => w.map(entries, 0, false),
            Node::Seq(items) => w.seq(items, 0),
            Node::Scalar(s) | Node::Flow(s) => {
                w.out.push_str(s);
                w.out.push('\n');
            }
            Node::Empty => {}
            Node::Block(b) => {
                w.out.push_str("---");
                w.value(&Node::Block(b.clone()), 0, false);
            }
        }
        if layout.crlf {
            w.out.replace('\n', "\r\n")
        } else {
            w.out
        }
    }

    fn layout() -> impl Strategy<Value = Layout> {
        (
            1usize..5,
            any::<bool>(),
            prop::bool::weighted(0.3),
            prop::collection::vec(any::<bool>(), 1..7),
            prop::collection::vec(prop::bool::weighted(0.2), 1..7),
        )
            .prop_map(|(step, indentless, crlf, comments, blank_lines)| Layout {
                step,
                indentless,
                crlf,
                comments,
                blank_lines,
            })
    }

    /// Pieces of YAML syntax that random texts are made of.
    const PIECES: &[&str] = &[
        "a", "b", "1", " ", "  ", "\n", "\n  ", ":", ": ", "- ", "-", "[", "]", "{", "}", ", ",
        ",", "#", " # c", "'", "\"", "\\n", "|", ">", "|-", ">+", "|2", "---", "...", "?",
        "x: y\n", "  - z\n", "k:\n", "  ", "\t", "*a", "&a ", "!t ", "%", "é", "日本", "\r\n",
    ];

    #[test]
    fn random_texts_the_fast_reader_accepts_are_read_as_yaml_rust2_reads_them() {
        // A fixed sequence of random texts, so the count of accepted ones is known.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut count = 0;
        let total = 20_000;
        for _ in 0..total {
            let len = next() % 24;
            let text: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            if accepted_and_equal(&text) {
                count += 1;
            }
        }
        println!("fast reader: {count} of {total} random texts accepted");
        assert!(
            count >= total / 20,
            "only {count} of {total} random texts accepted"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn config_like_yaml_is_accepted_and_read_as_yaml_rust2_reads_it(
            root in node(),
            layout in layout(),
        ) {
            let text = write(&root, &layout);
            prop_assert!(yaml_rust2_events(&text).is_ok(), "generator wrote invalid YAML:\n{}", text);
            prop_assert!(accepted_and_equal(&text), "refused:\n{}\n{:?}", text, events(&text).err());
        }

        #[test]
        fn any_text_the_fast_reader_accepts_is_read_as_yaml_rust2_reads_it(
            pieces in prop::collection::vec(prop::sample::select(PIECES), 0..30),
        ) {
            let text = pieces.concat();
            accepted_and_equal(&text);
        }
    }
}
