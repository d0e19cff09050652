//! The data model every backend reduces a document to.
//!
//! Verification ("Data flow" in `docs/ARCHITECTURE.md`) compares two of these: the data the
//! edited text parses to, and the data the edits were meant to produce. Mappings keep their
//! order so that an insertion "after X" is checked at its place, not just for its presence.

use std::fmt;

/// A parsed value, independent of the file format.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// Floats keep their source spelling: no step rewrites one, and text comparison avoids NaN.
    Float(String),
    String(String),
    Sequence(Vec<Value>),
    Mapping(Vec<(Value, Value)>),
    /// A value the format parser could not type (e.g. `!!int abc` in YAML).
    Invalid,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entries of a mapping, or `None` for other values.
    pub fn as_mapping(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// Looks up a string key in a mapping.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_mapping()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    pub fn is_scalar(&self) -> bool {
        !matches!(self, Value::Sequence(_) | Value::Mapping(_))
    }

    /// The text of a scalar as a user would write it (used for keys and messages).
    pub fn scalar_text(&self) -> Option<String> {
        Some(match self {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.clone(),
            Value::String(s) => s.clone(),
            _ => return None,
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Sequence(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Mapping(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Value::String(s) => write!(f, "{s:?}"),
            Value::Invalid => f.write_str("<invalid>"),
            other => f.write_str(&other.scalar_text().unwrap_or_default()),
        }
    }
}

/// One step of a path into a [`Value`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DataSeg {
    Key(Value),
    Index(usize),
}

/// Follows `path` from `root`, mutably.
pub(crate) fn lookup_mut<'a>(root: &'a mut Value, path: &[DataSeg]) -> Option<&'a mut Value> {
    let mut cur = root;
    for seg in path {
        cur = match (seg, cur) {
            (DataSeg::Index(i), Value::Sequence(items)) => items.get_mut(*i)?,
            (DataSeg::Key(k), Value::Mapping(entries)) => {
                entries.iter_mut().find(|(ek, _)| ek == k).map(|(_, v)| v)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

/// Finds the first difference between `expected` and `actual`, as a readable path and message.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<String> {
    if expected == actual {
        return None;
    }
    let mut path = String::new();
    Some(difference_at(expected, actual, &mut path).unwrap_or_else(|| "values differ".into()))
}

/// The first difference below `path` (the path written so far).
fn difference_at(e: &Value, a: &Value, path: &mut String) -> Option<String> {
    match (e, a) {
        (Value::Sequence(es), Value::Sequence(as_)) => {
            for (i, (ei, ai)) in es.iter().zip(as_).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                if let Some(d) = difference_at(ei, ai, path) {
                    return Some(d);
                }
                path.truncate(len);
            }
            (es.len() != as_.len()).then(|| {
                format!(
                    "at {}: expected {} items, found {}",
                    show_path(path),
                    es.len(),
                    as_.len()
                )
            })
        }
        (Value::Mapping(es), Value::Mapping(as_)) => mapping_difference(es, as_, path),
        _ if e == a => None,
        // Two strings: where they part and how long each is locate the bug without the text.
        (Value::String(es), Value::String(as_)) => {
            let at = es
                .chars()
                .zip(as_.chars())
                .take_while(|(x, y)| x == y)
                .count();
            Some(format!(
                "at {}: expected a string of {} characters, found one of {} that differs from \
                 character {}",
                show_path(path),
                es.chars().count(),
                as_.chars().count(),
                at + 1
            ))
        }
        _ => Some(format!(
            "at {}: expected {}, found {}",
            show_path(path),
            kind_name(e),
            kind_name(a)
        )),
    }
}

fn mapping_difference(
    es: &[(Value, Value)],
    as_: &[(Value, Value)],
    path: &mut String,
) -> Option<String> {
    for (i, ((ek, ev), (ak, av))) in es.iter().zip(as_).enumerate() {
        if ek != ak {
            return Some(format!(
                "at {}: entry {} has key {ak}, expected {ek}",
                show_path(path),
                i + 1
            ));
        }
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&ek.scalar_text().unwrap_or_else(|| "?".into()));
        if let Some(d) = difference_at(ev, av, path) {
            return Some(d);
        }
        path.truncate(len);
    }
    (es.len() != as_.len()).then(|| {
        format!(
            "at {}: expected {} entries, found {}",
            show_path(path),
            es.len(),
            as_.len()
        )
    })
}

/// What kind of value `v` is. Values themselves are never printed: they may be secrets (see
/// "Secrets" in `docs/ARCHITECTURE.md`); kinds are enough to locate a bug.
fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a sequence",
        Value::Mapping(_) => "a mapping",
        Value::Invalid => "an invalid value",
    }
}

fn show_path(path: &str) -> &str {
    if path.is_empty() {
        "the top level"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Mapping(
            entries
                .iter()
                .map(|(k, v)| (Value::String((*k).into()), v.clone()))
                .collect(),
        )
    }

    /// Values are shown in flow style, items and entries separated by ", " (not led by it).
    #[test]
    fn values_display_in_flow_style() {
        let v = Value::Sequence(vec![
            Value::Int(1),
            Value::String("a".into()),
            map(&[("k", Value::Null), ("l", Value::Bool(true))]),
            Value::Sequence(vec![]),
        ]);
        assert_eq!(v.to_string(), r#"[1, "a", {"k": null, "l": true}, []]"#);
    }

    #[test]
    fn difference_names_the_path_but_not_the_value() {
        let e = map(&[("a", map(&[("b", Value::String("secret1".into()))]))]);
        let a = map(&[("a", map(&[("b", Value::Int(3))]))]);
        let d = first_difference(&e, &a).unwrap_or_default();
        assert_eq!(d, "at a.b: expected a string, found an integer");
        assert!(!d.contains("secret1"));
        assert_eq!(first_difference(&e, &e), None);
        // Two strings: lengths and the first differing character, never the text.
        let a = map(&[("a", map(&[("b", Value::String("secret2!".into()))]))]);
        let d = first_difference(&e, &a).unwrap_or_default();
        assert_eq!(
            d,
            "at a.b: expected a string of 7 characters, found one of 8 that differs from character 7"
        );
        assert!(!d.contains("secret"));
    }

    #[test]
    fn difference_in_a_sequence_names_the_item() {
        let seq = |items: &[Value]| Value::Sequence(items.to_vec());
        let e = map(&[("l", seq(&[Value::Int(1), map(&[("k", Value::Null)])]))]);
        let a = map(&[("l", seq(&[Value::Int(1), map(&[("k", Value::Bool(true))])]))]);
        assert_eq!(
            first_difference(&e, &a).unwrap_or_default(),
            "at l[1].k: expected null, found a boolean"
        );
        let a = map(&[("l", seq(&[Value::Int(1)]))]);
        assert_eq!(
            first_difference(&e, &a).unwrap_or_default(),
            "at l: expected 2 items, found 1"
        );
    }

    #[test]
    fn a_missing_entry_is_counted() {
        let e = map(&[("m", map(&[("a", Value::Int(1)), ("b", Value::Int(2))]))]);
        let a = map(&[("m", map(&[("a", Value::Int(1))]))]);
        assert_eq!(
            first_difference(&e, &a).unwrap_or_default(),
            "at m: expected 2 entries, found 1"
        );
    }

    #[test]
    fn difference_in_order_is_reported() {
        let e = map(&[("a", Value::Null), ("b", Value::Null)]);
        let a = map(&[("b", Value::Null), ("a", Value::Null)]);
        assert!(first_difference(&e, &a).is_some());
    }
}
