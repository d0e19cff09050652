//! Indexing the text a step's edits produce without parsing all of it again.
//!
//! A step's edits are splices of the old text, and they usually touch a few lines of many
//! routes. Everything else keeps its structure; only its place in the text moves. So the next
//! index is built from the old one: each splice is assigned to the smallest run of sibling
//! children of a block collection that holds it (a *unit*: a route, an entry of a route, an
//! entry of a nested mapping), the unit's new text is parsed on its own, and its nodes are put
//! in place of the old ones while everything after each unit shifts by the bytes and lines
//! the splices added or removed.
//!
//! A unit's text runs from the start of the line of its first child to the start of the line of
//! whatever follows its last child, so it holds whole lines and nothing of its neighbours; on
//! its own it reads as a block collection at the same column, with the same children as the
//! whole text gives them, as long as:
//! - the text has no aliases (nothing outside a unit can refer into it) and the unit's new text
//!   has no anchors, tags, aliases or merge keys;
//! - the new text's first line has content at the collection's column or less, so that it
//!   cannot continue a scalar of the sibling before it (a blank line could join a `|+` scalar);
//! - the new text has no document markers or directives, no BOM, and parses to one block
//!   collection of the same kind at the same column followed only by comments and blank lines;
//! - the file is a single YAML document (not a stream, not JSON) without a BOM, ending with a
//!   line break, with nothing the scanner could not follow.
//!
//! Anything else — or a unit that cannot be made of whole lines — and the caller parses the
//! whole text instead. The result is the index a whole parse gives, node for node (see the
//! property test in `tests/yaml_properties_reindex.rs`; debug builds also compare every grafted
//! index with a whole parse). Verification of a run's result never uses a grafted index: it
//! parses the result text in full (`Document::verify`).

use std::collections::HashMap;

use super::YamlDocument;
use super::index::{self, EntrySpan, Index, Span, Spans, Style};
use super::limits::MAX_DEPTH;
use super::scan;
use crate::document::chunked::Chunked;
use crate::document::lines::Lines;
use crate::document::{Entry, Node, NodeId, NodeKind, Slot, Tree, Value};

/// Sibling children `first..=last` of the block collection `parent`, the text they take in the
/// old text (`start..end`, whole lines), and how many bytes the splices inside change it by.
#[derive(Clone, Copy, Debug)]
struct Unit {
    parent: NodeId,
    first: usize,
    last: usize,
    start: usize,
    end: usize,
    delta: isize,
    /// The furthest end of a splice inside.
    reach: usize,
}

/// A unit with its new text parsed.
struct Part {
    unit: Unit,
    /// Where the unit's text starts in the new text, and its first line there (0-based).
    new_start: usize,
    new_line: usize,
    tree: Tree,
    index: Index,
    /// Node ids of the old children's subtrees (`first..=last`).
    old_first: usize,
    old_last: usize,
}

struct Old<'a> {
    src: &'a str,
    tree: &'a Tree,
    index: &'a Index,
}

