//! The migration chain: one module per Pomerium release, each step in the order it runs.
//!
//! A step named `v0.N` turns a config valid for 0.(N-1) into one valid for 0.N. Releases with
//! nothing to migrate or report have no module: 0.12 and 0.19 changed no configuration key or
//! behaviour that a config shows.
//!
//! # One shape for every release module
//!
//! - The module (`v0_NN.rs`) is private to this directory and starts with `//! Pomerium 0.NN:`
//!   and a one-line summary of what the release changed.
//! - Each step is a `pub(crate) static` declared with `crate::step!`; its function has the
//!   step's id as its name (`v0.24/set-authorization-header` is `fn set_authorization_header`,
//!   the static `SET_AUTHORIZATION_HEADER`). Everything else in the module is private.
//! - A title says what the step does, as an imperative starting with one of [`TITLE_VERBS`]
//!   ("Rename …", "Comment out …", "Note that …").
//! - A release module never imports another: what two steps share lives in `common/`.
//! - `handles` lists the keys the step rewrites or reports. It is data: a test proves that every
//!   key the key table shows as removed is handled by a step of the release that removed it.

use crate::step::Step;
use crate::version::Version;

/// The oldest release whose configs the tool reads. Declared here, once: the runner, the key
/// table and the tests take it from here.
pub const OLDEST: Version = Version::new(0, 10);
/// The newest release the tool knows: the default `--to`. A release counts even when it needs no
/// step. Adding a release starts here (see `migrations/README.md`).
pub const NEWEST: Version = Version::new(0, 33);

mod common;
mod v0_11;
mod v0_13;
mod v0_14;
mod v0_15;
mod v0_16;
mod v0_17;
mod v0_18;
mod v0_20;
mod v0_21;
mod v0_22;
mod v0_23;
mod v0_24;
mod v0_25;
mod v0_26;
mod v0_27;
mod v0_28;
mod v0_29;
mod v0_30;
mod v0_31;
mod v0_32;
mod v0_33;

/// The words a step title starts with (see the module documentation).
pub const TITLE_VERBS: &[&str] = &[
    "Add ",
    "Comment out ",
    "Double ",
    "Drop ",
    "Move ",
    "Note that ",
    "Rename ",
    "Replace ",
    "Report ",
    "Write ",
];

// What validation at the target shares with the steps that report the same values.
pub(crate) use v0_15::is_ed25519_key;
pub(crate) use v0_24::certificate_is_data;

