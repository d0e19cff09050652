//! Pomerium 0.21: forward-auth mode removed; devices re-enrolled; internal TLS can be derived.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0210";

crate::step! {
    /// # Forward-auth mode was removed (Core)
    ///
    /// **What changed in Pomerium.** Forward authentication let another reverse proxy (nginx,
    /// Traefik…) ask Pomerium whether to let a request through, via `forward_auth_url`. Pomerium
    /// 0.21 removed this mode: it could not strip cookies from upstream requests and did not work
    /// with newer features. Pomerium must now be the proxy in front of the applications itself.
    ///
    /// **Evidence.** Commit fa26587f1 ("remove forward auth", #3628, in v0.21.0): v0.20.0
    /// `config/options.go` reads `forward_auth_url`, v0.21.0 does not; the upgrade guide, Core
    /// 0.21.0: "Forward auth was removed in v0.21".
    ///
    /// **What the step does.** The step comments out `forward_auth_url` (or deletes it with
    /// `--removed delete`) and reports an action: the routes that relied on forward auth must be
    /// served by Pomerium directly, and the other proxy's auth configuration removed. No rewrite
    /// can do that.
    ///
    /// Before:
    ///
    /// ```yaml
    /// forward_auth_url: https://forwardauth.corp.example.com
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.21: removed; forward-auth mode no longer exists
    /// # forward_auth_url: https://forwardauth.corp.example.com
    /// ```
    pub(crate) static FORWARD_AUTH_REMOVED = Step {
        version: Version::new(0, 21),
        id: "forward-auth-removed",
        title: "Comment out forward_auth_url (forward-auth mode was removed)",
        scope: Scope::Core,
        handles: &["forward_auth_url"],
        link: LINK,
        run: forward_auth_removed,
    };
}

fn forward_auth_removed(cx: &mut StepContext<'_>) {
    let Some(entry) = cx.doc.top("forward_auth_url") else {
        return;
    };
    let at = common::at(cx.doc, &entry);
    common::retire(
        cx,
        &entry,
        &common::Retirement::key_first(
            "removed; forward-auth mode no longer exists",
            "Pomerium 0.21 removed forward-auth mode",
        ),
    );
    cx.action(
        at,
        "forward-auth mode is gone: put Pomerium itself in front of the applications that \
         used it (as routes with `from`/`to`) and remove the forward-auth settings of the \
         other proxy",
    );
}

crate::step! {
    /// # New internal-TLS and renegotiation options (Core)
    ///
    /// **What changed in Pomerium.** Pomerium 0.21 added `tls_derive`, which derives a CA and
    /// certificates for the internal gRPC connections (e.g. to the Enterprise Console) from
    /// `shared_secret`, and the route option `tls_upstream_allow_renegotiation` for upstreams that
    /// renegotiate TLS.
    ///
    /// **Evidence.** v0.21.0 `config/options.go` reads `tls_derive` (v0.20.0 does not) and v0.21.0
    /// `config/policy.go` reads `tls_upstream_allow_renegotiation`; the upgrade guide
    /// (pomerium/documentation `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise 0.21.0
    /// (`--derive-tls`, client TLS renegotiation).
    ///
    /// **What the step does.** Nothing needs to change; the step only adds a note, shown with
    /// `--notes all`.
    ///
    /// Before: any file of this kind.
    ///
    /// After: unchanged (the step only reports).
    pub(crate) static NEW_TLS_OPTIONS = Step {
        version: Version::new(0, 21),
        id: "new-tls-options",
        title: "Note that tls_derive and tls_upstream_allow_renegotiation are available",
        scope: Scope::Core,
        handles: &[],
        link: LINK,
        run: new_tls_options,
    };
}

fn new_tls_options(cx: &mut StepContext<'_>) {
    cx.general_note(
        "new in 0.21: `tls_derive` generates internal TLS certificates from the shared secret, \
         and the route option `tls_upstream_allow_renegotiation` allows upstream TLS \
         renegotiation",
    );
}

crate::step! {
    /// # Enrolled devices must be re-enrolled (Enterprise Console)
    ///
    /// **What changed in Pomerium.** The Console's device identity data model (beta) changed in
    /// 0.21 in a way that is not forward compatible: devices enrolled before must be registered
    /// again, and policies that name device IDs updated with the new IDs. Back up the Console's
    /// Postgres database before upgrading.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise 0.21.0: "Re-enroll devices: device
    /// identity changed in a non-forward-compatible way".
    ///
    /// **What the step does.** The Console config does not change; the step adds a note. With
    /// `--notes all` it also mentions the new `derive-tls` setting, which generates TLS for the
    /// databroker connection from the shared secret.
    ///
    /// Before: any file of this kind.
    ///
    /// After: unchanged (the step only reports).
    pub(crate) static REENROLL_DEVICES = Step {
        version: Version::new(0, 21),
        id: "reenroll-devices",
        title: "Note that enrolled devices must be re-enrolled",
        scope: Scope::Console,
        handles: &[],
        link: LINK,
        run: reenroll_devices,
    };
}

fn reenroll_devices(cx: &mut StepContext<'_>) {
    cx.note(
        None,
        "the device data model changed: back up the Console database, then re-enroll every \
         enrolled device and update policies that name device IDs",
    );
    cx.general_note(
        "new in 0.21: `derive-tls` generates TLS certificates for the databroker connection \
         from the shared secret",
    );
}
