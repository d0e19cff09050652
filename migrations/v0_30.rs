//! Pomerium 0.30: the legacy identity manager is gone, and request header templates have their
//! own parser.

use super::common;
use crate::redact;
use crate::step::{Scope, Severity, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0300";

crate::step! {
    /// # The `legacy_identity_manager` runtime flag is gone
    ///
    /// **What changed in Pomerium.** 0.26 replaced the identity manager (the part that
    /// refreshes sessions at the identity provider) and kept the old one behind the runtime
    /// flag `legacy_identity_manager`. 0.30 removed the old manager and the flag. Pomerium
    /// logs "unknown runtime flag" for it and starts; the new manager is used either way.
    ///
    /// **Evidence.** v0.26.0 to v0.29.0 `config/runtime_flags.go` define
    /// `legacy_identity_manager` (default false); v0.30.0 `config/runtime_flags.go` does not,
    /// and v0.30.0 `config/options.go` logs "unknown runtime flag" for a flag it does not know.
    /// Commit 562101ae0 ("remove the legacy identity manager"). The 0.26 section of the
    /// upgrade guide names the flag.
    ///
    /// **What the step does.** Nothing is rewritten. When `runtime_flags` sets
    /// `legacy_identity_manager`, a note at the flag says it no longer has an effect (set to
    /// `true`, the deployment moves to the new identity manager, which may send more refresh
    /// requests to the identity provider). Other files get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// runtime_flags:
    ///   legacy_identity_manager: true
    /// ```
    ///
    /// After (unchanged; the flag can be deleted):
    ///
    /// ```yaml
    /// runtime_flags:
    ///   legacy_identity_manager: true
    /// ```
    pub(crate) static LEGACY_IDENTITY_MANAGER = Step {
        version: Version::new(0, 30),
        id: "legacy-identity-manager",
        title: "Note that the legacy_identity_manager runtime flag is gone",
        scope: Scope::Core,
        handles: &["runtime_flags"],
        link: LINK,
        run: legacy_identity_manager,
    };
}

fn legacy_identity_manager(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let flag = doc
        .top("runtime_flags")
        .and_then(|flags| doc.get(flags.value, "legacy_identity_manager"));
    let Some(flag) = flag else {
        cx.general_note(
            "the runtime flag `legacy_identity_manager` was removed in 0.30: the identity \
             manager introduced in 0.26 is always used",
        );
        return;
    };
    let on = common::as_bool(&doc.value(flag.value)) == Some(true);
    let message = if on {
        "`runtime_flags.legacy_identity_manager` was removed in 0.30: Pomerium ignores it and \
         uses the identity manager introduced in 0.26, which may refresh sessions at the \
         identity provider more often; delete the flag"
    } else {
        "`runtime_flags.legacy_identity_manager` was removed in 0.30 and has no effect; delete \
         the flag"
    };
    let at = common::at(doc, &flag);
    cx.note(at, message);
}

crate::step! {
    /// # Request header templates have their own parser
    ///
    /// **What changed in Pomerium.** The values of a route's `set_request_headers` are
    /// templates. From 0.23 to 0.29 Pomerium expanded them with Go's `os.Expand`; from 0.30 it
    /// uses its own parser, `internal/headertemplate`. Both replace `${pomerium.id_token}`,
    /// `${pomerium.access_token}`, `${pomerium.jwt}` and `${pomerium.client_cert_fingerprint}`
    /// and turn `$$` into `$`, but they read everything else differently:
    ///
    /// - `os.Expand` reads a name after a bare `$` as letters, digits and `_` only, so
    ///   `$pomerium.id_token` was the unknown name `pomerium` (nothing) followed by the text
    ///   `.id_token`. The new parser reads dotted names, so the same text now sends the ID
    ///   token. Likewise `-` is part of a name now, and a name may go on after a leading
    ///   digit: `$a-b` gave `-b` and `$1x` gave `x`; both give nothing now.
    /// - `os.Expand` dropped `$` followed by one of `*#@!?`, an unclosed `${`, `${}` and a
    ///   braced name with other characters (`${a b}`, `${$}` gave `$`). The new parser keeps
    ///   what it cannot read as literal text. It also allows spaces inside braces
    ///   (`${ pomerium.jwt }` now sends the JWT) and reads
    ///   `${pomerium.request.headers["Name"]}` as a request header.
    /// - `$-` and `$1` are nothing under both: `-` and digits can make up a name of the new
    ///   parser, and no such name is known.
    ///
    /// **Evidence.** v0.29.0 `authorize/evaluator/headers_evaluator_evaluation.go`
    /// (`fillSetRequestHeaders` calls `os.Expand`); v0.30.0 of the same file calls
    /// `headertemplate.Render`, with its grammar in v0.30.0
    /// `internal/headertemplate/headertemplate.go` and cases in `headertemplate_test.go`
    /// (`$pomerium.id_token`, `${`, `${}`). Commit a1eb75a8f added `pomerium.request.headers`.
    ///
    /// **What the step does.** For every value of every route's `set_request_headers` it runs
    /// both readings and compares what the upstream would receive. A value that now sends a
    /// Pomerium value (a token, the JWT, a request header) it did not send before gets an
    /// action: decide whether the upstream should receive it, or change the value to the text
    /// it sent up to 0.29. Any other difference gets a note. The file is not changed. Values
    /// migrated from 0.22 by `v0.23/escape-dollar-in-request-headers` have every `$` doubled
    /// and read the same under both. When no value reads differently, the change is only
    /// described with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     set_request_headers:
    ///       Authorization: Bearer $pomerium.id_token
    /// ```
    ///
    /// After (unchanged; 0.29 sent `Bearer .id_token`, 0.30 sends the ID token — write
    /// `${pomerium.id_token}` to make that plain, or change the value):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     set_request_headers:
    ///       Authorization: Bearer ${pomerium.id_token}
    /// ```
    pub(crate) static HEADER_TEMPLATE_PARSER = Step {
        version: Version::new(0, 30),
        id: "header-template-parser",
        title: "Report set_request_headers values that the 0.30 template parser reads differently",
        scope: Scope::Core,
        handles: &["set_request_headers"],
        link: LINK,
        run: header_template_parser,
    };
}

fn header_template_parser(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let mut findings = common::RouteFindings::default();
    for route in common::routes(doc) {
        let Some(headers) = doc.get(route.node, "set_request_headers") else {
            continue;
        };
        for header in doc.entries(doc.resolve(headers.value)) {
            let value = doc.resolve(header.value);
            let Some(text) = doc.str(value) else {
                continue;
            };
            let Some(change) = compare(text) else {
                continue;
            };
            let sensitive = sensitive(header.key, text);
            let what = describe(&change, sensitive);
            let (severity, message) = if change.sends_more {
                (
                    Severity::ActionRequired,
                    format!(
                        "`{}` in the `set_request_headers` of {{routes}}: {what}; the upstream \
                         now receives a Pomerium value it did not receive up to 0.29: keep the \
                         value if that is intended (write `${{pomerium.…}}` with braces to make \
                         it plain), or change it to the text 0.29 sent",
                        header.key
                    ),
                )
            } else {
                (
                    Severity::Note,
                    format!(
                        "`{}` in the `set_request_headers` of {{routes}}: {what}; 0.30 reads \
                         header templates with its own parser",
                        header.key
                    ),
                )
            };
            findings.add(severity, Some(doc.location(value)), message, route.name());
        }
    }
    if findings.is_empty() {
        cx.general_note(
            "from 0.30 on, `set_request_headers` values are read by Pomerium's own template \
             parser: `$pomerium.id_token` without braces sends the ID token, and `${`, `${}` \
             or `$*` stay as text",
        );
    }
    findings.emit(cx);
}

/// Whether a header's value may be a credential, so that messages do not quote it.
fn sensitive(name: &str, value: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    redact::is_secret_key(name, &[])
        || redact::is_secret_value(value)
        || [
            "auth",
            "token",
            "secret",
            "key",
            "password",
            "cookie",
            "credential",
        ]
        .iter()
        .any(|word| lower.contains(word))
}

/// How the two readings of one value differ.
#[derive(Debug, PartialEq, Eq)]
struct Change {
    /// The part of the value where they first differ, from its `$`.
    snippet: String,
    /// The byte offset of that `$` in the value.
    offset: usize,
    /// What 0.29 and 0.30 make of the snippet alone, references shown as `<…>`.
    old: String,
    new: String,
    /// Whether 0.30 sends a Pomerium value (token, JWT, header) more often than 0.29 did.
    sends_more: bool,
}

/// The longest snippet quoted in a message; longer ones are cut (on a character boundary).
const SNIPPET_MAX: usize = 60;

fn describe(change: &Change, sensitive: bool) -> String {
    let shows_only_syntax = is_pomerium_reference(&change.snippet);
    if sensitive && !shows_only_syntax {
        return format!(
            "the `$` at character {} is read differently from 0.30 (the value is not shown \
             because it may hold a credential)",
            change.offset + 1
        );
    }
    let shown = |s: &str| {
        if s.is_empty() {
            "nothing".to_owned()
        } else {
            format!("`{s}`")
        }
    };
    format!(
        "`{}` gave {} up to 0.29 and gives {} from 0.30",
        change.snippet,
        shown(&change.old),
        shown(&change.new)
    )
}

/// Whether a snippet is only template syntax naming a `pomerium.…` value (safe to quote).
fn is_pomerium_reference(snippet: &str) -> bool {
    let inner = snippet.trim_start_matches('$');
    let inner = inner
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(inner);
    inner.trim_start().starts_with("pomerium")
        && inner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b' ' | b'\t'))
}

