//! The operator's workflow through the real binary: a repository-shaped tree of configs given as
//! a directory or a glob, files refused one by one, `apply` as one transaction or
//! `--keep-going`, Core/Console pairing by directory, the report formats (JSON validated against
//! `schema/report.schema.json`, SARIF against the OASIS SARIF 2.1.0 schema, GitHub workflow
//! commands, Markdown), `--only`, `--diff-only` checked with the real `git apply`, colour per
//! stream, shell completions and the man page, and the stdin/`-o` safeguards.

use std::fs;
use std::path::{Path, PathBuf};

use pomerium_migrate::migrations::NEWEST;
use serde_json::Value as Json;

mod common;

use common::{Run, TestResult, bin as cmd};

/// Runs the binary in `dir` with the environment cleared of colour settings.
fn run_in(dir: &Path, args: &[&str]) -> Result<Run, Box<dyn std::error::Error>> {
    Ok(cmd()
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .args(args)
        .output()?
        .into())
}

fn write(root: &Path, rel: &str, text: &str) -> Result<(), std::io::Error> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, text)
}

/// A Core config of the 0.17–0.19 era: two changes and one action.
fn old_core(n: usize) -> String {
    format!(
        "# Core config {n}\n\
         authenticate_service_url: https://authenticate.example.com\n\
         routes:\n\
         \x20 - from: https://app{n}.example.com\n\
         \x20   to: http://app{n}\n\
         \x20   set_authorization_header: pass_through\n\
         \x20   allowed_groups:\n\
         \x20     - admins\n"
    )
}

/// A Core config that needs nothing for the newest release.
fn current_core(n: usize) -> String {
    format!(
        "authenticate_service_url: https://authenticate.example.com\n\
         routes:\n\
         \x20 - from: https://ok{n}.example.com\n\
         \x20   to: http://ok{n}\n\
         \x20   policy:\n\
         \x20     - allow:\n\
         \x20         or:\n\
         \x20           - email:\n\
         \x20               is: user{n}@example.com\n"
    )
}

const CONSOLE: &str = "\
# Enterprise Console
database-url: postgresql://console@db/console
administrators: admin@example.com
license-key: bm90LWEtcmVhbC1rZXk=
";

fn json_core(n: usize) -> String {
    format!(
        "{{\n  \"authenticate_service_url\": \"https://authenticate.example.com\",\n  \"routes\": [\n    {{\n      \"from\": \"https://json{n}.example.com\",\n      \"to\": \"http://json{n}\",\n      \"set_authorization_header\": \"pass_through\"\n    }}\n  ]\n}}\n"
    )
}

fn toml_core(n: usize) -> String {
    format!(
        "authenticate_service_url = \"https://authenticate.example.com\"\n\n[[routes]]\nfrom = \"https://toml{n}.example.com\"\nto = \"http://toml{n}\"\nset_authorization_header = \"pass_through\"\n"
    )
}

/// A Core config the tool refuses (exit 2): its keys fit 0.15 to the newest release and a header value holds
/// a `$`, which v0.23 doubles; whether it is doubled already cannot be told without `--from`.
const REFUSED: &str = "\
authenticate_service_url: https://a.example.com
routes:
  - from: https://price.example.com
    to: http://price
    set_request_headers:
      X-Price: \"$5\"
";

const COMPOSE: &str = "\
version: \"3.8\"
services:
  pomerium:
    image: pomerium/pomerium:v0.33.0
    volumes:
      - ./config.yaml:/pomerium/config.yaml:ro
";

/// A compose file with no Pomerium service: skipped, never read as a config.
const FOREIGN_COMPOSE: &str = "\
services:
  db:
    image: postgres:15
    environment:
      DATABASE_URL: postgres://db/app
";

const WORKFLOW: &str = "\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
";

const K8S: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: pomerium
spec:
  ports:
    - port: 443
";

