//! The whole command a user runs, as a process, beside a bare yaml-rust2 load of the same file:
//!
//! ```text
//! cargo bench --bench pipeline
//! ```
//!
//! For generated configs of 1,000, 10,000 and 100,000 routes ([`support::pipeline_config`]) it
//! runs, each as its own process and `PIPELINE_RUNS` times (default 3):
//!
//! - the bare load: this benchmark started again as a child that reads the file and calls
//!   `yaml_rust2::YamlLoader::load_from_str` on it, nothing else;
//! - `pomerium-migrate plan --from 0.22 FILE`: read, run the steps 0.23 to 0.33 (three of them
//!   edit routes), render, verify, diff, report;
//! - `pomerium-migrate plan --from 0.33 FILE`: nothing to do but read, check the keys and report.
//!
//! Each figure is the median CPU time (user + system) of the runs, from `/usr/bin/time`, with
//! the median peak resident memory (`%M`); CPU time is steadier than wall time on a shared
//! machine. It prints the ratios the targets are about: at 10k routes `plan --from 0.22` ≤ 3×
//! and `plan --from 0.33` ≤ 1.5× the bare load, peak memory ≤ 3× the bare load's, and the 100k
//! run ≤ 11× the 10k run.
//!
//! Then it runs `plan` on three hostile inputs, each refused with exit 2 (target: under 1 s and
//! 100 MB each): nine levels of nine aliases, 2,000 routes each merging the previous one, and
//! `routes:` followed by 100,000 nested `- `.
//!
//! `PIPELINE_ROUTES=1000000` (comma-separated) measures other sizes instead, e.g. the 1M-route
//! file (about 400 MB; run it once: `PIPELINE_RUNS=1`).

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/mod.rs"]
#[allow(dead_code)] // the engine benchmarks' helpers
mod support;

/// Set in the child that performs the bare load of the file it names.
const BARE_LOAD_ENV: &str = "PIPELINE_BARE_LOAD";

/// The release binary cargo built for this benchmark.
const BINARY: &str = env!("CARGO_BIN_EXE_pomerium-migrate");

/// One process's cost.
#[derive(Clone, Copy, Debug)]
struct Cost {
    /// User + system CPU seconds.
    cpu: f64,
    /// Peak resident set, in MB.
    rss_mb: f64,
}

