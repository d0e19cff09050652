//! Running the chain over one parsed file: every selected step in order, keeping each
//! intermediate document, moving findings and errors into the input's lines, then validating
//! the result at the target ([`super::target`]).

use super::locate::{LineMap, relocate};
use super::versions::{FileVersions, select_steps};
use super::{Destination, FileRun, Parsed, RunConfig, RunError, Stage};
use crate::document::Value;
use crate::step::{self, Step, StepOptions};

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
    // Actions that left no marker: index into `findings`, and the step.
    let mut untraced: Vec<(usize, &'static Step)> = Vec::new();
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
        untraced.extend(outcome.untraced.iter().map(|i| (findings.len() + i, step)));
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
    let findings = super::target::validate_result(
        &stages,
        &chain,
        kind,
        to,
        config.steps,
        findings,
        &untraced,
    );
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
