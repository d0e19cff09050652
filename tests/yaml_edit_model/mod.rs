//! The expected-edit model shared by the YAML edit property tests: random edit seeds, the plans
//! they make on a document model (`yaml_model`), their engine form, the data the batch must give
//! (see [`expected_data`]), the refusals the engine documents for a batch (see
//! [`predicted_refusal`]) and the input lines an edit may change (see [`touched_lines`]).

use std::collections::{BTreeSet, HashMap};

use pomerium_migrate::document::{Document, Edit, EditError, EntryId, NodeId, Position};
use proptest::prelude::*;
use proptest::sample::{Index as Pick, select, subsequence};

use crate::yaml_model::*;

// ------------------------------------------------------------------------------------------------
// Edits: seeds, plans (on the model), and their engine form
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub enum Op {
    Rename,
    SetScalar,
    InsertAfter,
    InsertEnd,
    CommentOut,
    Delete,
    Replace,
    DeleteItem,
    CommentOutItem,
    AnnotateItem,
    ReplaceBlock,
}

#[derive(Clone, Debug)]
pub struct Seed {
    pub op: Op,
    pub target: Pick,
    pub anchor: Pick,
    pub scalar: Data,
    pub value: Data,
    pub key_prefix: &'static str,
    pub note: String,
}

pub const TRICKY: &[&str] = &[
    "",
    " lead",
    "trail ",
    "*star",
    "&amp",
    "{brace",
    "[x",
    "a: b",
    "a #b",
    "it's",
    "q\"",
    "true",
    "null",
    "~",
    "123",
    "0x1f",
    "1.5",
    "-",
    "- x",
    "? q",
    "%pct",
    "@at",
    "`bt",
    "!tag",
    "|",
    ">",
    "#hash",
    "line\nbreak",
    "tab\there",
    "a,b",
    "back\\slash",
    "é🚀",
    "\u{1}ctl",
    "ends:",
    "multi\n\nline\n",
    "x\n",
    "two\nlines",
    "keep\n\n",
    " \n",
];

pub fn new_scalar() -> BoxedStrategy<Data> {
    prop_oneof![
        3 => plain_string().prop_map(Data::Str),
        3 => select(TRICKY).prop_map(|s| Data::Str(s.to_owned())),
        1 => "\\PC{0,10}".prop_map(Data::Str),
        1 => any::<i32>().prop_map(|i| Data::Int(i64::from(i))),
        1 => any::<bool>().prop_map(Data::Bool),
        1 => Just(Data::Null),
    ]
    .boxed()
}

pub fn new_value() -> BoxedStrategy<Data> {
    let small_map = subsequence(&["is", "a", "X-New", "b c"][..], 1..=3).prop_flat_map(|keys| {
        keys.into_iter()
            .map(|k| new_scalar().prop_map(move |v| (k.to_owned(), v)))
            .collect::<Vec<_>>()
            .prop_map(Data::Map)
    });
    prop_oneof![
        4 => new_scalar(),
        3 => small_map,
        2 => prop::collection::vec(new_scalar(), 1..3).prop_map(Data::Seq),
        1 => Just(Data::Map(Vec::new())),
        1 => Just(Data::Seq(Vec::new())),
    ]
    .boxed()
}

pub fn seed() -> impl Strategy<Value = Seed> {
    let op = prop_oneof![
        Just(Op::Rename),
        Just(Op::SetScalar),
        Just(Op::InsertAfter),
        Just(Op::InsertEnd),
        Just(Op::CommentOut),
        Just(Op::Delete),
        Just(Op::Replace),
        Just(Op::DeleteItem),
        Just(Op::CommentOutItem),
        Just(Op::AnnotateItem),
        Just(Op::ReplaceBlock),
    ];
    seed_of(op.boxed())
}

/// Seeds that mostly remove or annotate sequence items (runs of neighbouring items, emptied
/// sequences), mixed with the other edits.
pub fn item_seed() -> impl Strategy<Value = Seed> {
    let op = prop_oneof![
        4 => Just(Op::DeleteItem),
        3 => Just(Op::CommentOutItem),
        1 => Just(Op::AnnotateItem),
        1 => Just(Op::InsertEnd),
        1 => Just(Op::InsertAfter),
        1 => Just(Op::Delete),
        1 => Just(Op::SetScalar),
        1 => Just(Op::Rename),
        1 => Just(Op::ReplaceBlock),
    ];
    seed_of(op.boxed())
}

fn seed_of(op: BoxedStrategy<Op>) -> impl Strategy<Value = Seed> {
    let prefix = select(
        &[
            "new_key_", "renamed_", "x: ", "#", "123", "'q", "\"d", "a #", "*", "-", "[b", " lead",
        ][..],
    );
    (
        op,
        any::<Pick>(),
        any::<Pick>(),
        new_scalar(),
        new_value(),
        prefix,
        "[a-z :#]{0,20}",
    )
        .prop_map(
            |(op, target, anchor, scalar, value, key_prefix, note)| Seed {
                op,
                target,
                anchor,
                scalar,
                value,
                key_prefix,
                note,
            },
        )
}

