//! Running the migration chain over the files of one invocation.
//!
//! The runner reads each file (`-` is stdin), picks its format (`--input-format`, else the
//! extension) and kind, selects the steps
//! `from < version <= to` whose scope fits the kind, and runs them one after another with
//! [`step::run_step`], keeping every intermediate document so that `--per-step` can show what
//! each step did. Core files run first; their migrated data is handed to the steps of a console
//! file given in the same run (the Console takes values such as the signing key from Core).
//!
//! Without `--from`, each file's starting version is inferred from its keys ([`detect`], SPEC
//! §4). After the steps, keys the target release does not read are reported as notes.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use similar::DiffTag;
use thiserror::Error;

use crate::detect::{self, AmbiguousEscaping, Detection};
use crate::document::{Document, EditError, Format, Location, NodeId, NodeKind, ParseError, Value};
use crate::step::{self, CreatedFile, FileKind, Finding, Step, StepOptions};
use crate::version::Version;

/// The oldest release whose configs the tool understands (the first the key table covers).
pub const OLDEST_KNOWN: Version = Version::new(0, 10);
/// The newest release the tool knows about, even where no step is registered for it yet.
pub const NEWEST_KNOWN: Version = Version::new(0, 33);

/// Where a config comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// `-` for stdin, the path as given otherwise.
    pub fn display(&self) -> String {
        match self {
            Source::Stdin => "-".to_owned(),
            Source::File(p) => p.display().to_string(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File(p) => Some(p),
        }
    }
}

/// Where a migrated config is written: in place, or where `apply -o PATH` says (`-` is stdout;
/// stdin input goes to stdout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// Where the config read from `source` goes, given `apply`'s `-o` (one input file only).
    pub fn of(source: &Source, output: Option<&Path>) -> Destination {
        match (output, source) {
            (Some(out), _) if out.as_os_str() == "-" => Destination::Stdout,
            (Some(out), _) => Destination::File(out.to_owned()),
            (None, Source::Stdin) => Destination::Stdout,
            (None, Source::File(path)) => Destination::File(path.clone()),
        }
    }

    /// The written config's path: what steps place new files beside and name relative to
    /// (`None` for stdout: they go under the working directory).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Destination::Stdout => None,
            Destination::File(path) => Some(path),
        }
    }
}

/// A config as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub source: Source,
    /// The exact bytes read (compared again before writing).
    pub bytes: Vec<u8>,
    pub text: String,
}

impl Input {
    /// Reads `arg` (`-` = `stdin`).
    pub fn read(arg: &Path, stdin: &mut dyn Read) -> Result<Input, RunError> {
        let (source, bytes) = if arg.as_os_str() == "-" {
            let mut bytes = Vec::new();
            stdin
                .read_to_end(&mut bytes)
                .map_err(|source| RunError::Read {
                    path: "-".into(),
                    source,
                })?;
            (Source::Stdin, bytes)
        } else {
            let bytes = std::fs::read(arg).map_err(|source| RunError::Read {
                path: arg.display().to_string(),
                source,
            })?;
            (Source::File(arg.to_owned()), bytes)
        };
        Input::from_bytes(source, bytes)
    }

    pub fn from_bytes(source: Source, bytes: Vec<u8>) -> Result<Input, RunError> {
        let text = String::from_utf8(bytes.clone()).map_err(|e| {
            let before = &bytes[..e.utf8_error().valid_up_to()];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            RunError::NotUtf8 {
                path: source.display(),
                location: Location { line, column },
            }
        })?;
        Ok(Input {
            source,
            bytes,
            text,
        })
    }
}

/// `--kind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum KindChoice {
    /// Decide from the keys (console-only or dash-case keys mean console).
    #[default]
    Auto,
    /// A Pomerium Core config.
    Core,
    /// An Enterprise Console config.
    Console,
}

/// `--input-format`: how to read the files instead of going by their extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// YAML (what `.yaml`, `.yml`, other names and stdin are read as)
    Yaml,
    /// JSON (what `.json` files are read as)
    Json,
    /// TOML (what `.toml` files are read as)
    Toml,
}

