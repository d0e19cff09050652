//! The model of a YAML document shared by the YAML property tests (`yaml_properties_*.rs`).
//!
//! The generator builds a *model* of a Pomerium-shaped config (top-level keys, a `routes` list of
//! mappings with `from`, `to`, `policy`, headers, user lists …; comments before, after and beside
//! entries; every scalar style; block and flow collections; LF or CRLF; optional BOM, `---` and
//! final newline) and renders it to text, recording the lines of every entry and item. The data
//! the text means is computed from the model, so every expectation built on it is independent of
//! the engine: the engine is only asked to parse, to map a path to a handle, and to apply edits.
//!
//! What an edit batch is expected to do to such a document is in `yaml_edit_model`.

use std::collections::{BTreeSet, HashMap};

use pomerium_migrate::document::Value;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use yaml_rust2::{Yaml, YamlLoader};

// ------------------------------------------------------------------------------------------------
// The data a document means
// ------------------------------------------------------------------------------------------------

/// Loaded data; mappings keep their order (string keys only: the generator writes no others).
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Seq(Vec<Data>),
    Map(Vec<(String, Data)>),
}

pub fn data_of_yaml(y: &Yaml) -> Result<Data, String> {
    Ok(match y {
        Yaml::Null => Data::Null,
        Yaml::Boolean(b) => Data::Bool(*b),
        Yaml::Integer(i) => Data::Int(*i),
        Yaml::String(s) => Data::Str(s.clone()),
        Yaml::Array(items) => Data::Seq(items.iter().map(data_of_yaml).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => Data::Map(
            h.iter()
                .map(|(k, v)| match k {
                    Yaml::String(k) => Ok((k.clone(), data_of_yaml(v)?)),
                    other => Err(format!("a key that is not a string: {other:?}")),
                })
                .collect::<Result<_, _>>()?,
        ),
        other => return Err(format!("a value the generator never writes: {other:?}")),
    })
}

/// The data yaml-rust2's loader reads from `text`. Its loader reads a BOM as content (the engine
/// and Pomerium's reader skip it), so a BOM is taken off first.
pub fn load(text: &str) -> Result<Data, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    match docs.as_slice() {
        [] => Ok(Data::Null),
        [one] => data_of_yaml(one),
        _ => Err(format!("{} documents", docs.len())),
    }
}

pub fn to_value(d: &Data) -> Value {
    match d {
        Data::Null => Value::Null,
        Data::Bool(b) => Value::Bool(*b),
        Data::Int(i) => Value::Int(*i),
        Data::Str(s) => Value::String(s.clone()),
        Data::Seq(items) => Value::Sequence(items.iter().map(to_value).collect()),
        Data::Map(entries) => Value::Mapping(
            entries
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), to_value(v)))
                .collect(),
        ),
    }
}

/// One step of a path through the model and the data.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Idx(usize),
}

impl std::fmt::Debug for Seg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seg::Key(k) => write!(f, ".{k}"),
            Seg::Idx(i) => write!(f, "[{i}]"),
        }
    }
}

pub type DataPath = Vec<Seg>;

pub fn child(path: &[Seg], seg: Seg) -> DataPath {
    let mut p = path.to_vec();
    p.push(seg);
    p
}

