//! Builds the neutral [`Tree`] and the text spans of every node from yaml-rust2's events.
//!
//! The parser gives each event a start marker; where a scalar, an entry or a collection ends is
//! found here by scanning the text from known positions (a cursor that always sits just after the
//! last node read). Comments are never parsed out: they stay in the text, between spans.

use std::collections::HashMap;

use smol_str::SmolStr;
use yaml_rust2::Yaml;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::fast::{self, Mark};
use super::limits::{self, AliasBudget, MAX_DEPTH};
use super::scan;
use crate::document::chunked::Chunked;
use crate::document::lines::Lines;
use crate::document::{Entry, Location, NodeId, NodeKind, ParseError, Slot, Tree, Value};

/// How a node is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
    /// A null written as nothing (`key:`).
    Empty,
    Alias,
    BlockMap,
    BlockSeq,
    FlowMap,
    FlowSeq,
    /// A single-pair mapping inside a flow sequence (`[a: b]`).
    FlowPair,
    /// The synthetic sequence of the documents of a stream ([`build`] with `stream`): it spans
    /// the whole text and is never edited itself.
    Stream,
}

impl Style {
    pub(crate) fn is_scalar(self) -> bool {
        matches!(
            self,
            Style::Plain
                | Style::Single
                | Style::Double
                | Style::Literal
                | Style::Folded
                | Style::Empty
        )
    }
}

/// Where a node is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// Start of the properties (`&anchor`, `!tag`), or of the content when there are none.
    pub props: usize,
    /// Start of the content (the opening quote, bracket, indicator or first character).
    pub start: usize,
    pub end: usize,
    pub style: Style,
    /// Block collections: their column. Block scalars: their content indentation.
    pub indent: usize,
    /// Whether the node is inside a flow collection.
    pub in_flow: bool,
    /// Collections: index of their entry spans or dashes in [`Index`], numbered in document
    /// order (the order the collections open), so that an index grafted from parts
    /// (`super::graft`) numbers them as a whole parse does.
    pub extra: u32,
}

/// The longest text the index handles: [`Spans`] and the tree keep offsets, lines and columns in
/// 32 bits. Inputs are refused far below this (`runner::input::MAX_INPUT_BYTES`); a text that an
/// edit made longer still is refused by [`build`] rather than indexed wrongly.
pub(crate) const MAX_TEXT: usize = i32::MAX as usize;

/// A [`Span`] as [`Spans`] keeps it: 24 bytes rather than 40 (every offset is below
/// [`MAX_TEXT`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PackedSpan {
    props: u32,
    start: u32,
    end: u32,
    indent: u32,
    extra: u32,
    style: Style,
    in_flow: bool,
}

// What a node and its span take: a large file has hundreds of thousands of each, and a run holds
// two or three indexes at once.
const _: () = assert!(std::mem::size_of::<PackedSpan>() <= 24);
const _: () = assert!(std::mem::size_of::<crate::document::Node>() <= 56);

impl From<Span> for PackedSpan {
    fn from(s: Span) -> PackedSpan {
        PackedSpan {
            props: s.props as u32,
            start: s.start as u32,
            end: s.end as u32,
            indent: s.indent as u32,
            extra: s.extra,
            style: s.style,
            in_flow: s.in_flow,
        }
    }
}

impl From<PackedSpan> for Span {
    fn from(s: PackedSpan) -> Span {
        Span {
            props: s.props as usize,
            start: s.start as usize,
            end: s.end as usize,
            indent: s.indent as usize,
            extra: s.extra,
            style: s.style,
            in_flow: s.in_flow,
        }
    }
}

/// The span of every node, by node id, stored compactly: a large file has hundreds of thousands
/// of nodes, and a run holds two or three indexes at once. In chunks, as the tree's nodes, so that
/// a graft frees the old spans as it reads them ([`Spans::release_before`]).
#[derive(Clone, Default, PartialEq)]
pub(crate) struct Spans(Chunked<PackedSpan>);

impl Spans {
    pub(crate) fn with_capacity(n: usize) -> Spans {
        Spans(Chunked::with_capacity(n))
    }

