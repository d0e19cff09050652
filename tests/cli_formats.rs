//! TOML and JSON configs through the real binary and the real chain of steps: the diff, the
//! findings, exit codes, the written result, `--input-format`, and that no secret value reaches
//! any output unless `--show-secrets` asks for it.
//!
//! The TOML config is `examples/core-0.22-toml/config.toml`; each test copies it into a temporary
//! directory and runs there, so that the report names it `config.toml`.

use std::fs;
use std::path::{Path, PathBuf};

use pomerium_migrate::document::{Document, Format, Value};
use pomerium_migrate::migrations::NEWEST;
use pomerium_migrate::redact;
use serde_json::Value as Json;

mod common;

use common::{Run, TestResult};

fn example() -> PathBuf {
    common::repo().join("examples/core-0.22-toml/config.toml")
}

/// A temporary directory holding the TOML example as `config.toml`.
fn copied_example() -> Result<tempfile::TempDir, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    fs::copy(example(), dir.path().join("config.toml"))?;
    Ok(dir)
}

fn run_in(
    dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut cmd = common::bin();
    cmd.current_dir(dir).env("NO_COLOR", "1").args(args);
    if let Some(text) = stdin {
        cmd.write_stdin(text.to_owned());
    }
    Ok(Run::from(cmd.output()?))
}

fn parse(text: &str, format: Format) -> Result<Document, Box<dyn std::error::Error>> {
    Ok(Document::parse(text.to_owned(), format)?)
}

/// The value at a path such as `routes[1].set_request_headers.X-Price-Format`.
fn string_at(doc: &Document, path: &str) -> Option<String> {
    let node = doc.select_str(path).first()?.node;
    doc.str(node).map(str::to_owned)
}

/// Every secret value of a config (by the redaction rule's keys; file paths are not secrets),
/// with the lines of decoded base64 key material and passwords inside URLs.
fn secrets_of(doc: &Document) -> Vec<String> {
    fn walk(value: &Value, path: &mut Vec<String>, secret: bool, out: &mut Vec<String>) {
        match value {
            Value::Mapping(entries) => {
                for (k, v) in entries {
                    let key = k.as_str().unwrap_or_default().to_owned();
                    let ancestors: Vec<&str> = path.iter().map(String::as_str).collect();
                    let secret = secret || redact::is_secret_key(&key, &ancestors);
                    path.push(key);
                    walk(v, path, secret, out);
                    path.pop();
                }
            }
            Value::Sequence(items) => {
                for item in items {
                    walk(item, path, secret, out);
                }
            }
            Value::String(s) if secret && !s.starts_with('/') && s.len() >= 8 => {
                out.push(s.clone());
            }
            _ => {}
        }
    }
    let mut secrets = Vec::new();
    walk(&doc.data(), &mut Vec::new(), false, &mut secrets);
    let derived = common::derived_secrets(&secrets);
    secrets.extend(derived);
    secrets
}

fn assert_no_secret(output: &str, secrets: &[String]) {
    assert!(secrets.len() >= 8, "too few secrets found: {secrets:?}");
    for secret in secrets {
        assert!(!output.contains(secret.as_str()), "secret shown:\n{output}");
    }
}

fn example_secrets() -> Result<Vec<String>, Box<dyn std::error::Error>> {
    Ok(secrets_of(&parse(
        &fs::read_to_string(example())?,
        Format::Toml,
    )?))
}

// ---------------------------------------------------------------------------------------------
// TOML

