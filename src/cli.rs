//! The command line: arguments (clap derive) and what each command does with them.
//!
//! `main.rs` only parses the arguments, calls [`execute`] with the process's streams and turns
//! the result into an exit code; everything here can be driven by tests with in-memory streams.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use thiserror::Error;

use crate::batch::{self, Outcome};
use crate::collect;
use crate::detect;
use crate::detect_report::{self, DetectedFile};
use crate::diff;
use crate::redact;
use crate::report::{
    self, Command, CreatedReport, FileReport, Refused, Report, Skipped, StepDiff, TextOptions,
    WrittenReport,
};
use crate::runner::{
    self, Destination, FileRun, Input, InputFormat, KindChoice, RunConfig, RunError, Source,
};
use crate::step::Severity;
use crate::step::{NotesMode, RemovedMode, Scope, Step, StepOptions};
use crate::version::Version;
use crate::write::{self, ConfigWrite, WriteError, WritePlan};

const AFTER_HELP: &str = "\
Exit codes:
  0  success, or nothing to do
  1  check: changes are pending or a finding needs action
  2  usage error, unreadable or invalid input, unknown version, or a file could not be written
  3  refused for safety: a step's result did not verify, a file changed during the run, or
     writing would overwrite an existing file; nothing was written";

/// Upgrade Pomerium configuration files (Core and Enterprise Console) release by release,
/// keeping every comment and byte that does not have to change.
#[derive(Debug, Parser)]
#[command(name = "pomerium-migrate", version, after_help = AFTER_HELP)]
#[command(long_about = "\
Upgrade Pomerium configuration files (Core and Enterprise Console configs, in YAML, JSON or \
TOML) from the release they are written for to a newer one. Each Pomerium release that changed the config \
format has a migration step; the steps between --from and --to run in order (without --from, \
each file starts at the oldest release its keys allow; `detect` shows why). Only what must \
change is rewritten: comments, blank lines, key order, quoting and indentation stay as they are. \
Removed options are commented out with a note (deleted in JSON, which has no comments), and \
everything the tool cannot do safely is reported as `action-required` with what to do by hand. \
The format follows the file extension (.yaml/.yml, .json, .toml; stdin is YAML) unless \
--input-format names it.

Start with `plan` to see the diff and the report, then `apply` (which keeps a backup). After \
migrating, keys the target release does not read are reported as notes, with a suggestion when \
one looks like a typo.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Commands,

    /// When to colour diffs and reports: `auto` colours a stream that is a terminal (decided for
    /// stdout and stderr each), honouring NO_COLOR and CLICOLOR_FORCE.
    #[arg(long, value_enum, default_value_t, global = true, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print no report: only errors (and, for `apply -`, the migrated config). The exit code
    /// still tells the result.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also list, on stderr, the files a directory or glob skipped (and why) and the Core config
    /// each console config takes values from.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// How many files to migrate at once [default: one per CPU, or RAYON_NUM_THREADS]. The
    /// binary sizes its thread pool with it before running the command.
    #[arg(long, global = true, value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Show what would change: a unified diff and a report. Writes nothing.
    #[command(long_about = "\
Show what `apply` would do, without writing anything: a git-style unified diff per file \
(secret values shown as <redacted>) followed by a report with one finding per change, \
required action or relevant note, each with its file:line:column, step and documentation link.

--per-step shows one diff per migration step instead of one per file.")]
    Plan(PlanArgs),

    /// Migrate the files in place (keeping FILE.bak), to -o PATH, or stdin to stdout.
    #[command(long_about = "\
Migrate the files and write the result. Files are replaced atomically (temporary file in the \
same directory, same permissions, renamed over the original), after checking that they did not \
change since they were read. The original is kept as FILE.bak (FILE.bak.1, FILE.bak.2, … when \
a backup exists already; backups are never overwritten). Symlinked configs are written at \
their target. Files a step creates (decoded certificates) are written first and never replace \
a different existing file. When anything fails, nothing is written.

With `-` as FILE the config is read from stdin and the result written to stdout (the report \
then goes to stderr). With -o PATH the result goes to PATH and the input is left alone.")]
    Apply(ApplyArgs),

    /// For CI: exit 1 when a file needs migrating or a finding needs action.
    #[command(long_about = "\
