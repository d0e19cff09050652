//! pomerium-migrate: upgrade Pomerium configuration files release by release, keeping every
//! comment and byte that does not have to change.
//!
//! A run reads each file ([`runner::input`]), decides its kind and versions ([`detect`],
//! [`runner::versions`]), indexes it as a format-neutral [`document::Document`] (backends:
//! [`yaml`], JSON included, `toml` and `dotenv`), runs the steps of `migrations/` ([`migrations::STEPS`],
//! one module per Pomerium release, written against [`mod@step`]), renders and verifies each step's
//! edits, and reports ([`report`], [`diff`], with [`redact`] keeping secrets out) before
//! [`mod@write`] writes all or nothing. `docs/ARCHITECTURE.md` describes the flow and the
//! promises of each stage; [`cli`] is what the binary runs.

pub mod batch;
pub(crate) mod changes;
pub mod cli;
pub mod collect;
pub mod detect;
pub mod detect_report;
pub mod diff;
pub mod document;
pub(crate) mod dotenv;
pub mod input_rules;
pub mod keys;
pub mod redact;
pub mod report;
pub mod runner;
pub mod step;
pub mod surface;
pub(crate) mod toml;
pub mod validate;
pub mod version;
pub mod write;
pub mod yaml;

#[path = "../migrations/mod.rs"]
pub mod migrations;
