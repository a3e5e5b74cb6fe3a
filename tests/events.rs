//! The engine's events and hooks: every `step_started` ends, a fan-out's
//! cancelled calls say so, retries are announced, hooks run in the
//! documented order and a failing hook names itself without running the
//! worker again; mocked workers give their outcomes one per call.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use flow::ir::{FailureClass, Program, WorkerId, WorkflowId};
use flow::runtime::engine::{
    self, Event, EventKind, Finished, HookPlace, Mock, MockOutcome, RunOptions, VecSink,
};
use serde_json::json;

use common::outcome::{failed, succeeded};

fn workers() -> String {
    format!("{}/tests/workers", env!("CARGO_MANIFEST_DIR"))
}

fn program(source: &str) -> Program {
    let parsed = flow::syntax::parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let (program, problems) = flow::check::check_program(&parsed.file);
    match program {
        Some(program) => program,
        None => panic!("the source does not check: {problems:#?}"),
    }
}

fn options() -> RunOptions {
    RunOptions {
        run_id: Some("run-1".into()),
        seed: Some(1),
        ..RunOptions::default()
    }
}

async fn run_with(source: &str, options: RunOptions) -> (Finished, Vec<Event>) {
    let program = program(source);
    let sink = VecSink::new();
    let finished = engine::run(&program, WorkflowId(0), json!({}), options, &sink)
        .await
        .unwrap_or_else(|e| panic!("the run did not start: {e}"));
    (finished, sink.events())
}