/// Every step, ordered by version and then by the order within a release.
pub static STEPS: &[&Step] = &[
    &v0_11::DATABROKER_SERVICE_URL,
    &v0_11::USER_IMPERSONATION_DEFAULT,
    &v0_13::USER_IMPERSONATION,
    &v0_14::USE_PROXY_PROTOCOL,
    &v0_14::USER_ID_PREFIX,
    &v0_14::PROGRAMMATIC_REDIRECT_DOMAINS,
    // 0.15
    &v0_15::REMOVE_UNUSED_OPTIONS,
    &v0_15::ED25519_SIGNING_KEY,
    &v0_15::CONSOLE_SIGNING_KEY,
    &v0_15::CONSOLE_AUDIENCE,
    &v0_15::HELM_CHARTS_MOVED,
    // 0.16
    &v0_16::RENAME_HEADERS,
    &v0_16::REMOVE_SIGNING_KEY_ALGORITHM,
    &v0_16::GITHUB_TEAM_SLUGS,
    &v0_16::OIDC_OFFLINE_ACCESS,
    &v0_16::CONSOLE_AUTHENTICATE_SERVICE_URL,
    // 0.17
    &v0_17::CONSOLE_LICENSE_KEY,
    // 0.18
    &v0_18::REDIS_WITH_EXTERNAL_DATA,
    // 0.19: no changes.
    // 0.20
    &v0_20::REMOVE_DIRECTORY_SYNC,
    &v0_20::ALLOWED_GROUPS_REMOVED,
    // 0.21
    &v0_21::FORWARD_AUTH_REMOVED,
    &v0_21::NEW_TLS_OPTIONS,
    &v0_21::REENROLL_DEVICES,
    // 0.22
    &v0_22::HOSTED_AUTHENTICATE_DEFAULT,
    // 0.23
    &v0_23::ESCAPE_DOLLAR_IN_REQUEST_HEADERS,
    &v0_23::DOWNSTREAM_MTLS,
    &v0_23::ROUTE_CLIENT_CA_DEPRECATED,
    // 0.24
    &v0_24::SET_AUTHORIZATION_HEADER,
    &v0_24::CERTIFICATES_TO_FILES,
    &v0_24::REDIS_STORAGE_REMOVED,
    // 0.25
    &v0_25::REMOVE_POMERIUM_DEBUG,
    &v0_25::REMOVE_CONSOLE_DEBUG,
    &v0_25::AUTHENTICATION_FLOW,
    &v0_26::CLIENT_CA,
    &v0_26::COOKIE_SECURE,
    &v0_26::MATCH_ANY_INCOMING_PORT,
    &v0_26::UPSTREAM_HOST_HEADER,
    &v0_27::VALIDATION_MODE,
    &v0_27::JWT_ENDPOINT,
    &v0_28::STORAGE_TLS,
    &v0_29::OPENTELEMETRY,
    &v0_29::AUDIT_KEY,
    &v0_29::CONSOLE_TRACING,
    &v0_30::LEGACY_IDENTITY_MANAGER,
    &v0_30::HEADER_TEMPLATE_PARSER,
    &v0_31::AUTHENTICATE_CALLBACK_PATH,
    &v0_31::REFRESH_AT_ID_TOKEN_EXPIRATION,
    &v0_31::HEALTH_CHECK_LISTENER,
    &v0_32::POMERIUM_DEBUG,
    &v0_32::ENVOY_CLUSTER_OPTIONS,
    &v0_32::AUTOCERT_DIR,
    &v0_32::CONSOLE_FIRST,
    &v0_33::SIGN_OUT_REDIRECT,
    &v0_33::DERIVED_SIGNING_KEY,
];

#[cfg(test)]
mod tests {
    use super::STEPS;

    #[test]
    fn versions_never_decrease() {
        for pair in STEPS.windows(2) {
            assert!(
                pair[0].version <= pair[1].version,
                "{} is listed before {}",
                pair[0].qualified_id(),
                pair[1].qualified_id()
            );
        }
    }

    #[test]
    fn ids_are_unique_kebab_case() {
        for (i, step) in STEPS.iter().enumerate() {
            assert!(
                STEPS[..i].iter().all(|other| other.id != step.id),
                "step id `{}` is used twice",
                step.id
            );
            assert!(
                !step.id.is_empty()
                    && step
                        .id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "step id `{}` is not kebab-case",
                step.id
            );
        }
    }

    #[test]
    fn every_step_is_documented() {
        for step in STEPS {
            let id = step.qualified_id();
            assert!(
                step.doc.trim_start().starts_with("# "),
                "{id}: doc has no title"
            );
            assert!(
                step.doc.contains("Before") && step.doc.contains("After"),
                "{id} has no before/after example in its doc comment"
            );
            assert!(
                step.link
                    .starts_with("https://www.pomerium.com/docs/deploy/upgrading#v0"),
                "{id} links elsewhere"
            );
            assert!(!step.title.is_empty(), "{id} has no title");
        }
    }

    #[test]
    fn steps_stay_in_the_supported_range() {
        for step in STEPS {
            assert!(
                super::OLDEST < step.version && step.version <= super::NEWEST,
                "{} is outside {}..={}: raise migrations::NEWEST",
                step.qualified_id(),
                super::OLDEST,
                super::NEWEST
            );
        }
    }

    #[test]
    fn titles_are_imperatives() {
        for step in STEPS {
            assert!(
                super::TITLE_VERBS.iter().any(|v| step.title.starts_with(v)),
                "{}: the title `{}` does not start with one of {:?}",
                step.qualified_id(),
                step.title,
                super::TITLE_VERBS
            );
            assert!(
                !step.title.ends_with('.'),
                "{}: a title is not a sentence",
                step.qualified_id()
            );
        }
    }
}
