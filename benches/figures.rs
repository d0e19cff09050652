//! Prints the engine's figures and the ratios issue 2 targets:
//!
//! ```text
//! cargo bench --bench figures
//! ```
//!
//! For 10,000 and 100,000 generated routes it times yaml-rust2's bare `YamlLoader::load_from_str`
//! and the engine (`Document::parse` + 3 edits per route + `apply`, which verifies), takes the
//! median CPU time of a few runs (CPU time, not wall time: the machine is shared), and prints `engine / bare load` at 10k (target ≤ 3) and
//! `engine 100k / engine 10k` (target ≤ 11). `FIGURES_RUNS=N` changes the number of runs.
//!
//! To profile the engine alone, `FIGURES_PROFILE=ROUTES` runs only the engine on that many routes
//! (`FIGURES_RUNS` times), e.g. under `perf record -g`; `FIGURES_PHASES=ROUTES` times its phases
//! (index, planning the edits, rendering, the intended data, the whole `apply`).

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// CPU time this thread has run, from Linux's `/proc/thread-self/schedstat` (nanoseconds). On a
/// shared machine it is steadier than wall time, which also counts waiting for a core.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Median CPU time of `runs` calls (wall time where the CPU clock is not available).
fn time(runs: usize, f: impl Fn() -> usize) -> Duration {
    black_box(f()); // warm-up: page in the text, grow the allocator
    median(
        (0..runs)
            .map(|_| {
                let (wall, cpu) = (Instant::now(), cpu_time());
                black_box(f());
                match (cpu, cpu_time()) {
                    (Some(a), Some(b)) => b.saturating_sub(a),
                    _ => wall.elapsed(),
                }
            })
            .collect(),
    )
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument would select nothing here.
    let runs = std::env::var("FIGURES_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(3);
    if let Some(routes) = std::env::var("FIGURES_PROFILE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let text = support::config(routes);
        let engine = time(runs, || support::engine_run(&text));
        println!(
            "engine on {routes} routes: {} (median CPU time of {runs})",
            secs(engine)
        );
        return;
    }
    if let Some(routes) = std::env::var("FIGURES_PHASES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        phases(routes, runs);
        return;
    }
    let clock = if cpu_time().is_some() {
        "CPU time"
    } else {
        "wall time"
    };
    println!("runs per figure: {runs} (median {clock})\n");
    println!(
        "{:>8}  {:>9}  {:>12}  {:>12}  {:>14}",
        "routes", "size", "bare load", "engine", "engine / bare"
    );
    let mut rows = Vec::new();
    for routes in support::SIZES {
        let text = support::config(routes);
        let bare = time(runs, || support::bare_load(&text));
        let engine = time(runs, || support::engine_run(&text));
        let ratio = engine.as_secs_f64() / bare.as_secs_f64();
        println!(
            "{routes:>8}  {:>6.1} MB  {:>12}  {:>12}  {ratio:>13.2}x",
            text.len() as f64 / 1e6,
            secs(bare),
            secs(engine),
        );
        rows.push((routes, bare, engine, ratio));
    }
    if let [(_, _, small, ratio_small), (_, _, large, _)] = rows[..] {
        let growth = large.as_secs_f64() / small.as_secs_f64();
        println!();
        println!(
            "engine / bare load at 10k routes: {ratio_small:.2}x (target <= 3x): {}",
            verdict(ratio_small <= 3.0)
        );
        println!(
            "engine 100k / engine 10k:         {growth:.2}x (target <= 11x): {}",
            verdict(growth <= 11.0)
        );
    }
}

/// Times each phase of [`support::engine_run`] separately (medians of `runs`).
fn phases(routes: usize, runs: usize) {
    use pomerium_migrate::document::{Document, Format};
    let text = support::config(routes);
    let parse = || match Document::parse(text.clone(), Format::Yaml) {
        Ok(d) => d,
        Err(e) => panic!("the generated config does not parse: {e}"),
    };
    let doc = parse();
    let edits = support::edits(&doc);
    let rows = [
        (
            "bare load (yaml-rust2)",
            time(runs, || support::bare_load(&text)),
        ),
        (
            "Document::parse (index)",
            time(runs, || parse().text().len()),
        ),
        (
            "plan 3 edits per route",
            time(runs, || support::edits(&doc).len()),
        ),
        (
            "render (splices only)",
            time(runs, || {
                doc.backend_render_for_debug(&edits).map_or(0, |t| t.len())
            }),
        ),
        (
            "intended data",
            time(runs, || usize::from(doc.expected_data(&edits).is_ok())),
        ),
        (
            "apply (render + intended + verify)",
            time(runs, || doc.apply(&edits).map_or(0, |d| d.text().len())),
        ),
        (
            "whole engine run",
            time(runs, || support::engine_run(&text)),
        ),
    ];
    println!(
        "{routes} routes, {:.1} MB, median CPU time of {runs}:",
        text.len() as f64 / 1e6
    );
    for (name, t) in rows {
        println!("  {name:<36} {}", secs(t));
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}
