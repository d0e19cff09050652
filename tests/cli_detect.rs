//! `detect`, version inference in `plan`/`apply`/`check`, and unknown-key notes, through the
//! real binary and the real chain of steps.
//!
//! The configs are in `tests/fixtures/detect/`; the binary runs in that directory so that
//! reports name the files as `core-0.20.yaml:8:5`.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

mod common;

use common::{TestResult, s};
use pomerium_migrate::migrations::NEWEST;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/detect")
}

/// The binary, run in the fixtures directory.
fn cmd() -> Command {
    let mut cmd = common::bin();
    cmd.current_dir(fixtures()).env("NO_COLOR", "1");
    cmd
}

/// Runs the binary with `args` and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    common::run_parts(cmd().args(args))
}

fn json(args: &[&str]) -> Value {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

/// The text `detect` prints for one file (files are separated by a blank line).
fn detect_block(file: &str) -> String {
    let (code, stdout, stderr) = run(&["detect", file]);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

// ---------------------------------------------------------------------------------------------
// detect

#[test]
fn detect_text_shows_kind_range_and_the_keys_that_bound_it() {
    assert_eq!(
        detect_block("core-0.20.yaml"),
        "core-0.20.yaml: core config (yaml), Pomerium 0.19 to 0.20\n\
         \x20 kind: core, from the keys\n\
         \x20   only Core reads: `forward_auth_url` at core-0.20.yaml:3:1, `routes` at \
         core-0.20.yaml:4:1\n\
         \x20   only the Console reads: none\n\
         \x20 version: the keys fit 0.19 to 0.20\n\
         \x20   at least 0.19: `routes[0].show_error_details` at core-0.20.yaml:8:5\n\
         \x20   at most 0.20: `forward_auth_url` at core-0.20.yaml:3:1\n\
         \x20 without --from, plan/apply/check start at 0.19, the lowest release that reads \
         every key\n"
    );

    let old = detect_block("core-0.10.yaml");
    assert!(
        old.starts_with("core-0.10.yaml: core config (yaml), Pomerium 0.10 to 0.12\n"),
        "{old}"
    );
    assert!(
        old.contains("\n    at most 0.12: `administrators` at core-0.10.yaml:4:1\n"),
        "{old}"
    );
    assert!(
        !old.contains("at least"),
        "nothing raises the minimum: {old}"
    );

    let newer = detect_block("core-0.26.yaml");
    assert!(
        newer.contains("Pomerium 0.26 to 0.31\n")
            && newer.contains("at least 0.26: `runtime_flags` at core-0.26.yaml:4:1\n")
            && newer.contains("at most 0.31: `pomerium_debug` at core-0.26.yaml:3:1\n"),
        "{newer}"
    );
}

#[test]
fn detect_text_recognises_console_files_by_their_dash_case_keys() {
    let text = detect_block("console-dash.yaml");
    assert!(
        text.starts_with("console-dash.yaml: console config (yaml), Pomerium 0.17 to 0.24\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  kind: console, from the keys\n    only Core reads: none\n    only the Console \
             reads: `database-url` at console-dash.yaml:2:1, `shared-secret` at \
             console-dash.yaml:3:1, `license-key` at console-dash.yaml:4:1, `debug` at \
             console-dash.yaml:5:1\n"
        ),
        "{text}"
    );
    assert!(text.contains("at least 0.17: `license-key` at console-dash.yaml:4:1\n"));
    assert!(text.contains("at most 0.24: `debug` at console-dash.yaml:5:1\n"));
    // Never a value.
    assert!(!text.contains("postgres://"), "{text}");
}

#[test]
fn detect_says_when_keys_contradict_or_nothing_bounds_the_version() {
    let text = detect_block("contradictory.yaml");
    assert!(
        text.starts_with("contradictory.yaml: core config (yaml), contradictory keys\n"),
        "{text}"
    );
    assert!(
        text.contains("version: the keys contradict each other: at least 0.23 but at most 0.10"),
        "{text}"
    );
    assert!(text.contains("at most 0.10: `cache_service_url` at contradictory.yaml:2:1\n"));
    assert!(text.contains("start at 0.10, the lower bound"), "{text}");

    // No key tells the kind: detect says so and exits 2, like plan/apply/check would.
    let (code, text, _) = run(&["detect", "empty.yaml"]);
    assert_eq!(code, 2);
    assert_eq!(
        text,
        "empty.yaml: undecided kind (yaml)\n\
         \x20 kind: undecided: no key that only one kind reads\n\
         \x20   only Core reads: none\n\
         \x20   only the Console reads: none\n\
         \x20 plan/apply/check refuse this file: say which it is with --kind core or --kind \
         console\n"
    );
    let text = detect_block2(&["detect", "empty.yaml", "--kind", "core"]);
    assert_eq!(
        text,
        format!(
            "empty.yaml: core config (yaml), no version evidence\n\
             \x20 kind: core, given with --kind\n\
             \x20   only Core reads: none\n\
             \x20   only the Console reads: none\n\
             \x20 version: no key bounds the version, any of 0.10 to {NEWEST} fits\n\
             \x20 without --from, plan/apply/check start at 0.10, the oldest release: every step \
             only touches options of older releases\n"
        )
    );
    let (code, _, stderr) = run(&["plan", "empty.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("empty.yaml: no key tells whether this is a Pomerium Core or an Enterprise Console config"),
        "{stderr}"
    );
}

/// Like [`detect_block`] with more arguments.
fn detect_block2(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

#[test]
fn detect_lists_several_files_in_order() {
    let (code, stdout, _) = run(&["detect", "empty.yaml", "core-0.10.yaml"]);
    // The undecided file makes the exit code 2; the other is shown all the same.
    assert_eq!(code, 2);
    let heads: Vec<&str> = stdout
        .split("\n\n")
        .filter_map(|block| block.lines().next())
        .collect();
    assert_eq!(
        heads,
        [
            "empty.yaml: undecided kind (yaml)",
            "core-0.10.yaml: core config (yaml), Pomerium 0.10 to 0.12"
        ]
    );
}

#[test]
fn detect_json_carries_kind_format_versions_and_evidence() -> TestResult {
    let v = json(&[
        "detect",
        "core-0.10.yaml",
        "core-0.20.yaml",
        "core-0.26.yaml",
        "console-dash.yaml",
        "contradictory.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(v["schema"], 2);
    assert_eq!(v["command"], "detect");
    let files = v["files"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(String, String, String, String, bool)> = files
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["kind"].as_str().unwrap_or_default().to_owned(),
                f["min_version"].as_str().unwrap_or_default().to_owned(),
                f["max_version"].as_str().unwrap_or_default().to_owned(),
                f["contradictory"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    let row = |p: &str, k: &str, lo: &str, hi: &str, c: bool| {
        (p.to_owned(), k.to_owned(), lo.to_owned(), hi.to_owned(), c)
    };
    assert_eq!(
        summary,
        [
            row("core-0.10.yaml", "core", "0.10", "0.12", false),
            row("core-0.20.yaml", "core", "0.19", "0.20", false),
            row("core-0.26.yaml", "core", "0.26", "0.31", false),
            row("console-dash.yaml", "console", "0.17", "0.24", false),
            row("contradictory.yaml", "core", "0.23", "0.10", true),
        ]
    );
    for f in &files {
        assert_eq!(f["format"], "yaml");
    }

    let core20 = &files[1];
    assert_eq!(core20["kind_source"], "keys");
    assert_eq!(core20["start_version"], "0.19");
    assert!(core20["needs_from"].is_null());
    let min = &core20["min_evidence"][0];
    assert_eq!(min["key"], "show_error_details");
    assert_eq!(min["path"], "routes[0].show_error_details");
    assert_eq!(
        (min["line"].as_u64(), min["column"].as_u64()),
        (Some(8), Some(5))
    );
    assert_eq!(min["version"], "0.19");
    let max = &core20["max_evidence"][0];
    assert_eq!(max["key"], "forward_auth_url");
    assert_eq!(
        (max["line"].as_u64(), max["column"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(max["version"], "0.20");

    let console = &files[3];
    assert_eq!(console["kind_evidence"]["core"], Value::Array(Vec::new()));
    let kind_keys: Vec<&str> = console["kind_evidence"]["console"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["key"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        kind_keys,
        ["database-url", "shared-secret", "license-key", "debug"]
    );
    assert!(
        console["kind_evidence"]["console"][0]
            .get("version")
            .is_none()
    );

    let contradictory = &files[4];
    assert_eq!(contradictory["start_version"], "0.10");
    assert_eq!(contradictory["max_evidence"][0]["key"], "cache_service_url");

    // A file whose kind the keys do not decide: kind null, no range, exit 2.
    let (code, stdout, _) = run(&["detect", "empty.yaml", "--format", "json"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&stdout)?;
    let empty = &v["files"][0];
    assert!(empty["kind"].is_null());
    assert_eq!(empty["kind_source"], "undecided");
    assert_eq!(empty["kind_evidence"]["core"], Value::Array(Vec::new()));
    assert!(empty.get("min_version").is_none());
    assert!(empty["start_version"].is_null());
    Ok(())
}

#[test]
fn detect_warns_when_inference_would_be_refused() {
    let text = detect_block("dollar.yaml");
    assert!(
        text.contains(
            "without --from, plan/apply/check refuse: \
             `routes[0].set_request_headers.X-Currency` at dollar.yaml:5:19 contains `$`"
        ),
        "{text}"
    );
    assert!(!text.contains("$USD"), "the value is shown: {text}");
    let v = json(&["detect", "dollar.yaml", "--format", "json"]);
    let file = &v["files"][0];
    assert!(file["start_version"].is_null());
    assert_eq!(
        file["needs_from"]["path"],
        "routes[0].set_request_headers.X-Currency"
    );
    assert_eq!(file["needs_from"]["line"], 5);
    assert_eq!(file["needs_from"]["column"], 19);
}

#[test]
fn detect_takes_kind_stdin_and_json_and_refuses_what_it_cannot_read() -> TestResult {
    let forced = json(&[
        "detect",
        "core-0.20.yaml",
        "--kind",
        "console",
        "--format",
        "json",
    ]);
    assert_eq!(forced["files"][0]["kind"], "console");
    assert_eq!(forced["files"][0]["kind_source"], "option");
    // The evidence is weighed all the same, and the keys only Core reads are warned about.
    let core_keys: Vec<&str> = forced["files"][0]["kind_evidence"]["core"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["key"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(core_keys, ["forward_auth_url", "routes"]);
    assert_eq!(
        forced["files"][0]["warnings"][0],
        "--kind console, but only Core reads `forward_auth_url` at core-0.20.yaml:3:1, `routes` \
         at core-0.20.yaml:4:1"
    );

    cmd()
        .args(["detect", "-"])
        .write_stdin("license_key: x\nvalidation_mode: none\n")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "-: console config (yaml), Pomerium 0.27 to {NEWEST}\n",
        )));

    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.json");
    fs::write(
        &config,
        "{\n  \"routes\": [{\"from\": \"https://a\", \"to\": \"http://a\", \
         \"set_authorization_header\": \"id_token\"}]\n}\n",
    )?;
    cmd()
        .args(["detect", s(&config)])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "core config (json), Pomerium 0.17 to 0.23",
        ));

    let toml = dir.path().join("config.toml");
    fs::write(
        &toml,
        "[[routes]]\nfrom = \"https://a\"\nto = \"http://a\"\nset_authorization_header = \"id_token\"\n",
    )?;
    cmd()
        .args(["detect", s(&toml)])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "core config (toml), Pomerium 0.17 to 0.23",
        ));
    // --input-format reads a file under another name the same way.
    let renamed = dir.path().join("config.conf");
    fs::copy(&toml, &renamed)?;
    cmd()
        .args(["detect", s(&renamed), "--input-format", "toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "core config (toml), Pomerium 0.17 to 0.23",
        ));
    let bad_toml = dir.path().join("bad.toml");
    fs::write(&bad_toml, "a = 1\na = 2\n")?;
    cmd()
        .args(["detect", s(&bad_toml)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}:2:", s(&bad_toml))));
    let bad = dir.path().join("bad.yaml");
    fs::write(&bad, "a: [unclosed\n")?;
    cmd()
        .args(["detect", s(&bad)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}:", s(&bad))));
    cmd()
        .args(["detect", "missing.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.yaml: cannot read"));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Inference in plan / apply / check

#[test]
fn plan_without_from_starts_at_the_lowest_version_and_says_so() {
    let (code, stdout, stderr) = run(&["plan", "core-0.20.yaml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "core-0.20.yaml: core config (yaml), 0.19 -> {NEWEST}: would change; 2 changes, 1 action \
             required, 3 notes\n\
             \x20 --from inferred: the keys fit 0.19 to 0.20; starting at 0.19, the lowest \
             release that reads every key (pass --from to override)\n\
             \x20   at least 0.19: `routes[0].show_error_details` at core-0.20.yaml:8:5\n\
             \x20   at most 0.20: `forward_auth_url` at core-0.20.yaml:3:1\n"
        )),
        "{stdout}"
    );
    // With --from the report has no inference lines.
    let (_, given, _) = run(&["plan", "core-0.20.yaml", "--from", "0.19"]);
    assert!(!given.contains("--from inferred"), "{given}");
}

#[test]
fn an_inferred_from_gives_the_same_result_as_giving_the_lower_bound() -> TestResult {
    for (file, lower) in [
        ("core-0.10.yaml", "0.10"),
        ("core-0.20.yaml", "0.19"),
        ("core-0.26.yaml", "0.26"),
        ("console-dash.yaml", "0.17"),
        ("contradictory.yaml", "0.10"),
    ] {
        let inferred = json(&["plan", file, "--format", "json"]);
        let given = json(&["plan", file, "--from", lower, "--format", "json"]);
        let (a, b) = (&inferred["files"][0], &given["files"][0]);
        assert_eq!(a["from"], lower, "{file}");
        assert!(a["inferred"]["min_version"].is_string(), "{file}");
        assert!(b["inferred"].is_null(), "{file}");
        for field in [
            "from", "to", "kind", "changed", "diff", "findings", "created",
        ] {
            assert_eq!(a[field], b[field], "{file}: {field}");
        }

        let dir = tempfile::tempdir()?;
        let (one, two) = (dir.path().join("one.yaml"), dir.path().join("two.yaml"));
        cmd()
            .args(["apply", file, "-o", s(&one)])
            .assert()
            .success();
        cmd()
            .args(["apply", file, "--from", lower, "-o", s(&two)])
            .assert()
            .success();
        assert_eq!(fs::read(&one)?, fs::read(&two)?, "{file}");
    }
    Ok(())
}

#[test]
fn json_reports_carry_the_inferred_range() {
    let v = json(&["plan", "core-0.20.yaml", "--format", "json"]);
    assert_eq!(v["schema"], 2);
    let inferred = &v["files"][0]["inferred"];
    assert_eq!(inferred["min_version"], "0.19");
    assert_eq!(inferred["max_version"], "0.20");
    assert_eq!(inferred["contradictory"], false);
    assert_eq!(
        inferred["min_evidence"][0]["path"],
        "routes[0].show_error_details"
    );
    assert_eq!(inferred["min_evidence"][0]["line"], 8);
    assert_eq!(inferred["max_evidence"][0]["key"], "forward_auth_url");

    let v = json(&["plan", "contradictory.yaml", "--format", "json"]);
    assert_eq!(v["files"][0]["from"], "0.10");
    assert_eq!(v["files"][0]["inferred"]["contradictory"], true);
}

#[test]
fn each_file_gets_its_own_version_unless_from_is_given() {
    let v = json(&[
        "plan",
        "core-0.10.yaml",
        "core-0.26.yaml",
        "contradictory.yaml",
        "--format",
        "json",
    ]);
    let froms: Vec<&str> = v["files"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["from"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(froms, ["0.10", "0.26", "0.10"]);

    let v = json(&[
        "plan",
        "core-0.10.yaml",
        "core-0.26.yaml",
        "--from",
        "0.20",
        "--format",
        "json",
    ]);
    for file in v["files"].as_array().cloned().unwrap_or_default() {
        assert_eq!(file["from"], "0.20");
        assert!(file["inferred"].is_null());
    }
    // Neither file fits 0.20: one warning each, naming the keys and the range detect finds.
    assert_eq!(
        v["files"][0]["warnings"],
        serde_json::json!([
            "--from 0.20 does not fit this file: `administrators` at core-0.10.yaml:4:1 was \
             removed in 0.13, `idp_service_account` at core-0.10.yaml:6:1 was removed in 0.20, \
             `policy[0].allowed_groups` at core-0.10.yaml:10:5 was removed in 0.20; the file \
             looks older than --from; the keys fit 0.10 to 0.12 (see `pomerium-migrate detect`)"
        ])
    );
    let newer = v["files"][1]["warnings"][0].as_str().unwrap_or_default();
    assert!(
        newer.starts_with(
            "--from 0.20 does not fit this file: `runtime_flags` at core-0.26.yaml:4:1 was added \
             in 0.26,"
        ) && newer.ends_with(
            "the file looks newer than --from; the keys fit 0.26 to 0.31 (see \
             `pomerium-migrate detect`)"
        ),
        "{newer}"
    );
    // A --from that fits: no warning.
    let v = json(&[
        "plan",
        "core-0.20.yaml",
        "--from",
        "0.19",
        "--format",
        "json",
    ]);
    assert_eq!(v["files"][0]["warnings"], serde_json::json!([]));
    let (_, text, _) = run(&["plan", "core-0.26.yaml", "--from", "0.20"]);
    assert!(
        text.contains("\n  warning: --from 0.20 does not fit this file: `runtime_flags`"),
        "{text}"
    );
}

#[test]
fn a_dollar_across_0_23_is_refused_without_from() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.yaml");
    let text = fs::read_to_string(fixtures().join("dollar.yaml"))?;
    fs::write(&path, &text)?;
    for command in ["plan", "apply", "check"] {
        let out = cmd().args([command, s(&path)]).output()?;
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "error: {}:5:19: `routes[0].set_request_headers.X-Currency` contains `$`",
                s(&path)
            )),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("Pass --from"), "{stderr}");
        assert!(!stderr.contains("$USD"), "the value is shown: {stderr}");
        assert!(out.stdout.is_empty(), "{command} printed a report");
    }
    assert_eq!(fs::read_to_string(&path)?, text);
    assert_eq!(
        fs::read_dir(dir.path())?.count(),
        1,
        "something was written"
    );

    // A run that stays below 0.23 does not care.
    cmd()
        .args(["plan", s(&path), "--to", "0.22"])
        .assert()
        .success();
    // With --from the user has decided.
    cmd()
        .args(["apply", s(&path), "--from", "0.23", "--no-backup"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&path)?,
        text,
        "0.23 configs are escaped already"
    );
    cmd()
        .args(["apply", s(&path), "--from", "0.22", "--no-backup"])
        .assert()
        .success();
    assert!(fs::read_to_string(&path)?.contains("X-Currency: \"$$USD\""));
    Ok(())
}

/// Issue 14: the shipped JSON example's keys fit 0.17 to 0.23 and a header holds `$`; a run to
/// exactly 0.23 crosses the escaping release and must be refused, one to 0.22 must not.
#[test]
fn the_dollar_refusal_holds_at_to_0_23_exactly() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/core-0.23-json/config.json");
    let (code, stdout, stderr) = run(&["plan", s(&example), "--to", "0.23"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("`routes[2].set_request_headers.X-Price-Format` contains `$`")
            && stderr.contains("fit releases 0.17 to 0.23"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    let (code, _, stderr) = run(&["plan", s(&example), "--to", "0.22"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_inferred_start_after_to_is_refused() {
    cmd()
        .args(["plan", "core-0.26.yaml", "--to", "0.20"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "core-0.26.yaml: the keys of this file need Pomerium 0.26 or newer (`runtime_flags` \
             at 4:1), but --to is 0.20",
        ));
}

#[test]
fn up_to_date_configs_pass_check_without_from() -> TestResult {
    let chain = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chain");
    let dir = tempfile::tempdir()?;
    for file in ["core-newest.yaml", "console-newest.yaml"] {
        // As the chain left them: actions are still open (markers; the Console's required
        // keys), so check fails.
        let text = fs::read_to_string(chain.join(file))?;
        cmd()
            .args(["check", s(&chain.join(file))])
            .assert()
            .code(1)
            .stdout(predicate::str::contains("--from inferred"));
        // Once the work is done and the markers are deleted, it passes.
        let mut done: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("# pomerium-migrate action"))
            .map(|l| format!("{l}\n"))
            .collect();
        if file.starts_with("console") {
            done.push_str("audience: [console.example.com]\nlicense-key: not-a-real-key\n");
        }
        let path = dir.path().join(file);
        fs::write(&path, done)?;
        cmd()
            .args(["check", s(&path)])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("up to date"))
            .stdout(predicate::str::contains("--from inferred"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Unknown keys

/// Two typos, an option a step comments out, and one a step leaves with an action.
const TYPOS: &str = "\
# typos and removed options
idp_provder_url: https://idp.example.com
pomerium_debug: true
routes:
  - from: https://a.example.com
    to: http://a
    set_authorization_header: bogus
    alowed_users: [a@example.com]
";

#[test]
fn unknown_keys_are_notes_with_a_suggestion_located_in_the_input() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.yaml");
    fs::write(&path, TYPOS)?;
    let out = cmd().args(["plan", s(&path), "--from", "0.20"]).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let notes: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(&format!("v{NEWEST}/unknown-key")))
        .collect();
    let p = s(&path);
    assert_eq!(
        notes,
        [
            format!(
                "{p}:2:1  note             v{NEWEST}/unknown-key  `idp_provder_url` is not a Pomerium \
                 option (no release reads it); Pomerium {NEWEST} ignores it; did you mean \
                 `idp_provider_url`?"
            ),
            // Line 8 of the input, although v0.25 inserted a line above it.
            format!(
                "{p}:8:5  note             v{NEWEST}/unknown-key  `routes[0].alowed_users` is not a \
                 Pomerium option (no release reads it); Pomerium {NEWEST} ignores it; did you mean \
                 `allowed_users`?"
            ),
        ],
        "{stdout}"
    );
    // `pomerium_debug` was commented out and `set_authorization_header` is left for the user
    // with an action: neither is reported again by validation at the target (the step's own
    // action stands for the refused `set_authorization_header`).
    assert!(!stdout.contains("ignored-key"), "{stdout}");
    assert!(!stdout.contains("refused-key"), "{stdout}");
    assert!(stdout.contains("action-required  v0.24/set-authorization-header"));

    // The target decides what is unknown; JSON carries the location.
    let out = cmd()
        .args(["plan", s(&path), "--from", "0.20", "--to", "0.22"])
        .args(["--format", "json"])
        .output()?;
    let v: Value = serde_json::from_slice(&out.stdout)?;
    let unknown: Vec<(String, u64, u64)> = v["files"][0]["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["step"] == "unknown-key")
                .map(|f| {
                    assert_eq!(f["severity"], "note");
                    assert_eq!(f["id"], "v0.22/unknown-key");
                    (
                        f["message"].as_str().unwrap_or_default().to_owned(),
                        f["line"].as_u64().unwrap_or_default(),
                        f["column"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        unknown,
        [
            (
                "`idp_provder_url` is not a Pomerium option (no release reads it); Pomerium 0.22 \
                 ignores it; did you mean `idp_provider_url`?"
                    .into(),
                2,
                1
            ),
            (
                "`routes[0].alowed_users` is not a Pomerium option (no release reads it); \
                 Pomerium 0.22 ignores it; did you mean `allowed_users`?"
                    .into(),
                8,
                5
            ),
        ]
    );
    Ok(())
}

#[test]
fn unknown_keys_do_not_fail_check() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.yaml");
    fs::write(
        &path,
        "routes:\n  - from: https://a\n    to: http://a\n    prefx: /x\n",
    )?;
    let newest = NEWEST.to_string();
    cmd()
        .args(["check", s(&path), "--from", &newest])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "{}:4:5  note             v{newest}/unknown-key  `routes[0].prefx` is not a Pomerium \
             option (no release reads it); Pomerium {newest} ignores it; did you mean `prefix`?",
            s(&path)
        )));
    // `--strict` fails on it.
    cmd()
        .args(["check", s(&path), "--from", &newest, "--strict"])
        .assert()
        .code(1);
    Ok(())
}

#[test]
fn help_describes_detect_and_inference() {
    // Help text is wrapped to the terminal: compare with single spaces.
    let help = |args: &[&str]| {
        let (code, stdout, _) = run(args);
        assert_eq!(code, 0);
        stdout.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    assert!(help(&["detect", "--help"]).contains("they start at the lowest release of the range"));
    assert!(help(&["plan", "--help"]).contains("inferred per file from its keys"));
    assert!(help(&["--help"]).contains("detect Show each file's kind"));
}

/// Issue 9, case 2: a Core config whose anchors sit under an `x-` key.
#[test]
fn a_core_config_with_an_x_anchor_key_is_core_and_migrated() -> TestResult {
    let v = json(&["detect", "x-anchors.yaml", "--format", "json"]);
    let file = &v["files"][0];
    assert_eq!(file["kind"], "core");
    assert_eq!(file["kind_source"], "keys");
    let core: Vec<&str> = file["kind_evidence"]["core"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["key"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(core, ["pomerium_debug", "certificates", "routes"]);
    assert_eq!(file["kind_evidence"]["console"], Value::Array(Vec::new()));

    let dir = tempfile::tempdir()?;
    let certs = dir.path().join("certs");
    let report = json(&[
        "plan",
        "x-anchors.yaml",
        "--from",
        "0.22",
        "--certs-dir",
        s(&certs),
        "--format",
        "json",
    ]);
    let file = &report["files"][0];
    assert_eq!(file["kind"], "core");
    let steps: Vec<&str> = file["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["severity"] == "changed")
                .filter_map(|f| f["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for step in [
        "v0.23/escape-dollar-in-request-headers",
        "v0.24/set-authorization-header",
        "v0.24/certificates-to-files",
        "v0.25/remove-pomerium-debug",
    ] {
        assert!(steps.contains(&step), "{step} did not run: {steps:?}");
    }
    Ok(())
}

#[test]
fn a_pomerium_substitution_is_neither_refused_nor_escaped_again() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.yaml");
    fs::write(
        &path,
        "routes:\n  - from: https://a.example.com\n    to: http://a\n    \
         set_request_headers:\n      X-Token: \"${pomerium.id_token}\"\n      X-Price: \"$$5\"\n",
    )?;
    let (code, stdout, stderr) = run(&["plan", s(&path)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("0.23 -> {NEWEST}")), "{stdout}");
    assert!(!stdout.contains("escape-dollar"), "{stdout}");
    let (_, detect, _) = run(&["detect", s(&path)]);
    assert!(
        detect.contains(&format!(
            "at least 0.23: `routes[0].set_request_headers.X-Token` (a `${{pomerium.…}}` \
             substitution) at {}:5:16",
            s(&path)
        )),
        "{detect}"
    );
    Ok(())
}
