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
//! bench exits with 1 when the ratio is above it. The CPU time each run used is printed too: on a
//! busy machine a run waits for a core, its wall time says little, and the bench says so. Run it
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

/// CPU time (user + system) of the waited-for children so far, from Linux's `/proc/self/stat`
/// (`cutime`, `cstime`, in clock ticks of 1/100 s); `None` elsewhere.
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Wall time of one run, and the CPU time it used.
fn run(bin: &Path, dir: &Path, threads: usize) -> (Duration, Option<Duration>) {
    let cpu_before = children_cpu();
    let start = Instant::now();
    let status = Command::new(bin)
        .args(["check", "-q"])
        .arg(dir)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .status();
    let elapsed = start.elapsed();
    let cpu = children_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    match status {
        // check exits 1: every file needs migrating.
        Ok(s) if s.code() == Some(1) => (elapsed, cpu),
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
        let results: Vec<(Duration, Option<Duration>)> =
            (0..runs).map(|_| run(bin, dir.path(), threads)).collect();
        let t = median(results.iter().map(|r| r.0).collect());
        let cpu: Option<Vec<Duration>> = results.iter().map(|r| r.1).collect();
        match cpu.map(median) {
            Some(cpu) => println!(
                "  {threads} thread(s): {:>8.2} s wall, {:>8.2} s CPU",
                t.as_secs_f64(),
                cpu.as_secs_f64()
            ),
            None => println!("  {threads} thread(s): {:>8.2} s wall", t.as_secs_f64()),
        }
        // One thread that got much less CPU than wall time was waiting for a core: the machine
        // is busy and the ratio below says little.
        if threads == 1
            && let Some(Some(cpu)) = results.first().map(|r| r.1)
            && cpu.as_secs_f64() < 0.8 * results[0].0.as_secs_f64()
        {
            println!("  (the machine is busy: 1 thread ran on a CPU only part of its wall time)");
        }
        times.push(t);
    }
    let ratio = times[1].as_secs_f64() / times[0].as_secs_f64();
    println!("  2 threads / 1 thread: {ratio:.2} (target <= {TARGET})");
    if ratio > TARGET {
        std::process::exit(1);
    }
}
