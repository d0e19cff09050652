//! The migration chain: one module per Pomerium release, each step in the order it runs.

use crate::step::Step;

/// Every step, ordered by version and then by the order within a release.
pub static STEPS: &[&Step] = &[];
