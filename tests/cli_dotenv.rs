//! `.env` files through the real binary: which names are read as dotenv, what is refused (with
//! `file:line:column`, exit 2, and never a value), and that a `.env` file is never read as a
//! config that needs no change.

use std::fs;

mod common;

use common::{Run, TestResult};

fn run(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Run {
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

#[test]
fn env_file_names_are_read_as_dotenv_and_not_taken_for_configs() -> TestResult {
    let dir = tempfile::tempdir()?;
    for name in [".env", "pomerium.env", ".env.production"] {
        fs::write(dir.path().join(name), ENV)?;
        for command in ["plan", "check"] {
            let out = run(dir.path(), &[command, "--kind", "core", name], None);
            assert_eq!(out.code, 2, "{command} {name}: {}", out.output());
            assert!(
                out.stderr.contains(&format!("{name}: read as a .env file")),
                "{command} {name}: {}",
                out.output()
            );
            assert!(
                !out.output().contains("no change needed"),
                "{}",
                out.output()
            );
            assert!(!out.output().contains("eyJzZWNyZXQ"), "{}", out.output());
        }
    }
    // The same text under a YAML name is not a mapping of options (as before).
    fs::write(dir.path().join("env.yaml"), ENV)?;
    let out = run(dir.path(), &["plan", "--kind", "core", "env.yaml"], None);
    assert_eq!(out.code, 2, "{}", out.output());
    assert!(
        !out.stderr.contains("read as a .env file"),
        "{}",
        out.output()
    );
    Ok(())
}

#[test]
fn input_format_dotenv_reads_any_name_and_stdin() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join("settings.txt"), ENV)?;
    let out = run(
        dir.path(),
        &["plan", "--input-format", "dotenv", "settings.txt"],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.output());
    assert!(
        out.stderr.contains("settings.txt: read as a .env file"),
        "{}",
        out.output()
    );
    let out = run(
        dir.path(),
        &["plan", "--input-format", "dotenv", "-"],
        Some(ENV),
    );
    assert_eq!(out.code, 2, "{}", out.output());
    assert!(
        out.stderr.contains("-: read as a .env file"),
        "{}",
        out.output()
    );
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
        let out = run(dir.path(), &["plan", "x.env"], None);
        assert_eq!(out.code, 2, "{text}: {}", out.output());
        assert!(out.stderr.contains(message), "{text}: {}", out.output());
        assert!(!out.output().contains("c2VjcmV0"), "{}", out.output());
    }
    Ok(())
}