impl From<InputFormat> for Format {
    fn from(choice: InputFormat) -> Format {
        match choice {
            InputFormat::Yaml => Format::Yaml,
            InputFormat::Json => Format::Json,
            InputFormat::Toml => Format::Toml,
        }
    }
}

/// Why a run stopped. Every message names the file (and line and column where there is one) and
/// says what to do.
#[derive(Debug, Error)]
pub enum RunError {
    #[error("{path}: cannot read the file: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}:{location}: the file is not UTF-8 text; save it as UTF-8 and run again")]
    NotUtf8 { path: String, location: Location },
    #[error("{path}:{source}")]
    Parse { path: String, source: ParseError },
    #[error(
        "{path}:{location}: read as {format}, the file is {found}, not a mapping of options; if \
         it is written in another format, say which with --input-format yaml|json|toml"
    )]
    NotAMapping {
        path: String,
        format: Format,
        location: Location,
        found: &'static str,
    },
    #[error("{path}:{source}")]
    AmbiguousEscaping {
        path: String,
        source: AmbiguousEscaping,
    },
    #[error(
        "{path}: the keys of this file need Pomerium {from} or newer ({evidence}), but --to is \
         {to}; pomerium-migrate does not downgrade configs. Give a newer --to, or --from with \
         the version the file is used with today"
    )]
    InferredAfterTarget {
        path: String,
        from: Version,
        to: Version,
        evidence: String,
    },
    #[error(
        "unknown version {version}: pomerium-migrate knows Pomerium {OLDEST_KNOWN} to {newest}"
    )]
    UnknownVersion { version: Version, newest: Version },
    #[error("--to {to} is older than --from {from}; pomerium-migrate does not downgrade configs")]
    Downgrade { from: Version, to: Version },
    #[error("stdin (-) can be given only once")]
    StdinTwice,
    #[error("{path}: the same file is given twice; give each file once")]
    SameFileTwice { path: String },
    #[error(
        "several core configs ({}) were given with a console config: give the console config \
         with the one core config it belongs to",
        paths.join(", ")
    )]
    SeveralCores { paths: Vec<String> },
    #[error("{}", describe_step_error(path, step, source))]
    Step {
        path: String,
        step: String,
        source: EditError,
    },
}

fn describe_step_error(path: &str, step: &str, source: &EditError) -> String {
    let located = !matches!(source, EditError::Verification { .. });
    let place = if located {
        format!("{path}:{source}")
    } else {
        format!("{path}: {source}")
    };
    let advice = match source {
        EditError::Verification { .. } => {
            "this is a bug in pomerium-migrate, please report it with the step name"
        }
        _ => "edit this part of the file by hand, or run up to the version before this step",
    };
    format!("{place} (step {step}); nothing was written: {advice}")
}

impl RunError {
    /// SPEC §1: 3 when a step refused for safety, 2 for input and usage problems.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Step { .. } => 3,
            _ => 2,
        }
    }
}

/// What a run needs besides the files.
#[derive(Clone, Debug)]
pub struct RunConfig<'a> {
    pub from: Option<Version>,
    pub to: Option<Version>,
    pub kind: KindChoice,
    /// `--input-format`: the format of every file; `None` goes by each file's extension.
    pub input_format: Option<InputFormat>,
    pub options: StepOptions,
    /// `apply -o PATH`: where the (single) migrated config is written instead of in place; the
    /// steps see this path as the config's (files they create go beside it).
    pub output: Option<PathBuf>,
    /// The chain ([`crate::migrations::STEPS`], or a test chain).
    pub steps: &'a [&'static Step],
}

/// The newest version the chain has steps for, or [`NEWEST_KNOWN`] when it is newer.
pub fn newest_version(steps: &[&Step]) -> Version {
    steps
        .iter()
        .map(|s| s.version)
        .max()
        .map_or(NEWEST_KNOWN, |v| v.max(NEWEST_KNOWN))
}

