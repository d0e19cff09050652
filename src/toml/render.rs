//! Turns a batch of edits into splices of the original text.
//!
//! Each edit becomes insertions, deletions or replacements of byte ranges found through the
//! index; everything between them is copied unchanged. New text is written the way the file
//! already writes it: the file's line ends, the indentation of the neighbouring lines, the quoting
//! of sibling keys and strings, `key = value` or `key=value` as the neighbours do.
//!
//! Where a new entry goes follows TOML's layout (see `data.rs` for the order of a table):
//! - after a `key = value` entry: a new `key = value` line right after it; a new table there is
//!   written inline (`set_request_headers = { Authorization = "…" }`), because a `[header]`
//!   cannot sit between two `key = value` lines of the same table;
//! - after a sub-table: a table becomes a new `[path.key]` section after that sub-table (an
//!   array of tables becomes `[[path.key]]` sections); any other value becomes the table's first
//!   `key = value` line, which is only its data position when the anchor is the last sub-table;
//! - at the end: after the last `key = value` line, or as above when the table has only
//!   sub-tables. A table that has no header of its own (`[a.b]` without `[a]`) gets one.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;

use super::TomlDocument;
use super::emit::{self, KeyStyle};
use super::index::{EntryInfo, EntryKind, Shape, StrStyle, TableKind};
use super::text;
use crate::document::splice::{self, SplicePlan};
use crate::document::{
    Edit, EditError, EntryId, Location, NodeId, NodeKind, Position, Slot, Value,
};

/// Text an edit removes or rewrites: no other edit may touch it.
#[derive(Clone)]
struct Claim {
    range: Range<usize>,
    owner: usize,
}

struct Removal {
    index: usize,
    note: Option<String>,
    edit: usize,
}

struct Insertion {
    position: Position,
    key: String,
    value: Value,
    edit: usize,
}

/// How a table writes its `key = value` lines.
struct LineStyle {
    keys: KeyStyle,
    strings: StrStyle,
    /// `" = "`, `"="`, … as the table's lines have it.
    separator: String,
    /// Dotted tables: the keys before the new key (`a.b.`); `None` when unreadable.
    prefix: Option<String>,
}

/// Where a new entry of a table goes.
enum Place {
    /// A `key = value` line after this entry's line.
    AfterLine(usize),
    /// The table's first `key = value` line.
    BodyStart,
    /// A new section after this sub-table.
    SectionAfter(usize),
}

/// Insertions in the order their text goes at a shared position: those after an entry (in
/// batch order) before those at the end, as `Document::expected_data` places them.
fn after_before_end(mut inserts: Vec<Insertion>) -> Vec<Insertion> {
    inserts.sort_by_key(|i| matches!(i.position, Position::End));
    inserts
}

pub(crate) struct Renderer<'a> {
    doc: &'a TomlDocument,
    src: &'a str,
    /// Each splice's owner is the edit that made it; `None` for removals inside an inline
    /// table, which may span the pairs of several edits and are checked through each edit's
    /// claims instead. Among insertions at one place, plain `key = value` lines come first
    /// (not `late`): they belong to the table above, while a header or a note starts something
    /// new.
    splices: SplicePlan<Option<usize>>,
    claims: Vec<Claim>,
    removals: BTreeMap<NodeId, Vec<Removal>>,
    inserts: BTreeMap<NodeId, Vec<Insertion>>,
    renames: Vec<(EntryId, String)>,
    removed: HashSet<EntryId>,
    replaced: HashSet<NodeId>,
    /// Comment lines above entries ([`Edit::Annotate`]): offset, text, edit; planned last.
    annotations: Vec<(usize, String, usize)>,
}

