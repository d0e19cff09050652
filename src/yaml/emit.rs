//! Writing values as YAML text: scalars in a chosen quote style, and small collections in the
//! block or flow style of their surroundings.

use yaml_rust2::Yaml;

use super::index::yaml_to_value;
use crate::document::Value;

/// A scalar quote style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quote {
    Plain,
    Single,
    Double,
}

/// Words that some YAML reader (yaml-rust2, or Go's yaml.v3 that Pomerium uses, with its YAML 1.1
/// booleans) would not read as a string when plain.
fn ambiguous_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    )
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    let t = t.strip_prefix('.').unwrap_or(t);
    t.starts_with(|c: char| c.is_ascii_digit())
        || matches!(t.to_ascii_lowercase().as_str(), "inf" | "nan")
}

/// Whether `s` can be written as a plain scalar and read back as the same string.
pub(crate) fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if ambiguous_word(s) || looks_numeric(s) {
        return false;
    }
    if yaml_to_value(&Yaml::from_str(s)) != Value::String(s.to_owned()) {
        return false;
    }
    if s.contains(": ")
        || s.contains(":\t")
        || s.ends_with(':')
        || s.contains(" #")
        || s.contains("\t#")
    {
        return false;
    }
    if s.chars()
        .any(|c| c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}')
    {
        return false;
    }
    if flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    true
}

fn printable(c: char) -> bool {
    !(c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}'))
}

/// `'…'`, or `None` when the string needs escapes.
pub(crate) fn single_quoted(s: &str) -> Option<String> {
    if !s.chars().all(|c| printable(c) || c == '\t') || s.contains('\t') {
        return None;
    }
    Some(format!("'{}'", s.replace('\'', "''")))
}

/// `"…"` with escapes that JSON also accepts.
pub(crate) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if !printable(c) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A scalar's text. Non-strings are written bare; strings in the preferred style when the value
/// allows it, else single- then double-quoted.
pub(crate) fn scalar(value: &Value, prefer: Quote, flow: bool) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.clone(),
        Value::String(s) => match prefer {
            Quote::Plain if plain_ok(s, flow) => s.clone(),
            Quote::Plain | Quote::Single => single_quoted(s).unwrap_or_else(|| double_quoted(s)),
            Quote::Double => double_quoted(s),
        },
        // Callers route collections elsewhere; an invalid value has no text.
        Value::Sequence(_) | Value::Mapping(_) | Value::Invalid => "null".to_owned(),
    }
}

/// How new text should look where it goes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout<'a> {
    pub eol: &'a str,
    /// Indentation step for nested block collections.
    pub unit: usize,
    /// Key and string quote style to follow (JSON-like files quote everything).
    pub keys: Quote,
    pub strings: Quote,
}

/// A value in flow style (`{a: 1, b: [x]}`).
pub(crate) fn flow(value: &Value, layout: &Layout<'_>) -> String {
    match value {
        Value::Mapping(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    let key = scalar(k, layout.keys, true);
                    format!("{key}: {}", flow(v, layout))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Sequence(items) => {
            let parts: Vec<String> = items.iter().map(|v| flow(v, layout)).collect();
            format!("[{}]", parts.join(", "))
        }
        v => scalar(v, layout.strings, true),
    }
}

/// A value in flow style spread over lines, as pretty-printed JSON is: each entry on its own
/// line at `indent + unit`, the closing bracket at `indent` (both are whitespace strings copied
/// from the file).
pub(crate) fn flow_lines(value: &Value, indent: &str, unit: &str, layout: &Layout<'_>) -> String {
    let inner = format!("{indent}{unit}");
    let (open, close, parts): (char, char, Vec<String>) = match value {
        Value::Mapping(entries) if !entries.is_empty() => (
            '{',
            '}',
            entries
                .iter()
                .map(|(k, v)| {
                    let key = scalar(k, layout.keys, true);
                    format!("{key}: {}", flow_lines(v, &inner, unit, layout))
                })
                .collect(),
        ),
        Value::Sequence(items) if !items.is_empty() => (
            '[',
            ']',
            items
                .iter()
                .map(|v| flow_lines(v, &inner, unit, layout))
                .collect(),
        ),
        v => return flow(v, layout),
    };
    let sep = format!(",{}{inner}", layout.eol);
    format!(
        "{open}{eol}{inner}{}{eol}{indent}{close}",
        parts.join(&sep),
        eol = layout.eol
    )
}

/// Text that follows `key:` in block context for `value` whose entry sits at `indent`: either
/// ` scalar` on the same line, or a line break and nested lines.
pub(crate) fn block_after_key(value: &Value, indent: usize, layout: &Layout<'_>) -> String {
    match value {
        Value::Mapping(entries) if !entries.is_empty() => {
            let mut out = String::new();
            block_mapping_lines(entries, indent + layout.unit, layout, &mut out);
            out
        }
        Value::Sequence(items) if !items.is_empty() => {
            let mut out = String::new();
            block_sequence_lines(items, indent + layout.unit, layout, &mut out);
            out
        }
        v => format!(" {}", inline(v, layout)),
    }
}

/// A value on the rest of a block line: scalars by block rules, collections in flow style.
fn inline(value: &Value, layout: &Layout<'_>) -> String {
    if value.is_scalar() {
        scalar(value, layout.strings, false)
    } else {
        flow(value, layout)
    }
}

/// Appends `eol + indent + key: …` for each entry.
fn block_mapping_lines(
    entries: &[(Value, Value)],
    indent: usize,
    layout: &Layout<'_>,
    out: &mut String,
) {
    for (k, v) in entries {
        out.push_str(layout.eol);
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar(k, layout.keys, false));
        out.push(':');
        out.push_str(&block_after_key(v, indent, layout));
    }
}

