//! Pomerium 0.11: the cache service became the databroker; user impersonation is off by default.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0110";

crate::step! {
    /// # `cache_service_url` is now `databroker_service_url`
    ///
    /// **What changed in Pomerium.** Pomerium 0.11 replaced the cache service by the databroker
    /// service. The option that points the other services at it was renamed with it; 0.11 no longer
    /// reads `cache_service_url`.
    ///
    /// **Evidence.** v0.10.0 `config/options.go` reads `cache_service_url`; v0.11.0
    /// `config/options.go` reads only `databroker_service_url`; v0.11.0 `docs/docs/upgrading.md`,
    /// "`cache_service_url` has been renamed to `databroker_service_url`".
    ///
    /// **What the step does.** It renames the top-level key and keeps its value, quoting and
    /// comments. If the file already sets `databroker_service_url`, that entry wins: the old
    /// key is commented out (deleted with `--removed delete`), and when the two values differ
    /// an action asks you to check which address is right.
    ///
    /// Before:
    ///
    /// ```yaml
    /// cache_service_url: https://cache.internal:5443
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// databroker_service_url: https://cache.internal:5443
    /// ```
    pub(crate) static DATABROKER_SERVICE_URL = Step {
        version: Version::new(0, 11),
        id: "databroker-service-url",
        title: "Rename cache_service_url to databroker_service_url",
        scope: Scope::Core,
        handles: &["cache_service_url"],
        link: LINK,
        run: databroker_service_url,
    };
}

fn databroker_service_url(cx: &mut StepContext<'_>) {
    if let Some(root) = cx.doc.root() {
        common::rename_key(
            cx,
            root,
            None,
            "cache_service_url",
            "databroker_service_url",
            "the cache service became the databroker in 0.11",
        );
    }
}

crate::step! {
    /// # User impersonation is off by default
    ///
    /// **What changed in Pomerium.** Up to 0.10, every user listed in `administrators` could
    /// impersonate other users from the dashboard. 0.11 added the option
    /// `enable_user_impersonation`, false by default: without it, the authenticate service
    /// refuses impersonation with a 403 error. 0.13 removed impersonation from Core
    /// altogether (step `v0.13/user-impersonation`), so this matters only for a run that
    /// stops at 0.11 or 0.12.
    ///
    /// **Evidence.** Commit 04c582121 ("add flag to enable user impersonation", in v0.11.0):
    /// `authenticate/handlers.go` refuses impersonation unless `EnableUserImpersonation`;
    /// v0.11.0 `config/options.go` adds the `enable_user_impersonation` key (absent from
    /// v0.10.0); v0.11.0 `docs/docs/upgrading.md`, "User impersonation disabled by default".
    ///
    /// **What the step does.** Nothing is rewritten. When the file lists `administrators`,
    /// does not set `enable_user_impersonation` and the run ends before 0.13, a note says
    /// that the administrators lose impersonation unless `enable_user_impersonation: true` is
    /// added. Other files get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// administrators: admin@example.com
    /// ```
    ///
    /// After (unchanged; add the option yourself to keep impersonation on 0.11 and 0.12):
    ///
    /// ```yaml
    /// administrators: admin@example.com
    /// enable_user_impersonation: true
    /// ```
    pub(crate) static USER_IMPERSONATION_DEFAULT = Step {
        version: Version::new(0, 11),
        id: "user-impersonation-default",
        title: "Note that user impersonation is off unless enable_user_impersonation is set",
        scope: Scope::Core,
        handles: &["administrators"],
        link: LINK,
        run: user_impersonation_default,
    };
}

fn user_impersonation_default(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let admins = doc
        .top("administrators")
        .filter(|e| !common::strings(doc, doc.resolve(e.value)).is_empty());
    let relevant = admins.as_ref().filter(|_| {
        doc.top("enable_user_impersonation").is_none() && !cx.options.reaches(Version::new(0, 13))
    });
    match relevant {
        Some(entry) => {
            let at = common::at(doc, entry);
            cx.note(
                at,
                "from 0.11 on, `administrators` can no longer impersonate users unless \
                 `enable_user_impersonation: true` is set (impersonation is removed from Core \
                 in 0.13)",
            );
        }
        None => cx.general_note(
            "from 0.11 on, user impersonation is off unless `enable_user_impersonation: true` \
             is set (impersonation is removed from Core in 0.13)",
        ),
    }
}
