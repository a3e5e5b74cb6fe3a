//! The engine's own overhead: a three-state review loop with builtin
//! workers (`write` and `review` call `echo`; the reviewer approves the third
//! draft and `write` then finishes), 7 transitions and 7 worker calls per
//! run, run in process on a current-thread tokio runtime with no event
//! sink and no journal: nobody reads the events, so the machine numbers
//! them and keeps its open steps but does not hand them out
//! (`Machine::quiet`). What is measured is the decisions, the expressions,
//! the validation of each value and the driver.
//!
//! Run with `cargo bench --bench engine`; criterion reports the time per
//! run and, as throughput, transitions per second (`Elements(7)`). The
//! target is at most 1 µs per transition.

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use flow::ir::{Program, WorkflowId};
use flow::runtime::engine::{self, EmitError, Event, EventSink, NoSink, RunOptions, RunOutcome};
use serde_json::json;

const REVIEW_LOOP: &str = r#"
worker Write(round: int) -> { round: int } {
  builtin { name: "echo" }
}

worker Review(round: int, approved: bool) -> { round: int, approved: bool } {
  builtin { name: "echo" }
}

workflow review_loop(goal: string) -> int {
  step write = Write(round: (review?.round ?? 0) + 1) {
    max_visits: 10
    on_success when review?.approved ?? false -> done
    on_success -> review
  }
  step review = Review(round: write.round, approved: write.round >= 3) {
    max_visits: 10
    on_success -> write
  }
  succeed done = write.round
}
"#;

/// Transitions per run: write→review and review→write three times, then
/// write→done.
const TRANSITIONS: u64 = 7;

fn program() -> Program {
    let parsed = flow::syntax::parse(REVIEW_LOOP);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let (program, problems) = flow::check::check_program(&parsed.file);
    match program {
        Some(program) => program,
        None => panic!("the benchmark's workflow does not check: {problems:#?}"),
    }
}

fn options(env: &Arc<std::collections::HashMap<String, String>>) -> RunOptions {
    RunOptions {
        run_id: Some("bench".into()),
        seed: Some(1),
        env: env.clone(),
        ..RunOptions::default()
    }
}

fn review_loop(c: &mut Criterion) {
    let program = program();
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(e) => panic!("no tokio runtime: {e}"),
    };
    let env = Arc::new(std::collections::HashMap::new());
    // Refuse to measure a run that does not do what is described above.
    let finished = runtime
        .block_on(engine::run(
            &program,
            WorkflowId(0),
            json!({ "goal": "a parser" }),
            options(&env),
            &NoSink,
        ))
        .unwrap_or_else(|e| panic!("the run did not start: {e}"));
    assert_eq!(finished.outcome, RunOutcome::Succeeded { output: json!(4) });
    assert_eq!(finished.state.steps, TRANSITIONS);

    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(TRANSITIONS));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("review_loop", |b| {
        b.iter(|| {
            runtime.block_on(engine::run(
                &program,
                WorkflowId(0),
                black_box(json!({ "goal": "a parser" })),
                options(&env),
                &NoSink,
            ))
        })
    });
    group.finish();
}

/// `runs` runs one after the other, their events given to `sink`.
fn count_runs<S: EventSink>(
    program: &Program,
    runtime: &tokio::runtime::Runtime,
    runs: u32,
    sink: &S,
) {
    let env = Arc::new(std::collections::HashMap::new());
    for _ in 0..runs {
        let finished = runtime.block_on(engine::run(
            program,
            WorkflowId(0),
            black_box(json!({ "goal": "a parser" })),
            options(&env),
            sink,
        ));
        black_box(finished.is_ok());
    }
}

/// A sink that listens and drops what it is given.
struct Listening;

impl EventSink for Listening {
    fn emit(&self, event: Event) -> impl Future<Output = Result<(), EmitError>> + Send {
        black_box(&event);
        std::future::ready(Ok(()))
    }
}

fn main() {
    // `FLOW_BENCH_RUNS=N`: N runs and nothing else, for counting
    // instructions with `valgrind --tool=callgrind`, which is stable where
    // the wall clock of a shared VM is not.
    if let Some(runs) = std::env::var("FLOW_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
    {
        let program = program();
        let runtime = match tokio::runtime::Builder::new_current_thread().build() {
            Ok(runtime) => runtime,
            Err(e) => panic!("no tokio runtime: {e}"),
        };
        // `FLOW_BENCH_EVENTS=1`: with a sink that listens and drops each
        // event, so the events are built as for a run with a trace.
        if std::env::var_os("FLOW_BENCH_EVENTS").is_some() {
            count_runs(&program, &runtime, runs, &Listening);
        } else {
            count_runs(&program, &runtime, runs, &NoSink);
        }
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    review_loop(&mut criterion);
    criterion.final_summary();
}
