//! Builds the neutral [`Tree`] and a text index from toml_edit's parsed document.
//!
//! toml_edit gives the span of every key token, scalar, array, inline table and table header. The
//! index adds what editing needs: every place an entry's key is written (a table's key appears in
//! each header and dotted key that goes through it) and the pieces of text an entry occupies (its
//! `key = value` lines, or its header sections).

use std::collections::HashMap;
use std::ops::Range;

use toml_edit::{ArrayOfTables, InlineTable, Item, Key, Table, Value as TomlValue};

use super::data::{self, ordered_entries, ordered_inline};
use super::text;
use crate::document::lines::Lines;
use crate::document::{Entry, EntryId, NodeId, NodeKind, Tree, Value};

/// How a string is quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrStyle {
    Basic,
    Literal,
    /// `"""`; whether a line break follows the opening quotes.
    MlBasic(bool),
    MlLiteral(bool),
}

/// How a table is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TableKind {
    Root,
    /// Under a `[header]` or a `[[header]]` (one item of an array of tables).
    Header,
    /// Only through the headers of its sub-tables (`[a.b]` without `[a]`).
    Implicit,
    /// Through dotted keys (`a.b = 1`).
    Dotted,
    /// `{ … }`.
    Inline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Key,
    /// A string (with its quoting) or another scalar (`None`).
    Scalar(Option<StrStyle>),
    Array,
    Table(TableKind),
    /// `[[name]]` items as a whole.
    TableArray,
}

/// How an entry is written in its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// One `key = value` line (the value may span lines).
    Value,
    /// Dotted `key.x = …` lines.
    Dotted,
    /// A table under headers, or an implicit one.
    Section,
    /// `[[key]]` items.
    TableArray,
    /// A `key = value` pair inside `{ … }`.
    Inline,
}

/// Text pieces of a subtree: `key = value` pieces and header sections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pieces {
    /// From the start of a key path to the end of its value.
    pub body: Vec<Range<usize>>,
    /// From a header's `[` to the end of the last value of that header's own lines.
    pub sections: Vec<Range<usize>>,
}

impl Pieces {
    fn extend(&mut self, other: Pieces) {
        self.body.extend(other.body);
        self.sections.extend(other.sections);
    }

