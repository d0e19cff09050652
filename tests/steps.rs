//! Fixture tests for migration steps.
//!
//! Layout: `tests/fixtures/steps/vMAJOR.MINOR-STEP-ID/CASE/` (e.g.
//! `v0.24-set-authorization-header/flow-map/`). A case holds:
//!
//! - `input.yaml` (or `input.json`) — the config before the step.
//! - `expected.yaml` (or `expected.json`) — the exact bytes after the step; absent means the step
//!   must not change the file. Every step has at least one such *negative* case: an input it must
//!   leave alone (`every_step_has_fixtures_with_a_negative_case`).
//! - `findings.txt` — one line per finding, in order: `SEVERITY LINE:COL MESSAGE` (`-` for no
//!   location). A message spanning several lines continues on lines indented by four spaces. An
//!   empty file means no findings; the file is required (a missing one fails the case). In a `from`/`to` case each line starts with the step
//!   (`v0.23/escape-dollar-in-request-headers changed 3:5 …`) since several steps report.
//! - `created.txt` (optional) — files the run asks to create, one per line:
//!   `PATH MODE SIZE` (path relative to the case directory, mode in octal). Absent means none.
//! - `options.txt` (optional) — one option per line:
//!   - `kind core|console` (default `core`)
//!   - `set KEY=VALUE` (repeatable, like `--set`)
//!   - `removed comment|delete`
//!   - `notes all`
//!   - `certs-dir PATH` (relative to the case directory, like `--certs-dir`)
//!   - `embedded-in TEXT` — the config is embedded in another file (`StepOptions::embedded_in`,
//!     e.g. a Kubernetes ConfigMap entry); such a case must ask for no file
//!   - `from V` and `to V` — run every registered step with from < version <= to whose scope fits
//!     the kind, in registry order, instead of only the named step; `to` is the run's target
//!     (`StepOptions::target`), as with `--to` (a case without them runs with no target)
//!   - `not-idempotent` — skip the check that a second run on the output changes nothing (only
//!     the `$` escaping of v0.23 needs it)
//!   - blank lines and lines starting with `#` are ignored
//! - `core.yaml` or `core.json` (optional) — a core config given in the same run; its data
//!   reaches the steps as `StepContext::core`.
//!
//! Every case also checks that no finding repeats a secret of the input: a scalar of 8 or more
//! characters under a key that names a secret (`*secret*`, `*key*`, `*password*`, `*token*`,
//! `*account*`, `*connection_string*`, `authorization`, `database*url`); see "Secrets" in
//! `docs/ARCHITECTURE.md`.
//!
//! The config path given to steps is `CASE/input.yaml` (or `.json`), so files a step places "beside the
//! config" land under the case directory; files already there (e.g. `certs/…` committed with the
//! case) are what the step finds on disk. Steps only *request* files; nothing is written here.
//!
//! `UPDATE_FIXTURES=1 cargo test --test steps` rewrites `expected.*`, `findings.txt` and
//! `created.txt` from what the steps produce. That is for the author's convenience only: every
//! rewritten file must be reviewed by hand before it is committed, since the test then asserts
//! whatever the code did. `STEPS_FILTER=TEXT` runs only the cases whose path contains TEXT.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use pomerium_migrate::document::{Document, Format, NodeId, Value};
use pomerium_migrate::migrations::STEPS;
use pomerium_migrate::runner::select_steps;
use pomerium_migrate::step::{
    CreatedFile, FileKind, Finding, NotesMode, RemovedMode, Step, StepOptions, run_step,
};
use pomerium_migrate::version::Version;

const FIXTURES: &str = "tests/fixtures/steps";

/// What `options.txt` asks for.
struct CaseOptions {
    kind: FileKind,
    step_options: StepOptions,
    range: Option<(Version, Version)>,
    idempotent: bool,
}

