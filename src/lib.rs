//! pomerium-migrate: upgrade Pomerium configuration files release by release, keeping every
//! comment and byte that does not have to change.
//!
//! The engine is format-neutral ([`document`]) with lossless YAML ([`yaml`]) and TOML ([`toml`]) backends; steps live
//! in `migrations/`, one module per Pomerium release, listed in order by [`migrations::STEPS`].

pub mod document;
pub mod step;
pub mod toml;
pub mod version;
pub mod yaml;

#[path = "../migrations/mod.rs"]
pub mod migrations;
