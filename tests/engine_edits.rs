//! Every edit operation of the YAML engine, with the exact text it must produce.

use pomerium_migrate::document::{DataEdits, Document, Edit, EditError, Format, Position, Value};

mod common;

use common::{entry, map, node, string as s};

fn parse(text: &str) -> Document {
    common::parse(text, Format::Yaml)
}

fn apply(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> String {
    common::apply(Format::Yaml, text, edits)
}

fn refuse(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> EditError {
    common::refuse(Format::Yaml, text, edits)
}

#[test]
fn no_edit_is_byte_identical() {
    let text = "\u{feff}# c\r\nkey: 'v' # x\r\n\r\nlist:\r\n- a\t\r\n...\r\n";
    assert_eq!(apply(text, |_| vec![]), text);
}

#[test]
fn rename_keeps_quotes_and_comments() {
    let text = "# top\ncache_service_url: http://c # old name\n\"headers\": {X: y}\n";
    let out = apply(text, |d| {
        vec![
            Edit::RenameKey {
                entry: entry(d, "cache_service_url"),
                new_key: "databroker_service_url".into(),
            },
            Edit::RenameKey {
                entry: entry(d, "headers"),
                new_key: "set_response_headers".into(),
            },
        ]
    });
    assert_eq!(
        out,
        "# top\ndatabroker_service_url: http://c # old name\n\"set_response_headers\": {X: y}\n"
    );
}

#[test]
fn set_scalar_keeps_style_or_requotes() {
    let text = "a: plain\nb: 'single'\nc: \"double\"\nd: plain\ne:\nf: [x, y]\n";
    let out = apply(text, |d| {
        vec![
            Edit::SetScalar {
                node: node(d, "a"),
                value: s("$$x"),
            },
            Edit::SetScalar {
                node: node(d, "b"),
                value: s("it's"),
            },
            Edit::SetScalar {
                node: node(d, "c"),
                value: s("q\""),
            },
            Edit::SetScalar {
                node: node(d, "d"),
                value: s("*star: and #"),
            },
            Edit::SetScalar {
                node: node(d, "e"),
                value: s("now"),
            },
            Edit::SetScalar {
                node: node(d, "f[1]"),
                value: s("a,b"),
            },
        ]
    });
    assert_eq!(
        out,
        "a: $$x\nb: 'it''s'\nc: \"q\\\"\"\nd: '*star: and #'\ne: now\nf: [x, 'a,b']\n"
    );
}

#[test]
fn set_scalar_in_block_scalar() {
    let text = "a: |\n  one\n  two\nb: >-\n  folded\n";
    let out = apply(text, |d| {
        vec![
            Edit::SetScalar {
                node: node(d, "a"),
                value: s("uno\ndos\n"),
            },
            Edit::SetScalar {
                node: node(d, "b"),
                value: s("plegado"),
            },
        ]
    });
    assert_eq!(out, "a: |\n  uno\n  dos\nb: >-\n  plegado\n");
}

#[test]
fn insert_after_sibling_and_at_end() {
    let text = "routes:\n  - from: https://a\n    to: http://b # up\n    pass: 1\n";
    let out = apply(text, |d| {
        let route = node(d, "routes[0]");
        vec![
            Edit::Insert {
                map: route,
                position: Position::After(entry(d, "routes[0].to")),
                key: "set_request_headers".into(),
                value: map(&[("Authorization", s("Bearer ${pomerium.id_token}"))]),
            },
            Edit::Insert {
                map: route,
                position: Position::End,
                key: "x".into(),
                value: Value::Bool(true),
            },
        ]
    });
    assert_eq!(
        out,
        "routes:\n  - from: https://a\n    to: http://b # up\n    set_request_headers:\n      Authorization: Bearer ${pomerium.id_token}\n    pass: 1\n    x: true\n"
    );
}

#[test]
fn insert_into_flow_mapping_follows_its_style() {
    let text = "h: {A: b}\nj: {\"a\": \"b\"}\ne: {}\n";
    let out = apply(text, |d| {
        vec![
            Edit::Insert {
                map: node(d, "h"),
                position: Position::End,
                key: "Authorization".into(),
                value: s("Bearer ${pomerium.id_token}"),
            },
            Edit::Insert {
                map: node(d, "j"),
                position: Position::End,
                key: "c".into(),
                value: s("d"),
            },
            Edit::Insert {
                map: node(d, "e"),
                position: Position::End,
                key: "k".into(),
                value: Value::Int(1),
            },
        ]
    });
    assert_eq!(
        out,
        "h: {A: b, Authorization: 'Bearer ${pomerium.id_token}'}\nj: {\"a\": \"b\", \"c\": \"d\"}\ne: {k: 1}\n"
    );
}

#[test]
fn comment_out_under_a_note() {
    let text = "a: 1\nidp_service_account: |\n  abc\n\n  def\nb: 2\n";
    let out = apply(text, |d| {
        vec![Edit::CommentOut {
            entry: entry(d, "idp_service_account"),
            note: "removed in 0.20".into(),
        }]
    });
    assert_eq!(
        out,
        "a: 1\n# removed in 0.20\n# idp_service_account: |\n#   abc\n#\n#   def\nb: 2\n"
    );
}

#[test]
fn comment_out_nested_and_compact_entries() {
    let text = "routes:\n  - allowed_groups: [a]\n    from: x\n  - from: y\n    allowed_groups:\n      - b\n";
    let out = apply(text, |d| {
        vec![
            Edit::CommentOut {
                entry: entry(d, "routes[0].allowed_groups"),
                note: "n".into(),
            },
            Edit::CommentOut {
                entry: entry(d, "routes[1].allowed_groups"),
                note: "n".into(),
            },
        ]
    });
    assert_eq!(
        out,
        "routes:\n  - # n\n    # allowed_groups: [a]\n    from: x\n  - from: y\n    # n\n    # allowed_groups:\n    #   - b\n"
    );
}

#[test]
fn delete_entries_block_and_flow() {
    let text = "a: 1 # one\nb:\n  c: 2\nd: {x: 1, y: 2, z: 3}\n- \n";
    let text = &text[..text.len() - 3];
    let out = apply(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "b"),
            },
            Edit::Delete {
                entry: entry(d, "d.y"),
            },
            Edit::Delete {
                entry: entry(d, "d.z"),
            },
        ]
    });
    assert_eq!(out, "a: 1 # one\nd: {x: 1}\n");
}

