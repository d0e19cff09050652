//! Pomerium 0.14: the PROXY protocol option was renamed, user IDs lost their provider prefix,
//! and programmatic login redirects only to listed domains.

use super::common;
use crate::document::{NodeId, Value};
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0140";

crate::step! {
    /// # `require_proxy_protocol` is now `use_proxy_protocol`
    ///
    /// **What changed in Pomerium.** Pomerium 0.14 renamed the option that makes Pomerium expect
    /// the HAProxy PROXY protocol on incoming connections. 0.14 no longer reads
    /// `require_proxy_protocol`.
    ///
    /// **Evidence.** v0.13.0 `config/options.go` reads `UseProxyProtocol` from
    /// `mapstructure:"require_proxy_protocol"`; v0.14.0 `config/options.go` from
    /// `mapstructure:"use_proxy_protocol"`.
    ///
    /// **What the step does.** It renames the top-level key and keeps its value. If
    /// `use_proxy_protocol` is already set, that entry wins: the old key is commented out, with
    /// an action when the two values differ.
    ///
    /// Before:
    ///
    /// ```yaml
    /// require_proxy_protocol: true
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// use_proxy_protocol: true
    /// ```
    pub(crate) static USE_PROXY_PROTOCOL = Step {
        version: Version::new(0, 14),
        id: "use-proxy-protocol",
        title: "Rename require_proxy_protocol to use_proxy_protocol",
        scope: Scope::Core,
        handles: &["require_proxy_protocol"],
        link: LINK,
        run: use_proxy_protocol,
    };
}

fn use_proxy_protocol(cx: &mut StepContext<'_>) {
    if let Some(root) = cx.doc.root() {
        common::rename_key(
            cx,
            root,
            None,
            "require_proxy_protocol",
            "use_proxy_protocol",
            "the option was renamed in 0.14",
        );
    }
}

/// The identity providers whose name prefixed user IDs before 0.14.
pub(crate) const PROVIDERS: &[&str] = &[
    "auth0", "azure", "cognito", "github", "gitlab", "google", "oidc", "okta", "onelogin", "ping",
];

crate::step! {
    /// # User IDs lost their identity provider prefix
    ///
    /// **What changed in Pomerium.** Before 0.14, a route's `allowed_users` could name a user by ID
    /// written with the identity provider in front, e.g. `google/1234567890`. Pomerium 0.14 dropped
    /// the provider prefix from user IDs, so such an entry no longer matches anybody: it must be
    /// written `1234567890`.
    ///
    /// **Evidence.** v0.14.0 `docs/docs/upgrading.md`, "`allowed_users` ID format"
    /// (`okta/00usi7mc8XC8SwFxT4x6` becomes `00usi7mc8XC8SwFxT4x6`); the Core upgrade guide,
    /// 0.14.0.
    ///
    /// **What the step does.** In every route (under `routes` and the older `policy` list), each
    /// `allowed_users` entry of the form `PROVIDER/ID`, where `PROVIDER` is one of `auth0`,
    /// `azure`, `cognito`, `github`, `gitlab`, `google`, `oidc`, `okta`, `onelogin`, `ping`,
    /// becomes `ID`. E-mail addresses and other entries are left alone. An entry shared through
    /// an anchor is edited where it is written, which changes every route that uses it.
    ///
    /// Before:
    ///
    /// ```yaml
    /// policy:
    ///   - from: https://app.example.com
    ///     to: http://app.internal
    ///     allowed_users:
    ///       - alice@example.com
    ///       - google/1234567890
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// policy:
    ///   - from: https://app.example.com
    ///     to: http://app.internal
    ///     allowed_users:
    ///       - alice@example.com
    ///       - 1234567890
    /// ```
    pub(crate) static USER_ID_PREFIX = Step {
        version: Version::new(0, 14),
        id: "user-id-prefix",
        title: "Drop identity provider prefixes from allowed_users IDs",
        scope: Scope::Core,
        handles: &["allowed_users"],
        link: LINK,
        run: user_id_prefix,
    };
}

