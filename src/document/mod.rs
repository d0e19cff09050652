//! The format-neutral document API that migration steps use.
//!
//! A [`Document`] is an immutable view of one config file: a tree of mappings, sequences and
//! scalars ([`Tree`]) that steps read, plus a backend that knows the text. Steps describe changes
//! as [`Edit`]s on node and entry handles; [`Document::apply`] turns a batch of edits into new text
//! in one pass, checks the result (see "Data flow" in `docs/ARCHITECTURE.md`) and returns the
//! next document. Nothing here exposes
//! text offsets or format details to a step.
//!
//! Merge keys (`<<: *defaults`) are resolved when reading, the way Pomerium's YAML library does:
//! [`Document::entries`] yields a mapping's own entries and then the merged ones it does not
//! override. An edit always targets the place where an entry is written.

pub(crate) mod chunked;
pub(crate) mod lines;
pub mod path;
pub(crate) mod splice;
pub mod value;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use smol_str::SmolStr;
use thiserror::Error;

pub use path::{Path, PathError, PathSeg};
pub use value::{DataSeg, Value};

use crate::dotenv;
use crate::toml;
use crate::yaml;

/// The file formats Pomerium reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Yaml,
    Json,
    Toml,
    /// A `.env` file: `NAME=value` lines, read as docker compose reads an `env_file:`.
    Dotenv,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Toml => "toml",
            Format::Dotenv => "dotenv",
        })
    }
}

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Handle of a node in a [`Tree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// Handle of an entry where it is written: the mapping and the entry's position in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId {
    pub map: NodeId,
    pub index: usize,
}

/// The content of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar and its typed value (never a collection).
    Scalar(Value),
    Sequence(Vec<NodeId>),
    Mapping(Vec<Entry>),
    /// A reference to an anchored node (`*name`).
    Alias(NodeId),
}

/// A mapping entry as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key's text; empty for a key that is not a scalar. Keys of up to 23 bytes (nearly all)
    /// are kept inline: a large file has hundreds of thousands of entries, and a run holds two
    /// or three trees at once.
    pub key: SmolStr,
    pub key_node: NodeId,
    pub value: NodeId,
}

/// A node of a [`Tree`]. A large file has hundreds of thousands of them, so the line and column
/// of its [`Location`] and its place in its parent are kept in 32 bits (56 bytes in all, not 72):
/// texts are limited far below 4 GiB (`runner::input::MAX_INPUT_BYTES`).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Where the node's content starts (see [`Node::location`]).
    line: u32,
    column: u32,
    /// Where the node is written in its parent, to compute its data paths.
    pub(crate) parent: Option<(NodeId, Slot)>,
}

impl Node {
    pub(crate) fn new(kind: NodeKind, location: Location, parent: Option<(NodeId, Slot)>) -> Node {
        Node {
            kind,
            line: location.line as u32,
            column: location.column as u32,
            parent,
        }
    }

    /// Where the node's content starts.
    pub fn location(&self) -> Location {
        Location {
            line: self.line as usize,
            column: self.column as usize,
        }
    }
}

/// A node's place in its parent: the entry's or item's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Key(u32),
    Value(u32),
    Item(u32),
}

/// The neutral view of a document that backends build.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tree {
    /// By id, in document order; in chunks so that a graft frees the old table as it reads it.
    pub(crate) nodes: chunked::Chunked<Node>,
    pub(crate) root: Option<NodeId>,
    /// The alias nodes that refer to each anchored node that has any (few documents have
    /// aliases: a table beside the nodes keeps every node smaller).
    pub(crate) aliases: BTreeMap<NodeId, Vec<NodeId>>,
}

impl Tree {
    pub(crate) fn push(&mut self, kind: NodeKind, location: Location) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node::new(kind, location, None));
        id
    }

    /// The alias nodes that refer to `id`.
    pub(crate) fn aliases_of(&self, id: NodeId) -> &[NodeId] {
        self.aliases.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Records that `alias` refers to `target`.
    pub(crate) fn add_alias(&mut self, target: NodeId, alias: NodeId) {
        self.aliases.entry(target).or_default().push(alias);
    }

    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub(crate) fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.index()]
    }

    /// Sets parent links and alias back-references once the tree is complete, for backends that
    /// do not set them while building (TOML; the YAML builder sets them as it goes).
    pub(crate) fn link(&mut self) {
        for i in 0..self.nodes.len() {
            let id = NodeId(i as u32);
            let children: Vec<(NodeId, Slot)> = match &self.nodes[i].kind {
                NodeKind::Sequence(items) => items
                    .iter()
                    .enumerate()
                    .map(|(n, c)| (*c, Slot::Item(n as u32)))
                    .collect(),
                NodeKind::Mapping(entries) => entries
                    .iter()
                    .enumerate()
                    .flat_map(|(n, e)| {
                        [
                            (e.key_node, Slot::Key(n as u32)),
                            (e.value, Slot::Value(n as u32)),
                        ]
                    })
                    .collect(),
                NodeKind::Alias(target) => {
                    let target = *target;
                    self.add_alias(target, id);
                    Vec::new()
                }
                NodeKind::Scalar(_) => Vec::new(),
            };
            for (child, slot) in children {
                self.nodes[child.index()].parent = Some((id, slot));
            }
        }
    }

    /// The data value of a node, aliases expanded (no merge resolution: that is the format
    /// parser's view, which verification compares against).
    pub(crate) fn data(&self, id: NodeId) -> Value {
        match &self.node(id).kind {
            NodeKind::Scalar(v) => v.clone(),
            NodeKind::Sequence(items) => {
                Value::Sequence(items.iter().map(|c| self.data(*c)).collect())
            }
            NodeKind::Mapping(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|e| (self.data(e.key_node), self.data(e.value)))
                    .collect(),
            ),
            NodeKind::Alias(target) => self.data(*target),
        }
    }

    /// Whether [`Tree::data`] of `id` equals `expected`, compared node by node without building
    /// the data (verification of a large file would otherwise hold a second copy of it).
    pub(crate) fn data_equals(&self, id: NodeId, expected: &Value) -> bool {
        match (&self.node(id).kind, expected) {
            (NodeKind::Alias(target), _) => self.data_equals(*target, expected),
            (NodeKind::Scalar(v), _) => v == expected,
            (NodeKind::Sequence(items), Value::Sequence(values)) => {
                items.len() == values.len()
                    && items
                        .iter()
                        .zip(values)
                        .all(|(item, value)| self.data_equals(*item, value))
            }
            (NodeKind::Mapping(entries), Value::Mapping(values)) => {
                entries.len() == values.len()
                    && entries.iter().zip(values).all(|(e, (key, value))| {
                        self.data_equals(e.key_node, key) && self.data_equals(e.value, value)
                    })
            }
            _ => false,
        }
    }

    /// Every path at which `id` appears in the expanded data (an anchored node appears once more
    /// for each alias of it or of an ancestor).
    pub(crate) fn data_paths(
        &self,
        id: NodeId,
        limit: usize,
    ) -> Result<Vec<Vec<DataSeg>>, PathsError> {
        let mut out = Vec::new();
        self.collect_paths(id, &mut Vec::new(), &mut out, limit)?;
        Ok(out)
    }

    fn collect_paths(
        &self,
        id: NodeId,
        suffix: &mut Vec<DataSeg>,
        out: &mut Vec<Vec<DataSeg>>,
        limit: usize,
    ) -> Result<(), PathsError> {
        let node = self.node(id);
        match node.parent {
            None => {
                if self.root == Some(id) {
                    out.push(suffix.iter().rev().cloned().collect());
                    if out.len() > limit {
                        return Err(PathsError::TooMany);
                    }
                }
            }
            Some((parent, slot)) => {
                let seg = match slot {
                    Slot::Item(n) => DataSeg::Index(n as usize),
                    Slot::Value(n) => match &self.node(parent).kind {
                        NodeKind::Mapping(entries) => {
                            DataSeg::Key(self.data(entries[n as usize].key_node))
                        }
                        _ => return Ok(()),
                    },
                    // Inside a key: the edit would change a key somewhere, which a path to a
                    // value cannot express.
                    Slot::Key(_) => return Err(PathsError::InKey(id)),
                };
                suffix.push(seg);
                self.collect_paths(parent, suffix, out, limit)?;
                suffix.pop();
            }
        }
        for alias in self.aliases_of(id) {
            self.collect_paths(*alias, suffix, out, limit)?;
        }
        Ok(())
    }

    /// Whether `id` or an ancestor is aliased elsewhere (an edit there changes several places).
    pub(crate) fn shared_by(&self, id: NodeId) -> Vec<NodeId> {
        let mut cur = Some(id);
        let mut users = Vec::new();
        while let Some(n) = cur {
            users.extend(self.aliases_of(n).iter().copied());
            cur = self.node(n).parent.map(|(p, _)| p);
        }
        users
    }

    /// Anchored nodes inside `id` (itself included) that an alias outside it refers to.
    pub(crate) fn anchors_used_outside(&self, id: NodeId) -> Vec<NodeId> {
        let mut inside = Vec::new();
        self.descendants(id, &mut inside);
        inside.sort();
        let mut used = Vec::new();
        for n in &inside {
            if self
                .aliases_of(*n)
                .iter()
                .any(|a| inside.binary_search(a).is_err())
            {
                used.push(*n);
            }
        }
        used
    }

    pub(crate) fn descendants(&self, id: NodeId, out: &mut Vec<NodeId>) {
        out.push(id);
        match &self.node(id).kind {
            NodeKind::Sequence(items) => items.iter().for_each(|c| self.descendants(*c, out)),
            NodeKind::Mapping(entries) => entries.iter().for_each(|e| {
                self.descendants(e.key_node, out);
                self.descendants(e.value, out);
            }),
            _ => {}
        }
    }
}

/// Why the data paths of a node could not be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathsError {
    TooMany,
    /// The node (or the alias that repeats it) is inside a mapping key.
    InKey(NodeId),
}

/// An entry as seen when reading, merges resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryRef<'a> {
    /// Where the entry is written (the target of edits).
    pub id: EntryId,
    pub key: &'a str,
    pub key_node: NodeId,
    pub value: NodeId,
    /// The mapping this entry was read through, when it came in by a merge key.
    pub merged_into: Option<NodeId>,
}

/// A value a step writes.
pub type NewValue = Value;

/// Where [`Edit::Insert`] puts the new entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    /// Right after this entry of the same mapping.
    After(EntryId),
    /// After the last entry.
    End,
}

/// A change to a document, in terms of nodes and entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Edit {
    /// Renames an entry's key; the key keeps its quoting where the new name allows.
    RenameKey { entry: EntryId, new_key: String },
    /// Replaces a scalar node's value; its quote style is kept where the value allows.
    SetScalar { node: NodeId, value: Value },
    /// Adds `key: value` to a mapping.
    Insert {
        map: NodeId,
        position: Position,
        key: String,
        value: NewValue,
    },
    /// Turns an entry into comment lines under a one-line note ("Editing guarantees" in
    /// `docs/ARCHITECTURE.md`).
    CommentOut { entry: EntryId, note: String },
    /// Removes an entry.
    Delete { entry: EntryId },
    /// Replaces an entry's value (scalar or collection) by a new value.
    ReplaceValue { node: NodeId, value: NewValue },
    /// Puts a comment line `# text` above the line that holds an entry, indented like that
    /// line; the data does not change. Possible wherever [`Edit::CommentOut`] is
    /// ([`Document::can_comment_out`]). Used for the tool's action markers.
    Annotate { entry: EntryId, text: String },
    /// Removes an item of a sequence (`- KEY=value`, or a `- name: X` mapping item, with all its
    /// lines). A sequence emptied this way is written `[]`, so that it stays a sequence. In a
    /// flow sequence (and JSON) the item and its comma go. TOML arrays: refused
    /// ([`EditError::Unsupported`]).
    DeleteItem { item: NodeId },
    /// Turns an item of a block sequence into comment lines under a one-line note, as
    /// [`Edit::CommentOut`] does for an entry. Possible where [`Document::can_comment_out_item`]
    /// says so (not in a flow sequence, JSON or TOML); elsewhere use [`Edit::DeleteItem`].
    CommentOutItem { item: NodeId, note: String },
    /// Puts a comment line `# text` above the line that holds an item of a block sequence (its
    /// `-`), indented like that line, as [`Edit::Annotate`] does for an entry. Possible wherever
    /// [`Edit::CommentOutItem`] is.
    AnnotateItem { item: NodeId, text: String },
    /// Replaces a block mapping or block sequence by `yaml`, YAML text written at indent 0 and
    /// re-indented to the node's place; comments inside it are kept. For the value of an entry,
    /// the replaced text is every line after the key's line (comments above its first entry
    /// included), so `yaml` is the whole block as a person reads it. The expected data is the
    /// data of `yaml`. Refused when `yaml` does not parse as one document
    /// ([`EditError::Invalid`]), holds document markers or directives, or defines anchors while
    /// an alias follows the node in the file (it could then name them); and when the node is
    /// not a block collection, or holds an anchor used outside it. YAML only.
    ReplaceBlock { node: NodeId, yaml: String },
}