#[test]
fn plan_shows_the_toml_diff_and_findings_without_secrets() -> TestResult {
    let dir = copied_example()?;
    let original = fs::read(dir.path().join("config.toml"))?;
    let out = run_in(dir.path(), &["plan", "config.toml"], None)?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    for line in [
        "--- a/config.toml",
        "+++ b/config.toml",
        // `$` in a [routes.set_request_headers] table, with its trailing comment kept.
        "-X-Price-Format = \"$0.00\"   # a literal dollar sign, as the order UI expects",
        "+X-Price-Format = \"$$0.00\"   # a literal dollar sign, as the order UI expects",
        // set_authorization_header: commented out, and a new inline set_request_headers table …
        "+# pomerium-migrate v0.24: replaced by set_request_headers Authorization",
        "+# set_authorization_header = \"id_token\"",
        "+set_request_headers = { Authorization = \"Bearer ${pomerium.id_token}\" }",
        // … or an entry added to the route's existing inline table.
        "+set_request_headers = { X-Grafana-Org-Id = \"1\", Authorization = \"Bearer ${pomerium.access_token}\" }",
        "+# pomerium_debug = true   # readable logs while we chase the Azure group claims (NW-412)",
        "+downstream_mtls = { ca_file = \"/etc/pomerium/device-ca.pem\", crl_file = \"/etc/pomerium/device-ca.crl\" }",
        "+cert = \"certs/wildcard.northwind.example.pem\"",
        // A secret table commented out: header and values as comment lines, values hidden.
        "-[audit_key]",
        "-id = <redacted>",
        "+# [audit_key]",
        "+# id = <redacted>",
        "+# data = <redacted>",
        "+load_balancing_policy = \"ROUND_ROBIN\"",
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "missing diff line {line:?}:\n{}",
            out.stdout
        );
    }
    let header = format!("config.toml: core config (toml), 0.21 -> {NEWEST}: would change;");
    for finding in [
        header.as_str(),
        "config.toml:85:18  changed          v0.23/escape-dollar-in-request-headers",
        "v0.24/set-authorization-header",
        "v0.24/certificates-to-files",
        "action-required  v0.24/redis-storage-removed",
        "changed          v0.25/remove-pomerium-debug",
        "action-required  v0.29/audit-key",
        "certs/wildcard.northwind.example.pem (mode 0644, 753 bytes)",
        "certs/wildcard.northwind.example-key.pem (mode 0600, 241 bytes)",
    ] {
        assert!(
            out.stdout.contains(finding),
            "missing {finding:?}:\n{}",
            out.stdout
        );
    }
    assert_no_secret(&out.output(), &example_secrets()?);
    // plan writes nothing.
    assert_eq!(fs::read(dir.path().join("config.toml"))?, original);
    assert!(!dir.path().join("certs").exists());
    Ok(())
}

#[test]
fn no_output_shows_a_toml_secret_unless_asked() -> TestResult {
    let dir = copied_example()?;
    let secrets = example_secrets()?;
    for args in [
        &["plan", "config.toml", "--per-step"][..],
        &["plan", "config.toml", "--format", "json"],
        &["plan", "config.toml", "--removed", "delete"],
        &["check", "config.toml", "--format", "json"],
        &["detect", "config.toml", "--format", "json"],
    ] {
        let out = run_in(dir.path(), args, None)?;
        assert!(out.code == 0 || out.code == 1, "{args:?}: {}", out.stderr);
        assert_no_secret(&out.output(), &secrets);
    }
    // Deleted instead of commented out, the audit key shows only redacted on `-` lines.
    let out = run_in(
        dir.path(),
        &["plan", "config.toml", "--removed", "delete"],
        None,
    )?;
    assert!(
        out.stdout
            .contains("\n-[audit_key]\n-id = <redacted>\n-data = <redacted>\n")
    );
    // --show-secrets is what makes them visible.
    let out = run_in(dir.path(), &["plan", "config.toml", "--show-secrets"], None)?;
    assert!(
        out.stdout.contains("+# id = \"siem-2024\""),
        "{}",
        out.stdout
    );
    Ok(())
}

