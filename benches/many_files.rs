//! The whole CLI over many files, with one thread and with two:
//!
//! ```text
//! cargo bench --bench many_files
//! ```
//!
//! Generates `MANY_FILES` Core configs (default 1,000) of `MANY_ROUTES` routes each (default
//! 200; every route has options that steps rewrite and one that needs an action) in a temporary
//! directory, then runs the built binary as a user would, `pomerium-migrate check DIR -q`, with
//! `RAYON_NUM_THREADS=1` and `=2`, each `MANY_RUNS` times (default 3), and prints the median
//! wall times and their ratio. The target is 2 threads at 0.6 × the 1-thread time or less; the
//! bench exits with 1 when the ratio is above it. Wall time on a shared machine varies: run it
//! when the machine is otherwise idle.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TARGET: f64 = 0.6;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(n: usize, routes: usize) -> String {
    let mut text = format!(
        "# generated config {n}\nauthenticate_service_url: https://authenticate.example.com\n\
         shared_secret: c2hhcmVkLXNlY3JldA==\nroutes:\n"
    );
    for r in 0..routes {
        let _ = write!(
            text,
            "  - from: https://app{r}.site{n}.example.com\n    to: http://app{r}.internal:8080\n    \
             set_authorization_header: pass_through\n    allowed_groups:\n      - team{r}\n    \
             allow_websockets: true\n"
        );
    }
    text
}

fn run(bin: &Path, dir: &Path, threads: usize) -> Duration {
    let start = Instant::now();
    let status = Command::new(bin)
        .args(["check", "-q"])
        .arg(dir)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .status();
    let elapsed = start.elapsed();
    match status {
        // check exits 1: every file needs migrating.
        Ok(s) if s.code() == Some(1) => elapsed,
        other => panic!("unexpected result of the run: {other:?}"),
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let files = env_or("MANY_FILES", 1000);
    let routes = env_or("MANY_ROUTES", 200);
    let runs = env_or("MANY_RUNS", 3).max(1);
    let bin = Path::new(env!("CARGO_BIN_EXE_pomerium-migrate"));
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("cannot create a temporary directory: {e}"),
    };
    for n in 0..files {
        let sub = dir.path().join(format!("site{:03}", n / 100));
        if let Err(e) = std::fs::create_dir_all(&sub)
            .and_then(|()| std::fs::write(sub.join(format!("config{n}.yaml")), config(n, routes)))
        {
            panic!("cannot write the corpus: {e}");
        }
    }
    println!("{files} configs of {routes} routes, median of {runs} runs of `check -q DIR`:");
    let mut times = Vec::new();
    for threads in [1, 2] {
        let t = median((0..runs).map(|_| run(bin, dir.path(), threads)).collect());
        println!("  {threads} thread(s): {:>8.2} s", t.as_secs_f64());
        times.push(t);
    }
    let ratio = times[1].as_secs_f64() / times[0].as_secs_f64();
    println!("  2 threads / 1 thread: {ratio:.2} (target <= {TARGET})");
    if ratio > TARGET {
        std::process::exit(1);
    }
}
