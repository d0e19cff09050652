//! Sequence-item edits (`Edit::DeleteItem`, `Edit::CommentOutItem`, `Edit::AnnotateItem`) in the
//! shapes the deployment surfaces have: compose `environment:` lists (`- KEY=value`), Kubernetes
//! `env:` entries (`- name: X\n  value: y`), flow sequences and JSON arrays.

use pomerium_migrate::document::{Document, Edit, EditError, Format, Value};

mod common;

use common::{map, node, string as s};

fn apply(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> String {
    common::apply(Format::Yaml, text, edits)
}

fn refuse(text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> EditError {
    common::refuse(Format::Yaml, text, edits)
}

const COMPOSE: &str = "\
services:
  pomerium:
    environment:
      # logging
      - POMERIUM_DEBUG=true # noisy
      - IDP_SERVICE_ACCOUNT=${GOOGLE_SA}
      - IDP_PROVIDER=google
    image: pomerium/pomerium:v0.19.0
";

#[test]
fn a_list_form_environment_item_is_commented_out_or_deleted() {
    let out = apply(COMPOSE, |d| {
        vec![Edit::CommentOutItem {
            item: node(d, "services.pomerium.environment[1]"),
            note: "pomerium-migrate v0.20: removed".into(),
        }]
    });
    assert_eq!(
        out,
        COMPOSE.replace(
            "      - IDP_SERVICE_ACCOUNT",
            "      # pomerium-migrate v0.20: removed\n      # - IDP_SERVICE_ACCOUNT"
        )
    );
    let out = apply(COMPOSE, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "services.pomerium.environment[1]"),
        }]
    });
    assert_eq!(
        out,
        COMPOSE.replace("      - IDP_SERVICE_ACCOUNT=${GOOGLE_SA}\n", "")
    );
    // The first item goes with its own line; the comment above it stays.
    let out = apply(COMPOSE, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "services.pomerium.environment[0]"),
        }]
    });
    assert_eq!(
        out,
        COMPOSE.replace("      - POMERIUM_DEBUG=true # noisy\n", "")
    );
}

const DEPLOYMENT: &str = "\
spec:
  containers:
    - name: pomerium
      env:
        - name: IDP_SERVICE_ACCOUNT
          value: x
        - name: IDP_PROVIDER # which one
          value: google
";

#[test]
fn a_kubernetes_env_entry_is_commented_out_with_all_its_lines() {
    let item = "spec.containers[0].env[0]";
    let out = apply(DEPLOYMENT, |d| {
        vec![Edit::CommentOutItem {
            item: node(d, item),
            note: "removed in v0.20".into(),
        }]
    });
    assert_eq!(
        out,
        DEPLOYMENT.replace(
            "        - name: IDP_SERVICE_ACCOUNT\n          value: x\n",
            "        # removed in v0.20\n        # - name: IDP_SERVICE_ACCOUNT\n        #   value: x\n"
        )
    );
    let out = apply(DEPLOYMENT, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "spec.containers[0].env[1]"),
        }]
    });
    assert_eq!(
        out,
        DEPLOYMENT.replace(
            "        - name: IDP_PROVIDER # which one\n          value: google\n",
            ""
        )
    );
    let out = apply(DEPLOYMENT, |d| {
        vec![Edit::AnnotateItem {
            item: node(d, item),
            text: "pomerium-migrate action v0.20/x: do this".into(),
        }]
    });
    assert_eq!(
        out,
        DEPLOYMENT.replace(
            "        - name: IDP_SERVICE_ACCOUNT\n",
            "        # pomerium-migrate action v0.20/x: do this\n        - name: IDP_SERVICE_ACCOUNT\n"
        )
    );
    let doc = common::parse(DEPLOYMENT, Format::Yaml);
    assert!(doc.can_comment_out_item(node(&doc, item)));
    // A node that is not an item.
    assert!(!doc.can_comment_out_item(node(&doc, "spec.containers[0].env")));
}

