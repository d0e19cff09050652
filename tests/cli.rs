//! The commands end to end.
//!
//! Two layers:
//! * `binary::…` runs the real `pomerium-migrate` binary with the real chain of steps
//!   (`migrations::STEPS`): arguments, exit codes, stdin/stdout, help. These hold whatever steps
//!   the registry has; add fixtures to `REAL_CHAIN_CASES` as steps arrive.
//! * `chain::…` drives the same command code in process with a small test chain of steps (below),
//!   so that changes, findings, created files, backups and failures can be tested precisely
//!   whatever the registry holds.

use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser as _;
use pomerium_migrate::cli::{self, Cli, Streams};
use pomerium_migrate::document::Value;
use pomerium_migrate::migrations::NEWEST;
use pomerium_migrate::step::{CreatedFile, Scope, Step, StepContext};
use pomerium_migrate::version::Version;

mod common;

use common::{TestResult, s};

// ---------------------------------------------------------------------------------------------
// The test chain.

/// v0.21: comments out (or deletes) `pomerium_debug` and `idp_service_account`.
fn remove_options(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    for key in ["pomerium_debug", "idp_service_account"] {
        if let Some(entry) = doc.top(key) {
            let location = doc.entry_location(entry.id);
            cx.remove(entry.id, &format!("{key} was removed"));
            cx.changed(Some(location), format!("removed `{key}`"));
        }
    }
}

pomerium_migrate::step! {
    /// Removes options.
    ///
    /// Before: `pomerium_debug: true`; after: commented out.
    static REMOVE = Step {
        version: Version::new(0, 21), id: "remove-options", title: "Remove dead options",
        scope: Scope::Core, handles: &["pomerium_debug", "idp_service_account"],
        link: "https://example.com/remove", run: remove_options,
    };
}

/// v0.22: renames `old_option` to `new_option`, reporting at `old_option`.
fn rename_old_option(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    if let Some(entry) = doc.top("old_option") {
        let location = doc.entry_location(entry.id);
        cx.rename(&entry, "new_option");
        cx.changed(Some(location), "renamed `old_option` to `new_option`");
    }
}

pomerium_migrate::step! {
    /// Renames old_option.
    static RENAME = Step {
        version: Version::new(0, 22), id: "rename-old-option", title: "Rename old_option",
        scope: Scope::Core, handles: &["old_option"], link: "https://example.com/rename",
        run: rename_old_option,
    };
}

/// v0.23: inserts a duplicate key when `trigger_conflict` is present (the engine refuses).
fn conflict(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    if let (Some(root), Some(_)) = (doc.root(), doc.top("trigger_conflict")) {
        cx.insert(root, None, "trigger_conflict", Value::Null);
    }
}

pomerium_migrate::step! {
    /// Refuses.
    static CONFLICT = Step {
        version: Version::new(0, 23), id: "conflict", title: "Provoke a refusal",
        scope: Scope::Core, handles: &[], link: "", run: conflict,
    };
}

/// v0.24: writes `cert_pem` data to `certs/test-key.pem` (mode 0600) and points to it.
fn write_cert(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(entry) = doc.top("cert_pem") else {
        return;
    };
    let Some(data) = doc.str(entry.value) else {
        return;
    };
    if data.ends_with(".pem") {
        return;
    }
    let dir = match (&cx.options.certs_dir, cx.config_path) {
        (Some(dir), _) => dir.clone(),
        (None, Some(config)) => config
            .parent()
            .map_or_else(|| PathBuf::from("certs"), |p| p.join("certs")),
        (None, None) => PathBuf::from("certs"),
    };
    let path = dir.join("test-key.pem");
    let location = doc.location(entry.value);
    cx.create_file(CreatedFile {
        path: path.clone(),
        mode: 0o600,
        contents: data.as_bytes().to_vec(),
    });
    cx.set_scalar(entry.value, Value::String(path.display().to_string()));
    cx.changed(Some(location), "moved the key data to a file");
}

pomerium_migrate::step! {
    /// Writes a file.
    static WRITE_CERT = Step {
        version: Version::new(0, 24), id: "write-cert", title: "Write key data to a file",
        scope: Scope::Core, handles: &["cert_pem"], link: "", run: write_cert,
    };
}

/// v0.25 (console): `license-key` from `--set` (else action) and `signing-key` from the core
/// config of the same run.
fn console_keys(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    if doc.get_any(root, &["license-key", "license_key"]).is_none() {
        match cx.setting("license-key").map(str::to_owned) {
            Some(key) => {
                cx.insert(root, None, "license-key", Value::String(key));
                cx.changed(None, "added `license-key` from --set");
            }
            None => cx.action(None, "set `license-key`: give it with --set license-key=…"),
        }
    }
    if doc.get_any(root, &["signing-key", "signing_key"]).is_none() {
        let from_core = cx
            .core
            .and_then(|core| core.get("signing_key"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match from_core {
            Some(key) => {
                cx.insert(root, None, "signing-key", Value::String(key));
                cx.changed(None, "added `signing-key` from the core config");
            }
            None => cx.action(None, "set `signing-key` to Core's signing_key"),
        }
    }
}

pomerium_migrate::step! {
    /// Console keys.
    static CONSOLE = Step {
        settings: &["license-key"],
        version: Version::new(0, 25), id: "console-keys", title: "Console keys",
        scope: Scope::Console, handles: &["license-key", "signing-key"], link: "",
        run: console_keys,
    };
}

static CHAIN: &[&Step] = &[&REMOVE, &RENAME, &CONFLICT, &WRITE_CERT, &CONSOLE];

// ---------------------------------------------------------------------------------------------
// Helpers.

struct Outcome {
    code: u8,
    stdout: String,
    stderr: String,
}

fn run_chain(args: &[&str], stdin: &str) -> Outcome {
    run_chain_hooked(args, stdin, None)
}

fn run_chain_hooked(args: &[&str], stdin: &str, mut hook: Option<&mut dyn FnMut()>) -> Outcome {
    let mut input = stdin.as_bytes();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let argv = std::iter::once("pomerium-migrate").chain(args.iter().copied());
    let code = match Cli::try_parse_from(argv) {
        Ok(cli) => {
            let result = {
                let mut streams = Streams {
                    stdin: &mut input,
                    stdout: &mut stdout,
                    stderr: &mut stderr,
                    auto_color: false,
                    auto_color_stderr: false,
                    before_write_check: hook.as_mut().map(|h| &mut **h as &mut dyn FnMut()),
                    process_exits: false,
                };
                cli::execute_with(cli, CHAIN, &mut streams)
            };
            match result {
                Ok(code) => code,
                Err(e) => {
                    stderr.extend_from_slice(format!("error: {e}\n").as_bytes());
                    e.exit_code()
                }
            }
        }
        Err(e) => {
            stderr.extend_from_slice(e.to_string().as_bytes());
            2
        }
    };
    Outcome {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Every file under `dir` with its content, to prove that nothing changed.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push((path.clone(), None));
                stack.push(path);
            } else {
                out.push((path.clone(), fs::read(&path).ok()));
            }
        }
    }
    out.sort();
    out
}