impl<'a> Renderer<'a> {
    /// `src` is the document's text without its BOM, ending with a line break (see
    /// [`TomlDocument::render`](super::TomlDocument)).
    pub(crate) fn new(doc: &'a TomlDocument, src: &'a str) -> Renderer<'a> {
        Renderer {
            doc,
            src,
            splices: SplicePlan::default(),
            claims: Vec::new(),
            removals: BTreeMap::new(),
            inserts: BTreeMap::new(),
            renames: Vec::new(),
            removed: HashSet::new(),
            replaced: HashSet::new(),
            annotations: Vec::new(),
        }
    }

    pub(crate) fn render(mut self, edits: &[Edit]) -> Result<String, EditError> {
        if let Some((pos, what)) = self.doc.index.unsupported {
            return Err(self.unsupported(pos, what));
        }
        for edit in edits {
            match edit {
                Edit::Delete { entry } | Edit::CommentOut { entry, .. } => {
                    self.removed.insert(*entry);
                }
                Edit::ReplaceValue { node, .. } => {
                    self.replaced.insert(*node);
                }
                _ => {}
            }
        }
        for (i, edit) in edits.iter().enumerate() {
            self.edit(i, edit)?;
        }
        let maps: BTreeSet<NodeId> = self
            .removals
            .keys()
            .chain(self.inserts.keys())
            .copied()
            .chain(self.renames.iter().map(|(e, _)| e.map))
            .collect();
        for map in &maps {
            self.check_keys(*map)?;
        }
        // Inner tables first: an insertion at the end of a nested table and one at the end of
        // its parent can land on the same offset, and the nested one belongs before it.
        for map in maps.into_iter().rev() {
            self.plan_map(map)?;
        }
        self.plan_annotations();
        self.check_conflicts()?;
        Ok(self.apply())
    }

    // ---- helpers ----

    fn loc(&self, pos: usize) -> Location {
        self.doc.location_at(pos)
    }

    fn unsupported(&self, pos: usize, what: &'static str) -> EditError {
        EditError::Unsupported {
            location: self.loc(pos),
            what,
        }
    }

    fn conflict(&self, node: NodeId) -> EditError {
        EditError::Conflict {
            location: self.doc.tree.node(node).location(),
        }
    }

    fn eol(&self) -> &'static str {
        self.doc.eol
    }

    fn splice(&mut self, range: Range<usize>, text: String, owner: Option<usize>) {
        self.push_splice(range, text, owner, true);
    }

    fn push_splice(&mut self, range: Range<usize>, text: String, owner: Option<usize>, late: bool) {
        self.splices.push(range, text, late, owner);
    }

    fn claim(&mut self, range: Range<usize>, owner: usize) {
        self.claims.push(Claim { range, owner });
    }

    fn span(&self, node: NodeId) -> Range<usize> {
        self.doc.index.node(node).span.clone()
    }

    /// Where a node starts, for a message (0 for a node of another document).
    fn start_of(&self, node: NodeId) -> usize {
        self.doc
            .index
            .nodes
            .get(node.index())
            .map_or(0, |n| n.span.start)
    }

    fn shape(&self, node: NodeId) -> Shape {
        self.doc.index.node(node).shape
    }

    fn entry_info(&self, entry: EntryId) -> Result<&'a EntryInfo, EditError> {
        let doc: &'a TomlDocument = self.doc;
        doc.index.entry(entry).ok_or(EditError::Invalid {
            location: doc.tree.node(entry.map).location(),
            what: "the entry to edit does not exist",
        })
    }

    fn entries_of(&self, map: NodeId) -> &'a [EntryInfo] {
        let doc: &'a TomlDocument = self.doc;
        doc.index.entries.get(&map).map_or(&[], Vec::as_slice)
    }

    fn value_of(&self, entry: EntryId) -> Option<NodeId> {
        match &self.doc.tree.node(entry.map).kind {
            NodeKind::Mapping(entries) => entries.get(entry.index).map(|e| e.value),
            _ => None,
        }
    }

    /// The whole lines a piece of text stands on.
    fn full_lines(&self, piece: &Range<usize>) -> Range<usize> {
        text::line_start(self.src, piece.start)..text::next_line_start(self.src, piece.end)
    }

    /// The lines of a deleted piece. A deleted `[header]` section between two blank lines takes
    /// the blank line before it too, so that no double gap is left; that line is a range of its
    /// own so that an insertion at the section's place stays at a range boundary.
    fn deleted_lines(&self, piece: &Range<usize>) -> Vec<Range<usize>> {
        let src = self.src;
        let lines = self.full_lines(piece);
        let blank =
            |line: usize| line + text::blank_run(src, line) == text::line_content_end(src, line);
        if src[piece.start..].starts_with('[') && lines.start > 0 {
            let prev = text::line_start(src, lines.start - 1);
            if blank(prev) && (lines.end == src.len() || blank(lines.end)) {
                return vec![prev..lines.start, lines];
            }
        }
        vec![lines]
    }

    fn indent_of(&self, pos: usize) -> &'a str {
        let src: &'a str = self.src;
        let start = text::line_start(src, pos);
        &src[start..start + text::blank_run(src, start)]
    }

    /// Lines to insert at `at` (a line start), each ended by the file's line break.
    fn insert_lines(&mut self, at: usize, lines: &[String], owner: usize) {
        self.insert_lines_as(at, lines, owner, true);
    }

    /// `key = value` lines of the table above `at`, which go before other insertions there.
    fn insert_entry_lines(&mut self, at: usize, lines: &[String], owner: usize) {
        self.insert_lines_as(at, lines, owner, false);
    }

    fn insert_lines_as(&mut self, at: usize, lines: &[String], owner: usize, late: bool) {
        let eol = self.eol();
        let mut text = lines.join(eol);
        text.push_str(eol);
        self.push_splice(at..at, text, Some(owner), late);
    }

    /// Deletes whole lines.
    fn delete_lines(&mut self, ranges: Vec<(Range<usize>, Option<usize>)>) {
        for (r, owner) in ranges {
            self.splice(r, String::new(), owner);
        }
    }

    /// Refuses an edit inside a node that another edit of the batch removes or replaces.
    fn check_ancestry(&self, node: NodeId, skip_self: bool) -> Result<(), EditError> {
        let tree = &self.doc.tree;
        let mut cur = node;
        let mut first = true;
        loop {
            if !(first && skip_self) && self.replaced.contains(&cur) {
                return Err(self.conflict(node));
            }
            first = false;
            match tree.node(cur).parent {
                Some((parent, Slot::Value(index))) => {
                    if self.removed.contains(&EntryId {
                        map: parent,
                        index: index as usize,
                    }) {
                        return Err(self.conflict(node));
                    }
                    cur = parent;
                }
                Some((parent, _)) => cur = parent,
                None => return Ok(()),
            }
        }
    }

    fn table_kind(&self, map: NodeId) -> Option<TableKind> {
        match self.shape(map) {
            Shape::Table(kind) => Some(kind),
            _ => None,
        }
    }

    // ---- edits ----

    fn edit(&mut self, i: usize, edit: &Edit) -> Result<(), EditError> {
        match edit {
            Edit::RenameKey { entry, new_key } => self.rename(i, *entry, new_key),
            Edit::SetScalar { node, value } => self.set_scalar(i, *node, value),
            Edit::ReplaceValue { node, value } => {
                self.check_ancestry(*node, true)?;
                self.replace(i, *node, value)
            }
            Edit::Insert {
                map,
                position,
                key,
                value,
            } => self.insert(i, *map, *position, key, value),
            Edit::CommentOut { entry, note } => self.removal(i, *entry, Some(note.clone())),
            Edit::Annotate { entry, text } => self.annotate(i, *entry, text),
            Edit::Delete { entry } => self.removal(i, *entry, None),
            Edit::DeleteItem { item }
            | Edit::CommentOutItem { item, .. }
            | Edit::AnnotateItem { item, .. } => Err(self.unsupported(
                self.start_of(*item),
                "removing or annotating an item of a TOML array",
            )),
            Edit::ReplaceBlock { node, .. } => Err(self.unsupported(
                self.start_of(*node),
                "replacing a value by YAML text in a TOML file",
            )),
        }
    }

    fn rename(&mut self, i: usize, entry: EntryId, new_key: &str) -> Result<(), EditError> {
        let info = self.entry_info(entry)?;
        if self.removed.contains(&entry) {
            return Err(self.conflict(entry.map));
        }
        self.check_ancestry(entry.map, false)?;
        if info.keys.is_empty() {
            return Err(
                self.unsupported(self.span(entry.map).start, "a key not written in the text")
            );
        }
        for token in &info.keys {
            let style = KeyStyle::of(&self.src[token.clone()]);
            self.splice(token.clone(), emit::key(new_key, style), Some(i));
            self.claim(token.clone(), i);
        }
        self.renames.push((entry, new_key.to_owned()));
        Ok(())
    }

    fn set_scalar(&mut self, i: usize, node: NodeId, value: &Value) -> Result<(), EditError> {
        let Shape::Scalar(style) = self.shape(node) else {
            return Err(EditError::Invalid {
                location: self.doc.tree.node(node).location(),
                what: "the node to set is not a scalar",
            });
        };
        self.check_ancestry(node, false)?;
        let span = self.span(node);
        let text = emit::replacement(value, style, self.eol())
            .map_err(|what| self.unsupported(span.start, what))?;
        self.splice(span.clone(), text, Some(i));
        self.claim(span, i);
        Ok(())
    }

    fn insert(
        &mut self,
        i: usize,
        map: NodeId,
        position: Position,
        key: &str,
        value: &Value,
    ) -> Result<(), EditError> {
        if self.table_kind(map).is_none() {
            return Err(EditError::Invalid {
                location: self.doc.tree.node(map).location(),
                what: "the node to insert into is not a mapping",
            });
        }
        if let Position::After(e) = position
            && (e.map != map || e.index >= self.entries_of(map).len())
        {
            return Err(EditError::Invalid {
                location: self.doc.tree.node(map).location(),
                what: "the entry to insert after is not in this mapping",
            });
        }
        self.check_ancestry(map, false)?;
        self.inserts.entry(map).or_default().push(Insertion {
            position,
            key: key.to_owned(),
            value: value.clone(),
            edit: i,
        });
        Ok(())
    }

    fn annotate(&mut self, i: usize, entry: EntryId, text: &str) -> Result<(), EditError> {
        let info = self.entry_info(entry)?;
        self.check_ancestry(entry.map, false)?;
        let at = info.pieces.first().map_or(0, |p| p.start);
        if !self.doc.can_comment_out_entry(entry) {
            return Err(
                self.unsupported(at, "an entry of an inline table cannot take a comment line")
            );
        }
        if self.removed.contains(&entry) {
            return Err(EditError::Conflict {
                location: self.loc(at),
            });
        }
        self.annotations.push((at, text.to_owned(), i));
        Ok(())
    }

    fn removal(&mut self, i: usize, entry: EntryId, note: Option<String>) -> Result<(), EditError> {
        let info = self.entry_info(entry)?;
        self.check_ancestry(entry.map, false)?;
        if let Some(value) = self.value_of(entry)
            && self.replaced.contains(&value)
        {
            return Err(self.conflict(value));
        }
        if note.is_some() && !self.doc.can_comment_out_entry(entry) {
            let at = info.pieces.first().map_or(0, |p| p.start);
            return Err(self.unsupported(at, "an entry of an inline table cannot be commented out"));
        }
        self.removals.entry(entry.map).or_default().push(Removal {
            index: entry.index,
            note,
            edit: i,
        });
        Ok(())
    }

    fn replace(&mut self, i: usize, node: NodeId, value: &Value) -> Result<(), EditError> {
        let span = self.span(node);
        match self.shape(node) {
            Shape::Key => Err(EditError::Invalid {
                location: self.doc.tree.node(node).location(),
                what: "a key is not a value",
            }),
            Shape::Scalar(style) => {
                let text = emit::replacement(value, style, self.eol())
                    .map_err(|what| self.unsupported(span.start, what))?;
                self.splice(span.clone(), text, Some(i));
                self.claim(span, i);
                Ok(())
            }
            Shape::Array | Shape::Table(TableKind::Inline) => {
                if !self.src[span.start..].starts_with(['[', '{']) {
                    return Err(self.unsupported(span.start, "a dotted key inside an inline table"));
                }
                let text = emit::inline(value, StrStyle::Basic, self.eol())
                    .map_err(|what| self.unsupported(span.start, what))?;
                self.splice(span.clone(), text, Some(i));
                self.claim(span, i);
                Ok(())
            }
            Shape::Table(TableKind::Header) => self.replace_section(i, node, value),
            Shape::Table(TableKind::Implicit) => self.replace_implicit(i, node, value),
            Shape::Table(TableKind::Dotted) => self.replace_dotted(i, node, value),
            Shape::Table(TableKind::Root) | Shape::TableArray => Err(self.unsupported(
                span.start,
                "replacing the whole document or an array of [[tables]]",
            )),
        }
    }

    /// `key = value` lines for the entries of a new table.
    fn body_lines(&self, value: &Value, indent: &str, at: usize) -> Result<Vec<String>, EditError> {
        let Value::Mapping(entries) = value else {
            return Err(self.unsupported(at, "a [table] replaced by a value that is not a table"));
        };
        entries
            .iter()
            .map(|(k, v)| {
                let key = emit::map_key(k).map_err(|what| self.unsupported(at, what))?;
                let v = emit::inline(v, StrStyle::Basic, self.eol())
                    .map_err(|what| self.unsupported(at, what))?;
                Ok(format!("{indent}{key} = {v}"))
            })
            .collect()
    }

    /// A `[header]` table gets new lines under its header; its sub-tables go.
    fn replace_section(&mut self, i: usize, node: NodeId, value: &Value) -> Result<(), EditError> {
        let info = self.doc.index.node(node).clone();
        let Some(header) = info.header.clone() else {
            return Err(self.unsupported(info.span.start, "a table without its header"));
        };
        let own = info.span.clone();
        let body_start = text::next_line_start(self.src, header.end);
        let indent = if own.end > header.end {
            self.indent_of(body_start)
        } else {
            ""
        };
        let lines = self.body_lines(value, indent, header.start)?;
        let eol = self.eol();
        let range = if own.end > header.end {
            body_start..text::next_line_start(self.src, own.end)
        } else {
            body_start..body_start
        };
        let new = if lines.is_empty() {
            String::new()
        } else {
            format!("{}{eol}", lines.join(eol))
        };
        if !range.is_empty() {
            self.claim(range.clone(), i);
        }
        self.splice(range, new, Some(i));
        let rest: Vec<Range<usize>> = info.pieces.sections[1..]
            .iter()
            .flat_map(|p| self.deleted_lines(p))
            .collect();
        for r in &rest {
            self.claim(r.clone(), i);
        }
        self.delete_lines(rest.into_iter().map(|r| (r, Some(i))).collect());
        Ok(())
    }

    /// A table known only through `[a.b]` headers gets its own `[a]` header with the new lines.
    fn replace_implicit(&mut self, i: usize, node: NodeId, value: &Value) -> Result<(), EditError> {
        let info = self.doc.index.node(node).clone();
        let pieces = info.pieces.all();
        let Some(first) = pieces.first().cloned() else {
            return Err(self.unsupported(info.span.start, "a table without text"));
        };
        let path = self.absolute_path(node, first.start)?;
        let mut lines = vec![format!("[{path}]")];
        lines.extend(self.body_lines(value, "", first.start)?);
        let at = text::line_start(self.src, first.start);
        let ranges: Vec<Range<usize>> = pieces.iter().map(|p| self.full_lines(p)).collect();
        for r in &ranges {
            self.claim(r.clone(), i);
        }
        self.insert_lines(at, &lines, i);
        self.delete_lines(ranges.into_iter().map(|r| (r, Some(i))).collect());
        Ok(())
    }

    /// A dotted table (`a.x = 1`, `a.y = 2`) becomes one `a = …` line where it started.
    fn replace_dotted(&mut self, i: usize, node: NodeId, value: &Value) -> Result<(), EditError> {
        let start = self.span(node).start;
        let Some((map, Slot::Value(index))) = self.doc.tree.node(node).parent else {
            return Err(self.unsupported(start, "a dotted table outside a table"));
        };
        let info = self.entry_info(EntryId {
            map,
            index: index as usize,
        })?;
        let Some(first) = info.pieces.first().cloned() else {
            return Err(self.unsupported(start, "a table without text"));
        };
        let Some(token) = info
            .keys
            .iter()
            .find(|k| k.start >= first.start && k.end <= first.end)
        else {
            return Err(self.unsupported(first.start, "a key not written in the text"));
        };
        let v = emit::inline(value, StrStyle::Basic, self.eol())
            .map_err(|what| self.unsupported(first.start, what))?;
        let text = format!("{} = {v}", &self.src[first.start..token.end]);
        self.claim(self.full_lines(&first), i);
        self.splice(first.clone(), text, Some(i));
        let rest: Vec<Range<usize>> = info.pieces[1..]
            .iter()
            .map(|p| self.full_lines(p))
            .collect();
        for r in &rest {
            self.claim(r.clone(), i);
        }
        self.delete_lines(rest.into_iter().map(|r| (r, Some(i))).collect());
        Ok(())
    }

    fn absolute_path(&self, table: NodeId, at: usize) -> Result<String, EditError> {
        self.doc
            .index
            .paths
            .get(&table)
            .and_then(|p| p.absolute.as_ref())
            .map(|p| p.join("."))
            .ok_or_else(|| self.unsupported(at, "a table whose path the editor could not read"))
    }

    // ---- per mapping: duplicate keys, removals and insertions ----

    /// Refuses a batch that would leave two equal keys in a table.
    fn check_keys(&self, map: NodeId) -> Result<(), EditError> {
        let NodeKind::Mapping(entries) = &self.doc.tree.node(map).kind else {
            return Ok(());
        };
        let removed: HashSet<usize> = self
            .removals
            .get(&map)
            .map(|r| r.iter().map(|r| r.index).collect())
            .unwrap_or_default();
        let mut keys: Vec<String> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            if removed.contains(&i) {
                continue;
            }
            let key = self
                .renames
                .iter()
                .rev()
                .find(|(r, _)| r.map == map && r.index == i)
                .map_or_else(|| e.key.to_string(), |(_, k)| k.clone());
            keys.push(key);
        }
        for ins in self.inserts.get(&map).into_iter().flatten() {
            keys.push(ins.key.clone());
        }
        let mut seen = HashSet::new();
        for k in keys {
            if !seen.insert(k.clone()) {
                return Err(EditError::DuplicateKey {
                    location: self.doc.tree.node(map).location(),
                    key: k,
                });
            }
        }
        Ok(())
    }

    fn plan_map(&mut self, map: NodeId) -> Result<(), EditError> {
        match self.table_kind(map) {
            Some(TableKind::Inline) => self.plan_inline(map),
            Some(kind) => self.plan_table(map, kind),
            None => Ok(()),
        }
    }

    /// The quoting of a table's new keys: that of its first `key = value` entry, else of its
    /// first entry.
    fn key_style(&self, map: NodeId) -> KeyStyle {
        let infos = self.entries_of(map);
        infos
            .iter()
            .find(|e| matches!(e.kind, EntryKind::Value | EntryKind::Inline))
            .or(infos.first())
            .and_then(|e| e.keys.last())
            .map_or(KeyStyle::Bare, |k| KeyStyle::of(&self.src[k.clone()]))
    }

    /// The quoting of a new sub-table's key in its header: that of the table's sub-tables.
    fn section_key_style(&self, map: NodeId) -> KeyStyle {
        self.entries_of(map)
            .iter()
            .find(|e| matches!(e.kind, EntryKind::Section | EntryKind::TableArray))
            .and_then(|e| e.keys.first())
            .map_or(KeyStyle::Bare, |k| KeyStyle::of(&self.src[k.clone()]))
    }

    /// The quoting of new strings in a table: that of its first string value on one line.
    fn string_style(&self, map: NodeId) -> StrStyle {
        let NodeKind::Mapping(entries) = &self.doc.tree.node(map).kind else {
            return StrStyle::Basic;
        };
        entries
            .iter()
            .find_map(|e| match self.shape(e.value) {
                Shape::Scalar(Some(style @ (StrStyle::Basic | StrStyle::Literal))) => Some(style),
                _ => None,
            })
            .unwrap_or(StrStyle::Basic)
    }

    /// The text between key and value: `" = "` unless the table writes `=` otherwise.
    fn separator(&self, map: NodeId) -> String {
        let NodeKind::Mapping(entries) = &self.doc.tree.node(map).kind else {
            return " = ".into();
        };
        for (e, info) in entries.iter().zip(self.entries_of(map)) {
            if matches!(info.kind, EntryKind::Value | EntryKind::Inline)
                && let Some(key) = info.keys.last()
            {
                let value_start = self.span(e.value).start;
                if let Some(between) = self.src.get(key.end..value_start)
                    && between.trim() == "="
                    && !between.contains(['\n', '\r'])
                {
                    return between.to_owned();
                }
                break;
            }
        }
        " = ".into()
    }

    fn plan_table(&mut self, map: NodeId, kind: TableKind) -> Result<(), EditError> {
        let infos = self.entries_of(map);
        let mut removals = self.removals.remove(&map).unwrap_or_default();
        removals.sort_by_key(|r| r.index);
        let inserts = after_before_end(self.inserts.remove(&map).unwrap_or_default());
        // Insertions first: at a shared position a new line goes before the next entry's note.
        self.plan_table_inserts(map, kind, &inserts)?;

        let removed: BTreeSet<usize> = removals.iter().map(|r| r.index).collect();
        let emptied = !infos.is_empty() && removed.len() == infos.len() && inserts.is_empty();
        // A table with no header of its own would vanish with its last entry: it is kept as
        // `[path]` or `path = {}` where its first piece was. A deleted first piece is rewritten
        // into that line; a commented-out one gets the line above its note.
        let mut placeholder: Option<(Range<usize>, String)> = None;
        if emptied && matches!(kind, TableKind::Implicit | TableKind::Dotted) {
            let first = removals
                .iter()
                .flat_map(|r| infos[r.index].pieces.iter().map(move |p| (p.clone(), r)))
                .min_by_key(|(p, _)| p.start);
            if let Some((piece, owner)) = first {
                let line = if kind == TableKind::Implicit {
                    format!("[{}]", self.absolute_path(map, piece.start)?)
                } else {
                    let relative = self
                        .doc
                        .index
                        .paths
                        .get(&map)
                        .and_then(|p| p.relative.as_ref())
                        .map(|p| p.join("."))
                        .ok_or_else(|| {
                            self.unsupported(
                                piece.start,
                                "a table whose path the editor could not read",
                            )
                        })?;
                    format!("{relative}{}{{}}", self.separator(map))
                };
                if owner.note.is_some() {
                    let at = text::line_start(self.src, piece.start);
                    let indent = self.indent_of(piece.start);
                    self.insert_lines(at, &[format!("{indent}{line}")], owner.edit);
                } else {
                    placeholder = Some((piece, line));
                }
            }
        }

        let mut deletions = Vec::new();
        for r in &removals {
            let pieces = &infos[r.index].pieces;
            for piece in pieces {
                self.claim(self.full_lines(piece), r.edit);
            }
            match &r.note {
                None => {
                    for p in pieces {
                        match &placeholder {
                            Some((first, line)) if first == p => {
                                self.splice(p.clone(), line.clone(), Some(r.edit));
                            }
                            _ => deletions.extend(
                                self.deleted_lines(p).into_iter().map(|l| (l, Some(r.edit))),
                            ),
                        }
                    }
                }
                Some(note) => self.comment_out(pieces, note, r.edit),
            }
        }
        self.delete_lines(deletions);
        Ok(())
    }

    /// Comment lines above annotated entries, planned after everything else so that at one
    /// offset they come last: right above the entry they belong to.
    fn plan_annotations(&mut self) {
        let src = self.src;
        let eol = self.eol();
        for (at, text, owner) in std::mem::take(&mut self.annotations) {
            let start = text::line_start(src, at);
            let indent: String = src[start..at]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let text: String = text
                .chars()
                .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
                .collect();
            self.splice(start..start, format!("{indent}# {text}{eol}"), Some(owner));
        }
    }

    /// Puts `# ` before each line of the pieces, under a note line.
    fn comment_out(&mut self, pieces: &[Range<usize>], note: &str, owner: usize) {
        let src = self.src;
        let eol = self.eol();
        // A comment cannot hold line breaks or other control characters.
        let note: String = note
            .chars()
            .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
            .collect();
        for (k, piece) in pieces.iter().enumerate() {
            let start = text::line_start(src, piece.start);
            let indent = &src[start..piece.start];
            let column = indent.len();
            if k == 0 {
                self.splice(start..start, format!("{indent}# {note}{eol}"), Some(owner));
            }
            self.splice(piece.start..piece.start, "# ".into(), Some(owner));
            let mut line = text::next_line_start(src, piece.start);
            while line < piece.end {
                let content_end = text::line_content_end(src, line);
                let blanks = text::blank_run(src, line);
                if line + blanks == content_end {
                    self.splice(line..content_end, format!("{indent}#"), Some(owner));
                } else {
                    let at = line + blanks.min(column);
                    self.splice(at..at, "# ".into(), Some(owner));
                }
                line = text::next_line_start(src, line);
            }
        }
    }

    /// The start of the root table's lines when it has none: before the first header and the
    /// comment lines directly above it, or the end of a file without headers.
    fn root_body_start(&self, map: NodeId) -> usize {
        let src = self.src;
        let first = self
            .entries_of(map)
            .iter()
            .flat_map(|e| e.pieces.iter().map(|p| p.start))
            .min();
        let Some(first) = first else {
            return src.len();
        };
        let mut at = text::line_start(src, first);
        while at > 0 && text::is_comment_line(src, at - 1) {
            at = text::line_start(src, at - 1);
        }
        at
    }

    fn is_section(&self, map: NodeId, index: usize) -> bool {
        self.entries_of(map)
            .get(index)
            .is_some_and(|e| matches!(e.kind, EntryKind::Section | EntryKind::TableArray))
    }

    /// How the table writes its `key = value` lines, for new ones.
    fn line_style(&self, map: NodeId, kind: TableKind) -> LineStyle {
        let prefix = match kind {
            TableKind::Dotted => self
                .doc
                .index
                .paths
                .get(&map)
                .and_then(|p| p.relative.as_ref())
                .map(|p| format!("{}.", p.join("."))),
            _ => Some(String::new()),
        };
        LineStyle {
            keys: self.key_style(map),
            strings: self.string_style(map),
            separator: self.separator(map),
            prefix,
        }
    }

    fn entry_line(
        &self,
        style: &LineStyle,
        ins: &Insertion,
        indent: &str,
        at: usize,
    ) -> Result<String, EditError> {
        let Some(prefix) = &style.prefix else {
            return Err(self.unsupported(at, "a table whose path the editor could not read"));
        };
        let value = emit::inline(&ins.value, style.strings, self.eol())
            .map_err(|what| self.unsupported(at, what))?;
        let key = emit::key(&ins.key, style.keys);
        Ok(format!("{indent}{prefix}{key}{}{value}", style.separator))
    }

    /// Where a new entry of a table goes (see the module comment).
    fn place_of(&self, map: NodeId, ins: &Insertion) -> Result<Place, EditError> {
        let infos = self.entries_of(map);
        let anchor = match ins.position {
            Position::After(e) => Some(e.index),
            Position::End => infos.len().checked_sub(1),
        };
        let Some(a) = anchor else {
            return Ok(Place::BodyStart);
        };
        if !self.is_section(map, a) {
            return Ok(Place::AfterLine(a));
        }
        let table_like = match &ins.value {
            Value::Mapping(_) => true,
            Value::Sequence(items) => {
                !items.is_empty() && items.iter().all(|i| matches!(i, Value::Mapping(_)))
            }
            _ => false,
        };
        let last_section = (0..infos.len()).rev().find(|i| self.is_section(map, *i));
        if table_like {
            Ok(Place::SectionAfter(a))
        } else if last_section == Some(a) {
            Ok(Place::BodyStart)
        } else {
            let at = infos[a].pieces.first().map_or(0, |p| p.start);
            Err(self.unsupported(
                at,
                "a value that is not a table cannot go between two [tables]",
            ))
        }
    }

    fn plan_table_inserts(
        &mut self,
        map: NodeId,
        kind: TableKind,
        inserts: &[Insertion],
    ) -> Result<(), EditError> {
        if inserts.is_empty() {
            return Ok(());
        }
        let places = inserts
            .iter()
            .map(|ins| self.place_of(map, ins))
            .collect::<Result<Vec<Place>, EditError>>()?;
        self.check_insert_order(map, inserts, &places)?;
        let style = self.line_style(map, kind);
        let mut header_written = false;
        for (ins, place) in inserts.iter().zip(places) {
            match place {
                Place::AfterLine(a) => {
                    let (at, indent) = self.after_line(map, a)?;
                    let line = self.entry_line(&style, ins, indent, at)?;
                    self.insert_entry_lines(at, &[line], ins.edit);
                }
                Place::BodyStart => {
                    let (at, indent) = self.body_start(map, kind, ins.edit, &mut header_written)?;
                    let line = self.entry_line(&style, ins, indent, at)?;
                    if header_written {
                        // Under the header just written for this table.
                        self.insert_lines(at, &[line], ins.edit);
                    } else {
                        self.insert_entry_lines(at, &[line], ins.edit);
                    }
                }
                Place::SectionAfter(a) => self.section_after(map, a, ins)?,
            }
        }
        Ok(())
    }

    /// The line after entry `a` (a `key = value` or dotted entry) and its indentation. For a
    /// dotted entry: after its last line that comes before the next entry of the table.
    fn after_line(&self, map: NodeId, a: usize) -> Result<(usize, &'a str), EditError> {
        let infos = self.entries_of(map);
        let doc: &'a TomlDocument = self.doc;
        let pieces: &[Range<usize>] = match infos[a].kind {
            EntryKind::Dotted => self
                .value_of(EntryId { map, index: a })
                .map_or(&[], |v| doc.index.node(v).pieces.body.as_slice()),
            _ => &infos[a].pieces,
        };
        let next_first = (a + 1..infos.len())
            .find(|b| !self.is_section(map, *b))
            .and_then(|b| infos[b].pieces.first())
            .map_or(usize::MAX, |p| p.start);
        let Some(piece) = pieces
            .iter()
            .rfind(|p| p.start < next_first)
            .or(pieces.last())
        else {
            return Err(self.unsupported(self.span(map).start, "an entry without text"));
        };
        let first = pieces.first().map_or(piece.start, |p| p.start);
        Ok((
            text::next_line_start(self.src, piece.end),
            self.indent_of(first),
        ))
    }

    /// Where a table's first `key = value` line goes, and its indentation. A table without a
    /// header of its own gets one there first.
    fn body_start(
        &mut self,
        map: NodeId,
        kind: TableKind,
        edit: usize,
        header_written: &mut bool,
    ) -> Result<(usize, &'a str), EditError> {
        let infos = self.entries_of(map);
        let first_line = (0..infos.len())
            .find(|b| !self.is_section(map, *b))
            .and_then(|b| infos[b].pieces.first());
        if let Some(p) = first_line {
            return Ok((text::line_start(self.src, p.start), self.indent_of(p.start)));
        }
        match kind {
            TableKind::Root => Ok((self.root_body_start(map), "")),
            TableKind::Header => {
                let header = self.doc.index.node(map).header.clone().unwrap_or(0..0);
                Ok((
                    text::next_line_start(self.src, header.end),
                    self.indent_of(header.start),
                ))
            }
            TableKind::Implicit => {
                let start = self.span(map).start;
                let at = text::line_start(self.src, start);
                if !*header_written {
                    let path = self.absolute_path(map, start)?;
                    self.insert_lines(at, &[format!("[{path}]")], edit);
                    *header_written = true;
                }
                Ok((at, ""))
            }
            TableKind::Dotted | TableKind::Inline => {
                let start = self.span(map).start;
                Err(self.unsupported(start, "a dotted table without key lines"))
            }
        }
    }

    /// A new `[path.key]` section (or `[[path.key]]` sections) after sub-table `a` and its own
    /// sub-tables.
    fn section_after(&mut self, map: NodeId, a: usize, ins: &Insertion) -> Result<(), EditError> {
        let infos = self.entries_of(map);
        let end = infos[a].pieces.iter().map(|p| p.end).max().unwrap_or(0);
        let at = text::next_line_start(self.src, end);
        let next_section = (a + 1..infos.len()).find(|s| self.is_section(map, *s));
        if let Some(next) = next_section
            && infos[next].pieces.first().is_some_and(|p| p.start < at)
        {
            return Err(self.unsupported(end, "sub-tables written out of order"));
        }
        let path = self.absolute_path(map, end)?;
        let key = emit::key(&ins.key, self.section_key_style(map));
        let path = if path.is_empty() {
            key
        } else {
            format!("{path}.{key}")
        };
        let blocks: Vec<(&Value, String)> = match &ins.value {
            Value::Sequence(items) => items.iter().map(|v| (v, format!("[[{path}]]"))).collect(),
            other => vec![(other, format!("[{path}]"))],
        };
        let mut lines = Vec::new();
        for (value, header) in blocks {
            lines.push(String::new());
            lines.push(header);
            lines.extend(self.body_lines(value, "", end)?);
        }
        self.insert_lines(at, &lines, ins.edit);
        Ok(())
    }

    /// Refuses insertions whose data order TOML cannot write: in the intended order of the
    /// table (as `Document::expected_data` computes it) no `key = value` entry may come before a
    /// sub-table, because TOML writes a table's own lines before its sub-tables' headers.
    fn check_insert_order(
        &self,
        map: NodeId,
        inserts: &[Insertion],
        places: &[Place],
    ) -> Result<(), EditError> {
        let infos = self.entries_of(map);
        let NodeKind::Mapping(entries) = &self.doc.tree.node(map).kind else {
            return Ok(());
        };
        // (key, written as a section, inserted by the batch)
        let mut order: Vec<(&str, bool, bool)> = entries
            .iter()
            .zip(infos)
            .map(|(e, info)| {
                let section = matches!(info.kind, EntryKind::Section | EntryKind::TableArray);
                (e.key.as_str(), section, false)
            })
            .collect();
        let mut batch: Vec<(&Insertion, &Place)> = inserts.iter().zip(places).collect();
        batch.sort_by_key(|(ins, _)| ins.edit);
        let mut after_count: Vec<usize> = vec![0; entries.len()];
        for (ins, place) in batch {
            let section = matches!(place, Place::SectionAfter(_));
            let at = match ins.position {
                Position::After(e) => {
                    // Right after the entry, after the batch's earlier insertions there.
                    let key = entries.get(e.index).map_or("", |e| e.key.as_str());
                    let skip = after_count.get(e.index).copied().unwrap_or(0);
                    if let Some(c) = after_count.get_mut(e.index) {
                        *c += 1;
                    }
                    order
                        .iter()
                        .position(|(k, _, new)| *k == key && !new)
                        .map_or(order.len(), |i| (i + 1 + skip).min(order.len()))
                }
                Position::End => order.len(),
            };
            order.insert(at, (ins.key.as_str(), section, true));
        }
        if order.windows(2).any(|w| !w[0].1 && w[1].1) {
            let at = self.span(map).start;
            return Err(self.unsupported(
                at,
                "an order of entries TOML cannot write (a [table] after a key = value line)",
            ));
        }
        Ok(())
    }

    /// Plans the removals and insertions of an inline table (`{ a = 1, b = 2 }`).
    fn plan_inline(&mut self, map: NodeId) -> Result<(), EditError> {
        let span = self.span(map);
        if !self.src[span.start..].starts_with('{') {
            return Err(self.unsupported(span.start, "a dotted key inside an inline table"));
        }
        let (open, close) = (span.start, span.end.saturating_sub(1));
        let n = self.entries_of(map).len();
        let mut removals = self.removals.remove(&map).unwrap_or_default();
        removals.sort_by_key(|r| r.index);
        removals.dedup_by_key(|r| r.index);
        let inserts = after_before_end(self.inserts.remove(&map).unwrap_or_default());
        for r in &removals {
            let piece = self.inline_pair(map, r.index)?;
            self.claim(piece, r.edit);
        }
        let removed: Vec<usize> = removals.iter().map(|r| r.index).collect();
        if n > 0 && removed.len() == n && inserts.is_empty() {
            self.splice(open + 1..close, String::new(), None);
            return Ok(());
        }
        for (a, b) in splice::runs(&removed) {
            let range = if b + 1 < n {
                self.inline_pair(map, a)?.start..self.inline_pair(map, b + 1)?.start
            } else if a > 0 {
                self.inline_pair(map, a - 1)?.end..self.inline_pair(map, b)?.end
            } else {
                self.inline_pair(map, a)?.start..self.inline_pair(map, b)?.end
            };
            self.splice(range, String::new(), None);
        }
        let kept: Vec<usize> = (0..n).filter(|i| !removed.contains(i)).collect();
        self.insert_inline_pairs(map, &kept, &inserts)
    }

    /// The text of pair `i` of an inline table. Only `key = value` pairs: a dotted key spreads
    /// one entry over several pairs, which this editor does not take apart.
    fn inline_pair(&self, map: NodeId, i: usize) -> Result<Range<usize>, EditError> {
        let (doc, src) = (self.doc, self.src);
        let dotted = match &doc.tree.node(map).kind {
            NodeKind::Mapping(entries) => entries.get(i).is_some_and(|e| {
                let value = doc.index.node(e.value);
                value.shape == Shape::Table(TableKind::Inline)
                    && !src[value.span.start..].starts_with('{')
            }),
            _ => true,
        };
        match self.entries_of(map)[i].pieces.as_slice() {
            [piece] if !dotted => Ok(piece.clone()),
            _ => Err(EditError::Unsupported {
                location: doc.location_at(self.span(map).start),
                what: "a dotted key inside an inline table",
            }),
        }
    }

    /// New pairs of an inline table: after their anchor (or the last kept pair before it), or
    /// opening the table.
    fn insert_inline_pairs(
        &mut self,
        map: NodeId,
        kept: &[usize],
        inserts: &[Insertion],
    ) -> Result<(), EditError> {
        let span = self.span(map);
        let src = self.src;
        let (open, close) = (span.start, span.end.saturating_sub(1));
        let n = self.entries_of(map).len();
        let key_style = self.key_style(map);
        let strings = self.string_style(map);
        let sep = self.separator(map);
        let eol = self.eol();
        // New pairs that open the table: before its first kept pair, or alone inside it.
        let mut leading = Vec::new();
        let mut leading_edit = None;
        for ins in inserts {
            let key = emit::key(&ins.key, key_style);
            let value = emit::inline(&ins.value, strings, eol)
                .map_err(|what| self.unsupported(open, what))?;
            let pair = format!("{key}{sep}{value}");
            let anchor = match ins.position {
                Position::After(e) => Some(e.index),
                Position::End => n.checked_sub(1),
            };
            // After the anchor, or after the last kept pair before it when it is removed.
            match anchor.and_then(|a| kept.iter().rev().find(|k| **k <= a)) {
                Some(k) => {
                    let piece = self.inline_pair(map, *k)?;
                    let multiline =
                        text::line_start(src, piece.start) != text::line_start(src, open);
                    let text = if multiline {
                        format!(",{eol}{}{pair}", self.indent_of(piece.start))
                    } else {
                        format!(", {pair}")
                    };
                    self.splice(piece.end..piece.end, text, Some(ins.edit));
                }
                None => {
                    leading.push(pair);
                    leading_edit.get_or_insert(ins.edit);
                }
            }
        }
        let Some(edit) = leading_edit else {
            return Ok(());
        };
        let pairs = leading.join(", ");
        if let Some(first_kept) = kept.first() {
            let at = self.inline_pair(map, *first_kept)?.start;
            self.splice(at..at, format!("{pairs}, "), Some(edit));
        } else if n > 0 {
            // Every pair goes: the new ones take the place of the first.
            let at = self.inline_pair(map, 0)?.start;
            self.splice(at..at, pairs, Some(edit));
        } else if src[open + 1..close].trim_matches([' ', '\t']).is_empty() {
            self.splice(open + 1..close, format!(" {pairs} "), Some(edit));
        } else {
            return Err(self.unsupported(open, "an empty inline table with comments"));
        }
        Ok(())
    }

    // ---- output ----

    fn check_conflicts(&mut self) -> Result<(), EditError> {
        let mut claims = self.claims.clone();
        claims.sort_by_key(|c| (c.range.start, c.range.end));
        for (i, c) in claims.iter().enumerate() {
            for d in claims[i + 1..]
                .iter()
                .take_while(|d| d.range.start < c.range.end)
            {
                if d.owner != c.owner {
                    return Err(EditError::Conflict {
                        location: self.loc(d.range.start),
                    });
                }
            }
        }
        for s in &self.splices {
            let Some(owner) = s.owner else { continue };
            for c in &claims {
                let overlaps = if s.start == s.end {
                    c.range.start < s.start && s.start < c.range.end
                } else {
                    s.start < c.range.end && c.range.start < s.end
                };
                if overlaps && c.owner != owner {
                    return Err(EditError::Conflict {
                        location: self.loc(s.start),
                    });
                }
            }
        }
        self.splices.sort();
        match self.splices.first_overlap() {
            Some(pos) => Err(EditError::Conflict {
                location: self.loc(pos),
            }),
            None => Ok(()),
        }
    }

    fn apply(self) -> String {
        self.splices.apply("", self.src)
    }
}