fn main() {
    if let Ok(path) = std::env::var(BARE_LOAD_ENV) {
        bare_load(Path::new(&path));
        return;
    }
    let runs = env_number("PIPELINE_RUNS").unwrap_or(3).max(1);
    let sizes: Vec<usize> = std::env::var("PIPELINE_ROUTES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("pipeline: /usr/bin/time is needed to measure CPU time and peak memory");
        return;
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("no temporary directory: {e}"),
    };
    // `PIPELINE_KEEP=DIR` writes the generated configs there and leaves them, for profiling.
    let keep = std::env::var_os("PIPELINE_KEEP").map(PathBuf::from);
    println!("each figure: median of {runs} runs, CPU time (user + system) and peak RSS\n");
    println!(
        "{:>9}  {:>8}  {:>17}  {:>17}  {:>7}  {:>17}  {:>7}",
        "routes", "size", "bare load", "plan --from 0.22", "/ bare", "plan --from 0.33", "/ bare"
    );
    let mut rows = Vec::new();
    for &routes in &sizes {
        let file = keep
            .as_deref()
            .unwrap_or(dir.path())
            .join(format!("routes-{routes}.yaml"));
        let text = support::pipeline_config(routes);
        if let Err(e) = std::fs::write(&file, &text) {
            panic!("cannot write {}: {e}", file.display());
        }
        let size_mb = text.len() as f64 / 1e6;
        drop(text);
        let bare = measure(runs, 0, || bare_load_command(&file));
        let migrate = measure(runs, 0, || plan_command(&file, "0.22"));
        let nothing = measure(runs, 0, || plan_command(&file, "0.33"));
        println!(
            "{routes:>9}  {size_mb:>5.1} MB  {}  {}  {:>6.2}x  {}  {:>6.2}x",
            show(bare),
            show(migrate),
            migrate.cpu / bare.cpu,
            show(nothing),
            nothing.cpu / bare.cpu,
        );
        rows.push((routes, bare, migrate, nothing));
        if keep.is_none() {
            let _ = std::fs::remove_file(&file);
        }
    }
    // A large file written on one line (minified JSON): columns and offsets must not be found
    // by walking along the line from its start, or this row grows with the square of the size.
    if sizes.contains(&10_000) {
        let file = keep
            .as_deref()
            .unwrap_or(dir.path())
            .join("routes-10000.min.json");
        let text = one_line_json(&support::pipeline_config(10_000));
        if let Err(e) = std::fs::write(&file, &text) {
            panic!("cannot write {}: {e}", file.display());
        }
        let size_mb = text.len() as f64 / 1e6;
        let bare = measure(runs, 0, || bare_load_command(&file));
        let migrate = measure(runs, 0, || plan_command(&file, "0.22"));
        let nothing = measure(runs, 0, || plan_command(&file, "0.33"));
        println!(
            "{:>9}  {size_mb:>5.1} MB  {}  {}  {:>6.2}x  {}  {:>6.2}x",
            "10k, JSON",
            show(bare),
            show(migrate),
            migrate.cpu / bare.cpu,
            show(nothing),
            nothing.cpu / bare.cpu,
        );
        println!("           (the same 10,000 routes as JSON on one line)");
    }
    println!();
    println!("peak RSS, plan / bare load:");
    for (routes, bare, migrate, nothing) in &rows {
        println!(
            "{routes:>9}  --from 0.22 {:.2}x, --from 0.33 {:.2}x",
            migrate.rss_mb / bare.rss_mb,
            nothing.rss_mb / bare.rss_mb
        );
    }
    let at = |n: usize| rows.iter().find(|r| r.0 == n);
    if let Some((_, bare, migrate, nothing)) = at(10_000) {
        println!();
        let r = migrate.cpu / bare.cpu;
        println!(
            "10k, plan --from 0.22 / bare load: {r:.2}x (target <= 3x): {}",
            verdict(r <= 3.0)
        );
        let r = nothing.cpu / bare.cpu;
        println!(
            "10k, plan --from 0.33 / bare load: {r:.2}x (target <= 1.5x): {}",
            verdict(r <= 1.5)
        );
        let r = migrate.rss_mb.max(nothing.rss_mb) / bare.rss_mb;
        println!(
            "10k, peak RSS / bare load's:       {r:.2}x (target <= 3x): {}",
            verdict(r <= 3.0)
        );
    }
    if let (Some((_, _, small, _)), Some((_, _, large, _))) = (at(10_000), at(100_000)) {
        let r = large.cpu / small.cpu;
        println!(
            "plan --from 0.22, 100k / 10k:      {r:.2}x (target <= 11x): {}",
            verdict(r <= 11.0)
        );
    }
    println!();
    println!("hostile inputs (each refused with exit 2; target < 1 s and < 100 MB):");
    for (name, text) in hostile_inputs() {
        let file = dir.path().join(format!("{name}.yaml"));
        if let Err(e) = std::fs::write(&file, &text) {
            panic!("cannot write {}: {e}", file.display());
        }
        let cost = measure(runs, 2, || plan_command(&file, "0.22"));
        println!(
            "  {name:<12} {:>7} bytes  {}  {}",
            text.len(),
            show(cost),
            verdict(cost.cpu < 1.0 && cost.rss_mb < 100.0)
        );
    }
}

