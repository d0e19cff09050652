//! Pomerium 0.26.

use std::net::IpAddr;

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0260";

crate::step! {
    /// # The `client_ca` aliases are gone
    ///
    /// **What changed in Pomerium.** Pomerium 0.23 moved the client certificate authority for
    /// downstream mTLS into the `downstream_mtls` block (`downstream_mtls.ca`,
    /// `downstream_mtls.ca_file`) and kept `client_ca` and `client_ca_file` as aliases. Pomerium
    /// 0.26 removed the aliases: a file that still uses them no longer requires client
    /// certificates.
    ///
    /// **Evidence.** v0.25.0 `config/options.go` reads `client_ca`, v0.26.0 does not; the upgrade
    /// guide (pomerium/documentation `content/docs/deploy/upgrading.mdx`), Core 0.26.0,
    /// "Deprecations": "`client_ca` is removed".
    ///
    /// **What the step does.** It moves `client_ca` to `downstream_mtls.ca` and `client_ca_file`
    /// to `downstream_mtls.ca_file`, exactly as v0.23 does for files that start before 0.23.
    /// An existing `downstream_mtls` block is extended; otherwise one is created where the old
    /// key stood. If the block already sets the new key, it wins and the old key is commented
    /// out, with an action when the values differ.
    ///
    /// Before:
    ///
    /// ```yaml
    /// client_ca_file: /etc/pomerium/client-ca.pem
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.26: moved into `downstream_mtls`
    /// # client_ca_file: /etc/pomerium/client-ca.pem
    /// downstream_mtls:
    ///   ca_file: /etc/pomerium/client-ca.pem
    /// ```
    pub(crate) static CLIENT_CA = Step {
        version: Version::new(0, 26),
        id: "client-ca",
        title: "Move client_ca and client_ca_file into downstream_mtls",
        scope: Scope::Core,
        handles: &["client_ca", "client_ca_file"],
        link: LINK,
        run: client_ca,
    };
}

fn client_ca(cx: &mut StepContext<'_>) {
    common::move_into_block(
        cx,
        &common::BlockMove {
            block: "downstream_mtls",
            moves: &[("client_ca", "ca"), ("client_ca_file", "ca_file")],
            why: "the `client_ca` aliases were removed in 0.26",
            beside: common::Beside::Last,
            wording: common::MoveWording::MovedBecause,
        },
    );
}

crate::step! {
    /// # Cookies are always Secure
    ///
    /// **What changed in Pomerium.** Pomerium 0.26 removed `cookie_secure`: the session cookie
    /// always carries the `Secure` attribute, so browsers send it only over HTTPS.
    ///
    /// **Evidence.** v0.25.0 `config/options.go` reads `cookie_secure`, v0.26.0 does not; the
    /// upgrade guide (pomerium/documentation `content/docs/deploy/upgrading.mdx`), Pomerium
    /// Enterprise v0.25.0: the Secure Cookie setting is removed, always on.
    ///
    /// **What the step does.** It comments out `cookie_secure`. When it was `false`, the old
    /// behaviour (cookies over plain HTTP) is gone, and an action asks you to make sure every
    /// route is reached over HTTPS, or sign-in will loop.
    ///
    /// Before:
    ///
    /// ```yaml
    /// cookie_secure: true
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.26: cookies are always Secure now
    /// # cookie_secure: true
    /// ```
    pub(crate) static COOKIE_SECURE = Step {
        version: Version::new(0, 26),
        id: "cookie-secure",
        title: "Comment out cookie_secure (cookies are always Secure)",
        scope: Scope::Core,
        handles: &["cookie_secure"],
        link: LINK,
        run: cookie_secure,
    };
}

