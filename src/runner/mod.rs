//! Running the migration chain over the files of one invocation.
//!
//! The runner takes the inputs as read ([`input`]), parses each in its format, decides its kind
//! and the versions it runs between ([`versions`]), and runs the steps
//! `from < version <= to` whose scope fits the kind one after another (`chain`), keeping every
//! intermediate document when `--per-step` shows what each step did (else only the input and
//! the result). Findings and errors
//! are moved back into the input's lines (`locate`). One file at a time ([`prepare`], then
//! [`migrate_one`]); [`crate::batch`] runs many, Core files before the console files that take
//! values (such as the signing key) from them. Nothing is written here: the caller decides what
//! to do
//! with the [`FileRun`]s (`cli` plans the writes).
//!
//! Without `--from`, each file's starting version is inferred from its keys ([`crate::detect`];
//! see "Version inference" in `docs/ARCHITECTURE.md`). After the steps, the result is validated
//! at the target release and the input's action markers are read ([`crate::validate`]).

mod chain;
mod error;
pub mod input;
pub(crate) mod locate;
mod settings;
mod target;
pub mod versions;

use std::path::PathBuf;

use crate::detect::Detection;
use crate::detect_report;
use crate::document::{Document, Format, Location, Value};
use crate::step::{CreatedFile, FileKind, Finding, Step, StepOptions};
use crate::surface::{self, Surface, SurfaceKind};
use crate::version::Version;

pub use error::RunError;
pub use input::{
    Destination, Input, Source, check_distinct, format_for, format_of, parse_input, read_files,
};
pub use versions::{
    NEWEST_KNOWN, OLDEST_KNOWN, check_versions, default_target, detect_file, newest_version,
    resolve_versions, select_steps,
};

pub use settings::{check_settings, known_settings};

use versions::FileVersions;

/// What a run needs besides the files.
#[derive(Clone, Debug)]
pub struct RunConfig<'a> {
    pub from: Option<Version>,
    pub to: Option<Version>,
    /// `--to` as given when it names a patch release (`0.33.1`): the image tag a surface's
    /// Pomerium images are set to.
    pub to_release: Option<String>,
    /// `--kind`: the kind of every file; `None` decides each file's kind from its keys.
    pub kind: Option<FileKind>,
    /// `--kind compose|dotenv|kubernetes|helm`: the surface of every file ([`crate::surface`]);
    /// `Some(SurfaceKind::Config)` reads every file as a config. `None` with `kind` `None`
    /// decides each file's surface from its name and shape.
    pub surface: Option<SurfaceKind>,
    /// `--input-format`: the format of every file; `None` goes by each file's extension.
    pub input_format: Option<Format>,
    pub options: StepOptions,
    /// `apply -o PATH`: where the (single) migrated config is written instead of in place; the
    /// steps see this path as the config's (files they create go beside it).
    pub output: Option<PathBuf>,
    /// The chain ([`crate::migrations::STEPS`], or a test chain).
    pub steps: &'a [&'static Step],
    /// `plan --per-step`: verify each step's result on its own. Otherwise a file's result is
    /// verified once, against the data composed through all its steps.
    pub verify_each_step: bool,
}

