//! Redaction as it read keys before each distinct key was judged once: kept as the oracle the
//! tests compare with.

use std::ops::Range;

use super::{
    CommentLine, Format, REDACTED, Redacted, SecretValue, dotenv_comments, is_encoded_route_list,
    is_env_name, is_secret_entry, is_secret_key, is_secret_value as secret_value, is_value_header,
    kubernetes, replace_spans, toml_comments, unquote,
};
use crate::document::{Document, NodeId, NodeKind, Value};

/// The old [`super::is_secret_value`], allocating.
pub(super) fn is_secret_value(value: &str) -> bool {
    value.contains("PRIVATE KEY-----")
        || super::has_url_password(value)
        || value.to_ascii_lowercase().contains("password=")
        || is_base64_private_key(value)
}

fn is_base64_private_key(value: &str) -> bool {
    use base64::Engine as _;
    let compact: String = value.split_whitespace().collect();
    if compact.len() < 64
        || !compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return false;
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .is_ok_and(|bytes| super::contains(&bytes, b"PRIVATE KEY"))
}

pub fn redact(doc: &Document) -> Redacted {
    let mut finder = SpanFinder {
        doc,
        spans: Vec::new(),
        secrets: Vec::new(),
        alias_budget: 10_000,
    };
    if let Some(root) = doc.root() {
        finder.walk(root, &mut Vec::new(), false);
    }
    let SpanFinder {
        mut spans,
        mut secrets,
        ..
    } = finder;
    if doc.format() == Format::Toml {
        let (comment_spans, comment_secrets) = toml_comments::secret_spans(doc.text());
        spans.extend(comment_spans);
        secrets.extend(comment_secrets);
    }
    if doc.format() == Format::Dotenv {
        let (comment_spans, comment_secrets) = dotenv_comments::secret_spans(doc.text());
        spans.extend(comment_spans);
        secrets.extend(comment_secrets);
    }
    // A manifest's Secrets and embedded configs: whole values replaced, or redacted inside.
    let (whole, manifest_secrets) = kubernetes::replacements(doc);
    secrets.extend(manifest_secrets);
    spans.retain(|s| {
        !whole
            .iter()
            .any(|(r, _)| r.start <= s.start && s.end <= r.end)
    });
    let text = replace_spans(doc.text(), &mut spans, whole);
    // `# KEY: value` comments, also in TOML (an option kept from a YAML config); JSON has none.
    let (text, comment_secrets) = redact_comments(&text);
    secrets.extend(comment_secrets);
    secrets.sort();
    secrets.dedup();
    Redacted { text, secrets }
}

struct SpanFinder<'d> {
    doc: &'d Document,
    spans: Vec<Range<usize>>,
    secrets: Vec<String>,
    /// Bounds the work of following aliases under secret keys (alias bombs).
    alias_budget: usize,
}

impl SpanFinder<'_> {
    fn walk(&mut self, id: NodeId, ancestors: &mut Vec<String>, secret: bool) {
        let target = self.doc.resolve(id);
        if target != id {
            // An alias: its anchor is visited where it is written; under a secret key the
            // anchored value is secret too, wherever it is written.
            if secret && self.alias_budget > 0 {
                self.alias_budget -= 1;
                self.walk(target, ancestors, true);
            }
            return;
        }
        match &self.doc.node(id).kind {
            NodeKind::Scalar(value) => {
                let text = match value {
                    Value::String(s) => Some(s.as_str()),
                    _ => None,
                };
                if secret || text.is_some_and(is_secret_value) {
                    self.spans.push(self.doc.span(id));
                    if let Some(t) = value.scalar_text() {
                        self.secrets.push(t);
                    }
                }
            }
            NodeKind::Sequence(items) => {
                for item in items.clone() {
                    if !secret && self.env_item(item) {
                        continue;
                    }
                    self.walk(item, ancestors, secret);
                }
            }
            NodeKind::Mapping(entries) => {
                // A Kubernetes `env:` entry: `name: SHARED_SECRET` makes its `value` secret,
                // and `name: POLICY` its base64 route list.
                let env_name = entries
                    .iter()
                    .find(|e| e.key == "name")
                    .and_then(|e| self.doc.str(e.value))
                    .map(str::to_owned);
                let named_secret = env_name
                    .as_deref()
                    .is_some_and(|n| is_env_name(n) && is_secret_key(n, &[]));
                for entry in entries.clone() {
                    if named_secret && entry.key == "value" {
                        ancestors.push(entry.key.to_string());
                        self.walk(entry.value, ancestors, true);
                        ancestors.pop();
                        continue;
                    }
                    let names: Vec<&str> = ancestors.iter().map(String::as_str).collect();
                    // A path is shown only when written here (not through an alias).
                    let written_here = self.doc.resolve(entry.value) == entry.value;
                    let text = match &self.doc.node(entry.value).kind {
                        NodeKind::Scalar(Value::String(s)) if written_here => Some(s.as_str()),
                        _ => None,
                    };
                    let variable = if entry.key == "value" {
                        env_name.as_deref().unwrap_or_default()
                    } else {
                        entry.key.as_str()
                    };
                    let entry_secret = secret
                        || is_secret_entry(&entry.key, &names, text)
                        || text.is_some_and(|t| is_encoded_route_list(variable, t));
                    ancestors.push(entry.key.to_string());
                    self.walk(entry.value, ancestors, entry_secret);
                    ancestors.pop();
                }
            }
            NodeKind::Alias(_) => {}
        }
    }
}

