//! JSON files: JSON is YAML's flow subset, so the YAML engine edits them; serde_json checks that
//! the input and every output are real JSON and supplies the data model that verification uses.

use crate::document::{Location, ParseError, Value};

/// Parses JSON text (a BOM allowed) into the data model.
pub(crate) fn parse(text: &str) -> Result<Value, ParseError> {
    read(text).map(|v| convert(&v))
}

/// Checks that a text (a BOM allowed) is JSON, as [`parse`] does, without converting its data.
pub(crate) fn check(text: &str) -> Result<(), ParseError> {
    read(text).map(drop)
}

fn read(text: &str) -> Result<serde_json::Value, ParseError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => Ok(v),
        Err(e) => Err(ParseError::Syntax {
            location: Location {
                line: e.line().max(1),
                column: e.column().max(1),
            },
            message: format!("invalid JSON: {}", strip_position(&e.to_string())),
        }),
    }
}

/// serde_json appends " at line L column C"; the location is reported separately.
fn strip_position(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

fn convert(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        // With arbitrary precision a number keeps its source text, which is also how the YAML
        // reader keeps a float.
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.to_string()),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Sequence(items.iter().map(convert).collect()),
        serde_json::Value::Object(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| (Value::String(k.clone()), convert(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_value_and_precision() {
        // serde_json writes exponents as `1e+3`; what matters is that the input and every
        // output read alike, and that no digit is lost to a float conversion.
        let v = parse("{\"a\": 1, \"b\": 1e3, \"c\": 2.50, \"d\": 18446744073709551615}");
        assert_eq!(
            v,
            Ok(Value::Mapping(vec![
                (Value::String("a".into()), Value::Int(1)),
                (Value::String("b".into()), Value::Float("1e+3".into())),
                (Value::String("c".into()), Value::Float("2.50".into())),
                (
                    Value::String("d".into()),
                    Value::Float("18446744073709551615".into())
                ),
            ]))
        );
    }

    #[test]
    fn errors_have_a_location() {
        let e = parse("{\n  \"a\": 1,\n}").err();
        assert_eq!(e.map(|e| e.location().line), Some(3));
    }

    /// The check that keeps no data accepts and refuses exactly what `parse` does.
    #[test]
    fn check_agrees_with_parse() {
        for text in [
            "{\"a\": [1, 2.5, null, true, \"x\"]}",
            "\u{feff}{}",
            "{\n  \"a\": 1,\n}",
            "[1, 2",
            "{\"a\": 1} x",
            "",
        ] {
            assert_eq!(check(text), parse(text).map(drop), "{text:?}");
        }
    }
}