/// The default `--to` (SPEC §1): the newest version the tool knows, even when that release
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

/// The format of a file: the one given with `--input-format`, else its extension as Pomerium
/// decides it (stdin and other names are read as YAML).
pub fn format_for(source: &Source, given: Option<InputFormat>) -> Format {
    given.map_or_else(|| format_of(source), Format::from)
}

/// The format a file's extension says (stdin and other names are read as YAML).
pub fn format_of(source: &Source) -> Format {
    let ext = source
        .path()
        .and_then(Path::extension)
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => Format::Json,
        Some("toml") => Format::Toml,
        _ => Format::Yaml,
    }
}

/// One document state of a file: the input, then one per step that changed the text.
#[derive(Debug)]
pub struct Stage {
    /// The step that produced this state; `None` for the input.
    pub step: Option<&'static Step>,
    pub document: Document,
}

/// The result of migrating one file.
#[derive(Debug)]
pub struct FileRun {
    pub input: Input,
    pub format: Format,
    pub kind: FileKind,
    pub from: Version,
    pub to: Version,
    /// What the keys say about the version, when `from` was inferred from them (no `--from`).
    pub inferred: Option<Detection>,
    /// Never empty: `stages[0]` is the input.
    pub stages: Vec<Stage>,
    /// In step order, located in the input file.
    pub findings: Vec<Finding>,
    pub created: Vec<CreatedFile>,
}

impl FileRun {
    pub fn original(&self) -> &Document {
        &self.stages[0].document
    }

    pub fn result(&self) -> &Document {
        match self.stages.last() {
            Some(stage) => &stage.document,
            None => self.original(),
        }
    }

    /// Whether the migrated text differs from the input.
    pub fn changed(&self) -> bool {
        self.result().text() != self.original().text()
    }

    /// Each step that changed the text, with the documents before and after it.
    pub fn step_changes(&self) -> impl Iterator<Item = (&'static Step, &Document, &Document)> {
        self.stages
            .windows(2)
            .filter_map(|w| w[1].step.map(|step| (step, &w[0].document, &w[1].document)))
    }
}

/// Parses, migrates and returns every input, in the order given. Nothing is written here.
pub fn run(inputs: Vec<Input>, config: &RunConfig<'_>) -> Result<Vec<FileRun>, RunError> {
    if inputs.iter().filter(|i| i.source == Source::Stdin).count() > 1 {
        return Err(RunError::StdinTwice);
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    for input in &inputs {
        if let Source::File(path) = &input.source {
            let identity = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            if seen.contains(&identity) {
                return Err(RunError::SameFileTwice {
                    path: input.source.display(),
                });
            }
            seen.push(identity);
        }
    }
    check_versions(config.from, config.to, config.steps)?;

    let mut parsed = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (format, document) = parse_input(&input, config.input_format)?;
        let detection = detect_file(&document, config.kind);
        let versions = file_versions(&input, &document, &detection, config)?;
        parsed.push(Some(Parsed {
            input,
            format,
            document,
            detection,
            versions,
        }));
    }

    let kind_of = |p: &Parsed| p.detection.kind;
    let cores: Vec<String> = parsed
        .iter()
        .flatten()
        .filter(|p| kind_of(p) == FileKind::Core)
        .map(|p| p.input.source.display())
        .collect();
    let has_console = parsed
        .iter()
        .flatten()
        .any(|p| kind_of(p) == FileKind::Console);
    if has_console && cores.len() > 1 {
        return Err(RunError::SeveralCores { paths: cores });
    }

    // Core files first, so that console steps can read the migrated core config.
    let mut order: Vec<usize> = (0..parsed.len()).collect();
    order.sort_by_key(|i| parsed[*i].as_ref().map(|p| kind_of(p) != FileKind::Core));
    let mut results: Vec<Option<FileRun>> = (0..parsed.len()).map(|_| None).collect();
    let mut core_data: Option<Value> = None;
    for index in order {
        let Some(file) = parsed[index].take() else {
            continue;
        };
        let kind = file.detection.kind;
        let core = if kind == FileKind::Console {
            core_data.as_ref()
        } else {
            None
        };
        let file = migrate(file, config, core)?;
        if kind == FileKind::Core {
            let result = file.result();
            core_data = result.root().map(|root| result.value(root));
        }
        results[index] = Some(file);
    }
    Ok(results.into_iter().flatten().collect())
}

