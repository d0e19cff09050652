//! `Edit::SetScalar` on a block scalar keeps its style, indentation indicator, indentation and
//! header comment, and picks the chomping indicator the new text needs; where the text cannot be
//! written in the old form, the closest correct form is used (see `src/yaml/render/block.rs`).

use pomerium_migrate::document::{Document, Edit, Format, Value};

mod common;

use common::{node, string as s};

fn set(text: &str, path: &str, value: &str) -> String {
    common::apply(Format::Yaml, text, |d| {
        vec![Edit::SetScalar {
            node: node(d, path),
            value: s(value),
        }]
    })
}

/// The value at `path` in `text` as the engine reads it.
fn read(text: &str, path: &str) -> Value {
    let doc = common::parse(text, Format::Yaml);
    doc.value(node(&doc, path))
}

#[test]
fn a_configmap_config_stays_a_literal_block() {
    let text = "\
apiVersion: v1
kind: ConfigMap
data:
  config.yaml: | # migrated by hand once
    idp_provider: google
    idp_service_account: abc

    routes:
      - from: https://a.example.com
immutable: false
";
    let doc = common::parse(text, Format::Yaml);
    let cfg = doc
        .get(node(&doc, "data"), "config.yaml")
        .map(|e| e.value)
        .unwrap_or_else(|| panic!("no config.yaml"));
    let new = "idp_provider: google\n# removed in v0.20\n# idp_service_account: abc\n\nroutes:\n  - from: https://a.example.com\n";
    let out = doc
        .apply(&[Edit::SetScalar {
            node: cfg,
            value: s(new),
        }])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.text(),
        "\
apiVersion: v1
kind: ConfigMap
data:
  config.yaml: | # migrated by hand once
    idp_provider: google
    # removed in v0.20
    # idp_service_account: abc

    routes:
      - from: https://a.example.com
immutable: false
"
    );
}

#[test]
fn chomping_follows_the_final_line_breaks() {
    let text = "a: |\n  one\nb: 1\n";
    assert_eq!(set(text, "a", "uno"), "a: |-\n  uno\nb: 1\n");
    assert_eq!(set(text, "a", "uno\ndos\n"), "a: |\n  uno\n  dos\nb: 1\n");
    let text = "a: |-\n  one\nb: 1\n";
    assert_eq!(set(text, "a", "uno\n"), "a: |\n  uno\nb: 1\n");
    assert_eq!(set(text, "a", ""), "a: |-\nb: 1\n");
    // `+` stays where it was, with as many empty lines as the text ends with.
    let text = "a: |+\n  one\n\n\nb: 1\n";
    assert_eq!(set(text, "a", "uno\n\n"), "a: |+\n  uno\n\nb: 1\n");
    assert_eq!(set(text, "a", "uno\n"), "a: |\n  uno\nb: 1\n");
    assert_eq!(set(text, "a", "\n\n"), "a: |+\n\n\nb: 1\n");
    // A scalar that was not `+` cannot keep more line breaks without taking in the blank line
    // below it: the text is quoted.
    let text = "a: |\n  one\n\nb: 1\n";
    assert_eq!(set(text, "a", "uno\n\n"), "a: \"uno\\n\\n\"\n\nb: 1\n");
}