impl SpanFinder<'_> {
    /// A list-form environment item (`- SHARED_SECRET=value`, docker-compose): when the name is
    /// secret, the value after `=` is. Returns whether the item was such a secret item.
    fn env_item(&mut self, item: NodeId) -> bool {
        let Some((name, value)) = self.doc.str(item).and_then(|t| t.split_once('=')) else {
            return false;
        };
        if value.is_empty() || !is_env_name(name) || !is_secret_key(name, &[]) {
            return false;
        }
        let span = self.doc.span(item);
        let written = &self.doc.text()[span.clone()];
        let Some(eq) = written.find('=') else {
            return false;
        };
        let quoted = written.starts_with(['"', '\'']);
        let end = span.end - usize::from(quoted && written.len() > eq + 1);
        if span.start + eq + 1 < end {
            self.spans.push(span.start + eq + 1..end);
            self.secrets.push(value.to_owned());
        }
        true
    }
}

/// The old [`super::scrub`], which worked out its needles for every message.
pub(super) fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    let mut needles: Vec<String> = Vec::new();
    for secret in secrets {
        let secret = secret.trim();
        if secret.chars().count() < 4 || secret == super::REDACTED {
            continue;
        }
        needles.push(secret.to_owned());
        let escaped = format!("{secret:?}");
        needles.push(escaped[1..escaped.len() - 1].to_owned());
        if secret.contains('\n') {
            needles.extend(
                secret
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.len() >= 16)
                    .map(str::to_owned),
            );
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    needles.dedup();
    for needle in needles {
        if out.contains(&needle) {
            out = out.replace(&needle, super::REDACTED);
        }
    }
    out
}

/// The old [`super::redact_comments`], which cut the whole text into lines and parsed each as a
/// comment.
pub(super) fn redact_comments(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut secrets = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut inside: Option<SecretValue> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        let eol = &line[content.len()..];
        let Some(comment) = CommentLine::parse(content) else {
            stack.clear();
            inside = None;
            out.push_str(line);
            continue;
        };
        if comment.body.trim().is_empty() {
            out.push_str(line);
            continue;
        }
        if let Some(value) = &mut inside {
            if comment.indent > value.indent {
                out.push_str(&value.redact_line(&comment, &mut secrets));
                out.push_str(eol);
                continue;
            }
            inside = None;
        }
        let Some(entry) = comment.entry() else {
            out.push_str(line);
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= entry.indent) {
            stack.pop();
        }
        let ancestors: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
        let value = entry.value.trim();
        let by_key = is_secret_entry(entry.key, &ancestors, Some(unquote(value)));
        if by_key {
            inside = Some(SecretValue::below(entry.indent, value));
        }
        if (by_key || secret_value(value)) && !is_value_header(value) {
            secrets.push(value.to_owned());
            out.push_str(&content[..entry.value_start]);
            out.push(' ');
            out.push_str(REDACTED);
            out.push_str(eol);
        } else {
            out.push_str(line);
        }
        stack.push((entry.indent, entry.key.to_owned()));
    }
    (out, secrets)
}