/// What the model offers to edit.
#[derive(Default)]
pub struct Targets {
    /// Every entry: its mapping's path, its key, whether that mapping is a flow mapping.
    pub entries: Vec<(DataPath, String, bool)>,
    /// Every value of an entry or item: its path and whether it is a scalar.
    pub values: Vec<(DataPath, bool)>,
    /// Every mapping: its path, its keys, flow style, and `- key:` layout.
    pub maps: Vec<(DataPath, Vec<String>, bool, bool)>,
    /// Every item of a sequence: the sequence's path, the item's index, flow style.
    pub items: Vec<(DataPath, usize, bool)>,
    /// Every sequence: its path, its length, flow style.
    pub seqs: Vec<(DataPath, usize, bool)>,
    /// Every value written as a block mapping or sequence.
    pub blocks: Vec<DataPath>,
}

pub fn collect_targets(node: &Node, path: &[Seg], compact: bool, t: &mut Targets) {
    let block = matches!(node, Node::Map(m) if !m.flow) || matches!(node, Node::Seq(s) if !s.flow);
    if block && !path.is_empty() {
        t.blocks.push(path.to_vec());
    }
    match node {
        Node::Scalar(_) => {}
        Node::Map(m) => {
            t.maps.push((
                path.to_vec(),
                m.entries.iter().map(|e| e.key.clone()).collect(),
                m.flow,
                compact && !m.flow,
            ));
            for e in &m.entries {
                let p = child(path, Seg::Key(e.key.clone()));
                t.entries.push((path.to_vec(), e.key.clone(), m.flow));
                t.values
                    .push((p.clone(), matches!(e.value, Node::Scalar(_))));
                collect_targets(&e.value, &p, false, t);
            }
        }
        Node::Seq(s) => {
            t.seqs.push((path.to_vec(), s.items.len(), s.flow));
            for (i, item) in s.items.iter().enumerate() {
                t.items.push((path.to_vec(), i, s.flow));
                let p = child(path, Seg::Idx(i));
                t.values
                    .push((p.clone(), matches!(item.value, Node::Scalar(_))));
                collect_targets(&item.value, &p, !s.flow && !s.dash_alone, t);
            }
        }
    }
}

/// An edit in terms of the model.
#[derive(Clone, Debug)]
pub enum Plan {
    Rename {
        map: DataPath,
        key: String,
        new_key: String,
    },
    SetScalar {
        path: DataPath,
        value: Data,
    },
    Insert {
        map: DataPath,
        after: Option<String>,
        key: String,
        value: Data,
    },
    /// Comment out (with a note) or delete.
    Remove {
        map: DataPath,
        key: String,
        note: Option<String>,
    },
    Replace {
        path: DataPath,
        value: Data,
    },
    /// Comment out (with a note) or delete an item.
    RemoveItem {
        seq: DataPath,
        index: usize,
        note: Option<String>,
    },
    AnnotateItem {
        seq: DataPath,
        index: usize,
        text: String,
    },
    /// Replace a block collection by the block YAML text of `value` (see [`block_yaml`]).
    ReplaceBlock {
        path: DataPath,
        value: Data,
    },
}

/// The text an edit claims.
pub enum Claim {
    /// Only the key of the entry at this path (a rename).
    Key(DataPath),
    /// The whole entry or item at this path, value included.
    Whole(DataPath),
    /// A new entry in the mapping at this path.
    Into(DataPath),
}

pub fn claim(p: &Plan) -> Claim {
    match p {
        Plan::Rename { map, key, .. } => Claim::Key(child(map, Seg::Key(key.clone()))),
        Plan::SetScalar { path, .. }
        | Plan::Replace { path, .. }
        | Plan::ReplaceBlock { path, .. } => Claim::Whole(path.clone()),
        Plan::Remove { map, key, .. } => Claim::Whole(child(map, Seg::Key(key.clone()))),
        Plan::Insert { map, .. } => Claim::Into(map.clone()),
        Plan::RemoveItem { seq, index, .. } | Plan::AnnotateItem { seq, index, .. } => {
            Claim::Whole(child(seq, Seg::Idx(*index)))
        }
    }
}

pub fn within(outer: &[Seg], inner: &[Seg]) -> bool {
    inner.starts_with(outer)
}

/// Whether two edits may go in one batch: the API refuses two edits of one entry, and any edit
/// inside an entry that another edit removes or replaces. A rename touches only the key, so edits
/// inside the renamed entry's value may accompany it. An insertion may follow an entry that is
/// removed or replaced (in a flow mapping that is refused, see [`predicted_refusal`]).
pub fn compatible(a: &Plan, b: &Plan) -> bool {
    match (claim(a), claim(b)) {
        (Claim::Whole(x), Claim::Whole(y)) => !within(&x, &y) && !within(&y, &x),
        (Claim::Whole(w), Claim::Key(k)) | (Claim::Key(k), Claim::Whole(w)) => !within(&w, &k),
        (Claim::Key(x), Claim::Key(y)) => x != y,
        (Claim::Into(map), Claim::Whole(w)) | (Claim::Whole(w), Claim::Into(map)) => {
            !within(&w, &map)
        }
        (Claim::Into(_), _) | (_, Claim::Into(_)) => true,
    }
}

