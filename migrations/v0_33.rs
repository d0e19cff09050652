//! Pomerium 0.33: sign-out redirects need a runtime flag, and a missing signing key is derived
//! from the shared secret. (0.33 also stopped shipping Intel macOS builds, which no config
//! shows.)

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0330";

crate::step! {
    /// # `pomerium_redirect_uri` on sign-out needs a runtime flag
    ///
    /// **What changed in Pomerium.** A link to `/.pomerium/sign_out` could name where to go
    /// after signing out with the query parameter `pomerium_redirect_uri`, which took
    /// precedence over `signout_redirect_url`. From 0.33 the parameter is ignored unless the
    /// new runtime flag `allow_any_sign_out_redirect_uri` is true: users land on
    /// `signout_redirect_url` when it is set, else on Pomerium's own sign-out page.
    ///
    /// **Evidence.** Commit 6a75d9efc ("proxy: guard support for pomerium_redirect_uri", in
    /// v0.33.0): v0.33.0 `proxy/handlers_sign_out.go` reads the parameter only when
    /// `RuntimeFlagAllowAnySignOutRedirectURI` is set; v0.33.0 `config/runtime_flags.go`
    /// defines `allow_any_sign_out_redirect_uri` with default `false`.
    ///
    /// **What the step does.** Nothing is rewritten: the file cannot show whether
    /// applications pass the parameter, and turning the flag on re-opens redirects to any
    /// site. When the file sets `signout_redirect_url` (it configures where sign-out leads)
    /// and not the flag, a note at `signout_redirect_url` says that it now always wins. Other
    /// files get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// signout_redirect_url: https://www.example.com/goodbye
    /// ```
    ///
    /// After (unchanged; only if applications must choose the destination themselves):
    ///
    /// ```yaml
    /// signout_redirect_url: https://www.example.com/goodbye
    /// runtime_flags:
    ///   allow_any_sign_out_redirect_uri: true
    /// ```
    pub(crate) static SIGN_OUT_REDIRECT = Step {
        version: Version::new(0, 33),
        id: "sign-out-redirect",
        title: "Note that pomerium_redirect_uri on sign-out is ignored by default",
        scope: Scope::Core,
        handles: &["signout_redirect_url"],
        link: LINK,
        run: sign_out_redirect,
    };
}

fn sign_out_redirect(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let flag_set = doc
        .top("runtime_flags")
        .and_then(|flags| doc.get(flags.value, "allow_any_sign_out_redirect_uri"))
        .is_some();
    let url = doc
        .top("signout_redirect_url")
        .filter(|e| doc.str(e.value).is_some_and(|u| !u.trim().is_empty()));
    match url {
        Some(entry) if !flag_set => {
            let at = common::at(doc, &entry);
            cx.note(
                at,
                "from 0.33 on, sign-out always leads to `signout_redirect_url`: a \
                 `pomerium_redirect_uri` parameter on `/.pomerium/sign_out` is ignored unless \
                 `runtime_flags.allow_any_sign_out_redirect_uri` is true",
            );
        }
        _ => cx.general_note(
            "from 0.33 on, `/.pomerium/sign_out` ignores the `pomerium_redirect_uri` parameter \
             unless `runtime_flags.allow_any_sign_out_redirect_uri` is true",
        ),
    }
}

crate::step! {
    /// # A missing `signing_key` is derived from `shared_secret`
    ///
    /// **What changed in Pomerium.** `signing_key` is the key that signs the identity JWT
    /// Pomerium sends upstream (`X-Pomerium-Jwt-Assertion`, `${pomerium.jwt}`) and publishes
    /// at `/.well-known/pomerium/jwks.json`. Without `signing_key` or `signing_key_file`, up
    /// to 0.32 the authorize service generated a random key at every start (a new key after
    /// each restart, and a different one per replica). From 0.33 the key is derived from
    /// `shared_secret` (HKDF-SHA256, a P-256 key): the same across restarts and replicas, and
    /// changed whenever `shared_secret` changes. Whoever knows the shared secret can compute
    /// it.
    ///
    /// **Evidence.** Commit b213f913c ("config: derive signing key from shared secret", in
    /// v0.33.0): v0.33.0 `config/options.go` `GetSigningKey` calls `deriveSigningKey` when
    /// neither option is set; v0.32.0 `authorize/evaluator/evaluator.go` (`getJWK`) generated
    /// a key when none was configured.
    ///
    /// **What the step does.** Nothing is rewritten. When the file sets neither `signing_key`
    /// nor `signing_key_file`, a note describes the change (ignore it if the key is given by
    /// environment variable). Files with a signing key get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// shared_secret: <redacted>
    /// ```
    ///
    /// After (unchanged; set `signing_key` to keep a key independent of the shared secret):
    ///
    /// ```yaml
    /// shared_secret: <redacted>
    /// signing_key_file: /etc/pomerium/signing-key.pem
    /// ```
    pub(crate) static DERIVED_SIGNING_KEY = Step {
        version: Version::new(0, 33),
        id: "derived-signing-key",
        title: "Note that a missing signing_key is derived from shared_secret",
        scope: Scope::Core,
        handles: &["signing_key", "signing_key_file"],
        link: LINK,
        run: derived_signing_key,
    };
}

fn derived_signing_key(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let has_key = ["signing_key", "signing_key_file"].iter().any(|key| {
        doc.top(key)
            .is_some_and(|e| doc.str(e.value).is_some_and(|v| !v.trim().is_empty()))
    });
    if has_key {
        cx.general_note(
            "from 0.33 on, a config without `signing_key` or `signing_key_file` signs the \
             identity JWT with a key derived from `shared_secret`",
        );
    } else {
        cx.note(
            None,
            "no `signing_key` is set: from 0.33 on, the key that signs the identity JWT is \
             derived from `shared_secret` instead of generated at each start (stable across \
             restarts and replicas; it changes with `shared_secret`); set `signing_key` for a \
             key independent of the shared secret",
        );
    }
}
