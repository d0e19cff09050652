//! Writes keys and values as TOML text.

use super::index::StrStyle;
use crate::document::Value;

/// How a key is quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyStyle {
    Bare,
    Basic,
    Literal,
}

impl KeyStyle {
    /// The style of a key token as written.
    pub(crate) fn of(token: &str) -> KeyStyle {
        if token.starts_with('"') {
            KeyStyle::Basic
        } else if token.starts_with('\'') {
            KeyStyle::Literal
        } else {
            KeyStyle::Bare
        }
    }
}

fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Characters a literal string cannot hold: control characters other than tab.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{7f}'
}

fn literal_ok(s: &str) -> bool {
    !s.contains('\'') && !s.chars().any(needs_escape)
}

/// A key, keeping `style` where the key allows it.
pub(crate) fn key(k: &str, style: KeyStyle) -> String {
    match style {
        KeyStyle::Bare if is_bare(k) => k.to_owned(),
        KeyStyle::Literal if literal_ok(k) => format!("'{k}'"),
        _ => basic(k),
    }
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
        c => out.push(c),
    }
}

/// A basic (double-quoted) string.
pub(crate) fn basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape_into(&mut out, c);
    }
    out.push('"');
    out
}

/// A `"""` string. Line breaks stay real line breaks only in a file with LF line ends: in a CRLF
/// file a written break would read back as `\r\n`.
fn ml_basic(s: &str, eol: &str, leading_break: bool) -> String {
    let raw_breaks = eol == "\n";
    let mut out = String::from("\"\"\"");
    if leading_break || (raw_breaks && s.starts_with('\n')) {
        out.push_str(eol);
    }
    for c in s.chars() {
        match c {
            '\n' if raw_breaks => out.push('\n'),
            c => escape_into(&mut out, c),
        }
    }
    out.push_str("\"\"\"");
    out
}

fn ml_literal(s: &str, eol: &str, leading_break: bool) -> Option<String> {
    let ok = !s.contains("'''")
        && !s.ends_with('\'')
        && !s.chars().any(|c| c != '\n' && needs_escape(c))
        && (eol == "\n" || !s.contains('\n'));
    if !ok {
        return None;
    }
    let lead = if leading_break || s.starts_with('\n') {
        eol
    } else {
        ""
    };
    Some(format!("'''{lead}{s}'''"))
}

/// A string in the given style, or the nearest one that can hold it.
pub(crate) fn string(s: &str, style: StrStyle, eol: &str) -> String {
    match style {
        StrStyle::Basic => basic(s),
        StrStyle::Literal if literal_ok(s) => format!("'{s}'"),
        StrStyle::Literal => basic(s),
        StrStyle::MlBasic(lead) => ml_basic(s, eol, lead),
        StrStyle::MlLiteral(lead) => {
            ml_literal(s, eol, lead).unwrap_or_else(|| ml_basic(s, eol, lead))
        }
    }
}

/// Why a value cannot be written in TOML.
pub(crate) type Unwritable = &'static str;

/// A float's text, which must already be TOML float syntax: the data model keeps floats as
/// written, so a respelled float would not verify.
fn float(text: &str) -> Result<String, Unwritable> {
    match text.parse::<toml_edit::Value>() {
        Ok(toml_edit::Value::Float(_)) if text.trim() == text => Ok(text.to_owned()),
        _ => Err("a float not written in TOML syntax"),
    }
}

/// A value on one line: scalars, `[…]` arrays and `{ … }` inline tables. Strings use `strings`
/// (multi-line styles become basic: the value sits inside a line).
pub(crate) fn inline(v: &Value, strings: StrStyle, eol: &str) -> Result<String, Unwritable> {
    let strings = match strings {
        StrStyle::MlBasic(_) | StrStyle::MlLiteral(_) => StrStyle::Basic,
        other => other,
    };
    Ok(match v {
        Value::Null => return Err("a null value (TOML has no null)"),
        Value::Invalid => return Err("an invalid value"),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float(f)?,
        Value::String(s) => string(s, strings, eol),
        Value::Sequence(items) => {
            let items: Result<Vec<String>, Unwritable> =
                items.iter().map(|i| inline(i, strings, eol)).collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Mapping(entries) if entries.is_empty() => "{}".to_owned(),
        Value::Mapping(entries) => {
            let mut parts = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                parts.push(format!("{} = {}", map_key(k)?, inline(v, strings, eol)?));
            }
            format!("{{ {} }}", parts.join(", "))
        }
    })
}

/// A mapping key of a new value: TOML keys are strings.
pub(crate) fn map_key(k: &Value) -> Result<String, Unwritable> {
    match k {
        Value::String(s) => Ok(key(s, KeyStyle::Bare)),
        _ => Err("a mapping key that is not a string"),
    }
}

/// A scalar that replaces another: a string keeps the old quoting where it can hold the value.
pub(crate) fn replacement(
    v: &Value,
    old: Option<StrStyle>,
    eol: &str,
) -> Result<String, Unwritable> {
    match (v, old) {
        (Value::String(s), Some(style)) => Ok(string(s, style, eol)),
        _ => inline(v, StrStyle::Basic, eol),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    #[test]
    fn keys_keep_their_quoting_where_possible() {
        assert_eq!(key("a_b-1", KeyStyle::Bare), "a_b-1");
        assert_eq!(key("a.b", KeyStyle::Bare), "\"a.b\"");
        assert_eq!(key("a", KeyStyle::Basic), "\"a\"");
        assert_eq!(key("it's", KeyStyle::Literal), "\"it's\"");
        assert_eq!(key("x", KeyStyle::Literal), "'x'");
        assert_eq!(key("", KeyStyle::Bare), "\"\"");
    }

    #[test]
    fn strings_in_each_style() {
        assert_eq!(string("a\"b\\", StrStyle::Basic, "\n"), "\"a\\\"b\\\\\"");
        assert_eq!(string("C:\\x", StrStyle::Literal, "\n"), "'C:\\x'");
        assert_eq!(string("it's", StrStyle::Literal, "\n"), "\"it's\"");
        assert_eq!(
            string("a\nb", StrStyle::MlBasic(true), "\n"),
            "\"\"\"\na\nb\"\"\""
        );
        assert_eq!(
            string("a\nb", StrStyle::MlBasic(false), "\r\n"),
            "\"\"\"a\\nb\"\"\""
        );
        assert_eq!(
            string("a\nb'", StrStyle::MlLiteral(false), "\n"),
            "\"\"\"a\nb'\"\"\""
        );
        assert_eq!(string("\u{1}", StrStyle::Basic, "\n"), "\"\\u0001\"");
    }

    #[test]
    fn inline_values() {
        let v = Value::Mapping(vec![
            (s("Authorization"), s("Bearer ${pomerium.id_token}")),
            (
                s("x y"),
                Value::Sequence(vec![Value::Int(1), Value::Bool(false)]),
            ),
        ]);
        assert_eq!(
            inline(&v, StrStyle::Basic, "\n"),
            Ok("{ Authorization = \"Bearer ${pomerium.id_token}\", \"x y\" = [1, false] }".into())
        );
        assert!(inline(&Value::Null, StrStyle::Basic, "\n").is_err());
        assert_eq!(
            inline(&Value::Float("1.5e3".into()), StrStyle::Basic, "\n"),
            Ok("1.5e3".into())
        );
        assert!(inline(&Value::Float(".inf".into()), StrStyle::Basic, "\n").is_err());
        let bad_key = Value::Mapping(vec![(Value::Int(1), Value::Int(2))]);
        assert!(inline(&bad_key, StrStyle::Basic, "\n").is_err());
    }
}