#[test]
fn emptied_collections_keep_their_type() {
    let text = "h:\n  a: 1\nf: {x: 1}\nk:\n  b: 2 # c\n";
    let out = apply(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "h.a"),
            },
            Edit::Delete {
                entry: entry(d, "f.x"),
            },
            Edit::CommentOut {
                entry: entry(d, "k.b"),
                note: "gone".into(),
            },
        ]
    });
    assert_eq!(out, "h: {}\nf: {}\nk: {}\n  # gone\n  # b: 2 # c\n");
}

#[test]
fn compact_first_entry_deleted_moves_next_up() {
    let text = "- a: 1\n  b: 2\n- a: 3\n";
    let out = apply(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "[0].a"),
            },
            Edit::Delete {
                entry: entry(d, "[1].a"),
            },
        ]
    });
    assert_eq!(out, "- b: 2\n- {}\n");
}

#[test]
fn replace_value_by_mapping_or_scalar() {
    let text = "a: old\nb:\n  - x\nc: [1]\n";
    let out = apply(text, |d| {
        vec![
            Edit::ReplaceValue {
                node: node(d, "a"),
                value: map(&[("k", s("v"))]),
            },
            Edit::ReplaceValue {
                node: node(d, "b"),
                value: s("scalar"),
            },
            Edit::ReplaceValue {
                node: node(d, "c"),
                value: map(&[("k", Value::Int(1))]),
            },
        ]
    });
    assert_eq!(out, "a:\n  k: v\nb: scalar\nc: {k: 1}\n");
}

