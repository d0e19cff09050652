//! Pomerium 0.27: the Console's `validation-mode`; `/.pomerium/jwt` is off by default.

use super::common::{self, Removal, Spelling};
use crate::document::Value;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0270";

crate::step! {
    /// # Console: `disable-validation` became `validation-mode`
    ///
    /// **What changed in Pomerium.** Enterprise Console 0.27 replaced the boolean
    /// `disable-validation` by `validation-mode`, which says how strictly the Console validates the
    /// configuration it sends to Core. `disable-validation: true` corresponds to `validation-mode:
    /// none`; `false` was the default and needs no setting.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise v0.27.0: `--disable-validation` is
    /// deprecated, `--validation-mode=none` keeps its behaviour.
    ///
    /// **What the step does.** `disable-validation: true` becomes `validation-mode: none`, in the
    /// spelling the file uses (`disable_validation` becomes `validation_mode`). `false` is
    /// commented out. If `validation-mode` is already set, it wins: the old key is commented out,
    /// with an action when `true` meets a mode other than `none`. Any other value gets an
    /// action.
    ///
    /// Before:
    ///
    /// ```yaml
    /// disable-validation: true
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// validation-mode: none
    /// ```
    pub(crate) static VALIDATION_MODE = Step {
        version: Version::new(0, 27),
        id: "validation-mode",
        title: "Replace the Console's disable-validation by validation-mode",
        scope: Scope::Console,
        handles: &["disable-validation", "disable_validation"],
        link: LINK,
        run: validation_mode,
    };
}

fn validation_mode(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(old) = common::console_entry(doc, "disable_validation") else {
        return;
    };
    let at = Some(doc.entry_location(old.id));
    let new_key = Spelling::of_key(old.key).key("validation_mode");
    let note = format!("replaced by `{new_key}`");
    match common::as_bool(&doc.value(old.value)) {
        Some(true) => match common::console_entry(doc, "validation_mode") {
            None => {
                cx.rename(&old, &new_key);
                cx.set_scalar(doc.resolve(old.value), Value::String("none".to_owned()));
                cx.changed(at, format!("`{}: true` is now `{new_key}: none`", old.key));
            }
            Some(mode) => {
                let verb = Removal::of(cx.remove(old.id, &note)).verb();
                if doc.str(mode.value) == Some("none") {
                    cx.changed(
                        at,
                        format!("{verb} `{}`: `{}` already says `none`", old.key, mode.key),
                    );
                } else {
                    cx.action(
                        at,
                        format!(
                            "`{}: true` meant no validation, but `{}` (line {}) sets another \
                             mode; {verb} `{}`: set `{}: none` if validation should stay off",
                            old.key,
                            mode.key,
                            doc.entry_location(mode.id).line,
                            old.key,
                            mode.key
                        ),
                    );
                }
            }
        },
        Some(false) => {
            let removal = Removal::of(cx.remove(old.id, &note));
            cx.changed(
                at,
                format!(
                    "{} `{}: false`: validation is on by default",
                    removal.verb(),
                    old.key
                ),
            );
        }
        None => cx.action(
            at,
            format!(
                "`{}` is not `true` or `false`; replace it by `{new_key}` (e.g. `{new_key}: none` \
                 to turn validation off)",
                old.key
            ),
        ),
    }
}

crate::step! {
    /// # `/.pomerium/jwt` is deprecated and off by default
    ///
    /// **What changed in Pomerium.** Pomerium 0.27 deprecated the `/.pomerium/jwt` endpoint, which
    /// returned the signed identity JWT to the browser, and turned it off by default. Upstreams
    /// should read the `X-Pomerium-Jwt-Assertion` header instead. It can be turned back on for now
    /// with the runtime flag `pomerium_jwt_endpoint`.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Core 0.27.0, "Deprecated JWT endpoint": disabled by
    /// default, the runtime flag `pomerium_jwt_endpoint` turns it back on.
    ///
    /// **What the step does.** Nothing in the file shows whether a client calls the endpoint,
    /// so the step changes nothing and only adds a general note (shown with `--notes all`).
    ///
    /// Before: any configuration.
    ///
    /// After (unchanged; for deployments whose clients still fetch the endpoint, an edit you
    /// make):
    ///
    /// ```yaml
    /// runtime_flags:
    ///   pomerium_jwt_endpoint: true
    /// ```
    pub(crate) static JWT_ENDPOINT = Step {
        version: Version::new(0, 27),
        id: "jwt-endpoint",
        title: "Note that /.pomerium/jwt is deprecated and off by default",
        scope: Scope::Core,
        handles: &["runtime_flags"],
        link: LINK,
        run: jwt_endpoint,
    };
}

fn jwt_endpoint(cx: &mut StepContext<'_>) {
    cx.general_note(
        "`/.pomerium/jwt` is deprecated and off by default from 0.27; clients that fetch it need \
         the runtime flag `pomerium_jwt_endpoint: true` until they read the \
         `X-Pomerium-Jwt-Assertion` header instead",
    );
}
