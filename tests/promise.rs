//! What `check` promises, end to end: after `apply`, `check` without `--from` exits 1 exactly
//! while an action of the apply is open, and reports it at its line in the written file.
//!
//! - every fixture case (`tests/fixtures/steps/*/*`, in each format it has) and every example is
//!   applied to a temporary copy, then checked without `--from` (where inference refuses the
//!   written file by design, with the apply's target as `--from`, as an operator would);
//! - every step of the chain says in `src/validate/coverage.tsv` what keeps its actions open
//!   (its marker, or a validation rule), and the fixtures must agree with it;
//! - the first case of the issue: the Redis storage of `examples/core-0.20` stays an open action.

use std::fs;
use std::path::{Path, PathBuf};

use pomerium_migrate::migrations::{NEWEST, STEPS};
use pomerium_migrate::validate;
use serde_json::Value as Json;

mod common;

use common::{TestResult, repo, s};

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Result<Out, Box<dyn std::error::Error>> {
    let out = common::bin().env("NO_COLOR", "1").args(args).output()?;
    Ok(Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The findings of the report's file whose path ends with `name`.
fn findings<'a>(report: &'a Json, name: &str) -> Vec<&'a Json> {
    report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .flat_map(|f| f["findings"].as_array().into_iter().flatten())
        .collect()
}

fn actions<'a>(report: &'a Json, name: &str) -> Vec<&'a Json> {
    findings(report, name)
        .into_iter()
        .filter(|f| f["severity"] == "action-required")
        .collect()
}

static FROM_TARGET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

const NO_TRACE: &str = "`check` will not report it again";
const MARKED: &str = "open action marked in the file";

