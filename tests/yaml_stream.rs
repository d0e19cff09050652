//! YAML streams (`Document::parse_stream`): several documents read as one document whose root is
//! a synthetic sequence, edited and verified like any other.

use pomerium_migrate::document::{Document, Edit, EditError, Format, ParseError, Value};

mod common;

use common::{entry, map, node, string as s};

fn stream(text: &str) -> Document {
    match Document::parse_stream(text.to_owned()) {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e}\n{text}"),
    }
}

fn apply(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> String {
    let doc = stream(text);
    let edits = edits(&doc);
    match doc.apply(&edits) {
        Ok(d) => {
            assert!(d.is_stream());
            d.text().to_owned()
        }
        Err(e) => panic!("edit failed: {e}\n{text}"),
    }
}

fn refuse(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> EditError {
    let doc = stream(text);
    let edits = edits(&doc);
    match doc.apply(&edits) {
        Ok(d) => panic!("expected a refusal, got:\n{}", d.text()),
        Err(e) => e,
    }
}

const MANIFEST: &str = "\
%YAML 1.2
--- # the deployment
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: pomerium
          image: pomerium/pomerium:v0.19.0
...
# between documents
---
---
apiVersion: v1
kind: ConfigMap
data:
  config.yaml: |
    idp_provider: google
";

#[test]
fn a_stream_is_a_sequence_of_its_documents() {
    let doc = stream(MANIFEST);
    assert!(doc.is_stream());
    let root = doc.root().unwrap_or_else(|| panic!("no root"));
    assert!(doc.is_sequence(root));
    assert_eq!(doc.items(root).len(), 3);
    let kinds: Vec<String> = doc
        .select_str("[*].kind")
        .iter()
        .filter_map(|sel| doc.str(sel.node).map(str::to_owned))
        .collect();
    assert_eq!(kinds, ["Deployment", "ConfigMap"]);
    assert_eq!(
        doc.select_str("[1]")
            .first()
            .map(|sel| sel.node)
            .map(|n| doc.value(n)),
        Some(Value::Null)
    );
    assert_eq!(
        doc.select_str("[0].spec.template.spec.containers[0].image")
            .first()
            .map(|sel| doc.location(sel.node).line),
        Some(10)
    );
    let Value::Sequence(data) = doc.data() else {
        panic!("the data of a stream is a sequence");
    };
    assert_eq!(data.len(), 3);
    assert_eq!(data[2].get("kind"), Some(&s("ConfigMap")));
    assert_eq!(
        doc.apply(&[]).map(|d| d.text().to_owned()),
        Ok(MANIFEST.to_owned())
    );
}

#[test]
fn an_edit_in_one_document_leaves_the_others_and_the_markers_byte_identical() {
    let out = apply(MANIFEST, |d| {
        vec![
            Edit::SetScalar {
                node: node(d, "[0].spec.template.spec.containers[0].image"),
                value: s("pomerium/pomerium:v0.33.0"),
            },
            Edit::RenameKey {
                entry: d
                    .get(node(d, "[2].data"), "config.yaml")
                    .map(|e| e.id)
                    .unwrap_or_else(|| panic!("no config.yaml")),
                new_key: "pomerium.yaml".into(),
            },
            Edit::Insert {
                map: node(d, "[0]"),
                position: pomerium_migrate::document::Position::End,
                key: "status".into(),
                value: map(&[]),
            },
        ]
    });
    assert_eq!(
        out,
        MANIFEST
            .replace("v0.19.0", "v0.33.0")
            .replace("config.yaml", "pomerium.yaml")
            .replace("v0.33.0\n...", "v0.33.0\nstatus: {}\n...")
    );
}

#[test]
fn removals_in_the_last_lines_of_a_document_stop_at_its_end_marker() {
    let text = "a: 1\nb: |\n  x\n---\nc: 2\nd: 3\n---\ne: 4\n";
    let out = apply(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "[0].b"),
            },
            Edit::CommentOut {
                entry: entry(d, "[1].d"),
                note: "removed".into(),
            },
        ]
    });
    assert_eq!(out, "a: 1\n---\nc: 2\n# removed\n# d: 3\n---\ne: 4\n");
    // A document emptied keeps its type.
    let out = apply("a: 1\n---\nb: 2\n", |d| {
        vec![Edit::Delete {
            entry: entry(d, "[1].b"),
        }]
    });
    assert_eq!(out, "a: 1\n---\n{}\n");
}