/// The line after which a block insertion goes: the last line of its anchor entry (the last
/// entry for `End`). `None` for flow mappings, where the new entry goes inside the line.
pub fn insertion_line(
    recs: &Recs,
    keys_of: &HashMap<DataPath, Vec<String>>,
    p: &Plan,
) -> Option<usize> {
    let Plan::Insert { map, after, .. } = p else {
        return None;
    };
    if recs.maps.get(map)?.flow {
        return None;
    }
    let anchor = after
        .clone()
        .or_else(|| keys_of.get(map)?.last().cloned())?;
    recs.entries.get(&child(map, Seg::Key(anchor))).map(|r| r.1)
}

pub fn plan(doc: &Doc, seeds: &[Seed]) -> Vec<Plan> {
    let mut t = Targets::default();
    collect_targets(&Node::Map(doc.root.clone()), &[], false, &mut t);
    let scalars: Vec<&DataPath> = t.values.iter().filter(|v| v.1).map(|v| &v.0).collect();
    let mut plans: Vec<Plan> = Vec::new();
    for (n, s) in seeds.iter().enumerate() {
        let new_key = format!("{}{n}", s.key_prefix);
        let p = match s.op {
            Op::Rename => {
                let (map, key, _) = s.target.get(&t.entries);
                Plan::Rename {
                    map: map.clone(),
                    key: key.clone(),
                    new_key,
                }
            }
            Op::SetScalar if !scalars.is_empty() => Plan::SetScalar {
                path: (*s.target.get(&scalars)).clone(),
                value: s.scalar.clone(),
            },
            Op::SetScalar => continue,
            Op::InsertAfter | Op::InsertEnd => {
                let (map, keys, _, _) = s.target.get(&t.maps);
                let after = match s.op {
                    Op::InsertAfter if !keys.is_empty() => Some(s.anchor.get(keys).clone()),
                    _ => None,
                };
                Plan::Insert {
                    map: map.clone(),
                    after,
                    key: new_key,
                    value: s.value.clone(),
                }
            }
            Op::CommentOut | Op::Delete => {
                let (map, key, _) = s.target.get(&t.entries);
                Plan::Remove {
                    map: map.clone(),
                    key: key.clone(),
                    note: matches!(s.op, Op::CommentOut).then(|| format!("{} (step {n})", s.note)),
                }
            }
            Op::Replace => Plan::Replace {
                path: s.target.get(&t.values).0.clone(),
                value: s.value.clone(),
            },
            Op::DeleteItem | Op::CommentOutItem if !t.items.is_empty() => {
                let (seq, index, _) = s.target.get(&t.items);
                Plan::RemoveItem {
                    seq: seq.clone(),
                    index: *index,
                    note: matches!(s.op, Op::CommentOutItem)
                        .then(|| format!("{} (step {n})", s.note)),
                }
            }
            // An item of a flow sequence cannot take a comment line (the engine refuses it,
            // see `tests/yaml_item_edits.rs`).
            Op::AnnotateItem if t.items.iter().any(|i| !i.2) => {
                let block: Vec<&(DataPath, usize, bool)> =
                    t.items.iter().filter(|i| !i.2).collect();
                let (seq, index, _) = s.target.get(&block);
                Plan::AnnotateItem {
                    seq: seq.clone(),
                    index: *index,
                    text: format!("{} (step {n})", s.note),
                }
            }
            Op::DeleteItem | Op::CommentOutItem | Op::AnnotateItem => continue,
            Op::ReplaceBlock if !t.blocks.is_empty() => Plan::ReplaceBlock {
                path: s.target.get(&t.blocks).clone(),
                value: s.value.clone(),
            },
            Op::ReplaceBlock => continue,
        };
        if plans.iter().all(|q| compatible(q, &p)) {
            plans.push(p);
        }
    }
    plans
}

pub fn node_at(doc: &Document, path: &[Seg]) -> Option<NodeId> {
    let mut node = doc.root()?;
    for seg in path {
        node = match seg {
            Seg::Key(k) => doc.get(node, k)?.value,
            Seg::Idx(i) => *doc.items(node).get(*i)?,
        };
    }
    Some(node)
}

pub fn entry_at(doc: &Document, map: &[Seg], key: &str) -> Option<EntryId> {
    Some(doc.get(node_at(doc, map)?, key)?.id)
}

