//! `flow status`, `flow logs` and `flow prune`: the commands that look at
//! (or clear out) the runs of a store. Snapshots have the run ids, the
//! temporary directory and the times redacted; the trace has no durations
//! (`FLOW_TRACE_DURATIONS=0`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use flow::runtime::store::{Durability, NewRun, RunStatus, Store};

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-inspect-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// `flow ARGS` in `dir` with its store, without durations in the trace.
fn flow(dir: &Path, args: &[&str]) -> Command {
    let mut command = common::cli::flow_with_store(dir, args);
    command.env("FLOW_TRACE_DURATIONS", "0");
    command
}

/// Runs `flow ARGS` and gives its transcript, redacted.
fn transcript(dir: &Path, args: &[&str], ids: &[&str]) -> String {
    let output = flow(dir, args)
        .output()
        .unwrap_or_else(|e| panic!("flow runs: {e}"));
    redact(&common::cli::transcript(&output), dir, ids)
}

/// The text with `dir` as `[dir]`, each of `ids` (and its first eight
/// digits) as `[id]`, and every time as `[time]`.
fn redact(text: &str, dir: &Path, ids: &[&str]) -> String {
    let mut text = text.replace(&dir.display().to_string(), "[dir]");
    for id in ids {
        text = text.replace(id, "[id]").replace(&id[..8], "[id]");
    }
    redact_times(&text)
}