/// `ID` for an entry written `PROVIDER/ID` with a known provider.
pub(crate) fn strip_provider(entry: &str) -> Option<(&str, &str)> {
    let (provider, id) = entry.split_once('/')?;
    (PROVIDERS.contains(&provider) && !id.is_empty()).then_some((provider, id))
}

fn user_id_prefix(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    for route in common::routes(doc) {
        let Some(users) = doc.get(route.node, "allowed_users") else {
            continue;
        };
        let value = doc.resolve(users.value);
        let nodes: Vec<NodeId> = if doc.is_sequence(value) {
            doc.items(value).iter().map(|n| doc.resolve(*n)).collect()
        } else {
            vec![value]
        };
        for node in nodes {
            let Some((provider, id)) = doc.str(node).and_then(strip_provider) else {
                continue;
            };
            cx.set_scalar(node, Value::String(id.to_owned()));
            cx.changed(
                Some(doc.location(node)),
                format!(
                    "`allowed_users` of {}: `{provider}/{id}` is now written `{id}` (0.14 \
                     dropped identity provider prefixes from user IDs)",
                    route.name()
                ),
            );
        }
    }
}

crate::step! {
    /// # Programmatic login redirects only to `localhost` by default
    ///
    /// **What changed in Pomerium.** Programmatic login (`/.pomerium/api/v1/login`, used by
    /// `pomerium-cli` and scripts) takes a `pomerium_redirect_uri` to return to. From 0.14 that
    /// URI must name a host listed in the new option `programmatic_redirect_domain_whitelist`,
    /// which defaults to `[localhost]` (`localhost` also admits loopback addresses); any other
    /// host is refused with "invalid redirect uri". Before 0.14 every `http`/`https` URI was
    /// accepted.
    ///
    /// **Evidence.** Commit c7d243d74 ("proxy: restrict programmatic URLs to localhost", in
    /// v0.14.0): `proxy/handlers.go` checks `urlutil.IsRedirectAllowed`; v0.14.0
    /// `config/options.go` sets the default `[]string{"localhost"}`; v0.14.0
    /// `internal/urlutil/whitelist.go`; v0.14.0 `docs/docs/upgrading.md`, "Programmatic login
    /// domain whitelist".
    ///
    /// **What the step does.** Nothing is rewritten: only you know where your programmatic
    /// clients return to. When the file does not set `programmatic_redirect_domain_whitelist`
    /// (a file written for 0.13 cannot), a note says that only `localhost` is accepted from now
    /// on. A file that sets the option gets the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// authenticate_service_url: https://authenticate.example.com
    /// ```
    ///
    /// After (unchanged; list the hosts your clients redirect to, if any besides `localhost`):
    ///
    /// ```yaml
    /// authenticate_service_url: https://authenticate.example.com
    /// programmatic_redirect_domain_whitelist: [localhost, tools.example.com]
    /// ```
    pub(crate) static PROGRAMMATIC_REDIRECT_DOMAINS = Step {
        version: Version::new(0, 14),
        id: "programmatic-redirect-domains",
        title: "Note that programmatic login redirects only to localhost by default",
        scope: Scope::Core,
        handles: &["programmatic_redirect_domain_whitelist"],
        link: LINK,
        run: programmatic_redirect_domains,
    };
}

fn programmatic_redirect_domains(cx: &mut StepContext<'_>) {
    if cx
        .doc
        .top("programmatic_redirect_domain_whitelist")
        .is_some()
    {
        cx.general_note(
            "from 0.14 on, programmatic login only redirects to the hosts listed in \
             `programmatic_redirect_domain_whitelist` (default `[localhost]`)",
        );
        return;
    }
    cx.note(
        None,
        "from 0.14 on, programmatic login (`pomerium-cli`, `/.pomerium/api/v1/login`) only \
         redirects to `localhost`: list any other host your clients return to in \
         `programmatic_redirect_domain_whitelist`",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_known_providers() {
        assert_eq!(strip_provider("google/123"), Some(("google", "123")));
        assert_eq!(strip_provider("oidc/a/b"), Some(("oidc", "a/b")));
        assert_eq!(strip_provider("alice@example.com"), None);
        assert_eq!(strip_provider("example/123"), None);
        assert_eq!(strip_provider("google/"), None);
    }
}