/// One document state of a file: the input, then one per step that changed the text (with
/// [`RunConfig::verify_each_step`]; else only the last of those, the result).
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
    /// Where the options live: a config file, or a surface such as a docker-compose file.
    pub surface: Surface,
    pub from: Version,
    pub to: Version,
    /// What the keys say about the version, when `from` was inferred from them (no `--from`).
    pub inferred: Option<Detection>,
    /// A `--kind` or `--from` given that the file's keys contradict, one line each.
    pub warnings: Vec<String>,
    /// Never empty: `stages[0]` is the input, the last is the result. The documents in between
    /// are kept only with [`RunConfig::verify_each_step`] (`plan --per-step`).
    pub stages: Vec<Stage>,
    /// In step order, located in the input file.
    pub findings: Vec<Finding>,
    pub created: Vec<CreatedFile>,
    /// Texts the file holds encoded (a Secret's base64 `data`, a `POLICY` variable), decoded,
    /// before and after the chain: the report shows their diffs too.
    pub decoded: Vec<crate::surface::decoded::DecodedView>,
    /// The line diff of the input and the result ([`FileRun::line_ops`]), made once for the
    /// run's line maps, its report and `apply`'s locations.
    pub(crate) line_ops: std::sync::OnceLock<Vec<similar::DiffOp>>,
    /// The input as reports show it (secret values redacted), made before the chain handed the
    /// input's index to its first editing step; `None` when the index stayed with the input.
    pub(crate) input_shown: Option<crate::redact::Redacted>,
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

    /// The findings' locations moved from the input into the migrated text (what `apply`
    /// writes), index for index with [`FileRun::findings`]; columns are kept (see
    /// `locate::ForwardMap` for how lines move).
    pub fn result_locations(&self) -> Vec<Option<Location>> {
        let map = self.changed().then(|| {
            let (input, result) = (self.original().text(), self.result().text());
            locate::ForwardMap::from_ops(input, result, self.line_ops())
        });
        self.findings
            .iter()
            .map(|f| {
                f.location.map(|at| match &map {
                    Some(map) => Location {
                        line: map.line(at.line),
                        ..at
                    },
                    None => at,
                })
            })
            .collect()
    }

    /// The line diff of the input and the result ([`crate::diff::line_ops`]), made when first
    /// needed unless the run made it already.
    pub(crate) fn line_ops(&self) -> &[similar::DiffOp] {
        self.line_ops
            .get_or_init(|| crate::diff::line_ops(self.original().text(), self.result().text()))
    }

    /// Whether the migrated text differs from the input.
    pub fn changed(&self) -> bool {
        self.result().text() != self.original().text()
    }

    /// Each step that changed the text, with the documents before and after it (with
    /// [`RunConfig::verify_each_step`]; otherwise the last such step, with the input and the
    /// result).
    pub fn step_changes(&self) -> impl Iterator<Item = (&'static Step, &Document, &Document)> {
        self.stages
            .windows(2)
            .filter_map(|w| w[1].step.map(|step| (step, &w[0].document, &w[1].document)))
    }
}

/// Parses, migrates and returns every input, in the order given; the first file refused stops
/// it (what [`crate::batch::run`] reports file by file). Console configs take values from their
/// Core config as [`crate::batch`] describes. Nothing is written here.
pub fn run(inputs: Vec<Input>, config: &RunConfig<'_>) -> Result<Vec<FileRun>, RunError> {
    check_distinct(inputs.iter().map(|i| &i.source))?;
    let entries = inputs
        .into_iter()
        .map(|input| crate::collect::Entry {
            path: input.source.display(),
            input: Ok(input),
            explicit: true,
        })
        .collect();
    crate::batch::run(entries, config)?
        .into_iter()
        .map(|outcome| outcome.result)
        .collect()
}

/// Reads what a config file is and the versions it runs between, before any step runs.
fn parse(
    input: Input,
    format: Format,
    document: Document,
    config: &RunConfig<'_>,
) -> Result<Parsed, RunError> {
    let (detection, misfits) = versions::detect_run_file(&document, config.kind, config.from)
        .map_err(|source| RunError::KindUndecided {
            path: input.source.display(),
            source,
        })?;
    let versions = versions::file_versions(&input, &document, &detection, config)?;
    let warnings = detect_report::run_warnings_with(
        &input.source.display(),
        &detection,
        misfits.as_ref(),
        config.kind.is_some(),
        config.from,
    );
    Ok(Parsed {
        input,
        format,
        document,
        detection,
        versions,
        warnings,
    })
}

/// A file read, parsed and detected, ready for its steps ([`prepare`], then [`migrate_one`]):
/// what a run over many files handles one at a time.
pub struct Prepared(PreparedFile);

enum PreparedFile {
    Config(Parsed),
    Surface(surface::Prepared),
}

impl Prepared {
    /// The kind the file was detected (or declared) as. A surface file is migrated with the
    /// Core configs ([`crate::batch`]): its Console services take no values from a Core config.
    pub fn kind(&self) -> FileKind {
        match &self.0 {
            PreparedFile::Config(parsed) => parsed.detection.kind,
            PreparedFile::Surface(_) => FileKind::Core,
        }
    }

