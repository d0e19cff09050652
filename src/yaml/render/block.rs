//! A new value written in place of a block scalar (`|`, `|-`, `|+`, `>`, `|2` …), keeping its
//! style, its indentation indicator, its content indentation and a comment on its header line.
//!
//! The chomping indicator follows the new text: `-` without a final line break, none with one,
//! `+` with more (only where the scalar already was `+`: a `+` scalar also keeps the blank lines
//! that follow it, which a scalar that was not `+` would then take in). Where the text cannot be
//! written in the old form, the closest correct form is used:
//! - a first line that starts with a space or a tab gets an indentation indicator (auto-detection
//!   would read those spaces as indentation);
//! - `>` becomes `|` when a line starts or ends with white space, or the text starts with a line
//!   break (folding would change those);
//! - a double-quoted scalar when no block scalar can hold the text: control characters or a
//!   carriage return, more final line breaks than the old scalar could keep, or an indentation
//!   indicator above 9.

use super::Renderer;
use crate::document::{NodeId, Value};
use crate::yaml::emit::{self, Quote};
use crate::yaml::index::{Span, Style};
use crate::yaml::scan;

/// What a block scalar's text can hold: printable characters, tabs and line feeds.
fn fits_a_block(text: &str) -> bool {
    !text.chars().any(|c| {
        (c != '\n' && c != '\t' && c.is_control())
            || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
    })
}

impl Renderer<'_> {
    /// The indentation of the block collection holding `node` (-1 at the top of a document), as
    /// the scanner counts an indentation indicator from it. A block scalar's parent is always a
    /// block collection: `|` and `>` start block scalars only outside flow collections.
    fn parent_indent(&self, node: NodeId) -> i64 {
        self.doc
            .tree
            .node(node)
            .parent
            .map_or(-1, |(p, _)| self.span(p).indent as i64)
    }

    /// The text that replaces the block scalar `node` (span `s`, from its indicator to its last
    /// content line) for `value`.
    pub(super) fn block_scalar_text(&self, node: NodeId, value: &Value, s: Span) -> String {
        let src = self.src();
        let Value::String(text) = value else {
            return emit::scalar(value, Quote::Plain, false);
        };
        // The header line plus one content line hold one line break; more means the value was
        // written over several lines (a folded value reads as one line, but was not written so).
        let written_lines = src[s.start..s.end].matches('\n').count();
        if !text.contains('\n') && written_lines > 1 {
            // Several lines became one (a pasted certificate became its file's path): that
            // reads best on the key's line, as a person would write it.
            return emit::scalar(value, self.quote_for(Style::Plain), false);
        }
        if !fits_a_block(text) {
            return emit::double_quoted(text);
        }
        let header = scan::block_header(src, s.start);
        let header_line_end = scan::line_content_end(src, s.start);
        // A comment after the indicators stays on the header line.
        let header_rest = &src[header.end.min(header_line_end)..header_line_end];

        let body = text.trim_end_matches('\n');
        let breaks = text.len() - body.len();
        let chomp = match (body.is_empty(), breaks) {
            (_, 0) => "-",
            (false, 1) => "",
            _ if header.keep => "+",
            // More final line breaks than clipping gives, in a scalar that was not `+`.
            _ => return emit::double_quoted(text),
        };
        // Empty lines that `+` keeps after the content (the last content line ends with the
        // first line break).
        let kept_empty = if body.is_empty() {
            breaks
        } else {
            breaks.saturating_sub(1)
        };

        let lines: Vec<&str> = if body.is_empty() {
            Vec::new()
        } else {
            body.split('\n').collect()
        };
        let folded = s.style == Style::Folded
            && !body.starts_with('\n')
            && lines
                .iter()
                .all(|l| !l.starts_with([' ', '\t']) && !l.ends_with([' ', '\t']) && !l.is_empty());
        let indicator = if folded { '>' } else { '|' };

        // Content indentation: the old scalar's, or one step below its parent when it had none.
        // A scalar with no content may end before its header line does (a comment after the
        // indicators is not part of it). An indentation indicator fixes the indentation even
        // when the lines hold only spaces (`|4` holding " \n"), and the indicator is kept.
        let has_content = src
            .get(header_line_end..s.end)
            .is_some_and(|body| body.chars().any(|c| !c.is_whitespace()));
        let parent = self.parent_indent(node);
        let unit = self.doc.index.indent_unit as i64;
        let indent = if has_content || header.indent.is_some() {
            s.indent
        } else {
            // The index's step is at least 1 (a nesting it measured, or 2).
            (parent.max(0) + unit) as usize
        }
        .max(1);
        let first = lines.iter().find(|l| !l.is_empty());
        let digit = match header.indent {
            Some(d) => Some(d),
            None if first.is_some_and(|l| l.starts_with([' ', '\t'])) => {
                let d = indent as i64 - parent.max(0);
                if !(1..=9).contains(&d) {
                    return emit::double_quoted(text);
                }
                Some(d as usize)
            }
            None => None,
        };

        let eol = self.doc.eol;
        let pad = " ".repeat(indent);
        let mut out = String::new();
        out.push(indicator);
        if let Some(d) = digit {
            out.push_str(&d.to_string());
        }
        out.push_str(chomp);
        out.push_str(header_rest);
        for (i, line) in lines.iter().enumerate() {
            if folded && i > 0 {
                // A single line break between two lines folds to a space: write an empty line
                // for the break the text has.
                out.push_str(eol);
            }
            out.push_str(eol);
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
        for _ in 0..kept_empty {
            out.push_str(eol);
        }
        out
    }
}
