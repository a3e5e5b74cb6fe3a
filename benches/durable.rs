//! Durable runs of the engine against the in-memory engine, on the spin
//! workflow (two builtin `echo` steps taking turns until `a` reaches its
//! `max_visits`): every input journaled in the run store before the run
//! goes on, at `synchronous=NORMAL`.
//!
//! Measured: the time per transition of the in-memory engine and of one
//! durable run, the transitions per second of 100 durable runs at once on
//! a two-thread runtime (their journal writes group-committed), and the
//! bytes of store per transition after a checkpoint, with and without the
//! values the journal holds. Each case runs three times; the best and the
//! median are printed.
//!
//! Run with `cargo bench --bench durable`. Targets (design section 6): at
//! most 50 µs per durable transition for one run, at least 50,000
//! transitions/s over 100 runs, at most 256 bytes per transition beyond the
//! values.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flow::ir::{Program, WorkflowId};
use flow::runtime::driver::durable::{self, Source};
use flow::runtime::engine::{self, NoSink, RunOptions, RunOutcome};
use flow::runtime::store::{Durability, Owner, Store, StoreStats};
use serde_json::json;

const RUNS: usize = 100;

fn workflow(visits: u64) -> String {
    format!(
        r#"worker Echo(n: int) -> {{ n: int }} {{
  builtin {{ name: "echo" }}
}}

workflow spin() -> string {{
  start: a
  max_steps: {max_steps}
  step a = Echo(n: 1) {{
    max_visits: {visits}
    on_success -> b
    on_failure limit -> done
  }}
  step b = Echo(n: 2) {{
    on_success -> a
  }}
  succeed done = "spun"
}}
"#,
        max_steps = 2 * visits + 10
    )
}

/// a→b and b→a for each visit of `a`, then a→done.
fn transitions(visits: u64) -> u64 {
    2 * visits + 1
}

fn program(source: &str) -> Program {
    let parsed = flow::syntax::parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let (program, problems) = flow::check::check_program(&parsed.file);
    match program {
        Some(program) => program,
        None => panic!("the benchmark's workflow does not check: {problems:#?}"),
    }
}

fn options(id: String) -> RunOptions {
    RunOptions {
        run_id: Some(id),
        seed: Some(1),
        ..RunOptions::default()
    }
}

fn assert_spun(outcome: &RunOutcome) {
    match outcome {
        RunOutcome::Succeeded { output } if output == "spun" => {}
        other => panic!("the spin workflow did not finish as it should: {other:?}"),
    }
}

fn fresh_store(dir: &Path) -> Store {
    let _ = std::fs::remove_dir_all(dir);
    match Store::open(&dir.join("runs.db"), Durability::Normal) {
        Ok(store) => store,
        Err(e) => panic!("cannot open the bench store: {e}"),
    }
}

/// The run ids of a round: 16 hex digits, distinct per round and run.
fn run_id(round: usize, run: usize) -> String {
    format!("{:08x}{:08x}", round, run)
}

fn in_memory(program: &Program, visits: u64) -> Duration {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => panic!("no tokio runtime: {e}"),
    };
    let started = Instant::now();
    let finished = runtime.block_on(engine::run(
        program,
        WorkflowId(0),
        json!({}),
        options("0000000000000001".into()),
        &NoSink,
    ));
    let took = started.elapsed();
    match finished {
        Ok(f) => assert_spun(&f.outcome),
        Err(e) => panic!("the run did not start: {e}"),
    }
    assert!(visits > 0);
    took
}

/// `runs` durable runs at once on a runtime of `threads` threads; the
/// time they took together.
fn durable_runs(
    program: &Program,
    source: &str,
    dir: &Path,
    round: usize,
    runs: usize,
    threads: usize,
) -> (Duration, StoreStats) {
    // Spawned tasks must own what they borrow: a bench may leak it.
    let store: &'static Store = Box::leak(Box::new(fresh_store(dir)));
    let program: &'static Program = Box::leak(Box::new(program.clone()));
    let source: &'static str = Box::leak(source.to_owned().into_boxed_str());
    let owner: &'static Owner = Box::leak(Box::new(Owner::this_process()));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => panic!("no tokio runtime: {e}"),
    };
    let started = Instant::now();
    runtime.block_on(async {
        let mut tasks = Vec::with_capacity(runs);
        for i in 0..runs {
            tasks.push(tokio::spawn(async move {
                durable::start(
                    store,
                    owner,
                    program,
                    WorkflowId(0),
                    Source {
                        path: "spin.flow",
                        text: source,
                    },
                    json!({}),
                    options(run_id(round, i)),
                    &NoSink,
                    std::future::pending(),
                )
                .await
                .map(|f| f.outcome)
                .map_err(|e| e.to_string())
            }));
        }
        for task in tasks {
            match task.await {
                Ok(Ok(outcome)) => assert_spun(&outcome),
                Ok(Err(e)) => panic!("a durable run did not start: {e}"),
                Err(e) => panic!("a durable run's task failed: {e}"),
            }
        }
    });
    (started.elapsed(), store.stats())
}

fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Prints the best and the median of `figures`: the best is the highest
/// of a rate (`/s`), the lowest of anything else.
fn report(name: &str, mut figures: Vec<f64>, unit: &str) {
    figures.sort_by(f64::total_cmp);
    if unit.starts_with('/') {
        figures.reverse();
    }
    let best = figures.first().copied().unwrap_or(0.0);
    let median = figures.get(figures.len() / 2).copied().unwrap_or(0.0);
    println!("{name:<44} best {best:>10.2} {unit}   median {median:>10.2} {unit}");
}

fn main() {
    // `cargo test --benches` runs this with no `--bench`: a short round
    // that checks it works, without the measurement.
    let full = std::env::args().any(|arg| arg == "--bench");
    let (visits_one, visits_many, rounds) = if full {
        (10_000u64, 500u64, 3)
    } else {
        (50, 5, 1)
    };
    let dir = std::env::temp_dir().join(format!("flow-bench-durable-{}", std::process::id()));

    let one = workflow(visits_one);
    let one_program = program(&one);
    let per_one = transitions(visits_one) as f64;
    let mut memory = Vec::new();
    let mut single = Vec::new();
    let mut bytes = Vec::new();
    let mut beyond = Vec::new();
    // `FLOW_BENCH_CONCURRENT_ONLY=1`: the case of 100 runs alone, for a
    // profiler.
    let concurrent_only = std::env::var_os("FLOW_BENCH_CONCURRENT_ONLY").is_some();
    for round in (0..rounds).filter(|_| !concurrent_only) {
        memory.push(in_memory(&one_program, visits_one).as_secs_f64() * 1e6 / per_one);
        let (took, _) = durable_runs(&one_program, &one, &dir, round, 1, 1);
        single.push(took.as_secs_f64() * 1e6 / per_one);
        let store = fresh_store(&dir.join("size"));
        let empty = {
            let _ = store.checkpoint();
            file_size(&dir.join("size/runs.db"))
        };
        drop(store);
        let _ = durable_runs(&one_program, &one, &dir.join("size"), round, 1, 1);
        if let Ok(store) = Store::open(&dir.join("size/runs.db"), Durability::Normal) {
            let _ = store.checkpoint();
        }
        let grown = file_size(&dir.join("size/runs.db")).saturating_sub(empty) as f64;
        bytes.push(grown / per_one);
        // Each transition's input holds one output value, `{"n":1}`.
        let value = serde_json::to_string(&json!({"n": 1}))
            .map(|s| s.len())
            .unwrap_or(0) as f64;
        beyond.push(grown / per_one - value);
    }
    let many = workflow(visits_many);
    let many_program = program(&many);
    let total = transitions(visits_many) as f64 * RUNS as f64;
    let mut concurrent = Vec::new();
    let mut shared = Vec::new();
    for round in 0..rounds {
        let (took, stats) = durable_runs(&many_program, &many, &dir, round, RUNS, 2);
        concurrent.push(total / took.as_secs_f64());
        shared.push(stats.appends as f64 / stats.commits.max(1) as f64);
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !full {
        println!("durable: the benchmark works (run `cargo bench --bench durable` to measure)");
        return;
    }
    println!(
        "spin workflow: {} transitions for one run, {} runs of {} for the concurrent case",
        per_one,
        RUNS,
        transitions(visits_many)
    );
    report("in memory, per transition", memory, "µs");
    report("durable, one run, per transition", single, "µs");
    report("durable, 100 runs at once, transitions/s", concurrent, "/s");
    report("durable, 100 runs at once, appends per commit", shared, "");
    report("store per transition", bytes, "B");
    report("store per transition beyond the values", beyond, "B");
}