/// What the tree holds, by relative path: the Pomerium configs and their kinds.
struct Tree {
    dir: tempfile::TempDir,
    configs: Vec<(String, &'static str)>,
    skipped: Vec<String>,
}

/// A repository-shaped tree of 52 files: 20 old Core YAML configs, 6 current ones, 4 Console
/// configs (3 below one Core config, 1 beside two), 5 JSON and 5 TOML Core configs, and 12
/// files that are not Pomerium's (compose files, workflows, manifests, `package.json`, a broken
/// YAML file, a README), plus an ignored directory and a hidden one.
fn tree() -> Result<Tree, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tree");
    let mut configs = Vec::new();
    let mut skipped = Vec::new();
    let mut add = |rel: String, text: &str, kind: Option<&'static str>| -> TestResult {
        write(&root, &rel, text)?;
        match kind {
            Some(kind) => configs.push((rel, kind)),
            None if [".yaml", ".yml", ".json", ".toml"]
                .iter()
                .any(|e| rel.ends_with(e)) =>
            {
                skipped.push(rel)
            }
            None => {}
        }
        Ok(())
    };
    for n in 0..20 {
        add(
            format!("envs/env{n:02}/pomerium/config.yaml"),
            &old_core(n),
            Some("core"),
        )?;
    }
    for n in 0..6 {
        add(
            format!("clusters/c{n}/pomerium.yml"),
            &current_core(n),
            Some("core"),
        )?;
    }
    for n in 0..3 {
        add(
            format!("envs/env{n:02}/pomerium/console/config.yaml"),
            CONSOLE,
            Some("console"),
        )?;
    }
    // A Console config with two Core configs beside it: neither is taken.
    add("shared/core-a.yaml".into(), &old_core(90), Some("core"))?;
    add("shared/core-b.yaml".into(), &old_core(91), Some("core"))?;
    add("shared/console.yaml".into(), CONSOLE, Some("console"))?;
    for n in 0..5 {
        add(format!("json/site{n}.json"), &json_core(n), Some("core"))?;
        add(format!("toml/site{n}.toml"), &toml_core(n), Some("core"))?;
    }
    // Compose files that run Pomerium are taken (a surface: its image and environment); one
    // that does not is skipped.
    for n in 0..4 {
        add(
            format!("envs/env{n:02}/docker-compose.yml"),
            COMPOSE,
            Some("core"),
        )?;
    }
    add("envs/db/docker-compose.yml".into(), FOREIGN_COMPOSE, None)?;
    add("ci/build.yml".into(), WORKFLOW, None)?;
    add("ci/release.yaml".into(), WORKFLOW, None)?;
    for n in 0..3 {
        add(format!("k8s/service{n}.yaml"), K8S, None)?;
    }
    add(
        "web/package.json".into(),
        "{\"name\": \"site\", \"version\": \"1.0.0\"}\n",
        None,
    )?;
    add("broken/half.yaml".into(), "routes: [\n", None)?;
    add("README.md".into(), "# deploy\n", None)?;
    // Ignored by .gitignore, and hidden: never looked at.
    add(".gitignore".into(), "generated/\n", None)?;
    write(&root, "generated/config.yaml", &old_core(99))?;
    write(&root, ".github/workflows/ci.yml", WORKFLOW)?;
    write(&root, ".hidden/config.yaml", &old_core(98))?;
    configs.sort();
    skipped.sort();
    Ok(Tree {
        dir,
        configs,
        skipped,
    })
}

fn json(text: &str) -> Result<Json, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(text)?)
}

