//! Property tests of the `.env` backend on texts generated from a grammar.
//!
//! Each case writes a `.env` file from a model: statements with or without `export`, indented or
//! not, with `=`, ` = ` or `: `, values unquoted, single-quoted (with `\'`), double-quoted (with
//! escapes and values over several lines) or absent (a bare name), trailing comments, comment and
//! blank lines, LF or CRLF line ends, with or without a final line break and a BOM. Then:
//! - the backend reads exactly the model's data;
//! - a random batch of edits (one per statement: rename, new value, comment out, delete,
//!   annotate, or none; and insertions after a statement or at the end) is applied, verified by
//!   the engine, and gives the text the model predicts byte for byte: every line the edits do not
//!   touch is unchanged and in place, and the edited ones are written as documented;
//! - the result reads as the model's data with the edits applied;
//! - any string set as a value reads back as itself, whatever the quoting it had.

use proptest::prelude::*;

use pomerium_migrate::document::{Document, Edit, EditError, Format, NodeId, Position, Value};

// ---- the model ----

#[derive(Clone, Debug)]
enum Val {
    /// Unquoted: the text is the data.
    Plain(String),
    /// Single-quoted: the text between the quotes, and its data.
    Single(String, String),
    /// Double-quoted: pieces of text between the quotes with their data; `None` text is a raw
    /// line break (the file's own).
    Double(Vec<(Option<String>, String)>),
    Bare,
}

#[derive(Clone, Debug)]
struct Stmt {
    indent: &'static str,
    export: bool,
    name: String,
    sep: &'static str,
    value: Val,
    trailer: &'static str,
}

#[derive(Clone, Debug)]
enum Line {
    Blank(&'static str),
    Comment(String),
    Stmt(Stmt),
}

#[derive(Clone, Debug)]
struct File {
    lines: Vec<Line>,
    crlf: bool,
    final_break: bool,
    bom: bool,
}

impl File {
    fn eol(&self) -> &'static str {
        if self.crlf { "\r\n" } else { "\n" }
    }
}

impl Stmt {
    fn raw_value(&self, eol: &str) -> String {
        match &self.value {
            Val::Plain(t) => t.clone(),
            Val::Single(t, _) => format!("'{t}'"),
            Val::Double(pieces) => {
                let inner: String = pieces
                    .iter()
                    .map(|(t, _)| t.clone().unwrap_or_else(|| eol.to_owned()))
                    .collect();
                format!("\"{inner}\"")
            }
            Val::Bare => String::new(),
        }
    }

    fn data(&self, eol: &str) -> Value {
        match &self.value {
            Val::Plain(t) => Value::String(t.clone()),
            Val::Single(_, d) => Value::String(d.clone()),
            Val::Double(pieces) => Value::String(
                pieces
                    .iter()
                    .map(|(t, d)| {
                        if t.is_none() {
                            eol.to_owned()
                        } else {
                            d.clone()
                        }
                    })
                    .collect(),
            ),
            Val::Bare => Value::Null,
        }
    }

    /// The statement's text with `name` and `value` (as written) in place.
    fn text(&self, name: &str, value: &str) -> String {
        let export = if self.export { "export " } else { "" };
        let sep = if matches!(self.value, Val::Bare) {
            ""
        } else {
            self.sep
        };
        format!("{}{export}{name}{sep}{value}{}", self.indent, self.trailer)
    }

    /// A simple value written as this statement writes its own.
    fn wrap(&self, simple: &str) -> String {
        match self.value {
            Val::Plain(_) | Val::Bare => simple.to_owned(),
            Val::Single(..) => format!("'{simple}'"),
            Val::Double(_) => format!("\"{simple}\""),
        }
    }
}

fn write(file: &File) -> String {
    let eol = file.eol();
    let lines: Vec<String> = file
        .lines
        .iter()
        .map(|l| match l {
            Line::Blank(b) => (*b).to_owned(),
            Line::Comment(c) => c.clone(),
            Line::Stmt(s) => s.text(&s.name, &s.raw_value(eol)),
        })
        .collect();
    join(&lines, eol, file.final_break, file.bom)
}

fn join(lines: &[String], eol: &str, final_break: bool, bom: bool) -> String {
    let mut text = String::new();
    if bom {
        text.push('\u{feff}');
    }
    text.push_str(&lines.join(eol));
    if final_break && !lines.is_empty() {
        text.push_str(eol);
    }
    text
}