impl Old<'_> {
    fn style(&self, id: NodeId) -> Option<Style> {
        self.index.spans.get(id.index()).map(|s| s.style)
    }

    fn count(&self, id: NodeId) -> usize {
        match &self.tree.node(id).kind {
            NodeKind::Sequence(items) => items.len(),
            NodeKind::Mapping(entries) => entries.len(),
            _ => 0,
        }
    }

    /// The first character of child `k`: its `-`, or the start of its entry. `None` for an
    /// entry whose key is empty (`: value`): an empty node sits where the token before it ends,
    /// which may be in the sibling before, so the entry's place is not its own.
    fn first_char(&self, parent: NodeId, k: usize) -> Option<usize> {
        match self.style(parent)? {
            Style::BlockSeq => self.index.dashes(parent).get(k).copied(),
            Style::BlockMap => {
                let span = self.index.entry_spans(parent).get(k)?;
                let key = match &self.tree.node(parent).kind {
                    NodeKind::Mapping(entries) => entries.get(k)?.key_node,
                    _ => return None,
                };
                let empty_key = self.style(key) == Some(Style::Empty);
                (!span.complex && !empty_key).then_some(span.start())
            }
            _ => None,
        }
    }

    /// The start of the line of `pos`, if only spaces precede `pos` on it.
    fn line_of_first(&self, pos: usize) -> Option<usize> {
        let start = scan::line_start(self.src, pos);
        self.src.as_bytes()[start..pos]
            .iter()
            .all(|b| *b == b' ')
            .then_some(start)
    }

    /// The node child `k` stands for: an item, or an entry's value.
    fn child(&self, parent: NodeId, k: usize) -> Option<NodeId> {
        match &self.tree.node(parent).kind {
            NodeKind::Sequence(items) => items.get(k).copied(),
            NodeKind::Mapping(entries) => entries.get(k).map(|e| e.value),
            _ => None,
        }
    }

    /// The first node id of child `k`'s subtree (an entry's key comes first).
    fn child_first_id(&self, parent: NodeId, k: usize) -> Option<usize> {
        match &self.tree.node(parent).kind {
            NodeKind::Sequence(items) => items.get(k).map(|i| i.index()),
            NodeKind::Mapping(entries) => entries.get(k).map(|e| e.key_node.index()),
            _ => None,
        }
    }

    /// The last node of the subtree of `id` (nodes are numbered in document order).
    fn last_descendant(&self, mut id: NodeId) -> NodeId {
        loop {
            let next = match &self.tree.node(id).kind {
                NodeKind::Sequence(items) => items.last().copied(),
                NodeKind::Mapping(entries) => entries.last().map(|e| e.value),
                _ => None,
            };
            match next {
                Some(n) => id = n,
                None => return id,
            }
        }
    }

    /// Where the text after the block collection `parent` goes on: the start of the line of the
    /// next node in document order (the text's end when there is none).
    fn after(&self, parent: NodeId) -> Option<usize> {
        let next = self.last_descendant(parent).index() + 1;
        if next >= self.tree.nodes.len() {
            return Some(self.src.len());
        }
        if self.style(NodeId(next as u32)) == Some(Style::Empty) {
            return None;
        }
        let pos = match self.tree.nodes[next].parent? {
            (p, Slot::Key(k)) => self.index.entry_spans(p).get(k as usize)?.start(),
            (p, Slot::Item(k)) if self.style(p) == Some(Style::BlockSeq) => {
                *self.index.dashes(p).get(k as usize)?
            }
            _ => return None,
        };
        let line = self.line_of_first(pos)?;
        (line >= self.index.spans.get(parent.index())?.end).then_some(line)
    }

    /// The whole lines children `first..=last` of `parent` take.
    fn unit(&self, parent: NodeId, first: usize, last: usize) -> Option<Unit> {
        if !matches!(self.style(parent)?, Style::BlockSeq | Style::BlockMap) {
            return None;
        }
        let start = self.line_of_first(self.first_char(parent, first)?)?;
        let end = if last + 1 < self.count(parent) {
            self.line_of_first(self.first_char(parent, last + 1)?)?
        } else {
            self.after(parent)?
        };
        (start < end).then_some(Unit {
            parent,
            first,
            last,
            start,
            end,
            delta: 0,
            reach: 0,
        })
    }

    /// The smallest unit inside `parent` that holds the splice `s..e`. `indent` is the
    /// indentation of an insertion's first line (`None` when it has none or is not one): at a
    /// boundary between children it says whose the inserted text is.
    fn locate(&self, parent: NodeId, s: usize, e: usize, indent: Option<usize>) -> Option<Unit> {
        let style = self.style(parent)?;
        if !matches!(style, Style::BlockSeq | Style::BlockMap) {
            return None;
        }
        let column = self.index.spans.get(parent.index())?.indent;
        // How many children start on a line that starts at or before `pos` (before it, when
        // `strict`). A line starts at or before `p` exactly when its content starts by the end
        // of `p`'s line (`line_content_end`), so one scan gives the bound every child is
        // compared with.
        let starting_by = |pos: usize, strict: bool| {
            let last = if strict {
                match pos.checked_sub(1) {
                    Some(p) => p,
                    None => return 0,
                }
            } else {
                pos
            };
            let bound = scan::line_content_end(self.src, last);
            match style {
                Style::BlockSeq => self.index.dashes(parent).partition_point(|d| *d <= bound),
                _ => self
                    .index
                    .entry_spans(parent)
                    .partition_point(|es| es.start() <= bound),
            }
        };
        let k = starting_by(s, false);
        let i = k.checked_sub(1)?;
        let unit = self.unit(parent, i, i)?;
        let descend = |k: usize| -> Option<Unit> {
            let child = self.child(parent, k)?;
            self.locate(child, s, e, indent)
                .or_else(|| self.unit(parent, k, k))
        };
        if s == e {
            if s == unit.start {
                // Between child `i - 1` and child `i`, or before the first.
                return match indent {
                    Some(ind) if ind > column => match i {
                        0 => None,
                        _ => descend(i - 1),
                    },
                    Some(ind) if ind == column => Some(unit),
                    Some(_) => None,
                    None if i > 0 => self.unit(parent, i - 1, i),
                    None => None,
                };
            }
            if s == unit.end {
                // After the last child.
                return match indent {
                    Some(ind) if ind > column => descend(i),
                    Some(ind) if ind == column => Some(unit),
                    _ => None,
                };
            }
            if s > unit.end {
                return None;
            }
            return descend(i);
        }
        if s >= unit.end {
            return None;
        }
        let j = starting_by(e, true).checked_sub(1)?;
        if j == i {
            return if e <= unit.end { descend(i) } else { None };
        }
        let wide = self.unit(parent, i, j)?;
        (e <= wide.end).then_some(wide)
    }

    /// The unit one level up: the child of the grandparent that holds `unit`.
    fn lift(&self, unit: &Unit) -> Option<Unit> {
        match self.tree.node(unit.parent).parent? {
            (p, Slot::Item(k) | Slot::Value(k)) => self.unit(p, k as usize, k as usize),
            (_, Slot::Key(_)) => None,
        }
    }

    fn depth(&self, mut id: NodeId) -> usize {
        let mut depth = 0;
        while let Some((p, _)) = self.tree.node(id).parent {
            depth += 1;
            id = p;
        }
        depth
    }

    /// The smallest unit that holds both.
    fn merge(&self, a: Unit, b: Unit) -> Option<Unit> {
        let (mut a, mut b) = (a, b);
        let (delta, reach) = (a.delta + b.delta, a.reach.max(b.reach));
        while a.parent != b.parent {
            if self.depth(a.parent) >= self.depth(b.parent) {
                a = self.lift(&a)?;
            } else {
                b = self.lift(&b)?;
            }
        }
        let mut u = self.unit(a.parent, a.first.min(b.first), a.last.max(b.last))?;
        u.delta = delta;
        u.reach = reach;
        Some(u)
    }
}