const CORE: &str = "\
# Core config
shared_secret: c2hhcmVkLXNlY3JldC12YWx1ZQ==
pomerium_debug: true
old_option: 1   # keep me
idp_service_account: ZXhhbXBsZS1zZXJ2aWNlLWFjY291bnQ=
signing_key: c2lnbmluZy1rZXktdmFsdWU=
";

const CORE_MIGRATED: &str = "\
# Core config
shared_secret: c2hhcmVkLXNlY3JldC12YWx1ZQ==
# pomerium-migrate v0.21: pomerium_debug was removed
# pomerium_debug: true
new_option: 1   # keep me
# pomerium-migrate v0.21: idp_service_account was removed
# idp_service_account: ZXhhbXBsZS1zZXJ2aWNlLWFjY291bnQ=
signing_key: c2lnbmluZy1rZXktdmFsdWU=
";

const SECRETS: &[&str] = &[
    "c2hhcmVkLXNlY3JldC12YWx1ZQ==",
    "ZXhhbXBsZS1zZXJ2aWNlLWFjY291bnQ=",
    "c2lnbmluZy1rZXktdmFsdWU=",
    "TICKET-license-value",
];

fn core_file(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join("config.yaml");
    fs::write(&path, CORE)?;
    Ok(path)
}

// ---------------------------------------------------------------------------------------------

mod chain {
    use super::*;

    #[test]
    fn plan_shows_diff_and_report_and_writes_nothing() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let before = snapshot(dir.path());
        let out = run_chain(
            &["plan", s(&path), "--from", "0.20", "--color", "never"],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(snapshot(dir.path()), before);
        let label = s(&path).trim_start_matches('/');
        assert!(
            out.stdout
                .starts_with(&format!("--- a/{label}\n+++ b/{label}\n@@ "))
        );
        assert!(
            out.stdout.contains("\n-old_option: 1   # keep me\n")
                && out.stdout.contains("\n+new_option: 1   # keep me\n")
                && out.stdout.contains("\n+# pomerium_debug: true\n"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains(&format!(
            "{}: core config (yaml), 0.20 -> {NEWEST}: would change; 3 changes, 0 actions required, 1 note\n",
            s(&path)
        )));
        // Locations are in the input, although the rename ran after lines were inserted.
        assert!(out.stdout.contains(&format!(
            "{}:4:1  changed          v0.22/rename-old-option  renamed `old_option` to `new_option`\n    see https://example.com/rename\n",
            s(&path)
        )), "{}", out.stdout);
        assert!(out.stdout.contains(&format!("{}:3:1  changed", s(&path))));
        assert!(!out.stdout.contains('\x1b'));
        Ok(())
    }

    #[test]
    fn secrets_never_appear_without_show_secrets() -> TestResult {
        let dir = tempfile::tempdir()?;
        let core = core_file(dir.path())?;
        let console = dir.path().join("console.yaml");
        fs::write(
            &console,
            "database-url: postgres://u:pw@db/console\nbind-addr: :8701\n",
        )?;
        for format in ["text", "json"] {
            let out = run_chain(
                &[
                    "plan",
                    s(&core),
                    s(&console),
                    "--from",
                    "0.20",
                    "--format",
                    format,
                    "--set",
                    "license-key=TICKET-license-value",
                    "--per-step",
                ],
                "",
            );
            assert_eq!(out.code, 0, "{}", out.stderr);
            for secret in SECRETS.iter().chain(&["pw@db"]) {
                assert!(!out.stdout.contains(secret), "{format}: {secret} shown");
            }
            assert!(out.stdout.contains("<redacted>"));
        }
        let out = run_chain(&["plan", s(&core), "--from", "0.20", "--show-secrets"], "");
        assert!(
            out.stdout
                .contains("+# idp_service_account: ZXhhbXBsZS1zZXJ2aWNlLWFjY291bnQ=")
        );
        Ok(())
    }

    #[test]
    fn per_step_shows_one_diff_per_changing_step() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let out = run_chain(&["plan", s(&path), "--from", "0.20", "--per-step"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        let remove = out
            .stdout
            .find("# v0.21/remove-options: Remove dead options\n--- a/");
        let rename = out
            .stdout
            .find("# v0.22/rename-old-option: Rename old_option\n--- a/");
        assert!(remove.is_some() && rename.is_some(), "{}", out.stdout);
        assert!(remove < rename);
        assert_eq!(out.stdout.matches("+++ b/").count(), 2);
        // The rename step's diff starts from the output of the removal step.
        let rename_part = &out.stdout[rename.unwrap_or(0)..];
        assert!(
            rename_part.contains(" # pomerium_debug: true\n-old_option: 1"),
            "{rename_part}"
        );
        Ok(())
    }

    #[test]
    fn json_report_has_the_documented_shape() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        fs::write(&path, format!("{CORE}cert_pem: PEMDATA\n"))?;
        let out = run_chain(
            &["plan", s(&path), "--from", "0.20", "--format", "json"],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout)?;
        assert_eq!(v["schema"], 2);
        assert_eq!(v["command"], "plan");
        let file = &v["files"][0];
        assert_eq!(file["path"], s(&path));
        assert_eq!(file["kind"], "core");
        assert_eq!(file["format"], "yaml");
        assert_eq!(file["from"], "0.20");
        assert_eq!(file["to"], NEWEST.to_string());
        assert!(file["inferred"].is_null(), "--from was given");
        assert_eq!(file["changed"], true);
        let ids: Vec<&str> = file["findings"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["id"].as_str()).collect())
            .unwrap_or_default();
        let unknown_key = format!("v{NEWEST}/unknown-key");
        assert_eq!(
            ids,
            [
                "v0.21/remove-options",
                "v0.21/remove-options",
                "v0.22/rename-old-option",
                "v0.24/write-cert",
                // The test chain's `new_option` is no Pomerium key.
                unknown_key.as_str()
            ]
        );
        let created = &file["created"][0];
        assert_eq!(created["path"], s(&dir.path().join("certs/test-key.pem")));
        assert_eq!(created["mode"], "0600");
        assert_eq!(created["size"], 7);
        assert!(created.get("contents").is_none());
        assert!(
            file["diff"]
                .as_str()
                .is_some_and(|d| d.contains("+new_option: 1"))
        );
        assert!(file["written"].is_null());
        assert_eq!(v["summary"]["changed"], 4);
        assert_eq!(v["pending"], true);
        assert!(!dir.path().join("certs").exists(), "plan created a file");
        Ok(())
    }

