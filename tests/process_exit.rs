//! The binary leaves a run's documents and report to the operating system at exit instead of
//! freeing them (`Streams::process_exits`). That must change nothing anyone sees: the same
//! bytes on stdout and stderr, the same exit code, the same files written, whether the run's
//! results are freed (library callers, tests) or not (the binary).

use std::fs;
use std::path::Path;

use clap::Parser as _;
use pomerium_migrate::cli::{self, Cli, Streams};

mod common;

use common::TestResult;

/// What one command gave: exit code, stdout, stderr.
type Seen = (u8, Vec<u8>, Vec<u8>);

fn run(args: &[&str], dir: &Path, process_exits: bool) -> Result<Seen, Box<dyn std::error::Error>> {
    let argv = std::iter::once("pomerium-migrate").chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv.map(|a| a.replace("DIR", &dir.display().to_string())))?;
    let (mut stdin, mut stdout, mut stderr) = (&b""[..], Vec::new(), Vec::new());
    let result = {
        let mut streams = Streams {
            stdin: &mut stdin,
            stdout: &mut stdout,
            stderr: &mut stderr,
            auto_color: false,
            auto_color_stderr: false,
            before_write_check: None,
            process_exits,
        };
        cli::execute(cli, &mut streams)
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            stderr.extend_from_slice(format!("error: {e}\n").as_bytes());
            e.exit_code()
        }
    };
    Ok((code, stdout, stderr))
}

/// Each command twice, in a fresh copy of the example: once freeing everything, once leaving
/// it to the exit. Outputs, exit codes and the files left behind are the same.
#[test]
fn leaving_the_results_to_the_exit_changes_no_output_code_or_file() -> TestResult {
    let example = fs::read_to_string(common::repo().join("examples/core-0.20/config.yaml"))?;
    let commands: &[&[&str]] = &[
        &["plan", "--from", "0.20", "DIR/config.yaml"],
        &["plan", "--per-step", "--from", "0.20", "DIR/config.yaml"],
        &[
            "plan",
            "--format",
            "json",
            "--from",
            "0.20",
            "DIR/config.yaml",
        ],
        &[
            "plan",
            "--only",
            "action-required",
            "--from",
            "0.20",
            "DIR/config.yaml",
        ],
        &["check", "--from", "0.20", "DIR/config.yaml"],
        &["apply", "--from", "0.20", "DIR/config.yaml"],
        &["apply", "--from", "0.20", "-o", "-", "DIR/config.yaml"],
        // A refused file: the error path.
        &["plan", "--from", "0.20", "DIR/missing.yaml"],
    ];
    for args in commands {
        let mut seen = Vec::new();
        for process_exits in [false, true] {
            let dir = tempfile::tempdir()?;
            fs::write(dir.path().join("config.yaml"), &example)?;
            let (code, stdout, stderr) = run(args, dir.path(), process_exits)?;
            let written = fs::read(dir.path().join("config.yaml"))?;
            let mut names: Vec<String> = fs::read_dir(dir.path())?
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<Result<_, _>>()?;
            names.sort();
            // Paths differ between the two directories: compare without them.
            let strip = |bytes: Vec<u8>| {
                String::from_utf8_lossy(&bytes).replace(&dir.path().display().to_string(), "DIR")
            };
            seen.push((code, strip(stdout), strip(stderr), written, names));
        }
        assert_eq!(seen[0], seen[1], "{args:?}");
        assert!(
            !seen[0].1.is_empty() || !seen[0].2.is_empty(),
            "{args:?}: no output at all"
        );
    }
    Ok(())
}
