//! Every edit operation of the TOML backend, with the exact text it must produce.

use pomerium_migrate::document::{Document, Edit, EditError, Format, NodeId, Position, Value};

mod common;

use common::{entry, map, node, string as s};

fn parse(text: &str) -> Document {
    common::parse(text, Format::Toml)
}

fn apply(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> String {
    common::apply(Format::Toml, text, edits)
}

fn refuse(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> EditError {
    common::refuse(Format::Toml, text, edits)
}

fn insert(map: NodeId, position: Position, key: &str, value: Value) -> Edit {
    Edit::Insert {
        map,
        position,
        key: key.into(),
        value,
    }
}

/// A Pomerium-shaped config: routes as `[[routes]]`, headers as a sub-table or inline,
/// policies as arrays of tables.
const POMERIUM: &str = r#"# Pomerium core config
authenticate_service_url = "https://authenticate.example.com"
shared_secret = "c2VjcmV0" # base64

[[routes]]
from = "https://app.example.com"
to = "http://app:8080"
pass_identity_headers = true

[routes.set_request_headers]
X-Team = "blue"

[[routes.policy]]
allow.or = [{ email = { is = "a@example.com" } }]

[[routes]]
from = 'https://console.example.com'
to = ["http://console:8701"]
set_request_headers = { Authorization = "Bearer ${pomerium.id_token}" }
"#;

#[test]
fn no_edit_is_byte_identical() {
    for text in [
        "\u{feff}# c\r\nkey = 'v' # x\r\n\r\n[t]\r\na.b = 1\r\nz = 2\r\na.c = 3",
        POMERIUM,
        "",
        "# only a comment",
    ] {
        assert_eq!(apply(text, |_| vec![]), text);
    }
}

#[test]
fn pomerium_config_reads_through_paths() {
    let doc = parse(POMERIUM);
    let headers: Vec<(String, Value, usize)> = doc
        .select_str("routes[*].set_request_headers")
        .into_iter()
        .map(|sel| (sel.path, doc.value(sel.node), doc.location(sel.node).line))
        .collect();
    assert_eq!(
        headers,
        [
            (
                "routes[0].set_request_headers".to_owned(),
                map(&[("X-Team", s("blue"))]),
                10
            ),
            (
                "routes[1].set_request_headers".to_owned(),
                map(&[("Authorization", s("Bearer ${pomerium.id_token}"))]),
                19
            ),
        ]
    );
    let emails: Vec<Value> = doc
        .select_str("routes[*].policy[*].allow.or[*].email.is")
        .into_iter()
        .map(|sel| doc.value(sel.node))
        .collect();
    assert_eq!(emails, [s("a@example.com")]);
    let from = doc.select_str("routes[1].from");
    let from = from.first().map(|sel| sel.node);
    assert_eq!(
        from.and_then(|n| doc.str(n)),
        Some("https://console.example.com")
    );
    assert_eq!(
        from.map(|n| doc.location(n).to_string()),
        Some("17:8".to_owned())
    );
    assert_eq!(
        doc.entry_location(entry(&doc, "shared_secret")).to_string(),
        "3:1"
    );
    // The secret's span covers exactly the written value, for redaction.
    let span = doc.span(node(&doc, "shared_secret"));
    assert_eq!(&POMERIUM[span], "\"c2VjcmV0\"");
    // Sub-tables come first in a table's entries (see the TOML backend's data order).
    let keys: Vec<&str> = doc
        .entries(node(&doc, "routes[0]"))
        .iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(
        keys,
        [
            "set_request_headers",
            "policy",
            "from",
            "to",
            "pass_identity_headers"
        ]
    );
}

#[test]
fn rename_every_place_a_key_is_written() {
    let text = "headers.X = 'y' # h\nheaders.Z = 1\n\"quoted\" = 2\n\n[[routes]]\nfrom = 'a'\n[routes.sub]\nk = 1\n\n[[routes]]\nfrom = 'b'\ni = { old = 1 }\n";
    let out = apply(text, |d| {
        vec![
            Edit::RenameKey {
                entry: entry(d, "headers"),
                new_key: "set_response_headers".into(),
            },
            Edit::RenameKey {
                entry: entry(d, "quoted"),
                new_key: "still quoted".into(),
            },
            Edit::RenameKey {
                entry: entry(d, "routes"),
                new_key: "policy".into(),
            },
        ]
    });
    assert_eq!(
        out,
        "set_response_headers.X = 'y' # h\nset_response_headers.Z = 1\n\"still quoted\" = 2\n\n[[policy]]\nfrom = 'a'\n[policy.sub]\nk = 1\n\n[[policy]]\nfrom = 'b'\ni = { old = 1 }\n"
    );
    let out = apply("i = { old = 1, 'x' = 2 }\n", |d| {
        vec![Edit::RenameKey {
            entry: entry(d, "i.old"),
            new_key: "new".into(),
        }]
    });
    assert_eq!(out, "i = { new = 1, 'x' = 2 }\n");
    // A bare key that the new name does not allow is quoted.
    let out = apply("a = 1\n", |d| {
        vec![Edit::RenameKey {
            entry: entry(d, "a"),
            new_key: "a.b".into(),
        }]
    });
    assert_eq!(out, "\"a.b\" = 1\n");
}

#[test]
fn set_scalar_keeps_quote_style_where_it_can() {
    let text = "a = \"basic\"\nb = 'literal'\nc = 'literal'\nd = \"\"\"\nml\"\"\"\ne = 1\nf = [1, 'x']\ng = 1979-05-27\nh = { k = \"v\" } # c\n";
    let out = apply(text, |d| {
        vec![
            Edit::SetScalar {
                node: node(d, "a"),
                value: s("$$x \"q\""),
            },
            Edit::SetScalar {
                node: node(d, "b"),
                value: s("C:\\path"),
            },
            Edit::SetScalar {
                node: node(d, "c"),
                value: s("it's"),
            },
            Edit::SetScalar {
                node: node(d, "d"),
                value: s("one\ntwo"),
            },
            Edit::SetScalar {
                node: node(d, "e"),
                value: s("now a string"),
            },
            Edit::SetScalar {
                node: node(d, "f[1]"),
                value: Value::Bool(true),
            },
            Edit::SetScalar {
                node: node(d, "g"),
                value: s("2024-01-01"),
            },
            Edit::SetScalar {
                node: node(d, "h.k"),
                value: Value::Int(-3),
            },
        ]
    });
    assert_eq!(
        out,
        "a = \"$$x \\\"q\\\"\"\nb = 'C:\\path'\nc = \"it's\"\nd = \"\"\"\none\ntwo\"\"\"\ne = \"now a string\"\nf = [1, true]\ng = \"2024-01-01\"\nh = { k = -3 } # c\n"
    );
}

#[test]
fn insert_after_a_sibling_and_at_the_end() {
    let text = "[[routes]]\n  from = 'https://a'\n  to = 'http://b' # up\n  pass = 1\n";
    let out = apply(text, |d| {
        let route = node(d, "routes[0]");
        vec![
            insert(
                route,
                Position::After(entry(d, "routes[0].to")),
                "set_request_headers",
                map(&[("Authorization", s("Bearer ${pomerium.id_token}"))]),
            ),
            insert(route, Position::End, "x", Value::Bool(true)),
            insert(route, Position::End, "y", s("it's")),
        ]
    });
    assert_eq!(
        out,
        "[[routes]]\n  from = 'https://a'\n  to = 'http://b' # up\n  set_request_headers = { Authorization = 'Bearer ${pomerium.id_token}' }\n  pass = 1\n  x = true\n  y = \"it's\"\n"
    );
}

#[test]
fn insert_follows_the_tables_own_layout() {
    // `key=value` without spaces, quoted keys, a table that only has sub-tables, and a route
    // whose last entry is a sub-table.
    let text = "# top\n\n# the routes\n[[routes]]\n\"from\"=\"https://a\"\n\n[routes.set_request_headers]\nA = \"b\"\n";
    let out = apply(text, |d| {
        let route = node(d, "routes[0]");
        vec![
            insert(route, Position::End, "to", s("http://b")),
            insert(
                route,
                Position::After(entry(d, "routes[0].set_request_headers")),
                "set_response_headers",
                map(&[("X", s("y"))]),
            ),
            insert(node(d, ""), Position::End, "address", s(":443")),
        ]
    });
    assert_eq!(
        out,
        "# top\n\naddress = \":443\"\n# the routes\n[[routes]]\n\"from\"=\"https://a\"\n\"to\"=\"http://b\"\n\n[routes.set_request_headers]\nA = \"b\"\n\n[routes.set_response_headers]\nX = \"y\"\n"
    );
}

#[test]
fn insert_after_the_last_sub_table_goes_first_in_the_lines() {
    let text = "[a]\nx = 1\n\n[a.b]\ny = 2\n";
    let list = || Value::Sequence(vec![map(&[("k", Value::Int(1))]), map(&[])]);
    let out = apply(text, |d| {
        let after_b = Position::After(entry(d, "a.b"));
        vec![
            insert(node(d, "a"), after_b, "list", list()),
            insert(node(d, "a"), after_b, "z", Value::Int(3)),
        ]
    });
    assert_eq!(
        out,
        "[a]\nz = 3\nx = 1\n\n[a.b]\ny = 2\n\n[[a.list]]\nk = 1\n\n[[a.list]]\n"
    );
    // The other batch order means `z` before `list`: a `[[table]]` after a `key = value` line
    // of the same table, which TOML cannot write.
    let err = refuse(text, |d| {
        let after_b = Position::After(entry(d, "a.b"));
        vec![
            insert(node(d, "a"), after_b, "z", Value::Int(3)),
            insert(node(d, "a"), after_b, "list", list()),
        ]
    });
    assert!(matches!(err, EditError::Unsupported { .. }), "{err}");
}

#[test]
fn insert_into_inline_tables() {
    let text = "h = {A = \"b\"}\ne = {}\nm = {\n  a = 1,\n}\n";
    let out = apply(text, |d| {
        vec![
            insert(node(d, "h"), Position::End, "Authorization", s("x")),
            insert(node(d, "e"), Position::End, "k", Value::Int(1)),
            insert(node(d, "e"), Position::End, "l", Value::Int(2)),
            insert(node(d, "m"), Position::End, "b", Value::Int(2)),
        ]
    });
    assert_eq!(
        out,
        "h = {A = \"b\", Authorization = \"x\"}\ne = { k = 1, l = 2 }\nm = {\n  a = 1,\n  b = 2,\n}\n"
    );
}

#[test]
fn insert_into_a_table_without_a_header_of_its_own() {
    let text = "[a.b]\nx = 1\n";
    let out = apply(text, |d| {
        vec![insert(node(d, "a"), Position::End, "y", Value::Int(2))]
    });
    assert_eq!(out, "[a]\ny = 2\n[a.b]\nx = 1\n");
    let out = apply("t.u = 1\n", |d| {
        vec![insert(node(d, "t"), Position::End, "v", s("w"))]
    });
    assert_eq!(out, "t.u = 1\nt.v = \"w\"\n");
}

#[test]
fn comment_out_under_a_note() {
    let text = "a = 1\nlist = [\n  \"x\",\n\n  \"y\",\n] # end\nb = 2\n";
    let out = apply(text, |d| {
        vec![Edit::CommentOut {
            entry: entry(d, "list"),
            note: "removed in v0.20;\nuse other".into(),
        }]
    });
    assert_eq!(
        out,
        "a = 1\n# removed in v0.20; use other\n# list = [\n#   \"x\",\n#\n#   \"y\",\n# ] # end\nb = 2\n"
    );
}

#[test]
fn comment_out_sections_dotted_keys_and_indented_lines() {
    let text = "x.a = 1\ny = 2\nx.b = 3\n\n[[routes]]\n  from = 'f'\n  old = 1\n\n[routes.h]\nA = 'b'\n\n[routes.h.deep]\nC = 'd'\n";
    let out = apply(text, |d| {
        vec![
            Edit::CommentOut {
                entry: entry(d, "x"),
                note: "n1".into(),
            },
            Edit::CommentOut {
                entry: entry(d, "routes[0].old"),
                note: "n2".into(),
            },
            Edit::CommentOut {
                entry: entry(d, "routes[0].h"),
                note: "n3".into(),
            },
        ]
    });
    assert_eq!(
        out,
        "# n1\n# x.a = 1\ny = 2\n# x.b = 3\n\n[[routes]]\n  from = 'f'\n  # n2\n  # old = 1\n\n# n3\n# [routes.h]\n# A = 'b'\n\n# [routes.h.deep]\n# C = 'd'\n"
    );
}

#[test]
fn emptied_tables_keep_existing() {
    // A dotted table and a table known only through sub-table headers would vanish with their
    // last entry; they are written as `x = {}` and `[a]`. A `[header]` table simply stays.
    let text = "x.a = 1\n\n[a.b]\nk = 1\n\n[c]\nd = 1\n";
    let out = apply(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "x.a"),
            },
            Edit::CommentOut {
                entry: entry(d, "a.b"),
                note: "gone".into(),
            },
            Edit::Delete {
                entry: entry(d, "c.d"),
            },
        ]
    });
    assert_eq!(out, "x = {}\n\n[a]\n# gone\n# [a.b]\n# k = 1\n\n[c]\n");
}