#[test]
fn apply_writes_toml_that_reads_back_and_is_final() -> TestResult {
    let dir = copied_example()?;
    let config = dir.path().join("config.toml");
    let original = fs::read_to_string(&config)?;
    let out = run_in(dir.path(), &["apply", "config.toml"], None)?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_no_secret(&out.output(), &example_secrets()?);
    assert_eq!(
        fs::read_to_string(dir.path().join("config.toml.bak"))?,
        original
    );

    let migrated_text = fs::read_to_string(&config)?;
    // Written with toml_edit's parser as the judge, not only our own reading.
    migrated_text.parse::<toml_edit::DocumentMut>()?;
    let migrated = parse(&migrated_text, Format::Toml)?;
    assert_eq!(
        string_at(&migrated, "routes[0].set_request_headers.Authorization").as_deref(),
        Some("Bearer ${pomerium.id_token}")
    );
    assert_eq!(
        string_at(&migrated, "routes[1].set_request_headers.X-Price-Format").as_deref(),
        Some("$$0.00")
    );
    assert_eq!(
        string_at(&migrated, "routes[2].set_request_headers.Authorization").as_deref(),
        Some("Bearer ${pomerium.access_token}")
    );
    assert_eq!(
        string_at(&migrated, "downstream_mtls.crl_file").as_deref(),
        Some("/etc/pomerium/device-ca.crl")
    );
    assert_eq!(
        string_at(&migrated, "certificates[0].cert").as_deref(),
        Some("certs/wildcard.northwind.example.pem")
    );
    for gone in [
        "pomerium_debug",
        "audit_key",
        "client_ca_file",
        "cookie_secure",
    ] {
        assert!(migrated.top(gone).is_none(), "{gone} is still set");
    }
    assert!(migrated_text.contains("# [audit_key]\n# id = \"siem-2024\"\n"));
    // Secrets that no step touches are written as they were.
    assert_eq!(
        string_at(&migrated, "shared_secret"),
        string_at(&parse(&original, Format::Toml)?, "shared_secret")
    );
    let key_file = fs::read_to_string(dir.path().join("certs/wildcard.northwind.example-key.pem"))?;
    assert!(key_file.starts_with("-----BEGIN PRIVATE KEY-----"));

    // Applied again without --from: its keys now need 0.32, but the Redis storage left for a
    // human says 0.23 at most, so the run starts there (the steps are idempotent past 0.23),
    // nothing changes and the Redis action is still reported, with the two actions whose
    // markers the first apply left (tracing, audit key).
    let out = run_in(dir.path(), &["apply", "config.toml"], None)?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "0.23 -> {NEWEST}: already up to date; 0 changes, 3 actions required"
        )) && out.stdout.contains(
            "at most 0.23: `databroker_storage_type` (the value `redis`) at config.toml:50:27"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(fs::read_to_string(&config)?, migrated_text);
    assert!(!dir.path().join("config.toml.bak.1").exists());

    // Again from 0.23 (after the `$` doubling): nothing changes; the actions the apply left are
    // still open: Redis (the step runs again from 0.23; its marker is not reported twice), the
    // tracing and audit-key actions through their markers in the TOML file.
    let out = run_in(
        dir.path(),
        &["check", "config.toml", "--from", "0.23", "--format", "json"],
        None,
    )?;
    let report: Json = serde_json::from_str(&out.stdout)?;
    let file = &report["files"][0];
    assert_eq!(file["format"], "toml");
    assert_eq!(file["changed"], false, "{}", out.stdout);
    let actions: Vec<&str> = file["findings"]
        .as_array()
        .ok_or("no findings")?
        .iter()
        .filter(|f| f["severity"] == "action-required")
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "v0.24/redis-storage-removed",
            "v0.29/opentelemetry",
            "v0.29/audit-key"
        ],
        "{}",
        out.stdout
    );
    assert_eq!(out.code, 1, "an action is still required");
    Ok(())
}

#[test]
fn check_exits_by_what_is_pending_in_toml() -> TestResult {
    let dir = copied_example()?;
    let out = run_in(dir.path(), &["check", "config.toml"], None)?;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains(&format!(
        "config.toml: core config (toml), 0.21 -> {NEWEST}: needs migration"
    )));

    fs::write(
        dir.path().join("current.toml"),
        "shared_secret = \"Y3VycmVudC1zaGFyZWQtc2VjcmV0\"\n\n[[routes]]\nfrom = \"https://a.example.com:443\"\nto = \"http://a\"\n\n[routes.set_request_headers]\nAuthorization = \"Bearer ${pomerium.id_token}\"\n",
    )?;
    let out = run_in(
        dir.path(),
        &["check", "current.toml", "--from", &NEWEST.to_string()],
        None,
    )?;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.output().contains("Y3VycmVudC1zaGFyZWQtc2VjcmV0"));
    Ok(())
}

