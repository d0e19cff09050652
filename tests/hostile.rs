//! Hostile inputs are refused quickly with exit 2 and a location, never by exhausting memory or
//! the stack: an alias bomb, a long chain of merges, and collections nested 100,000 deep. (How
//! quickly is measured by `cargo bench --bench pipeline`, not asserted here.)

use std::fs;
use std::path::Path;

mod common;

/// Runs the binary in `dir` with `args`; returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::run_parts(
        common::bin()
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .args(args),
    )
}

/// Writes `text` as `name` in a new directory and runs `plan --from 0.22` on it.
fn plan(name: &str, text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
    fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("cannot write: {e}"));
    run(dir.path(), &["plan", "--from", "0.22", name])
}

/// Nine levels of anchors, each a list of nine aliases to the previous one: 9^9 strings.
fn alias_bomb() -> String {
    let mut text = String::from(
        "x0: &x0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for n in 1..9 {
        let items = vec![format!("*x{}", n - 1); 9].join(", ");
        text.push_str(&format!("x{n}: &x{n} [{items}]\n"));
    }
    text
}

/// `routes` whose every route merges the previous one.
fn merge_chain(routes: usize) -> String {
    let mut text = String::from("routes:\n  - &m0 {from: https://a0.example.com, to: http://b0}\n");
    for n in 1..routes {
        text.push_str(&format!(
            "  - &m{n} {{<<: *m{}, from: https://a{n}.example.com}}\n",
            n - 1
        ));
    }
    text
}

/// `routes:` followed by `depth` nested block sequences on one line.
fn nested(depth: usize) -> String {
    format!("routes:\n{}x\n", "- ".repeat(depth))
}

#[test]
fn an_alias_bomb_is_refused_as_excessive_aliasing() {
    let (code, stdout, stderr) = plan("bomb.yaml", &alias_bomb());
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with("error: bomb.yaml:4:"),
        "located at the alias that goes over: {stderr}"
    );
    assert!(stderr.contains("excessive aliasing"), "{stderr}");
}

#[test]
fn every_command_that_reads_the_file_refuses_the_bomb() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
    fs::write(dir.path().join("bomb.yaml"), alias_bomb())
        .unwrap_or_else(|e| panic!("cannot write: {e}"));
    for args in [
        &["detect", "bomb.yaml"][..],
        &["check", "bomb.yaml"],
        &["apply", "--from", "0.22", "bomb.yaml"],
    ] {
        let (code, _, stderr) = run(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("bomb.yaml:4:"), "{args:?}: {stderr}");
        assert!(stderr.contains("excessive aliasing"), "{args:?}: {stderr}");
    }
    // Nothing was written.
    assert!(!dir.path().join("bomb.yaml.bak").exists());
}

#[test]
fn a_long_chain_of_merges_is_refused_the_same_way() {
    let (code, _, stderr) = plan("chain.yaml", &merge_chain(2_000));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("error: chain.yaml:"), "{stderr}");
    assert!(stderr.contains("excessive aliasing"), "{stderr}");
}

#[test]
fn a_short_chain_of_merges_and_ordinary_aliases_are_read() {
    let (code, stdout, stderr) = plan("chain.yaml", &merge_chain(20));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("chain.yaml: core config (yaml)"),
        "{stdout}"
    );
    let shared = "defaults: &defaults {preserve_host_header: true, timeout: 30s}\n\
                  routes:\n"
        .to_owned()
        + &(0..500)
            .map(|n| {
                format!("  - {{<<: *defaults, from: https://a{n}.example.com, to: http://b}}\n")
            })
            .collect::<String>();
    let (code, _, stderr) = plan("shared.yaml", &shared);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let (code, stdout, stderr) = plan("deep.yaml", &nested(100_000));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with("error: deep.yaml:2:"),
        "located on the line that nests: {stderr}"
    );
    assert!(stderr.contains("nested more than 1000 levels"), "{stderr}");
}

#[test]
fn nesting_up_to_the_limit_is_read_and_migrated() {
    // The root mapping and 999 sequences: 1,000 levels, the most that is read.
    let (code, stdout, stderr) = plan("deep.yaml", &nested(999));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("deep.yaml: core config (yaml)"), "{stdout}");
    let (code, _, stderr) = plan("deep.yaml", &nested(1_000));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nested more than 1000 levels"), "{stderr}");
    // Block mappings count the same way.
    let mappings: String = (0..1_200)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let (code, _, stderr) = plan("maps.yaml", &mappings);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("error: maps.yaml:1001:"), "{stderr}");
}

#[test]
fn an_alias_inside_its_own_anchor_is_refused() {
    let (code, _, stderr) = plan("cycle.yaml", "a: &a [1, *a]\n");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with("error: cycle.yaml:1:11: alias to a collection that contains it"),
        "{stderr}"
    );
}

#[test]
fn deep_json_and_toml_are_refused_by_their_parsers() {
    let deep = format!(
        "{{\"routes\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (code, _, stderr) = plan("deep.json", &deep);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("error: deep.json:1:"), "{stderr}");
    let deep = format!("routes = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let (code, _, stderr) = plan("deep.toml", &deep);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("error: deep.toml:1:"), "{stderr}");
}

/// A config written on one line (minified JSON) is read with the same line and column numbers
/// as any other: every finding names line 1 and the column of its key, counted in characters
/// after non-ASCII text earlier on the line.
#[test]
fn findings_in_a_one_line_file_name_their_columns() {
    let mut text = String::from("{\"idp_client_id\":\"é€😀\",\"routes\":[");
    for n in 0..300 {
        if n > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"from\":\"https://a{n}.example.com\",\"to\":\"http://b\",\"ownr\":\"é{n}\"}}"
        ));
    }
    text.push_str("]}");
    let (code, stdout, stderr) = run_in("one-line.json", &text, &["plan", "--from", "0.33"]);
    assert_eq!(code, 0, "{stderr}");
    // The expected column of each unknown key: characters before its opening quote, plus one.
    let expected: Vec<String> = text
        .match_indices("\"ownr\"")
        .map(|(at, _)| format!("one-line.json:1:{} ", text[..at].chars().count() + 1))
        .collect();
    assert_eq!(expected.len(), 300);
    let found: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("`routes[") && l.contains(".ownr`"))
        .collect();
    assert_eq!(found.len(), 300, "{stdout}");
    for (line, place) in found.iter().zip(&expected) {
        assert!(
            line.starts_with(place.as_str()),
            "{line} should start with {place}"
        );
    }
}

/// Writes `text` as `name` in a new directory and runs the binary with `args` and `name`.
fn run_in(name: &str, text: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
    fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("cannot write: {e}"));
    let mut all = args.to_vec();
    all.push(name);
    run(dir.path(), &all)
}
