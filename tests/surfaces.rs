//! Fixture cases of the deployment surfaces (docker-compose files, `.env` files, Kubernetes
//! manifests, Helm values): `tests/surfaces/<surface>/<case>/`.
//!
//! A case directory holds:
//! - the input: the one file whose name starts with `input` (`input.yml`, `input.env`, …);
//!   it is copied under that name into a temporary directory and migrated there;
//! - `expected.<same extension>`: the file `apply` writes (equal to the input when nothing
//!   changes);
//! - `findings.txt` (required, even when empty): what `plan` reports, one finding per line,
//!   `LINE:COLUMN SEVERITY ID: MESSAGE` (locations in the input);
//! - `args` (optional): more command-line arguments, one per line (`--to`, `0.11`, …);
//! - `skipped` (optional): the case is a file that does not concern Pomerium; its text is the
//!   reason `plan` must give on stderr;
//! - `beside-NAME` (optional): copied as `NAME` beside the input (a compose file that names a
//!   `.env` input in `env_file:`); not migrated by the case.
//!
//! `SURFACES_BLESS=1` writes `expected.*` and `findings.txt` from what the tool does, then
//! fails, so that a blessed run never passes unseen.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

mod common;

use common::{TestResult, bin, repo, s};

/// Every case directory, sorted.
pub fn cases() -> Result<Vec<PathBuf>, std::io::Error> {
    let mut cases = Vec::new();
    let root = repo().join("tests/surfaces");
    for surface in fs::read_dir(&root)? {
        let surface = surface?.path();
        if !surface.is_dir() {
            continue;
        }
        for case in fs::read_dir(&surface)? {
            let case = case?.path();
            if case.is_dir() {
                cases.push(case);
            }
        }
    }
    cases.sort();
    Ok(cases)
}

/// The case's input file.
pub fn input_of(case: &Path) -> Result<PathBuf, String> {
    let mut inputs: Vec<PathBuf> = fs::read_dir(case)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("input"))
        })
        .collect();
    match inputs.len() {
        1 => Ok(inputs.remove(0)),
        n => Err(format!("{}: {n} input files, expected one", case.display())),
    }
}

/// Copies the case's `beside-NAME` files into `dir` as `NAME`.
pub fn copy_beside(case: &Path, dir: &Path) -> Result<(), std::io::Error> {
    for entry in fs::read_dir(case)? {
        let path = entry?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("beside-"))
        else {
            continue;
        };
        fs::copy(&path, dir.join(name))?;
    }
    Ok(())
}