/// A file read and parsed, with what is known about it before its steps run.
struct Parsed {
    input: Input,
    format: Format,
    document: Document,
    detection: Detection,
    versions: FileVersions,
}

/// The versions one file is migrated between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileVersions {
    from: Version,
    to: Version,
    /// Whether `from` was inferred from the keys (no `--from`).
    inferred: bool,
}

/// Picks the format ([`format_for`]) and parses the text.
pub fn parse_input(
    input: &Input,
    given: Option<InputFormat>,
) -> Result<(Format, Document), RunError> {
    let path = input.source.display();
    let format = format_for(&input.source, given);
    let document =
        Document::parse(input.text.clone(), format).map_err(|source| RunError::Parse {
            path: path.clone(),
            source,
        })?;
    // TOML or JSON read as YAML is often one long plain string: a config that would silently
    // need no change.
    if let Some(root) = document.root().map(|r| document.resolve(r)) {
        let found = match &document.node(root).kind {
            NodeKind::Mapping(_) | NodeKind::Scalar(Value::Null) | NodeKind::Alias(_) => None,
            NodeKind::Sequence(_) => Some("a list"),
            NodeKind::Scalar(_) => Some("a single value"),
        };
        if let Some(found) = found {
            return Err(RunError::NotAMapping {
                path,
                format,
                location: document.location(root),
                found,
            });
        }
    }
    Ok((format, document))
}

/// The kind (decided from the keys for `--kind auto`) and the version range of a document.
pub fn detect_file(document: &Document, kind: KindChoice) -> Detection {
    match kind {
        KindChoice::Auto => detect::detect(document),
        KindChoice::Core => detect::detect_as(document, FileKind::Core),
        KindChoice::Console => detect::detect_as(document, FileKind::Console),
    }
}

