//! `.env` files through the real binary: when a `.env` file is Pomerium's (a Pomerium service
//! names it in `env_file:`, or `--kind dotenv`), what `plan`, `apply` and `check` do with it, and
//! what is refused (with `file:line:column`, exit 2, and never a value). A `.env` file is never
//! read as a config that needs no change.

use std::fs;
use std::path::Path;

mod common;

use common::{Run, TestResult};

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = common::bin();
    cmd.current_dir(dir).env("NO_COLOR", "1").args(args);
    if let Some(text) = stdin {
        cmd.write_stdin(text.to_owned());
    }
    match cmd.output() {
        Ok(out) => Run::from(out),
        Err(e) => panic!("cannot run the binary: {e}"),
    }
}

const ENV: &str = "# Pomerium\nIDP_PROVIDER=google\nIDP_SERVICE_ACCOUNT='eyJzZWNyZXQiOiJ4In0='\n";

const COMPOSE: &str = "services:\n  pomerium:\n    image: pomerium/pomerium:v0.19.0\n    env_file:\n      - ./env/pomerium.env\n      - path: ./env/local.env\n        required: false\n  proxy:\n    image: nginx\n    env_file: .env\n";

#[test]
fn a_env_file_no_pomerium_service_names_is_skipped() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("docker-compose.yml"), COMPOSE)?;
    fs::write(dir.path().join(".env"), ENV)?;
    for command in ["plan", "check"] {
        let out = run(dir.path(), &[command, ".env"], None);
        assert_eq!(out.code, 0, "{command}: {}", out.output());
        assert!(
            out.stderr.contains(
                "skipped .env: a .env file that no Pomerium service of `docker-compose.yml` \
                 names in `env_file:`"
            ),
            "{}",
            out.output()
        );
        assert!(!out.output().contains("eyJzZWNyZXQ"), "{}", out.output());
    }
    // With --kind dotenv it is Pomerium's.
    let out = run(
        dir.path(),
        &["check", ".env", "--kind", "dotenv", "--from", "0.19"],
        None,
    );
    assert_eq!(out.code, 1, "{}", out.output());
    assert!(
        out.stdout.contains("IDP_SERVICE_ACCOUNT"),
        "{}",
        out.output()
    );
    Ok(())
}

#[test]
fn plan_on_a_compose_file_plans_the_env_files_its_pomerium_services_name() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("docker-compose.yml"), COMPOSE)?;
    fs::write(
        dir.path().join(".env"),
        "IDP_SERVICE_ACCOUNT=not-pomeriums\n",
    )?;
    fs::create_dir(dir.path().join("env"))?;
    let env = dir.path().join("env/pomerium.env");
    fs::write(&env, ENV)?;
    let out = run(dir.path(), &["plan", "docker-compose.yml"], None);
    assert_eq!(out.code, 0, "{}", out.output());
    // The env file is planned with the version of the image that reads it.
    assert!(
        out.stdout
            .contains("env/pomerium.env: .env file (core, dotenv), 0.19 -> "),
        "{}",
        out.output()
    );
    assert!(
        out.stdout.contains("+# IDP_SERVICE_ACCOUNT=<redacted>"),
        "{}",
        out.output()
    );
    // The missing optional file is a note; the proxy's .env is not Pomerium's.
    assert!(
        out.stdout.contains(
            "docker-compose.yml:6:15  note             v0.33/env-file-missing  service \
             `pomerium` reads `./env/local.env`"
        ),
        "{}",
        out.output()
    );
    assert!(!out.output().contains("not-pomeriums"), "{}", out.output());
    assert!(!out.stdout.contains("\n--- a/.env"), "{}", out.output());
    assert!(!out.output().contains("eyJzZWNyZXQ"), "{}", out.output());

    // The env file alone finds the compose file in the directory above.
    let out = run(dir.path(), &["check", "env/pomerium.env"], None);
    assert_eq!(out.code, 1, "{}", out.output());
    let out = run(
        dir.path(),
        &["apply", "docker-compose.yml", "--no-backup", "-q"],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.output());
    let written = fs::read_to_string(&env)?;
    assert!(
        written.contains("\n# IDP_SERVICE_ACCOUNT='eyJzZWNyZXQiOiJ4In0='\n"),
        "{written}"
    );
    let out = run(dir.path(), &["check", "env/pomerium.env"], None);
    assert_eq!(out.code, 0, "{}", out.output());
    Ok(())
}

