//! What the steps have in common: finding and naming routes, removing, renaming and moving keys
//! with a finding, console key spellings, and reading booleans and URLs the way Pomerium does.
//! Everything here works through the document API only.

use std::collections::{HashMap, HashSet};

use crate::document::{Document, EntryId, EntryRef, Location, NodeId, NodeKind, Value};
use crate::step::{RemovedMode, Severity, StepContext};

// ---------------------------------------------------------------------------------------------
// Routes

/// A route mapping of a Core config and how messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub node: NodeId,
    /// Its place and its `from` URL, `routes[5] (https://grafana.example.com)` (`policy[0]` for
    /// the older list; only the place when `from` is missing): the index finds it in the file,
    /// the URL tells the reader which route it is.
    pub name: String,
}

/// Every route mapping of a Core config: the items of `routes` and of the older top-level
/// `policy` list (same shape), aliases resolved, each mapping once (under the first place it
/// has).
pub fn routes(doc: &Document) -> Vec<Route> {
    let mut out: Vec<Route> = Vec::new();
    let mut seen = HashSet::new();
    let Some(root) = doc.root() else {
        return out;
    };
    for key in ["routes", "policy"] {
        let Some(list) = doc.get(root, key) else {
            continue;
        };
        for (index, item) in doc.items(doc.resolve(list.value)).iter().enumerate() {
            let node = doc.resolve(*item);
            if doc.is_mapping(node) && seen.insert(node) {
                let place = format!("{key}[{index}]");
                let name = match doc.get(node, "from").and_then(|e| doc.str(e.value)) {
                    Some(from) if !from.trim().is_empty() => format!("{place} ({})", from.trim()),
                    _ => place,
                };
                out.push(Route { node, name });
            }
        }
    }
    out
}

/// Findings about routes, merged when several routes reach the same written entry (through
/// a merge key or an alias): one finding naming every route instead of one per route.
#[derive(Default)]
pub struct RouteFindings {
    items: Vec<RouteFinding>,
    /// Where each (severity, location, template) is in `items`.
    index: HashMap<(Severity, Option<Location>, String), usize>,
}

struct RouteFinding {
    severity: Severity,
    location: Option<Location>,
    /// The message, with `{routes}` where the route names go and `{each route}` where the
    /// message refers back to them ("the route", or "each of these routes").
    template: String,
    routes: Vec<String>,
    /// The names in `routes`, to add each once without searching the list.
    named: HashSet<String>,
}

impl RouteFindings {
    /// Adds `route` to the finding with this severity, location and template.
    pub fn add(
        &mut self,
        severity: Severity,
        location: Option<Location>,
        template: String,
        route: String,
    ) {
        let key = (severity, location, template);
        match self.index.get(&key).and_then(|i| self.items.get_mut(*i)) {
            Some(f) => {
                if f.named.insert(route.clone()) {
                    f.routes.push(route);
                }
            }
            None => {
                let (severity, location, template) = key.clone();
                self.index.insert(key, self.items.len());
                self.items.push(RouteFinding {
                    severity,
                    location,
                    template,
                    named: HashSet::from([route.clone()]),
                    routes: vec![route],
                });
            }
        }
    }

