//! The data a batch of edits means to produce, computed on the data model alone.
//!
//! This is the other half of verification: the backend edits text, this module edits data, and
//! the two must agree. An edited node may appear at several data paths (anchors and aliases);
//! the edit is applied at each of them, as the re-parsed text will show it.
//!
//! It works in two halves. [`resolve`] reads the document a batch was made for and turns each
//! edit into a data edit (its data paths, keys and values), refusing the edits the data model
//! cannot express; [`DataEdits::apply_to`] makes those data edits on a data tree and cannot
//! fail. A batch verified on its own does both at once ([`expected_data`]); a chain verified at
//! its end keeps the data edits of its steps and applies them to its input's data at the end.

use std::collections::HashMap;

use super::value::{DataSeg, lookup_mut};
use super::{Document, Edit, EditError, EntryId, NodeId, PathsError, Position, Value};

/// More paths than this to one node means an alias bomb, not a config.
const PATH_LIMIT: usize = 100_000;

pub(super) fn expected_data(doc: &Document, edits: &[Edit]) -> Result<Value, EditError> {
    if doc.tree().root.is_none() {
        return Ok(Value::Null);
    }
    let edits = resolve(doc, edits)?;
    // The format parser's own data (for JSON, serde_json's), not the tree's.
    let mut data = doc.data();
    edits.apply_to(&mut data);
    Ok(data)
}

/// The data edits of one or more batches of [`Edit`]s, each resolved against the document its
/// batch was made for (data paths, keys and values), in the order they apply to the data.
///
/// A chain verified once at its end carries these rather than the data they make: the data is
/// built from the chain's input only when the result is compared with it (see
/// [`Document::apply_composed`]), so it is not held while the steps run (unless the chain hands
/// the input's index on: [`DataEdits::keep_input_data`]). Applying them cannot fail: every check
/// an edit needs was made when it was resolved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataEdits {
    ops: Vec<DataOp>,
    /// The input's data, when it was taken before the input's index was handed on
    /// ([`DataEdits::keep_input_data`]).
    input_data: Option<Value>,
}

impl DataEdits {
    /// How many data edits are held: a mark to [`DataEdits::truncate`] to.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Forgets the data edits after the first `len` (those of a batch that was refused).
    pub fn truncate(&mut self, len: usize) {
        self.ops.truncate(len);
    }

    /// Appends `later`'s data edits after these.
    pub fn append(&mut self, mut later: DataEdits) {
        self.ops.append(&mut later.ops);
    }

    /// Keeps `input`'s data now, for [`DataEdits::expected_data`]: a chain that hands the
    /// input's index to its first editing step takes it before, since reading it afterwards
    /// would index the input's text again.
    pub fn keep_input_data(&mut self, input: &Document) {
        self.input_data = Some(input.data());
    }

    /// The data these edits make of `input`'s, `input` being the document the first of them
    /// was made for (its data as kept by [`DataEdits::keep_input_data`], if it was).
    pub fn expected_data(self, input: &Document) -> Value {
        let mut data = match self.input_data {
            Some(data) => data,
            None => input.data(),
        };
        for op in self.ops {
            op.apply(&mut data);
        }
        data
    }

    /// Makes the data edits on `data`, in order. A path that does not reach a value of the
    /// kind an edit needs (a value an earlier edit replaced) is passed over, as the re-parsed
    /// text will not show that edit there either.
    pub fn apply_to(self, data: &mut Value) {
        for op in self.ops {
            op.apply(data);
        }
    }
}