fn schema_validator(path: &Path) -> Result<jsonschema::Validator, Box<dyn std::error::Error>> {
    let schema: Json = serde_json::from_str(&fs::read_to_string(path)?)?;
    Ok(jsonschema::validator_for(&schema)?)
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Json, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn report_schema() -> Result<jsonschema::Validator, Box<dyn std::error::Error>> {
    schema_validator(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json"))
}

#[test]
fn check_of_a_tree_reports_every_pomerium_file_and_skips_the_others() -> TestResult {
    let tree = tree()?;
    let root = tree.dir.path();
    let out = run_in(root, &["check", "tree", "--format", "json", "-v"])?;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout)?;
    assert_valid(&report_schema()?, &report, "check --format json");

    let mut found: Vec<(String, String)> = report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["kind"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    let expected: Vec<(String, String)> = tree
        .configs
        .iter()
        .map(|(p, k)| (format!("tree/{p}"), (*k).to_owned()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(found.len(), 46);

    // In path order, whatever order the threads finished in.
    let order: Vec<&str> = report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    let mut skipped: Vec<String> = report["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["path"].as_str().map(str::to_owned))
        .collect();
    skipped.sort();
    let expected: Vec<String> = tree.skipped.iter().map(|p| format!("tree/{p}")).collect();
    assert_eq!(skipped, expected);
    let reason = |path: &str| {
        report["skipped"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["path"] == path)
            .and_then(|s| s["reason"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(reason("tree/broken/half.yaml").starts_with("does not parse"));
    assert_eq!(
        reason("tree/envs/db/docker-compose.yml"),
        "a docker-compose file with no Pomerium service"
    );
    assert!(reason("tree/ci/build.yml").contains("`jobs`"));
    // -v lists the skipped files on stderr; ignored and hidden files are never looked at.
    assert!(
        out.stderr
            .contains("skipped tree/k8s/service0.yaml: not a Pomerium config")
    );
    for never in [
        "tree/generated",
        "tree/.github",
        "tree/.hidden",
        "README.md",
    ] {
        assert!(!out.stdout.contains(never), "{never}");
        assert!(!out.stderr.contains(never), "{never}");
    }

    // Each file's findings: old configs change and need an action, current ones are clean.
    let file = |path: &str| -> Json {
        report["files"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["path"] == path)
            .cloned()
            .unwrap_or(Json::Null)
    };
    let old = file("tree/envs/env07/pomerium/config.yaml");
    assert_eq!(old["changed"], true);
    assert_eq!(old["from"], "0.17");
    let severities: Vec<&str> = old["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["severity"].as_str())
        .collect();
    // Two changes and the action, then notes (behaviour changes the file is concerned by).
    assert_eq!(severities[..3], ["changed", "action-required", "changed"]);
    assert!(
        severities[3..].iter().all(|s| *s == "note"),
        "{severities:?}"
    );
    let action = &old["findings"][1];
    assert_eq!(action["line"], 7);
    assert_eq!(action["column"], 5);
    assert_eq!(action["end_line"], 7);
    assert_eq!(action["end_column"], "    allowed_groups:".len());
    assert_eq!(file("tree/clusters/c3/pomerium.yml")["changed"], false);
    assert_eq!(file("tree/json/site2.json")["format"], "json");
    assert_eq!(file("tree/json/site2.json")["changed"], true);
    assert_eq!(file("tree/toml/site4.toml")["format"], "toml");
    assert_eq!(file("tree/toml/site4.toml")["changed"], true);

    // Pairing: a console config takes values from the single Core config of its nearest
    // directory that has any, and from none when that directory holds two.
    for n in 0..3 {
        let line = format!(
            "tree/envs/env{n:02}/pomerium/console/config.yaml: takes values from the Core \
             config tree/envs/env{n:02}/pomerium/config.yaml"
        );
        assert!(out.stderr.contains(&line), "{line}\n{}", out.stderr);
    }
    assert!(
        !out.stderr
            .contains("tree/shared/console.yaml: takes values")
    );
    assert_eq!(report["summary"]["files"], 46);
    // detect takes the same tree.
    let detected = run_in(root, &["detect", "tree", "--format", "json"])?;
    assert_eq!(detected.code, 0, "{}", detected.stderr);
    let detected = json(&detected.stdout)?;
    assert_valid(&report_schema()?, &detected, "detect --format json");
    assert_eq!(detected["files"].as_array().map(Vec::len), Some(42));
    assert_eq!(detected["surfaces"].as_array().map(Vec::len), Some(4));
    // The 32 Core configs that are not current change; the consoles only need actions.
    assert_eq!(report["summary"]["files_changed"], 32);
    assert_eq!(report["refused"], serde_json::json!([]));
    Ok(())
}

#[test]
fn a_console_config_takes_values_from_the_core_config_of_its_directory_or_an_ancestor() -> TestResult
{
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "prod/config.yaml", &old_core(1))?;
    write(root, "prod/console/config.yaml", CONSOLE)?;
    write(root, "prod/eu/console.yaml", CONSOLE)?;
    write(root, "staging/config.yaml", &old_core(2))?;
    write(root, "staging/console.yaml", CONSOLE)?;
    let out = run_in(root, &["plan", ".", "-v"])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    for (console, core) in [
        ("prod/console/config.yaml", "prod/config.yaml"),
        ("prod/eu/console.yaml", "prod/config.yaml"),
        ("staging/console.yaml", "staging/config.yaml"),
    ] {
        let line = format!("./{console}: takes values from the Core config ./{core}");
        assert!(out.stderr.contains(&line), "{line}\n{}", out.stderr);
    }
    Ok(())
}

#[test]
fn one_refused_file_does_not_stop_the_others_and_sets_the_exit_code() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "a/config.yaml", &old_core(1))?;
    // Detected as Pomerium's (its keys), refused: its `$` cannot be told escaped or not.
    write(root, "b/config.yaml", REFUSED)?;
    write(root, "c/config.yaml", &current_core(1))?;

    let out = run_in(root, &["check", "a", "b", "c"])?;
    assert_eq!(out.code, 2, "the worst of 1 (pending) and 2 (refused)");
    assert!(
        out.stderr.contains("error: b/config.yaml:6:16:"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("a/config.yaml: core config"));
    assert!(out.stdout.contains("c/config.yaml: core config"));

    let out = run_in(root, &["plan", "c", "b", "--format", "json"])?;
    assert_eq!(out.code, 2);
    let report = json(&out.stdout)?;
    assert_valid(&report_schema()?, &report, "plan with a refused file");
    assert_eq!(report["refused"][0]["path"], "b/config.yaml");
    assert_eq!(report["refused"][0]["exit_code"], 2);
    assert_eq!(report["files"][0]["path"], "c/config.yaml");

    // Up to date only: 0. A directory without a Pomerium config: 2, so CI cannot pass on
    // nothing. A glob with no Pomerium file: 2 as well.
    assert_eq!(run_in(root, &["check", "c"])?.code, 0);
    write(root, "empty/docker-compose.yml", FOREIGN_COMPOSE)?;
    let out = run_in(root, &["check", "empty"])?;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("empty: no Pomerium config found (1 YAML"),
        "{}",
        out.stderr
    );
    let out = run_in(root, &["check", "*/nothing*.yaml"])?;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no Pomerium config found"));
    Ok(())
}

#[test]
fn globs_expand_inside_the_tool() -> TestResult {
    let tree = tree()?;
    let root = tree.dir.path();
    let out = run_in(root, &["check", "tree/**/*.toml", "--format", "json"])?;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout)?;
    let paths: Vec<&str> = report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        (0..5)
            .map(|n| format!("tree/toml/site{n}.toml"))
            .collect::<Vec<_>>()
    );
    // `*` stays within a directory.
    let out = run_in(root, &["check", "tree/*/site1.*", "--format", "json"])?;
    let report = json(&out.stdout)?;
    assert_eq!(report["summary"]["files"], 2);
    Ok(())
}

/// Every file of `dir` with its content.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).unwrap_or_default();
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn apply_is_one_transaction_unless_keep_going() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "a/config.yaml", &old_core(1))?;
    write(root, "b/config.yaml", REFUSED)?;
    write(root, "c/config.json", &json_core(1))?;
    let before = snapshot(root);
    let out = run_in(root, &["apply", "."])?;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("nothing was written: 1 of 3 files refused"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(root), before);

    let out = run_in(root, &["apply", ".", "--keep-going", "--no-backup"])?;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("error: ./b/config.yaml:6:16:"),
        "{}",
        out.stderr
    );
    assert!(fs::read_to_string(root.join("a/config.yaml"))?.contains("# allowed_groups:"));
    assert!(!fs::read_to_string(root.join("c/config.json"))?.contains("set_authorization_header"));
    assert_eq!(fs::read_to_string(root.join("b/config.yaml"))?, REFUSED);
    Ok(())
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() -> TestResult {
    let tree = tree()?;
    let root = tree.dir.path();
    write(root, "tree/bad/config.yaml", REFUSED)?;
    let out = run_in(root, &["check", "tree", "--format", "sarif"])?;
    assert_eq!(out.code, 2, "{}", out.stderr);
    let log = json(&out.stdout)?;
    let sarif = schema_validator(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json"),
    )?;
    assert_valid(&sarif, &log, "SARIF");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "pomerium-migrate");
    let results = run["results"].as_array().cloned().unwrap_or_default();
    let action = results
        .iter()
        .find(|r| {
            r["ruleId"] == "v0.20/allowed-groups-removed"
                && r["level"] == "error"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "tree/envs/env03/pomerium/config.yaml"
        })
        .cloned()
        .unwrap_or(Json::Null);
    let region = &action["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 7);
    assert_eq!(region["startColumn"], 5);
    assert_eq!(region["endColumn"], "    allowed_groups:".len() + 1);
    // Every rule a result names is in the driver's rules at its index.
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for result in &results {
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize;
        assert_eq!(rules.get(index).map(|r| &r["id"]), Some(&result["ruleId"]));
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let notification = &run["invocations"][0]["toolExecutionNotifications"][0];
    assert!(
        notification["message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("tree/bad/config.yaml:6:16:"))
    );
    Ok(())
}

#[test]
fn json_of_every_command_shares_the_envelope_and_fits_the_schema() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "config.yaml", &old_core(1))?;
    let validator = report_schema()?;
    // The schema is not a rubber stamp: a finding without end_line is refused.
    let mut doc = json(&run_in(root, &["check", "config.yaml", "--format", "json"])?.stdout)?;
    assert!(validator.is_valid(&doc));
    if let Some(finding) = doc["files"][0]["findings"][0].as_object_mut() {
        finding.remove("end_line");
    }
    assert!(!validator.is_valid(&doc));
    for args in [
        &["plan", "config.yaml", "--format", "json", "--per-step"][..],
        &["check", "config.yaml", "--format", "json"],
        &["detect", "config.yaml", "--format", "json"],
        &["list", "--format", "json"],
        &["apply", "config.yaml", "--format", "json"],
    ] {
        let out = run_in(root, args)?;
        assert!(out.code <= 1, "{args:?}: {}", out.stderr);
        let doc = json(&out.stdout)?;
        assert_valid(&validator, &doc, &format!("{args:?}"));
        assert_eq!(doc["schema"], 2, "{args:?}");
        assert_eq!(doc["command"], args[0], "{args:?}");
    }
    Ok(())
}

#[test]
fn github_format_prints_workflow_commands() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "deploy, prod/config.yaml", &old_core(1))?;
    let out = run_in(root, &["check", "deploy, prod", "--format", "github"])?;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    // The comma of the path is escaped in the property; the message's newlines are %0A.
    let action = lines
        .iter()
        .find(|l| l.starts_with("::error file=deploy%2C prod/config.yaml,line=7,"))
        .copied()
        .unwrap_or_default();
    assert!(
        action.contains(",endLine=7,col=5,endColumn=19,title=v0.20/allowed-groups-removed::"),
        "{action}"
    );
    assert!(action.contains("review it:%0Apolicy:%0A"), "{action}");
    assert!(!action.contains('\n'));
    assert!(lines.iter().any(|l| {
        l.starts_with("::error file=deploy%2C prod/config.yaml,title=pomerium-migrate::")
    }));
    assert!(lines.iter().any(|l| l.starts_with("::notice file=")));
    assert!(lines.contains(&"::group::diff deploy, prod/config.yaml"));
    assert!(lines.contains(&"::endgroup::"));
    Ok(())
}

