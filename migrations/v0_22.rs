//! Pomerium 0.22: the hosted Authenticate service is the default.

use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0220";

crate::step! {
    /// # Hosted Authenticate is the default (Core)
    ///
    /// **What changed in Pomerium.** From 0.22, a config that sets no `authenticate_service_url`
    /// uses the Authenticate service Pomerium hosts (`authenticate.pomerium.app`) instead of
    /// running its own; no identity provider settings are needed for it. Self-hosted authentication
    /// still works when `authenticate_service_url` (and the `idp_*` settings) are given.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise 0.22.0: the Hosted Authenticate
    /// Service is the default for SSO when no identity provider is configured.
    ///
    /// **What the step does.** When the file sets no `authenticate_service_url`, the step adds a
    /// note: after the upgrade, sign-in goes through the hosted service. Set
    /// `authenticate_service_url` (and the identity provider settings) to keep a self-hosted
    /// Authenticate service. A Core file given only for its routes (the URL set by environment
    /// variable) can ignore the note.
    ///
    /// Before: any file of this kind.
    ///
    /// After: unchanged (the step only reports).
    pub(crate) static HOSTED_AUTHENTICATE_DEFAULT = Step {
        version: Version::new(0, 22),
        id: "hosted-authenticate-default",
        title: "Note that without authenticate_service_url the hosted Authenticate service is used",
        scope: Scope::Core,
        handles: &["authenticate_service_url"],
        link: LINK,
        run: hosted_authenticate_default,
    };
}

fn hosted_authenticate_default(cx: &mut StepContext<'_>) {
    let set = cx
        .doc
        .top("authenticate_service_url")
        .and_then(|e| cx.doc.str(e.value))
        .is_some_and(|url| !url.trim().is_empty());
    if !set {
        cx.note(
            None,
            "no `authenticate_service_url` is set: from 0.22 on, sign-in uses the hosted \
             Authenticate service (authenticate.pomerium.app); set `authenticate_service_url` \
             and the `idp_*` options to keep a self-hosted one",
        );
    }
}