    #[test]
    fn apply_writes_backup_and_a_second_apply_changes_nothing() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let out = run_chain(&["apply", s(&path), "--from", "0.20"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(fs::read_to_string(&path)?, CORE_MIGRATED);
        let backup = dir.path().join("config.yaml.bak");
        assert_eq!(fs::read_to_string(&backup)?, CORE);
        assert!(
            out.stdout
                .contains(&format!("  wrote {} (backup: {})", s(&path), s(&backup)))
        );
        let after_first = snapshot(dir.path());

        // Only keys both kinds read are left: the kind must be given now.
        let again = run_chain(&["apply", s(&path), "--from", "0.20"], "");
        assert_eq!(again.code, 2, "{}", again.stderr);
        let again = run_chain(&["apply", s(&path), "--from", "0.20", "--kind", "core"], "");
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert_eq!(snapshot(dir.path()), after_first);
        assert!(again.stdout.contains("already up to date"));

        let check = run_chain(&["check", s(&path), "--from", "0.20", "--kind", "core"], "");
        assert_eq!(check.code, 0, "{}", check.stdout);
        Ok(())
    }

    #[test]
    fn backups_are_numbered_and_never_overwritten() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        for _ in 0..3 {
            fs::write(&path, CORE)?;
            let out = run_chain(&["apply", s(&path), "--from", "0.20"], "");
            assert_eq!(out.code, 0, "{}", out.stderr);
        }
        for name in ["config.yaml.bak", "config.yaml.bak.1", "config.yaml.bak.2"] {
            assert_eq!(fs::read_to_string(dir.path().join(name))?, CORE, "{name}");
        }
        fs::write(&path, CORE)?;
        let out = run_chain(&["apply", s(&path), "--from", "0.20", "--backup=.orig"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            fs::read_to_string(dir.path().join("config.yaml.orig"))?,
            CORE
        );
        fs::write(&path, CORE)?;
        let before = snapshot(dir.path()).len();
        let out = run_chain(&["apply", s(&path), "--from", "0.20", "--no-backup"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(snapshot(dir.path()).len(), before);
        Ok(())
    }

    #[test]
    fn check_exits_1_for_pending_changes_or_actions() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let before = snapshot(dir.path());
        let out = run_chain(&["check", s(&path), "--from", "0.20"], "");
        assert_eq!(out.code, 1);
        assert!(out.stdout.contains("needs migration"));
        assert!(!out.stdout.contains("--- a/"), "check prints no diff");
        assert_eq!(snapshot(dir.path()), before);

        // Nothing to rewrite, but a finding needs action.
        let console = dir.path().join("console.yaml");
        fs::write(&console, "license-key: x\ndatabase-url: postgres://db\n")?;
        let out = run_chain(&["check", s(&console), "--from", "0.24"], "");
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert!(out.stdout.contains("action-required  v0.25/console-keys"));

        // From 0.25 the test chain has nothing to do, but validation at the target does not
        // depend on --from: the newest Pomerium refuses to start with `idp_service_account`.
        let out = run_chain(&["check", s(&path), "--from", "0.25"], "");
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert!(
            out.stdout
                .contains(&format!("action-required  v{NEWEST}/refused-key"))
        );
        Ok(())
    }

    #[test]
    fn stdin_is_migrated_to_stdout_with_the_report_on_stderr() {
        let out = run_chain(&["apply", "-", "--from", "0.20", "--no-backup"], CORE);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, CORE_MIGRATED);
        assert!(
            out.stderr.contains("-: core config (yaml)"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("  wrote -"));

        let plan = run_chain(&["plan", "-", "--from", "0.20"], CORE);
        assert_eq!(plan.code, 0);
        assert!(plan.stdout.starts_with("--- a/stdin\n+++ b/stdin\n"));

        let twice = run_chain(&["plan", "-", "-", "--from", "0.20"], CORE);
        assert_eq!(twice.code, 2);
        assert!(twice.stderr.contains("stdin (-) can be given only once"));
    }

    #[test]
    fn output_option_writes_elsewhere_and_leaves_the_input() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let target = dir.path().join("out.yaml");
        let out = run_chain(&["apply", s(&path), "--from", "0.20", "-o", s(&target)], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(fs::read_to_string(&path)?, CORE);
        assert_eq!(fs::read_to_string(&target)?, CORE_MIGRATED);
        assert!(!dir.path().join("config.yaml.bak").exists());

        let to_stdout = run_chain(&["apply", s(&path), "--from", "0.20", "-o", "-"], "");
        assert_eq!(to_stdout.stdout, CORE_MIGRATED);
        assert_eq!(fs::read_to_string(&path)?, CORE);

        let two = run_chain(
            &[
                "apply",
                s(&path),
                s(&path),
                "--from",
                "0.20",
                "-o",
                s(&target),
            ],
            "",
        );
        assert_eq!(two.code, 2);
        assert!(two.stderr.contains("-o/--output takes one input file"));
        Ok(())
    }

    #[test]
    fn files_created_for_an_output_elsewhere_go_beside_the_output() -> TestResult {
        let dir = tempfile::tempdir()?;
        let input = dir.path().join("in/config.yaml");
        let output = dir.path().join("out/config.yaml");
        fs::create_dir_all(dir.path().join("in"))?;
        fs::create_dir_all(dir.path().join("out"))?;
        fs::write(&input, "cert_pem: PEMDATA\nroutes: []\n")?;
        let out = run_chain(
            &["apply", s(&input), "--from", "0.23", "-o", s(&output)],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let key = dir.path().join("out/certs/test-key.pem");
        assert_eq!(fs::read_to_string(&key)?, "PEMDATA");
        assert_eq!(
            fs::read_to_string(&output)?,
            format!("cert_pem: {}\nroutes: []\n", s(&key))
        );
        assert!(
            !dir.path().join("in/certs").exists(),
            "certs beside the input"
        );
        assert_eq!(
            fs::read_to_string(&input)?,
            "cert_pem: PEMDATA\nroutes: []\n"
        );
        Ok(())
    }

    #[test]
    fn removed_delete_deletes_instead_of_commenting() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let out = run_chain(
            &["apply", s(&path), "--from", "0.20", "--removed", "delete"],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let text = fs::read_to_string(&path)?;
        assert!(!text.contains("pomerium_debug"));
        assert!(!text.contains("idp_service_account"));
        assert!(text.contains("new_option: 1"));
        Ok(())
    }

    #[test]
    fn created_files_are_written_with_their_mode_before_the_config() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(&path, "cert_pem: PEMDATA\nroutes: []\n")?;
        let out = run_chain(&["apply", s(&path), "--from", "0.23"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        let key = dir.path().join("certs/test-key.pem");
        assert_eq!(fs::read_to_string(&key)?, "PEMDATA");
        assert_eq!(
            fs::read_to_string(&path)?,
            format!("cert_pem: {}\nroutes: []\n", s(&key))
        );
        assert!(
            out.stdout
                .contains(&format!("  created {} (mode 0600, 7 bytes)", s(&key)))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&key)?.permissions().mode() & 0o777, 0o600);
        }

        // An existing file with other content is never overwritten: plan warns, apply exits 3
        // and writes nothing.
        fs::write(&path, "cert_pem: PEMDATA\nroutes: []\n")?;
        fs::write(&key, "OTHER")?;
        let before = snapshot(dir.path());
        let plan = run_chain(&["plan", s(&path), "--from", "0.23"], "");
        assert!(
            plan.stdout.contains("a different file exists there"),
            "{}",
            plan.stdout
        );
        let json = run_chain(
            &["plan", s(&path), "--from", "0.23", "--format", "json"],
            "",
        );
        let v: serde_json::Value = serde_json::from_str(&json.stdout)?;
        assert_eq!(v["files"][0]["created"][0]["blocked"], true);
        let out = run_chain(&["apply", s(&path), "--from", "0.23"], "");
        assert_eq!(out.code, 3, "{}", out.stderr);
        assert!(out.stderr.contains("a different file already exists there"));
        assert_eq!(snapshot(dir.path()), before);

        // --certs-dir
        fs::write(&path, "cert_pem: PEMDATA\nroutes: []\n")?;
        let elsewhere = dir.path().join("tls");
        let out = run_chain(
            &[
                "apply",
                s(&path),
                "--from",
                "0.23",
                "--certs-dir",
                s(&elsewhere),
            ],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            fs::read_to_string(elsewhere.join("test-key.pem"))?,
            "PEMDATA"
        );
        Ok(())
    }

    #[test]
    fn a_refused_step_exits_3_and_writes_nothing() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(&path, "pomerium_debug: true\ntrigger_conflict: 1\n")?;
        let before = snapshot(dir.path());
        let out = run_chain(&["apply", s(&path), "--from", "0.20"], "");
        assert_eq!(out.code, 3, "{}", out.stderr);
        // The refusal points into the input, not into the text after the earlier steps.
        assert!(
            out.stderr.contains(&format!("{}:2:", s(&path))),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("v0.23/conflict"), "{}", out.stderr);
        assert!(out.stderr.contains("nothing was written"));
        assert_eq!(snapshot(dir.path()), before);
        Ok(())
    }

    #[test]
    fn a_file_changed_between_read_and_write_is_left_alone() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(&path, format!("{CORE}cert_pem: PEMDATA\n"))?;
        let edited = "# edited by someone else meanwhile\n";
        let mut hook = || {
            let _ = fs::write(dir.path().join("config.yaml"), edited);
        };
        let out = run_chain_hooked(&["apply", s(&path), "--from", "0.20"], "", Some(&mut hook));
        assert_eq!(out.code, 3, "{}", out.stderr);
        assert!(out.stderr.contains("the file changed since it was read"));
        assert_eq!(fs::read_to_string(&path)?, edited);
        let names: Vec<_> = snapshot(dir.path()).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            names,
            vec![path.clone()],
            "no backup, no certs, no temporary files"
        );
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_write_leaves_every_file_and_the_certs_directory_as_they_were() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(&path, "cert_pem: PEMDATA\nold_option: 1\nroutes: []\n")?;