Report whether the files are up to date for --to, without writing anything. Exits with 1 when \
any file would change or any finding is `action-required`, 0 otherwise. Use --format json for \
a machine-readable report that includes the diffs.")]
    Check(CheckArgs),

    /// Show each file's kind, format and the Pomerium versions its keys fit, with the evidence.
    #[command(long_about = "\
Show what pomerium-migrate finds out about each file without migrating it: the kind (core or \
console) and the keys that decided it, the format, and the range of Pomerium releases that read \
every key of the file, with the keys that bound it (file:line:column). A key first read in 0.N \
means the file is for 0.N or newer; a key last read in 0.M means 0.M or older.

This is what plan, apply and check use when --from is not given: they start at the lowest \
release of the range. The output says when no key bounds the version, when the keys contradict \
each other (they then start at the lower bound), and when they would refuse to guess because a \
set_request_headers value contains `$` and the range crosses 0.23.")]
    Detect(DetectArgs),

    /// List the migration steps (optionally only those between --from and --to).
    #[command(long_about = "\
List the chain of migration steps in the order they run: version, id, the kind of config it \
applies to (core or console) and a title. With --from and --to only the steps that a run \
between these versions would use (from < version <= to). `explain` prints a step's full \
documentation.")]
    List(ListArgs),

    /// Print the full documentation of a step (by id) or of all steps of a version.
    #[command(long_about = "\
Print what changed in Pomerium, what the step does, and a before/after example. Name a step by \
its id (`set-authorization-header` or `v0.24/set-authorization-header`), or give a version \
(`0.24`, `v0.24`) to print every step of that release.")]
    Explain(ExplainArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(long_about = "\
Print a completion script for SHELL on stdout. For example:

  bash:        pomerium-migrate completions bash > ~/.local/share/bash-completion/completions/pomerium-migrate
  zsh:         pomerium-migrate completions zsh > ~/.zfunc/_pomerium-migrate   (with fpath+=~/.zfunc)
  fish:        pomerium-migrate completions fish > ~/.config/fish/completions/pomerium-migrate.fish
  powershell:  pomerium-migrate completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),

    /// Print the manual page (roff) on stdout: `pomerium-migrate man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The options `plan`, `apply` and `check` share.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Config files to migrate; `-` reads one config from stdin. A directory is searched
    /// recursively (honouring .gitignore) and a quoted glob (`'deploy/**/*.yaml'`) is expanded;
    /// of the files found, those whose keys make them a Pomerium config are taken.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The Pomerium version the files are used with today (0.20, v0.20 or v0.20.1) [default:
    /// inferred per file from its keys: the lowest release that reads them all, see `detect`].
    #[arg(long, value_name = "VERSION")]
    pub from: Option<Version>,

    /// The version to migrate to [default: the newest version the tool knows].
    #[arg(long, value_name = "VERSION")]
    pub to: Option<Version>,

    /// What the files are: `auto` decides from the keys (console-only keys such as
    /// database_url or license_key, or dash-case keys, mean console).
    #[arg(long, value_enum, default_value_t)]
    pub kind: KindChoice,

    /// Read every FILE as this format instead of by its extension [default: by extension:
    /// `.json` JSON, `.toml` TOML, anything else and stdin YAML].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,

    /// The report's format: `text`, `json` (one JSON document, schema in README and
    /// `schema/report.schema.json`), `github` (workflow commands: annotations in GitHub Actions),
    /// `sarif` (SARIF 2.1.0 for code scanning) or `markdown` (for a ticket or PR comment).
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: ReportFormat,

    /// Report only the findings of this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub only: Option<OnlyArg>,

    /// Print only the patch on stdout (what `git apply` takes; the report goes to stderr).
    /// Refused when the diff would show a redacted value (unless --show-secrets) or the run
    /// creates files.
    #[arg(long)]
    pub diff_only: bool,

    /// A value a step needs and cannot infer, e.g. `--set license-key=…`,
    /// `--set audience=console.example.com`, `--set authenticate-service-url=https://…`.
    /// Repeatable; dash-case and snake_case keys are the same.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, String)>,

    /// Where decoded certificates are written [default: `certs/` beside the written config
    /// (the -o PATH of apply, else the input); `./certs` when the config goes to stdout].
    #[arg(long, value_name = "DIR")]
    pub certs_dir: Option<PathBuf>,

    /// What to do with options Pomerium removed: comment them out under a note, or delete them.
    #[arg(long, value_enum, default_value_t, value_name = "HOW")]
    pub removed: RemovedArg,

    /// Which notes to report: those about features this file uses, or every note of the
    /// versions crossed.
    #[arg(long, value_enum, default_value_t, value_name = "WHICH")]
    pub notes: NotesArg,

    /// Show secret values (shared secrets, keys, database URLs, …) in diffs instead of
    /// <redacted>.
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub common: MigrateArgs,

    /// Show one diff per step that changed something instead of one per file.
    #[arg(long, conflicts_with = "diff_only")]
    pub per_step: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub common: MigrateArgs,

    /// Write the result to PATH instead of replacing the input (one input file only; `-` is
    /// stdout).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Keep the replaced file as FILE + SUFFIX (on by default; an existing backup is never
    /// overwritten: FILE.bak.1, FILE.bak.2, …).
    #[arg(
        long,
        value_name = "SUFFIX",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = write::DEFAULT_BACKUP_SUFFIX,
        conflicts_with = "no_backup"
    )]
    pub backup: Option<String>,

    /// Do not keep a backup of replaced files.
    #[arg(long)]
    pub no_backup: bool,

    /// When some files are refused, still write every file that migrated cleanly (the refused
    /// ones are reported and the exit code is 2). Without it nothing is written when any file
    /// is refused.
    #[arg(long)]
    pub keep_going: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: MigrateArgs,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Config files to examine; `-` reads one config from stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// What the files are: `auto` decides from the keys; `core` or `console` only bound the
    /// version.
    #[arg(long, value_enum, default_value_t)]
    pub kind: KindChoice,

    /// Read every FILE as this format instead of by its extension [default: by extension:
    /// `.json` JSON, `.toml` TOML, anything else and stdin YAML].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,

    /// The output's format; `json` prints one JSON document (schema in README).
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only steps after this version.
    #[arg(long, value_name = "VERSION")]
    pub from: Option<Version>,

    /// Only steps up to this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<Version>,

    /// The list's format.
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A step id (`set-authorization-header`, `v0.24/set-authorization-header`) or a version
    /// (`0.24`).
    #[arg(value_name = "STEP-ID|VERSION")]
    pub target: String,
}

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// `--format` of `detect` and `list`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// `--format` of `plan`, `apply` and `check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For a terminal or a log.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// SARIF 2.1.0.
    Sarif,
    /// Markdown for a ticket or pull-request comment.
    Markdown,
}

