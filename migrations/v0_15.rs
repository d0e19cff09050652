//! Pomerium 0.15: unused Core options removed; the Enterprise Console needs `signing-key` and
//! `audience`; Helm charts moved.

use base64::Engine as _;

use super::common;
use crate::document::Value;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0150";

crate::step! {
    /// # Remove unused gRPC and refresh options (Core)
    ///
    /// **What changed in Pomerium.** Pomerium 0.15 dropped three options that no longer did
    /// anything: `grpc_server_max_connection_age`, `grpc_server_max_connection_age_grace` and
    /// `refresh_cooldown`. Keeping them is at best misleading.
    ///
    /// **Evidence.** v0.14.0 `config/options.go` reads `grpc_server_max_connection_age` and
    /// `grpc_server_max_connection_age_grace`, v0.15.0 does not; the upgrade guide
    /// (pomerium/documentation `content/docs/deploy/upgrading.mdx`), Core 0.15.0: "Removed unused
    /// options".
    ///
    /// **What the step does.** The step comments them out (or deletes them with `--removed
    /// delete`).
    ///
    /// Before:
    ///
    /// ```yaml
    /// grpc_server_max_connection_age: 5m
    /// refresh_cooldown: 5m
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.15: removed; the option no longer has any effect
    /// # grpc_server_max_connection_age: 5m
    /// # pomerium-migrate v0.15: removed; the option no longer has any effect
    /// # refresh_cooldown: 5m
    /// ```
    pub(crate) static REMOVE_UNUSED_OPTIONS = Step {
        version: Version::new(0, 15),
        id: "remove-unused-options",
        title: "Comment out grpc_server_max_connection_age(_grace) and refresh_cooldown",
        scope: Scope::Core,
        handles: &[
            "grpc_server_max_connection_age",
            "grpc_server_max_connection_age_grace",
            "refresh_cooldown",
        ],
        link: LINK,
        run: remove_unused_options,
    };
}

fn remove_unused_options(cx: &mut StepContext<'_>) {
    common::retire_top_level(
        cx,
        REMOVE_UNUSED_OPTIONS.handles,
        &common::Retirement::key_first(
            "removed; the option no longer has any effect",
            "Pomerium 0.15 no longer reads this option",
        ),
    );
}

crate::step! {
    /// # Ed25519 signing keys are no longer supported (Core)
    ///
    /// **What changed in Pomerium.** `signing_key` signs the JWT that Pomerium passes to upstream
    /// applications (and, from 0.15 on, to the Enterprise Console). From 0.15 the key must be an
    /// ECDSA (P-256) or RSA key; Ed25519 keys are rejected.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Core 0.15.0: "Ed25519 signing keys are no longer
    /// supported".
    ///
    /// **What the step does.** The step decodes `signing_key` (base64 of a PEM key, or PEM text)
    /// and, when it holds an Ed25519 key, reports an action: generate a new key, e.g. `openssl
    /// ecparam -genkey -name prime256v1 -noout | base64 -w0`, set it as `signing_key` and give the
    /// Enterprise Console the same value. The key itself is never printed and never changed by the
    /// tool (a new key is a decision with consequences for every verifier of the JWT).
    ///
    /// Before:
    ///
    /// ```yaml
    /// signing_key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t…   # an Ed25519 key
    /// ```
    ///
    /// After: unchanged, with an action-required finding on the `signing_key` line.
    pub(crate) static ED25519_SIGNING_KEY = Step {
        version: Version::new(0, 15),
        id: "ed25519-signing-key",
        title: "Report an Ed25519 signing_key (ECDSA or RSA required)",
        scope: Scope::Core,
        handles: &["signing_key"],
        link: LINK,
        run: ed25519_signing_key,
    };
}

/// The DER encoding of the Ed25519 algorithm identifier's OID, 1.3.101.112.
const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

