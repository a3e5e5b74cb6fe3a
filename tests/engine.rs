//! The engine against real programs: workflows written in `.flow`, checked
//! with `check_program`, and run with builtin and small exec workers from
//! `tests/workers/`.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use flow::ir::{FailureClass, Program, StateKind, WorkflowId};
use flow::runtime::engine::{
    self, Event, EventKind, Finished, RunOptions, RunOutcome, StartError, VecSink, What,
};
use serde_json::{Value, json};

use common::outcome::{failed, succeeded};

fn workers() -> String {
    format!("{}/tests/workers", env!("CARGO_MANIFEST_DIR"))
}

/// The program of `source`, which must check clean.
fn program(source: &str) -> Program {
    let parsed = flow::syntax::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors: {:?}",
        parsed.errors
    );
    let (program, problems) = flow::check::check_program(&parsed.file);
    match program {
        Some(program) => program,
        None => panic!("the source does not check: {problems:#?}"),
    }
}

fn options(env: &[(&str, &str)]) -> RunOptions {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    RunOptions {
        run_id: Some("run-1".into()),
        seed: Some(1),
        env: Arc::new(env),
        ..RunOptions::default()
    }
}

async fn run_with(source: &str, input: Value, options: RunOptions) -> (Finished, Vec<Event>) {
    let program = program(source);
    let sink = VecSink::new();
    let finished = engine::run(&program, WorkflowId(0), input, options, &sink)
        .await
        .unwrap_or_else(|e| panic!("the run did not start: {e}"));
    (finished, sink.events())
}

async fn run(source: &str, input: Value) -> (Finished, Vec<Event>) {
    run_with(source, input, options(&[])).await
}

fn names(events: &[Event]) -> Vec<(EventKind, Option<&str>)> {
    events
        .iter()
        .map(|e| (e.kind(), e.step().map(|s| s.as_str())))
        .collect()
}

const HELLO: &str = r#"
worker Echo(greeting: string) -> { greeting: string } {
  builtin { name: "echo" }
}

workflow hello(name: string) -> string {
  step greet = Echo(greeting: "Hello, ${name}!") {
    on_success -> done
  }
  succeed done = greet.greeting
}
"#;

#[tokio::test]
async fn a_linear_workflow_runs_and_its_events_come_in_order() {
    let (finished, events) = run(HELLO, json!({ "name": "Ada" })).await;
    assert_eq!(succeeded(&finished), &json!("Hello, Ada!"));
    assert_eq!(
        names(&events),
        vec![
            (EventKind::RunStarted, None),
            (EventKind::StepStarted, Some("greet")),
            (EventKind::StepSucceeded, Some("greet")),
            (EventKind::Transition, Some("greet")),
            (EventKind::RunSucceeded, None),
        ]
    );
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![0, 1, 2, 3, 4]);
    assert!(events.iter().all(|e| &*e.run_id == "run-1"));
    // Stamped with the time of the run, in order.
    let now = flow::runtime::engine::Timestamp::now();
    assert!(events.iter().all(|e| e.ts.0 > 0 && e.ts <= now));
    assert!(events.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(events[1].attempt(), Some(1));
    assert_eq!(
        events[2].output().map(|o| &**o),
        Some(&json!({ "greeting": "Hello, Ada!" }))
    );
    assert_eq!(events[3].target().map(|s| s.as_str()), Some("done"));
    assert_eq!(
        events[4].output().map(|o| &**o),
        Some(&json!("Hello, Ada!"))
    );
    assert_eq!(finished.state.steps, 1);
    assert_eq!(finished.state.visits, vec![1, 0]);
    // The state is plain data: it survives a round trip through JSON.
    let text = serde_json::to_string(&finished.state).unwrap_or_default();
    let back: engine::RunState = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, finished.state);
    let line = serde_json::to_value(&events[3]).unwrap_or_default();
    assert_eq!(line["event"], "transition");
}

#[tokio::test]
async fn input_that_does_not_fit_is_refused_naming_the_field() {
    let program = program(HELLO);
    let sink = VecSink::new();
    let err = engine::run(
        &program,
        WorkflowId(0),
        json!({ "name": 3 }),
        options(&[]),
        &sink,
    )
    .await
    .err();
    match err {
        Some(StartError::InvalidInput { mismatch, .. }) => {
            assert_eq!(
                mismatch.to_string(),
                "$.name: expected string, found number"
            );
        }
        other => panic!("expected invalid input, got {other:?}"),
    }
    assert!(sink.events().is_empty());
}