/// One data edit, resolved: the data paths where the edited node appears (several with aliases;
/// none when the document has no content, where the edit is to the whole data) and what is done
/// there.
#[derive(Clone, Debug, PartialEq)]
enum DataOp {
    /// Replaces the value at each path.
    Set {
        paths: Vec<Vec<DataSeg>>,
        value: Value,
    },
    /// Replaces the sequence item at each path by [`removed_item`].
    MarkRemoved { paths: Vec<Vec<DataSeg>> },
    /// Inserts `key: value` into the mapping at each path: after the entry with key `after` and
    /// the `skip` entries earlier edits of the batch inserted after it, or at the end.
    Insert {
        paths: Vec<Vec<DataSeg>>,
        after: Option<Value>,
        skip: usize,
        key: String,
        value: Value,
    },
    /// Removes the entries with key `key` from the mapping at each path.
    Remove {
        paths: Vec<Vec<DataSeg>>,
        key: Value,
    },
    /// Renames the entries with key `key` of the mapping at each path.
    Rename {
        paths: Vec<Vec<DataSeg>>,
        key: Value,
        new_key: String,
    },
    /// Takes the items marked removed out of every sequence (the end of a batch that removed
    /// items).
    SweepRemoved,
}

impl DataOp {
    fn apply(self, data: &mut Value) {
        match self {
            DataOp::Set { paths, value } => {
                for path in paths {
                    if let Some(slot) = lookup_mut(data, &path) {
                        *slot = value.clone();
                    }
                }
            }
            DataOp::MarkRemoved { paths } => {
                for path in paths {
                    if let Some(slot) = lookup_mut(data, &path) {
                        *slot = removed_item();
                    }
                }
            }
            DataOp::Insert {
                paths,
                after,
                skip,
                key,
                value,
            } => each_mapping(data, &paths, |entries| {
                let at = match &after {
                    Some(k) => entries
                        .iter()
                        .position(|(ek, _)| ek == k)
                        .map_or(entries.len(), |i| (i + 1 + skip).min(entries.len())),
                    None => entries.len(),
                };
                entries.insert(at, (Value::String(key.clone()), value.clone()));
            }),
            DataOp::Remove { paths, key } => {
                each_mapping(data, &paths, |entries| entries.retain(|(k, _)| *k != key));
            }
            DataOp::Rename {
                paths,
                key,
                new_key,
            } => each_mapping(data, &paths, |entries| {
                for (k, _) in entries.iter_mut() {
                    if *k == key {
                        *k = Value::String(new_key.clone());
                    }
                }
            }),
            DataOp::SweepRemoved => sweep_removed(data),
        }
    }
}

/// Calls `f` on the mapping at each path.
fn each_mapping(
    data: &mut Value,
    paths: &[Vec<DataSeg>],
    mut f: impl FnMut(&mut Vec<(Value, Value)>),
) {
    for path in paths {
        if let Some(Value::Mapping(entries)) = lookup_mut(data, path) {
            f(entries);
        }
    }
}

/// Resolves a batch of edits against `doc`, the document they were made for: what they mean
/// to its data, or the first edit the data model refuses.
pub(super) fn resolve(doc: &Document, edits: &[Edit]) -> Result<DataEdits, EditError> {
    if doc.tree().root.is_none() {
        // No content: the data is null whatever the edits say.
        return Ok(DataEdits {
            ops: vec![DataOp::Set {
                paths: vec![Vec::new()],
                value: Value::Null,
            }],
            input_data: None,
        });
    }
    let mut resolver = Resolver {
        doc,
        inserted_after: HashMap::new(),
    };
    let mut ops = Vec::with_capacity(edits.len());
    let mut items_removed = false;
    for edit in in_data_order(doc, edits) {
        let op = match edit {
            Edit::SetScalar { node, value } | Edit::ReplaceValue { node, value } => {
                resolver.set(*node, value.clone())?
            }
            Edit::ReplaceBlock { node, yaml } => {
                let (value, _) =
                    crate::yaml::replacement_data(yaml).map_err(|what| EditError::Invalid {
                        location: doc.location(*node),
                        what,
                    })?;
                resolver.set(*node, value)?
            }
            Edit::DeleteItem { item } | Edit::CommentOutItem { item, .. } => {
                items_removed = true;
                resolver.item_of(*item)?;
                DataOp::MarkRemoved {
                    paths: resolver.paths(*item)?,
                }
            }
            Edit::AnnotateItem { item, .. } => {
                resolver.item_of(*item)?;
                continue;
            }
            Edit::Insert {
                map,
                position,
                key,
                value,
            } => resolver.insert(*map, *position, key, value)?,
            Edit::CommentOut { entry, .. } | Edit::Delete { entry } => DataOp::Remove {
                key: resolver.key_of(*entry)?,
                paths: resolver.paths(entry.map)?,
            },
            Edit::RenameKey { entry, new_key } => resolver.rename(*entry, new_key)?,
            // A comment: the data stays as it is, but the entry must exist.
            Edit::Annotate { entry, .. } => {
                resolver.key_of(*entry)?;
                continue;
            }
        };
        ops.push(op);
    }
    if items_removed {
        ops.push(DataOp::SweepRemoved);
    }
    Ok(DataEdits {
        ops,
        input_data: None,
    })
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

/// The document a batch of edits is resolved against, and what it needs to place the next edit.
struct Resolver<'d> {
    doc: &'d Document,
    /// How many entries earlier edits already inserted after each anchor entry.
    inserted_after: HashMap<EntryId, usize>,
}

