//! The README's quick start, run through the real binary on the example configs in `examples/`.
//!
//! The main command is read from README.md itself (the `cargo run --release -- …` line of its
//! Quick start), so README and test cannot drift apart.
//!
//! When is a migrated example "done"? Running the tool again from the original `--from` is not the
//! test: v0.23 doubles every `$` in `set_request_headers`, and doing that twice changes the value's
//! meaning ("Version inference" in `docs/ARCHITECTURE.md`). Every later step may run twice, so the
//! check is a run from 0.23 on the result: it must change nothing and create nothing, the newest Pomerium
//! must know every key left, and the only findings left are notes and the actions a human still
//! owes (for the Core example: moving the databroker from Redis to Postgres).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use pomerium_migrate::detect;
use pomerium_migrate::document::{Document, Format, Value};
use pomerium_migrate::keys;
use pomerium_migrate::step::FileKind;
use serde_json::Value as Json;

mod common;

use common::{TestResult, repo};

const CORE: &str = "examples/core-0.20/config.yaml";
const CONSOLE: &str = "examples/console-0.14/config.yaml";
const JSON_CORE: &str = "examples/core-0.23-json/config.json";
const COMPOSE: &str = "examples/compose-0.19/docker-compose.yml";
const KUBERNETES: &str = "examples/kubernetes-0.22/pomerium.yaml";

/// Steps that must report on the Core example with the README's command.
const CORE_STEPS: &[&str] = &[
    "v0.18/redis-with-external-data",
    "v0.20/remove-directory-sync",
    "v0.20/allowed-groups-removed",
    "v0.23/escape-dollar-in-request-headers",
    "v0.23/downstream-mtls",
    "v0.23/route-client-ca-deprecated",
    "v0.24/set-authorization-header",
    "v0.24/certificates-to-files",
    "v0.24/redis-storage-removed",
    "v0.25/remove-pomerium-debug",
    "v0.26/cookie-secure",
    "v0.26/match-any-incoming-port",
    "v0.26/upstream-host-header",
    "v0.28/storage-tls",
    "v0.29/opentelemetry",
];

/// Steps that must report on the Console example with the README's command.
const CONSOLE_STEPS: &[&str] = &[
    "v0.15/console-audience",
    "v0.15/helm-charts-moved",
    "v0.16/console-authenticate-service-url",
    "v0.17/console-license-key",
    "v0.21/reenroll-devices",
    "v0.25/remove-console-debug",
    "v0.29/console-tracing",
    "v0.32/console-first",
];

/// The non-empty lines of the first `sh` block after README's `## Quick start` heading.
fn quick_start_commands() -> Result<Vec<String>, String> {
    let readme = fs::read_to_string(repo().join("README.md")).map_err(|e| e.to_string())?;
    let section = readme
        .split_once("## Quick start")
        .ok_or("README has no `## Quick start` section")?
        .1;
    let block = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .ok_or("the Quick start section has no ```sh block")?
        .0;
    Ok(block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// The README's main command as arguments of the binary (what follows `cargo run --release --`).
fn readme_args() -> Result<Vec<String>, String> {
    let commands = quick_start_commands()?;
    let main = commands
        .iter()
        .find_map(|c| c.strip_prefix("cargo run --release -- "))
        .ok_or("the Quick start has no `cargo run --release -- …` command")?;
    // The command is written without quotes, so splitting at spaces is exact.
    Ok(main.split_whitespace().map(str::to_owned).collect())
}

/// The value given with `--set license-key=…` in the README's command.
fn readme_license_key(args: &[String]) -> Option<String> {
    args.iter()
        .find_map(|a| a.strip_prefix("license-key="))
        .map(str::to_owned)
}

fn binary() -> Command {
    let mut cmd = common::bin();
    cmd.env_remove("CLICOLOR_FORCE").env("NO_COLOR", "1");
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[String]) -> Result<Run, Box<dyn std::error::Error>> {
    let out = binary().current_dir(dir).args(args).output()?;
    Ok(Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout)?,
        stderr: String::from_utf8(out.stderr)?,
    })
}

/// `args` with the command word (`plan`) replaced and extra arguments appended.
fn variant(args: &[String], command: &str, extra: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = args.to_vec();
    if let Some(first) = out.first_mut() {
        *first = command.to_owned();
    }
    out.extend(extra.iter().map(|s| (*s).to_owned()));
    out
}

