//! Pomerium 0.31: the authenticate callback path is fixed.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0310";

/// The callback path Pomerium uses from 0.31 on.
const CALLBACK: &str = "/oauth2/callback";

crate::step! {
    /// # `authenticate_callback_path` was removed
    ///
    /// Pomerium 0.31 removed `authenticate_callback_path`. The authenticate service always
    /// receives the identity provider's redirect at `/oauth2/callback`, the old default.
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