    /// Where the file's options live.
    pub fn surface(&self) -> Surface {
        match &self.0 {
            PreparedFile::Config(parsed) => Surface::Config(parsed.detection.kind),
            PreparedFile::Surface(prepared) => prepared.surface,
        }
    }

    /// Records the compose service of the run that names this `.env` file in `env_file:`.
    pub fn set_named_by(&mut self, named_by: surface::dotenv::EnvFileRef) {
        if let PreparedFile::Surface(prepared) = &mut self.0 {
            prepared.named_by = Some(named_by);
        }
    }

    pub fn source(&self) -> &Source {
        match &self.0 {
            PreparedFile::Config(parsed) => &parsed.input.source,
            PreparedFile::Surface(prepared) => &prepared.input.source,
        }
    }
}

/// Parses one input and decides its surface, then (for a config) its kind and versions; the
/// error is this file's alone. The surface comes from `--kind` when it names one, else from
/// the file ([`surface::detect_surface`]); `--kind core|console` reads every file as a config.
pub fn prepare(input: Input, config: &RunConfig<'_>) -> Result<Prepared, RunError> {
    let decide = config.surface.is_none() && config.kind.is_none();
    let forced = config.surface.filter(|s| *s != SurfaceKind::Config);
    // A `.env` file is not YAML: its name (or `--kind dotenv`) decides before any parse, and it
    // is read as dotenv.
    let dotenv = if forced == Some(SurfaceKind::Dotenv) {
        Some("--kind dotenv".to_owned())
    } else if decide && config.input_format.is_none() {
        surface::detect_surface(input.source.path(), None)
            .filter(|(surface, _)| *surface == Surface::Dotenv)
            .map(|(_, evidence)| evidence)
    } else {
        None
    };
    let given_format = match dotenv {
        Some(_) => config.input_format.or(Some(Format::Dotenv)),
        None => config.input_format,
    };
    let (format, document) = if decide || forced == Some(SurfaceKind::Kubernetes) {
        parse_input_or_manifest(&input, given_format)?
    } else {
        parse_input(&input, given_format)?
    };
    // Environment variables are never read as config keys: that would find nothing to change.
    let dotenv = dotenv.or_else(|| {
        (format == Format::Dotenv).then(|| match config.input_format {
            Some(_) => "--input-format dotenv".to_owned(),
            None => "the file's name".to_owned(),
        })
    });
    if let Some(evidence) = dotenv {
        return Ok(Prepared(PreparedFile::Surface(surface::Prepared {
            input,
            surface: Surface::Dotenv,
            document: Some(document),
            evidence,
            named_by: None,
        })));
    }
    let detected = if decide || forced.is_some() {
        surface::detect_surface(None, Some(&document))
    } else {
        None
    };
    let surface = match (forced, detected) {
        (None, None) => None,
        (None, Some((surface, evidence))) => Some((surface, evidence)),
        (Some(kind), detected) => Some((
            surface::forced_surface(kind, detected.map(|(s, _)| s)),
            format!("--kind {}", surface::kind_name(kind)),
        )),
    };
    // A manifest of one object is read as a stream too, so its handlers see one shape.
    let document = match &surface {
        Some((Surface::Kubernetes, _)) => {
            match Document::parse_stream_shared(std::sync::Arc::clone(&input.text)) {
                Ok(stream) => stream,
                Err(source) => {
                    return Err(RunError::Parse {
                        path: input.source.display(),
                        source,
                        hint: "",
                    });
                }
            }
        }
        _ => document,
    };
    match surface {
        None => parse(input, format, document, config).map(|p| Prepared(PreparedFile::Config(p))),
        Some((surface, evidence)) => Ok(Prepared(PreparedFile::Surface(surface::Prepared {
            input,
            surface,
            document: Some(document),
            evidence,
            named_by: None,
        }))),
    }
}