    /// Whether no finding was added.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Reports every finding, in the order first added.
    pub fn emit(self, cx: &mut StepContext<'_>) {
        for f in self.items {
            let each = if f.routes.len() == 1 {
                "the route"
            } else {
                "each of these routes"
            };
            let message = f
                .template
                .replace("{routes}", &join_names(&f.routes))
                .replace("{each route}", each);
            match f.severity {
                Severity::Changed => cx.changed(f.location, message),
                Severity::ActionRequired => cx.action(f.location, message),
                Severity::Note => cx.note(f.location, message),
            }
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The mappings a mapping merges directly with `<<` (aliases resolved).
pub fn merged_maps(doc: &Document, map: NodeId) -> Vec<NodeId> {
    let NodeKind::Mapping(entries) = &doc.node(map).kind else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        if entry.key != "<<" {
            continue;
        }
        let value = doc.resolve(entry.value);
        if doc.is_mapping(value) {
            out.push(value);
        } else {
            out.extend(doc.items(value).iter().map(|item| doc.resolve(*item)));
        }
    }
    out
}

/// Whether `route` reads entries of `map` through a merge key (directly or nested).
pub fn merges(doc: &Document, route: NodeId, map: NodeId) -> bool {
    merged_maps(doc, route).contains(&map)
        || doc
            .entries(route)
            .iter()
            .any(|e| e.merged_into.is_some() && e.id.map == map)
}

/// The string items of a node that is a string or a list of strings (`to` may be either).
pub fn strings(doc: &Document, node: NodeId) -> Vec<String> {
    if let Some(s) = doc.str(node) {
        return vec![s.to_owned()];
    }
    doc.items(node)
        .iter()
        .filter_map(|item| doc.str(*item).map(str::to_owned))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Removing, renaming and moving keys

/// How [`StepContext::remove`] took an entry out, in the words of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    CommentedOut,
    Deleted,
}

impl Removal {
    /// From what [`StepContext::remove`] returned.
    pub fn of(commented: bool) -> Removal {
        if commented {
            Removal::CommentedOut
        } else {
            Removal::Deleted
        }
    }

    /// Written after the key: "`x` commented out", "`x` removed".
    pub fn participle(self) -> &'static str {
        match self {
            Removal::CommentedOut => "commented out",
            Removal::Deleted => "removed",
        }
    }

    /// Written before the key: "commented out `x`", "deleted `x`".
    pub fn verb(self) -> &'static str {
        match self {
            Removal::CommentedOut => "commented out",
            Removal::Deleted => "deleted",
        }
    }
}

/// The location of an entry's key.
pub fn at(doc: &Document, entry: &EntryRef<'_>) -> Option<Location> {
    Some(doc.entry_location(entry.id))
}

/// Whether two entries hold the same data.
pub fn same_value(doc: &Document, a: &EntryRef<'_>, b: &EntryRef<'_>) -> bool {
    doc.value(a.value) == doc.value(b.value)
}

/// The lines of the aliases through which an edit of `node` also shows elsewhere, as words to
/// append to a finding (empty when the node is not shared).
pub fn shared_note(doc: &Document, node: NodeId) -> String {
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

/// Removes an entry per `--removed`, reporting "`key` commented out: why". `note` is the
/// one-line comment written above a commented-out entry.
pub fn remove_entry(cx: &mut StepContext<'_>, entry: &EntryRef<'_>, note: &str, why: &str) {
    let (id, key) = (entry.id, entry.key.to_owned());
    let location = Some(cx.doc.entry_location(id));
    let shared = shared_note(cx.doc, id.map);
    let removal = Removal::of(cx.remove(id, note));
    cx.changed(
        location,
        format!("`{key}` {}{shared}: {why}", removal.participle()),
    );
}

/// Removes every top-level key of `keys` that the file has, each with the same explanation.
pub fn remove_top_level(cx: &mut StepContext<'_>, keys: &[&str], note: &str, why: &str) {
    let Some(root) = cx.doc.root() else {
        return;
    };
    let mut present: Vec<EntryRef<'_>> = keys
        .iter()
        .filter_map(|key| cx.doc.get(root, key))
        .collect();
    // Report in the order the keys are written.
    present.sort_by_key(|e| cx.doc.entry_location(e.id));
    for entry in present {
        remove_entry(cx, &entry, note, why);
    }
}

/// Words naming the mapping a key belongs to: " of routes[1] (https://…)", or nothing for a
/// top-level key (`owner` is `None`).
fn of_owner(owner: Option<&str>) -> String {
    owner.map(|o| format!(" of {o}")).unwrap_or_default()
}

/// Removes entry `key` of `map` if present, reporting "commented out `key` of OWNER: why".
/// `owner` names the mapping in messages (a route's name); `None` for top-level keys. Returns
/// the entry that was removed.
pub fn retire_key<'a>(
    cx: &mut StepContext<'a>,
    map: NodeId,
    owner: Option<&str>,
    key: &str,
    note: &str,
    why: &str,
) -> Option<EntryRef<'a>> {
    let doc = cx.doc;
    let entry = doc.get(map, key)?;
    let removal = Removal::of(cx.remove(entry.id, note));
    let shared = shared_note(doc, entry.id.map);
    cx.changed(
        Some(doc.entry_location(entry.id)),
        format!(
            "{} `{key}`{}: {why}{shared}",
            removal.verb(),
            of_owner(owner)
        ),
    );
    Some(entry)
}

