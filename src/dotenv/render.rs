//! Turns a batch of edits into splices of a `.env` text.
//!
//! Every statement stands on lines of its own, so each edit is a replacement inside a statement
//! (a name, a value) or whole lines inserted or removed around one. New lines are written the
//! way their neighbour is: its indentation, `export `, the text between name and value, its
//! quoting where the new value allows it, and the file's line break.

use std::collections::{HashMap, HashSet};

use super::{DotenvDocument, Quote, Statement, emit, is_name, line_content_end, next_line_start};
use crate::document::splice::SplicePlan;
use crate::document::{Edit, EditError, EntryId, Location, NodeId, Position, Value};

struct Insertion {
    position: Position,
    key: String,
    value: String,
    edit: usize,
}

pub(crate) struct Renderer<'a> {
    doc: &'a DotenvDocument,
    /// The document's text without its BOM, ending with a line break.
    src: &'a str,
    plan: SplicePlan<usize>,
    /// Statements that an edit deletes or comments out, and that edit.
    removed: HashMap<usize, usize>,
    renames: Vec<(usize, String)>,
    inserts: Vec<Insertion>,
    /// Comment lines above statements ([`Edit::Annotate`]): statement, text, edit.
    annotations: Vec<(usize, String, usize)>,
}

/// A comment cannot hold line breaks or other control characters.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect()
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(doc: &'a DotenvDocument, src: &'a str) -> Renderer<'a> {
        Renderer {
            doc,
            src,
            plan: SplicePlan::default(),
            removed: HashMap::new(),
            renames: Vec::new(),
            inserts: Vec::new(),
            annotations: Vec::new(),
        }
    }

    pub(crate) fn render(mut self, edits: &[Edit]) -> Result<String, EditError> {
        for (i, edit) in edits.iter().enumerate() {
            if let Edit::Delete { entry } | Edit::CommentOut { entry, .. } = edit {
                let (index, s) = self.statement(*entry)?;
                if self.removed.insert(index, i).is_some() {
                    return Err(self.conflict(s.key.start));
                }
            }
        }
        for (i, edit) in edits.iter().enumerate() {
            self.edit(i, edit)?;
        }
        self.check_keys()?;
        self.plan_inserts()?;
        self.plan_annotations();
        self.plan.sort();
        if let Some(at) = self.plan.first_overlap() {
            return Err(self.conflict(at));
        }
        Ok(self.plan.apply("", self.src))
    }

    fn location(&self, pos: usize) -> Location {
        self.doc.location_at(pos)
    }

    fn conflict(&self, pos: usize) -> EditError {
        EditError::Conflict {
            location: self.location(pos),
        }
    }

    fn unsupported(&self, pos: usize, what: &'static str) -> EditError {
        EditError::Unsupported {
            location: self.location(pos),
            what,
        }
    }

    fn statement(&self, entry: EntryId) -> Result<(usize, &'a Statement), EditError> {
        let doc: &'a DotenvDocument = self.doc;
        match doc.statement(entry) {
            Some(s) => Ok((entry.index, s)),
            None => Err(EditError::Invalid {
                location: Location { line: 1, column: 1 },
                what: "the entry to edit does not exist",
            }),
        }
    }

    /// The statement whose value `node` is, not removed by this batch.
    fn value_statement(&self, node: NodeId) -> Result<&'a Statement, EditError> {
        let doc: &'a DotenvDocument = self.doc;
        let Some((index, s)) = doc.statement_of_value(node) else {
            return Err(EditError::Invalid {
                location: Location { line: 1, column: 1 },
                what: "the node to set is not the value of a variable",
            });
        };
        if self.removed.contains_key(&index) {
            return Err(self.conflict(s.key.start));
        }
        Ok(s)
    }

    /// The start of the line after a statement.
    fn end_of(&self, s: &Statement) -> usize {
        next_line_start(self.src, s.last_line)
    }

    fn edit(&mut self, i: usize, edit: &Edit) -> Result<(), EditError> {
        match edit {
            Edit::RenameKey { entry, new_key } => {
                let (index, s) = self.statement(*entry)?;
                if self.removed.contains_key(&index) {
                    return Err(self.conflict(s.key.start));
                }
                if !is_name(new_key) {
                    return Err(self.unsupported(
                        s.key.start,
                        "a variable name other than letters, digits and `_ . - [ ]`",
                    ));
                }
                self.plan.push(s.key.clone(), new_key.clone(), false, i);
                self.renames.push((index, new_key.clone()));
                Ok(())
            }
            Edit::SetScalar { node, value } | Edit::ReplaceValue { node, value } => {
                self.set(i, *node, value)
            }
            Edit::DeleteItem { .. } | Edit::CommentOutItem { .. } | Edit::AnnotateItem { .. } => {
                Err(EditError::Invalid {
                    location: Location { line: 1, column: 1 },
                    what: "a .env file has no lists, so no item to edit",
                })
            }
            Edit::ReplaceBlock { .. } => Err(EditError::Invalid {
                location: Location { line: 1, column: 1 },
                what: "a .env file has no YAML block to replace",
            }),
            Edit::Insert {
                map,
                position,
                key,
                value,
            } => {
                if !self.doc.is_root(*map) {
                    return Err(EditError::Invalid {
                        location: Location { line: 1, column: 1 },
                        what: "the node to insert into is not the file's mapping",
                    });
                }
                if let Position::After(e) = position {
                    self.statement(*e)?;
                }
                let at = self.src.len();
                if !is_name(key) {
                    return Err(self.unsupported(
                        at,
                        "a variable name other than letters, digits and `_ . - [ ]`",
                    ));
                }
                let Value::String(value) = value else {
                    return Err(self.unsupported(at, "a .env value other than a string"));
                };
                self.inserts.push(Insertion {
                    position: *position,
                    key: key.clone(),
                    value: value.clone(),
                    edit: i,
                });
                Ok(())
            }
            Edit::CommentOut { entry, note } => {
                let (_, s) = self.statement(*entry)?;
                self.comment_out(s, note, i);
                Ok(())
            }
            Edit::Delete { entry } => {
                let (_, s) = self.statement(*entry)?;
                self.plan
                    .push(s.line_start..self.end_of(s), String::new(), false, i);
                Ok(())
            }
            Edit::Annotate { entry, text } => {
                let (index, s) = self.statement(*entry)?;
                if self.removed.contains_key(&index) {
                    return Err(self.conflict(s.key.start));
                }
                self.annotations.push((index, text.clone(), i));
                Ok(())
            }
        }
    }

    fn set(&mut self, i: usize, node: NodeId, value: &Value) -> Result<(), EditError> {
        let s = self.value_statement(node)?;
        if s.quote == Quote::Bare {
            return Err(self.unsupported(
                s.key.start,
                "a variable written without `=` takes its value from compose's environment",
            ));
        }
        let Value::String(value) = value else {
            return Err(self.unsupported(s.value.start, "a .env value other than a string"));
        };
        // An empty unquoted value before a comment would read the comment as the value.
        let rest = &self.src[s.value.end..line_content_end(self.src, s.value.end)];
        let quote = match s.quote {
            Quote::Plain if value.is_empty() && !rest.trim().is_empty() => Quote::Single,
            quote => quote,
        };
        let text =
            emit::value(value, quote).map_err(|what| self.unsupported(s.value.start, what))?;
        self.plan.push(s.value.clone(), text, false, i);
        Ok(())
    }

    /// `# ` before each line of the statement, under a note line.
    fn comment_out(&mut self, s: &Statement, note: &str, i: usize) {
        let src = self.src;
        let eol = self.doc.eol;
        let indent = &src[s.line_start..s.start];
        let note = one_line(note);
        self.plan.push(
            s.line_start..s.line_start,
            format!("{indent}# {note}{eol}"),
            true,
            i,
        );
        self.plan.push(s.start..s.start, "# ".into(), true, i);
        let mut line = next_line_start(src, s.start);
        while line <= s.last_line && line < src.len() {
            let mark = if line_content_end(src, line) == line {
                "#"
            } else {
                "# "
            };
            self.plan.push(line..line, mark.into(), true, i);
            line = next_line_start(src, line);
        }
    }

    /// Refuses a batch that would leave a variable set twice.
    fn check_keys(&self) -> Result<(), EditError> {
        let statements = self.doc.statements();
        let mut names: Vec<&str> = Vec::new();
        for (index, s) in statements.iter().enumerate() {
            if self.removed.contains_key(&index) {
                continue;
            }
            let name = self
                .renames
                .iter()
                .rev()
                .find(|(r, _)| *r == index)
                .map_or(s.name.as_str(), |(_, k)| k.as_str());
            names.push(name);
        }
        names.extend(self.inserts.iter().map(|ins| ins.key.as_str()));
        let mut seen = HashSet::new();
        for name in names {
            if !seen.insert(name) {
                return Err(EditError::DuplicateKey {
                    location: Location { line: 1, column: 1 },
                    key: name.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// New `NAME=value` lines: after their anchor, or after the last statement. Those after an
    /// entry go before those at the end, in batch order, as `Document::expected_data` places
    /// them.
    fn plan_inserts(&mut self) -> Result<(), EditError> {
        let mut inserts = std::mem::take(&mut self.inserts);
        inserts.sort_by_key(|ins| matches!(ins.position, Position::End));
        let statements = self.doc.statements();
        for ins in inserts {
            let anchor = match ins.position {
                Position::After(e) => statements.get(e.index),
                Position::End => statements.last(),
            };
            let (at, line) = match anchor {
                Some(a) => {
                    let indent = &self.src[a.line_start..a.start];
                    let export = &self.src[a.start..a.key.start];
                    let separator = match a.quote {
                        Quote::Bare => "=",
                        _ => &self.src[a.key.end..a.value.start],
                    };
                    let value = emit::value(&ins.value, a.quote)
                        .map_err(|what| self.unsupported(a.key.start, what))?;
                    (
                        self.end_of(a),
                        format!("{indent}{export}{}{separator}{value}", ins.key),
                    )
                }
                None => {
                    let at = self.src.len();
                    let value = emit::value(&ins.value, Quote::Plain)
                        .map_err(|what| self.unsupported(at, what))?;
                    (at, format!("{}={value}", ins.key))
                }
            };
            let eol = self.doc.eol;
            self.plan
                .push(at..at, format!("{line}{eol}"), false, ins.edit);
        }
        Ok(())
    }

    /// Comment lines above annotated statements, planned last so that they come right above
    /// their statement.
    fn plan_annotations(&mut self) {
        let statements = self.doc.statements();
        let eol = self.doc.eol;
        for (index, text, i) in std::mem::take(&mut self.annotations) {
            let s = &statements[index];
            let indent = &self.src[s.line_start..s.start];
            let text = one_line(&text);
            self.plan.push(
                s.line_start..s.line_start,
                format!("{indent}# {text}{eol}"),
                true,
                i,
            );
        }
    }
}
