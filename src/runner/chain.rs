//! Running the chain over one parsed file: every selected step in order, keeping each
//! intermediate document, moving findings and errors into the input's lines, and adding notes
//! for keys the target release does not read.

use super::locate::{LineMap, relocate};
use super::versions::{FileVersions, select_steps};
use super::{Destination, FileRun, Parsed, RunConfig, RunError, Stage};
use crate::detect;
use crate::document::Value;
use crate::step::{self, FileKind, Finding, Step, StepOptions};
use crate::version::Version;

pub(super) fn migrate(
    file: Parsed,
    config: &RunConfig<'_>,
    core: Option<&Value>,
) -> Result<FileRun, RunError> {
    let Parsed {
        input,
        format,
        document,
        detection,
        versions: FileVersions { from, to, inferred },
        warnings,
    } = file;
    let kind = detection.kind;
    let mut stages = vec![Stage {
        step: None,
        document,
    }];
    let mut findings = Vec::new();
    let mut created = Vec::new();
    // Files a step creates belong beside the config as written, which `-o` may put elsewhere.
    let destination = Destination::of(&input.source, config.output.as_deref());
    let config_path = destination.path();
    let chain = select_steps(config.steps, from, to, Some(kind));
    let options = StepOptions {
        target: Some(to),
        ..config.options.clone()
    };
    for &step in &chain {
        let current = match stages.last() {
            Some(stage) => &stage.document,
            None => break,
        };
        let outcome =
            step::run_step(step, current, kind, &options, core, config_path).map_err(|source| {
                RunError::Step {
                    path: input.source.display(),
                    step: step.qualified_id(),
                    source: if stages.len() > 1 {
                        relocate(
                            source,
                            &LineMap::new(stages[0].document.text(), current.text()),
                        )
                    } else {
                        source
                    },
                }
            })?;
        let mut step_findings = outcome.findings;
        if stages.len() > 1 && step_findings.iter().any(|f| f.location.is_some()) {
            let map = LineMap::new(stages[0].document.text(), current.text());
            for f in &mut step_findings {
                f.location = f.location.and_then(|at| map.locate(current, at));
            }
        }
        findings.extend(step_findings);
        created.extend(outcome.created);
        if let Some(next) = outcome.document
            && next.text() != current.text()
        {
            stages.push(Stage {
                step: Some(step),
                document: next,
            });
        }
    }
    findings.extend(unknown_key_notes(&stages, &chain, kind, to));
    Ok(FileRun {
        input,
        format,
        kind,
        from,
        to,
        inferred: inferred.then_some(detection),
        warnings,
        stages,
        findings,
        created,
    })
}

/// Keys of the migrated file that release `to` does not read (like Pomerium's start-up warning),
/// as notes located in the input. Keys a step of this run handles are left out: that step has
/// rewritten or reported them already (a key it commented out is no longer a key at all).
fn unknown_key_notes(
    stages: &[Stage],
    ran: &[&'static Step],
    kind: FileKind,
    to: Version,
) -> Vec<Finding> {
    let (Some(first), Some(last)) = (stages.first(), stages.last()) else {
        return Vec::new();
    };
    let result = &last.document;
    let map = (stages.len() > 1).then(|| LineMap::new(first.document.text(), result.text()));
    detect::unknown_keys(result, kind, to)
        .into_iter()
        .filter(|unknown| {
            !ran.iter()
                .any(|s| s.handles.contains(&unknown.key.as_str()))
        })
        .map(|unknown| {
            let mut finding = unknown.finding();
            if let Some(map) = &map {
                finding.location = finding.location.and_then(|at| map.locate(result, at));
            }
            finding
        })
        .collect()
}
