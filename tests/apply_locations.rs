//! The report of `apply` points into the file as written; `plan` and `check` into the input.

use std::fs;
use std::path::Path;

use serde_json::Value;

mod common;

use common::TestResult;

fn example() -> std::path::PathBuf {
    common::repo().join("examples/core-0.20/config.yaml")
}

fn json(dir: &Path, args: &[&str]) -> Result<Value, Box<dyn std::error::Error>> {
    let out = common::bin()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn findings(report: &Value) -> Vec<Value> {
    report["files"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn apply_reports_lines_of_the_written_file_and_the_input_lines_beside() -> TestResult {
    let dir = tempfile::tempdir()?;
    fs::copy(example(), dir.path().join("config.yaml"))?;
    let input = fs::read_to_string(dir.path().join("config.yaml"))?;
    let plan = json(dir.path(), &["plan", "config.yaml", "--format", "json"])?;
    let apply = json(dir.path(), &["apply", "config.yaml", "--format", "json"])?;
    assert_eq!(apply["schema"], 2);
    let written = fs::read_to_string(dir.path().join("config.yaml"))?;
    let (input_lines, written_lines): (Vec<&str>, Vec<&str>) =
        (input.lines().collect(), written.lines().collect());

    let (planned, applied) = (findings(&plan), findings(&apply));
    assert_eq!(planned.len(), applied.len());
    let mut moved = 0;
    for (p, a) in planned.iter().zip(&applied) {
        assert_eq!(p["id"], a["id"]);
        // plan: both pairs are the input's.
        assert_eq!(p["line"], p["input_line"], "{p}");
        assert_eq!(p["column"], p["input_column"], "{p}");
        // apply: input_line is what plan reported, line is in the written file.
        assert_eq!(a["input_line"], p["line"], "{a}");
        assert_eq!(a["input_column"], p["column"], "{a}");
        let (Some(line), Some(old)) = (a["line"].as_u64(), a["input_line"].as_u64()) else {
            continue;
        };
        if line != old {
            moved += 1;
        }
        let now = written_lines[line as usize - 1];
        let before = input_lines[old as usize - 1];
        match a["id"].as_str().unwrap_or_default() {
            "v0.24/set-authorization-header" => {
                assert!(now.contains("# pomerium-migrate v0.24"), "{a}: {now}");
            }
            "v0.23/escape-dollar-in-request-headers" => {
                assert!(now.contains("$$"), "{a}: {now}");
            }
            "v0.24/certificates-to-files" => {
                assert!(now.contains("certs/"), "{a}: {now}");
            }
            // Lines no step rewrote are the same text.
            "v0.26/match-any-incoming-port" | "v0.24/redis-storage-removed" => {
                assert_eq!(now, before, "{a}");
            }
            _ => {}
        }
    }
    assert!(moved > 10, "only {moved} findings moved");

    // The text report shows the old line where it differs.
    let dir = tempfile::tempdir()?;
    fs::copy(example(), dir.path().join("config.yaml"))?;
    let out = common::bin()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["apply", "config.yaml"])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = applied
        .iter()
        .find(|a| a["line"].is_u64() && a["line"] != a["input_line"])
        .cloned()
        .unwrap_or_default();
    let place = format!(
        "config.yaml:{}:{} [was {}]",
        first["line"], first["column"], first["input_line"]
    );
    assert!(text.contains(&place), "{place} not in\n{text}");
    // Unmoved findings have no bracket.
    let same = applied
        .iter()
        .find(|a| a["line"].is_u64() && a["line"] == a["input_line"])
        .cloned()
        .unwrap_or_default();
    let place = format!("config.yaml:{}:{} ", same["line"], same["column"]);
    assert!(text.contains(&place), "{place} not in\n{text}");
    Ok(())
}