#[test]
fn delete_lines_sections_and_inline_pairs() {
    let text =
        "a = 1 # one\nb = 2\n\n[t]\nk = 1\n\n[u]\ni = {x = 1, y = 2, z = 3}\nj = { only = 1 }\n";
    let out = apply(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "b"),
            },
            Edit::Delete {
                entry: entry(d, "t"),
            },
            Edit::Delete {
                entry: entry(d, "u.i.y"),
            },
            Edit::Delete {
                entry: entry(d, "u.i.z"),
            },
            Edit::Delete {
                entry: entry(d, "u.j.only"),
            },
        ]
    });
    assert_eq!(out, "a = 1 # one\n\n[u]\ni = {x = 1}\nj = {}\n");
}

#[test]
fn delete_every_route() {
    let text = "address = ':443'\n\n[[routes]]\nfrom = 'a'\n\n[routes.h]\nA = 'b'\n\n[[routes]]\nfrom = 'c'\n";
    let out = apply(text, |d| {
        vec![Edit::Delete {
            entry: entry(d, "routes"),
        }]
    });
    assert_eq!(out, "address = ':443'\n");
}

#[test]
fn replace_values_of_every_layout() {
    let text = "a = 'old' # keep\nb = [1]\nd.x = 1\nd.y = 2\n\n[s]\nk = 1 # gone\n\n[s.sub]\nz = 1\n\n[t]\n";
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
                node: node(d, "d"),
                value: map(&[("z", Value::Int(3))]),
            },
            Edit::ReplaceValue {
                node: node(d, "s"),
                value: map(&[
                    ("n", Value::Int(2)),
                    ("m", map(&[("q", Value::Bool(false))])),
                ]),
            },
            Edit::ReplaceValue {
                node: node(d, "t"),
                value: map(&[("e", Value::Float("0.5".into()))]),
            },
        ]
    });
    assert_eq!(
        out,
        "a = { k = \"v\" } # keep\nb = \"scalar\"\nd = { z = 3 }\n\n[s]\nn = 2\nm = { q = false }\n\n[t]\ne = 0.5\n"
    );
}