async fn run(source: &str) -> (Finished, Vec<Event>) {
    run_with(source, options()).await
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-events-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Every `step_started` of a step, branch or item is followed by an end
/// event of the same step before the run ends, and no end comes without a
/// start.
fn assert_paired(events: &[Event]) {
    let mut open: HashMap<&str, usize> = HashMap::new();
    for e in events {
        let step = e.step().map(|s| s.as_str()).unwrap_or("");
        match e.kind() {
            EventKind::StepStarted => *open.entry(step).or_default() += 1,
            EventKind::StepSucceeded
            | EventKind::AttemptFailed
            | EventKind::StepCancelled
            | EventKind::StepFailed
                if open.get(step).copied().unwrap_or(0) > 0 =>
            {
                *open.entry(step).or_default() -= 1;
            }
            // A `step_failed` after an `attempt_failed` (which ended the
            // attempt) or with no attempt at all (a refusal) ends nothing.
            EventKind::StepFailed => {}
            EventKind::StepSucceeded | EventKind::AttemptFailed | EventKind::StepCancelled => {
                panic!("{:?} of `{step}` without a start: {events:#?}", e.kind())
            }
            _ => {}
        }
    }
    let unended: Vec<_> = open.iter().filter(|(_, n)| **n > 0).collect();
    assert!(unended.is_empty(), "started and never ended: {unended:?}");
}

fn kinds_of(events: &[Event], step: &str) -> Vec<EventKind> {
    events
        .iter()
        .filter(|e| e.step().map(|s| s.as_str()) == Some(step))
        .map(|e| e.kind())
        .collect()
}

#[tokio::test]
async fn a_failing_branch_cancels_the_others_and_each_says_so() {
    let source = format!(
        r#"
worker Slow() -> string {{
  exec {{ command: ["sh", "-c", "cat >/dev/null; sleep 30; echo '\"late\"'"] }}
}}
worker Broken() -> string {{
  exec {{ command: ["sh", "{w}/fail.sh", "1"] }}
}}
workflow go() -> string {{
  parallel both {{
    branch slow = Slow()
    branch other = Slow()
    branch broken = Broken()
    on_success -> done
  }}
  succeed done = "no"
}}
"#,
        w = workers()
    );
    let (finished, events) = run(&source).await;
    assert_eq!(failed(&finished).state, "both");
    assert_paired(&events);
    // The state starts like a step, before its branches.
    assert_eq!(events[1].kind(), EventKind::StepStarted);
    assert_eq!(events[1].step().map(|s| s.as_str()), Some("both"));
    assert_eq!(events[1].attempt(), None);
    for branch in ["both.slow", "both.other"] {
        assert_eq!(
            kinds_of(&events, branch),
            vec![EventKind::StepStarted, EventKind::StepCancelled],
            "{branch}"
        );
        let cancel = events.iter().find(|e| {
            e.kind() == EventKind::StepCancelled && e.step().map(|s| s.as_str()) == Some(branch)
        });
        assert_eq!(
            cancel.and_then(|e| e.message()),
            Some("cancelled because branch `broken` failed")
        );
    }
    assert_eq!(
        kinds_of(&events, "both"),
        vec![
            EventKind::StepStarted,
            EventKind::StepFailed,
            EventKind::RunFailed
        ]
    );
}

#[tokio::test]
async fn a_failing_item_cancels_the_items_under_way_but_not_those_not_started() {
    let source = format!(
        r#"
worker Item(n: int) -> int {{
  exec {{ command: ["sh", "-c", "read line; case \"$line\" in *3*) sh {w}/fail.sh 1 ;; *) sleep 30 ;; esac"] }}
}}
workflow go() -> [int] {{
  map each = Item(n: n) for n in [0, 1, 2, 3, 4, 5] {{
    max_concurrency: 4
    on_success -> done
  }}
  succeed done = each
}}
"#,
        w = workers()
    );
    let (finished, events) = run(&source).await;
    assert_eq!(failed(&finished).state, "each");
    assert_paired(&events);
    assert_eq!(kinds_of(&events, "each")[0], EventKind::StepStarted);
    for item in ["each[0]", "each[1]", "each[2]"] {
        assert_eq!(
            kinds_of(&events, item),
            vec![EventKind::StepStarted, EventKind::StepCancelled],
            "{item}"
        );
    }
    // Items 4 and 5 never had their turn: nothing started, nothing ends.
    assert!(kinds_of(&events, "each[4]").is_empty());
    assert!(kinds_of(&events, "each[5]").is_empty());
}

#[tokio::test]
async fn a_map_that_succeeds_starts_and_ends_like_a_step() {
    let source = r#"
worker Double(n: int) -> { n: int } {
  builtin { name: "echo" }
}
workflow go() -> int {
  map each = Double(n: n) for n in [1, 2] {
    on_success -> done
  }
  succeed done = len(each)
}
"#;
    let (finished, events) = run(source).await;
    assert_eq!(succeeded(&finished), &json!(2));
    assert_paired(&events);
    assert_eq!(
        kinds_of(&events, "each"),
        vec![
            EventKind::StepStarted,
            EventKind::StepSucceeded,
            EventKind::Transition
        ]
    );
}

#[tokio::test]
async fn each_retry_is_announced_with_its_wait() {
    let dir = tempdir("retry");
    let counter = dir.join("count");
    let source = format!(
        r#"
worker Flaky() -> {{ calls: int }} {{
  exec {{ command: ["sh", "{w}/engine_countdown.sh", "{c}", "2"] }}
  retries: 2
  backoff: 20ms
}}
workflow go() -> int {{
  step s = Flaky() {{
    on_success -> done
  }}
  succeed done = s.calls
}}
"#,
        w = workers(),
        c = counter.display()
    );
    let (finished, events) = run(&source).await;
    assert_eq!(succeeded(&finished), &json!(3));
    assert_paired(&events);
    // (the attempt to come, of how many, the wait, the class that caused it)
    type Retry = (Option<u32>, Option<u32>, Option<u64>, Option<FailureClass>);
    let retries: Vec<Retry> = events
        .iter()
        .filter(|e| e.kind() == EventKind::RetryScheduled)
        .map(|e| {
            let retry = e.retry();
            (
                e.attempt(),
                retry.map(|r| r.1),
                retry.map(|r| r.0),
                e.class(),
            )
        })
        .collect();
    let transient = Some(FailureClass::Transient);
    // `backoff: 20ms` waits 20 ms every time.
    assert_eq!(
        retries,
        vec![
            (Some(2), Some(3), Some(20), transient),
            (Some(3), Some(3), Some(20), transient)
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Hooks that each append a letter to `x`, so the order they ran in can be
/// read from the value.
const LETTERS: &str = r#"
transformer state_before(r: { x: string }) -> { x: string } = { x: "${r.x}S" }
transformer worker_before(r: { x: string }) -> { x: string } = { x: "${r.x}W" }
transformer worker_after(r: { x: string }) -> { x: string } = { x: "${r.x}w" }
transformer state_after(r: { x: string }) -> { x: string } = { x: "${r.x}s" }
worker Echo(x: string) -> { x: string } {
  builtin { name: "echo" }
  before: worker_before
  after: worker_after
}
"#;

#[tokio::test]
async fn hooks_run_the_state_s_outside_the_worker_s() {
    let source = format!(
        r#"{LETTERS}
workflow go() -> [string] {{
  step one = Echo(x: "") {{
    before: state_before
    after: state_after
    on_success -> both
  }}
  parallel both {{
    branch b = Echo(x: "") {{
      before: state_before
      after: state_after
    }}
    on_success -> each
  }}
  map each = Echo(x: x) for x in [""] {{
    before: state_before
    after: state_after
    on_success -> done
  }}
  succeed done = [one.x, both.b.x, each[0]?.x ?? "none"]
}}
"#
    );
    let (finished, _) = run(&source).await;
    // State `before`, worker `before`, the worker, worker `after`, state
    // `after`: in a step, a branch and a map alike.
    assert_eq!(succeeded(&finished), &json!(["SWws", "SWws", "SWws"]));
}

#[tokio::test]
async fn a_failing_after_hook_names_itself_and_does_not_run_the_worker_again() {
    let dir = tempdir("after-hook");
    let counter = dir.join("count");
    let source = format!(
        r#"
transformer shape(r: {{ calls: int }}) -> {{ calls: int }} {{
  exec {{ command: ["sh", "-c", "cat >/dev/null; echo 'shape: no title' >&2; exit 3"] }}
}}
worker Counted() -> {{ calls: int }} {{
  exec {{ command: ["sh", "{w}/engine_countdown.sh", "{c}", "0"] }}
  retries: 3
  backoff: 1ms
  retry_on: [timeout, transient, output, worker]
  after: shape
}}
workflow go() -> int {{
  step s = Counted() {{
    on_success -> done
  }}
  succeed done = s.calls
}}
"#,
        w = workers(),
        c = counter.display()
    );
    let (finished, events) = run(&source).await;
    let error = failed(&finished);
    assert_eq!(error.state, "s");
    assert!(
        error
            .message
            .starts_with("the `after` hook `shape` failed: "),
        "{}",
        error.message
    );
    // The worker ran once: its output was fine, the hook was not.
    assert_eq!(
        std::fs::read_to_string(&counter).ok().as_deref(),
        Some("1\n")
    );
    assert!(events.iter().all(|e| e.kind() != EventKind::RetryScheduled));
    assert_paired(&events);
    let failed = events
        .iter()
        .find(|e| e.kind() == EventKind::StepFailed)
        .unwrap_or_else(|| panic!("no step_failed: {events:#?}"));
    let hook = failed.hook().map(|h| (h.place, h.name.as_str()));
    assert_eq!(hook, Some((HookPlace::After, "shape")));
    // What the hook program wrote on stderr is in the event.
    assert!(
        failed.log().is_some_and(|l| l.contains("shape: no title")),
        "{failed:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failing_before_hook_fails_the_call_before_the_worker_starts() {
    let dir = tempdir("before-hook");
    let counter = dir.join("count");
    let source = format!(
        r#"
transformer prepare(r: {{}}) -> {{}} {{
  exec {{ command: ["sh", "-c", "cat >/dev/null; echo 'prepare: out of paper' >&2; exit 1"] }}
}}
worker Counted() -> {{ calls: int }} {{
  exec {{ command: ["sh", "{w}/engine_countdown.sh", "{c}", "0"] }}
  retries: 2
  before: prepare
}}
workflow go() -> int {{
  step s = Counted() {{
    on_success -> done
  }}
  succeed done = s.calls
}}
"#,
        w = workers(),
        c = counter.display()
    );
    let (finished, events) = run(&source).await;
    assert!(
        failed(&finished)
            .message
            .starts_with("the `before` hook `prepare` failed: "),
        "{}",
        failed(&finished).message
    );
    assert!(!counter.exists(), "the worker ran");
    assert!(events.iter().all(|e| e.kind() != EventKind::StepStarted));
    let failed = events.iter().find(|e| e.kind() == EventKind::StepFailed);
    assert!(
        failed
            .and_then(|e| e.log())
            .is_some_and(|l| l.contains("prepare: out of paper")),
        "{failed:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_hook_program_s_stderr_is_in_the_step_s_log() {
    let source = r#"
transformer loud(r: { x: string }) -> { x: string } {
  exec { command: ["sh", "-c", "cat >/dev/null; echo 'loud: tidied' >&2; echo '{\"x\": \"tidy\"}'"] }
}
worker Echo(x: string) -> { x: string } {
  builtin { name: "echo" }
  after: loud
}
workflow go() -> string {
  step s = Echo(x: "hi") {
    on_success -> done
  }
  succeed done = s.x
}
"#;
    let (finished, events) = run(source).await;
    assert_eq!(succeeded(&finished), &json!("tidy"));
    let succeeded = events.iter().find(|e| e.kind() == EventKind::StepSucceeded);
    assert_eq!(succeeded.and_then(|e| e.log()), Some("loud: tidied\n"));
}

#[tokio::test]
async fn a_refusal_by_max_visits_says_what_happened() {
    let source = r#"
worker Echo(n: int) -> { n: int } {
  builtin { name: "echo" }
}
workflow go() -> string {
  step review = Echo(n: 1) {
    max_visits: 3
    on_success -> review
    on_failure limit -> done
  }
  succeed done = error?.message ?? "none"
}
"#;
    let (finished, events) = run(source).await;
    assert_eq!(
        succeeded(&finished),
        &json!("`review` reached its limit of 3 visits")
    );
    assert_paired(&events);
    let refusal = events.iter().find(|e| e.kind() == EventKind::StepFailed);
    assert_eq!(refusal.and_then(|e| e.attempt()), None);
    assert_eq!(refusal.and_then(|e| e.class()), Some(FailureClass::Limit));
}

#[tokio::test]
async fn a_mock_gives_its_outcomes_one_per_call_and_repeats_the_last() {
    let source = r#"
worker Flaky() -> { n: int } {
  builtin { name: "fail" }
  retries: 2
  backoff: 1ms
}
workflow go() -> int {
  step s = Flaky() {
    on_success -> again
  }
  step again = Flaky() {
    on_success -> done
  }
  succeed done = s.n + again.n
}
"#;
    let mock = Mock::new(vec![
        MockOutcome::Fail {
            class: FailureClass::Transient,
            message: "connection reset".into(),
        },
        MockOutcome::Output(json!({ "n": 20 })),
    ]);
    let mocks = HashMap::from([(WorkerId(0), mock.unwrap_or_else(|| Mock::output(json!({}))))]);
    let options = RunOptions {
        mocks: Arc::new(mocks),
        ..options()
    };
    let (finished, events) = run_with(source, options).await;
    // `s` failed once and was retried; `again` got the last outcome again.
    assert_eq!(succeeded(&finished), &json!(40));
    assert_eq!(
        kinds_of(&events, "s"),
        vec![
            EventKind::StepStarted,
            EventKind::AttemptFailed,
            EventKind::RetryScheduled,
            EventKind::StepStarted,
            EventKind::StepSucceeded,
            EventKind::Transition
        ]
    );
    let failure = events
        .iter()
        .find(|e| e.kind() == EventKind::AttemptFailed)
        .and_then(|e| e.message());
    assert_eq!(failure, Some("connection reset"));
}

#[tokio::test]
async fn a_mocked_human_worker_needs_no_person_and_no_store() {
    let source = r#"
worker Approver(draft: string) -> { approved: bool } {
  human { prompt: "Approve ${draft}?" }
}
workflow go() -> bool {
  step ask = Approver(draft: "d") {
    on_success -> done
  }
  succeed done = ask.approved
}
"#;
    let program = program(source);
    let sink = VecSink::new();
    let refused = engine::run(&program, WorkflowId(0), json!({}), options(), &sink).await;
    assert!(refused.is_err(), "an unmocked human worker needs the store");
    let options = RunOptions {
        mocks: Arc::new(HashMap::from([(
            WorkerId(0),
            Mock::output(json!({ "approved": true })),
        )])),
        ..options()
    };
    let (finished, _) = run_with(source, options).await;
    assert_eq!(succeeded(&finished), &json!(true));
}