#[test]
fn crlf_and_missing_final_newline_survive() {
    let text = "a: 1\r\nb: 2";
    let out = apply(text, |d| {
        vec![
            Edit::Insert {
                map: node(d, ""),
                position: Position::End,
                key: "c".into(),
                value: Value::Int(3),
            },
            Edit::CommentOut {
                entry: entry(d, "a"),
                note: "n".into(),
            },
        ]
    });
    assert_eq!(out, "# n\r\n# a: 1\r\nb: 2\r\nc: 3");
    let out = apply("a: 1\nb: 2", |d| {
        vec![Edit::Delete {
            entry: entry(d, "b"),
        }]
    });
    assert_eq!(out, "a: 1");
}

#[test]
fn edits_through_anchors_change_every_user_and_verify() {
    let text = "x-defaults: &d\n  set_request_headers:\n    A: $x\nroutes:\n  - <<: *d\n    from: a\n  - <<: *d\n    from: b\n";
    let out = apply(text, |d| {
        d.select_str("routes[*].set_request_headers.A")
            .into_iter()
            .map(|sel| Edit::SetScalar {
                node: sel.node,
                value: s("$$x"),
            })
            .collect()
    });
    assert_eq!(out, text.replace("A: $x", "A: $$x"));
}

#[test]
fn removing_an_anchor_in_use_is_refused() {
    let text = "a: &x 1\nb: *x\n";
    let err = refuse(text, |d| {
        vec![Edit::Delete {
            entry: entry(d, "a"),
        }]
    });
    assert!(
        matches!(err, EditError::AnchorInUse { alias_line: 2, .. }),
        "{err}"
    );
}

#[test]
fn overlapping_edits_are_refused() {
    let text = "a:\n  b: 1\n";
    let err = refuse(text, |d| {
        vec![
            Edit::CommentOut {
                entry: entry(d, "a"),
                note: "n".into(),
            },
            Edit::SetScalar {
                node: node(d, "a.b"),
                value: Value::Int(2),
            },
        ]
    });
    assert!(matches!(err, EditError::Conflict { .. }), "{err}");
}

#[test]
fn duplicate_keys_are_refused() {
    let err = refuse("a: 1\nb: 2\n", |d| {
        vec![Edit::RenameKey {
            entry: entry(d, "a"),
            new_key: "b".into(),
        }]
    });
    assert!(matches!(err, EditError::DuplicateKey { .. }), "{err}");
}

#[test]
fn parse_errors_name_line_and_column() {
    let err = Document::parse("a: 1\nb: [\n".into(), Format::Yaml).err();
    assert!(err.is_some());
    let err = Document::parse("a: 1\n---\nb: 2\n".into(), Format::Yaml).err();
    assert_eq!(
        err.map(|e| (e.location().line, e.to_string().contains("2 documents"))),
        Some((2, true))
    );
}

fn apply_json(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> String {
    let doc = match Document::parse(text.to_owned(), Format::Json) {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e}"),
    };
    let edits = edits(&doc);
    match doc.apply(&edits) {
        Ok(d) => d.text().to_owned(),
        Err(e) => panic!("edit failed: {e}"),
    }
}

const JSON: &str = "{\n  \"cache_service_url\": \"http://c\",\n  \"routes\": [\n    {\n      \"from\": \"https://a\",\n      \"to\": \"http://b\",\n      \"set_authorization_header\": \"id_token\"\n    }\n  ],\n  \"x\": null\n}\n";

