//! Edits that several steps of the chain share: renaming a key, retiring a key, moving keys into
//! a nested block, finding routes, and console key spellings.

use crate::document::{Document, EntryRef, NodeId, Value};
use crate::step::StepContext;

/// A route mapping and its path (`routes[2]`, `policy[0]`).
pub struct Route {
    pub path: String,
    pub node: NodeId,
}

/// Every route: the items of `routes` and of the older top-level `policy` list (same shape).
pub fn routes(doc: &Document) -> Vec<Route> {
    ["routes[*]", "policy[*]"]
        .iter()
        .flat_map(|p| doc.select_str(p))
        .map(|s| Route {
            path: s.path,
            node: doc.resolve(s.node),
        })
        .filter(|r| doc.is_mapping(r.node))
        .collect()
}

/// `commented out` or `deleted`, as [`StepContext::remove`] did it.
pub fn removed_word(commented: bool) -> &'static str {
    if commented {
        "commented out"
    } else {
        "deleted"
    }
}

/// Words added to a message when the entry is written in a mapping that other mappings share
/// through an anchor or merge key: the edit changes all of them.
pub fn shared_suffix(doc: &Document, entry: &EntryRef<'_>) -> String {
    if entry.merged_into.is_some() || !doc.shared_by(entry.id.map).is_empty() {
        format!(
            " (written in a shared mapping at line {}: the change applies to every mapping that \
             uses it)",
            doc.entry_location(entry.id).line
        )
    } else {
        String::new()
    }
}

/// Whether two entries hold the same data.
pub fn same_value(doc: &Document, a: &EntryRef<'_>, b: &EntryRef<'_>) -> bool {
    doc.value(a.value) == doc.value(b.value)
}

/// Renames `old` to `new` in `map` (`prefix` names the mapping in messages, e.g. `routes[1].`).
/// When `new` is already set, `old` is removed instead, with an action if their values differ.
pub fn rename_key(
    cx: &mut StepContext<'_>,
    map: NodeId,
    prefix: &str,
    old: &str,
    new: &str,
    why: &str,
) {
    let doc = cx.doc;
    let Some(old_entry) = doc.get(map, old) else {
        return;
    };
    let at = Some(doc.entry_location(old_entry.id));
    let shared = shared_suffix(doc, &old_entry);
    match doc.get(map, new) {
        None => {
            cx.rename(&old_entry, new);
            cx.changed(
                at,
                format!("renamed `{prefix}{old}` to `{new}`: {why}{shared}"),
            );
        }
        Some(new_entry) => {
            let commented = cx.remove(old_entry.id, &format!("replaced by `{new}`"));
            let verb = removed_word(commented);
            if same_value(doc, &old_entry, &new_entry) {
                cx.changed(
                    at,
                    format!("{verb} `{prefix}{old}`: `{new}` already sets the same value{shared}"),
                );
            } else {
                cx.action(
                    at,
                    format!(
                        "`{prefix}{old}` and `{new}` (line {}) are both set, to different values; \
                         kept `{new}` and {verb} `{old}`: check that `{new}` holds the value you \
                         want ({why})",
                        doc.entry_location(new_entry.id).line
                    ),
                );
            }
        }
    }
}

/// Removes entry `key` of `map` if present and reports it as changed with `why`. Returns the
/// entry that was removed.
pub fn retire_key<'a>(
    cx: &mut StepContext<'a>,
    map: NodeId,
    prefix: &str,
    key: &str,
    note: &str,
    why: &str,
) -> Option<EntryRef<'a>> {
    let doc = cx.doc;
    let entry = doc.get(map, key)?;
    let commented = cx.remove(entry.id, note);
    let shared = shared_suffix(doc, &entry);
    cx.changed(
        Some(doc.entry_location(entry.id)),
        format!("{} `{prefix}{key}`: {why}{shared}", removed_word(commented)),
    );
    Some(entry)
}

