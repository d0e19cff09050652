//! Deployment surfaces: where Pomerium options live besides a config file.

pub mod ingress;
