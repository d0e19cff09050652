//! The data of a YAML text without an editing index: what verification compares.
//!
//! It types scalars with the same function as the index ([`super::index::scalar_value`]), so the
//! two agree by construction, and it builds plain vectors instead of hash maps, which makes it
//! cheaper than yaml-rust2's own loader.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver};
use yaml_rust2::scanner::Marker;

use super::index::scalar_value;
use super::limits::{self, AliasBudget, MAX_DEPTH};
use crate::document::{Location, ParseError, Value};

/// An open collection: its value so far, the key waiting for its value (mappings), its anchor
/// and how many nodes it holds with aliases expanded.
struct Open {
    value: Value,
    pending: Option<Value>,
    anchor: usize,
    size: u64,
}

#[derive(Default)]
struct DataBuilder {
    stack: Vec<Open>,
    /// Each anchored value and its size with aliases expanded.
    anchors: HashMap<usize, (Value, u64)>,
    budget: AliasBudget,
    documents: usize,
    second_document: Option<Location>,
    root: Option<Value>,
    /// Stream mode: the data of each document so far.
    stream: Option<Vec<Value>>,
    /// Stream mode: the document (1-based) each anchor id was defined in.
    anchor_documents: HashMap<usize, usize>,
    error: Option<ParseError>,
}

fn location_of(mark: &Marker) -> Location {
    Location {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

impl DataBuilder {
    fn insert(&mut self, value: Value, anchor: usize, size: u64) {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), size));
            if self.stream.is_some() {
                self.anchor_documents.insert(anchor, self.documents);
            }
        }
        match self.stack.last_mut() {
            None => match &mut self.stream {
                Some(documents) => documents.push(value),
                None => self.root = Some(value),
            },
            Some(open) => {
                open.size = open.size.saturating_add(size);
                match (&mut open.value, &mut open.pending) {
                    (Value::Sequence(items), _) => items.push(value),
                    (Value::Mapping(entries), pending) => match pending.take() {
                        None => *pending = Some(value),
                        Some(key) => entries.push((key, value)),
                    },
                    _ => {}
                }
            }
        }
    }

    fn open(&mut self, value: Value, anchor: usize, mark: &Marker) {
        if self.stack.len() >= MAX_DEPTH {
            self.error = Some(ParseError::TooDeep {
                location: location_of(mark),
                limit: MAX_DEPTH,
            });
            return;
        }
        self.budget.written();
        self.stack.push(Open {
            value,
            pending: None,
            anchor,
            size: 1,
        });
    }

    fn alias(&mut self, id: usize, mark: &Marker) {
        if self.stream.is_some()
            && self
                .anchor_documents
                .get(&id)
                .is_some_and(|d| *d != self.documents)
        {
            self.error = Some(ParseError::Syntax {
                location: location_of(mark),
                message: "alias to an anchor of another document (each document of a stream \
                          has its own anchors)"
                    .into(),
            });
            return;
        }
        let (value, size) = match self.anchors.get(&id) {
            Some((value, size)) => (value, *size),
            None => {
                // The parser refuses unknown anchors; this is an alias inside its own anchor.
                self.error = Some(ParseError::Syntax {
                    location: location_of(mark),
                    message: "alias to a collection that contains it (the data would never end)"
                        .into(),
                });
                return;
            }
        };
        if let Err(e) = self.budget.alias(size) {
            self.error = Some(ParseError::ExcessiveAliasing {
                location: location_of(mark),
                expanded: e.expanded,
                written: e.written,
            });
            return;
        }
        let value = value.clone();
        self.insert(value, 0, size.saturating_add(1));
    }
}

impl MarkedEventReceiver for DataBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 && self.stream.is_none() {
                    self.second_document = Some(location_of(&mark));
                }
            }
            _ if self.documents > 1 && self.stream.is_none() => {}
            Event::Scalar(v, style, anchor, tag) => {
                self.budget.written();
                self.insert(scalar_value(v, style, tag.as_ref()), anchor, 1)
            }
            Event::Alias(id) => self.alias(id, &mark),
            Event::SequenceStart(anchor, _) => {
                self.open(Value::Sequence(Vec::new()), anchor, &mark)
            }
            Event::MappingStart(anchor, _) => self.open(Value::Mapping(Vec::new()), anchor, &mark),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    self.insert(open.value, open.anchor, open.size);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// The data of a YAML text (null for a text with no document).
pub(crate) fn load(src: &str) -> Result<Value, ParseError> {
    load_as(src, false)
}

/// The data of a YAML stream: a sequence with the data of each document (empty for a text with
/// no document).
pub(crate) fn load_stream(src: &str) -> Result<Value, ParseError> {
    load_as(src, true)
}

fn load_as(src: &str, stream: bool) -> Result<Value, ParseError> {
    load_with_anchors(src, stream).map(|(value, _)| value)
}

/// The data of a YAML text and whether it defines an anchor.
pub(crate) fn load_with_anchors(src: &str, stream: bool) -> Result<(Value, bool), ParseError> {
    let mut b = DataBuilder {
        stream: stream.then(Vec::new),
        ..DataBuilder::default()
    };
    if let Err(e) = limits::drive(src, &mut b, |b| b.error.is_some()) {
        return Err(ParseError::Syntax {
            location: Location {
                line: e.marker().line(),
                column: e.marker().col() + 1,
            },
            message: e.info().to_owned(),
        });
    }
    if let Some(e) = b.error {
        return Err(e);
    }
    if let Some(location) = b.second_document {
        return Err(ParseError::MultipleDocuments {
            location,
            count: b.documents,
        });
    }
    let anchored = !b.anchors.is_empty();
    match b.stream {
        Some(documents) => Ok((Value::Sequence(documents), anchored)),
        None => Ok((b.root.unwrap_or(Value::Null), anchored)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_expand_and_shared_anchors_count_once_per_use() {
        let data = load("a: &a {b: [1, 2]}\nc: *a\n");
        let expected = load("a: {b: [1, 2]}\nc: {b: [1, 2]}\n");
        assert_eq!(data, expected);
        assert!(data.is_ok());
    }

    #[test]
    fn the_same_limits_as_the_index_apply() {
        let mut bomb = String::from("x0: &x0 [a, a, a, a, a, a, a, a, a]\n");
        for n in 1..9 {
            let items = vec![format!("*x{}", n - 1); 9].join(", ");
            bomb.push_str(&format!("x{n}: &x{n} [{items}]\n"));
        }
        assert!(
            matches!(load(&bomb), Err(ParseError::ExcessiveAliasing { location, .. }) if location.line == 4),
            "{:?}",
            load(&bomb).err()
        );
        let deep = format!("a:\n{}x\n", "- ".repeat(50_000));
        assert!(
            matches!(
                load(&deep),
                Err(ParseError::TooDeep {
                    limit: MAX_DEPTH,
                    ..
                })
            ),
            "{:?}",
            load(&deep).err()
        );
        assert!(matches!(
            load("a: &a [1, *a]\n"),
            Err(ParseError::Syntax { .. })
        ));
    }
}
