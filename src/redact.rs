//! Keeping secret values out of everything the tool prints (see "Secrets" in
//! `docs/ARCHITECTURE.md`).
//!
//! Diffs are computed between redacted texts, so a secret never reaches the terminal or a CI log
//! unless `--show-secrets` asks for it. What counts as secret is decided by one rule, applied both
//! to the document's nodes and to comment lines (a removed `shared_secret` is commented out, so it
//! is no longer a node but its value is still in the text):
//!
//! * **By key** (compared in lower case with `-` read as `_`, so `signing-key` = `signing_key`,
//!   and an environment variable such as `SHARED_SECRET` is judged by the key it sets):
//!   the names in [`SECRET_KEYS`]; any key ending in `_secret`, `_key`, `_keys`, `_password`,
//!   `_token`, `_service_account` or `_connection_string` (in Pomerium every such key holds key
//!   material or credentials; the `…_file` variants hold paths and are not secret); and `key`
//!   inside `certificates` (the private key of a certificate pair). Everything under a secret key
//!   is secret (a service account written as a mapping, a list of SSH host keys).
//! * **Paths are shown** for the keys that take either key material or the path of a file
//!   holding it (`key` inside `certificates`, `certificate_key`): a value that is clearly a file
//!   path ([`is_clearly_a_path`]) is not a secret, and hiding it would hide where v0.24 put a
//!   decoded key. Keys that only ever hold secrets (`shared_secret`, `signing_key`, …) stay
//!   hidden whatever their value looks like.
//! * **By value**, whatever the key: PEM private keys, base64 text that decodes to one, URLs with
//!   a password (`postgres://user:password@host`) and keyword/value connection strings with a
//!   `password=` field.
//!
//! Redacting too much only hides a value from the display; the written files are never redacted.

use std::ops::Range;

use base64::Engine as _;

use crate::document::splice;
use crate::document::{Document, Format, NodeId, NodeKind, Value};
use crate::keys::cache::KeyCache;

mod dotenv_comments;
mod kubernetes;
#[cfg(test)]
mod oracle;
mod toml_comments;

/// What a secret value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Secret keys that the suffix rules do not catch, normalised (lower case, `_`).
pub const SECRET_KEYS: &[&str] = &[
    "database_url",
    "idp_service_account",
    "google_cloud_serverless_authentication_service_account",
    "databroker_storage_connection_string",
    "key_bytes",
    "password",
];

/// Suffixes of secret keys, normalised.
const SECRET_SUFFIXES: &[&str] = &[
    "_secret",
    "_key",
    "_keys",
    "_password",
    "_token",
    "_service_account",
    "_connection_string",
];

/// Whether values of `key` are secret. `ancestors` are the keys of the enclosing mappings,
/// outermost first (needed for `key`, which is secret only inside `certificates`).
pub fn is_secret_key(key: &str, ancestors: &[&str]) -> bool {
    let key = normalize(key);
    if key == "key" {
        return ancestors.iter().any(|a| normalize(a) == "certificates");
    }
    SECRET_KEYS.contains(&key.as_str()) || SECRET_SUFFIXES.iter().any(|s| key.ends_with(s))
}

/// Whether `key` takes either key material or the path of a file that holds it: the `key` of a
/// `certificates` item (Pomerium tried base64 first, then a path) and `certificate_key`.
pub fn takes_key_or_path(key: &str, ancestors: &[&str]) -> bool {
    match normalize(key).as_str() {
        "key" => ancestors.iter().any(|a| normalize(a) == "certificates"),
        "certificate_key" => true,
        _ => false,
    }
}

/// Whether the value of `key` is secret, given its text (`None` for a collection or a value not
/// written here): secret keys are, except a clearly-a-path value of a key that may hold one.
pub fn is_secret_entry(key: &str, ancestors: &[&str], value: Option<&str>) -> bool {
    is_secret_key(key, ancestors)
        && !(takes_key_or_path(key, ancestors) && value.is_some_and(is_clearly_a_path))
}

/// File name endings of key and certificate files.
const KEY_FILE_EXTENSIONS: &[&str] = &[".pem", ".key", ".crt", ".cer", ".der", ".p8"];

/// Whether a value is clearly a file path and not key material: one word that names a directory
/// with a character base64 does not use (`certs/app-key.pem`, `/etc/ssl/app.key`), or ends in
/// a key or certificate file extension; and not secret by its content. A path written only in
/// base64's alphabet (`/run/secrets/tlskey`) is not told apart from base64 and stays hidden.
pub fn is_clearly_a_path(value: &str) -> bool {
    let value = value.trim();
    let outside_base64 = value
        .bytes()
        .any(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')));
    let lower = value.to_ascii_lowercase();
    !value.is_empty()
        && !value.contains(char::is_whitespace)
        && ((value.contains('/') && outside_base64)
            || KEY_FILE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext)))
        && !is_secret_value(value)
}

/// A key compared in snake_case: lower case, `-` read as `_`, and a camelCase Helm value name
/// read as the option its chart writes (`signingKey` = `signing_key`, see
/// `surface::helm_tables::snake_case`).
fn normalize(key: &str) -> String {
    crate::surface::helm_tables::snake_case(key.trim())
        .to_ascii_lowercase()
        .replace('-', "_")
}

/// Whether `value` is the base64 route list of a `POLICY` or `ROUTES` variable: shown only
/// decoded, where the ordinary rule redacts it (the encoded text would show every route's
/// secrets at once).
pub fn is_encoded_route_list(variable: &str, value: &str) -> bool {
    matches!(variable, "POLICY" | "ROUTES") && crate::surface::encoded::decode(value).is_ok()
}