/// Why a document could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    #[error("{location}: {message}")]
    Syntax { location: Location, message: String },
    #[error(
        "{location}: the file holds {count} documents; Pomerium reads only the first, so split \
         the file or remove the extra `---`"
    )]
    MultipleDocuments { location: Location, count: usize },
    /// Aliases that expand to far more data than is written (an "alias bomb" or a long chain of
    /// merges), refused the way Go's yaml.v3 refuses it.
    #[error(
        "{location}: the document contains excessive aliasing: its aliases expand to {expanded} \
         nodes from {written} written ones (Go's yaml.v3 refuses such a document too); write \
         the repeated parts out, or use fewer levels of aliases"
    )]
    ExcessiveAliasing {
        location: Location,
        expanded: u64,
        written: u64,
    },
    /// Collections nested deeper than any config needs; refused before anything recurses.
    #[error(
        "{location}: collections are nested more than {limit} levels deep; pomerium-migrate \
         does not read configs nested this deep"
    )]
    TooDeep { location: Location, limit: usize },
    /// A text longer than the index handles (an edit would have to grow a file far beyond the
    /// size inputs are limited to).
    #[error("{location}: the text is longer than {limit} bytes, more than pomerium-migrate reads")]
    TooLarge { location: Location, limit: usize },
}