fn cookie_secure(cx: &mut StepContext<'_>) {
    let Some(root) = cx.doc.root() else {
        return;
    };
    let Some(entry) = common::retire_key(
        cx,
        root,
        "cookie_secure",
        &common::Retirement::verb_first(
            None,
            "cookies are always Secure now",
            "Pomerium 0.26 always sets the Secure attribute on its cookies",
        ),
    ) else {
        return;
    };
    if common::as_bool(&cx.doc.value(entry.value)) == Some(false) {
        cx.action(
            Some(cx.doc.entry_location(entry.id)),
            "`cookie_secure` was false: from 0.26 browsers only send Pomerium's cookies over \
             HTTPS, so users who reach Pomerium over plain HTTP cannot sign in; serve every route \
             and the authenticate URL over HTTPS",
        );
    }
}

crate::step! {
    /// # Routes without a port match any incoming port
    ///
    /// **What changed in Pomerium.** Up to 0.25 a request matched a route only when its Host
    /// header matched the route's
    /// `from` URL exactly, port included (an absent port meaning the scheme's default). From
    /// Pomerium 0.26, a route whose `from` URL has no port matches requests on any port; this
    /// helps behind NAT or load balancers that change the port. The runtime flag
    /// `match_any_incoming_port` (on by default) controls it, and `runtime_flags:
    /// {match_any_incoming_port: false}` restores the old matching. A `from` URL with an
    /// explicit port still matches that port only.
    ///
    /// **Evidence.** v0.26.0 `config/runtime_flags.go` (`match_any_incoming_port`, default true),
    /// v0.26.0 `config/envoyconfig/routes.go` and `config/envoyconfig/http_connection_manager.go`
    /// (the flag decides how domains are matched); the 0.26 upgrade guide ("Routes port
    /// matching").
    ///
    /// **What the step does.** It changes nothing. When some routes' `from` has no port and the
    /// file does not turn the flag off, it adds one note saying how many routes match more
    /// widely and how to restore the old matching.
    ///
    /// Before: routes whose `from` has no port.
    ///
    /// After: unchanged (the step only reports).
    pub(crate) static MATCH_ANY_INCOMING_PORT = Step {
        version: Version::new(0, 26),
        id: "match-any-incoming-port",
        title: "Note that routes without a port in from match any incoming port",
        scope: Scope::Core,
        handles: &["from", "runtime_flags"],
        link: LINK,
        run: match_any_incoming_port,
    };
}

/// Whether the file sets the runtime flag `match_any_incoming_port` to false.
fn flag_turned_off(doc: &crate::document::Document) -> bool {
    doc.top("runtime_flags")
        .and_then(|flags| doc.get(doc.resolve(flags.value), "match_any_incoming_port"))
        .is_some_and(|flag| common::as_bool(&doc.value(flag.value)) == Some(false))
}

fn match_any_incoming_port(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    if flag_turned_off(doc) {
        return;
    }
    let mut first_at = None;
    let mut count = 0;
    for route in common::routes(doc) {
        let Some(from) = doc.get(route.node, "from") else {
            continue;
        };
        let Some(url) = doc.str(from.value).and_then(Upstream::parse) else {
            continue;
        };
        // TCP routes name their port in `from`; a port-less one is matched by host alone.
        if url.port.is_none() && !url.scheme.starts_with("tcp+") && !url.scheme.starts_with("udp+")
        {
            first_at.get_or_insert(doc.entry_location(from.id));
            count += 1;
        }
    }
    if count == 0 {
        return;
    }
    let routes = if count == 1 {
        "1 route has".to_owned()
    } else {
        format!("{count} routes have")
    };
    cx.note(
        first_at,
        format!(
            "{routes} no port in `from`: from 0.26 such a route matches requests that arrive on \
             any port, not only on the scheme's default one; to keep the old matching, set \
             `runtime_flags: {{match_any_incoming_port: false}}`"
        ),
    );
}

/// The route options that set the Host header themselves (the "host rewrite options"); a route
/// with none of them gets Envoy's `auto_host_rewrite` (v0.26.0 `config/envoyconfig/routes.go`,
/// `setHostRewriteOptions`).
const HOST_REWRITE_OPTIONS: &[&str] = &[
    "host_rewrite",
    "host_rewrite_header",
    "host_path_regex_rewrite_pattern",
];

