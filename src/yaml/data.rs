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

/// Where the next node of the text must match in the expected data.
enum Expected<'e> {
    Items(std::slice::Iter<'e, Value>),
    Entries {
        rest: std::slice::Iter<'e, (Value, Value)>,
        /// The value of the entry whose key was just matched.
        value: Option<&'e Value>,
    },
}

/// Compares a text's events with expected data as they come, building nothing.
struct Matcher<'e> {
    open: Vec<Expected<'e>>,
    root: Option<&'e Value>,
    documents: usize,
    stream: bool,
    /// The text differs, or has something only the full load judges (an alias, a second
    /// document, nesting past the limit).
    failed: bool,
}

impl<'e> Matcher<'e> {
    /// The expected value the next node of the text stands at.
    fn next_expected(&mut self) -> Option<&'e Value> {
        match self.open.last_mut() {
            None => self.root.take(),
            Some(Expected::Items(items)) => items.next(),
            Some(Expected::Entries { rest, value }) => match value.take() {
                Some(v) => Some(v),
                None => rest.next().map(|(k, v)| {
                    *value = Some(v);
                    k
                }),
            },
        }
    }

    fn close(&mut self) {
        let finished = match self.open.pop() {
            Some(Expected::Items(mut items)) => items.next().is_none(),
            Some(Expected::Entries { mut rest, value }) => value.is_none() && rest.next().is_none(),
            None => false,
        };
        self.failed |= !finished;
    }
}

impl MarkedEventReceiver for Matcher<'_> {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.failed {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                self.failed |= self.documents > 1 && !self.stream;
            }
            Event::Scalar(v, style, _, tag) => {
                let value = scalar_value(v, style, tag.as_ref());
                self.failed |= self.next_expected() != Some(&value);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.open.len() >= MAX_DEPTH => {
                self.failed = true;
            }
            Event::SequenceStart(..) => match self.next_expected() {
                Some(Value::Sequence(items)) => self.open.push(Expected::Items(items.iter())),
                _ => self.failed = true,
            },
            Event::MappingStart(..) => match self.next_expected() {
                Some(Value::Mapping(entries)) => self.open.push(Expected::Entries {
                    rest: entries.iter(),
                    value: None,
                }),
                _ => self.failed = true,
            },
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Alias(_) => self.failed = true,
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// Whether `src` certainly has the data `expected` ([`load`], or [`load_stream`] with `stream`),
/// found by comparing the parser's events with `expected` as they come instead of building the
/// text's data. `false` says only that the full load must judge: the text differs, does not
/// parse, or has an alias, a second document or nesting past the limit.
pub(crate) fn matches(src: &str, stream: bool, expected: &Value) -> bool {
    let mut m = Matcher {
        open: Vec::new(),
        root: Some(expected),
        documents: 0,
        stream,
        failed: false,
    };
    if stream {
        // The documents are the items of one sequence.
        match expected {
            Value::Sequence(documents) => m.open.push(Expected::Items(documents.iter())),
            _ => return false,
        }
        m.root = None;
    }
    if limits::drive(src, &mut m, |m| m.failed).is_err() || m.failed {
        return false;
    }
    if stream {
        m.close();
        return !m.failed && m.open.is_empty();
    }
    // No document at all reads as null.
    m.open.is_empty() && (m.root.is_none() || (m.documents == 0 && *expected == Value::Null))
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

    /// The first scalar met depth-first, made different; `false` when there is none.
    fn change_a_scalar(v: &mut Value) -> bool {
        match v {
            Value::Sequence(items) => items.iter_mut().any(change_a_scalar),
            Value::Mapping(entries) => entries.iter_mut().any(|(_, v)| change_a_scalar(v)),
            Value::String(s) => {
                s.push('!');
                true
            }
            other => {
                *other = Value::String("changed".into());
                true
            }
        }
    }

    /// Versions of `data` that differ from it.
    fn mutations(data: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        let mut changed = data.clone();
        if change_a_scalar(&mut changed) {
            out.push(changed);
        }
        match data {
            Value::Mapping(entries) if !entries.is_empty() => {
                let mut fewer = entries.clone();
                fewer.pop();
                out.push(Value::Mapping(fewer));
                let mut more = entries.clone();
                more.push((Value::String("extra".into()), Value::Null));
                out.push(Value::Mapping(more));
                let mut nested = entries.clone();
                nested[0].1 = Value::Sequence(vec![nested[0].1.clone()]);
                out.push(Value::Mapping(nested));
            }
            Value::Sequence(items) => {
                let mut more = items.clone();
                more.push(Value::Null);
                out.push(Value::Sequence(more));
                if let Some(first) = items.first() {
                    let mut wrapped = items.clone();
                    wrapped[0] = Value::Mapping(vec![(first.clone(), Value::Null)]);
                    out.push(Value::Sequence(wrapped));
                }
            }
            _ => out.push(Value::Sequence(vec![data.clone()])),
        }
        out
    }

    /// `matches` says yes only for the text's own data, and says it for every text without
    /// aliases or further documents.
    fn check_matches(text: &str) {
        let Ok(data) = load(text) else {
            assert!(!matches(text, false, &Value::Null), "{text:?}");
            return;
        };
        let said = matches(text, false, &data);
        if !text.contains('*') && !text.contains("---") && !text.contains("...") {
            assert!(said, "own data not matched: {text:?}");
        }
        for other in mutations(&data) {
            assert_ne!(other, data);
            assert!(!matches(text, false, &other), "{text:?} matched {other:?}");
        }
        if let Ok(documents) = load_stream(text) {
            if !text.contains('*') {
                assert!(
                    matches(text, true, &documents),
                    "own documents not matched: {text:?}"
                );
            }
            for other in mutations(&documents) {
                assert!(
                    !matches(text, true, &other),
                    "stream {text:?} matched {other:?}"
                );
            }
        }
    }

    #[test]
    fn matching_as_the_events_come_agrees_with_loading() {
        for text in [
            "",
            "a: 1\n",
            "a: [1, 2.5, ~, true, 'x']\nb: {c: d}\n",
            "- x\n- {y: [z, {w: 1}]}\n",
            "a: &x {b: [1]}\nc: *x\n",
            "a: 1\n---\nb: 2\n",
            "[a, b",
            "k: |\n  text\n  more\n",
            &format!("a:\n{}x\n", "- ".repeat(1_200)),
        ] {
            check_matches(text);
        }
    }

    #[test]
    fn matching_agrees_with_loading_on_every_yaml_file_of_the_repository() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pending = vec![root.join("examples"), root.join("tests")];
        let mut seen = 0;
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    check_matches(text.strip_prefix('\u{feff}').unwrap_or(&text));
                    seen += 1;
                }
            }
        }
        assert!(seen > 100, "only {seen} YAML files found");
    }

    fn flow_text(v: &Value) -> String {
        match v {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.clone(),
            Value::String(s) => super::super::emit::double_quoted(s),
            Value::Sequence(items) => {
                format!(
                    "[{}]",
                    items.iter().map(flow_text).collect::<Vec<_>>().join(", ")
                )
            }
            Value::Mapping(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", flow_text(k), flow_text(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Invalid => "!!int x".into(),
        }
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|i| Value::Int(i.into())),
            "[a-z$ #:'\"\\\\]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Sequence),
                proptest::collection::vec(("[a-z]{1,4}".prop_map(Value::String), inner), 0..5)
                    .prop_map(Value::Mapping),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn matching_agrees_with_loading_on_generated_data(v in any_value()) {
            check_matches(&flow_text(&v));
        }
    }
}