/// Renames `old` to `new` in `map` (`owner` names the mapping in messages, as for
/// [`retire_key`]). When `new` is already set, `old` is removed instead, with an action if their
/// values differ.
pub fn rename_key(
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
                        let verb = Removal::of(cx.remove(old.id, &note)).verb();
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
            let after = replacing_position(cx, last.id, &removed);
            cx.insert(root, Some(after), block, Value::Mapping(entries));
        }
    }
}

/// Where to insert an entry that takes the place of `old`, which the same step removes with
/// [`StepContext::remove`] together with the entries `removed`: right after `old` when it
/// stays as a comment; otherwise after the nearest kept entry before it (a flow mapping cannot
/// insert after an entry it deletes), else the nearest kept one after it.
pub fn replacing_position(cx: &StepContext<'_>, old: EntryId, removed: &[EntryId]) -> EntryId {
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
pub fn last_top_level(doc: &Document) -> Option<EntryId> {
    let root = doc.root()?;
    doc.entries(root)
        .into_iter()
        .filter(|e| e.merged_into.is_none())
        .map(|e| e.id)
        .max_by_key(|id| id.index)
}

// ---------------------------------------------------------------------------------------------
// Console key spellings

/// How a console config spells its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// `signing-key` (the Console's flags, and config files up to about 0.20).
    Dash,
    /// `signing_key` (newer config files).
    Snake,
}

impl Spelling {
    /// The spelling most top-level keys of the file use. A file with no key that shows either
    /// (empty, or only one-word keys) gets dash-case, the spelling of the Console's own flags
    /// and of the 0.15-era documentation these steps follow.
    pub fn of(doc: &Document) -> Spelling {
        let Some(root) = doc.root() else {
            return Spelling::Dash;
        };
        let (mut dash, mut snake) = (0, 0);
        for entry in doc.entries(root) {
            dash += usize::from(entry.key.contains('-'));
            snake += usize::from(entry.key.contains('_'));
        }
        if snake > dash {
            Spelling::Snake
        } else {
            Spelling::Dash
        }
    }

    /// The spelling of one key: dash-case if it has a dash.
    pub fn of_key(key: &str) -> Spelling {
        if key.contains('-') {
            Spelling::Dash
        } else {
            Spelling::Snake
        }
    }

    /// `key` (in either spelling) in this spelling.
    pub fn key(self, key: &str) -> String {
        match self {
            Spelling::Dash => key.replace('_', "-"),
            Spelling::Snake => key.replace('-', "_"),
        }
    }
}

/// A console key's entry in either spelling (`license-key` or `license_key`, given either way),
/// the dash-case one first.
pub fn console_entry<'a>(doc: &'a Document, key: &str) -> Option<EntryRef<'a>> {
    let root = doc.root()?;
    let dash = Spelling::Dash.key(key);
    let snake = Spelling::Snake.key(key);
    doc.get_any(root, &[dash.as_str(), snake.as_str()])
}

// ---------------------------------------------------------------------------------------------
// Values

/// Whether a value is a non-empty string (a setting that is present but empty counts as
/// missing for settings Pomerium requires).
pub fn non_empty_str(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A boolean as Pomerium reads it: YAML booleans, and the strings `true`/`false`.
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The parts of a URL that steps look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// The host name without port or brackets.
    pub host: &'a str,
    pub port: Option<u16>,
}