/// Compares how 0.29 and 0.30 render `value`; `None` when the upstream receives the same.
fn compare(value: &str) -> Option<Change> {
    let old = os_expand(value);
    let new = header_template(value);
    let (old_text, new_text) = (render(value, &old), render(value, &new));
    if old_text == new_text {
        return None;
    }
    let sends_more = REFERENCES
        .iter()
        .any(|(_, shown)| count(&new_text, shown) > count(&old_text, shown));
    // The first `$` that the two readings treat differently (a `$` neither reads is text).
    let mut starts: Vec<usize> = old.iter().chain(&new).map(|p| p.start).collect();
    starts.sort_unstable();
    starts.dedup();
    let at = |pieces: &[Piece], start: usize| pieces.iter().find(|p| p.start == start).cloned();
    let start = starts
        .into_iter()
        .find(|&s| at(&old, s) != at(&new, s))
        .unwrap_or(0);
    let end = [at(&old, start), at(&new, start)]
        .into_iter()
        .flatten()
        .map(|p| p.end)
        .max()
        .unwrap_or(start + 1);
    let mut cut = end.min(start + SNIPPET_MAX);
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    let snippet = &value[start..cut];
    let ellipsis = if cut < end { "…" } else { "" };
    Some(Change {
        snippet: format!("{snippet}{ellipsis}"),
        offset: start,
        old: render(&value[start..end], &os_expand(&value[start..end])),
        new: render(&value[start..end], &header_template(&value[start..end])),
        sends_more,
    })
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// What a `$` sequence became: bytes `start..end` of the value were replaced by `output`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Piece {
    start: usize,
    end: usize,
    output: String,
}