pub fn to_edit(doc: &Document, p: &Plan) -> Option<Edit> {
    Some(match p {
        Plan::Rename { map, key, new_key } => Edit::RenameKey {
            entry: entry_at(doc, map, key)?,
            new_key: new_key.clone(),
        },
        Plan::SetScalar { path, value } => Edit::SetScalar {
            node: node_at(doc, path)?,
            value: to_value(value),
        },
        Plan::Insert {
            map,
            after,
            key,
            value,
        } => Edit::Insert {
            map: node_at(doc, map)?,
            position: match after {
                Some(k) => Position::After(entry_at(doc, map, k)?),
                None => Position::End,
            },
            key: key.clone(),
            value: to_value(value),
        },
        Plan::Remove { map, key, note } => {
            let entry = entry_at(doc, map, key)?;
            match note {
                Some(note) if doc.can_comment_out(entry) => Edit::CommentOut {
                    entry,
                    note: note.clone(),
                },
                // A step removes an entry of a flow mapping by deleting it
                // (`StepContext::remove`): a note has nowhere to go there.
                _ => Edit::Delete { entry },
            }
        }
        Plan::Replace { path, value } => Edit::ReplaceValue {
            node: node_at(doc, path)?,
            value: to_value(value),
        },
        Plan::RemoveItem { seq, index, note } => {
            let item = *doc.items(node_at(doc, seq)?).get(*index)?;
            match note {
                Some(note) if doc.can_comment_out_item(item) => Edit::CommentOutItem {
                    item,
                    note: note.clone(),
                },
                // As for entries: where a comment cannot stand, the item is deleted.
                _ => Edit::DeleteItem { item },
            }
        }
        Plan::AnnotateItem { seq, index, text } => Edit::AnnotateItem {
            item: *doc.items(node_at(doc, seq)?).get(*index)?,
            text: text.clone(),
        },
        Plan::ReplaceBlock { path, value } => Edit::ReplaceBlock {
            node: node_at(doc, path)?,
            yaml: block_yaml(value),
        },
    })
}

/// `value` as YAML text at indent 0, in block style where it is a non-empty collection, with a
/// comment line first and strings double-quoted.
pub fn block_yaml(value: &Data) -> String {
    fn inline(d: &Data) -> String {
        match d {
            Data::Null => "null".into(),
            Data::Bool(b) => b.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Str(s) => double_quoted(s),
            Data::Map(_) => "{}".into(),
            Data::Seq(_) => "[]".into(),
        }
    }
    fn nested(d: &Data) -> bool {
        matches!(d, Data::Map(m) if !m.is_empty()) || matches!(d, Data::Seq(s) if !s.is_empty())
    }
    fn lines(d: &Data, indent: usize, out: &mut Vec<String>) {
        let pad = " ".repeat(indent);
        match d {
            Data::Map(entries) if !entries.is_empty() => {
                for (k, v) in entries {
                    if nested(v) {
                        out.push(format!("{pad}{}:", double_quoted(k)));
                        lines(v, indent + 2, out);
                    } else {
                        out.push(format!("{pad}{}: {}", double_quoted(k), inline(v)));
                    }
                }
            }
            Data::Seq(items) if !items.is_empty() => {
                for v in items {
                    if nested(v) {
                        out.push(format!("{pad}-"));
                        lines(v, indent + 2, out);
                    } else {
                        out.push(format!("{pad}- {}", inline(v)));
                    }
                }
            }
            other => out.push(format!("{pad}{}", inline(other))),
        }
    }
    let mut out = vec!["# replaced".to_owned()];
    lines(value, 0, &mut out);
    out.join("\n") + "\n"
}

/// Stands in for a removed item until every plan is applied (plans name items by their index in
/// the input). The generator never writes a NUL.
const REMOVED_ITEM: &str = "\u{0}removed";

fn sweep_removed(d: &mut Data) {
    match d {
        Data::Seq(items) => {
            items.retain(|i| *i != Data::Str(REMOVED_ITEM.into()));
            items.iter_mut().for_each(sweep_removed);
        }
        Data::Map(entries) => entries.iter_mut().for_each(|(_, v)| sweep_removed(v)),
        _ => {}
    }
}