#[test]
fn markdown_has_a_summary_table_the_actions_and_the_diff_collapsed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "a.yaml", &old_core(1))?;
    write(root, "b.yaml", &current_core(1))?;
    let out = run_in(root, &["plan", "a.yaml", "b.yaml", "--format", "markdown"])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let md = out.stdout;
    assert!(md.starts_with("## Pomerium config migration plan\n"));
    assert!(
        md.contains(&format!(
            "| `a.yaml` | core | 0.17 | {NEWEST} | needs migrating | 2 | 1 | "
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| `b.yaml` | core | 0.15 | {NEWEST} | up to date | 0 | 0 | "
        )),
        "{md}"
    );
    assert!(
        md.contains("### Actions required (1)\n\n- `a.yaml:7:5` [`v0.20/allowed-groups-removed`]")
    );
    assert!(md.contains("<details>\n<summary>Diff of <code>a.yaml</code> (2 changes)</summary>\n\n```diff\n--- a/a.yaml"));
    assert_eq!(md.matches("<details>").count(), 1);
    Ok(())
}

#[test]
fn the_text_report_ends_with_the_actions_and_only_filters() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "a.yaml", &old_core(1))?;
    write(root, "b.yaml", &old_core(2))?;
    let out = run_in(root, &["check", "a.yaml", "b.yaml"])?;
    let tail = out
        .stdout
        .split("\nActions required (2):\n")
        .nth(1)
        .unwrap_or_default();
    assert!(tail.starts_with("  a.yaml:7:5  v0.20/allowed-groups-removed  routes[0] (https://app1.example.com) allowed the groups below"), "{}", out.stdout);
    assert!(tail.contains("\n  b.yaml:7:5  v0.20/allowed-groups-removed  routes[0] (https://app2"));

    let out = run_in(root, &["check", "a.yaml", "--only", "action-required"])?;
    assert_eq!(out.code, 1, "--only does not change what check exits with");
    assert!(out.stdout.contains("a.yaml:7:5  action-required"));
    assert!(!out.stdout.contains("  changed  "), "{}", out.stdout);
    let out = run_in(
        root,
        &["check", "a.yaml", "--only", "changed", "--format", "json"],
    )?;
    let report = json(&out.stdout)?;
    let severities: Vec<&str> = report["files"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["severity"].as_str())
        .collect();
    assert_eq!(severities, ["changed", "changed"]);

    // -q: nothing but the exit code.
    let out = run_in(root, &["check", "a.yaml", "-q"])?;
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, "", "")
    );
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<Run, Box<dyn std::error::Error>> {
    Ok(std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()?
        .into())
}