impl Resolver<'_> {
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

    fn set(&self, node: NodeId, value: Value) -> Result<DataOp, EditError> {
        if self.doc.is_stream() && self.doc.root() == Some(node) {
            return Err(EditError::Invalid {
                location: self.doc.location(node),
                what: "the edit names the stream of documents itself",
            });
        }
        Ok(DataOp::Set {
            paths: self.paths(node)?,
            value,
        })
    }

    fn insert(
        &mut self,
        map: NodeId,
        position: Position,
        key: &str,
        value: &Value,
    ) -> Result<DataOp, EditError> {
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
        Ok(DataOp::Insert {
            paths: self.paths(map)?,
            after,
            skip,
            key: key.to_owned(),
            value: value.clone(),
        })
    }

    fn rename(&self, entry: EntryId, new_key: &str) -> Result<DataOp, EditError> {
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
        Ok(DataOp::Rename {
            paths: self.paths(entry.map)?,
            key,
            new_key: new_key.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::document::{Format, NodeKind};

    /// The implementation before data edits were resolved and applied in two halves: each
    /// edit mutated the data as it was checked. Kept as the oracle the two halves must agree
    /// with.
    mod before {
        use std::collections::HashMap;

        use super::super::{Resolver, in_data_order, removed_item, sweep_removed};
        use crate::document::value::{DataSeg, lookup_mut};
        use crate::document::{Document, Edit, EditError, EntryId, NodeId, Position, Value};

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
                checks: Resolver {
                    doc,
                    inserted_after: HashMap::new(),
                },
            };
            let mut items_removed = false;
            for edit in in_data_order(doc, edits) {
                match edit {
                    Edit::SetScalar { node, value } | Edit::ReplaceValue { node, value } => {
                        expect.set(*node, value)?;
                    }
                    Edit::ReplaceBlock { node, yaml } => {
                        let (value, _) = crate::yaml::replacement_data(yaml).map_err(|what| {
                            EditError::Invalid {
                                location: doc.location(*node),
                                what,
                            }
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
                    Edit::CommentOut { entry, .. } | Edit::Delete { entry } => {
                        expect.remove(*entry)?;
                    }
                    Edit::RenameKey { entry, new_key } => expect.rename(*entry, new_key)?,
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

        /// The checks (paths, keys, items) are the resolver's, which the halves share; what
        /// the oracle keeps of its own is the mutation as each edit is checked.
        struct Expectation<'d> {
            doc: &'d Document,
            data: Value,
            checks: Resolver<'d>,
        }

        impl Expectation<'_> {
            fn paths(&self, node: NodeId) -> Result<Vec<Vec<DataSeg>>, EditError> {
                self.checks.paths(node)
            }

            fn key_of(&self, entry: EntryId) -> Result<Value, EditError> {
                self.checks.key_of(entry)
            }

            fn item_of(&self, item: NodeId) -> Result<(NodeId, usize), EditError> {
                self.checks.item_of(item)
            }

            fn mark_removed(&mut self, item: NodeId) -> Result<(), EditError> {
                self.item_of(item)?;
                for path in self.paths(item)? {
                    if let Some(slot) = lookup_mut(&mut self.data, &path) {
                        *slot = removed_item();
                    }
                }
                Ok(())
            }

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
                        let count = self.checks.inserted_after.entry(entry).or_default();
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
    }

    /// Documents with the shapes data edits must handle: nodes reached through several aliases
    /// (also inside aliased sequences and merged mappings), items of nested sequences, a stream
    /// of documents, flow collections, each format, and no content at all.
    const DOCUMENTS: &[(&str, Format)] = &[
        (
            "base: &b {host: a, port: 1}\nroutes:\n  - &r1\n    from: https://a\n    to: [http://x, http://y]\n    opts: *b\n  - from: https://b\n    opts: *b\n    policy: &p\n      - allow: {and: [{domain: {is: x}}]}\n      - deny: 1\n      - deny: 2\n  - *r1\nextra: *p\nlist: [1, 2, 3, [4, 5]]\n",
            Format::Yaml,
        ),
        (
            "defaults: &d\n  timeout: 30s\n  lb: RANDOM\nsvc:\n  <<: *d\n  name: x\nother:\n  <<: *d\nitems:\n  - a\n  - b\n  - c\n  - - d\n    - e\n",
            Format::Yaml,
        ),
        (
            "routes:\n  - from: a\n    to: b\n    a: 1\n  - from: c\n    to: d\n  - from: e\n    sub:\n      - x: 1\n        y: 2\n      - x: 3\n",
            Format::Yaml,
        ),
        ("a: 1\nb: [1, 2]\n---\nc: {d: 1}\n", Format::Yaml),
        ("# only a comment\n", Format::Yaml),
        (
            "{\"a\": {\"b\": [1, 2, {\"c\": 3}]}, \"d\": \"x\", \"e\": [{\"f\": 1}, {\"f\": 2}]}\n",
            Format::Json,
        ),
        (
            "a = 1\n[t]\nb = [1, 2]\nc = { d = 1 }\n[[r]]\nx = 1\n[[r]]\nx = 2\n",
            Format::Toml,
        ),
    ];

    fn parse(k: usize) -> Document {
        let (text, format) = DOCUMENTS[k % DOCUMENTS.len()];
        let parsed = if text.contains("\n---\n") {
            Document::parse_stream(text.to_owned())
        } else {
            Document::parse(text.to_owned(), format)
        };
        match parsed {
            Ok(doc) => doc,
            Err(e) => panic!("test document {k} does not parse: {e}"),
        }
    }

    /// An edit, with its nodes and entries picked by number among those of the document it is
    /// made for (see [`Seed::edit`]).
    #[derive(Clone, Debug)]
    enum Seed {
        Set(usize, Value),
        ReplaceValue(usize, Value),
        ReplaceBlock(usize, usize),
        DeleteItem(usize),
        CommentOutItem(usize),
        AnnotateItem(usize),
        InsertAfter(usize, usize, usize, Value),
        InsertEnd(usize, usize, Value),
        CommentOut(usize, usize),
        Delete(usize, usize),
        Rename(usize, usize, usize),
        Annotate(usize, usize),
    }

    const KEYS: &[&str] = &["a", "new", "from", "x", "opts", "timeout"];
    const BLOCKS: &[&str] = &[
        "a: 1\nb: [2, 3]\n",
        "- x\n- y\n",
        "plain",
        "{c: 1}",
        "- a: 1\n  b: 2\n",
        "{",
        "&a 1\n",
    ];

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            (-2i64..3).prop_map(Value::Int),
            prop::sample::select(KEYS).prop_map(|k| Value::String(k.to_owned())),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Sequence),
                prop::collection::vec(
                    (
                        prop::sample::select(KEYS).prop_map(|k| Value::String(k.to_owned())),
                        inner
                    ),
                    0..3
                )
                .prop_map(Value::Mapping),
            ]
        })
    }

    fn seed() -> impl Strategy<Value = Seed> {
        let n = || 0usize..64;
        prop_oneof![
            (n(), scalar()).prop_map(|(a, v)| Seed::Set(a, v)),
            (n(), value()).prop_map(|(a, v)| Seed::ReplaceValue(a, v)),
            (n(), n()).prop_map(|(a, b)| Seed::ReplaceBlock(a, b)),
            n().prop_map(Seed::DeleteItem),
            n().prop_map(Seed::CommentOutItem),
            n().prop_map(Seed::AnnotateItem),
            (n(), n(), n(), value()).prop_map(|(a, b, c, v)| Seed::InsertAfter(a, b, c, v)),
            (n(), n(), value()).prop_map(|(a, b, v)| Seed::InsertEnd(a, b, v)),
            (n(), n()).prop_map(|(a, b)| Seed::CommentOut(a, b)),
            (n(), n()).prop_map(|(a, b)| Seed::Delete(a, b)),
            (n(), n(), n()).prop_map(|(a, b, c)| Seed::Rename(a, b, c)),
            (n(), n()).prop_map(|(a, b)| Seed::Annotate(a, b)),
        ]
    }

    /// The document's nodes, its values (nodes that are neither keys nor the stream of
    /// documents), its mappings and its sequence items (all by id).
    fn nodes(doc: &Document) -> (Vec<NodeId>, Vec<NodeId>, Vec<NodeId>, Vec<NodeId>) {
        let tree = doc.tree();
        let all: Vec<NodeId> = (0..tree.nodes.len())
            .filter_map(|i| u32::try_from(i).ok().map(NodeId))
            .collect();
        let values = all
            .iter()
            .copied()
            .filter(|id| match tree.node(*id).parent {
                Some((_, slot)) => !matches!(slot, super::super::Slot::Key(_)),
                None => !doc.is_stream(),
            })
            .collect();
        let maps = all
            .iter()
            .copied()
            .filter(|id| matches!(tree.node(*id).kind, NodeKind::Mapping(_)))
            .collect();
        let items = all
            .iter()
            .copied()
            .filter(|id| {
                matches!(
                    tree.node(*id).parent,
                    Some((_, super::super::Slot::Item(_)))
                )
            })
            .collect();
        (all, values, maps, items)
    }

    impl Seed {
        /// The edit on `doc`: a number picks among the nodes of the kind the edit needs when
        /// there are any (below 56), else among all nodes, and an entry of a mapping (or, from
        /// 56, the place past its end, which the edit is refused for).
        fn edit(&self, doc: &Document) -> Option<Edit> {
            let (all, values, maps, items) = nodes(doc);
            let pick = |among: &[NodeId], n: usize| {
                if n < 56 && !among.is_empty() {
                    Some(among[n % among.len()])
                } else if all.is_empty() {
                    None
                } else {
                    Some(all[n % all.len()])
                }
            };
            let entry = |n: usize, i: usize| {
                pick(&maps, n).map(|map| {
                    let len = match &doc.tree().node(map).kind {
                        NodeKind::Mapping(entries) => entries.len(),
                        _ => 0,
                    };
                    EntryId {
                        map,
                        index: i % (len + usize::from(n >= 56)).max(1),
                    }
                })
            };
            let key = |k: usize| KEYS[k % KEYS.len()].to_owned();
            Some(match self {
                Seed::Set(n, value) => Edit::SetScalar {
                    node: pick(&values, *n)?,
                    value: value.clone(),
                },
                Seed::ReplaceValue(n, value) => Edit::ReplaceValue {
                    node: pick(&values, *n)?,
                    value: value.clone(),
                },
                Seed::ReplaceBlock(n, b) => Edit::ReplaceBlock {
                    node: pick(&values, *n)?,
                    yaml: BLOCKS[b % BLOCKS.len()].to_owned(),
                },
                Seed::DeleteItem(n) => Edit::DeleteItem {
                    item: pick(&items, *n)?,
                },
                Seed::CommentOutItem(n) => Edit::CommentOutItem {
                    item: pick(&items, *n)?,
                    note: "n".into(),
                },
                Seed::AnnotateItem(n) => Edit::AnnotateItem {
                    item: pick(&items, *n)?,
                    text: "t".into(),
                },
                Seed::InsertAfter(n, i, k, value) => {
                    let after = entry(*n, *i)?;
                    Edit::Insert {
                        map: after.map,
                        position: Position::After(after),
                        key: key(*k),
                        value: value.clone(),
                    }
                }
                Seed::InsertEnd(n, k, value) => Edit::Insert {
                    map: pick(&maps, *n)?,
                    position: Position::End,
                    key: key(*k),
                    value: value.clone(),
                },
                Seed::CommentOut(n, i) => Edit::CommentOut {
                    entry: entry(*n, *i)?,
                    note: "n".into(),
                },
                Seed::Delete(n, i) => Edit::Delete {
                    entry: entry(*n, *i)?,
                },
                Seed::Rename(n, i, k) => Edit::RenameKey {
                    entry: entry(*n, *i)?,
                    new_key: key(*k),
                },
                Seed::Annotate(n, i) => Edit::Annotate {
                    entry: entry(*n, *i)?,
                    text: "t".into(),
                },
            })
        }
    }

    fn edits(doc: &Document, seeds: &[Seed]) -> Vec<Edit> {
        seeds.iter().filter_map(|s| s.edit(doc)).collect()
    }

    /// The old way's expected data of a batch on its own.
    fn old_expected(doc: &Document, edits: &[Edit]) -> Result<Value, EditError> {
        if doc.tree().root.is_none() {
            return Ok(Value::Null);
        }
        before::expected_data_from(doc, doc.data(), edits)
    }

    fn at(doc: &Document, path: &str) -> NodeId {
        match doc.select_str(path).first() {
            Some(s) => s.node,
            None => panic!("no node at {path}"),
        }
    }

    fn entry_at(doc: &Document, path: &str) -> EntryId {
        match doc.select_str(path).first().and_then(|s| s.entry.as_ref()) {
            Some(e) => e.id,
            None => panic!("no entry at {path}"),
        }
    }

    /// Edge cases, each a batch the old way and the two halves must agree on, and that the data
    /// model accepts or refuses as said.
    #[test]
    fn resolving_then_applying_agrees_with_the_old_way_on_edge_cases() {
        type Make = fn(&Document) -> Vec<Edit>;
        let cases: Vec<(usize, bool, Make)> = vec![
            // A node reached through aliases at several paths (an anchored mapping used in two
            // routes, one of them itself aliased), and a key of that mapping renamed.
            (0, true, |d| {
                vec![
                    Edit::SetScalar {
                        node: at(d, "base.host"),
                        value: Value::String("z".into()),
                    },
                    Edit::RenameKey {
                        entry: entry_at(d, "base.port"),
                        new_key: "p".into(),
                    },
                ]
            }),
            // An item of an aliased sequence removed, and a later item of it set.
            (0, true, |d| {
                vec![
                    Edit::DeleteItem {
                        item: at(d, "routes[1].policy[1]"),
                    },
                    Edit::SetScalar {
                        node: at(d, "routes[1].policy[2].deny"),
                        value: Value::Int(9),
                    },
                ]
            }),
            // Several inserts after one anchor entry, one at the end, one after another entry.
            (2, true, |d| {
                let from = entry_at(d, "routes[0].from");
                let to = entry_at(d, "routes[0].to");
                let map = from.map;
                let insert = |position, key: &str, value| Edit::Insert {
                    map,
                    position,
                    key: key.into(),
                    value,
                };
                vec![
                    insert(Position::After(from), "k1", Value::Int(1)),
                    insert(Position::After(from), "k2", Value::Int(2)),
                    insert(Position::End, "k3", Value::Null),
                    insert(Position::After(to), "k4", Value::Int(4)),
                    insert(Position::After(from), "k5", Value::Int(5)),
                ]
            }),
            // Items removed, with later edits in the same sequences.
            (2, true, |d| {
                vec![
                    Edit::DeleteItem {
                        item: at(d, "routes[0]"),
                    },
                    Edit::SetScalar {
                        node: at(d, "routes[1].to"),
                        value: Value::String("z".into()),
                    },
                    Edit::CommentOutItem {
                        item: at(d, "routes[2].sub[0]"),
                        note: "gone".into(),
                    },
                    Edit::RenameKey {
                        entry: entry_at(d, "routes[2].sub[1].x"),
                        new_key: "w".into(),
                    },
                    Edit::Delete {
                        entry: entry_at(d, "routes[2].from"),
                    },
                ]
            }),
            // Nested renames: the outer key and a key under it, in either batch order.
            (2, true, |d| {
                vec![
                    Edit::RenameKey {
                        entry: entry_at(d, "routes[2].sub"),
                        new_key: "subs".into(),
                    },
                    Edit::RenameKey {
                        entry: entry_at(d, "routes[2].sub[0].x"),
                        new_key: "xx".into(),
                    },
                    Edit::RenameKey {
                        entry: entry_at(d, "routes"),
                        new_key: "policy".into(),
                    },
                ]
            }),
            // ReplaceBlock with a mapping and with a sequence, and a merged mapping's entry set.
            (1, true, |d| {
                vec![
                    Edit::ReplaceBlock {
                        node: at(d, "svc.name"),
                        yaml: "a: 1\nb: [2, 3]\n".into(),
                    },
                    Edit::ReplaceBlock {
                        node: at(d, "items[3]"),
                        yaml: "- x\n- y\n".into(),
                    },
                    Edit::SetScalar {
                        node: at(d, "defaults.timeout"),
                        value: Value::String("1m".into()),
                    },
                ]
            }),
            // A ReplaceBlock that is no YAML value.
            (1, false, |d| {
                vec![Edit::ReplaceBlock {
                    node: at(d, "svc.name"),
                    yaml: "{".into(),
                }]
            }),
            // Removals and annotations around merge keys.
            (1, true, |d| {
                vec![
                    Edit::Delete {
                        entry: entry_at(d, "svc.name"),
                    },
                    Edit::CommentOut {
                        entry: entry_at(d, "defaults.lb"),
                        note: "n".into(),
                    },
                    Edit::Annotate {
                        entry: entry_at(d, "defaults.timeout"),
                        text: "t".into(),
                    },
                    Edit::AnnotateItem {
                        item: at(d, "items[0]"),
                        text: "t".into(),
                    },
                    Edit::Insert {
                        map: at(d, "other"),
                        position: Position::End,
                        key: "name".into(),
                        value: Value::String("y".into()),
                    },
                ]
            }),
            // The stream of documents itself.
            (3, false, |d| match d.root() {
                Some(node) => vec![Edit::SetScalar {
                    node,
                    value: Value::Null,
                }],
                None => Vec::new(),
            }),
            // An entry that does not exist.
            (2, false, |d| {
                vec![Edit::Delete {
                    entry: EntryId {
                        map: at(d, "routes[0]"),
                        index: 9,
                    },
                }]
            }),
            // An item that is not one.
            (2, false, |d| {
                vec![Edit::DeleteItem {
                    item: at(d, "routes[0].from"),
                }]
            }),
            // No content: the data is null whatever the edits name.
            (4, true, |_| {
                vec![Edit::SetScalar {
                    node: NodeId(0),
                    value: Value::Int(1),
                }]
            }),
            (5, true, |d| {
                vec![
                    Edit::SetScalar {
                        node: at(d, "a.b[2].c"),
                        value: Value::Int(4),
                    },
                    Edit::DeleteItem {
                        item: at(d, "e[0]"),
                    },
                    Edit::Insert {
                        map: entry_at(d, "d").map,
                        position: Position::After(entry_at(d, "d")),
                        key: "n".into(),
                        value: Value::Sequence(vec![Value::Int(1)]),
                    },
                ]
            }),
            (6, true, |d| {
                vec![
                    Edit::RenameKey {
                        entry: entry_at(d, "t.b"),
                        new_key: "bb".into(),
                    },
                    Edit::SetScalar {
                        node: at(d, "a"),
                        value: Value::Int(7),
                    },
                    Edit::DeleteItem {
                        item: at(d, "r[0]"),
                    },
                ]
            }),
        ];
        for (n, (k, accepted, make)) in cases.into_iter().enumerate() {
            let doc = parse(k);
            let batch = make(&doc);
            let new = expected_data(&doc, &batch);
            assert_eq!(new, old_expected(&doc, &batch), "case {n}: {batch:?}");
            assert_eq!(new.is_ok(), accepted, "case {n}: {new:?}");
            if accepted && k != 4 {
                assert_ne!(new, Ok(doc.data()), "case {n} changes nothing");
            }
        }
    }

    proptest! {
        /// Resolving a batch and applying its data edits gives what the old way gave (the same
        /// data, or the same refusal), on random batches of every kind of edit.
        #[test]
        fn resolving_then_applying_agrees_with_the_old_way(
            k in 0..DOCUMENTS.len(),
            seeds in prop::collection::vec(seed(), 0..8),
        ) {
            let doc = parse(k);
            let batch = edits(&doc, &seeds);
            prop_assert_eq!(expected_data(&doc, &batch), old_expected(&doc, &batch));
        }

        /// A chain of batches, each made for the previous batch's result: the data edits
        /// applied at the end to the input's data give what carrying the data itself from batch
        /// to batch gave (the old way).
        #[test]
        fn composed_data_edits_agree_with_carrying_the_data(
            k in 0..DOCUMENTS.len(),
            rounds in prop::collection::vec(prop::collection::vec(seed(), 1..5), 1..4),
        ) {
            let input = parse(k);
            let mut composed = DataEdits::default();
            let mut old: Option<Value> = None;
            let mut current: Option<Document> = None;
            let mut applied = 0;
            for seeds in &rounds {
                let doc = current.as_ref().unwrap_or(&input);
                let held = composed.len();
                // A batch the engine refuses is tried again with its first edit alone (as a
                // chain's step retries without its markers).
                let mut batch = edits(doc, seeds);
                let next = match doc.apply_composed(&batch, &mut composed) {
                    Ok(next) => next,
                    Err(_) => {
                        composed.truncate(held);
                        batch.truncate(1);
                        match doc.apply_composed(&batch, &mut composed) {
                            Ok(next) => next,
                            Err(_) => {
                                composed.truncate(held);
                                continue;
                            }
                        }
                    }
                };
                let base = old.take().unwrap_or_else(|| doc.data());
                let data = before::expected_data_from(doc, base, &batch);
                prop_assert!(data.is_ok(), "the old way refused an applied batch: {:?}", data);
                old = data.ok();
                current = Some(next);
                applied += 1;
            }
            if applied > 0 {
                let expected = composed.expected_data(&input);
                prop_assert_eq!(Some(&expected), old.as_ref());
            } else {
                prop_assert!(composed.is_empty());
            }
        }
    }
}
