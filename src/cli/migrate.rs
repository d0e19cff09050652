//! The migrating commands: `plan` (diff and report), `check` (for CI) and `apply` (write), over
//! the runner's results, and the report entry of each file (redacted unless `--show-secrets`).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use super::write_plan;
use super::{
    ApplyArgs, CheckArgs, CliError, MigrateArgs, NotesArg, OutputFormat, PlanArgs, RemovedArg,
    Streams,
};
use crate::diff;
use crate::document::Format;
use crate::redact;
use crate::report::{self, Command, CreatedReport, FileReport, Report, StepDiff, TextOptions};
use crate::runner::{self, FileRun, Input, RunConfig, RunError, Source};
use crate::step::{Disk, NotesMode, OnDisk, RemovedMode, Step, StepOptions};
use crate::write;

fn run_config<'a>(args: &MigrateArgs, steps: &'a [&'static Step]) -> RunConfig<'a> {
    RunConfig {
        from: args.from,
        to: args.to,
        kind: args.kind.given(),
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
        },
        output: None,
        steps,
    }
}

/// Reads the files after checking the arguments that need no file (so that a wrong version is
/// reported before stdin is consumed).
fn read_inputs(
    args: &MigrateArgs,
    steps: &[&'static Step],
    stdin: &mut dyn Read,
) -> Result<Vec<Input>, RunError> {
    runner::check_versions(args.from, args.to, steps)?;
    runner::check_settings(args.set.iter().map(|(key, _)| key), steps)?;
    runner::read_files(&args.files, stdin)
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
    let before = shown(file.original());
    let after = shown(file.result());
    let secrets: Vec<String> = before
        .secrets
        .iter()
        .chain(&after.secrets)
        .cloned()
        .collect();
    let step_diffs = per_step.then(|| {
        file.step_changes()
            .map(|(step, old, new)| StepDiff {
                step: step.qualified_id(),
                title: step.title.to_owned(),
                diff: diff::unified(&shown(old).text, &shown(new).text, &path),
            })
            .collect()
    });
    let findings = file
        .findings
        .iter()
        .cloned()
        .map(|mut f| {
            f.message = redact::scrub(&f.message, &secrets);
            f
        })
        .collect();
    FileReport {
        diff: diff::unified(&before.text, &after.text, &path),
        path,
        kind: file.kind,
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
    }
}

/// The report of a run: one entry per file, in the order given.
fn report_of(
    command: Command,
    files: &[FileRun],
    config: &RunConfig<'_>,
    show_secrets: bool,
    per_step: bool,
) -> Report {
    let disk = &config.options.disk;
    Report {
        command,
        files: files
            .iter()
            .map(|f| file_report(f, disk, show_secrets, per_step))
            .collect(),
    }
}

/// Reads and migrates the files of `plan` or `check`, writing nothing, and reports.
fn run_and_report(
    common: &MigrateArgs,
    steps: &[&'static Step],
    stdin: &mut dyn Read,
    command: Command,
    per_step: bool,
) -> Result<Report, CliError> {
    let inputs = read_inputs(common, steps, stdin)?;
    let config = run_config(common, steps);
    let files = runner::run(inputs, &config)?;
    Ok(report_of(
        command,
        &files,
        &config,
        common.show_secrets,
        per_step,
    ))
}

fn print_report(
    report: &Report,
    format: OutputFormat,
    text: TextOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rendered = match format {
        OutputFormat::Text => report::render_text(report, text),
        OutputFormat::Json => report::render_json(report),
    };
    out.write_all(rendered.as_bytes())?;
    out.flush()
}

pub(super) fn plan(
    args: PlanArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    color: bool,
) -> Result<u8, CliError> {
    let common = &args.common;
    let report = run_and_report(common, steps, streams.stdin, Command::Plan, args.per_step)?;
    let text = TextOptions { color, diffs: true };
    print_report(&report, common.format, text, streams.stdout)?;
    Ok(0)
}

pub(super) fn check(
    args: CheckArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    color: bool,
) -> Result<u8, CliError> {
    let common = &args.common;
    let report = run_and_report(common, steps, streams.stdin, Command::Check, false)?;
    let text = TextOptions {
        color,
        diffs: false,
    };
    print_report(&report, common.format, text, streams.stdout)?;
    let pending = report.pending() || (args.strict && report.ignored_keys());
    Ok(if pending { 1 } else { 0 })
}

pub(super) fn apply(
    args: ApplyArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    color: bool,
) -> Result<u8, CliError> {
    let common = &args.common;
    if args.output.is_some() && common.files.len() > 1 {
        return Err(CliError::Usage(
            "-o/--output takes one input file; migrate several files in place instead".into(),
        ));
    }
    let inputs = read_inputs(common, steps, streams.stdin)?;
    // An empty stdin is a broken pipe far more often than a config: writing its "migration"
    // would replace a config with nothing.
    if inputs
        .iter()
        .any(|i| i.source == Source::Stdin && i.text.trim().is_empty())
    {
        return Err(RunError::EmptyStdin.into());
    }
    let config = RunConfig {
        output: args.output.clone(),
        ..run_config(common, steps)
    };
    let files = runner::run(inputs, &config)?;
    let backup_suffix = write_plan::backup_suffix(args.backup.as_deref(), args.no_backup)?;
    let planned =
        write_plan::plan_writes(&files, args.output.as_deref(), backup_suffix.as_deref())?;

    let outcome = match streams.before_write_check.as_mut() {
        Some(hook) => write::commit_with(&planned.plan, *hook)?,
        None => write::commit(&planned.plan)?,
    };

    let mut report = report_of(Command::Apply, &files, &config, common.show_secrets, false);
    write_plan::record_outcome(&mut report, &planned.destinations, &outcome);
    // The report of apply points into the files as written.
    for (entry, file) in report.files.iter_mut().zip(&files) {
        let written = file.result_locations();
        let input = entry.findings.iter().map(|f| f.location).collect();
        for (finding, location) in entry.findings.iter_mut().zip(written) {
            finding.location = location;
        }
        entry.input_locations = Some(input);
    }
    let text = TextOptions {
        color,
        diffs: false,
    };
    match planned.stdout {
        Some(result) => {
            streams.stdout.write_all(result.as_bytes())?;
            streams.stdout.flush()?;
            print_report(&report, common.format, text, streams.stderr)?;
        }
        None => print_report(&report, common.format, text, streams.stdout)?,
    }
    Ok(0)
}
