//! Turns a batch of [`Edit`]s into text splices and applies them in one pass.
//!
//! Every edit becomes one or more splices (replace a byte range by new text). Removals and
//! insertions are planned per mapping, so that several edits to one mapping agree (an emptied
//! mapping becomes `{}`, adjacent removals in a flow mapping share their commas). Overlapping
//! splices, and edits inside an entry that is being removed, are refused as conflicts.

mod block;
mod items;
mod replace;

use std::collections::{BTreeMap, BTreeSet};

use super::YamlDocument;
use super::emit::{self, Layout, Quote};
use super::index::{EntrySpan, Span, Style};
use super::scan;
use crate::document::splice::{self, SplicePlan};
use crate::document::{
    Changed, Edit, EditError, Entry, EntryId, NodeId, NodeKind, Position, Slot, Value,
};

#[derive(Clone)]
struct Removal {
    index: usize,
    note: Option<String>,
}

#[derive(Clone)]
struct Insertion {
    position: Position,
    key: String,
    value: Value,
}

pub(crate) struct Renderer<'a> {
    doc: &'a YamlDocument,
    /// The text the edits are planned on: the document's, without its BOM and ended by a line
    /// break (see [`splice::with_final_break`]); spans point into it.
    src: &'a str,
    /// Each splice's owner is the removed entry it belongs to, if any (for the nesting check).
    splices: SplicePlan<Option<EntryId>>,
    removals: BTreeMap<NodeId, Vec<Removal>>,
    inserts: BTreeMap<NodeId, Vec<Insertion>>,
    /// New key per renamed entry.
    renames: foldhash::HashMap<EntryId, String>,
    /// Text extents of removed entries: nothing else may change inside them.
    removed_extents: Vec<(usize, usize, EntryId)>,
    /// Comment lines to put above entries ([`Edit::Annotate`]), planned last.
    annotations: Vec<(usize, String)>,
    /// Items removed per sequence ([`Edit::DeleteItem`], [`Edit::CommentOutItem`]).
    item_removals: BTreeMap<NodeId, Vec<Removal>>,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(doc: &'a YamlDocument, src: &'a str) -> Renderer<'a> {
        Renderer {
            doc,
            src,
            splices: SplicePlan::default(),
            removals: BTreeMap::new(),
            inserts: BTreeMap::new(),
            renames: foldhash::HashMap::default(),
            removed_extents: Vec::new(),
            annotations: Vec::new(),
            item_removals: BTreeMap::new(),
        }
    }

    fn src(&self) -> &'a str {
        self.src
    }

    fn span(&self, id: NodeId) -> Span {
        self.doc.index.spans.at(id.index())
    }

    fn loc(&self, pos: usize) -> crate::document::Location {
        self.doc.location_at(pos)
    }

    fn layout(&self) -> Layout<'a> {
        let quote = self.quote_for(Style::Plain);
        Layout {
            eol: self.doc.eol,
            unit: self.doc.index.indent_unit,
            keys: quote,
            strings: quote,
        }
    }

    /// Plans a splice. At one point, text that does not belong to a removed entry goes first:
    /// an entry inserted at the end of a nested mapping lands where the next outer entry
    /// starts, and that entry's comment-out note and `# ` must follow the insertion, not
    /// swallow it.
    fn splice(&mut self, start: usize, end: usize, text: String, owner: Option<EntryId>) {
        self.splices.push(start..end, text, owner.is_some(), owner);
    }

    fn invalid(&self, node: NodeId, what: &'static str) -> EditError {
        EditError::Invalid {
            location: self.loc(self.span(node).start),
            what,
        }
    }

    fn unsupported(&self, pos: usize, what: &'static str) -> EditError {
        EditError::Unsupported {
            location: self.loc(pos),
            what,
        }
    }

    fn entry(&self, id: EntryId) -> Result<(&'a Entry, EntrySpan), EditError> {
        let tree = &self.doc.tree;
        if id.map.index() >= tree.nodes.len() {
            return Err(EditError::Invalid {
                location: crate::document::Location::default(),
                what: "the edit names a node of another document",
            });
        }
        let NodeKind::Mapping(entries) = &tree.node(id.map).kind else {
            return Err(self.invalid(id.map, "the edit needs a mapping here"));
        };
        let entry = entries
            .get(id.index)
            .ok_or_else(|| self.invalid(id.map, "the mapping has no such entry"))?;
        let span = self
            .doc
            .index
            .entry_spans(id.map)
            .get(id.index)
            .copied()
            .ok_or_else(|| self.invalid(id.map, "the mapping has no such entry"))?;
        Ok((entry, span))
    }

    fn check_node(&self, node: NodeId) -> Result<(), EditError> {
        if node.index() >= self.doc.tree.nodes.len() {
            return Err(EditError::Invalid {
                location: crate::document::Location::default(),
                what: "the edit names a node of another document",
            });
        }
        if self.doc.stream_root() == Some(node) {
            return Err(self.invalid(node, "the edit names the stream of documents itself"));
        }
        Ok(())
    }

    fn resolve(&self, mut node: NodeId) -> NodeId {
        while let NodeKind::Alias(t) = self.doc.tree.node(node).kind {
            node = t;
        }
        node
    }

    /// Refuses to drop text that holds an anchor some alias elsewhere still needs.
    fn check_anchors(&self, node: NodeId) -> Result<(), EditError> {
        let tree = &self.doc.tree;
        if let Some(anchored) = tree.anchors_used_outside(node).first() {
            let alias = tree
                .aliases_of(*anchored)
                .first()
                .copied()
                .unwrap_or(*anchored);
            return Err(EditError::AnchorInUse {
                location: self.loc(self.span(*anchored).props),
                alias_line: self.loc(self.span(alias).start).line,
            });
        }
        Ok(())
    }

    pub(crate) fn render(mut self, edits: &[Edit]) -> Result<String, EditError> {
        self.plan(edits)?;
        Ok(self.apply())
    }

    /// [`Renderer::render`], and where the text changed: `(start, end, new length)` of each
    /// splice, in order (for grafting the next index, see `super::graft`).
    pub(crate) fn render_with_splices(
        mut self,
        edits: &[Edit],
    ) -> Result<(String, Vec<Changed>), EditError> {
        self.plan(edits)?;
        let splices = (&self.splices)
            .into_iter()
            .map(|s| (s.start, s.end, s.text.len()))
            .collect();
        Ok((self.apply(), splices))
    }

    /// Plans every splice of the batch, sorted and checked for conflicts.
    fn plan(&mut self, edits: &[Edit]) -> Result<(), EditError> {
        if let Some((pos, what)) = self.doc.index.unsupported {
            return Err(self.unsupported(pos, what));
        }
        let mut seen = foldhash::HashSet::default();
        for edit in edits {
            // Steps reach one anchored entry through several routes: apply it once.
            if !seen.insert(edit) {
                continue;
            }
            self.add(edit)?;
        }
        self.plan_mappings()?;
        self.plan_sequences()?;
        self.plan_annotations();
        self.check_nesting()?;
        if let Some(pos) = self.overlaps() {
            return Err(EditError::Conflict {
                location: self.loc(pos),
            });
        }
        Ok(())
    }

    fn add(&mut self, edit: &Edit) -> Result<(), EditError> {
        match edit {
            Edit::RenameKey { entry, new_key } => self.rename(*entry, new_key),
            Edit::SetScalar { node, value } => {
                self.check_node(*node)?;
                if !value.is_scalar() {
                    return Err(self.invalid(*node, "a scalar can only be set to a scalar value"));
                }
                self.set_scalar(self.resolve(*node), value)
            }
            Edit::Insert {
                map,
                position,
                key,
                value,
            } => {
                self.check_node(*map)?;
                let map = self.resolve(*map);
                if let Position::After(e) = position {
                    self.entry(*e)?;
                    if e.map != map {
                        return Err(self.invalid(map, "`after` names an entry of another mapping"));
                    }
                }
                match self.span(map).style {
                    Style::BlockMap | Style::FlowMap => {}
                    Style::FlowPair => {
                        return Err(self.unsupported(self.span(map).start, "a flow pair"));
                    }
                    _ => {
                        return Err(self.invalid(map, "an entry can only be inserted in a mapping"));
                    }
                }
                self.inserts.entry(map).or_default().push(Insertion {
                    position: *position,
                    key: key.clone(),
                    value: value.clone(),
                });
                Ok(())
            }
            Edit::CommentOut { entry, note } => self.remove(*entry, Some(note.clone())),
            Edit::Delete { entry } => self.remove(*entry, None),
            Edit::ReplaceValue { node, value } => {
                self.check_node(*node)?;
                self.replace_value(*node, value)
            }
            Edit::Annotate { entry, text } => {
                let (_, es) = self.entry(*entry)?;
                if es.complex {
                    return Err(self.unsupported(es.start(), "a complex key"));
                }
                if self.span(entry.map).style != Style::BlockMap {
                    return Err(self.unsupported(
                        es.start(),
                        "an entry in a flow mapping cannot take a comment line",
                    ));
                }
                self.annotations.push((es.start(), text.clone()));
                Ok(())
            }
            Edit::DeleteItem { item } => self.remove_item(*item, None),
            Edit::CommentOutItem { item, note } => self.remove_item(*item, Some(note.clone())),
            Edit::AnnotateItem { item, text } => self.annotate_item(*item, text),
            Edit::ReplaceBlock { node, yaml } => {
                self.check_node(*node)?;
                self.replace_block(*node, yaml)
            }
        }
    }

    /// Comment lines above annotated entries. Planned after the mappings, so that at one offset
    /// an entry inserted after the previous entry comes first and the comment stays right
    /// above the entry it belongs to.
    fn plan_annotations(&mut self) {
        let src = self.src();
        let eol = self.doc.eol;
        for (start, text) in std::mem::take(&mut self.annotations) {
            let line = scan::line_start(src, start);
            let pad: String = src[line..start].chars().take_while(|c| *c == ' ').collect();
            let text: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            self.splice(line, line, format!("{pad}# {text}{eol}"), None);
        }
    }

    fn rename(&mut self, entry: EntryId, new_key: &str) -> Result<(), EditError> {
        let (e, es) = self.entry(entry)?;
        let key = self.span(e.key_node);
        if es.complex || !matches!(key.style, Style::Plain | Style::Single | Style::Double) {
            return Err(self.unsupported(es.start(), "a key that is not a plain or quoted scalar"));
        }
        if self.span(entry.map).style == Style::FlowPair {
            return Err(self.unsupported(es.start(), "a flow pair"));
        }
        let quote = self.quote_for(key.style);
        let text = emit::scalar(&Value::String(new_key.to_owned()), quote, key.in_flow);
        self.splice(key.start, key.end, text, None);
        self.renames.insert(entry, new_key.to_owned());
        Ok(())
    }

    fn set_scalar(&mut self, node: NodeId, value: &Value) -> Result<(), EditError> {
        let s = self.span(node);
        let text = match s.style {
            Style::Plain | Style::Single | Style::Double => {
                emit::scalar(value, self.quote_for(s.style), s.in_flow)
            }
            Style::Empty => {
                if self.entry_without_colon(node) {
                    return Err(self.unsupported(s.start, "a value without `:`"));
                }
                let text = emit::scalar(value, Quote::Plain, s.in_flow);
                let before = self.src().as_bytes().get(s.start.wrapping_sub(1)).copied();
                let sep = if matches!(before, Some(b' ' | b'\t') | None) {
                    ""
                } else {
                    " "
                };
                format!("{sep}{text}")
            }
            Style::Literal | Style::Folded => self.block_scalar_text(node, value, s),
            _ => return Err(self.invalid(node, "this node is not a scalar")),
        };
        match self.props_without_tags(s) {
            // A tag (`!!int`) would retype the new value: drop it, keep any anchor.
            Some(props) if s.style != Style::Empty => {
                self.splice(s.props, s.end, format!("{props}{text}"), None)
            }
            _ => self.splice(s.start, s.end, text, None),
        }
        Ok(())
    }

    /// The node's properties without its tag, when it has a tag.
    fn props_without_tags(&self, s: Span) -> Option<String> {
        let props = self.src().get(s.props..s.start)?;
        if !props.contains('!') {
            return None;
        }
        let anchors: Vec<&str> = props
            .split_whitespace()
            .filter(|t| t.starts_with('&'))
            .collect();
        Some(anchors.iter().map(|a| format!("{a} ")).collect())
    }

    /// Whether `node` is the value of an entry written without `:` (`? key` alone).
    fn entry_without_colon(&self, node: NodeId) -> bool {
        match self.doc.tree.node(node).parent {
            Some((parent, Slot::Value(i))) => self
                .doc
                .index
                .entry_spans(parent)
                .get(i as usize)
                .is_some_and(|e| e.colon().is_none()),
            _ => false,
        }
    }

    fn remove(&mut self, entry: EntryId, note: Option<String>) -> Result<(), EditError> {
        let (e, es) = self.entry(entry)?;
        if es.complex {
            return Err(self.unsupported(es.start(), "a complex key"));
        }
        match self.span(entry.map).style {
            Style::BlockMap => {}
            Style::FlowMap if note.is_none() => {}
            Style::FlowMap => {
                return Err(self.unsupported(
                    es.start(),
                    "an entry in a flow mapping cannot be commented out",
                ));
            }
            _ => return Err(self.unsupported(es.start(), "a flow pair")),
        }
        self.check_anchors(e.key_node)?;
        self.check_anchors(e.value)?;
        let end = self.span(e.value).end;
        self.removed_extents.push((es.start(), end, entry));
        self.removals.entry(entry.map).or_default().push(Removal {
            index: entry.index,
            note,
        });
        Ok(())
    }

    fn replace_value(&mut self, node: NodeId, value: &Value) -> Result<(), EditError> {
        let s = self.span(node);
        let scalar_like = s.style.is_scalar();
        if value.is_scalar() && scalar_like {
            return self.set_scalar(node, value);
        }
        self.check_anchors(node)?;
        let layout = self.layout();
        let empty_collection = matches!(value, Value::Mapping(m) if m.is_empty())
            || matches!(value, Value::Sequence(s) if s.is_empty());
        let flow_style = matches!(s.style, Style::FlowMap | Style::FlowSeq);
        if s.in_flow || flow_style || value.is_scalar() || empty_collection {
            let text = if s.in_flow || flow_style || !value.is_scalar() {
                emit::flow(value, &layout)
            } else {
                emit::scalar(value, Quote::Plain, false)
            };
            return match s.style {
                Style::BlockMap | Style::BlockSeq => {
                    let (from, _) = self.value_region(node)?;
                    self.splice(from, s.end, format!(" {text}"), None);
                    Ok(())
                }
                Style::Empty => self.set_scalar_text(node, text),
                _ => {
                    self.splice(s.start, s.end, text, None);
                    Ok(())
                }
            };
        }
        let (from, context) = self.value_region(node)?;
        let text = match context {
            Context::Entry(indent) => emit::block_after_key(value, indent, &layout),
            Context::Item(dash) => emit::block_item(value, dash, &layout),
        };
        self.splice(from, s.end, text, None);
        Ok(())
    }

    fn set_scalar_text(&mut self, node: NodeId, text: String) -> Result<(), EditError> {
        let s = self.span(node);
        let before = self.src().as_bytes().get(s.start.wrapping_sub(1)).copied();
        let sep = if matches!(before, Some(b' ' | b'\t') | None) {
            ""
        } else {
            " "
        };
        self.splice(s.start, s.end, format!("{sep}{text}"), None);
        Ok(())
    }

    /// Where a block value's region starts (just after its `:` or `-`) and what holds it.
    fn value_region(&self, node: NodeId) -> Result<(usize, Context), EditError> {
        let tree = &self.doc.tree;
        let Some((parent, slot)) = tree
            .node(node)
            .parent
            .filter(|(p, _)| self.doc.stream_root() != Some(*p))
        else {
            return Err(self.unsupported(self.span(node).start, "replacing the whole document"));
        };
        let ps = self.span(parent);
        match slot {
            Slot::Value(i) => {
                let colon = self
                    .doc
                    .index
                    .entry_spans(parent)
                    .get(i as usize)
                    .and_then(|e| e.colon())
                    .ok_or_else(|| {
                        self.unsupported(self.span(node).start, "a value without `:`")
                    })?;
                Ok((colon + 1, Context::Entry(ps.indent)))
            }
            Slot::Item(i) => {
                let dash = self
                    .doc
                    .index
                    .dashes(parent)
                    .get(i as usize)
                    .copied()
                    .ok_or_else(|| {
                        self.unsupported(self.span(node).start, "an item without `-`")
                    })?;
                Ok((dash + 1, Context::Item(self.column(dash))))
            }
            Slot::Key(_) => Err(self.unsupported(self.span(node).start, "a complex key")),
        }
    }

    /// When the text of `node`, once the batch is applied, ends with a block scalar (it, or the
    /// last descendant that the batch keeps, is one): whether that scalar keeps trailing blank
    /// lines (`+`). The batch's deletions inside `node` can leave a block scalar last that was
    /// not last before (`- |+` followed by a deleted item); a commented-out last entry or item,
    /// an entry inserted at the end (never a block scalar) or an emptied `{}`/`[]` ends the text
    /// otherwise. So the removals and insertions must all still be on record while planning.
    fn ends_in_block_scalar(&self, mut node: NodeId) -> Option<bool> {
        loop {
            let s = self.span(node);
            match (&self.doc.tree.node(node).kind, s.style) {
                (_, Style::Literal | Style::Folded) => {
                    return Some(scan::block_header(self.src(), s.start).keep);
                }
                (NodeKind::Mapping(e), Style::BlockMap) => {
                    let last = last_kept(self.removals.get(&node), e.len())?;
                    let inserted_after = self.inserts.get(&node).is_some_and(|ins| {
                        ins.iter().any(|i| match i.position {
                            Position::After(a) => a.index >= last,
                            Position::End => true,
                        })
                    });
                    if inserted_after {
                        return None;
                    }
                    node = e[last].value;
                }
                (NodeKind::Sequence(items), Style::BlockSeq) => {
                    node = items[last_kept(self.item_removals.get(&node), items.len())?];
                }
                _ => return None,
            }
        }
    }

    fn column(&self, pos: usize) -> usize {
        let src = self.src();
        src[scan::line_start(src, pos)..pos].chars().count()
    }

    fn key_quote(&self, map: NodeId) -> Quote {
        match &self.doc.tree.node(map).kind {
            NodeKind::Mapping(entries) => entries
                .first()
                .map_or(Quote::Plain, |e| quote_of(self.span(e.key_node).style)),
            _ => Quote::Plain,
        }
    }

    fn plan_mappings(&mut self) -> Result<(), EditError> {
        let maps: BTreeSet<NodeId> = self
            .removals
            .keys()
            .chain(self.inserts.keys())
            .copied()
            .collect();
        let checked: BTreeSet<NodeId> = maps
            .iter()
            .copied()
            .chain(self.renames.keys().map(|e| e.map))
            .collect();
        for map in checked {
            self.check_keys(map)?;
        }
        // Inner mappings first: an insertion at the end of a nested mapping and a comment
        // note for the entry after it can fall on the same offset, and the insertion must
        // come first there (it belongs to the text before that offset).
        for map in maps.into_iter().rev() {
            match self.span(map).style {
                Style::BlockMap => self.plan_block(map)?,
                _ => self.plan_flow(map)?,
            }
        }
        Ok(())
    }

    /// Refuses a batch that would leave two equal keys in a mapping.
    fn check_keys(&self, map: NodeId) -> Result<(), EditError> {
        let NodeKind::Mapping(entries) = &self.doc.tree.node(map).kind else {
            return Ok(());
        };
        let removed = self.removals.get(&map);
        let is_removed = |i: usize| removed.is_some_and(|r| r.iter().any(|r| r.index == i));
        let mut seen: foldhash::HashSet<&str> =
            foldhash::HashSet::with_capacity_and_hasher(entries.len() + 2, Default::default());
        let kept = entries.iter().enumerate().filter(|(i, _)| !is_removed(*i));
        let renamed = kept.map(|(i, e)| {
            self.renames
                .get(&EntryId { map, index: i })
                .map_or(e.key.as_str(), String::as_str)
        });
        let inserted = self
            .inserts
            .get(&map)
            .into_iter()
            .flatten()
            .map(|i| i.key.as_str());
        for k in renamed.chain(inserted) {
            if !k.is_empty() && !seen.insert(k) {
                return Err(EditError::DuplicateKey {
                    location: self.loc(self.span(map).start),
                    key: k.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Plans the removals and insertions of a block mapping: deletions by runs of neighbours,
    /// then insertions, then comment-outs (in this order, see below), and `{}` for a mapping
    /// that ends up with no entries.
    fn plan_block(&mut self, map: NodeId) -> Result<(), EditError> {
        let doc = self.doc;
        let NodeKind::Mapping(entries) = &doc.tree.node(map).kind else {
            return Ok(());
        };
        // Cloned, not taken: `ends_in_block_scalar` still reads them for enclosing containers.
        let mut removals = self.removals.get(&map).cloned().unwrap_or_default();
        removals.sort_by_key(|r| r.index);
        let inserts = self.inserts.get(&map).cloned().unwrap_or_default();
        let all_removed = removals.len() == entries.len() && inserts.is_empty();

        if all_removed && removals.iter().all(|r| r.note.is_none()) {
            // The whole mapping goes: write `{}` so that the value stays a mapping.
            let ms = self.span(map);
            let owner = Some(EntryId { map, index: 0 });
            match self.value_region(map) {
                Ok((from, Context::Entry(_))) if ms.props == ms.start => {
                    self.splice(from, ms.end, " {}".into(), owner)
                }
                _ => self.splice(ms.start, ms.end, "{}".into(), owner),
            }
            return Ok(());
        }

        let deleted: Vec<usize> = removals
            .iter()
            .filter(|r| r.note.is_none())
            .map(|r| r.index)
            .collect();
        self.delete_block_runs(map, entries, &deleted)?;
        // Insertions are planned before the comment-outs: an insertion and the note of the next
        // entry's comment-out can fall on one offset, and the insertion comes first there.
        self.insert_block_entries(map, entries, inserts);
        for r in &removals {
            if let Some(note) = &r.note {
                self.comment_out(map, entries, r.index, note);
            }
        }
        if all_removed {
            self.close_emptied_block(map, entries, &removals);
        }
        Ok(())
    }

    /// Where the value of entry `i` ends.
    fn value_end(&self, entries: &[Entry], i: usize) -> usize {
        self.span(entries[i].value).end
    }

    /// Deletes entries of a block mapping, by runs of neighbouring entries so that their ranges
    /// do not overlap.
    fn delete_block_runs(
        &mut self,
        map: NodeId,
        entries: &[Entry],
        deleted: &[usize],
    ) -> Result<(), EditError> {
        let src = self.src();
        let spans = self.doc.index.entry_spans(map);
        let ms = self.span(map);
        let n = entries.len();
        for (a, b) in splice::runs(deleted) {
            let owner = Some(EntryId { map, index: a });
            let start = spans[a].start();
            if scan::first_on_line(src, start) {
                let from = scan::line_start(src, start);
                let mut to = scan::next_line_start(src, self.value_end(entries, b));
                if a > 0
                    && let Some(keep) = self.ends_in_block_scalar(entries[a - 1].value)
                {
                    // Comments indented like its content (and, with `+`, blank lines) that
                    // followed the deleted entry would join the block scalar before it.
                    to = scan::lines_below(src, to, ms.indent, keep);
                }
                self.splice(from, to, String::new(), owner);
            } else if b + 1 < n {
                // `- a: 1` with `a` going: the next entry moves up onto the dash line.
                self.splice(start, spans[b + 1].start(), String::new(), owner);
            } else {
                return Err(self.unsupported(start, "removing every entry written after a `-`"));
            }
        }
        Ok(())
    }

    /// New entries of a block mapping, each on its own line after its anchor entry.
    fn insert_block_entries(
        &mut self,
        map: NodeId,
        entries: &[Entry],
        mut inserts: Vec<Insertion>,
    ) {
        let src = self.src();
        let ms = self.span(map);
        let n = entries.len();
        let layout = self.layout();
        let key_quote = self.key_quote(map);
        let pad = " ".repeat(ms.indent);
        // At one place, entries placed after a sibling come before those added at the end.
        inserts.sort_by_key(|i| matches!(i.position, Position::End));
        for ins in inserts {
            let anchor = match ins.position {
                Position::After(e) => e.index,
                Position::End => n.saturating_sub(1),
            };
            let key = emit::scalar(&Value::String(ins.key.clone()), key_quote, false);
            let body = emit::block_after_key(&ins.value, ms.indent, &layout);
            let at = scan::next_line_start(src, self.value_end(entries, anchor));
            let eol = self.doc.eol;
            self.splice(at, at, format!("{pad}{key}:{body}{eol}"), None);
        }
    }

    /// Comments out entry `index`: a note line, then each line of the entry behind `# `.
    fn comment_out(&mut self, map: NodeId, entries: &[Entry], index: usize, note: &str) {
        let owner = Some(EntryId { map, index });
        let start = self.doc.index.entry_spans(map)[index].start();
        let end = self.value_end(entries, index);
        self.comment_out_range(start, end, note, owner);
    }

    /// Comments out the text from `start` (a key, or an item's `-`) to `end`: a note line at
    /// `start`'s column, then each line behind `# `.
    fn comment_out_range(&mut self, start: usize, end: usize, note: &str, owner: Option<EntryId>) {
        let src = self.src();
        let column = self.column(start);
        let pad = " ".repeat(column);
        let note = note.replace(['\n', '\r'], " ");
        let eol = self.doc.eol;
        if scan::first_on_line(src, start) {
            let ls = scan::line_start(src, start);
            self.splice(ls, ls, format!("{pad}# {note}{eol}"), owner);
        } else {
            self.splice(start, start, format!("# {note}{eol}{pad}"), owner);
        }
        self.splice(start, start, "# ".into(), owner);
        let mut line = scan::next_line_start(src, start);
        while line < src.len() && line <= end {
            let content_end = scan::line_content_end(src, line);
            let spaces = src.as_bytes()[line..content_end]
                .iter()
                .take_while(|b| **b == b' ')
                .count();
            if line + spaces == content_end {
                self.splice(line, content_end, format!("{pad}#"), owner);
            } else {
                let at = line + spaces.min(column);
                self.splice(at, at, "# ".into(), owner);
            }
            line = scan::next_line_start(src, line);
        }
    }

    /// A mapping whose entries were all removed, some commented out: it stays, written `{}`.
    fn close_emptied_block(&mut self, map: NodeId, entries: &[Entry], removals: &[Removal]) {
        let src = self.src();
        let ms = self.span(map);
        let owner = Some(EntryId { map, index: 0 });
        match self.value_region(map) {
            Ok((from, Context::Entry(_))) if ms.props == ms.start => {
                self.splice(from, from, " {}".into(), owner)
            }
            _ => {
                // After the last commented-out entry (the deleted ones' lines are gone).
                let last = removals
                    .iter()
                    .filter(|r| r.note.is_some())
                    .map(|r| r.index)
                    .max()
                    .unwrap_or(entries.len() - 1);
                let at = scan::line_content_end(src, self.value_end(entries, last));
                let text = format!("{}{}{{}}", self.doc.eol, " ".repeat(self.column(ms.start)));
                self.splice(at, at, text, owner);
            }
        }
    }

    /// Plans the removals and insertions of a flow mapping (`{a: 1, b: 2}`, and every JSON
    /// object).
    fn plan_flow(&mut self, map: NodeId) -> Result<(), EditError> {
        let doc = self.doc;
        let ms = self.span(map);
        if ms.style != Style::FlowMap {
            return Err(self.unsupported(ms.start, "a flow pair"));
        }
        let NodeKind::Mapping(entries) = &doc.tree.node(map).kind else {
            return Ok(());
        };
        let mut removed: Vec<usize> = self
            .removals
            .get(&map)
            .into_iter()
            .flatten()
            .map(|r| r.index)
            .collect();
        removed.sort_unstable();
        let mut inserts = self.inserts.get(&map).cloned().unwrap_or_default();
        inserts.sort_by_key(|i| matches!(i.position, Position::End));

        // A new entry placed after an entry that goes takes that entry's place: its text is
        // replaced rather than removed, so the new entry stands where the old one stood.
        let mut replaced: Vec<usize> = Vec::new();
        for ins in &inserts {
            if let Position::After(e) = ins.position
                && removed.contains(&e.index)
                && !replaced.contains(&e.index)
            {
                replaced.push(e.index);
            }
        }
        removed.retain(|i| !replaced.contains(i));

        let flow = FlowMap {
            map,
            entries,
            spans: doc.index.entry_spans(map),
            span: ms,
            removed,
            replaced,
        };
        self.delete_flow_runs(&flow);
        self.insert_flow_entries(&flow, inserts)
    }

    /// Deletes entries of a flow mapping by runs of neighbours, each run with the comma that
    /// separates it from what stays.
    fn delete_flow_runs(&mut self, flow: &FlowMap<'_>) {
        let src = self.src();
        let (map, entries, spans, ms) = (flow.map, flow.entries, flow.spans, flow.span);
        let n = entries.len();
        let removed = &flow.removed;
        for (a, b) in splice::runs(removed) {
            let owner = Some(EntryId { map, index: a });
            if b + 1 < n {
                // One entry per line: take each entry's own lines (up to its comma) and keep
                // the blank lines and comments around them.
                let own_lines = |k: usize| {
                    let after = scan::skip_trivia_inline(src, self.value_end(entries, k));
                    let whole = self.multiline(flow, k)
                        && scan::first_on_line(src, spans[k].start())
                        && src.as_bytes().get(after) == Some(&b',')
                        && scan::rest_of_line_blank(src, after + 1);
                    whole.then(|| {
                        let from = scan::line_start(src, spans[k].start());
                        (from, scan::next_line_start(src, after))
                    })
                };
                let lines: Option<Vec<(usize, usize)>> = (a..=b).map(own_lines).collect();
                if let Some(lines) = lines {
                    for (k, (from, to)) in (a..=b).zip(lines) {
                        let owner = Some(EntryId { map, index: k });
                        self.splice(from, to, String::new(), owner);
                    }
                } else {
                    self.splice(spans[a].start(), spans[b + 1].start(), String::new(), owner);
                }
            } else if let Some(prev) = (0..a).rev().find(|p| !removed.contains(p)) {
                let (from, to) = (self.value_end(entries, prev), self.value_end(entries, b));
                self.splice(from, to, String::new(), owner);
            } else {
                // Nothing is left: `{}`, whatever spacing or line breaks were inside.
                self.splice(ms.start + 1, ms.end - 1, String::new(), owner);
            }
        }
    }

    /// Whether entry `i` of a flow mapping stands on another line than the mapping's `{`.
    fn multiline(&self, flow: &FlowMap<'_>, i: usize) -> bool {
        let lines = &self.doc.lines;
        lines.line_of(flow.spans[i].start()) != lines.line_of(flow.span.start)
    }

    /// A new value written after entry `a` of a flow mapping that stands on its own line: the
    /// entry's indentation, and the value spread over lines like the file's own.
    fn flow_lines(
        &self,
        flow: &FlowMap<'_>,
        a: usize,
        value: &Value,
        layout: &Layout<'_>,
    ) -> (&'a str, String) {
        let src = self.src();
        let start = flow.spans[a].start();
        let indent = &src[scan::line_start(src, start)..start];
        let outer = &src[scan::line_start(src, flow.span.start)..];
        let outer = &outer[..outer.len() - outer.trim_start_matches([' ', '\t']).len()];
        let unit = indent
            .strip_prefix(outer)
            .filter(|u| !u.is_empty())
            .unwrap_or("  ");
        (indent, emit::flow_lines(value, indent, unit, layout))
    }

    /// How new entries of a flow mapping are written: JSON-like (double quotes everywhere) when
    /// the file or the mapping's keys are.
    fn flow_layout(&self, map: NodeId) -> Layout<'a> {
        let json_like = self.doc.is_json() || self.key_quote(map) == Quote::Double;
        Layout {
            keys: if json_like {
                Quote::Double
            } else {
                self.key_quote(map)
            },
            strings: if json_like {
                Quote::Double
            } else {
                Quote::Plain
            },
            ..self.layout()
        }
    }

    /// New entries of a flow mapping: after their anchor (in its place when it goes), or at the
    /// front.
    fn insert_flow_entries(
        &mut self,
        flow: &FlowMap<'_>,
        inserts: Vec<Insertion>,
    ) -> Result<(), EditError> {
        let (map, entries, spans, ms) = (flow.map, flow.entries, flow.spans, flow.span);
        let (removed, replaced) = (&flow.removed, &flow.replaced);
        let n = entries.len();
        let layout = self.flow_layout(map);
        let eol = self.doc.eol;
        let kept = n - removed.len();
        let mut taken: Vec<usize> = Vec::new();
        for (count, ins) in (kept..).zip(inserts) {
            let key = emit::scalar(&Value::String(ins.key.clone()), layout.keys, true);
            let anchor = match ins.position {
                Position::After(e) => Some(e.index),
                Position::End => (0..n).rev().find(|i| !removed.contains(i)),
            };
            let pretty = |a: usize| self.flow_lines(flow, a, &ins.value, &layout);
            match anchor {
                Some(a) if spans[a].complex => {
                    return Err(self.unsupported(spans[a].start(), "a complex key"));
                }
                Some(a) if removed.contains(&a) => {
                    return Err(EditError::Conflict {
                        location: self.loc(spans[a].start()),
                    });
                }
                Some(a) if replaced.contains(&a) && !taken.contains(&a) => {
                    taken.push(a);
                    let value = if self.multiline(flow, a) {
                        pretty(a).1
                    } else {
                        emit::flow(&ins.value, &layout)
                    };
                    let owner = Some(EntryId { map, index: a });
                    let end = self.value_end(entries, a);
                    self.splice(spans[a].start(), end, format!("{key}: {value}"), owner);
                }
                Some(a) if count > 0 || replaced.contains(&a) => {
                    let at = self.value_end(entries, a);
                    if self.multiline(flow, a) {
                        let (indent, value) = pretty(a);
                        let text = format!(",{eol}{indent}{key}: {value}");
                        self.splice(at, at, text, None);
                    } else {
                        let value = emit::flow(&ins.value, &layout);
                        self.splice(at, at, format!(", {key}: {value}"), None);
                    }
                }
                _ => {
                    // At the front: before the kept entries, or one after another in an empty
                    // mapping.
                    let value = emit::flow(&ins.value, &layout);
                    let text = match (kept > 0, count > 0) {
                        (true, _) => format!("{key}: {value}, "),
                        (false, true) => format!(", {key}: {value}"),
                        (false, false) => format!("{key}: {value}"),
                    };
                    self.splice(ms.start + 1, ms.start + 1, text, None);
                }
            }
        }
        Ok(())
    }

    /// Refuses edits inside an entry that the same batch removes.
    fn check_nesting(&self) -> Result<(), EditError> {
        let mut extents = self.removed_extents.clone();
        extents.sort_by_key(|e| (e.0, std::cmp::Reverse(e.1)));
        for s in &self.splices {
            // The last extent starting at or before the splice is the innermost candidate;
            // nested extents are themselves splice owners and are checked the same way.
            let idx = extents.partition_point(|e| e.0 <= s.start);
            for e in extents[..idx].iter().rev().take(8) {
                let inside = s.start >= e.0
                    && s.end <= e.1
                    && !(s.start == s.end && (s.start == e.0 || s.start == e.1));
                if inside && s.owner != Some(e.2) {
                    return Err(EditError::Conflict {
                        location: self.loc(s.start),
                    });
                }
            }
        }
        Ok(())
    }

    /// The new text (without the BOM); the splices are sorted by [`Renderer::overlaps`], which
    /// runs first.
    fn apply(self) -> String {
        self.splices.apply("", self.src())
    }

    /// Sorts the splices and finds the first that overlaps another (run before
    /// [`Renderer::apply`]).
    pub(crate) fn overlaps(&mut self) -> Option<usize> {
        self.splices.sort();
        self.splices.first_overlap()
    }
}

/// A flow mapping being planned: its entries and which of them go.
struct FlowMap<'d> {
    map: NodeId,
    entries: &'d [Entry],
    spans: &'d [EntrySpan],
    span: Span,
    /// Entries that go (sorted), other than those a new entry takes the place of.
    removed: Vec<usize>,
    /// Entries whose place a new entry takes.
    replaced: Vec<usize>,
}

enum Context {
    /// A mapping value; the mapping's column.
    Entry(usize),
    /// A sequence item; the dash's column.
    Item(usize),
}

impl Renderer<'_> {
    /// The quote style for a new string where a node of `style` was: its own, except that JSON
    /// has only double quotes.
    fn quote_for(&self, style: Style) -> Quote {
        if self.doc.is_json() {
            Quote::Double
        } else {
            quote_of(style)
        }
    }
}

/// The last of `len` entries or items that the batch does not delete, given the container's
/// removals; `None` when that one is commented out (its `# ` lines end the container's text) or
/// when none is left. Of two removals of one index the first planned counts, as in planning.
fn last_kept(removals: Option<&Vec<Removal>>, len: usize) -> Option<usize> {
    for i in (0..len).rev() {
        match removals.and_then(|rs| rs.iter().find(|r| r.index == i)) {
            None => return Some(i),
            Some(r) if r.note.is_some() => return None,
            Some(_) => {}
        }
    }
    None
}

fn quote_of(style: Style) -> Quote {
    match style {
        Style::Single => Quote::Single,
        Style::Double => Quote::Double,
        _ => Quote::Plain,
    }
}
