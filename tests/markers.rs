//! `Edit::Annotate`, the edit behind action markers: a comment line above an entry, verified and
//! lossless like every edit, in YAML and TOML; refused where a comment cannot go.

use pomerium_migrate::document::{Document, Edit, EditError, Format, Position, Value};

fn parse(text: &str, format: Format) -> Document {
    Document::parse(text.to_owned(), format).unwrap_or_else(|e| panic!("does not parse: {e}"))
}

fn annotate(doc: &Document, path: &str, text: &str) -> Edit {
    let found = doc.select_str(path);
    let entry = found
        .first()
        .and_then(|s| s.entry.as_ref().map(|e| e.id))
        .unwrap_or_else(|| panic!("no entry at {path}"));
    Edit::Annotate {
        entry,
        text: text.to_owned(),
    }
}

#[test]
fn yaml_comment_goes_above_the_entry_at_its_indentation() -> Result<(), EditError> {
    let text = "a: 1   # kept\nroutes:\n  - from: https://x\n    to: http://y\nb: |\n  text\n";
    let doc = parse(text, Format::Yaml);
    let edits = [
        annotate(&doc, "b", "pomerium-migrate action v0.24/x: top"),
        annotate(
            &doc,
            "routes[0].to",
            "pomerium-migrate action v0.24/y: nested",
        ),
        annotate(
            &doc,
            "routes[0].from",
            "pomerium-migrate action v0.24/z: first of an item",
        ),
    ];
    let out = doc.apply(&edits)?;
    assert_eq!(
        out.text(),
        "a: 1   # kept\nroutes:\n  # pomerium-migrate action v0.24/z: first of an item\n  - from: https://x\n    \
         # pomerium-migrate action v0.24/y: nested\n    to: http://y\n\
         # pomerium-migrate action v0.24/x: top\nb: |\n  text\n"
    );
    assert_eq!(out.data(), doc.data());
    Ok(())
}

#[test]
fn yaml_comment_follows_an_entry_inserted_at_the_same_place() -> Result<(), EditError> {
    let doc = parse("a: 1\nb: 2\n", Format::Yaml);
    let root = doc.root().ok_or(EditError::Verification {
        detail: "no root".into(),
    })?;
    let a = doc.top("a").map(|e| e.id).ok_or(EditError::Verification {
        detail: "no a".into(),
    })?;
    let edits = [
        annotate(&doc, "b", "pomerium-migrate action v0.24/x: about b"),
        Edit::Insert {
            map: root,
            position: Position::After(a),
            key: "c".into(),
            value: Value::Int(3),
        },
    ];
    let out = doc.apply(&edits)?;
    assert_eq!(
        out.text(),
        "a: 1\nc: 3\n# pomerium-migrate action v0.24/x: about b\nb: 2\n"
    );
    Ok(())
}

#[test]
fn yaml_flow_entries_and_json_take_no_comment() {
    let doc = parse("a: {b: 1}\n", Format::Yaml);
    let edit = annotate(&doc, "a.b", "pomerium-migrate action v0.24/x: no");
    assert!(matches!(
        doc.apply(&[edit]),
        Err(EditError::Unsupported { .. })
    ));
    let json = parse("{\"a\": 1}\n", Format::Json);
    let edit = annotate(&json, "a", "pomerium-migrate action v0.24/x: no");
    assert!(json.apply(&[edit]).is_err());
}

#[test]
fn yaml_comment_inside_a_removed_entry_is_a_conflict() {
    let doc = parse("a:\n  b: 1\nc: 2\n", Format::Yaml);
    let outer = doc.top("a").map(|e| e.id);
    let Some(outer) = outer else { panic!("no a") };
    let edits = [
        Edit::Delete { entry: outer },
        annotate(&doc, "a.b", "pomerium-migrate action v0.24/x: inside"),
    ];
    assert!(matches!(doc.apply(&edits), Err(EditError::Conflict { .. })));
}

#[test]
fn toml_comment_goes_above_lines_and_tables() -> Result<(), EditError> {
    let text = "a = 1\n\n[[routes]]\nfrom = \"https://x\"\nto = \"http://y\"\n\n[t]\nk = \"v\"\n";
    let doc = parse(text, Format::Toml);
    let edits = [
        annotate(&doc, "a", "pomerium-migrate action v0.24/x: line"),
        annotate(
            &doc,
            "routes[0].to",
            "pomerium-migrate action v0.24/y: in a table",
        ),
        annotate(&doc, "t", "pomerium-migrate action v0.24/z: a table"),
    ];
    let out = doc.apply(&edits)?;
    assert_eq!(
        out.text(),
        "# pomerium-migrate action v0.24/x: line\na = 1\n\n[[routes]]\nfrom = \"https://x\"\n\
         # pomerium-migrate action v0.24/y: in a table\nto = \"http://y\"\n\n\
         # pomerium-migrate action v0.24/z: a table\n[t]\nk = \"v\"\n"
    );
    assert_eq!(out.data(), doc.data());
    Ok(())
}

#[test]
fn toml_inline_tables_take_no_comment() {
    let doc = parse("a = { b = 1 }\n", Format::Toml);
    let edit = annotate(&doc, "a.b", "pomerium-migrate action v0.24/x: no");
    assert!(matches!(
        doc.apply(&[edit]),
        Err(EditError::Unsupported { .. })
    ));
}