#[test]
fn json_edits_stay_json_in_the_files_layout() {
    let out = apply_json(JSON, |d| {
        vec![
            Edit::RenameKey {
                entry: entry(d, "cache_service_url"),
                new_key: "databroker_service_url".into(),
            },
            Edit::Insert {
                map: node(d, "routes[0]"),
                position: Position::After(entry(d, "routes[0].to")),
                key: "set_request_headers".into(),
                value: map(&[("Authorization", s("Bearer ${pomerium.id_token}"))]),
            },
            Edit::Delete {
                entry: entry(d, "routes[0].set_authorization_header"),
            },
            Edit::SetScalar {
                node: node(d, "x"),
                value: s("plain?"),
            },
        ]
    });
    assert_eq!(
        out,
        "{\n  \"databroker_service_url\": \"http://c\",\n  \"routes\": [\n    {\n      \"from\": \"https://a\",\n      \"to\": \"http://b\",\n      \"set_request_headers\": {\n        \"Authorization\": \"Bearer ${pomerium.id_token}\"\n      }\n    }\n  ],\n  \"x\": \"plain?\"\n}\n"
    );
    assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
}

#[test]
fn json_cannot_hold_comments_and_empties_to_braces() {
    let doc = match Document::parse(JSON.to_owned(), Format::Json) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert!(!doc.can_comment_out(entry(&doc, "x")));
    let out = apply_json("{\"a\": {\n    \"b\": 1,\n    \"c\": 2\n  }}", |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "a.b"),
            },
            Edit::Delete {
                entry: entry(d, "a.c"),
            },
        ]
    });
    assert_eq!(out, "{\"a\": {}}");
}

#[test]
fn invalid_json_names_line_and_column() {
    let err = Document::parse("{\n  \"a\": 1,\n}\n".into(), Format::Json).err();
    assert_eq!(err.map(|e| e.location().line), Some(3));
}

#[test]
fn block_scalar_set_to_one_line_moves_onto_the_key_line() {
    let text = "cert: |\n  LS0tLS1CRUdJTi\n  BDRVJUSUZJQ0FURS\nkey: x\n";
    let out = apply(text, |d| {
        vec![Edit::SetScalar {
            node: node(d, "cert"),
            value: s("certs/a.pem"),
        }]
    });
    assert_eq!(out, "cert: certs/a.pem\nkey: x\n");
    let text = "key: >-\n  LS0tLS1CRUdJTi\n  BDRVJUSUZJQ0FURS\nx: 1\n";
    let out = apply(text, |d| {
        vec![Edit::SetScalar {
            node: node(d, "key"),
            value: s("certs/a-key.pem"),
        }]
    });
    assert_eq!(out, "key: certs/a-key.pem\nx: 1\n");
}

#[test]
fn json_insert_after_a_deleted_entry_takes_its_place() {
    let text = "{\n  \"a\": 1,\n  \"client_ca\": \"x\",\n  \"b\": 2\n}\n";
    let out = apply_json(text, |d| {
        let old = entry(d, "client_ca");
        vec![
            Edit::Insert {
                map: node(d, ""),
                position: Position::After(old),
                key: "downstream_mtls".into(),
                value: map(&[("ca", s("x"))]),
            },
            Edit::Delete { entry: old },
        ]
    });
    assert_eq!(
        out,
        "{\n  \"a\": 1,\n  \"downstream_mtls\": {\n    \"ca\": \"x\"\n  },\n  \"b\": 2\n}\n"
    );
    let out = apply("{a: 1, c: 2, b: 3}\n", |d| {
        let old = entry(d, "c");
        vec![
            Edit::Delete { entry: old },
            Edit::Insert {
                map: node(d, ""),
                position: Position::After(old),
                key: "d".into(),
                value: Value::Int(4),
            },
        ]
    });
    assert_eq!(out, "{a: 1, d: 4, b: 3}\n");
}

