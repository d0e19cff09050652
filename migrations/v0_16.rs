//! Pomerium 0.16: `headers` became `set_response_headers`, the signing key algorithm is
//! inferred, GitHub teams are named by slug, and the Console fetches the signing key from the
//! Authenticate service.

use super::common::{self, Spelling};
use crate::document::{Document, EntryRef, Location, NodeId, Value};
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0160";

crate::step! {
    /// # `headers` is now `set_response_headers` (Core)
    ///
    /// **What changed in Pomerium.** The global `headers` option (response headers Pomerium adds to
    /// every response, such as `Strict-Transport-Security`) was renamed `set_response_headers` in
    /// 0.16; the old name is no longer read.
    ///
    /// **Evidence.** v0.15.0 `config/options.go` reads `headers`; v0.16.0 `config/options.go` reads
    /// `set_response_headers` and not `headers`.
    ///
    /// **What the step does.** The step renames the key and keeps its value, comments and layout.
    /// When the file already has `set_response_headers`, the headers of `headers` are merged into
    /// it: a header only in `headers` is added, a header set to the same value in both is left as
    /// it is, and a header set to different values (names compared without letter case, as HTTP
    /// does) keeps the `set_response_headers` value and gets an action-required finding. `headers`
    /// is then commented out (or deleted with `--removed delete`).
    ///
    /// Before:
    ///
    /// ```yaml
    /// headers:
    ///   X-Frame-Options: SAMEORIGIN
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// set_response_headers:
    ///   X-Frame-Options: SAMEORIGIN
    /// ```
    pub(crate) static RENAME_HEADERS = Step {
        version: Version::new(0, 16),
        id: "rename-headers",
        title: "Rename headers to set_response_headers (merging when both exist)",
        scope: Scope::Core,
        handles: &["headers"],
        link: LINK,
        run: rename_headers,
    };
}

fn rename_headers(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    let Some(old) = doc.get(root, "headers") else {
        return;
    };
    let old_at = common::at(doc, &old);
    let Some(new) = doc.get(root, "set_response_headers") else {
        cx.rename(&old, "set_response_headers");
        cx.changed(old_at, "renamed `headers` to `set_response_headers`");
        return;
    };
    let new_at = common::at(doc, &new);
    let old_value = doc.resolve(old.value);
    let new_value = doc.resolve(new.value);
    if !doc.is_mapping(old_value) && doc.scalar(old_value) != Some(&Value::Null) {
        cx.action(
            old_at,
            "`headers` is not a mapping of header names to values: move its content to \
             `set_response_headers` by hand",
        );
        return;
    }
    if !doc.is_mapping(new_value) {
        if doc.scalar(new_value) == Some(&Value::Null) {
            // An empty `set_response_headers:` simply takes the old headers.
            cx.replace(new.value, doc.value(old_value));
            cx.changed(
                old_at,
                "moved the headers of `headers` into the empty `set_response_headers`",
            );
            common::retire(
                cx,
                &old,
                &common::Retirement::key_first(
                    "replaced by set_response_headers",
                    "its headers are now in `set_response_headers`",
                ),
            );
        } else {
            cx.action(
                new_at,
                "`set_response_headers` is not a mapping: merge `headers` into it by hand",
            );
        }
        return;
    }

    merge_headers(cx, &old, new_value, new_at);
}