fn parse_options(case_dir: &Path) -> Result<CaseOptions, String> {
    let mut options = CaseOptions {
        kind: FileKind::Core,
        step_options: StepOptions::default(),
        range: None,
        idempotent: true,
    };
    let path = case_dir.join("options.txt");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(options),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let (mut from, mut to) = (None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("{}:{}: cannot read option `{line}`", path.display(), n + 1);
        let (word, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        let version = |s: &str| s.parse::<Version>().map_err(|e| format!("{}: {e}", bad()));
        match (word, arg) {
            ("kind", "core") => options.kind = FileKind::Core,
            ("kind", "console") => options.kind = FileKind::Console,
            ("set", kv) => {
                let (k, v) = kv.split_once('=').ok_or_else(bad)?;
                options
                    .step_options
                    .set
                    .insert(k.trim().to_owned(), v.to_owned());
            }
            ("removed", "comment") => options.step_options.removed = RemovedMode::Comment,
            ("removed", "delete") => options.step_options.removed = RemovedMode::Delete,
            ("notes", "all") => options.step_options.notes = NotesMode::All,
            ("notes", "relevant") => options.step_options.notes = NotesMode::Relevant,
            ("certs-dir", dir) if !dir.is_empty() => {
                options.step_options.certs_dir = Some(case_dir.join(dir));
            }
            ("embedded-in", host) if !host.is_empty() => {
                options.step_options.embedded_in = Some(host.to_owned());
            }
            ("from", v) => from = Some(version(v)?),
            ("to", v) => to = Some(version(v)?),
            ("not-idempotent", "") => options.idempotent = false,
            _ => return Err(bad()),
        }
    }
    match (from, to) {
        (Some(f), Some(t)) => {
            options.range = Some((f, t));
            // As the runner does: steps know where the run ends.
            options.step_options.target = Some(t);
        }
        (None, None) => {}
        _ => return Err(format!("{}: give both `from` and `to`", path.display())),
    }
    Ok(options)
}

/// The step a fixture directory names (`v0.24-set-authorization-header`).
fn named_step(dir_name: &str) -> Result<&'static Step, String> {
    let (version, id) = dir_name
        .split_once('-')
        .ok_or_else(|| format!("`{dir_name}` is not named vMAJOR.MINOR-STEP-ID"))?;
    let version: Version = version.parse().map_err(|e| format!("`{dir_name}`: {e}"))?;
    STEPS
        .iter()
        .copied()
        .find(|s| s.version == version && s.id == id)
        .ok_or_else(|| {
            format!("`{dir_name}` names no registered step (no step `{id}` in v{version})")
        })
}

/// The steps a case runs: the named step alone, or, with a range in `options.txt`, the steps the
/// chain runs over that range for the case's kind (the runner's own selection).
fn case_steps(step: &'static Step, options: &CaseOptions) -> Vec<&'static Step> {
    match options.range {
        Some((from, to)) => select_steps(STEPS, from, to, Some(options.kind)),
        None => vec![step],
    }
}

/// Everything a case run produced, rendered for comparison.
struct RunResult {
    input: String,
    format: Format,
    text: String,
    findings: String,
    created: String,
}

fn render_finding(out: &mut String, f: &Finding, with_step: bool) {
    if with_step {
        let _ = write!(out, "v{}/{} ", f.version, f.step);
    }
    let location = f.location.map_or_else(|| "-".to_owned(), |l| l.to_string());
    let mut lines = f.message.lines();
    let _ = writeln!(
        out,
        "{} {location} {}",
        f.severity,
        lines.next().unwrap_or_default()
    );
    for line in lines {
        let _ = writeln!(out, "    {line}");
    }
}

fn render_created(out: &mut String, case_dir: &Path, file: &CreatedFile) {
    let shown = file
        .path
        .strip_prefix(case_dir)
        .unwrap_or(&file.path)
        .display()
        .to_string();
    let _ = writeln!(out, "{shown} {:o} {}", file.mode, file.contents.len());
}

/// A case's input: `NAME.yaml` or `NAME.json` (not both).
fn find_config(case_dir: &Path, name: &str) -> Result<Option<(PathBuf, Format)>, String> {
    let found: Vec<(PathBuf, Format)> = [("yaml", Format::Yaml), ("json", Format::Json)]
        .into_iter()
        .map(|(ext, format)| (case_dir.join(format!("{name}.{ext}")), format))
        .filter(|(path, _)| path.exists())
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(format!("give either {name}.yaml or {name}.json, not both")),
    }
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        _ => "yaml",
    }
}

