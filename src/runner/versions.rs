//! Version resolution: the range of releases the tool knows, checking `--from`/`--to`, what a
//! file is (`--kind`, else its keys) and which versions it runs between (given, or inferred from
//! its keys), and which steps of the chain that selects.

use crate::detect::{self, Detection, KindUndecided};
use crate::document::Document;
use crate::step::{FileKind, Step};
use crate::version::Version;

use super::{Input, RunConfig, RunError};

/// The supported range, declared once in [`crate::migrations`].
pub use crate::migrations::{NEWEST as NEWEST_KNOWN, OLDEST as OLDEST_KNOWN};

/// The newest version the chain has steps for, or [`NEWEST_KNOWN`] when it is newer.
pub fn newest_version(steps: &[&Step]) -> Version {
    steps
        .iter()
        .map(|s| s.version)
        .max()
        .map_or(NEWEST_KNOWN, |v| v.max(NEWEST_KNOWN))
}

/// The default `--to`: the newest version the tool knows, even when that release
/// needs no step (0.33), so that unknown keys are checked against the newest release.
pub fn default_target(steps: &[&Step]) -> Version {
    newest_version(steps)
}

fn check_known(version: Version, steps: &[&Step]) -> Result<Version, RunError> {
    let newest = newest_version(steps);
    if version.major != 0 || version < OLDEST_KNOWN || version > newest {
        return Err(RunError::UnknownVersion { version, newest });
    }
    Ok(version)
}

/// Checks the `--from` and `--to` given on the command line before any file is read: both
/// known, and no downgrade.
pub fn check_versions(
    from: Option<Version>,
    to: Option<Version>,
    steps: &[&Step],
) -> Result<(), RunError> {
    let from = from.map(|v| check_known(v, steps)).transpose()?;
    let to = to.map(|v| check_known(v, steps)).transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(RunError::Downgrade { from, to });
    }
    Ok(())
}

/// The versions a file runs between: its `from` (given or inferred) and `--to`, defaulted.
pub fn resolve_versions(
    from: Version,
    to: Option<Version>,
    steps: &[&Step],
) -> Result<(Version, Version), RunError> {
    let from = check_known(from, steps)?;
    let to = match to {
        Some(to) => check_known(to, steps)?,
        None => default_target(steps).max(from),
    };
    if to < from {
        return Err(RunError::Downgrade { from, to });
    }
    Ok((from, to))
}

/// The steps that run for a file of `kind` going from `from` to `to`, in chain order.
pub fn select_steps(
    steps: &[&'static Step],
    from: Version,
    to: Version,
    kind: Option<FileKind>,
) -> Vec<&'static Step> {
    steps
        .iter()
        .copied()
        .filter(|s| from < s.version && s.version <= to)
        .filter(|s| kind.is_none_or(|k| s.scope.applies_to(k)))
        .collect()
}

/// The versions one file is migrated between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileVersions {
    pub from: Version,
    pub to: Version,
    /// Whether `from` was inferred from the keys (no `--from`).
    pub inferred: bool,
}

/// The kind (the given one, else decided from the keys) and the version range of a document.
pub fn detect_file(
    document: &Document,
    kind: Option<FileKind>,
) -> Result<Detection, KindUndecided> {
    match kind {
        None => detect::detect(document),
        Some(kind) => Ok(detect::detect_as(document, kind)),
    }
}

/// [`detect_file`], and with `from` (`--from`) what of the file does not fit it (for
/// [`crate::detect_report::run_warnings_with`]), the keys read once for both.
pub(super) fn detect_run_file(
    document: &Document,
    kind: Option<FileKind>,
    from: Option<Version>,
) -> Result<(Detection, Option<detect::MisfitSummary>), KindUndecided> {
    detect::detect_for_run(document, kind, from, crate::detect_report::SHOWN_IN_LINE)
}

