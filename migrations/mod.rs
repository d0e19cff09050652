//! The migration chain: one module per Pomerium release, each step in the order it runs.
//!
//! A step named `v0.N` turns a config valid for 0.(N-1) into one valid for 0.N. Releases with
//! nothing to migrate have no module: 0.19 changed no configuration key.

use crate::step::Step;

mod v0_25;

/// Every step, ordered by version and then by the order within a release.
pub static STEPS: &[&Step] = &[
    // 0.25
    &v0_25::REMOVE_POMERIUM_DEBUG,
    &v0_25::REMOVE_CONSOLE_DEBUG,
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
            assert!(
                step.doc.contains("Before") && step.doc.contains("After"),
                "{} has no before/after example in its doc comment",
                step.qualified_id()
            );
            assert!(
                !step.handles.is_empty(),
                "{} handles no key",
                step.qualified_id()
            );
            assert!(
                step.link.starts_with("https://www.pomerium.com/docs/"),
                "{} links elsewhere",
                step.qualified_id()
            );
        }
    }
}
