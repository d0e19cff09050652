//! Naming both places of a duplicate key. toml_edit refuses a key defined twice (as TOML does)
//! but points at the second definition only; the user needs both lines to choose.

use crate::document::lines::Lines;
use crate::document::{Location, NodeKind};

/// The key written at byte `at` of `src` (where toml_edit reported "duplicate key"), unquoted.
fn key_at(src: &str, at: usize) -> Option<String> {
    let rest = src.get(at..)?;
    let mut chars = rest.chars();
    match chars.next()? {
        quote @ ('"' | '\'') => {
            let mut key = String::new();
            let mut escaped = false;
            for c in chars {
                match c {
                    '\\' if quote == '"' && !escaped => escaped = true,
                    c if c == quote && !escaped => return Some(key),
                    '\n' => return None,
                    c => {
                        key.push(c);
                        escaped = false;
                    }
                }
            }
            None
        }
        _ => {
            let key: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            (!key.is_empty()).then_some(key)
        }
    }
}

/// For a duplicate key reported at byte `at` of `src`: the key, and where it was first defined
/// (the nearest earlier definition of that key once the line of the second one is blanked out).
/// `None` when that cannot be told (e.g. the file has another error as well).
pub(super) fn first_definition(src: &str, at: usize) -> Option<(String, Location)> {
    let key = key_at(src, at)?;
    let start = src.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let end = src.get(at..)?.find('\n').map_or(src.len(), |i| at + i);
    // One space per character keeps every other line and column where it was.
    let mut blanked = String::with_capacity(src.len());
    blanked.push_str(&src[..start]);
    blanked.extend(src[start..end].chars().map(|_| ' '));
    blanked.push_str(&src[end..]);
    let lines = Lines::lf_only(&blanked);
    let second = lines.location(src, at);
    let parsed = toml_edit::Document::parse(blanked.as_str()).ok()?;
    let (tree, _) = super::index::build(&blanked, &lines, parsed.as_table());
    let first = tree
        .nodes
        .iter()
        .filter_map(|node| match &node.kind {
            NodeKind::Mapping(entries) => Some(entries),
            _ => None,
        })
        .flatten()
        .filter(|e| e.key == key)
        .map(|e| tree.node(e.key_node).location())
        .filter(|l| *l < second)
        .max()?;
    Some((key, first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(src: &str) -> Option<(String, Location)> {
        let err = toml_edit::Document::parse(src).err()?;
        first_definition(src, err.span()?.start)
    }

    fn at(line: usize, column: usize) -> Location {
        Location { line, column }
    }

    #[test]
    fn both_places_of_a_duplicate_are_found() {
        assert_eq!(first("a = 1\na = 2\n"), Some(("a".into(), at(1, 1))));
        assert_eq!(
            first("b = 0\n[t]\nx = 1\n[u]\nx = 2\n[t]\ny = 2\n"),
            Some(("t".into(), at(2, 2)))
        );
        assert_eq!(
            first("[[routes]]\nfrom = \"x\"\n\"from\" = \"y\"\n"),
            Some(("from".into(), at(2, 1)))
        );
        assert_eq!(first("a.b = 1\na.b = 2\n"), Some(("b".into(), at(1, 3))));
        assert_eq!(
            first("a = \"é\"\nk = 2\nk = \"é\"\n"),
            Some(("k".into(), at(2, 1)))
        );
    }
}
