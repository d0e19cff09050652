//! The lossless `.env` backend.
//!
//! A `.env` file is read the way docker compose reads an `env_file:` (compose-go's `dotenv`
//! package, `dotenv/parser.go` at v2.13.0 and later, `e70e961`): one variable per statement, and
//! the document's root is a mapping from each name to its value, a string (or null for a name
//! written alone, whose value compose takes from its own environment). [`scan`] reads the
//! statements and records where each piece is written; [`render`] turns edits into splices of the
//! original text, writing new names and values with [`emit`]. Everything outside an edit is copied
//! byte for byte: comments, blank lines, quoting, `export`, CRLF line ends, a missing final line
//! break, a BOM (compose skips it).
//!
//! # The subset read
//!
//! - Blank lines, and lines whose first non-blank character is `#` (comments).
//! - `NAME=value`, optionally indented, optionally after `export ` (so that the file can be
//!   sourced by a shell); blanks around `=` are allowed, and `NAME: value` too (compose accepts
//!   the YAML-like separator). A name is ASCII letters, digits and `_ . - [ ]` (compose also
//!   accepts other Unicode letters; this tool refuses them).
//! - `NAME` alone: the value comes from the environment compose runs in; modelled as null.
//! - Unquoted values run to the end of the line; ` #` (a space, then `#`) starts a comment, and
//!   trailing blanks are not part of the value. A `#` right after `=` or after a tab is part of the
//!   value, as in compose.
//! - Single-quoted values are literal, except `\'` for a quote.
//! - Double-quoted values may span lines and take the escapes compose expands: `\\`, `\"`, `\n`,
//!   `\r`, `\t`, `\a`, `\b`, `\f`, `\v` and `\$`; any other backslash stays as written.
//! - After a closing quote only blanks and a `# comment` may follow on the line.
//!
//! Values are modelled after quote and escape processing but **without `${…}` interpolation**:
//! a value holding a `$` is kept as written (`\$` in double quotes as `$`), so callers can tell
//! that compose may substitute into it and treat the value as unknown; a value with a `$` that
//! an edit writes is written as such a template (unquoted or in double quotes, see `emit`).
//!
//! # Refused, with `file:line:column`
//!
//! A statement compose refuses (a name with a space or another character, text after a closing
//! quote, an unterminated quote), and what compose reads in a way too easily misread: a variable
//! set twice (compose keeps the last one silently: `out[key] = value` in `parser.go`; both places
//! are named, as for a key defined twice in a config), an octal escape `\0…` in double quotes,
//! a carriage return that does not end a line, unusual whitespace where a value starts, an
//! `export` with nothing after it.

mod emit;
mod render;

use std::collections::HashMap;
use std::ops::Range;

use crate::document::lines::Lines;
use crate::document::splice;
use crate::document::{
    Backend, Edit, EditError, EntryId, Location, NodeId, NodeKind, ParseError, Tree, Value,
};

/// How a value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quote {
    /// `NAME=value`
    Plain,
    /// `NAME='value'`
    Single,
    /// `NAME="value"`
    Double,
    /// `NAME` alone: the value comes from compose's environment.
    Bare,
}

/// One `NAME=value` statement as written. Offsets point into the text without its BOM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Statement {
    /// Start of the statement's first line.
    pub line_start: usize,
    /// The first non-blank character (`export` or the name).
    pub start: usize,
    pub key: Range<usize>,
    /// The value as written, quotes included (empty, at the end of the name, for a bare name).
    pub value: Range<usize>,
    pub quote: Quote,
    /// Start of the statement's last line (a double-quoted value may span lines).
    pub last_line: usize,
    pub name: String,
    /// `None` for a bare name.
    pub data: Option<String>,
}

/// Whether a byte may be part of a variable name.
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// Whether a text is a variable name this backend writes.
pub(crate) fn is_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_name_byte)
}

fn blanks(src: &str, pos: usize) -> usize {
    src.as_bytes()[pos..]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()
}

