//! The data a batch of edits means to produce, computed on the data model alone.
//!
//! This is the other half of verification: the backend edits text, this module edits data, and
//! the two must agree. An edited node may appear at several data paths (anchors and aliases);
//! the edit is applied at each of them, as the re-parsed text will show it.

use std::collections::HashMap;

use super::value::{DataSeg, lookup_mut};
use super::{Document, Edit, EditError, EntryId, NodeId, PathsError, Position, Value};

/// More paths than this to one node means an alias bomb, not a config.
const PATH_LIMIT: usize = 100_000;

pub(super) fn expected_data(doc: &Document, edits: &[Edit]) -> Result<Value, EditError> {
    if doc.tree().root.is_none() {
        return Ok(Value::Null);
    }
    // The format parser's own data (for JSON, serde_json's), not the tree's.
    expected_data_from(doc, doc.data(), edits)
}

/// [`expected_data`] starting from `data`, the data `doc` is meant to have (composed through the
/// steps before it) rather than the data it has.
pub(super) fn expected_data_from(
    doc: &Document,
    data: Value,
    edits: &[Edit],
) -> Result<Value, EditError> {
    if doc.tree().root.is_none() {
        return Ok(Value::Null);
    }
    let mut expect = Expectation {
        doc,
        data,
        inserted_after: HashMap::new(),
    };
    let mut items_removed = false;
    for edit in in_data_order(doc, edits) {
        match edit {
            Edit::SetScalar { node, value } | Edit::ReplaceValue { node, value } => {
                expect.set(*node, value)?;
            }
            Edit::ReplaceBlock { node, yaml } => {
                let (value, _) =
                    crate::yaml::replacement_data(yaml).map_err(|what| EditError::Invalid {
                        location: doc.location(*node),
                        what,
                    })?;
                expect.set(*node, &value)?;
            }
            Edit::DeleteItem { item } | Edit::CommentOutItem { item, .. } => {
                expect.mark_removed(*item)?;
                items_removed = true;
            }
            Edit::AnnotateItem { item, .. } => {
                expect.item_of(*item)?;
            }
            Edit::Insert {
                map,
                position,
                key,
                value,
            } => expect.insert(*map, *position, key, value)?,
            Edit::CommentOut { entry, .. } | Edit::Delete { entry } => expect.remove(*entry)?,
            Edit::RenameKey { entry, new_key } => expect.rename(*entry, new_key)?,
            // A comment: the data stays as it is, but the entry must exist.
            Edit::Annotate { entry, .. } => {
                expect.key_of(*entry)?;
            }
        }
    }
    if items_removed {
        sweep_removed(&mut expect.data);
    }
    Ok(expect.data)
}

/// What a removed sequence item is replaced by until every edit is applied: the paths of later
/// edits (taken from the unedited tree) still count the item. No parser produces this float
/// spelling (it holds a NUL), so it cannot be confused with data.
fn removed_item() -> Value {
    Value::Float("\u{0}removed item".to_owned())
}

/// Takes the removed items out of every sequence.
fn sweep_removed(data: &mut Value) {
    match data {
        Value::Sequence(items) => {
            let marker = removed_item();
            items.retain(|v| *v != marker);
            items.iter_mut().for_each(sweep_removed);
        }
        Value::Mapping(entries) => entries.iter_mut().for_each(|(_, v)| sweep_removed(v)),
        _ => {}
    }
}

/// The edits in the order they apply to the data. Paths are taken from the unedited tree, so
/// edits that change keys or remove entries go last: values first, then insertions, removals
/// and renames. Renames go deepest first, so that renaming an outer key does not hide an inner
/// one.
fn in_data_order<'e>(doc: &Document, edits: &'e [Edit]) -> Vec<&'e Edit> {
    let tree = doc.tree();
    let depth = |mut node: NodeId| {
        let mut d = 0usize;
        while let Some((parent, _)) = tree.node(node).parent {
            node = parent;
            d += 1;
        }
        d
    };
    let rank = |e: &Edit| match e {
        Edit::SetScalar { .. }
        | Edit::ReplaceValue { .. }
        | Edit::ReplaceBlock { .. }
        | Edit::Annotate { .. }
        | Edit::AnnotateItem { .. } => (0, 0),
        Edit::Insert { .. } => (1, 0),
        Edit::CommentOut { .. }
        | Edit::Delete { .. }
        | Edit::DeleteItem { .. }
        | Edit::CommentOutItem { .. } => (2, 0),
        Edit::RenameKey { entry, .. } => (3, usize::MAX - depth(entry.map)),
    };
    let mut ordered: Vec<&Edit> = edits.iter().collect();
    ordered.sort_by_key(|e| rank(e));
    ordered
}

