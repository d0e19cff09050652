//! The data of a YAML text without an editing index: what verification compares.
//!
//! It types scalars with the same function as the index ([`super::index::scalar_value`]), so the
//! two agree by construction, and it builds plain vectors instead of hash maps, which makes it
//! cheaper than yaml-rust2's own loader.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::index::scalar_value;
use crate::document::{Location, ParseError, Value};

#[derive(Default)]
struct DataBuilder {
    /// Open collections, each with the key waiting for its value (mappings) and its anchor.
    stack: Vec<(Value, Option<Value>, usize)>,
    anchors: HashMap<usize, Value>,
    documents: usize,
    second_document: Option<Location>,
    root: Option<Value>,
}

impl DataBuilder {
    fn insert(&mut self, value: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some((Value::Sequence(items), _, _)) => items.push(value),
            Some((Value::Mapping(entries), pending, _)) => match pending.take() {
                None => *pending = Some(value),
                Some(key) => entries.push((key, value)),
            },
            Some(_) => {}
        }
    }
}

impl MarkedEventReceiver for DataBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.second_document = Some(Location {
                        line: mark.line(),
                        column: mark.col() + 1,
                    });
                }
            }
            _ if self.documents > 1 => {}
            Event::Scalar(v, style, anchor, tag) => {
                self.insert(scalar_value(v, style, tag.as_ref()), anchor)
            }
            Event::Alias(id) => {
                let v = self.anchors.get(&id).cloned().unwrap_or(Value::Invalid);
                self.insert(v, 0);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push((Value::Sequence(Vec::new()), None, anchor))
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push((Value::Mapping(Vec::new()), None, anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((v, _, anchor)) = self.stack.pop() {
                    self.insert(v, anchor);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// The data of a YAML text (null for a text with no document).
pub(crate) fn load(src: &str) -> Result<Value, ParseError> {
    let mut b = DataBuilder::default();
    let mut parser = Parser::new_from_str(src);
    if let Err(e) = parser.load(&mut b, true) {
        return Err(ParseError::Syntax {
            location: Location {
                line: e.marker().line(),
                column: e.marker().col() + 1,
            },
            message: e.info().to_owned(),
        });
    }
    if let Some(location) = b.second_document {
        return Err(ParseError::MultipleDocuments {
            location,
            count: b.documents,
        });
    }
    Ok(b.root.unwrap_or(Value::Null))
}
