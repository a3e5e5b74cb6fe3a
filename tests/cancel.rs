//! `flow cancel`: a run driven by another process stops within about a
//! second of the request, its program killed; a run nobody drives (its
//! process was killed) is cancelled at once and cannot be resumed.

mod common;

use common::cli::flow_with_store as flow;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-cancel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

const SLOW: &str = r#"
worker Slow(n: int) -> string {
  exec { command: ["sleep", "30"] }
}

workflow slow() -> string {
  step wait = Slow(n: 1) {
    on_success -> done
  }
  succeed done = wait
}
"#;

/// The only run of the store, once it is recorded.
fn the_run(dir: &Path) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "no run was recorded");
        if dir.join(".flow/runs.db").exists() {
            let out = flow(dir, &["runs", "--format", "json"])
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            if let Ok(runs) = serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
                && let Some(run) = runs.into_iter().next()
                && run["current_state"] == "wait"
            {
                return run;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_running_run_stops_within_a_heartbeat() {
    let dir = tempdir("running");
    std::fs::write(dir.join("slow.flow"), SLOW).unwrap_or_else(|e| panic!("{e}"));
    let child = flow(&dir, &["run", "slow.flow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let run = the_run(&dir);
    let id = run["id"].as_str().unwrap_or_default().to_owned();
    let asked = Instant::now();
    let out = flow(&dir, &["cancel", &id[..6]])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is asked to stop"));
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("run {id} was cancelled by `flow cancel`")),
        "{stderr}"
    );
    assert!(
        stderr.contains("step_cancelled") || stderr.contains("wait"),
        "{stderr}"
    );
    let out = flow(&dir, &["runs", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(runs[0]["status"], "cancelled");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_nobody_drives_is_cancelled_at_once() {
    let dir = tempdir("orphan");
    std::fs::write(dir.join("slow.flow"), SLOW).unwrap_or_else(|e| panic!("{e}"));
    let mut child = flow(&dir, &["run", "slow.flow"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let run = the_run(&dir);
    let _ = child.kill();
    let _ = child.wait();
    let id = run["id"].as_str().unwrap_or_default().to_owned();
    let out = flow(&dir, &["cancel", &id])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("run {id} is cancelled\n")
    );
    let out = flow(&dir, &["resume", &id])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has already cancelled"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
