//! The command line: arguments (`args`, clap derive) and what each command does with them.
//!
//! `main.rs` only parses the arguments, calls [`execute`] with the process's streams and turns
//! the result into an exit code; everything here can be driven by tests with in-memory streams.
//! The migrating commands (`plan`, `apply`, `check`) live in `migrate`, with `apply`'s write
//! planning in `write_plan`; the commands that only look (`detect`, `list`, `explain`) in
//! `inspect`.

mod args;
mod inspect;
mod migrate;
mod plain;
mod write_plan;

use std::io::{self, Read, Write};

use thiserror::Error;

use crate::runner::RunError;
use crate::step::Step;
use crate::write::WriteError;

pub use args::{
    ApplyArgs, CheckArgs, Cli, ColorChoice, Commands, CompletionsArgs, DetectArgs, ExplainArgs,
    InputFormat, KindChoice, ListArgs, MigrateArgs, NotesArg, OnlyArg, OutputFormat, PlanArgs,
    RemovedArg, ReportFormat,
};
pub use plain::PlainStream;

/// Why a command failed; [`CliError::exit_code`] maps it to an exit code ("Exit codes" in
/// `docs/ARCHITECTURE.md`).
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
    /// are checked for changes (see [`crate::write::commit_with`]).
    pub before_write_check: Option<&'a mut dyn FnMut()>,
    /// The process ends right after this command (the binary sets it): the run's documents,
    /// results and report are left for the operating system to take back instead of being
    /// freed one by one, once everything is written and flushed. Library callers and tests
    /// leave it `false`, and everything is dropped as usual.
    pub process_exits: bool,
}

impl Streams<'_> {
    /// Done with `value`, whose output is written: dropped, or when the process is about to
    /// exit ([`Streams::process_exits`]) not freed at all, since freeing a large run's
    /// documents piece by piece costs time the exit gives back for nothing.
    pub(crate) fn release<T>(&self, value: T) {
        if self.process_exits {
            std::mem::forget(value);
        } else {
            drop(value);
        }
    }
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
        Commands::Plan(args) => migrate::plan(args, steps, streams, out),
        Commands::Apply(args) => migrate::apply(args, steps, streams, out),
        Commands::Check(args) => migrate::check(args, steps, streams, out),
        Commands::Detect(args) => inspect::detect(args, steps, streams, color),
        Commands::List(args) => inspect::list(args, steps, streams),
        Commands::Explain(args) => inspect::explain(args, steps, streams),
        Commands::Completions(args) => completions(args, streams),
        Commands::Man => man(streams),
    }
}

/// How the report is printed: colour per stream, `-q`, `-v`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output {
    pub color: bool,
    pub color_stderr: bool,
    pub quiet: bool,
    pub verbose: bool,
}

fn completions(args: CompletionsArgs, streams: &mut Streams<'_>) -> Result<u8, CliError> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "pomerium-migrate", &mut script);
    streams.stdout.write_all(&script)?;
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