/// One apply→check round on `config` (already copied into a temporary directory), `extra`
/// holding other files of the run (a core config). Returns what went wrong, if anything.
fn promise(config: &Path, extra: &[PathBuf], options: &[String], to: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    let name = config
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let mut apply: Vec<String> = vec!["apply".into(), s(config).into()];
    apply.extend(extra.iter().map(|p| s(p).to_owned()));
    apply.extend(options.iter().cloned());
    apply.extend(["--no-backup".into(), "--format".into(), "json".into()]);
    let args: Vec<&str> = apply.iter().map(String::as_str).collect();
    let applied = match run(&args) {
        Ok(out) if out.code == Some(0) => out,
        Ok(out) => return vec![format!("apply exited {:?}: {}", out.code, out.stderr)],
        Err(e) => return vec![format!("apply: {e}")],
    };
    let applied: Json = match serde_json::from_str(&applied.stdout) {
        Ok(v) => v,
        Err(e) => return vec![format!("apply report: {e}")],
    };

    let mut check: Vec<String> = vec!["check".into(), s(config).into()];
    check.extend(extra.iter().map(|p| s(p).to_owned()));
    // The same run, without --from (and without --set: the values are in the files now).
    let mut it = options.iter();
    while let Some(o) = it.next() {
        match o.as_str() {
            "--kind" => {
                check.push(o.clone());
                check.extend(it.next().cloned());
            }
            "--from" | "--set" | "--removed" | "--certs-dir" => {
                it.next();
            }
            _ => {}
        }
    }
    if let Some(to) = to {
        check.extend(["--to".into(), to.into()]);
    }
    check.extend(["--format".into(), "json".into()]);
    let args: Vec<&str> = check.iter().map(String::as_str).collect();
    let mut checked = match run(&args) {
        Ok(out) => out,
        Err(e) => return vec![format!("check: {e}")],
    };
    if checked.code == Some(2)
        && (checked.stderr.contains("does not downgrade")
            || checked.stderr.contains("it cannot be told whether"))
    {
        // Inference refuses the written file, by design: a `$` in `set_request_headers` whose
        // escaping depends on the release (the v0.23 refusal), or a case whose --to is older
        // than its keys. The operator then names the release the file is for, which is the
        // apply's target: the same promise must hold for that `check --from`.
        FROM_TARGET.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let target = to.map_or_else(|| NEWEST.to_string(), str::to_owned);
        check.extend(["--from".into(), target]);
        let args: Vec<&str> = check.iter().map(String::as_str).collect();
        checked = match run(&args) {
            Ok(out) => out,
            Err(e) => return vec![format!("check --from: {e}")],
        };
    }
    let report: Json = match serde_json::from_str(&checked.stdout) {
        Ok(v) => v,
        Err(e) => return vec![format!("check report: {e} ({})", checked.stderr)],
    };
    let written = fs::read_to_string(config).unwrap_or_default();
    let lines: Vec<&str> = written.lines().collect();

    let left = actions(&applied, &name);
    let open: Vec<&Json> = left
        .iter()
        .copied()
        .filter(|f| !f["message"].as_str().unwrap_or_default().contains(NO_TRACE))
        .collect();
    let reported = actions(&report, &name);
    // A check that starts lower than the apply did may run a step the apply did not, which
    // marks its action: only marker lines may be added.
    let changed = report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["changed"] == true)
        .any(|f| {
            f["diff"].as_str().unwrap_or_default().lines().any(|l| {
                (l.starts_with('+')
                    && !l.starts_with("+++")
                    && !l.contains("# pomerium-migrate action"))
                    || (l.starts_with('-') && !l.starts_with("---"))
            })
        });
    if changed {
        problems.push("check after apply wants to change the file again".into());
    }
    // Actions the apply said it leaves no trace of may or may not be seen again (a step that
    // runs again in check reports them anew).
    let expect = if !open.is_empty() {
        Some(1)
    } else if left.is_empty() {
        Some(0)
    } else {
        None
    };
    if expect.is_some_and(|e| checked.code != Some(e)) && !(changed && checked.code == Some(1)) {
        problems.push(format!(
            "check exited {:?}, expected {expect:?}: apply left {} open action(s), check reported {}",
            checked.code,
            open.len(),
            reported.len()
        ));
    }
    if left.is_empty() && !reported.is_empty() {
        problems.push(format!(
            "check reports actions the apply did not leave: {reported:?}"
        ));
    }
    for action in &open {
        let id = action["id"].as_str().unwrap_or_default();
        let rules = match STEPS.iter().find(|s| s.qualified_id() == id) {
            Some(step) => validate::coverage(step)
                .iter()
                .map(|r| (*r).to_owned())
                .collect::<Vec<String>>(),
            // A validation rule's own action: check raises it again, or the step that handles
            // it (when check starts lower) reports it instead.
            None => {
                if reported.is_empty() {
                    problems.push(format!("{id}: left by apply, not reported by check"));
                }
                continue;
            }
        };
        let rules: Vec<&str> = rules.iter().map(|r| &**r).collect();
        let seen = reported.iter().find(|f| {
            f["id"] == id
                || (!rules.is_empty()
                    && f["step"]
                        .as_str()
                        .is_some_and(|r| rules.iter().any(|c| c.starts_with(&format!("{r}:")))))
        });
        let Some(seen) = seen else {
            problems.push(format!("{id}: left by apply, not reported by check"));
            continue;
        };
        // Reported at its line in the written file: a marker's own line, or the entry.
        let line = seen["line"].as_u64().unwrap_or(0) as usize;
        let text = lines.get(line.wrapping_sub(1)).copied().unwrap_or("");
        let message = seen["message"].as_str().unwrap_or_default();
        // A marker inside an encoded text (a Secret's base64 `data`) is not on a line of the
        // file: the finding names the decoded line instead.
        let encoded = message.starts_with("in the decoded ");
        if message.contains(MARKED)
            && !encoded
            && !text.contains(&format!("pomerium-migrate action {id}"))
        {
            problems.push(format!("{id}: reported at line {line}, which is `{text}`"));
        }
        if line == 0 && action["line"].as_u64().is_some() && seen["step"] != "required-key" {
            problems.push(format!("{id}: reported without a line"));
        }
    }
    problems
}