/// `(file, step id)` of every finding line of a text report: `PATH[:L:C]  SEVERITY  vX/ID  …`.
fn reported_steps(report: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for line in report.lines() {
        let mut words = line.split_whitespace();
        let (Some(place), Some(severity), Some(id)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        if !matches!(severity, "changed" | "action-required" | "note") || !id.starts_with('v') {
            continue;
        }
        let file = place.split(':').next().unwrap_or(place);
        out.insert((file.to_owned(), id.to_owned()));
    }
    out
}

#[test]
fn quick_start_is_two_commands_and_the_second_is_what_ci_runs() -> TestResult {
    let commands = quick_start_commands()?;
    assert_eq!(commands.len(), 2, "Quick start commands: {commands:?}");
    assert!(commands[0].starts_with("cargo run --release -- plan "));
    let ci = fs::read_to_string(repo().join(".ci/run"))?;
    let ci_test = ci
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("cargo test"))
        .ok_or(".ci/run runs no `cargo test`")?;
    assert_eq!(commands[1], ci_test);
    Ok(())
}

#[test]
fn main_command_reports_every_expected_step_and_writes_nothing() -> TestResult {
    let args = readme_args()?;
    for file in [CORE, CONSOLE, COMPOSE, KUBERNETES] {
        assert!(
            args.iter().any(|a| a == file),
            "{file} is not in the command"
        );
    }
    let before: Vec<Vec<u8>> = [CORE, CONSOLE, COMPOSE, KUBERNETES]
        .iter()
        .map(|f| fs::read(repo().join(f)))
        .collect::<Result<_, _>>()?;

    let out = run(repo(), &args)?;
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(out.stderr, "");
    assert!(
        out.stdout
            .starts_with(&format!("--- a/{CORE}\n+++ b/{CORE}\n"))
    );
    assert!(
        out.stdout
            .contains(&format!("--- a/{CONSOLE}\n+++ b/{CONSOLE}\n"))
    );
    assert!(out.stdout.contains("4 of 4 files would change"));
    // The surfaces are read as such, never as configs.
    assert!(out.stdout.contains(&format!(
        "{COMPOSE}: docker-compose file (core, yaml), 0.19 -> 0.33: would change"
    )));
    assert!(out.stdout.contains(&format!(
        "{KUBERNETES}: Kubernetes manifest (core, yaml), 0.22 -> 0.33: would change"
    )));

    let reported = reported_steps(&out.stdout);
    for (file, steps) in [(CORE, CORE_STEPS), (CONSOLE, CONSOLE_STEPS)] {
        for step in steps {
            assert!(
                reported.contains(&(file.to_owned(), (*step).to_owned())),
                "{step} did not report on {file}; reported: {reported:?}"
            );
        }
    }
    // Console steps never report on the Core file and the other way round.
    assert!(
        !reported
            .iter()
            .any(|(file, id)| file == CORE && CONSOLE_STEPS.contains(&id.as_str()))
    );

    // `plan` writes nothing: the configs are unchanged and no certificate was written.
    for (file, bytes) in [CORE, CONSOLE, COMPOSE, KUBERNETES].iter().zip(&before) {
        assert_eq!(&fs::read(repo().join(file))?, bytes, "{file} changed");
    }
    assert!(!repo().join("examples/core-0.20/certs").exists());
    Ok(())
}

/// The sample output README shows under the Quick start: its lines other than `…`.
fn readme_sample_lines() -> Result<Vec<String>, String> {
    let readme = fs::read_to_string(repo().join("README.md")).map_err(|e| e.to_string())?;
    let sample = readme
        .split_once("The output, shortened")
        .and_then(|(_, rest)| rest.split_once("```\n"))
        .and_then(|(_, rest)| rest.split_once("```"))
        .ok_or("README shows no sample output after the Quick start")?
        .0;
    Ok(sample
        .lines()
        .filter(|l| *l != "…")
        .map(str::to_owned)
        .collect())
}

#[test]
fn readme_sample_is_real_output_in_order() -> TestResult {
    let sample = readme_sample_lines()?;
    assert!(sample.len() >= 20, "sample of {} lines", sample.len());
    let out = run(repo(), &readme_args()?)?;
    let mut lines = out.stdout.lines();
    for wanted in &sample {
        assert!(
            lines.any(|l| l == wanted),
            "README sample line not in the output (or out of order): {wanted}"
        );
    }
    Ok(())
}

