//! Pomerium 0.13: user impersonation was removed from Core.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0130";

crate::step! {
    /// # User impersonation was removed from Core
    ///
    /// **What changed in Pomerium.** Pomerium 0.13 removed user impersonation from Pomerium Core,
    /// and with it the two options that controlled it: `administrators` (the users allowed to
    /// impersonate others) and `enable_user_impersonation`. Pomerium Enterprise offers
    /// impersonation on the server side instead, managed in the Console.
    ///
    /// **Evidence.** v0.12.0 `config/options.go` reads `administrators` and
    /// `enable_user_impersonation`; v0.13.0 `config/options.go` reads neither; v0.13.0
    /// `docs/docs/upgrading.md`, "User impersonation removed" and "Administrators option removed".
    ///
    /// **What the step does.** It comments out both top-level keys under a note naming the
    /// step (or deletes them with `--removed delete`) and reports each one. Nothing else
    /// depends on them, so no action is needed.
    ///
    /// Before:
    ///
    /// ```yaml
    /// administrators: admin@example.com
    /// enable_user_impersonation: true
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.13: user impersonation was removed from Core
    /// # administrators: admin@example.com
    /// # pomerium-migrate v0.13: user impersonation was removed from Core
    /// # enable_user_impersonation: true
    /// ```
    pub(crate) static USER_IMPERSONATION = Step {
        version: Version::new(0, 13),
        id: "user-impersonation",
        title: "Comment out the user impersonation options",
        scope: Scope::Core,
        handles: &["administrators", "enable_user_impersonation"],
        link: LINK,
        run: user_impersonation,
    };
}

fn user_impersonation(cx: &mut StepContext<'_>) {
    let Some(root) = cx.doc.root() else {
        return;
    };
    for key in ["administrators", "enable_user_impersonation"] {
        common::retire_key(
            cx,
            root,
            key,
            &common::Retirement::verb_first(
                None,
                "user impersonation was removed from Core",
                "user impersonation was removed from Pomerium Core in 0.13 (Pomerium Enterprise \
             provides impersonation in the Console)",
            ),
        );
    }
}
