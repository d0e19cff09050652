//! Pomerium 0.31: the authenticate callback path is fixed; sessions refresh at ID token expiry;
//! a health check listener is on by default.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0310";

/// The callback path Pomerium uses from 0.31 on.
const CALLBACK: &str = "/oauth2/callback";

crate::step! {
    /// # `authenticate_callback_path` was removed
    ///
    /// **What changed in Pomerium.** Pomerium 0.31 removed `authenticate_callback_path`. The
    /// authenticate service always receives the identity provider's redirect at `/oauth2/callback`,
    /// the old default.
    ///
    /// **Evidence.** Commit b5f02e341 ("config: remove authenticate callback path option", #5879,
    /// in v0.31.0): v0.30.0 `config/options.go` reads `authenticate_callback_path`, v0.31.0 does
    /// not; the upgrade guide, Core 0.31.0, "Removed Authenticate Callback Path Setting".
    ///
    /// **What the step does.** It comments out the key. When it named another path, the
    /// redirect URL registered at the identity provider points at a path Pomerium no longer
    /// serves: an action asks you to change it there to
    /// `https://<authenticate host>/oauth2/callback`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// authenticate_callback_path: /sso/callback
    /// ```
    ///
    /// After (plus the redirect URL updated at the identity provider):
    ///
    /// ```yaml
    /// # pomerium-migrate v0.31: the callback path is always /oauth2/callback
    /// # authenticate_callback_path: /sso/callback
    /// ```
    pub(crate) static AUTHENTICATE_CALLBACK_PATH = Step {
        version: Version::new(0, 31),
        id: "authenticate-callback-path",
        title: "Comment out authenticate_callback_path (always /oauth2/callback)",
        scope: Scope::Core,
        handles: &["authenticate_callback_path"],
        link: LINK,
        run: authenticate_callback_path,
    };
}

fn authenticate_callback_path(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    let Some(entry) = common::retire_key(
        cx,
        root,
        "authenticate_callback_path",
        &common::Retirement::verb_first(
            None,
            "the callback path is always /oauth2/callback",
            "Pomerium 0.31 always uses `/oauth2/callback`",
        ),
    ) else {
        return;
    };
    let path = doc.value(entry.value);
    let path = path.scalar_text().unwrap_or_default();
    if path.trim() != CALLBACK {
        cx.action(
            Some(doc.entry_location(entry.id)),
            format!(
                "the callback path was `{path}`: change the redirect URL registered at your \
                 identity provider to `https://<authenticate host>{CALLBACK}`, or sign-in fails"
            ),
        );
    }
}

crate::step! {
    /// # Sessions are also refreshed when the ID token expires
    ///
    /// **What changed in Pomerium.** Pomerium refreshes a session at the identity provider
    /// while the Pomerium session is valid. From 0.31 it also refreshes shortly before the ID
    /// token expires, so the ID token it holds (and sends upstream with
    /// `${pomerium.id_token}`) stays valid for the whole session. This is the new runtime flag
    /// `refresh_session_at_id_token_expiration`, on by default; the identity provider may see
    /// more refresh requests. `refresh_session_at_id_token_expiration: false` under
    /// `runtime_flags` restores the earlier timing.
    ///
    /// **Evidence.** Commit fcbfdf3ba ("add runtime flag for session refresh changes", in
    /// v0.31.0); v0.31.0 `config/runtime_flags.go` defines
    /// `refresh_session_at_id_token_expiration` with default `true` (absent from v0.30.0);
    /// v0.31.0 `pkg/identity/manager/config.go`. Upgrade guide, 0.31.0, "OIDC Session Refresh
    /// Considers ID Token Expiration".
    ///
    /// **What the step does.** Nothing is rewritten. When the file configures its own
    /// identity provider (`idp_provider`) and does not set the flag, a note at `idp_provider`
    /// describes the change. Other files get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// idp_provider: oidc
    /// ```
    ///
    /// After (unchanged; add the flag only to keep the earlier refresh timing):
    ///
    /// ```yaml
    /// idp_provider: oidc
    /// runtime_flags:
    ///   refresh_session_at_id_token_expiration: false
    /// ```
    pub(crate) static REFRESH_AT_ID_TOKEN_EXPIRATION = Step {
        version: Version::new(0, 31),
        id: "refresh-at-id-token-expiration",
        title: "Note that sessions are also refreshed when the ID token expires",
        scope: Scope::Core,
        handles: &["runtime_flags"],
        link: LINK,
        run: refresh_at_id_token_expiration,
    };
}

