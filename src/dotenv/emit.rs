//! Writing new values so that they read back as the same string (see the subset in the module
//! documentation of `dotenv`).
//!
//! A value keeps the quoting it had where that quoting can hold the new text; otherwise it takes
//! the next that can: unquoted, then single quotes, then double quotes, which hold anything but
//! a few control characters. Unquoted and single-quoted values are written only when every
//! reader of `.env` files agrees on them (no backslash, no `#` after a blank).
//!
//! A `$` is written as it is, unquoted or in double quotes: the data model keeps compose's
//! `${…}` substitutions as written (see the module documentation of `dotenv`), so a value with a
//! `$` is a template, such as one a step moved from another variable, and must stay one. Single
//! quotes, where compose substitutes nothing, are not used for it.

use super::Quote;

/// Whether `value` reads back as itself written without quotes.
fn plain_ok(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return true;
    };
    let mut after_blank = false;
    for c in value.chars() {
        if c == '#' && after_blank {
            return false;
        }
        after_blank = c.is_whitespace();
        if c.is_control() || c == '\\' {
            return false;
        }
    }
    !first.is_whitespace()
        && !matches!(first, '\'' | '"' | '#')
        && !value.ends_with(char::is_whitespace)
}

/// Whether `value` reads back as itself between single quotes.
fn single_ok(value: &str) -> bool {
    !value
        .chars()
        .any(|c| c.is_control() || matches!(c, '\'' | '\\' | '$'))
}

/// `value` between double quotes, escaped; `Err` for a control character no escape writes.
fn double(value: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0b}' => out.push_str("\\v"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_control() => {
                return Err("a value with a control character that a .env file cannot write");
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// The text of a new value, quoted as `preferred` where that can hold it.
pub(crate) fn value(value: &str, preferred: Quote) -> Result<String, &'static str> {
    match preferred {
        Quote::Plain | Quote::Bare if plain_ok(value) => Ok(value.to_owned()),
        Quote::Plain | Quote::Bare | Quote::Single if single_ok(value) => Ok(format!("'{value}'")),
        _ => double(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_is_kept_where_it_can_hold_the_value() {
        assert_eq!(value("abc", Quote::Plain), Ok("abc".into()));
        assert_eq!(value("", Quote::Plain), Ok(String::new()));
        assert_eq!(value("a#b", Quote::Plain), Ok("a#b".into()));
        assert_eq!(value("a #b", Quote::Plain), Ok("'a #b'".into()));
        assert_eq!(value("#b", Quote::Plain), Ok("'#b'".into()));
        assert_eq!(value(" a", Quote::Plain), Ok("' a'".into()));
        // A `$` stays a substitution: never between single quotes.
        assert_eq!(value("${X}", Quote::Plain), Ok("${X}".into()));
        assert_eq!(value("${X}", Quote::Single), Ok("\"${X}\"".into()));
        assert_eq!(value("a ${X} #b", Quote::Plain), Ok("\"a ${X} #b\"".into()));
        assert_eq!(value("abc", Quote::Single), Ok("'abc'".into()));
        assert_eq!(value("abc", Quote::Double), Ok("\"abc\"".into()));
        assert_eq!(value("it's", Quote::Plain), Ok("it's".into()));
        assert_eq!(value("it's $x", Quote::Single), Ok("\"it's $x\"".into()));
        assert_eq!(
            value("a\\b\"c\nd", Quote::Plain),
            Ok("\"a\\\\b\\\"c\\nd\"".into())
        );
        assert!(value("\u{1}", Quote::Double).is_err());
    }
}