/// The case's extra arguments.
pub fn args_of(case: &Path) -> Vec<String> {
    fs::read_to_string(case.join("args"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn findings_text(report: &Json) -> String {
    let mut out = String::new();
    for file in report["files"].as_array().into_iter().flatten() {
        for f in file["findings"].as_array().into_iter().flatten() {
            let at = match (f["line"].as_u64(), f["column"].as_u64()) {
                (Some(l), Some(c)) => format!("{l}:{c}"),
                _ => "-".to_owned(),
            };
            out.push_str(&format!(
                "{at} {} {}: {}\n",
                f["severity"].as_str().unwrap_or_default(),
                f["id"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default()
            ));
        }
    }
    out
}

fn run_case(case: &Path, bless: bool) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut problems = Vec::new();
    let input = input_of(case)?;
    let name = input.file_name().ok_or("no file name")?;
    let ext = input
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let expected_path = case.join(format!("expected{ext}"));
    let findings_path = case.join("findings.txt");
    let args = args_of(case);
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join(name);
    fs::copy(&input, &copy)?;
    copy_beside(case, dir.path())?;

    // plan: the findings, located in the input.
    let plan = bin()
        .env("NO_COLOR", "1")
        .arg("plan")
        .arg(s(&copy))
        .args(&args)
        .args(["--format", "json"])
        .output()?;
    let stderr = String::from_utf8_lossy(&plan.stderr).into_owned();
    if plan.status.code() != Some(0) {
        problems.push(format!("plan exited {:?}: {stderr}", plan.status.code()));
        return Ok(problems);
    }
    let report: Json = serde_json::from_slice(&plan.stdout)?;
    let found = findings_text(&report);
    if let Ok(reason) = fs::read_to_string(case.join("skipped")) {
        let reason = reason.trim();
        if !stderr.contains(&format!("skipped {}: {reason}", s(&copy))) {
            problems.push(format!("not skipped with `{reason}`: {stderr}"));
        }
        if report["files"].as_array().is_some_and(|f| !f.is_empty()) {
            problems.push("a skipped file is in the report's files".into());
        }
    }

    // apply: the file as written.
    let apply = bin()
        .env("NO_COLOR", "1")
        .arg("apply")
        .arg(s(&copy))
        .args(&args)
        .args(["--no-backup", "-q"])
        .output()?;
    if apply.status.code() != Some(0) {
        problems.push(format!(
            "apply exited {:?}: {}",
            apply.status.code(),
            String::from_utf8_lossy(&apply.stderr)
        ));
        return Ok(problems);
    }
    let written = fs::read_to_string(&copy)?;

    if bless {
        fs::write(&expected_path, &written)?;
        fs::write(&findings_path, &found)?;
        problems.push("blessed: expected output and findings written".into());
        return Ok(problems);
    }
    match fs::read_to_string(&expected_path) {
        Ok(expected) if expected == written => {}
        Ok(expected) => problems.push(format!(
            "written file differs from {}:\n--- expected\n{expected}\n--- written\n{written}",
            expected_path.display()
        )),
        Err(e) => problems.push(format!("{}: {e}", expected_path.display())),
    }
    match fs::read_to_string(&findings_path) {
        Ok(expected) if expected == found => {}
        Ok(expected) => problems.push(format!(
            "findings differ from findings.txt:\n--- expected\n{expected}\n--- found\n{found}"
        )),
        Err(e) => problems.push(format!(
            "{}: {e} (every case needs one, even empty)",
            findings_path.display()
        )),
    }
    Ok(problems)
}

#[test]
fn every_surface_case_migrates_as_expected() -> TestResult {
    let bless = std::env::var_os("SURFACES_BLESS").is_some();
    let cases = cases()?;
    assert!(cases.len() >= 6, "only {} surface cases", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        for p in run_case(case, bless)? {
            problems.push(format!("{}: {p}", case.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    Ok(())
}

/// A case without `findings.txt` fails: the harness does not take a missing file as "no
/// findings".
#[test]
fn a_case_without_findings_txt_fails() -> TestResult {
    let cases = cases()?;
    let case = cases.first().ok_or("no surface case")?;
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("case");
    fs::create_dir(&copy)?;
    for entry in fs::read_dir(case)? {
        let entry = entry?.path();
        let name = entry.file_name().ok_or("no name")?;
        if name != "findings.txt" {
            fs::copy(&entry, copy.join(name))?;
        }
    }
    let problems = run_case(&copy, false)?;
    assert!(
        problems.iter().any(|p| p.contains("every case needs one")),
        "{problems:?}"
    );
    Ok(())
}

#[test]
fn detect_names_the_surface_and_its_pomerium_services() -> TestResult {
    let issue = repo().join("tests/surfaces/compose/issue-example/input.yml");
    let foreign = repo().join("tests/surfaces/compose/not-pomerium/input.yml");
    let out = bin()
        .env("NO_COLOR", "1")
        .args(["detect", s(&issue), s(&foreign)])
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("input.yml: docker-compose file (`services` at 1:1 is a mapping"),
        "{text}"
    );
    assert!(
        text.contains("Pomerium Core: `pomerium` at")
            && text.contains("input.yml:3:12, image `pomerium/pomerium:v0.19.0` (starts at 0.19)"),
        "{text}"
    );
    assert!(text.contains("nothing in it runs Pomerium"), "{text}");
    // A manifest of several objects is read as a stream, not refused as a config would be.
    let manifest = repo().join("tests/surfaces/kubernetes/workload-env/input.yaml");
    let out = bin()
        .env("NO_COLOR", "1")
        .args(["detect", s(&manifest)])
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Kubernetes manifest (a stream of 2 documents")
            && text.contains("image `pomerium/pomerium:v0.10.6` (starts at 0.10)"),
        "{text}"
    );
    let out = bin()
        .args(["detect", s(&issue), "--format", "json"])
        .output()?;
    let json: Json = serde_json::from_slice(&out.stdout)?;
    let surface = &json["surfaces"][0];
    assert_eq!(surface["surface"], "compose");
    assert_eq!(surface["components"][0]["name"], "pomerium");
    assert_eq!(surface["components"][0]["kind"], "core");
    assert_eq!(surface["components"][0]["version"], "0.19");
    assert_eq!(surface["components"][0]["line"], 3);
    Ok(())
}

/// A directory run takes compose files and manifests that run Pomerium and skips the others (with a reason
/// under `--verbose`), never reading them as configs.
#[test]
fn directory_runs_take_surfaces_that_run_pomerium_and_skip_the_others() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::create_dir(dir.path().join("other"))?;
    fs::copy(
        repo().join("tests/surfaces/compose/issue-example/input.yml"),
        dir.path().join("docker-compose.yml"),
    )?;
    fs::copy(
        repo().join("tests/surfaces/compose/not-pomerium/input.yml"),
        dir.path().join("other/compose.yaml"),
    )?;
    // Manifests of several objects: taken when a container runs Pomerium.
    fs::copy(
        repo().join("tests/surfaces/kubernetes/workload-env/input.yaml"),
        dir.path().join("pomerium.yaml"),
    )?;
    fs::copy(
        repo().join("tests/surfaces/kubernetes/not-pomerium/input.yaml"),
        dir.path().join("other/web.yaml"),
    )?;
    let out = bin()
        .env("NO_COLOR", "1")
        .args(["check", s(dir.path()), "-v", "--format", "json"])
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("compose.yaml: a docker-compose file with no Pomerium service"),
        "{stderr}"
    );
    assert!(
        stderr.contains("web.yaml: not a Pomerium config: a Kubernetes manifest with no container"),
        "{stderr}"
    );
    let json: Json = serde_json::from_slice(&out.stdout)?;
    let files = json["files"].as_array().ok_or("no files")?;
    let surfaces: Vec<&str> = files.iter().filter_map(|f| f["surface"].as_str()).collect();
    assert_eq!(surfaces, ["compose", "kubernetes"], "{files:?}");
    // Only the foreign file: nothing to do, exit 0, and the skip is said without -v too.
    let out = bin()
        .args(["check", s(&dir.path().join("other/compose.yaml"))])
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped "));
    Ok(())
}

/// Applying a case again to its own expected output changes nothing: every surface's migration
/// is idempotent with the same arguments. A case whose file has a Pomerium image runs again
/// without `--from`, from what inference reads (the image-tag marker an apply leaves above an
/// older tag); another case that names `--from` runs again from its target, as an operator
/// would: v0.23's `$` doubling is wrong when run twice from before 0.23 (see "Version
/// inference" in `docs/ARCHITECTURE.md`).
#[test]
fn every_surface_case_is_idempotent() -> TestResult {
    let mut problems = Vec::new();
    for case in cases()? {
        if case.join("skipped").exists() {
            continue;
        }
        let input = input_of(&case)?;
        let name = input.file_name().ok_or("no file name")?;
        let ext = input
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        let expected = fs::read_to_string(case.join(format!("expected{ext}")))?;
        let dir = tempfile::tempdir()?;
        let copy = dir.path().join(name);
        fs::write(&copy, &expected)?;
        // Files beside the input (a compose file naming a .env file) come along.
        for entry in fs::read_dir(&case)? {
            let path = entry?.path();
            if let Some(n) = path.file_name().and_then(|n| n.to_str())
                && let Some(original) = n.strip_prefix("beside-")
            {
                fs::copy(&path, dir.path().join(original))?;
            }
        }
        let mut args = args_of(&case);
        let to = args
            .iter()
            .position(|a| a == "--to")
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| pomerium_migrate::migrations::NEWEST.to_string());
        // A Pomerium image is version evidence: the second run starts where inference puts it
        // (the tag, or the image-tag marker the first apply left above an older tag), as a
        // later `plan`/`apply` without `--from` would.
        let image_evidence = ["pomerium/pomerium:", "pomerium-console:"]
            .iter()
            .any(|i| expected.contains(i));
        if let Some(i) = args.iter().position(|a| a == "--from") {
            if image_evidence {
                args.drain(i..(i + 2).min(args.len()));
            } else if let Some(value) = args.get_mut(i + 1) {
                *value = to;
            }
        }
        let out = bin()
            .arg("apply")
            .arg(s(&copy))
            .args(&args)
            .args(["--no-backup", "-q"])
            .output()?;
        if out.status.code() != Some(0) {
            problems.push(format!(
                "{}: apply on the expected output exited {:?}: {}",
                case.display(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let again = fs::read_to_string(&copy)?;
        if again != expected {
            problems.push(format!(
                "{}: a second apply changed the file:\n{again}",
                case.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    Ok(())
}

/// An apply that leaves a Pomerium image older than its target (no patch `--to`) marks the
/// image with the release it migrated to; later runs start there, not at the tag, so v0.23's
/// `$` → `$$` is not applied twice: a second apply changes nothing, and `check` reports the
/// image-tag action alone until the tag is changed, then passes. Deleting the marker returns
/// to the tag as evidence.
#[test]
fn image_markers_keep_later_runs_from_migrating_again() -> TestResult {
    let mut problems = Vec::new();
    for case in [
        "compose/image-marker-policy-dollar",
        "kubernetes/image-marker-workload-env",
        "kubernetes/image-marker-configmap",
    ] {
        let case = repo().join("tests/surfaces").join(case);
        let input = input_of(&case)?;
        let dir = tempfile::tempdir()?;
        let file = dir.path().join(input.file_name().ok_or("no file name")?);
        fs::copy(&input, &file)?;
        let run = |cmd: &str| {
            let mut c = bin();
            c.arg(cmd).arg(s(&file)).args(["--format", "json"]);
            if cmd == "apply" {
                c.arg("--no-backup");
            }
            c.output()
        };
        let first = run("apply")?;
        let after_first = fs::read_to_string(&file)?;
        if first.status.code() != Some(0) || !after_first.contains("# pomerium-migrate action v") {
            problems.push(format!("{}: first apply left no marker", case.display()));
            continue;
        }
        // The case's expected output holds `a$$5` (the route list decoded, for base64).
        let ext = input
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        if after_first != fs::read_to_string(case.join(format!("expected{ext}")))? {
            problems.push(format!(
                "{}: the first apply is not the expected output",
                case.display()
            ));
        }
        run("apply")?;
        if fs::read_to_string(&file)? != after_first {
            problems.push(format!(
                "{}: a second apply changed the file",
                case.display()
            ));
        }
        let check = run("check")?;
        let report: Json = serde_json::from_slice(&check.stdout)?;
        let findings: Vec<&Json> = report["files"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|f| f["findings"].as_array().into_iter().flatten())
            .collect();
        let changed = report["files"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["changed"] == true);
        if changed
            || findings.iter().any(|f| {
                f["severity"] != "note"
                    && !f["id"].as_str().unwrap_or_default().ends_with("/image-tag")
            })
        {
            problems.push(format!(
                "{}: check after apply wants more than the image tag: {report}",
                case.display()
            ));
        }
        // The tag changed (the marker may stay): nothing left to do.
        fs::write(&file, after_first.replace("v0.22.0", "v0.33.0"))?;
        let check = run("check")?;
        if check.status.code() != Some(0) {
            problems.push(format!(
                "{}: check after the tag change exited {:?}",
                case.display(),
                check.status.code()
            ));
        }
        // The marker deleted, the tag old: the tag is the evidence again, and the `$` would
        // be escaped a second time.
        let unmarked: String = after_first
            .lines()
            .filter(|l| !l.contains("pomerium-migrate action v0.33/image-tag"))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(&file, &unmarked)?;
        let plan = run("plan")?;
        if !String::from_utf8_lossy(&plan.stdout).contains("escape-dollar-in-request-headers") {
            problems.push(format!(
                "{}: without the marker, the run did not start at the tag",
                case.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    Ok(())
}
