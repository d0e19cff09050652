//! The Pomerium Ingress Controller in Kubernetes manifests: `ingress.pomerium.io/<option>`
//! annotations on Ingress objects ([`annotations`]), the `Pomerium` custom resource ([`crd`]),
//! and the controller releases' own facts ([`controller`]: the Pomerium release each one embeds
//! and the annotations each one accepts).
//!
//! `--from` and `--to` stay Pomerium releases; a controller image tag in the same manifest is
//! evidence of the Pomerium release it embeds.

pub mod annotations;
pub mod controller;
pub mod crd;
pub mod manifest;