#[test]
fn diff_only_is_a_patch_git_apply_accepts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "deploy/config.yaml", &old_core(1))?;
    write(root, "deploy/site.toml", &toml_core(1))?;
    assert_eq!(git(root, &["init", "-q"])?.code, 0);
    let out = run_in(root, &["plan", "deploy", "--diff-only"])?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("--- a/deploy/config.yaml\n+++ b/deploy/config.yaml\n")
    );
    // The report goes to stderr, not into the patch.
    assert!(!out.stdout.contains("core config"));
    assert!(
        out.stderr
            .contains("deploy/config.yaml: core config (yaml)")
    );
    fs::write(root.join("x.patch"), &out.stdout)?;
    let checked = git(root, &["apply", "--check", "x.patch"])?;
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert_eq!(git(root, &["apply", "x.patch"])?.code, 0);
    // The patched tree is what `apply` writes: nothing is left to change.
    let out = run_in(root, &["plan", "deploy", "--diff-only"])?;
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    Ok(())
}

#[test]
fn diff_only_refuses_redacted_hunks_and_created_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    // The secret sits in the context of the changed lines.
    let secret = format!(
        "{}shared_secret: c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3Qtc2hvdw==\n",
        old_core(1)
    );
    write(root, "secret.yaml", &secret)?;
    let out = run_in(root, &["plan", "secret.yaml", "--diff-only"])?;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("the patch of secret.yaml would hold redacted values"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    let out = run_in(
        root,
        &["plan", "secret.yaml", "--diff-only", "--show-secrets"],
    )?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(" shared_secret: c2VjcmV0"));

    // The TOML example decodes base64 certificates into files: a patch cannot carry them.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/core-0.22-toml/config.toml");
    fs::copy(example, root.join("config.toml"))?;
    let out = run_in(
        root,
        &["plan", "config.toml", "--diff-only", "--show-secrets"],
    )?;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("this run creates files (./certs/"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    Ok(())
}

