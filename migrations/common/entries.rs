//! Removing, renaming and moving entries, each with the finding that reports it.
//!
//! Every removal of a step goes through [`retire`] (directly, or through [`retire_key`] and
//! [`retire_top_level`]), every move into a block through [`move_into_block`].

use crate::document::{Document, EntryId, EntryRef, Location, NodeId, NodeKind, Value};
use crate::step::{RemovedMode, StepContext};

/// How [`StepContext::remove`] took an entry out, in the words of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Removal {
    CommentedOut,
    Deleted,
}

impl Removal {
    /// From what [`StepContext::remove`] returned.
    pub(crate) fn of(commented: bool) -> Removal {
        if commented {
            Removal::CommentedOut
        } else {
            Removal::Deleted
        }
    }

    /// Written after the key: "`x` commented out", "`x` removed".
    pub(crate) fn participle(self) -> &'static str {
        match self {
            Removal::CommentedOut => "commented out",
            Removal::Deleted => "removed",
        }
    }

    /// Written before the key: "commented out `x`", "deleted `x`".
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Removal::CommentedOut => "commented out",
            Removal::Deleted => "deleted",
        }
    }
}

/// The location of an entry's key.
pub(crate) fn at(doc: &Document, entry: &EntryRef<'_>) -> Option<Location> {
    Some(doc.entry_location(entry.id))
}

/// Whether two entries hold the same data.
pub(crate) fn same_value(doc: &Document, a: &EntryRef<'_>, b: &EntryRef<'_>) -> bool {
    doc.value(a.value) == doc.value(b.value)
}

/// The lines of the aliases through which an edit of `node` also shows elsewhere, as words to
/// append to a finding (empty when the node is not shared).
pub(crate) fn shared_note(doc: &Document, node: NodeId) -> String {
    let mut lines: Vec<usize> = doc
        .shared_by(node)
        .into_iter()
        .map(|alias| doc.location(alias).line)
        .collect();
    lines.sort_unstable();
    lines.dedup();
    match lines.as_slice() {
        [] => String::new(),
        [one] => format!(" (in an anchored mapping shared by the alias on line {one})"),
        many => format!(
            " (in an anchored mapping shared by the aliases on lines {}: the change applies to \
             each of them)",
            join_numbers(many)
        ),
    }
}

fn join_numbers(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Removing

/// How the finding of a removal is phrased. Reports already published use both orders, so both
/// stay; what is removed and how does not depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phrase {
    /// "`key` commented out: why" (`removed` when deleted).
    KeyFirst,
    /// "commented out `key`: why" (`deleted` when deleted).
    VerbFirst,
}

/// What to say about a removal: the one-line comment written above a commented-out entry, the
/// reason given in the finding, the mapping's name in messages (a route's name; `None` for
/// top-level keys) and the order of the words.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Retirement<'a> {
    pub(crate) note: &'a str,
    pub(crate) why: &'a str,
    pub(crate) owner: Option<&'a str>,
    pub(crate) phrase: Phrase,
}

impl<'a> Retirement<'a> {
    /// A top-level key, reported "`key` commented out: why".
    pub(crate) fn key_first(note: &'a str, why: &'a str) -> Retirement<'a> {
        Retirement {
            note,
            why,
            owner: None,
            phrase: Phrase::KeyFirst,
        }
    }

    /// A key of `owner` (`None` for top-level keys), reported "commented out `key`: why".
    pub(crate) fn verb_first(
        owner: Option<&'a str>,
        note: &'a str,
        why: &'a str,
    ) -> Retirement<'a> {
        Retirement {
            note,
            why,
            owner,
            phrase: Phrase::VerbFirst,
        }
    }
}

/// Words naming the mapping a key belongs to: " of routes[1] (https://…)", or nothing for a
/// top-level key (`owner` is `None`).
fn of_owner(owner: Option<&str>) -> String {
    owner.map(|o| format!(" of {o}")).unwrap_or_default()
}

/// Removes an entry as `--removed` asks (commented out under `how.note` where the format allows,
/// deleted otherwise) and reports it as changed.
pub(crate) fn retire(cx: &mut StepContext<'_>, entry: &EntryRef<'_>, how: &Retirement<'_>) {
    let doc = cx.doc;
    let (id, key) = (entry.id, entry.key);
    let location = Some(doc.entry_location(id));
    let shared = shared_note(doc, id.map);
    let removal = Removal::of(cx.remove(id, how.note));
    let (of, why) = (of_owner(how.owner), how.why);
    let message = match how.phrase {
        Phrase::KeyFirst => format!("`{key}`{of} {}{shared}: {why}", removal.participle()),
        Phrase::VerbFirst => format!("{} `{key}`{of}: {why}{shared}", removal.verb()),
    };
    cx.changed(location, message);
}