impl ParseError {
    pub fn location(&self) -> Location {
        match self {
            ParseError::Syntax { location, .. }
            | ParseError::MultipleDocuments { location, .. }
            | ParseError::ExcessiveAliasing { location, .. }
            | ParseError::TooDeep { location, .. }
            | ParseError::TooLarge { location, .. } => *location,
        }
    }
}

/// Why a batch of edits was refused. Every variant is a documented refusal reason (README).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EditError {
    /// Two edits touch the same text (e.g. a rename inside an entry that is also deleted).
    #[error("{location}: two edits overlap here; run the steps one at a time")]
    Conflict { location: Location },
    /// The entry's key is not a plain scalar (`? [a, b] : c`), or it sits in a flow pair.
    #[error("{location}: this entry's layout cannot be edited safely ({what})")]
    Unsupported {
        location: Location,
        what: &'static str,
    },
    /// Removing the node would leave aliases pointing at nothing.
    #[error(
        "{location}: the anchor here is used by an alias at line {alias_line}; removing it would \
         break that alias"
    )]
    AnchorInUse {
        location: Location,
        alias_line: usize,
    },
    /// An edit names a node that is not a mapping, scalar, entry etc. as the edit needs.
    #[error("{location}: {what}")]
    Invalid {
        location: Location,
        what: &'static str,
    },
    /// The new key already exists in the mapping.
    #[error("{location}: the mapping already has a key `{key}`")]
    DuplicateKey { location: Location, key: String },
    /// The edited text did not parse back to the intended data (a bug; nothing is written).
    #[error("verification failed: {detail}")]
    Verification { detail: String },
    /// Too many aliases to compute the intended data.
    #[error("{location}: too many aliases lead to this node to verify an edit of it")]
    TooManyAliases { location: Location },
    /// The node is repeated as a mapping key by an alias; the edit would rename that key too.
    #[error(
        "{location}: an alias at line {alias_line} repeats this node as a mapping key; edit both \
         places by hand"
    )]
    AliasedKey {
        location: Location,
        alias_line: usize,
    },
}

