//! Pomerium 0.23: substitutions in request headers; client CA/CRL options moved to
//! `downstream_mtls`.

use std::collections::BTreeSet;

use super::common;
use crate::document::{NodeId, Value};
use crate::step::{Scope, Severity, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0230";

crate::step! {
    /// # `$` in request header values starts a substitution (Core)
    ///
    /// From 0.23, values of a route's `set_request_headers` may use substitutions such as
    /// `${pomerium.id_token}` or `${pomerium.access_token}`. The expansion follows Go's
    /// `os.Expand`: `${name}` and `$name` are replaced (an unknown name by nothing), `$$` stands
    /// for a literal `$`, and a `$` followed by a character that cannot start a name stays as it
    /// is. A value written for 0.22, such as a password with a `$`, would therefore change.
    ///
    /// The step doubles every `$` in every value of every route's `set_request_headers` (routes
    /// under `routes` and under the older top-level `policy` list). Header names are untouched
    /// and each value keeps its quoting style (plain, single, double, block, flow). Doubling
    /// *every* `$` is exactly right, even for a value that already contains `$$`: written for
    /// 0.22, `$$` meant two literal dollars, and `$$$$` is how 0.23 spells two literal dollars.
    /// A lone `$` before a character that cannot start a name would also survive undoubled, but
    /// doubling it gives the same result and is simpler to review.
    ///
    /// This is the one step that must not run twice on the same file: run it on a 0.22 file
    /// only (give `--from` when the version cannot be inferred).
    ///
    /// Before:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     set_request_headers:
    ///       X-Price: "$5"
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     set_request_headers:
    ///       X-Price: "$$5"
    /// ```
    pub(crate) static ESCAPE_DOLLAR_IN_REQUEST_HEADERS = Step {
        version: Version::new(0, 23),
        id: "escape-dollar-in-request-headers",
        title: "Double every $ in routes' set_request_headers values",
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
            if !text.contains('$') {
                continue;
            }
            // A value shared by several routes is one edit (queued once) and one finding.
            cx.set_scalar(value, Value::String(text.replace('$', "$$")));
            findings.add(
                Severity::Changed,
                Some(doc.location(value)),
                format!(
                    "`{}` in the `set_request_headers` of {{routes}}: `$` doubled to `$$` so it \
                     stays a literal dollar sign{}",
                    header.key,
                    common::shared_note(doc, value)
                ),
                route.name.clone(),
            );
        }
    }
    findings.emit(cx);
}

crate::step! {
    /// # Client CA and CRL options moved to `downstream_mtls` (Core)
    ///
    /// Pomerium 0.23 grouped the settings for client certificates (mutual TLS with downstream
    /// clients) under `downstream_mtls`: `client_ca` became `downstream_mtls.ca`,
    /// `client_ca_file` `downstream_mtls.ca_file`, `client_crl` `downstream_mtls.crl` and
    /// `client_crl_file` `downstream_mtls.crl_file`. The CRL options were removed at once; the
    /// CA options stayed as aliases until 0.26.
    ///
    /// The step moves each value into `downstream_mtls`, merging into an existing
    /// `downstream_mtls` mapping or creating one next to the first old key, and comments out
    /// the old keys (or deletes them with `--removed delete`). When `downstream_mtls` already
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
    /// The route options `tls_downstream_client_ca` and `tls_downstream_client_ca_file`
    /// (a client CA per route) are deprecated from 0.23 in favour of the global
    /// `downstream_mtls` settings, and policies that check the client certificate
    /// (`client_certificate` criterion).
    ///
    /// For each route that uses them the step adds a note; nothing changes, since moving a
    /// per-route CA to a global one changes which clients other routes accept.
    ///
    /// Before and After: unchanged, with a note on `tls_downstream_client_ca`.
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
                    route.name
                ),
            );
        }
    }
}