        // The output directory cannot hold files (its path runs through a regular file): this
        // fails even for root.
        let blocker = dir.path().join("not-a-dir");
        fs::write(&blocker, "")?;
        let before = snapshot(dir.path());
        let target = blocker.join("out.yaml");
        let out = run_chain(&["apply", s(&path), "--from", "0.20", "-o", s(&target)], "");
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains("not-a-dir is not a directory"),
            "{}",
            out.stderr
        );
        assert_eq!(snapshot(dir.path()), before);

        // A read-only directory holding the config; the certificate would go elsewhere.
        let ro = dir.path().join("ro");
        fs::create_dir(&ro)?;
        let config = ro.join("config.yaml");
        fs::write(&config, "cert_pem: PEMDATA\nroutes: []\n")?;
        let certs = dir.path().join("certs-out");
        let before = snapshot(dir.path());
        let out = {
            let Some(_guard) = ReadOnlyDir::new(&ro) else {
                return Ok(()); // no way to make a directory read-only here
            };
            run_chain(
                &[
                    "apply",
                    s(&config),
                    "--from",
                    "0.20",
                    "--certs-dir",
                    s(&certs),
                ],
                "",
            )
        };
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
        assert_eq!(snapshot(dir.path()), before);
        assert!(!certs.exists());
        Ok(())
    }

    /// Makes a directory read-only for the duration of a test: by permissions, or, where they
    /// do not apply (root), with the immutable attribute.
    #[cfg(unix)]
    struct ReadOnlyDir {
        path: PathBuf,
        immutable: bool,
    }

    #[cfg(unix)]
    impl ReadOnlyDir {
        fn new(path: &Path) -> Option<ReadOnlyDir> {
            use std::os::unix::fs::PermissionsExt;
            let writable = |p: &Path| {
                let probe = p.join(".probe");
                let ok = fs::write(&probe, "").is_ok();
                let _ = fs::remove_file(&probe);
                ok
            };
            fs::set_permissions(path, fs::Permissions::from_mode(0o555)).ok()?;
            let mut guard = ReadOnlyDir {
                path: path.to_owned(),
                immutable: false,
            };
            if !writable(path) {
                return Some(guard);
            }
            guard.immutable = std::process::Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            if guard.immutable && !writable(path) {
                return Some(guard);
            }
            None // dropping the guard restores the directory
        }
    }

    #[cfg(unix)]
    impl Drop for ReadOnlyDir {
        fn drop(&mut self) {
            use std::os::unix::fs::PermissionsExt;
            if self.immutable {
                let _ = std::process::Command::new("chattr")
                    .arg("-i")
                    .arg(&self.path)
                    .status();
            }
            let _ = fs::set_permissions(&self.path, fs::Permissions::from_mode(0o755));
        }
    }

    #[test]
    fn console_steps_take_values_from_the_core_config_of_the_same_run() -> TestResult {
        let dir = tempfile::tempdir()?;
        let core = core_file(dir.path())?;
        let console = dir.path().join("console.yaml");
        fs::write(&console, "database-url: postgres://db\nlicense-key: x\n")?;

        // Console given first: the core config still runs first and feeds it.
        let out = run_chain(
            &[
                "apply",
                s(&console),
                s(&core),
                "--from",
                "0.24",
                "--no-backup",
            ],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            fs::read_to_string(&console)?,
            "database-url: postgres://db\nlicense-key: x\nsigning-key: c2lnbmluZy1rZXktdmFsdWU=\n"
        );
        let console_at = out.stdout.find(&format!("{}: console config", s(&console)));
        let core_at = out.stdout.find(&format!("{}: core config", s(&core)));
        assert!(console_at < core_at, "report keeps the order given");

        // Without the core config: action required.
        fs::write(&console, "database-url: postgres://db\nlicense-key: x\n")?;
        let out = run_chain(&["plan", s(&console), "--from", "0.24"], "");
        assert!(
            out.stdout
                .contains("action-required  v0.25/console-keys  set `signing-key`")
        );
        Ok(())
    }

    #[test]
    fn kind_is_detected_or_forced() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("console.yaml");
        fs::write(&path, "audience: console.example.com\nlicense_key: k\n")?;
        let auto = run_chain(
            &["plan", s(&path), "--from", "0.20", "--format", "json"],
            "",
        );
        let v: serde_json::Value = serde_json::from_str(&auto.stdout)?;
        assert_eq!(v["files"][0]["kind"], "console");
        assert_eq!(v["files"][0]["changed"], false);
        assert_eq!(v["files"][0]["warnings"], serde_json::json!([]));

        // Keys of both kinds: refused without --kind, naming the keys of each side.
        fs::write(
            &path,
            "audience: console.example.com\npomerium_debug: true\n",
        )?;
        let auto = run_chain(&["plan", s(&path), "--from", "0.20"], "");
        assert_eq!(auto.code, 2, "{}", auto.stderr);
        assert!(
            auto.stderr.contains(&format!(
                "only Core reads `pomerium_debug` at {}:2:1; only the Console reads `audience` \
                 at {}:1:1; say which with --kind core or --kind console",
                s(&path),
                s(&path)
            )),
            "{}",
            auto.stderr
        );
        let forced = run_chain(
            &[
                "plan",
                s(&path),
                "--from",
                "0.20",
                "--kind",
                "core",
                "--format",
                "json",
            ],
            "",
        );
        let v: serde_json::Value = serde_json::from_str(&forced.stdout)?;
        assert_eq!(v["files"][0]["kind"], "core");
        assert_eq!(v["files"][0]["changed"], true);
        // The key only the Console reads is worth a warning.
        assert_eq!(
            v["files"][0]["warnings"][0],
            format!(
                "--kind core, but only the Console reads `audience` at {}:1:1",
                s(&path)
            )
        );
        Ok(())
    }

    #[test]
    fn the_same_file_twice_is_a_usage_error() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let other_spelling = dir.path().join(".").join("config.yaml");
        let before = snapshot(dir.path());
        let out = run_chain(
            &["apply", s(&path), s(&other_spelling), "--from", "0.20"],
            "",
        );
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("the same file is given twice"));
        assert_eq!(snapshot(dir.path()), before);
        Ok(())
    }

    #[test]
    fn a_console_config_takes_values_only_from_a_single_core_config() -> TestResult {
        let dir = tempfile::tempdir()?;
        let a = core_file(dir.path())?;
        let b = dir.path().join("b.yaml");
        fs::write(&b, "old_option: 2\nroutes: []\n")?;
        let console = dir.path().join("console.yaml");
        fs::write(&console, "license-key: x\n")?;
        // Two Core configs beside it: neither is taken (values come from --set, else an
        // action), and the run goes on.
        let out = run_chain(
            &["plan", "-v", s(&a), s(&b), s(&console), "--from", "0.20"],
            "",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stderr.contains("takes values from"), "{}", out.stderr);
        // One Core config beside it: taken.
        let out = run_chain(&["plan", "-v", s(&a), s(&console), "--from", "0.20"], "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "takes values from the Core config {}",
                a.display()
            )),
            "{}",
            out.stderr
        );
        Ok(())
    }

    #[test]
    fn list_and_explain_use_the_chain() {
        let out = run_chain(&["list"], "");
        assert_eq!(out.code, 0);
        let first: Vec<&str> = out
            .stdout
            .lines()
            .next()
            .map(|l| l.split_whitespace().collect())
            .unwrap_or_default();
        assert_eq!(
            first,
            [
                "v0.21",
                "remove-options",
                "core",
                "Remove",
                "dead",
                "options"
            ]
        );
        // Columns line up.
        let title_columns: Vec<Option<usize>> = out
            .stdout
            .lines()
            .map(|l| l.find(" core ").or(l.find(" console ")))
            .collect();
        assert!(
            title_columns.windows(2).all(|w| w[0] == w[1]),
            "{}",
            out.stdout
        );
        assert_eq!(out.stdout.lines().count(), 5);
        let out = run_chain(&["list", "--from", "0.22", "--to", "0.24"], "");
        let ids: Vec<_> = out
            .stdout
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .collect();
        assert_eq!(ids, ["conflict", "write-cert"]);
        let out = run_chain(&["list", "--format", "json"], "");
        assert!(out.stdout.contains("\"id\": \"v0.25/console-keys\""));

        for target in ["remove-options", "v0.21/remove-options", "0.21", "v0.21.3"] {
            let out = run_chain(&["explain", target], "");
            assert_eq!(out.code, 0, "{target}");
            assert_eq!(
                out.stdout,
                "v0.21/remove-options: Remove dead options (core config)\nhttps://example.com/remove\n\nRemoves options.\n\nBefore: `pomerium_debug: true`; after: commented out.\n",
                "{target}"
            );
        }
        let out = run_chain(&["explain", "no-such-step"], "");
        assert_eq!(out.code, 2);
        let out = run_chain(&["explain", "0.19"], "");
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("no migration step"));
        let out = run_chain(&["explain", "0.99"], "");
        assert_eq!(out.code, 2);
    }

    #[test]
    fn colour_is_used_only_when_asked() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = core_file(dir.path())?;
        let out = run_chain(
            &["plan", s(&path), "--from", "0.20", "--color", "always"],
            "",
        );
        assert!(out.stdout.contains("\x1b[32m+new_option"));
        assert!(out.stdout.contains("\x1b[32mchanged"));
        let out = run_chain(&["plan", s(&path), "--from", "0.20"], "");
        assert!(!out.stdout.contains('\x1b'), "auto on a non-terminal");
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