/// [`parse_input`], except that several YAML documents are read as a Kubernetes manifest
/// stream ([`Document::parse_stream`]) when one of them is a Kubernetes object. Pomerium reads
/// only one document of a config, so any other stream stays refused.
pub fn parse_input_or_manifest(
    input: &Input,
    given: Option<Format>,
) -> Result<(Format, Document), RunError> {
    match parse_input(input, given) {
        Err(
            refused @ RunError::Parse {
                source: crate::document::ParseError::MultipleDocuments { .. },
                ..
            },
        ) => match Document::parse_stream_shared(std::sync::Arc::clone(&input.text)) {
            Ok(stream) if surface::detect_surface(None, Some(&stream)).is_some() => {
                Ok((Format::Yaml, stream))
            }
            _ => Err(refused),
        },
        other => other,
    }
}

/// Runs the steps over one prepared file; `core` is the migrated data of the Core config a
/// console file takes values from.
pub fn migrate_one(
    file: Prepared,
    config: &RunConfig<'_>,
    core: Option<&Value>,
) -> Result<FileRun, RunError> {
    match file.0 {
        PreparedFile::Config(parsed) => chain::migrate(parsed, config, core),
        PreparedFile::Surface(prepared) => surface::migrate(prepared, config),
    }
}

/// The data of a migrated file, as a console file's steps read their Core config.
pub fn result_data(file: &FileRun) -> Option<Value> {
    let result = file.result();
    result.root().map(|root| result.value(root))
}

/// A file read and parsed, with what is known about it before its steps run.
struct Parsed {
    input: Input,
    format: Format,
    document: Document,
    detection: Detection,
    versions: FileVersions,
    /// A `--kind` or `--from` given that the file's keys contradict, one line each.
    warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::document::EditError;
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
    pub(super) static CHAIN: &[&Step] = &[&CORE_21, &CORE_24, &CONSOLE_25];

    pub(super) fn v(minor: u32) -> Version {
        Version::new(0, minor)
    }