/// What a backend provides (one per format).
pub(crate) trait Backend: fmt::Debug + Send + Sync {
    fn tree(&self) -> &Tree;
    /// The data of the document as the format's own parser reads it.
    fn data(&self) -> Value;
    /// Whether [`Backend::data`] equals `expected`; backends override it to compare without
    /// building the data.
    fn data_equals(&self, expected: &Value) -> bool {
        self.data() == *expected
    }
    /// Whether an entry can be turned into comment lines.
    fn can_comment_out(&self, entry: EntryId) -> bool;
    /// Whether a sequence item can be turned into comment lines.
    fn can_comment_out_item(&self, _item: NodeId) -> bool {
        false
    }
    /// New text with the edits applied; no verification.
    fn render(&self, edits: &[Edit]) -> Result<String, EditError>;
    /// Parses a text of this format into a new backend.
    fn reparse(&self, text: Arc<str>) -> Result<Box<dyn Backend>, ParseError>;
    /// [`Backend::render`], and where the text changed when this backend can build the next
    /// index from its own ([`Backend::graft`]); `None` where it cannot.
    fn render_spliced(&self, edits: &[Edit]) -> Result<(String, Option<Vec<Changed>>), EditError> {
        Ok((self.render(edits)?, None))
    }
    /// The backend of `text`, which `splices` ([`Backend::render_spliced`]) made of this
    /// backend's text, built from this one's index without parsing the whole text (YAML grafts
    /// the parts the edits touched, see `yaml::graft`); `None` where it must be parsed in full.
    fn graft(&self, _splices: &[Changed], _text: &Arc<str>) -> Option<Box<dyn Backend>> {
        None
    }
    /// [`Backend::graft`] from a backend that is not needed afterwards: its index becomes the
    /// next one's instead of being copied.
    fn graft_owned(
        self: Box<Self>,
        splices: &[Changed],
        text: &Arc<str>,
    ) -> Option<Box<dyn Backend>> {
        self.graft(splices, text)
    }
    /// The data of a text of this format, as [`Backend::data`] would give it after
    /// [`Backend::reparse`]; backends override it with a parse that builds no index.
    fn parse_data(&self, text: &str) -> Result<Value, ParseError> {
        Ok(self.reparse(text.into())?.data())
    }
    /// Whether `text` certainly parses to `expected` ([`Backend::parse_data`] equal to it),
    /// judged without building its data; `false` leaves the judgement to `parse_data`.
    fn text_has_data(&self, _text: &str, _expected: &Value) -> bool {
        false
    }
    /// Byte range of a node's value in the document's text (for redaction of secrets).
    fn span(&self, node: NodeId) -> Range<usize>;
    /// Why this stand-in has no index (see [`Document::ensure_indexed`]).
    fn unindexable(&self) -> Option<EditError> {
        None
    }
}

/// Where a rendered text changed: `(start, end, new length)` of a splice of the old text.
pub(crate) type Changed = (usize, usize, usize);

/// A parsed config file.
///
/// ```
/// use pomerium_migrate::document::{Document, Edit, Format};
///
/// let text = "# kept\ncache_service_url: http://cache:5443 # old name\n";
/// let doc = Document::parse(text.to_owned(), Format::Yaml)?;
/// let entry = doc.top("cache_service_url").map(|e| e.id);
/// let edits: Vec<Edit> = entry
///     .map(|entry| Edit::RenameKey { entry, new_key: "databroker_service_url".into() })
///     .into_iter()
///     .collect();
/// let migrated = doc.apply(&edits)?;
/// assert_eq!(migrated.text(), "# kept\ndatabroker_service_url: http://cache:5443 # old name\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A document made by [`Document::apply`] has been parsed once already, for verification; its
/// editing index is built the first time something reads it.
#[derive(Debug)]
pub struct Document {
    format: Format,
    /// The text, shared with the backend (which reads it too) rather than copied.
    text: Arc<str>,
    /// A YAML stream read by [`Document::parse_stream`].
    stream: bool,
    backend: OnceLock<Box<dyn Backend>>,
    /// Whether the backend was grafted from the previous document's index (see
    /// [`Backend::graft`]): [`Document::verify`] then parses the text in full.
    grafted: bool,
    /// Where this text differs from that of the document it was made from (the splices of
    /// that text the edits rendered to), when the backend reports them: the chain composes
    /// them into the line diff of its input and result (see [`crate::changes`]).
    changed: Option<Vec<Changed>>,
    /// What a higher layer read from this document once and keeps with it (see
    /// [`Document::derived`]).
    derived: Derived,
}

/// One value derived from a document's content, of a type only its maker knows.
#[derive(Default)]
struct Derived(OnceLock<Box<dyn std::any::Any + Send + Sync>>);

impl fmt::Debug for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Derived(set)"
        } else {
            "Derived(unset)"
        })
    }
}

/// Follows aliases in `tree` to the node they name.
fn resolve_in(tree: &Tree, mut id: NodeId) -> NodeId {
    // Alias chains are finite: an alias can only name an anchor defined before it.
    while let NodeKind::Alias(target) = tree.node(id).kind {
        id = target;
    }
    id
}

/// Builds the backend of a format.
fn index(text: &Arc<str>, format: Format, stream: bool) -> Result<Box<dyn Backend>, ParseError> {
    let shared = Arc::clone(text);
    Ok(match format {
        Format::Yaml if stream => Box::new(yaml::YamlDocument::parse_stream_shared(shared)?),
        Format::Yaml => Box::new(yaml::YamlDocument::parse_shared(shared)?),
        Format::Json => Box::new(yaml::YamlDocument::parse_json_shared(shared)?),
        Format::Toml => Box::new(toml::TomlDocument::parse(text.to_string())?),
        Format::Dotenv => Box::new(dotenv::DotenvDocument::parse(text.to_string())?),
    })
}

impl Document {
    /// Parses `text` in the given format.
    ///
    /// A YAML text of more than one document is refused ([`ParseError::MultipleDocuments`]):
    /// Pomerium reads only the first. Manifests that hold several objects are read with
    /// [`Document::parse_stream`].
    pub fn parse(text: String, format: Format) -> Result<Document, ParseError> {
        Document::parse_shared(Arc::from(text), format)
    }

    /// [`Document::parse`] of a text the caller keeps too (the input as read), shared rather
    /// than copied.
    pub(crate) fn parse_shared(text: Arc<str>, format: Format) -> Result<Document, ParseError> {
        let backend = index(&text, format, false)?;
        Ok(Document {
            format,
            text,
            stream: false,
            backend: OnceLock::from(backend),
            derived: Derived::default(),
            grafted: false,
            changed: None,
        })
    }

    /// Parses a YAML stream of any number of documents (Kubernetes manifests) as one document
    /// whose root is a synthetic sequence with one item per document, in order: `[0].kind` is the
    /// first document's `kind`. Everything works as for a single document — paths,
    /// [`Document::apply`] and its verification (the data is the sequence of the documents'
    /// data), diffs — and the text between documents (`---`, `...`, `%` directives, comments)
    /// is kept byte for byte. An empty document (`---` alone) is a null item; a text with no
    /// document at all (empty, or comments only) has no items.
    ///
    /// Edits of the synthetic root itself are refused ([`EditError::Invalid`]), and so is
    /// removing a whole document ([`EditError::Unsupported`]). The limits on nesting depth and
    /// alias expansion hold for the whole stream, and an alias cannot name an anchor of another
    /// document (each document has its own anchors).
    ///
    /// Only YAML has streams: a JSON or TOML file holds one document and is read with
    /// [`Document::parse`].
    pub fn parse_stream(text: String) -> Result<Document, ParseError> {
        Document::parse_stream_shared(Arc::from(text))
    }

