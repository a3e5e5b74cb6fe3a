//! The trace and the events are buffered, but written whenever the run
//! waits: a line about a quick step must be on stderr (or stdout) while a
//! later step is still running, not only when the run ends.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A workflow whose second step waits until the file `gate` exists.
fn workflow(gate: &std::path::Path) -> String {
    format!(
        r#"worker Quick(n: int) -> {{ n: int }} {{
  builtin {{ name: "echo" }}
}}

worker Gated() -> string {{
  exec {{ command: ["sh", "-c", "cat >/dev/null; while [ ! -e '{gate}' ]; do sleep 0.05; done; echo '\"through\"'"] }}
}}

workflow go() -> string {{
  step quick = Quick(n: 1) {{
    on_success -> gated
  }}
  step gated = Gated() {{
    on_success -> done
  }}
  succeed done = gated
}}
"#,
        gate = gate.display()
    )
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-flush-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Runs the workflow with `args`, reading lines of `stream` (stderr for
/// the trace, stdout for events) until one contains `wanted`, and only then
/// opens the gate. Returns whether the line came before the gate opened,
/// and the exit status.
fn seen_while_waiting(name: &str, args: &[&str], events: bool, wanted: &str) -> (bool, i32) {
    let dir = tempdir(name);
    let gate = dir.join("gate");
    let file = dir.join("gated.flow");
    std::fs::write(&file, workflow(&gate)).expect("the workflow is written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_flow"))
        .arg("run")
        .arg(&file)
        .arg("--no-store")
        .args(args)
        .env("NO_COLOR", "1")
        .env("FLOW_TRACE_DURATIONS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the flow binary starts");
    let (stream, other): (Box<dyn Read + Send>, Box<dyn Read + Send>) = if events {
        let out = child.stdout.take().expect("stdout is piped");
        let err = child.stderr.take().expect("stderr is piped");
        (Box::new(out), Box::new(err))
    } else {
        let out = child.stdout.take().expect("stdout is piped");
        let err = child.stderr.take().expect("stderr is piped");
        (Box::new(err), Box::new(out))
    };
    // The other stream is drained so that the run never blocks on it.
    let drain = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = BufReader::new(other).read_to_end(&mut sink);
    });
    let (tx, rx) = mpsc::channel();
    let wanted = wanted.to_owned();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if line.contains(&wanted) {
                let _ = tx.send(());
            }
        }
    });
    // Not a measure of speed: the gate opens after a generous wait anyway,
    // so that a trace held back until the end fails the test instead of
    // hanging it.
    let seen = rx.recv_timeout(Duration::from_secs(30)).is_ok();
    std::fs::write(&gate, "").expect("the gate opens");
    let status = child.wait().expect("the run ends");
    let _ = reader.join();
    let _ = drain.join();
    let _ = std::fs::remove_dir_all(dir);
    (seen, status.code().unwrap_or(-1))
}

#[test]
fn the_trace_of_a_quick_step_appears_while_a_slow_one_runs() {
    let (seen, status) = seen_while_waiting("trace", &[], false, "quick → gated");
    assert!(
        seen,
        "the trace line of `quick` was held back while `gated` ran"
    );
    assert_eq!(status, 0);
}

#[test]
fn the_events_of_a_quick_step_appear_while_a_slow_one_runs() {
    let (seen, status) = seen_while_waiting(
        "events",
        &["--events", "ndjson"],
        true,
        r#""event":"transition","run_id""#,
    );
    assert!(
        seen,
        "the events of `quick` were held back while `gated` ran"
    );
    assert_eq!(status, 0);
}