/// `--from` when given, else the lowest version the keys allow (SPEC §4), refusing when that
/// guess could double-escape a `$` (see [`detect::refuse_ambiguous_escaping`]).
fn file_versions(
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

fn migrate(
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

/// An engine refusal with its lines moved from the intermediate text into the input (a line a
/// step added becomes the input line it follows: an error needs some line).
fn relocate(mut err: EditError, map: &LineMap) -> EditError {
    let fix = |line: &mut usize| *line = map.nearest_input_line(*line);
    match &mut err {
        EditError::Conflict { location }
        | EditError::Unsupported { location, .. }
        | EditError::Invalid { location, .. }
        | EditError::DuplicateKey { location, .. }
        | EditError::TooManyAliases { location } => fix(&mut location.line),
        EditError::AnchorInUse {
            location,
            alias_line,
        }
        | EditError::AliasedKey {
            location,
            alias_line,
        } => {
            fix(&mut location.line);
            fix(alias_line);
        }
        EditError::Verification { .. } => {}
    }
    err
}

/// Maps line numbers of an intermediate text back to the input, so that every finding points
/// into the file the user has: an unchanged line maps to itself, a line a step rewrote to the
/// input line it replaced. A line a step added has no input line.
struct LineMap {
    /// 0-based line of the intermediate text → where it comes from in the input.
    lines: Vec<Origin>,
    /// How many lines the input has.
    input_lines: usize,
}

/// Where a line of the intermediate text comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// This 0-based input line, unchanged or rewritten.
    Input(usize),
    /// Added before this 0-based input line (the input's length when added at the end).
    AddedBefore(usize),
}

impl LineMap {
    fn new(input: &str, current: &str) -> LineMap {
        let diff = crate::diff::line_diff(input, current);
        let mut lines = Vec::new();
        for op in diff.ops() {
            let old = op.old_range();
            for k in 0..op.new_range().len() {
                lines.push(match op.tag() {
                    DiffTag::Equal => Origin::Input(old.start + k),
                    // Lines written in place of others belong to the entry they replaced.
                    DiffTag::Replace => Origin::Input(old.start + k.min(old.len() - 1)),
                    DiffTag::Insert | DiffTag::Delete => Origin::AddedBefore(old.start),
                });
            }
        }
        LineMap {
            lines,
            input_lines: input.lines().count(),
        }
    }

    /// The 1-based input line a 1-based line of the intermediate text comes from; `None` for a
    /// line a step added (or one the text does not have).
    fn to_input(&self, line: usize) -> Option<usize> {
        match self.lines.get(line.checked_sub(1)?)? {
            Origin::Input(l) => Some(l + 1),
            Origin::AddedBefore(_) => None,
        }
    }

    /// [`LineMap::to_input`], or for an added line the input line it follows (line 1 when it
    /// comes first), never past the input's last line.
    fn nearest_input_line(&self, line: usize) -> usize {
        let before = match line.checked_sub(1).and_then(|i| self.lines.get(i)) {
            Some(Origin::Input(l)) => l + 1,
            Some(Origin::AddedBefore(next)) => *next,
            None => self.input_lines,
        };
        before.clamp(1, self.input_lines.max(1))
    }

    /// A location in the intermediate document `doc` as a location in the input. Something a
    /// step added (a key, or anything inside it) is located at the nearest enclosing entry or
    /// item the input has: the mapping the key was added to. `None` when nothing encloses it.
    fn locate(&self, doc: &Document, at: Location) -> Option<Location> {
        if let Some(line) = self.to_input(at.line) {
            return Some(Location { line, ..at });
        }
        enclosing(doc, at).into_iter().rev().find_map(|outer| {
            self.to_input(outer.line)
                .map(|line| Location { line, ..outer })
        })
    }
}

/// The locations of the nodes and entry keys that enclose the node or key written at `target`,
/// outermost first and ending with `target`; empty when no node or key is written there.
/// Aliases are not followed (what they name is written, and found, elsewhere).
fn enclosing(doc: &Document, target: Location) -> Vec<Location> {
    fn walk(doc: &Document, id: NodeId, target: Location, chain: &mut Vec<Location>) -> bool {
        let here = doc.location(id);
        chain.push(here);
        if here == target {
            return true;
        }
        if doc.resolve(id) == id {
            match &doc.node(id).kind {
                NodeKind::Mapping(entries) => {
                    for entry in entries {
                        let key = doc.location(entry.key_node);
                        chain.push(key);
                        if key == target || walk(doc, entry.value, target, chain) {
                            return true;
                        }
                        chain.pop();
                    }
                }
                NodeKind::Sequence(items) => {
                    if items.iter().any(|item| walk(doc, *item, target, chain)) {
                        return true;
                    }
                }
                NodeKind::Scalar(_) | NodeKind::Alias(_) => {}
            }
        }
        chain.pop();
        false
    }
    let mut chain = Vec::new();
    if let Some(root) = doc.root() {
        walk(doc, root, target, &mut chain);
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::{Scope, StepContext};

    fn noop(_: &mut StepContext<'_>) {}

    crate::step! {
        /// Test step.
        static CORE_24 = Step {
            version: Version::new(0, 24), id: "core-24", title: "t", scope: Scope::Core,
            handles: &[], link: "", run: noop,
        };
    }
    crate::step! {
        /// Test step.
        static CONSOLE_25 = Step {
            version: Version::new(0, 25), id: "console-25", title: "t", scope: Scope::Console,
            handles: &[], link: "", run: noop,
        };
    }
    crate::step! {
        /// Test step.
        static CORE_21 = Step {
            version: Version::new(0, 21), id: "core-21", title: "t", scope: Scope::Core,
            handles: &[], link: "", run: noop,
        };
    }
    static CHAIN: &[&Step] = &[&CORE_21, &CORE_24, &CONSOLE_25];

    fn v(minor: u32) -> Version {
        Version::new(0, minor)
    }

    #[test]
    fn versions_are_checked_and_defaulted() {
        // The default --to is the newest known release, also past the chain's last step.
        assert_eq!(
            resolve_versions(v(20), None, CHAIN).ok(),
            Some((v(20), v(33)))
        );
        assert_eq!(
            resolve_versions(v(20), Some(v(24)), CHAIN).ok(),
            Some((v(20), v(24)))
        );
        assert_eq!(
            resolve_versions(v(33), None, CHAIN).ok(),
            Some((v(33), v(33)))
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
        for bad in [v(9), v(34), Version::new(1, 0)] {
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

    #[test]
    fn formats_come_from_the_extension() {
        let f = |p: &str| format_of(&Source::File(p.into()));
        assert_eq!(f("config.yaml"), Format::Yaml);
        assert_eq!(f("config.YML"), Format::Yaml);
        assert_eq!(f("config.json"), Format::Json);
        assert_eq!(f("config.toml"), Format::Toml);
        assert_eq!(f("config"), Format::Yaml);
        assert_eq!(format_of(&Source::Stdin), Format::Yaml);
    }

    #[test]
    fn the_given_input_format_wins_over_the_extension() {
        let f = |p: &str, given| format_for(&Source::File(p.into()), given);
        assert_eq!(f("config.yaml", Some(InputFormat::Toml)), Format::Toml);
        assert_eq!(f("config.toml", Some(InputFormat::Json)), Format::Json);
        assert_eq!(f("config.toml", None), Format::Toml);
        assert_eq!(
            format_for(&Source::Stdin, Some(InputFormat::Toml)),
            Format::Toml
        );
        assert_eq!(format_for(&Source::Stdin, None), Format::Yaml);
    }

    fn run_one(path: &str, text: &str, given: Option<InputFormat>) -> Result<FileRun, RunError> {
        let input = Input::from_bytes(Source::File(path.into()), text.as_bytes().to_vec())?;
        let config = RunConfig {
            from: Some(v(20)),
            to: None,
            kind: KindChoice::Auto,
            input_format: given,
            options: StepOptions::default(),
            output: None,
            steps: CHAIN,
        };
        let mut files = run(vec![input], &config)?;
        files.pop().ok_or(RunError::StdinTwice)
    }

    #[test]
    fn toml_files_are_read_as_toml() -> Result<(), RunError> {
        let text = "[[routes]]\nfrom = \"https://a\"\n";
        let file = run_one("c.toml", text, None)?;
        assert_eq!(file.format, Format::Toml);
        assert_eq!(file.original().select_str("routes[*].from").len(), 1);
        // The same text named .conf is YAML unless --input-format says otherwise.
        assert!(matches!(
            run_one("c.conf", text, None),
            Err(RunError::Parse { .. })
        ));
        assert_eq!(
            run_one("c.conf", text, Some(InputFormat::Toml))?.format,
            Format::Toml
        );
        Ok(())
    }

    #[test]
    fn a_file_that_is_not_a_mapping_is_refused() -> Result<(), RunError> {
        // TOML read as YAML: one multi-line plain string.
        let toml = "a = 1\nb = \"x\"\n";
        match run_one("c.yaml", toml, None) {
            Err(e @ RunError::NotAMapping { .. }) => {
                assert_eq!(e.exit_code(), 2);
                assert!(
                    e.to_string()
                        .starts_with("c.yaml:1:1: read as yaml, the file is a single value"),
                    "{e}"
                );
            }
            other => panic!("unexpected: {other:?}"),
        }
        assert!(matches!(
            run_one("c.json", "[1, 2]", None),
            Err(RunError::NotAMapping {
                found: "a list",
                ..
            })
        ));
        // Empty files and documents stay valid (nothing to migrate).
        assert_eq!(run_one("c.yaml", "", None)?.format, Format::Yaml);
        assert_eq!(
            run_one("c.yaml", "# only a comment\n", None)?.format,
            Format::Yaml
        );
        assert_eq!(run_one("c.toml", "", None)?.format, Format::Toml);
        Ok(())
    }

    #[test]
    fn non_utf8_input_names_line_and_column() {
        let err = Input::from_bytes(Source::File("c.yaml".into()), b"a: 1\nb: \xff\n".to_vec());
        match err {
            Err(e @ RunError::NotUtf8 { .. }) => {
                assert!(e.to_string().starts_with("c.yaml:2:4: "), "{e}");
            }
            other => panic!("unexpected: {other:?}"),
        }
    }

    #[test]
    fn stdin_is_read_once() -> Result<(), RunError> {
        let mut stdin: &[u8] = b"a: 1\n";
        let input = Input::read(Path::new("-"), &mut stdin)?;
        assert_eq!(input.source, Source::Stdin);
        assert_eq!(input.text, "a: 1\n");
        let config = RunConfig {
            from: Some(v(20)),
            to: None,
            kind: KindChoice::Auto,
            input_format: None,
            options: StepOptions::default(),
            output: None,
            steps: CHAIN,
        };
        let err = run(vec![input.clone(), input], &config);
        assert!(matches!(err, Err(RunError::StdinTwice)));
        Ok(())
    }

    #[test]
    fn missing_files_are_reported_with_their_path() {
        let err = Input::read(Path::new("/nonexistent/c.yaml"), &mut io::empty());
        match err {
            Err(e) => {
                assert_eq!(e.exit_code(), 2);
                assert!(
                    e.to_string()
                        .starts_with("/nonexistent/c.yaml: cannot read")
                );
            }
            Ok(_) => panic!("read a file that does not exist"),
        }
    }

    #[test]
    fn line_map_follows_inserted_and_removed_lines() {
        let input = "a\nb\nc\nd\n";
        let current = "a\n# note\n# b\nc\nX\n";
        let map = LineMap::new(input, current);
        assert_eq!(map.to_input(1), Some(1));
        assert_eq!(map.to_input(4), Some(3)); // c
        assert_eq!(map.to_input(2), Some(2)); // the note replaced b
        assert_eq!(map.to_input(5), Some(4)); // X replaced d
        assert_eq!(map.to_input(99), None);
        assert_eq!(map.nearest_input_line(99), 4);
    }

    fn yaml(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(doc) => doc,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    #[test]
    fn added_things_are_located_at_what_encloses_them_in_the_input() {
        let input = "a: 1\nroutes:\n  - from: https://x\nb: 2\n";
        let current = "a: 1\nroutes:\n  - from: https://x\n    added: y\nnew:\n  inner: z\nb: 2\n";
        let (map, doc) = (LineMap::new(input, current), yaml(current));
        let at = |line, column| Location { line, column };
        // Kept lines map as they are.
        assert_eq!(map.locate(&doc, at(7, 1)), Some(at(4, 1)));
        // A key added to a route: the route's mapping, which the input has.
        assert_eq!(map.locate(&doc, at(4, 5)), Some(at(3, 5)));
        assert_eq!(map.locate(&doc, at(4, 12)), Some(at(3, 5)));
        // Inside a new top-level block: the root mapping.
        assert_eq!(map.locate(&doc, at(6, 3)), Some(at(1, 1)));
        // No node written there: no location rather than a guess.
        assert_eq!(map.locate(&doc, at(5, 30)), None);
        // Added after the input's last line: never a line past its end.
        let input = "database-url: x\n";
        let current = "database-url: x\nsigning-key: k\n";
        let (map, doc) = (LineMap::new(input, current), yaml(current));
        assert_eq!(map.locate(&doc, at(2, 1)), Some(at(1, 1)));
        assert_eq!(map.nearest_input_line(2), 1);
    }
}