/// The indentation of the first line of an inserted text, if it starts with spaces and then
/// something other than a break or a tab.
fn insertion_indent(text: &str) -> Option<usize> {
    let spaces = text.bytes().take_while(|b| *b == b' ').count();
    match text.as_bytes().get(spaces) {
        Some(b'\n' | b'\r' | b'\t') | None => None,
        Some(_) => Some(spaces),
    }
}

/// Whether a unit's new text can be parsed on its own in place of its old text, as far as
/// the text alone tells (see the module docs).
fn text_fits(text: &str, column: usize) -> bool {
    if text.is_empty() {
        return true;
    }
    if text.contains('\u{feff}') {
        return false;
    }
    let first_ok = insertion_indent(text).is_some_and(|ind| ind <= column);
    first_ok
        && text.split(['\n', '\r']).all(|line| {
            !(line.starts_with('%') || line.starts_with("---") || line.starts_with("..."))
        })
}

fn shift(pos: usize, by: isize) -> usize {
    pos.wrapping_add_signed(by)
}

/// The next document's index after `splices` (`(start, end, new length)`, sorted, in the old
/// text) turned `old`'s text into `text`, or `None` where the text must be parsed in full.
/// `old` stays as it is: its tree and index are copied.
pub(crate) fn graft(
    old: &YamlDocument,
    splices: &[crate::document::Changed],
    text: &str,
) -> Option<(Tree, Index, Lines)> {
    let (parts, new_lines) = plan(old, splices, text)?;
    let prev = Prev::Borrowed(&old.tree, &old.index);
    let (tree, index) = assemble(prev, &old.lines, &parts, text, &new_lines)?;
    Some((tree, index, new_lines))
}

/// [`graft`] from a document that is not needed afterwards: its tree and index become the
/// next one's, the nodes outside the edited parts moved rather than copied.
pub(crate) fn graft_owned(
    old: YamlDocument,
    splices: &[crate::document::Changed],
    text: &str,
) -> Option<(Tree, Index, Lines)> {
    let (parts, new_lines) = plan(&old, splices, text)?;
    let YamlDocument {
        tree, index, lines, ..
    } = old;
    let (tree, index) = assemble(Prev::Owned(tree, index), &lines, &parts, text, &new_lines)?;
    Some((tree, index, new_lines))
}

/// The edited parts of `old`'s text, each parsed on its own, and the lines of `text`.
fn plan(
    old: &YamlDocument,
    splices: &[crate::document::Changed],
    text: &str,
) -> Option<(Vec<Part>, Lines)> {
    let src = old.src();
    if old.stream
        || old.json
        || old.base != 0
        || text.starts_with('\u{feff}')
        || old.index.unsupported.is_some()
        || old.index.aliases
        || splices.is_empty()
        || !(src.ends_with('\n') || src.ends_with('\r'))
    {
        return None;
    }
    let root = old.tree.root?;
    let o = Old {
        src,
        tree: &old.tree,
        index: &old.index,
    };

    // Assign every splice to a unit; units that overlap, or that meet where a splice sits,
    // become one.
    let mut units: Vec<Unit> = Vec::new();
    let mut at: isize = 0;
    for &(s, e, len) in splices {
        let new_s = shift(s, at);
        let inserted = text.get(new_s..new_s + len)?;
        let indent = if s == e {
            insertion_indent(inserted)
        } else {
            None
        };
        let mut unit = o.locate(root, s, e, indent)?;
        let delta = len as isize - (e - s) as isize;
        at += delta;
        unit.delta = delta;
        unit.reach = e;
        while let Some(prev) = units.last() {
            let meets = unit.start == prev.end && s == unit.start && prev.reach == prev.end;
            if unit.start >= prev.end && !meets {
                break;
            }
            unit = o.merge(*prev, unit)?;
            units.pop();
        }
        units.push(unit);
    }

    // Parse each unit's new text on its own.
    let new_lines = Lines::new(text);
    let mut parts = Vec::with_capacity(units.len());
    let mut before: isize = 0;
    for unit in units {
        let new_start = shift(unit.start, before);
        let new_end = shift(unit.end, before + unit.delta);
        before += unit.delta;
        let piece = text.get(new_start..new_end)?;
        let parent_span = o.index.spans.get(unit.parent.index())?;
        if !text_fits(piece, parent_span.indent) {
            return None;
        }
        let (tree, index, seen) = index::build_counted(piece, &Lines::new(piece), false).ok()?;
        if seen.props || index.unsupported.is_some() {
            return None;
        }
        if o.depth(unit.parent) + seen.depth >= MAX_DEPTH {
            return None;
        }
        match tree.root {
            None => {
                if scan::skip_trivia(piece, 0) != piece.len() {
                    return None;
                }
            }
            Some(r) => {
                let span = index.spans.get(r.index())?;
                let merges = tree.nodes.iter().any(|n| match &n.kind {
                    NodeKind::Mapping(entries) => entries.iter().any(|e| e.key == "<<"),
                    _ => false,
                });
                // An empty key sits where the token before it ends: in the whole text, that
                // may be before the unit.
                let empty_key = match &tree.node(r).kind {
                    NodeKind::Mapping(entries) => entries.iter().any(|e| {
                        index.spans.get(e.key_node.index()).map(|s| s.style) == Some(Style::Empty)
                    }),
                    _ => false,
                };
                if r.index() != 0
                    || span.style != parent_span.style
                    || span.indent != parent_span.indent
                    || scan::skip_trivia(piece, span.end) != piece.len()
                    || merges
                    || empty_key
                {
                    return None;
                }
            }
        }
        let old_first = o.child_first_id(unit.parent, unit.first)?;
        let old_last = o.last_descendant(o.child(unit.parent, unit.last)?).index();
        parts.push(Part {
            unit,
            new_start,
            new_line: new_lines.line_of(new_start),
            tree,
            index,
            old_first,
            old_last,
        });
    }
    Some((parts, new_lines))
}