/// Whether `pos` is at a line end (`\n`, `\r\n`) or the end of the text.
fn at_line_end(src: &str, pos: usize) -> bool {
    let rest = &src.as_bytes()[pos..];
    rest.is_empty() || rest[0] == b'\n' || rest.starts_with(b"\r\n")
}

/// Start of the line holding `pos`.
pub(crate) fn line_start_of(src: &str, pos: usize) -> usize {
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

struct Scanner<'a> {
    src: &'a str,
    lines: &'a Lines,
}

impl Scanner<'_> {
    fn error(&self, pos: usize, message: impl Into<String>) -> ParseError {
        ParseError::Syntax {
            location: self.lines.location(self.src, pos),
            message: message.into(),
        }
    }

    fn char_at(&self, pos: usize) -> String {
        self.src[pos..]
            .chars()
            .next()
            .map_or_else(String::new, |c| c.escape_debug().to_string())
    }

    fn statements(&self) -> Result<Vec<Statement>, ParseError> {
        let src = self.src;
        if let Some(cr) = src
            .match_indices('\r')
            .map(|(i, _)| i)
            .find(|i| src.as_bytes().get(i + 1) != Some(&b'\n'))
        {
            return Err(self.error(
                cr,
                "a carriage return that does not end a line; save the file with LF or CRLF \
                 line ends",
            ));
        }
        let mut out: Vec<Statement> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut pos = 0;
        while pos < src.len() {
            let line_start = pos;
            let start = pos + blanks(src, pos);
            if at_line_end(src, start) || src.as_bytes()[start] == b'#' {
                pos = next_line_start(src, start);
                continue;
            }
            let statement = self.statement(line_start, start)?;
            if let Some(first) = seen.get(&statement.name) {
                let first = self.lines.location(src, *first);
                return Err(self.error(
                    statement.key.start,
                    format!(
                        "the variable `{}` is set twice (first at line {}, column {}); docker \
                         compose uses the last one without a word: delete the one you do not mean",
                        statement.name, first.line, first.column
                    ),
                ));
            }
            seen.insert(statement.name.clone(), statement.key.start);
            pos = next_line_start(src, statement.last_line);
            out.push(statement);
        }
        Ok(out)
    }

    fn statement(&self, line_start: usize, start: usize) -> Result<Statement, ParseError> {
        let src = self.src;
        let b = src.as_bytes();
        let mut p = start;
        if src[p..].starts_with("export") && matches!(b.get(p + 6), Some(b' ' | b'\t')) {
            p += 6;
            p += blanks(src, p);
            if at_line_end(src, p) {
                return Err(self.error(start, "`export` with no variable after it"));
            }
        }
        let key_start = p;
        while b.get(p).copied().is_some_and(is_name_byte) {
            p += 1;
        }
        let key = key_start..p;
        if key.is_empty() {
            return Err(self.error(
                p,
                format!(
                    "expected a variable name, found `{}`; a line is `NAME=value`, a comment \
                     or blank",
                    self.char_at(p)
                ),
            ));
        }
        let name = src[key.clone()].to_owned();
        let after_key = p;
        p += blanks(src, p);
        let bare = |quote_end: usize| Statement {
            line_start,
            start,
            key: key.clone(),
            value: after_key..after_key,
            quote: Quote::Bare,
            last_line: line_start_of(src, quote_end),
            name: name.clone(),
            data: None,
        };
        match b.get(p) {
            Some(b'=' | b':') => p += 1,
            _ if at_line_end(src, p) => return Ok(bare(p)),
            Some(c) if p > after_key && is_name_byte(*c) => {
                return Err(self.error(
                    p,
                    format!("a variable name cannot contain a space (after `{name}`)"),
                ));
            }
            _ => {
                return Err(self.error(
                    p,
                    format!(
                        "unexpected `{}` after the variable name `{name}`; a line is \
                         `NAME=value`",
                        self.char_at(p)
                    ),
                ));
            }
        }
        p += blanks(src, p);
        if let Some(c) = src[p..].chars().next()
            && c.is_whitespace()
            && !matches!(c, '\n' | '\r')
        {
            return Err(self.error(
                p,
                format!(
                    "unusual whitespace `{}` where the value starts; use spaces or tabs",
                    c.escape_debug()
                ),
            ));
        }
        let (value, data, quote) = match b.get(p) {
            Some(b'"') => {
                let (end, data) = self.double_quoted(p)?;
                (p..end, data, Quote::Double)
            }
            Some(b'\'') => {
                let (end, data) = self.single_quoted(p)?;
                (p..end, data, Quote::Single)
            }
            _ => {
                let line_end = line_content_end(src, p);
                let raw = &src[p..line_end];
                let raw = raw.find(" #").map_or(raw, |i| &raw[..i]);
                let text = raw.trim_end();
                let end = p + text.len();
                return Ok(Statement {
                    line_start,
                    start,
                    key,
                    value: p..end,
                    quote: Quote::Plain,
                    last_line: line_start_of(src, end),
                    name,
                    data: Some(text.to_owned()),
                });
            }
        };
        let after = value.end + blanks(src, value.end);
        if !(at_line_end(src, after) || b[after] == b'#') {
            return Err(self.error(
                after,
                "text after the closing quote; only a `# comment` may follow a quoted value on \
                 its line",
            ));
        }
        Ok(Statement {
            line_start,
            start,
            key,
            last_line: line_start_of(src, value.end),
            value,
            quote,
            name,
            data: Some(data),
        })
    }

    /// A double-quoted value starting at `open`: the offset after its closing quote, and its data.
    fn double_quoted(&self, open: usize) -> Result<(usize, String), ParseError> {
        let src = self.src;
        let mut data = String::new();
        let mut chars = src[open + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((open + 1 + i + 1, data)),
                '\\' => {
                    let Some((_, next)) = chars.next() else {
                        break;
                    };
                    match next {
                        '\\' => data.push('\\'),
                        '"' => data.push('"'),
                        '$' => data.push('$'),
                        'n' => data.push('\n'),
                        'r' => data.push('\r'),
                        't' => data.push('\t'),
                        'a' => data.push('\u{07}'),
                        'b' => data.push('\u{08}'),
                        'f' => data.push('\u{0c}'),
                        'v' => data.push('\u{0b}'),
                        '0' => {
                            return Err(self.error(
                                open + 1 + i,
                                "an octal escape `\\0…` in a double-quoted value; write the \
                                 character itself",
                            ));
                        }
                        other => {
                            data.push('\\');
                            data.push(other);
                        }
                    }
                }
                c => data.push(c),
            }
        }
        Err(self.error(open, "the double quote opened here is never closed"))
    }

    /// A single-quoted value starting at `open`: the offset after its closing quote, and its data.
    fn single_quoted(&self, open: usize) -> Result<(usize, String), ParseError> {
        let src = self.src;
        let mut data = String::new();
        let mut chars = src[open + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' => return Ok((open + 1 + i + 1, data)),
                '\\' => {
                    let Some((_, next)) = chars.next() else {
                        break;
                    };
                    if next != '\'' {
                        data.push('\\');
                    }
                    data.push(next);
                }
                c => data.push(c),
            }
        }
        Err(self.error(open, "the single quote opened here is never closed"))
    }
}