#[test]
fn an_emptied_sequence_stays_a_sequence() {
    let text = "env:\n- A=1\n- B=2\nimage: x\n";
    let out = apply(text, |d| {
        vec![
            Edit::DeleteItem {
                item: node(d, "env[0]"),
            },
            Edit::DeleteItem {
                item: node(d, "env[1]"),
            },
        ]
    });
    assert_eq!(out, "env: []\nimage: x\n");
    let out = apply(text, |d| {
        vec![
            Edit::CommentOutItem {
                item: node(d, "env[0]"),
                note: "gone".into(),
            },
            Edit::CommentOutItem {
                item: node(d, "env[1]"),
                note: "gone".into(),
            },
        ]
    });
    assert_eq!(out, "env: []\n# gone\n# - A=1\n# gone\n# - B=2\nimage: x\n");
    let out = apply(text, |d| {
        vec![
            Edit::DeleteItem {
                item: node(d, "env[0]"),
            },
            Edit::CommentOutItem {
                item: node(d, "env[1]"),
                note: "gone".into(),
            },
        ]
    });
    assert_eq!(out, "env: []\n# gone\n# - B=2\nimage: x\n");
    // A sequence item that is itself a sequence.
    let out = apply("- - a\n  - b\n- c\n", |d| {
        vec![Edit::DeleteItem {
            item: node(d, "[0][0]"),
        }]
    });
    assert_eq!(out, "- - b\n- c\n");
    let out = apply("- - a\n- c\n", |d| {
        vec![Edit::DeleteItem {
            item: node(d, "[0][0]"),
        }]
    });
    assert_eq!(out, "- []\n- c\n");
}

#[test]
fn flow_sequences_and_json_delete_but_cannot_comment_out() {
    let text = "a: [x, y, z] # list\n";
    for (i, want) in [
        (0, "a: [y, z] # list\n"),
        (1, "a: [x, z] # list\n"),
        (2, "a: [x, y] # list\n"),
    ] {
        let out = apply(text, |d| {
            vec![Edit::DeleteItem {
                item: node(d, &format!("a[{i}]")),
            }]
        });
        assert_eq!(out, want);
    }
    let out = apply(text, |d| {
        (0..3)
            .map(|i| Edit::DeleteItem {
                item: node(d, &format!("a[{i}]")),
            })
            .collect()
    });
    assert_eq!(out, "a: [] # list\n");
    let e = refuse(text, |d| {
        vec![Edit::CommentOutItem {
            item: node(d, "a[1]"),
            note: "n".into(),
        }]
    });
    assert!(matches!(e, EditError::Unsupported { .. }), "{e}");
    let doc = common::parse(text, Format::Yaml);
    assert!(!doc.can_comment_out_item(node(&doc, "a[1]")));

    let json = "{\n  \"env\": [\n    \"A=1\",\n    \"B=2\"\n  ]\n}\n";
    let out = common::apply(Format::Json, json, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "env[0]"),
        }]
    });
    assert_eq!(out, "{\n  \"env\": [\n    \"B=2\"\n  ]\n}\n");
    let out = common::apply(Format::Json, json, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "env[1]"),
        }]
    });
    assert_eq!(out, "{\n  \"env\": [\n    \"A=1\"\n  ]\n}\n");
    let doc = common::parse(json, Format::Json);
    assert!(!doc.can_comment_out_item(node(&doc, "env[0]")));
    let e = common::refuse(Format::Json, json, |d| {
        vec![Edit::AnnotateItem {
            item: node(d, "env[0]"),
            text: "n".into(),
        }]
    });
    assert!(matches!(e, EditError::Unsupported { .. }), "{e}");
}

#[test]
fn toml_arrays_refuse_item_edits() {
    let text = "a = [1, 2]\n";
    let e = common::refuse(Format::Toml, text, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "a[0]"),
        }]
    });
    assert!(matches!(e, EditError::Unsupported { .. }), "{e}");
    let doc = common::parse(text, Format::Toml);
    assert!(!doc.can_comment_out_item(node(&doc, "a[0]")));
}