/// The data being edited, and what it needs to place the next edit.
struct Expectation<'d> {
    doc: &'d Document,
    data: Value,
    /// How many entries earlier edits already inserted after each anchor entry.
    inserted_after: HashMap<EntryId, usize>,
}

impl Expectation<'_> {
    /// Every data path of a node (several with aliases).
    fn paths(&self, node: NodeId) -> Result<Vec<Vec<DataSeg>>, EditError> {
        let doc = self.doc;
        doc.tree()
            .data_paths(node, PATH_LIMIT)
            .map_err(|e| match e {
                PathsError::TooMany => EditError::TooManyAliases {
                    location: doc.location(node),
                },
                PathsError::InKey(at) => EditError::AliasedKey {
                    location: doc.location(node),
                    alias_line: doc.location(at).line,
                },
            })
    }

    fn key_of(&self, entry: EntryId) -> Result<Value, EditError> {
        match self.doc.entry(entry) {
            Some(e) => Ok(self.doc.tree().data(e.key_node)),
            None => Err(EditError::Invalid {
                location: self.doc.location(entry.map),
                what: "the entry to edit does not exist",
            }),
        }
    }

    /// The sequence holding `item` and the item's index in it.
    fn item_of(&self, item: NodeId) -> Result<(NodeId, usize), EditError> {
        let tree = self.doc.tree();
        let invalid = |what| EditError::Invalid {
            location: if item.index() < tree.nodes.len() {
                self.doc.location(item)
            } else {
                super::Location::default()
            },
            what,
        };
        if item.index() >= tree.nodes.len() {
            return Err(invalid("the edit names a node of another document"));
        }
        match tree.node(item).parent {
            Some((seq, super::Slot::Item(i))) => Ok((seq, i as usize)),
            _ => Err(invalid("the edit needs an item of a sequence")),
        }
    }

    /// Marks `item` removed at every path where it appears (see [`removed_item`]).
    fn mark_removed(&mut self, item: NodeId) -> Result<(), EditError> {
        self.item_of(item)?;
        for path in self.paths(item)? {
            if let Some(slot) = lookup_mut(&mut self.data, &path) {
                *slot = removed_item();
            }
        }
        Ok(())
    }

    /// Calls `f` on the mapping at every path of `map`.
    fn each_mapping(
        &mut self,
        map: NodeId,
        mut f: impl FnMut(&mut Vec<(Value, Value)>),
    ) -> Result<(), EditError> {
        for path in self.paths(map)? {
            if let Some(Value::Mapping(entries)) = lookup_mut(&mut self.data, &path) {
                f(entries);
            }
        }
        Ok(())
    }

    fn set(&mut self, node: NodeId, value: &Value) -> Result<(), EditError> {
        if self.doc.is_stream() && self.doc.root() == Some(node) {
            return Err(EditError::Invalid {
                location: self.doc.location(node),
                what: "the edit names the stream of documents itself",
            });
        }
        for path in self.paths(node)? {
            if let Some(slot) = lookup_mut(&mut self.data, &path) {
                *slot = value.clone();
            }
        }
        Ok(())
    }

    fn insert(
        &mut self,
        map: NodeId,
        position: Position,
        key: &str,
        value: &Value,
    ) -> Result<(), EditError> {
        let (after, skip) = match position {
            Position::After(entry) => {
                // Several inserts after one entry keep their batch order.
                let count = self.inserted_after.entry(entry).or_default();
                *count += 1;
                let skip = *count - 1;
                (Some(self.key_of(entry)?), skip)
            }
            Position::End => (None, 0),
        };
        self.each_mapping(map, |entries| {
            let at = match &after {
                Some(k) => entries
                    .iter()
                    .position(|(ek, _)| ek == k)
                    .map_or(entries.len(), |i| (i + 1 + skip).min(entries.len())),
                None => entries.len(),
            };
            entries.insert(at, (Value::String(key.to_owned()), value.clone()));
        })
    }

    fn remove(&mut self, entry: EntryId) -> Result<(), EditError> {
        let key = self.key_of(entry)?;
        self.each_mapping(entry.map, |entries| entries.retain(|(k, _)| *k != key))
    }

    fn rename(&mut self, entry: EntryId, new_key: &str) -> Result<(), EditError> {
        let key = self.key_of(entry)?;
        let doc = self.doc;
        if let Some(e) = doc.entry(entry)
            && let Some(alias) = doc.tree().aliases_of(e.key_node).first()
        {
            return Err(EditError::AliasedKey {
                location: doc.location(e.key_node),
                alias_line: doc.location(*alias).line,
            });
        }
        self.each_mapping(entry.map, |entries| {
            for (k, _) in entries.iter_mut() {
                if *k == key {
                    *k = Value::String(new_key.to_owned());
                }
            }
        })
    }
}
