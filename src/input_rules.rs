//! Inputs Pomerium's own reader refuses, refused the same way before any step runs (exit 2 with
//! `file:line:column`, nothing written), so that they are never mistaken for a failed edit.
//!
//! - **Duplicate keys in a mapping.** Pomerium reads YAML with gopkg.in/yaml.v3, which refuses
//!   a mapping that defines a key twice ("mapping key … already defined at line …"). Its JSON
//!   reader (encoding/json) keeps the last value silently; refusing there is this tool's choice:
//!   only the user can say which value is meant. TOML files are refused by the TOML parser
//!   itself (see the TOML backend).
//! - **Characters yaml.v3 does not accept** in a YAML file: the C0 controls other than tab, line
//!   feed and carriage return, DEL, the C1 controls other than NEL (U+0085), and U+FFFE/U+FFFF
//!   (the `c-printable` production of the YAML specification, which yaml.v3's reader applies
//!   to the whole stream, comments included).
//!
//! More than one YAML document is refused by the YAML backend (Pomerium reads the first only).

use thiserror::Error;

use crate::document::{Document, Location, NodeId, NodeKind};

/// Why an input breaks one of Pomerium's reading rules. The location is the offending place;
/// the caller prefixes the file name.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum InputRuleError {
    #[error(
        "{second}: the key `{key}` is defined twice in this mapping (first at line {}, column \
         {}); Pomerium refuses a YAML file with a duplicate key and reads only the last in JSON. \
         Keep the one you mean and delete the other",
        first.line,
        first.column
    )]
    DuplicateKey {
        key: String,
        first: Location,
        second: Location,
    },
    #[error(
        "{location}: the file contains the control character U+{code:04X}, which Pomerium's YAML \
         reader refuses; delete it (inside a double-quoted string it can be written as an \
         escape such as \\u{code:04X})"
    )]
    ControlCharacter { location: Location, code: u32 },
}

