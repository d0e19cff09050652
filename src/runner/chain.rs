//! Running the chain over one parsed file: every selected step in order (keeping each
//! intermediate document for `plan --per-step`, else only the input and the latest), moving findings and errors into the input's lines, then validating
//! the result at the target ([`super::target`]).

use super::locate::{LineMap, relocate};
use super::versions::{FileVersions, select_steps};
use super::{Destination, FileRun, Parsed, RunConfig, RunError, Stage};
use std::path::Path;

use similar::DiffOp;

use crate::changes::Changes;
use crate::diff;
use crate::document::{DataEdits, Document, Value};
use crate::step::{self, CreatedFile, FileKind, Finding, Step, StepDoc, StepOptions};

/// The size from which a YAML config's input index is handed to the first editing step rather
/// than copied (see `ChainRun::steps`).
pub(super) const HAND_OVER_BYTES: usize = 1 << 20;

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
    // Files a step creates belong beside the config as written, which `-o` may put elsewhere.
    let destination = Destination::of(&input.source, config.output.as_deref());
    let chain = select_steps(config.steps, from, to, Some(kind));
    let run = ChainRun {
        path: input.source.display(),
        kind,
        options: StepOptions {
            target: Some(to),
            ..config.options.clone()
        },
        core,
        config_path: destination.path(),
        verify_each_step: config.verify_each_step,
    };
    let steps = run.steps(document, &chain)?;
    // The line diff of the input and the result, when they differ: validation maps the
    // result's lines back with it, the report shows it, `apply` maps lines forward with it.
    let (line_map, line_ops) = match (steps.line_map, &steps.stages[..]) {
        (Some((map, ops)), _) => (Some(map), Some(ops)),
        (None, [first, .., last]) => {
            let (input, result) = (first.document.text(), last.document.text());
            let ops = diff::line_ops_changed(input, result, steps.changes.as_ref());
            (Some(LineMap::from_ops(input, &ops)), Some(ops))
        }
        (None, _) => (None, None),
    };
    let findings = super::target::validate_result(
        &steps.stages,
        line_map,
        kind,
        to,
        config.steps,
        steps.findings,
        &steps.untraced,
        steps.input_markers,
    );
    Ok(FileRun {
        input,
        format,
        kind,
        surface: crate::surface::Surface::Config(kind),
        from,
        to,
        inferred: inferred.then_some(detection),
        warnings,
        stages: steps.stages,
        findings,
        created: steps.created,
        decoded: Vec::new(),
        line_ops: line_ops.map(std::sync::OnceLock::from).unwrap_or_default(),
        input_shown: steps.input_shown,
    })
}

/// What every step of a file's chain gets.
struct ChainRun<'r> {
    /// The input's path as shown.
    path: String,
    kind: FileKind,
    options: StepOptions,
    core: Option<&'r Value>,
    config_path: Option<&'r Path>,
    /// `--per-step`: verify each step's result. Otherwise the result is verified once, against
    /// the data the steps' edits mean to produce, composed step by step.
    verify_each_step: bool,
}

