//! Criterion benchmark of the YAML engine against yaml-rust2's bare loader, on generated configs
//! of 10,000 and 100,000 routes. `cargo bench --bench engine`; `cargo bench --bench figures`
//! prints the summary and the ratios the issue targets.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

#[path = "support/mod.rs"]
mod support;

fn engine_vs_bare_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("yaml");
    // Runs take from a fraction of a second to several seconds: few flat samples are enough.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for routes in support::SIZES {
        let text = support::config(routes);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.measurement_time(Duration::from_secs(if routes > 10_000 { 100 } else { 10 }));
        group.bench_with_input(BenchmarkId::new("bare_load", routes), &text, |b, t| {
            b.iter(|| support::bare_load(black_box(t)))
        });
        group.bench_with_input(
            BenchmarkId::new("parse_3_edits_per_route_apply", routes),
            &text,
            |b, t| b.iter(|| support::engine_run(black_box(t))),
        );
    }
    group.finish();
}

criterion_group!(benches, engine_vs_bare_load);
criterion_main!(benches);