crate::step! {
    /// # The Host header sent upstream follows the `to` URL, port included
    ///
    /// **What changed in Pomerium.** A route that sets none of the host rewrite options
    /// (`preserve_host_header: true`,
    /// `host_rewrite`, `host_rewrite_header`, `host_path_regex_rewrite_pattern` with
    /// `host_path_regex_rewrite_substitution`) has Envoy rewrite the Host header to the
    /// upstream's name (`auto_host_rewrite`). Up to 0.25 that name came from DNS: the `to` host
    /// without its port, and nothing at all for a `to` that is an IP address or `localhost`
    /// (Pomerium gives those a static cluster, where Envoy does not rewrite), so such routes
    /// passed the incoming Host through. Pomerium 0.26 sets each endpoint's hostname to the
    /// host of its `to` URL as written, port included (commit 79d565774, pomerium#5018).
    /// Two kinds of routes now send another Host:
    ///
    /// - `to` names a host and a port (`http://app.internal:8080`): Host was `app.internal`,
    ///   now `app.internal:8080`. `host_rewrite: app.internal` restores the old header
    ///   (`preserve_host_header` would send the public host instead, which these upstreams
    ///   never saw).
    /// - `to` is an IP address or `localhost` (`http://10.0.0.5:8080`): Host was the incoming
    ///   one (the public name), now `10.0.0.5:8080`. `preserve_host_header: true` restores the
    ///   old header.
    ///
    /// Routes whose `to` is a host name without a port keep the Host they had.
    ///
    /// **Evidence.** Commit 79d565774 (in v0.26.0; its message lists both cases); v0.25.0 and
    /// v0.26.0 `config/envoyconfig/clusters.go` (`Hostname: e.url.Host`;
    /// `getClusterDiscoveryType` gives IP addresses a static cluster); v0.26.0
    /// `config/envoyconfig/routes.go` (`setHostRewriteOptions`); the 0.26 upgrade guide
    /// ("Host header rewrite").
    ///
    /// **What the step does.** It changes nothing: whether an upstream cares about its Host
    /// header is not in the file. It adds a note for each kind of route above that the file
    /// has, listing the routes and the option that restores each one's old Host header. TCP
    /// routes and routes with one of the host rewrite options are left out.
    ///
    /// Before (a route that gets the note):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://grafana.example.com
    ///     to: http://grafana.internal:3000
    /// ```
    ///
    /// After, if the upstream needs its old Host header (an edit you make; the step leaves the
    /// route as it is):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://grafana.example.com
    ///     to: http://grafana.internal:3000
    ///     host_rewrite: grafana.internal
    /// ```
    pub(crate) static UPSTREAM_HOST_HEADER = Step {
        version: Version::new(0, 26),
        id: "upstream-host-header",
        title: "Note that the Host header sent upstream follows the to URL, port included",
        scope: Scope::Core,
        handles: &["to", "preserve_host_header", "host_rewrite"],
        link: LINK,
        run: upstream_host_header,
    };
}

/// The parts of a `from` or `to` URL these steps look at.
struct Upstream<'a> {
    scheme: String,
    host: &'a str,
    port: Option<u16>,
}