/// `options.txt` of a fixture case as command-line options, and the case's `--to`.
fn case_options(case: &Path, step_version: &str) -> (Vec<String>, Option<String>) {
    let mut args = Vec::new();
    let (mut from, mut to) = (None, None);
    let text = fs::read_to_string(case.join("options.txt")).unwrap_or_default();
    for line in text.lines().map(str::trim) {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        match key {
            "kind" => args.extend(["--kind".into(), value.to_owned()]),
            "set" => args.extend(["--set".into(), value.to_owned()]),
            "removed" => args.extend(["--removed".into(), value.to_owned()]),
            "from" => from = Some(value.to_owned()),
            "to" => to = Some(value.to_owned()),
            _ => {}
        }
    }
    if !args.contains(&"--kind".to_owned()) {
        args.extend(["--kind".into(), "core".into()]);
    }
    // A case for one step runs from the release before it.
    let from = from.unwrap_or_else(|| {
        let (major, minor) = step_version.split_once('.').unwrap_or(("0", "11"));
        let minor: u32 = minor.parse().unwrap_or(11);
        format!("{major}.{}", minor.saturating_sub(1).max(10))
    });
    args.extend(["--from".into(), from]);
    let to = to.unwrap_or_else(|| step_version.to_owned());
    args.extend(["--to".into(), to.clone()]);
    (args, Some(to))
}

