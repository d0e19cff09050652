//! Pomerium 0.23: substitutions in request headers; client CA/CRL options moved to
//! `downstream_mtls`.

use std::collections::BTreeSet;

use super::common;
use crate::document::{NodeId, Value};
use crate::step::{Scope, Severity, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0230";

crate::step! {
    /// # Request header values: `$` starts a substitution, `%` is plain text (Core)
    ///
    /// **What changed in Pomerium.** Up to 0.22 Pomerium handed a route's `set_request_headers`
    /// to Envoy as
    /// `request_headers_to_add` (v0.22.0 `config/envoyconfig/routes.go`), where `%VAR%` is an
    /// Envoy variable (`%DOWNSTREAM_REMOTE_ADDRESS%`, `%REQ(x-request-id)%`, …), `%%` a literal
    /// `%`, and `$` nothing special. From 0.23 Pomerium sets these headers itself (commit
    /// 5be322e2e, pomerium#4219, which dropped `request_headers_to_add`), expanding
    /// substitutions such as `${pomerium.id_token}` or `${pomerium.access_token}` with Go's
    /// `os.Expand` (v0.23.0 `authorize/evaluator/headers_evaluator.go`): `${name}` and `$name`
    /// are replaced (an unknown name by nothing), `$$` stands for a literal `$`, and `%` is plain
    /// text. A value written for 0.22, such as a password with a `$` or a `50%%` discount, would
    /// therefore change, and an Envoy variable is sent upstream as its literal text.
    ///
    /// Global and route `set_response_headers` still go to Envoy in every release and are
    /// never expanded by Pomerium: the step leaves them alone.
    ///
    /// **Evidence.** v0.22.0 `config/envoyconfig/routes.go` (`RequestHeadersToAdd:
    /// toEnvoyHeaders(policy.SetRequestHeaders)`); commit 5be322e2e; v0.23.0
    /// `authorize/evaluator/headers_evaluator.go`; the 0.23 upgrade guide ("Set Request Headers
    /// `$` Substitution"); Envoy's custom-header parser (`source/common/router/
    /// header_formatter.cc`: `%%` is an escaped `%`, `%NAME%` or `%NAME(…)%` a variable, any
    /// other `%` refused).
    ///
    /// **What the step does.** In every value of every route's `set_request_headers` (routes
    /// under `routes` and under the older top-level `policy` list):
    ///
    /// - every `%%` becomes `%` (what Envoy sent);
    /// - every `$` is doubled. Doubling *every* `$` is exactly right, even for a value that
    ///   already contains `$$`: written for 0.22, `$$` meant two literal dollars, and `$$$$` is
    ///   how 0.23 spells two literal dollars;
    /// - an Envoy variable (`%` + an upper-case name, optionally with `(…)` arguments and a
    ///   `:N` length, + `%`) is left as it is, with an action: 0.23 sends it literally, and
    ///   Pomerium has no substitution for it. Remove the header, or keep it on purpose.
    ///
    /// Header names are untouched and each value keeps its quoting style (plain, single,
    /// double, block, flow). This is the one step that must not run twice on the same file: run
    /// it on a 0.22 file only (give `--from` when the version cannot be inferred).
    ///
    /// Before:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     set_request_headers:
    ///       X-Price: "$5"
    ///       X-Discount: "10%%"
    ///       X-Client: "%DOWNSTREAM_REMOTE_ADDRESS%"
    /// ```
    ///
    /// After (with an action for `X-Client`):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     set_request_headers:
    ///       X-Price: "$$5"
    ///       X-Discount: "10%"
    ///       X-Client: "%DOWNSTREAM_REMOTE_ADDRESS%"
    /// ```
    pub(crate) static ESCAPE_DOLLAR_IN_REQUEST_HEADERS = Step {
        version: Version::new(0, 23),
        id: "escape-dollar-in-request-headers",
        title: "Double every $ and undo Envoy's %% in routes' set_request_headers values",
        scope: Scope::Core,
        handles: &["set_request_headers"],
        link: LINK,
        run: escape_dollar_in_request_headers,
    };
}

fn escape_dollar_in_request_headers(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let mut findings = common::RouteFindings::default();
    for route in common::routes(doc) {
        let Some(headers) = doc.get(route.node, "set_request_headers") else {
            continue;
        };
        let headers = doc.resolve(headers.value);
        for header in doc.entries(headers) {
            let value = doc.resolve(header.value);
            let Some(text) = doc.str(value) else {
                continue;
            };
            let envoy = EnvoyValue::parse(text);
            let dollars = envoy.text.contains('$');
            let new_text = envoy.text.replace('$', "$$");
            let shared = common::shared_note(doc, value);
            if new_text != text {
                // A value shared by several routes is one edit (queued once) and one finding.
                cx.set_scalar(value, Value::String(new_text));
                let mut done = Vec::new();
                if envoy.escapes {
                    done.push(
                        "`%%` became `%` (Envoy's escape for a literal percent sign; 0.23 sends \
                         the value itself)",
                    );
                }
                if dollars {
                    done.push("`$` doubled to `$$` so it stays a literal dollar sign");
                }
                findings.add(
                    Severity::Changed,
                    Some(doc.location(value)),
                    format!(
                        "`{}` in the `set_request_headers` of {{routes}}: {}{shared}",
                        header.key,
                        done.join("; ")
                    ),
                    route.name(),
                );
            }
            if !envoy.variables.is_empty() {
                let names: Vec<String> = envoy.variables.iter().map(|v| format!("`{v}`")).collect();
                findings.add(
                    Severity::ActionRequired,
                    Some(doc.location(value)),
                    format!(
                        "`{}` in the `set_request_headers` of {{routes}} uses the Envoy \
                         variable {}, which Envoy filled in up to 0.22; from 0.23 Pomerium sets \
                         the header itself and sends this text literally, and it has no \
                         substitution for it: remove the header, or keep it if the literal text \
                         is what the upstream should get{shared}",
                        header.key,
                        common::join_names(&names)
                    ),
                    route.name(),
                );
            }
        }
    }
    findings.emit(cx);
}

/// A header value as Envoy read it up to 0.22.
#[derive(Debug, PartialEq, Eq)]
struct EnvoyValue {
    /// The text Envoy sent for the value's literal parts: `%%` became `%`; variables are kept
    /// as written.
    text: String,
    /// Whether the value had a `%%`.
    escapes: bool,
    /// The Envoy variables in it, as written (`%DOWNSTREAM_REMOTE_ADDRESS%`).
    variables: Vec<String>,
}

impl EnvoyValue {
    fn parse(value: &str) -> EnvoyValue {
        let mut out = EnvoyValue {
            text: String::with_capacity(value.len()),
            escapes: false,
            variables: Vec::new(),
        };
        let mut rest = value;
        while let Some(at) = rest.find('%') {
            out.text.push_str(&rest[..at]);
            let tail = &rest[at..];
            if let Some(after) = tail.strip_prefix("%%") {
                out.text.push('%');
                out.escapes = true;
                rest = after;
            } else if let Some(len) = envoy_variable_len(tail) {
                out.text.push_str(&tail[..len]);
                out.variables.push(tail[..len].to_owned());
                rest = &tail[len..];
            } else {
                // Not something Envoy 0.22 accepted; it is plain text from 0.23 as well.
                out.text.push('%');
                rest = &tail[1..];
            }
        }
        out.text.push_str(rest);
        out
    }
}

/// The length of the Envoy variable `text` starts with: `%NAME%`, `%NAME(args)%` or
/// `%NAME(args):N%`, NAME being upper-case letters, digits and `_`, starting with a letter.
fn envoy_variable_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    if !bytes.get(i).is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
    {
        i += 1;
    }
    if bytes.get(i) == Some(&b'(') {
        // Arguments run to the matching `)` (they may hold `%`, as in `%START_TIME(%s)%`).
        let close = text[i..].find(')')?;
        i += close + 1;
        if bytes.get(i) == Some(&b':') {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 {
                return None;
            }
            i += 1 + digits;
        }
    }
    (bytes.get(i) == Some(&b'%')).then_some(i + 1)
}