/// The model's data with the plans applied: values first, then insertions, removals and renames
/// (plans name entries by their original keys).
pub fn expected_data(data: &Data, plans: &[Plan]) -> Data {
    let mut data = data.clone();
    // Renames deepest first: an outer rename must not hide an inner one's path.
    let rank = |p: &Plan| match p {
        Plan::SetScalar { .. }
        | Plan::Replace { .. }
        | Plan::ReplaceBlock { .. }
        | Plan::AnnotateItem { .. } => (0, 0),
        Plan::RemoveItem { .. } => (2, 0),
        // At one place, entries inserted after a sibling go before those added at the end.
        Plan::Insert { after: Some(_), .. } => (1, 0),
        Plan::Insert { after: None, .. } => (1, 1),
        Plan::Remove { .. } => (2, 0),
        Plan::Rename { map, .. } => (3, usize::MAX - map.len()),
    };
    let mut ordered: Vec<&Plan> = plans.iter().collect();
    ordered.sort_by_key(|p| rank(p));
    let mut inserted: Vec<String> = Vec::new();
    for p in ordered {
        match p {
            Plan::SetScalar { path, value }
            | Plan::Replace { path, value }
            | Plan::ReplaceBlock { path, value } => {
                if let Some(slot) = data_at(&mut data, path) {
                    *slot = value.clone();
                }
            }
            Plan::Insert {
                map,
                after,
                key,
                value,
            } => {
                if let Some(Data::Map(entries)) = data_at(&mut data, map) {
                    let mut at = match after {
                        Some(a) => entries
                            .iter()
                            .position(|(k, _)| k == a)
                            .map_or(entries.len(), |i| i + 1),
                        None => entries.len(),
                    };
                    // Entries inserted earlier after the same place stay first (batch order).
                    while at < entries.len() && inserted.contains(&entries[at].0) {
                        at += 1;
                    }
                    entries.insert(at, (key.clone(), value.clone()));
                }
                inserted.push(key.clone());
            }
            Plan::Remove { map, key, .. } => {
                if let Some(Data::Map(entries)) = data_at(&mut data, map) {
                    entries.retain(|(k, _)| k != key);
                }
            }
            Plan::Rename { map, key, new_key } => {
                if let Some(Data::Map(entries)) = data_at(&mut data, map) {
                    for (k, _) in entries.iter_mut() {
                        if k == key {
                            k.clone_from(new_key);
                        }
                    }
                }
            }
            Plan::RemoveItem { seq, index, .. } => {
                if let Some(slot) = data_at(&mut data, &child(seq, Seg::Idx(*index))) {
                    *slot = Data::Str(REMOVED_ITEM.into());
                }
            }
            Plan::AnnotateItem { .. } => {}
        }
    }
    sweep_removed(&mut data);
    data
}

/// The refusals the engine documents for layouts a batch can reach, or `None` when the batch
/// must succeed.
///
/// - Deleting every entry of a `- key: v` mapping while inserting into it: the first entry sits
///   on the dash line, so nothing is left to carry it (`EditError::Unsupported`).
/// - Deleting the entries of a `- key: v` mapping from the dash line on while commenting out the
///   entry after them: that entry must move up onto the dash line and also get a note line above
///   it (`EditError::Conflict`); the same for an insertion after one of those deleted entries,
///   which would go where the next entry moves up from.
/// - Inserting after an entry that the batch removes (or at the end when the last entry goes)
///   works: in a flow mapping the new entry takes the removed one's place. In a block mapping it
///   is refused when the next entry is deleted too: the new entry's place is then inside the lines
///   the deletions remove (`EditError::Conflict`).
/// - Likewise when the deleted entries follow a block scalar and take the lines below them that
///   would otherwise join it ([`block_scalar_absorptions`]): a block insertion right after them,
///   into their mapping or an enclosing one, is refused (`EditError::Conflict`).
///
/// A file without a final line break is edited as if it had one (the engine plans on a text ended
/// by a line break), so deleting its last line while inserting right above it is no conflict.
pub fn predicted_refusal(
    doc: &Doc,
    recs: &Recs,
    text: &str,
    plans: &[Plan],
) -> Option<&'static str> {
    let absorbed = block_scalar_absorptions(doc, recs, text, plans);
    let mut t = Targets::default();
    collect_targets(&Node::Map(doc.root.clone()), &[], false, &mut t);
    for (map, keys, flow, _) in &t.maps {
        let Some(lines) = recs.maps.get(map) else {
            continue;
        };
        let removed = |k: &String| {
            plans
                .iter()
                .any(|p| matches!(p, Plan::Remove { map: m, key, .. } if m == map && key == k))
        };
        let deleted = |k: &String| {
            plans.iter().any(|p| {
                matches!(p, Plan::Remove { map: m, key, note, .. }
                    if m == map && key == k && (note.is_none() || *flow))
            })
        };
        let inserts: Vec<&Option<String>> = plans
            .iter()
            .filter_map(|p| match p {
                Plan::Insert { map: m, after, .. } if m == map => Some(after),
                _ => None,
            })
            .collect();
        if lines.compact && !keys.is_empty() && keys.iter().all(deleted) && !inserts.is_empty() {
            return Some("unsupported");
        }
        // The entries deleted from the dash line on are replaced by the next one moving up, so
        // that next entry cannot also get a note line above it.
        if lines.compact {
            let run = keys.iter().take_while(|k| deleted(k)).count();
            if run > 0 && keys.get(run).is_some_and(|k| removed(k) && !deleted(k)) {
                return Some("conflict");
            }
            if run > 0
                && run < keys.len()
                && inserts
                    .iter()
                    .any(|a| a.as_ref().is_some_and(|a| keys[..run].contains(a)))
            {
                return Some("conflict");
            }
        }
        // A block insertion after a deleted entry whose next entry is deleted too would go inside
        // the run of lines the two deletions remove.
        let inside_deleted_run = |after: &&Option<String>| {
            after.as_ref().is_some_and(|a| {
                let i = keys.iter().position(|k| k == a);
                i.is_some_and(|i| deleted(&keys[i]) && keys.get(i + 1).is_some_and(deleted))
            })
        };
        if !*flow && inserts.iter().any(inside_deleted_run) {
            return Some("conflict");
        }
        // Whether a block insertion follows a key the batch removes (the last key for `End`).
        let anchor_removed = |after: &&Option<String>| match after {
            Some(a) => removed(a),
            None => keys.last().is_some_and(removed),
        };
        let follows = |after: &Option<String>, key: &String| match after {
            Some(a) => a == key,
            None => keys.last() == Some(key),
        };
        // A run of deleted entries after a block scalar also takes the lines below it that would
        // join the scalar (see `block_scalar_absorptions`); a block insertion after the run's last
        // entry would go inside them.
        if !*flow
            && absorbed.iter().any(|(m, run_keys, _, _)| {
                m == map
                    && run_keys.last().is_some_and(|last| {
                        inserts
                            .iter()
                            .any(|a| anchor_removed(a) && follows(a, last))
                    })
            })
        {
            return Some("conflict");
        }
    }
    // The same for an insertion into an enclosing mapping whose place is right after the run.
    let keys_of: HashMap<DataPath, Vec<String>> =
        t.maps.iter().map(|m| (m.0.clone(), m.1.clone())).collect();
    for (_, _, run_last, _) in &absorbed {
        if plans
            .iter()
            .any(|p| insertion_line(recs, &keys_of, p) == Some(*run_last))
        {
            return Some("conflict");
        }
    }
    None
}