fn run_case(
    steps: &[&Step],
    text: &str,
    format: Format,
    options: &CaseOptions,
    core: Option<&Value>,
    config_path: &Path,
) -> Result<(String, Vec<Finding>, Vec<CreatedFile>), String> {
    let mut doc = Document::parse(text.to_owned(), format)
        .map_err(|e| format!("the input does not parse: {e}"))?;
    let mut findings = Vec::new();
    let mut created = Vec::new();
    for step in steps {
        let outcome = run_step(
            step,
            &doc,
            options.kind,
            &options.step_options,
            core,
            Some(config_path),
        )
        .map_err(|e| format!("{} failed: {e}", step.qualified_id()))?;
        findings.extend(outcome.findings);
        created.extend(outcome.created);
        if let Some(next) = outcome.document {
            doc = next;
        }
    }
    Ok((doc.text().to_owned(), findings, created))
}

fn run_fixture(case_dir: &Path, step: &'static Step) -> Result<RunResult, String> {
    let options = parse_options(case_dir)?;
    let (config_path, format) =
        find_config(case_dir, "input")?.ok_or("no input.yaml or input.json")?;
    let input =
        fs::read_to_string(&config_path).map_err(|e| format!("{}: {e}", config_path.display()))?;
    let core_doc = match find_config(case_dir, "core")? {
        Some((path, core_format)) => {
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let doc = Document::parse(text, core_format)
                .map_err(|e| format!("{} does not parse: {e}", path.display()))?;
            Some(doc)
        }
        None => None,
    };
    let core = core_doc.as_ref().and_then(|d| d.root().map(|r| d.value(r)));

    let steps = case_steps(step, &options);
    if !steps.iter().any(|s| std::ptr::eq(*s, step)) {
        return Err(format!(
            "the range in options.txt does not include {}",
            step.qualified_id()
        ));
    }
    let (text, findings, created) = run_case(
        &steps,
        &input,
        format,
        &options,
        core.as_ref(),
        &config_path,
    )?;
    if options.step_options.embedded_in.is_some() && !created.is_empty() {
        return Err(format!(
            "the config is embedded in another file, yet the steps ask for {} file(s)",
            created.len()
        ));
    }
    let input_doc = Document::parse(input.clone(), format)
        .map_err(|e| format!("the input does not parse: {e}"))?;
    check_no_secrets(&input_doc, &findings)?;

    if options.idempotent {
        let (again, _, _) = run_case(&steps, &text, format, &options, core.as_ref(), &config_path)
            .map_err(|e| format!("second run on the output: {e}"))?;
        if again != text {
            return Err(format!(
                "a second run on the output changes it again (add `not-idempotent` to \
                 options.txt only if that is intended):\n{}",
                diff(&text, &again)
            ));
        }
    }

    let mut rendered_findings = String::new();
    for f in &findings {
        render_finding(&mut rendered_findings, f, options.range.is_some());
    }
    let mut rendered_created = String::new();
    for file in &created {
        render_created(&mut rendered_created, case_dir, file);
    }
    Ok(RunResult {
        input,
        format,
        text,
        findings: rendered_findings,
        created: rendered_created,
    })
}

/// Whether a key names a secret-bearing setting (a deliberately wide net).
fn secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('-', "_");
    // `*_file` settings hold a path to key material, not the material: naming the path is how an
    // action tells the user what to move where.
    if key.ends_with("_file") {
        return false;
    }
    [
        "secret",
        "key",
        "password",
        "token",
        "account",
        "connection_string",
    ]
    .iter()
    .any(|word| key.contains(word))
        || key == "authorization"
        || (key.starts_with("database") && key.ends_with("url"))
}

