//! PPL policies: finding criteria inside a route's `policy`.

use crate::document::{Document, EntryRef, NodeId};

/// Policies nest a few levels in practice; aliases could make them arbitrarily deep.
const MAX_DEPTH: usize = 32;

/// The `groups` criteria of a PPL policy (`- allow: {or: [{groups: {has: admins}}]}`): every
/// entry named `groups` below `node`, each once, in the order they are written.
pub(crate) fn groups_criteria(doc: &Document, node: NodeId) -> Vec<EntryRef<'_>> {
    let mut out = Vec::new();
    collect_groups(doc, node, &mut out, 0);
    out
}

fn collect_groups<'a>(doc: &'a Document, node: NodeId, out: &mut Vec<EntryRef<'a>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let node = doc.resolve(node);
    for item in doc.items(node) {
        collect_groups(doc, *item, out, depth + 1);
    }
    for entry in doc.entries(node) {
        if entry.key == "groups" {
            if out.iter().all(|seen| seen.id != entry.id) {
                out.push(entry);
            }
        } else {
            collect_groups(doc, entry.value, out, depth + 1);
        }
    }
}