#[test]
fn indentation_and_its_indicator_are_kept_or_added() {
    // Four-space content stays four-space.
    let text = "k:\n  a: |\n      one\n";
    assert_eq!(set(text, "k.a", "uno\n"), "k:\n  a: |\n      uno\n");
    // An explicit indicator is kept with its indentation.
    let text = "a: |1\n  two spaces\n";
    assert_eq!(read(text, "a"), s(" two spaces\n"));
    assert_eq!(set(text, "a", "  x\ny\n"), "a: |1\n   x\n y\n");
    // Lines of spaces only: the indicator, not the indentation step, says where content
    // starts, so a value of spaces survives being written again (a property test found it).
    let text = "m:\n  k: |4\n       \n  j: 1\n";
    assert_eq!(read(text, "m.k"), s(" \n"));
    assert_eq!(set(text, "m.k", " \n"), text);
    assert_eq!(
        set(text, "m.k", "  x\n"),
        "m:\n  k: |4\n        x\n  j: 1\n"
    );
    let text = "k: |2\n   \n";
    assert_eq!(read(text, "k"), s(" \n"));
    assert_eq!(set(text, "k", " \n"), text);
    // A document that is one block scalar: the indicator counts from column 0, and one with no
    // content line gets one indentation step.
    let text = "--- |\n  one\n";
    let out = set(text, "", " x\n");
    assert_eq!(out, "--- |2\n   x\n");
    assert_eq!(read(&out, ""), s(" x\n"));
    let text = "--- |\n";
    assert_eq!(set(text, "", "x\n"), "--- |\n  x\n");
    // A first line that starts with spaces needs one.
    let text = "a: |\n  one\n";
    let out = set(text, "a", "  indented\nnot\n");
    assert_eq!(out, "a: |2\n    indented\n  not\n");
    assert_eq!(read(&out, "a"), s("  indented\nnot\n"));
    let text = "l:\n  - |\n    one\n  - k: |\n      two\n";
    let out = set(text, "l[0]", "\tx\n");
    assert_eq!(out, "l:\n  - |2\n    \tx\n  - k: |\n      two\n");
    let out = set(text, "l[1].k", " y\n");
    assert_eq!(out, "l:\n  - |\n    one\n  - k: |2\n       y\n");
    assert_eq!(read(&out, "l[1].k"), s(" y\n"));
    // An indentless sequence's item.
    let text = "l:\n- |\n  one\n";
    let out = set(text, "l[0]", " z\n");
    assert_eq!(read(&out, "l[0]"), s(" z\n"));
    // A scalar that had no content line gets one indentation step below its parent.
    let text = "k:\n    a: |\n    b: 1\n";
    assert_eq!(
        set(text, "k.a", "x\n"),
        "k:\n    a: |\n        x\n    b: 1\n"
    );
}

#[test]
fn folded_scalars_stay_folded_where_folding_keeps_the_text() {
    let text = "a: >\n  one\n  two\nb: 1\n";
    assert_eq!(read(text, "a"), s("one two\n"));
    assert_eq!(set(text, "a", "uno dos\n"), "a: >\n  uno dos\nb: 1\n");
    // Each line break of the text is an empty line between folded lines.
    let out = set(text, "a", "uno\ndos\n");
    assert_eq!(out, "a: >\n  uno\n\n  dos\nb: 1\n");
    assert_eq!(read(&out, "a"), s("uno\ndos\n"));
    // Leading or trailing white space on a line, or an empty line: a literal block.
    assert_eq!(set(text, "a", "uno \ndos\n"), "a: |\n  uno \n  dos\nb: 1\n");
    assert_eq!(
        set(text, "a", "uno\n\ndos\n"),
        "a: |\n  uno\n\n  dos\nb: 1\n"
    );
    assert_eq!(set(text, "a", " uno\n"), "a: |2\n   uno\nb: 1\n");
}

#[test]
fn text_no_block_scalar_can_hold_is_quoted() {
    let text = "a: |\n  one\n";
    assert_eq!(set(text, "a", "bell\u{7}\n"), "a: \"bell\\u0007\\n\"\n");
    assert_eq!(set(text, "a", "cr\r\nlf\n"), "a: \"cr\\r\\nlf\\n\"\n");
    // Deeper than an indicator can say.
    let text = "k:\n  a: |\n              one\n";
    assert_eq!(set(text, "k.a", " x\n"), "k:\n  a: \" x\\n\"\n");
    // Several lines set to one line move onto the key's line, as before.
    let text = "a: |\n  x\n  y\nb: 1\n";
    assert_eq!(set(text, "a", "certs/a.pem"), "a: certs/a.pem\nb: 1\n");
    // A value that is not a string.
    let text = "a: |\n  x\n";
    let out = common::apply(Format::Yaml, text, |d| {
        vec![Edit::SetScalar {
            node: node(d, "a"),
            value: Value::Int(3),
        }]
    });
    assert_eq!(out, "a: 3\n");
}

