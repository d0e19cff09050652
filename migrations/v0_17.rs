//! Pomerium 0.17: the Enterprise Console needs a license key.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0170";

crate::step! {
    /// # The Console needs `license-key` (Enterprise Console)
    ///
    /// **What changed in Pomerium.** Pomerium Enterprise 0.17 does not start without a license key.
    /// Your account team issues it; the tool cannot know it.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise 0.17.0: "`license-key` is now
    /// required"; the Console's source is not public.
    ///
    /// **What the step does.** When the Console config has no `license-key` (in either spelling),
    /// the step adds the value given with `--set license-key=…` in the file's spelling, or reports
    /// an action when none was given. The key is never printed.
    ///
    /// Before:
    ///
    /// ```yaml
    /// database-url: postgres://…
    /// ```
    ///
    /// After (`--set license-key=…`):
    ///
    /// ```yaml
    /// database-url: postgres://…
    /// license-key: <the given key>
    /// ```
    pub(crate) static CONSOLE_LICENSE_KEY = Step {
        settings: &["license-key"],
        version: Version::new(0, 17),
        id: "console-license-key",
        title: "Add the Console's required license-key",
        scope: Scope::Console,
        handles: &["license-key"],
        link: LINK,
        run: console_license_key,
    };
}

fn console_license_key(cx: &mut StepContext<'_>) {
    if common::console_entry(cx.doc, "license-key").is_some() {
        return;
    }
    match cx.setting("license-key") {
        Some(key) => {
            let key = key.to_owned();
            common::add_console_key(cx, "license-key", key, "`--set license-key`");
        }
        None => cx.action(
            None,
            "Pomerium Enterprise 0.17 requires `license-key`: add it with \
             `--set license-key=…` or by hand (your account team issues it)",
        ),
    }
}
