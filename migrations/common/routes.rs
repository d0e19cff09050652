//! Routes: finding the route mappings of a Core config, naming them in messages, and
//! merging findings that several routes share.

use crate::document::{Document, Location, NodeId, NodeKind};
use crate::step::{Severity, StepContext};

/// A route mapping of a Core config and how messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route<'d> {
    pub(crate) node: NodeId,
    /// The list it is an item of (`routes`, or `policy` for the older list) and its index there.
    list: &'static str,
    index: usize,
    /// Its `from` URL, trimmed, when it has a non-empty one.
    from: Option<&'d str>,
}

impl Route<'_> {
    /// How messages name the route: its place and its `from` URL,
    /// `routes[5] (https://grafana.example.com)` (only the place when `from` is missing). The
    /// index finds it in the file, the URL tells the reader which route it is. Made when a
    /// message needs it: most routes of a large file are never named.
    pub(crate) fn name(&self) -> String {
        match self.from {
            Some(from) => format!("{}[{}] ({from})", self.list, self.index),
            None => format!("{}[{}]", self.list, self.index),
        }
    }
}

/// Every route mapping of a Core config: the items of `routes` and of the older top-level
/// `policy` list (same shape), aliases resolved, each mapping once (under the first place it
/// has).
pub(crate) fn routes(doc: &Document) -> Vec<Route<'_>> {
    let mut out: Vec<Route<'_>> = Vec::new();
    let mut seen = foldhash::HashSet::default();
    let Some(root) = doc.root() else {
        return out;
    };
    for list in ["routes", "policy"] {
        let Some(entry) = doc.get(root, list) else {
            continue;
        };
        for (index, item) in doc.items(doc.resolve(entry.value)).iter().enumerate() {
            let node = doc.resolve(*item);
            if doc.is_mapping(node) && seen.insert(node) {
                let from = doc
                    .get(node, "from")
                    .and_then(|e| doc.str(e.value))
                    .map(str::trim)
                    .filter(|from| !from.is_empty());
                out.push(Route {
                    node,
                    list,
                    index,
                    from,
                });
            }
        }
    }
    out
}

/// Findings about routes, merged when several routes reach the same written entry (through
/// a merge key or an alias): one finding naming every route instead of one per route.
#[derive(Default)]
pub(crate) struct RouteFindings {
    items: Vec<RouteFinding>,
    /// Where each (severity, location, template) is in `items`.
    index: foldhash::HashMap<(Severity, Option<Location>, String), usize>,
}

struct RouteFinding {
    severity: Severity,
    location: Option<Location>,
    /// The message, with `{routes}` where the route names go and `{each route}` where the
    /// message refers back to them ("the route", or "each of these routes").
    template: String,
    routes: Vec<String>,
    /// The names in `routes`, to add each once without searching the list.
    named: foldhash::HashSet<String>,
}

impl RouteFindings {
    /// Adds `route` to the finding with this severity, location and template.
    pub(crate) fn add(
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
                    named: foldhash::HashSet::from_iter([route.clone()]),
                    routes: vec![route],
                });
            }
        }
    }

    /// Whether no finding was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Reports every finding, in the order first added.
    pub(crate) fn emit(self, cx: &mut StepContext<'_>) {
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
pub(crate) fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The mappings a mapping merges directly with `<<` (aliases resolved).
pub(crate) fn merged_maps(doc: &Document, map: NodeId) -> Vec<NodeId> {
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
pub(crate) fn merges(doc: &Document, route: NodeId, map: NodeId) -> bool {
    merged_maps(doc, route).contains(&map)
        || doc
            .entries(route)
            .iter()
            .any(|e| e.merged_into.is_some() && e.id.map == map)
}

/// The string items of a node that is a string or a list of strings (`to` may be either).
pub(crate) fn strings(doc: &Document, node: NodeId) -> Vec<String> {
    if let Some(s) = doc.str(node) {
        return vec![s.to_owned()];
    }
    doc.items(node)
        .iter()
        .filter_map(|item| doc.str(*item).map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_joined_in_prose() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(join_names(&names(&["a"])), "a");
        assert_eq!(join_names(&names(&["a", "b"])), "a and b");
        assert_eq!(join_names(&names(&["a", "b", "c"])), "a, b and c");
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
        let names: Vec<String> = routes(&doc).into_iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            [
                "routes[0] (https://a.example.com)",
                "policy[0] (https://b.example.com)"
            ]
        );
        let doc = parse("routes:\n  - to: http://a\n  - from: ''\n    to: http://b\n");
        let names: Vec<String> = routes(&doc).into_iter().map(|r| r.name()).collect();
        assert_eq!(names, ["routes[0]", "routes[1]"]);
    }
}