crate::step! {
    /// # Client CA and CRL options moved to `downstream_mtls` (Core)
    ///
    /// **What changed in Pomerium.** Pomerium 0.23 grouped the settings for client certificates
    /// (mutual TLS with downstream clients) under `downstream_mtls`: `client_ca` became
    /// `downstream_mtls.ca`, `client_ca_file` `downstream_mtls.ca_file`, `client_crl`
    /// `downstream_mtls.crl` and `client_crl_file` `downstream_mtls.crl_file`. The CRL options were
    /// removed at once; the CA options stayed as aliases until 0.26.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Core 0.23.0, "Downstream mTLS Settings": moved to a
    /// new `downstream_mtls` block.
    ///
    /// **What the step does.** The step moves each value into `downstream_mtls`, merging into an
    /// existing `downstream_mtls` mapping or creating one next to the first old key, and comments
    /// out the old keys (or deletes them with `--removed delete`). When `downstream_mtls` already
    /// has the new key, its value is kept; an action is reported if the old one differed.
    ///
    /// Before:
    ///
    /// ```yaml
    /// client_ca_file: /etc/pomerium/client-ca.pem
    /// client_crl_file: /etc/pomerium/client.crl
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.23: moved to downstream_mtls.ca_file
    /// # client_ca_file: /etc/pomerium/client-ca.pem
    /// downstream_mtls:
    ///   ca_file: /etc/pomerium/client-ca.pem
    ///   crl_file: /etc/pomerium/client.crl
    /// # pomerium-migrate v0.23: moved to downstream_mtls.crl_file
    /// # client_crl_file: /etc/pomerium/client.crl
    /// ```
    pub(crate) static DOWNSTREAM_MTLS = Step {
        version: Version::new(0, 23),
        id: "downstream-mtls",
        title: "Move client_ca/client_crl(_file) into downstream_mtls",
        scope: Scope::Core,
        handles: &["client_ca", "client_ca_file", "client_crl", "client_crl_file"],
        link: LINK,
        run: downstream_mtls,
    };
}

