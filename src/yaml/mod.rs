//! The lossless YAML backend.
//!
//! yaml-rust2's event parser gives structure and start positions; `index` adds where every
//! node and entry ends; `render` turns edits into splices of the original text. Everything
//! outside the splices — comments, blank lines, quoting, indentation, line endings, a BOM,
//! document markers — is copied byte for byte.

mod data;
mod emit;
mod fast;
mod graft;
mod index;
mod json;
mod limits;
mod render;
mod scan;

use std::ops::Range;
use std::sync::{Arc, OnceLock};

pub(crate) use index::MAX_TEXT;
pub use index::yaml_to_value;

use crate::document::lines::Lines;
use crate::document::splice;
use crate::document::{
    Backend, Changed, Edit, EditError, EntryId, Location, NodeId, ParseError, Tree, Value,
};
use index::{Index, Style};

/// The data of the YAML text an `Edit::ReplaceBlock` writes and whether it defines an anchor, or
/// why it cannot be written: it must be one document without markers or directives.
pub(crate) fn replacement_data(yaml: &str) -> Result<(Value, bool), &'static str> {
    let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
    let marker = yaml.split(['\n', '\r']).any(|line| {
        line.starts_with('%')
            || ((line.starts_with("---") || line.starts_with("..."))
                && line[3..].chars().next().is_none_or(char::is_whitespace))
    });
    if marker {
        return Err("the replacement YAML holds a document marker or a directive");
    }
    data::load_with_anchors(yaml, false)
        .map_err(|_| "the replacement YAML does not parse as one YAML document")
}

/// A YAML config file, indexed for lossless editing.
#[derive(Debug, Clone)]
pub struct YamlDocument {
    /// The whole text as read, BOM included; shared with the `Document` that holds this index
    /// rather than copied.
    text: Arc<str>,
    /// Length of the BOM (0 or 3): spans are offsets into `text[base..]`.
    base: usize,
    lines: Lines,
    /// The line break new lines use: the file's own.
    eol: &'static str,
    tree: Tree,
    index: Index,
    /// A JSON file: its data is what serde_json reads ([`json::parse`]). Edits then write JSON
    /// only.
    json: bool,
    /// A JSON file's data, read again from the text the first time it is asked for: most
    /// documents of a run never are (a large file's data takes as much memory as its tree).
    json_data: OnceLock<Value>,
    /// A stream of documents under a synthetic root ([`YamlDocument::parse_stream`]).
    stream: bool,
}

impl YamlDocument {
    pub fn parse(text: String) -> Result<YamlDocument, ParseError> {
        Self::parse_as(text.into(), false, false)
    }

    /// [`YamlDocument::parse`] of a text shared with its caller.
    pub(crate) fn parse_shared(text: Arc<str>) -> Result<YamlDocument, ParseError> {
        Self::parse_as(text, false, false)
    }

    /// A stream of any number of documents: the root is a synthetic sequence with one item per
    /// document (see `Document::parse_stream`).
    pub fn parse_stream(text: String) -> Result<YamlDocument, ParseError> {
        Self::parse_as(text.into(), false, true)
    }

    /// [`YamlDocument::parse_stream`] of a text shared with its caller.
    pub(crate) fn parse_stream_shared(text: Arc<str>) -> Result<YamlDocument, ParseError> {
        Self::parse_as(text, false, true)
    }

    /// A JSON file, checked by serde_json and edited as YAML flow collections.
    pub fn parse_json(text: String) -> Result<YamlDocument, ParseError> {
        Self::parse_json_shared(text.into())
    }

    /// [`YamlDocument::parse_json`] of a text shared with its caller.
    pub(crate) fn parse_json_shared(text: Arc<str>) -> Result<YamlDocument, ParseError> {
        // Checked here; the data is read again when asked for (see `YamlDocument::json`).
        json::check(&text)?;
        Self::parse_as(text, true, false)
    }

    fn parse_as(text: Arc<str>, json: bool, stream: bool) -> Result<YamlDocument, ParseError> {
        let base = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let src = &text[base..];
        let lines = Lines::new(src);
        let (tree, index) = index::build(src, &lines, stream)?;
        let eol = eol_of(src);
        Ok(YamlDocument {
            text,
            base,
            lines,
            eol,
            tree,
            index,
            json,
            json_data: OnceLock::new(),
            stream,
        })
    }

    /// The text a batch of edits makes, and where it changed when the next index can be
    /// grafted from this one's (see [`graft`]).
    fn render_spliced_yaml(
        &self,
        edits: &[Edit],
    ) -> Result<(String, Option<Vec<Changed>>), EditError> {
        let src = self.src();
        let plain = self.base == 0
            && !self.stream
            && !self.json
            && (src.ends_with('\n') || src.ends_with('\r'));
        if edits.is_empty() || !plain {
            return Ok((self.render(edits)?, None));
        }
        // With a final break and no BOM, `render` plans on the text as it is.
        let (text, splices) = render::Renderer::new(self, src).render_with_splices(edits)?;
        Ok((text, Some(splices)))
    }

