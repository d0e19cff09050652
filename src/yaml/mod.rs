//! The lossless YAML backend (in progress: being written now).
use std::ops::Range;

use crate::document::{
    Backend, Edit, EditError, EntryId, Format, Location, NodeId, ParseError, Tree, Value,
};

#[derive(Debug)]
pub struct YamlDocument {
    tree: Tree,
}

impl YamlDocument {
    pub fn parse(_text: String) -> Result<YamlDocument, ParseError> {
        Err(ParseError::Syntax {
            location: Location { line: 1, column: 1 },
            message: "todo".into(),
        })
    }
}

impl Backend for YamlDocument {
    fn format(&self) -> Format {
        Format::Yaml
    }
    fn text(&self) -> &str {
        ""
    }
    fn tree(&self) -> &Tree {
        &self.tree
    }
    fn data(&self) -> Value {
        Value::Null
    }
    fn can_comment_out(&self, _entry: EntryId) -> bool {
        false
    }
    fn render(&self, _edits: &[Edit]) -> Result<String, EditError> {
        Ok(String::new())
    }
    fn reparse(&self, text: String) -> Result<Box<dyn Backend>, ParseError> {
        Ok(Box::new(YamlDocument::parse(text)?))
    }
    fn span(&self, _node: NodeId) -> Range<usize> {
        0..0
    }
}