/// The values a template can refer to, as both parsers name them, and how messages show them.
const REFERENCES: &[(&str, &str)] = &[
    ("pomerium.access_token", "<access token>"),
    (
        "pomerium.client_cert_fingerprint",
        "<client certificate fingerprint>",
    ),
    ("pomerium.id_token", "<ID token>"),
    ("pomerium.jwt", "<JWT>"),
];

/// How a request header value reaches the upstream, in 0.30 (`pomerium.request.headers`).
const REQUEST_HEADER: &str = "<request header>";

/// The value with every piece replaced by its output.
fn render(value: &str, pieces: &[Piece]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for piece in pieces {
        out.push_str(&value[at..piece.start]);
        out.push_str(&piece.output);
        at = piece.end;
    }
    out.push_str(&value[at..]);
    out
}

/// 0.23–0.29: Go's `os.Expand` with Pomerium's mapping (v0.29.0
/// `authorize/evaluator/headers_evaluator_evaluation.go`): the known names become their
/// values, `$` becomes `$`, every other name becomes nothing.
fn os_expand(value: &str) -> Vec<Piece> {
    let b = value.as_bytes();
    let mut pieces = Vec::new();
    let mut j = 0;
    while j < b.len() {
        if b[j] == b'$' && j + 1 < b.len() {
            let (name, w) = shell_name(value, j + 1);
            match name {
                // Bad syntax (`${`, `${}`): the characters are dropped.
                None if w > 0 => pieces.push(Piece {
                    start: j,
                    end: j + 1 + w,
                    output: String::new(),
                }),
                // No name follows: the `$` stays.
                None => {}
                Some(name) => pieces.push(Piece {
                    start: j,
                    end: j + 1 + w,
                    output: old_mapping(name),
                }),
            }
            j += w;
        }
        j += 1;
    }
    pieces
}

