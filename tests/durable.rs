//! Durable runs in process: the journal in a real store (a SQLite file in
//! a temporary directory), a run that ends, a run whose process "dies"
//! (its future dropped mid-step, as `kill -9` leaves it) and is resumed
//! without running a finished step again, and two resumes racing.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use flow::ir::{Program, WorkflowId};
use flow::runtime::driver::durable::{self, DurableError, Source};
use flow::runtime::engine::{
    EmitError, Event, EventKind, EventSink, RunOptions, RunOutcome, VecSink,
};
use flow::runtime::store::{Durability, ListFilter, Owner, RunStatus, Store, StoreError};
use serde_json::json;

use common::outcome::succeeded;

fn program(source: &str) -> Program {
    let parsed = flow::syntax::parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let (program, problems) = flow::check::check_program(&parsed.file);
    match program {
        Some(program) => program,
        None => panic!("the source does not check: {problems:#?}"),
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-durable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn store(dir: &Path) -> Store {
    Store::open(&dir.join(".flow/runs.db"), Durability::Normal)
        .unwrap_or_else(|e| panic!("the store does not open: {e}"))
}

/// Three steps; each appends its idempotency key to `keys`, the second
/// then sleeps for `pause` seconds.
fn source(dir: &Path, pause: &str) -> String {
    let keys = dir.join("keys");
    let keys = keys.display();
    format!(
        r#"
worker Mark(n: int) -> string {{
  exec {{ command: ["sh", "-c", "echo \"$FLOW_IDEMPOTENCY_KEY\" >> {keys}; echo done"] }}
}}

worker Slow(n: int) -> string {{
  exec {{ command: ["sh", "-c", "echo \"$FLOW_IDEMPOTENCY_KEY\" >> {keys}; sleep {pause}; echo slept"] }}
}}

workflow three() -> string {{
  step one = Mark(n: 1) {{
    on_success -> two
  }}
  step two = Slow(n: 2) {{
    on_success -> three
  }}
  step three = Mark(n: 3) {{
    on_success -> done
  }}
  succeed done = "${{one}} ${{two}} ${{three}}"
}}
"#
    )
}

fn keys(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("keys"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn options(run_id: &str) -> RunOptions {
    RunOptions {
        run_id: Some(run_id.to_owned()),
        seed: Some(3),
        ..RunOptions::default()
    }
}

#[tokio::test]
async fn a_durable_run_is_journaled_and_its_replay_tells_the_same_events() {
    let dir = tempdir("journal");
    let source = source(&dir, "0");
    let program = program(&source);
    let store = store(&dir);
    let owner = Owner::this_process();
    let sink = VecSink::new();
    let finished = durable::start(
        &store,
        &owner,
        &program,
        WorkflowId(0),
        Source {
            path: "three.flow",
            text: &source,
        },
        json!({}),
        options("00000000000000a1"),
        &sink,
        std::future::pending(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(succeeded(&finished), &json!("done slept done"));
    let row = store
        .resolve("00000000000000a1")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.status, RunStatus::Succeeded);
    assert_eq!(row.current_state.as_deref(), Some("done"));
    assert_eq!(row.outcome_json.as_deref(), Some("\"done slept done\""));
    let (text, _) = store.source(row.key).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text, source);
    // One setup entry, the start, and one entry per attempt's end.
    let entries = store
        .journal(row.key, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(entries.len(), 5);
    let replayed = durable::replay(&program, WorkflowId(0), &row.id, &entries, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(replayed.ended.is_some());
    let told: Vec<_> = sink.events();
    assert_eq!(replayed.events, told, "the replay tells the run's events");
    assert_eq!(keys(&dir).len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_run_whose_process_died_resumes_without_repeating_a_finished_step() {
    let dir = tempdir("resume");
    let source = source(&dir, "1");
    let program = program(&source);
    let store = store(&dir);
    let owner = Owner::this_process();
    let sink = VecSink::new();
    // The run is dropped half a second into `two`'s sleep: what a kill
    // leaves (its process is killed with the dropped future).
    let first = tokio::time::timeout(
        Duration::from_millis(500),
        durable::start(
            &store,
            &owner,
            &program,
            WorkflowId(0),
            Source {
                path: "three.flow",
                text: &source,
            },
            json!({}),
            options("00000000000000b2"),
            &sink,
            std::future::pending(),
        ),
    )
    .await;
    assert!(first.is_err(), "the run ended before it was dropped");
    let row = store
        .resolve("00000000000000b2")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.status, RunStatus::Running);
    assert_eq!(row.current_state.as_deref(), Some("two"));
    let before = keys(&dir);
    assert_eq!(before.len(), 2, "{before:?}");

    let sink = VecSink::new();
    let finished = durable::resume(
        &store,
        &owner,
        &row,
        &program,
        WorkflowId(0),
        options("00000000000000b2"),
        &sink,
        std::future::pending(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(succeeded(&finished), &json!("done slept done"));
    let after = keys(&dir);
    // `one` ran once; `two` was in flight, so it ran again with the same
    // key; `three` once.
    assert_eq!(
        after,
        [
            "00000000000000b2:one:1",
            "00000000000000b2:two:1",
            "00000000000000b2:two:1",
            "00000000000000b2:three:1"
        ]
    );
    let events = sink.events();
    assert_eq!(events[0].kind(), EventKind::AttemptInterrupted);
    assert_eq!(events[0].step().map(|s| s.as_str()), Some("two"));
    assert_eq!(events[1].kind(), EventKind::StepStarted);
    assert_eq!(events[1].attempt(), Some(2));
    // The numbering goes on where the first process left it.
    assert!(events[0].seq > 0);
    let row = store
        .resolve("00000000000000b2")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.status, RunStatus::Succeeded);
    // Resuming an ended run is refused.
    let again = durable::resume(
        &store,
        &owner,
        &row,
        &program,
        WorkflowId(0),
        options("00000000000000b2"),
        &sink,
        std::future::pending(),
    )
    .await;
    assert!(
        matches!(again, Err(DurableError::Ended { .. })),
        "{:?}",
        again.err()
    );
    let listed = store
        .list(&ListFilter::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn of_two_processes_resuming_a_run_one_drives_it() {
    let dir = tempdir("race");
    let source = source(&dir, "5");
    let program = program(&source);
    let store = store(&dir);
    let owner = Owner::this_process();
    let sink = VecSink::new();
    // This process drives the run; another one (another owner) asks to
    // resume it while it runs.
    let run = durable::start(
        &store,
        &owner,
        &program,
        WorkflowId(0),
        Source {
            path: "three.flow",
            text: &source,
        },
        json!({}),
        options("00000000000000c3"),
        &sink,
        tokio::time::sleep(Duration::from_millis(800)),
    );
    let other = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let row = store
            .resolve("00000000000000c3")
            .unwrap_or_else(|e| panic!("{e}"));
        let stranger = Owner::from_id(format!("{}@elsewhere:abc", std::process::id()));
        durable::resume(
            &store,
            &stranger,
            &row,
            &program,
            WorkflowId(0),
            options("00000000000000c3"),
            &VecSink::new(),
            std::future::pending(),
        )
        .await
    };
    let (mine, theirs) = tokio::join!(run, other);
    match theirs {
        Err(DurableError::Store(StoreError::Leased { .. })) => {}
        other => panic!(
            "the second resume was not refused: {:?}",
            other.map(|f| f.outcome)
        ),
    }
    // The first was let go by its own stop future (what a signal does to
    // a durable run): not ended, and resumable.
    let mine = mine.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(
            mine.outcome,
            flow::runtime::engine::RunOutcome::Stopped { .. }
        ),
        "{:?}",
        mine.outcome
    );
    let row = store
        .resolve("00000000000000c3")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.status, RunStatus::Running);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sink that takes `take` events, then fails as a full disk would.
struct FailingSink {
    take: usize,
    kept: VecSink,
    seen: std::sync::atomic::AtomicUsize,
}

impl EventSink for FailingSink {
    fn emit(
        &self,
        event: Event,
    ) -> impl std::future::Future<Output = Result<(), EmitError>> + Send {
        let seen = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            if seen < self.take {
                self.kept.emit(event).await
            } else {
                Err(EmitError {
                    destination: "events.ndjson".to_owned(),
                    reason: "No space left on device (os error 28)".to_owned(),
                })
            }
        }
    }
}

#[tokio::test]
async fn a_sink_that_cannot_take_an_event_stops_the_run_and_the_journal_loses_nothing() {
    let dir = tempdir("sink");
    let source = source(&dir, "0");
    let program = program(&source);
    let store = store(&dir);
    let owner = Owner::this_process();
    // `run_started`, then `one`'s start and end, then `two`'s start: the
    // fifth event (`one`'s transition) cannot be written.
    let sink = FailingSink {
        take: 4,
        kept: VecSink::new(),
        seen: Default::default(),
    };
    let finished = durable::start(
        &store,
        &owner,
        &program,
        WorkflowId(0),
        Source {
            path: "three.flow",
            text: &source,
        },
        json!({}),
        options("00000000000000e5"),
        &sink,
        std::future::pending(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    match &finished.outcome {
        RunOutcome::Stopped { reason } => assert_eq!(
            reason,
            "the events could not be written to events.ndjson: No space left on device (os error 28)"
        ),
        other => panic!("the run did not stop: {other:?}"),
    }
    let told = sink.kept.events();
    assert_eq!(told.len(), 4);
    let row = store
        .resolve("00000000000000e5")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.status, RunStatus::Running, "the run is left to resume");
    // Nothing ran after the event that could not be told.
    assert_eq!(keys(&dir), ["00000000000000e5:one:1"]);

    let resumed = VecSink::new();
    let finished = durable::resume(
        &store,
        &owner,
        &row,
        &program,
        WorkflowId(0),
        options("00000000000000e5"),
        &resumed,
        std::future::pending(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(succeeded(&finished), &json!("done slept done"));
    // `one` ran once: its end was journaled before its event was told.
    assert_eq!(
        keys(&dir),
        [
            "00000000000000e5:one:1",
            "00000000000000e5:two:1",
            "00000000000000e5:three:1"
        ]
    );
    // The journal has every event of the run, the ones the sink never
    // took among them, numbered without a gap.
    let entries = store
        .journal(row.key, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let replayed = durable::replay(&program, WorkflowId(0), &row.id, &entries, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    let seqs: Vec<u64> = replayed.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(replayed.events[..4], told[..]);
    assert_eq!(
        replayed.events.last().map(|e| e.kind()),
        Some(EventKind::RunSucceeded)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