#[test]
fn json_deletes_keep_the_blank_lines_between_groups() {
    let text = "{\n  \"a\": 1,\n  \"b\": 2,\n\n  \"c\": 3,\n  \"d\": 4\n}\n";
    let out = apply_json(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "b"),
            },
            Edit::Delete {
                entry: entry(d, "c"),
            },
        ]
    });
    assert_eq!(out, "{\n  \"a\": 1,\n\n  \"d\": 4\n}\n");
    let out = apply_json(text, |d| {
        vec![Edit::Delete {
            entry: entry(d, "d"),
        }]
    });
    assert_eq!(out, "{\n  \"a\": 1,\n  \"b\": 2,\n\n  \"c\": 3\n}\n");
}

#[test]
fn renaming_an_outer_and_an_inner_key_in_one_batch() {
    let text = "routes:\n  - from: a\n    i:\n      old: 1\n";
    let out = apply(text, |d| {
        vec![
            Edit::RenameKey {
                entry: entry(d, "routes"),
                new_key: "policy".into(),
            },
            Edit::RenameKey {
                entry: entry(d, "routes[0].i.old"),
                new_key: "new".into(),
            },
        ]
    });
    assert_eq!(out, "policy:\n  - from: a\n    i:\n      new: 1\n");
}

#[test]
fn deleting_after_a_block_scalar_keeps_its_value() {
    let out = apply("a: |+\n  x\nb: 1\n\nc: 2\n", |d| {
        vec![Edit::Delete {
            entry: entry(d, "b"),
        }]
    });
    assert_eq!(out, "a: |+\n  x\nc: 2\n");
    let out = apply("a: |\n  x\nb: 1\n  # about b\n\n# kept\nc: 2\n", |d| {
        vec![Edit::Delete {
            entry: entry(d, "b"),
        }]
    });
    assert_eq!(out, "a: |\n  x\n\n# kept\nc: 2\n");
}

#[test]
fn crlf_last_line_delete_leaves_no_stray_carriage_return() {
    let out = apply("a: 1\r\nb: 2", |d| {
        vec![Edit::Delete {
            entry: entry(d, "b"),
        }]
    });
    assert_eq!(out, "a: 1");
}

#[test]
fn insertions_after_a_sibling_precede_those_at_the_end() {
    let out = apply("a: 1\n", |d| {
        vec![
            Edit::Insert {
                map: node(d, ""),
                position: Position::End,
                key: "b".into(),
                value: Value::Int(2),
            },
            Edit::Insert {
                map: node(d, ""),
                position: Position::After(entry(d, "a")),
                key: "c".into(),
                value: Value::Int(3),
            },
        ]
    });
    assert_eq!(out, "a: 1\nc: 3\nb: 2\n");
    let out = apply("a: {}\n", |d| {
        vec![
            Edit::Insert {
                map: node(d, "a"),
                position: Position::End,
                key: "b".into(),
                value: Value::Int(1),
            },
            Edit::Insert {
                map: node(d, "a"),
                position: Position::End,
                key: "c".into(),
                value: Value::Int(2),
            },
        ]
    });
    assert_eq!(out, "a: {b: 1, c: 2}\n");
}

#[test]
fn emptying_a_mapping_by_comment_and_delete() {
    let out = apply("- a: 1\n  b: 2\n", |d| {
        vec![
            Edit::CommentOut {
                entry: entry(d, "[0].a"),
                note: "n".into(),
            },
            Edit::Delete {
                entry: entry(d, "[0].b"),
            },
        ]
    });
    assert_eq!(out, "- # n\n  # a: 1\n  {}\n");
}