#[test]
fn detect_reads_the_toml_example() -> TestResult {
    let dir = copied_example()?;
    let out = run_in(dir.path(), &["detect", "config.toml"], None)?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("config.toml: core config (toml), Pomerium 0.21 to 0.22\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("`client_crl_file` at config.toml:53:1"));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// --input-format

const SMALL_TOML: &str = "\
shared_secret = \"c21hbGwtdG9tbC1zaGFyZWQtc2VjcmV0\"
pomerium_debug = true

[[routes]]
from = \"https://a.example.com\"
to = \"http://a\"
set_authorization_header = \"id_token\"
";

#[test]
fn stdin_is_yaml_unless_input_format_says_toml() -> TestResult {
    let dir = tempfile::tempdir()?;
    let args = ["apply", "-", "--from", "0.23", "--to", "0.25"];
    let out = run_in(dir.path(), &args, Some(SMALL_TOML))?;
    // Read as YAML, the TOML text is one long string: refused, naming the option to use.
    assert_eq!(out.code, 2, "TOML read as YAML must fail: {}", out.stdout);
    assert!(
        out.stderr
            .starts_with("error: -:1:1: read as yaml, the file is a single value"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--input-format"), "{}", out.stderr);
    assert!(!out.stderr.contains("c21hbGwtdG9tbC1zaGFyZWQtc2VjcmV0"));

    let mut toml_args = args.to_vec();
    toml_args.extend(["--input-format", "toml"]);
    let out = run_in(dir.path(), &toml_args, Some(SMALL_TOML))?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The result goes to stdout (as TOML), the report to stderr.
    let result = parse(&out.stdout, Format::Toml)?;
    assert_eq!(
        string_at(&result, "routes[0].set_request_headers.Authorization").as_deref(),
        Some("Bearer ${pomerium.id_token}")
    );
    assert!(out.stdout.contains("# pomerium_debug = true\n"));
    assert!(
        out.stderr
            .contains("-: core config (toml), 0.23 -> 0.25: migrated"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("c21hbGwtdG9tbC1zaGFyZWQtc2VjcmV0"));
    Ok(())
}

#[test]
fn input_format_overrides_the_extension_of_every_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("a.conf"), SMALL_TOML)?;
    fs::write(dir.path().join("b.yaml"), SMALL_TOML)?;
    // By extension, `.conf` and `.yaml` are YAML, and this text is not.
    let out = run_in(dir.path(), &["plan", "a.conf", "--from", "0.23"], None)?;
    assert_eq!(out.code, 2, "{}", out.stdout);
    let out = run_in(
        dir.path(),
        &[
            "plan",
            "a.conf",
            "b.yaml",
            "--from",
            "0.23",
            "--input-format",
            "toml",
        ],
        None,
    )?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    for name in ["a.conf", "b.yaml"] {
        assert!(
            out.stdout.contains(&format!(
                "{name}: core config (toml), 0.23 -> {NEWEST}: would change"
            )),
            "{}",
            out.stdout
        );
    }
    assert!(
        out.stdout
            .contains("+# set_authorization_header = \"id_token\"\n")
    );

    // JSON under another name, and YAML in a file named .toml.
    fs::write(
        dir.path().join("c.txt"),
        "{\"routes\": [{\"from\": \"https://c\", \"to\": \"http://c\", \"set_authorization_header\": \"id_token\"}]}\n",
    )?;
    fs::write(dir.path().join("d.toml"), "pomerium_debug: true\n")?;
    let out = run_in(
        dir.path(),
        &["detect", "c.txt", "--input-format", "json"],
        None,
    )?;
    assert!(
        out.stdout.starts_with("c.txt: core config (json)"),
        "{}",
        out.stdout
    );
    let out = run_in(
        dir.path(),
        &["plan", "d.toml", "--from", "0.24", "--input-format", "yaml"],
        None,
    )?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("+# pomerium_debug: true\n"),
        "{}",
        out.stdout
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JSON

const JSON_CONFIG: &str = r#"{
  "authenticate_service_url": "https://authenticate.example.com",
  "shared_secret": "anNvbi1zaGFyZWQtc2VjcmV0LXZhbHVl",
  "cookie_secret": "anNvbi1jb29raWUtc2VjcmV0LXZhbHVl",
  "idp_provider": "google",
  "idp_client_secret": "anNvbi1jbGllbnQtc2VjcmV0",
  "idp_service_account": "anNvbi1zZXJ2aWNlLWFjY291bnQtdmFsdWU=",
  "idp_refresh_directory_timeout": "1m",
  "databroker_storage_connection_string": "postgres://pomerium:anNvbi1kYi1wYXNzd29yZA@db:5432/pomerium",
  "routes": [
    {
      "from": "https://a.example.com",
      "to": "http://a",
      "kubernetes_service_account_token": "anNvbi1rOHMtdG9rZW4tdmFsdWU="
    }
  ]
}
"#;

#[test]
fn json_deletions_and_values_hide_their_secrets() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("config.json"), JSON_CONFIG)?;
    let secrets = secrets_of(&parse(JSON_CONFIG, Format::Json)?);
    for args in [
        &["plan", "config.json", "--from", "0.19"][..],
        &[
            "plan",
            "config.json",
            "--from",
            "0.19",
            "--per-step",
            "--format",
            "json",
        ],
        &["check", "config.json", "--from", "0.19"],
    ] {
        let out = run_in(dir.path(), args, None)?;
        assert!(out.code == 0 || out.code == 1, "{args:?}: {}", out.stderr);
        assert_no_secret(&out.output(), &secrets);
    }
    let out = run_in(dir.path(), &["plan", "config.json", "--from", "0.19"], None)?;
    // JSON cannot hold comments: the removed service account is deleted, shown redacted.
    assert!(
        out.stdout
            .lines()
            .any(|l| l == "-  \"idp_service_account\": <redacted>,"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("`idp_service_account` removed"),
        "{}",
        out.stdout
    );

    let out = run_in(
        dir.path(),
        &["plan", "config.json", "--from", "0.19", "--show-secrets"],
        None,
    )?;
    assert!(
        out.stdout
            .contains("-  \"idp_service_account\": \"anNvbi1zZXJ2aWNlLWFjY291bnQtdmFsdWU=\","),
        "{}",
        out.stdout
    );

    let out = run_in(
        dir.path(),
        &["apply", "config.json", "--from", "0.19"],
        None,
    )?;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_no_secret(&out.output(), &secrets);
    let migrated: Json =
        serde_json::from_str(&fs::read_to_string(dir.path().join("config.json"))?)?;
    assert!(migrated.get("idp_service_account").is_none());
    assert_eq!(
        migrated["shared_secret"],
        "anNvbi1zaGFyZWQtc2VjcmV0LXZhbHVl"
    );
    Ok(())
}

#[test]
fn help_names_the_formats_and_input_format() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = run_in(dir.path(), &["--help"], None)?;
    // Compared with the help's line wrapping undone.
    let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("in YAML, JSON or TOML"), "{}", out.stdout);
    assert!(
        words.contains("unless --input-format names it"),
        "{}",
        out.stdout
    );
    for command in ["plan", "apply", "check", "detect"] {
        let out = run_in(dir.path(), &[command, "--help"], None)?;
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("--input-format <FORMAT>"), "{command}");
        let words = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("toml: TOML"), "{command}");
        assert!(words.contains("dotenv: `NAME=value` lines"), "{command}");
    }
    Ok(())
}