fn review_loop(counter: &str, revisions: u32) -> String {
    format!(
        r#"
type Review {{
  verdict: "approve" | "revise"
  comments: [string]
}}

worker Coder(feedback: [string]) -> {{ feedback: [string] }} {{
  builtin {{ name: "echo" }}
}}

worker Reviewer(code: {{ feedback: [string] }}) -> Review {{
  exec {{ command: ["sh", "{w}/engine_review.sh", "{counter}", "{revisions}"] }}
}}

workflow build() -> string {{
  step implement = Coder(feedback: review?.comments ?? []) {{
    on_success -> review
  }}
  step review = Reviewer(code: implement) {{
    max_visits: 3
    on_success when review.verdict == "approve" -> approved
    on_success -> implement
    on_failure limit -> gave_up
    on_failure -> failed
  }}
  succeed approved = "approved"
  succeed gave_up = "gave up after ${{len(implement.feedback)}} comment(s)"
  fail failed = "the reviewer failed"
}}
"#,
        w = workers()
    )
}

#[tokio::test]
async fn a_review_loop_is_bounded_by_max_visits_and_routes_the_limit() {
    let dir = tempdir("review-limit");
    let counter = dir.join("count");
    let source = review_loop(&counter.display().to_string(), 10);
    let (finished, events) = run(&source, json!({})).await;
    assert_eq!(succeeded(&finished), &json!("gave up after 1 comment(s)"));
    // Three real reviews, then the fourth visit fails with `limit`.
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap_or_default().trim(),
        "3"
    );
    let limit: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind() == EventKind::StepFailed)
        .collect();
    assert_eq!(limit.len(), 1);
    assert_eq!(limit[0].class(), Some(FailureClass::Limit));
    assert_eq!(finished.state.visits[1], 4);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_review_loop_ends_when_the_reviewer_approves() {
    let dir = tempdir("review-approve");
    let counter = dir.join("count");
    let source = review_loop(&counter.display().to_string(), 1);
    let (finished, _) = run(&source, json!({})).await;
    assert_eq!(succeeded(&finished), &json!("approved"));
    assert_eq!(finished.state.visits, vec![2, 2, 0, 0, 0]);
    let _ = std::fs::remove_dir_all(dir);
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-engine-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn flaky(counter: &str, failures: u32, retries: u32) -> String {
    format!(
        r#"
worker Flaky() -> {{ calls: int }} {{
  exec {{ command: ["sh", "{w}/engine_countdown.sh", "{counter}", "{failures}"] }}
  retries: {retries}
  backoff: 1ms..4ms
}}

workflow go() -> int {{
  step call = Flaky() {{
    on_success -> done
  }}
  succeed done = call.calls
}}
"#,
        w = workers()
    )
}

#[tokio::test]
async fn transient_failures_are_retried_until_success() {
    let dir = tempdir("retries");
    let counter = dir.join("count");
    let (finished, events) = run(&flaky(&counter.display().to_string(), 2, 3), json!({})).await;
    assert_eq!(succeeded(&finished), &json!(3));
    let attempts: Vec<(EventKind, Option<u32>, Option<FailureClass>)> = events
        .iter()
        .filter(|e| {
            e.step().map(|s| s.as_str()) == Some("call") && e.kind() != EventKind::Transition
        })
        .map(|e| (e.kind(), e.attempt(), e.class()))
        .collect();
    use EventKind::*;
    let transient = Some(FailureClass::Transient);
    assert_eq!(
        attempts,
        vec![
            (StepStarted, Some(1), None),
            (AttemptFailed, Some(1), transient),
            (RetryScheduled, Some(2), transient),
            (StepStarted, Some(2), None),
            (AttemptFailed, Some(2), transient),
            (RetryScheduled, Some(3), transient),
            (StepStarted, Some(3), None),
            (StepSucceeded, Some(3), None),
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failure_without_retries_left_fails_the_run_with_its_message() {
    let dir = tempdir("exhausted");
    let counter = dir.join("count");
    let (finished, events) = run(&flaky(&counter.display().to_string(), 5, 1), json!({})).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Transient));
    assert_eq!(error.attempts, 2);
    assert_eq!(error.state, "call");
    assert!(
        error.message.contains("not ready yet (call 2)"),
        "{}",
        error.message
    );
    let last = events.last().map(|e| e.kind());
    assert_eq!(last, Some(EventKind::RunFailed));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_unhandled_failure_fails_the_run() {
    let source = r#"
worker Broken(x: int) -> int {
  builtin { name: "fail" }
}

workflow go() -> int {
  step call = Broken(x: 1) {
    on_success -> done
  }
  succeed done = call
}
"#;
    let (finished, events) = run(source, json!({})).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Worker));
    assert_eq!(error.attempts, 1, "class worker is not retried by default");
    assert!(error.message.contains("`fail` failed"), "{}", error.message);
    let run_failed = events.last().and_then(|e| match &e.what {
        What::RunFailed { error, .. } => Some(&**error),
        _ => None,
    });
    assert_eq!(run_failed, Some(error));
}

#[tokio::test]
async fn a_fail_state_ends_the_run_with_its_message() {
    let source = r#"
worker Broken(x: int) -> int {
  builtin { name: "fail" }
}

workflow go(who: string) -> int {
  step call = Broken(x: 1) {
    on_success -> done
    on_failure worker when error.attempts == 1 -> failed
  }
  succeed done = call
  fail failed = "${who}: ${error_text()}"
}

transformer error_text() -> string = "the call failed"
"#;
    let (finished, _) = run(source, json!({ "who": "go" })).await;
    let error = failed(&finished);
    assert_eq!(error.class, None);
    assert_eq!(error.state, "failed");
    assert_eq!(error.message, "go: the call failed");
}

#[tokio::test]
async fn output_that_does_not_fit_is_class_output_with_its_path() {
    let source = r#"
worker Count(text: string) -> { words: int } {
  exec { command: ["sh", "-c", "cat >/dev/null; echo '{\"words\": \"many\"}'"] }
  retries: 1
  backoff: 1ms
}

workflow go() -> int {
  step count = Count(text: "a b") {
    on_success -> done
  }
  succeed done = count.words
}
"#;
    let (finished, events) = run(source, json!({})).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Output));
    assert_eq!(error.attempts, 2, "output is retried by default");
    assert!(
        error
            .message
            .contains("$.words: expected int, found string"),
        "{}",
        error.message
    );
    let failures = events
        .iter()
        .filter(|e| e.kind() == EventKind::AttemptFailed)
        .count();
    assert_eq!(failures, 2);
}