/// Found by the property test (`edit_batches_give_the_model_data_and_keep_untouched_lines`): in a
/// file without a final line break, the last entry of a nested mapping and the entry after that
/// mapping both go. Each deletion reached for the line break before its lines; the two ranges
/// overlapped on one byte and the batch was refused as a conflict.
#[test]
fn deleting_the_last_lines_of_nested_and_outer_mappings_without_a_final_break() {
    let text = "\u{feff}routes:\n  - from: https://api.example.com #\n    to: ['\"{&&\"', 'x'] # mX\njwt_claims_headers: {}";
    let out = apply(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "jwt_claims_headers"),
            },
            Edit::SetScalar {
                node: node(d, "routes[0].from"),
                value: s("/billing/"),
            },
            Edit::Delete {
                entry: entry(d, "routes[0].to"),
            },
        ]
    });
    assert_eq!(out, "\u{feff}routes:\n  - from: /billing/ #");
    let out = apply("a:\r\n  b: 1\r\n  c: 2\r\nd: 3", |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "a.c"),
            },
            Edit::Delete {
                entry: entry(d, "d"),
            },
        ]
    });
    assert_eq!(out, "a:\r\n  b: 1");
}

/// In a file without a final line break, a new entry placed after the second-to-last entry, or
/// at the end, while the last entry goes: the new entry ends the file, still without a break.
#[test]
fn inserting_beside_a_deleted_last_entry_without_a_final_break() {
    let out = apply("a: 1\nb: 2", |d| {
        vec![
            Edit::Insert {
                map: node(d, ""),
                position: Position::After(entry(d, "a")),
                key: "c".into(),
                value: Value::Int(3),
            },
            Edit::Delete {
                entry: entry(d, "b"),
            },
        ]
    });
    assert_eq!(out, "a: 1\nc: 3");
    let out = apply("a: 1\nb: 2", |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "b"),
            },
            Edit::Insert {
                map: node(d, ""),
                position: Position::End,
                key: "c".into(),
                value: Value::Int(3),
            },
        ]
    });
    assert_eq!(out, "a: 1\nc: 3");
    let out = apply("a: 1\n\nb: 2", |d| {
        vec![Edit::Delete {
            entry: entry(d, "b"),
        }]
    });
    assert_eq!(out, "a: 1\n");
}

/// Two batches applied as a chain verified once: the same texts as batch-by-batch verification,
/// the expected data composed through both, and a wrong expectation caught at the end.
#[test]
fn a_chain_of_batches_is_verified_once_against_the_composed_data() {
    let text = "a: &x 1\nroutes:\n  - from: https://a\n    lb_policy: RANDOM # why\nb: *x\n";
    let doc = parse(text);
    let first = vec![Edit::SetScalar {
        node: node(&doc, "a"),
        value: Value::Int(2),
    }];
    let mut composed = DataEdits::default();
    let one = match doc.apply_composed(&first, &mut composed) {
        Ok(d) => d,
        Err(e) => panic!("first batch refused: {e}"),
    };
    let second = vec![Edit::RenameKey {
        entry: entry(&one, "routes[0].lb_policy"),
        new_key: "load_balancing_policy".into(),
    }];
    let two = match one.apply_composed(&second, &mut composed) {
        Ok(d) => d,
        Err(e) => panic!("second batch refused: {e}"),
    };
    // The same texts as verifying each batch.
    let checked = doc.apply(&first).and_then(|d| {
        let second = vec![Edit::RenameKey {
            entry: entry(&d, "routes[0].lb_policy"),
            new_key: "load_balancing_policy".into(),
        }];
        d.apply(&second)
    });
    assert_eq!(
        checked.map(|d| d.text().to_owned()).ok().as_deref(),
        Some(two.text())
    );
    assert_eq!(
        two.text(),
        "a: &x 2\nroutes:\n  - from: https://a\n    load_balancing_policy: RANDOM # why\nb: *x\n"
    );
    // Composed through both batches: the alias shows the new value, the key its new name.
    let expected = composed.expected_data(&doc);
    assert_eq!(two.verify(&expected), Ok(()));
    assert_eq!(parse(two.text()).verify(&expected), Ok(()));
    // The unedited document does not have that data: verification names the difference.
    match doc.verify(&expected) {
        Err(EditError::Verification { detail }) => assert!(detail.contains('a'), "{detail}"),
        other => panic!("expected a verification failure, got {other:?}"),
    }
}