/// Whether the text of `node` (at `path`), once the batch is applied, ends with a block scalar,
/// and whether that scalar keeps its trailing blank lines (`+`). The last entry or item the batch
/// keeps is followed down, so a block scalar that the batch's
/// deletions leave last counts (`- |+` before a deleted item); a commented-out last entry or
/// item, an entry inserted after the last kept one (never a block scalar) or a container left
/// with nothing (`{}`, `[]`) ends the text with something else.
pub fn ends_in_block_scalar_after(node: &Node, path: &[Seg], plans: &[Plan]) -> Option<bool> {
    match node {
        Node::Scalar(Scalar::Block { chomp, .. }) => Some(*chomp == Chomp::Keep),
        Node::Map(m) if !m.flow => {
            let removal = |k: &String| {
                plans.iter().find_map(|p| match p {
                    Plan::Remove { map, key, note } if map == path && key == k => {
                        Some(note.is_some())
                    }
                    _ => None,
                })
            };
            let mut last = None;
            for (i, e) in m.entries.iter().enumerate().rev() {
                match removal(&e.key) {
                    None => {
                        last = Some(i);
                        break;
                    }
                    Some(true) => return None,
                    Some(false) => {}
                }
            }
            let last = last?;
            let inserted_after = plans.iter().any(|p| match p {
                Plan::Insert { map, after, .. } if map == path => match after {
                    None => true,
                    Some(a) => m.entries[last..].iter().any(|e| &e.key == a),
                },
                _ => false,
            });
            if inserted_after {
                return None;
            }
            let e = &m.entries[last];
            ends_in_block_scalar_after(&e.value, &child(path, Seg::Key(e.key.clone())), plans)
        }
        Node::Seq(s) if !s.flow => {
            let mut last = None;
            for i in (0..s.items.len()).rev() {
                match item_removal(plans, path, i) {
                    None => {
                        last = Some(i);
                        break;
                    }
                    Some(true) => return None,
                    Some(false) => {}
                }
            }
            let i = last?;
            ends_in_block_scalar_after(&s.items[i].value, &child(path, Seg::Idx(i)), plans)
        }
        _ => None,
    }
}

pub fn map_at<'a>(root: &'a Map, path: &[Seg]) -> Option<&'a Map> {
    let mut node_map = root;
    let mut rest = path;
    while let Some((seg, tail)) = rest.split_first() {
        let mut node = match seg {
            Seg::Key(k) => &node_map.entries.iter().find(|e| &e.key == k)?.value,
            Seg::Idx(_) => return None,
        };
        rest = tail;
        // Sequence indices until the next mapping.
        while let (Node::Seq(s), Some((Seg::Idx(i), tail))) = (node, rest.split_first()) {
            node = &s.items.get(*i)?.value;
            rest = tail;
        }
        node_map = match node {
            Node::Map(m) => m,
            _ => return None,
        };
    }
    Some(node_map)
}

