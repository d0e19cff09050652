//! Keys whose names read as path syntax (`a]`, `a.b`, `c[0]`, `*`) are checked and reported like
//! any other key: validation at the target looks their values up by the key itself, never by
//! parsing the key's data path again.

mod common;

use std::fs;

use common::{TestResult, bin, s};
use pomerium_migrate::migrations::NEWEST;

#[test]
fn keys_that_read_as_path_syntax_are_unknown_keys() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.yaml");
    fs::write(
        &path,
        "routes:\n  - from: https://a.example.com\n    to: http://b\n    \"x]\": 2\n\
         \"a]\": 1\n\"a.b\": 1\n\"c[0]\": 1\n\"*\": 1\n",
    )?;
    let from = NEWEST.to_string();
    let out = bin().args(["plan", s(&path), "--from", &from]).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let p = s(&path);
    let notes: Vec<String> = stdout
        .lines()
        .filter(|l| l.contains("/unknown-key"))
        .map(|l| {
            l.split_once("unknown-key  ")
                .map_or(l, |(at, _)| at)
                .to_owned()
        })
        .collect();
    assert_eq!(
        notes,
        [
            format!("{p}:4:5  note             v{NEWEST}/"),
            format!("{p}:5:1  note             v{NEWEST}/"),
            format!("{p}:6:1  note             v{NEWEST}/"),
            format!("{p}:7:1  note             v{NEWEST}/"),
            format!("{p}:8:1  note             v{NEWEST}/"),
        ],
        "{stdout}"
    );
    for key in ["`routes[0].x]`", "`a]`", "`a.b`", "`c[0]`", "`*`"] {
        assert!(
            stdout.contains(&format!("{key} is not a Pomerium option")),
            "{key}: {stdout}"
        );
    }
    Ok(())
}