#[tokio::test]
async fn max_steps_bounds_the_transitions_of_a_run() {
    let source = r#"
worker Echo(n: int) -> { n: int } {
  builtin { name: "echo" }
}

workflow spin() -> int {
  max_steps: 5
  step a = Echo(n: 1) {
    on_success -> b
  }
  step b = Echo(n: 2) {
    max_visits: 100
    on_success when a.n == 2 -> done
    on_success -> a
  }
  succeed done = b.n
}
"#;
    let (finished, events) = run(source, json!({})).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Limit));
    assert!(error.message.contains("max_steps (5)"), "{}", error.message);
    assert_eq!(finished.state.steps, 5);
    let transitions = events
        .iter()
        .filter(|e| e.kind() == EventKind::Transition)
        .count();
    assert_eq!(transitions, 5);
}

#[tokio::test]
async fn a_secret_read_with_env_is_masked_in_texts_and_kept_in_data() {
    let source = format!(
        r#"
worker Leak(x: int) -> string {{
  exec {{
    command: ["sh", "{w}/engine_leak.sh", "${{x}}"]
    env: {{ TOKEN: env("FLOW_TEST_TOKEN") }}
  }}
  retries: 0
}}

workflow go(code: int) -> string {{
  step leak = Leak(x: code) {{
    on_success -> done
  }}
  succeed done = leak
}}
"#,
        w = workers()
    );
    let secret = "hunter2-very-secret";
    for code in [0, 1] {
        let (finished, events) = run_with(
            &source,
            json!({ "code": code }),
            options(&[("FLOW_TEST_TOKEN", secret)]),
        )
        .await;
        // Text is masked; data (the events' `output`, the run's output)
        // is not, so it is left out here and checked below.
        let mut texts: Vec<String> = events
            .iter()
            .flat_map(|e| [e.message().map(str::to_owned), e.log().map(str::to_owned)])
            .flatten()
            .collect();
        if let RunOutcome::Failed { error } = &finished.outcome {
            texts.push(error.message.clone());
        }
        let everything = texts.join(" ");
        assert!(!everything.contains(secret), "code {code}: {everything}");
        assert!(everything.contains("***"), "code {code}: {everything}");
        // What the program wrote to stderr is the attempt's log, masked too.
        let ended = if code == 0 {
            EventKind::StepSucceeded
        } else {
            EventKind::AttemptFailed
        };
        let logs: Vec<Option<&str>> = events
            .iter()
            .filter(|e| e.kind() == ended)
            .map(|e| e.log())
            .collect();
        assert_eq!(logs, [Some("the token is ***\n")], "code {code}");
        if code == 0 {
            assert_eq!(succeeded(&finished), &json!(format!("token={secret}")));
        } else {
            assert!(failed(&finished).message.contains("the token is ***"));
        }
    }
}