/// What the steps of one file produced.
struct StepsDone {
    /// Never empty: the input, then one per step that changed the text with `--per-step`, else
    /// only the last of those (the result).
    stages: Vec<Stage>,
    /// Located in the input.
    findings: Vec<Finding>,
    /// Actions that left no marker: index into `findings`, and the step.
    untraced: Vec<(usize, &'static Step)>,
    created: Vec<CreatedFile>,
    /// The line map from the result back to the input, with the line diff it was made from,
    /// when a step's findings needed it already (validation needs the same one).
    line_map: Option<(LineMap, Vec<DiffOp>)>,
    /// Where the result differs from the input, composed from the steps' splices; `None` when
    /// a step's edits did not report theirs (the texts are then diffed whole).
    changes: Option<Changes>,
    /// The input as reports show it, when its index went to the first editing step.
    input_shown: Option<crate::redact::Redacted>,
    /// The input's action markers, read before its index went to the first editing step.
    input_markers: Option<Vec<crate::validate::marker::Marker>>,
}

impl ChainRun<'_> {
    /// Runs the steps in order, each on the previous one's document.
    fn steps(&self, document: Document, chain: &[&'static Step]) -> Result<StepsDone, RunError> {
        // Without `--per-step`, a YAML config of `HAND_OVER_BYTES` or more hands its index to
        // the first editing step's graft, moved rather than copied (the largest single
        // allocation of a run). What the run reads of the input afterwards is made first: the
        // report's redacted text, the key sites (kept with the document, keys included), the
        // markers, and the data the result is compared with at the end. Anything else that
        // reads the input's tree later indexes its text again: slower, never different. A
        // smaller file keeps its index: the copy costs little, and the surfaces read their
        // small virtual configs' trees after the chain.
        let hand_over = !self.verify_each_step
            && document.format() == crate::document::Format::Yaml
            && !document.is_stream()
            && document.text().len() >= HAND_OVER_BYTES
            && !chain.is_empty();
        // Without `--per-step`: the data edits of the steps so far, which make the data the chain
        // means to produce from the input's at its end.
        let mut composed = (!self.verify_each_step).then(DataEdits::default);
        let (input_shown, input_markers) = match composed.as_mut() {
            Some(composed) if hand_over => {
                let _ = crate::detect::Sites::of(&document);
                composed.keep_input_data(&document);
                (
                    Some(crate::redact::redact(&document)),
                    Some(crate::validate::marker::scan(&document)),
                )
            }
            _ => (None, None),
        };
        let mut done = StepsDone {
            stages: vec![Stage {
                step: None,
                document,
            }],
            findings: Vec::new(),
            untraced: Vec::new(),
            created: Vec::new(),
            line_map: None,
            changes: Some(Changes::default()),
            input_shown,
            input_markers,
        };
        // The steps that edited.
        let mut edited_by: Vec<&'static Step> = Vec::new();
        // How many documents the steps made so far: the latest one's number keys its line map.
        let mut made = 0usize;
        // The line map from the latest stage back to the input, built when first needed.
        let mut line_map: Option<(usize, LineMap, Vec<DiffOp>)> = None;
        for &step in chain {
            let outcome = {
                let (head, tail) = done.stages.split_at_mut(1);
                let Some(input) = head.first_mut() else {
                    break;
                };
                // Without `--per-step` an intermediate document is replaced by the step's
                // result: its index is moved into the result's rather than copied (only its
                // text is read afterwards). So is the input's when it is handed over (above).
                let doc = match tail.last_mut() {
                    Some(last) if !self.verify_each_step => StepDoc::Releasing(&mut last.document),
                    Some(last) => StepDoc::Shared(&last.document),
                    None if hand_over => StepDoc::Releasing(&mut input.document),
                    None => StepDoc::Shared(&input.document),
                };
                step::run_chain_step(
                    step,
                    doc,
                    self.kind,
                    &self.options,
                    self.core,
                    self.config_path,
                    composed.as_mut(),
                )
            };
            let Some(current) = done.stages.last() else {
                break;
            };
            let current = &current.document;
            let input = &done.stages[0].document;
            let outcome = outcome.map_err(|source| RunError::Step {
                path: self.path.clone(),
                step: step.qualified_id(),
                source: if made > 0 {
                    let ops =
                        diff::line_ops_changed(input.text(), current.text(), done.changes.as_ref());
                    relocate(source, &LineMap::from_ops(input.text(), &ops))
                } else {
                    source
                },
            })?;
            let mut step_findings = outcome.findings;
            let first = done.findings.len();
            done.untraced
                .extend(outcome.untraced.iter().map(|i| (first + i, step)));
            if made > 0 && step_findings.iter().any(|f| f.location.is_some()) {
                if line_map.as_ref().is_none_or(|(at, _, _)| *at != made) {
                    let ops =
                        diff::line_ops_changed(input.text(), current.text(), done.changes.as_ref());
                    let map = LineMap::from_ops(input.text(), &ops);
                    line_map = Some((made, map, ops));
                }
                if let Some((_, map, _)) = &line_map {
                    for f in &mut step_findings {
                        f.location = f.location.and_then(|at| map.locate(current, at));
                    }
                }
            }
            done.findings.extend(step_findings);
            done.created.extend(outcome.created);
            if let Some(next) = outcome.document {
                edited_by.push(step);
                if next.text() != current.text() {
                    made += 1;
                    // The step's splices of the text it ran on, after those of the steps before.
                    done.changes = done.changes.take().and_then(|so_far| {
                        let step = Changes::from_splices(next.changed()?)?;
                        so_far.then(&step)
                    });
                    let stage = Stage {
                        step: Some(step),
                        document: next,
                    };
                    // Only `--per-step` reads the documents between the input and the result
                    // again (their diffs); otherwise the new result replaces the previous one.
                    match &mut done.stages[..] {
                        [_, previous] if !self.verify_each_step => *previous = stage,
                        _ => done.stages.push(stage),
                    }
                } else if let Some(previous) = done.stages.last_mut() {
                    // The same text: the previous document (the input, or the step's before),
                    // which may have given its index to this one, takes it back.
                    previous.document.adopt_index(next);
                }
            }
        }
        // The data edits are applied to the input's data because the first step that edited ran
        // on the input: a step runs on the latest stage, and a stage after the input is only
        // added by a step that edited and changed the text. A step whose edits left the text as
        // it was adds no stage (the next step runs on the same document again, its data edits
        // kept all the same), a refused batch ends the chain, and a batch retried without its
        // markers runs on the same document with its refused attempt's data edits forgotten
        // (`step::run_chain_step`).
        if let (Some(composed), false, Some(input), Some(last)) = (
            composed,
            edited_by.is_empty(),
            done.stages.first(),
            done.stages.last(),
        ) {
            let expected = composed.expected_data(&input.document);
            last.document
                .verify(&expected)
                .map_err(|source| RunError::Step {
                    path: self.path.clone(),
                    step: edited_by
                        .iter()
                        .map(|s| s.qualified_id())
                        .collect::<Vec<_>>()
                        .join(", "),
                    source,
                })?;
        }
        // Built for the document that is still the last: it maps the result.
        done.line_map = line_map
            .filter(|(at, _, _)| *at == made)
            .map(|(_, map, ops)| (map, ops));
        Ok(done)
    }
}