    /// The document of `text`, which `splices` made of this one's text, with its index grafted
    /// from this one's; `None` where the text must be parsed in full.
    fn grafted(&self, splices: &[Changed], text: &Arc<str>) -> Option<YamlDocument> {
        if text.len() > MAX_TEXT {
            return None;
        }
        graft::graft(self, splices, text).map(|parts| YamlDocument::from_graft(parts, text))
    }

    /// [`YamlDocument::grafted`] from a document that is not needed afterwards: its tree and
    /// index are moved into the next one's rather than copied.
    fn grafted_owned(self, splices: &[Changed], text: &Arc<str>) -> Option<YamlDocument> {
        if text.len() > MAX_TEXT {
            return None;
        }
        graft::graft_owned(self, splices, text).map(|parts| YamlDocument::from_graft(parts, text))
    }

    /// The document of `text` with a grafted tree, index and line table (a graft refuses BOMs,
    /// JSON and streams, so the text is a plain single document).
    fn from_graft((tree, index, lines): (Tree, Index, Lines), text: &Arc<str>) -> YamlDocument {
        let next = YamlDocument {
            eol: eol_of(text),
            text: Arc::clone(text),
            base: 0,
            lines,
            tree,
            index,
            json: false,
            json_data: OnceLock::new(),
            stream: false,
        };
        if cfg!(debug_assertions) {
            next.assert_same_as_parsed();
        }
        next
    }

    /// Debug builds compare every grafted index with a whole parse of the same text.
    fn assert_same_as_parsed(&self) {
        match YamlDocument::parse_shared(Arc::clone(&self.text)) {
            Ok(full) => {
                assert_eq!(self.tree, full.tree, "grafted tree differs:\n{}", self.text);
                assert_eq!(
                    self.index, full.index,
                    "grafted index differs:\n{}",
                    self.text
                );
                assert_eq!(self.lines, full.lines);
                assert_eq!(self.eol, full.eol);
            }
            Err(e) => panic!("grafted an index for a text that does not parse: {e}"),
        }
    }

    /// The synthetic root of a stream (`None` for a single document).
    pub(crate) fn stream_root(&self) -> Option<NodeId> {
        if self.stream { self.tree.root } else { None }
    }

    /// A JSON file's data (see [`YamlDocument::json_data`]). The text passed `json::parse` when
    /// this document was made; were it to fail now, the invalid value would fail verification
    /// rather than pass it.
    fn json_data(&self) -> &Value {
        self.json_data
            .get_or_init(|| json::parse(&self.text).unwrap_or(Value::Invalid))
    }

    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// The text without its BOM; all spans point into it.
    pub(crate) fn src(&self) -> &str {
        &self.text[self.base..]
    }

    pub(crate) fn location_at(&self, pos: usize) -> Location {
        self.lines.location(self.src(), pos)
    }
}

/// The line break a text uses first (`\n` when it has none).
fn eol_of(src: &str) -> &'static str {
    match src.find(['\n', '\r']) {
        Some(i) if src[i..].starts_with("\r\n") => "\r\n",
        Some(i) if src[i..].starts_with('\r') => "\r",
        _ => "\n",
    }
}

impl Backend for YamlDocument {
    fn tree(&self) -> &Tree {
        &self.tree
    }

    fn data(&self) -> Value {
        if self.json {
            return self.json_data().clone();
        }
        self.tree.root.map_or(Value::Null, |r| self.tree.data(r))
    }

    fn data_equals(&self, expected: &Value) -> bool {
        match (self.json, self.tree.root) {
            (true, _) => self.json_data() == expected,
            (false, Some(root)) => self.tree.data_equals(root, expected),
            (false, None) => *expected == Value::Null,
        }
    }

    fn can_comment_out(&self, entry: EntryId) -> bool {
        self.index
            .spans
            .get(entry.map.index())
            .is_some_and(|s| s.style == Style::BlockMap)
    }

    fn can_comment_out_item(&self, item: NodeId) -> bool {
        let Some((seq, crate::document::Slot::Item(_))) =
            self.tree.nodes.get(item.index()).and_then(|n| n.parent)
        else {
            return false;
        };
        !self.is_json()
            && self
                .index
                .spans
                .get(seq.index())
                .is_some_and(|s| s.style == Style::BlockSeq)
    }