/// Merges the headers of `headers` into the `set_response_headers` mapping `new_value` (see
/// the step's documentation), then retires `headers`.
fn merge_headers(
    cx: &mut StepContext<'_>,
    old: &EntryRef<'_>,
    new_value: NodeId,
    new_at: Option<Location>,
) {
    let doc = cx.doc;
    let old_value = doc.resolve(old.value);
    let existing: Vec<(String, Value)> = doc
        .entries(new_value)
        .iter()
        .map(|e| (e.key.to_owned(), doc.value(e.value)))
        .collect();
    let mut added = Vec::new();
    let mut conflicts = Vec::new();
    for entry in doc.entries(old_value) {
        let value = doc.value(entry.value);
        match existing
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(entry.key))
        {
            None => {
                cx.insert(new_value, None, entry.key, value);
                added.push(entry.key.to_owned());
            }
            Some((_, same)) if *same == value => {}
            Some((name, _)) => conflicts.push((name.clone(), common::at(doc, &entry))),
        }
    }
    let shared = common::shared_note(doc, new_value);
    if !added.is_empty() {
        cx.changed(
            new_at,
            format!(
                "added {} from `headers` to `set_response_headers`{shared}",
                quoted_list(&added)
            ),
        );
    }
    for (name, at) in conflicts {
        cx.action(
            at,
            format!(
                "`headers` and `set_response_headers` both set `{name}` to different values; \
                 the `set_response_headers` value is kept: check which one you want"
            ),
        );
    }
    common::retire(
        cx,
        old,
        &common::Retirement::key_first(
            "replaced by set_response_headers",
            "its headers are merged into `set_response_headers`",
        ),
    );
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

crate::step! {
    /// # `signing_key_algorithm` is inferred (Core)
    ///
    /// **What changed in Pomerium.** Since 0.16 Pomerium reads the algorithm from the key in
    /// `signing_key` itself (ES256 for an ECDSA P-256 key, RS256 for RSA…). `signing_key_algorithm`
    /// is no longer read.
    ///
    /// **Evidence.** v0.15.0 `config/options.go` reads `signing_key_algorithm`, v0.16.0 does not;
    /// the upgrade guide (pomerium/documentation `content/docs/deploy/upgrading.mdx`), Core 0.16.0:
    /// "Removed `signing_key_algorithm` option".
    ///
    /// **What the step does.** The step comments it out (or deletes it with `--removed delete`).
    ///
    /// Before:
    ///
    /// ```yaml
    /// signing_key: LS0t…
    /// signing_key_algorithm: ES256
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// signing_key: LS0t…
    /// # pomerium-migrate v0.16: removed; the algorithm is read from signing_key
    /// # signing_key_algorithm: ES256
    /// ```
    pub(crate) static REMOVE_SIGNING_KEY_ALGORITHM = Step {
        version: Version::new(0, 16),
        id: "remove-signing-key-algorithm",
        title: "Comment out signing_key_algorithm (inferred from signing_key)",
        scope: Scope::Core,
        handles: &["signing_key_algorithm"],
        link: LINK,
        run: remove_signing_key_algorithm,
    };
}

fn remove_signing_key_algorithm(cx: &mut StepContext<'_>) {
    common::retire_top_level(
        cx,
        &["signing_key_algorithm"],
        &common::Retirement::key_first(
            "removed; the algorithm is read from signing_key",
            "Pomerium 0.16 infers the algorithm from `signing_key`",
        ),
    );
}

crate::step! {
    /// # GitHub teams are named by slug (Core)
    ///
    /// **What changed in Pomerium.** With the GitHub identity provider, Pomerium up to 0.15
    /// identified a team by its numeric ID. From 0.16 on, teams are identified by their slug
    /// (`platform-team`), so group rules that name a team by number stop matching.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Core 0.16.0: "Some GitHub group IDs changed from
    /// integer to slug with the new GraphQL approach".
    ///
    /// **What the step does.** When `idp_provider` is `github` and a route's `allowed_groups`, or a
    /// `groups` criterion in its `policy`, names a group by a number, the step adds a note at that
    /// place. It cannot look up the slugs and changes nothing.
    ///
    /// Before:
    ///
    /// ```yaml
    /// idp_provider: github
    /// routes:
    ///   - from: https://app.example.com
    ///     allowed_groups: ["4213560"]
    /// ```
    ///
    /// After: unchanged, with a note on `allowed_groups` asking for the team's slug.
    pub(crate) static GITHUB_TEAM_SLUGS = Step {
        version: Version::new(0, 16),
        id: "github-team-slugs",
        title: "Note that GitHub teams are matched by slug, not numeric ID",
        scope: Scope::Core,
        handles: &["idp_provider", "allowed_groups"],
        link: LINK,
        run: github_team_slugs,
    };
}