/// Runs of neighbouring entries that the batch deletes from a block mapping right after an entry
/// whose value ends with a block scalar. Deleting them would let the lines below them join that
/// scalar — comments indented deeper than the mapping, the blank lines before such comments, and
/// for a `+` scalar any blank lines — so those lines go with the run. The scalar is the one that
/// ends the entry's text once the batch is applied ([`ends_in_block_scalar_after`]). Returns, per run with such
/// lines: the mapping, the run's keys, the run's last line and the lines that go with it.
pub fn block_scalar_absorptions(
    doc: &Doc,
    recs: &Recs,
    text: &str,
    plans: &[Plan],
) -> Vec<(DataPath, Vec<String>, usize, std::ops::Range<usize>)> {
    let lines = split_lines(text);
    let mut t = Targets::default();
    collect_targets(&Node::Map(doc.root.clone()), &[], false, &mut t);
    let mut out = Vec::new();
    for (map, keys, flow, _) in &t.maps {
        let Some(model) = map_at(&doc.root, map).filter(|_| !*flow) else {
            continue;
        };
        let deleted = |k: &String| {
            plans.iter().any(
                |p| matches!(p, Plan::Remove { map: m, key, note: None } if m == map && key == k),
            )
        };
        let mut i = 1;
        while i < keys.len() {
            if !deleted(&keys[i]) || deleted(&keys[i - 1]) {
                i += 1;
                continue;
            }
            let a = i;
            while i + 1 < keys.len() && deleted(&keys[i + 1]) {
                i += 1;
            }
            let b = i;
            i += 1;
            let before = child(map, Seg::Key(keys[a - 1].clone()));
            let Some(keep) =
                ends_in_block_scalar_after(&model.entries[a - 1].value, &before, plans)
            else {
                continue;
            };
            let line_of = |k: usize| recs.entries.get(&child(map, Seg::Key(keys[k].clone())));
            let (Some(first), Some(last)) = (line_of(a), line_of(b)) else {
                continue;
            };
            let column = lines
                .get(first.0)
                .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
            let start = last.1 + 1;
            let (mut at, mut end) = (start, start);
            while let Some(line) = lines.get(at) {
                let spaces = line.len() - line.trim_start_matches(' ').len();
                let blank = spaces == line.len();
                let deep_comment = spaces > column && line[spaces..].starts_with('#');
                if !blank && !deep_comment {
                    break;
                }
                at += 1;
                if deep_comment || keep {
                    end = at;
                }
            }
            if end > start {
                out.push((map.clone(), keys[a..=b].to_vec(), last.1, start..end));
            }
        }
    }
    // The same for runs of items deleted from a block sequence (not all of its items: a
    // sequence left with none is written `[]` in place), with the run's keys left empty.
    for (seq, len, flow) in &t.seqs {
        let Some(Node::Seq(model)) = model_node(&doc.root, seq).filter(|_| !*flow) else {
            continue;
        };
        let deleted = |i: usize| item_removal(plans, seq, i) == Some(false);
        if (0..*len).all(|i| item_removal(plans, seq, i).is_some()) && (0..*len).all(deleted) {
            continue;
        }
        let mut i = 1;
        while i < *len {
            if !deleted(i) || deleted(i - 1) {
                i += 1;
                continue;
            }
            let a = i;
            while i + 1 < *len && deleted(i + 1) {
                i += 1;
            }
            let b = i;
            i += 1;
            let before = child(seq, Seg::Idx(a - 1));
            let Some(keep) = ends_in_block_scalar_after(&model.items[a - 1].value, &before, plans)
            else {
                continue;
            };
            let line_of = |k: usize| recs.items.get(&child(seq, Seg::Idx(k)));
            let (Some(first), Some(last)) = (line_of(a), line_of(b)) else {
                continue;
            };
            let column = lines
                .get(first.0)
                .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
            let start = last.1 + 1;
            let (mut at, mut end) = (start, start);
            while let Some(line) = lines.get(at) {
                let spaces = line.len() - line.trim_start_matches(' ').len();
                let blank = spaces == line.len();
                let deep_comment = spaces > column && line[spaces..].starts_with('#');
                if !blank && !deep_comment {
                    break;
                }
                at += 1;
                if deep_comment || keep {
                    end = at;
                }
            }
            if end > start {
                out.push((seq.clone(), Vec::new(), last.1, start..end));
            }
        }
    }
    out
}

/// The node of the model at a path.
pub fn model_node<'a>(root: &'a Map, path: &[Seg]) -> Option<&'a Node> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(k) = first else {
        return None;
    };
    let mut node = &root.entries.iter().find(|e| &e.key == k)?.value;
    for seg in rest {
        node = match (seg, node) {
            (Seg::Key(k), Node::Map(m)) => &m.entries.iter().find(|e| &e.key == k)?.value,
            (Seg::Idx(i), Node::Seq(s)) => &s.items.get(*i)?.value,
            _ => return None,
        };
    }
    Some(node)
}

/// Whether the batch removes item `index` of `seq`: `Some(true)` with a note (comment-out),
/// `Some(false)` without.
pub fn item_removal(plans: &[Plan], seq: &[Seg], index: usize) -> Option<bool> {
    plans.iter().find_map(|p| match p {
        Plan::RemoveItem {
            seq: s,
            index: i,
            note,
        } if s == seq && *i == index => Some(note.is_some()),
        _ => None,
    })
}

pub fn refusal_kind(e: &EditError) -> &'static str {
    match e {
        EditError::Unsupported { .. } => "unsupported",
        EditError::Conflict { .. } => "conflict",
        EditError::Verification { .. } => "verification",
        _ => "other",
    }
}

