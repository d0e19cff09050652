//! [`Edit::ReplaceBlock`] (`Edit` in `crate::document`): a block mapping or sequence replaced by
//! YAML text written at indent 0, re-indented to the node's place.
//!
//! The node's text is, for a mapping value, every line after its key's line (comments before its
//! first entry included: the new text holds its own), and otherwise its own lines; a comment on
//! the key's line and everything after the node's last line are kept. Every line of the new text
//! gets the node's indentation (a first line that follows an item's `-` on its line gets none),
//! so comments, block scalars and nested collections inside it keep their relative layout.

use super::{Context, Renderer};
use crate::document::{EditError, NodeId, NodeKind};
use crate::yaml::index::Style;
use crate::yaml::scan;

impl Renderer<'_> {
    pub(super) fn replace_block(&mut self, node: NodeId, yaml: &str) -> Result<(), EditError> {
        let ns = self.span(node);
        if self.doc.is_json() {
            return Err(self.unsupported(ns.start, "replacing a value by YAML text in JSON"));
        }
        if !matches!(ns.style, Style::BlockMap | Style::BlockSeq) {
            return Err(self.invalid(
                node,
                "the node to replace is not a block mapping or sequence",
            ));
        }
        let (value, anchored) =
            crate::yaml::replacement_data(yaml).map_err(|what| self.invalid(node, what))?;
        self.check_anchors(node)?;
        if anchored {
            // An alias after the node could name an anchor of the new text.
            let tree = &self.doc.tree;
            let alias_after = (0..tree.nodes.len()).any(|i| {
                matches!(tree.nodes[i].kind, NodeKind::Alias(_))
                    && self.doc.index.spans.at(i).start >= ns.end
            });
            if alias_after {
                return Err(self.invalid(
                    node,
                    "the replacement YAML defines an anchor that an alias after it could name",
                ));
            }
        }
        let src = self.src();
        let column = self.column(ns.start);
        // Whether the new text is a block sequence (its first line that is not a comment starts
        // with `-`).
        let block_seq = matches!(value, crate::document::Value::Sequence(_))
            && yaml
                .lines()
                .map(str::trim_end)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .is_some_and(|l| l == "-" || l.starts_with("- "));
        let col = match self.value_region(node) {
            // An indentless sequence (`key:\n- a`) stands at its key's column; anything but
            // another block sequence written there must go one step in.
            Ok((_, Context::Entry(key_col))) if column <= key_col && !block_seq => {
                key_col + self.doc.index.indent_unit
            }
            _ => column,
        };
        let yaml = yaml.strip_prefix('\u{feff}').unwrap_or(yaml);
        let mut lines: Vec<&str> = yaml
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        while lines.first().is_some_and(|l| l.trim().is_empty()) {
            lines.remove(0);
        }
        if lines.is_empty() {
            lines.push("null");
        }
        let eol = self.doc.eol;
        let pad = " ".repeat(col);
        let (from, mut out) = if ns.props != ns.start {
            // Properties on the key's line (`key: &a`) go with the node: the new text starts on
            // the next line.
            let (from, _) = self.value_region(node)?;
            (from, eol.to_owned())
        } else if scan::first_on_line(src, ns.start) {
            // A mapping value: its text is every line after the key's (comments before its
            // first entry too, which the new text holds in their place).
            let from = match self.value_region(node) {
                Ok((after_colon, Context::Entry(_))) => scan::next_line_start(src, after_colon),
                _ => scan::line_start(src, ns.start),
            };
            (from.min(scan::line_start(src, ns.start)), String::new())
        } else {
            // After an item's `-` on the same line: the first line needs no indentation.
            (ns.start, String::new())
        };
        let padded_first = ns.props != ns.start || scan::first_on_line(src, ns.start);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.push_str(eol);
            }
            if line.is_empty() {
                continue;
            }
            if i > 0 || padded_first {
                out.push_str(&pad);
            }
            out.push_str(line);
        }
        self.splice(from, ns.end, out, None);
        Ok(())
    }
}
