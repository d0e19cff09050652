//! Edits of sequence items: [`Edit::DeleteItem`], [`Edit::CommentOutItem`] and
//! [`Edit::AnnotateItem`] (`Edit` in `crate::document`).
//!
//! Items are planned per sequence, like entries per mapping: runs of neighbouring deleted items
//! go as one range, a sequence left with no item is written `[]` so that it stays a sequence, and
//! a commented-out item's lines get `# ` under a note at the dash's column. In a flow sequence
//! (and JSON) an item goes with the comma that separates it from what stays; a comment cannot
//! stand there, so only deletion is possible.

use super::{Context, Removal, Renderer};
use crate::document::splice;
use crate::document::{EditError, EntryId, NodeId, NodeKind, Slot};
use crate::yaml::index::Style;
use crate::yaml::scan;

impl Renderer<'_> {
    /// The sequence holding `item` and the item's index, for an item of a block or flow
    /// sequence (not a whole document of a stream).
    pub(super) fn item(&self, item: NodeId) -> Result<(NodeId, usize), EditError> {
        self.check_node(item)?;
        let Some((seq, Slot::Item(i))) = self.doc.tree.node(item).parent else {
            return Err(self.invalid(item, "the edit needs an item of a sequence"));
        };
        if self.doc.stream_root() == Some(seq) {
            return Err(self.unsupported(
                self.span(item).props,
                "removing or annotating a whole document of a stream",
            ));
        }
        Ok((seq, i as usize))
    }

    /// Where an item's text starts: its `-` in a block sequence, its properties in a flow one.
    fn item_start(&self, seq: NodeId, i: usize, item: NodeId) -> Option<usize> {
        match self.span(seq).style {
            Style::BlockSeq => self.doc.index.dashes(seq).get(i).copied(),
            _ => Some(self.span(item).props),
        }
    }

    pub(super) fn remove_item(
        &mut self,
        item: NodeId,
        note: Option<String>,
    ) -> Result<(), EditError> {
        let (seq, i) = self.item(item)?;
        match self.span(seq).style {
            Style::BlockSeq => {}
            Style::FlowSeq if note.is_none() => {}
            Style::FlowSeq => {
                return Err(self.unsupported(
                    self.span(item).props,
                    "an item in a flow sequence cannot be commented out",
                ));
            }
            _ => return Err(self.invalid(item, "the edit needs an item of a sequence")),
        }
        self.check_anchors(item)?;
        let start = self
            .item_start(seq, i, item)
            .ok_or_else(|| self.unsupported(self.span(item).start, "an item without `-`"))?;
        let owner = EntryId { map: seq, index: i };
        self.removed_extents
            .push((start, self.span(item).end, owner));
        self.item_removals
            .entry(seq)
            .or_default()
            .push(Removal { index: i, note });
        Ok(())
    }

    pub(super) fn annotate_item(&mut self, item: NodeId, text: &str) -> Result<(), EditError> {
        let (seq, i) = self.item(item)?;
        if self.span(seq).style != Style::BlockSeq {
            return Err(self.unsupported(
                self.span(item).props,
                "an item in a flow sequence cannot take a comment line",
            ));
        }
        let dash = self
            .item_start(seq, i, item)
            .ok_or_else(|| self.unsupported(self.span(item).start, "an item without `-`"))?;
        self.annotations.push((dash, text.to_owned()));
        Ok(())
    }

    /// Plans the removals of every sequence that has some.
    pub(super) fn plan_sequences(&mut self) -> Result<(), EditError> {
        // Inner sequences first, as for mappings (see `plan_mappings`).
        let seqs: Vec<NodeId> = self.item_removals.keys().rev().copied().collect();
        for seq in seqs {
            // Cloned, not taken: `ends_in_block_scalar` still reads them for enclosing sequences.
            let mut removals = self.item_removals.get(&seq).cloned().unwrap_or_default();
            removals.sort_by_key(|r| r.index);
            removals.dedup_by_key(|r| r.index);
            match self.span(seq).style {
                Style::BlockSeq => self.plan_block_seq(seq, &removals)?,
                _ => self.plan_flow_seq(seq, &removals),
            }
        }
        Ok(())
    }

    fn items_of(&self, seq: NodeId) -> &[NodeId] {
        match &self.doc.tree.node(seq).kind {
            NodeKind::Sequence(items) => items,
            _ => &[],
        }
    }

    /// Deleted runs, then comment-outs, then `[]` for a sequence left with no item.
    fn plan_block_seq(&mut self, seq: NodeId, removals: &[Removal]) -> Result<(), EditError> {
        let doc = self.doc;
        let items = match &doc.tree.node(seq).kind {
            NodeKind::Sequence(items) => items.as_slice(),
            _ => return Ok(()),
        };
        let dashes = doc.index.dashes(seq);
        let ss = self.span(seq);
        let all_removed = removals.len() == items.len();
        if all_removed && removals.iter().all(|r| r.note.is_none()) {
            let owner = Some(EntryId { map: seq, index: 0 });
            match self.value_region(seq) {
                Ok((from, Context::Entry(_))) if ss.props == ss.start => {
                    self.splice(from, ss.end, " []".into(), owner)
                }
                _ => self.splice(ss.start, ss.end, "[]".into(), owner),
            }
            return Ok(());
        }
        let src = self.src();
        let deleted: Vec<usize> = removals
            .iter()
            .filter(|r| r.note.is_none())
            .map(|r| r.index)
            .collect();
        let column = self.column(ss.start);
        for (a, b) in splice::runs(&deleted) {
            let owner = Some(EntryId { map: seq, index: a });
            let start = dashes[a];
            if scan::first_on_line(src, start) {
                let from = scan::line_start(src, start);
                let mut to = scan::next_line_start(src, self.span(items[b]).end);
                if a > 0
                    && let Some(keep) = self.ends_in_block_scalar(items[a - 1])
                {
                    // Lines that would join the block scalar before the run go with it.
                    to = scan::lines_below(src, to, column, keep);
                }
                self.splice(from, to, String::new(), owner);
            } else if b + 1 < items.len() {
                // `- - a` with `a` going: the next item moves up onto the outer dash line.
                self.splice(start, dashes[b + 1], String::new(), owner);
            } else {
                return Err(self.unsupported(start, "removing every item written after a `-`"));
            }
        }
        for r in removals {
            if let Some(note) = &r.note {
                let owner = Some(EntryId {
                    map: seq,
                    index: r.index,
                });
                let end = self.span(items[r.index]).end;
                self.comment_out_range(dashes[r.index], end, note, owner);
            }
        }
        if all_removed {
            let owner = Some(EntryId { map: seq, index: 0 });
            match self.value_region(seq) {
                Ok((from, Context::Entry(_))) if ss.props == ss.start => {
                    self.splice(from, from, " []".into(), owner)
                }
                _ => {
                    let last = removals
                        .iter()
                        .filter(|r| r.note.is_some())
                        .map(|r| r.index)
                        .max()
                        .unwrap_or(items.len() - 1);
                    let at = scan::line_content_end(src, self.span(items[last]).end);
                    let text = format!("{}{}[]", self.doc.eol, " ".repeat(column));
                    self.splice(at, at, text, owner);
                }
            }
        }
        Ok(())
    }

    /// Removes items of a flow sequence by runs of neighbours, each run with the comma that
    /// separates it from what stays; `[]` when nothing stays.
    fn plan_flow_seq(&mut self, seq: NodeId, removals: &[Removal]) {
        let items = self.items_of(seq).to_vec();
        let ss = self.span(seq);
        let removed: Vec<usize> = removals.iter().map(|r| r.index).collect();
        for (a, b) in splice::runs(&removed) {
            let owner = Some(EntryId { map: seq, index: a });
            if b + 1 < items.len() {
                let (from, to) = (self.span(items[a]).props, self.span(items[b + 1]).props);
                self.splice(from, to, String::new(), owner);
            } else if let Some(prev) = (0..a).rev().find(|p| !removed.contains(p)) {
                let (from, to) = (self.span(items[prev]).end, self.span(items[b]).end);
                self.splice(from, to, String::new(), owner);
            } else {
                self.splice(ss.start + 1, ss.end - 1, String::new(), owner);
            }
        }
    }
}
