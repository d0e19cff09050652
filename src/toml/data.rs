//! The data model of a TOML document, read straight from toml_edit's parsed items.
//!
//! TOML tables are unordered, but the engine's data model keeps an order so that verification can
//! check where an insertion landed. TOML decides part of the order for us: a table's own
//! `key = value` lines must all come before the headers of its sub-tables. So a table lists its
//! entries as
//!
//! 1. its sub-tables written under headers (`[a.b]`, `[[a.c]]`, and implicit tables that only
//!    exist through such headers), by the position of their first header, then
//! 2. its `key = value` entries (dotted keys included), by the position of their first key.
//!
//! With this order an entry inserted at the end of a table, which TOML writes after the table's
//! last `key = value` line, is also last in the data model. Inline tables keep their text order.

use toml_edit::{InlineTable, Item, Key, Table, Value as TomlValue};

use crate::document::Value;

/// Whether an item is written under headers of its own rather than as `key = value` lines.
pub(crate) fn is_section(item: &Item) -> bool {
    match item {
        Item::Table(t) => !t.is_dotted(),
        Item::ArrayOfTables(_) => true,
        Item::Value(_) | Item::None => false,
    }
}

/// The offset of the first header in an item (a table with no header of its own is placed by its
/// sub-tables).
pub(crate) fn first_header(item: &Item) -> usize {
    match item {
        Item::Table(t) => {
            let own = match t.span() {
                Some(s) if !t.is_implicit() && !t.is_dotted() => s.start,
                _ => usize::MAX,
            };
            t.iter()
                .map(|(_, child)| first_header(child))
                .fold(own, usize::min)
        }
        Item::ArrayOfTables(a) => a
            .iter()
            .map(|t| {
                let own = t.span().map_or(usize::MAX, |s| s.start);
                t.iter()
                    .map(|(_, child)| first_header(child))
                    .fold(own, usize::min)
            })
            .min()
            .unwrap_or(usize::MAX),
        Item::Value(_) | Item::None => usize::MAX,
    }
}

fn key_offset(key: &Key) -> usize {
    key.span().map_or(usize::MAX, |s| s.start)
}

/// A table's entries in data-model order (see the module comment).
pub(crate) fn ordered_entries(table: &Table) -> Vec<(&Key, &Item)> {
    let mut sections = Vec::new();
    let mut body = Vec::new();
    for (name, _) in table.iter() {
        let Some((key, item)) = table.get_key_value(name) else {
            continue;
        };
        if item.is_none() {
            continue;
        }
        if is_section(item) {
            sections.push((first_header(item), key, item));
        } else {
            body.push((key_offset(key), key, item));
        }
    }
    sections.sort_by_key(|(at, _, _)| *at);
    body.sort_by_key(|(at, _, _)| *at);
    sections
        .into_iter()
        .chain(body)
        .map(|(_, k, i)| (k, i))
        .collect()
}

/// An inline table's entries in text order.
pub(crate) fn ordered_inline(table: &InlineTable) -> Vec<(&Key, &TomlValue)> {
    let mut out: Vec<(&Key, &TomlValue)> = table
        .iter()
        .filter_map(|(name, _)| {
            let (key, item) = table.get_key_value(name)?;
            Some((key, item.as_value()?))
        })
        .collect();
    out.sort_by_key(|(k, _)| key_offset(k));
    out
}

/// The source text of a float, which the data model keeps as written.
pub(crate) fn float_text(value: &toml_edit::Formatted<f64>, src: &str) -> String {
    value
        .span()
        .and_then(|s| src.get(s))
        .map_or_else(|| value.value().to_string(), str::to_owned)
}

/// A scalar's data value; `None` for arrays and inline tables.
pub(crate) fn scalar(value: &TomlValue, src: &str) -> Option<Value> {
    Some(match value {
        TomlValue::String(s) => Value::String(s.value().clone()),
        TomlValue::Integer(i) => Value::Int(*i.value()),
        TomlValue::Float(f) => Value::Float(float_text(f, src)),
        TomlValue::Boolean(b) => Value::Bool(*b.value()),
        // Pomerium reads dates as strings; the data model has no date type.
        TomlValue::Datetime(d) => Value::String(d.value().to_string()),
        TomlValue::Array(_) | TomlValue::InlineTable(_) => return None,
    })
}

fn value(v: &TomlValue, src: &str) -> Value {
    match v {
        TomlValue::Array(items) => Value::Sequence(items.iter().map(|i| value(i, src)).collect()),
        TomlValue::InlineTable(t) => Value::Mapping(
            ordered_inline(t)
                .into_iter()
                .map(|(k, v)| (Value::String(k.get().to_owned()), value(v, src)))
                .collect(),
        ),
        other => scalar(other, src).unwrap_or(Value::Invalid),
    }
}

fn item(item: &Item, src: &str) -> Value {
    match item {
        Item::Value(v) => value(v, src),
        Item::Table(t) => table(t, src),
        Item::ArrayOfTables(a) => Value::Sequence(a.iter().map(|t| table(t, src)).collect()),
        Item::None => Value::Invalid,
    }
}

/// The data of a table.
pub(crate) fn table(t: &Table, src: &str) -> Value {
    Value::Mapping(
        ordered_entries(t)
            .into_iter()
            .map(|(k, i)| (Value::String(k.get().to_owned()), item(i, src)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(text: &str) -> Value {
        match toml_edit::Document::parse(text) {
            Ok(doc) => table(doc.as_table(), text),
            Err(e) => panic!("{e}"),
        }
    }

    fn keys(v: &Value) -> Vec<String> {
        v.as_mapping()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, _)| k.as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn sub_tables_come_before_key_values() {
        let v = data("z = 1\na.x = 2\n[[routes]]\nfrom = 'f'\n[b]\ny = 1.50\n[c.d]\n[c]\n");
        assert_eq!(keys(&v), ["routes", "b", "c", "z", "a"]);
        assert_eq!(
            v.get("b").and_then(|b| b.get("y")),
            Some(&Value::Float("1.50".into()))
        );
        assert_eq!(keys(v.get("c").unwrap_or(&Value::Null)), ["d"]);
    }

    #[test]
    fn scalars_and_inline_collections() {
        let v = data("d = 1979-05-27T07:32:00Z\nh = 0xff\nt = { b = 1, a = [true, 'x'] }\n");
        assert_eq!(
            v.get("d"),
            Some(&Value::String("1979-05-27T07:32:00Z".into()))
        );
        assert_eq!(v.get("h"), Some(&Value::Int(255)));
        assert_eq!(
            v.get("t"),
            Some(&Value::Mapping(vec![
                (Value::String("b".into()), Value::Int(1)),
                (
                    Value::String("a".into()),
                    Value::Sequence(vec![Value::Bool(true), Value::String("x".into())])
                ),
            ]))
        );
    }
}