/// Moves top-level keys into a nested block (`client_ca` → `downstream_mtls.ca`), merging into
/// the block when it exists. A key whose new place is already set is removed, with an action
/// when the values differ. `moves` pairs old top-level keys with their names inside `block`.
pub fn move_into_block(cx: &mut StepContext<'_>, block: &str, moves: &[(&str, &str)], why: &str) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    let present: Vec<(EntryRef<'_>, &str)> = moves
        .iter()
        .filter_map(|(old, new)| doc.get(root, old).map(|e| (e, *new)))
        .collect();
    // A new block goes after the last of the entries it replaces, in file order.
    let Some((last, _)) = present.iter().max_by_key(|(e, _)| doc.entry_location(e.id)) else {
        return;
    };
    let note = format!("moved into `{block}`");
    let existing = doc.top(block);
    let block_map = existing
        .as_ref()
        .map(|e| doc.resolve(e.value))
        .filter(|n| doc.is_mapping(*n));
    match (&existing, block_map) {
        (Some(_), Some(map)) => {
            for (old, new) in &present {
                let at = Some(doc.entry_location(old.id));
                match doc.get(map, new) {
                    Some(set) => {
                        let commented = cx.remove(old.id, &note);
                        let verb = removed_word(commented);
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
                                    "`{}` and `{block}.{new}` (line {}) are both set, to \
                                     different values; kept `{block}.{new}` and {verb} `{}`: \
                                     check which one you want ({why})",
                                    old.key,
                                    doc.entry_location(set.id).line,
                                    old.key
                                ),
                            );
                        }
                    }
                    None => {
                        cx.insert(map, None, new, doc.value(old.value));
                        cx.remove(old.id, &note);
                        cx.changed(at, format!("moved `{}` to `{block}.{new}`: {why}", old.key));
                    }
                }
            }
        }
        (Some(e), None) if doc.value(e.value) == Value::Null => {
            let mut entries = Vec::new();
            for (old, new) in &present {
                entries.push((Value::String((*new).to_owned()), doc.value(old.value)));
                cx.remove(old.id, &note);
                cx.changed(
                    Some(doc.entry_location(old.id)),
                    format!("moved `{}` to `{block}.{new}`: {why}", old.key),
                );
            }
            cx.replace(e.value, Value::Mapping(entries));
        }
        (Some(e), None) => {
            cx.action(
                Some(doc.entry_location(e.id)),
                format!(
                    "`{block}` is not a mapping, so `{}` cannot be moved into it: make `{block}` \
                     a mapping and move the keys by hand ({why})",
                    present
                        .iter()
                        .map(|(o, _)| o.key)
                        .collect::<Vec<_>>()
                        .join("`, `")
                ),
            );
        }
        (None, _) => {
            let mut entries = Vec::new();
            for (old, new) in &present {
                entries.push((Value::String((*new).to_owned()), doc.value(old.value)));
                cx.remove(old.id, &note);
                cx.changed(
                    Some(doc.entry_location(old.id)),
                    format!("moved `{}` to `{block}.{new}`: {why}", old.key),
                );
            }
            // Where the old keys are deleted (`--removed delete`, JSON) the block cannot go
            // after them: it takes the place of the last one.
            let removed: Vec<_> = present.iter().map(|(e, _)| e.id).collect();
            let after = super::support::replacing_position(cx, last.id, &removed);
            cx.insert(root, Some(after), block, Value::Mapping(entries));
        }
    }
}

/// A console option by either spelling (`license-key`, `license_key`); `snake` is the snake_case
/// spelling.
pub fn console_entry<'a>(doc: &'a Document, snake: &str) -> Option<EntryRef<'a>> {
    let root = doc.root()?;
    doc.get_any(root, &[&snake.replace('_', "-"), snake])
}

/// `snake` spelled like `like` (a key the file already has): dash-case if it uses dashes.
pub fn spelled_like(like: &str, snake: &str) -> String {
    if like.contains('-') {
        snake.replace('_', "-")
    } else {
        snake.to_owned()
    }
}

/// A boolean as Pomerium reads it: YAML booleans, and the strings `true`/`false`.
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The host and port of a URL written in a config (`https://a.example.com:8443/x` →
/// (`a.example.com`, Some(8443))). A `,weight` suffix (weighted `to` URLs) is ignored.
pub fn host_port(url: &str) -> Option<(&str, Option<&str>)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#', ',']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.is_empty() {
        return None;
    }
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = after.strip_prefix(':').filter(|p| !p.is_empty());
        return Some((host, port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            Some((host, Some(port)))
        }
        _ => Some((authority, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_reads_common_shapes() {
        assert_eq!(
            host_port("https://a.example.com"),
            Some(("a.example.com", None))
        );
        assert_eq!(
            host_port("http://10.0.0.5:8080/path,3"),
            Some(("10.0.0.5", Some("8080")))
        );
        assert_eq!(
            host_port("https://user:pw@[::1]:8443/"),
            Some(("::1", Some("8443")))
        );
        assert_eq!(
            host_port("tcp+https://db.internal:5432"),
            Some(("db.internal", Some("5432")))
        );
        assert_eq!(host_port("https://"), None);
    }

    #[test]
    fn spellings() {
        assert_eq!(
            spelled_like("disable-validation", "validation_mode"),
            "validation-mode"
        );
        assert_eq!(
            spelled_like("disable_validation", "validation_mode"),
            "validation_mode"
        );
        assert_eq!(as_bool(&Value::String("false".into())), Some(false));
        assert_eq!(as_bool(&Value::Int(0)), None);
    }
}