#[test]
fn edits_of_the_synthetic_root_or_a_whole_document_are_refused() {
    let text = "a: 1\n---\nb: 2\n";
    let e = refuse(text, |d| {
        vec![Edit::ReplaceValue {
            node: d.root().unwrap_or_else(|| panic!("root")),
            value: Value::Sequence(vec![]),
        }]
    });
    assert!(matches!(e, EditError::Invalid { .. }), "{e}");
    let e = refuse(text, |d| {
        vec![Edit::SetScalar {
            node: d.root().unwrap_or_else(|| panic!("root")),
            value: s("x"),
        }]
    });
    assert!(matches!(e, EditError::Invalid { .. }), "{e}");
    let e = refuse(text, |d| {
        vec![Edit::Insert {
            map: d.root().unwrap_or_else(|| panic!("root")),
            position: pomerium_migrate::document::Position::End,
            key: "k".into(),
            value: s("v"),
        }]
    });
    assert!(matches!(e, EditError::Invalid { .. }), "{e}");
    let e = refuse(text, |d| {
        vec![Edit::ReplaceValue {
            node: node(d, "[1]"),
            value: s("x"),
        }]
    });
    assert!(matches!(e, EditError::Unsupported { .. }), "{e}");
}

#[test]
fn config_files_still_refuse_a_second_document() {
    let text = "a: 1\n---\nb: 2\n";
    assert!(matches!(
        Document::parse(text.to_owned(), Format::Yaml),
        Err(ParseError::MultipleDocuments { count: 2, .. })
    ));
    // One document read as a stream is a stream of one.
    let doc = stream("a: 1\n");
    assert_eq!(
        doc.data(),
        Value::Sequence(vec![map(&[("a", Value::Int(1))])])
    );
}

#[test]
fn empty_streams_and_empty_documents() {
    for (text, count) in [
        ("", 0),
        ("# only a comment\n", 0),
        ("---\n", 1),
        ("---\n...\n---\n", 2),
    ] {
        let doc = stream(text);
        assert_eq!(
            doc.data(),
            Value::Sequence(vec![Value::Null; count]),
            "{text:?}"
        );
        assert_eq!(
            doc.apply(&[]).map(|d| d.text().to_owned()),
            Ok(text.to_owned())
        );
    }
}

#[test]
fn limits_hold_for_the_whole_stream_and_anchors_stay_in_their_document() {
    // Each document alone is within the alias budget; together they are not.
    // Per document: 10,000 written scalars and 2,900 aliases of a 100-item list, 96% aliased
    // of 306,000 nodes (yaml.v3 allows 99% up to 400,000); two documents make 612,000 nodes, of
    // which only 94% may come from aliases.
    let mut bomb = String::new();
    for d in 0..2 {
        bomb.push_str(&format!(
            "---\nw: [{}]\nx: &a{d} [{}]\ny: [",
            vec!["z"; 10_000].join(",\n  "),
            vec!["z"; 100].join(", ")
        ));
        bomb.push_str(&vec![format!("*a{d}"); 2_900].join(",\n  "));
        bomb.push_str("]\n");
    }
    let one = bomb.split("---\n").nth(1).unwrap_or_default().to_owned();
    assert!(Document::parse(one, Format::Yaml).is_ok());
    assert!(
        matches!(
            Document::parse_stream(bomb),
            Err(ParseError::ExcessiveAliasing { .. })
        ),
        "the alias budget is the stream's"
    );
    let e = Document::parse_stream("a: &x 1\n---\nb: *x\n".to_owned());
    assert!(
        matches!(&e, Err(ParseError::Syntax { location, .. }) if location.line == 3),
        "{e:?}"
    );
    let deep = format!("a: 1\n---\nb:\n{}x\n", "- ".repeat(5_000));
    assert!(matches!(
        Document::parse_stream(deep),
        Err(ParseError::TooDeep { .. })
    ));
}

#[test]
fn verification_catches_a_wrong_render_in_a_stream() {
    // An edit whose expected data differs from what the text says is caught: the document's own
    // data check compares every document.
    let doc = stream("a: 1\n---\nb: 2\n");
    let edits = vec![Edit::SetScalar {
        node: node(&doc, "[1].b"),
        value: Value::Int(3),
    }];
    let expected = doc.expected_data(&edits);
    assert_eq!(
        expected,
        Ok(Value::Sequence(vec![
            map(&[("a", Value::Int(1))]),
            map(&[("b", Value::Int(3))])
        ]))
    );
    let next = doc.apply(&edits).unwrap_or_else(|e| panic!("{e}"));
    assert!(next.verify(&doc.data()).is_err());
    assert!(next.verify(&expected.unwrap_or(Value::Null)).is_ok());
}