/// Whether a value is secret by its content, whatever its key. Every value of a document is
/// asked, so nothing is allocated unless the value may be base64 key material.
pub fn is_secret_value(value: &str) -> bool {
    // Most values are short words: each test is skipped when the value is too short for it or
    // lacks a character it needs (found with one `memchr`).
    let bytes = value.as_bytes();
    (bytes.len() >= 16 && memchr::memmem::find(bytes, b"PRIVATE KEY-----").is_some())
        || (memchr::memchr(b':', bytes).is_some() && has_url_password(value))
        || (memchr::memchr(b'=', bytes).is_some()
            && contains_ignoring_ascii_case(bytes, b"password="))
        || (bytes.len() >= 64 && is_base64_private_key(value))
}

/// Whether `haystack` contains `needle` (ASCII) with ASCII letters compared in either case.
fn contains_ignoring_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// `scheme://user:password@host…` with a non-empty password.
fn has_url_password(value: &str) -> bool {
    let mut rest = value;
    // Found from its `:`: `str::find` builds a two-way searcher on every call, and this is
    // asked of every value with a `:` in it.
    let scheme_end = |s: &str| {
        memchr::memchr_iter(b':', s.as_bytes())
            .find(|&i| s.as_bytes().get(i + 1..i + 3) == Some(b"//"))
    };
    while let Some(at) = scheme_end(rest) {
        let after = &rest[at + 3..];
        let authority_end = after.find(['/', '?', '#', ' ']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(userinfo_end) = authority.rfind('@')
            && let Some((_, password)) = authority[..userinfo_end].split_once(':')
            && !password.is_empty()
        {
            return true;
        }
        rest = after;
    }
    false
}

fn is_base64_private_key(value: &str) -> bool {
    // Without whitespace it must be 64 characters of base64 at least: checked before the
    // compact text is built.
    let mut compact_len = 0;
    for c in value.chars().filter(|c| !c.is_whitespace()) {
        if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')) {
            return false;
        }
        compact_len += 1;
    }
    if compact_len < 64 {
        return false;
    }
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
        .is_ok_and(|bytes| contains(&bytes, b"PRIVATE KEY"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A document's text with its secrets replaced, and the secret values found (to scrub messages).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub secrets: Vec<String>,
}

/// The document's text with every secret value replaced by [`REDACTED`]: nodes, and
/// commented-out entries (`# KEY: value` lines, in a TOML file `# key = value` lines read
/// back as TOML by the `toml_comments` module, in a `.env` file `# NAME=value` lines read back
/// by the `dotenv_comments` module).
pub fn redact(doc: &Document) -> Redacted {
    let mut finder = SpanFinder::new(doc, 10_000);
    if let Some(root) = doc.root() {
        finder.walk(root, 0, false);
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

/// What the secret rule says about a key, whatever its place (see [`is_secret_entry`]): worked
/// out once per distinct key of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct KeyRule {
    /// Secret by name wherever it is (`shared_secret`, `*_key`, …).
    secret: bool,
    /// `key`: secret, and taking a path, inside `certificates` only.
    certificate_pair_key: bool,
    /// Takes key material or a path wherever it is (`certificate_key`).
    key_or_path: bool,
    /// `certificates`, which makes a `key` below it secret.
    certificates: bool,
}

impl KeyRule {
    fn of(key: &str) -> KeyRule {
        let norm = normalize(key);
        let certificate_pair_key = norm == "key";
        KeyRule {
            secret: !certificate_pair_key
                && (SECRET_KEYS.contains(&norm.as_str())
                    || SECRET_SUFFIXES.iter().any(|s| norm.ends_with(s))),
            certificate_pair_key,
            key_or_path: norm == "certificate_key",
            certificates: norm == "certificates",
        }
    }

    /// [`is_secret_entry`] of this key below `certificates` ancestors named `certificates`.
    fn secret_entry(self, certificates: usize, value: Option<&str>) -> bool {
        let in_certificates = certificates > 0;
        let secret = self.secret || (self.certificate_pair_key && in_certificates);
        let key_or_path = self.key_or_path || (self.certificate_pair_key && in_certificates);
        secret && !(key_or_path && value.is_some_and(is_clearly_a_path))
    }
}

struct SpanFinder<'d> {
    doc: &'d Document,
    spans: Vec<Range<usize>>,
    secrets: Vec<String>,
    /// Bounds the work of following aliases under secret keys (alias bombs).
    alias_budget: usize,
    /// The rule of every key met so far (a file repeats the same keys in every route).
    keys: KeyCache<'d, KeyRule>,
}

impl<'d> SpanFinder<'d> {
    fn new(doc: &'d Document, alias_budget: usize) -> SpanFinder<'d> {
        SpanFinder {
            doc,
            spans: Vec::new(),
            secrets: Vec::new(),
            alias_budget,
            keys: KeyCache::new(),
        }
    }

    /// Visits `id`, the value of the keys `ancestors` (outermost first).
    fn walk_below(&mut self, id: NodeId, ancestors: &[String], secret: bool) {
        let certificates = ancestors
            .iter()
            .filter(|a| KeyRule::of(a).certificates)
            .count();
        self.walk(id, certificates, secret);
    }

    fn key_rule(&mut self, key: &'d str) -> KeyRule {
        self.keys.get(key, KeyRule::of)
    }

    /// Visits `id`; `certificates` is how many of the enclosing mappings' keys are
    /// `certificates` (all that matters of the keys above for the rule).
    fn walk(&mut self, id: NodeId, certificates: usize, secret: bool) {
        let doc = self.doc;
        let target = doc.resolve(id);
        if target != id {
            // An alias: its anchor is visited where it is written; under a secret key the
            // anchored value is secret too, wherever it is written.
            if secret && self.alias_budget > 0 {
                self.alias_budget -= 1;
                self.walk(target, certificates, true);
            }
            return;
        }
        match &doc.node(id).kind {
            NodeKind::Scalar(value) => {
                let text = match value {
                    Value::String(s) => Some(s.as_str()),
                    _ => None,
                };
                if secret || text.is_some_and(is_secret_value) {
                    self.spans.push(doc.span(id));
                    if let Some(t) = value.scalar_text() {
                        self.secrets.push(t);
                    }
                }
            }
            NodeKind::Sequence(items) => {
                for &item in items {
                    if !secret && self.env_item(item) {
                        continue;
                    }
                    self.walk(item, certificates, secret);
                }
            }
            NodeKind::Mapping(entries) => {
                // A Kubernetes `env:` entry: `name: SHARED_SECRET` makes its `value` secret,
                // and `name: POLICY` its base64 route list.
                let env_name = entries
                    .iter()
                    .find(|e| e.key == "name")
                    .and_then(|e| doc.str(e.value));
                let named_secret =
                    env_name.is_some_and(|n| is_env_name(n) && is_secret_key(n, &[]));
                for entry in entries {
                    let rule = self.key_rule(&entry.key);
                    let below = certificates + usize::from(rule.certificates);
                    if named_secret && entry.key == "value" {
                        self.walk(entry.value, below, true);
                        continue;
                    }
                    // A path is shown only when written here (not through an alias).
                    let written_here = doc.resolve(entry.value) == entry.value;
                    let text = match &doc.node(entry.value).kind {
                        NodeKind::Scalar(Value::String(s)) if written_here => Some(s.as_str()),
                        _ => None,
                    };
                    let variable = if entry.key == "value" {
                        env_name.unwrap_or_default()
                    } else {
                        entry.key.as_str()
                    };
                    let entry_secret = secret
                        || rule.secret_entry(certificates, text)
                        || text.is_some_and(|t| is_encoded_route_list(variable, t));
                    self.walk(entry.value, below, entry_secret);
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

/// Whether `name` is written like an environment variable (`SHARED_SECRET`).
fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Replaces each span by [`REDACTED`], keeping the span's trailing line breaks so that the lines
/// after it stay lines, and makes the `extra` replacements (which no span overlaps).
fn replace_spans(
    text: &str,
    spans: &mut [Range<usize>],
    extra: Vec<(Range<usize>, String)>,
) -> String {
    spans.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut replacements: Vec<(Range<usize>, String)> = Vec::with_capacity(spans.len());
    let mut done = 0;
    for span in spans.iter() {
        if span.start < done || span.start >= span.end {
            continue; // inside a span already replaced, or empty (nothing to hide)
        }
        let (Some(_), Some(secret)) = (text.get(done..span.start), text.get(span.clone())) else {
            continue;
        };
        let kept = secret.len() - secret.trim_end_matches(['\r', '\n']).len();
        let replacement = format!("{REDACTED}{}", &secret[secret.len() - kept..]);
        replacements.push((span.clone(), replacement));
        done = span.end;
    }
    replacements.extend(extra);
    replacements.sort_by_key(|(r, _)| r.start);
    splice::apply(
        text,
        replacements.iter().map(|(r, t)| (r.clone(), t.as_str())),
    )
}

/// Redacts `# KEY: value` comment lines whose KEY is secret, and the more indented comment lines
/// that follow one (the rest of a commented-out block scalar or collection). In a commented-out
/// collection (`# audit_key:` / `#   id: …`) the keys and `- ` markers stay, so that the diff
/// still shows what was there; only values are hidden. Returns the text and the values it hid.
pub fn redact_comments(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut block = CommentBlock::default();
    // Only comment lines are read, found from their `#`: the lines between two of them are
    // copied as they are and end the comment block before them.
    let bytes = text.as_bytes();
    let (mut copied, mut from) = (0, 0);
    while let Some(k) = memchr::memchr(b'#', &bytes[from..]) {
        let hash = from + k;
        let start = memchr::memrchr(b'\n', &bytes[..hash]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[hash..]).map_or(bytes.len(), |i| hash + i + 1);
        from = end;
        // A comment line: nothing but whitespace before its first `#`.
        if !text[start..hash].chars().all(char::is_whitespace) {
            continue;
        }
        if start != copied {
            out.push_str(&text[copied..start]);
            block.stack.clear();
            block.inside = None;
        }
        block.redact_line(&text[start..end], &mut out);
        copied = end;
    }
    out.push_str(&text[copied..]);
    (out, block.secrets)
}

/// What [`redact_comments`] knows of the comment lines read so far.
#[derive(Default)]
struct CommentBlock {
    /// The commented keys above this line in the current comment block: (indent, key).
    stack: Vec<(usize, String)>,
    /// The secret value the following, more indented comment lines belong to.
    inside: Option<SecretValue>,
    /// The values hidden so far (kept across blocks).
    secrets: Vec<String>,
}

impl CommentBlock {
    /// Writes comment `line` (with its line break) to `out`, redacted.
    fn redact_line(&mut self, line: &str, out: &mut String) {
        let content = line.trim_end_matches(['\r', '\n']);
        let eol = &line[content.len()..];
        let Some(comment) = CommentLine::parse(content) else {
            self.stack.clear();
            self.inside = None;
            out.push_str(line);
            return;
        };
        if comment.body.trim().is_empty() {
            out.push_str(line);
            return;
        }
        if let Some(value) = &mut self.inside {
            if comment.indent > value.indent {
                out.push_str(&value.redact_line(&comment, &mut self.secrets));
                out.push_str(eol);
                return;
            }
            self.inside = None;
        }
        let Some(entry) = comment.entry() else {
            out.push_str(line);
            return;
        };
        while self.stack.last().is_some_and(|(i, _)| *i >= entry.indent) {
            self.stack.pop();
        }
        let ancestors: Vec<&str> = self.stack.iter().map(|(_, k)| k.as_str()).collect();
        let value = entry.value.trim();
        let by_key = is_secret_entry(entry.key, &ancestors, Some(unquote(value)));
        if by_key {
            self.inside = Some(SecretValue::below(entry.indent, value));
        }
        if (by_key || is_secret_value(value)) && !is_value_header(value) {
            self.secrets.push(value.to_owned());
            out.push_str(&content[..entry.value_start]);
            out.push(' ');
            out.push_str(REDACTED);
            out.push_str(eol);
        } else {
            out.push_str(line);
        }
        self.stack.push((entry.indent, entry.key.to_owned()));
    }
}

/// `value` without the quotes of a quoted scalar.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// The commented-out value of a secret key, whose lines are more indented than the key.
struct SecretValue {
    /// The key's indentation.
    indent: usize,
    /// The value is a collection (nothing after the key but an anchor): its keys and item
    /// markers are structure, not secret, and stay.
    collection: bool,
    /// Inside the collection, lines deeper than this continue a scalar (a block scalar or a
    /// plain scalar over several lines) and are hidden whole.
    scalar_below: Option<usize>,
}

impl SecretValue {
    /// The value of a secret key at `indent` whose own line shows `value`.
    fn below(indent: usize, value: &str) -> SecretValue {
        let v = value.split_once(" #").map_or(value, |(v, _)| v).trim();
        SecretValue {
            indent,
            collection: v.is_empty() || (v.starts_with('&') && !v.contains(' ')),
            scalar_below: None,
        }
    }

    /// One more indented comment line of the value, redacted (without its line break).
    fn redact_line(&mut self, comment: &CommentLine<'_>, secrets: &mut Vec<String>) -> String {
        let whole = |secrets: &mut Vec<String>| {
            secrets.push(comment.body.trim().to_owned());
            format!("{}{}{REDACTED}", comment.prefix, " ".repeat(comment.indent))
        };
        if !self.collection || self.scalar_below.is_some_and(|s| comment.indent > s) {
            return whole(secrets);
        }
        self.scalar_below = None;
        if let Some(entry) = comment.entry() {
            let value = entry.value.trim();
            // Whatever continues this entry's value on deeper lines is part of it.
            self.scalar_below = Some(entry.indent);
            if value.is_empty() || (value.starts_with('&') && !value.contains(' ')) {
                self.scalar_below = None; // a nested collection: its keys stay too
                return comment.line.to_owned();
            }
            if is_value_header(value) {
                return comment.line.to_owned();
            }
            secrets.push(value.to_owned());
            return format!("{} {REDACTED}", &comment.line[..entry.value_start]);
        }
        // `- item`: keep the markers, hide the item.
        let body = comment.body.trim_start();
        let item = body.trim_start_matches(['-', ' ']);
        if body.starts_with("- ") && !item.is_empty() {
            let marker_end = comment.line.len() - item.len();
            self.scalar_below = Some(comment.indent + (body.len() - item.len()) - 1);
            secrets.push(item.trim().to_owned());
            return format!("{}{REDACTED}", &comment.line[..marker_end]);
        }
        whole(secrets)
    }
}

/// Whether a value text shows nothing secret: empty, or only a block scalar header or anchor.
fn is_value_header(value: &str) -> bool {
    let v = value.split_once(" #").map_or(value, |(v, _)| v).trim();
    v.is_empty()
        || (v.starts_with(['|', '>'])
            && v[1..]
                .chars()
                .all(|c| matches!(c, '+' | '-') || c.is_ascii_digit()))
        || (v.starts_with('&') && !v.contains(' '))
}

/// A line whose first non-blank character is `#`.
struct CommentLine<'a> {
    /// Everything up to the body: leading blanks, `#` and one following space.
    prefix: &'a str,
    /// Spaces before the body's text.
    indent: usize,
    body: &'a str,
    line: &'a str,
}

/// A `KEY: value` inside a comment.
struct CommentEntry<'a> {
    /// Indentation of the key inside the comment (`- ` items count as indentation).
    indent: usize,
    key: &'a str,
    /// Byte offset in the line where the value starts (right after `:`).
    value_start: usize,
    value: &'a str,
}

impl<'a> CommentLine<'a> {
    fn parse(line: &'a str) -> Option<CommentLine<'a>> {
        let hash = line.len() - line.trim_start().len();
        if !line[hash..].starts_with('#') {
            return None;
        }
        let mut prefix_end = hash + 1;
        if line[prefix_end..].starts_with(' ') {
            prefix_end += 1;
        }
        let rest = &line[prefix_end..];
        let indent = rest.len() - rest.trim_start_matches(' ').len();
        Some(CommentLine {
            prefix: &line[..prefix_end],
            indent,
            body: rest,
            line,
        })
    }

    fn entry(&self) -> Option<CommentEntry<'a>> {
        let mut pos = self.prefix.len() + self.indent;
        let mut indent = self.indent;
        let line = self.line;
        while line[pos..].starts_with("- ") {
            let after = &line[pos + 1..];
            let spaces = after.len() - after.trim_start_matches(' ').len();
            indent += 1 + spaces;
            pos += 1 + spaces;
        }
        let rest = &line[pos..];
        let (key, key_len) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let end = rest[1..].find(q)?;
                (&rest[1..1 + end], end + 2)
            }
            _ => {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
                    .unwrap_or(rest.len());
                (&rest[..end], end)
            }
        };
        if key.is_empty() || !rest[key_len..].starts_with(':') {
            return None;
        }
        let value_start = pos + key_len + 1;
        let value = &line[value_start..];
        if !(value.is_empty() || value.starts_with([' ', '\t'])) {
            return None; // `http://…` or `a:b`, not a key
        }
        Some(CommentEntry {
            indent,
            key,
            value_start,
            value,
        })
    }
}

/// Replaces every occurrence of a secret value in a message (defence in depth for errors and
/// findings, which are written not to contain values).
pub fn scrub(message: &str, secrets: &[String]) -> String {
    Scrubber::new(secrets).scrub(message)
}

/// [`scrub`] for many messages with the same secrets: what to look for is worked out once.
#[derive(Clone, Debug, Default)]
pub struct Scrubber {
    /// Longest first, so that a secret containing another is replaced whole; each with its
    /// searcher, built once.
    needles: Vec<(String, memchr::memmem::Finder<'static>)>,
}

impl Scrubber {
    pub fn new(secrets: &[String]) -> Scrubber {
        let mut needles: Vec<String> = Vec::new();
        for secret in secrets {
            let secret = secret.trim();
            if secret.chars().count() < 4 || secret == REDACTED {
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
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        let needles = needles
            .into_iter()
            .map(|n| {
                let finder = memchr::memmem::Finder::new(n.as_bytes()).into_owned();
                (n, finder)
            })
            .collect();
        Scrubber { needles }
    }

    /// `message` with every secret replaced by [`REDACTED`].
    pub fn scrub(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for (needle, finder) in &self.needles {
            if finder.find(out.as_bytes()).is_some() {
                out = out.replace(needle.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Judging each distinct key once redacts what judging every occurrence redacted.
        #[test]
        fn redaction_by_key_rule_matches_the_rule_per_occurrence(
            text in crate::detect::oracle::configs::config()
        ) {
            let Ok(doc) = Document::parse(text.clone(), Format::Yaml) else {
                return Err(proptest::test_runner::TestCaseError::reject("not YAML"));
            };
            proptest::prop_assert_eq!(redact(&doc), oracle::redact(&doc), "{}", text);
        }

        /// Reading only the lines that start with `#` redacts comments as reading every line
        /// did: comment blocks, secret keys and values, the lines below them, `#` elsewhere.
        #[test]
        fn comments_found_from_their_hash_are_redacted_as_before(
            lines in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["", "  ", "\t", "\u{a0}", " x ", "\r"]),
                    proptest::sample::select(vec![
                        "# shared_secret: c2VjcmV0",
                        "#   nested: value",
                        "# certificates:",
                        "#   - cert: a",
                        "#     key: LS0tLS1CRUdJTg==",
                        "# idp_client_secret: |",
                        "#   line of the secret",
                        "#",
                        "# plain comment # with another",
                        "key: value # trailing",
                        "url: https://u:p@h # x",
                        "plain: line",
                        "",
                    ]),
                    proptest::sample::select(vec!["\n", "\r\n", ""]),
                ),
                0..24,
            )
        ) {
            let text: String = lines.iter().map(|(a, b, c)| format!("{a}{b}{c}")).collect();
            proptest::prop_assert_eq!(redact_comments(&text), oracle::redact_comments(&text));
        }

        /// The value test without allocation agrees with the one that lower-cased and
        /// compacted every value.
        #[test]
        fn secret_values_are_judged_as_before(
            value in proptest::prelude::prop_oneof![
                ".*",
                "[A-Za-z0-9+/= \n\t]{0,120}",
                "(PaSsWoRd=|password =|x://a:b@c|PRIVATE KEY-----|é| )+",
            ]
        ) {
            proptest::prop_assert_eq!(is_secret_value(&value), oracle::is_secret_value(&value));
        }

        #[test]
        fn scrubbing_many_messages_matches_scrubbing_each(
            secrets in proptest::collection::vec("[a-z\n\"]{0,20}", 0..4),
            message in "[a-z\n\" ]{0,60}",
        ) {
            proptest::prop_assert_eq!(
                Scrubber::new(&secrets).scrub(&message),
                oracle::scrub(&message, &secrets)
            );
        }
    }

    #[test]
    fn base64_private_keys_are_secret_values() {
        use base64::Engine as _;
        let key =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        let encoded = base64::engine::general_purpose::STANDARD.encode(key);
        assert!(is_secret_value(&encoded));
        // Wrapped over lines, as a PEM body is.
        let wrapped = format!("{}\n  {}", &encoded[..40], &encoded[40..]);
        assert!(is_secret_value(&wrapped));
        assert!(!is_secret_value(&encoded[..60]));
    }

    #[test]
    fn secret_keys_follow_the_rule() {
        for key in [
            "shared_secret",
            "cookie_secret",
            "signing_key",
            "signing-key",
            "client_secret",
            "idp_client_secret",
            "idp_service_account",
            "certificate_key",
            "license-key",
            "license_key",
            "database_url",
            "database-url",
            "database_encryption_key",
            "databroker_storage_connection_string",
            "kubernetes_service_account_token",
            "autocert_eab_mac_key",
            "ssh_host_keys",
            "Shared_Secret",
            // Helm values of the Console chart, written as the chart's `snakecase` makes them.
            "signingKey",
            "licenseKey",
            "sharedSecret",
            "databaseEncryptionKey",
            "clientSecret",
        ] {
            assert!(is_secret_key(key, &[]), "{key}");
        }
        for key in [
            "shared_secret_file",
            "signing_key_file",
            "certificate_key_file",
            "signing_key_algorithm",
            "authenticate_service_url",
            "key",
            "cert",
            "autocert_eab_key_id",
            "bearer_token_format",
            "from",
        ] {
            assert!(!is_secret_key(key, &[]), "{key}");
        }
        assert!(is_secret_key("key", &["certificates"]));
        assert!(!is_secret_key("cert", &["certificates"]));
    }

    /// Every key Pomerium Core or the Console reads whose name speaks of secret material is
    /// secret to this tool, or is listed here with the reason it is not. The expectation comes
    /// from the key tables, not from [`SECRET_KEYS`], so dropping a name from that list (or
    /// breaking a suffix rule) fails here (issue 14).
    #[test]
    fn every_key_that_names_secret_material_is_secret() {
        // Names that speak of secrets but hold none: paths, identifiers, formats, sizes.
        const NOT_SECRET: &[(&str, &str)] = &[
            ("key", "secret only inside `certificates` (checked below)"),
            (
                "autocert_eab_key_id",
                "the ACME account's key identifier, not the MAC key",
            ),
            ("bearer_token_format", "how a bearer token is read"),
            ("idp_access_token_allowed_audiences", "audience names"),
            ("max_request_bytes", "a size limit"),
            ("signing_key_algorithm", "an algorithm name"),
            ("token_url", "an endpoint"),
            ("license_key_validate_offline", "a switch"),
        ];
        let names_secret = |key: &str| {
            let key = normalize(key);
            !key.ends_with("_file")
                && !key.ends_with("_files")
                && [
                    "secret",
                    "key",
                    "password",
                    "token",
                    "account",
                    "connection_string",
                ]
                .iter()
                .any(|w| key.contains(w))
                || key == "key_bytes"
                || key == "database_url"
        };
        let mut checked = 0;
        let mut wrong = Vec::new();
        let core = crate::keys::all().map(|h| h.key);
        let console = crate::keys::console_keys();
        for key in core.chain(console).filter(|k| names_secret(k)) {
            checked += 1;
            let listed = NOT_SECRET
                .iter()
                .any(|(k, _)| normalize(k) == normalize(key));
            if is_secret_key(key, &[]) == listed {
                wrong.push(key);
            }
        }
        assert!(
            wrong.is_empty(),
            "secret or not, against the expectation: {wrong:?}"
        );
        assert!(checked >= 30, "only {checked} keys were checked");
        // Names no table lists (they appear nested, or in other products' settings).
        for key in ["password", "key_bytes", "Password", "KEY-BYTES"] {
            assert!(is_secret_key(key, &[]), "{key}");
        }
    }

    /// Each name of the tool's own list is hidden end to end, in every format and spelling.
    #[test]
    fn every_listed_secret_key_is_redacted_in_every_format() {
        const VALUE: &str = "not-a-real-secret-value-42";
        for key in SECRET_KEYS {
            assert_eq!(*key, normalize(key), "{key} is not written normalised");
            for spelled in [key.to_string(), key.replace('_', "-")] {
                for (format, text) in [
                    (Format::Yaml, format!("{spelled}: {VALUE}\nfrom: x\n")),
                    (
                        Format::Json,
                        format!("{{\"{spelled}\": \"{VALUE}\", \"from\": \"x\"}}\n"),
                    ),
                    (
                        Format::Toml,
                        format!("\"{spelled}\" = \"{VALUE}\"\nfrom = \"x\"\n"),
                    ),
                    (
                        Format::Dotenv,
                        format!("{}={VALUE}\nFROM=x\n", spelled.to_ascii_uppercase()),
                    ),
                ] {
                    let doc = match Document::parse(text.clone(), format) {
                        Ok(doc) => doc,
                        Err(e) => panic!("{text}: {e}"),
                    };
                    let out = redact(&doc);
                    assert!(
                        !out.text.contains(VALUE),
                        "{format} {spelled}: {}",
                        out.text
                    );
                    assert!(out.text.contains(REDACTED), "{format} {spelled}");
                    assert_eq!(out.secrets, vec![VALUE.to_owned()], "{format} {spelled}");
                }
            }
        }
    }

    /// Every environment variable that sets a secret key (Core's binding of every release, the
    /// Console's names) hides its value in each shape a surface writes it: a compose map, a
    /// compose list item, a Kubernetes `env:` entry, a `.env` line, a commented-out line.
    #[test]
    fn every_secret_environment_variable_is_redacted() {
        const VALUE: &str = "not-a-real-secret-value-42";
        let core = crate::surface::env::core_bindings()
            .iter()
            .filter(|b| is_secret_key(b.key.rsplit('.').next().unwrap_or(b.key), &[]))
            .map(|b| b.env.to_owned());
        let console = crate::keys::console_keys()
            .filter(|k| is_secret_key(k, &[]))
            .filter_map(crate::surface::env::console_env);
        let names: Vec<String> = core.chain(console).collect();
        for required in [
            "SHARED_SECRET",
            "COOKIE_SECRET",
            "IDP_CLIENT_SECRET",
            "LICENSE_KEY",
            "DATABASE_URL",
            "SIGNING_KEY",
            "IDP_SERVICE_ACCOUNT",
            "DATABROKER_STORAGE_CONNECTION_STRING",
            "DATABASE_ENCRYPTION_KEY",
        ] {
            assert!(names.iter().any(|n| n == required), "{required} not listed");
        }
        for name in &names {
            // Compose and Kubernetes shapes; then a `.env` file: a variable, an exported quoted
            // one, a commented-out one.
            let yaml = [
                format!("environment:\n  {name}: {VALUE}\n  OTHER: x\n"),
                format!("environment:\n  - {name}={VALUE}\n  - OTHER=x\n"),
                format!("environment:\n  - \"{name}={VALUE}\"\n"),
                format!("env:\n  - name: {name}\n    value: {VALUE}\n"),
                format!("environment:\n  # {name}: {VALUE}\n  OTHER: x\n"),
            ];
            let dotenv = [
                format!("{name}={VALUE}\nOTHER=x\n"),
                format!("export {name}=\"{VALUE}\" # c\n"),
                format!("# {name}={VALUE}\nOTHER=x\n"),
            ];
            let cases = (yaml.into_iter().map(|t| (t, Format::Yaml)))
                .chain(dotenv.into_iter().map(|t| (t, Format::Dotenv)));
            for (text, format) in cases {
                let doc = match Document::parse(text.clone(), format) {
                    Ok(doc) => doc,
                    Err(e) => panic!("{text}: {e}"),
                };
                let out = redact(&doc);
                assert!(!out.text.contains(VALUE), "{name}: {}", out.text);
                assert!(out.text.contains(REDACTED), "{name}: {}", out.text);
                assert!(out.text.contains(name.as_str()), "{name}: {}", out.text);
            }
        }
        // Names that are not secret keep their values.
        let doc = Document::parse(
            "env:\n  - name: IDP_PROVIDER\n    value: google\n  - A_KEY_FILE=/k.pem\n".into(),
            Format::Yaml,
        );
        let out = doc.map(|d| redact(&d).text).unwrap_or_default();
        assert!(out.contains("google") && out.contains("/k.pem"), "{out}");
    }

    /// A quoted list-form item keeps its quotes around the redacted value, so the output is
    /// still the YAML it was.
    #[test]
    fn quoted_environment_items_keep_their_quotes() {
        for (open, close) in [("\"", "\""), ("'", "'"), ("", "")] {
            let text = format!("environment:\n  - {open}SHARED_SECRET=c2VjcmV0{close}\n");
            let doc = match Document::parse(text.clone(), Format::Yaml) {
                Ok(doc) => doc,
                Err(e) => panic!("{text}: {e}"),
            };
            assert_eq!(
                redact(&doc).text,
                format!("environment:\n  - {open}SHARED_SECRET={REDACTED}{close}\n")
            );
        }
    }

    #[test]
    fn secret_values_are_recognised_by_content() {
        assert!(is_secret_value("postgres://pomerium:hunter2@db:5432/x"));
        assert!(is_secret_value("host=db user=p password=hunter2"));
        assert!(is_secret_value(
            "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----"
        ));
        let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(pem);
        assert!(is_secret_value(&b64));
        let cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUXgB2Q0Kp8Fh8aTCC\n-----END CERTIFICATE-----\n";
        assert!(!is_secret_value(
            &base64::engine::general_purpose::STANDARD.encode(cert)
        ));
        assert!(!is_secret_value("https://authenticate.example.com/oauth2"));
        assert!(!is_secret_value("postgres://pomerium@db:5432/x"));
        assert!(!is_secret_value("plain value"));
    }

    #[test]
    fn commented_secret_lines_are_redacted() {
        let text = "a: 1\n# pomerium-migrate v0.20: removed\n# shared_secret: c2VjcmV0\n  # cookie-secret: \"abc\"  \nb: 2\n";
        let (out, secrets) = redact_comments(text);
        assert_eq!(
            out,
            "a: 1\n# pomerium-migrate v0.20: removed\n# shared_secret: <redacted>\n  # cookie-secret: <redacted>\nb: 2\n"
        );
        assert!(secrets.contains(&"c2VjcmV0".to_owned()));
    }

    #[test]
    fn commented_block_scalars_and_collections_are_redacted() {
        let text =
            "# idp_service_account: |\r\n#   eyJhbGciOi\r\n#   more\r\n# idp_provider: google\r\n";
        let (out, _) = redact_comments(text);
        assert_eq!(
            out,
            "# idp_service_account: |\r\n#   <redacted>\r\n#   <redacted>\r\n# idp_provider: google\r\n"
        );
        let text =
            "  # certificates:\n  #   - cert: cert.pem\n  #     key: S0VZ\n  # key: visible\n";
        let (out, _) = redact_comments(text);
        assert_eq!(
            out,
            "  # certificates:\n  #   - cert: cert.pem\n  #     key: <redacted>\n  # key: visible\n"
        );
    }

    #[test]
    fn commented_collections_keep_their_keys() {
        let text = "# pomerium-migrate v0.29: removed\n# audit_key:\n#   id: audit-2023\n#   data: bm90LWEtcmVhbC1rZXk=\naddress: :443\n";
        let (out, secrets) = redact_comments(text);
        assert_eq!(
            out,
            "# pomerium-migrate v0.29: removed\n# audit_key:\n#   id: <redacted>\n#   data: <redacted>\naddress: :443\n"
        );
        assert!(secrets.contains(&"bm90LWEtcmVhbC1rZXk=".to_owned()));
        // Nested: item markers and keys stay; block scalars and folded plain scalars are hidden
        // whole; the block ends at the first line that is not more indented than the key.
        let text = "\
# ssh_host_keys:\r
#   - c2VjcmV0LW9uZQ==\r
#   - name: two\r
#     pem: |\r
#       -----BEGIN OPENSSH PRIVATE KEY-----\r
#       b3BlbnNzaC1rZXk=\r
#     note: folded\r
#       plain continuation\r
# idp_provider: google\r
";
        let (out, secrets) = redact_comments(text);
        assert_eq!(
            out,
            "\
# ssh_host_keys:\r
#   - <redacted>\r
#   - name: <redacted>\r
#     pem: |\r
#       <redacted>\r
#       <redacted>\r
#     note: <redacted>\r
#       <redacted>\r
# idp_provider: google\r
"
        );
        for hidden in ["c2VjcmV0LW9uZQ==", "b3BlbnNzaC1rZXk=", "plain continuation"] {
            assert!(!out.contains(hidden), "{hidden}");
            assert!(secrets.iter().any(|s| s == hidden), "{hidden}");
        }
    }

    #[test]
    fn certificate_key_paths_are_shown_and_material_is_not() {
        for path in [
            "certs/app.example.com-key.pem",
            "/etc/pomerium/tls/example.org.key",
            "tls.key",
            "./keys/app_key",
        ] {
            assert!(is_clearly_a_path(path), "{path}");
        }
        let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(pem);
        for material in [
            b64.as_str(),
            pem,
            "a2V5LWRhdGE=",
            "/run/secrets/tlskey",
            "LS0t/abc+def",
            "",
        ] {
            assert!(!is_clearly_a_path(material), "{material}");
        }
        assert!(!is_secret_entry(
            "key",
            &["certificates"],
            Some("certs/a-key.pem")
        ));
        assert!(is_secret_entry("key", &["certificates"], Some(&b64)));
        assert!(is_secret_entry("key", &["certificates"], None));
        assert!(!is_secret_entry(
            "certificate_key",
            &[],
            Some("/etc/ssl/a.key")
        ));
        // Keys that only hold secrets stay hidden whatever the value looks like.
        for key in [
            "shared_secret",
            "cookie_secret",
            "signing_key",
            "database_encryption_key",
        ] {
            assert!(is_secret_entry(key, &[], Some("certs/x-key.pem")), "{key}");
        }
        let (out, _) = redact_comments(
            "# certificates:\n#   - cert: certs/a.pem\n#     key: \"certs/a-key.pem\"\n#   - key: a2V5LWRhdGE=\n# shared_secret: certs/x.pem\n",
        );
        assert_eq!(
            out,
            "# certificates:\n#   - cert: certs/a.pem\n#     key: \"certs/a-key.pem\"\n#   - key: <redacted>\n# shared_secret: <redacted>\n"
        );
    }

    #[test]
    fn ordinary_comments_are_kept() {
        let text = "# see https://user@example.com/x\n# Note: keep this\n#\n# shared secret: rotate yearly\n";
        assert_eq!(redact_comments(text).0, text);
    }

    #[test]
    fn a_comment_block_ends_at_a_non_comment_line() {
        let text = "# signing_key:\nother: 1\n#   indented comment\n";
        assert_eq!(redact_comments(text).0, text);
    }

    #[test]
    fn spans_are_replaced_keeping_line_breaks() {
        let text = "a: x\nk: |\n  s1\n  s2\nb: y\n";
        let start = text.find('|').unwrap_or(0);
        let end = text.find("b:").unwrap_or(0);
        let mut spans = vec![start..end, start + 2..start + 4];
        assert_eq!(
            replace_spans(text, &mut spans, Vec::new()),
            "a: x\nk: <redacted>\nb: y\n"
        );
    }

    fn redacted(text: &str) -> Redacted {
        match Document::parse(text.to_owned(), crate::document::Format::Yaml) {
            Ok(doc) => redact(&doc),
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    #[test]
    fn secret_values_in_the_document_are_redacted() {
        let text = "\
# keep this comment
shared_secret: \"c2hhcmVkLXNlY3JldA==\"
cookie_secret: 'Y29va2ll'   # trailing comment
authenticate_service_url: https://authenticate.example.com
databroker_storage_connection_string: postgres://pomerium:hunter2@db/pomerium
idp_service_account: |
  eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=
  c2Vjb25kIGxpbmU=
certificates:
  - cert: certs/a.pem
    key: a2V5LWRhdGE=
  - cert: certs/b.pem
    key: certs/b-key.pem
certificate_key: /etc/pomerium/tls/b.key
signing_key: certs/looks-like-a-path.pem
routes:
  - from: https://a.example.com
    to: http://db-user:s3cret@upstream
    set_request_headers:
      X-Plain: value
";
        let r = redacted(text);
        let expected = "\
# keep this comment
shared_secret: <redacted>
cookie_secret: <redacted>   # trailing comment
authenticate_service_url: https://authenticate.example.com
databroker_storage_connection_string: <redacted>
idp_service_account: <redacted>
certificates:
  - cert: certs/a.pem
    key: <redacted>
  - cert: certs/b.pem
    key: certs/b-key.pem
certificate_key: /etc/pomerium/tls/b.key
signing_key: <redacted>
routes:
  - from: https://a.example.com
    to: <redacted>
    set_request_headers:
      X-Plain: value
";
        assert_eq!(r.text, expected);
        for secret in [
            "c2hhcmVkLXNlY3JldA==",
            "Y29va2ll",
            "hunter2",
            "a2V5LWRhdGE=",
        ] {
            assert!(!r.text.contains(secret), "{secret}");
            assert!(r.secrets.iter().any(|s| s.contains(secret)), "{secret}");
        }
    }

    #[test]
    fn dash_case_console_keys_and_nested_values_are_redacted() {
        let text = "signing-key: LS0tLS1CRUdJTg==\nlicense-key: abc.def\ndatabase-url: postgres://u@db\nbind-addr: :8701\nidp_service_account:\n  client_email: a@b\n  private_key: x\n";
        let r = redacted(text);
        assert_eq!(
            r.text,
            "signing-key: <redacted>\nlicense-key: <redacted>\ndatabase-url: <redacted>\nbind-addr: :8701\nidp_service_account:\n  client_email: <redacted>\n  private_key: <redacted>\n"
        );
    }

    #[test]
    fn anchored_secrets_are_redacted_where_they_are_written() {
        let text = "x-defaults: &secret c2VjcmV0LXZhbHVl\nshared_secret: *secret\nother: plain\n";
        let r = redacted(text);
        assert!(!r.text.contains("c2VjcmV0LXZhbHVl"), "{}", r.text);
        assert!(r.text.contains("other: plain"));
        assert!(r.text.contains("shared_secret: *secret"));
    }

    #[test]
    fn crlf_and_empty_secret_values_are_handled() {
        let r = redacted("shared_secret: abc\r\ncookie_secret:\r\na: b\r\n");
        assert_eq!(
            r.text,
            "shared_secret: <redacted>\r\ncookie_secret:\r\na: b\r\n"
        );
    }

    #[test]
    fn scrub_removes_secret_values_from_messages() {
        let secrets = vec!["hunter2-long".to_owned(), "ab".to_owned()];
        assert_eq!(
            scrub("value hunter2-long at ab", &secrets),
            "value <redacted> at ab"
        );
        let multi = vec!["line\"one".to_owned()];
        assert_eq!(scrub("got \"line\\\"one\"", &multi), "got \"<redacted>\"");
    }
}
