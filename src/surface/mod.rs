//! Deployment surfaces: where operators set Pomerium's options besides a config file.

pub mod embedded;
pub mod encoded;