#[test]
fn crlf_bom_and_missing_final_newline_survive() {
    let text = "\u{feff}a = 1\r\nb = 2\r\n\r\n[t]\r\nc = 3";
    let out = apply(text, |d| {
        vec![
            insert(node(d, "t"), Position::End, "d", s("x\ny")),
            insert(node(d, ""), Position::End, "e", Value::Int(5)),
            Edit::CommentOut {
                entry: entry(d, "a"),
                note: "n".into(),
            },
        ]
    });
    assert_eq!(
        out,
        "\u{feff}# n\r\n# a = 1\r\nb = 2\r\ne = 5\r\n\r\n[t]\r\nc = 3\r\nd = \"x\\ny\""
    );
    let out = apply("a = 1\nb = 2", |d| {
        vec![Edit::Delete {
            entry: entry(d, "b"),
        }]
    });
    assert_eq!(out, "a = 1");
    let out = apply("a = 1\r\nb = \"\"\"\r\nx\"\"\"\r\n", |d| {
        vec![Edit::SetScalar {
            node: node(d, "b"),
            value: s("y\nz"),
        }]
    });
    assert_eq!(out, "a = 1\r\nb = \"\"\"\r\ny\\nz\"\"\"\r\n");
}

#[test]
fn inline_entries_cannot_be_commented_out() {
    let doc = parse("h = { a = 1 }\nb = 2\n[t]\nc = 3\n");
    assert!(!doc.can_comment_out(entry(&doc, "h.a")));
    assert!(doc.can_comment_out(entry(&doc, "b")));
    assert!(doc.can_comment_out(entry(&doc, "t")));
    assert!(doc.can_comment_out(entry(&doc, "t.c")));
    let err = refuse("h = { a = 1 }\n", |d| {
        vec![Edit::CommentOut {
            entry: entry(d, "h.a"),
            note: "n".into(),
        }]
    });
    assert!(matches!(err, EditError::Unsupported { .. }), "{err}");
}