/// `--from` when given, else the lowest version the keys allow ("Version inference" in
/// `docs/ARCHITECTURE.md`), refusing when that
/// guess could double-escape a `$` (see [`detect::refuse_ambiguous_escaping`]).
pub(super) fn file_versions(
    input: &Input,
    document: &Document,
    detection: &Detection,
    config: &RunConfig<'_>,
) -> Result<FileVersions, RunError> {
    if let Some(from) = config.from {
        let (from, to) = resolve_versions(from, config.to, config.steps)?;
        return Ok(FileVersions {
            from,
            to,
            inferred: false,
        });
    }
    let path = input.source.display();
    let from = detection.start_version();
    let (from, to) = match resolve_versions(from, config.to, config.steps) {
        Err(RunError::Downgrade { from, to }) => {
            return Err(RunError::InferredAfterTarget {
                path,
                from,
                to,
                evidence: describe_evidence(&detection.min_evidence),
            });
        }
        other => other?,
    };
    detect::refuse_ambiguous_escaping(document, detection, to)
        .map_err(|source| RunError::AmbiguousEscaping { path, source })?;
    Ok(FileVersions {
        from,
        to,
        inferred: true,
    })
}

/// `` `routes` at 3:1, `x` at 5:3 `` (the first few, then how many more).
fn describe_evidence(evidence: &[detect::Evidence]) -> String {
    const SHOWN: usize = 3;
    let mut text: Vec<String> = evidence
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect();
    if evidence.len() > SHOWN {
        text.push(format!("{} more", evidence.len() - SHOWN));
    }
    text.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::tests::{CHAIN, v};

    #[test]
    fn versions_are_checked_and_defaulted() {
        // The default --to is the newest known release, also past the chain's last step.
        assert_eq!(
            resolve_versions(v(20), None, CHAIN).ok(),
            Some((v(20), NEWEST_KNOWN))
        );
        assert_eq!(
            resolve_versions(v(20), Some(v(24)), CHAIN).ok(),
            Some((v(20), v(24)))
        );
        assert_eq!(
            resolve_versions(NEWEST_KNOWN, None, CHAIN).ok(),
            Some((NEWEST_KNOWN, NEWEST_KNOWN))
        );
        assert!(matches!(
            resolve_versions(v(24), Some(v(22)), CHAIN),
            Err(RunError::Downgrade { .. })
        ));
        assert!(check_versions(None, None, CHAIN).is_ok());
        assert!(check_versions(Some(v(20)), Some(v(22)), CHAIN).is_ok());
        assert!(matches!(
            check_versions(Some(v(24)), Some(v(22)), CHAIN),
            Err(RunError::Downgrade { .. })
        ));
        let past_newest = Version::new(NEWEST_KNOWN.major, NEWEST_KNOWN.minor + 1);
        for bad in [v(9), past_newest, Version::new(1, 0)] {
            let err = resolve_versions(bad, None, CHAIN);
            assert!(matches!(err, Err(RunError::UnknownVersion { .. })), "{bad}");
            let err = resolve_versions(v(20), Some(bad), CHAIN);
            assert!(matches!(err, Err(RunError::UnknownVersion { .. })), "{bad}");
            let err = check_versions(None, Some(bad), CHAIN);
            assert!(matches!(err, Err(RunError::UnknownVersion { .. })), "{bad}");
            let err = check_versions(Some(bad), None, CHAIN);
            assert!(matches!(err, Err(RunError::UnknownVersion { .. })), "{bad}");
        }
    }

    #[test]
    fn steps_are_selected_by_range_and_scope() {
        let ids = |from, to, kind| -> Vec<&str> {
            select_steps(CHAIN, v(from), v(to), kind)
                .iter()
                .map(|s| s.id)
                .collect()
        };
        assert_eq!(ids(20, 25, Some(FileKind::Core)), ["core-21", "core-24"]);
        assert_eq!(ids(21, 24, Some(FileKind::Core)), ["core-24"]);
        assert_eq!(ids(20, 25, Some(FileKind::Console)), ["console-25"]);
        assert_eq!(ids(24, 24, None), Vec::<&str>::new());
        assert_eq!(ids(10, 33, None), ["core-21", "core-24", "console-25"]);
    }
}