/// Every secret value of the example files: values of secret-bearing keys ("Secrets" in
/// `docs/ARCHITECTURE.md`), the
/// passwords inside URLs, and the text of base64 key material once decoded.
fn example_secrets(license_key: Option<String>) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    const SECRET_KEYS: &[&str] = &[
        "shared_secret",
        "cookie_secret",
        "signing_key",
        "idp_client_secret",
        "idp_service_account",
        "databroker_storage_connection_string",
        "database_url",
        "database_encryption_key",
        "license_key",
    ];
    fn walk(value: &Value, key: &str, in_certificates: bool, out: &mut Vec<String>) {
        match value {
            Value::Mapping(entries) => {
                for (k, v) in entries {
                    let k = k.as_str().unwrap_or_default().replace('-', "_");
                    walk(v, &k, in_certificates || key == "certificates", out);
                }
            }
            Value::Sequence(items) => {
                for item in items {
                    walk(item, key, in_certificates || key == "certificates", out);
                }
            }
            // File paths name where a secret is, not the secret.
            Value::String(s)
                if (SECRET_KEYS.contains(&key) || (in_certificates && key == "key"))
                    && !s.starts_with('/')
                    && !s.is_empty() =>
            {
                out.push(s.clone());
            }
            _ => {}
        }
    }
    let mut secrets = Vec::new();
    for (file, format) in [
        (CORE, Format::Yaml),
        (CONSOLE, Format::Yaml),
        (JSON_CORE, Format::Json),
    ] {
        let doc = Document::parse(fs::read_to_string(repo().join(file))?, format)?;
        walk(&doc.data(), "", false, &mut secrets);
    }
    secrets.extend(license_key);
    let mut derived = common::derived_secrets(&secrets);
    for secret in &secrets {
        // Wrapped base64 is printed line by line.
        derived.extend(
            secret
                .lines()
                .map(str::trim)
                .filter(|l| l.len() >= 16)
                .map(str::to_owned),
        );
    }
    secrets.extend(derived);
    Ok(secrets)
}

#[test]
fn main_command_prints_no_secret() -> TestResult {
    let args = readme_args()?;
    let license_key = readme_license_key(&args);
    assert!(
        license_key.is_some(),
        "the README command sets no license key"
    );
    let secrets = example_secrets(license_key)?;
    // Shared secret, cookie secret, signing key, client secret, service account, two certificate
    // keys, Redis URL, database URL and key, license key, and what derives from them.
    assert!(
        secrets.len() >= 12,
        "too few secrets found: {}",
        secrets.len()
    );
    for password in ["not-a-real-redis-password", "not-a-real-db-password"] {
        assert!(
            secrets.iter().any(|s| s == password),
            "{password} not collected"
        );
    }

    for extra in [
        &[][..],
        &["--per-step"],
        &["--format", "json"],
        &["--notes", "all"],
    ] {
        let out = run(repo(), &variant(&args, "plan", extra))?;
        assert_eq!(out.code, Some(0), "{extra:?}: {}", out.stderr);
        for secret in &secrets {
            assert!(
                !out.stdout.contains(secret.as_str()) && !out.stderr.contains(secret.as_str()),
                "{extra:?}: a secret of the examples is printed (starts {:?})",
                secret.chars().take(6).collect::<String>()
            );
        }
    }
    // The same values do show with --show-secrets: the list above holds real values.
    let shown = run(repo(), &variant(&args, "plan", &["--show-secrets"]))?;
    assert!(secrets.iter().any(|s| shown.stdout.contains(s.as_str())));
    Ok(())
}

/// Copies `files` (paths relative to the repository) into `dir`, keeping their relative paths.
fn copy_examples(dir: &Path, files: &[&str]) -> TestResult {
    for file in files {
        let target = dir.join(file);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(repo().join(file), target)?;
    }
    Ok(())
}

/// A `check --from 0.23 --format json` run on `files` in `dir`.
fn recheck(dir: &Path, files: &[&str]) -> Result<(Option<i32>, Json), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = vec!["check".into()];
    args.extend(files.iter().map(|f| (*f).to_owned()));
    args.extend(["--from", "0.23", "--format", "json"].map(str::to_owned));
    let out = run(dir, &args)?;
    Ok((out.code, serde_json::from_str(&out.stdout)?))
}