fn block_sequence_lines(items: &[Value], indent: usize, layout: &Layout<'_>, out: &mut String) {
    for item in items {
        out.push_str(layout.eol);
        out.push_str(&" ".repeat(indent));
        out.push('-');
        out.push_str(&block_item(item, indent, layout));
    }
}

/// Text that follows a sequence item's `-` at column `dash` in block context.
pub(crate) fn block_item(value: &Value, dash: usize, layout: &Layout<'_>) -> String {
    match value {
        Value::Mapping(entries) if !entries.is_empty() => {
            // Compact form: the first entry on the dash line, the others under it.
            let mut rest = String::new();
            block_mapping_lines(entries, dash + 2, layout, &mut rest);
            let first_break = rest.find(layout.eol).map_or(0, |i| i + layout.eol.len());
            let first_line_start = first_break + dash + 2;
            format!(" {}", &rest[first_line_start.min(rest.len())..])
        }
        Value::Sequence(items) if !items.is_empty() => {
            let mut out = String::new();
            block_sequence_lines(items, dash + 2, layout, &mut out);
            out
        }
        v => format!(" {}", inline(v, layout)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_only_when_it_reads_back_as_the_same_string() {
        for ok in [
            "abc",
            "https://a.example.com:8443/x",
            "Bearer ${pomerium.id_token}",
            "a#b",
        ] {
            assert!(plain_ok(ok, false), "{ok}");
        }
        for bad in [
            "",
            " a",
            "a ",
            "true",
            "No",
            "null",
            "~",
            "12",
            "1.5",
            "0x1f",
            ".inf",
            "*x",
            "&a",
            "{x",
            "- x",
            "a: b",
            "a #b",
            "a:",
            "line\nbreak",
            "'q'",
            "%x",
            "@x",
            "!t",
        ] {
            assert!(!plain_ok(bad, false), "{bad:?}");
        }
        assert!(plain_ok("Bearer ${x}", false));
        assert!(!plain_ok("Bearer ${x}", true));
    }

    #[test]
    fn quoting_falls_back_in_order() {
        let s = |v: &str| Value::String(v.into());
        assert_eq!(scalar(&s("a: b"), Quote::Plain, false), "'a: b'");
        assert_eq!(scalar(&s("it's"), Quote::Single, false), "'it''s'");
        assert_eq!(scalar(&s("a\nb"), Quote::Single, false), "\"a\\nb\"");
        assert_eq!(
            scalar(&s("q\"\u{1}"), Quote::Double, false),
            "\"q\\\"\\u0001\""
        );
        assert_eq!(scalar(&Value::Int(3), Quote::Double, false), "3");
    }

    #[test]
    fn block_and_flow_collections() {
        let layout = Layout {
            eol: "\n",
            unit: 2,
            keys: Quote::Plain,
            strings: Quote::Plain,
        };
        let m = Value::Mapping(vec![
            (Value::String("a".into()), Value::String("x".into())),
            (
                Value::String("b".into()),
                Value::Mapping(vec![(Value::String("c".into()), Value::Int(1))]),
            ),
        ]);
        assert_eq!(
            block_after_key(&m, 2, &layout),
            "\n    a: x\n    b:\n      c: 1"
        );
        assert_eq!(flow(&m, &layout), "{a: x, b: {c: 1}}");
        assert_eq!(block_item(&m, 2, &layout), " a: x\n    b:\n      c: 1");
        assert_eq!(block_after_key(&Value::Mapping(vec![]), 0, &layout), " {}");
    }
}