    pub(crate) fn get(&self, id: usize) -> Option<Span> {
        self.0.get(id).map(|s| Span::from(*s))
    }

    /// The span of node `id`, which must exist (as indexing a vector).
    pub(crate) fn at(&self, id: usize) -> Span {
        self.0[id].into()
    }

    pub(crate) fn push(&mut self, span: Span) {
        self.0.push(span.into());
    }

    /// Sets where node `id` ends; `None` if there is no such node.
    pub(crate) fn set_end(&mut self, id: usize, end: usize) -> Option<()> {
        self.0.get_mut(id)?.end = end as u32;
        Some(())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = Span> + '_ {
        self.0.iter().map(|s| Span::from(*s))
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    /// Frees the spans of the nodes before `id` (see [`Chunked::release_before`]).
    pub(crate) fn release_before(&mut self, id: usize) {
        self.0.release_before(id);
    }
}

impl std::fmt::Debug for Spans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Where an entry is written, beyond its key and value spans (offsets in 32 bits, as in
/// [`Spans`]: 16 bytes rather than 32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntrySpan {
    /// Start of the key's properties, or of the `?` of an explicit key.
    start: u32,
    /// The `:` between key and value.
    colon: Option<u32>,
    /// `? key` form, or a key that is not a scalar.
    pub complex: bool,
}

/// The text index of a YAML document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Index {
    pub spans: Spans,
    /// Entry spans of the mappings (see [`Index::entry_spans`]).
    pub entries: Vec<Vec<EntrySpan>>,
    /// Dash positions of the block sequences (see [`Index::dashes`]).
    pub dashes: Vec<Vec<usize>>,
    /// The indentation step the file uses (2 unless nested block mappings say otherwise).
    pub indent_unit: usize,
    /// A place the scanner could not follow: edits are refused rather than guessed.
    pub unsupported: Option<(usize, &'static str)>,
    /// Whether the text has an alias anywhere.
    pub aliases: bool,
}

/// What [`build_counted`] saw beyond the index.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen {
    /// Whether any node has properties (an anchor or a tag) or is an alias.
    pub props: bool,
    /// The deepest nesting of collections.
    pub depth: usize,
}

impl EntrySpan {
    pub(crate) fn new(start: usize, colon: Option<usize>, complex: bool) -> EntrySpan {
        EntrySpan {
            start: start as u32,
            colon: colon.map(|c| c as u32),
            complex,
        }
    }

    /// Start of the key's properties, or of the `?` of an explicit key.
    pub(crate) fn start(&self) -> usize {
        self.start as usize
    }

    /// The `:` between key and value.
    pub(crate) fn colon(&self) -> Option<usize> {
        self.colon.map(|c| c as usize)
    }

    pub(crate) fn set_start(&mut self, start: usize) {
        self.start = start as u32;
    }

    pub(crate) fn set_colon(&mut self, colon: Option<usize>) {
        self.colon = colon.map(|c| c as u32);
    }
}

impl Index {
    /// Where the entries of a mapping are written (empty for other nodes).
    pub(crate) fn entry_spans(&self, map: NodeId) -> &[EntrySpan] {
        match self.spans.get(map.index()) {
            Some(s) if matches!(s.style, Style::BlockMap | Style::FlowMap | Style::FlowPair) => {
                self.entries
                    .get(s.extra as usize)
                    .map_or(&[], Vec::as_slice)
            }
            _ => &[],
        }
    }

    /// The `-` of each item of a block sequence (empty for other nodes).
    pub(crate) fn dashes(&self, seq: NodeId) -> &[usize] {
        match self.spans.get(seq.index()) {
            Some(s) if s.style == Style::BlockSeq => {
                self.dashes.get(s.extra as usize).map_or(&[], Vec::as_slice)
            }
            _ => &[],
        }
    }
}

struct Frame {
    id: NodeId,
    map: bool,
    flow: bool,
    /// Block: the collection's column; flow: the enclosing block indentation.
    indent: i64,
    children: Buffers,
    pending_key: Option<(NodeId, EntrySpan)>,
    /// The anchor of the collection (0 for none).
    anchor: usize,
    /// How many nodes the collection holds with aliases expanded (itself included).
    size: u64,
}

