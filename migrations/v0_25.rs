//! Pomerium 0.25: the debug option is gone.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0250";

crate::step! {
    /// # Remove `pomerium_debug` (Core)
    ///
    /// **What changed in Pomerium.** Until 0.24 `pomerium_debug: true` switched Pomerium's logs
    /// from JSON to a human-readable, coloured format. Pomerium 0.25 ignores the option: logs are
    /// always JSON. To read them comfortably, pipe them through a JSON processor such as `jq`.
    ///
    /// **Evidence.** Commit d6221c07c ("core/config: remove debug option, always use json logs",
    /// #4857, in v0.25.0).
    ///
    /// **What the step does.** The step comments out `pomerium_debug` (or deletes it with
    /// `--removed delete`). Nothing else changes, so the upgrade does not alter Pomerium's
    /// behaviour beyond the log format.
    ///
    /// Before:
    ///
    /// ```yaml
    /// pomerium_debug: true
    /// address: :443
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.25: removed; logs are always JSON (use jq to pretty-print)
    /// # pomerium_debug: true
    /// address: :443
    /// ```
    pub(crate) static REMOVE_POMERIUM_DEBUG = Step {
        version: Version::new(0, 25),
        id: "remove-pomerium-debug",
        title: "Comment out pomerium_debug (logs are always JSON)",
        scope: Scope::Core,
        handles: &["pomerium_debug"],
        link: LINK,
        run: remove_pomerium_debug,
    };
}

fn remove_pomerium_debug(cx: &mut StepContext<'_>) {
    remove_debug(cx, &["pomerium_debug"]);
}

crate::step! {
    /// # Remove `debug` (Enterprise Console)
    ///
    /// **What changed in Pomerium.** The Console's `debug` setting (`--debug`, `debug: true` in its
    /// config file) changed the log format from JSON to a pretty-printed one. Pomerium Enterprise
    /// 0.25 removed it; logs are always JSON. Pipe them through `jq` to read them pretty-printed.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise v0.25.0, "Remove Debug Option":
    /// pretty-printed logs are gone, pipe the JSON logs into `jq`.
    ///
    /// **What the step does.** The step comments out `debug` (or deletes it with `--removed
    /// delete`).
    ///
    /// Before:
    ///
    /// ```yaml
    /// debug: true
    /// database-url: postgres://…
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.25: removed; logs are always JSON (use jq to pretty-print)
    /// # debug: true
    /// database-url: postgres://…
    /// ```
    pub(crate) static REMOVE_CONSOLE_DEBUG = Step {
        version: Version::new(0, 25),
        id: "remove-console-debug",
        title: "Comment out the Console's debug option (logs are always JSON)",
        scope: Scope::Console,
        handles: &["debug"],
        link: LINK,
        run: remove_console_debug,
    };
}

fn remove_console_debug(cx: &mut StepContext<'_>) {
    remove_debug(cx, &["debug"]);
}

/// Comments out the first of `keys` the file has (or deletes it with `--removed delete`).
fn remove_debug(cx: &mut StepContext<'_>, keys: &[&str]) {
    let Some(entry) = cx.doc.root().and_then(|root| cx.doc.get_any(root, keys)) else {
        return;
    };
    common::retire(
        cx,
        &entry,
        &common::Retirement::key_first(
            "removed; logs are always JSON (use jq to pretty-print)",
            "Pomerium 0.25 always logs JSON; pipe the logs through `jq` to pretty-print them",
        ),
    );
}

crate::step! {
    /// # Self-hosted Authenticate uses the pre-0.21 flow again (Core)
    ///
    /// **What changed in Pomerium.** In 0.21 the authentication flow changed to support the hosted
    /// Authenticate service, which limited some self-hosted deployments. From 0.25, deployments
    /// that use the hosted Authenticate service keep the newer flow, and self-hosted ones (with
    /// `authenticate_service_url` and an identity provider of their own) use the older flow again.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise v0.25.0, "Authentication Flows":
    /// self-hosted deployments use a flow like v0.20's, Hosted Authenticate keeps the v0.21 flow.
    ///
    /// **What the step does.** Nothing needs to change; the step only adds a note, shown with
    /// `--notes all`.
    ///
    /// Before: any file of this kind.
    ///
    /// After: unchanged (the step only reports).
    pub(crate) static AUTHENTICATION_FLOW = Step {
        version: Version::new(0, 25),
        id: "authentication-flow",
        title: "Note that self-hosted Authenticate uses the pre-0.21 flow again",
        scope: Scope::Core,
        handles: &[],
        link: LINK,
        run: authentication_flow,
    };
}

fn authentication_flow(cx: &mut StepContext<'_>) {
    cx.general_note(
        "authentication flow: from 0.25 a self-hosted Authenticate service uses the pre-0.21 \
         flow again, while the hosted Authenticate service keeps the newer one",
    );
}
