//! The command-line arguments (clap derive): commands, their options, and the value types they
//! parse into. Nothing here runs anything.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::document::Format;
use crate::step::{FileKind, Severity};
use crate::surface::SurfaceKind;
use crate::version::Version;
use crate::write;

const AFTER_HELP: &str = "\
Exit codes:
  0  success, or nothing to do
  1  check: changes are pending or a finding needs action
  2  usage error, unreadable or invalid input, unknown version, or a file could not be written
  3  refused for safety: a step's result did not verify, a file changed during the run, or
     writing would overwrite an existing file; nothing was written
With several files each is handled on its own and the exit code is the worst of them.";

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
The format follows the file extension (.yaml/.yml, .json, .toml; stdin is YAML; .env files \
are read as dotenv) unless --input-format names it.

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

    /// For CI: exit 1 when a file needs migrating or an action is still open.
    #[command(long_about = "\
Report whether the files are ready for --to (default: the newest release), without writing \
anything. Use --format json for a machine-readable report that includes the diffs.

What check promises: after `apply`, check (with or without --from) exits 1 for as long as an \
action that apply reported is still open, and reports it at its line in the file. An action is \
open while either holds:
  - a validation rule at the target fires: an option the target refuses to start with (the \
removed list of Pomerium's config/options_check.go), a value it refuses (Redis storage, base64 \
`certificates`, an Ed25519 signing_key, policy_file, an unknown storage backend or one without \
its connection string), or a key the Enterprise Console requires \
that the file lacks;
  - the action's marker comment is still in the file (YAML, TOML): \
`# pomerium-migrate action vX.Y/STEP: …`. Delete the marker once the work is done, or change \
`action` to `accepted` to keep the entry as it is on purpose. JSON has no comments and \
--removed delete removes the lines: there the apply report says which actions check will not \
see again.
Keys the target ignores (no longer read, or never read) are notes; --strict fails on them too.

Exit codes: 0 nothing pending; 1 a file would change, an action is open, or (--strict) a key \
is ignored; 2 invalid input or usage; 3 refused for safety.")]
    Check(CheckArgs),

    /// Show each file's kind, format and the Pomerium versions its keys fit, with the evidence.
    #[command(long_about = "\
Show what pomerium-migrate finds out about each file without migrating it: the kind (core or \
console) with the evidence on each side, the format, and the range of Pomerium releases that \
read every key of the file, with what bounds it (file:line:column).

Kind: top-level keys only Core reads (routes, idp_*, certificates, …) count for core; keys only \
the Console reads (database_url, license_key, audience, …, and any dash-case spelling of a \
Console key) count for console. Keys both read, x- and .-prefixed keys (YAML anchor holders) \
and unknown keys count for neither. When both sides have evidence, or neither has, the kind is \
undecided: detect shows the keys and exits 2, and plan, apply and check refuse the file until \
--kind says which. With --kind, keys only the other kind reads give a warning.

Version: a key first read in 0.N means the file is for 0.N or newer; a key last read in 0.M \
means 0.M or older. Values count too: a ${pomerium.…} substitution in set_request_headers means \
0.23 or newer, databroker_storage_type: redis 0.23 or older.

This is what plan, apply and check use when --from is not given: they start at the lowest \
release of the range. The output says when nothing bounds the version, when the keys contradict \
each other (they then start at the lower bound), and when they would refuse to guess because a \
set_request_headers value contains `$` or `%%` and the range crosses 0.23.")]
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

    /// The version to migrate to [default: the newest version the tool knows]. A patch
    /// release (`v0.33.1`) is also the image tag `apply` writes for the Pomerium images of a
    /// docker-compose file or manifest.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<Release>,

    /// What the files are: `auto` decides from the file (a docker-compose file by its
    /// `services` of containers, a `.env` file by its name, a Kubernetes manifest by
    /// `apiVersion`/`kind`, Helm values by the chart's sections; a config by its keys: keys
    /// only Core reads, such as routes, against keys only the Console reads, such as
    /// database_url; a config with both, or with neither, is refused until --kind says which).
    /// `core`/`console` read every file as that kind of config; `compose`, `dotenv`,
    /// `kubernetes` and `helm` read it as that surface.
    #[arg(long, value_enum, default_value_t)]
    pub kind: KindChoice,

    /// Read every FILE as this format instead of by its name [default: by name: `.json` JSON,
    /// `.toml` TOML, `.env`, `*.env` and `.env.*` dotenv, anything else and stdin YAML].
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
    /// Repeatable; dash-case and snake_case keys are the same. A key no migration step reads
    /// is refused, naming the closest one.
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

    /// Also exit 1 on keys the target release ignores (removed options, unknown keys).
    #[arg(long)]
    pub strict: bool,
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

    /// Read every FILE as this format instead of by its name [default: by name: `.json` JSON,
    /// `.toml` TOML, `.env`, `*.env` and `.env.*` dotenv, anything else and stdin YAML].
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

/// A release as given with `--to`: its minor version (what the steps go by), and the text as
/// given when it names a patch release (`v0.33.1`), which surfaces write as image tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub version: Version,
    /// `0.33.1` (without a leading `v`), when a patch was given.
    pub patch: Option<String>,
}