struct Builder<'a> {
    src: &'a str,
    lines: &'a Lines,
    tree: Tree,
    spans: Spans,
    entries: Vec<Vec<EntrySpan>>,
    dashes: Vec<Vec<usize>>,
    stack: Vec<Frame>,
    cursor: usize,
    anchors: HashMap<usize, NodeId>,
    /// How many nodes each anchored node holds with aliases expanded; an anchored collection
    /// still open has none yet.
    anchor_sizes: HashMap<usize, u64>,
    budget: AliasBudget,
    documents: usize,
    second_document: Option<Location>,
    unsupported: Option<(usize, &'static str)>,
    error: Option<ParseError>,
    indent_unit: Option<usize>,
    /// Stream mode: the synthetic root holding one item per document, and its items so far.
    stream: Option<(NodeId, Vec<NodeId>)>,
    /// Stream mode: the document (1-based) each anchor id was defined in.
    anchor_documents: HashMap<usize, usize>,
    seen: Seen,
    aliases: bool,
    /// The buffers of collections that ended, to open the next ones with: a collection's
    /// children are gathered there and copied out once, at their exact count, instead of
    /// growing a new vector for every collection.
    spare: Vec<Buffers>,
}

/// The children a collection gathers while it is open.
#[derive(Default)]
struct Buffers {
    items: Vec<NodeId>,
    dashes: Vec<usize>,
    entries: Vec<Entry>,
    entry_spans: Vec<EntrySpan>,
}

/// Positions found while locating the start of a node.
struct Begin {
    props: usize,
    /// After the indicator (`-`, `:`) and the properties: where an empty node sits.
    empty_at: usize,
    /// First content character.
    content: usize,
    dash: Option<usize>,
    colon: Option<usize>,
    explicit: bool,
}

/// Indexes `src`. Without `stream`, a text of more than one document is refused (Pomerium reads
/// only the first); with it, the root is a synthetic sequence ([`Style::Stream`]) with one item
/// per document, and the limits on depth and aliases hold for the whole stream.
pub(crate) fn build(src: &str, lines: &Lines, stream: bool) -> Result<(Tree, Index), ParseError> {
    build_counted(src, lines, stream).map(|(tree, index, _)| (tree, index))
}

/// [`build`], and what it saw beyond the index.
pub(crate) fn build_counted(
    src: &str,
    lines: &Lines,
    stream: bool,
) -> Result<(Tree, Index, Seen), ParseError> {
    if src.len() > MAX_TEXT {
        return Err(ParseError::TooLarge {
            location: Location { line: 1, column: 1 },
            limit: MAX_TEXT,
        });
    }
    // The fast reader follows the usual subset of YAML; on anything else it gives up, and the
    // text is read again by yaml-rust2 into a fresh builder, so what it sent is forgotten.
    let mut b = Builder::new(src, lines, stream);
    if fast::drive(src, &mut b).is_err() {
        b = Builder::new(src, lines, stream);
        if let Err(e) = limits::drive(src, &mut b, |b| b.error.is_some()) {
            return Err(ParseError::Syntax {
                location: location_of_marker(&Mark::from(e.marker())),
                message: e.info().to_owned(),
            });
        }
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
    if let Some((root, documents)) = b.stream.take() {
        b.tree.node_mut(root).kind = NodeKind::Sequence(documents);
    }
    // The tables grew by doubling; the document keeps them for the whole run (the input's for
    // findings and validation), so they are cut to their length once.
    b.tree.nodes.shrink_to_fit();
    b.spans.shrink_to_fit();
    b.entries.shrink_to_fit();
    b.dashes.shrink_to_fit();
    let index = Index {
        spans: b.spans,
        entries: b.entries,
        dashes: b.dashes,
        indent_unit: b.indent_unit.unwrap_or(2),
        unsupported: b.unsupported,
        aliases: b.aliases,
    };
    Ok((b.tree, index, b.seen))
}

impl<'a> Builder<'a> {
    fn new(src: &'a str, lines: &'a Lines, stream: bool) -> Builder<'a> {
        let mut b = Builder {
            src,
            lines,
            tree: Tree::default(),
            spans: Spans::default(),
            entries: Vec::new(),
            dashes: Vec::new(),
            stack: Vec::new(),
            cursor: 0,
            anchors: HashMap::new(),
            anchor_sizes: HashMap::new(),
            budget: AliasBudget::default(),
            documents: 0,
            second_document: None,
            unsupported: None,
            error: None,
            indent_unit: None,
            stream: None,
            anchor_documents: HashMap::new(),
            seen: Seen::default(),
            aliases: false,
            spare: Vec::new(),
        };
        if stream {
            let span = Span {
                props: 0,
                start: 0,
                end: src.len(),
                style: Style::Stream,
                indent: 0,
                in_flow: false,
                extra: 0,
            };
            let start = Location { line: 1, column: 1 };
            let root = b.push_located(NodeKind::Sequence(Vec::new()), span, start);
            b.tree.root = Some(root);
            b.stream = Some((root, Vec::new()));
        }
        b
    }
}