/// The findings of one file of a JSON report as `(id, severity)`.
fn findings(file: &Json) -> Vec<(String, String)> {
    file["findings"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| {
                    (
                        f["id"].as_str().unwrap_or_default().to_owned(),
                        f["severity"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn applied_examples_are_final() -> TestResult {
    let dir = tempfile::tempdir()?;
    copy_examples(dir.path(), &[CORE, CONSOLE, COMPOSE, KUBERNETES])?;
    let args = readme_args()?;
    let out = run(dir.path(), &variant(&args, "apply", &[]))?;
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);

    // Backups of every file and the decoded certificates beside the Core config.
    for file in [CORE, CONSOLE, COMPOSE, KUBERNETES] {
        assert_eq!(
            fs::read(dir.path().join(format!("{file}.bak")))?,
            fs::read(repo().join(file))?
        );
    }
    let certs = dir.path().join("examples/core-0.20/certs");
    let expected_certs = [
        ("wildcard.corp.example.com.pem", 0o644),
        ("wildcard.corp.example.com-key.pem", 0o600),
        ("wiki.acme-legacy.example.net.pem", 0o644),
        ("wiki.acme-legacy.example.net-key.pem", 0o600),
    ];
    for (name, _mode) in expected_certs {
        let pem = fs::read_to_string(certs.join(name))?;
        assert!(pem.starts_with("-----BEGIN "), "{name} is not PEM");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(certs.join(name))?.permissions().mode() & 0o777;
            assert_eq!(mode, _mode, "{name}");
        }
    }
    let migrated_core = fs::read_to_string(dir.path().join(CORE))?;
    for (name, _) in expected_certs {
        assert!(
            migrated_core.contains(&format!("certs/{name}")),
            "{name} not named"
        );
    }

    // Run again from 0.23: nothing changes, nothing is created, the actions stay open.
    let (code, report) = recheck(dir.path(), &[CORE, CONSOLE])?;
    let files = report["files"].as_array().ok_or("no files in the report")?;
    assert_eq!(files.len(), 2);
    for file in files {
        assert_eq!(file["changed"], Json::Bool(false), "{}", file["path"]);
        assert_eq!(file["created"], Json::Array(Vec::new()), "{}", file["path"]);
        for (id, severity) in findings(file) {
            assert_ne!(severity, "changed", "{id} still changes {}", file["path"]);
        }
    }
    let actions: BTreeSet<String> = files
        .iter()
        .flat_map(findings)
        .filter(|(_, severity)| severity == "action-required")
        .map(|(id, _)| id)
        .collect();
    // Every action the apply left is still open: Redis through its validation rule and its
    // marker, the others through their markers.
    assert_eq!(
        actions,
        BTreeSet::from(
            [
                "v0.20/allowed-groups-removed",
                "v0.24/redis-storage-removed",
                "v0.29/opentelemetry",
            ]
            .map(str::to_owned)
        )
    );
    // `check` exits 1 for that action alone.
    assert_eq!(code, Some(1));
    assert_eq!(report["pending"], Json::Bool(true));

    // The newest Pomerium reads every key of the migrated Core config (it did not before).
    let unknown_after = unknown_in_newest(&migrated_core, Format::Yaml)?;
    assert!(unknown_after.is_empty(), "unknown keys: {unknown_after:?}");
    let unknown_before = unknown_in_newest(&fs::read_to_string(repo().join(CORE))?, Format::Yaml)?;
    assert!(unknown_before.len() >= 10, "{unknown_before:?}");

    // The Console config has what 0.15 to the newest release require and nothing they dropped or no longer
    // needs (from 0.22 the Console needs neither `signing-key` nor `authenticate-service-url`).
    let console = Document::parse(fs::read_to_string(dir.path().join(CONSOLE))?, Format::Yaml)?;
    let data = console.data();
    for key in ["audience", "license-key"] {
        assert!(data.get(key).is_some(), "console lacks {key}");
    }
    assert_eq!(
        data.get("audience"),
        Some(&Value::String("console.corp.example.com".into()))
    );
    for key in [
        "debug",
        "signing-key",
        "authenticate-service-url",
        "tracing-provider",
        "tracing-sample-rate",
    ] {
        assert!(data.get(key).is_none(), "console still sets {key}");
    }
    Ok(())
}

fn unknown_in_newest(
    text: &str,
    format: Format,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let doc = Document::parse(text.to_owned(), format)?;
    Ok(detect::unknown_keys(&doc, FileKind::Core, keys::NEWEST)
        .into_iter()
        .map(|k| k.path)
        .collect())
}

#[test]
fn json_example_applies_to_another_file_and_is_final() -> TestResult {
    let dir = tempfile::tempdir()?;
    copy_examples(dir.path(), &[JSON_CORE])?;
    let output = "examples/core-0.23-json/migrated.json";
    let args: Vec<String> = ["apply", JSON_CORE, "--from", "0.23", "-o", output]
        .map(str::to_owned)
        .to_vec();
    let out = run(dir.path(), &args)?;
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    // `-o` leaves the input alone and makes no backup.
    assert_eq!(
        fs::read(dir.path().join(JSON_CORE))?,
        fs::read(repo().join(JSON_CORE))?
    );
    assert!(!dir.path().join(format!("{JSON_CORE}.bak")).exists());

    let migrated = fs::read_to_string(dir.path().join(output))?;
    let json: Json = serde_json::from_str(&migrated)?;
    assert_eq!(
        json["routes"][0]["set_request_headers"]["Authorization"],
        Json::String("Bearer ${pomerium.id_token}".into())
    );
    assert_eq!(
        json["downstream_mtls"]["ca_file"],
        Json::String("/etc/pomerium/device-ca.pem".into())
    );
    assert_eq!(
        json["certificates"][0]["cert"],
        Json::String("certs/wildcard.apps.example.org.pem".into())
    );
    // Already escaped for 0.23: left as it was.
    assert_eq!(
        json["routes"][2]["set_request_headers"]["X-Price-Format"],
        Json::String("$$0.00".into())
    );
    let unknown = unknown_in_newest(&migrated, Format::Json)?;
    assert!(unknown.is_empty(), "unknown keys: {unknown:?}");

    // Nothing is left to do: `check` passes.
    let (code, report) = recheck(dir.path(), &[output])?;
    let file = &report["files"][0];
    assert_eq!(file["changed"], Json::Bool(false));
    assert!(
        findings(file)
            .iter()
            .all(|(_, severity)| severity == "note"),
        "{:?}",
        findings(file)
    );
    assert_eq!(code, Some(0));
    Ok(())
}

/// The README's command infers where each file starts (Core 0.17, Console 0.10). The files are
/// really used with 0.19 and 0.14: starting there must change exactly the same lines.
#[test]
fn inferred_starts_change_what_the_real_versions_change() -> TestResult {
    let diffs = |from: Option<&str>| -> Result<Vec<Json>, Box<dyn std::error::Error>> {
        let mut args = readme_args()?;
        if let Some(from) = from {
            args.extend(["--from".to_owned(), from.to_owned()]);
        }
        args.extend(["--format".to_owned(), "json".to_owned()]);
        let out = run(repo(), &args)?;
        assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
        let report: Json = serde_json::from_str(&out.stdout)?;
        let files = report["files"].as_array().ok_or("no files")?;
        Ok(files.iter().map(|f| f["diff"].clone()).collect())
    };
    let inferred = diffs(None)?;
    // The config files first, then the compose file and the manifest (whose start is their
    // image tag).
    assert_eq!(inferred.len(), 4);
    assert!(inferred.iter().all(Json::is_string));
    // One `--from` applies to both files, so compare each file with its own real release.
    assert_eq!(inferred[0], diffs(Some("0.19"))?[0], "Core diff");
    assert_eq!(inferred[1], diffs(Some("0.14"))?[1], "Console diff");
    Ok(())
}

/// Without `--from` the JSON example is refused: its keys fit 0.17 to 0.23 and a header value
/// holds `$`, which v0.23 would escape once too often if the file is already 0.23 ("Version
/// inference" in `docs/ARCHITECTURE.md`).
#[test]
fn json_example_needs_from() -> TestResult {
    let args: Vec<String> = ["plan", JSON_CORE].map(str::to_owned).to_vec();
    let out = run(repo(), &args)?;
    assert_eq!(out.code, Some(2), "stdout: {}", out.stdout);
    assert!(out.stderr.contains("--from"), "stderr: {}", out.stderr);
    Ok(())
}

/// Guards the claim in README that the examples are complete files, not fragments.
#[test]
fn examples_are_what_readme_says() -> TestResult {
    let core = Document::parse(fs::read_to_string(repo().join(CORE))?, Format::Yaml)?;
    let routes = core.top("routes").ok_or("no routes")?;
    let count = core.items(core.resolve(routes.value)).len();
    assert!((15..=30).contains(&count), "{count} routes");
    let readme = fs::read_to_string(repo().join("README.md"))?;
    assert!(readme.contains(&format!("({count} routes")));
    let paths: Vec<PathBuf> = [CORE, CONSOLE, JSON_CORE]
        .iter()
        .map(|f| repo().join(f))
        .collect();
    for path in paths {
        assert!(path.is_file(), "{} missing", path.display());
    }
    Ok(())
}