/// The input lines (0-based) that the batch may change. Every other input line must appear,
/// unchanged, in order, in the output. Touched are:
/// - a rename: the key's line;
/// - a set or replaced value: the lines of its entry (key line to the value's last line) or item
///   (dash line to the value's last line);
/// - a comment-out or delete: the entry's lines; a run of neighbouring deleted entries of one
///   mapping goes as one block, so the lines between them too; when the run starts on an item's
///   dash line (`- key: v`) and does not end the mapping, the next entry moves up onto the dash
///   line, so its first line too (lines between are not kept);
/// - a mapping emptied by removals (written `{}`): the line of the `key:` or `-` that holds it
///   through its last entry;
/// - an insertion into a flow mapping: the mapping's lines (block insertions add lines only).
pub fn touched_lines(recs: &Recs, doc: &Doc, plans: &[Plan]) -> BTreeSet<usize> {
    let mut touched = BTreeSet::new();
    let mut range = |(a, b): (usize, usize)| touched.extend(a..=b);
    let lines_of = |path: &DataPath| {
        recs.entries
            .get(path)
            .or_else(|| recs.items.get(path))
            .copied()
    };
    for p in plans {
        match p {
            Plan::Rename { map, key, .. } => {
                if let Some((k, _)) = lines_of(&child(map, Seg::Key(key.clone()))) {
                    range((k, k));
                }
            }
            Plan::SetScalar { path, .. }
            | Plan::Replace { path, .. }
            | Plan::ReplaceBlock { path, .. } => {
                if let Some(r) = lines_of(path) {
                    range(r);
                }
            }
            Plan::Remove { map, key, .. } => {
                if let Some(r) = lines_of(&child(map, Seg::Key(key.clone()))) {
                    range(r);
                }
            }
            Plan::Insert { map, .. } => {
                if let Some(m) = recs.maps.get(map).filter(|m| m.flow) {
                    range((m.first, m.last));
                }
            }
            Plan::RemoveItem { seq, index, .. } => {
                if let Some(r) = lines_of(&child(seq, Seg::Idx(*index))) {
                    range(r);
                }
            }
            Plan::AnnotateItem { .. } => {}
        }
    }
    let mut t = Targets::default();
    collect_targets(&Node::Map(doc.root.clone()), &[], false, &mut t);
    // A run of neighbouring deleted items goes as one block (the lines between them too); a
    // sequence whose items all go is written `[]` in place of its text.
    for (seq, len, flow) in &t.seqs {
        let removal = |i: usize| item_removal(plans, seq, i);
        let deleted: Vec<bool> = (0..*len)
            .map(|i| removal(i) == Some(false) || (*flow && removal(i).is_some()))
            .collect();
        let item_lines = |i: usize| lines_of(&child(seq, Seg::Idx(i)));
        let mut i = 0;
        while i < *len {
            if !deleted[i] {
                i += 1;
                continue;
            }
            let a = i;
            while i + 1 < *len && deleted[i + 1] {
                i += 1;
            }
            let (first, last) = (item_lines(a), item_lines(i));
            i += 1;
            if let (Some(first), Some(last)) = (first, last) {
                range((first.0, last.1));
            }
        }
        // All deleted: `[]` replaces the sequence's text. Some commented out: `[]` goes on the
        // holder's line (or after the last commented-out item, a line already touched).
        if *len > 0
            && (0..*len).all(|i| removal(i).is_some())
            && let Some(r) = lines_of(seq)
        {
            if deleted.iter().all(|d| *d) {
                range(r);
            } else {
                range((r.0, r.0));
            }
        }
    }
    for (map, keys, _, _) in &t.maps {
        let Some(m) = recs.maps.get(map) else {
            continue;
        };
        let entry_lines = |i: usize| lines_of(&child(map, Seg::Key(keys[i].clone())));
        let removal = |k: &String| {
            plans.iter().find_map(|p| match p {
                Plan::Remove { map: pm, key, note } if pm == map && key == k => {
                    Some(note.is_some())
                }
                _ => None,
            })
        };
        let deleted: Vec<bool> = keys
            .iter()
            .map(|k| removal(k) == Some(false) || (m.flow && removal(k).is_some()))
            .collect();
        let mut i = 0;
        while i < keys.len() {
            if !deleted[i] {
                i += 1;
                continue;
            }
            let a = i;
            while i + 1 < keys.len() && deleted[i + 1] {
                i += 1;
            }
            let b = i;
            i += 1;
            if let (Some(first), Some(last)) = (entry_lines(a), entry_lines(b)) {
                range((first.0, last.1));
                if m.compact
                    && a == 0
                    && b + 1 < keys.len()
                    && let Some(next) = entry_lines(b + 1)
                {
                    range((first.0, next.0));
                }
            }
        }
        let inserts = plans
            .iter()
            .any(|p| matches!(p, Plan::Insert { map: pm, .. } if pm == map));
        if !keys.is_empty() && keys.iter().all(|k| removal(k).is_some()) && !inserts {
            range((m.holder.unwrap_or(m.first), m.last));
        }
    }
    touched
}

/// Lines without their breaks (a final line break does not start another line) and without a
/// BOM (checked on its own: it belongs to the file, not to the first line).
pub fn split_lines(text: &str) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}
