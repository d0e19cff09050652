//! The migrating commands: `plan` (diff and report), `check` (for CI) and `apply` (write), over
//! the runner's results, and the report entry of each file (redacted unless `--show-secrets`).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use rayon::prelude::*;

use super::write_plan;
use super::{
    ApplyArgs, CheckArgs, CliError, MigrateArgs, NotesArg, Output, PlanArgs, RemovedArg,
    ReportFormat, Streams,
};
use crate::batch::{self, Outcome};
use crate::collect;
use crate::diff;
use crate::document::Format;
use crate::redact;
use crate::report::{
    self, Command, CreatedReport, FileReport, Refused, Report, Skipped, StepDiff, TextOptions,
};
use crate::runner::{self, FileRun, RunConfig, RunError, Source};
use crate::step::{Disk, NotesMode, OnDisk, RemovedMode, Step, StepOptions};
use crate::write;

fn run_config<'a>(args: &MigrateArgs, steps: &'a [&'static Step]) -> RunConfig<'a> {
    RunConfig {
        from: args.from,
        to: args.to.as_ref().map(|r| r.version),
        to_release: args.to.as_ref().and_then(|r| r.patch.clone()),
        kind: args.kind.given(),
        surface: args.kind.surface(),
        input_format: args.input_format.map(Format::from),
        options: StepOptions {
            set: args.set.iter().cloned().collect::<BTreeMap<_, _>>(),
            removed: match args.removed {
                RemovedArg::Comment => RemovedMode::Comment,
                RemovedArg::Delete => RemovedMode::Delete,
            },
            notes: match args.notes {
                NotesArg::Relevant => NotesMode::Relevant,
                NotesArg::All => NotesMode::All,
            },
            certs_dir: args.certs_dir.clone(),
            // Per file: the runner sets it to the file's `--to`.
            target: None,
            // One view of the disk for the whole run: steps and report agree.
            disk: Disk::default(),
            // Per embedded config: the Kubernetes surface sets it.
            embedded_in: None,
        },
        output: None,
        steps,
        verify_each_step: false,
    }
}

/// The files of `plan`, `apply` and `check`, collected and migrated one by one, after checking
/// the arguments that need no file (so that a wrong version is reported before stdin is
/// consumed).
fn run_files(
    args: &MigrateArgs,
    config: &RunConfig<'_>,
    stdin: &mut dyn Read,
    refuse_empty_stdin: bool,
) -> Result<(Vec<Outcome>, Vec<Skipped>), CliError> {
    runner::check_versions(args.from, config.to, config.steps)?;
    runner::check_settings(args.set.iter().map(|(key, _)| key), config.steps)?;
    let collected = collect::collect(&args.files, args.input_format.map(Format::from), stdin);
    // `apply`: an empty stdin is a broken pipe far more often than a config: writing its
    // "migration" would replace a config with nothing.
    if refuse_empty_stdin
        && collected.entries.iter().any(|e| {
            e.input
                .as_ref()
                .is_ok_and(|i| i.source == Source::Stdin && i.text.trim().is_empty())
        })
    {
        return Err(RunError::EmptyStdin.into());
    }
    let outcomes = batch::run(collected.entries, config)?;
    Ok((outcomes, collected.skipped))
}

/// The report of a run: one entry per migrated file, the refused ones, the skipped ones.
fn build_report(
    command: Command,
    outcomes: &[Outcome],
    disk: &Disk,
    skipped: Vec<Skipped>,
    show_secrets: bool,
    per_step: bool,
) -> Report {
    // Redacting and diffing is per file: in parallel, like the migration.
    let entries: Vec<Result<Result<FileReport, Refused>, Skipped>> = outcomes
        .par_iter()
        .map(|outcome| match &outcome.result {
            Ok(file) => Ok(Ok(file_report(file, disk, show_secrets, per_step))),
            // Not Pomerium's (a compose file with no Pomerium service): skipped, not refused.
            Err(RunError::NotPomerium { path, reason }) => Err(Skipped {
                path: path.clone(),
                reason: reason.clone(),
            }),
            Err(error) => Ok(Err(Refused {
                path: outcome.path.clone(),
                error: error.to_string(),
                exit_code: error.exit_code(),
            })),
        })
        .collect();
    let mut files = Vec::new();
    let mut refused = Vec::new();
    let mut skipped = skipped;
    for entry in entries {
        match entry {
            Ok(Ok(file)) => files.push(file),
            Ok(Err(r)) => refused.push(r),
            Err(s) => skipped.push(s),
        }
    }
    Report {
        command,
        files,
        refused,
        skipped,
    }
}

/// The worst exit code of the refused files (0 when none).
fn refused_code(report: &Report) -> u8 {
    report
        .refused
        .iter()
        .map(|r| r.exit_code)
        .max()
        .unwrap_or(0)
}

/// Turns a file's run into its report entry (redacted unless `--show-secrets`).
fn file_report(file: &FileRun, disk: &Disk, show_secrets: bool, per_step: bool) -> FileReport {
    let path = file.input.source.display();
    let shown = |doc: &crate::document::Document| {
        if show_secrets {
            redact::Redacted {
                text: doc.text().to_owned(),
                secrets: Vec::new(),
            }
        } else {
            redact::redact(doc)
        }
    };
    // The run made the input's redacted text already when it handed the input's index on.
    let before = match &file.input_shown {
        Some(input) if !show_secrets => std::borrow::Cow::Borrowed(input),
        _ => std::borrow::Cow::Owned(shown(file.original())),
    };
    // A file no step changed is its own result: redacted once.
    let after = if file.stages.len() == 1 {
        before.clone().into_owned()
    } else {
        shown(file.result())
    };
    let mut secrets: Vec<String> = before
        .secrets
        .iter()
        .chain(&after.secrets)
        .cloned()
        .collect();
    // Encoded texts (base64 Secret data, `POLICY`) are shown decoded after the file's diff,
    // redacted like a config.
    let mut diff_text = if file.stages.len() > 1
        && diff::same_line_equalities(
            (file.original().text(), file.result().text()),
            (&before.text, &after.text),
        ) {
        // The texts as shown have the line diff of the texts: the run's serves.
        diff::unified_from_ops(&before.text, &after.text, file.line_ops(), &path)
    } else {
        diff::unified(&before.text, &after.text, &path)
    };
    for view in &file.decoded {
        let (old, new) = view.shown(show_secrets);
        diff_text.push_str(&diff::unified(
            &old.text,
            &new.text,
            &format!("{path} ({}, decoded)", view.label),
        ));
        secrets.extend(old.secrets);
        secrets.extend(new.secrets);
    }
    let step_diffs = per_step.then(|| {
        file.step_changes()
            .map(|(step, old, new)| {
                let (shown_old, shown_new) = (shown(old), shown(new));
                // The step's own splices give its line diff when the texts as shown have it.
                let ops = diff::same_line_equalities(
                    (old.text(), new.text()),
                    (&shown_old.text, &shown_new.text),
                )
                .then(|| crate::changes::step_line_ops(old, new))
                .flatten();
                StepDiff {
                    step: step.qualified_id(),
                    title: step.title.to_owned(),
                    diff: match ops {
                        Some(ops) => {
                            diff::unified_from_ops(&shown_old.text, &shown_new.text, &ops, &path)
                        }
                        None => diff::unified(&shown_old.text, &shown_new.text, &path),
                    },
                }
            })
            .collect()
    });
    let scrubber = redact::Scrubber::new(&secrets);
    let findings = file
        .findings
        .iter()
        .cloned()
        .map(|mut f| {
            f.message = scrubber.scrub(&f.message);
            f
        })
        .collect();
    FileReport {
        diff: diff_text,
        path,
        kind: file.kind,
        surface: file.surface,
        format: file.format,
        from: file.from,
        to: file.to,
        inferred: file.inferred.clone(),
        warnings: file.warnings.clone(),
        input_locations: None,
        changed: file.changed(),
        findings,
        created: file
            .created
            .iter()
            .map(|c| CreatedReport {
                path: c.path.display().to_string(),
                mode: c.mode,
                size: c.contents.len() as u64,
                already_present: disk.holds(&c.path, &c.contents) == Some(true),
                blocked: matches!(disk.read(&c.path), OnDisk::File(b) if *b != c.contents),
            })
            .collect(),
        step_diffs,
        written: None,
        line_ends: report::line_ends(file.original().text(), &file.findings),
    }
}

/// Prints what goes to stderr whatever the format (refused files, and with `-v` the skipped
/// files and the Core config of each console config), then the report unless `-q`.
fn print_report(
    report: &Report,
    args: &MigrateArgs,
    outcomes: &[Outcome],
    output: Output,
    text: TextOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    // A file named on the command line that is not Pomerium's says so whatever the verbosity.
    for outcome in outcomes {
        if let Err(RunError::NotPomerium { path, reason }) = &outcome.result
            && !output.verbose
        {
            writeln!(err, "skipped {path}: {reason}")?;
        }
    }
    if output.verbose {
        for skipped in &report.skipped {
            writeln!(err, "skipped {}: {}", skipped.path, skipped.reason)?;
        }
        for outcome in outcomes {
            if let Some(core) = &outcome.core {
                writeln!(
                    err,
                    "{}: takes values from the Core config {core}",
                    outcome.path
                )?;
            }
        }
    }
    for refused in &report.refused {
        let line = format!("error: {}", refused.error);
        writeln!(
            err,
            "{}",
            report::paint(output.color_stderr, report::ACTION, &line)
        )?;
    }
    err.flush()?;
    if output.quiet {
        return Ok(());
    }
    // `--only` shows part of the report: a filtered copy. Without it the report is shown as it
    // is (a copy would hold every diff twice).
    let filtered = args.only.map(|only| {
        let mut shown = report.clone();
        shown.retain_only(only.into());
        shown
    });
    let shown = filtered.as_ref().unwrap_or(report);
    let rendered = match args.format {
        ReportFormat::Text => report::render_text(shown, text),
        ReportFormat::Json => report::render_json(shown),
        ReportFormat::Github => report::github::render(shown),
        ReportFormat::Sarif => report::sarif::render(shown),
        ReportFormat::Markdown => report::markdown::render(shown),
    };
    out.write_all(rendered.as_bytes())?;
    out.flush()
}

/// `--diff-only`: the patch of every changed file on stdout, which `git apply` takes. Refused
/// (exit 2, naming the files) when a hunk would hold a redacted value, since applying it would
/// write `<redacted>` into the config, or when the run creates files (a patch cannot carry a
/// private key safely).
fn print_patch(
    report: &Report,
    outcomes: &[Outcome],
    show_secrets: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let runs: Vec<&FileRun> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .collect();
    if !show_secrets {
        let hiding: Vec<&str> = report
            .files
            .iter()
            .zip(&runs)
            .filter(|(entry, run)| {
                entry.diff != diff::unified(run.original().text(), run.result().text(), &entry.path)
            })
            .map(|(entry, _)| entry.path.as_str())
            .collect();
        if !hiding.is_empty() {
            return Err(CliError::Usage(format!(
                "--diff-only: the patch of {} would hold redacted values (`<redacted>`), which \
                 `git apply` would write into the config; pass --show-secrets to put the real \
                 values in the patch (keep it private), or use `apply`",
                hiding.join(", ")
            )));
        }
    }
    let created: Vec<&str> = report
        .files
        .iter()
        .flat_map(|f| &f.created)
        .filter(|c| !c.already_present)
        .map(|c| c.path.as_str())
        .collect();
    if !created.is_empty() {
        return Err(CliError::Usage(format!(
            "--diff-only: this run creates files ({}), which a patch cannot carry safely; use \
             `apply`, which writes them with owner-only permissions",
            created.join(", ")
        )));
    }
    for entry in &report.files {
        out.write_all(entry.diff.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// `plan` and `check`: the report (or the patch), and the exit code.
fn report_run(
    command: Command,
    args: &MigrateArgs,
    per_step: bool,
    strict: bool,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    output: Output,
) -> Result<u8, CliError> {
    let config = RunConfig {
        // `plan --per-step` verifies each step's result on its own.
        verify_each_step: per_step,
        ..run_config(args, steps)
    };
    let (outcomes, skipped) = run_files(args, &config, streams.stdin, false)?;
    let report = build_report(
        command,
        &outcomes,
        &config.options.disk,
        skipped,
        args.show_secrets,
        per_step,
    );
    // `check --strict` also fails on keys the target ignores.
    let pending =
        command == Command::Check && (report.pending() || (strict && report.ignored_keys()));
    let text = TextOptions {
        color: output.color,
        diffs: command == Command::Plan,
    };
    if args.diff_only {
        print_patch(&report, &outcomes, args.show_secrets, streams.stdout)?;
        let text = TextOptions {
            color: output.color_stderr,
            diffs: false,
        };
        let (err, sink) = (&mut *streams.stderr, &mut io::sink());
        print_report(&report, args, &outcomes, output, text, err, sink)?;
    } else {
        print_report(
            &report,
            args,
            &outcomes,
            output,
            text,
            streams.stdout,
            streams.stderr,
        )?;
    }
    let code = refused_code(&report).max(u8::from(pending));
    streams.release((outcomes, report));
    Ok(code)
}

pub(super) fn plan(
    args: PlanArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    output: Output,
) -> Result<u8, CliError> {
    report_run(
        Command::Plan,
        &args.common,
        args.per_step,
        false,
        steps,
        streams,
        output,
    )
}

pub(super) fn check(
    args: CheckArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    output: Output,
) -> Result<u8, CliError> {
    report_run(
        Command::Check,
        &args.common,
        false,
        args.strict,
        steps,
        streams,
        output,
    )
}

pub(super) fn apply(
    args: ApplyArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    output: Output,
) -> Result<u8, CliError> {
    let common = &args.common;
    if common.diff_only {
        return Err(CliError::Usage(
            "--diff-only is for plan and check; apply writes the files".into(),
        ));
    }
    if args.output.is_some() && common.files.len() > 1 {
        return Err(CliError::Usage(
            "-o/--output takes one input file; migrate several files in place instead".into(),
        ));
    }
    let backup_suffix = write_plan::backup_suffix(args.backup.as_deref(), args.no_backup)?;
    if let Some(out) = args.output.as_deref() {
        write_plan::check_output_dir(out)?;
    }
    let config = RunConfig {
        output: args.output.clone(),
        ..run_config(common, steps)
    };
    let (outcomes, skipped) = run_files(common, &config, streams.stdin, true)?;
    if args.output.is_some() && outcomes.len() > 1 {
        return Err(CliError::Usage(
            "-o/--output takes one input file; migrate several files in place instead".into(),
        ));
    }
    let mut report = build_report(
        Command::Apply,
        &outcomes,
        &config.options.disk,
        skipped,
        common.show_secrets,
        false,
    );
    let text = TextOptions {
        color: output.color,
        diffs: false,
    };
    if !report.refused.is_empty() && !args.keep_going {
        let code = refused_code(&report);
        let quiet = Output {
            quiet: true,
            ..output
        };
        print_report(
            &report,
            common,
            &outcomes,
            quiet,
            text,
            &mut io::sink(),
            streams.stderr,
        )?;
        writeln!(
            streams.stderr,
            "nothing was written: {} of {} files refused; fix them, or pass --keep-going to \
             write the others",
            report.refused.len(),
            outcomes.len()
        )?;
        return Ok(code);
    }

    let files: Vec<&FileRun> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .collect();
    let planned = write_plan::plan_writes(
        &files,
        args.output.as_deref(),
        backup_suffix.as_deref(),
        common.certs_dir.is_some(),
    )?;
    let outcome = match streams.before_write_check.as_mut() {
        Some(hook) => write::commit_with(&planned.plan, *hook)?,
        None => write::commit(&planned.plan)?,
    };
    write_plan::record_outcome(&mut report, &planned.destinations, &outcome);
    // The report of apply points into the files as written.
    for (entry, file) in report.files.iter_mut().zip(&files) {
        let written = file.result_locations();
        let input = entry.findings.iter().map(|f| f.location).collect();
        for (finding, location) in entry.findings.iter_mut().zip(written) {
            finding.location = location;
        }
        entry.input_locations = Some(input);
        // Spans end on the lines of the written file too.
        entry.line_ends = report::line_ends(file.result().text(), &entry.findings);
    }
    match planned.stdout {
        Some(result) => {
            streams.stdout.write_all(result.as_bytes())?;
            streams.stdout.flush()?;
            let text = TextOptions {
                color: output.color_stderr,
                diffs: false,
            };
            let err = &mut *streams.stderr;
            print_report(
                &report,
                common,
                &outcomes,
                output,
                text,
                err,
                &mut io::sink(),
            )?;
        }
        None => print_report(
            &report,
            common,
            &outcomes,
            output,
            text,
            streams.stdout,
            streams.stderr,
        )?,
    }
    let code = refused_code(&report);
    streams.release((planned.plan, planned.destinations, report));
    streams.release(outcomes);
    Ok(code)
}
