//! `flow resume --upgrade`: a run moves to its file as it is now only when
//! the checker proves it safe, and goes on there; otherwise every reason is
//! listed, with the state and the types, and nothing changes.

mod common;

use common::cli::{flow_with_store as flow, transcript};
use common::mask::masked;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-upgrade-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    flow(dir, args)
        .env("FLOW_TRACE_DURATIONS", "0")
        .output()
        .unwrap_or_else(|e| panic!("flow {args:?}: {e}"))
}

fn the_run(dir: &Path) -> serde_json::Value {
    let out = run(dir, &["runs", "--format", "json"]);
    assert!(out.status.success(), "{}", transcript(&out));
    let runs: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("flow runs: {e}"));
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

/// A draft, then a person's approval: the run pauses at `ask` with the
/// draft's value stored.
const POST: &str = r#"
worker Draft(topic: string) -> { title: string } {
  exec { command: ["sh", "-c", "echo '{\"title\": \"Hello\"}'"] }
}

worker Ask(q: string) -> bool {
  human { prompt: "Publish ${q}?" }
}

workflow post(topic: string) -> string {
  step draft = Draft(topic: topic) {
    on_success -> ask
  }
  step ask = Ask(q: draft.title) {
    on_success -> done
  }
  succeed done = "published ${draft.title}"
}
"#;

/// Starts a run of `source` in `dir`, paused at `ask`; its id.
fn paused(dir: &Path, source: &str) -> String {
    std::fs::write(dir.join("post.flow"), source).unwrap_or_else(|e| panic!("{e}"));
    let out = run(dir, &["run", "post.flow", "--input", r#"{"topic": "x"}"#]);
    assert_eq!(out.status.code(), Some(3), "{}", transcript(&out));
    the_run(dir)["id"].as_str().unwrap_or_default().to_owned()
}

fn edit(dir: &Path, from: &str, to: &str) {
    let path = dir.join("post.flow");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains(from), "`{from}` is in the file");
    std::fs::write(&path, text.replace(from, to)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_safe_change_moves_the_run_to_the_new_file() {
    let dir = tempdir("safe");
    let id = paused(&dir, POST);
    // What the run has not reached changes; a new state is added.
    edit(
        &dir,
        r#"succeed done = "published ${draft.title}""#,
        "succeed done = \"published: ${draft.title}\"\n  fail never = \"unused\"",
    );
    let without = run(&dir, &["resume", &id]);
    insta::assert_snapshot!("changed_without_upgrade", masked(&without, &dir, &id));
    let moved = run(&dir, &["resume", &id, "--upgrade"]);
    insta::assert_snapshot!("moved", masked(&moved, &dir, &id));
    let answered = run(&dir, &["approve", &id, "ask", "--output", "true"]);
    insta::assert_snapshot!("moved_and_answered", masked(&answered, &dir, &id));
    assert_eq!(the_run(&dir)["status"], "succeeded");
}

#[test]
fn an_unsafe_change_is_refused_with_every_reason() {
    let dir = tempdir("unsafe");
    let id = paused(&dir, POST);
    // The state the run is in is renamed, the stored draft no longer fits
    // its type, and the workflow takes a parameter the run has no value
    // for: three reasons, all told.
    edit(&dir, "step ask = Ask", "step approve = Ask");
    edit(&dir, "on_success -> ask", "on_success -> approve");
    edit(
        &dir,
        "-> { title: string }",
        "-> { title: string, words: int }",
    );
    edit(
        &dir,
        "workflow post(topic: string)",
        "workflow post(topic: string, lang: string)",
    );
    let refused = run(&dir, &["resume", &id, "--upgrade"]);
    insta::assert_snapshot!("refused", masked(&refused, &dir, &id));
    // Nothing changed: the run still goes on with its own source.
    edit(
        &dir,
        "workflow post(topic: string, lang: string)",
        "workflow post(topic: string)",
    );
    let answered = run(&dir, &["approve", &id, "ask", "--output", "true"]);
    assert!(answered.status.success(), "{}", transcript(&answered));
    assert_eq!(answered.stdout, b"\"published Hello\"\n");
}

#[test]
fn a_file_that_does_not_check_is_refused() {
    let dir = tempdir("broken");
    let id = paused(&dir, POST);
    edit(&dir, "on_success -> done", "on_success -> dne");
    let refused = run(&dir, &["resume", &id, "--upgrade"]);
    insta::assert_snapshot!("does_not_check", masked(&refused, &dir, &id));
}

#[test]
fn an_unchanged_file_needs_no_upgrade() {
    let dir = tempdir("same");
    let id = paused(&dir, POST);
    let out = run(&dir, &["resume", &id, "--upgrade"]);
    insta::assert_snapshot!("unchanged", masked(&out, &dir, &id));
}

/// A step killed while under way: the upgrade gives it its new attempt,
/// which then runs on the new program with the same idempotency key.
const KILLED: &str = r#"
worker Mark(n: int) -> int {
  exec { command: ["sh", "-c", "echo $FLOW_IDEMPOTENCY_KEY >> keys; echo $1", "mark", "${n}"] }
}

worker Wait(n: int) -> int {
  exec { command: ["sh", "-c", "echo $FLOW_IDEMPOTENCY_KEY >> keys; while [ ! -f go ]; do sleep 0.05; done; echo $1", "wait", "${n}"] }
}

workflow post() -> int {
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
fn a_call_under_way_goes_on_after_the_upgrade() {
    let dir = tempdir("killed");
    std::fs::write(dir.join("post.flow"), KILLED).unwrap_or_else(|e| panic!("{e}"));
    let mut child = flow(&dir, &["run", "post.flow"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < until, "the run never reached `second`");
        let keys = std::fs::read_to_string(dir.join("keys")).unwrap_or_default();
        if keys.lines().count() == 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap_or_else(|e| panic!("{e}"));
    let _ = child.wait();
    let id = the_run(&dir)["id"].as_str().unwrap_or_default().to_owned();
    edit(
        &dir,
        "succeed done = first + second",
        "succeed done = first + second * 10",
    );
    std::fs::write(dir.join("go"), "").unwrap_or_else(|e| panic!("{e}"));
    let out = run(&dir, &["resume", &id, "--upgrade"]);
    insta::assert_snapshot!("killed_then_moved", masked(&out, &dir, &id));
    let keys = std::fs::read_to_string(dir.join("keys")).unwrap_or_default();
    let keys: Vec<&str> = keys.lines().collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(keys[1], keys[2], "the new attempt has the same key");
}