    pub(crate) fn all(&self) -> Vec<Range<usize>> {
        let mut all: Vec<Range<usize>> = self.body.iter().chain(&self.sections).cloned().collect();
        all.sort_by_key(|r| r.start);
        all
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NodeInfo {
    /// Scalars, arrays and inline tables: the value. Header tables: the header and their own
    /// lines. Other tables: from their first to their last piece.
    pub span: Range<usize>,
    pub shape: Shape,
    /// Header tables: the `[…]` or `[[…]]`.
    pub header: Option<Range<usize>>,
    /// Tables: the pieces of the whole subtree.
    pub pieces: Pieces,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntryInfo {
    pub kind: EntryKind,
    /// Every key token that names this entry, in text order.
    pub keys: Vec<Range<usize>>,
    /// The text the entry occupies, in text order.
    pub pieces: Vec<Range<usize>>,
}

/// How to write the way to a table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TablePath {
    /// Key tokens from the root, as written (for a new `[path.key]` header).
    pub absolute: Option<Vec<String>>,
    /// Dotted tables: key tokens from the enclosing header table, as written.
    pub relative: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub nodes: Vec<NodeInfo>,
    pub entries: HashMap<NodeId, Vec<EntryInfo>>,
    pub paths: HashMap<NodeId, TablePath>,
    /// A place the index could not follow: edits are refused rather than guessed.
    pub unsupported: Option<(usize, &'static str)>,
}

impl Index {
    pub(crate) fn node(&self, id: NodeId) -> &NodeInfo {
        &self.nodes[id.index()]
    }

    pub(crate) fn entry(&self, id: EntryId) -> Option<&EntryInfo> {
        self.entries.get(&id.map)?.get(id.index)
    }
}

struct Builder<'a> {
    src: &'a str,
    lines: &'a Lines,
    tree: Tree,
    nodes: Vec<NodeInfo>,
    entries: HashMap<NodeId, Vec<EntryInfo>>,
    keys: HashMap<EntryId, Vec<Range<usize>>>,
    paths: HashMap<NodeId, TablePath>,
    /// The entries leading from the root to the table being read.
    stack: Vec<EntryId>,
    /// The tables along the way: `tables[i]` holds the entry `stack[i]`.
    tables: Vec<NodeId>,
    unsupported: Option<(usize, &'static str)>,
}

pub(crate) fn build(src: &str, lines: &Lines, root: &Table) -> (Tree, Index) {
    let mut b = Builder {
        src,
        lines,
        tree: Tree::default(),
        nodes: Vec::new(),
        entries: HashMap::new(),
        keys: HashMap::new(),
        paths: HashMap::new(),
        stack: Vec::new(),
        tables: Vec::new(),
        unsupported: None,
    };
    let (root_id, _) = b.table(root, TableKind::Root, 0);
    b.nodes[root_id.index()].span = 0..src.len();
    b.tree.root = Some(root_id);
    b.tree.link();
    for (id, mut ranges) in std::mem::take(&mut b.keys) {
        ranges.sort_by_key(|r| r.start);
        ranges.dedup();
        if let Some(info) = b.entries.get_mut(&id.map).and_then(|e| e.get_mut(id.index)) {
            info.keys = ranges;
        }
    }
    let index = Index {
        nodes: b.nodes,
        entries: b.entries,
        paths: b.paths,
        unsupported: b.unsupported,
    };
    (b.tree, index)
}

fn str_style(raw: &str) -> StrStyle {
    let after_break = |rest: &str| rest.starts_with('\n') || rest.starts_with("\r\n");
    if let Some(rest) = raw.strip_prefix("\"\"\"") {
        StrStyle::MlBasic(after_break(rest))
    } else if let Some(rest) = raw.strip_prefix("'''") {
        StrStyle::MlLiteral(after_break(rest))
    } else if raw.starts_with('\'') {
        StrStyle::Literal
    } else {
        StrStyle::Basic
    }
}

impl Builder<'_> {
    fn unsupported(&mut self, pos: usize, what: &'static str) {
        if self.unsupported.is_none() {
            self.unsupported = Some((pos, what));
        }
    }

    fn push(&mut self, kind: NodeKind, span: Range<usize>, shape: Shape) -> NodeId {
        let location = self.lines.location(self.src, span.start);
        let id = self.tree.push(kind, location);
        self.nodes.push(NodeInfo {
            span,
            shape,
            header: None,
            pieces: Pieces::default(),
        });
        id
    }

    fn add_key(&mut self, entry: EntryId, range: Range<usize>) {
        self.keys.entry(entry).or_default().push(range);
    }

    fn token_texts(&self, tokens: &[Range<usize>]) -> Vec<String> {
        tokens
            .iter()
            .map(|r| self.src[r.clone()].to_owned())
            .collect()
    }

    /// Reads a `[a.b]` or `[[a.b]]` header: each key names one entry of the path to this table.
    fn header(&mut self, span: &Range<usize>) {
        let src = self.src;
        let open = if src[span.start..].starts_with("[[") {
            2
        } else {
            1
        };
        let at = span.start + open;
        let at = at + text::blank_run(src, at);
        match text::scan_key_path(src, at) {
            Some((tokens, _)) if tokens.len() == self.stack.len() => {
                for (i, token) in tokens.iter().enumerate() {
                    self.add_key(self.stack[i], token.clone());
                }
                for depth in 1..=tokens.len() {
                    if let Some(table) = self.tables.get(depth).copied() {
                        let path = self.paths.entry(table).or_default();
                        if path.absolute.is_none() {
                            path.absolute = Some(
                                tokens[..depth]
                                    .iter()
                                    .map(|r| src[r.clone()].to_owned())
                                    .collect(),
                            );
                        }
                    }
                }
            }
            _ => self.unsupported(span.start, "a table header the editor could not read"),
        }
    }

    /// Reads a table and its entries; returns the node and the text pieces of the subtree.
    /// `section_depth` is the depth of the header table (or root) whose lines hold a dotted table.
    fn table(&mut self, t: &Table, kind: TableKind, section_depth: usize) -> (NodeId, Pieces) {
        let (id, span, section_depth) = self.open_table(t, kind, section_depth);
        let mut entries = Vec::new();
        let mut infos = Vec::new();
        let mut pieces = Pieces::default();
        for (index, (key, item)) in ordered_entries(t).into_iter().enumerate() {
            let entry_id = EntryId { map: id, index };
            let Some((entry, info, sub)) = self.table_entry(entry_id, key, item, section_depth)
            else {
                continue;
            };
            infos.push(info);
            pieces.extend(sub);
            entries.push(entry);
        }
        self.tables.pop();
        self.tree.node_mut(id).kind = NodeKind::Mapping(entries);
        self.entries.insert(id, infos);
        let pieces = self.close_table(id, kind, &span, pieces);
        (id, pieces)
    }

    /// Adds the table's node and what its kind needs before its entries are read (the header,
    /// the path); returns the node, its span and the section depth for its entries.
    fn open_table(
        &mut self,
        t: &Table,
        kind: TableKind,
        section_depth: usize,
    ) -> (NodeId, Range<usize>, usize) {
        let span = match kind {
            TableKind::Root => 0..0,
            _ => t.span().unwrap_or(0..0),
        };
        let id = self.push(
            NodeKind::Mapping(Vec::new()),
            span.clone(),
            Shape::Table(kind),
        );
        self.tables.push(id);
        let section_depth = match kind {
            TableKind::Root | TableKind::Header => self.stack.len(),
            _ => section_depth,
        };
        if kind == TableKind::Header {
            self.header(&span);
            self.nodes[id.index()].header = Some(span.clone());
        }
        if kind == TableKind::Root {
            self.paths.insert(
                id,
                TablePath {
                    absolute: Some(Vec::new()),
                    relative: None,
                },
            );
        }
        if kind == TableKind::Dotted {
            // The enclosing header's path plus the dotted keys, once the first line is read.
            let section = self.tables.get(section_depth).copied();
            let section_path = section
                .and_then(|s| self.paths.get(&s))
                .and_then(|p| p.absolute.clone());
            self.paths.entry(id).or_default().absolute = section_path;
        }
        (id, span, section_depth)
    }

    /// Reads one entry of a table: its key, its value (a sub-table recursively) and the text
    /// pieces it is written in; `None` for an item toml_edit has emptied.
    fn table_entry(
        &mut self,
        entry_id: EntryId,
        key: &Key,
        item: &Item,
        section_depth: usize,
    ) -> Option<(Entry, EntryInfo, Pieces)> {
        let key_span = key.span().unwrap_or(0..0);
        let key_node = self.push(
            NodeKind::Scalar(Value::String(key.get().to_owned())),
            key_span,
            Shape::Key,
        );
        self.stack.push(entry_id);
        let (value, sub, entry_kind) = match item {
            Item::Value(v) => {
                let (value, piece) = self.body_value(v, key, section_depth);
                let sub = Pieces {
                    body: vec![piece],
                    sections: Vec::new(),
                };
                (value, sub, EntryKind::Value)
            }
            Item::Table(sub) => {
                let (sub_kind, entry_kind) = if sub.is_dotted() {
                    (TableKind::Dotted, EntryKind::Dotted)
                } else if sub.is_implicit() {
                    (TableKind::Implicit, EntryKind::Section)
                } else {
                    (TableKind::Header, EntryKind::Section)
                };
                let (value, p) = self.table(sub, sub_kind, section_depth);
                (value, p, entry_kind)
            }
            Item::ArrayOfTables(a) => {
                let (value, p) = self.table_array(a);
                (value, p, EntryKind::TableArray)
            }
            Item::None => {
                self.stack.pop();
                return None;
            }
        };
        self.stack.pop();
        let info = EntryInfo {
            kind: entry_kind,
            keys: Vec::new(),
            pieces: sub.all(),
        };
        let entry = Entry {
            key: key.get().into(),
            key_node,
            value,
        };
        Some((entry, info, sub))
    }

    /// The pieces of a read table (a header table's own lines come first, as a section) and its
    /// span: from its first piece to its last.
    fn close_table(
        &mut self,
        id: NodeId,
        kind: TableKind,
        span: &Range<usize>,
        pieces: Pieces,
    ) -> Pieces {
        let pieces = match kind {
            TableKind::Header => {
                let own_end = pieces.body.iter().map(|r| r.end).fold(span.end, usize::max);
                Pieces {
                    body: Vec::new(),
                    sections: std::iter::once(span.start..own_end)
                        .chain(pieces.sections)
                        .collect(),
                }
            }
            _ => pieces,
        };
        let info = &mut self.nodes[id.index()];
        if kind == TableKind::Header {
            info.span = pieces.sections[0].clone();
        } else if kind != TableKind::Root {
            let all = pieces.all();
            if let (Some(first), Some(last)) = (all.first(), all.iter().map(|r| r.end).max()) {
                info.span = first.start..last;
            }
        }
        info.pieces = pieces.clone();
        pieces
    }

    fn table_array(&mut self, array: &ArrayOfTables) -> (NodeId, Pieces) {
        let span = array.span().unwrap_or(0..0);
        let id = self.push(NodeKind::Sequence(Vec::new()), span, Shape::TableArray);
        let mut items = Vec::new();
        let mut pieces = Pieces::default();
        for t in array.iter() {
            let (item, p) = self.table(t, TableKind::Header, 0);
            items.push(item);
            pieces.extend(p);
        }
        self.tree.node_mut(id).kind = NodeKind::Sequence(items);
        let info = &mut self.nodes[id.index()];
        let all = pieces.all();
        if let (Some(first), Some(end)) = (all.first(), all.iter().map(|r| r.end).max()) {
            info.span = first.start..end;
        }
        info.pieces = pieces.clone();
        (id, pieces)
    }

    /// A `key = value` line in a header table's (or the root's) lines, possibly with a dotted
    /// key. Returns the value node and the line's piece.
    fn body_value(
        &mut self,
        v: &TomlValue,
        key: &Key,
        section_depth: usize,
    ) -> (NodeId, Range<usize>) {
        let src = self.src;
        let value = self.value(v);
        let key_span = key.span().unwrap_or(0..0);
        let value_end = self.nodes[value.index()].span.end;
        let line = text::line_start(src, key_span.start);
        let start = line + text::blank_run(src, line);
        let depth = self.stack.len() - section_depth;
        match text::scan_key_path(src, start) {
            Some((tokens, _)) if tokens.len() == depth && tokens.last() == Some(&key_span) => {
                for (j, token) in tokens.iter().enumerate() {
                    self.add_key(self.stack[section_depth + j], token.clone());
                }
                for j in 1..tokens.len() {
                    if let Some(table) = self.tables.get(section_depth + j).copied() {
                        let relative = self.token_texts(&tokens[..j]);
                        let path = self.paths.entry(table).or_default();
                        if path.relative.is_none() {
                            if let Some(abs) = &mut path.absolute {
                                abs.extend(relative.iter().cloned());
                            }
                            path.relative = Some(relative);
                        }
                    }
                }
            }
            _ => self.unsupported(start, "a key the editor could not read"),
        }
        (value, start..value_end)
    }

    fn value(&mut self, v: &TomlValue) -> NodeId {
        let span = v.span().unwrap_or(0..0);
        match v {
            TomlValue::Array(items) => {
                let id = self.push(NodeKind::Sequence(Vec::new()), span, Shape::Array);
                let children: Vec<NodeId> = items.iter().map(|i| self.value(i)).collect();
                self.tree.node_mut(id).kind = NodeKind::Sequence(children);
                id
            }
            TomlValue::InlineTable(t) => {
                let id = self.inline(t);
                self.scan_inline(id);
                id
            }
            TomlValue::String(_) => {
                let style = str_style(self.src.get(span.clone()).unwrap_or(""));
                let scalar = data::scalar(v, self.src).unwrap_or(Value::Invalid);
                self.push(NodeKind::Scalar(scalar), span, Shape::Scalar(Some(style)))
            }
            other => {
                let scalar = data::scalar(other, self.src).unwrap_or(Value::Invalid);
                self.push(NodeKind::Scalar(scalar), span, Shape::Scalar(None))
            }
        }
    }

    /// An inline table and its entries (keys and pieces come from [`Builder::scan_inline`]).
    fn inline(&mut self, t: &InlineTable) -> NodeId {
        let span = t.span().unwrap_or(0..0);
        let id = self.push(
            NodeKind::Mapping(Vec::new()),
            span,
            Shape::Table(TableKind::Inline),
        );
        let mut entries = Vec::new();
        let mut infos = Vec::new();
        for (key, v) in ordered_inline(t) {
            let key_node = self.push(
                NodeKind::Scalar(Value::String(key.get().to_owned())),
                key.span().unwrap_or(0..0),
                Shape::Key,
            );
            let value = match v {
                TomlValue::InlineTable(sub) if sub.is_dotted() => self.inline(sub),
                other => self.value(other),
            };
            entries.push(Entry {
                key: key.get().into(),
                key_node,
                value,
            });
            infos.push(EntryInfo {
                kind: EntryKind::Inline,
                keys: Vec::new(),
                pieces: Vec::new(),
            });
        }
        self.tree.node_mut(id).kind = NodeKind::Mapping(entries);
        self.entries.insert(id, infos);
        id
    }

    /// Walks the text of an inline table: each `a.b = v` names entries by their decoded keys.
    fn scan_inline(&mut self, table: NodeId) {
        let src = self.src;
        let span = self.nodes[table.index()].span.clone();
        let mut pos = span.start + 1;
        loop {
            pos = text::skip_trivia(src, pos);
            match src.as_bytes().get(pos) {
                Some(b'}') => break,
                Some(b',') => {
                    pos += 1;
                    continue;
                }
                Some(_) => {}
                None => {
                    return self
                        .unsupported(span.start, "an inline table the editor could not read");
                }
            }
            let Some((tokens, _)) = text::scan_key_path(src, pos) else {
                return self.unsupported(pos, "an inline table the editor could not read");
            };
            let mut map = table;
            let mut path = Vec::new();
            let mut value = None;
            for (j, token) in tokens.iter().enumerate() {
                let name = Key::parse(&src[token.clone()])
                    .ok()
                    .and_then(|mut k| (k.len() == 1).then(|| k.remove(0)));
                let found = match (&self.tree.node(map).kind, name) {
                    (NodeKind::Mapping(entries), Some(name)) => entries
                        .iter()
                        .position(|e| e.key == name.get())
                        .map(|i| (i, entries[i].value)),
                    _ => None,
                };
                let Some((index, child)) = found else {
                    return self
                        .unsupported(token.start, "an inline table the editor could not read");
                };
                let entry = EntryId { map, index };
                self.add_key(entry, token.clone());
                path.push(entry);
                if j + 1 < tokens.len() {
                    map = child;
                } else {
                    value = Some(child);
                }
            }
            let Some(value) = value else {
                return self.unsupported(pos, "an inline table the editor could not read");
            };
            let end = self.nodes[value.index()].span.end;
            for entry in path {
                if let Some(info) = self
                    .entries
                    .get_mut(&entry.map)
                    .and_then(|e| e.get_mut(entry.index))
                {
                    info.pieces.push(pos..end);
                }
            }
            if end <= pos {
                return self.unsupported(pos, "an inline table the editor could not read");
            }
            pos = end;
        }
    }
}
