//! `Edit::ReplaceBlock`: a block mapping or sequence replaced by YAML text written at indent 0,
//! re-indented to the node's place (Helm's `config.extraOpts`, migrated as a config of its own).

use pomerium_migrate::document::{Document, Edit, EditError, Format, Value};

mod common;

use common::{map, node, string as s};

fn replace(text: &str, path: &str, yaml: &str) -> String {
    common::apply(Format::Yaml, text, |d| {
        vec![Edit::ReplaceBlock {
            node: node(d, path),
            yaml: yaml.to_owned(),
        }]
    })
}

fn refused(text: &str, path: &str, yaml: &str) -> EditError {
    common::refuse(Format::Yaml, text, |d| {
        vec![Edit::ReplaceBlock {
            node: node(d, path),
            yaml: yaml.to_owned(),
        }]
    })
}

const VALUES: &str = "\
config:
  sharedSecret: x
  # Options Pomerium reads as they are.
  extraOpts:
    # from the old chart
    idp_service_account: abc
    routes:
      - from: https://a.example.com
        to: https://b.internal
  other: 1
";

#[test]
fn helm_extra_opts_take_the_migrated_config() {
    let migrated = "\
# from the old chart
# pomerium-migrate v0.20: removed
# idp_service_account: abc
routes:
  - from: https://a.example.com
    to: https://b.internal
    script: |
      line one
      line two
";
    let doc = common::parse(VALUES, Format::Yaml);
    let edits = vec![Edit::ReplaceBlock {
        node: node(&doc, "config.extraOpts"),
        yaml: migrated.to_owned(),
    }];
    let expected = doc.expected_data(&edits).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        expected.get("config").and_then(|c| c.get("extraOpts")),
        Document::parse(migrated.to_owned(), Format::Yaml)
            .map(|d| d.data())
            .ok()
            .as_ref()
    );
    let out = doc.apply(&edits).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.text(),
        "\
config:
  sharedSecret: x
  # Options Pomerium reads as they are.
  extraOpts:
    # from the old chart
    # pomerium-migrate v0.20: removed
    # idp_service_account: abc
    routes:
      - from: https://a.example.com
        to: https://b.internal
        script: |
          line one
          line two
  other: 1
"
    );
}

#[test]
fn every_place_a_block_collection_stands() {
    // An item written after its `-`.
    let text = "l:\n  - a: 1\n    b: 2\n  - c\n";
    assert_eq!(
        replace(text, "l[0]", "x: 1\ny:\n  - z\n"),
        "l:\n  - x: 1\n    y:\n      - z\n  - c\n"
    );
    // A sequence under a lone `-`.
    let text = "l:\n-\n  - a\n- c\n";
    assert_eq!(
        replace(text, "l[0]", "- b\n- d\n"),
        "l:\n-\n  - b\n  - d\n- c\n"
    );
    // An indentless sequence stays indentless; a mapping in its place goes one step in.
    let text = "k:\n- a\n- b\nz: 1\n";
    assert_eq!(replace(text, "k", "- c\n"), "k:\n- c\nz: 1\n");
    assert_eq!(replace(text, "k", "c: 1\n"), "k:\n  c: 1\nz: 1\n");
    assert_eq!(
        replace(text, "k", "# none\n[]\n"),
        "k:\n  # none\n  []\nz: 1\n"
    );
    // Properties on the key's line go with the node (no alias uses the anchor).
    let text = "k: &a\n  x: 1\nz: 2\n";
    assert_eq!(replace(text, "k", "y: 2\n"), "k:\n  y: 2\nz: 2\n");
    // Empty text is a null; a flow collection or a scalar is written as it is.
    let text = "k:\n  x: 1\nz: 2\n";
    assert_eq!(replace(text, "k", ""), "k:\n  null\nz: 2\n");
    assert_eq!(
        replace(text, "k", "{a: [1, 2]}"),
        "k:\n  {a: [1, 2]}\nz: 2\n"
    );
    // The file's line breaks, not the text's.
    let text = "k:\r\n  x: 1\r\nz: 2\r\n";
    assert_eq!(
        replace(text, "k", "a: 1\nb:\n  c: 2\n"),
        "k:\r\n  a: 1\r\n  b:\r\n    c: 2\r\nz: 2\r\n"
    );
    // Blank lines inside are kept, without trailing spaces.
    let text = "k:\n    x: 1\n";
    assert_eq!(
        replace(text, "k", "a: 1\n\nb: 2\n"),
        "k:\n    a: 1\n\n    b: 2\n"
    );
}