fn data(file: &File) -> Vec<(String, Value)> {
    file.lines
        .iter()
        .filter_map(|l| match l {
            Line::Stmt(s) => Some((s.name.clone(), s.data(file.eol()))),
            _ => None,
        })
        .collect()
}

// ---- strategies ----

fn plain_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_./:@,=-]{0,12}",
        "[a-z]{1,5}( [a-z][a-z#]{0,4}){0,2}",
        Just("${OTHER}".to_owned()),
        Just("a$$b".to_owned()),
        Just("x#y".to_owned()),
        Just("it's \"q\"".to_owned()),
    ]
}

fn single_value() -> impl Strategy<Value = (String, String)> {
    prop::collection::vec(
        prop_oneof![
            3 => "[A-Za-z0-9 #$\"{}]{1,4}".prop_map(|s| (s.clone(), s)),
            1 => Just(("\\'".to_owned(), "'".to_owned())),
            1 => Just(("\\n".to_owned(), "\\n".to_owned())),
        ],
        0..5,
    )
    .prop_map(|pieces| {
        let text = pieces.iter().map(|(t, _)| t.as_str()).collect();
        let data = pieces.iter().map(|(_, d)| d.as_str()).collect();
        (text, data)
    })
}

fn double_value() -> impl Strategy<Value = Vec<(Option<String>, String)>> {
    let piece = prop_oneof![
        4 => "[A-Za-z0-9 #'{}]{1,4}".prop_map(|s| (Some(s.clone()), s)),
        1 => Just((Some("\\n".to_owned()), "\n".to_owned())),
        1 => Just((None, String::new())),
        1 => Just((Some("\\\\".to_owned()), "\\".to_owned())),
        1 => Just((Some("\\\"".to_owned()), "\"".to_owned())),
        1 => Just((Some("\\$".to_owned()), "$".to_owned())),
        1 => Just((Some("\\t".to_owned()), "\t".to_owned())),
        1 => Just((Some("\\q".to_owned()), "\\q".to_owned())),
        1 => Just((Some("  ".to_owned()), "  ".to_owned())),
    ];
    prop::collection::vec(piece, 0..6)
}

fn stmt() -> impl Strategy<Value = Stmt> {
    let value = prop_oneof![
        4 => plain_value().prop_map(Val::Plain),
        2 => single_value().prop_map(|(t, d)| Val::Single(t, d)),
        2 => double_value().prop_map(Val::Double),
        1 => Just(Val::Bare),
    ];
    (
        prop::sample::select(vec!["", "  ", "\t"]),
        any::<bool>(),
        "[A-Z][A-Z0-9]{0,5}",
        prop::sample::select(vec!["=", "=", " = ", ": "]),
        value,
        prop::sample::select(vec!["", "", " # note", "   #c"]),
    )
        .prop_map(|(indent, export, name, sep, value, trailer)| {
            // A bare name takes no comment on its line; an empty unquoted value would read the
            // comment as its value (compose does).
            let trailer = match &value {
                Val::Bare => "",
                Val::Plain(t) if t.is_empty() => "",
                _ => trailer,
            };
            Stmt {
                indent,
                export,
                name,
                sep,
                value,
                trailer,
            }
        })
}

fn file() -> impl Strategy<Value = File> {
    let line = prop_oneof![
        1 => prop::sample::select(vec!["", "   "]).prop_map(Line::Blank),
        1 => "(  )?#[ a-zA-Z=']{0,12}".prop_map(Line::Comment),
        4 => stmt().prop_map(Line::Stmt),
    ];
    (
        prop::collection::vec(line, 0..10),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mut lines, crlf, final_break, bom)| {
            let mut n = 0;
            for l in &mut lines {
                if let Line::Stmt(s) = l {
                    s.name = format!("{}_{n}", s.name);
                    n += 1;
                }
            }
            // Without a final break, a last empty line would not be written at all.
            while !final_break && matches!(lines.last(), Some(Line::Blank(""))) {
                lines.pop();
            }
            File {
                lines,
                crlf,
                final_break,
                bom,
            }
        })
}

#[derive(Clone, Debug)]
enum Op {
    Keep,
    Rename,
    Set(String),
    CommentOut(String),
    Delete,
    Annotate(String),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Keep),
        1 => Just(Op::Rename),
        1 => "[a-z0-9]{1,6}".prop_map(Op::Set),
        1 => "[a-z ]{0,10}".prop_map(Op::CommentOut),
        1 => Just(Op::Delete),
        1 => "pomerium-migrate action v0\\.20/x: [a-z ]{0,8}".prop_map(Op::Annotate),
    ]
}

