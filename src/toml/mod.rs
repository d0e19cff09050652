//! The lossless TOML backend.
//!
//! toml_edit parses the file and gives the span of every key, value and table header; [`index`]
//! builds the neutral tree from that and records where each entry is written; [`render`] turns
//! edits into splices of the original text, writing new keys and values with [`emit`].
//!
//! Why splices rather than editing a `toml_edit::DocumentMut` and printing it: printing a
//! `DocumentMut` writes LF line ends in a CRLF file, adds a final line break the file did not have
//! and regroups dotted keys, so even untouched lines would change (the editing is lossless: see
//! "Editing guarantees" in `docs/ARCHITECTURE.md`). The spans of the
//! same parse let every byte outside an edit be copied as it is.
//!
//! The data model ([`TomlDocument::data`]) comes straight from toml_edit's items ([`data`]),
//! independently of the tree, so verification compares the edited text against a second reading.

mod data;
mod duplicate;
mod emit;
mod index;
mod render;
mod text;

use std::ops::Range;

use crate::document::lines::Lines;
use crate::document::splice;
use crate::document::{
    Backend, Edit, EditError, EntryId, Location, NodeId, ParseError, Tree, Value,
};
use index::{EntryKind, Index, Shape, TableKind};

/// The text without a BOM, and its lines.
fn without_bom(text: &str) -> (&str, Lines) {
    let src = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = Lines::lf_only(src);
    (src, lines)
}

fn syntax_error(e: &toml_edit::TomlError, src: &str, lines: &Lines) -> ParseError {
    let at = e.span().map_or(0, |s| s.start);
    // The message only: toml_edit's full display quotes the line, which may hold a secret.
    let mut message = e.message().trim_end().to_owned();
    if message == "duplicate key"
        && let Some((key, first)) = duplicate::first_definition(src, at)
    {
        message = format!(
            "the key `{key}` is defined twice (first at line {}, column {}); TOML and Pomerium \
             refuse a duplicate key: keep the one you mean and delete the other",
            first.line, first.column
        );
    }
    ParseError::Syntax {
        location: lines.location(src, at),
        message,
    }
}

/// A TOML config file, indexed for lossless editing.
#[derive(Debug, Clone)]
pub struct TomlDocument {
    /// The whole text as read, BOM included.
    text: String,
    /// Length of the BOM (0 or 3): offsets point into `text[base..]`.
    base: usize,
    lines: Lines,
    /// The line break new lines use: the file's own.
    eol: &'static str,
    tree: Tree,
    index: Index,
    data: Value,
}

impl TomlDocument {
    pub fn parse(text: String) -> Result<TomlDocument, ParseError> {
        let (src, lines) = without_bom(&text);
        let base = text.len() - src.len();
        let parsed = toml_edit::Document::parse(src).map_err(|e| syntax_error(&e, src, &lines))?;
        let (tree, index) = index::build(src, &lines, parsed.as_table());
        let data = data::table(parsed.as_table(), src);
        let eol = match src.find('\n') {
            Some(i) if src[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        };
        Ok(TomlDocument {
            text,
            base,
            lines,
            eol,
            tree,
            index,
            data,
        })
    }

    /// The text without its BOM; all offsets point into it.
    pub(crate) fn src(&self) -> &str {
        &self.text[self.base..]
    }

    pub(crate) fn location_at(&self, pos: usize) -> Location {
        self.lines.location(self.src(), pos)
    }

    /// Entries written as lines of a table can become comment lines; pairs inside `{ … }`
    /// cannot, since a comment would end the inline table.
    pub(crate) fn can_comment_out_entry(&self, entry: EntryId) -> bool {
        let in_lines = matches!(
            self.index.node(entry.map).shape,
            Shape::Table(
                TableKind::Root | TableKind::Header | TableKind::Implicit | TableKind::Dotted
            )
        );
        in_lines
            && self
                .index
                .entry(entry)
                .is_some_and(|e| e.kind != EntryKind::Inline && !e.pieces.is_empty())
    }
}

impl Backend for TomlDocument {
    fn tree(&self) -> &Tree {
        &self.tree
    }

    fn data(&self) -> Value {
        self.data.clone()
    }

    fn data_equals(&self, expected: &Value) -> bool {
        self.data == *expected
    }

    fn can_comment_out(&self, entry: EntryId) -> bool {
        self.can_comment_out_entry(entry)
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
        Ok(Box::new(TomlDocument::parse(text.to_string())?))
    }

    /// toml_edit's items converted directly, without building the tree or the index.
    fn parse_data(&self, text: &str) -> Result<Value, ParseError> {
        let (src, lines) = without_bom(text);
        let parsed = toml_edit::Document::parse(src).map_err(|e| syntax_error(&e, src, &lines))?;
        Ok(data::table(parsed.as_table(), src))
    }

    fn span(&self, node: NodeId) -> Range<usize> {
        match self.index.nodes.get(node.index()) {
            Some(info) if matches!(info.shape, Shape::Table(TableKind::Root)) => {
                self.base..self.text.len()
            }
            Some(info) => info.span.start + self.base..info.span.end + self.base,
            None => 0..0,
        }
    }
}