#[test]
fn overlapping_edits_are_refused() {
    let text = "[a]\nb = 1\n";
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
    let err = refuse(text, |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "a"),
            },
            insert(node(d, "a"), Position::End, "c", Value::Int(1)),
        ]
    });
    assert!(matches!(err, EditError::Conflict { .. }), "{err}");
}

#[test]
fn unwritable_or_misplaced_values_are_refused() {
    let err = refuse("a = 1\n", |d| {
        vec![insert(node(d, ""), Position::End, "n", Value::Null)]
    });
    assert!(matches!(err, EditError::Unsupported { .. }), "{err}");
    // TOML writes a table's own `key = value` lines before its sub-tables: a scalar cannot go
    // between two sub-tables.
    let err = refuse("[a]\n[b]\n", |d| {
        vec![insert(
            node(d, ""),
            Position::After(entry(d, "a")),
            "x",
            Value::Int(1),
        )]
    });
    assert!(
        matches!(err, EditError::Unsupported { location, .. } if location.line == 1),
        "{err}"
    );
}

#[test]
fn duplicate_keys_are_refused() {
    let err = refuse("a = 1\nb = 2\n", |d| {
        vec![Edit::RenameKey {
            entry: entry(d, "a"),
            new_key: "b".into(),
        }]
    });
    assert!(matches!(err, EditError::DuplicateKey { .. }), "{err}");
}