/// The text without a BOM, and its lines (a line ends at `\n`; a lone `\r` is refused).
fn without_bom(text: &str) -> (&str, Lines) {
    let src = text.strip_prefix('\u{feff}').unwrap_or(text);
    (src, Lines::lf_only(src))
}

/// The statements of a text without its BOM.
fn scan(src: &str, lines: &Lines) -> Result<Vec<Statement>, ParseError> {
    Scanner { src, lines }.statements()
}

fn data_of(statements: &[Statement]) -> Value {
    Value::Mapping(
        statements
            .iter()
            .map(|s| {
                let value = s.data.clone().map_or(Value::Null, Value::String);
                (Value::String(s.name.clone()), value)
            })
            .collect(),
    )
}

/// A `.env` file, indexed for lossless editing.
#[derive(Debug, Clone)]
pub struct DotenvDocument {
    /// The whole text as read, BOM included.
    text: String,
    /// Length of the BOM (0 or 3): offsets point into `text[base..]`.
    base: usize,
    lines: Lines,
    /// The line break new lines use: the file's own.
    eol: &'static str,
    statements: Vec<Statement>,
    tree: Tree,
}

/// The node of the root mapping; entry `i` has key node `1 + 2i` and value node `2 + 2i`.
const ROOT: NodeId = NodeId(0);