/// A YAML config as JSON written on one line.
fn one_line_json(yaml: &str) -> String {
    fn convert(node: &yaml_rust2::Yaml) -> serde_json::Value {
        use yaml_rust2::Yaml;
        match node {
            Yaml::Hash(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), convert(v)))
                    .collect(),
            ),
            Yaml::Array(items) => serde_json::Value::Array(items.iter().map(convert).collect()),
            Yaml::Boolean(b) => serde_json::Value::Bool(*b),
            Yaml::Integer(n) => serde_json::Value::from(*n),
            Yaml::String(s) | Yaml::Real(s) => serde_json::Value::String(s.clone()),
            _ => serde_json::Value::Null,
        }
    }
    let docs = match yaml_rust2::YamlLoader::load_from_str(yaml) {
        Ok(d) => d,
        Err(e) => panic!("the generated config does not load: {e}"),
    };
    docs.first().map(convert).unwrap_or_default().to_string()
}

/// An alias bomb, a chain of merges and deep nesting.
fn hostile_inputs() -> Vec<(&'static str, String)> {
    let mut bomb = String::from("x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for n in 1..9 {
        let items = vec![format!("*x{}", n - 1); 9].join(", ");
        bomb.push_str(&format!("x{n}: &x{n} [{items}]\n"));
    }
    let mut chain = String::from("routes:\n  - &m0 {from: https://a0.example.com, to: http://b}\n");
    for n in 1..2_000 {
        chain.push_str(&format!(
            "  - &m{n} {{<<: *m{}, from: https://a{n}.example.com}}\n",
            n - 1
        ));
    }
    let deep = format!("routes:\n{}x\n", "- ".repeat(100_000));
    vec![
        ("alias-bomb", bomb),
        ("merge-chain", chain),
        ("deep-nesting", deep),
    ]
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn show(c: Cost) -> String {
    format!("{:>6.3} s {:>5.0} MB", c.cpu, c.rss_mb)
}

/// What the bare-load child does: read the file and load it with yaml-rust2.
fn bare_load(path: &Path) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    std::hint::black_box(support::bare_load(&text));
}

fn bare_load_command(file: &Path) -> Command {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => panic!("cannot find this benchmark's binary: {e}"),
    };
    let mut cmd = Command::new(exe);
    cmd.env(BARE_LOAD_ENV, file);
    cmd
}

fn plan_command(file: &Path, from: &str) -> Command {
    let mut cmd = Command::new(BINARY);
    cmd.args(["plan", "--from", from])
        .arg(file)
        .env("NO_COLOR", "1");
    cmd
}

/// Runs `make()`'s command `runs` times under `/usr/bin/time`, expecting exit code `code`, and
/// returns the medians.
fn measure(runs: usize, code: i32, make: impl Fn() -> Command) -> Cost {
    let mut costs: Vec<Cost> = (0..runs).map(|_| run_timed(make(), code)).collect();
    let median = |key: fn(&Cost) -> f64, costs: &mut Vec<Cost>| {
        costs.sort_by(|a, b| key(a).total_cmp(&key(b)));
        key(&costs[costs.len() / 2])
    };
    Cost {
        cpu: median(|c| c.cpu, &mut costs),
        rss_mb: median(|c| c.rss_mb, &mut costs),
    }
}

/// Runs one command under `/usr/bin/time -f "%U %S %M"`; the output goes nowhere.
fn run_timed(cmd: Command, code: i32) -> Cost {
    let report: PathBuf =
        std::env::temp_dir().join(format!("pipeline-time-{}", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-o")
        .arg(&report)
        .args(["-f", "%U %S %M"])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let status = match timed.status() {
        Ok(s) => s,
        Err(e) => panic!("cannot run {:?}: {e}", cmd.get_program()),
    };
    if status.code() != Some(code) {
        panic!(
            "{:?} {:?} failed: {status}",
            cmd.get_program(),
            cmd.get_args()
        );
    }
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    // The last line holds the figures (a line before it may report a signal).
    let fields: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields[..] {
        [user, system, rss_kb] => Cost {
            cpu: user + system,
            rss_mb: rss_kb / 1024.0,
        },
        _ => panic!("cannot read /usr/bin/time's report: {text:?}"),
    }
}
