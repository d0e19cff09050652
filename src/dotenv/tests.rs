//! The backend's reading, refusals and edits, through the `Document` API.

use crate::document::{Document, Edit, EditError, EntryId, Format, NodeId, Position, Value};

fn doc(text: &str) -> Document {
    match Document::parse(text.to_owned(), Format::Dotenv) {
        Ok(d) => d,
        Err(e) => panic!("{text:?} does not parse: {e}"),
    }
}

fn refusal(text: &str) -> String {
    match Document::parse(text.to_owned(), Format::Dotenv) {
        Ok(_) => panic!("{text:?} was read"),
        Err(e) => e.to_string(),
    }
}

fn pairs(d: &Document) -> Vec<(String, Option<String>)> {
    d.data()
        .as_mapping()
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap_or_default().to_owned(),
                v.as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn entry(d: &Document, name: &str) -> EntryId {
    match d.top(name) {
        Some(e) => e.id,
        None => panic!("no {name}"),
    }
}

fn value_of(d: &Document, name: &str) -> NodeId {
    match d.top(name) {
        Some(e) => e.value,
        None => panic!("no {name}"),
    }
}

fn applied(d: &Document, edits: &[Edit]) -> String {
    match d.apply(edits) {
        Ok(next) => next.text().to_owned(),
        Err(e) => panic!("{edits:?} refused: {e}"),
    }
}

fn refused(d: &Document, edits: &[Edit]) -> EditError {
    match d.apply(edits) {
        Ok(next) => panic!("{edits:?} applied: {:?}", next.text()),
        Err(e) => e,
    }
}

fn set(node: NodeId, v: &str) -> Edit {
    Edit::SetScalar {
        node,
        value: Value::String(v.into()),
    }
}

#[test]
fn reads_the_statements_compose_reads() {
    let d = doc(concat!(
        "# a comment\n",
        "\n",
        "  PLAIN=value with spaces   # a comment\n",
        "export EXPORTED=1\n",
        "SPACED = x\n",
        "YAML_LIKE: y\n",
        "HASH=a#b\n",
        "TAB_HASH=a\t#b\n",
        "AFTER_EQ= #c\n",
        "EMPTY=\n",
        "SINGLE='lit $X \\n \\' end' # c\n",
        "DOUBLE=\"a\\nb \\\"q\\\" \\\\ \\$ \\q\"\n",
        "MULTI=\"line 1\n",
        "line 2\"\n",
        "BARE\n",
        "INTERP=${OTHER:-x}\n",
        "dotted.name-x[0]=v",
    ));
    assert_eq!(
        pairs(&d),
        vec![
            ("PLAIN".into(), s("value with spaces")),
            ("EXPORTED".into(), s("1")),
            ("SPACED".into(), s("x")),
            ("YAML_LIKE".into(), s("y")),
            ("HASH".into(), s("a#b")),
            ("TAB_HASH".into(), s("a\t#b")),
            ("AFTER_EQ".into(), s("#c")),
            ("EMPTY".into(), s("")),
            ("SINGLE".into(), s("lit $X \\n ' end")),
            ("DOUBLE".into(), s("a\nb \"q\" \\ $ \\q")),
            ("MULTI".into(), s("line 1\nline 2")),
            ("BARE".into(), None),
            ("INTERP".into(), s("${OTHER:-x}")),
            ("dotted.name-x[0]".into(), s("v")),
        ]
    );
    assert_eq!(d.data().get("BARE"), Some(&Value::Null));
    // Locations of names and values.
    assert_eq!(d.entry_location(entry(&d, "PLAIN")).to_string(), "3:3");
    assert_eq!(d.location(value_of(&d, "EXPORTED")).to_string(), "4:17");
}

#[test]
fn crlf_bom_and_no_final_break_are_read() {
    let d = doc("\u{feff}A=1\r\nB=\"x\r\ny\"\r\nC='3'");
    assert_eq!(
        pairs(&d),
        vec![
            ("A".into(), s("1")),
            ("B".into(), s("x\r\ny")),
            ("C".into(), s("3")),
        ]
    );
    assert_eq!(doc("").data(), Value::Mapping(Vec::new()));
    assert_eq!(doc("# only\n\n").data(), Value::Mapping(Vec::new()));
}

#[test]
fn what_is_not_understood_is_refused_with_its_place() {
    let cases = [
        ("A B=1\n", "1:3", "cannot contain a space"),
        ("A=1\nB!=2\n", "2:2", "unexpected `!`"),
        ("=1\n", "1:1", "expected a variable name"),
        ("A=\"x\" y\n", "1:7", "after the closing quote"),
        ("A='x'y\n", "1:6", "after the closing quote"),
        ("A=1\nB=\"open\nC=2\n", "2:3", "never closed"),
        ("A='open\n", "1:3", "never closed"),
        ("A=\"\\0123\"\n", "1:4", "octal"),
        ("A=1\rB=2\n", "1:4", "carriage return"),
        ("export \n", "1:1", "`export` with no variable"),
        ("A=\u{a0}x\n", "1:3", "unusual whitespace"),
        ("A #c\n", "1:3", "unexpected `#`"),
        ("Ä=1\n", "1:1", "expected a variable name"),
    ];
    for (text, at, what) in cases {
        let message = refusal(text);
        assert!(
            message.starts_with(&format!("{at}: ")) && message.contains(what),
            "{text:?}: {message}"
        );
    }
}

#[test]
fn a_variable_set_twice_is_refused_naming_both_places() {
    let message = refusal("A=1\n# x\n  export A=2\n");
    assert!(message.starts_with("3:10: "), "{message}");
    assert!(
        message.contains("`A` is set twice (first at line 1, column 1)"),
        "{message}"
    );
    let message = refusal("A\nA=1\n");
    assert!(message.starts_with("2:1: "), "{message}");
}

#[test]
fn renames_keep_everything_else() {
    let text = "# c\r\nexport  OLD = 'v' # keep\r\nOTHER=1";
    let d = doc(text);
    let out = applied(
        &d,
        &[Edit::RenameKey {
            entry: entry(&d, "OLD"),
            new_key: "NEW".into(),
        }],
    );
    assert_eq!(out, "# c\r\nexport  NEW = 'v' # keep\r\nOTHER=1");
    let bad = refused(
        &d,
        &[Edit::RenameKey {
            entry: entry(&d, "OLD"),
            new_key: "A B".into(),
        }],
    );
    assert!(matches!(bad, EditError::Unsupported { .. }), "{bad}");
    let dup = refused(
        &d,
        &[Edit::RenameKey {
            entry: entry(&d, "OLD"),
            new_key: "OTHER".into(),
        }],
    );
    assert!(matches!(dup, EditError::DuplicateKey { .. }), "{dup}");
}

#[test]
fn set_scalar_keeps_the_quoting_where_it_can() {
    let d = doc("P=plain # c\nS='single'\nD=\"double\"\nB\n");
    let cases = [
        ("P", "new", "P=new # c\n"),
        ("P", "has spaces", "P=has spaces # c\n"),
        ("P", "has #hash", "P='has #hash' # c\n"),
        ("P", "${X}", "P=${X} # c\n"),
        ("P", "it's ${X} #1", "P=\"it's ${X} #1\" # c\n"),
        ("S", "two words", "S='two words'\n"),
        ("S", "it's", "S=\"it's\"\n"),
        ("S", "$HOME", "S=\"$HOME\"\n"),
        ("D", "a\nb", "D=\"a\\nb\"\n"),
        ("D", "x", "D=\"x\"\n"),
    ];
    for (name, value, line) in cases {
        let out = applied(&d, &[set(value_of(&d, name), value)]);
        assert!(out.contains(line), "{name}={value:?}: {out:?}");
        let again = doc(&out);
        assert_eq!(
            again.data().get(name),
            Some(&Value::String(value.into())),
            "{out:?}"
        );
    }
    let bare = refused(&d, &[set(value_of(&d, "B"), "x")]);
    assert!(matches!(bare, EditError::Unsupported { .. }), "{bare}");
    let not_string = refused(
        &d,
        &[Edit::SetScalar {
            node: value_of(&d, "P"),
            value: Value::Bool(true),
        }],
    );
    assert!(
        matches!(not_string, EditError::Unsupported { .. }),
        "{not_string}"
    );
    let key = refused(
        &d,
        &[set(d.top("P").map_or(NodeId(0), |e| e.key_node), "x")],
    );
    assert!(matches!(key, EditError::Invalid { .. }), "{key}");
}

#[test]
fn comment_out_puts_a_note_above_and_comments_every_line() {
    let d = doc("A=1\n  export SECRET=\"x\n\ny\" # tail\nC=3");
    let out = applied(
        &d,
        &[Edit::CommentOut {
            entry: entry(&d, "SECRET"),
            note: "removed in v0.20\nsee docs".into(),
        }],
    );
    assert_eq!(
        out,
        "A=1\n  # removed in v0.20 see docs\n  # export SECRET=\"x\n#\n# y\" # tail\nC=3"
    );
    let d = doc("A=1\r\nB=2");
    let out = applied(
        &d,
        &[Edit::CommentOut {
            entry: entry(&d, "B"),
            note: "gone".into(),
        }],
    );
    assert_eq!(out, "A=1\r\n# gone\r\n# B=2");
}

#[test]
fn delete_takes_whole_lines() {
    let d = doc("A=1\nB=\"x\ny\" # c\nC=3");
    let out = applied(
        &d,
        &[Edit::Delete {
            entry: entry(&d, "B"),
        }],
    );
    assert_eq!(out, "A=1\nC=3");
    let out = applied(
        &d,
        &[Edit::Delete {
            entry: entry(&d, "C"),
        }],
    );
    assert_eq!(out, "A=1\nB=\"x\ny\" # c");
}

#[test]
fn annotate_writes_a_comment_line_above() {
    let d = doc("A=1\n\texport B=2\n");
    let out = applied(
        &d,
        &[Edit::Annotate {
            entry: entry(&d, "B"),
            text: "pomerium-migrate action v0.20/x: do it".into(),
        }],
    );
    assert_eq!(
        out,
        "A=1\n\t# pomerium-migrate action v0.20/x: do it\n\texport B=2\n"
    );
}

#[test]
fn inserts_follow_their_neighbour() {
    let d = doc("# head\n  export A = 'a'\nB=b\n# tail");
    let after_a = Edit::Insert {
        map: d.root().unwrap_or(NodeId(0)),
        position: Position::After(entry(&d, "A")),
        key: "NEW".into(),
        value: Value::String("n".into()),
    };
    let at_end = Edit::Insert {
        map: d.root().unwrap_or(NodeId(0)),
        position: Position::End,
        key: "LAST".into(),
        value: Value::String("x y".into()),
    };
    let out = applied(&d, &[at_end.clone(), after_a]);
    assert_eq!(
        out,
        "# head\n  export A = 'a'\n  export NEW = 'n'\nB=b\nLAST=x y\n# tail"
    );
    for text in ["", "# only a comment"] {
        let d = doc(text);
        let at_end = Edit::Insert {
            map: d.root().unwrap_or(NodeId(0)),
            position: Position::End,
            key: "LAST".into(),
            value: Value::String("x".into()),
        };
        let out = applied(&d, &[at_end]);
        assert!(
            out.ends_with("LAST=x") || out.ends_with("LAST=x\n"),
            "{out:?}"
        );
        assert_eq!(
            doc(&out).data().get("LAST"),
            Some(&Value::String("x".into()))
        );
    }
    let d = doc("A=1\nB=2\n");
    let dup = refused(
        &d,
        &[Edit::Insert {
            map: d.root().unwrap_or(NodeId(0)),
            position: Position::End,
            key: "A".into(),
            value: Value::String("x".into()),
        }],
    );
    assert!(matches!(dup, EditError::DuplicateKey { .. }), "{dup}");
    // An insertion after a deleted statement goes where it stood.
    let out = applied(
        &d,
        &[
            Edit::Delete {
                entry: entry(&d, "A"),
            },
            Edit::Insert {
                map: d.root().unwrap_or(NodeId(0)),
                position: Position::After(entry(&d, "A")),
                key: "C".into(),
                value: Value::String("x".into()),
            },
        ],
    );
    assert_eq!(out, "C=x\nB=2\n");
}

#[test]
fn edits_that_touch_one_statement_twice_conflict() {
    let d = doc("A=1\nB=2\n");
    let a = entry(&d, "A");
    let batches = [
        vec![Edit::Delete { entry: a }, Edit::Delete { entry: a }],
        vec![
            Edit::Delete { entry: a },
            Edit::RenameKey {
                entry: a,
                new_key: "X".into(),
            },
        ],
        vec![
            Edit::CommentOut {
                entry: a,
                note: "n".into(),
            },
            set(value_of(&d, "A"), "2"),
        ],
        vec![
            Edit::CommentOut {
                entry: a,
                note: "n".into(),
            },
            Edit::Annotate {
                entry: a,
                text: "t".into(),
            },
        ],
        vec![set(value_of(&d, "A"), "2"), set(value_of(&d, "A"), "3")],
    ];
    for edits in batches {
        let e = refused(&d, &edits);
        assert!(
            matches!(e, EditError::Conflict { .. }) && e.to_string().starts_with("1:"),
            "{edits:?}: {e}"
        );
    }
}

#[test]
fn spans_cover_names_and_values_as_written() {
    let d = doc("\u{feff}A='x y' # c\nB\n");
    let text = d.text();
    let span = |n: NodeId| &text[d.span(n)];
    assert_eq!(span(value_of(&d, "A")), "'x y'");
    assert_eq!(span(d.top("A").map_or(NodeId(0), |e| e.key_node)), "A");
    assert_eq!(span(value_of(&d, "B")), "");
    // The root is the text after the BOM.
    assert_eq!(span(d.root().unwrap_or(NodeId(0))), &text[3..]);
}
