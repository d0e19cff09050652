//! `--set KEY=VALUE`: the keys it accepts are those the chain's steps read ([`Step::settings`]),
//! so that a misspelt key is refused rather than silently ignored.

use std::collections::BTreeSet;

use super::RunError;
use crate::step::Step;

/// Every key a step of `steps` reads with `--set`, dash-case, sorted.
pub fn known_settings(steps: &[&Step]) -> BTreeSet<&'static str> {
    steps
        .iter()
        .flat_map(|s| s.settings.iter().copied())
        .collect()
}

/// Refuses a `--set` key that no step of `steps` reads, naming the closest known key. Keys are
/// compared in dash-case, as steps read them (`license_key` is `license-key`).
pub fn check_settings<'a>(
    keys: impl IntoIterator<Item = &'a String>,
    steps: &[&Step],
) -> Result<(), RunError> {
    let known = known_settings(steps);
    for key in keys {
        let dash = key.trim().replace('_', "-").to_ascii_lowercase();
        if known.contains(dash.as_str()) {
            continue;
        }
        let closest = known
            .iter()
            .map(|k| (strsim::damerau_levenshtein(&dash, k), *k))
            .min()
            .map(|(_, k)| k);
        return Err(RunError::UnknownSetting {
            key: key.clone(),
            closest,
            known: known.iter().map(|k| (*k).to_owned()).collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::{Scope, StepContext};
    use crate::version::Version;

    fn noop(_: &mut StepContext<'_>) {}

    crate::step! {
        /// Test step.
        static READS_LICENSE = Step {
            settings: &["license-key", "audience"],
            version: Version::new(0, 17), id: "t", title: "t", scope: Scope::Console,
            handles: &[], link: "", run: noop,
        };
    }
    crate::step! {
        /// Test step.
        static READS_NOTHING = Step {
            version: Version::new(0, 18), id: "u", title: "u", scope: Scope::Core,
            handles: &[], link: "", run: noop,
        };
    }
    static CHAIN: &[&Step] = &[&READS_LICENSE, &READS_NOTHING];

    #[test]
    fn keys_come_from_the_steps() {
        assert_eq!(
            known_settings(CHAIN).into_iter().collect::<Vec<_>>(),
            ["audience", "license-key"]
        );
        let ok = ["license_key".to_owned(), "Audience".to_owned()];
        assert!(check_settings(&ok, CHAIN).is_ok());
    }

    #[test]
    fn an_unknown_key_is_refused_with_the_closest_one() {
        let err = check_settings(&["licence-key".to_owned()], CHAIN).err();
        match err {
            Some(e @ RunError::UnknownSetting { .. }) => {
                assert_eq!(e.exit_code(), 2);
                assert_eq!(
                    e.to_string(),
                    "--set licence-key: no migration step reads this key; did you mean \
                     `license-key`? (the keys --set takes: audience, license-key)"
                );
            }
            other => panic!("unexpected: {other:?}"),
        }
        // No step reads anything: nothing to suggest.
        let err = check_settings(&["x".to_owned()], &[&READS_NOTHING]).err();
        assert!(err.is_some_and(|e| e.to_string() == "--set x: no migration step reads this key"),);
    }
}