// ---- edits and the predicted text ----

fn value_node(doc: &Document, name: &str) -> NodeId {
    match doc.top(name) {
        Some(e) => e.value,
        None => panic!("{name} was not read"),
    }
}

/// The edits for `ops` (one per statement, in order) and `inserts` (anchor statement or the end,
/// and a simple value), and the text they should give.
fn plan(
    file: &File,
    doc: &Document,
    ops: &[Op],
    inserts: &[(Option<usize>, String)],
) -> (Vec<Edit>, String, Vec<(String, Value)>) {
    let eol = file.eol();
    // New lines take the file's line break; a file without one gets LF.
    let new_eol = if write(file).contains('\n') {
        eol
    } else {
        "\n"
    };
    let stmts: Vec<&Stmt> = file
        .lines
        .iter()
        .filter_map(|l| match l {
            Line::Stmt(s) => Some(s),
            _ => None,
        })
        .collect();
    let ops: Vec<Op> = stmts
        .iter()
        .enumerate()
        .map(|(i, s)| match ops.get(i).cloned().unwrap_or(Op::Keep) {
            Op::Set(_) if matches!(s.value, Val::Bare) => Op::Keep,
            op => op,
        })
        .collect();
    let inserts: Vec<(Option<usize>, String)> = inserts
        .iter()
        .map(|(anchor, v)| (anchor.filter(|a| *a < stmts.len()), v.clone()))
        .collect();
    let Some(root) = doc.root() else {
        panic!("a .env document always has a root mapping");
    };
    let mut edits = Vec::new();
    for (s, op) in stmts.iter().zip(&ops) {
        let Some(entry) = doc.top(&s.name).map(|e| e.id) else {
            panic!("{} was not read", s.name);
        };
        match op {
            Op::Keep => {}
            Op::Rename => edits.push(Edit::RenameKey {
                entry,
                new_key: format!("RENAMED_{}", s.name),
            }),
            Op::Set(v) => edits.push(Edit::SetScalar {
                node: value_node(doc, &s.name),
                value: Value::String(v.clone()),
            }),
            Op::CommentOut(note) => edits.push(Edit::CommentOut {
                entry,
                note: note.clone(),
            }),
            Op::Delete => edits.push(Edit::Delete { entry }),
            Op::Annotate(text) => edits.push(Edit::Annotate {
                entry,
                text: text.clone(),
            }),
        }
    }
    for (k, (anchor, v)) in inserts.iter().enumerate() {
        let position = match anchor {
            Some(a) => match doc.top(&stmts[*a].name) {
                Some(e) => Position::After(e.id),
                None => Position::End,
            },
            None => Position::End,
        };
        edits.push(Edit::Insert {
            map: root,
            position,
            key: format!("new_{k}"),
            value: Value::String(v.clone()),
        });
    }

    // The predicted lines and data.
    let mut out: Vec<String> = Vec::new();
    let mut data: Vec<(String, Value)> = Vec::new();
    let new_line = |anchor: Option<&Stmt>, k: usize, v: &str| match anchor {
        Some(a) => {
            let export = if a.export { "export " } else { "" };
            let sep = if matches!(a.value, Val::Bare) {
                "="
            } else {
                a.sep
            };
            format!("{}{export}new_{k}{sep}{}", a.indent, a.wrap(v))
        }
        None => format!("new_{k}={v}"),
    };
    let mut index = 0;
    let last = stmts.len().checked_sub(1);
    for line in &file.lines {
        let s = match line {
            Line::Blank(b) => {
                out.push((*b).to_owned());
                continue;
            }
            Line::Comment(c) => {
                out.push(c.clone());
                continue;
            }
            Line::Stmt(s) => s,
        };
        let raw = s.raw_value(eol);
        let own = s.text(&s.name, &raw);
        match &ops[index] {
            Op::Keep => {
                out.extend(own.split(eol).map(str::to_owned));
                data.push((s.name.clone(), s.data(eol)));
            }
            Op::Rename => {
                let name = format!("RENAMED_{}", s.name);
                out.extend(s.text(&name, &raw).split(eol).map(str::to_owned));
                data.push((name, s.data(eol)));
            }
            Op::Set(v) => {
                out.extend(s.text(&s.name, &s.wrap(v)).split(eol).map(str::to_owned));
                data.push((s.name.clone(), Value::String(v.clone())));
            }
            Op::CommentOut(note) => {
                out.push(format!("{}# {note}", s.indent));
                for (n, l) in own.split(eol).enumerate() {
                    out.push(if n == 0 {
                        format!("{}# {}", s.indent, &l[s.indent.len()..])
                    } else if l.is_empty() {
                        "#".to_owned()
                    } else {
                        format!("# {l}")
                    });
                }
            }
            Op::Delete => {}
            Op::Annotate(text) => {
                out.push(format!("{}# {text}", s.indent));
                out.extend(own.split(eol).map(str::to_owned));
                data.push((s.name.clone(), s.data(eol)));
            }
        }
        for (k, (anchor, v)) in inserts.iter().enumerate() {
            if *anchor == Some(index) {
                out.push(new_line(Some(s), k, v));
                data.push((format!("new_{k}"), Value::String(v.clone())));
            }
        }
        if Some(index) == last {
            for (k, (anchor, v)) in inserts.iter().enumerate() {
                if anchor.is_none() {
                    out.push(new_line(Some(s), k, v));
                    data.push((format!("new_{k}"), Value::String(v.clone())));
                }
            }
        }
        index += 1;
    }
    if stmts.is_empty() {
        for (k, (_, v)) in inserts.iter().enumerate() {
            out.push(new_line(None, k, v));
            data.push((format!("new_{k}"), Value::String(v.clone())));
        }
    }
    // A text that had no line at all gets a line break after its new lines.
    let final_break = file.final_break || file.lines.is_empty();
    (edits, join(&out, new_eol, final_break, file.bom), data)
}