/// Fails when a finding repeats the value of a secret-bearing key of the input ("Secrets" in
/// `docs/ARCHITECTURE.md`).
fn check_no_secrets(doc: &Document, findings: &[Finding]) -> Result<(), String> {
    fn walk(doc: &Document, node: NodeId, under_secret: bool, out: &mut Vec<String>, depth: usize) {
        if depth > 64 {
            return;
        }
        let node = doc.resolve(node);
        if let Some(text) = doc.str(node) {
            if under_secret && text.len() >= 8 {
                out.push(text.to_owned());
            }
            return;
        }
        for item in doc.items(node) {
            walk(doc, *item, under_secret, out, depth + 1);
        }
        for entry in doc.entries(node) {
            let secret = under_secret || secret_key(entry.key);
            walk(doc, entry.value, secret, out, depth + 1);
        }
    }
    let mut secrets = Vec::new();
    if let Some(root) = doc.root() {
        walk(doc, root, false, &mut secrets, 0);
    }
    for f in findings {
        if let Some(secret) = secrets.iter().find(|s| f.message.contains(s.as_str())) {
            let shown: String = secret.chars().take(6).collect();
            return Err(format!(
                "a finding repeats a secret value of the input ({shown}…): {}",
                f.message.replace(secret.as_str(), "<secret>")
            ));
        }
    }
    Ok(())
}

fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .header("expected", "actual")
        .to_string()
}

/// Compares one produced file with its fixture; `None` when they agree (or after an update).
fn check_file(
    case_dir: &Path,
    name: &str,
    actual: &str,
    absent_means: &str,
    update: bool,
    remove_when: bool,
) -> Option<String> {
    let path = case_dir.join(name);
    let expected = fs::read_to_string(&path).ok();
    if update {
        let result = if remove_when {
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        } else {
            fs::write(&path, actual)
        };
        return result
            .err()
            .map(|e| format!("cannot update {}: {e}", path.display()));
    }
    let expected = expected.unwrap_or_else(|| absent_means.to_owned());
    (expected != actual).then(|| format!("{name} differs:\n{}", diff(&expected, actual)))
}

fn case_dirs() -> Result<Vec<(PathBuf, String)>, String> {
    let mut cases = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let list = |dir: &Path| -> Result<Vec<PathBuf>, String> {
        let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        Ok(dirs)
    };
    for step_dir in list(&root)? {
        let step_name = step_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for case in list(&step_dir)? {
            cases.push((case, step_name.clone()));
        }
    }
    Ok(cases)
}

