//! Deployment surfaces: where operators set Pomerium's options besides a config file.

pub mod decoded;
pub mod embedded;
pub mod encoded;
pub mod helm_tables;
pub mod route_list;