fn mapping(pairs: Vec<(String, Value)>) -> Value {
    Value::Mapping(
        pairs
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn the_backend_reads_the_model_and_edits_as_predicted(
        file in file(),
        ops in prop::collection::vec(op(), 0..10),
        inserts in prop::collection::vec(
            (prop::option::of(0usize..10), "[a-z0-9]{0,6}"),
            0..3,
        ),
    ) {
        let text = write(&file);
        let doc = match Document::parse(text.clone(), Format::Dotenv) {
            Ok(d) => d,
            Err(e) => return Err(TestCaseError::fail(format!("{text:?}: {e}"))),
        };
        prop_assert_eq!(doc.data(), mapping(data(&file)), "{:?}", text);
        prop_assert_eq!(doc.apply(&[]).map(|d| d.text().to_owned()), Ok(text.clone()));
        let (edits, expected, expected_data) = plan(&file, &doc, &ops, &inserts);
        let out = match doc.apply(&edits) {
            Ok(d) => d,
            Err(e) => return Err(TestCaseError::fail(format!("{text:?} {edits:?}: {e}"))),
        };
        prop_assert_eq!(out.text(), expected.as_str(), "from {:?} by {:?}", text, edits);
        // Read again, as a new file.
        let again = match Document::parse(out.text().to_owned(), Format::Dotenv) {
            Ok(d) => d,
            Err(e) => return Err(TestCaseError::fail(format!("{:?}: {e}", out.text()))),
        };
        prop_assert_eq!(again.data(), mapping(expected_data));
    }

    #[test]
    fn any_value_set_reads_back_as_itself(
        file in file(),
        value in any::<String>(),
    ) {
        let text = write(&file);
        let doc = match Document::parse(text.clone(), Format::Dotenv) {
            Ok(d) => d,
            Err(e) => return Err(TestCaseError::fail(format!("{text:?}: {e}"))),
        };
        let writable = !value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{7}' | '\u{8}' | '\u{b}' | '\u{c}'));
        for (name, v) in data(&file) {
            if v == Value::Null {
                continue;
            }
            let node = value_node(&doc, &name);
            let edit = Edit::SetScalar { node, value: Value::String(value.clone()) };
            match doc.apply(&[edit]) {
                Ok(out) => {
                    prop_assert!(writable, "{:?} was written: {:?}", value, out.text());
                    let again = Document::parse(out.text().to_owned(), Format::Dotenv);
                    let read = again.map(|d| d.data().get(&name).cloned());
                    prop_assert_eq!(read, Ok(Some(Value::String(value.clone()))));
                }
                Err(e) => {
                    prop_assert!(!writable, "{:?} refused: {}", value, e);
                    prop_assert!(matches!(e, EditError::Unsupported { .. }), "{}", e);
                }
            }
        }
    }
}