pub fn data_at<'a>(d: &'a mut Data, path: &[Seg]) -> Option<&'a mut Data> {
    let mut cur = d;
    for seg in path {
        cur = match (seg, cur) {
            (Seg::Key(k), Data::Map(entries)) => {
                entries.iter_mut().find(|(ek, _)| ek == k).map(|(_, v)| v)?
            }
            (Seg::Idx(i), Data::Seq(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

// ------------------------------------------------------------------------------------------------
// The model of a written document
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Chomp {
    Clip,
    Strip,
    Keep,
}

#[derive(Clone, Debug)]
pub enum Scalar {
    /// Written as `text`; `data` is what YAML reads from it (a string, number, boolean or null).
    Plain {
        text: String,
        data: Data,
    },
    Single(String),
    Double(String),
    /// `|` or `>` with its lines (no leading spaces; folded ones have no empty lines) and, for
    /// `+`, the empty lines kept after them.
    Block {
        folded: bool,
        chomp: Chomp,
        lines: Vec<String>,
        kept_blank: usize,
    },
    /// A null written as nothing (`key:` or `-`).
    Empty,
}

impl Scalar {
    pub fn data(&self) -> Data {
        match self {
            Scalar::Plain { data, .. } => data.clone(),
            Scalar::Single(s) | Scalar::Double(s) => Data::Str(s.clone()),
            Scalar::Block {
                folded,
                chomp,
                lines,
                kept_blank,
            } => {
                let body = lines.join(if *folded { " " } else { "\n" });
                Data::Str(match chomp {
                    Chomp::Strip => body,
                    Chomp::Clip => body + "\n",
                    Chomp::Keep => body + &"\n".repeat(1 + kept_blank),
                })
            }
            Scalar::Empty => Data::Null,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quote {
    Plain,
    Single,
    Double,
}

/// A line between entries or items.
#[derive(Clone, Debug)]
pub enum Extra {
    Blank,
    Comment { text: String, column_zero: bool },
}

#[derive(Clone, Debug)]
pub enum Node {
    Scalar(Scalar),
    Map(Map),
    Seq(Seq),
}

#[derive(Clone, Debug)]
pub struct Map {
    pub entries: Vec<MapEntry>,
    pub flow: bool,
    /// Lines after the last entry (block style only).
    pub after: Vec<Extra>,
}

#[derive(Clone, Debug)]
pub struct MapEntry {
    pub key: String,
    pub key_quote: Quote,
    pub value: Node,
    /// Lines before the entry (block style only).
    pub before: Vec<Extra>,
    /// A comment at the end of the key's line (block style only).
    pub beside: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Seq {
    pub items: Vec<Item>,
    pub flow: bool,
    /// Block sequence under a key written at the key's own column (`key:\n- a`).
    pub indentless: bool,
    /// Mapping items start on the line after a lone `-` instead of on the dash line.
    pub dash_alone: bool,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub value: Node,
    pub before: Vec<Extra>,
    pub beside: Option<String>,
}

impl Node {
    pub fn data(&self) -> Data {
        match self {
            Node::Scalar(s) => s.data(),
            Node::Map(m) => Data::Map(
                m.entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.data()))
                    .collect(),
            ),
            Node::Seq(s) => Data::Seq(s.items.iter().map(|i| i.value.data()).collect()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Doc {
    pub root: Map,
    /// Lines before the first entry.
    pub head: Vec<Extra>,
    pub bom: bool,
    pub marker: bool,
    pub crlf: bool,
    pub final_newline: bool,
    /// Indentation step of nested block collections.
    pub unit: usize,
}

impl Doc {
    pub fn data(&self) -> Data {
        Node::Map(self.root.clone()).data()
    }
}

// ------------------------------------------------------------------------------------------------
// Rendering, with the lines of every entry, item and mapping
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub struct MapLines {
    /// The line of the `key:` or `-` that holds the mapping (`None` for the root).
    pub holder: Option<usize>,
    pub first: usize,
    pub last: usize,
    pub flow: bool,
    /// A block mapping whose first entry is written on its item's dash line (`- key: v`).
    pub compact: bool,
}

#[derive(Default, Debug)]
pub struct Recs {
    /// First and last line of each entry (key line to the value's last line), by value path.
    pub entries: HashMap<DataPath, (usize, usize)>,
    /// First and last line of each sequence item (dash line to the value's last line).
    pub items: HashMap<DataPath, (usize, usize)>,
    pub maps: HashMap<DataPath, MapLines>,
    /// The number of lines of the text.
    pub line_count: usize,
    /// Blank and comment lines between entries and items.
    pub trivia: BTreeSet<usize>,
}

pub struct Out {
    pub lines: Vec<String>,
    pub unit: usize,
    /// The last line written ends a `|+`/`>+` scalar: an empty line now would become its content.
    pub keep_open: bool,
    pub block_content: BTreeSet<usize>,
    pub recs: Recs,
}

impl Out {
    fn push(&mut self, line: String) -> usize {
        self.lines.push(line);
        self.keep_open = false;
        self.lines.len() - 1
    }

    fn push_block_content(&mut self, line: String) {
        let at = self.push(line);
        self.block_content.insert(at);
    }

    fn last(&self) -> usize {
        self.lines.len().saturating_sub(1)
    }

    fn extras(&mut self, extras: &[Extra], indent: usize) {
        for e in extras {
            match e {
                Extra::Blank if self.keep_open => {}
                Extra::Blank => {
                    let at = self.push(String::new());
                    self.recs.trivia.insert(at);
                }
                Extra::Comment { text, column_zero } => {
                    let pad = if *column_zero { 0 } else { indent };
                    let at = self.push(format!("{}# {text}", " ".repeat(pad)));
                    self.recs.trivia.insert(at);
                }
            }
        }
    }
}

pub struct Rendered {
    pub text: String,
    pub recs: Recs,
}

pub fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn key_text(key: &str, quote: Quote) -> String {
    match quote {
        Quote::Plain => key.to_owned(),
        Quote::Single => single_quoted(key),
        Quote::Double => double_quoted(key),
    }
}

/// A one-line scalar's text (never a block scalar or an empty null).
pub fn inline_text(s: &Scalar) -> String {
    match s {
        Scalar::Plain { text, .. } => text.clone(),
        Scalar::Single(v) => single_quoted(v),
        Scalar::Double(v) => double_quoted(v),
        Scalar::Block { .. } | Scalar::Empty => String::new(),
    }
}

pub fn beside_text(beside: &Option<String>) -> String {
    beside
        .as_ref()
        .map(|c| format!(" # {c}"))
        .unwrap_or_default()
}

/// Writes `head` followed by a scalar; block scalar content goes at `content_indent`.
pub fn scalar_lines(out: &mut Out, head: String, s: &Scalar, beside: &str, content_indent: usize) {
    match s {
        Scalar::Empty => {
            out.push(format!("{head}{beside}"));
        }
        Scalar::Block {
            folded,
            chomp,
            lines,
            kept_blank,
        } => {
            let indicator = if *folded { '>' } else { '|' };
            let chomp_char = match chomp {
                Chomp::Clip => "",
                Chomp::Strip => "-",
                Chomp::Keep => "+",
            };
            out.push(format!("{head} {indicator}{chomp_char}{beside}"));
            let pad = " ".repeat(content_indent);
            for line in lines {
                if line.is_empty() {
                    out.push_block_content(String::new());
                } else {
                    out.push_block_content(format!("{pad}{line}"));
                }
            }
            for _ in 0..*kept_blank {
                out.push_block_content(String::new());
            }
            out.keep_open = *chomp == Chomp::Keep;
        }
        other => {
            out.push(format!("{head} {}{beside}", inline_text(other)));
        }
    }
}

/// A flow collection or scalar on line `line`, recording its entries and items.
pub fn flow_text(node: &Node, path: &[Seg], line: usize, recs: &mut Recs) -> String {
    match node {
        Node::Scalar(s) => inline_text(s),
        Node::Map(m) => {
            let parts: Vec<String> = m
                .entries
                .iter()
                .map(|e| {
                    let p = child(path, Seg::Key(e.key.clone()));
                    let value = flow_text(&e.value, &p, line, recs);
                    recs.entries.insert(p, (line, line));
                    format!("{}: {value}", key_text(&e.key, e.key_quote))
                })
                .collect();
            recs.maps.insert(
                path.to_vec(),
                MapLines {
                    holder: Some(line),
                    first: line,
                    last: line,
                    flow: true,
                    compact: false,
                },
            );
            format!("{{{}}}", parts.join(", "))
        }
        Node::Seq(s) => {
            let parts: Vec<String> = s
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = child(path, Seg::Idx(i));
                    let value = flow_text(&item.value, &p, line, recs);
                    recs.items.insert(p, (line, line));
                    value
                })
                .collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

pub fn is_flow(node: &Node) -> bool {
    match node {
        Node::Map(m) => m.flow,
        Node::Seq(s) => s.flow,
        Node::Scalar(_) => false,
    }
}

/// A block mapping at column `indent`; with `dash`, its first entry goes on that dash line.
/// A block mapping at column `indent`; with `dash`, its first entry goes on that dash line.
/// Returns the last line of its last entry (lines after it, comments or blank, are not its
/// content).
pub fn block_map(
    map: &Map,
    path: &[Seg],
    indent: usize,
    dash: Option<&str>,
    holder: Option<usize>,
    out: &mut Out,
) -> usize {
    let mut first = None;
    let mut last = 0;
    for (i, e) in map.entries.iter().enumerate() {
        let on_dash = if i == 0 { dash } else { None };
        // Lines before the first entry of `- key: v` go before the dash, at the dash's column.
        let extra_indent = if on_dash.is_some() {
            indent.saturating_sub(2)
        } else {
            indent
        };
        out.extras(&e.before, extra_indent);
        let lead = on_dash.map_or_else(|| " ".repeat(indent), |d| format!("{d} "));
        let head = format!("{lead}{}:", key_text(&e.key, e.key_quote));
        let beside = beside_text(&e.beside);
        let p = child(path, Seg::Key(e.key.clone()));
        let key_line = out.lines.len();
        let end = match &e.value {
            Node::Scalar(s) => {
                scalar_lines(out, head, s, &beside, indent + out.unit);
                out.last()
            }
            v if is_flow(v) => {
                let text = flow_text(v, &p, key_line, &mut out.recs);
                out.push(format!("{head} {text}{beside}"))
            }
            Node::Map(m) => {
                out.push(format!("{head}{beside}"));
                block_map(m, &p, indent + out.unit, None, Some(key_line), out)
            }
            Node::Seq(s) => {
                out.push(format!("{head}{beside}"));
                let dash_col = if s.indentless {
                    indent
                } else {
                    indent + out.unit
                };
                block_seq(s, &p, dash_col, out)
            }
        };
        out.recs.entries.insert(p, (key_line, end));
        first.get_or_insert(key_line);
        last = end;
    }
    out.extras(&map.after, indent);
    let first = first.unwrap_or(last);
    out.recs.maps.insert(
        path.to_vec(),
        MapLines {
            holder: holder.or(dash.map(|_| first)),
            first,
            last,
            flow: false,
            compact: dash.is_some(),
        },
    );
    last
}

/// A block sequence with its dashes at `dash_col`; returns the last line of its last item.
pub fn block_seq(seq: &Seq, path: &[Seg], dash_col: usize, out: &mut Out) -> usize {
    let mut last = 0;
    for (i, item) in seq.items.iter().enumerate() {
        out.extras(&item.before, dash_col);
        let p = child(path, Seg::Idx(i));
        let dash = format!("{}-", " ".repeat(dash_col));
        let beside = beside_text(&item.beside);
        let mut first = out.lines.len();
        let end = match &item.value {
            Node::Scalar(s) => {
                scalar_lines(out, dash, s, &beside, dash_col + 2);
                out.last()
            }
            v if is_flow(v) => {
                let text = flow_text(v, &p, first, &mut out.recs);
                out.push(format!("{dash} {text}{beside}"))
            }
            Node::Map(m) if seq.dash_alone => {
                out.push(format!("{dash}{beside}"));
                block_map(m, &p, dash_col + 2, None, Some(first), out)
            }
            Node::Map(m) => {
                let end = block_map(m, &p, dash_col + 2, Some(&dash), None, out);
                if let Some(rec) = out.recs.maps.get(&p) {
                    first = rec.first;
                }
                end
            }
            Node::Seq(s) => {
                out.push(format!("{dash}{beside}"));
                block_seq(s, &p, dash_col + 2, out)
            }
        };
        out.recs.items.insert(p, (first, end));
        last = end;
    }
    last
}

pub fn render(doc: &Doc) -> Rendered {
    let mut out = Out {
        lines: Vec::new(),
        unit: doc.unit,
        keep_open: false,
        block_content: BTreeSet::new(),
        recs: Recs::default(),
    };
    if doc.marker {
        out.push("---".into());
    }
    out.extras(&doc.head, 0);
    block_map(&doc.root, &[], 0, None, None, &mut out);
    // Without a final line break the last block scalar would lose its own: end on a comment.
    if !doc.final_newline
        && (out.lines.last().is_some_and(|l| l.is_empty())
            || out.block_content.contains(&out.last()))
    {
        out.push("# end".into());
    }
    out.recs.line_count = out.lines.len();
    let eol = if doc.crlf { "\r\n" } else { "\n" };
    let mut text = String::new();
    if doc.bom {
        text.push('\u{feff}');
    }
    text.push_str(&out.lines.join(eol));
    if doc.final_newline {
        text.push_str(eol);
    }
    Rendered {
        text,
        recs: out.recs,
    }
}

// ------------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------------

pub const WORDS: &[&str] = &[
    "app", "api", "grafana", "admin", "alpha", "beta", "internal", "corp", "dev", "ops", "team",
    "verify", "auth", "billing", "docs", "wiki", "pomerium", "httpbin",
];

pub fn word() -> impl Strategy<Value = String> {
    select(WORDS).prop_map(str::to_owned)
}

/// Strings that read back as themselves when written plain, in block or flow context.
pub fn plain_string() -> BoxedStrategy<String> {
    prop_oneof![
        word().prop_map(|w| format!("https://{w}.example.com")),
        (word(), word()).prop_map(|(a, b)| format!("{a}@{b}.example.com")),
        (word(), 0..1000u32).prop_map(|(w, n)| format!("{w}-{n}")),
        (word(), word()).prop_map(|(a, b)| format!("{a} {b}")),
        word().prop_map(|w| format!("/{w}/")),
        word().prop_map(|w| format!("{w}.internal:8443")),
        word(),
    ]
    .boxed()
}

pub fn single_string() -> impl Strategy<Value = String> {
    "[a-z '\"#:,{}*&!|>\\\\é-]{0,12}"
}

pub fn double_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => select(&['a', 'b', 'z', ' ', '#', ':', ',', '\'', 'é', '🚀'][..]),
            1 => select(&['"', '\\', '\n', '\t', '\u{1}', '{', '*'][..]),
        ],
        0..12,
    )
    .prop_map(String::from_iter)
}

pub fn block_line() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9 #:'\"-]{0,14}".prop_map(|s| s.trim_end().to_owned())
}

pub fn block_scalar() -> BoxedStrategy<Scalar> {
    let chomp = prop_oneof![Just(Chomp::Clip), Just(Chomp::Strip), Just(Chomp::Keep)];
    let literal_lines = prop::collection::vec(
        prop_oneof![4 => block_line(), 1 => Just(String::new())],
        1..4,
    )
    .prop_map(|mut lines| {
        // Empty lines only between content lines.
        while lines.first().is_some_and(String::is_empty) {
            lines.remove(0);
        }
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        if lines.is_empty() {
            lines.push("text".into());
        }
        lines
    });
    let folded_lines = prop::collection::vec(block_line(), 1..4);
    prop_oneof![
        (literal_lines, chomp.clone(), 0..3usize).prop_map(|(lines, chomp, kept)| {
            Scalar::Block {
                folded: false,
                chomp,
                lines,
                kept_blank: if chomp == Chomp::Keep { kept } else { 0 },
            }
        }),
        (folded_lines, chomp, 0..3usize).prop_map(|(lines, chomp, kept)| Scalar::Block {
            folded: true,
            chomp,
            lines,
            kept_blank: if chomp == Chomp::Keep { kept } else { 0 },
        }),
    ]
    .boxed()
}

/// Scalars that can stand inside a flow collection.
pub fn flow_scalar() -> BoxedStrategy<Scalar> {
    prop_oneof![
        4 => plain_string().prop_map(|s| Scalar::Plain { data: Data::Str(s.clone()), text: s }),
        1 => (-1000i64..100_000).prop_map(|i| Scalar::Plain { text: i.to_string(), data: Data::Int(i) }),
        1 => any::<bool>().prop_map(|b| Scalar::Plain { text: b.to_string(), data: Data::Bool(b) }),
        1 => select(&["~", "null"][..]).prop_map(|t| Scalar::Plain { text: t.into(), data: Data::Null }),
        2 => single_string().prop_map(Scalar::Single),
        2 => double_string().prop_map(Scalar::Double),
    ]
    .boxed()
}

pub fn any_scalar() -> BoxedStrategy<Scalar> {
    prop_oneof![
        8 => flow_scalar(),
        2 => block_scalar(),
        1 => Just(Scalar::Empty),
    ]
    .boxed()
}

pub fn url_scalar() -> BoxedStrategy<Scalar> {
    word()
        .prop_flat_map(|w| {
            let url = format!("https://{w}.example.com");
            prop_oneof![
                3 => Just(Scalar::Plain { text: url.clone(), data: Data::Str(url.clone()) }),
                1 => Just(Scalar::Single(url.clone())),
                1 => Just(Scalar::Double(url)),
            ]
        })
        .boxed()
}

pub fn extra() -> impl Strategy<Value = Extra> {
    prop_oneof![
        1 => Just(Extra::Blank),
        2 => ("[A-Za-z0-9 .,:'\"#()-]{0,16}", any::<bool>())
            .prop_map(|(text, column_zero)| Extra::Comment { text, column_zero }),
    ]
}

pub fn extras() -> impl Strategy<Value = Vec<Extra>> {
    prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(extra(), 1..3)]
}

pub fn beside() -> impl Strategy<Value = Option<String>> {
    prop_oneof![2 => Just(None), 1 => "[A-Za-z0-9 .,:'\"#-]{0,12}".prop_map(Some)]
}

pub fn key_quote() -> impl Strategy<Value = Quote> {
    prop_oneof![6 => Just(Quote::Plain), 1 => Just(Quote::Single), 1 => Just(Quote::Double)]
}

pub fn scalar_node(s: BoxedStrategy<Scalar>) -> BoxedStrategy<Node> {
    s.prop_map(Node::Scalar).boxed()
}

pub fn entry(
    key: impl Strategy<Value = String> + 'static,
    value: BoxedStrategy<Node>,
) -> BoxedStrategy<MapEntry> {
    (key, value, extras(), beside(), key_quote())
        .prop_map(|(key, value, before, beside, key_quote)| MapEntry {
            key,
            key_quote,
            value,
            before,
            beside,
        })
        .boxed()
}

pub fn block_map_node(entries: Vec<BoxedStrategy<MapEntry>>) -> BoxedStrategy<Node> {
    (entries, extras())
        .prop_map(|(entries, after)| {
            Node::Map(Map {
                entries,
                flow: false,
                after,
            })
        })
        .boxed()
}

/// A mapping of distinct keys from `keys` to values of `value`, block or flow (or `{}`).
pub fn keyed_map(
    keys: &'static [&'static str],
    value: fn() -> BoxedStrategy<Scalar>,
) -> BoxedStrategy<Node> {
    let block = subsequence(keys, 1..=keys.len().min(4))
        .prop_flat_map(move |names| {
            let entries: Vec<BoxedStrategy<MapEntry>> = names
                .into_iter()
                .map(|k| entry(Just(k.to_owned()), scalar_node(value())))
                .collect();
            block_map_node(entries)
        })
        .boxed();
    let flow = subsequence(keys, 1..=keys.len().min(3))
        .prop_flat_map(|names| {
            let entries: Vec<BoxedStrategy<(String, Scalar, Quote)>> = names
                .into_iter()
                .map(|k| (Just(k.to_owned()), flow_scalar(), key_quote()).boxed())
                .collect();
            entries.prop_map(|entries| {
                Node::Map(Map {
                    entries: entries
                        .into_iter()
                        .map(|(key, s, key_quote)| MapEntry {
                            key,
                            key_quote,
                            value: Node::Scalar(s),
                            before: Vec::new(),
                            beside: None,
                        })
                        .collect(),
                    flow: true,
                    after: Vec::new(),
                })
            })
        })
        .boxed();
    let empty = Just(Node::Map(Map {
        entries: Vec::new(),
        flow: true,
        after: Vec::new(),
    }));
    prop_oneof![4 => block, 3 => flow, 1 => empty].boxed()
}

pub fn item(value: BoxedStrategy<Node>) -> BoxedStrategy<Item> {
    (value, extras(), beside())
        .prop_map(|(value, before, beside)| Item {
            value,
            before,
            beside,
        })
        .boxed()
}

pub fn block_seq_node(items: BoxedStrategy<Vec<Item>>) -> BoxedStrategy<Node> {
    (items, any::<bool>(), prop::bool::weighted(0.3))
        .prop_map(|(items, indentless, dash_alone)| {
            Node::Seq(Seq {
                items,
                flow: false,
                indentless,
                dash_alone,
            })
        })
        .boxed()
}

/// A list of scalars: block, flow, or `[]`.
pub fn scalar_list(value: fn() -> BoxedStrategy<Scalar>) -> BoxedStrategy<Node> {
    let block = block_seq_node(prop::collection::vec(item(scalar_node(value())), 1..4).boxed());
    let flow = prop::collection::vec(flow_scalar(), 1..4)
        .prop_map(|items| {
            Node::Seq(Seq {
                items: items
                    .into_iter()
                    .map(|s| Item {
                        value: Node::Scalar(s),
                        before: Vec::new(),
                        beside: None,
                    })
                    .collect(),
                flow: true,
                indentless: false,
                dash_alone: false,
            })
        })
        .boxed();
    let empty = Just(Node::Seq(Seq {
        items: Vec::new(),
        flow: true,
        indentless: false,
        dash_alone: false,
    }));
    prop_oneof![4 => block, 3 => flow, 1 => empty].boxed()
}

pub const HEADERS: &[&str] = &[
    "X-Pomerium-Claim-Email",
    "X-Custom",
    "Authorization",
    "X-Request-Id",
    "Host",
    "X-Team",
];

/// `email: {is: a@b}` and friends.
pub fn criterion() -> BoxedStrategy<Node> {
    (
        select(&["email", "domain", "user", "groups", "claim/groups"][..]),
        keyed_map(&["is", "has", "starts_with"], flow_scalar),
    )
        .prop_flat_map(|(name, body)| {
            block_map_node(vec![entry(Just(name.to_owned()), Just(body).boxed())])
        })
        .boxed()
}

/// `policy: [- allow: {or: [- email: {is: …}]}]` in block style.
pub fn policy() -> BoxedStrategy<Node> {
    let criteria = block_seq_node(prop::collection::vec(item(criterion()), 1..3).boxed());
    let rule = block_map_node(vec![entry(
        select(&["and", "or", "not"][..]).prop_map(str::to_owned),
        criteria,
    )]);
    let action = block_map_node(vec![entry(
        select(&["allow", "deny"][..]).prop_map(str::to_owned),
        rule,
    )]);
    block_seq_node(prop::collection::vec(item(action), 1..3).boxed())
}

pub const ROUTE_OPTIONS: &[&str] = &[
    "prefix",
    "policy",
    "set_request_headers",
    "allowed_users",
    "preserve_host_header",
    "timeout",
    "set_response_headers",
    "allowed_domains",
    "pass_identity_headers",
    "description",
    "tls_skip_verify",
    "remove_request_headers",
];

pub fn route_value(key: &str) -> BoxedStrategy<Node> {
    match key {
        "to" => prop_oneof![
            2 => scalar_node(url_scalar()),
            1 => scalar_list(url_scalar),
        ]
        .boxed(),
        "from" => scalar_node(url_scalar()),
        "policy" => policy(),
        "set_request_headers" | "set_response_headers" => keyed_map(HEADERS, any_scalar),
        "allowed_users" | "allowed_domains" | "remove_request_headers" => scalar_list(any_scalar),
        _ => scalar_node(any_scalar()),
    }
}

pub fn route() -> BoxedStrategy<Node> {
    subsequence(ROUTE_OPTIONS, 0..=5)
        .prop_flat_map(|options| {
            let entries: Vec<BoxedStrategy<MapEntry>> = ["from", "to"]
                .into_iter()
                .chain(options)
                .map(|k| entry(Just(k.to_owned()), route_value(k)))
                .collect();
            block_map_node(entries)
        })
        .boxed()
}

pub const TOP_BEFORE: &[&str] = &[
    "authenticate_service_url",
    "shared_secret",
    "cookie_secret",
    "idp_provider",
    "idp_client_id",
    "idp_client_secret",
    "address",
    "log_level",
];
pub const TOP_AFTER: &[&str] = &["jwt_claims_headers", "insecure_server", "timeout_read"];

pub fn top_value(key: &str) -> BoxedStrategy<Node> {
    match key {
        "jwt_claims_headers" => keyed_map(HEADERS, flow_scalar),
        "authenticate_service_url" => scalar_node(url_scalar()),
        _ => scalar_node(any_scalar()),
    }
}

pub fn routes() -> BoxedStrategy<MapEntry> {
    let items = prop::collection::vec(item(route()), 1..5).boxed();
    entry(Just("routes".to_owned()), block_seq_node(items))
}

pub fn doc() -> impl Strategy<Value = Doc> {
    let before = subsequence(TOP_BEFORE, 0..=4).prop_flat_map(|keys| {
        keys.into_iter()
            .map(|k| entry(Just(k.to_owned()), top_value(k)))
            .collect::<Vec<_>>()
    });
    let after = subsequence(TOP_AFTER, 0..=2).prop_flat_map(|keys| {
        keys.into_iter()
            .map(|k| entry(Just(k.to_owned()), top_value(k)))
            .collect::<Vec<_>>()
    });
    let layout = (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.8),
        select(&[2usize, 4][..]),
    );
    (before, routes(), after, extras(), extras(), layout).prop_map(
        |(before, routes, after, head, tail, (bom, marker, crlf, final_newline, unit))| {
            let mut entries = before;
            entries.push(routes);
            entries.extend(after);
            Doc {
                root: Map {
                    entries,
                    flow: false,
                    after: tail,
                },
                head,
                bom,
                marker,
                crlf,
                final_newline,
                unit,
            }
        },
    )
}