#[test]
fn anchors_aliases_and_conflicts() {
    let e = refuse("a:\n- &x one\n- two\nb: *x\n", |d| {
        vec![Edit::DeleteItem {
            item: node(d, "a[0]"),
        }]
    });
    assert!(
        matches!(e, EditError::AnchorInUse { alias_line: 4, .. }),
        "{e}"
    );
    // An item of an aliased sequence goes everywhere the sequence appears.
    let text = "a: &s\n- 1\n- 2\nb: *s\n";
    let doc = common::parse(text, Format::Yaml);
    let edits = vec![Edit::DeleteItem {
        item: node(&doc, "a[0]"),
    }];
    let want = map(&[
        ("a", Value::Sequence(vec![Value::Int(2)])),
        ("b", Value::Sequence(vec![Value::Int(2)])),
    ]);
    assert_eq!(doc.expected_data(&edits), Ok(want.clone()));
    let out = doc.apply(&edits).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.text(), "a: &s\n- 2\nb: *s\n");
    assert_eq!(out.data(), want);
    // An edit inside an item the batch removes.
    let e = refuse(DEPLOYMENT, |d| {
        vec![
            Edit::DeleteItem {
                item: node(d, "spec.containers[0].env[0]"),
            },
            Edit::SetScalar {
                node: node(d, "spec.containers[0].env[0].value"),
                value: s("y"),
            },
        ]
    });
    assert!(matches!(e, EditError::Conflict { .. }), "{e}");
    // Not an item.
    let e = refuse(DEPLOYMENT, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "spec"),
        }]
    });
    assert!(matches!(e, EditError::Invalid { .. }), "{e}");
}

#[test]
fn several_removals_in_one_sequence_and_its_neighbours_are_modelled_by_index() {
    let text = "l:\n- a\n- b\n- c\n- d\n- e\nm:\n- [x, y]\n- z\n";
    let doc = common::parse(text, Format::Yaml);
    let edits = vec![
        Edit::DeleteItem {
            item: node(&doc, "l[1]"),
        },
        Edit::CommentOutItem {
            item: node(&doc, "l[2]"),
            note: "c goes".into(),
        },
        Edit::DeleteItem {
            item: node(&doc, "l[4]"),
        },
        Edit::DeleteItem {
            item: node(&doc, "m[0][0]"),
        },
        Edit::DeleteItem {
            item: node(&doc, "m[1]"),
        },
    ];
    let out = doc.apply(&edits).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.text(), "l:\n- a\n# c goes\n# - c\n- d\nm:\n- [y]\n");
    // The model is not fooled by another item going instead.
    let wrong = common::parse("l:\n- a\n- b\n- d\nm:\n- [y]\n", Format::Yaml);
    assert_ne!(doc.expected_data(&edits), Ok(wrong.data()));
}

#[test]
fn deleting_items_after_a_block_scalar_takes_the_lines_that_would_join_it() {
    let text = "l:\n- |+\n  keep\n\n- b\n\n    # deep\n- c\n";
    let out = apply(text, |d| {
        vec![Edit::DeleteItem {
            item: node(d, "l[1]"),
        }]
    });
    assert_eq!(out, "l:\n- |+\n  keep\n\n- c\n");
}

/// `routes[0].headers` ends with a plain item after a `+` block scalar; deleting that item and
/// the next route leaves the scalar last in route 0, right above the blank line that stood before
/// route 2. That blank line must go with the deleted route, or the scalar would keep it as one
/// more line break of its value. `header` is the block scalar's header (`|+` or `>+`), `own` the
/// scalar's own trailing blank lines, `gap` the blank lines before route 2.
fn nested_keep_scalar(header: &str, own: &str, gap: &str) -> (String, String) {
    let head = format!(
        "routes:\n  - from: https://a.example.com\n    headers:\n      - {header}\n        a\n{own}"
    );
    let text = format!(
        "{head}      - https://b.example.com\n  - from: https://c.example.com\n    to: [x, y]\n\
         {gap}  - from: https://d.example.com\n"
    );
    (text, format!("{head}  - from: https://d.example.com\n"))
}

#[test]
fn a_keep_scalar_left_last_by_a_nested_deletion_does_not_take_the_lines_below() {
    for header in ["|+", ">+"] {
        for own in ["", "\n", "\n\n"] {
            for gap in ["", "\n", "\n\n"] {
                let (text, expected) = nested_keep_scalar(header, own, gap);
                let doc = common::parse(&text, Format::Yaml);
                let edits = vec![
                    Edit::DeleteItem {
                        item: node(&doc, "routes[1]"),
                    },
                    Edit::DeleteItem {
                        item: node(&doc, "routes[0].headers[1]"),
                    },
                ];
                let out = match doc.apply(&edits) {
                    Ok(d) => d.text().to_owned(),
                    Err(e) => panic!("edit failed: {e}\n{text}"),
                };
                assert_eq!(out, expected, "{header} own {own:?} gap {gap:?}");
                // The scalar keeps exactly its own line breaks, and nothing else changed.
                let data = common::parse(&out, Format::Yaml).data();
                let headers = data
                    .get("routes")
                    .and_then(|r| match r {
                        Value::Sequence(routes) => routes.first(),
                        _ => None,
                    })
                    .and_then(|r| r.get("headers"));
                let value = format!("a\n{own}");
                assert_eq!(
                    headers,
                    Some(&Value::Sequence(vec![s(&value)])),
                    "{header} own {own:?} gap {gap:?}"
                );
                assert_eq!(doc.expected_data(&edits), Ok(data));
            }
        }
    }
}

