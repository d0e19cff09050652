//! What the integration tests share: the binary, what one run of it gave, the repository's paths,
//! document helpers for the edit tests, and the secrets a leak would show.
//!
//! The newest release is `pomerium_migrate::migrations::NEWEST`: a test whose meaning does not
//! depend on one release takes it from there, never from a literal, so that adding a release
//! breaks only the tests whose expected output the new step changes.
//!
//! Each test file is its own crate and uses part of this module (`mod common;`), hence the
//! `dead_code` allowance.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use base64::Engine as _;
use pomerium_migrate::document::{Document, Edit, EditError, EntryId, Format, NodeId, Value};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `pomerium-migrate` binary, with the environment the test process has.
pub fn bin() -> Command {
    match Command::cargo_bin("pomerium-migrate") {
        Ok(c) => c,
        Err(e) => panic!("the binary is not built: {e}"),
    }
}

/// A path as an argument (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// What one run of the binary gave.
pub struct Run {
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, stdout first.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs `cmd` and returns (exit code, stdout, stderr); the test fails when it cannot run.
pub fn run_parts(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run the binary: {e}"));
    let run = Run::from(out);
    (run.code, run.stdout, run.stderr)
}

/// `text` parsed as `format`; the test fails when it does not parse.
pub fn parse(text: &str, format: Format) -> Document {
    match Document::parse(text.to_owned(), format) {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e}\n{text}"),
    }
}

/// The entry at a path such as `routes[0].to`.
pub fn entry(doc: &Document, path: &str) -> EntryId {
    let found = doc.select_str(path);
    match found.first().and_then(|s| s.entry.as_ref()) {
        Some(e) => e.id,
        None => panic!("no entry at {path}"),
    }
}

/// The node at a path such as `routes[0]`.
pub fn node(doc: &Document, path: &str) -> NodeId {
    match doc.select_str(path).first() {
        Some(s) => s.node,
        None => panic!("no node at {path}"),
    }
}

/// The text after applying the edits `edits` builds to `text` parsed as `format`.
pub fn apply(format: Format, text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> String {
    let doc = parse(text, format);
    let edits = edits(&doc);
    match doc.apply(&edits) {
        Ok(d) => d.text().to_owned(),
        Err(e) => panic!("edit failed: {e}\n{text}"),
    }
}

/// The error the edits `edits` builds are refused with.
pub fn refuse(format: Format, text: &str, edits: impl FnOnce(&Document) -> Vec<Edit>) -> EditError {
    let doc = parse(text, format);
    let edits = edits(&doc);
    match doc.apply(&edits) {
        Ok(d) => panic!("expected a refusal, got:\n{}", d.text()),
        Err(e) => e,
    }
}

/// A string value.
pub fn string(v: &str) -> Value {
    Value::String(v.to_owned())
}

/// A mapping value of `entries`, in order.
pub fn map(entries: &[(&str, Value)]) -> Value {
    Value::Mapping(
        entries
            .iter()
            .map(|(k, v)| (string(k), v.clone()))
            .collect(),
    )
}

/// What a leak of `secrets` would show besides the values themselves: the password of a URL with
/// credentials, and the lines (16 characters or more, PEM armour aside) of decoded base64.
pub fn derived_secrets(secrets: &[String]) -> Vec<String> {
    let mut derived = Vec::new();
    for secret in secrets {
        if let Some((_, rest)) = secret.split_once("://")
            && let Some((credentials, _)) = rest.split_once('@')
            && let Some((_, password)) = credentials.split_once(':')
        {
            derived.push(password.to_owned());
        }
        let compact: String = secret.chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&compact) {
            derived.extend(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
                    .map(str::to_owned),
            );
        }
    }
    derived
}
