//! The data a batch of edits means to produce, computed on the data model alone.
//!
//! This is the other half of verification: the backend edits text, this module edits data, and
//! the two must agree. An edited node may appear at several data paths (anchors and aliases);
//! the edit is applied at each of them, as the re-parsed text will show it.

use super::value::lookup_mut;
use super::{Document, Edit, EditError, EntryId, NodeId, PathsError, Position, Value};

/// More paths than this to one node means an alias bomb, not a config.
const PATH_LIMIT: usize = 100_000;

pub(super) fn expected_data(doc: &Document, edits: &[Edit]) -> Result<Value, EditError> {
    let tree = doc.tree();
    if tree.root.is_none() {
        return Ok(Value::Null);
    }
    // The format parser's own data (for JSON, serde_json's), not the tree's.
    let mut data = doc.data();
    // Paths are taken from the unedited tree, so edits that change keys or remove entries go
    // last: values first, then insertions, removals and renames.
    // Renames go deepest first, so that renaming an outer key does not hide an inner one.
    let depth = |mut node: NodeId| {
        let mut d = 0usize;
        while let Some((parent, _)) = tree.node(node).parent {
            node = parent;
            d += 1;
        }
        d
    };
    let rank = |e: &Edit| match e {
        Edit::SetScalar { .. } | Edit::ReplaceValue { .. } | Edit::Annotate { .. } => (0, 0),
        Edit::Insert { .. } => (1, 0),
        Edit::CommentOut { .. } | Edit::Delete { .. } => (2, 0),
        Edit::RenameKey { entry, .. } => (3, usize::MAX - depth(entry.map)),
    };
    let mut ordered: Vec<&Edit> = edits.iter().collect();
    ordered.sort_by_key(|e| rank(e));

    let paths = |node| {
        tree.data_paths(node, PATH_LIMIT).map_err(|e| match e {
            PathsError::TooMany => EditError::TooManyAliases {
                location: doc.location(node),
            },
            PathsError::InKey(at) => EditError::AliasedKey {
                location: doc.location(node),
                alias_line: doc.location(at).line,
            },
        })
    };
    let key_of = |entry: EntryId| -> Result<Value, EditError> {
        match doc.entry(entry) {
            Some(e) => Ok(tree.data(e.key_node)),
            None => Err(EditError::Invalid {
                location: doc.location(entry.map),
                what: "the entry to edit does not exist",
            }),
        }
    };

    // How many entries earlier edits already inserted after each anchor entry.
    let mut inserted_after: std::collections::HashMap<EntryId, usize> = Default::default();
    for edit in ordered {
        match edit {
            Edit::SetScalar { node, value } | Edit::ReplaceValue { node, value } => {
                for path in paths(*node)? {
                    if let Some(slot) = lookup_mut(&mut data, &path) {
                        *slot = value.clone();
                    }
                }
            }
            Edit::Insert {
                map,
                position,
                key,
                value,
            } => {
                let (after, skip) = match position {
                    Position::After(entry) => {
                        // Several inserts after one entry keep their batch order.
                        let count = inserted_after.entry(*entry).or_default();
                        *count += 1;
                        (Some(key_of(*entry)?), *count - 1)
                    }
                    Position::End => (None, 0),
                };
                for path in paths(*map)? {
                    if let Some(Value::Mapping(entries)) = lookup_mut(&mut data, &path) {
                        let at = match &after {
                            Some(k) => entries
                                .iter()
                                .position(|(ek, _)| ek == k)
                                .map_or(entries.len(), |i| (i + 1 + skip).min(entries.len())),
                            None => entries.len(),
                        };
                        entries.insert(at, (Value::String(key.clone()), value.clone()));
                    }
                }
            }
            // A comment: the data stays as it is, but the entry must exist.
            Edit::Annotate { entry, .. } => {
                key_of(*entry)?;
            }
            Edit::CommentOut { entry, .. } | Edit::Delete { entry } => {
                let key = key_of(*entry)?;
                for path in paths(entry.map)? {
                    if let Some(Value::Mapping(entries)) = lookup_mut(&mut data, &path) {
                        entries.retain(|(k, _)| *k != key);
                    }
                }
            }
            Edit::RenameKey { entry, new_key } => {
                let key = key_of(*entry)?;
                if let Some(e) = doc.entry(*entry)
                    && let Some(alias) = tree.node(e.key_node).aliases.first()
                {
                    return Err(EditError::AliasedKey {
                        location: doc.location(e.key_node),
                        alias_line: doc.location(*alias).line,
                    });
                }
                for path in paths(entry.map)? {
                    if let Some(Value::Mapping(entries)) = lookup_mut(&mut data, &path) {
                        for (k, _) in entries.iter_mut() {
                            if *k == key {
                                *k = Value::String(new_key.clone());
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(data)
}