/// `--only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnlyArg {
    /// Findings a human must act on.
    ActionRequired,
    /// Changes made automatically.
    Changed,
    /// Notes.
    Note,
}

impl From<OnlyArg> for Severity {
    fn from(only: OnlyArg) -> Severity {
        match only {
            OnlyArg::ActionRequired => Severity::ActionRequired,
            OnlyArg::Changed => Severity::Changed,
            OnlyArg::Note => Severity::Note,
        }
    }
}

/// `--removed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RemovedArg {
    /// Prefix the option's lines with `# ` under a note naming the step.
    #[default]
    Comment,
    /// Delete the option's lines.
    Delete,
}

/// `--notes`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum NotesArg {
    /// Notes about features this file uses.
    #[default]
    Relevant,
    /// Every note of the versions crossed.
    All,
}

fn parse_set(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!(
            "`{}` is not KEY=VALUE (e.g. --set license-key=…)",
            arg.split_once('=').map_or(arg, |(k, _)| k)
        )),
    }
}

/// Why a command failed; [`CliError::exit_code`] maps it to SPEC §1's exit codes.
#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Run(e) => e.exit_code(),
            CliError::Write(e) => e.exit_code(),
            CliError::Usage(_) | CliError::Output(_) => 2,
        }
    }
}

/// The process's streams, and whether `--color auto` should colour each of them.
pub struct Streams<'a> {
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    /// What `--color auto` means for stdout (`anstream`'s choice for the stream: a terminal,
    /// NO_COLOR, CLICOLOR_FORCE).
    pub auto_color: bool,
    /// The same for stderr.
    pub auto_color_stderr: bool,
    /// Test hook: called by `apply` after the new files are prepared and before the originals
    /// are checked for changes (see [`write::commit_with`]).
    pub before_write_check: Option<&'a mut dyn FnMut()>,
}

