//! The machine without a driver: inputs in, commands out, no processes, no
//! sleeps and no clock. Retries and their backoff, a fan-out's first
//! failure, the same commands for the same inputs, a state that survives
//! serialization at every wait, and workers scripted in process through
//! the `Invoke` seam.

mod common;

use std::sync::Arc;
use std::time::Duration;

use flow::ir::{FailureClass, Program, WorkflowId};
use flow::runtime::driver::{Attempted, Invoke, Pending};
use flow::runtime::engine::{self, EventKind, RunOutcome, VecSink};
use flow::runtime::executor::{Failure, Output};
use flow::runtime::machine::{
    Attempt, CallId, Command, HookRun, Input, Machine, MachineState, Setup,
};
use serde_json::{Value, json};

use common::outcome::{failed, succeeded};

fn program(source: &str) -> Program {
    let parsed = flow::syntax::parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let (program, problems) = flow::check::check_program(&parsed.file);
    match program {
        Some(program) => program,
        None => panic!("the source does not check: {problems:#?}"),
    }
}

fn setup(input: Value) -> Setup {
    Setup {
        run_id: Arc::from("run-1"),
        input,
        seed: 7,
        mocks: Arc::default(),
    }
}

fn machine(program: &Program, input: Value) -> Machine<'_> {
    Machine::new(program, WorkflowId(0), setup(input))
        .unwrap_or_else(|e| panic!("the run does not start: {e}"))
}

/// The kinds of the events among `commands`, with a mark for each other
/// command, so that a test reads as the order of what happened.
fn shape(commands: &[Command]) -> Vec<String> {
    commands
        .iter()
        .map(|c| match c {
            Command::Emit(e) => format!(
                "{}{}",
                serde_json::to_value(e.kind())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                e.step().map(|s| format!(" {s}")).unwrap_or_default()
            ),
            Command::Invoke(a) => format!("invoke {} #{}", a.step, a.attempt),
            Command::RunHook(h) => format!("hook {}", h.step),
            Command::StartTimer { delay, .. } => format!("timer {}ms", delay.as_millis()),
            Command::AskHuman(q) => format!("ask {}", q.step),
            Command::Cancel { call } => format!("cancel {}", call.0),
            Command::Finish(outcome) => match outcome {
                RunOutcome::Succeeded { .. } => "finish succeeded".to_owned(),
                RunOutcome::Failed { .. } => "finish failed".to_owned(),
                RunOutcome::Cancelled => "finish cancelled".to_owned(),
                RunOutcome::Stopped { .. } => "finish stopped".to_owned(),
                RunOutcome::Paused { .. } => "finish paused".to_owned(),
            },
        })
        .collect()
}

fn invoked(commands: &[Command]) -> Vec<&Attempt> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Invoke(a) => Some(a),
            _ => None,
        })
        .collect()
}

fn ok(call: CallId, value: Value) -> Input {
    Input::Attempted {
        call,
        took_ms: 5,
        result: Ok(Output {
            value,
            log: String::new(),
            usage: None,
        }),
    }
}

fn fail(call: CallId, class: FailureClass) -> Input {
    Input::Attempted {
        call,
        took_ms: 5,
        result: Err(Failure::new(class, "connection reset")),
    }
}

const RETRY: &str = r#"
worker Fetch(url: string) -> { body: string } {
  exec { command: ["fetch", url] }
  retries: 2
  backoff: 10s
}

workflow fetch(url: string) -> string {
  step get = Fetch(url: url) {
    on_success -> done
  }
  succeed done = get.body
}
"#;