fn github_team_slugs(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let github = doc
        .top("idp_provider")
        .and_then(|e| doc.str(e.value))
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("github"));
    if !github {
        return;
    }
    for route in common::routes(doc) {
        let mut numeric = Vec::new();
        if let Some(groups) = doc.get(route.node, "allowed_groups") {
            numeric_groups(doc, groups.value, &mut numeric);
        }
        if let Some(policy) = doc.get(route.node, "policy") {
            for criterion in common::groups_criteria(doc, policy.value) {
                let value = doc.resolve(criterion.value);
                numeric_groups(doc, value, &mut numeric);
                for inner in doc.entries(value) {
                    numeric_groups(doc, inner.value, &mut numeric);
                }
            }
        }
        for node in numeric {
            cx.note(
                Some(doc.location(node)),
                format!(
                    "{} names a GitHub team by its numeric ID; from 0.16 on teams are matched \
                     by slug (e.g. `platform-team`): replace the number with the team's slug",
                    route.name()
                ),
            );
        }
    }
}

/// The scalar items of a group list that are numbers.
fn numeric_groups(doc: &Document, node: NodeId, out: &mut Vec<NodeId>) {
    let node = doc.resolve(node);
    let items: Vec<NodeId> = if doc.is_sequence(node) {
        doc.items(node).to_vec()
    } else {
        vec![node]
    };
    for item in items {
        let numeric = match doc.scalar(item) {
            Some(Value::Int(_)) => true,
            Some(Value::String(s)) => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        };
        if numeric && !out.contains(&item) {
            out.push(item);
        }
    }
}

crate::step! {
    /// # `access_type=offline` is sent only to Google (Core)
    ///
    /// **What changed in Pomerium.** Up to 0.15, Pomerium added the Google-specific parameter
    /// `access_type=offline` to the sign-in URL of every OpenID Connect identity provider. From
    /// 0.16 only the `google` provider gets it; the others (`auth0`, `azure`, `gitlab`, `oidc`,
    /// `okta`, `onelogin`, `ping`) are expected to hand out refresh tokens for the standard
    /// `offline_access` scope. That scope is in Pomerium's default scope list, but a file that
    /// sets `idp_scopes` replaces the defaults: without `offline_access` there, a provider that
    /// honoured `access_type=offline` may stop issuing refresh tokens, and sessions then end
    /// when the access token expires instead of being refreshed. (`github` uses plain OAuth 2
    /// and is unchanged.)
    ///
    /// **Evidence.** Commit 1a7c5415e ("identity: only assign `access_type` uri params to
    /// google", in v0.16.0): v0.15.0 `internal/identity/oidc/oidc.go` has
    /// `defaultAuthCodeOptions = []oauth2.AuthCodeOption{oauth2.AccessTypeOffline}`, v0.16.0
    /// has an empty list and moves `access_type: offline` to
    /// `internal/identity/oidc/google/google.go`; v0.16.0 `docs/docs/upgrading.md`, "OIDC flow
    /// no longer sets default uri params".
    ///
    /// **What the step does.** Nothing is rewritten (whether the provider needs the scope is
    /// the provider's business). A note is added when `idp_provider` is one of the providers
    /// above, `idp_scopes` is set (a list or a comma-separated string) without
    /// `offline_access`, and `idp_request_params` does not set `access_type` itself. Other
    /// files get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// idp_provider: okta
    /// idp_scopes: [openid, profile, email]
    /// ```
    ///
    /// After (unchanged; if sessions stop refreshing, add the scope):
    ///
    /// ```yaml
    /// idp_provider: okta
    /// idp_scopes: [openid, profile, email, offline_access]
    /// ```
    pub(crate) static OIDC_OFFLINE_ACCESS = Step {
        version: Version::new(0, 16),
        id: "oidc-offline-access",
        title: "Note that access_type=offline is sent only to Google",
        scope: Scope::Core,
        handles: &["idp_scopes"],
        link: LINK,
        run: oidc_offline_access,
    };
}

