//! Property tests of the TOML backend on generated Pomerium-shaped configs.
//!
//! Each case writes a config with `[[routes]]`, comments, blank lines, several key and string
//! styles, headers as sub-tables, inline tables or dotted keys, policies as arrays of tables, LF
//! or CRLF line ends and with or without a final line break; then applies a random batch of edits
//! on distinct, unrelated entries and checks that:
//! - the batch is applied (or refused only for a documented TOML layout limit);
//! - the output, read by toml_edit directly (not by the backend), holds the intended data;
//! - every line outside the edited entries is still there, unchanged and in order;
//! - the line ends are the file's own;
//! - applying no edit gives the input back byte for byte.

use std::collections::BTreeMap;

use proptest::prelude::*;

use pomerium_migrate::document::{
    Document, Edit, EditError, EntryId, Format, NodeId, Position, Value,
};

// ---- generated configs ----

#[derive(Clone, Debug)]
enum Scalar {
    Str(String, bool),
    Int(i64),
    Bool(bool),
}

#[derive(Clone, Debug)]
enum Headers {
    Section,
    Inline,
    Dotted,
}

#[derive(Clone, Debug)]
struct Route {
    from: String,
    to_list: bool,
    extras: Vec<(usize, Scalar)>,
    headers: Option<(Headers, Vec<String>)>,
    policies: usize,
    comment: bool,
}

#[derive(Clone, Debug)]
struct Config {
    top: Vec<(usize, Scalar, bool)>,
    claims: bool,
    routes: Vec<Route>,
    crlf: bool,
    final_break: bool,
    indent: bool,
    tight: bool,
}

const TOP_KEYS: [&str; 6] = [
    "address",
    "authenticate_service_url",
    "shared_secret",
    "idp_provider",
    "\"quoted key\"",
    "insecure_server",
];
const ROUTE_KEYS: [&str; 4] = [
    "pass_identity_headers",
    "timeout",
    "prefix",
    "'literal-key'",
];

fn text_value() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:/._ $'\"\\\\é-]{0,12}"
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        (text_value(), any::<bool>()).prop_map(|(s, l)| Scalar::Str(s, l)),
        (-1000i64..1000).prop_map(Scalar::Int),
        any::<bool>().prop_map(Scalar::Bool),
    ]
}

fn route() -> impl Strategy<Value = Route> {
    (
        "[a-z]{1,8}",
        any::<bool>(),
        prop::collection::btree_map(0..ROUTE_KEYS.len(), scalar(), 0..3),
        prop::option::of((
            prop_oneof![
                Just(Headers::Section),
                Just(Headers::Inline),
                Just(Headers::Dotted)
            ],
            prop::collection::btree_set("[A-Z][a-z]{0,5}", 1..3),
        )),
        0usize..3,
        any::<bool>(),
    )
        .prop_map(
            |(from, to_list, extras, headers, policies, comment)| Route {
                from,
                to_list,
                extras: extras.into_iter().collect(),
                headers: headers.map(|(h, names)| (h, names.into_iter().collect())),
                policies,
                comment,
            },
        )
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop::collection::btree_map(0..TOP_KEYS.len(), (scalar(), any::<bool>()), 0..4),
        any::<bool>(),
        prop::collection::vec(route(), 0..4),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(top, claims, routes, crlf, final_break, indent, tight)| Config {
                top: top.into_iter().map(|(k, (v, c))| (k, v, c)).collect(),
                claims,
                routes,
                crlf,
                final_break,
                indent,
                tight,
            },
        )
}