/// Runs a parsed command line against the registry of steps; returns the exit code.
pub fn execute(cli: Cli, streams: &mut Streams<'_>) -> Result<u8, CliError> {
    execute_with(cli, crate::migrations::STEPS, streams)
}

/// [`execute`] with a given chain of steps (tests use their own).
pub fn execute_with(
    cli: Cli,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
) -> Result<u8, CliError> {
    let pick = |auto: bool| match cli.color {
        ColorChoice::Auto => auto,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
    };
    let out = Output {
        color: pick(streams.auto_color),
        color_stderr: pick(streams.auto_color_stderr),
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    let color = out.color;
    match cli.command {
        Commands::Plan(args) => plan(args, steps, streams, out),
        Commands::Apply(args) => apply(args, steps, streams, out),
        Commands::Check(args) => check(args, steps, streams, out),
        Commands::Detect(args) => detect(args, steps, streams, color),
        Commands::List(args) => list(args, steps, streams),
        Commands::Explain(args) => explain(args, steps, streams),
        Commands::Completions(args) => completions(args, streams),
        Commands::Man => man(streams),
    }
}

/// How the report is printed: colour per stream, `-q`, `-v`.
#[derive(Clone, Copy, Debug)]
struct Output {
    color: bool,
    color_stderr: bool,
    quiet: bool,
    verbose: bool,
}

fn completions(args: CompletionsArgs, streams: &mut Streams<'_>) -> Result<u8, CliError> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "pomerium-migrate", streams.stdout);
    streams.stdout.flush()?;
    Ok(0)
}

fn man(streams: &mut Streams<'_>) -> Result<u8, CliError> {
    use clap::CommandFactory;
    let command = Cli::command();
    clap_mangen::Man::new(command).render(streams.stdout)?;
    streams.stdout.flush()?;
    Ok(0)
}

fn run_config<'a>(args: &MigrateArgs, steps: &'a [&'static Step]) -> RunConfig<'a> {
    RunConfig {
        from: args.from,
        to: args.to,
        kind: args.kind,
        input_format: args.input_format,
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
        },
        output: None,
        steps,
    }
}

/// The files of `plan`, `apply` and `check`, collected and migrated one by one, after checking
/// the arguments that need no file (so that a wrong version is reported before stdin is
/// consumed).
fn run_files(
    args: &MigrateArgs,
    config: &RunConfig<'_>,
    stdin: &mut dyn Read,
) -> Result<(Vec<Outcome>, Vec<Skipped>), CliError> {
    runner::check_versions(args.from, args.to, config.steps)?;
    let collected = collect::collect(&args.files, args.input_format, stdin);
    let outcomes = batch::run(collected.entries, config)?;
    Ok((outcomes, collected.skipped))
}

fn read_files(files: &[PathBuf], stdin: &mut dyn Read) -> Result<Vec<Input>, RunError> {
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(RunError::StdinTwice);
    }
    files.iter().map(|f| Input::read(f, stdin)).collect()
}