fn ed25519_signing_key(cx: &mut StepContext<'_>) {
    let Some(entry) = cx.doc.top("signing_key") else {
        return;
    };
    let Some(text) = cx.doc.str(entry.value) else {
        return;
    };
    if is_ed25519_key(text) {
        cx.action(
            common::at(cx.doc, &entry),
            "`signing_key` holds an Ed25519 key, which Pomerium 0.15 rejects: generate an \
             ECDSA P-256 key (`openssl ecparam -genkey -name prime256v1 -noout | base64 -w0`), \
             set it as `signing_key` and give the Enterprise Console the same value",
        );
    }
}

/// Whether a key given as PEM text or base64 of PEM is an Ed25519 key.
pub(crate) fn is_ed25519_key(text: &str) -> bool {
    let pem_bytes = if text.trim_start().starts_with("-----BEGIN") {
        text.as_bytes().to_vec()
    } else {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        match base64::engine::general_purpose::STANDARD.decode(compact) {
            Ok(bytes) => bytes,
            Err(_) => return false,
        }
    };
    x509_parser::pem::Pem::iter_from_buffer(&pem_bytes)
        .filter_map(Result::ok)
        .any(|pem| {
            pem.contents
                .windows(ED25519_OID.len())
                .any(|w| w == ED25519_OID)
        })
}

crate::step! {
    /// # The Console needs `signing-key` (Enterprise Console)
    ///
    /// **What changed in Pomerium.** From 0.15 the Enterprise Console verifies the JWT that
    /// Pomerium Core sends with each request, so `signing-key` is required and must hold the
    /// same value as Core's `signing_key`.
    ///
    /// **Evidence.** The Enterprise upgrade guide for 0.15 (pomerium/documentation,
    /// `content/docs/deploy/upgrading.mdx`, "Upgrading Pomerium Enterprise"); the Console's
    /// source is closed.
    ///
    /// **What the step does.** When the Console config has no `signing-key` (in either spelling)
    /// the step takes the value from the Core config given in the same run (`signing_key`), else
    /// from `--set signing-key=…`, and adds it in the file's key spelling. When neither is
    /// available it reports an action, and when `--set` gives a value other than Core's, Core's is
    /// used and an action says so. The value is never printed. A file that already has
    /// `authenticate-service-url`, which replaces the signing key from 0.16 on, is left alone.
    ///
    /// When the run goes on to 0.16 or later and the v0.16 step will be able to write
    /// `authenticate-service-url` (the Core config has `authenticate_service_url`, or
    /// `--set authenticate-service-url` is given), the key is not copied: v0.16 would only
    /// comment it out again, leaving a commented copy of a private key in the file. A note
    /// says so. A run that stops at 0.15 copies it as above. When neither the key nor the URL
    /// is known and the run goes on to 0.16, this step reports nothing: v0.16 asks once for
    /// `authenticate-service-url`, instead of "add `signing-key`" here and "replace
    /// `signing-key`" there. When the run goes on to 0.22 or later, the step adds nothing:
    /// that Console needs neither key (see `v0.16/console-authenticate-service-url`).
    ///
    /// Before:
    ///
    /// ```yaml
    /// database-url: postgres://…
    /// ```
    ///
    /// After (`pomerium-migrate plan core.yaml console.yaml --kind auto`):
    ///
    /// ```yaml
    /// database-url: postgres://…
    /// signing-key: <Core's signing_key>
    /// ```
    pub(crate) static CONSOLE_SIGNING_KEY = Step {
        settings: &["signing-key", "authenticate-service-url"],
        version: Version::new(0, 15),
        id: "console-signing-key",
        title: "Add the Console's required signing-key (Core's signing_key)",
        scope: Scope::Console,
        handles: &["signing-key"],
        link: LINK,
        run: console_signing_key,
    };
}

