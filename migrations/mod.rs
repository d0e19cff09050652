//! The migration chain: one module per Pomerium release, each step in the order it runs.
//!
//! Releases without a module have nothing to rewrite: 0.12, 0.19 (no breaking changes), 0.30,
//! and 0.33 (its only change for operators is that Intel macOS builds were dropped).

use crate::step::Step;

pub mod keyops;
pub mod v0_11;
pub mod v0_13;
pub mod v0_14;
pub mod v0_26;
pub mod v0_27;
pub mod v0_28;
pub mod v0_29;
pub mod v0_31;
pub mod v0_32;

/// Every step, ordered by version and then by the order within a release.
pub static STEPS: &[&Step] = &[
    &v0_11::DATABROKER_SERVICE_URL,
    &v0_13::USER_IMPERSONATION,
    &v0_14::USE_PROXY_PROTOCOL,
    &v0_14::USER_ID_PREFIX,
    &v0_26::CLIENT_CA,
    &v0_26::COOKIE_SECURE,
    &v0_26::MATCH_ANY_PORT,
    &v0_27::VALIDATION_MODE,
    &v0_27::JWT_ENDPOINT,
    &v0_28::STORAGE_TLS_OPTIONS,
    &v0_29::OPENTELEMETRY,
    &v0_29::AUDIT_KEY,
    &v0_29::CONSOLE_TRACING,
    &v0_31::AUTHENTICATE_CALLBACK_PATH,
    &v0_32::POMERIUM_DEBUG,
    &v0_32::ENVOY_CLUSTER_OPTIONS,
    &v0_32::CONSOLE_FIRST,
];