    /// Runs `text` as the file `path` through `steps` from `from`.
    fn run_file(
        path: &str,
        text: &str,
        given: Option<Format>,
        (steps, from, verify_each_step): (&[&'static Step], Version, bool),
    ) -> Result<FileRun, RunError> {
        let input = Input::from_bytes(Source::File(path.into()), text.as_bytes().to_vec())?;
        let config = RunConfig {
            from: Some(from),
            to: None,
            to_release: None,
            kind: None,
            surface: None,
            input_format: given,
            options: StepOptions::default(),
            output: None,
            steps,
            verify_each_step,
        };
        let mut files = run(vec![input], &config)?;
        files.pop().ok_or(RunError::StdinTwice)
    }

    fn run_one(path: &str, text: &str, given: Option<Format>) -> Result<FileRun, RunError> {
        run_file(path, text, given, (CHAIN, v(20), false))
    }

    /// A large YAML config's input index goes to the first editing step's graft: the run reads
    /// nothing of the input's tree afterwards (validation and the report use what was kept),
    /// and it reports and produces exactly what a run that keeps the index does.
    #[test]
    fn the_input_index_is_handed_on_and_the_run_is_the_same()
    -> Result<(), Box<dyn std::error::Error>> {
        // Past the size from which the index is handed on, with a marker the end reads.
        let mut text = String::from(
            "shared_secret: c2VjcmV0\n\
             # pomerium-migrate action v0.24/redis-storage-removed: check the storage\n\
             databroker_storage_type: redis\nroutes:\n",
        );
        let mut n = 0;
        while text.len() <= chain::HAND_OVER_BYTES {
            text.push_str(&format!(
                "  - from: https://app-{n}.example.com\n    to: http://app-{n}\n    \
                 set_request_headers:\n      X-Cost: $5\n    lb_policy: ROUND_ROBIN\n"
            ));
            n += 1;
        }
        let steps = crate::migrations::STEPS;
        let handed = run_file("c.yaml", &text, None, (steps, v(22), false))?;
        let kept = run_file("c.yaml", &text, None, (steps, v(22), true))?;
        assert!(handed.stages.len() > 1, "the steps edited nothing");
        assert!(!handed.original().is_indexed());
        assert!(kept.original().is_indexed());
        assert_eq!(handed.result().text(), kept.result().text());
        assert_eq!(handed.findings, kept.findings);
        let fresh = Document::parse(text, Format::Yaml)?;
        let shown = crate::redact::redact(&fresh);
        assert!(shown.text.contains(crate::redact::REDACTED));
        assert_eq!(handed.input_shown.as_ref(), Some(&shown));
        assert_eq!(kept.input_shown, None);
        Ok(())
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
            run_one("c.conf", text, Some(Format::Toml))?.format,
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
        // Empty files and documents parse, but no key tells their kind: refused without --kind.
        for (path, text) in [
            ("c.yaml", ""),
            ("c.yaml", "# only a comment\n"),
            ("c.toml", ""),
        ] {
            match run_one(path, text, None) {
                Err(e @ RunError::KindUndecided { .. }) => {
                    assert_eq!(e.exit_code(), 2);
                    assert!(
                        e.to_string().contains("--kind core or --kind console"),
                        "{e}"
                    );
                }
                other => panic!("unexpected: {other:?}"),
            }
        }
        Ok(())
    }

    #[test]
    fn stdin_is_read_once() -> Result<(), RunError> {
        let mut stdin: &[u8] = b"a: 1\n";
        let input = Input::read(Path::new("-"), &mut stdin)?;
        assert_eq!(input.source, Source::Stdin);
        assert_eq!(&*input.text, "a: 1\n");
        let config = RunConfig {
            from: Some(v(20)),
            to: None,
            to_release: None,
            kind: None,
            surface: None,
            input_format: None,
            options: StepOptions::default(),
            output: None,
            steps: CHAIN,
            verify_each_step: false,
        };
        let err = run(vec![input.clone(), input], &config);
        assert!(matches!(err, Err(RunError::StdinTwice)));
        Ok(())
    }

    /// The guarantee the engine rests on: a rendered edit that does not mean what the edits say
    /// stops the run. With a fault injected into the engine's rendering, the run fails with exit
    /// 3 naming the step that edited, and no file result is returned (nothing to write) — whether
    /// each step is verified on its own (`plan --per-step`) or the file's result once.
    #[test]
    fn a_verification_mismatch_stops_the_run_with_exit_3_and_the_step_named() {
        let cases = [
            ("c.yaml", "pomerium_debug: true\naddress: \":443\"\n"),
            (
                "c.json",
                "{\"pomerium_debug\": true, \"address\": \":443\"}\n",
            ),
            ("c.toml", "pomerium_debug = true\naddress = \":443\"\n"),
        ];
        for ((path, text), verify_each_step) in
            cases.into_iter().flat_map(|c| [(c, false), (c, true)])
        {
            let run_it = || {
                let input = Input::from_bytes(Source::File(path.into()), text.as_bytes().to_vec())?;
                let config = RunConfig {
                    from: Some(v(24)),
                    to: Some(v(25)),
                    to_release: None,
                    kind: Some(FileKind::Core),
                    surface: None,
                    input_format: None,
                    options: StepOptions::default(),
                    output: None,
                    steps: crate::migrations::STEPS,
                    verify_each_step,
                };
                run(vec![input], &config)
            };
            // Without the fault the same run succeeds and changes the file.
            match run_it() {
                Ok(files) => assert!(files.iter().any(FileRun::changed), "{path}: no change"),
                Err(e) => panic!("{path}: the run without a fault failed: {e}"),
            }
            match crate::document::fault::with_corrupt_render(run_it) {
                Err(e @ RunError::Step { .. }) => {
                    assert_eq!(e.exit_code(), 3, "{path}");
                    let message = e.to_string();
                    assert!(
                        message.contains("(step v0.25/remove-pomerium-debug)")
                            && message.contains("nothing was written")
                            && message.contains("bug in pomerium-migrate"),
                        "{path}: {message}"
                    );
                    assert!(
                        matches!(
                            e,
                            RunError::Step {
                                source: EditError::Verification { .. },
                                ..
                            }
                        ),
                        "{path}: {e:?}"
                    );
                }
                other => panic!("{path}: the mismatch was not refused: {other:?}"),
            }
        }
    }
}