#[test]
fn apply_then_check_reports_every_open_action() -> TestResult {
    let mut problems = Vec::new();
    let mut rounds = 0;
    let steps_dir = repo().join("tests/fixtures/steps");
    let mut cases: Vec<PathBuf> = Vec::new();
    for step in fs::read_dir(&steps_dir)? {
        for case in fs::read_dir(step?.path())? {
            let case = case?.path();
            if case.is_dir() {
                cases.push(case);
            }
        }
    }
    cases.sort();
    for case in &cases {
        let step_name = case
            .parent()
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let version = step_name
            .strip_prefix('v')
            .and_then(|v| v.split('-').next())
            .unwrap_or("0.11");
        let (options, to) = case_options(case, version);
        let mut inputs = vec![case.join("input.yaml"), case.join("input.json")];
        inputs.push(case.join("formats/input.json"));
        inputs.push(case.join("formats/input.toml"));
        for input in inputs.into_iter().filter(|p| p.exists()) {
            let dir = tempfile::tempdir()?;
            let ext = input.extension().and_then(|e| e.to_str()).unwrap_or("yaml");
            let config = dir.path().join(format!("config.{ext}"));
            fs::copy(&input, &config)?;
            // Files already beside the input (e.g. certificates) are what the step finds.
            if case.join("certs").is_dir() {
                let certs = dir.path().join("certs");
                fs::create_dir_all(&certs)?;
                for f in fs::read_dir(case.join("certs"))? {
                    let f = f?.path();
                    if let Some(n) = f.file_name() {
                        fs::copy(&f, certs.join(n))?;
                    }
                }
            }
            let mut extra = Vec::new();
            let core = case.join("core.yaml");
            if core.exists() && options.iter().any(|o| o == "console") {
                let copy = dir.path().join("core.yaml");
                fs::copy(&core, &copy)?;
                extra.push(copy);
            }
            // The console file's options would apply to the core file too: give the core only
            // when the run is for a console config (the kind is then per file).
            let options: Vec<String> = if extra.is_empty() {
                options.clone()
            } else {
                let mut o = Vec::new();
                let mut it = options.iter();
                while let Some(x) = it.next() {
                    if x == "--kind" {
                        it.next();
                    } else {
                        o.push(x.clone());
                    }
                }
                o
            };
            rounds += 1;
            for p in promise(&config, &extra, &options, to.as_deref()) {
                problems.push(format!("{}: {p}", input.display()));
            }
        }
    }
    for (example, from) in [
        ("examples/core-0.20/config.yaml", None),
        ("examples/core-0.22-toml/config.toml", None),
        ("examples/core-0.23-json/config.json", Some("0.23")),
        ("examples/console-0.14/config.yaml", None),
        ("examples/compose-0.19/docker-compose.yml", None),
        ("examples/kubernetes-0.22/pomerium.yaml", None),
    ] {
        let dir = tempfile::tempdir()?;
        let src = repo().join(example);
        let config = dir.path().join(src.file_name().ok_or("no name")?);
        fs::copy(&src, &config)?;
        let mut options = Vec::new();
        if let Some(from) = from {
            options.extend(["--from".to_owned(), from.to_owned()]);
        }
        rounds += 1;
        for p in promise(&config, &[], &options, None) {
            problems.push(format!("{example}: {p}"));
        }
    }
    // Most rounds must be checked without --from: a refusal that swallowed every round would
    // test the fallback only.
    let from_target = FROM_TARGET.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        rounds - from_target > 150,
        "only {rounds} rounds, {from_target} of them checked with --from"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

#[test]
fn every_step_says_what_keeps_its_actions_open() -> TestResult {
    let table = validate::coverage_table();
    for step in STEPS {
        let id = step.qualified_id();
        let rows = table.iter().filter(|c| c.step == id).count();
        assert_eq!(rows, 1, "{id}: {rows} rows in coverage.tsv");
    }
    for row in table {
        assert!(
            STEPS.iter().any(|s| s.qualified_id() == row.step),
            "coverage.tsv names `{}`, which is no step",
            row.step
        );
        for rule in &row.rules {
            let (kind, name) = rule.split_once(':').ok_or("rule without a name")?;
            let known = match kind {
                "refused-key" => validate::refused_keys().iter().any(|r| r.key == name),
                "refused-value" => validate::refused_values().iter().any(|r| r.name == name),
                "required-key" => validate::console_required().iter().any(|r| r.key == name),
                _ => false,
            };
            assert!(known, "{}: unknown rule {rule}", row.step);
        }
    }
    // What the fixtures show each step doing agrees with its row: a step that says `none`
    // raises no action, and a step that raises one is kept open by its marker or a rule.
    let mut problems = Vec::new();
    for step_dir in fs::read_dir(repo().join("tests/fixtures/steps"))? {
        let step_dir = step_dir?.path();
        for case in fs::read_dir(&step_dir)? {
            let findings = case?.path().join("findings.txt");
            let Ok(text) = fs::read_to_string(&findings) else {
                continue;
            };
            let dir_name = step_dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            for line in text.lines().filter(|l| !l.starts_with("    ")) {
                let mut words = line.split_whitespace();
                let first = words.next().unwrap_or_default();
                // `SEVERITY …`, or `STEP SEVERITY …` in a from/to case.
                let (id, severity) = if first.contains('/') {
                    (first.to_owned(), words.next().unwrap_or_default())
                } else {
                    let (version, name) = dir_name.split_once('-').unwrap_or_default();
                    (format!("{version}/{name}"), first)
                };
                if severity != "action-required" {
                    continue;
                }
                match table.iter().find(|c| c.step == id) {
                    Some(row) if row.marker || !row.rules.is_empty() => {}
                    _ => problems.push(format!(
                        "{}: {id} raises an action that neither a marker nor a rule keeps open",
                        findings.display()
                    )),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

#[test]
fn redis_storage_stays_open_after_apply() -> TestResult {
    // Case 1 of the issue: after `apply`, inference starts at 0.29 and the v0.24 step does not
    // run again; the action must stay visible all the same.
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.yaml");
    fs::copy(repo().join("examples/core-0.20/config.yaml"), &config)?;
    let out = run(&["apply", s(&config), "--no-backup"])?;
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let out = run(&["check", s(&config)])?;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    let written = fs::read_to_string(&config)?;
    let marker = written
        .lines()
        .position(|l| l.starts_with("# pomerium-migrate action v0.24/redis-storage-removed:"))
        .ok_or("no marker for the Redis action")?
        + 1;
    let path = s(&config).to_owned();
    let at = move |line: usize, id: &str, stdout: &str| {
        let place = format!("{path}:{line}:1 ");
        stdout
            .lines()
            .any(|l| l.starts_with(&place) && l.contains(&format!("action-required  {id}")))
    };
    // At the marker, or at the entry below it when the v0.24 step runs again (the keys say
    // "at most 0.23" for Redis storage) and reports it there itself.
    assert!(
        at(marker, "v0.24/redis-storage-removed", &out.stdout)
            || out.stdout.lines().any(|l| {
                l.starts_with(&format!("{}:{}:", s(&config), marker + 1))
                    && l.contains("action-required  v0.24/redis-storage-removed")
            }),
        "{}",
        out.stdout
    );

    // Deleting the marker without doing the work: the target still refuses Redis storage.
    let unmarked: String = written
        .lines()
        .filter(|l| !l.starts_with("# pomerium-migrate action v0.24/"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&config, &unmarked)?;
    let storage = unmarked
        .lines()
        .position(|l| l.starts_with("databroker_storage_type: redis"))
        .ok_or("no storage line")?
        + 1;
    let out = run(&["check", s(&config)])?;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(
        out.stdout.lines().any(|l| {
            l.starts_with(&format!("{}:{storage}:", s(&config)))
                && (l.contains(&format!("action-required  v{NEWEST}/refused-value"))
                    || l.contains("action-required  v0.24/redis-storage-removed"))
        }),
        "{}",
        out.stdout
    );
    // With --from past 0.24 no step reports it: the validation rule does.
    let out = run(&["check", s(&config), "--from", "0.29"])?;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(
        at(storage, &format!("v{NEWEST}/refused-value"), &out.stdout),
        "{}",
        out.stdout
    );

    // Doing the work closes it.
    let done = unmarked.replace(
        "databroker_storage_type: redis",
        "databroker_storage_type: postgres",
    );
    fs::write(&config, done)?;
    let out = run(&["check", s(&config)])?;
    assert!(!out.stdout.contains("redis"), "{}", out.stdout);
    Ok(())
}

#[test]
fn markers_open_close_and_accept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.yaml");
    let marked = "otel_traces_exporter: otlp\n\
                  # pomerium-migrate action v0.29/opentelemetry: point the exporter at a collector\n\
                  otel_exporter_otlp_endpoint: http://collector:4317\n";
    fs::write(&config, marked)?;
    let out = run(&["check", s(&config)])?;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!(
            "{}:2:1  action-required  v0.29/opentelemetry  point the exporter at a collector",
            s(&config)
        )),
        "{}",
        out.stdout
    );
    // Accepted: no longer open.
    fs::write(&config, marked.replace("action v0.29", "accepted v0.29"))?;
    let out = run(&["check", s(&config)])?;
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    // Deleted: closed.
    let deleted: String = marked
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&config, deleted)?;
    assert_eq!(run(&["check", s(&config)])?.code, Some(0));
    // A marker in TOML counts the same.
    let toml = dir.path().join("config.toml");
    fs::write(
        &toml,
        "# pomerium-migrate action v0.29/audit-key: decide about audit logs\n\
         otel_traces_exporter = \"otlp\"\n",
    )?;
    let out = run(&["check", s(&toml)])?;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    Ok(())
}

#[test]
fn strict_check_fails_on_ignored_keys() -> TestResult {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.yaml");
    fs::write(
        &config,
        "cookie_secure: true\nauthenticate_service_url: https://a\n",
    )?;
    let newest = NEWEST.to_string();
    let out = run(&["check", s(&config), "--from", &newest])?;
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("`cookie_secure` was removed in 0.26 (last read by 0.25)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("did you mean"), "{}", out.stdout);
    assert_eq!(
        run(&["check", s(&config), "--from", &newest, "--strict"])?.code,
        Some(1)
    );
    Ok(())
}

#[test]
fn json_and_deleted_entries_say_check_will_not_see_the_action_again() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (name, text, extra) in [
        (
            "config.json",
            "{\n  \"tracing_provider\": \"jaeger\"\n}\n",
            None,
        ),
        ("config.yaml", "tracing_provider: jaeger\n", Some("delete")),
    ] {
        let config = dir.path().join(name);
        fs::write(&config, text)?;
        let mut args = vec!["apply", s(&config), "--from", "0.28", "--no-backup"];
        if let Some(removed) = extra {
            args.extend(["--removed", removed]);
        }
        let out = run(&args)?;
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(
            out.stdout.lines().any(|l| {
                l.contains("action-required  v0.29/opentelemetry") && l.contains(NO_TRACE)
            }),
            "{name}: {}",
            out.stdout
        );
        assert!(!fs::read_to_string(&config)?.contains("pomerium-migrate"));
        // As said: the action is gone from later runs.
        assert_eq!(run(&["check", s(&config)])?.code, Some(0), "{name}");
    }
    // With comments, the marker keeps it open.
    let config = dir.path().join("kept.yaml");
    fs::write(&config, "tracing_provider: jaeger\n")?;
    let out = run(&["apply", s(&config), "--from", "0.28", "--no-backup"])?;
    assert!(!out.stdout.contains(NO_TRACE), "{}", out.stdout);
    assert_eq!(run(&["check", s(&config)])?.code, Some(1));
    Ok(())
}

/// The same promise on the deployment surfaces (`tests/surfaces/*/*`): `check` on the case's
/// input exits 1 exactly when the migration would change it or reports an action (a removed
/// variable still set), and after `apply`, `check` keeps every open action and nothing else. A
/// file that does not concern Pomerium is skipped: `check` exits 0.
#[test]
fn surface_fixtures_keep_the_check_promise() -> TestResult {
    let mut problems = Vec::new();
    let mut rounds = 0;
    let root = repo().join("tests/surfaces");
    let mut cases: Vec<PathBuf> = Vec::new();
    for surface in fs::read_dir(&root)? {
        let surface = surface?.path();
        for case in fs::read_dir(&surface)? {
            let case = case?.path();
            if case.is_dir() {
                cases.push(case);
            }
        }
    }
    cases.sort();
    for case in &cases {
        let Some(input) = fs::read_dir(case)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("input"))
            })
        else {
            problems.push(format!("{}: no input file", case.display()));
            continue;
        };
        let args: Vec<String> = fs::read_to_string(case.join("args"))
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let to = args
            .iter()
            .position(|a| a == "--to")
            .and_then(|i| args.get(i + 1))
            .cloned();
        let dir = tempfile::tempdir()?;
        let config = dir.path().join(input.file_name().ok_or("no name")?);
        fs::copy(&input, &config)?;
        // A compose file that names a `.env` input (`beside-NAME` files, see tests/surfaces.rs).
        for entry in fs::read_dir(case)? {
            let path = entry?.path();
            if let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("beside-"))
            {
                fs::copy(&path, dir.path().join(name))?;
            }
        }

        // Before apply: exit 1 exactly when there is something to do.
        let expected_text = fs::read_dir(case)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("expected"))
            })
            .map(fs::read_to_string)
            .transpose()?
            .unwrap_or_default();
        let findings = fs::read_to_string(case.join("findings.txt")).unwrap_or_default();
        let pending = expected_text != fs::read_to_string(&input)?
            || findings.lines().any(|l| l.contains(" action-required "));
        let mut check: Vec<String> = vec!["check".into(), s(&config).into()];
        check.extend(args.iter().cloned());
        let argv: Vec<&str> = check.iter().map(String::as_str).collect();
        let before = run(&argv)?;
        let want = if pending { 1 } else { 0 };
        if before.code != Some(want) {
            problems.push(format!(
                "{}: check before apply exited {:?}, expected {want}: {}",
                case.display(),
                before.code,
                before.stderr
            ));
        }
        if case.join("skipped").exists() {
            continue;
        }
        rounds += 1;
        for p in promise(&config, &[], &args, to.as_deref()) {
            problems.push(format!("{}: {p}", case.display()));
        }
    }
    assert!(rounds >= 5, "only {rounds} surface rounds");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}