fn console_signing_key(cx: &mut StepContext<'_>) {
    // `authenticate-service-url` (0.16) replaces the signing key: such a file is newer already.
    if common::console_entry(cx.doc, "signing-key").is_some()
        || common::console_entry(cx.doc, "authenticate-service-url").is_some()
    {
        return;
    }
    // A Console of 0.22 or later needs no signing key; v0.16 says so for both keys.
    if cx.options.reaches(common::CONSOLE_NEEDS_NEITHER) {
        return;
    }
    // Copying Core's private key only for v0.16 to comment it out would leave a commented copy
    // of a secret in the file: when this run reaches 0.16 and v0.16 can write
    // `authenticate-service-url`, the key is not copied at all.
    if cx.options.reaches(Version::new(0, 16))
        && common::known_authenticate_service_url(cx).is_some()
    {
        cx.note(
            None,
            "`signing-key` is not added: this run continues to 0.16, where the Console fetches \
             the signing key from `authenticate-service-url` (added by v0.16) instead, so a copy \
             of Core's private key is not needed",
        );
        return;
    }
    let from_core = common::non_empty_str(cx.core.and_then(|core| core.get("signing_key")));
    let (value, source) = match (from_core, cx.setting("signing-key")) {
        (Some(v), set) => {
            common::warn_if_set_differs(cx, "signing-key", "signing_key", v, set);
            (v.to_owned(), "the Core config's `signing_key`")
        }
        (None, Some(v)) => (v.to_owned(), "`--set signing-key`"),
        // A run that goes on to 0.16 asks once, there, for `authenticate-service-url`, which
        // replaces the signing key: asking for the key here too would be work undone later.
        (None, None) if cx.options.reaches(Version::new(0, 16)) => return,
        (None, None) => {
            cx.action(
                None,
                "the Console now requires `signing-key` with the same value as Core's \
                 `signing_key`: pass the Core config in the same run, or \
                 `--set signing-key=…`, or add it by hand",
            );
            return;
        }
    };
    common::add_console_key(cx, "signing-key", value, source);
}

crate::step! {
    /// # The Console needs `audience` (Enterprise Console)
    ///
    /// **What changed in Pomerium.** From 0.15 the Console checks the audience of the JWT it
    /// receives from Core. `audience` is required: the Console's external host name, as written in
    /// the `from` URL of the Core route that leads to the Console, without the scheme
    /// (`console.corp.example.com`).
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise 0.15.0: "`audience` must match the
    /// external hostname for the Enterprise Console"; the Console's source is not public.
    ///
    /// **What the step does.** When the Console config has no `audience`, the step uses `--set
    /// audience=…` if given; otherwise it looks in the Core config given in the same run for the
    /// route whose `to` reaches port 8701 (the Console's default port) or a host whose name
    /// contains `console`, and takes the host of its `from`. (An explicit value wins over this
    /// guess.) With neither, or when several routes match with different hosts, it reports an
    /// action naming them.
    ///
    /// Before (Core has `from: https://console.corp.example.com`,
    /// `to: http://pomerium-console:8701`):
    ///
    /// ```yaml
    /// database-url: postgres://…
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// database-url: postgres://…
    /// audience: console.corp.example.com
    /// ```
    pub(crate) static CONSOLE_AUDIENCE = Step {
        settings: &["audience"],
        version: Version::new(0, 15),
        id: "console-audience",
        title: "Add the Console's required audience (its external host name)",
        scope: Scope::Console,
        handles: &["audience"],
        link: LINK,
        run: console_audience,
    };
}