mod binary {
    use super::*;
    use predicates::prelude::*;

    use super::common::bin as cmd;

    /// A small core config; migrate it with `--from` (whatever steps the registry has).
    const SAMPLE: &str = "\
# Pomerium
authenticate_service_url: https://authenticate.example.com
shared_secret: c2FtcGxlLXNoYXJlZC1zZWNyZXQtdmFsdWU=
routes:
  - from: https://app.example.com
    to: http://app:8080
    allowed_users: [alice@example.com]
";

    /// Configs run through the real chain: (config text, --from). Add cases as steps arrive.
    const REAL_CHAIN_CASES: &[(&str, &str)] = &[(SAMPLE, "0.20"), (SAMPLE, "0.10")];

    #[test]
    fn help_explains_every_command() {
        cmd()
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Exit codes:"))
            .stdout(predicate::str::contains("plan"))
            .stdout(predicate::str::contains("explain"));
        for (command, phrase) in [
            ("plan", "without writing anything"),
            ("apply", "FILE.bak"),
            ("check", "What check promises"),
            ("list", "from < version <= to"),
            ("explain", "before/after example"),
        ] {
            cmd()
                .args([command, "--help"])
                .assert()
                .success()
                .stdout(predicate::str::contains(phrase));
        }
    }

    #[test]
    fn usage_errors_exit_2() {
        cmd().assert().code(2);
        cmd().args(["plan"]).assert().code(2);
        cmd()
            .args(["plan", "x.yaml", "--from", "latest"])
            .assert()
            .code(2);
        cmd()
            .args(["apply", "x.yaml", "--backup", "--no-backup"])
            .assert()
            .code(2);
        cmd()
            .args(["plan", "x.yaml", "--set", "novalue"])
            .assert()
            .code(2);
    }