impl<'a> Upstream<'a> {
    fn parse(url: &'a str) -> Option<Upstream<'a>> {
        let (scheme, _) = url.trim().split_once("://")?;
        let parts = common::parse_url(url)?;
        Some(Upstream {
            scheme: scheme.to_ascii_lowercase(),
            host: parts.host,
            port: parts.port,
        })
    }

    /// Whether Pomerium gives this upstream a static cluster, where Envoy 0.25 left Host alone.
    fn is_static(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost") || self.host.parse::<IpAddr>().is_ok()
    }

    /// Whether requests to it carry a Host header at all (not a TCP or UDP tunnel).
    fn is_http(&self) -> bool {
        matches!(self.scheme.as_str(), "http" | "https" | "h2c")
    }
}

/// Whether a route sets one of the host rewrite options.
fn rewrites_host(doc: &crate::document::Document, route: crate::document::NodeId) -> bool {
    let preserve = doc
        .get(route, "preserve_host_header")
        .is_some_and(|e| common::as_bool(&doc.value(e.value)) == Some(true));
    preserve
        || HOST_REWRITE_OPTIONS.iter().any(|key| {
            doc.get(route, key)
                .and_then(|e| doc.str(doc.resolve(e.value)))
                .is_some_and(|v| !v.trim().is_empty())
        })
}

fn upstream_host_header(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    // Routes whose named upstream now gets its port in Host, with the `host_rewrite` value.
    let (mut ported, mut ported_at) = (Vec::new(), None);
    // Routes to IP addresses or `localhost`, which now get the upstream's address as Host.
    let (mut addressed, mut addressed_at) = (Vec::new(), None);
    for route in common::routes(doc) {
        let Some(to) = doc.get(route.node, "to") else {
            continue;
        };
        if rewrites_host(doc, route.node) {
            continue;
        }
        let urls = common::strings(doc, doc.resolve(to.value));
        let upstreams: Vec<Upstream<'_>> = urls
            .iter()
            .filter_map(|u| Upstream::parse(u))
            .filter(Upstream::is_http)
            .collect();
        let at = doc.entry_location(to.id);
        if upstreams.iter().any(Upstream::is_static) {
            addressed_at.get_or_insert(at);
            addressed.push(format!("- {}", route.name()));
            continue;
        }
        let mut hosts: Vec<String> = Vec::new();
        for upstream in upstreams.iter().filter(|u| u.port.is_some()) {
            let host = upstream.host.to_ascii_lowercase();
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        if let Some(first) = hosts.first() {
            ported_at.get_or_insert(at);
            let others = if hosts.len() > 1 {
                format!(
                    " (its upstreams have different names: {}; `host_rewrite` sets one for all)",
                    hosts[1..].join(", ")
                )
            } else {
                String::new()
            };
            ported.push(format!(
                "- {}: `host_rewrite: {first}`{others}",
                route.name()
            ));
        }
    }
    if !ported.is_empty() {
        cx.note(
            ported_at,
            format!(
                "from 0.26 the Host header sent upstream includes the port written in `to` \
                 (`app.internal:8080` instead of `app.internal`); if an upstream expects the \
                 old header, add `host_rewrite` with its host name to the route \
                 (`preserve_host_header` would send the public host instead):\n{}",
                ported.join("\n")
            ),
        );
    }
    if !addressed.is_empty() {
        cx.note(
            addressed_at,
            format!(
                "from 0.26 a route whose `to` is an IP address or `localhost` sends that address \
                 (with the port written in `to`) as the Host header instead of passing the \
                 incoming Host through; if the upstream expects the public host name, add \
                 `preserve_host_header: true` to the route:\n{}",
                addressed.join("\n")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams() {
        let up = |url| Upstream::parse(url).map(|u| (u.scheme.clone(), u.is_static(), u.port));
        assert_eq!(up("http://10.0.0.5"), Some(("http".into(), true, None)));
        assert_eq!(
            up("HTTP://localhost:3000"),
            Some(("http".into(), true, Some(3000)))
        );
        assert_eq!(up("https://[fd00::1]"), Some(("https".into(), true, None)));
        assert_eq!(
            up("http://app.internal:8080,2"),
            Some(("http".into(), false, Some(8080)))
        );
        assert_eq!(up("app.internal:8080"), None);
        assert!(Upstream::parse("tcp://db:5432").is_some_and(|u| !u.is_http()));
        assert!(Upstream::parse("h2c://grpc:50051").is_some_and(|u| u.is_http()));
    }
}