#[tokio::test]
async fn a_missing_environment_variable_fails_the_step_clearly() {
    let source = r#"
worker Needs(x: int) -> string {
  exec {
    command: ["true"]
    env: { TOKEN: env("FLOW_TEST_NOT_SET") }
  }
}

workflow go() -> string {
  step s = Needs(x: 1) {
    on_success -> done
  }
  succeed done = s
}
"#;
    let (finished, _) = run(source, json!({})).await;
    let error = failed(&finished);
    assert!(
        error.message.contains("`FLOW_TEST_NOT_SET` is not set"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_parallel_state_gives_the_record_of_its_branches() {
    let source = r#"
worker Echo(n: int) -> { n: int } {
  builtin { name: "echo" }
}

workflow fan() -> int {
  parallel both {
    branch left = Echo(n: 1)
    branch right = Echo(n: 2)
    max_concurrency: 1
    on_success -> done
  }
  succeed done = both.left.n + both.right.n
}
"#;
    let (finished, events) = run(source, json!({})).await;
    assert_eq!(succeeded(&finished), &json!(3));
    let own = events.iter().find(|e| {
        e.kind() == EventKind::StepSucceeded && e.step().map(|s| s.as_str()) == Some("both")
    });
    assert_eq!(
        own.and_then(|e| e.output().map(|o| &**o)),
        Some(&json!({ "left": { "n": 1 }, "right": { "n": 2 } }))
    );
    assert!(
        events.iter().any(|e| e.kind() == EventKind::StepStarted
            && e.step().map(|s| s.as_str()) == Some("both.left"))
    );
}

#[tokio::test]
async fn a_failing_branch_cancels_the_others() {
    let source = r#"
worker Slow(x: int) -> int {
  exec { command: ["sleep", "20"] }
}

worker Broken(x: int) -> int {
  builtin { name: "fail" }
}

workflow fan() -> int {
  parallel both {
    branch slow = Slow(x: 1)
    branch broken = Broken(x: 2)
    on_success -> done
  }
  succeed done = both.slow
}
"#;
    let started = std::time::Instant::now();
    let (finished, _) = run(source, json!({})).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Worker));
    assert!(
        error.message.starts_with("branch `broken`:"),
        "{}",
        error.message
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the slow branch was not cancelled: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_map_state_keeps_the_input_order() {
    let source = r#"
worker Upper(word: string) -> string {
  exec { command: ["sh", "-c", "cat >/dev/null; sleep 0.$1; printf '%s' \"$2\"", "sh", "${len(word) % 3}", "${upper(word)}"] }
}

workflow shout(words: [string]) -> [string] {
  map loud = Upper(word: item) for item in words {
    max_concurrency: 2
    on_success -> done
  }
  succeed done = loud
}
"#;
    let (finished, _) = run(source, json!({ "words": ["ab", "c", "def", "gh"] })).await;
    assert_eq!(succeeded(&finished), &json!(["AB", "C", "DEF", "GH"]));
}

/// A map over `items` words of a worker that records how many of its calls
/// run at once in `dir` (see `tests/workers/engine_concurrency.sh`).
fn marking(
    dir: &std::path::Path,
    concurrency: Option<u32>,
    max_concurrency: Option<u32>,
) -> String {
    marking_for(dir, concurrency, max_concurrency, "0.3")
}

/// [`marking`] with each call running `seconds` long.
fn marking_for(
    dir: &std::path::Path,
    concurrency: Option<u32>,
    max_concurrency: Option<u32>,
    seconds: &str,
) -> String {
    let worker_bound = concurrency.map_or(String::new(), |n| format!("concurrency: {n}"));
    let map_bound = max_concurrency.map_or(String::new(), |n| format!("max_concurrency: {n}"));
    format!(
        r#"
worker Mark(word: string) -> string {{
  exec {{ command: ["sh", "{w}/engine_concurrency.sh", "{dir}", "${{word}}", "{seconds}"] }}
  {worker_bound}
}}

workflow marks(words: [string]) -> [string] {{
  map marked = Mark(word: item) for item in words {{
    {map_bound}
    on_success -> done
  }}
  succeed done = marked
}}
"#,
        w = workers(),
        dir = dir.display(),
    )
}

/// The most calls seen running at once.
fn most_at_once(dir: &std::path::Path) -> u32 {
    std::fs::read_to_string(dir.join("seen"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .max()
        .unwrap_or(0)
}

fn words(n: usize) -> Value {
    json!((0..n).map(|i| format!("w{i}")).collect::<Vec<_>>())
}

#[tokio::test]
async fn worker_concurrency_bounds_the_items_of_a_map() {
    let dir = tempdir("worker-concurrency");
    let (finished, _) = run(&marking(&dir, Some(2), None), json!({ "words": words(8) })).await;
    assert_eq!(succeeded(&finished), &words(8));
    assert_eq!(most_at_once(&dir), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn max_concurrency_bounds_the_items_of_a_map() {
    let dir = tempdir("map-max-concurrency");
    let (finished, _) = run(&marking(&dir, None, Some(3)), json!({ "words": words(8) })).await;
    assert_eq!(succeeded(&finished), &words(8));
    assert_eq!(most_at_once(&dir), 3);
    let _ = std::fs::remove_dir_all(dir);
}

/// A map that does not set `max_concurrency` runs at most 16 items at once
/// (and does run that many: the calls last long enough to overlap).
#[tokio::test]
async fn a_map_runs_at_most_sixteen_items_at_once_by_default() {
    let dir = tempdir("map-default-concurrency");
    let source = marking_for(&dir, None, None, "0.8");
    let (finished, _) = run(&source, json!({ "words": words(40) })).await;
    assert_eq!(succeeded(&finished), &words(40));
    assert_eq!(most_at_once(&dir), 16);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn runs_sharing_limits_share_the_worker_concurrency() {
    let shared = tempdir("shared-limits");
    let program = program(&marking(&shared, Some(2), None));
    let limits = engine::Limits::new();
    let go = |limits: engine::Limits| {
        let program = &program;
        async move {
            let sink = VecSink::new();
            let options = RunOptions {
                limits,
                ..options(&[])
            };
            engine::run(
                program,
                WorkflowId(0),
                json!({ "words": words(4) }),
                options,
                &sink,
            )
            .await
            .unwrap_or_else(|e| panic!("the run did not start: {e}"))
        }
    };
    let (a, b) = tokio::join!(go(limits.clone()), go(limits.clone()));
    assert_eq!(succeeded(&a), &words(4));
    assert_eq!(succeeded(&b), &words(4));
    assert_eq!(most_at_once(&shared), 2, "two runs sharing one Limits");
    let _ = std::fs::remove_dir_all(shared);

    // Each run with its own (default) Limits is bounded on its own.
    let apart = tempdir("separate-limits");
    let program = self::program(&marking(&apart, Some(2), None));
    let go = || {
        let program = &program;
        async move {
            let sink = VecSink::new();
            engine::run(
                program,
                WorkflowId(0),
                json!({ "words": words(4) }),
                options(&[]),
                &sink,
            )
            .await
            .unwrap_or_else(|e| panic!("the run did not start: {e}"))
        }
    };
    let (a, b) = tokio::join!(go(), go());
    assert_eq!(succeeded(&a), &words(4));
    assert_eq!(succeeded(&b), &words(4));
    let most = most_at_once(&apart);
    assert!(
        (3..=4).contains(&most),
        "two runs with their own Limits: {most}"
    );
    let _ = std::fs::remove_dir_all(apart);
}

/// A mocked worker starts nothing (its program does not even exist here) and
/// skips its `before` hook; its fixed output is validated and goes through
/// its `after` hook like a real one.
#[tokio::test]
async fn a_mocked_worker_gives_its_fixed_output_through_its_after_hooks() {
    let source = r#"
transformer shout(r: { text: string }) -> { text: string } = { text: upper(r.text) }
transformer never(r: { text: string }) -> { text: string } {
  exec { command: ["/nonexistent/flow-test-hook"] }
}

worker Missing(text: string) -> { text: string } {
  exec { command: ["/nonexistent/flow-test-program"] }
  before: never
  after: shout
}

workflow go() -> string {
  step call = Missing(text: "in") {
    on_success -> done
  }
  succeed done = call.text
}
"#;
    let program = program(source);
    let mock = |value: Value| RunOptions {
        mocks: Arc::new(HashMap::from([(
            flow::ir::WorkerId(0),
            flow::runtime::engine::Mock::output(value),
        )])),
        ..options(&[])
    };
    let sink = VecSink::new();
    let finished = engine::run(
        &program,
        WorkflowId(0),
        json!({}),
        mock(json!({ "text": "fixed", "extra": 1 })),
        &sink,
    )
    .await
    .unwrap_or_else(|e| panic!("the run did not start: {e}"));
    assert_eq!(succeeded(&finished), &json!("FIXED"));

    // A mock that does not fit the type fails like a real output would.
    let (finished, _) = run_with(source, json!({}), mock(json!({ "text": 3 }))).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Output));
    assert!(
        error
            .message
            .contains("$.text: expected string, found number"),
        "{}",
        error.message
    );

    // Without the mock, the `before` hook really runs (and fails first).
    let (finished, _) = run(source, json!({})).await;
    let message = &failed(&finished).message;
    assert!(message.contains("/nonexistent/flow-test-hook"), "{message}");
}

/// A run stopped from outside ends with `run_cancelled`, promptly, with the
/// step under way abandoned (its program is stopped by the exec executor,
/// which `tests/exec.rs` checks).
#[tokio::test]
async fn a_cancelled_run_ends_with_its_event() {
    let program = program(
        r#"
worker Sleep() -> string {
  exec { command: ["sleep", "30"] }
}

workflow go() -> string {
  step nap = Sleep() {
    on_success -> done
  }
  succeed done = nap
}
"#,
    );
    let sink = VecSink::new();
    let started = std::time::Instant::now();
    let finished = engine::run_until(
        &program,
        WorkflowId(0),
        json!({}),
        options(&[]),
        &sink,
        tokio::time::sleep(std::time::Duration::from_millis(300)),
    )
    .await
    .unwrap_or_else(|e| panic!("the run did not start: {e}"));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(finished.outcome, RunOutcome::Cancelled);
    assert_eq!(
        names(&sink.events()),
        [
            (EventKind::RunStarted, None),
            (EventKind::StepStarted, Some("nap")),
            // The step under way ends before the run does.
            (EventKind::StepCancelled, Some("nap")),
            (EventKind::RunCancelled, None),
        ]
    );
}

/// The call settings of the first state of the program's first workflow,
/// a step.
fn first_step_settings(program: &mut Program) -> &mut flow::ir::CallSettings {
    match &mut program.workflows[0].states[0].kind {
        StateKind::Step(call) => &mut call.settings,
        other => panic!("not a step: {other:?}"),
    }
}

/// The runtime applies the timeout the program gives a call: an `http`
/// worker that sets none gets the default (one minute, which a test cannot
/// wait for, so the built program's timeout is shortened here), and the
/// failure says it was the default and how to change it.
#[tokio::test]
async fn a_service_that_never_answers_times_out_at_the_default_naming_it() {
    let server =
        common::TestServer::start([common::Reply::status(200).after(Duration::from_secs(60))])
            .await
            .unwrap_or_else(|e| panic!("the test server did not start: {e}"));
    let source = format!(
        r#"
worker Slow() -> string {{
  http {{ url: "{url}" }}
}}

workflow go() -> string {{
  step call = Slow() {{
    on_success -> done
  }}
  succeed done = call
}}
"#,
        url = server.url("/slow")
    );
    let mut program = program(&source);
    let settings = first_step_settings(&mut program);
    assert_eq!(
        (settings.timeout, settings.default_timeout),
        (Some(Duration::from_secs(60)), true)
    );
    settings.timeout = Some(Duration::from_millis(300));
    let sink = VecSink::new();
    let started = std::time::Instant::now();
    let finished = engine::run(&program, WorkflowId(0), json!({}), options(&[]), &sink)
        .await
        .unwrap_or_else(|e| panic!("the run did not start: {e}"));
    assert!(started.elapsed() < Duration::from_secs(10));
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Timeout), "{error}");
    assert!(
        error.message.contains(
            "`Slow` did not finish within its timeout of 300ms (the default for `http` workers); \
             set `timeout` on the worker or the state to allow longer"
        ),
        "{error}"
    );
    assert_eq!(server.requests().len(), 1);
}

/// A timeout written in the file is applied as it is, and the failure does
/// not call it a default.
#[tokio::test]
async fn a_written_timeout_stops_a_program_that_runs_too_long() {
    let (finished, _) = run(
        r#"
worker Sleep() -> string {
  exec { command: ["sleep", "20"] }
}

workflow go() -> string {
  step nap = Sleep() {
    timeout: 200ms
    on_success -> done
  }
  succeed done = nap
}
"#,
        json!({}),
    )
    .await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Timeout), "{error}");
    assert!(
        error
            .message
            .ends_with("`Sleep` did not finish within its timeout of 200ms"),
        "{error}"
    );
}

/// The programs of a file run where the file is (`RunOptions::base_dir`,
/// which `flow run` sets to the file's directory): a worker without `cwd`
/// there, a relative `cwd` below it, a relative program path (`./x.sh`)
/// and relative arguments from the program's own working directory, and a
/// hook program there too.
#[tokio::test]
async fn programs_run_in_the_base_directory_and_relative_paths_start_there() {
    let base = tempdir("base-dir");
    let sub = base.join("sub");
    std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{}: {e}", sub.display()));
    // Prints its working directory and the first line of the file named by
    // its argument, both relative to where it runs.
    let script = "#!/bin/sh\ncat >/dev/null\nprintf '%s %s' \"$(pwd)\" \"$(head -n 1 \"$1\")\"\n";
    for dir in [&base, &sub] {
        let path = dir.join("where.sh");
        std::fs::write(&path, script).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(dir.join("note.txt"), format!("note in {}\n", dir.display()))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    let source = r#"
worker Here() -> string {
  exec { command: ["sh", "where.sh", "note.txt"] }
}
worker Below() -> string {
  exec {
    command: ["./where.sh", "note.txt"]
    cwd: "sub"
  }
}
transformer hook(s: string) -> string {
  exec { command: ["sh", "-c", "cat >/dev/null; printf '\"%s\"' \"$(pwd)\""] }
}
workflow go() -> { here: string, below: string, hook: string } {
  step here = Here() { on_success -> below }
  step below = Below() { on_success -> hooked }
  step hooked = Here() {
    after: hook
    on_success -> done
  }
  succeed done = { here: here, below: below, hook: hooked }
}
"#;
    // `./where.sh` must be executable to be run by its path.
    {
        use std::os::unix::fs::PermissionsExt;
        let path = sub.join("where.sh");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let (finished, _) = run_with(
        source,
        json!({}),
        RunOptions {
            base_dir: Some(base.clone()),
            ..options(&[])
        },
    )
    .await;
    let (b, s) = (base.display(), sub.display());
    assert_eq!(
        succeeded(&finished),
        &json!({
            "here": format!("{b} note in {b}"),
            "below": format!("{s} note in {s}"),
            "hook": format!("{b}"),
        })
    );
    let _ = std::fs::remove_dir_all(base);
}

// ------------------------------------------------------- language 1.1

/// The design's review loop that accumulates a history across visits:
/// `(code?.history ?? []) + [...]` grows by one element per visit.
#[tokio::test]
async fn a_history_accumulates_across_the_visits_of_a_loop() {
    let dir = tempdir("history");
    let counter = dir.join("count");
    let source = format!(
        r#"
type Review {{
  verdict: "approve" | "revise"
  comments: [string]
}}

worker Coder(history: [string]) -> {{ history: [string] }} {{
  builtin {{ name: "echo" }}
}}

worker Reviewer(code: {{ history: [string] }}) -> Review {{
  exec {{ command: ["sh", "{w}/engine_review.sh", "{counter}", "3"] }}
}}

workflow build() -> [string] {{
  step code = Coder(history: (code?.history ?? []) + [join(review?.comments ?? [], "; ")]) {{
    on_success -> review
  }}
  step review = Reviewer(code: code) {{
    max_visits: 5
    on_success when review.verdict == "approve" -> done
    on_success -> code
    on_failure -> failed
  }}
  succeed done = if len(code.history) > 3 then code.history else []
  fail failed = "the reviewer failed"
}}
"#,
        w = workers(),
        counter = counter.display()
    );
    let (finished, _) = run(&source, json!({})).await;
    assert_eq!(
        succeeded(&finished),
        &json!(["", "round 1", "round 2", "round 3"])
    );
    assert_eq!(finished.state.visits, vec![4, 4, 0, 0]);
    assert_eq!(finished.state.routed, None, "no failure was routed");
    let _ = std::fs::remove_dir_all(dir);
}

/// `error` outside `on_failure` conditions: `null` until a failure is
/// routed, then that failure with the state that failed, in a later step's
/// arguments and in a `fail` message; the run's state records it.
#[tokio::test]
async fn error_is_the_failure_routed_last_in_later_steps_and_fail_messages() {
    let source = format!(
        r#"
worker Note(text: string) -> {{ text: string }} {{
  builtin {{ name: "echo" }}
}}

worker Deploy(target: string) -> string {{
  exec {{ command: ["sh", "{w}/fail.sh", "3"] }}
}}

worker Fix(report: string, state: string, class: string, attempts: int) -> {{ report: string, state: string, class: string, attempts: int }} {{
  builtin {{ name: "echo" }}
}}

workflow ship() -> string {{
  step begin = Note(text: error?.message ?? "no failure yet") {{
    on_success -> deploy
  }}
  step deploy = Deploy(target: "prod") {{
    max_visits: 2
    on_success -> done
    on_failure limit -> failed
    on_failure when error.class == "worker" -> fix
  }}
  step fix = Fix(report: error?.message ?? "none", state: error?.state ?? "none", class: error?.class ?? "none", attempts: error?.attempts ?? -1) {{
    on_success -> deploy
  }}
  succeed done = "deployed"
  fail failed = "deployment failed: ${{error?.message ?? "unknown"}} (after ${{fix?.class ?? "nothing"}})"
}}
"#,
        w = workers()
    );
    let (finished, _) = run(&source, json!({})).await;
    let error = failed(&finished);
    assert_eq!(error.state, "failed");
    assert_eq!(
        error.message,
        "deployment failed: `deploy` reached its limit of 2 visits (after worker)"
    );
    let state = &finished.state;
    // Before any failure was routed, `error` was null.
    assert_eq!(
        state.values[0].as_deref(),
        Some(&json!({ "text": "no failure yet" }))
    );
    // The fix loop was handed the exec failure, with its state.
    let fix = state.values[2].as_deref().cloned().unwrap_or_default();
    assert_eq!(fix["state"], json!("deploy"));
    assert_eq!(fix["class"], json!("worker"));
    assert_eq!(fix["attempts"], json!(1));
    let report = fix["report"].as_str().unwrap_or_default();
    assert!(
        report.contains("ValueError: the review has no title"),
        "{report}"
    );
    // The run's state holds the failure routed last, and serializes it.
    let routed = state.routed.as_ref().expect("a failure was routed");
    assert_eq!(routed.state, "deploy");
    assert_eq!(routed.class, FailureClass::Limit);
    assert_eq!(routed.attempts, 0);
    let saved = serde_json::to_value(state).expect("the run's state serializes");
    assert_eq!(saved["routed"]["class"], json!("limit"));
    assert_eq!(saved["routed"]["state"], json!("deploy"));
    let restored: engine::RunState =
        serde_json::from_value(saved).expect("the run's state deserializes");
    assert_eq!(&restored, state);
}

/// Only the branch an `if` takes is evaluated.
#[tokio::test]
async fn if_evaluates_only_the_branch_it_takes() {
    let source = r#"
workflow divide(x: int) -> number {
  succeed done = if x != 0 then 10 / x else 1 % x
}
"#;
    let (finished, _) = run(source, json!({ "x": 4 })).await;
    assert_eq!(succeeded(&finished), &json!(2.5));
    let (finished, _) = run(source, json!({ "x": 0 })).await;
    assert_eq!(failed(&finished).message, "remainder of a division by zero");
}

/// `int` arithmetic that overflows fails the run with a message naming the
/// operation; on `number`s the same values give a float.
#[tokio::test]
async fn int_overflow_fails_the_run_with_its_message() {
    let ints = r#"
workflow square(x: int) -> int {
  succeed done = x * x
}
"#;
    let (finished, _) = run(ints, json!({ "x": 4_000_000_000_i64 })).await;
    let error = failed(&finished);
    assert_eq!(error.state, "done");
    assert_eq!(
        error.message,
        "integer overflow: 4000000000 * 4000000000 does not fit in an `int` (a 64-bit whole number, at most 9223372036854775807)"
    );
    let (finished, _) = run(ints, json!({ "x": 3_000_000_000_i64 })).await;
    assert_eq!(succeeded(&finished), &json!(9_000_000_000_000_000_000_i64));
    let numbers = r#"
workflow square(x: number) -> number {
  succeed done = x * x
}
"#;
    let (finished, _) = run(numbers, json!({ "x": 4_000_000_000_i64 })).await;
    assert_eq!(succeeded(&finished), &json!(1.6e19));

    // In a step's argument, the overflow is a failure of the step, which
    // an `on_failure` clause can route.
    let argument = r#"
worker Echo(n: int) -> { n: int } {
  builtin { name: "echo" }
}

workflow next(x: int) -> string {
  step bump = Echo(n: x + 1) {
    on_success -> done
    on_failure -> overflowed
  }
  succeed done = "ok"
  fail overflowed = error?.message ?? "?"
}
"#;
    let (finished, _) = run(argument, json!({ "x": i64::MAX })).await;
    assert_eq!(
        failed(&finished).message,
        "the argument `n` of `Echo`: integer overflow: 9223372036854775807 + 1 does not fit in an `int` (a 64-bit whole number, at most 9223372036854775807)"
    );
}
