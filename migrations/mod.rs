//! The migration chain: one module per Pomerium release, each step in the order it runs.
//!
//! A step named `v0.N` turns a config valid for 0.(N-1) into one valid for 0.N. Releases with
//! nothing to migrate have no module: 0.19 changed no configuration key.

use crate::step::Step;

mod support;
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

/// Every step, ordered by version and then by the order within a release.
pub static STEPS: &[&Step] = &[
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
}