fn location_of_marker(m: &Mark) -> Location {
    Location {
        line: m.line,
        column: m.col + 1,
    }
}

/// The typed value of a scalar, exactly as yaml-rust2's loader types it.
pub(crate) fn scalar_value(v: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(v);
    }
    let v = v.as_str();
    match tag {
        Some(tag) if tag.handle == "tag:yaml.org,2002:" => match tag.suffix.as_str() {
            "bool" => match v {
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                _ => Value::Invalid,
            },
            "int" => v.parse().map_or(Value::Invalid, Value::Int),
            "float" => match yaml_to_value(&Yaml::from_str(v)) {
                Value::Float(_) | Value::Int(_) => Value::Float(v.to_owned()),
                _ => Value::Invalid,
            },
            "null" => match v {
                "~" | "null" => Value::Null,
                _ => Value::Invalid,
            },
            _ => Value::String(v.to_owned()),
        },
        Some(_) => Value::String(v.to_owned()),
        None => plain_value(v),
    }
}

/// A plain scalar's value, typed as yaml-rust2's `Yaml::from_str` does. Most values are words
/// without digits; they are strings unless they are one of a few reserved spellings.
fn plain_value(v: &str) -> Value {
    let reserved = matches!(
        v,
        "" | "~"
            | "null"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | ".nan"
            | ".NaN"
            | ".NAN"
    );
    // Numbers start with a digit, a sign or a dot, and contain a digit.
    let numeric_start = v
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'));
    let maybe_number = numeric_start && v.bytes().any(|b| b.is_ascii_digit());
    if !reserved && !maybe_number {
        return Value::String(v.to_owned());
    }
    yaml_to_value(&Yaml::from_str(v))
}

/// Converts yaml-rust2's data model to ours.
pub fn yaml_to_value(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => Value::Float(s.clone()),
        Yaml::Integer(i) => Value::Int(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Sequence(items.iter().map(yaml_to_value).collect()),
        Yaml::Hash(h) => Value::Mapping(
            h.iter()
                .map(|(k, v)| (yaml_to_value(k), yaml_to_value(v)))
                .collect(),
        ),
        Yaml::Null => Value::Null,
        Yaml::Alias(_) | Yaml::BadValue => Value::Invalid,
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        fast::Sink::event(self, ev, Mark::from(&mark));
    }
}