#[test]
fn a_document_of_a_stream() {
    let text = "kind: A\n---\nconfig:\n  extraOpts:\n    a: 1\n---\nkind: B\n";
    let doc = Document::parse_stream(text.to_owned()).unwrap_or_else(|e| panic!("{e}"));
    let out = doc
        .apply(&[Edit::ReplaceBlock {
            node: node(&doc, "[1].config.extraOpts"),
            yaml: "b: 2\n".into(),
        }])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.text(),
        "kind: A\n---\nconfig:\n  extraOpts:\n    b: 2\n---\nkind: B\n"
    );
    assert_eq!(
        out.data(),
        Value::Sequence(vec![
            map(&[("kind", s("A"))]),
            map(&[(
                "config",
                map(&[("extraOpts", map(&[("b", Value::Int(2))]))])
            )]),
            map(&[("kind", s("B"))]),
        ])
    );
}

#[test]
fn what_cannot_be_replaced_is_refused() {
    let invalid = |e: EditError| matches!(e, EditError::Invalid { .. });
    // Text that does not parse, or holds markers or directives.
    assert!(invalid(refused(VALUES, "config.extraOpts", "a: [1\n")));
    assert!(invalid(refused(
        VALUES,
        "config.extraOpts",
        "a: 1\n---\nb: 2\n"
    )));
    assert!(invalid(refused(VALUES, "config.extraOpts", "--- \na: 1\n")));
    assert!(invalid(refused(
        VALUES,
        "config.extraOpts",
        "%YAML 1.2\n---\na: 1\n"
    )));
    assert!(invalid(refused(
        VALUES,
        "config.extraOpts",
        "a: *nowhere\n"
    )));
    // Not a block collection.
    assert!(invalid(refused(VALUES, "config.sharedSecret", "a: 1\n")));
    assert!(invalid(refused("k: {a: 1}\n", "k", "a: 1\n")));
    // New anchors an alias after the node could name.
    let text = "k:\n  x: 1\nb: &a 1\nc: *a\n";
    assert!(invalid(refused(text, "k", "y: &a 2\n")));
    // …without such an alias they are fine, and aliases inside the text may name them.
    let text = "k:\n  x: 1\nz: 2\n";
    assert_eq!(
        replace(text, "k", "y: &b 2\nw: *b\n"),
        "k:\n  y: &b 2\n  w: *b\nz: 2\n"
    );
    // An anchor inside the node that an alias outside uses.
    let e = refused("k:\n  x: &a 1\nz: *a\n", "k", "y: 2\n");
    assert!(matches!(e, EditError::AnchorInUse { .. }), "{e}");
    // JSON and TOML have no block collections.
    let e = common::refuse(Format::Json, "{\"k\": {\"a\": 1}}", |d| {
        vec![Edit::ReplaceBlock {
            node: node(d, "k"),
            yaml: "a: 2\n".into(),
        }]
    });
    assert!(matches!(e, EditError::Unsupported { .. }), "{e}");
    let e = common::refuse(Format::Toml, "[k]\na = 1\n", |d| {
        vec![Edit::ReplaceBlock {
            node: node(d, "k"),
            yaml: "a: 2\n".into(),
        }]
    });
    assert!(matches!(e, EditError::Unsupported { .. }), "{e}");
    // An edit inside the replaced node.
    let e = common::refuse(Format::Yaml, VALUES, |d| {
        vec![
            Edit::ReplaceBlock {
                node: node(d, "config.extraOpts"),
                yaml: "a: 1\n".into(),
            },
            Edit::SetScalar {
                node: node(d, "config.extraOpts.idp_service_account"),
                value: s("x"),
            },
        ]
    });
    assert!(matches!(e, EditError::Conflict { .. }), "{e}");
}
