//! `flow run` end to end, trace on: the binary runs a workflow of about
//! 200,000 trivial transitions (two steps calling the builtin `echo` worker
//! in a loop that `max_visits` ends), with the trace going to a file on
//! stderr, and again with `--events ndjson` going to a file on stdout.
//! The target is at most 1.5 µs per transition, against about 1 µs for the
//! engine alone (`benches/engine.rs`): the trace and the events are
//! buffered and written when the run waits or ends, not a line at a time.
//!
//! `cargo bench --bench trace` times each command with `hyperfine` when it
//! is installed, or else as the best of a loop of runs. Without `--bench`
//! (as under `cargo test --all-targets`, in a debug build) the loop makes
//! 200 transitions and each command runs once, as a smoke test.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The `flow` binary cargo built for this benchmark (the bench profile,
/// which is the release profile).
const FLOW: &str = env!("CARGO_BIN_EXE_flow");

/// Visits of each of the two steps: about twice as many transitions.
const VISITS: u64 = 100_000;
const SMOKE_VISITS: u64 = 100;

/// `a` and `b` take turns until `a` has been visited `visits` times; its
/// next visit is refused with class `limit`, which routes to `done`.
fn workflow(visits: u64) -> String {
    format!(
        r#"worker Echo(n: int) -> {{ n: int }} {{
  builtin {{ name: "echo" }}
}}

workflow spin() -> string {{
  start: a
  max_steps: {max_steps}
  step a = Echo(n: 1) {{
    max_visits: {visits}
    on_success -> b
    on_failure limit -> done
  }}
  step b = Echo(n: 2) {{
    on_success -> a
  }}
  succeed done = "spun"
}}
"#,
        max_steps = 2 * visits + 10
    )
}

/// a→b and b→a for each visit of `a`, then a→done.
fn transitions(visits: u64) -> u64 {
    2 * visits + 1
}

fn main() -> ExitCode {
    let full = std::env::args().any(|arg| arg == "--bench");
    let dir = std::env::temp_dir().join(format!("flow-trace-bench-{}", std::process::id()));
    let result = std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
        .and_then(|()| measure(&dir, full));
    // Best effort: a leftover directory in the temporary directory is harmless.
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn measure(dir: &Path, full: bool) -> Result<(), String> {
    let visits = if full { VISITS } else { SMOKE_VISITS };
    let file = dir.join("spin.flow");
    std::fs::write(&file, workflow(visits))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let trace_out = dir.join("trace.txt");
    let events_out = dir.join("events.ndjson");
    let n = transitions(visits);

    // What the user sees must be right before its speed matters.
    let (status, _) = run_flow(&file, false, &trace_out)?;
    if status != Some(0) {
        return Err(format!("`flow run` exits with {status:?}, expected 0"));
    }
    let trace = read(&trace_out)?;
    let arrows = trace.lines().filter(|l| l.contains(" → ")).count() as u64;
    if arrows != n || !trace.contains("`a` reached its limit") {
        return Err(format!(
            "the trace shows {arrows} transitions, expected {n}, and the refusal of `a`"
        ));
    }
    let (status, _) = run_flow(&file, true, &events_out)?;
    let events = read(&events_out)?;
    let moves = events.matches("\"event\":\"transition\"").count() as u64;
    if status != Some(0) || moves != n {
        return Err(format!(
            "`flow run --events ndjson` exits with {status:?} and shows {moves} transitions, expected 0 and {n}"
        ));
    }
    println!("{n} transitions per run, every one on the trace and in the events");
    if !full {
        return Ok(());
    }

    for (label, events) in [("trace on stderr", false), ("--events ndjson", true)] {
        let out = if events { &events_out } else { &trace_out };
        let seconds = match hyperfine(&file, events, out)? {
            Some(mean) => mean,
            None => best_of(&file, events, out, 10)?,
        };
        println!(
            "{label}: {:.1} ms per run, {:.2} µs per transition",
            seconds * 1e3,
            seconds * 1e6 / n as f64
        );
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Runs `flow run FILE` once, its trace (or events) written to `out`.
fn run_flow(file: &Path, events: bool, out: &Path) -> Result<(Option<i32>, Duration), String> {
    let sink =
        std::fs::File::create(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut command = Command::new(FLOW);
    // The trace as a user gets it, durations included.
    command
        .arg("run")
        .arg(file)
        .arg("--no-store")
        .env_remove("FLOW_TRACE_DURATIONS")
        .stdin(Stdio::null());
    if events {
        command
            .args(["--events", "ndjson"])
            .stdout(sink)
            .stderr(Stdio::null());
    } else {
        command.stdout(Stdio::null()).stderr(sink);
    }
    let start = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cannot run {FLOW}: {e}"))?;
    Ok((status.code(), start.elapsed()))
}

fn best_of(file: &Path, events: bool, out: &Path, runs: usize) -> Result<f64, String> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        best = best.min(run_flow(file, events, out)?.1);
    }
    Ok(best.as_secs_f64())
}

/// The mean of `hyperfine`'s runs in seconds, or `None` when it is not
/// installed.
fn hyperfine(file: &Path, events: bool, out: &Path) -> Result<Option<f64>, String> {
    let json: PathBuf = out.with_extension("hyperfine.json");
    let redirect = if events {
        format!("--events ndjson > {} 2>/dev/null", out.display())
    } else {
        format!("> /dev/null 2> {}", out.display())
    };
    let command = format!(
        "env -u FLOW_TRACE_DURATIONS {FLOW} run {} {redirect}",
        file.display()
    );
    let status = Command::new("hyperfine")
        .args(["--warmup", "2", "--runs", "10", "--export-json"])
        .arg(&json)
        .arg(&command)
        .status();
    let Ok(status) = status else {
        return Ok(None);
    };
    if !status.success() {
        return Err(format!("hyperfine failed on `{command}`"));
    }
    let text = read(&json)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("hyperfine's JSON: {e}"))?;
    value["results"][0]["mean"]
        .as_f64()
        .map(Some)
        .ok_or_else(|| "hyperfine's JSON has no mean".to_string())
}