#[test]
fn colour_is_decided_per_stream() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    write(root, "a.yaml", &old_core(1))?;
    // Piped, no colour by default; CLICOLOR_FORCE forces it; NO_COLOR wins over a terminal
    // but not over --color always.
    let plain = run_in(root, &["check", "a.yaml"])?;
    assert!(!plain.stdout.contains('\x1b'));
    let forced: Run = cmd()
        .current_dir(root)
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .args(["check", "a.yaml"])
        .output()?
        .into();
    assert!(forced.stdout.contains("\x1b["), "{}", forced.stdout);
    let never: Run = cmd()
        .current_dir(root)
        .env("CLICOLOR_FORCE", "1")
        .args(["check", "a.yaml", "--color", "never"])
        .output()?
        .into();
    assert!(!never.stdout.contains('\x1b'));
    // stdin to stdout: the config stays byte-exact (never coloured), the report on stderr is
    // coloured when forced.
    let applied: Run = cmd()
        .current_dir(root)
        .env("CLICOLOR_FORCE", "1")
        .args(["apply", "-", "--color", "always"])
        .write_stdin(old_core(1))
        .output()?
        .into();
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert!(!applied.stdout.contains('\x1b'));
    assert!(applied.stderr.contains("\x1b["));
    Ok(())
}

