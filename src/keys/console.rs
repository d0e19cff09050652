//! The keys of the Enterprise Console's config (`keys/pomerium-console-keys.tsv`, embedded at
//! compile time; the file names its sources: the Console's source is closed, so they are its
//! published reference and upgrade guide).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use super::TableError;

/// The embedded list (tab-separated `key source`, `#` comments).
const CONSOLE_KEYS_TSV: &str = include_str!("pomerium-console-keys.tsv");

/// Parses the list format: `key<TAB>source`, blank lines and `#` comments ignored. Keys are
/// snake_case.
pub fn parse_console_table(text: &'static str) -> Result<Vec<&'static str>, TableError> {
    let mut out = Vec::new();
    for (line_no, line) in super::data_lines(text) {
        let err = |reason: String| TableError {
            line: line_no,
            reason,
        };
        let fields: Vec<&'static str> = line.split('\t').collect();
        let [key, source] = fields[..] else {
            return Err(err(format!("expected 2 fields, found {}", fields.len())));
        };
        let snake = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !snake || source.is_empty() {
            return Err(err(format!("bad entry for `{key}`")));
        }
        out.push(key);
    }
    Ok(out)
}

static CONSOLE: LazyLock<BTreeSet<&'static str>> = LazyLock::new(|| {
    // Part of the binary; a malformed line is a build defect that `console_table_parses`
    // reports, never something a user's input can cause.
    parse_console_table(CONSOLE_KEYS_TSV)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .collect()
});

/// Whether the Console reads `key` (either spelling: `license-key` or `license_key`).
pub fn is_console_key(key: &str) -> bool {
    CONSOLE.contains(key.replace('-', "_").as_str())
}

/// Every Console key, snake_case, sorted.
pub fn console_keys() -> impl Iterator<Item = &'static str> {
    CONSOLE.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_table_parses() {
        let keys = parse_console_table(CONSOLE_KEYS_TSV);
        assert!(keys.as_ref().is_ok_and(|k| k.len() > 40), "{keys:?}");
        assert!(is_console_key("license-key") && is_console_key("database_url"));
        assert!(!is_console_key("routes") && !is_console_key("help"));
        assert!(parse_console_table("a\tref\n# c\n").is_ok());
        for bad in ["a", "a-b\tref", "a\t", "A\tref"] {
            let e = parse_console_table(bad);
            assert!(matches!(e, Err(TableError { line: 1, .. })), "{bad}: {e:?}");
        }
    }
}