#[test]
fn a_block_scalar_in_a_manifest_stream() {
    let text =
        "kind: Deployment\n---\nkind: ConfigMap\ndata:\n  c: |-\n    a: 1\n---\nkind: Service\n";
    let doc = Document::parse_stream(text.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let out = doc
        .apply(&[Edit::SetScalar {
            node: node(&doc, "[1].data.c"),
            value: s("a: 2\nb: 3"),
        }])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.text(),
        "kind: Deployment\n---\nkind: ConfigMap\ndata:\n  c: |-\n    a: 2\n    b: 3\n---\nkind: Service\n"
    );
}

mod property {
    use super::*;
    use proptest::prelude::*;

    /// Where the scalar sits: the text before its header, the indentation of its content, the
    /// path to it, and the text after it.
    const PLACES: &[(&str, &str, &str, &str)] = &[
        ("a: ", "  ", "a", "next: 1\n"),
        ("k:\n  a: ", "    ", "k.a", "  b: 2\nnext: 1\n"),
        ("k:\n    a: ", "        ", "k.a", "next: 1\n"),
        ("l:\n  - ", "    ", "l[0]", "  - x\nnext: 1\n"),
        ("l:\n- ", "  ", "l[0]", "next: 1\n"),
        ("l:\n  - k: ", "      ", "l[0].k", "    j: 2\n"),
    ];

    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z][a-z0-9 :#'\"-]{0,12}",
            1 => " [a-z ]{0,6}",
            1 => "\t[a-z]{0,4}",
            1 => "[a-z]{1,5} ",
            1 => Just(String::new()),
            1 => Just("- item: [x]".to_owned()),
        ]
    }

    fn new_text() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(line(), 0..5),
            0..4usize,
            prop::bool::weighted(0.05),
        )
            .prop_map(|(lines, breaks, control)| {
                let mut t = lines.join("\n");
                t.push_str(&"\n".repeat(breaks));
                if control {
                    t.push('\u{1}');
                }
                t
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// The new text is read back exactly, nothing outside the scalar changes, and a literal
        /// block stays a literal block whenever a block scalar can hold the text.
        #[test]
        fn block_scalars_take_any_text(
            place in prop::sample::select(PLACES),
            literal in any::<bool>(),
            chomp in prop::sample::select(&["", "-", "+"][..]),
            text in new_text(),
        ) {
            let (before, pad, path, after) = place;
            let indicator = if literal { '|' } else { '>' };
            let blank = if chomp == "+" { "\n" } else { "" };
            let input = format!("{before}{indicator}{chomp}\n{pad}one\n{pad}two\n{blank}{after}");
            let doc = Document::parse(input.clone(), Format::Yaml)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{input}")))?;
            let out = doc
                .apply(&[Edit::SetScalar { node: node(&doc, path), value: s(&text) }])
                .map_err(|e| TestCaseError::fail(format!("{e}\n{input}")))?;
            let out = out.text();
            prop_assert_eq!(read(out, path), s(&text), "{}", out);
            prop_assert!(out.starts_with(before), "{}", out);
            prop_assert!(out.ends_with(after), "{}", out);
            let body = text.trim_end_matches('\n');
            let breaks = text.len() - body.len();
            let holdable = !text.contains('\u{1}')
                && (breaks <= 1 && !(body.is_empty() && breaks == 1) || chomp == "+")
                && text.contains('\n');
            let value = &out[before.len()..];
            if holdable && literal {
                prop_assert!(value.starts_with('|'), "{}", out);
            }
            if holdable && !literal {
                prop_assert!(value.starts_with(['|', '>']), "{}", out);
            }
        }
    }
}
