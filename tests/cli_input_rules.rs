//! Inputs Pomerium's own reader refuses are refused as bad input (exit 2, `file:line:column`,
//! nothing written), never as a failed verification of the tool's edit (exit 3).

use std::fs;
use std::path::Path;

use assert_cmd::Command;

mod common;

use common::TestResult;

fn cmd(dir: &Path) -> Command {
    let mut cmd = common::bin();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

/// Runs every command on `name` (holding `bytes`) and checks each exits 2 with `message` on
/// stderr and leaves the directory as it was.
fn refused_everywhere(name: &str, bytes: &[u8], message: &str) -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::write(dir.path().join(name), bytes)?;
    for args in [
        &["plan", name][..],
        &["check", name],
        &["apply", name],
        &["detect", name],
        &["plan", name, "--from", "0.20", "--kind", "core"],
    ] {
        let out = cmd(dir.path()).args(args).output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("verification"), "{args:?}: {stderr}");
        let names: Vec<_> = fs::read_dir(dir.path())?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        assert_eq!(names, [name], "{args:?} wrote something");
        assert_eq!(fs::read(dir.path().join(name))?, bytes, "{args:?}");
    }
    Ok(())
}

/// Issue 9, case 3.
#[test]
fn a_duplicate_yaml_key_is_bad_input_naming_both_lines() -> TestResult {
    refused_everywhere(
        "c.yaml",
        b"pomerium_debug: true\npomerium_debug: false\n",
        "c.yaml:2:1: the key `pomerium_debug` is defined twice in this mapping (first at line 1, \
         column 1)",
    )
}

#[test]
fn a_duplicate_key_in_a_route_or_a_json_file_is_refused_too() -> TestResult {
    refused_everywhere(
        "c.yaml",
        b"routes:\n  - from: https://a.example.com\n    to: http://a\n    to: http://b\n",
        "c.yaml:4:5: the key `to` is defined twice in this mapping (first at line 3, column 5)",
    )?;
    refused_everywhere(
        "c.json",
        b"{\n  \"routes\": [],\n  \"routes\": []\n}\n",
        "c.json:3:3: the key `routes` is defined twice in this mapping (first at line 2, column 3)",
    )
}

#[test]
fn a_duplicate_toml_key_names_both_lines() -> TestResult {
    refused_everywhere(
        "c.toml",
        b"[[routes]]\nfrom = \"https://a\"\nto = \"http://a\"\nfrom = \"https://b\"\n",
        "c.toml:4:1: the key `from` is defined twice (first at line 2, column 1)",
    )
}

/// Issue 9, case 3: a NUL byte, and the other characters yaml.v3 refuses.
#[test]
fn control_characters_yaml_v3_refuses_are_bad_input() -> TestResult {
    refused_everywhere(
        "c.yaml",
        b"routes: []\npomerium_debug: tr\0ue\n",
        "c.yaml:2:19: the file contains the control character U+0000",
    )?;
    refused_everywhere(
        "c.yaml",
        "routes: []\n# a comment with a DEL \u{7f}\n".as_bytes(),
        "c.yaml:2:24: the file contains the control character U+007F",
    )?;
    refused_everywhere(
        "c.yaml",
        "routes: []\nx: \"\u{9b}\"\n".as_bytes(),
        "c.yaml:2:5: the file contains the control character U+009B",
    )
}

#[test]
fn more_than_one_document_is_bad_input() -> TestResult {
    refused_everywhere(
        "c.yaml",
        b"routes: []\n---\nroutes: []\n",
        "c.yaml:2:1: the file holds 2 documents",
    )
}

#[test]
fn apply_refuses_an_empty_stdin_and_writes_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    for stdin in ["", "\n  \n"] {
        for args in [&["apply", "-"][..], &["apply", "-", "-o", "out.yaml"]] {
            let out = cmd(dir.path()).args(args).write_stdin(stdin).output()?;
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            assert!(out.stdout.is_empty(), "{args:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("-: stdin is empty"), "{stderr}");
        }
    }
    assert_eq!(fs::read_dir(dir.path())?.count(), 0);
    Ok(())
}
