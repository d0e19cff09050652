//! Helpers shared by the steps: finding routes, removing keys with a finding, console key
//! spellings, reading URLs. Everything here works through the document API only.

use crate::document::{Document, EntryId, EntryRef, Location, NodeId, NodeKind, Value};
use crate::step::{RemovedMode, Severity, StepContext};

/// Every route mapping of a Core config: the items of `routes` and of the older top-level
/// `policy` list (same shape), aliases resolved, each mapping once.
pub fn routes(doc: &Document) -> Vec<NodeId> {
    let mut out = Vec::new();
    let Some(root) = doc.root() else {
        return out;
    };
    for key in ["routes", "policy"] {
        let Some(list) = doc.get(root, key) else {
            continue;
        };
        for item in doc.items(list.value) {
            let item = doc.resolve(*item);
            if doc.is_mapping(item) && !out.contains(&item) {
                out.push(item);
            }
        }
    }
    out
}

/// `routes[2]` or `policy[0]`: how a route is named in messages.
pub fn route_name(doc: &Document, route: NodeId) -> String {
    let Some(root) = doc.root() else {
        return "a route".into();
    };
    for key in ["routes", "policy"] {
        if let Some(list) = doc.get(root, key)
            && let Some(i) = doc
                .items(list.value)
                .iter()
                .position(|item| doc.resolve(*item) == route)
        {
            return format!("{key}[{i}]");
        }
    }
    "a route".into()
}

/// The lines of the aliases through which an edit of `node` also shows elsewhere, as a
/// sentence to append to a finding (empty when the node is not shared).
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

/// Removes a top-level entry per `--removed`, reporting it as `changed` with `why`.
/// `note` is the one-line comment written above a commented-out entry.
pub fn remove_entry(cx: &mut StepContext<'_>, entry: &EntryRef<'_>, note: &str, why: &str) {
    let (id, key) = (entry.id, entry.key.to_owned());
    let location = Some(cx.doc.entry_location(id));
    let shared = shared_note(cx.doc, id.map);
    let commented = cx.remove(id, note);
    cx.changed(
        location,
        format!("`{key}` {}{shared}: {why}", removed_word(commented)),
    );
}

/// "commented out" or "removed", as `StepContext::remove` did it.
pub fn removed_word(commented: bool) -> &'static str {
    if commented {
        "commented out"
    } else {
        "removed"
    }
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

/// The location of an entry's key.
pub fn at(doc: &Document, entry: &EntryRef<'_>) -> Option<Location> {
    Some(doc.entry_location(entry.id))
}

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

    /// `key` (written dash-case) in this spelling.
    pub fn key(self, dash_key: &str) -> String {
        match self {
            Spelling::Dash => dash_key.to_owned(),
            Spelling::Snake => dash_key.replace('-', "_"),
        }
    }
}

/// Both spellings of a console key, dash-case first.
pub fn spellings(dash_key: &str) -> [String; 2] {
    [dash_key.to_owned(), dash_key.replace('-', "_")]
}

/// A console key's entry in either spelling.
pub fn console_entry<'a>(doc: &'a Document, dash_key: &str) -> Option<EntryRef<'a>> {
    let root = doc.root()?;
    let [dash, snake] = spellings(dash_key);
    doc.get_any(root, &[dash.as_str(), snake.as_str()])
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

/// Whether a value is a non-empty string (a setting that is present but empty counts as
/// missing for settings Pomerium requires).
pub fn non_empty_str(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// The parts of a URL that steps look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    pub scheme: &'a str,
    /// The host name without port or brackets.
    pub host: &'a str,
    pub port: Option<u16>,
}

/// Splits `scheme://[userinfo@]host[:port][/path…]`. Not a full URL parser: enough for the
/// `from`/`to` values of routes.
pub fn parse_url(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
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
    (!host.is_empty()).then_some(UrlParts { scheme, host, port })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        let u = parse_url("https://user:pw@console.corp.example.com:8443/path?x=1");
        assert_eq!(
            u,
            Some(UrlParts {
                scheme: "https",
                host: "console.corp.example.com",
                port: Some(8443)
            })
        );
        let u = parse_url("http://[::1]:8701");
        assert_eq!(u.map(|u| (u.host, u.port)), Some(("::1", Some(8701))));
        assert_eq!(
            parse_url("http://pomerium-console").map(|u| u.port),
            Some(None)
        );
        assert_eq!(parse_url("pomerium-console:8701"), None);
        assert_eq!(parse_url("http://host:notaport"), None);
        assert_eq!(parse_url("http://"), None);
    }

    #[test]
    fn names_are_joined_in_prose() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(join_names(&names(&["a"])), "a");
        assert_eq!(join_names(&names(&["a", "b"])), "a and b");
        assert_eq!(join_names(&names(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn spelling_keys() {
        assert_eq!(Spelling::Snake.key("license-key"), "license_key");
        assert_eq!(Spelling::Dash.key("license-key"), "license-key");
        assert_eq!(spellings("audience"), ["audience", "audience"]);
    }
}

/// Findings about routes, merged when several routes reach the same written entry (through
/// a merge key or an alias): one finding naming every route instead of one per route.
#[derive(Default)]
pub struct RouteFindings {
    items: Vec<RouteFinding>,
}

struct RouteFinding {
    severity: Severity,
    location: Option<Location>,
    /// The message, with `{routes}` where the route names go.
    template: String,
    routes: Vec<String>,
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
        let same = self
            .items
            .iter_mut()
            .find(|f| f.severity == severity && f.location == location && f.template == template);
        match same {
            Some(f) => {
                if !f.routes.contains(&route) {
                    f.routes.push(route);
                }
            }
            None => self.items.push(RouteFinding {
                severity,
                location,
                template,
                routes: vec![route],
            }),
        }
    }

    /// Reports every finding, in the order first added.
    pub fn emit(self, cx: &mut StepContext<'_>) {
        for f in self.items {
            let message = f.template.replace("{routes}", &join_names(&f.routes));
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