/// The identity providers of 0.15 built on Pomerium's generic OpenID Connect provider, other
/// than Google (v0.15.0 `internal/identity/providers.go`).
const OIDC_PROVIDERS: &[&str] = &[
    "auth0", "azure", "gitlab", "oidc", "okta", "onelogin", "ping",
];

fn oidc_offline_access(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let provider = doc
        .top("idp_provider")
        .and_then(|e| doc.str(e.value))
        .map(str::trim)
        // Pomerium matches the name exactly (v0.15.0 `internal/identity/providers.go`).
        .filter(|p| OIDC_PROVIDERS.contains(p));
    let scopes = doc.top("idp_scopes").filter(|e| {
        let scopes = common::strings(doc, doc.resolve(e.value));
        !scopes
            .iter()
            .flat_map(|s| s.split(','))
            .any(|s| s.trim() == "offline_access")
    });
    let own_access_type = doc
        .top("idp_request_params")
        .is_some_and(|e| doc.get(e.value, "access_type").is_some());
    match (provider, scopes) {
        (Some(provider), Some(scopes)) if !own_access_type => {
            let at = common::at(doc, &scopes);
            cx.note(
                at,
                format!(
                    "from 0.16 on, Pomerium no longer sends `access_type=offline` to `{provider}`; \
                     `idp_scopes` lacks `offline_access`, so if sessions stop being refreshed, \
                     add `offline_access` to `idp_scopes`"
                ),
            );
        }
        _ => cx.general_note(
            "from 0.16 on, `access_type=offline` is sent only to Google; other OpenID Connect \
             providers get refresh tokens through the `offline_access` scope (in the default \
             scopes; add it when you set `idp_scopes`)",
        ),
    }
}

crate::step! {
    /// # `signing-key` is replaced by `authenticate-service-url` (Enterprise Console)
    ///
    /// **What changed in Pomerium.** From 0.16 the Console no longer needs a copy of Core's signing
    /// key: it fetches the key from the Authenticate service, whose URL it is given in
    /// `authenticate-service-url`. `signing-key` still works, but device enrollment does not until
    /// it is replaced.
    ///
    /// Later the Console stopped needing either: its configuration reference marks both
    /// `authenticate_service_url` and `signing_key` "(deprecated)" and "not required" since
    /// March 2023 (pomerium/documentation commits efafa19c and acae78e5, page
    /// `content/docs/releases/enterprise/configure.md`, today
    /// `content/docs/deploy/enterprise/configure.mdx`), between the 0.21 (February 2023) and
    /// 0.22 (May 2023) releases. The Console's source is closed, so the exact release cannot be
    /// checked; the tool takes 0.22, the first release after the change.
    ///
    /// **Evidence.** The Enterprise upgrade guide for 0.16 (`content/docs/deploy/upgrading.mdx`:
    /// "`signing-key` replaced with `authenticate-service-url`"); the configuration reference
    /// commits above.
    ///
    /// **What the step does.** When the run's target is 0.22 or later, it adds neither key and
    /// notes that neither is required any more (a `signing-key` already in the file is left
    /// alone; the note says it is no longer required). Otherwise:
    ///
    /// When the URL is known — Core's `authenticate_service_url` from a Core config in the same
    /// run (which wins over a different `--set` value, with an action saying so), or
    /// `--set authenticate-service-url=…` — the step adds `authenticate-service-url`
    /// (in the file's spelling, next to `signing-key`) and comments out `signing-key` (or
    /// deletes it with `--removed delete`). When it is not known, `signing-key` stays and one
    /// action says what to add (also for a run from before 0.15, where v0.15 then leaves the
    /// request to this step).
    ///
    /// Before:
    ///
    /// ```yaml
    /// signing-key: LS0t…
    /// ```
    ///
    /// After (a run to 0.16–0.21):
    ///
    /// ```yaml
    /// # pomerium-migrate v0.16: replaced by authenticate-service-url
    /// # signing-key: LS0t…
    /// authenticate-service-url: https://authenticate.corp.example.com
    /// ```
    pub(crate) static CONSOLE_AUTHENTICATE_SERVICE_URL = Step {
        settings: &["authenticate-service-url"],
        version: Version::new(0, 16),
        id: "console-authenticate-service-url",
        title: "Replace the Console's signing-key by authenticate-service-url",
        scope: Scope::Console,
        handles: &["signing-key", "authenticate-service-url"],
        link: LINK,
        run: console_authenticate_service_url,
    };
}