#[test]
fn dotenv_by_flag_reads_any_name_and_stdin_and_never_as_config_keys() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("settings.txt"), ENV)?;
    let out = run(
        dir.path(),
        &[
            "plan",
            "--input-format",
            "dotenv",
            "--kind",
            "dotenv",
            "--from",
            "0.19",
            "settings.txt",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.output());
    assert!(
        out.stdout
            .contains("settings.txt: .env file (core, dotenv)"),
        "{}",
        out.output()
    );
    let out = run(
        dir.path(),
        &["check", "--kind", "dotenv", "--from", "0.19", "-"],
        Some(ENV),
    );
    assert_eq!(out.code, 1, "{}", out.output());
    // `--kind core` does not turn environment variables into config keys.
    fs::write(dir.path().join("pomerium.env"), ENV)?;
    let out = run(
        dir.path(),
        &["plan", "--kind", "core", "pomerium.env"],
        None,
    );
    assert!(
        !out.output().contains("no change needed"),
        "{}",
        out.output()
    );
    // `--kind dotenv` with a file read as YAML is refused, not guessed.
    let out = run(
        dir.path(),
        &[
            "plan",
            "--kind",
            "dotenv",
            "--input-format",
            "yaml",
            "settings.txt",
        ],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.output());
    Ok(())
}

#[test]
fn what_compose_reads_otherwise_is_refused_at_its_place_without_values() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cases = [
        (
            "SHARED_SECRET=c2VjcmV0LXZhbHVl\n# again\nSHARED_SECRET=c2VjcmV0LXZhbHVm\n",
            "x.env:3:1: the variable `SHARED_SECRET` is set twice (first at line 1, column 1)",
        ),
        (
            "COOKIE_SECRET=\"c2VjcmV0LXZhbHVl\n",
            "x.env:1:15: the double quote opened here is never closed",
        ),
        (
            "IDP_CLIENT_SECRET='c2VjcmV0LXZhbHVl' trailing\n",
            "x.env:1:38: text after the closing quote",
        ),
    ];
    for (text, message) in cases {
        fs::write(dir.path().join("x.env"), text)?;
        let out = run(dir.path(), &["plan", "--kind", "dotenv", "x.env"], None);
        assert_eq!(out.code, 2, "{text}: {}", out.output());
        assert!(out.stderr.contains(message), "{text}: {}", out.output());
        assert!(!out.output().contains("c2VjcmV0"), "{}", out.output());
    }
    Ok(())
}

#[test]
fn a_compose_file_elsewhere_in_the_run_names_the_env_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::create_dir_all(dir.path().join("deploy/compose"))?;
    fs::create_dir_all(dir.path().join("env"))?;
    let compose = "services:\n  pomerium:\n    image: pomerium/pomerium:v0.19.0\n    env_file: ../../env/pomerium.env\n";
    fs::write(
        dir.path().join("deploy/compose/docker-compose.yml"),
        compose,
    )?;
    fs::write(dir.path().join("env/pomerium.env"), ENV)?;
    // Alone, nothing beside it or above it names it.
    let out = run(dir.path(), &["check", "env/pomerium.env"], None);
    assert_eq!(out.code, 0, "{}", out.output());
    assert!(
        out.stderr.contains("skipped env/pomerium.env: "),
        "{}",
        out.output()
    );
    // With the compose file in the run, named or not, it is planned at the image's version.
    for args in [
        vec![
            "check",
            "deploy/compose/docker-compose.yml",
            "env/pomerium.env",
        ],
        vec![
            "check",
            "env/pomerium.env",
            "deploy/compose/docker-compose.yml",
        ],
        vec!["check", "deploy/compose/docker-compose.yml"],
    ] {
        let out = run(dir.path(), &args, None);
        assert_eq!(out.code, 1, "{args:?}: {}", out.output());
        assert!(
            out.stdout
                .contains("pomerium.env: .env file (core, dotenv), 0.19 -> "),
            "{args:?}: {}",
            out.output()
        );
    }
    Ok(())
}

#[test]
fn detect_names_the_service_that_reads_a_env_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("docker-compose.yml"), COMPOSE)?;
    fs::write(dir.path().join(".env"), ENV)?;
    fs::create_dir(dir.path().join("env"))?;
    fs::write(dir.path().join("env/pomerium.env"), ENV)?;
    let out = run(dir.path(), &["detect", "env/pomerium.env", ".env"], None);
    assert_eq!(out.code, 0, "{}", out.output());
    assert!(
        out.stdout.contains(
            "  Pomerium Core: `pomerium (docker-compose.yml)` at env/pomerium.env:1:1, image \
             `pomerium/pomerium:v0.19.0` (starts at 0.19)"
        ),
        "{}",
        out.output()
    );
    assert!(
        out.stdout
            .contains(".env: .env file (the file name `.env`)\n  nothing in it runs Pomerium"),
        "{}",
        out.output()
    );
    let out = run(dir.path(), &["detect", "--kind", "dotenv", ".env"], None);
    assert!(
        out.stdout.contains("Pomerium Core: `--kind dotenv`"),
        "{}",
        out.output()
    );
    Ok(())
}