/// Splits `scheme://[userinfo@]host[:port][/path…][,weight]` (a `to` URL may carry a
/// load-balancing weight after a comma). Not a full URL parser: enough for the `from`/`to`
/// values of routes. `None` without a scheme, a host, or with a port that is not a number.
pub fn parse_url(url: &str) -> Option<UrlParts<'_>> {
    let (_scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#', ',']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    (!host.is_empty()).then_some(UrlParts { host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        let parts = |url| parse_url(url).map(|u| (u.host, u.port));
        assert_eq!(
            parts("https://user:pw@console.corp.example.com:8443/path?x=1"),
            Some(("console.corp.example.com", Some(8443)))
        );
        assert_eq!(parts("http://[::1]:8701"), Some(("::1", Some(8701))));
        assert_eq!(
            parts("https://user:pw@[::1]:8443/"),
            Some(("::1", Some(8443)))
        );
        assert_eq!(
            parts("http://pomerium-console"),
            Some(("pomerium-console", None))
        );
        assert_eq!(
            parts("http://10.0.0.5:8080/path,3"),
            Some(("10.0.0.5", Some(8080)))
        );
        assert_eq!(parts("http://app:8080,2"), Some(("app", Some(8080))));
        assert_eq!(
            parts("tcp+https://db.internal:5432"),
            Some(("db.internal", Some(5432)))
        );
        assert_eq!(parts("pomerium-console:8701"), None);
        assert_eq!(parts("http://host:notaport"), None);
        assert_eq!(parts("http://"), None);
        assert_eq!(parts("https://"), None);
    }

    #[test]
    fn names_are_joined_in_prose() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(join_names(&names(&["a"])), "a");
        assert_eq!(join_names(&names(&["a", "b"])), "a and b");
        assert_eq!(join_names(&names(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn spellings() {
        assert_eq!(Spelling::Snake.key("license-key"), "license_key");
        assert_eq!(Spelling::Dash.key("license-key"), "license-key");
        assert_eq!(Spelling::Dash.key("license_key"), "license-key");
        assert_eq!(Spelling::Snake.key("audience"), "audience");
        assert_eq!(
            Spelling::of_key("disable-validation").key("validation_mode"),
            "validation-mode"
        );
        assert_eq!(
            Spelling::of_key("disable_validation").key("validation_mode"),
            "validation_mode"
        );
    }

    #[test]
    fn booleans_as_pomerium_reads_them() {
        assert_eq!(as_bool(&Value::String("false".into())), Some(false));
        assert_eq!(as_bool(&Value::Bool(true)), Some(true));
        assert_eq!(as_bool(&Value::Int(0)), None);
    }

    #[test]
    fn removals_in_words() {
        assert_eq!(Removal::of(true).verb(), "commented out");
        assert_eq!(Removal::of(true).participle(), "commented out");
        assert_eq!(Removal::of(false).verb(), "deleted");
        assert_eq!(Removal::of(false).participle(), "removed");
    }

    fn parse(text: &str) -> Document {
        match Document::parse(text.to_owned(), crate::document::Format::Yaml) {
            Ok(doc) => doc,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    #[test]
    fn routes_are_listed_once_with_their_names() {
        let doc = parse(
            "routes:\n  - &r\n    from: https://a.example.com\n  - *r\n  - not a route\n\
             policy:\n  - from: https://b.example.com\n",
        );
        let names: Vec<String> = routes(&doc).into_iter().map(|r| r.name).collect();
        assert_eq!(
            names,
            [
                "routes[0] (https://a.example.com)",
                "policy[0] (https://b.example.com)"
            ]
        );
        let doc = parse("routes:\n  - to: http://a\n  - from: ''\n    to: http://b\n");
        let names: Vec<String> = routes(&doc).into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["routes[0]", "routes[1]"]);
    }
}