#[test]
fn step_fixtures() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1");
    let filter = std::env::var("STEPS_FILTER").ok();
    let cases = case_dirs().unwrap_or_else(|e| panic!("cannot list fixtures: {e}"));
    let mut failures = Vec::new();
    let mut ran = 0;
    for (case_dir, step_name) in &cases {
        let shown = case_dir
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(case_dir)
            .display()
            .to_string();
        if filter.as_deref().is_some_and(|f| !shown.contains(f)) {
            continue;
        }
        ran += 1;
        let result = named_step(step_name).and_then(|step| run_fixture(case_dir, step));
        let result = match result {
            Ok(result) => result,
            Err(e) => {
                failures.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let expected_name = format!("expected.{}", extension(result.format));
        let problems: Vec<String> = [
            check_file(
                case_dir,
                &expected_name,
                &result.text,
                &result.input,
                update,
                result.text == result.input,
            ),
            // Required even when empty (see `every_step_has_fixtures_with_a_negative_case`).
            check_file(
                case_dir,
                "findings.txt",
                &result.findings,
                "<no findings.txt>\n",
                update,
                false,
            ),
            check_file(
                case_dir,
                "created.txt",
                &result.created,
                "",
                update,
                result.created.is_empty(),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            failures.push(format!("{shown}:\n{}", problems.join("\n")));
        }
    }
    assert!(
        filter.is_some() || ran > 0,
        "no fixture cases found under {FIXTURES}"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} fixture cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Issue 14: every registered step has a fixture folder; the folder holds a *negative* case (an
/// input the step must leave alone: no `expected.*` file, so the test asserts the output is the
/// input byte for byte); and every case has a `findings.txt`, empty when the step reports
/// nothing, so that a forgotten file cannot silently mean "no findings".
#[test]
fn every_step_has_fixtures_with_a_negative_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let cases = case_dirs().unwrap_or_else(|e| panic!("cannot list fixtures: {e}"));
    let mut problems = Vec::new();
    for step in STEPS {
        let name = format!("v{}-{}", step.version, step.id);
        let mine: Vec<&PathBuf> = cases
            .iter()
            .filter(|(_, s)| *s == name)
            .map(|(case, _)| case)
            .collect();
        if mine.is_empty() {
            problems.push(format!("{name}: no fixture cases under {}", root.display()));
            continue;
        }
        let negative = mine.iter().any(|case| {
            !case.join("expected.yaml").exists() && !case.join("expected.json").exists()
        });
        if !negative {
            problems.push(format!(
                "{name}: no negative case (a case without expected.*: an input the step must \
                 leave alone)"
            ));
        }
        for case in mine {
            if !case.join("findings.txt").is_file() {
                problems.push(format!(
                    "{}: no findings.txt (an empty file says there are none)",
                    case.display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} fixture problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The harness itself: a directory naming an unknown step must fail, not be skipped.
#[test]
fn unknown_step_directories_are_errors() {
    for name in [
        "v0.24-no-such-step",
        "v0.99-set-authorization-header",
        "set-authorization-header",
        "vX-set-authorization-header",
    ] {
        assert!(named_step(name).is_err(), "{name} was accepted");
    }
    for step in STEPS {
        let name = format!("v{}-{}", step.version, step.id);
        assert!(
            named_step(&name).is_ok_and(|s| std::ptr::eq(s, *step)),
            "{name} does not find its step"
        );
    }
}

/// The secret check itself: a finding that repeats a secret value must be caught.
#[test]
fn findings_repeating_secrets_are_caught() {
    let text = "shared_secret: c2VjcmV0LXZhbHVl\nroutes:\n  - from: https://a.example.com\n";
    let doc = match Document::parse(text.to_owned(), Format::Yaml) {
        Ok(doc) => doc,
        Err(e) => panic!("test input does not parse: {e}"),
    };
    let finding = |message: &str| Finding {
        version: Version::new(0, 25),
        step: "test",
        severity: pomerium_migrate::step::Severity::Note,
        location: None,
        message: message.to_owned(),
        link: "",
    };
    assert!(check_no_secrets(&doc, &[finding("`shared_secret` is set")]).is_ok());
    assert!(check_no_secrets(&doc, &[finding("value c2VjcmV0LXZhbHVl leaked")]).is_err());
    assert!(check_no_secrets(&doc, &[finding("https://a.example.com is public")]).is_ok());
}

/// Issue 5: Pomerium reads YAML, JSON and TOML, and the steps must not care. Every YAML fixture
/// has a JSON and a TOML copy of its input (and of its `core.yaml`) in `CASE/formats/`, with the
/// same data; the same steps run on each copy must leave the same data as on the YAML file.
/// (Text and findings differ by nature: JSON cannot hold comments, so removed keys are deleted,
/// and locations differ.) Mappings are compared without order, since TOML writes a table's
/// plain keys before its sub-tables.
///
/// A case whose data has no faithful JSON/TOML form says why in `formats/SKIP` (TOML has no
/// null; merge keys exist only in YAML). `UPDATE_FIXTURES=1` writes the copies from the YAML
/// input; review them before committing.
#[test]
fn every_format_gives_the_same_data() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1");
    let cases = case_dirs().unwrap_or_else(|e| panic!("cannot list fixtures: {e}"));
    let (mut compared, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for (case_dir, step_name) in &cases {
        if !case_dir.join("input.yaml").exists() {
            continue;
        }
        let shown = case_dir
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(case_dir)
            .display()
            .to_string();
        match compare_formats(case_dir, step_name, update) {
            Ok(true) => compared += 1,
            Ok(false) => skipped += 1,
            Err(e) => failures.push(format!("{shown}: {e}")),
        }
    }
    println!(
        "formats: {compared} fixture cases compared in YAML, JSON and TOML; {skipped} skipped"
    );
    assert!(compared > 50, "only {compared} cases were compared");
    assert!(
        failures.is_empty(),
        "{} of the format comparisons failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Runs one case in the three formats; `Ok(false)` when the case is skipped.
fn compare_formats(case_dir: &Path, step_name: &str, update: bool) -> Result<bool, String> {
    let formats_dir = case_dir.join("formats");
    let skip = formats_dir.join("SKIP");
    let read = |p: &Path| fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let input = read(&case_dir.join("input.yaml"))?;
    let core_yaml = case_dir.join("core.yaml");
    let core_text = core_yaml.exists().then(|| read(&core_yaml)).transpose()?;

    if update {
        let _ = fs::create_dir_all(&formats_dir);
        let _ = fs::remove_file(&skip);
        let mut reason = None;
        for (name, text) in [("input", Some(&input)), ("core", core_text.as_ref())] {
            let Some(text) = text else { continue };
            match converted(text) {
                Ok((json, toml)) => {
                    fs::write(formats_dir.join(format!("{name}.json")), json)
                        .map_err(|e| e.to_string())?;
                    fs::write(formats_dir.join(format!("{name}.toml")), toml)
                        .map_err(|e| e.to_string())?;
                }
                Err(why) => reason = Some(why),
            }
        }
        if let Some(why) = reason {
            for ext in ["json", "toml"] {
                let _ = fs::remove_file(formats_dir.join(format!("input.{ext}")));
                let _ = fs::remove_file(formats_dir.join(format!("core.{ext}")));
            }
            fs::write(&skip, format!("{why}\n")).map_err(|e| e.to_string())?;
        }
    }
    if skip.exists() {
        return Ok(false);
    }

    let step = named_step(step_name)?;
    let options = parse_options(case_dir)?;
    let steps = case_steps(step, &options);
    let mut results = Vec::new();
    for (ext, format) in [
        ("yaml", Format::Yaml),
        ("json", Format::Json),
        ("toml", Format::Toml),
    ] {
        let (input_path, core_path) = if format == Format::Yaml {
            (case_dir.join("input.yaml"), core_yaml.clone())
        } else {
            (
                formats_dir.join(format!("input.{ext}")),
                formats_dir.join(format!("core.{ext}")),
            )
        };
        let text = read(&input_path).map_err(|e| format!("{e} (UPDATE_FIXTURES=1 writes it)"))?;
        let core_doc = if core_text.is_some() {
            let core = read(&core_path)?;
            Some(Document::parse(core, format).map_err(|e| format!("{ext} core: {e}"))?)
        } else {
            None
        };
        let core = core_doc.as_ref().and_then(|d| d.root().map(|r| d.value(r)));
        // The YAML input's path: steps that look for files beside the config find the same.
        let config_path = case_dir.join(format!("input.{ext}"));
        let (out, _, created) =
            run_case(&steps, &text, format, &options, core.as_ref(), &config_path)
                .map_err(|e| format!("{ext}: {e}"))?;
        let data = Document::parse(out, format)
            .map_err(|e| format!("{ext} output does not parse: {e}"))?
            .data();
        let created: Vec<(String, u32, usize)> = created
            .iter()
            .map(|c| (c.path.display().to_string(), c.mode, c.contents.len()))
            .collect();
        results.push((ext, unordered(&data), created));
    }
    let (_, yaml_data, yaml_created) = &results[0];
    for (ext, data, created) in &results[1..] {
        if data != yaml_data {
            let detail = pomerium_migrate::document::value::first_difference(yaml_data, data)
                .unwrap_or_default();
            return Err(format!("{ext} gives other data than yaml: {detail}"));
        }
        if created != yaml_created {
            return Err(format!("{ext} creates other files than yaml"));
        }
    }
    Ok(true)
}

/// Mappings sorted by key, recursively: TOML cannot keep every order YAML can.
fn unordered(v: &Value) -> Value {
    match v {
        Value::Mapping(entries) => {
            let mut entries: Vec<(Value, Value)> = entries
                .iter()
                .map(|(k, v)| (k.clone(), unordered(v)))
                .collect();
            entries.sort_by(|a, b| format!("{}", a.0).cmp(&format!("{}", b.0)));
            Value::Mapping(entries)
        }
        Value::Sequence(items) => Value::Sequence(items.iter().map(unordered).collect()),
        other => other.clone(),
    }
}

/// The JSON and TOML texts of a YAML text's data, or why there are none.
fn converted(yaml: &str) -> Result<(String, String), String> {
    let doc = Document::parse(yaml.to_owned(), Format::Yaml).map_err(|e| e.to_string())?;
    let data = doc.data();
    if yaml.contains("<<:") {
        return Err("merge keys (`<<`) exist only in YAML".into());
    }
    let json = to_json(&data)?;
    let mut json_text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    json_text.push('\n');
    if contains_null(&data) {
        return Err("TOML has no null".into());
    }
    let mut toml_doc = toml_edit::DocumentMut::new();
    let Value::Mapping(entries) = &data else {
        return Err("the top level is not a mapping".into());
    };
    for (k, v) in entries {
        toml_doc.insert(&key_text(k)?, to_toml(v)?);
    }
    Ok((json_text, toml_doc.to_string()))
}

fn key_text(k: &Value) -> Result<String, String> {
    match k {
        Value::String(s) => Ok(s.clone()),
        _ => Err("a mapping key that is not a string".into()),
    }
}

/// A value as TOML: mappings become tables, sequences of mappings arrays of tables.
fn to_toml(v: &Value) -> Result<toml_edit::Item, String> {
    Ok(match v {
        Value::Mapping(entries) => {
            let mut table = toml_edit::Table::new();
            for (k, v) in entries {
                table.insert(&key_text(k)?, to_toml(v)?);
            }
            toml_edit::Item::Table(table)
        }
        Value::Sequence(items)
            if !items.is_empty() && items.iter().all(|i| matches!(i, Value::Mapping(_))) =>
        {
            let mut tables = toml_edit::ArrayOfTables::new();
            for item in items {
                if let toml_edit::Item::Table(t) = to_toml(item)? {
                    tables.push(t);
                }
            }
            toml_edit::Item::ArrayOfTables(tables)
        }
        other => toml_edit::Item::Value(to_toml_value(other)?),
    })
}

fn to_toml_value(v: &Value) -> Result<toml_edit::Value, String> {
    Ok(match v {
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => f
            .parse::<f64>()
            .map_err(|_| format!("float {f} has no TOML form"))?
            .into(),
        Value::String(s) => s.as_str().into(),
        Value::Sequence(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                array.push(to_toml_value(item)?);
            }
            toml_edit::Value::Array(array)
        }
        Value::Mapping(entries) => {
            let mut table = toml_edit::InlineTable::new();
            for (k, v) in entries {
                table.insert(&key_text(k)?, to_toml_value(v)?);
            }
            toml_edit::Value::InlineTable(table)
        }
        Value::Null | Value::Invalid => return Err("TOML has no null".into()),
    })
}

fn contains_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Sequence(items) => items.iter().any(contains_null),
        Value::Mapping(entries) => entries.iter().any(|(_, v)| contains_null(v)),
        _ => false,
    }
}

fn to_json(v: &Value) -> Result<serde_json::Value, String> {
    Ok(match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => f
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number)
            .ok_or_else(|| format!("float {f} has no JSON form"))?,
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Value::Mapping(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                let Value::String(k) = k else {
                    return Err("a mapping key that is not a string".into());
                };
                map.insert(k.clone(), to_json(v)?);
            }
            serde_json::Value::Object(map)
        }
        Value::Invalid => return Err("a value YAML could not type".into()),
    })
}