fn refresh_at_id_token_expiration(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let flag_set = doc
        .top("runtime_flags")
        .and_then(|flags| doc.get(flags.value, "refresh_session_at_id_token_expiration"))
        .is_some();
    let provider = doc
        .top("idp_provider")
        .filter(|e| doc.str(e.value).is_some_and(|p| !p.trim().is_empty()));
    match provider {
        Some(entry) if !flag_set => {
            let at = common::at(doc, &entry);
            cx.note(
                at,
                "from 0.31 on, Pomerium also refreshes a session at the identity provider \
                 shortly before its ID token expires (more refresh requests); set \
                 `runtime_flags.refresh_session_at_id_token_expiration: false` to keep the \
                 earlier timing",
            );
        }
        _ => cx.general_note(
            "from 0.31 on, sessions are also refreshed shortly before the ID token expires \
             (runtime flag `refresh_session_at_id_token_expiration`, on by default)",
        ),
    }
}

/// The address the health check listener binds from 0.31 on (v0.31.0 `config/options.go`).
const HEALTH_CHECK_ADDR: &str = "127.0.0.1:28080";

/// Top-level options holding a listen address (`data/pomerium-core-keys.tsv`).
const ADDRESS_KEYS: &[&str] = &[
    "address",
    "debug_address",
    "envoy_admin_address",
    "grpc_address",
    "http_redirect_addr",
    "metrics_address",
    "ssh_address",
];

crate::step! {
    /// # A health check listener binds `127.0.0.1:28080`
    ///
    /// **What changed in Pomerium.** 0.31 added HTTP probe endpoints (`/healthz`,
    /// `/readyz`, `/startupz`, `/status`) on a listener of their own, set by the new option
    /// `health_check_addr` and bound to `127.0.0.1:28080` by default. Another process (or
    /// another Pomerium option) already listening on port 28080 of the host gets in its way.
    ///
    /// **Evidence.** Commit b1114f9fb ("http probe listeners & basic component health
    /// checks", in v0.31.0); v0.31.0 `config/options.go` (`HealthCheckAddr:
    /// "127.0.0.1:28080"`), v0.31.0 `internal/controlplane/server.go`. Upgrade guide, 0.31.0,
    /// "Stricter Internal Health Checking".
    ///
    /// **What the step does.** Nothing is rewritten. When one of the file's listen addresses
    /// (`address`, `grpc_address`, `metrics_address`, …) uses port 28080 and
    /// `health_check_addr` is not set, a note at that address asks for another
    /// `health_check_addr`. Other files get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// metrics_address: 127.0.0.1:28080
    /// ```
    ///
    /// After (unchanged; move one of the two listeners):
    ///
    /// ```yaml
    /// metrics_address: 127.0.0.1:28080
    /// health_check_addr: 127.0.0.1:28081
    /// ```
    pub(crate) static HEALTH_CHECK_LISTENER = Step {
        version: Version::new(0, 31),
        id: "health-check-listener",
        title: "Note that a health check listener binds 127.0.0.1:28080",
        scope: Scope::Core,
        handles: &[],
        link: LINK,
        run: health_check_listener,
    };
}

fn health_check_listener(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let clash = ADDRESS_KEYS.iter().find_map(|key| {
        let entry = doc.top(key)?;
        let value = doc.value(entry.value).scalar_text()?;
        let port = value.trim().rsplit_once(':')?.1;
        (port == "28080").then_some(entry)
    });
    match clash {
        Some(entry) if doc.top("health_check_addr").is_none() => {
            let at = common::at(doc, &entry);
            cx.note(
                at,
                format!(
                    "from 0.31 on, a health check listener binds `{HEALTH_CHECK_ADDR}`, and \
                     `{}` also uses port 28080: set `health_check_addr` to a free address",
                    entry.key
                ),
            );
        }
        _ => cx.general_note(format!(
            "from 0.31 on, a health check listener (`/healthz`, `/readyz`, `/startupz`) binds \
             `{HEALTH_CHECK_ADDR}` by default; set `health_check_addr` if that port is taken"
        )),
    }
}
