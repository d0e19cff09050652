//! Property tests of the JSON backend: generated Pomerium-shaped JSON configs in several layouts
//! (pretty with two or four spaces or tabs, compact, CRLF), random edit batches on the top level
//! and on one route; the output must be JSON (serde_json reads it) with exactly the data the test
//! computes on its own, and a batch with no edit must give the input back byte for byte.

use pomerium_migrate::document::{Document, Edit, Format, Position, Value};
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

fn config(keys: &[(String, Json)], routes: &[Vec<(String, Json)>]) -> Json {
    let mut top = Map::new();
    for (k, v) in keys {
        top.insert(k.clone(), v.clone());
    }
    let routes: Vec<Json> = routes
        .iter()
        .map(|r| Json::Object(r.iter().cloned().collect()))
        .collect();
    top.insert("routes".into(), Json::Array(routes));
    Json::Object(top)
}

fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        "[a-z$ {}:#\"\\\\/-]{0,12}".prop_map(Json::String),
        any::<i32>().prop_map(|i| json!(i)),
        any::<bool>().prop_map(Json::Bool),
        Just(Json::Null),
    ]
}

fn value() -> impl Strategy<Value = Json> {
    prop_oneof![
        3 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Json::Array),
        1 => prop::collection::btree_map("[A-Za-z-]{1,8}", scalar(), 0..3)
            .prop_map(|m| Json::Object(m.into_iter().collect())),
    ]
}

fn entries(prefix: &'static str) -> impl Strategy<Value = Vec<(String, Json)>> {
    prop::collection::btree_map("[a-z_]{1,10}", value(), 1..6).prop_map(move |m| {
        m.into_iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v))
            .collect()
    })
}

/// The layouts JSON configs are written in.
fn render(data: &Json, layout: u8) -> String {
    let text = match layout {
        0 => serde_json::to_string(data).unwrap_or_default(),
        _ => serde_json::to_string_pretty(data).unwrap_or_default(),
    };
    match layout {
        2 => text
            .lines()
            .map(|l| {
                let spaces = l.len() - l.trim_start().len();
                format!("{}{}", " ".repeat(spaces * 2), l.trim_start())
            })
            .collect::<Vec<_>>()
            .join("\n"),
        3 => text
            .lines()
            .map(|l| {
                let spaces = l.len() - l.trim_start().len();
                format!("{}{}", "\t".repeat(spaces / 2), l.trim_start())
            })
            .collect::<Vec<_>>()
            .join("\n"),
        4 => text.replace('\n', "\r\n"),
        _ => text,
    }
}

fn to_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n.as_i64().map_or(Value::Float(n.to_string()), Value::Int),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::Sequence(a.iter().map(to_value).collect()),
        Json::Object(o) => Value::Mapping(
            o.iter()
                .map(|(k, v)| (Value::String(k.clone()), to_value(v)))
                .collect(),
        ),
    }
}

#[derive(Clone, Debug)]
enum Op {
    Rename(usize),
    Set(usize),
    Delete(usize),
    InsertAfter(usize),
    InsertEnd,
    Replace(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..8usize).prop_map(Op::Rename),
        (0..8usize).prop_map(Op::Set),
        (0..8usize).prop_map(Op::Delete),
        (0..8usize).prop_map(Op::InsertAfter),
        Just(Op::InsertEnd),
        (0..8usize).prop_map(Op::Replace),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn json_edits_give_json_with_the_intended_data(
        keys in entries("k"),
        routes in prop::collection::vec(entries("r"), 1..3),
        layout in 0u8..5,
        ops in prop::collection::vec(op(), 1..4),
        on_route in any::<bool>(),
    ) {
        let data = config(&keys, &routes);
        let text = render(&data, layout);
        let doc = Document::parse(text.clone(), Format::Json)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(doc.apply(&[]).map(|d| d.text().to_owned()).ok(), Some(text.clone()));

        // The target mapping: the top level, or the first route.
        let target = if on_route { doc.select_str("routes[0]") } else { doc.select_str("") };
        let map = target[0].node;
        let listed = doc.entries(map);
        let mut expected: Vec<(String, Json)> = if on_route {
            routes[0].clone()
        } else {
            let mut all = keys.clone();
            all.push(("routes".into(), data["routes"].clone()));
            all
        };
        // JSON objects here have sorted keys; keep the document's order in the expectation.
        expected.sort_by_key(|(k, _)| listed.iter().position(|e| e.key == k.as_str()));
        let mut edits = Vec::new();
        let mut touched = std::collections::BTreeSet::new();
        let mut inserted = 0;
        for op in &ops {
            let pick = |i: &usize| {
                let free: Vec<usize> = (0..listed.len())
                    .filter(|n| !touched.contains(n) && listed[*n].key != "routes")
                    .collect();
                (!free.is_empty()).then(|| free[i % free.len()])
            };
            match op {
                Op::Rename(i) => if let Some(n) = pick(i) {
                    touched.insert(n);
                    let new_key = format!("renamed_{n}");
                    edits.push(Edit::RenameKey { entry: listed[n].id, new_key: new_key.clone() });
                    let at = expected.iter().position(|(k, _)| k == listed[n].key);
                    if let Some(at) = at { expected[at].0 = new_key; }
                },
                Op::Set(i) | Op::Replace(i) => if let Some(n) = pick(i) {
                    touched.insert(n);
                    let v = json!({"Authorization": "Bearer ${pomerium.id_token}", "n": n});
                    let v = if matches!(op, Op::Set(_)) { json!("$$v \"q\"") } else { v };
                    let edit = if matches!(op, Op::Set(_)) && doc.scalar(listed[n].value).is_some() {
                        Edit::SetScalar { node: listed[n].value, value: to_value(&v) }
                    } else {
                        Edit::ReplaceValue { node: listed[n].value, value: to_value(&v) }
                    };
                    edits.push(edit);
                    let at = expected.iter().position(|(k, _)| k == listed[n].key);
                    if let Some(at) = at { expected[at].1 = v; }
                },
                Op::Delete(i) => if let Some(n) = pick(i) {
                    touched.insert(n);
                    edits.push(Edit::Delete { entry: listed[n].id });
                    expected.retain(|(k, _)| k != listed[n].key);
                },
                Op::InsertAfter(i) => if let Some(n) = pick(i) {
                    touched.insert(n);
                    inserted += 1;
                    let key = format!("new_{inserted}");
                    let v = json!({"ca": "x", "list": [1, null]});
                    edits.push(Edit::Insert { map, position: Position::After(listed[n].id), key: key.clone(), value: to_value(&v) });
                    let at = expected.iter().position(|(k, _)| k == listed[n].key).map_or(expected.len(), |p| p + 1);
                    expected.insert(at, (key, v));
                },
                Op::InsertEnd => {
                    inserted += 1;
                    let key = format!("end_{inserted}");
                    edits.push(Edit::Insert { map, position: Position::End, key: key.clone(), value: to_value(&json!(inserted)) });
                    expected.push((key, json!(inserted)));
                }
            }
        }
        let out = doc.apply(&edits).map_err(|e| TestCaseError::fail(format!("{e}\n{edits:?}\n{text}")))?;
        let actual: Json = serde_json::from_str(out.text())
            .map_err(|e| TestCaseError::fail(format!("not JSON: {e}\n{}", out.text())))?;
        let target = if on_route { &actual["routes"][0] } else { &actual };
        let got: Vec<(String, Json)> = target
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        prop_assert_eq!(got, expected, "{}\n---\n{}", text, out.text());
    }
}