#[test]
fn a_retry_waits_for_its_timer_not_for_a_clock() {
    let program = program(RETRY);
    let mut m = machine(&program, json!({ "url": "https://example.com" }));
    let mut out = Vec::new();
    m.start(1_000, &mut out);
    assert_eq!(
        shape(&out),
        ["run_started", "step_started get", "invoke get #1"]
    );
    let call = invoked(&out)[0].call;
    assert_eq!(
        invoked(&out)[0].input,
        json!({ "url": "https://example.com" })
    );

    out.clear();
    m.handle(1_200, fail(call, FailureClass::Transient), &mut out);
    assert_eq!(
        shape(&out),
        ["attempt_failed get", "retry_scheduled get", "timer 10000ms"]
    );
    // The timer is due at the time of the input plus the backoff: a driver
    // that resumes later waits until then, whatever its own clock.
    assert!(matches!(
        out[2],
        Command::StartTimer { at: 11_200, delay, .. } if delay == Duration::from_secs(10)
    ));
    let Command::Emit(retry) = &out[1] else {
        panic!("no retry event: {out:?}")
    };
    assert_eq!(retry.attempt(), Some(2));
    assert_eq!(retry.retry().map(|(_, max)| max), Some(3));
    assert_eq!(retry.retry().map(|(delay, _)| delay), Some(10_000));

    out.clear();
    m.handle(11_200, Input::TimerFired { call }, &mut out);
    assert_eq!(shape(&out), ["step_started get", "invoke get #2"]);
    assert_eq!(
        invoked(&out)[0].call,
        call,
        "an attempt is of the same call"
    );

    out.clear();
    m.handle(11_300, ok(call, json!({ "body": "hello" })), &mut out);
    assert_eq!(
        shape(&out),
        [
            "step_succeeded get",
            "transition get",
            "run_succeeded",
            "finish succeeded"
        ]
    );
    let Command::Emit(done) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(done.ts.0, 11_300, "events have the time of their input");
    assert_eq!(done.duration_ms(), Some(5));
    assert!(m.ended());
    // An input after the end changes nothing.
    out.clear();
    m.handle(12_000, ok(call, json!({ "body": "again" })), &mut out);
    assert!(out.is_empty());
}

#[test]
fn a_class_that_is_not_retried_fails_at_once() {
    let program = program(RETRY);
    let mut m = machine(&program, json!({ "url": "u" }));
    let mut out = Vec::new();
    m.start(0, &mut out);
    let call = invoked(&out)[0].call;
    out.clear();
    m.handle(1, fail(call, FailureClass::Worker), &mut out);
    assert_eq!(
        shape(&out),
        [
            "attempt_failed get",
            "step_failed get",
            "run_failed get",
            "finish failed"
        ]
    );
}

const FANOUT: &str = r#"
worker Check(name: string) -> bool {
  exec { command: ["check", name] }
}

workflow checks() -> { a: bool, b: bool, c: bool } {
  parallel all {
    branch a = Check(name: "a")
    branch b = Check(name: "b")
    branch c = Check(name: "c")
    max_concurrency: 2
    on_success -> done
  }
  succeed done = all
}
"#;

#[test]
fn a_fanout_keeps_its_limit_and_its_first_failure_cancels_the_rest() {
    let program = program(FANOUT);
    let mut m = machine(&program, json!({}));
    let mut out = Vec::new();
    m.start(0, &mut out);
    assert_eq!(
        shape(&out),
        [
            "run_started",
            "step_started all",
            "step_started all.a",
            "invoke all.a #1",
            "step_started all.b",
            "invoke all.b #1"
        ]
    );
    let calls: Vec<CallId> = invoked(&out).iter().map(|a| a.call).collect();
    out.clear();
    // `a` ends: `c` takes its place.
    m.handle(1, ok(calls[0], json!(true)), &mut out);
    assert_eq!(
        shape(&out),
        [
            "step_succeeded all.a",
            "step_started all.c",
            "invoke all.c #1"
        ]
    );
    let c = invoked(&out)[0].call;
    out.clear();
    // `b` fails: `c` is stopped before its end is told.
    m.handle(2, fail(calls[1], FailureClass::Worker), &mut out);
    assert_eq!(
        shape(&out),
        [
            "attempt_failed all.b",
            "step_failed all.b",
            format!("cancel {}", c.0).as_str(),
            "step_cancelled all.c",
            "step_failed all",
            "run_failed all",
            "finish failed"
        ]
    );
    // `c`'s late answer is ignored.
    out.clear();
    m.handle(3, ok(c, json!(true)), &mut out);
    assert!(out.is_empty());
}

/// Runs `source` by hand: every attempt answered by `answer`, every timer
/// at once; the machine is written to JSON and read back at every wait
/// when `reload` is set. All the commands, in order.
fn script(
    program: &Program,
    input: Value,
    reload: bool,
    answer: impl Fn(&Attempt) -> Result<Value, FailureClass>,
) -> Vec<Command> {
    script_with(program, input, reload, false, answer).0
}