/// Whether yaml.v3 accepts `c` anywhere in a YAML stream (YAML 1.2, production `c-printable`).
fn yaml_printable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of a YAML text that yaml.v3 refuses, with its 1-based line and column
/// (in characters, as every location of the tool).
pub fn check_yaml_characters(text: &str) -> Result<(), InputRuleError> {
    // Printable ASCII, tab and line breaks are accepted: a text of nothing else (most configs)
    // needs no line and column counting.
    let accepted = |b: u8| (0x20..0x7F).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r');
    if text.bytes().all(accepted) {
        return Ok(());
    }
    let mut line = 1;
    let mut column = 1;
    let mut previous = None;
    for c in text.chars() {
        if !yaml_printable(c) {
            return Err(InputRuleError::ControlCharacter {
                location: Location { line, column },
                code: u32::from(c),
            });
        }
        match c {
            '\n' if previous == Some('\r') => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
        previous = Some(c);
    }
    Ok(())
}

/// The first mapping (in file order of the repeated key) that defines a key twice. Merge keys
/// (`<<`) are left out: the keys they bring in may be overridden, that is what they are for.
/// Aliases are not followed: what they name is checked where it is written.
pub fn check_duplicate_keys(doc: &Document) -> Result<(), InputRuleError> {
    let mut found: Option<InputRuleError> = None;
    if let Some(root) = doc.root() {
        walk(doc, root, &mut found, 0);
    }
    found.map_or(Ok(()), Err)
}

/// Nesting deeper than this is not checked (real configs are a few levels deep; the YAML
/// parser bounds the depth already).
const MAX_DEPTH: usize = 256;

fn walk(doc: &Document, id: NodeId, found: &mut Option<InputRuleError>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match &doc.node(id).kind {
        NodeKind::Mapping(entries) => {
            for (i, entry) in entries.iter().enumerate() {
                if entry.key == "<<" {
                    continue;
                }
                let first = entries[..i].iter().find(|e| {
                    e.key == entry.key && doc.node(e.key_node).kind == doc.node(entry.key_node).kind
                });
                if let Some(first) = first {
                    let second = doc.location(entry.key_node);
                    let earlier = match found {
                        Some(InputRuleError::DuplicateKey { second: s, .. }) => *s <= second,
                        _ => false,
                    };
                    if !earlier {
                        *found = Some(InputRuleError::DuplicateKey {
                            key: entry.key.to_string(),
                            first: doc.location(first.key_node),
                            second,
                        });
                    }
                }
                walk(doc, entry.value, found, depth + 1);
            }
        }
        NodeKind::Sequence(items) => {
            for item in items {
                walk(doc, *item, found, depth + 1);
            }
        }
        NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    proptest::proptest! {
        /// The ASCII shortcut accepts exactly what the character check accepts.
        #[test]
        fn the_ascii_shortcut_agrees_with_the_character_check(
            text in "[\\x00-\\x7f\u{80}-\u{a0}\u{fffd}-\u{ffff}a-z\n]{0,40}"
        ) {
            let by_character = text.chars().all(yaml_printable);
            proptest::prop_assert_eq!(check_yaml_characters(&text).is_ok(), by_character);
        }
    }

    fn doc(text: &str, format: Format) -> Document {
        Document::parse(text.to_owned(), format).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn at(line: usize, column: usize) -> Location {
        Location { line, column }
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let d = doc(
            "pomerium_debug: true\npomerium_debug: false\n",
            Format::Yaml,
        );
        assert_eq!(
            check_duplicate_keys(&d),
            Err(InputRuleError::DuplicateKey {
                key: "pomerium_debug".into(),
                first: at(1, 1),
                second: at(2, 1),
            })
        );
        // Nested, and spelled differently (a quoted key is the same key).
        let d = doc(
            "routes:\n  - from: https://a\n    'to': http://a\n    to: http://b\n",
            Format::Yaml,
        );
        let err = check_duplicate_keys(&d).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "4:5: the key `to` is defined twice in this mapping (first at line 3, column 5); \
                 Pomerium refuses a YAML file with a duplicate key and reads only the last in \
                 JSON. Keep the one you mean and delete the other"
            )
        );
        let d = doc("{\"a\": {\"b\": 1, \"b\": 2}}", Format::Json);
        assert!(matches!(
            check_duplicate_keys(&d),
            Err(InputRuleError::DuplicateKey { first, second, .. })
                if first == at(1, 8) && second == at(1, 16)
        ));
    }

    #[test]
    fn merge_keys_and_the_same_key_in_other_mappings_are_fine() {
        let d = doc(
            "x-d: &d {a: 1}\nroutes:\n  - <<: *d\n    a: 2\n  - <<: *d\n    a: 3\n",
            Format::Yaml,
        );
        assert_eq!(check_duplicate_keys(&d), Ok(()));
    }

    #[test]
    fn yaml_v3_control_characters_are_refused_where_they_are() {
        assert_eq!(
            check_yaml_characters("a: 1\r\nb: \"x\ty\"\n# é ü \u{85}\n"),
            Ok(())
        );
        assert_eq!(
            check_yaml_characters("a: 1\nb: x\0y\n"),
            Err(InputRuleError::ControlCharacter {
                location: at(2, 5),
                code: 0,
            })
        );
        for bad in ['\u{1}', '\u{1B}', '\u{7F}', '\u{80}', '\u{9F}', '\u{FFFE}'] {
            let text = format!("a: {bad}\n");
            assert!(
                matches!(
                    check_yaml_characters(&text),
                    Err(InputRuleError::ControlCharacter { location, .. }) if location == at(1, 4)
                ),
                "{bad:?}"
            );
        }
        let message = check_yaml_characters("\u{7F}").err().map(|e| e.to_string());
        assert!(
            message.is_some_and(
                |m| m.starts_with("1:1: the file contains the control character U+007F")
            )
        );
    }
}