    fn render(&self, edits: &[Edit]) -> Result<String, EditError> {
        if edits.is_empty() {
            return Ok(self.text.to_string());
        }
        // Edits are planned on a text that ends with a line break, so that the last line is a
        // line like any other; a file without a final break gets it back without one.
        let mut planned = None;
        let mut out = splice::with_final_break(self.src(), self.eol, |work| {
            let rendered = render::Renderer::new(self, work).render(edits)?;
            planned = Some(rendered.clone());
            Ok::<_, EditError>(rendered)
        })?;
        out.insert_str(0, &self.text[..self.base]);
        // When the edits leave a line that had a break of its own last (say the end of a `|+`
        // block scalar, whose value holds its trailing breaks), dropping that break would change
        // the data: the break is kept then.
        if let Some(planned) = planned.filter(|p| p.len() != out.len() - self.base) {
            let last_line = |t: &str| t.rsplit(['\n', '\r']).next().map(str::to_owned);
            let end_edited = last_line(self.src()) != last_line(&out);
            let full = format!("{}{planned}", &self.text[..self.base]);
            if end_edited
                && let (Ok(with), Ok(without)) = (self.parse_data(&full), self.parse_data(&out))
                && with != without
            {
                return Ok(full);
            }
        }
        Ok(out)
    }

    fn parse_data(&self, text: &str) -> Result<Value, ParseError> {
        match self.json {
            true => json::parse(text),
            false => {
                let src = text.strip_prefix('\u{feff}').unwrap_or(text);
                if self.stream {
                    data::load_stream(src)
                } else {
                    data::load(src)
                }
            }
        }
    }

    fn text_has_data(&self, text: &str, expected: &Value) -> bool {
        match self.json {
            true => false,
            false => {
                let src = text.strip_prefix('\u{feff}').unwrap_or(text);
                data::matches(src, self.stream, expected)
            }
        }
    }

    fn reparse(&self, text: Arc<str>) -> Result<Box<dyn Backend>, ParseError> {
        Ok(Box::new(if self.is_json() {
            YamlDocument::parse_json_shared(text)?
        } else if self.stream {
            YamlDocument::parse_stream_shared(text)?
        } else {
            YamlDocument::parse_shared(text)?
        }))
    }

    fn render_spliced(&self, edits: &[Edit]) -> Result<(String, Option<Vec<Changed>>), EditError> {
        self.render_spliced_yaml(edits)
    }

    fn graft(&self, splices: &[Changed], text: &Arc<str>) -> Option<Box<dyn Backend>> {
        self.grafted(splices, text)
            .map(|d| Box::new(d) as Box<dyn Backend>)
    }

    fn graft_owned(
        self: Box<Self>,
        splices: &[Changed],
        text: &Arc<str>,
    ) -> Option<Box<dyn Backend>> {
        self.grafted_owned(splices, text)
            .map(|d| Box::new(d) as Box<dyn Backend>)
    }

    fn span(&self, node: NodeId) -> Range<usize> {
        self.index
            .spans
            .get(node.index())
            .map_or(0..0, |s| s.start + self.base..s.end + self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What verification relies on: comparing the tree with a value in place says exactly what
    /// building the tree's data and comparing it says.
    #[test]
    fn data_equals_agrees_with_the_data() -> Result<(), ParseError> {
        let texts = [
            "a: &x {b: [1, 2.5, ~, true]}\nc: *x\nd: [*x, 'q']\n",
            "base: &b {k: v}\nroute:\n  <<: *b\n  k: w\n",
            "- x\n- {y: [z, {w: 1}]}\n",
            "",
        ];
        for text in texts {
            let doc = YamlDocument::parse(text.to_owned())?;
            let data = doc.data();
            assert!(doc.data_equals(&data), "{text:?}");
            let mut changed = Vec::new();
            match &data {
                Value::Mapping(entries) => {
                    let mut fewer = entries.clone();
                    fewer.pop();
                    changed.push(Value::Mapping(fewer));
                    let mut renamed = entries.clone();
                    renamed[0].0 = Value::String("renamed".into());
                    changed.push(Value::Mapping(renamed));
                    let mut deeper = entries.clone();
                    deeper[0].1 = Value::Sequence(vec![deeper[0].1.clone()]);
                    changed.push(Value::Mapping(deeper));
                }
                Value::Sequence(items) => {
                    let mut more = items.clone();
                    more.push(Value::Int(1));
                    changed.push(Value::Sequence(more));
                    let mut other = items.clone();
                    other[0] = Value::String("y".into());
                    changed.push(Value::Sequence(other));
                }
                _ => changed.push(Value::Mapping(Vec::new())),
            }
            for value in changed {
                assert_ne!(value, data);
                assert!(!doc.data_equals(&value), "{text:?}: {value:?}");
            }
        }
        let json = YamlDocument::parse_json("{\"a\": [1, {\"b\": null}]}".to_owned())?;
        assert!(json.data_equals(&json.data()));
        assert!(!json.data_equals(&Value::Null));
        Ok(())
    }
}