    #[test]
    fn versions_are_checked() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(&path, SAMPLE)?;
        // Without --from, --to is still checked (before stdin would be read).
        cmd()
            .args(["plan", "-", "--to", "0.40"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("unknown version 0.40"));
        cmd()
            .args(["plan", s(&path), "--from", "0.40"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("unknown version 0.40"));
        cmd()
            .args(["plan", s(&path), "--from", "0.25", "--to", "0.20"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("does not downgrade"));
        Ok(())
    }

    #[test]
    fn unreadable_and_invalid_input_exit_2_with_a_location() -> TestResult {
        let dir = tempfile::tempdir()?;
        let missing = dir.path().join("missing.yaml");
        cmd()
            .args(["plan", s(&missing), "--from", "0.20"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{}: cannot read",
                s(&missing)
            )));

        let bad = dir.path().join("bad.yaml");
        fs::write(&bad, "a: 1\nb: [unclosed\n")?;
        cmd()
            .args(["plan", s(&bad), "--from", "0.20"])
            .assert()
            .code(2)
            .stderr(predicate::str::is_match(format!(
                "error: {}:[0-9]+:[0-9]+: ",
                regex_escape(s(&bad))
            ))?);

        let toml = dir.path().join("config.toml");
        fs::write(&toml, "a = 1\nb = [1,\n")?;
        cmd()
            .args(["plan", s(&toml), "--from", "0.20"])
            .assert()
            .code(2)
            .stderr(predicate::str::is_match(format!(
                "error: {}:[0-9]+:[0-9]+: ",
                regex_escape(s(&toml))
            ))?);
        // An unknown --input-format is a usage error (clap names the formats it knows).
        cmd()
            .args(["plan", "-", "--from", "0.20", "--input-format", "ini"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("invalid value 'ini'"));

        let json = dir.path().join("config.json");
        fs::write(&json, "{\"a\": [1,\n")?;
        cmd()
            .args(["plan", s(&json), "--from", "0.20"])
            .assert()
            .code(2)
            .stderr(predicate::str::is_match(format!(
                "error: {}:[0-9]+:[0-9]+: ",
                regex_escape(s(&json))
            ))?);
        Ok(())
    }

    fn regex_escape(text: &str) -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '/' || c == '_' {
                    c.to_string()
                } else {
                    format!("\\{c}")
                }
            })
            .collect()
    }

    #[test]
    fn plan_never_writes_and_apply_twice_changes_nothing() -> TestResult {
        for (text, from) in REAL_CHAIN_CASES {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("config.yaml");
            fs::write(&path, text)?;
            let before = snapshot(dir.path());
            cmd()
                .args(["plan", s(&path), "--from", from])
                .assert()
                .success();
            cmd()
                .args([
                    "plan",
                    s(&path),
                    "--from",
                    from,
                    "--per-step",
                    "--format",
                    "json",
                ])
                .assert()
                .success();
            assert_eq!(snapshot(dir.path()), before, "plan wrote something");

            cmd()
                .args(["apply", s(&path), "--from", from])
                .assert()
                .success();
            let first = fs::read(&path)?;
            let after_first = snapshot(dir.path());
            cmd()
                .args(["apply", s(&path), "--from", from])
                .assert()
                .success();
            assert_eq!(fs::read(&path)?, first, "second apply changed the file");
            // Nothing more was written: no new backup, no other file.
            let after_second = snapshot(dir.path());
            assert_eq!(after_second, after_first);
            let secret = "c2FtcGxlLXNoYXJlZC1zZWNyZXQtdmFsdWU=";
            cmd()
                .args(["plan", s(&path), "--from", from])
                .assert()
                .success()
                .stdout(predicate::str::contains(secret).not());
        }
        Ok(())
    }

    #[test]
    fn stdin_to_stdout_keeps_an_up_to_date_file_byte_identical() {
        let text = "# crlf file\r\nshared_secret: abc\r\nroutes: []\r\n";
        let newest = NEWEST.to_string();
        cmd()
            .args(["apply", "-", "--from", &newest, "--to", &newest])
            .write_stdin(text)
            .assert()
            .success()
            .stdout(text)
            .stderr(predicate::str::contains(format!(
                "-: core config (yaml), {newest} -> {newest}",
            )));
    }

    #[test]
    fn json_configs_are_read_and_kept_byte_identical_when_up_to_date() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.json");
        let text = "{\n  \"shared_secret\": \"c2VjcmV0LXZhbHVlLWpzb24=\",\n  \"routes\": []\n}\n";
        fs::write(&path, text)?;
        let newest = NEWEST.to_string();
        cmd()
            .args(["plan", s(&path), "--from", &newest])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "core config (json), {newest} -> {newest}"
            )));
        cmd()
            .args(["apply", s(&path), "--from", &newest])
            .assert()
            .success();
        assert_eq!(fs::read_to_string(&path)?, text);
        assert!(!dir.path().join("config.json.bak").exists());
        Ok(())
    }

    #[test]
    fn check_and_json_output_on_an_up_to_date_file() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(&path, SAMPLE)?;
        let newest = NEWEST.to_string();
        cmd()
            .args(["check", s(&path), "--from", &newest])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("up to date"));
        let out = cmd()
            .args(["check", s(&path), "--from", &newest, "--format", "json"])
            .output()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        assert_eq!(v["schema"], 2);
        assert_eq!(v["command"], "check");
        assert_eq!(v["files"][0]["changed"], false);
        assert_eq!(v["pending"], false);
        Ok(())
    }

    /// A Core signing key (made up, EC) for the console tests.
    const CORE_SIGNING_KEY: &str = "signing_key: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUxUbWNTZ0FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQW9BY0dCU3VCQkFBSwotLS0tLUVORCBFQyBQUklWQVRFIEtFWS0tLS0tCg==\n";

    /// `plan --format json` of a core and a one-line console config from 0.14 to 0.16.
    fn plan_console(core: &str) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let (core_path, console_path) = (
            dir.path().join("core.yaml"),
            dir.path().join("console.yaml"),
        );
        // The signing key alone is read by both kinds: a Core-only key tells this one's kind.
        fs::write(&core_path, format!("{core}routes: []\n"))?;
        fs::write(
            &console_path,
            "database-url: postgres://console@db/console\n",
        )?;
        let out = cmd()
            .args([
                "plan",
                s(&core_path),
                s(&console_path),
                "--from",
                "0.14",
                "--to",
                "0.16",
                "--format",
                "json",
            ])
            .output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(serde_json::from_slice(&out.stdout)?)
    }

    /// The console file's findings as (step id, line) for those with a location.
    fn console_locations(report: &serde_json::Value) -> Vec<(String, u64)> {
        report["files"][1]["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| Some((f["id"].as_str()?.to_owned(), f["line"].as_u64()?)))
            .collect()
    }

    #[test]
    fn findings_about_added_keys_point_into_the_input() -> TestResult {
        // No URL for v0.16: v0.15 adds `signing-key` (line 2 of the intermediate text) and
        // v0.16 asks to replace it. The one-line input has no line 2.
        let report = plan_console(CORE_SIGNING_KEY)?;
        let located = console_locations(&report);
        assert_eq!(
            located,
            [("v0.16/console-authenticate-service-url".to_owned(), 1)],
            "{report}"
        );
        Ok(())
    }

    #[test]
    fn a_run_past_0_16_does_not_copy_the_signing_key_into_the_console_config() -> TestResult {
        let core =
            format!("{CORE_SIGNING_KEY}authenticate_service_url: https://authn.example.com\n");
        let report = plan_console(&core)?;
        let diff = report["files"][1]["diff"].as_str().unwrap_or_default();
        assert!(
            diff.contains("+authenticate-service-url: https://authn.example.com"),
            "{diff}"
        );
        assert!(!diff.contains("signing-key"), "{diff}");
        assert!(
            console_locations(&report)
                .iter()
                .all(|(_, line)| *line == 1)
        );
        Ok(())
    }

    /// The base64 certificate and key of the JSON example (`certificates[0]`).
    fn example_certificate() -> Result<(String, String), Box<dyn std::error::Error>> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/core-0.23-json/config.json");
        let config: serde_json::Value = serde_json::from_str(&fs::read_to_string(path)?)?;
        let item = &config["certificates"][0];
        match (item["cert"].as_str(), item["key"].as_str()) {
            (Some(cert), Some(key)) => Ok((cert.to_owned(), key.to_owned())),
            _ => Err("the JSON example has no base64 certificates[0]".into()),
        }
    }

    #[test]
    fn decoded_certificates_go_beside_the_written_config() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (input_dir, output_dir) = (dir.path().join("in"), dir.path().join("out"));
        fs::create_dir_all(&input_dir)?;
        fs::create_dir_all(&output_dir)?;
        let input = input_dir.join("config.json");
        let output = output_dir.join("config.json");
        fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/core-0.23-json/config.json"),
            &input,
        )?;
        cmd()
            .args([
                "apply",
                s(&input),
                "--from",
                "0.23",
                "--to",
                "0.24",
                "-o",
                s(&output),
            ])
            .assert()
            .success();
        assert!(
            !input_dir.join("certs").exists(),
            "certs written beside the input"
        );
        // The written config names its files relative to itself, and they are there.
        let written: serde_json::Value = serde_json::from_str(&fs::read_to_string(&output)?)?;
        for field in ["cert", "key"] {
            let named = written["certificates"][0][field]
                .as_str()
                .unwrap_or_default();
            assert!(named.starts_with("certs/"), "{field}: {named}");
            assert!(output_dir.join(named).is_file(), "{named} is missing");
        }

        // stdin to stdout: the files go under the working directory.
        let (cert, key) = example_certificate()?;
        let yaml = format!("certificates:\n  - cert: {cert}\n    key: {key}\n");
        let cwd = dir.path().join("cwd");
        fs::create_dir_all(&cwd)?;
        // Without --certs-dir the private key would land in whatever directory the command
        // runs in: refused, nothing written.
        let refused = cmd()
            .current_dir(&cwd)
            .args(["apply", "-", "--from", "0.23", "--to", "0.24"])
            .write_stdin(yaml.clone())
            .output()?;
        assert_eq!(refused.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("say where with --certs-dir DIR"),
            "{stderr}"
        );
        assert!(refused.stdout.is_empty());
        assert_eq!(fs::read_dir(&cwd)?.count(), 0);
        let out = cmd()
            .current_dir(&cwd)
            .args(["apply", "-", "--from", "0.23", "--to", "0.24"])
            .args(["--certs-dir", "certs"])
            .write_stdin(yaml)
            .output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let migrated = String::from_utf8(out.stdout)?;
        let named: Vec<&str> = migrated
            .lines()
            .filter_map(|l| l.trim_start_matches([' ', '-']).split_once(": "))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(named.len(), 2, "{migrated}");
        for path in named {
            assert!(path.starts_with("certs/"), "{path}");
            assert!(cwd.join(path).is_file(), "{path} is missing");
        }
        Ok(())
    }

    #[test]
    fn decoded_key_paths_are_shown_but_not_the_keys() -> TestResult {
        let (_, key) = example_certificate()?;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(
            &path,
            format!("shared_secret: certs/not-a-path.pem\ncertificates:\n  - key: {key}\n"),
        )?;
        let out = cmd()
            .args(["plan", s(&path), "--from", "0.23", "--to", "0.24"])
            .output()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout)?;
        let written = "certs/certificates-1-key.pem";
        assert!(
            stdout.contains(&format!("+  - key: {written}\n")),
            "{stdout}"
        );
        assert!(stdout.contains("-  - key: <redacted>\n"), "{stdout}");
        assert!(
            stdout.contains(&format!("moved to the new file `{written}`")),
            "{stdout}"
        );
        assert!(!stdout.contains(&key[..40]), "{stdout}");
        // A secret key's value stays hidden even when it looks like a path.
        assert!(stdout.contains("shared_secret: <redacted>"), "{stdout}");
        Ok(())
    }

    #[test]
    fn list_and_explain_run() {
        cmd().arg("list").assert().success();
        cmd()
            .args(["explain", "no-such-step"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("unknown step `no-such-step`"));
        cmd().args(["explain", "0.99"]).assert().code(2);
        cmd().args(["explain", "0.19"]).assert().success();
    }
}