/// Retires entry `key` of `map` if present (see [`retire`]); returns the entry it removed.
pub(crate) fn retire_key<'a>(
    cx: &mut StepContext<'a>,
    map: NodeId,
    key: &str,
    how: &Retirement<'_>,
) -> Option<EntryRef<'a>> {
    let entry = cx.doc.get(map, key)?;
    retire(cx, &entry, how);
    Some(entry)
}

/// Retires every top-level key of `keys` that the file has, in the order they are written.
pub(crate) fn retire_top_level(cx: &mut StepContext<'_>, keys: &[&str], how: &Retirement<'_>) {
    let Some(root) = cx.doc.root() else {
        return;
    };
    let mut present: Vec<EntryRef<'_>> = keys
        .iter()
        .filter_map(|key| cx.doc.get(root, key))
        .collect();
    present.sort_by_key(|e| cx.doc.entry_location(e.id));
    for entry in present {
        retire(cx, &entry, how);
    }
}

// ---------------------------------------------------------------------------------------------
// Renaming

/// Renames `old` to `new` in `map` (`owner` names the mapping in messages, as for
/// [`Retirement`]). When `new` is already set, `old` is removed instead, with an action if
/// their values differ.
pub(crate) fn rename_key(
    cx: &mut StepContext<'_>,
    map: NodeId,
    owner: Option<&str>,
    old: &str,
    new: &str,
    why: &str,
) {
    let doc = cx.doc;
    let Some(old_entry) = doc.get(map, old) else {
        return;
    };
    let at = Some(doc.entry_location(old_entry.id));
    let shared = shared_note(doc, old_entry.id.map);
    let of = of_owner(owner);
    match doc.get(map, new) {
        None => {
            cx.rename(&old_entry, new);
            cx.changed(at, format!("renamed `{old}`{of} to `{new}`: {why}{shared}"));
        }
        Some(new_entry) => {
            let verb = Removal::of(cx.remove(old_entry.id, &format!("replaced by `{new}`"))).verb();
            if same_value(doc, &old_entry, &new_entry) {
                cx.changed(
                    at,
                    format!("{verb} `{old}`{of}: `{new}` already sets the same value{shared}"),
                );
            } else {
                cx.action(
                    at,
                    format!(
                        "`{old}` and `{new}` (line {}){of} are both set, to different values; \
                         kept `{new}` and {verb} `{old}`: check that `{new}` holds the value you \
                         want ({why})",
                        doc.entry_location(new_entry.id).line
                    ),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Moving into a block

/// Where [`move_into_block`] writes a new block: beside the first or the last of the old keys,
/// in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Beside {
    First,
    Last,
}

/// How [`move_into_block`] reports each moved key. Reports already published use both, so both
/// stay; the edits do not depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MoveWording {
    /// "`client_ca` commented out: its value is now `downstream_mtls.ca`", under the comment
    /// "moved to downstream_mtls.ca".
    ValueNowAt,
    /// "moved `client_ca` to `downstream_mtls.ca`: WHY", under the comment "moved into
    /// `downstream_mtls`".
    MovedBecause,
}

/// Top-level keys that move into a nested block (`client_ca` → `downstream_mtls.ca`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockMove<'a> {
    pub(crate) block: &'a str,
    /// Old top-level key → its name inside `block`.
    pub(crate) moves: &'a [(&'a str, &'a str)],
    /// Why, for the findings.
    pub(crate) why: &'a str,
    pub(crate) beside: Beside,
    pub(crate) wording: MoveWording,
}

impl BlockMove<'_> {
    /// The comment above a commented-out old key.
    fn note(&self, new: &str) -> String {
        match self.wording {
            MoveWording::ValueNowAt => format!("moved to {}.{new}", self.block),
            MoveWording::MovedBecause => format!("moved into `{}`", self.block),
        }
    }

    /// Removes `old`, whose value now lives at `block.new`, and reports it.
    fn retire_moved(&self, cx: &mut StepContext<'_>, old: &EntryRef<'_>, new: &str) {
        let block = self.block;
        match self.wording {
            MoveWording::ValueNowAt => retire(
                cx,
                old,
                &Retirement::key_first(
                    &self.note(new),
                    &format!("its value is now `{block}.{new}`"),
                ),
            ),
            MoveWording::MovedBecause => {
                cx.remove(old.id, &self.note(new));
                cx.changed(
                    Some(cx.doc.entry_location(old.id)),
                    format!("moved `{}` to `{block}.{new}`: {}", old.key, self.why),
                );
            }
        }
    }
}

/// Moves top-level keys into a nested block, merging into the block when it is a mapping and
/// filling it when it is empty; otherwise the block is created beside the old keys. A key whose
/// new place is already set is removed, with an action when the values differ.
pub(crate) fn move_into_block(cx: &mut StepContext<'_>, spec: &BlockMove<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    // The old keys the file has, in the order of `moves` (the order of the new block).
    let present: Vec<(EntryRef<'_>, &str)> = spec
        .moves
        .iter()
        .filter_map(|(old, new)| doc.get(root, old).map(|e| (e, *new)))
        .collect();
    if present.is_empty() {
        return;
    }
    let existing = doc.top(spec.block);
    match existing {
        Some(block) if doc.is_mapping(doc.resolve(block.value)) => {
            merge_into(cx, spec, doc.resolve(block.value), &present);
        }
        Some(block) if doc.value(block.value) == Value::Null => {
            cx.replace(block.value, moved_values(doc, &present));
            for (old, new) in &present {
                spec.retire_moved(cx, old, new);
            }
        }
        Some(block) => cx.action(
            Some(doc.entry_location(block.id)),
            format!(
                "`{b}` is not a mapping, so `{keys}` cannot be moved into it: make `{b}` a \
                 mapping and move the keys by hand ({why})",
                b = spec.block,
                keys = present
                    .iter()
                    .map(|(o, _)| o.key)
                    .collect::<Vec<_>>()
                    .join("`, `"),
                why = spec.why,
            ),
        ),
        None => {
            // In file order, own entries before merged ones.
            let written = |(e, _): &&(EntryRef<'_>, &str)| {
                (e.merged_into.is_some(), doc.entry_location(e.id))
            };
            let anchor = match spec.beside {
                Beside::First => present.iter().min_by_key(written),
                Beside::Last => present.iter().max_by_key(written),
            };
            let Some((anchor, _)) = anchor else {
                return;
            };
            // Where the old keys are deleted (`--removed delete`, JSON) the block cannot go
            // beside them: it takes the place of one of them.
            let removed: Vec<_> = present.iter().map(|(e, _)| e.id).collect();
            let after = replacing_position(cx, anchor.id, &removed);
            cx.insert(root, Some(after), spec.block, moved_values(doc, &present));
            for (old, new) in &present {
                spec.retire_moved(cx, old, new);
            }
        }
    }
}

/// Moves the old keys into the existing block mapping `map`, key by key.
fn merge_into(
    cx: &mut StepContext<'_>,
    spec: &BlockMove<'_>,
    map: NodeId,
    present: &[(EntryRef<'_>, &str)],
) {
    let doc = cx.doc;
    let block = spec.block;
    for (old, new) in present {
        let Some(set) = doc.get(map, new) else {
            cx.insert(map, None, new, doc.value(old.value));
            spec.retire_moved(cx, old, new);
            continue;
        };
        let at = Some(doc.entry_location(old.id));
        let verb = Removal::of(cx.remove(old.id, &spec.note(new))).verb();
        if same_value(doc, old, &set) {
            cx.changed(
                at,
                format!(
                    "{verb} `{}`: `{block}.{new}` already sets the same value",
                    old.key
                ),
            );
        } else {
            cx.action(
                at,
                format!(
                    "`{}` and `{block}.{new}` (line {}) are both set, to different values; kept \
                     `{block}.{new}` and {verb} `{}`: check which one you want ({})",
                    old.key,
                    doc.entry_location(set.id).line,
                    old.key,
                    spec.why
                ),
            );
        }
    }
}

/// A block mapping holding the old keys' values under their new names.
fn moved_values(doc: &Document, present: &[(EntryRef<'_>, &str)]) -> Value {
    Value::Mapping(
        present
            .iter()
            .map(|(old, new)| (Value::String((*new).to_owned()), doc.value(old.value)))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Placing new entries

/// Where to insert an entry that takes the place of `old`, which the same step removes with
/// [`StepContext::remove`] together with the entries `removed`: right after `old` when it
/// stays as a comment; otherwise after the nearest kept entry before it (a flow mapping cannot
/// insert after an entry it deletes), else the nearest kept one after it.
pub(crate) fn replacing_position(
    cx: &StepContext<'_>,
    old: EntryId,
    removed: &[EntryId],
) -> EntryId {
    let commented = cx.options.removed == RemovedMode::Comment && cx.doc.can_comment_out(old);
    if commented {
        return old;
    }
    let written = match &cx.doc.node(old.map).kind {
        NodeKind::Mapping(entries) => entries.len(),
        _ => 0,
    };
    let kept = |index: usize| {
        let id = EntryId {
            map: old.map,
            index,
        };
        (id != old && !removed.contains(&id)).then_some(id)
    };
    (0..old.index)
        .rev()
        .find_map(kept)
        .or_else(|| (old.index + 1..written).find_map(kept))
        .unwrap_or(old)
}

/// The last top-level entry, for inserting new keys after it (keeps them beside the others).
pub(crate) fn last_top_level(doc: &Document) -> Option<EntryId> {
    let root = doc.root()?;
    doc.entries(root)
        .into_iter()
        .filter(|e| e.merged_into.is_none())
        .map(|e| e.id)
        .max_by_key(|id| id.index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_in_words() {
        assert_eq!(Removal::of(true).verb(), "commented out");
        assert_eq!(Removal::of(true).participle(), "commented out");
        assert_eq!(Removal::of(false).verb(), "deleted");
        assert_eq!(Removal::of(false).participle(), "removed");
    }
}
