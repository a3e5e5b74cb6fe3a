//! People in the loop, at the command line: a `human` step pauses a durable
//! run (exit status 3, the commands that answer it on stderr); `flow
//! approve` checks the answer against the worker's output type before
//! recording it and continues the run from a second process; `flow reject`
//! fails the step; a deadline passes while no process runs; `parallel`
//! branches and `map` items each wait for a person; a signal lets a
//! durable run go, to be resumed without repeating what it did.

mod common;

use common::cli::{flow_with_store as flow, transcript};
use common::mask::masked;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-human-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// `flow ARGS` in `dir`, finished, with durations left out of the trace.
fn run(dir: &Path, args: &[&str]) -> Output {
    flow(dir, args)
        .env("FLOW_TRACE_DURATIONS", "0")
        .env("TRACKER_TOKEN", "t")
        .env("ACCOUNT_ADMIN_TOKEN", "a")
        .output()
        .unwrap_or_else(|e| panic!("flow {args:?}: {e}"))
}

/// The runs of the store, newest first.
fn runs(dir: &Path) -> Vec<serde_json::Value> {
    let out = run(dir, &["runs", "--format", "json"]);
    assert!(out.status.success(), "{}", transcript(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("flow runs: {e}"))
}

/// The id of the only run of the store.
fn the_run(dir: &Path) -> String {
    let runs = runs(dir);
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0]["id"].as_str().unwrap_or_default().to_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The ticket of the triage example, classified as urgent so that it goes
/// to a person; the classifier and the helpdesk are mocked.
fn start_triage(dir: &Path) -> (Output, String) {
    write(
        dir,
        "triage.json",
        r#"{"category": "billing", "urgency": "urgent", "summary": "Wants a refund", "confidence": 0.9}"#,
    );
    write(dir, "reply.json", r#"{"reply_id": "r-1"}"#);
    write(
        dir,
        "ticket.json",
        r#"{"ticket": {"id": "T-1", "customer": "Ada", "subject": "Refund", "body": "Please refund me.", "plan": "pro"}}"#,
    );
    let file = examples().join("ticket_triage.flow");
    let out = run(
        dir,
        &[
            "run",
            &file.display().to_string(),
            "--input",
            "@ticket.json",
            "--mock",
            "Classifier=@triage.json",
            "--mock",
            "Helpdesk=@reply.json",
        ],
    );
    let id = the_run(dir);
    (out, id)
}

#[test]
fn ticket_triage_runs_end_to_end_with_a_person_answering() {
    let dir = tempdir("triage");
    let (out, id) = start_triage(&dir);
    insta::assert_snapshot!("triage_paused", masked(&out, &dir, &id));
    assert_eq!(runs(&dir)[0]["status"], "paused");

    // An answer of the wrong type is refused, and nothing is recorded: the
    // run still waits, and the right answer is its first attempt.
    let wrong = run(
        &dir,
        &[
            "approve",
            &id[..6],
            "escalate",
            "--output",
            r#"{"message": "Refunded.", "suspend": "no"}"#,
        ],
    );
    insta::assert_snapshot!("triage_wrong_answer", masked(&wrong, &dir, &id));
    let typo = run(&dir, &["approve", &id[..6], "escalat", "--output", "{}"]);
    insta::assert_snapshot!("triage_wrong_step", masked(&typo, &dir, &id));
    assert_eq!(runs(&dir)[0]["status"], "paused");

    let right = run(
        &dir,
        &[
            "approve",
            &id[..6],
            "escalate",
            "--output",
            r#"{"message": "Refunded.", "suspend": false}"#,
        ],
    );
    insta::assert_snapshot!("triage_approved", masked(&right, &dir, &id));
    let row = &runs(&dir)[0];
    assert_eq!(row["status"], "succeeded");
    assert_eq!(row["current_state"], "resolved");
}

#[test]
fn a_rejection_fails_the_step_and_on_failure_routes_it() {
    let dir = tempdir("reject");
    let (out, id) = start_triage(&dir);
    assert_eq!(out.status.code(), Some(3), "{}", transcript(&out));
    let out = run(
        &dir,
        &["reject", &id, "escalate", "--reason", "not ours to answer"],
    );
    insta::assert_snapshot!("triage_rejected", masked(&out, &dir, &id));
    assert_eq!(runs(&dir)[0]["status"], "failed");
}

const DEADLINE: &str = r#"
worker Ask(q: string) -> bool {
  human { prompt: "Ship ${q}?" }
  timeout: 1s
}

workflow ship(q: string) -> string {
  step ask = Ask(q: q) {
    on_success -> done
    on_failure -> late
  }
  succeed done = "answered"
  succeed late = "late: ${error?.class ?? "?"}"
}
"#;

#[test]
fn a_deadline_passes_while_no_process_runs() {
    let dir = tempdir("deadline");
    write(&dir, "ship.flow", DEADLINE);
    let out = run(&dir, &["run", "ship.flow", "--input", r#"{"q": "v1"}"#]);
    let id = the_run(&dir);
    insta::assert_snapshot!("deadline_paused", masked(&out, &dir, &id));
    // Not due before its deadline; due after it, with no process running.
    let due = |dir: &Path| {
        let out = run(dir, &["runs", "--due", "--format", "json"]);
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
            .map(|runs| runs.len())
            .unwrap_or(usize::MAX)
    };
    let row = &runs(&dir)[0];
    let deadline = row["due_at"].as_u64().unwrap_or(0);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    };
    // The count is read before the clock, so that a count taken before the
    // deadline is checked and one taken after it is not.
    let count = due(&dir);
    if now() < deadline {
        assert_eq!(count, 0, "a run is due before its deadline");
    }
    let until = Instant::now() + Duration::from_secs(20);
    while due(&dir) == 0 {
        assert!(Instant::now() < until, "the run never became due");
        std::thread::sleep(Duration::from_millis(100));
    }
    let late = run(&dir, &["approve", &id, "ask", "--output", "true"]);
    insta::assert_snapshot!("deadline_too_late", masked(&late, &dir, &id));
    let resumed = run(&dir, &["resume", "--due"]);
    insta::assert_snapshot!("deadline_resumed", masked(&resumed, &dir, &id));
    assert_eq!(runs(&dir)[0]["status"], "succeeded");
    let again = run(&dir, &["resume", "--due"]);
    assert!(again.status.success(), "{}", transcript(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is due"));
}

const PARALLEL: &str = r#"
worker Ask(q: string) -> bool {
  human { prompt: "${q}?" }
}

worker Build(n: int) -> int {
  exec { command: ["sh", "-c", "sleep 0.3; echo 7"] }
}

workflow release() -> { legal: bool, security: bool, build: int } {
  parallel gate {
    branch legal = Ask(q: "Is it legal")
    branch security = Ask(q: "Is it safe")
    branch build = Build(n: 1)
    on_success -> done
  }
  succeed done = { legal: gate.legal, security: gate.security, build: gate.build }
}
"#;

#[test]
fn parallel_branches_each_wait_for_a_person() {
    let dir = tempdir("parallel");
    write(&dir, "release.flow", PARALLEL);
    let out = run(&dir, &["run", "release.flow"]);
    let id = the_run(&dir);
    // The run pauses once the build has finished and both branches ask.
    insta::assert_snapshot!("parallel_paused", masked(&out, &dir, &id));
    let first = run(
        &dir,
        &[
            "approve",
            &id,
            "gate.legal",
            "--output",
            "true",
            "--no-continue",
        ],
    );
    insta::assert_snapshot!("parallel_recorded", masked(&first, &dir, &id));
    assert_eq!(runs(&dir)[0]["status"], "paused");
    let second = run(
        &dir,
        &["approve", &id, "gate.security", "--output", "false"],
    );
    insta::assert_snapshot!("parallel_approved", masked(&second, &dir, &id));
}

const MAP: &str = r#"
worker Ask(q: string) -> bool {
  human { prompt: "Publish ${q}?" }
}

workflow publish() -> [bool] {
  map check = Ask(q: item) for item in ["a", "b", "c"] {
    max_concurrency: 2
    on_success -> done
  }
  succeed done = check
}
"#;

#[test]
fn map_items_each_wait_for_a_person() {
    let dir = tempdir("map");
    write(&dir, "publish.flow", MAP);
    let out = run(&dir, &["run", "publish.flow"]);
    let id = the_run(&dir);
    insta::assert_snapshot!("map_paused", masked(&out, &dir, &id));
    // The first answer frees a slot: the third item asks, and the run
    // pauses again.
    let first = run(&dir, &["approve", &id, "check[0]", "--output", "true"]);
    insta::assert_snapshot!("map_first_answer", masked(&first, &dir, &id));
    let second = run(
        &dir,
        &[
            "approve",
            &id,
            "check[2]",
            "--output",
            "false",
            "--no-continue",
        ],
    );
    insta::assert_snapshot!("map_recorded", masked(&second, &dir, &id));
    let last = run(&dir, &["approve", &id, "check[1]", "--output", "true"]);
    insta::assert_snapshot!("map_done", masked(&last, &dir, &id));
}

#[test]
fn without_a_store_a_person_cannot_be_asked() {
    let dir = tempdir("nostore");
    write(&dir, "ship.flow", DEADLINE);
    let out = run(
        &dir,
        &[
            "run",
            "ship.flow",
            "--no-store",
            "--input",
            r#"{"q": "v1"}"#,
        ],
    );
    insta::assert_snapshot!("no_store", masked(&out, &dir, "no run id"));
}

const INTERRUPTED: &str = r#"
worker Mark(n: int) -> int {
  exec { command: ["sh", "-c", "echo $1 >> marks; echo $1", "mark", "${n}"] }
}

worker Wait(n: int) -> int {
  exec { command: ["sh", "-c", "while [ ! -f go ]; do sleep 0.05; done; echo $1", "wait", "${n}"] }
}

workflow long() -> int {
  step first = Mark(n: 1) {
    on_success -> second
  }
  step second = Wait(n: 2) {
    on_success -> done
  }
  succeed done = first + second
}
"#;

#[test]
fn a_signal_lets_a_durable_run_go_to_be_resumed() {
    let dir = tempdir("signal");
    write(&dir, "long.flow", INTERRUPTED);
    let child = flow(&dir, &["run", "long.flow"])
        .env("FLOW_TRACE_DURATIONS", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < until, "the run never reached `second`");
        if dir.join(".flow/runs.db").exists()
            && runs(&dir)
                .first()
                .is_some_and(|r| r["current_state"] == "second")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: the pid is our own child's, which has not been waited for.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let id = the_run(&dir);
    insta::assert_snapshot!("signal_stopped", masked(&out, &dir, &id));
    assert_eq!(runs(&dir)[0]["status"], "running");
    write(&dir, "go", "");
    let resumed = run(&dir, &["resume", &id]);
    insta::assert_snapshot!("signal_resumed", masked(&resumed, &dir, &id));
    let marks = std::fs::read_to_string(dir.join("marks")).unwrap_or_default();
    assert_eq!(marks, "1\n", "`first` ran once");
}