impl fast::Sink for Builder<'_> {
    fn done(&self) -> bool {
        self.error.is_some()
    }

    fn event(&mut self, ev: Event, mark: Mark) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 && self.stream.is_none() {
                    self.second_document = Some(location_of_marker(&mark));
                }
            }
            _ if self.documents > 1 && self.stream.is_none() => {}
            Event::Scalar(value, style, anchor, tag) => {
                self.scalar(value, style, anchor, tag.as_ref(), &mark)
            }
            Event::Alias(anchor) => self.alias(anchor, &mark),
            Event::SequenceStart(anchor, tag) => {
                self.collection(false, anchor, tag.is_some(), &mark)
            }
            Event::MappingStart(anchor, tag) => self.collection(true, anchor, tag.is_some(), &mark),
            Event::SequenceEnd | Event::MappingEnd => self.end_collection(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

impl Builder<'_> {
    fn byte(&self, pos: usize) -> Option<u8> {
        self.src.as_bytes().get(pos).copied()
    }

    fn unsupported(&mut self, pos: usize, what: &'static str) {
        if self.unsupported.is_none() {
            self.unsupported = Some((pos, what));
        }
    }

    fn marker_offset(&self, m: &Mark) -> usize {
        let Some(start) = self.lines.start(m.line.saturating_sub(1)) else {
            return self.src.len();
        };
        // The character `col` places after the line's start; the count may run past the line.
        let index = self.lines.chars_before(self.src, start) + m.col;
        self.lines.char_offset(self.src, index)
    }

    fn column(&self, pos: usize) -> usize {
        // The line table finds the start without walking back along a long line; right after
        // a `\r` (of a `\r\n`), the line starts here, as `scan::line_start` says.
        let start = match pos.checked_sub(1).and_then(|p| self.byte(p)) {
            Some(b'\n' | b'\r') => pos,
            _ => self
                .lines
                .start(self.lines.line_of(pos))
                .map_or(0, |s| s.min(pos)),
        };
        self.lines.chars_before(self.src, pos) - self.lines.chars_before(self.src, start)
    }

    /// Finds where the next node starts: past the indicator its parent needs (`-`, `?`, `:`,
    /// `,`), trivia, and its properties.
    fn begin(&mut self, props_count: usize) -> Begin {
        let src = self.src;
        // `last` is the end of the last token this node's start consumed: an empty node sits
        // there, not after the trivia that follows.
        let mut last = self.cursor;
        let (mut dash, mut colon, mut explicit) = (None, None, false);
        let t = scan::skip_trivia(src, last);
        match self.stack.last() {
            None => {
                let mut p = t;
                loop {
                    if self.byte(p) == Some(b'%') && scan::first_on_line(src, p) {
                        p = scan::line_content_end(src, p);
                    } else if src[p..].starts_with("...") && scan::is_document_marker(src, p) {
                        // The end of the previous document of a stream.
                        p += 3;
                    } else if src[p..].starts_with("---") && scan::is_document_marker(src, p) {
                        p += 3;
                        last = p;
                    } else {
                        break;
                    }
                    p = scan::skip_trivia(src, p);
                }
            }
            Some(f) if !f.map => {
                if f.flow {
                    if self.byte(t) == Some(b',') {
                        last = t + 1;
                    }
                } else if self.byte(t) == Some(b'-') {
                    dash = Some(t);
                    last = t + 1;
                } else {
                    self.unsupported(t, "a sequence item without its `-`");
                }
            }
            Some(f) => {
                let flow = f.flow;
                if f.pending_key.is_none() {
                    let mut p = t;
                    if flow && self.byte(p) == Some(b',') {
                        last = p + 1;
                        p = scan::skip_trivia(src, p + 1);
                    }
                    if self.byte(p) == Some(b'?') && self.byte(p + 1).is_none_or(scan::is_ws) {
                        explicit = true;
                        last = p + 1;
                    }
                } else if self.byte(t) == Some(b':') {
                    colon = Some(t);
                    last = t + 1;
                }
            }
        }
        let mut q = scan::skip_trivia(src, last);
        let props = q;
        let flow = self.stack.last().is_some_and(|f| f.flow);
        for _ in 0..props_count {
            if !matches!(self.byte(q), Some(b'&' | b'!')) {
                self.unsupported(q, "node properties the scanner could not follow");
                break;
            }
            last = scan::token_end(src, q, flow);
            q = scan::skip_trivia(src, last);
        }
        Begin {
            props,
            empty_at: last,
            content: q,
            dash,
            colon,
            explicit,
        }
    }

    fn push_node(&mut self, kind: NodeKind, span: Span) -> NodeId {
        let location = self.lines.location(self.src, span.start);
        self.push_located(kind, span, location)
    }

    fn push_located(&mut self, kind: NodeKind, span: Span, location: Location) -> NodeId {
        let id = self.tree.push(kind, location);
        self.spans.push(span);
        id
    }

    /// Records a new node in its parent (as an item, a key, or a value).
    fn attach(&mut self, id: NodeId, begin: &Begin) {
        let Some(frame) = self.stack.last_mut() else {
            match &mut self.stream {
                Some((root, documents)) => {
                    self.tree.node_mut(id).parent =
                        Some((*root, Slot::Item(documents.len() as u32)));
                    documents.push(id);
                }
                None => self.tree.root = Some(id),
            }
            return;
        };
        let parent = frame.id;
        if !frame.map {
            self.tree.node_mut(id).parent =
                Some((parent, Slot::Item(frame.children.items.len() as u32)));
            frame.children.items.push(id);
            if let Some(d) = begin.dash {
                frame.children.dashes.push(d);
            }
            return;
        }
        match frame.pending_key.take() {
            None => {
                let start = if begin.explicit {
                    // The `?` is just before `props` (after trivia); find it again.
                    self.src[..begin.props].rfind('?').unwrap_or(begin.props)
                } else {
                    begin.props
                };
                let span = EntrySpan::new(start, None, begin.explicit);
                self.tree.node_mut(id).parent =
                    Some((parent, Slot::Key(frame.children.entries.len() as u32)));
                frame.pending_key = Some((id, span));
            }
            Some((key_node, mut span)) => {
                span.set_colon(begin.colon);
                let key = match &self.tree.node(key_node).kind {
                    // Copied from the key's value without a `String` in between.
                    NodeKind::Scalar(Value::String(s)) => SmolStr::new(s),
                    NodeKind::Scalar(v) => v.scalar_text().map(SmolStr::from).unwrap_or_default(),
                    _ => {
                        span.complex = true;
                        SmolStr::default()
                    }
                };
                self.tree.node_mut(id).parent =
                    Some((parent, Slot::Value(frame.children.entries.len() as u32)));
                frame.children.entries.push(Entry {
                    key,
                    key_node,
                    value: id,
                });
                frame.children.entry_spans.push(span);
            }
        }
    }

    fn parent_indent(&self) -> i64 {
        self.stack.last().map_or(-1, |f| f.indent)
    }

    fn in_flow(&self) -> bool {
        self.stack.last().is_some_and(|f| f.flow)
    }

    fn anchor(&mut self, anchor: usize, id: NodeId) {
        if anchor > 0 {
            self.anchors.insert(anchor, id);
            if self.stream.is_some() {
                self.anchor_documents.insert(anchor, self.documents);
            }
            // Known when the node ends (a collection's anchor is named before its content).
            self.anchor_sizes.remove(&anchor);
        }
    }

    /// Counts a finished node of `size` expanded nodes into its parent and its anchor.
    fn sized(&mut self, anchor: usize, size: u64) {
        if anchor > 0 {
            self.anchor_sizes.insert(anchor, size);
        }
        if let Some(frame) = self.stack.last_mut() {
            frame.size = frame.size.saturating_add(size);
        }
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        mark: &Mark,
    ) {
        self.seen.props |= anchor > 0 || tag.is_some();
        let begin = self.begin(usize::from(anchor > 0) + usize::from(tag.is_some()));
        let src = self.src;
        let marker = self.marker_offset(mark);
        let scalar_style = style;
        let (style, start, end, indent) = match style {
            TScalarStyle::Plain => {
                let empty =
                    value.is_empty() || (value == "~" && self.byte(begin.content) != Some(b'~'));
                if empty {
                    (Style::Empty, begin.empty_at, begin.empty_at, 0)
                } else {
                    let end = scan::plain_end(src, marker, &value).unwrap_or_else(|| {
                        self.unsupported(marker, "a plain scalar the scanner could not follow");
                        marker
                    });
                    (Style::Plain, marker, end, 0)
                }
            }
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                let single = style == TScalarStyle::SingleQuoted;
                let end = if single {
                    scan::single_quoted_end(src, marker)
                } else {
                    scan::double_quoted_end(src, marker)
                };
                let end = end.unwrap_or_else(|| {
                    self.unsupported(marker, "a quoted scalar the scanner could not follow");
                    marker
                });
                let s = if single { Style::Single } else { Style::Double };
                (s, marker, end, 0)
            }
            TScalarStyle::Literal | TScalarStyle::Folded => {
                let start = begin.content;
                if !matches!(self.byte(start), Some(b'|' | b'>')) {
                    self.unsupported(start, "a block scalar the scanner could not follow");
                }
                let (end, indent) = scan::block_scalar_end(src, start, self.parent_indent());
                let s = if style == TScalarStyle::Literal {
                    Style::Literal
                } else {
                    Style::Folded
                };
                (s, start, end, indent)
            }
        };
        let typed = scalar_value(value, scalar_style, tag);
        let props = begin.props.min(start);
        let span = Span {
            props,
            start,
            end,
            style,
            indent,
            in_flow: self.in_flow(),
            extra: 0,
        };
        // The parser's marker already is the scalar's line and character column.
        let location = if style == Style::Empty || style == Style::Literal || style == Style::Folded
        {
            self.lines.location(self.src, start)
        } else {
            location_of_marker(mark)
        };
        let id = self.push_located(NodeKind::Scalar(typed), span, location);
        self.anchor(anchor, id);
        self.attach(id, &begin);
        self.cursor = end;
        self.budget.written();
        self.sized(anchor, 1);
    }

    fn alias(&mut self, anchor: usize, mark: &Mark) {
        self.seen.props = true;
        self.aliases = true;
        let begin = self.begin(0);
        let start = self.marker_offset(mark);
        let end = scan::token_end(self.src, start, self.in_flow());
        let location = self.lines.location(self.src, start);
        let Some(target) = self.anchors.get(&anchor).copied() else {
            self.error = Some(ParseError::Syntax {
                location,
                message: "alias to an unknown anchor".into(),
            });
            return;
        };
        if self.stream.is_some()
            && self
                .anchor_documents
                .get(&anchor)
                .is_some_and(|d| *d != self.documents)
        {
            self.error = Some(ParseError::Syntax {
                location,
                message: "alias to an anchor of another document (each document of a stream \
                          has its own anchors)"
                    .into(),
            });
            return;
        }
        let Some(size) = self.anchor_sizes.get(&anchor).copied() else {
            self.error = Some(ParseError::Syntax {
                location,
                message: "alias to a collection that contains it (the data would never end)".into(),
            });
            return;
        };
        if let Err(e) = self.budget.alias(size) {
            self.error = Some(ParseError::ExcessiveAliasing {
                location,
                expanded: e.expanded,
                written: e.written,
            });
            return;
        }
        let span = Span {
            props: start,
            start,
            end,
            style: Style::Alias,
            indent: 0,
            in_flow: self.in_flow(),
            extra: 0,
        };
        let id = self.push_located(NodeKind::Alias(target), span, location);
        self.tree.add_alias(target, id);
        self.attach(id, &begin);
        self.cursor = end;
        self.sized(0, size.saturating_add(1));
    }

    fn collection(&mut self, map: bool, anchor: usize, tagged: bool, mark: &Mark) {
        self.seen.props |= anchor > 0 || tagged;
        let begin = self.begin(usize::from(anchor > 0) + usize::from(tagged));
        let start = begin.content;
        if self.stack.len() >= MAX_DEPTH {
            self.error = Some(ParseError::TooDeep {
                location: self.lines.location(self.src, start),
                limit: MAX_DEPTH,
            });
            return;
        }
        self.budget.written();
        let in_flow = self.in_flow();
        let opener = if map { b'{' } else { b'[' };
        // A bracket here opens either this collection or the first key of a block mapping
        // (`{a: 1}: x`); the parser marks a flow collection at its bracket.
        let flow_start =
            self.byte(start) == Some(opener) && (in_flow || self.marker_offset(mark) == start);
        let (style, flow) = if flow_start {
            (if map { Style::FlowMap } else { Style::FlowSeq }, true)
        } else if in_flow && map {
            (Style::FlowPair, true)
        } else if map {
            (Style::BlockMap, false)
        } else {
            (Style::BlockSeq, false)
        };
        let column = self.column(start);
        let indent = if flow {
            self.parent_indent()
        } else {
            column as i64
        };
        if style == Style::BlockMap
            && let Some(parent) = self.stack.last()
            && parent.map
            && !parent.flow
            && self.indent_unit.is_none()
            && (column as i64) > parent.indent
        {
            self.indent_unit = Some((column as i64 - parent.indent) as usize);
        }
        // Entry spans and dashes are numbered in the order collections open.
        let extra = if map {
            self.entries.push(Vec::new());
            self.entries.len() - 1
        } else if !flow {
            self.dashes.push(Vec::new());
            self.dashes.len() - 1
        } else {
            0
        };
        let span = Span {
            props: begin.props.min(start),
            start,
            end: start,
            style,
            indent: column,
            in_flow,
            extra: extra as u32,
        };
        let kind = if map {
            NodeKind::Mapping(Vec::new())
        } else {
            NodeKind::Sequence(Vec::new())
        };
        let id = self.push_node(kind, span);
        self.anchor(anchor, id);
        self.attach(id, &begin);
        self.cursor = if style == Style::FlowMap || style == Style::FlowSeq {
            start + 1
        } else {
            start
        };
        self.stack.push(Frame {
            id,
            map,
            flow,
            indent,
            children: self.spare.pop().unwrap_or_default(),
            pending_key: None,
            anchor,
            size: 1,
        });
        self.seen.depth = self.seen.depth.max(self.stack.len());
    }

    fn end_collection(&mut self) {
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        let style = self.spans.at(frame.id.index()).style;
        let end = match style {
            Style::FlowMap | Style::FlowSeq => {
                let mut p = scan::skip_trivia(self.src, self.cursor);
                if self.byte(p) == Some(b',') {
                    p = scan::skip_trivia(self.src, p + 1);
                }
                let closer = if frame.map { b'}' } else { b']' };
                if self.byte(p) == Some(closer) {
                    p + 1
                } else {
                    self.unsupported(p, "a flow collection whose end the scanner could not find");
                    self.cursor
                }
            }
            _ => self.cursor,
        };
        if let Some((key_node, span)) = frame.pending_key.take() {
            // A key without a value (`? a` alone) cannot come from the parser; keep it editable
            // by nothing rather than guess.
            let _ = (key_node, span);
            self.unsupported(end, "a key without a value");
        }
        let extra = self.spans.at(frame.id.index()).extra as usize;
        self.spans.set_end(frame.id.index(), end);
        let children = &mut frame.children;
        let kind = if frame.map {
            if let Some(slot) = self.entries.get_mut(extra) {
                *slot = children.entry_spans.as_slice().into();
            }
            NodeKind::Mapping(children.entries.drain(..).collect())
        } else {
            if !frame.flow
                && let Some(slot) = self.dashes.get_mut(extra)
            {
                *slot = children.dashes.as_slice().into();
            }
            NodeKind::Sequence(children.items.as_slice().into())
        };
        children.items.clear();
        children.dashes.clear();
        children.entry_spans.clear();
        self.spare.push(frame.children);
        self.tree.node_mut(frame.id).kind = kind;
        self.cursor = end;
        self.sized(frame.anchor, frame.size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The compact tables keep every value a text up to [`MAX_TEXT`] bytes can hold.
    #[test]
    fn spans_keep_offsets_up_to_the_largest_text() {
        let span = Span {
            props: MAX_TEXT - 2,
            start: MAX_TEXT - 1,
            end: MAX_TEXT,
            style: Style::FlowPair,
            indent: MAX_TEXT - 3,
            in_flow: true,
            extra: u32::MAX,
        };
        let mut spans = Spans::default();
        spans.push(span);
        assert_eq!(spans.get(0), Some(span));
        assert_eq!(spans.set_end(0, 7), Some(()));
        assert_eq!(spans.at(0), Span { end: 7, ..span });
        assert_eq!(spans.set_end(1, 7), None);
    }
}