/// [`script`], quiet or not, with the machine's state at the end.
fn script_with(
    program: &Program,
    input: Value,
    reload: bool,
    quiet: bool,
    answer: impl Fn(&Attempt) -> Result<Value, FailureClass>,
) -> (Vec<Command>, MachineState) {
    let wf = &program.workflows[0];
    let mut m = machine(program, input);
    if quiet {
        m.quiet();
    }
    let mut all = Vec::new();
    let mut out = Vec::new();
    let mut now = 1_000;
    m.start(now, &mut out);
    let mut pending: Vec<Input> = Vec::new();
    loop {
        for command in &out {
            match command {
                Command::Invoke(a) => pending.push(match answer(a) {
                    Ok(value) => ok(a.call, value),
                    Err(class) => fail(a.call, class),
                }),
                Command::StartTimer { call, .. } => pending.push(Input::TimerFired { call: *call }),
                Command::Cancel { call } => pending.retain(|i| i.call() != Some(*call)),
                _ => {}
            }
        }
        all.append(&mut out);
        if m.ended() {
            return (all, m.into_state());
        }
        if reload {
            let json = serde_json::to_string(m.state()).unwrap_or_else(|e| panic!("{e}"));
            let state: MachineState = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&state, m.state());
            m = Machine::resume(program, wf, state, Arc::default());
            if quiet {
                m.quiet();
            }
        }
        assert!(!pending.is_empty(), "the machine waits for nothing");
        let input = pending.remove(0);
        now += 10;
        m.handle(now, input, &mut out);
    }
}

const LOOP: &str = r#"
worker Write(round: int) -> { round: int } {
  exec { command: ["write"] }
  retries: 3
  backoff: 1s..30s
  retry_on: [transient]
}

worker Review(round: int) -> { approved: bool } {
  exec { command: ["review"] }
}

workflow review_loop() -> int {
  step write = Write(round: (write?.round ?? 0) + 1) {
    max_visits: 5
    on_success -> review
  }
  step review = Review(round: write.round) {
    on_success when review.approved -> done
    on_success -> write
  }
  map many = Review(round: item) for item in [1, 2, 3] {
    on_success -> done
  }
  succeed done = write.round
}
"#;

/// The answers of [`LOOP`]'s workers: every first attempt of `write` fails
/// once, then succeeds with its round; the review approves the third.
fn loop_answer(a: &Attempt) -> Result<Value, FailureClass> {
    let round = a.input.get("round").and_then(Value::as_i64).unwrap_or(0);
    match &*a.step {
        "write" if a.attempt == 1 => Err(FailureClass::Transient),
        "write" => Ok(json!({ "round": round })),
        _ => Ok(json!({ "approved": round >= 3 })),
    }
}