#[test]
fn parse_errors_name_line_and_column_but_not_the_text() {
    let err = Document::parse("a = 1\nsecret = \"hunter2\nb = 2\n".into(), Format::Toml).err();
    let Some(err) = err else {
        panic!("an unterminated string must not parse");
    };
    assert_eq!(err.location().line, 2);
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let err = Document::parse("a = 1\na = 2\n".into(), Format::Toml).err();
    assert_eq!(err.map(|e| e.location().line), Some(2));
}

#[test]
fn insertions_after_an_entry_come_before_those_at_the_end() {
    // As `Document::expected_data` orders them, whatever the batch order.
    let out = apply("a = 1\nb = 2\n", |d| {
        let root = node(d, "");
        vec![
            insert(root, Position::End, "end", Value::Int(3)),
            insert(
                root,
                Position::After(entry(d, "b")),
                "after_b",
                Value::Int(4),
            ),
        ]
    });
    assert_eq!(out, "a = 1\nb = 2\nafter_b = 4\nend = 3\n");
}

#[test]
fn new_lines_go_above_a_new_section_at_the_same_place() {
    // The route's new line belongs to the route, above the new top-level table.
    let out = apply("a = 1\n\n[[routes]]\nfrom = 'x'", |d| {
        vec![
            insert(
                node(d, ""),
                Position::After(entry(d, "routes")),
                "set_response_headers",
                map(&[("X", s("y"))]),
            ),
            insert(node(d, "routes[0]"), Position::End, "to", s("http://b")),
        ]
    });
    assert_eq!(
        out,
        "a = 1\n\n[[routes]]\nfrom = 'x'\nto = 'http://b'\n\n[set_response_headers]\nX = \"y\""
    );
}

#[test]
fn last_line_edits_without_a_final_line_break() {
    let out = apply("a = 1\nx.y = 2", |d| {
        vec![Edit::Delete {
            entry: entry(d, "x.y"),
        }]
    });
    assert_eq!(out, "a = 1\nx = {}");
    let out = apply("a = 1\nb = 2", |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "b"),
            },
            insert(
                node(d, ""),
                Position::After(entry(d, "a")),
                "c",
                Value::Int(3),
            ),
        ]
    });
    assert_eq!(out, "a = 1\nc = 3");
}

#[test]
fn inline_pairs_replace_removed_ones() {
    let out = apply("h = { a = 1 }\ng = { a = 1, b = 2 }\n", |d| {
        vec![
            Edit::Delete {
                entry: entry(d, "h.a"),
            },
            insert(node(d, "h"), Position::End, "k", Value::Int(2)),
            Edit::Delete {
                entry: entry(d, "g.a"),
            },
            insert(
                node(d, "g"),
                Position::After(entry(d, "g.a")),
                "k",
                Value::Int(3),
            ),
        ]
    });
    assert_eq!(out, "h = { k = 2 }\ng = { k = 3, b = 2 }\n");
}