impl std::str::FromStr for Release {
    type Err = crate::version::VersionError;

    fn from_str(s: &str) -> Result<Release, Self::Err> {
        let version: Version = s.parse()?;
        let text = s.trim();
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        Ok(Release {
            version,
            patch: (text.split('.').count() == 3).then(|| text.to_owned()),
        })
    }
}

/// `--kind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum KindChoice {
    /// Decide from the keys: keys only Core reads against keys only the Console reads.
    #[default]
    Auto,
    /// A Pomerium Core config.
    Core,
    /// An Enterprise Console config.
    Console,
    /// A docker-compose file: the `environment` of every service running a Pomerium image
    /// (and, with this, of a service without an image whose name contains `pomerium`).
    Compose,
    /// A `.env` file of `KEY=value` lines read by a Pomerium container.
    Dotenv,
    /// A Kubernetes manifest (workloads, ConfigMaps, Secrets, Ingresses, the Pomerium object).
    Kubernetes,
    /// Values of Pomerium's Helm charts (`pomerium` or `pomerium-console`).
    Helm,
}

impl KindChoice {
    /// The config kind given, `None` for `auto` and for the surfaces.
    pub fn given(self) -> Option<FileKind> {
        match self {
            KindChoice::Core => Some(FileKind::Core),
            KindChoice::Console => Some(FileKind::Console),
            _ => None,
        }
    }

    /// The surface given: `Config` for `core`/`console`, `None` for `auto`.
    pub fn surface(self) -> Option<SurfaceKind> {
        match self {
            KindChoice::Auto => None,
            KindChoice::Core | KindChoice::Console => Some(SurfaceKind::Config),
            KindChoice::Compose => Some(SurfaceKind::Compose),
            KindChoice::Dotenv => Some(SurfaceKind::Dotenv),
            KindChoice::Kubernetes => Some(SurfaceKind::Kubernetes),
            KindChoice::Helm => Some(SurfaceKind::Helm),
        }
    }
}

/// `--input-format`: how to read the files instead of going by their extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// YAML (what `.yaml`, `.yml`, other names and stdin are read as)
    Yaml,
    /// JSON (what `.json` files are read as)
    Json,
    /// TOML (what `.toml` files are read as)
    Toml,
    /// `NAME=value` lines (what `.env`, `*.env` and `.env.*` files are read as)
    Dotenv,
}

impl From<InputFormat> for Format {
    fn from(choice: InputFormat) -> Format {
        match choice {
            InputFormat::Yaml => Format::Yaml,
            InputFormat::Json => Format::Json,
            InputFormat::Toml => Format::Toml,
            InputFormat::Dotenv => Format::Dotenv,
        }
    }
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

pub(crate) fn parse_set(arg: &str) -> Result<(String, String), String> {
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