impl DotenvDocument {
    pub fn parse(text: String) -> Result<DotenvDocument, ParseError> {
        let (src, lines) = without_bom(&text);
        let base = text.len() - src.len();
        let statements = scan(src, &lines)?;
        let mut tree = Tree::default();
        let root = tree.push(
            NodeKind::Mapping(Vec::new()),
            Location { line: 1, column: 1 },
        );
        let mut entries = Vec::with_capacity(statements.len());
        for s in &statements {
            let key_node = tree.push(
                NodeKind::Scalar(Value::String(s.name.clone())),
                lines.location(src, s.key.start),
            );
            let value = s.data.clone().map_or(Value::Null, Value::String);
            let value_node = tree.push(NodeKind::Scalar(value), lines.location(src, s.value.start));
            entries.push(crate::document::Entry {
                key: s.name.as_str().into(),
                key_node,
                value: value_node,
            });
        }
        tree.node_mut(root).kind = NodeKind::Mapping(entries);
        tree.root = Some(root);
        tree.link();
        let eol = match src.find('\n') {
            Some(i) if src[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        };
        Ok(DotenvDocument {
            text,
            base,
            lines,
            eol,
            statements,
            tree,
        })
    }

    /// The text without its BOM; all offsets point into it.
    pub(crate) fn src(&self) -> &str {
        &self.text[self.base..]
    }

    pub(crate) fn location_at(&self, pos: usize) -> Location {
        self.lines.location(self.src(), pos)
    }

    /// The statement of an entry of the root mapping.
    pub(crate) fn statement(&self, entry: EntryId) -> Option<&Statement> {
        if entry.map != ROOT {
            return None;
        }
        self.statements.get(entry.index)
    }

    /// The statement whose value is `node`.
    pub(crate) fn statement_of_value(&self, node: NodeId) -> Option<(usize, &Statement)> {
        let n = node.index();
        if n == 0 || n % 2 == 1 {
            return None;
        }
        let index = (n - 2) / 2;
        self.statements.get(index).map(|s| (index, s))
    }

    pub(crate) fn statements(&self) -> &[Statement] {
        &self.statements
    }

    pub(crate) fn is_root(&self, node: NodeId) -> bool {
        node == ROOT
    }
}

impl Backend for DotenvDocument {
    fn tree(&self) -> &Tree {
        &self.tree
    }

    fn data(&self) -> Value {
        data_of(&self.statements)
    }

    /// Every statement stands on lines of its own, which can become comment lines.
    fn can_comment_out(&self, entry: EntryId) -> bool {
        self.statement(entry).is_some()
    }

    fn render(&self, edits: &[Edit]) -> Result<String, EditError> {
        if edits.is_empty() {
            return Ok(self.text.clone());
        }
        // Edits are planned on a text that ends with a line break, so that the last line is a
        // line like any other; a file without a final break gets it back without one.
        splice::render_after_prefix(&self.text, self.base, self.eol, |work| {
            render::Renderer::new(self, work).render(edits)
        })
    }

    fn reparse(&self, text: std::sync::Arc<str>) -> Result<Box<dyn Backend>, ParseError> {
        Ok(Box::new(DotenvDocument::parse(text.to_string())?))
    }

    /// The statements only, without the tree.
    fn parse_data(&self, text: &str) -> Result<Value, ParseError> {
        let (src, lines) = without_bom(text);
        Ok(data_of(&scan(src, &lines)?))
    }

    fn span(&self, node: NodeId) -> Range<usize> {
        if node == ROOT {
            return self.base..self.text.len();
        }
        let n = node.index();
        let Some(s) = self.statements.get((n - 1) / 2) else {
            return 0..0;
        };
        let range = if n % 2 == 1 { &s.key } else { &s.value };
        range.start + self.base..range.end + self.base
    }
}

#[cfg(test)]
mod tests;