/// Go's `getShellName` on `value[from..]` (not empty): the name and the bytes it spans.
fn shell_name(value: &str, from: usize) -> (Option<&str>, usize) {
    let s = &value.as_bytes()[from..];
    let special = |c: u8| {
        matches!(
            c,
            b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-' | b'0'..=b'9'
        )
    };
    if s[0] == b'{' {
        if s.len() > 2 && special(s[1]) && s[2] == b'}' {
            return (Some(&value[from + 1..from + 2]), 3);
        }
        return match s.iter().skip(1).position(|&c| c == b'}') {
            Some(0) => (None, 2),
            Some(i) => (Some(&value[from + 1..from + 1 + i]), i + 2),
            None => (None, 1),
        };
    }
    if special(s[0]) {
        return (Some(&value[from..from + 1]), 1);
    }
    let n = s
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    if n == 0 {
        (None, 0)
    } else {
        (Some(&value[from..from + n]), n)
    }
}

fn old_mapping(name: &str) -> String {
    if name == "$" {
        return "$".to_owned();
    }
    REFERENCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, shown)| (*shown).to_owned())
        .unwrap_or_default()
}

fn new_mapping(reference: &[String]) -> String {
    let dotted = reference.join(".");
    if let Some((_, shown)) = REFERENCES.iter().find(|(n, _)| *n == dotted) {
        return (*shown).to_owned();
    }
    if reference.len() > 3 && reference[..3] == ["pomerium", "request", "headers"] {
        return REQUEST_HEADER.to_owned();
    }
    String::new()
}

/// 0.30: `internal/headertemplate` (v0.30.0). A `$` sequence it cannot read stays as text.
fn header_template(value: &str) -> Vec<Piece> {
    let b = value.as_bytes();
    let mut pieces = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        if let Some((end, output)) = template_variable(b, pos) {
            pieces.push(Piece {
                start: pos,
                end,
                output,
            });
            pos = end;
        } else {
            pos += 1;
        }
    }
    pieces
}

/// The byte at `i`, or 0 past the end (as the Go parser's `peek`).
fn byte_at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn template_variable(b: &[u8], pos: usize) -> Option<(usize, String)> {
    if byte_at(b, pos) != b'$' {
        return None;
    }
    let p = pos + 1;
    match byte_at(b, p) {
        b'$' => Some((p + 1, "$".to_owned())),
        b'{' => {
            let (reference, q) = complex_expression(b, p + 1)?;
            (byte_at(b, q) == b'}').then(|| (q + 1, new_mapping(&reference)))
        }
        _ => {
            let (reference, q) = simple_expression(b, p)?;
            Some((q, new_mapping(&reference)))
        }
    }
}

fn is_identifier_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn identifier(b: &[u8], p: usize) -> Option<(String, usize)> {
    let n = b[p.min(b.len())..]
        .iter()
        .take_while(|c| is_identifier_byte(**c))
        .count();
    (n > 0).then(|| (String::from_utf8_lossy(&b[p..p + n]).into_owned(), p + n))
}

fn skip_whitespace(b: &[u8], mut p: usize) -> usize {
    while matches!(byte_at(b, p), b' ' | b'\t') {
        p += 1;
    }
    p
}

fn simple_expression(b: &[u8], mut p: usize) -> Option<(Vec<String>, usize)> {
    let mut reference = Vec::new();
    loop {
        let (id, q) = identifier(b, p)?;
        reference.push(id);
        if byte_at(b, q) != b'.' {
            return Some((reference, q));
        }
        p = q + 1;
    }
}

fn complex_expression(b: &[u8], p: usize) -> Option<(Vec<String>, usize)> {
    let (id, mut p) = identifier(b, skip_whitespace(b, p))?;
    let mut reference = vec![id];
    loop {
        p = skip_whitespace(b, p);
        match byte_at(b, p) {
            b'.' => {
                let (id, q) = identifier(b, skip_whitespace(b, p + 1))?;
                reference.push(id);
                p = q;
            }
            b'[' => {
                let (s, q) = string_literal(b, skip_whitespace(b, p + 1))?;
                reference.push(s);
                let q = skip_whitespace(b, q);
                if byte_at(b, q) != b']' {
                    return None;
                }
                p = q + 1;
            }
            _ => return Some((reference, p)),
        }
    }
}

