//! pomerium-migrate: upgrade Pomerium configuration files release by release, keeping every
//! comment and byte that does not have to change.
//!
//! The engine is format-neutral ([`document`]) with lossless YAML ([`yaml`], JSON included) and
//! TOML ([`toml`]) backends; steps live in `migrations/`, one module per Pomerium release, listed
//! in order by [`migrations::STEPS`].

pub mod cli;
pub mod detect;
pub mod detect_report;
pub mod diff;
pub mod document;
pub mod input_rules;
pub mod keys;
pub mod redact;
pub mod report;
pub mod runner;
pub mod step;
pub(crate) mod toml;
pub mod validate;
pub mod version;
pub mod write;
pub mod yaml;

#[path = "../migrations/mod.rs"]
pub mod migrations;