#[test]
fn completions_and_the_man_page() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pomerium-migrate"),
        ("fish", "complete -c pomerium-migrate"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run_in(dir.path(), &["completions", shell])?;
        assert_eq!(out.code, 0, "{shell}");
        assert!(out.stdout.contains(marker), "{shell}");
        assert!(out.stdout.contains("diff-only"), "{shell}");
    }
    let out = run_in(dir.path(), &["man"])?;
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with(".ie \\n(.g .ds Aq") || out.stdout.contains(".TH pomerium-migrate")
    );
    assert!(out.stdout.contains("pomerium\\-migrate"));
    assert!(out.stdout.contains("completions"));
    Ok(())
}

#[test]
fn stdin_output_and_explain_safeguards() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    // TOML on stdin without --input-format: a hint.
    let out: Run = cmd()
        .current_dir(root)
        .args(["plan", "-"])
        .write_stdin("[[routes]]\nfrom = \"https://a\"\nto = \"http://a\"\n")
        .output()?
        .into();
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("looks like TOML: pass --input-format toml"),
        "{}",
        out.stderr
    );

    // -o into a missing directory: exit 2, naming it, and it is not created.
    write(root, "a.yaml", &old_core(1))?;
    let out = run_in(root, &["apply", "a.yaml", "-o", "missing/dir/out.yaml"])?;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("missing/dir does not exist"),
        "{}",
        out.stderr
    );
    assert!(!root.join("missing").exists());

    // A mistyped step id: the closest one is suggested.
    let out = run_in(root, &["explain", "set-auth-header"])?;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("did you mean `v0.24/set-authorization-header`?"),
        "{}",
        out.stderr
    );
    Ok(())
}
