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
    // Without `--per-step` the steps' results are verified once, at the end, against the data
    // their edits mean to produce, composed step by step.
    let mut expected: Option<Value> = None;
    let mut edited_by: Vec<&'static Step> = Vec::new();
    // The line map from the latest stage back to the input, built when first needed.
    let mut line_map: Option<(usize, LineMap)> = None;
    for &step in &chain {
        let Some(current) = stages.last().map(|stage| &stage.document) else {
            break;
        };
        let outcome = if config.verify_each_step {
            step::run_step(step, current, kind, &options, core, config_path)
        } else {
            step::run_step_composed(
                step,
                current,
                kind,
                &options,
                core,
                config_path,
                &mut expected,
            )
        };
        let outcome = outcome.map_err(|source| RunError::Step {
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
        })?;
        let mut step_findings = outcome.findings;
        if stages.len() > 1 && step_findings.iter().any(|f| f.location.is_some()) {
            if line_map.as_ref().is_none_or(|(at, _)| *at != stages.len()) {
                let map = LineMap::new(stages[0].document.text(), current.text());
                line_map = Some((stages.len(), map));
            }
            if let Some((_, map)) = &line_map {
                for f in &mut step_findings {
                    f.location = f.location.and_then(|at| map.locate(current, at));
                }
            }
        }
        findings.extend(step_findings);
        created.extend(outcome.created);
        if let Some(next) = outcome.document {
            edited_by.push(step);
            if next.text() != current.text() {
                stages.push(Stage {
                    step: Some(step),
                    document: next,
                });
                // Only `--per-step` reads the documents between the input and the result again
                // (their diffs); otherwise just their texts are kept.
                if !config.verify_each_step
                    && let [_, .., previous, _] = &mut stages[..]
                {
                    previous.document.release_index();
                }
            }
        }
    }
    if let (Some(expected), Some(last)) = (&expected, stages.last()) {
        last.document
            .verify(expected)
            .map_err(|source| RunError::Step {
                path: input.source.display(),
                step: edited_by
                    .iter()
                    .map(|s| s.qualified_id())
                    .collect::<Vec<_>>()
                    .join(", "),
                source,
            })?;
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