#[test]
fn rename_in_spaced_quoted_and_implicit_headers() {
    let text = "[ routes . \"h\" ]\nA = 1\n[a.b]\nx = 1\n[a.c]\ny = 2\n";
    let out = apply(text, |d| {
        vec![
            Edit::RenameKey {
                entry: entry(d, "routes"),
                new_key: "r".into(),
            },
            Edit::RenameKey {
                entry: entry(d, "a"),
                new_key: "z z".into(),
            },
        ]
    });
    assert_eq!(
        out,
        "[ r . \"h\" ]\nA = 1\n[\"z z\".b]\nx = 1\n[\"z z\".c]\ny = 2\n"
    );
}

#[test]
fn dotted_tables_with_sub_tables() {
    // TOML allows `[fruit.apple.texture]` under a table that dotted keys define.
    let text = "[fruit]\napple.color = 'red'\napple.taste.sweet = true\n\n[fruit.apple.texture]\nsmooth = true\n";
    let out = apply(text, |d| {
        vec![
            insert(node(d, "fruit.apple"), Position::End, "size", Value::Int(3)),
            Edit::Delete {
                entry: entry(d, "fruit.apple.taste.sweet"),
            },
        ]
    });
    assert_eq!(
        out,
        "[fruit]\napple.color = 'red'\napple.taste = {}\napple.size = 3\n\n[fruit.apple.texture]\nsmooth = true\n"
    );
    let out = apply(text, |d| {
        vec![Edit::CommentOut {
            entry: entry(d, "fruit.apple"),
            note: "n".into(),
        }]
    });
    assert_eq!(
        out,
        "[fruit]\n# n\n# apple.color = 'red'\n# apple.taste.sweet = true\n\n# [fruit.apple.texture]\n# smooth = true\n"
    );
}

#[test]
fn tabs_and_deep_inline_values() {
    let text = "[t]\n\tx = 1\n\ty = [\n\t\t1,\n\t]\n";
    let out = apply(text, |d| {
        vec![
            Edit::CommentOut {
                entry: entry(d, "t.y"),
                note: "n".into(),
            },
            insert(
                node(d, "t"),
                Position::After(entry(d, "t.x")),
                "k",
                Value::Bool(true),
            ),
        ]
    });
    assert_eq!(
        out,
        "[t]\n\tx = 1\n\tk = true\n\t# n\n\t# y = [\n\t# \t1,\n\t# ]\n"
    );
    let text = "policy = [{ allow = { and = [{ email = { is = 'a@b' } }] } }]\n";
    let out = apply(text, |d| {
        vec![
            Edit::SetScalar {
                node: node(d, "policy[0].allow.and[0].email.is"),
                value: s("c@d"),
            },
            insert(node(d, "policy[0].allow"), Position::End, "deny", map(&[])),
        ]
    });
    assert_eq!(
        out,
        "policy = [{ allow = { and = [{ email = { is = 'c@d' } }], deny = {} } }]\n"
    );
}

#[test]
fn dotted_keys_inside_inline_tables_are_refused() {
    let err = refuse("h = { a.b = 1, c = 2 }\n", |d| {
        vec![Edit::Delete {
            entry: entry(d, "h.a.b"),
        }]
    });
    assert!(matches!(err, EditError::Unsupported { .. }), "{err}");
}

/// Found by the property test: an insertion at the end of a dotted sub-table and one at the end
/// of its parent table fall on one offset; the sub-table's entry must come first.
#[test]
fn nested_and_parent_insertions_at_one_offset_keep_their_tables() {
    let text = "[[routes]]\nfrom = \"a\"\n\n[[routes.policy]]\nallow.or = [2]\n";
    let out = apply(text, |d| {
        vec![
            insert(
                node(d, "routes[0].policy[0]"),
                Position::End,
                "new key 0",
                s(""),
            ),
            Edit::Delete {
                entry: entry(d, "routes[0].policy[0].allow.or"),
            },
            insert(
                node(d, "routes[0].policy[0].allow"),
                Position::End,
                "new key 2",
                s(""),
            ),
        ]
    });
    let doc = parse(&out);
    assert_eq!(
        doc.select_str("routes[0].policy[0].allow.new key 2").len(),
        1,
        "{out}"
    );
    assert_eq!(
        doc.select_str("routes[0].policy[0].new key 0").len(),
        1,
        "{out}"
    );
}