fn console_authenticate_service_url(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    let signing_key = common::console_entry(doc, "signing-key");
    let url_entry = common::console_entry(doc, "authenticate-service-url");
    if url_entry.is_none() && cx.options.reaches(common::CONSOLE_NEEDS_NEITHER) {
        let kept = signing_key.as_ref().map_or(String::new(), |e| {
            format!("; the `{}` in the file is no longer required either", e.key)
        });
        cx.note(
            signing_key.as_ref().and_then(|e| common::at(doc, e)),
            format!(
                "`authenticate-service-url` is not added: from 0.22 the Console needs neither \
                 `authenticate-service-url` nor `signing-key` (its reference marks both \
                 deprecated and not required){kept}"
            ),
        );
        return;
    }
    if let Some(url) = url_entry {
        if let Some(signing_key) = signing_key {
            common::retire(
                cx,
                &signing_key,
                &common::Retirement::key_first(
                    &format!("replaced by {}", url.key),
                    &format!("the Console fetches the signing key from `{}`", url.key),
                ),
            );
        }
        return;
    }
    if let Some(url) = common::core_authenticate_service_url(cx) {
        common::warn_if_set_differs(
            cx,
            "authenticate-service-url",
            "authenticate_service_url",
            url,
            cx.setting("authenticate-service-url"),
        );
    }
    let Some((url, source)) = common::known_authenticate_service_url(cx) else {
        let at = signing_key.as_ref().and_then(|e| common::at(doc, e));
        let message = if signing_key.is_some() {
            "the Console now fetches the signing key from the Authenticate service: add \
             `authenticate-service-url` (Core's `authenticate_service_url`) and remove \
             `signing-key`; pass the Core config in the same run or \
             `--set authenticate-service-url=URL`. Until then device enrollment does not work"
        } else {
            "the Console needs `authenticate-service-url` (Core's `authenticate_service_url`) \
             to fetch the signing key that verifies Core's requests: pass the Core config in \
             the same run or `--set authenticate-service-url=URL`, or add it by hand"
        };
        cx.action(at, message);
        return;
    };
    let key = Spelling::of(doc).key("authenticate-service-url");
    let after = signing_key
        .as_ref()
        .filter(|e| e.merged_into.is_none())
        .map(|e| common::replacing_position(cx, e.id, &[]))
        .or_else(|| common::last_top_level(doc));
    cx.insert(root, after, &key, Value::String(url));
    let at = signing_key.as_ref().and_then(|e| common::at(doc, e));
    cx.changed(at, format!("added `{key}` with the value of {source}"));
    if let Some(signing_key) = signing_key {
        common::retire(
            cx,
            &signing_key,
            &common::Retirement::key_first(
                &format!("replaced by {key}"),
                &format!("the Console fetches the signing key from `{key}`"),
            ),
        );
    }
}