#[test]
fn the_same_inputs_give_the_same_commands_and_the_state_survives_every_wait() {
    let program = program(LOOP);
    let answer = loop_answer;
    let straight = script(&program, json!({}), false, answer);
    let again = script(&program, json!({}), false, answer);
    let reloaded = script(&program, json!({}), true, answer);
    assert_eq!(straight, again);
    assert_eq!(straight, reloaded);
    // Three rounds, each `write` retried once with a jittered delay drawn
    // from the seed.
    let retries = straight
        .iter()
        .filter(|c| matches!(c, Command::Emit(e) if e.kind() == EventKind::RetryScheduled))
        .count();
    assert_eq!(retries, 3);
    let Some(Command::Finish(RunOutcome::Succeeded { output })) = straight.last() else {
        panic!("{:?}", straight.last())
    };
    assert_eq!(output, &json!(3));
    let seqs: Vec<u64> = straight
        .iter()
        .filter_map(|c| match c {
            Command::Emit(e) => Some(e.seq),
            _ => None,
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

#[test]
fn a_quiet_machine_decides_as_a_watched_one_without_handing_out_events() {
    let program = program(LOOP);
    let answer = loop_answer;
    let (watched, watched_state) = script_with(&program, json!({}), false, false, answer);
    let (quiet, quiet_state) = script_with(&program, json!({}), true, true, answer);
    assert!(!quiet.iter().any(|c| matches!(c, Command::Emit(_))));
    let decisions: Vec<Command> = watched
        .into_iter()
        .filter(|c| !matches!(c, Command::Emit(_)))
        .collect();
    assert_eq!(decisions, quiet);
    // The same state, down to the next event's number and the open steps.
    assert_eq!(watched_state, quiet_state);
}

/// Workers scripted in process: `Write` answers with its round, `Review`
/// approves the third.
struct Scripted;

impl Invoke for Scripted {
    fn now(&self, attempt: Attempt) -> Result<Attempted, Attempt> {
        let round = attempt
            .input
            .get("round")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let value = match &*attempt.step {
            "write" => json!({ "round": round }),
            _ => json!({ "approved": round >= 3 }),
        };
        Ok((
            0,
            Ok(Output {
                value,
                log: String::new(),
                usage: None,
            }),
        ))
    }

    fn attempt(&self, attempt: Attempt) -> Pending<'_, Attempted> {
        Box::pin(async move {
            self.now(attempt)
                .unwrap_or((0, Err(Failure::new(FailureClass::Worker, "no"))))
        })
    }

    fn hook(&self, _: HookRun) -> Pending<'_, Result<Output, Failure>> {
        Box::pin(async { Err(Failure::new(FailureClass::Worker, "no hooks here")) })
    }
}

#[tokio::test]
async fn scripted_workers_run_through_the_local_driver() {
    let program = program(LOOP);
    let sink = VecSink::new();
    let finished = engine::run_with(
        &program,
        WorkflowId(0),
        setup(json!({})),
        &Scripted,
        &sink,
        std::future::pending(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(succeeded(&finished), &json!(3));
    assert_eq!(finished.state.visits, vec![3, 3, 0, 0]);
    assert_eq!(
        sink.events()
            .iter()
            .filter(|e| e.kind() == EventKind::Transition)
            .count(),
        6
    );
}

const LIMITED: &str = r#"
worker Write(round: int) -> { round: int } {
  exec { command: ["write"] }
}

worker Review(round: int) -> { approved: bool } {
  exec { command: ["review"] }
}

workflow review_loop() -> int {
  step write = Write(round: (write?.round ?? 0) + 1) {
    max_visits: 2
    on_success -> review
  }
  step review = Review(round: write.round) {
    on_success when review.approved -> done
    on_success -> write
  }
  succeed done = write.round
}
"#;

#[tokio::test]
async fn max_visits_is_decided_by_the_machine() {
    let program = program(LIMITED);
    let sink = VecSink::new();
    let finished = engine::run_with(
        &program,
        WorkflowId(0),
        setup(json!({})),
        &Scripted,
        &sink,
        std::future::pending(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let error = failed(&finished);
    assert_eq!(error.state, "write");
    assert_eq!(error.class, Some(FailureClass::Limit));
    assert_eq!(finished.state.visits, vec![3, 2, 0]);
}

/// The machine's sources use nothing that waits, reads a clock or touches
/// the outside world.
#[test]
fn the_machine_does_no_io() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/runtime/machine");
    let forbidden = [
        "tokio::",
        "Instant::",
        "SystemTime::",
        "std::fs",
        "std::net",
        "std::process",
        "std::thread",
        "std::env",
        "now_millis",
        "Timestamp::now",
        "reqwest",
    ];
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        files += 1;
        for word in forbidden {
            assert!(!text.contains(word), "{} mentions `{word}`", path.display());
        }
    }
    assert!(files >= 4, "only {files} files in {}", dir.display());
}

#[test]
fn an_interrupted_attempt_runs_again_without_using_a_retry() {
    let program = program(RETRY);
    let mut m = machine(&program, json!({ "url": "u" }));
    m.keep_inputs();
    let mut out = Vec::new();
    m.start(0, &mut out);
    let call = invoked(&out)[0].call;
    out.clear();
    m.handle(10, Input::Interrupted { call }, &mut out);
    assert_eq!(
        shape(&out),
        [
            "attempt_interrupted get",
            "step_started get",
            "invoke get #2"
        ]
    );
    assert_eq!(invoked(&out)[0].input, json!({ "url": "u" }));
    // Both retries are still there: attempts 3 and 4.
    for attempt in 3..=4 {
        out.clear();
        m.handle(20, fail(call, FailureClass::Transient), &mut out);
        assert!(
            matches!(out.last(), Some(Command::StartTimer { .. })),
            "{out:?}"
        );
        out.clear();
        m.handle(30, Input::TimerFired { call }, &mut out);
        assert_eq!(invoked(&out)[0].attempt, attempt);
    }
    out.clear();
    m.handle(40, fail(call, FailureClass::Transient), &mut out);
    assert_eq!(shape(&out)[1], "step_failed get");
}