    /// [`Document::parse_stream`] of a text the caller keeps too, shared rather than copied.
    pub(crate) fn parse_stream_shared(text: Arc<str>) -> Result<Document, ParseError> {
        let backend = index(&text, Format::Yaml, true)?;
        Ok(Document {
            format: Format::Yaml,
            text,
            stream: true,
            backend: OnceLock::from(backend),
            derived: Derived::default(),
            grafted: false,
            changed: None,
        })
    }

    /// Whether this document is a YAML stream read by [`Document::parse_stream`].
    pub fn is_stream(&self) -> bool {
        self.stream
    }

    fn backend(&self) -> &dyn Backend {
        self.backend
            .get_or_init(|| match index(&self.text, self.format, self.stream) {
                Ok(b) => b,
                // The text was parsed once already by verification, with the same parser.
                Err(e) => Box::new(Unindexable::new(e)),
            })
            .as_ref()
    }

    /// The value `make` derives from this document, made on the first call and kept: a
    /// document's text never changes, so what is read from it once stays true. One kind of
    /// value is kept (the key sites of [`crate::detect`]); asked for another type, this gives
    /// `None` and the caller makes its own.
    pub(crate) fn derived<T: std::any::Any + Send + Sync>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.derived
            .0
            .get_or_init(|| Box::new(make()))
            .downcast_ref::<T>()
    }

    /// Whether the editing index is built (not deferred, not handed to a step's graft).
    #[cfg(test)]
    pub(crate) fn is_indexed(&self) -> bool {
        self.backend.get().is_some()
    }

    /// Builds the editing index now if it was deferred, and reports a failure to build it (an
    /// engine bug: the same text already passed verification).
    pub fn ensure_indexed(&self) -> Result<(), EditError> {
        self.backend().unindexable().map_or(Ok(()), Err)
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The backend's tree. Private: steps read nodes through the methods below, which follow
    /// aliases and merge keys the way Pomerium does.
    fn tree(&self) -> &Tree {
        self.backend().tree()
    }

    /// How many nodes the document has (keys, values and items; aliases count once).
    pub(crate) fn node_count(&self) -> usize {
        self.tree().nodes.len()
    }

    /// The data as the format's parser reads it (merge keys not applied).
    pub fn data(&self) -> Value {
        self.backend().data()
    }

    /// The top-level node; `None` for a file with no content.
    pub fn root(&self) -> Option<NodeId> {
        self.tree().root
    }

    /// A node, with aliases followed.
    pub fn node(&self, id: NodeId) -> &Node {
        // The tree is fetched once (through the backend): readers call this for every node.
        let tree = self.tree();
        tree.node(resolve_in(tree, id))
    }

    /// Follows aliases to the node they name.
    pub fn resolve(&self, id: NodeId) -> NodeId {
        resolve_in(self.tree(), id)
    }

    /// The location of a node's content (of the alias itself for an alias).
    pub fn location(&self, id: NodeId) -> Location {
        self.tree().node(id).location()
    }

    /// The location of an entry's key.
    pub fn entry_location(&self, entry: EntryId) -> Location {
        match &self.tree().node(entry.map).kind {
            NodeKind::Mapping(entries) => self.location(entries[entry.index].key_node),
            _ => self.location(entry.map),
        }
    }

    /// A scalar's value (aliases followed); `None` for a collection.
    pub fn scalar(&self, id: NodeId) -> Option<&Value> {
        match &self.node(id).kind {
            NodeKind::Scalar(v) => Some(v),
            _ => None,
        }
    }

    /// A string scalar's text.
    pub fn str(&self, id: NodeId) -> Option<&str> {
        self.scalar(id).and_then(Value::as_str)
    }

    pub fn is_mapping(&self, id: NodeId) -> bool {
        matches!(self.node(id).kind, NodeKind::Mapping(_))
    }

    pub fn is_sequence(&self, id: NodeId) -> bool {
        matches!(self.node(id).kind, NodeKind::Sequence(_))
    }

    /// The items of a sequence (empty for other nodes).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.node(id).kind {
            NodeKind::Sequence(items) => items,
            _ => &[],
        }
    }

    /// The data value of a node, aliases expanded.
    pub fn value(&self, id: NodeId) -> Value {
        self.tree().data(id)
    }

    /// A mapping's entries as Pomerium reads them: its own entries in order, then those it
    /// merges with `<<` that it does not override. Empty for other nodes.
    pub fn entries(&self, map: NodeId) -> Vec<EntryRef<'_>> {
        let mut out = Vec::new();
        self.collect_entries(self.resolve(map), None, &mut out, 0);
        out
    }

    /// [`Document::entries`] one at a time: without building a list when the mapping has no
    /// merge key (the common case, which readers that visit every mapping of a large file hit
    /// once per mapping); the same entries in the same order.
    pub fn entries_iter(&self, map: NodeId) -> EntriesIter<'_> {
        let map = self.resolve(map);
        match &self.tree().node(map).kind {
            NodeKind::Mapping(entries) if !entries.iter().any(|e| e.key == "<<") => EntriesIter {
                inner: EntriesInner::Own {
                    map,
                    entries,
                    next: 0,
                },
            },
            _ => EntriesIter {
                inner: EntriesInner::Listed(self.entries(map).into_iter()),
            },
        }
    }

    fn collect_entries<'a>(
        &'a self,
        map: NodeId,
        merged_into: Option<NodeId>,
        out: &mut Vec<EntryRef<'a>>,
        depth: usize,
    ) {
        let NodeKind::Mapping(entries) = &self.tree().node(map).kind else {
            return;
        };
        let mut merges = Vec::new();
        for (index, e) in entries.iter().enumerate() {
            if e.key == "<<" && self.scalar(e.key_node) == Some(&Value::String("<<".into())) {
                merges.push(e.value);
                continue;
            }
            if out.iter().any(|seen| seen.key == e.key) {
                continue;
            }
            out.push(EntryRef {
                id: EntryId { map, index },
                key: &e.key,
                key_node: e.key_node,
                value: e.value,
                merged_into,
            });
        }
        // Merge keys nest rarely; the depth bound only guards against pathological input.
        if depth > 32 {
            return;
        }
        let into = merged_into.or(Some(map));
        for merge in merges {
            let merge = self.resolve(merge);
            match &self.tree().node(merge).kind {
                NodeKind::Mapping(_) => self.collect_entries(merge, into, out, depth + 1),
                NodeKind::Sequence(items) => {
                    for item in items.clone() {
                        self.collect_entries(self.resolve(item), into, out, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    /// The entry `key` of a mapping (merges resolved).
    pub fn get(&self, map: NodeId, key: &str) -> Option<EntryRef<'_>> {
        let map = self.resolve(map);
        // Without a merge key the answer is the first own entry of that name: no list to build
        // (steps call this for every key of every route).
        if let NodeKind::Mapping(entries) = &self.tree().node(map).kind
            && !entries.iter().any(|e| e.key == "<<")
        {
            return entries
                .iter()
                .enumerate()
                .find(|(_, e)| e.key == key)
                .map(|(index, e)| EntryRef {
                    id: EntryId { map, index },
                    key: &e.key,
                    key_node: e.key_node,
                    value: e.value,
                    merged_into: None,
                });
        }
        self.entries(map).into_iter().find(|e| e.key == key)
    }

    /// The first of several spellings of a key that the mapping has (console files use
    /// `signing-key` or `signing_key`).
    pub fn get_any(&self, map: NodeId, keys: &[&str]) -> Option<EntryRef<'_>> {
        let entries = self.entries(map);
        keys.iter()
            .find_map(|k| entries.iter().find(|e| e.key == *k).cloned())
    }

    /// The top-level entry `key`.
    pub fn top(&self, key: &str) -> Option<EntryRef<'_>> {
        self.get(self.root()?, key)
    }

    /// The written entry behind a handle.
    pub fn entry(&self, id: EntryId) -> Option<&Entry> {
        match &self.tree().node(id.map).kind {
            NodeKind::Mapping(entries) => entries.get(id.index),
            _ => None,
        }
    }

    /// All nodes a path leads to, with the concrete path of each (`routes[2].to`).
    pub fn select(&self, path: &Path) -> Vec<Selected<'_>> {
        let mut out = Vec::new();
        if let Some(root) = self.root() {
            self.select_from(root, &path.0, String::new(), None, &mut out);
        }
        out
    }

    /// [`Document::select`] with a path given as text. Panics only on a malformed literal path,
    /// which is a programming error in a step, never input.
    pub fn select_str(&self, path: &str) -> Vec<Selected<'_>> {
        match Path::parse(path) {
            Ok(p) => self.select(&p),
            Err(e) => panic!("bad path literal in a step: {e}"),
        }
    }

    fn select_from<'a>(
        &'a self,
        node: NodeId,
        segs: &[PathSeg],
        here: String,
        entry: Option<EntryRef<'a>>,
        out: &mut Vec<Selected<'a>>,
    ) {
        let Some((seg, rest)) = segs.split_first() else {
            out.push(Selected {
                path: here,
                node,
                entry,
            });
            return;
        };
        let join = |key: &str| {
            if here.is_empty() {
                key.to_owned()
            } else {
                format!("{here}.{key}")
            }
        };
        match seg {
            PathSeg::Key(k) => {
                if let Some(e) = self.get(node, k) {
                    self.select_from(e.value, rest, join(k), Some(e), out);
                }
            }
            PathSeg::AnyKey => {
                for e in self.entries(node) {
                    let p = join(e.key);
                    self.select_from(e.value, rest, p, Some(e), out);
                }
            }
            PathSeg::Index(i) => {
                if let Some(item) = self.items(node).get(*i) {
                    self.select_from(*item, rest, format!("{here}[{i}]"), None, out);
                }
            }
            PathSeg::AnyItem => {
                for (i, item) in self.items(node).iter().enumerate() {
                    self.select_from(*item, rest, format!("{here}[{i}]"), None, out);
                }
            }
        }
    }

    /// Whether [`Edit::CommentOut`] is possible for this entry (not in JSON, not in a flow
    /// collection); otherwise a removal must delete.
    pub fn can_comment_out(&self, entry: EntryId) -> bool {
        self.backend().can_comment_out(entry)
    }

    /// Whether [`Edit::CommentOutItem`] (and [`Edit::AnnotateItem`]) is possible for this item:
    /// an item of a block sequence in YAML (not JSON, not a flow sequence, not TOML, not a whole
    /// document of a stream); otherwise a removal must use [`Edit::DeleteItem`].
    pub fn can_comment_out_item(&self, item: NodeId) -> bool {
        item.index() < self.tree().nodes.len() && self.backend().can_comment_out_item(item)
    }

    /// Alias nodes through which an edit of `node` would also show elsewhere.
    pub fn shared_by(&self, node: NodeId) -> Vec<NodeId> {
        self.tree().shared_by(node)
    }

    /// Byte range of a node's written value, for redaction and for the engine's tests. Steps
    /// never use offsets (a test in `step.rs` keeps `migrations/` off this and the other
    /// backend details).
    #[doc(hidden)]
    pub fn span(&self, node: NodeId) -> Range<usize> {
        self.backend().span(node)
    }

    /// Whether this document's index was grafted from the previous document's (see
    /// [`Document::apply_composed`]); for the engine's tests.
    #[doc(hidden)]
    pub fn is_grafted(&self) -> bool {
        self.grafted
    }

    /// Everything the backend holds, written out: two documents whose dumps are equal answer
    /// every question the same way. For the engine's tests, which compare a grafted index with
    /// a whole parse.
    #[doc(hidden)]
    pub fn backend_dump_for_debug(&self) -> String {
        format!("{:?}", self.backend())
    }

    /// The text a batch of edits renders to, without verification (for debugging the engine).
    #[doc(hidden)]
    pub fn backend_render_for_debug(&self, edits: &[Edit]) -> Result<String, EditError> {
        self.backend().render(edits)
    }

    /// Applies a batch of edits in one pass, verifies the result and returns the new document.
    /// An empty batch returns an identical document.
    pub fn apply(&self, edits: &[Edit]) -> Result<Document, EditError> {
        self.apply_verified(edits, false)
    }

    /// [`Document::apply`] for a caller that reads the result's index next (a step of a chain
    /// verified step by step): the index is grafted from this one where the edits allow, rather
    /// than parsed in full when first read. [`Document::apply`] leaves it to that first read, so
    /// a caller that only wants the text pays for no index.
    pub fn apply_indexed(&self, edits: &[Edit]) -> Result<Document, EditError> {
        self.apply_verified(edits, true)
    }

    fn apply_verified(&self, edits: &[Edit], graft: bool) -> Result<Document, EditError> {
        let backend = self.backend();
        // The check below parses the new text in full whether or not the next index is grafted.
        let (text, splices) = self.render(edits)?;
        {
            let expected = self.expected_data(edits)?;
            let actual = backend
                .parse_data(&text)
                .map_err(|e| EditError::Verification {
                    detail: format!("the edited text does not parse: {e}"),
                })?;
            if let Some(detail) = value::first_difference(&expected, &actual) {
                return Err(EditError::Verification { detail });
            }
        }
        let text: Arc<str> = text.into();
        // Grafted once the check's data is gone, so that the two are never held at once.
        let next = splices
            .as_ref()
            .filter(|_| graft)
            .and_then(|s| backend.graft(s, &text));
        Ok(Document {
            format: self.format,
            text,
            stream: self.stream,
            grafted: next.is_some(),
            backend: next.map_or_else(OnceLock::new, OnceLock::from),
            changed: splices,
            derived: Derived::default(),
        })
    }

    /// The data the edits mean to produce: the old data with each edit applied to the data model
    /// at every place the edited node appears.
    pub fn expected_data(&self, edits: &[Edit]) -> Result<Value, EditError> {
        crate::document::expect::expected_data(self, edits)
    }

    /// Applies a batch of edits as one step of a chain that is verified once at its end: renders
    /// the edits, indexes the new text for the next step, and adds what the edits mean to the
    /// data to `composed`, the chain's [`DataEdits`]. Nothing is compared here; [`Document::verify`] compares the last
    /// document with the data the chain means to produce. On an error `composed` may hold this
    /// batch's data edits already.
    pub fn apply_composed(
        &self,
        edits: &[Edit],
        composed: &mut DataEdits,
    ) -> Result<Document, EditError> {
        let (text, splices) = self.compose(edits, composed)?;
        let text: Arc<str> = text.into();
        let next = splices
            .as_ref()
            .and_then(|s| self.backend().graft(s, &text));
        self.composed(text, next, splices)
    }

    /// [`Document::apply_composed`] on a document whose index is not read again: the new
    /// document's index is built from this one's by moving it rather than copying it, and this
    /// one keeps its text only (its index is built again from the text if anything reads it).
    pub fn apply_composed_releasing(
        &mut self,
        edits: &[Edit],
        composed: &mut DataEdits,
    ) -> Result<Document, EditError> {
        let (text, splices) = self.compose(edits, composed)?;
        let text: Arc<str> = text.into();
        let next = match &splices {
            Some(s) => {
                self.grafted = false;
                self.backend
                    .take()
                    .and_then(|backend| backend.graft_owned(s, &text))
            }
            None => None,
        };
        self.composed(text, next, splices)
    }

    /// The text `edits` render to, and where it changed when the next index can be grafted.
    /// The crate's own tests may inject a fault here (see [`fault`]): the text is then changed
    /// behind the splices' back, and no splices are given.
    fn render(&self, edits: &[Edit]) -> Result<(String, Option<Vec<Changed>>), EditError> {
        let (text, splices) = self.backend().render_spliced(edits)?;
        #[cfg(test)]
        let (text, splices) = {
            let corrupted = fault::corrupt(text.clone(), self.format, edits.is_empty());
            if corrupted == text {
                (text, splices)
            } else {
                (corrupted, None)
            }
        };
        Ok((text, splices))
    }

    /// The text a composed step's edits render to, where it changed when the next index can be
    /// grafted; what the edits mean to the data goes to `composed`.
    fn compose(
        &self,
        edits: &[Edit],
        composed: &mut DataEdits,
    ) -> Result<(String, Option<Vec<Changed>>), EditError> {
        let (text, splices) = self.render(edits)?;
        composed.append(expect::resolve(self, edits)?);
        Ok((text, splices))
    }

    /// The next document of a composed step: `next` is its grafted index, or `None` to parse
    /// the text in full; `changed` where its text differs from this one's.
    fn composed(
        &self,
        text: Arc<str>,
        next: Option<Box<dyn Backend>>,
        changed: Option<Vec<Changed>>,
    ) -> Result<Document, EditError> {
        let (next, grafted) = match next {
            Some(next) => (next, true),
            None => {
                let parsed = match self.backend.get() {
                    Some(backend) => backend.reparse(Arc::clone(&text)),
                    // The index went to the graft, which gave up: the format's parser.
                    None => index(&text, self.format, self.stream),
                };
                let next = parsed.map_err(|e| EditError::Verification {
                    detail: format!("the edited text does not parse: {e}"),
                })?;
                (next, false)
            }
        };
        Ok(Document {
            format: self.format,
            text,
            stream: self.stream,
            backend: OnceLock::from(next),
            derived: Derived::default(),
            grafted,
            changed,
        })
    }

    /// Frees the editing index (most of the memory a document takes); it is built again if
    /// anything reads the tree later. For a run that keeps every intermediate document but only
    /// reads the texts of those in the middle.
    pub fn release_index(&mut self) {
        self.backend = OnceLock::new();
        self.grafted = false;
    }

    /// Takes `other`'s index when this document has none and both have the same text (a step
    /// whose edits left the text as it was, after [`Document::apply_composed_releasing`]).
    pub fn adopt_index(&mut self, other: Document) {
        if self.backend.get().is_none() && self.text == other.text && self.format == other.format {
            self.backend = other.backend;
            self.grafted = other.grafted;
        }
    }

    /// Where this document's text differs from that of the document it was made from by
    /// [`Document::apply`] or a composed step (the splices of that text, sorted), when the
    /// backend reports them; `None` for a parsed document and for backends that do not.
    pub(crate) fn changed(&self) -> Option<&[Changed]> {
        self.changed.as_deref()
    }

    /// Compares this document's data, as the format's parser reads it, with `expected`.
    pub fn verify(&self, expected: &Value) -> Result<(), EditError> {
        if self.grafted {
            // The index was grafted from the previous one's: verification reads the whole text
            // with the format's parser instead, comparing as it reads when the backend can.
            if self.backend().text_has_data(&self.text, expected) {
                return Ok(());
            }
            let actual =
                self.backend()
                    .parse_data(&self.text)
                    .map_err(|e| EditError::Verification {
                        detail: format!("the edited text does not parse: {e}"),
                    })?;
            return match value::first_difference(expected, &actual) {
                Some(detail) => Err(EditError::Verification { detail }),
                None => Ok(()),
            };
        }
        if self.backend().data_equals(expected) {
            return Ok(());
        }
        // Only a failure builds the data, to say where it differs.
        match value::first_difference(expected, &self.data()) {
            Some(detail) => Err(EditError::Verification { detail }),
            None => Ok(()),
        }
    }
}