/// How ids, bytes and lines move after each part.
struct Moves {
    /// The new id of each old node outside the parts.
    ids: Vec<u32>,
    /// Per part: its old end, and the byte and line shift of everything from there.
    text: Vec<(usize, isize, isize)>,
}

impl Moves {
    fn id(&self, id: NodeId) -> NodeId {
        NodeId(self.ids[id.index()])
    }

    fn pos_shift(&self, pos: usize) -> (isize, isize) {
        let k = self.text.partition_point(|(end, _, _)| *end <= pos);
        k.checked_sub(1)
            .map_or((0, 0), |k| (self.text[k].1, self.text[k].2))
    }

    fn pos(&self, pos: usize) -> usize {
        shift(pos, self.pos_shift(pos).0)
    }
}

/// The old tree and index: the next one's nodes and lists are moved out of them when they are
/// not needed afterwards, else copied.
enum Prev<'a> {
    Owned(Tree, Index),
    Borrowed(&'a Tree, &'a Index),
}

impl Prev<'_> {
    fn tree(&self) -> &Tree {
        match self {
            Prev::Owned(tree, _) => tree,
            Prev::Borrowed(tree, _) => tree,
        }
    }

    fn index(&self) -> &Index {
        match self {
            Prev::Owned(_, index) => index,
            Prev::Borrowed(_, index) => index,
        }
    }

    fn node(&mut self, x: usize) -> Option<Node> {
        match self {
            Prev::Owned(tree, _) => tree.nodes.get_mut(x).map(|node| {
                let kind = std::mem::replace(&mut node.kind, NodeKind::Scalar(Value::Null));
                Node::new(kind, node.location(), node.parent)
            }),
            Prev::Borrowed(tree, _) => tree.nodes.get(x).cloned(),
        }
    }

    /// Frees the old nodes and spans before `x` when they are owned, so that the new table
    /// reuses their memory as it grows instead of both being alive whole.
    fn release_before(&mut self, x: usize) {
        if let Prev::Owned(tree, index) = self {
            tree.nodes.release_before(x);
            index.spans.release_before(x);
        }
    }

    fn entries(&mut self, k: usize) -> Option<Vec<EntrySpan>> {
        match self {
            Prev::Owned(_, index) => index.entries.get_mut(k).map(std::mem::take),
            Prev::Borrowed(_, index) => index.entries.get(k).cloned(),
        }
    }

    fn dashes(&mut self, k: usize) -> Option<Vec<usize>> {
        match self {
            Prev::Owned(_, index) => index.dashes.get_mut(k).map(std::mem::take),
            Prev::Borrowed(_, index) => index.dashes.get(k).cloned(),
        }
    }
}

