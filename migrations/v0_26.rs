//! Pomerium 0.26: the `client_ca` aliases and `cookie_secure` are gone; routes without a port
//! match any port.

use std::net::IpAddr;

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0260";

crate::step! {
    /// # The `client_ca` aliases are gone
    ///
    /// Pomerium 0.23 moved the client certificate authority for downstream mTLS into the
    /// `downstream_mtls` block (`downstream_mtls.ca`, `downstream_mtls.ca_file`) and kept
    /// `client_ca` and `client_ca_file` as aliases. Pomerium 0.26 removed the aliases: a file
    /// that still uses them no longer requires client certificates.
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
    /// Pomerium 0.26 removed `cookie_secure`: the session cookie always carries the `Secure`
    /// attribute, so browsers send it only over HTTPS.
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
    /// # Routes without a port match any port; Host is rewritten to the upstream
    ///
    /// From Pomerium 0.26 a route whose `from` URL has no port matches requests that arrive on
    /// any port (runtime flag `match_any_incoming_port`, on by default), and the Host header sent
    /// upstream is rewritten to the host and port of the `to` URL.
    ///
    /// **What the step does.** It changes nothing. It adds one note listing the routes whose
    /// `from` has no port and whose `to` is an IP address, `localhost`, or names a port, unless
    /// the route already sets `preserve_host_header: true`: those upstreams now see a Host
    /// header such as `10.0.0.5:8080` instead of the public name. Set
    /// `preserve_host_header: true` on each route whose upstream needs the original Host.
    ///
    /// Before (a route that gets the note):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://wiki.example.com
    ///     to: http://10.0.0.5:8080
    /// ```
    ///
    /// After, if the upstream needs the public host name (an edit you make; the step leaves
    /// the route as it is):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://wiki.example.com
    ///     to: http://10.0.0.5:8080
    ///     preserve_host_header: true
    /// ```
    pub(crate) static MATCH_ANY_INCOMING_PORT = Step {
        version: Version::new(0, 26),
        id: "match-any-incoming-port",
        title: "Note that routes without a port match any incoming port",
        scope: Scope::Core,
        handles: &["from", "to", "preserve_host_header"],
        link: LINK,
        run: match_any_incoming_port,
    };
}

/// Whether an upstream URL is one whose Host header visibly changes with the rewrite.
fn host_shows_upstream(url: &str) -> bool {
    let Some(url) = common::parse_url(url) else {
        return false;
    };
    url.port.is_some()
        || url.host.eq_ignore_ascii_case("localhost")
        || url.host.parse::<IpAddr>().is_ok()
}

fn match_any_incoming_port(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    // One note for all the routes: the advice is the same for each.
    let mut first_at = None;
    let mut names = Vec::new();
    for route in common::routes(doc) {
        let Some(from) = doc.get(route.node, "from") else {
            continue;
        };
        let from_has_port = doc
            .str(from.value)
            .and_then(common::parse_url)
            .is_none_or(|url| url.port.is_some());
        if from_has_port {
            continue;
        }
        if doc
            .get(route.node, "preserve_host_header")
            .is_some_and(|e| common::as_bool(&doc.value(e.value)) == Some(true))
        {
            continue;
        }
        let Some(to) = doc.get(route.node, "to") else {
            continue;
        };
        let urls = common::strings(doc, doc.resolve(to.value));
        if urls.iter().any(|u| host_shows_upstream(u)) {
            first_at.get_or_insert(doc.entry_location(to.id));
            names.push(route.name);
        }
    }
    let message = match names.as_slice() {
        [] => return,
        [one] => format!(
            "from 0.26 {one} matches requests on any port, and upstream requests carry its `to` \
             host and port as Host header; add `preserve_host_header: true` to the route if the \
             upstream needs the public host name"
        ),
        many => format!(
            "from 0.26 these {} routes match requests on any port, and upstream requests carry \
             their `to` host and port as Host header; add `preserve_host_header: true` to each \
             one whose upstream needs the public host name:\n{}",
            many.len(),
            many.iter()
                .map(|name| format!("- {name}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    cx.note(first_at, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_that_show_in_host() {
        assert!(host_shows_upstream("http://10.0.0.5"));
        assert!(host_shows_upstream("http://localhost"));
        assert!(host_shows_upstream("http://app.internal:8080"));
        assert!(host_shows_upstream("https://[fd00::1]"));
        assert!(!host_shows_upstream("http://app.internal"));
    }
}
