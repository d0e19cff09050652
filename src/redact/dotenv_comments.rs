//! Secret values in the comment lines of a `.env` file.
//!
//! A removed variable is commented out statement by statement (`# SHARED_SECRET=…`, and for a
//! double-quoted value over several lines `# ` before each of its lines), so its value is no
//! longer part of the document. Each comment line is read back as a statement (the `#` and the
//! blanks after it taken off, following comment lines added while a quote is still open), and
//! the same rule as for the document's own variables decides whether its value is secret.

use std::ops::Range;

use super::{is_secret_entry, is_secret_value};
use crate::dotenv::{DotenvDocument, Statement};

/// How many comment lines one commented value may span (a PEM key is a few dozen).
const MAX_VALUE_LINES: usize = 200;

/// A comment line: where its body (after `#` and blanks) starts and ends, in the text.
struct CommentLine {
    body: Range<usize>,
}

/// The comment lines of `src` by line, `None` for other lines.
fn comment_lines(src: &str) -> Vec<Option<CommentLine>> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in src.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        let trimmed = content.trim_start_matches([' ', '\t']);
        out.push(trimmed.strip_prefix('#').map(|rest| {
            let body = rest.trim_start_matches([' ', '\t']);
            let start = at + content.len() - body.len();
            CommentLine {
                body: start..at + content.len(),
            }
        }));
        at += line.len();
    }
    out
}

/// The statement a text holds, when it holds exactly one.
fn one_statement(text: &str) -> Option<Statement> {
    match DotenvDocument::parse(text.to_owned()) {
        Ok(doc) => match doc.statements() {
            [one] => Some(one.clone()),
            _ => None,
        },
        Err(_) => None,
    }
}

/// The spans of secret values in the comment lines of `text` (a `.env` file), and the values.
pub(super) fn secret_spans(text: &str) -> (Vec<Range<usize>>, Vec<String>) {
    let lines = comment_lines(text);
    let mut spans = Vec::new();
    let mut secrets = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(first) = &lines[i] else {
            i += 1;
            continue;
        };
        // The statement on this comment line, with the following comment lines while it does
        // not parse (an open quote).
        let mut joined = text[first.body.clone()].to_owned();
        let mut bodies = vec![first.body.clone()];
        let mut statement = None;
        loop {
            if let Some(one) = one_statement(&joined) {
                statement = Some(one);
                break;
            }
            // Only an open quote continues on the next comment line (prose does not).
            if !["\"", "'"]
                .iter()
                .any(|q| one_statement(&format!("{joined}{q}")).is_some())
            {
                break;
            }
            let next = i + bodies.len();
            match lines.get(next) {
                Some(Some(line)) if bodies.len() < MAX_VALUE_LINES => {
                    joined.push('\n');
                    // The tool writes `# ` before a continuation line; the text after it is the
                    // value's line (an empty one is written `#`).
                    let body = &text[line.body.clone()];
                    joined.push_str(body);
                    bodies.push(line.body.clone());
                }
                _ => break,
            }
        }
        let Some(s) = statement else {
            i += 1;
            continue;
        };
        let data = s.data.as_deref();
        let secret = is_secret_entry(&s.name, &[], data) || data.is_some_and(is_secret_value);
        if secret && !s.value.is_empty() {
            let start = first.body.start + s.value.start;
            if bodies.len() == 1 {
                spans.push(start..first.body.start + s.value.end);
            } else {
                spans.push(start..first.body.end);
                spans.extend(bodies[1..].iter().filter(|b| !b.is_empty()).cloned());
            }
            secrets.extend(data.map(str::to_owned));
        }
        i += bodies.len();
    }
    (spans, secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(text: &str) -> Vec<&str> {
        secret_spans(text).0.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn commented_secret_variables_are_found() {
        let text = "# removed in v0.20\n# SHARED_SECRET=abc # note\nIDP_PROVIDER=google\n#  export COOKIE_SECRET='x y'\n# IDP_PROVIDER=google\n";
        assert_eq!(hidden(text), ["abc", "'x y'"]);
    }

    #[test]
    fn a_multi_line_value_is_hidden_on_every_line() {
        let text = "# CERTIFICATE_KEY=\"-----BEGIN PRIVATE KEY-----\n# MIIabc\n#\n# -----END PRIVATE KEY-----\"\n# A=1\n";
        assert_eq!(
            hidden(text),
            [
                "\"-----BEGIN PRIVATE KEY-----",
                "MIIabc",
                "-----END PRIVATE KEY-----\""
            ]
        );
    }

    #[test]
    fn prose_and_paths_stay() {
        let text = "# Pomerium's settings\n# CERTIFICATE_KEY=/etc/ssl/key.pem\n# open \"quote\n";
        assert!(hidden(text).is_empty());
    }

    #[test]
    fn secrets_by_value_are_found_under_any_name() {
        let text = "# MY_DB=postgres://u:pw@db/x\r\n";
        assert_eq!(hidden(text), ["postgres://u:pw@db/x"]);
    }
}