/// Puts the parts in place of the old children and moves everything else.
fn assemble(
    mut prev: Prev<'_>,
    old_lines: &Lines,
    parts: &[Part],
    text: &str,
    lines: &Lines,
) -> Option<(Tree, Index)> {
    let old_count = prev.tree().nodes.len();
    let root = prev.tree().root;
    let mut moves = Moves {
        ids: Vec::with_capacity(old_count),
        text: Vec::with_capacity(parts.len()),
    };
    let (mut ids, mut bytes, mut line_shift) = (0isize, 0isize, 0isize);
    for p in parts {
        // Up to the part's last old node, ids move as after the parts before it.
        let to = (p.old_last + 1).min(old_count);
        let from = moves.ids.len();
        moves.ids.extend((from..to).map(|x| shift(x, ids) as u32));
        let sub = p.tree.nodes.len().saturating_sub(1);
        ids += sub as isize - (p.old_last + 1 - p.old_first) as isize;
        bytes += p.unit.delta;
        let new_end = shift(p.unit.end, bytes);
        let old_lines_in = old_lines.line_of(p.unit.end) - old_lines.line_of(p.unit.start);
        let new_lines_in = lines.line_of(new_end) - p.new_line;
        line_shift += new_lines_in as isize - old_lines_in as isize;
        moves.text.push((p.unit.end, bytes, line_shift));
    }
    let from = moves.ids.len();
    moves
        .ids
        .extend((from..old_count).map(|x| shift(x, ids) as u32));
    // The parents of parts and their ancestors: their ends, entries and dashes lie across
    // parts; every other node lies between two parts and moves as a whole.
    let mut wide = vec![false; old_count];
    for p in parts {
        let mut up = Some(p.unit.parent);
        while let Some(id) = up {
            if std::mem::replace(&mut wide[id.index()], true) {
                break;
            }
            up = prev.tree().nodes.get(id.index())?.parent.map(|(q, _)| q);
        }
    }
    // The parts of each parent, and the id of each part's first new node.
    let mut by_parent: HashMap<NodeId, Vec<usize>> = HashMap::new();
    for (k, p) in parts.iter().enumerate() {
        by_parent.entry(p.unit.parent).or_default().push(k);
    }
    let total = shift(old_count, ids);
    let mut nodes: Chunked<Node> = Chunked::with_capacity(total);
    let mut spans = Spans::with_capacity(total);
    let mut entries: Vec<Vec<EntrySpan>> = Vec::with_capacity(prev.index().entries.len());
    let mut dashes: Vec<Vec<usize>> = Vec::with_capacity(prev.index().dashes.len());
    let part_first: Vec<usize> = parts
        .iter()
        .map(|p| moves.id(NodeId(p.old_first as u32)).index())
        .collect();
    // New id of a part's node (`0` is the part's root, standing for the parent).
    let sub_id = |k: usize, id: NodeId| -> NodeId {
        if id.index() == 0 {
            moves.id(parts[k].unit.parent)
        } else {
            NodeId((part_first[k] + id.index() - 1) as u32)
        }
    };
    let mut resized: Vec<NodeId> = Vec::new();

    let mut push_old = |x: usize,
                        seg: usize,
                        nodes: &mut Chunked<Node>,
                        spans: &mut Spans,
                        entries: &mut Vec<Vec<EntrySpan>>,
                        dashes: &mut Vec<Vec<usize>>,
                        resized: &mut Vec<NodeId>|
     -> Option<()> {
        let id = NodeId(x as u32);
        // Old nodes are read in order, once: those before `x` are done with.
        prev.release_before(x);
        let node = prev.node(x)?;
        let old_span = prev.index().spans.get(x)?;
        let (by, lines_by) = seg
            .checked_sub(1)
            .map_or((0, 0), |k| (moves.text[k].1, moves.text[k].2));
        let wide = wide[x];
        let pos = |p: usize| if wide { moves.pos(p) } else { shift(p, by) };
        let mut span = Span {
            props: shift(old_span.props, by),
            start: shift(old_span.start, by),
            end: pos(old_span.end),
            ..old_span
        };
        let mut location = node.location();
        location.line = shift(location.line, lines_by);
        let grafts = if wide { by_parent.get(&id) } else { None };
        let kind = match node.kind {
            NodeKind::Scalar(v) => NodeKind::Scalar(v),
            NodeKind::Alias(_) => return None,
            NodeKind::Sequence(mut items) => {
                let mut own = if old_span.style == Style::BlockSeq {
                    prev.dashes(old_span.extra as usize)?
                } else {
                    Vec::new()
                };
                match grafts {
                    None => {
                        for i in &mut items {
                            *i = moves.id(*i);
                        }
                        for d in &mut own {
                            *d = pos(*d);
                        }
                    }
                    Some(grafts) => {
                        let (old_items, old_own) = (items, own);
                        items = Vec::with_capacity(old_items.len());
                        own = Vec::with_capacity(old_own.len());
                        let mut k = 0;
                        for &g in grafts {
                            let p = &parts[g];
                            items.extend(old_items[k..p.unit.first].iter().map(|i| moves.id(*i)));
                            own.extend(old_own.get(k..p.unit.first)?.iter().map(|d| pos(*d)));
                            if let Some(r) = p.tree.root {
                                if let NodeKind::Sequence(new) = &p.tree.node(r).kind {
                                    items.extend(new.iter().map(|i| sub_id(g, *i)));
                                }
                                own.extend(p.index.dashes(r).iter().map(|d| d + p.new_start));
                            }
                            k = p.unit.last + 1;
                        }
                        items.extend(old_items[k..].iter().map(|i| moves.id(*i)));
                        if old_span.style == Style::BlockSeq {
                            own.extend(old_own.get(k..)?.iter().map(|d| pos(*d)));
                        }
                    }
                }
                if old_span.style == Style::BlockSeq {
                    span.extra = dashes.len() as u32;
                    dashes.push(own);
                }
                NodeKind::Sequence(items)
            }
            NodeKind::Mapping(mut list) => {
                let mut own = match old_span.style {
                    Style::BlockMap | Style::FlowMap | Style::FlowPair => {
                        prev.entries(old_span.extra as usize)?
                    }
                    _ => Vec::new(),
                };
                let moved = |es: &mut EntrySpan| {
                    es.set_start(pos(es.start()));
                    es.set_colon(es.colon().map(pos));
                };
                let moved_entry = |e: &mut Entry| {
                    e.key_node = moves.id(e.key_node);
                    e.value = moves.id(e.value);
                };
                match grafts {
                    None => {
                        list.iter_mut().for_each(moved_entry);
                        own.iter_mut().for_each(moved);
                    }
                    Some(grafts) => {
                        let mut old_list = list.into_iter();
                        let mut old_own = own.into_iter();
                        list = Vec::with_capacity(old_list.len());
                        own = Vec::with_capacity(old_own.len());
                        let mut k = 0;
                        for &g in grafts {
                            let p = &parts[g];
                            for _ in k..p.unit.first {
                                let (mut e, mut es) = (old_list.next()?, old_own.next()?);
                                moved_entry(&mut e);
                                moved(&mut es);
                                list.push(e);
                                own.push(es);
                            }
                            // The part's old children.
                            for _ in p.unit.first..=p.unit.last {
                                old_list.next()?;
                                old_own.next()?;
                            }
                            if let Some(r) = p.tree.root {
                                if let NodeKind::Mapping(new) = &p.tree.node(r).kind {
                                    list.extend(new.iter().map(|e| Entry {
                                        key: e.key.clone(),
                                        key_node: sub_id(g, e.key_node),
                                        value: sub_id(g, e.value),
                                    }));
                                }
                                own.extend(p.index.entry_spans(r).iter().map(|es| {
                                    EntrySpan::new(
                                        es.start() + p.new_start,
                                        es.colon().map(|c| c + p.new_start),
                                        es.complex,
                                    )
                                }));
                            }
                            k = p.unit.last + 1;
                        }
                        for mut e in old_list {
                            moved_entry(&mut e);
                            list.push(e);
                        }
                        for mut es in old_own {
                            moved(&mut es);
                            own.push(es);
                        }
                    }
                }
                span.extra = entries.len() as u32;
                entries.push(own);
                NodeKind::Mapping(list)
            }
        };
        if let Some(grafts) = grafts {
            resized.push(NodeId(nodes.len() as u32));
            if grafts.first().is_some_and(|g| parts[*g].unit.first == 0) {
                // The first child is new: so is where the collection starts.
                let start = match &kind {
                    NodeKind::Sequence(_) => dashes.get(span.extra as usize)?.first().copied(),
                    NodeKind::Mapping(_) => entries
                        .get(span.extra as usize)?
                        .first()
                        .map(|es| es.start()),
                    _ => None,
                }?;
                if old_span.props == old_span.start {
                    span.props = start;
                }
                span.start = start;
                location = lines.location(text, start);
            }
        }
        nodes.push(Node::new(
            kind,
            location,
            node.parent.map(|(p, slot)| (moves.id(p), slot)),
        ));
        spans.push(span);
        Some(())
    };

    let mut cursor = 0;
    for (k, p) in parts.iter().enumerate() {
        for x in cursor..p.old_first {
            push_old(
                x,
                k,
                &mut nodes,
                &mut spans,
                &mut entries,
                &mut dashes,
                &mut resized,
            )?;
        }
        for (y, node) in p.tree.nodes.iter().enumerate().skip(1) {
            let sub_span = p.index.spans.at(y);
            let mut span = Span {
                props: sub_span.props + p.new_start,
                start: sub_span.start + p.new_start,
                end: sub_span.end + p.new_start,
                ..sub_span
            };
            let kind = match &node.kind {
                NodeKind::Scalar(v) => NodeKind::Scalar(v.clone()),
                NodeKind::Alias(_) => return None,
                NodeKind::Sequence(items) => {
                    if sub_span.style == Style::BlockSeq {
                        span.extra = dashes.len() as u32;
                        dashes.push(
                            p.index
                                .dashes(NodeId(y as u32))
                                .iter()
                                .map(|d| d + p.new_start)
                                .collect(),
                        );
                    }
                    NodeKind::Sequence(items.iter().map(|i| sub_id(k, *i)).collect())
                }
                NodeKind::Mapping(list) => {
                    span.extra = entries.len() as u32;
                    entries.push(
                        p.index
                            .entry_spans(NodeId(y as u32))
                            .iter()
                            .map(|es| {
                                EntrySpan::new(
                                    es.start() + p.new_start,
                                    es.colon().map(|c| c + p.new_start),
                                    es.complex,
                                )
                            })
                            .collect(),
                    );
                    NodeKind::Mapping(
                        list.iter()
                            .map(|e| Entry {
                                key: e.key.clone(),
                                key_node: sub_id(k, e.key_node),
                                value: sub_id(k, e.value),
                            })
                            .collect(),
                    )
                }
            };
            let mut location = node.location();
            location.line += p.new_line;
            nodes.push(Node::new(
                kind,
                location,
                node.parent.map(|(q, slot)| (sub_id(k, q), slot)),
            ));
            spans.push(span);
        }
        cursor = p.old_last + 1;
    }
    for x in cursor..old_count {
        push_old(
            x,
            parts.len(),
            &mut nodes,
            &mut spans,
            &mut entries,
            &mut dashes,
            &mut resized,
        )?;
    }
    if nodes.len() != total {
        return None;
    }

    // The children of a grafted parent changed places: their slots say so again.
    let mut ends: Vec<NodeId> = Vec::new();
    for &parent in &resized {
        let children: Vec<(NodeId, Slot)> = match &nodes[parent.index()].kind {
            NodeKind::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(k, c)| (*c, Slot::Item(k as u32)))
                .collect(),
            NodeKind::Mapping(list) => list
                .iter()
                .enumerate()
                .flat_map(|(k, e)| {
                    [
                        (e.key_node, Slot::Key(k as u32)),
                        (e.value, Slot::Value(k as u32)),
                    ]
                })
                .collect(),
            _ => Vec::new(),
        };
        if children.is_empty() {
            return None;
        }
        for (child, slot) in children {
            nodes.get_mut(child.index())?.parent = Some((parent, slot));
        }
        // It and its ancestors end where their last child ends.
        let mut up = Some(parent);
        while let Some(id) = up {
            ends.push(id);
            up = nodes[id.index()].parent.map(|(p, _)| p);
        }
    }
    ends.sort_unstable_by(|a, b| b.cmp(a));
    ends.dedup();
    for id in ends {
        let last = match &nodes[id.index()].kind {
            NodeKind::Sequence(items) => items.last().copied(),
            NodeKind::Mapping(list) => list.last().map(|e| e.value),
            _ => None,
        }?;
        let end = spans.get(last.index())?.end;
        spans.set_end(id.index(), end)?;
    }

    // The indentation step: the first block mapping nested deeper in a block mapping, as the
    // builder finds it.
    let indent_unit = nodes
        .iter()
        .zip(spans.iter())
        .find_map(|(node, span)| {
            let (p, _) = node.parent?;
            let parent = spans.get(p.index())?;
            (span.style == Style::BlockMap
                && parent.style == Style::BlockMap
                && span.indent > parent.indent)
                .then(|| span.indent - parent.indent)
        })
        .unwrap_or(2);
    let tree = Tree {
        nodes,
        root,
        aliases: Default::default(),
    };
    let index = Index {
        spans,
        entries,
        dashes,
        indent_unit,
        unsupported: None,
        aliases: false,
    };
    Some((tree, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Document, Edit, EditError, Format, Position, Value};

    const ROUTES: &str = "\
# head
log_level: info
routes:
  # route 0
  - from: https://a.example.com
    lb_policy: RANDOM
    set_request_headers:
      X-A: a # owner
    description: |
      Route 0.
  # route 1
  - from: https://b.example.com
    lb_policy: ROUND_ROBIN
    to: ['http://b:80']
tail: x
";

    /// Applies the edits `make` plans on `text` as one step of a chain: the next document's
    /// text, whether its index was grafted, and whether it is the index of a whole parse.
    fn step(
        doc: &Document,
        make: impl Fn(&Document) -> Vec<Edit>,
    ) -> Result<(Document, bool), EditError> {
        let mut expected = crate::document::DataEdits::default();
        let next = doc.apply_composed(&make(doc), &mut expected)?;
        let full = Document::parse_stream(next.text().to_owned())
            .ok()
            .filter(|_| doc.is_stream())
            .or_else(|| Document::parse(next.text().to_owned(), doc.format()).ok());
        let same =
            full.is_some_and(|f| f.backend_dump_for_debug() == next.backend_dump_for_debug());
        next.verify(&expected.expected_data(doc))?;
        let grafted = next.is_grafted();
        assert!(same, "not the index of a whole parse:\n{}", next.text());
        Ok((next, grafted))
    }

    fn rename_lb(doc: &Document) -> Vec<Edit> {
        let routes = doc.top("routes").map(|e| e.value);
        routes
            .map(|r| doc.items(r).to_vec())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| doc.get(item, "lb_policy"))
            .map(|e| Edit::RenameKey {
                entry: e.id,
                new_key: "load_balancing_policy".into(),
            })
            .collect()
    }

    fn parse(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(doc) => doc,
            Err(e) => panic!("{e}\n{text}"),
        }
    }

    #[test]
    fn edits_inside_routes_are_grafted() -> Result<(), EditError> {
        let doc = parse(ROUTES);
        let (next, grafted) = step(&doc, rename_lb)?;
        assert!(grafted);
        // Comment-outs, insertions at the end of a nested mapping and annotations too, then a
        // second step on the grafted document.
        let (next, grafted) = step(&next, |d| {
            let mut edits = Vec::new();
            let routes = d.top("routes").map(|e| e.value);
            for item in routes.map(|r| d.items(r).to_vec()).unwrap_or_default() {
                if let Some(e) = d.get(item, "load_balancing_policy") {
                    edits.push(Edit::CommentOut {
                        entry: e.id,
                        note: "gone".into(),
                    });
                }
                if let Some(h) = d.get(item, "set_request_headers") {
                    edits.push(Edit::Insert {
                        map: h.value,
                        position: Position::End,
                        key: "X-B".into(),
                        value: Value::String("b".into()),
                    });
                }
                if let Some(e) = d.get(item, "from") {
                    edits.push(Edit::Annotate {
                        entry: e.id,
                        text: "checked".into(),
                    });
                }
            }
            edits
        })?;
        assert!(grafted, "{}", next.text());
        let (_, grafted) = step(&next, |d| {
            d.top("tail")
                .map(|e| Edit::SetScalar {
                    node: e.value,
                    value: Value::String("y".into()),
                })
                .into_iter()
                .collect()
        })?;
        assert!(grafted);
        Ok(())
    }

    #[test]
    fn a_released_index_is_moved_into_the_next() -> Result<(), EditError> {
        // The input keeps its index; the intermediate document gives its own to the next step's
        // (debug builds compare each grafted index with a whole parse).
        let input = parse(ROUTES);
        let mut expected = crate::document::DataEdits::default();
        let mut middle = input.apply_composed(&rename_lb(&input), &mut expected)?;
        assert!(middle.is_grafted());
        let edits: Vec<Edit> = middle
            .top("tail")
            .map(|e| Edit::SetScalar {
                node: e.value,
                value: Value::String("z".into()),
            })
            .into_iter()
            .collect();
        let last = middle.apply_composed_releasing(&edits, &mut expected)?;
        assert!(last.is_grafted());
        assert!(!last.text().contains("lb_policy:") && last.text().ends_with("tail: z\n"));
        let full = parse(last.text());
        assert_eq!(last.backend_dump_for_debug(), full.backend_dump_for_debug());
        // The released document still answers from its text.
        assert_eq!(
            middle.backend_dump_for_debug(),
            parse(middle.text()).backend_dump_for_debug()
        );
        assert!(!expected.is_empty());
        last.verify(&expected.expected_data(&input))?;
        Ok(())
    }

    #[test]
    fn deleting_and_adding_routes_is_grafted() -> Result<(), EditError> {
        let doc = parse(ROUTES);
        let (next, grafted) = step(&doc, |d| {
            let routes = d.top("routes").map(|e| e.value);
            let first = routes.and_then(|r| d.items(r).first().copied());
            first
                .map(|item| Edit::DeleteItem { item })
                .into_iter()
                .collect()
        })?;
        assert!(grafted, "{}", next.text());
        let (_, grafted) = step(&next, |d| {
            d.top("log_level")
                .map(|e| Edit::Insert {
                    map: e.id.map,
                    position: Position::After(e.id),
                    key: "address".into(),
                    value: Value::String(":443".into()),
                })
                .into_iter()
                .collect()
        })?;
        assert!(grafted);
        Ok(())
    }

    #[test]
    fn aliases_boms_streams_json_and_texts_without_a_final_break_are_parsed_in_full()
    -> Result<(), EditError> {
        let with_alias = ROUTES.replace("RANDOM", "&p RANDOM") + "again: *p\n";
        let bom = format!("\u{feff}{ROUTES}");
        let no_break = ROUTES.trim_end().to_owned();
        for text in [with_alias.as_str(), &bom, &no_break] {
            let (_, grafted) = step(&parse(text), rename_lb)?;
            assert!(!grafted, "{text}");
        }
        let stream = Document::parse_stream(format!("{ROUTES}---\na: 1\n")).map_err(|e| {
            EditError::Verification {
                detail: e.to_string(),
            }
        })?;
        let (_, grafted) = step(&stream, |d| {
            let first = d.root().and_then(|r| d.items(r).first().copied());
            first
                .and_then(|doc| d.get(doc, "log_level"))
                .map(|e| Edit::RenameKey {
                    entry: e.id,
                    new_key: "level".into(),
                })
                .into_iter()
                .collect()
        })?;
        assert!(!grafted);
        let json =
            Document::parse("{\"a\": 1,\n \"b\": 2}\n".to_owned(), Format::Json).map_err(|e| {
                EditError::Verification {
                    detail: e.to_string(),
                }
            })?;
        let (_, grafted) = step(&json, |d| {
            d.top("a")
                .map(|e| Edit::RenameKey {
                    entry: e.id,
                    new_key: "c".into(),
                })
                .into_iter()
                .collect()
        })?;
        assert!(!grafted);
        Ok(())
    }

    #[test]
    fn anchors_tags_and_merge_keys_in_the_new_text_are_parsed_in_full() -> Result<(), EditError> {
        let doc = parse(ROUTES);
        let replace = |yaml: &'static str| {
            move |d: &Document| -> Vec<Edit> {
                let routes = d.top("routes").map(|e| e.value);
                let first = routes.and_then(|r| d.items(r).first().copied());
                first
                    .and_then(|item| d.get(item, "set_request_headers"))
                    .map(|e| Edit::ReplaceBlock {
                        node: e.value,
                        yaml: yaml.into(),
                    })
                    .into_iter()
                    .collect()
            }
        };
        for yaml in [
            "X-A: &a x\nX-B: y\n",
            "X-A: !!str 1\n",
            "<<: {X-B: y}\nX-A: a\n",
        ] {
            let (next, grafted) = step(&doc, replace(yaml))?;
            assert!(!grafted, "{}", next.text());
        }
        let (_, grafted) = step(&doc, replace("X-A: a\nX-B: b\n"))?;
        assert!(grafted);
        Ok(())
    }

    #[test]
    fn emptying_a_collection_grafts_the_entry_that_holds_it() -> Result<(), EditError> {
        // The collection cannot lose its last child in place: `{}` or `[]` replaces it, and the
        // unit is the entry around it.
        let doc = parse("a:\n  b: 1\nc:\n  - x\nd: 2\n");
        let (next, grafted) = step(&doc, |d| {
            let a = d.top("a").map(|e| e.value);
            let c = d.top("c").map(|e| e.value);
            let b = a
                .and_then(|m| d.get(m, "b"))
                .map(|e| Edit::Delete { entry: e.id });
            let x = c
                .and_then(|s| d.items(s).first().copied())
                .map(|item| Edit::DeleteItem { item });
            b.into_iter().chain(x).collect()
        })?;
        assert_eq!(next.text(), "a: {}\nc: []\nd: 2\n");
        assert!(grafted);
        Ok(())
    }

    #[test]
    fn an_empty_key_is_no_unit_boundary() -> Result<(), EditError> {
        // The empty key sits at the end of the line before it: editing that line moves it.
        let doc = parse("plain key: in-line value\n: # Both empty\n\"quoted key\":\n- entry\n");
        for edit in [
            |d: &Document| -> Vec<Edit> {
                d.top("plain key")
                    .map(|e| Edit::SetScalar {
                        node: e.value,
                        value: Value::String("new value".into()),
                    })
                    .into_iter()
                    .collect()
            },
            |d: &Document| -> Vec<Edit> {
                d.top("plain key")
                    .map(|e| Edit::RenameKey {
                        entry: e.id,
                        new_key: "renamed_key_x".into(),
                    })
                    .into_iter()
                    .collect()
            },
        ] {
            step(&doc, edit)?;
        }
        Ok(())
    }

    #[test]
    fn a_unit_text_must_start_with_content_no_deeper_than_its_collection() {
        assert!(text_fits("", 2));
        assert!(text_fits("  - a\n", 2));
        assert!(text_fits("# note\n  - a\n", 2));
        assert!(!text_fits(
            "    # deeper: it could join a scalar above\n  - a\n",
            2
        ));
        assert!(!text_fits("\n  - a\n", 2));
        assert!(!text_fits("\t- a\n", 2));
        assert!(!text_fits("- a\n---\n- b\n", 0));
        assert!(!text_fits("- a\n...\n", 0));
        assert!(!text_fits("%YAML 1.2\n- a\n", 0));
        assert!(!text_fits("- a\u{feff}\n", 0));
    }
}
