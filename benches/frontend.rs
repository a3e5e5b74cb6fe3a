//! Front-end throughput: `parse`, `parse_on_threads` (as `flow check`
//! parses: on every core), `check` on a parsed file (and `check_program`
//! and `analyze`, which record more), and both, on
//! generated files of 1,000, 10,000 and 100,000 states (see `gen/mod.rs`).
//!
//! Run with `cargo bench --bench frontend`; criterion prints the time per
//! run and the throughput in MB/s (10^6 bytes) of source text. The sample counts are
//! small so that the whole run takes a few minutes on two cores.

#[path = "gen/mod.rs"]
mod generator;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};

/// The sizes measured, with the time criterion spends measuring each of
/// the three benchmarks of that size.
const SIZES: [(usize, &str, u64); 3] =
    [(1_000, "1k", 3), (10_000, "10k", 8), (100_000, "100k", 25)];

/// The seed of every generated file, so that the figures compare across
/// runs and machines.
const SEED: u64 = 1;

fn frontend(c: &mut Criterion, sizes: &[(usize, &str, u64)]) {
    for &(states, label, seconds) in sizes {
        let generated = generator::generate(states, SEED);
        let source = generated.source;
        let parsed = flow::syntax::parse(&source);
        // A benchmark of the error path would measure something else:
        // refuse to run on a file that does not parse or check clean.
        assert!(
            parsed.errors.is_empty(),
            "the generated file of {states} states has syntax errors, the first: {}",
            parsed.errors[0]
        );
        let problems = flow::check::check(&parsed.file);
        if !problems.is_empty() {
            eprintln!(
                "warning: the generated file of {states} states has {} check problems (the first: {}); \
                 the check figures include reporting them",
                problems.len(),
                problems[0]
            );
        }

        let mut group = c.benchmark_group(format!("states_{label}"));
        group.throughput(Throughput::BytesDecimal(source.len() as u64));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(seconds));
        if states >= 10_000 {
            // One iteration per sample: a run takes long enough to time alone.
            group.sampling_mode(SamplingMode::Flat);
        }

        group.bench_function("parse", |b| {
            b.iter(|| flow::syntax::parse(black_box(&source)))
        });
        // As `flow check` parses: a large file on every core there is.
        let threads = std::thread::available_parallelism().unwrap_or(std::num::NonZeroUsize::MIN);
        group.bench_function("parse_on_threads", |b| {
            b.iter(|| flow::syntax::parse_on_threads(black_box(&source), threads))
        });
        group.bench_function("check", |b| {
            b.iter(|| flow::check::check(black_box(&parsed.file)))
        });
        // What the tables cost: `check_program` records what names
        // resolved to (and builds the program), `analyze` also the types
        // of definitions and expressions and puts the `Analysis` together.
        group.bench_function("check_program", |b| {
            b.iter(|| flow::check::check_program(black_box(&parsed.file)))
        });
        group.bench_function("analyze", |b| {
            b.iter(|| flow::check::analyze(black_box(&parsed.file)))
        });
        group.bench_function("parse+check", |b| {
            b.iter(|| {
                let parsed = flow::syntax::parse(black_box(&source));
                let problems = flow::check::check(&parsed.file);
                (parsed, problems)
            })
        });
        group.finish();
    }
}

fn main() {
    // `cargo test --all-targets` runs benchmarks once each in a debug build,
    // without `--bench`: there, the smallest size shows that they work,
    // while the large ones would take minutes.
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let sizes = if measuring { &SIZES[..] } else { &SIZES[..1] };
    let mut criterion = Criterion::default().configure_from_args();
    frontend(&mut criterion, sizes);
    criterion.final_summary();
}