/// Old top-level key → key inside `downstream_mtls`.
const MOVES: [(&str, &str); 4] = [
    ("client_ca", "ca"),
    ("client_ca_file", "ca_file"),
    ("client_crl", "crl"),
    ("client_crl_file", "crl_file"),
];

fn downstream_mtls(cx: &mut StepContext<'_>) {
    common::move_into_block(
        cx,
        &common::BlockMove {
            block: "downstream_mtls",
            moves: &MOVES,
            why: "Pomerium 0.23 moved the client CA and CRL options into `downstream_mtls`",
            beside: common::Beside::First,
            wording: common::MoveWording::ValueNowAt,
        },
    );
}

crate::step! {
    /// # `tls_downstream_client_ca` is deprecated (Core)
    ///
    /// **What changed in Pomerium.** The route options `tls_downstream_client_ca` and
    /// `tls_downstream_client_ca_file` (a client CA per route) are deprecated from 0.23 in favour
    /// of the global `downstream_mtls` settings, and policies that check the client certificate
    /// (`client_certificate` criterion).
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Core 0.23.0, "Downstream mTLS Settings": the route
    /// setting TLS Downstream Client Certificate Authority is deprecated.
    ///
    /// **What the step does.** For each route that uses them the step adds a note; nothing changes,
    /// since moving a per-route CA to a global one changes which clients other routes accept.
    ///
    /// Before: a route that sets `tls_downstream_client_ca`.
    ///
    /// After: unchanged, with a note on `tls_downstream_client_ca`.
    pub(crate) static ROUTE_CLIENT_CA_DEPRECATED = Step {
        version: Version::new(0, 23),
        id: "route-client-ca-deprecated",
        title: "Note that the route option tls_downstream_client_ca is deprecated",
        scope: Scope::Core,
        handles: &["tls_downstream_client_ca", "tls_downstream_client_ca_file"],
        link: LINK,
        run: route_client_ca_deprecated,
    };
}

fn route_client_ca_deprecated(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let mut seen: BTreeSet<NodeId> = BTreeSet::new();
    for route in common::routes(doc) {
        for key in ROUTE_CLIENT_CA_DEPRECATED.handles {
            let Some(entry) = doc.get(route.node, key) else {
                continue;
            };
            if !seen.insert(entry.key_node) {
                continue;
            }
            cx.note(
                common::at(doc, &entry),
                format!(
                    "`{key}` of {} is deprecated: use the global `downstream_mtls` settings and \
                     a `client_certificate` policy criterion instead",
                    route.name()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> (String, bool, Vec<String>) {
        let v = EnvoyValue::parse(value);
        (v.text, v.escapes, v.variables)
    }

    #[test]
    fn envoy_escapes_and_variables() {
        assert_eq!(parsed("10%%"), ("10%".into(), true, vec![]));
        assert_eq!(parsed("no percent"), ("no percent".into(), false, vec![]));
        assert_eq!(
            parsed("ip=%DOWNSTREAM_REMOTE_ADDRESS%"),
            (
                "ip=%DOWNSTREAM_REMOTE_ADDRESS%".into(),
                false,
                vec!["%DOWNSTREAM_REMOTE_ADDRESS%".into()]
            )
        );
        assert_eq!(
            parsed("%REQ(x-request-id):8% and %START_TIME(%s)%"),
            (
                "%REQ(x-request-id):8% and %START_TIME(%s)%".into(),
                false,
                vec!["%REQ(x-request-id):8%".into(), "%START_TIME(%s)%".into()]
            )
        );
        // `%%` first: the escaped percent sign is not the start of a variable.
        assert_eq!(parsed("%%PROTOCOL%%"), ("%PROTOCOL%".into(), true, vec![]));
        // Lower case, or an unclosed name: plain text.
        assert_eq!(parsed("%lower% 5%"), ("%lower% 5%".into(), false, vec![]));
        assert_eq!(parsed("%REQ(a"), ("%REQ(a".into(), false, vec![]));
        assert_eq!(parsed("%REQ(a):x%"), ("%REQ(a):x%".into(), false, vec![]));
        assert_eq!(parsed("€%%€"), ("€%€".into(), true, vec![]));
    }
}