mod expect;

pub use expect::DataEdits;

/// A fault the crate's own tests inject into [`Document::apply`] and
/// [`Document::apply_composed`]: with it on, the rendered text
/// gets one more top-level entry, which parses but is not what the edits mean. It shows that a
/// verification mismatch stops the run (with exit 3 and the step named) instead of being written.
/// Not compiled outside `cargo test`.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::Cell;

    use super::Format;

    thread_local! {
        static CORRUPT_RENDER: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs `f` with every non-empty rendered batch corrupted (on this thread only).
    pub(crate) fn with_corrupt_render<T>(f: impl FnOnce() -> T) -> T {
        CORRUPT_RENDER.with(|c| c.set(true));
        let out = f();
        CORRUPT_RENDER.with(|c| c.set(false));
        out
    }

    pub(super) fn corrupt(mut text: String, format: Format, no_edits: bool) -> String {
        if no_edits || !CORRUPT_RENDER.with(Cell::get) {
            return text;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        match format {
            Format::Json => {
                // Before the root object's closing brace.
                if let Some(end) = text.rfind('}') {
                    text.insert_str(end, ", \"injected_fault\": 1\n");
                }
            }
            Format::Toml => text.insert_str(0, "injected_fault = 1\n"),
            Format::Yaml => text.push_str("injected_fault: 1\n"),
            Format::Dotenv => text.push_str("injected_fault=1\n"),
        }
        text
    }
}

/// Stands in for a backend whose text could not be indexed: an empty tree, and every edit
/// refused with the reason.
#[derive(Debug)]
struct Unindexable {
    tree: Tree,
    error: EditError,
}

impl Unindexable {
    fn new(e: ParseError) -> Unindexable {
        Unindexable {
            tree: Tree::default(),
            error: EditError::Verification {
                detail: format!("the edited text could not be indexed: {e}"),
            },
        }
    }
}

impl Backend for Unindexable {
    fn tree(&self) -> &Tree {
        &self.tree
    }
    fn data(&self) -> Value {
        Value::Null
    }
    fn can_comment_out(&self, _entry: EntryId) -> bool {
        false
    }
    fn render(&self, _edits: &[Edit]) -> Result<String, EditError> {
        Err(self.error.clone())
    }
    fn reparse(&self, _text: Arc<str>) -> Result<Box<dyn Backend>, ParseError> {
        Err(ParseError::Syntax {
            location: Location::default(),
            message: self.error.to_string(),
        })
    }
    fn span(&self, _node: NodeId) -> Range<usize> {
        0..0
    }
    fn unindexable(&self) -> Option<EditError> {
        Some(self.error.clone())
    }
}

/// The entries of a mapping, as [`Document::entries_iter`] gives them.
#[derive(Debug)]
pub struct EntriesIter<'a> {
    inner: EntriesInner<'a>,
}

#[derive(Debug)]
enum EntriesInner<'a> {
    /// A mapping without merge keys: its own entries, the first of each key.
    Own {
        map: NodeId,
        entries: &'a [Entry],
        next: usize,
    },
    Listed(std::vec::IntoIter<EntryRef<'a>>),
}

impl<'a> Iterator for EntriesIter<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        match &mut self.inner {
            EntriesInner::Own { map, entries, next } => loop {
                let index = *next;
                let e = entries.get(index)?;
                *next += 1;
                // A key written twice is read once, as `entries` reads it (the first).
                if entries[..index].iter().any(|seen| seen.key == e.key) {
                    continue;
                }
                return Some(EntryRef {
                    id: EntryId { map: *map, index },
                    key: &e.key,
                    key_node: e.key_node,
                    value: e.value,
                    merged_into: None,
                });
            },
            EntriesInner::Listed(list) => list.next(),
        }
    }
}

/// One result of [`Document::select`].
#[derive(Clone, Debug, PartialEq)]
pub struct Selected<'a> {
    /// The concrete path, e.g. `routes[3].set_request_headers`.
    pub path: String,
    pub node: NodeId,
    /// The entry whose value this is, when the last segment was a key.
    pub entry: Option<EntryRef<'a>>,
}