#[test]
fn what_ends_an_item_once_the_batch_is_applied_decides_the_lines_taken_below_it() {
    // A deleted entry leaves `k: |+` last in item 0: the blank line before item 2 goes with
    // item 1.
    let text = "l:\n  - k: |+\n      a\n    gone: 1\n  - x: 2\n\n  - y: 3\n";
    let out = apply(text, |d| {
        vec![
            Edit::DeleteItem {
                item: node(d, "l[1]"),
            },
            Edit::Delete {
                entry: common::entry(d, "l[0].gone"),
            },
        ]
    });
    assert_eq!(out, "l:\n  - k: |+\n      a\n  - y: 3\n");
    // A commented-out last item ends the scalar with its `# ` lines: the blank line stays.
    let text = "l:\n  - h:\n      - |+\n        a\n      - b\n  - x: 2\n\n  - y: 3\n";
    let out = apply(text, |d| {
        vec![
            Edit::DeleteItem {
                item: node(d, "l[1]"),
            },
            Edit::CommentOutItem {
                item: node(d, "l[0].h[1]"),
                note: "removed".into(),
            },
        ]
    });
    assert_eq!(
        out,
        "l:\n  - h:\n      - |+\n        a\n      # removed\n      # - b\n\n  - y: 3\n"
    );
    // The scalar itself deleted: nothing below is taken for it.
    let text = "l:\n  - h:\n      - b\n      - |+\n        a\n  - x: 2\n\n  - y: 3\n";
    let out = apply(text, |d| {
        vec![
            Edit::DeleteItem {
                item: node(d, "l[1]"),
            },
            Edit::DeleteItem {
                item: node(d, "l[0].h[1]"),
            },
        ]
    });
    assert_eq!(out, "l:\n  - h:\n      - b\n\n  - y: 3\n");
}

/// In a file without a final line break, deleting the last item leaves last the line before it,
/// which had a break of its own. After a `|+` block scalar with trailing blank lines that break is
/// part of the value, so it stays; elsewhere it goes, and other block scalars read the same.
#[test]
fn a_keep_scalar_left_last_in_a_file_without_a_final_break_keeps_its_breaks() {
    for (text, want) in [
        ("l:\n- |+\n  a\n\n- b", "l:\n- |+\n  a\n\n"),
        // Without a blank line, the scalar's last line reads the same with or without its break.
        ("l:\n- |+\n  a\n- b", "l:\n- |+\n  a"),
        ("l:\n  - >+\n    a\n\n  - b", "l:\n  - >+\n    a\n\n"),
    ] {
        let out = apply(text, |d| {
            vec![Edit::DeleteItem {
                item: node(d, "l[1]"),
            }]
        });
        assert_eq!(out, want, "from {text:?}");
    }
    for header in ["|", "|-", ">"] {
        let text = format!("l:\n- {header}\n  a\n\n- b");
        let out = apply(&text, |d| {
            vec![Edit::DeleteItem {
                item: node(d, "l[1]"),
            }]
        });
        let before = common::parse(&text, Format::Yaml).data();
        let after = common::parse(&out, Format::Yaml).data();
        let item = |v: &Value| match v {
            Value::Mapping(m) => match m.first() {
                Some((_, Value::Sequence(items))) => items.first().cloned(),
                _ => None,
            },
            _ => None,
        };
        assert_eq!(item(&after), item(&before), "{header}: {out:?}");
    }
}

#[test]
fn a_keep_scalar_left_last_by_an_entry_deletion_keeps_its_breaks() {
    let text = "a: |+\n  x\n\nb: 1";
    let out = apply(text, |d| {
        vec![Edit::Delete {
            entry: common::entry(d, "b"),
        }]
    });
    assert_eq!(out, "a: |+\n  x\n\n");
    let text = "a: |+\n  x\nb: 1";
    let out = apply(text, |d| {
        vec![Edit::Delete {
            entry: common::entry(d, "b"),
        }]
    });
    assert_eq!(out, "a: |+\n  x");
}