/// The report of a run: one entry per migrated file, the refused ones, the skipped ones.
fn build_report(
    command: Command,
    outcomes: &[Outcome],
    skipped: Vec<Skipped>,
    show_secrets: bool,
    per_step: bool,
) -> Report {
    let mut files = Vec::new();
    let mut refused = Vec::new();
    for outcome in outcomes {
        match &outcome.result {
            Ok(file) => files.push(file_report(file, show_secrets, per_step)),
            Err(error) => refused.push(Refused {
                path: outcome.path.clone(),
                error: error.to_string(),
                exit_code: error.exit_code(),
            }),
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
fn file_report(file: &FileRun, show_secrets: bool, per_step: bool) -> FileReport {
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
        changed: file.changed(),
        findings,
        created: file
            .created
            .iter()
            .map(|c| CreatedReport {
                path: c.path.display().to_string(),
                mode: c.mode,
                size: c.contents.len() as u64,
                already_present: existing(&c.path).is_some_and(|b| b == c.contents),
                blocked: existing(&c.path).is_some_and(|b| b != c.contents),
            })
            .collect(),
        step_diffs,
        written: None,
        line_ends: report::line_ends(file.original().text(), &file.findings),
    }
}

/// The content of a file that exists (for files a step wants to create).
fn existing(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
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
    let mut shown = report.clone();
    if let Some(only) = args.only {
        shown.retain_only(only.into());
    }
    let rendered = match args.format {
        ReportFormat::Text => report::render_text(&shown, text),
        ReportFormat::Json => report::render_json(&shown),
        ReportFormat::Github => report::github::render(&shown),
        ReportFormat::Sarif => report::sarif::render(&shown),
        ReportFormat::Markdown => report::markdown::render(&shown),
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
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    output: Output,
) -> Result<u8, CliError> {
    let config = run_config(args, steps);
    let (outcomes, skipped) = run_files(args, &config, streams.stdin)?;
    let report = build_report(command, &outcomes, skipped, args.show_secrets, per_step);
    let pending = command == Command::Check && report.pending();
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
    Ok(refused_code(&report).max(u8::from(pending)))
}

fn plan(
    args: PlanArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    output: Output,
) -> Result<u8, CliError> {
    report_run(
        Command::Plan,
        &args.common,
        args.per_step,
        steps,
        streams,
        output,
    )
}

fn check(
    args: CheckArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    output: Output,
) -> Result<u8, CliError> {
    report_run(Command::Check, &args.common, false, steps, streams, output)
}

fn apply(
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
    let backup_suffix = if args.no_backup {
        None
    } else {
        Some(
            args.backup
                .clone()
                .unwrap_or_else(|| write::DEFAULT_BACKUP_SUFFIX.to_owned()),
        )
    };
    if backup_suffix.as_deref() == Some("") {
        return Err(CliError::Usage(
            "--backup= needs a suffix (e.g. --backup=.orig), or use --no-backup".into(),
        ));
    }
    if args.output.is_some() && common.files.len() > 1 {
        return Err(CliError::Usage(
            "-o/--output takes one input file; migrate several files in place instead".into(),
        ));
    }
    if let Some(out) = args.output.as_deref().filter(|o| o.as_os_str() != "-") {
        let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir.filter(|d| !d.is_dir()) {
            let what = if dir.exists() {
                "is not a directory"
            } else {
                "does not exist; create it first (only --certs-dir is created when missing)"
            };
            return Err(CliError::Usage(format!(
                "-o {}: {} {what}",
                out.display(),
                dir.display()
            )));
        }
    }
    let config = RunConfig {
        output: args.output.clone(),
        ..run_config(common, steps)
    };
    let (outcomes, skipped) = run_files(common, &config, streams.stdin)?;
    if args.output.is_some() && outcomes.len() > 1 {
        return Err(CliError::Usage(
            "-o/--output takes one input file; migrate several files in place instead".into(),
        ));
    }
    let mut report = build_report(
        Command::Apply,
        &outcomes,
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
        print_report(
            &report,
            common,
            &outcomes,
            Output {
                quiet: true,
                ..output
            },
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
    let mut plan = WritePlan::default();
    let mut destinations = Vec::new();
    let mut stdout_text: Option<&str> = None;
    for file in &files {
        let destination = Destination::of(&file.input.source, args.output.as_deref());
        match &destination {
            Destination::Stdout => {
                if common.certs_dir.is_none() && !file.created.is_empty() {
                    let paths: Vec<String> = file
                        .created
                        .iter()
                        .map(|c| c.path.display().to_string())
                        .collect();
                    return Err(CliError::Usage(format!(
                        "{}: the migrated config goes to stdout, but the run also writes files \
                         ({}); say where with --certs-dir DIR",
                        file.input.source.display(),
                        paths.join(", ")
                    )));
                }
                stdout_text = Some(file.result().text());
            }
            Destination::File(path) => {
                let in_place = file.input.source.path() == Some(path.as_path());
                let original = if in_place {
                    Some(file.input.bytes.clone())
                } else {
                    read_existing(path)?
                };
                let contents = file.result().text().as_bytes().to_vec();
                // In place and unchanged: leave the file (and its timestamps) alone.
                if original.as_deref() != Some(contents.as_slice()) {
                    plan.configs.push(ConfigWrite {
                        path: path.clone(),
                        original,
                        contents,
                        backup_suffix: backup_suffix.clone(),
                        new_mode: input_mode(&file.input.source),
                    });
                }
            }
        }
        plan.created.extend(file.created.iter().cloned());
        destinations.push(destination);
    }

    let outcome = match streams.before_write_check.as_mut() {
        Some(hook) => write::commit_with(&plan, *hook)?,
        None => write::commit(&plan)?,
    };

    for (entry, destination) in report.files.iter_mut().zip(&destinations) {
        entry.written = match destination {
            Destination::Stdout => Some(WrittenReport {
                path: "-".into(),
                backup: None,
            }),
            Destination::File(path) => {
                outcome
                    .configs
                    .iter()
                    .find(|w| &w.path == path)
                    .map(|w| WrittenReport {
                        path: w.path.display().to_string(),
                        backup: w.backup.as_ref().map(|b| b.display().to_string()),
                    })
            }
        };
        for created in &mut entry.created {
            if let Some(done) = outcome
                .created
                .iter()
                .find(|c| c.path.display().to_string() == created.path)
            {
                created.already_present = done.already_present;
            }
        }
    }
    match stdout_text {
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
    Ok(refused_code(&report))
}

/// The content of an output file that exists already, to check it is not changed meanwhile.
fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, CliError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(WriteError::Io {
            path: path.to_owned(),
            action: "read the existing output file",
            source,
        }
        .into()),
    }
}

/// The permissions a new output file gets: those of the input (a config holds secrets, so
/// stdin input gives owner-only).
fn input_mode(source: &Source) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Some(meta) = source.path().and_then(|p| std::fs::metadata(p).ok()) {
            return meta.permissions().mode() & 0o7777;
        }
    }
    let _ = source;
    0o600
}

fn detect(
    args: DetectArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
    color: bool,
) -> Result<u8, CliError> {
    let inputs = read_files(&args.files, streams.stdin)?;
    let mut files = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let (format, document) = runner::parse_input(input, args.input_format)?;
        let detection = runner::detect_file(&document, args.kind);
        // What plan/apply/check would say without --from, for a run to the newest release.
        let needs_from =
            detect::refuse_ambiguous_escaping(&document, &detection, runner::default_target(steps))
                .err();
        files.push(DetectedFile {
            path: input.source.display(),
            format,
            detection,
            kind_given: args.kind != KindChoice::Auto,
            needs_from,
        });
    }
    let rendered = match args.format {
        OutputFormat::Text => detect_report::render_text(&files, color),
        OutputFormat::Json => detect_report::render_json(&files),
    };
    streams.stdout.write_all(rendered.as_bytes())?;
    streams.stdout.flush()?;
    Ok(0)
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Core => "core",
        Scope::Console => "console",
    }
}

