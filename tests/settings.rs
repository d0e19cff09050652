//! `--set`: the keys it accepts are the ones the steps read, and nothing else.

use std::fs;
use std::path::Path;

use pomerium_migrate::migrations::STEPS;
use pomerium_migrate::runner::known_settings;

mod common;

use common::TestResult;

/// Every `cx.setting("…")` in the steps' source names a key some step lists in `settings`, and
/// no step reads `--set` values around that list (`options.get`).
#[test]
fn every_key_a_step_reads_is_listed() -> TestResult {
    let known = known_settings(STEPS);
    assert!(known.contains("license-key"), "{known:?}");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut read = Vec::new();
    let mut files = Vec::new();
    let mut dirs = vec![dir];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = fs::read_to_string(&path)?;
        assert!(
            !text.contains("options.get("),
            "{}: reads --set with options.get; use cx.setting and list the key",
            path.display()
        );
        for (_, rest) in text
            .match_indices(".setting(\"")
            .map(|(i, _)| text.split_at(i + 10))
        {
            let key: String = rest.chars().take_while(|c| *c != '"').collect();
            read.push(key);
        }
    }
    assert!(!read.is_empty());
    for key in &read {
        assert!(
            known.contains(key.as_str()),
            "`{key}` is read but no step lists it"
        );
    }
    // And every listed key is read somewhere.
    for key in &known {
        assert!(
            read.iter().any(|k| k == key),
            "`{key}` is listed but never read"
        );
    }
    Ok(())
}

#[test]
fn a_set_key_no_step_reads_is_refused_with_the_closest_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.yaml");
    fs::write(&config, "database-url: postgres://db\n")?;
    for command in ["plan", "check", "apply"] {
        let out = common::bin()
            .args([command, "--set", "licence-key=not-shown", "--from", "0.16"])
            .arg(&config)
            .output()?;
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(
                "--set licence-key: no migration step reads this key; did you mean `license-key`?"
            ),
            "{stderr}"
        );
        assert!(
            !stderr.contains("not-shown"),
            "the value is shown: {stderr}"
        );
    }
    assert_eq!(
        fs::read_dir(dir.path())?.count(),
        1,
        "something was written"
    );
    // Either spelling of a key a step reads is taken.
    let out = common::bin()
        .args(["plan", "--set", "license_key=k", "--from", "0.16"])
        .arg(&config)
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