fn string_literal(b: &[u8], mut p: usize) -> Option<(String, usize)> {
    if byte_at(b, p) != b'"' {
        return None;
    }
    p += 1;
    let mut out = Vec::new();
    loop {
        let c = byte_at(b, p);
        p += 1;
        match c {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), p)),
            0 => return None,
            b'\\' => {
                let c = byte_at(b, p);
                p += 1;
                if c == 0 {
                    return None;
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(value: &str) -> String {
        render(value, &os_expand(value))
    }

    fn new(value: &str) -> String {
        render(value, &header_template(value))
    }

    /// Go's `os.Expand` as Pomerium 0.23–0.29 called it.
    #[test]
    fn os_expand_reads_shell_names() {
        assert_eq!(old("${pomerium.id_token}"), "<ID token>");
        assert_eq!(old("$pomerium.id_token"), ".id_token");
        assert_eq!(old("a $$ b"), "a $ b");
        assert_eq!(old("${$}"), "$");
        assert_eq!(old("$-x $1y $*z"), "x y z");
        assert_eq!(old("x ${ y"), "x  y");
        assert_eq!(old("x ${} y"), "x  y");
        assert_eq!(old("${a b}c"), "c");
        assert_eq!(old("$ x $/ $"), "$ x $/ $");
        assert_eq!(old("$FOO-bar"), "-bar");
        assert_eq!(old("pa$$word"), "pa$word");
    }

    /// The cases of v0.30.0 `internal/headertemplate/headertemplate_test.go`, with this
    /// module's mapping.
    #[test]
    fn header_template_reads_dotted_names() {
        assert_eq!(new("x $$ y $$ z"), "x $ y $ z");
        assert_eq!(new("${x.y.z}"), "");
        assert_eq!(new("${x[\""), "${x[\"");
        assert_eq!(new("${"), "${");
        assert_eq!(new("${}"), "${}");
        assert_eq!(new("$pomerium.id_token"), "<ID token>");
        assert_eq!(new("${   pomerium  .  jwt  }"), "<JWT>");
        assert_eq!(new("$pomerium.access_token"), "<access token>");
        assert_eq!(
            new("${pomerium.request.headers[\"X-Access-Token\"]}"),
            REQUEST_HEADER
        );
        assert_eq!(
            new("$pomerium.request.headers.X-Access-Token"),
            REQUEST_HEADER
        );
        assert_eq!(new("before $pomerium.jwt after"), "before <JWT> after");
        assert_eq!(new("$-x $1y $*z"), "  $*z");
        assert_eq!(new("$a."), "$a.");
        assert_eq!(new("${$}"), "${$}");
        assert_eq!(new("$"), "$");
    }

    #[test]
    fn an_unbraced_pomerium_reference_now_sends_the_value() {
        let change = compare("Bearer $pomerium.id_token").expect("differs");
        assert!(change.sends_more);
        assert_eq!(change.snippet, "$pomerium.id_token");
        assert_eq!(
            (change.old.as_str(), change.new.as_str()),
            (".id_token", "<ID token>")
        );
    }

    #[test]
    fn literal_leftovers_are_notes() {
        let change = compare("x ${ y").expect("differs");
        assert!(!change.sends_more);
        assert_eq!(change.snippet, "${");
        assert_eq!((change.old.as_str(), change.new.as_str()), ("", "${"));
        let change = compare("a$*b").expect("differs");
        assert_eq!(change.snippet, "$*");
        assert!(compare("$-").is_none());
        assert!(compare("$1").is_none());
        assert!(compare("${pomerium.jwt} $$5").is_none());
        assert!(compare("no dollar").is_none());
    }

    #[test]
    fn sensitive_values_are_not_quoted() {
        let change = compare("s3cr$*t").expect("differs");
        let text = describe(&change, true);
        assert!(!text.contains("s3cr"), "{text}");
        assert!(text.contains("character 5"), "{text}");
        let change = compare("Bearer $pomerium.jwt").expect("differs");
        assert!(describe(&change, true).contains("`$pomerium.jwt`"));
    }
}