/// `list --format json`: the envelope every command's JSON shares (`schema`, `command`).
#[derive(Serialize)]
struct JsonList<'a> {
    schema: u32,
    command: &'static str,
    from: Version,
    to: Version,
    steps: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    id: String,
    version: Version,
    step: &'a str,
    scope: &'static str,
    title: &'a str,
    link: &'a str,
}

fn list(
    args: ListArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
) -> Result<u8, CliError> {
    let from = args.from.unwrap_or(runner::OLDEST_KNOWN);
    let to = args.to.unwrap_or_else(|| runner::newest_version(steps));
    let (from, to) = runner::resolve_versions(from, Some(to), steps)?;
    let selected = runner::select_steps(steps, from, to, None);
    let out = &mut *streams.stdout;
    match args.format {
        OutputFormat::Json => {
            let json: Vec<JsonStep<'_>> = selected
                .iter()
                .map(|s| JsonStep {
                    id: s.qualified_id(),
                    version: s.version,
                    step: s.id,
                    scope: scope_name(s.scope),
                    title: s.title,
                    link: s.link,
                })
                .collect();
            let envelope = JsonList {
                schema: report::JSON_SCHEMA,
                command: "list",
                from,
                to,
                steps: json,
            };
            let text = serde_json::to_string_pretty(&envelope).unwrap_or_default();
            writeln!(out, "{text}")?;
        }
        OutputFormat::Text if selected.is_empty() => {
            writeln!(
                out,
                "no migration steps after {from} up to {to}: configs need no rewriting"
            )?;
        }
        OutputFormat::Text => {
            let version_width = selected
                .iter()
                .map(|s| s.version.to_string().len() + 1)
                .max()
                .unwrap_or(0);
            let id_width = selected.iter().map(|s| s.id.len()).max().unwrap_or(0);
            for s in &selected {
                let version = format!("v{}", s.version);
                writeln!(
                    out,
                    "{version:<version_width$}  {:<id_width$}  {:<7}  {}",
                    s.id,
                    scope_name(s.scope),
                    s.title
                )?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

fn explain(
    args: ExplainArgs,
    steps: &[&'static Step],
    streams: &mut Streams<'_>,
) -> Result<u8, CliError> {
    let target = args.target.trim();
    let out = &mut *streams.stdout;
    if let Ok(version) = target.parse::<Version>() {
        let of_version: Vec<_> = steps.iter().filter(|s| s.version == version).collect();
        if of_version.is_empty() {
            // Validates the version (unknown → exit 2).
            runner::resolve_versions(version, Some(version), steps)?;
            writeln!(
                out,
                "v{version}: no migration step; configs valid for {} need no change for {version}",
                version.previous().unwrap_or(version)
            )?;
        }
        for (i, step) in of_version.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            write_explanation(out, step)?;
        }
        return Ok(0);
    }
    let step = steps.iter().find(|s| {
        s.id == target || s.qualified_id() == target || format!("v{}", s.qualified_id()) == target
    });
    match step {
        Some(step) => {
            write_explanation(out, step)?;
            Ok(0)
        }
        None => {
            let hint = closest_step(target, steps)
                .map(|id| format!("did you mean `{id}`? "))
                .unwrap_or_default();
            Err(CliError::Usage(format!(
                "unknown step `{target}`; {hint}`pomerium-migrate list` shows every step"
            )))
        }
    }
}

/// The step id closest to a mistyped one (by Jaro-Winkler similarity of the bare ids), when
/// it is close enough to be what was meant.
fn closest_step(target: &str, steps: &[&'static Step]) -> Option<String> {
    let bare = target
        .trim_start_matches('v')
        .split_once('/')
        .map_or(target, |(_, id)| id)
        .to_ascii_lowercase();
    steps
        .iter()
        .map(|s| (strsim::jaro_winkler(&bare, s.id), s))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s.qualified_id())
}

fn write_explanation(out: &mut dyn Write, step: &Step) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} ({} config)",
        step.qualified_id(),
        step.title,
        scope_name(step.scope)
    )?;
    if !step.link.is_empty() {
        writeln!(out, "{}", step.link)?;
    }
    writeln!(out)?;
    // `///` comments carry one leading space per line.
    let doc: Vec<&str> = step
        .doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    writeln!(out, "{}", doc.join("\n").trim_end())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn set_values_are_key_value_pairs() {
        assert_eq!(
            parse_set("license-key=a=b"),
            Ok(("license-key".into(), "a=b".into()))
        );
        assert!(parse_set("novalue").is_err());
        assert!(parse_set("=x").is_err());
        // The error names the key, never the value (it may be a secret).
        let err = parse_set(" =hunter2").err().unwrap_or_default();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn backup_takes_an_optional_suffix() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(args).map(|c| match c.command {
                Commands::Apply(a) => (a.backup, a.no_backup),
                _ => (None, false),
            })
        };
        assert_eq!(
            parse(&["pm", "apply", "c.yaml", "--backup"]).ok(),
            Some((Some(".bak".into()), false))
        );
        assert_eq!(
            parse(&["pm", "apply", "c.yaml", "--backup=.orig"]).ok(),
            Some((Some(".orig".into()), false))
        );
        assert_eq!(
            parse(&["pm", "apply", "c.yaml", "--no-backup"]).ok(),
            Some((None, true))
        );
        assert!(parse(&["pm", "apply", "c.yaml", "--backup", "--no-backup"]).is_err());
    }

    #[test]
    fn versions_are_parsed_by_clap() {
        let cli = Cli::try_parse_from(["pm", "plan", "c.yaml", "--from", "v0.20.3"]);
        match cli.map(|c| c.command) {
            Ok(Commands::Plan(p)) => assert_eq!(p.common.from, Some(Version::new(0, 20))),
            other => panic!("unexpected: {other:?}"),
        }
        assert!(Cli::try_parse_from(["pm", "plan", "c.yaml", "--from", "latest"]).is_err());
    }
}