fn console_audience(cx: &mut StepContext<'_>) {
    if common::console_entry(cx.doc, "audience").is_some() {
        return;
    }
    let hosts = cx.core.map(console_hosts).unwrap_or_default();
    // An explicit `--set audience` wins over the guess from the Core routes.
    match (hosts.as_slice(), cx.setting("audience")) {
        (_, Some(value)) => {
            common::add_console_key(cx, "audience", value.to_owned(), "`--set audience`")
        }
        ([host], None) => {
            let host = host.clone();
            common::add_console_key(
                cx,
                "audience",
                host,
                "the `from` host of the Core route that leads to the Console",
            );
        }
        ([], None) => cx.action(
            None,
            "the Console now requires `audience`: its external host name as in the `from` URL \
             of the Core route to the Console, without the scheme; pass the Core config in the \
             same run or `--set audience=HOST`",
        ),
        (many, None) => cx.action(
            None,
            format!(
                "the Console now requires `audience`; several Core routes lead to a console \
                 ({}): choose the external one with `--set audience=HOST`",
                many.join(", ")
            ),
        ),
    }
}

/// The `from` hosts of the Core routes that lead to the Console, sorted and deduplicated.
fn console_hosts(core: &Value) -> Vec<String> {
    let mut hosts = Vec::new();
    for key in ["routes", "policy"] {
        let Some(Value::Sequence(routes)) = core.get(key) else {
            continue;
        };
        for route in routes {
            let Some(from) = route.get("from").and_then(Value::as_str) else {
                continue;
            };
            let targets: Vec<&str> = match route.get("to") {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Sequence(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let leads_to_console = targets.iter().any(|to| {
                common::parse_url(to).is_some_and(|u| {
                    u.port == Some(8701) || u.host.to_ascii_lowercase().contains("console")
                })
            });
            if leads_to_console && let Some(from) = common::parse_url(from) {
                hosts.push(from.host.to_owned());
            }
        }
    }
    hosts.sort();
    hosts.dedup();
    hosts
}

crate::step! {
    /// # Helm charts moved into the main repository (Enterprise Console)
    ///
    /// **What changed in Pomerium.** With 0.15 the Enterprise Helm charts were consolidated into
    /// the main Pomerium chart repository. Installations made with Helm must switch repositories:
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise 0.15.0, "Helm Installations": the
    /// charts are consolidated, use `pomerium/pomerium-console`.
    ///
    /// **What the step does.** ```sh helm repo remove pomerium-enterprise helm upgrade --install
    /// pomerium-console pomerium/pomerium-console \ --values=pomerium-console-values.yaml ```
    ///
    /// The Console config itself does not change; the step adds a note with these commands for
    /// every Console config it migrates across 0.15.
    ///
    /// Before: a Console config installed with the old charts.
    ///
    /// After: the file is unchanged.
    pub(crate) static HELM_CHARTS_MOVED = Step {
        version: Version::new(0, 15),
        id: "helm-charts-moved",
        title: "Note that the Enterprise Helm charts moved to the main Pomerium chart repository",
        scope: Scope::Console,
        handles: &[],
        link: LINK,
        run: helm_charts_moved,
    };
}

fn helm_charts_moved(cx: &mut StepContext<'_>) {
    cx.note(
        None,
        "if you install with Helm: the Enterprise charts moved to the main Pomerium chart \
         repository; run `helm repo remove pomerium-enterprise` and then `helm upgrade --install \
         pomerium-console pomerium/pomerium-console --values=pomerium-console-values.yaml`",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_console_routes() {
        let route = |from: &str, to: Value| {
            Value::Mapping(vec![
                (Value::String("from".into()), Value::String(from.into())),
                (Value::String("to".into()), to),
            ])
        };
        let core = Value::Mapping(vec![
            (
                Value::String("routes".into()),
                Value::Sequence(vec![
                    route(
                        "https://app.example.com",
                        Value::String("http://app:8080".into()),
                    ),
                    route(
                        "https://console.example.com",
                        Value::Sequence(vec![Value::String("http://10.0.0.5:8701".into())]),
                    ),
                ]),
            ),
            (
                Value::String("policy".into()),
                Value::Sequence(vec![route(
                    "https://admin.example.com:443",
                    Value::String("https://pomerium-console.svc,10".into()),
                )]),
            ),
        ]);
        assert_eq!(
            console_hosts(&core),
            vec!["admin.example.com", "console.example.com"]
        );
    }
}