/// `2026-12-03 13:37:11.393` and `2026-12-03T13:37:11.393Z` as `[time]`.
fn redact_times(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-dd?dd:dd:dd.ddd";
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut at = 0;
    let mut copied = 0;
    while at + SHAPE.len() <= bytes.len() {
        let fits = SHAPE
            .iter()
            .zip(&bytes[at..])
            .all(|(want, got)| match want {
                b'd' => got.is_ascii_digit(),
                b'?' => *got == b'T' || *got == b' ',
                other => got == other,
            });
        if fits {
            out.push_str(&text[copied..at]);
            out.push_str("[time]");
            at += SHAPE.len();
            if bytes.get(at) == Some(&b'Z') {
                at += 1;
            }
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

const STEPS: &str = r#"
worker Mark(n: int) -> string {
  exec { command: ["sh", "-c", "echo done"] }
}

worker Bad(n: int) -> string {
  exec { command: ["sh", "-c", "echo oops >&2; exit 3"] }
}

// Waits until the file `go` is in its directory.
worker Wait(n: int) -> string {
  exec { command: ["sh", "-c", "while [ ! -e go ]; do sleep 0.05; done; echo waited"] }
}

// Writes the secret it is given to stderr, and succeeds.
worker Tell(n: int) -> string {
  exec { command: ["sh", "-c", "echo \"token $0\" >&2; echo told", env("FLOW_INSPECT_TOKEN")] }
}

workflow secret() -> string {
  step tell = Tell(n: 1) {
    on_success -> done
  }
  succeed done = tell
}

workflow good() -> string {
  step one = Mark(n: 1) {
    on_success -> two
  }
  step two = Mark(n: 2) {
    on_success -> done
  }
  succeed done = "${one} ${two}"
}

workflow bad() -> string {
  step one = Bad(n: 1) {
    on_success -> done
  }
  succeed done = one
}

workflow waits() -> string {
  step one = Mark(n: 1) {
    on_success -> two
  }
  step two = Wait(n: 2) {
    on_success -> three
  }
  step three = Mark(n: 3) {
    on_success -> done
  }
  succeed done = "${one} ${two} ${three}"
}
"#;

/// A directory with `steps.flow`.
fn fixture(name: &str) -> PathBuf {
    let dir = tempdir(name);
    std::fs::write(dir.join("steps.flow"), STEPS).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// The newest run of `workflow` in the store of `dir`, once its row says
/// it is at `state` (any state for `None`).
fn newest_run(dir: &Path, workflow: &str, state: Option<&str>) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            Instant::now() < deadline,
            "no run of `{workflow}` got to {state:?}"
        );
        if dir.join(".flow/runs.db").exists() {
            let out = flow(dir, &["runs", "--format", "json", "--workflow", workflow])
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            if let Ok(runs) = serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
                && let Some(run) = runs.into_iter().next()
                && state.is_none_or(|s| run["current_state"] == s)
            {
                return run;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `workflow` of `steps.flow` to its end with `--events ndjson`; its
/// id and stdout (the events).
fn run_to_end(dir: &Path, workflow: &str) -> (String, String) {
    let out = flow(
        dir,
        &[
            "run",
            "steps.flow",
            "--workflow",
            workflow,
            "--events",
            "ndjson",
        ],
    )
    .output()
    .unwrap_or_else(|e| panic!("{e}"));
    let run = newest_run(dir, workflow, None);
    let id = run["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(id.len(), 16, "{run}");
    (id, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn status_of_a_succeeded_run() {
    let dir = fixture("succeeded");
    let (id, _) = run_to_end(&dir, "good");
    insta::assert_snapshot!(
        "status_succeeded",
        transcript(&dir, &["status", &id[..6]], &[&id])
    );
    insta::assert_snapshot!(
        "status_succeeded_json",
        transcript(&dir, &["status", &id, "--format", "json"], &[&id])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn status_of_a_failed_run() {
    let dir = fixture("failed");
    let (id, _) = run_to_end(&dir, "bad");
    insta::assert_snapshot!("status_failed", transcript(&dir, &["status", &id], &[&id]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn status_of_a_run_whose_process_was_killed() {
    let dir = fixture("killed");
    let mut child = flow(&dir, &["run", "steps.flow", "--workflow", "waits"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let run = newest_run(&dir, "waits", Some("two"));
    let _ = child.kill();
    let _ = child.wait();
    let id = run["id"].as_str().unwrap_or_default().to_owned();
    insta::assert_snapshot!("status_killed", transcript(&dir, &["status", &id], &[&id]));
    let json = flow(&dir, &["status", &id, "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&json.stdout).into_owned();
    let parsed: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let owner = parsed["owner"]
        .as_str()
        .unwrap_or_else(|| panic!("{parsed}"));
    let json = text.replace(owner, "[owner]");
    insta::assert_snapshot!("status_killed_json", redact(&json, &dir, &[&id]));
    // `logs --follow` of a run nobody drives prints what there is and ends.
    insta::assert_snapshot!(
        "logs_follow_killed",
        transcript(&dir, &["logs", &id, "--follow"], &[&id])
    );
    // The program the killed run left waiting ends too.
    std::fs::write(dir.join("go"), "").unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn logs_replay_the_trace_and_the_very_events_of_the_run() {
    let dir = fixture("logs");
    let (good, events) = run_to_end(&dir, "good");
    insta::assert_snapshot!(
        "logs_succeeded",
        transcript(&dir, &["logs", &good], &[&good])
    );
    let out = flow(&dir, &["logs", &good, "--events", "ndjson"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), events);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let (bad, events) = run_to_end(&dir, "bad");
    insta::assert_snapshot!("logs_failed", transcript(&dir, &["logs", &bad], &[&bad]));
    let out = flow(&dir, &["logs", &bad, "--events", "ndjson"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), events);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn logs_mask_the_secrets_as_the_trace_did() {
    const TOKEN: &str = "s3cret-t0ken-value";
    let dir = fixture("secret");
    let out = flow(
        &dir,
        &[
            "run",
            "steps.flow",
            "--workflow",
            "secret",
            "--events",
            "ndjson",
        ],
    )
    .env("FLOW_INSPECT_TOKEN", TOKEN)
    .output()
    .unwrap_or_else(|e| panic!("{e}"));
    let events = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(events.contains("token ***"), "{events}");
    assert!(!events.contains(TOKEN), "{events}");
    let run = newest_run(&dir, "secret", None);
    let id = run["id"].as_str().unwrap_or_default();
    let out = flow(&dir, &["logs", id, "--events", "ndjson"])
        .env("FLOW_INSPECT_TOKEN", TOKEN)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), events);
    // The journal keeps no secret: without the variable, the log is masked.
    let out = flow(&dir, &["logs", id, "--events", "ndjson"])
        .env_remove("FLOW_INSPECT_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), events);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn logs_follow_tails_a_run_another_process_drives_until_it_ends() {
    let dir = fixture("follow");
    let driver = flow(
        &dir,
        &[
            "run",
            "steps.flow",
            "--workflow",
            "waits",
            "--events",
            "ndjson",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap_or_else(|e| panic!("{e}"));
    let run = newest_run(&dir, "waits", Some("two"));
    let id = run["id"].as_str().unwrap_or_default().to_owned();
    let mut follower = flow(&dir, &["logs", &id, "--follow", "--events", "ndjson"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = follower.stdout.take().unwrap_or_else(|| panic!("piped"));
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The follower prints the history so far: up to the start of `two`.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("\"step_started\"") && l.contains("\"step\":\"two\""))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("the follower printed only {seen:?}"),
        }
    }
    assert!(
        !seen.iter().any(|l| l.contains("run_succeeded")),
        "the run had not ended yet: {seen:?}"
    );
    // Now the run goes on, and the follower prints the rest as it comes.
    std::fs::write(dir.join("go"), "").unwrap_or_else(|e| panic!("{e}"));
    let driven = driver.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        driven.status.success(),
        "{}",
        String::from_utf8_lossy(&driven.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = follower.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if Instant::now() > deadline {
            let _ = follower.kill();
            panic!("the follower did not end with the run");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    seen.extend(rx.try_iter());
    let mut stderr = String::new();
    if let Some(mut pipe) = follower.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert!(status.success(), "{stderr}");
    assert_eq!(stderr, "");
    let followed: String = seen.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(followed, String::from_utf8_lossy(&driven.stdout));
    assert!(followed.contains("run_succeeded"), "{followed}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A store with runs made directly: their ids and times are chosen.
fn store_with_runs(name: &str, runs: &[(&str, RunStatus, u64)]) -> PathBuf {
    let dir = tempdir(name);
    let store = Store::open(&dir.join(".flow/runs.db"), Durability::Normal)
        .unwrap_or_else(|e| panic!("the store does not open: {e}"));
    for (id, status, at) in runs {
        let key = store
            .create_run(&NewRun {
                id,
                workflow: "good",
                path: "steps.flow",
                source_text: STEPS,
                input_json: "{}",
                seed: 1,
                now_ms: *at,
                owner: None,
            })
            .unwrap_or_else(|e| panic!("{e}"));
        if *status != RunStatus::Running {
            store
                .set_status(key, *status, None, *at)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    dir
}

/// A day in milliseconds, and one long ago.
const LONG_AGO: u64 = 86_400_000;

#[test]
fn prune_removes_ended_runs_older_than_the_duration() {
    let now = flow::runtime::store::now_ms();
    let dir = store_with_runs(
        "prune",
        &[
            ("aaaa000000000001", RunStatus::Succeeded, LONG_AGO),
            ("aaaa000000000002", RunStatus::Failed, LONG_AGO),
            ("aaaa000000000003", RunStatus::Cancelled, LONG_AGO),
            ("aaaa000000000004", RunStatus::Succeeded, now),
            ("aaaa000000000005", RunStatus::Running, LONG_AGO),
            ("aaaa000000000006", RunStatus::Paused, LONG_AGO),
        ],
    );
    let prune = |args: &[&str]| {
        let mut all = vec!["prune"];
        all.extend_from_slice(args);
        transcript(&dir, &all, &[])
    };
    insta::assert_snapshot!(
        "prune_dry_run",
        prune(&["--older-than", "30d", "--dry-run"])
    );
    insta::assert_snapshot!(
        "prune_failed",
        prune(&["--older-than", "30d", "--status", "failed"])
    );
    insta::assert_snapshot!("prune_all", prune(&["--older-than", "30d"]));
    insta::assert_snapshot!("prune_none", prune(&["--older-than", "30d"]));
    insta::assert_snapshot!(
        "prune_running",
        prune(&["--older-than", "30d", "--status", "running"])
    );
    insta::assert_snapshot!("prune_bad_duration", prune(&["--older-than", "3w"]));
    let out = flow(&dir, &["runs", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut left: Vec<&str> = runs.iter().filter_map(|r| r["id"].as_str()).collect();
    left.sort_unstable();
    assert_eq!(
        left,
        ["aaaa000000000004", "aaaa000000000005", "aaaa000000000006"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_is_named_by_a_unique_prefix() {
    let dir = store_with_runs(
        "prefix",
        &[
            ("abcd000000000001", RunStatus::Succeeded, LONG_AGO),
            ("abcd000000000002", RunStatus::Succeeded, LONG_AGO),
        ],
    );
    insta::assert_snapshot!(
        "status_ambiguous",
        transcript(&dir, &["status", "abcd"], &[])
    );
    insta::assert_snapshot!("logs_unknown", transcript(&dir, &["logs", "ff"], &[]));
    insta::assert_snapshot!("status_unknown", transcript(&dir, &["status", "abce"], &[]));
    insta::assert_snapshot!(
        "status_not_an_id",
        transcript(&dir, &["status", "xyz"], &[])
    );
    // A run that never started (no journal) still has a status.
    insta::assert_snapshot!(
        "status_never_started",
        transcript(&dir, &["status", "abcd000000000002"], &[])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_store_is_named() {
    let dir = tempdir("nostore");
    insta::assert_snapshot!(
        "status_no_store",
        transcript(&dir, &["status", "abcd"], &[])
    );
    let _ = std::fs::remove_dir_all(&dir);
}