fn quote(s: &str, literal: bool) -> String {
    if literal && !s.contains('\'') {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_scalar(v: &Scalar) -> String {
    match v {
        Scalar::Str(s, literal) => quote(s, *literal),
        Scalar::Int(i) => i.to_string(),
        Scalar::Bool(b) => b.to_string(),
    }
}

fn write_config(c: &Config) -> String {
    let eq = if c.tight { "=" } else { " = " };
    let pad = if c.indent { "  " } else { "" };
    let mut lines: Vec<String> = vec!["# Pomerium configuration".into(), String::new()];
    for (k, v, comment) in &c.top {
        let trailing = if *comment { " # note" } else { "" };
        lines.push(format!("{}{eq}{}{trailing}", TOP_KEYS[*k], write_scalar(v)));
    }
    if c.claims {
        lines.push(format!("jwt_claims_headers.email{eq}\"email\""));
        lines.push("# group claims".into());
        lines.push(format!("jwt_claims_headers.groups{eq}'groups'"));
    }
    for r in &c.routes {
        lines.push(String::new());
        if r.comment {
            lines.push(format!("# route {}", r.from));
        }
        lines.push("[[routes]]".into());
        lines.push(format!("{pad}from{eq}\"https://{}.example.com\"", r.from));
        if r.to_list {
            lines.push(format!(
                "{pad}to{eq}[\"http://{}:80\", \"http://b:80\"]",
                r.from
            ));
        } else {
            lines.push(format!("{pad}to{eq}'http://{}:80' # upstream", r.from));
        }
        for (k, v) in &r.extras {
            lines.push(format!("{pad}{}{eq}{}", ROUTE_KEYS[*k], write_scalar(v)));
        }
        let mut sections = Vec::new();
        if let Some((style, names)) = &r.headers {
            match style {
                Headers::Inline => {
                    let pairs: Vec<String> =
                        names.iter().map(|n| format!("{n} = \"v-{n}\"")).collect();
                    lines.push(format!(
                        "{pad}set_request_headers{eq}{{ {} }}",
                        pairs.join(", ")
                    ));
                }
                Headers::Dotted => {
                    for n in names {
                        lines.push(format!("{pad}set_request_headers.{n}{eq}\"v-{n}\""));
                    }
                }
                Headers::Section => {
                    sections.push(String::new());
                    sections.push("[routes.set_request_headers]".into());
                    for n in names {
                        sections.push(format!("{pad}{n}{eq}\"v-{n}\""));
                    }
                }
            }
        }
        for p in 0..r.policies {
            sections.push(String::new());
            sections.push("[[routes.policy]]".into());
            sections.push(format!(
                "{pad}allow.or{eq}[{{ email = {{ is = \"u{p}@example.com\" }} }}]"
            ));
        }
        lines.extend(sections);
    }
    let eol = if c.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(eol);
    if c.final_break {
        text.push_str(eol);
    }
    text
}

// ---- random edits ----

#[derive(Clone, Debug)]
struct Seed {
    op: u8,
    target: usize,
    aux: usize,
    value: NewValue,
}

#[derive(Clone, Debug)]
enum NewValue {
    Str(String),
    Int(i64),
    Bool(bool),
    Map(Vec<(String, String)>),
    List(Vec<String>),
}

impl NewValue {
    fn value(&self) -> Value {
        let s = |v: &str| Value::String(v.to_owned());
        match self {
            NewValue::Str(v) => s(v),
            NewValue::Int(i) => Value::Int(*i),
            NewValue::Bool(b) => Value::Bool(*b),
            NewValue::Map(entries) => {
                Value::Mapping(entries.iter().map(|(k, v)| (s(k), s(v))).collect())
            }
            NewValue::List(items) => Value::Sequence(items.iter().map(|v| s(v)).collect()),
        }
    }

    fn as_table(&self) -> Value {
        match self {
            NewValue::Map(_) => self.value(),
            other => Value::Mapping(vec![(Value::String("value".into()), other.value())]),
        }
    }
}

fn new_value() -> impl Strategy<Value = NewValue> {
    let text = "[a-zA-Z0-9 $'\"\\\\\n.:/-]{0,10}";
    prop_oneof![
        text.prop_map(NewValue::Str),
        (-50i64..50).prop_map(NewValue::Int),
        any::<bool>().prop_map(NewValue::Bool),
        prop::collection::btree_map("[A-Za-z][a-z .]{0,5}", text, 0..3)
            .prop_map(|m| NewValue::Map(m.into_iter().collect())),
        prop::collection::vec(text, 0..3).prop_map(NewValue::List),
    ]
}

fn seeds() -> impl Strategy<Value = Vec<Seed>> {
    prop::collection::vec(
        (0u8..6, any::<usize>(), any::<usize>(), new_value()).prop_map(
            |(op, target, aux, value)| Seed {
                op,
                target,
                aux,
                value,
            },
        ),
        1..6,
    )
}

/// Every entry and every mapping of the document, by path.
fn walk(
    doc: &Document,
    node: NodeId,
    path: &str,
    out: &mut Vec<(String, NodeId, Option<EntryId>)>,
) {
    if doc.is_mapping(node) {
        for e in doc.entries(node) {
            let p = if path.is_empty() {
                e.key.to_owned()
            } else {
                format!("{path}.{}", e.key)
            };
            out.push((p.clone(), e.value, Some(e.id)));
            walk(doc, e.value, &p, out);
        }
    } else {
        for (i, item) in doc.items(node).iter().enumerate() {
            let p = format!("{path}[{i}]");
            out.push((p.clone(), *item, None));
            walk(doc, *item, &p, out);
        }
    }
}

/// Whether one path lies inside the other (or they are the same).
fn related(a: &str, b: &str) -> bool {
    let inside = |x: &str, y: &str| {
        x == y || x.starts_with(&format!("{y}.")) || x.starts_with(&format!("{y}["))
    };
    inside(a, b) || inside(b, a)
}

/// A batch of edits on unrelated places, and the entries and nodes each one rewrites.
fn edits(doc: &Document, seeds: &[Seed]) -> (Vec<Edit>, Vec<NodeId>) {
    let Some(root) = doc.root() else {
        return (Vec::new(), Vec::new());
    };
    let mut all = vec![(String::new(), root, None)];
    walk(doc, root, "", &mut all);
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut touched = Vec::new();
    for (n, seed) in seeds.iter().enumerate() {
        let (path, node, entry) = all[seed.target % all.len()].clone();
        let new_key = format!("new_{n}");
        // An insertion claims the new entry's path; everything else the target's.
        let claim = match (seed.op, doc.is_mapping(node)) {
            (0, true) => format!("{path}.{new_key}"),
            _ => path.clone(),
        };
        if taken.iter().any(|t| related(t, &claim)) {
            continue;
        }
        let edit = match (seed.op, entry) {
            (0, _) if doc.is_mapping(node) => {
                let entries = doc.entries(node);
                let position = match seed.aux % (entries.len() + 1) {
                    0 => Position::End,
                    i => Position::After(entries[i - 1].id),
                };
                if doc.str(node).is_none() && !doc.is_mapping(node) {
                    continue;
                }
                if is_inline(doc, node) {
                    touched.push(node);
                }
                Edit::Insert {
                    map: node,
                    position,
                    key: if seed.aux % 3 == 0 {
                        format!("new key {n}")
                    } else {
                        new_key
                    },
                    value: seed.value.value(),
                }
            }
            (1, Some(entry)) => Edit::RenameKey {
                entry,
                new_key: format!("renamed_{n}"),
            },
            (2, Some(entry)) => Edit::Delete { entry },
            (3, Some(entry)) if doc.can_comment_out(entry) => Edit::CommentOut {
                entry,
                note: format!("pomerium-migrate: removed #{n}"),
            },
            (4, _) if doc.scalar(node).is_some() => Edit::SetScalar {
                node,
                value: seed.value.value(),
            },
            (5, Some(_)) if !is_table_array(doc, node) => Edit::ReplaceValue {
                node,
                value: if doc.is_mapping(node) && !is_inline(doc, node) {
                    seed.value.as_table()
                } else {
                    seed.value.value()
                },
            },
            _ => continue,
        };
        if !matches!(edit, Edit::Insert { .. }) {
            touched.push(node);
            if let Some(entry) = entry {
                touched.push(doc.entry(entry).map_or(node, |e| e.key_node));
            }
        }
        taken.push(claim);
        out.push(edit);
    }
    (out, touched)
}

fn is_inline(doc: &Document, node: NodeId) -> bool {
    doc.text()[doc.span(node)].starts_with('{')
}

fn is_table_array(doc: &Document, node: NodeId) -> bool {
    doc.is_sequence(node) && doc.text()[doc.span(node)].starts_with("[[")
}

// ---- checks ----

/// Line numbers (0-based) a node and everything inside it is written on.
fn extent(doc: &Document, node: NodeId, lines: &mut Vec<usize>) {
    let text = doc.text();
    let span = doc.span(node);
    let first = text[..span.start].matches('\n').count();
    let last = text[..span.end].matches('\n').count();
    lines.extend(first..=last);
    lines.push(doc.location(node).line - 1);
    let mut children: Vec<NodeId> = doc.items(node).to_vec();
    if doc.is_mapping(node) {
        for e in doc.entries(node) {
            lines.push(doc.location(e.key_node).line - 1);
            children.push(e.value);
        }
    }
    for c in children {
        extent(doc, c, lines);
    }
}

/// The data as toml_edit reads it, with tables as sorted maps (TOML tables are unordered).
#[derive(Debug, PartialEq)]
enum Plain {
    Scalar(String),
    List(Vec<Plain>),
    Table(BTreeMap<String, Plain>),
}

fn plain_value(v: &Value) -> Plain {
    match v {
        Value::Sequence(items) => Plain::List(items.iter().map(plain_value).collect()),
        Value::Mapping(entries) => Plain::Table(
            entries
                .iter()
                .map(|(k, v)| (k.scalar_text().unwrap_or_default(), plain_value(v)))
                .collect(),
        ),
        Value::String(s) => Plain::Scalar(format!("s:{s}")),
        Value::Int(i) => Plain::Scalar(format!("i:{i}")),
        Value::Bool(b) => Plain::Scalar(format!("b:{b}")),
        Value::Float(f) => Plain::Scalar(format!("f:{f}")),
        Value::Null | Value::Invalid => Plain::Scalar("?".into()),
    }
}

fn plain_toml(v: &toml_edit::Value) -> Plain {
    match v {
        toml_edit::Value::String(s) => Plain::Scalar(format!("s:{}", s.value())),
        toml_edit::Value::Integer(i) => Plain::Scalar(format!("i:{}", i.value())),
        toml_edit::Value::Boolean(b) => Plain::Scalar(format!("b:{}", b.value())),
        toml_edit::Value::Float(f) => Plain::Scalar(format!("f:{}", f.value())),
        toml_edit::Value::Datetime(d) => Plain::Scalar(format!("s:{}", d.value())),
        toml_edit::Value::Array(a) => Plain::List(a.iter().map(plain_toml).collect()),
        toml_edit::Value::InlineTable(t) => Plain::Table(
            t.iter()
                .map(|(k, v)| (k.to_owned(), plain_toml(v)))
                .collect(),
        ),
    }
}

fn plain_item(item: &toml_edit::Item) -> Plain {
    match item {
        toml_edit::Item::Value(v) => plain_toml(v),
        toml_edit::Item::Table(t) => plain_table(t),
        toml_edit::Item::ArrayOfTables(a) => Plain::List(a.iter().map(plain_table).collect()),
        toml_edit::Item::None => Plain::Scalar("?".into()),
    }
}

fn plain_table(t: &toml_edit::Table) -> Plain {
    Plain::Table(
        t.iter()
            .map(|(k, v)| (k.to_owned(), plain_item(v)))
            .collect(),
    )
}

/// Lines as the file has them, a last line without a line break included (even an empty one,
/// which `str::lines` would drop).
fn split_lines(text: &str) -> Vec<&str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// Whether `small` appears in `big` in order.
fn subsequence(small: &[&str], big: &[&str]) -> Result<(), String> {
    let mut it = big.iter();
    for line in small {
        if !it.any(|b| b == line) {
            return Err(format!("line {line:?} is missing or out of order"));
        }
    }
    Ok(())
}

const LAYOUT_LIMITS: [&str; 2] = [
    "a value that is not a table cannot go between two [tables]",
    "an order of entries TOML cannot write (a [table] after a key = value line)",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn edits_keep_everything_else(config in config(), seeds in seeds()) {
        let text = write_config(&config);
        let doc = Document::parse(text.clone(), Format::Toml)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(doc.apply(&[]).map(|d| d.text().to_owned()).ok(), Some(text.clone()));

        let (edits, touched) = edits(&doc, &seeds);
        let expected = doc.expected_data(&edits)
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let out = match doc.apply(&edits) {
            Ok(out) => out.text().to_owned(),
            Err(EditError::Unsupported { what, .. }) if LAYOUT_LIMITS.contains(&what) => {
                return Ok(());
            }
            Err(e) => {
                return Err(TestCaseError::fail(format!("{e}\n{text}\n{edits:?}")));
            }
        };

        // The intended data, read back by toml_edit itself.
        let reread: toml_edit::DocumentMut = out.parse()
            .map_err(|e| TestCaseError::fail(format!("{e}\n{out}")))?;
        prop_assert_eq!(plain_table(reread.as_table()), plain_value(&expected), "{}", out);

        // Untouched lines survive in order; a deleted [section] may take the blank line before.
        let mut edited = Vec::new();
        for node in touched {
            extent(&doc, node, &mut edited);
        }
        let lines = split_lines(&text);
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                let blank_before_edit = l.trim().is_empty() && edited.contains(&(i + 1));
                !edited.contains(i) && !blank_before_edit
            })
            .map(|(_, l)| *l)
            .collect();
        let out_lines = split_lines(&out);
        subsequence(&kept, &out_lines).map_err(|e| TestCaseError::fail(format!("{e}\n{text}\n----\n{out}")))?;

        // Line ends stay the file's own.
        if config.crlf {
            prop_assert_eq!(out.matches('\n').count(), out.matches("\r\n").count(), "{}", out);
        } else {
            prop_assert!(!out.contains('\r'), "{}", out);
        }
        // A final line break stays; a missing one stays missing, unless the file now ends with
        // a blank line of the input (written as a bare line break).
        if text.ends_with('\n') {
            prop_assert!(out.ends_with('\n'), "{}", out);
        } else if out.ends_with('\n') {
            let trimmed = out.trim_end_matches(['\r', '\n']);
            prop_assert!(
                out.len() - trimmed.len() < (if config.crlf { 4 } else { 2 })
                    && text.contains(&format!("{trimmed}{}", if config.crlf { "\r\n\r\n" } else { "\n\n" })),
                "{}",
                out
            );
        }
    }
}
