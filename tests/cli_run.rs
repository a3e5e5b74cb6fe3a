//! `flow run` as a user sees it: exit status, stdout and stderr, snapshotted.
//! The trace is made deterministic with `FLOW_TRACE_DURATIONS=0` (no
//! durations), `NO_COLOR` and a fixed width; run ids and times, which differ
//! from run to run, are redacted.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const DIR: &str = "tests/fixtures/cli_run";

fn flow() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flow"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("FLOW_TERM_WIDTH", "100")
        .env("FLOW_TRACE_DURATIONS", "0")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FLOW_STORE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `flow run FILE args...` (FILE relative to the fixtures) and returns
/// the exit status, stdout and stderr.
fn run_raw(file: &str, args: &[&str]) -> (i32, String, String) {
    let output = flow()
        .arg("run")
        .arg(format!("{DIR}/{file}"))
        .arg("--no-store")
        .args(args)
        .output()
        .expect("the flow binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The snapshot text of a run, with the run id in the trace redacted.
fn run(file: &str, args: &[&str]) -> String {
    let (status, stdout, stderr) = run_raw(file, args);
    format!(
        "status: {status}\n---- stdout ----\n{stdout}---- stderr ----\n{}",
        redact_run_id(&stderr)
    )
}

/// Replaces the id in `(run 0123456789abcdef)` by `(run [id])`, after
/// checking that it is 16 hex digits.
fn redact_run_id(text: &str) -> String {
    const MARK: &str = "(run ";
    let Some(at) = text.find(MARK) else {
        return text.to_owned();
    };
    let start = at + MARK.len();
    let id = &text[start..start + 16];
    assert!(
        id.chars().all(|c| c.is_ascii_hexdigit()),
        "the run id `{id}` is 16 hex digits"
    );
    format!("{}[id]{}", &text[..start], &text[start + 16..])
}

macro_rules! run_snapshot {
    ($name:ident, $file:expr, $args:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), run($file, &$args));
        }
    };
}

run_snapshot!(
    run_succeeds,
    "echo.flow",
    ["--input", r#"{"name": "Ada", "times": 2}"#]
);
run_snapshot!(
    run_input_from_file,
    "echo.flow",
    ["--input", "@tests/fixtures/cli_run/input.json"]
);
run_snapshot!(
    run_input_file_missing,
    "echo.flow",
    ["--input", "@tests/fixtures/cli_run/nonexistent.json"]
);
run_snapshot!(
    run_input_missing_field,
    "echo.flow",
    ["--input", r#"{"name": "Ada"}"#]
);
run_snapshot!(
    run_input_wrong_type,
    "echo.flow",
    ["--input", r#"{"name": "Ada", "times": 2.5}"#]
);
run_snapshot!(
    run_whole_numbers_are_ints,
    "whole_numbers.flow",
    ["--input", r#"{"n": 36.0}"#]
);
run_snapshot!(
    run_whole_numbers_from_a_mock_are_ints,
    "whole_numbers.flow",
    [
        "--input",
        r#"{"n": 1e1}"#,
        "--mock",
        "Count=@tests/fixtures/cli_run/count_mock.json"
    ]
);
run_snapshot!(
    run_input_int_out_of_range,
    "whole_numbers.flow",
    ["--input", r#"{"n": 1e19}"#]
);
run_snapshot!(run_input_not_an_object, "echo.flow", ["--input", "[1, 2]"]);
run_snapshot!(run_input_not_json, "echo.flow", ["--input", "{name: Ada}"]);
run_snapshot!(run_fail_state, "failing.flow", ["--workflow", "handled"]);
run_snapshot!(
    run_unhandled_failure,
    "failing.flow",
    ["--workflow", "unhandled"]
);
run_snapshot!(run_several_workflows, "failing.flow", []);
run_snapshot!(
    run_unknown_workflow,
    "failing.flow",
    ["--workflow", "handeld"]
);
run_snapshot!(run_does_not_check, "broken.flow", []);
run_snapshot!(run_with_warning, "warning.flow", []);
run_snapshot!(run_file_missing, "nonexistent.flow", []);
run_snapshot!(
    run_mock,
    "mock.flow",
    [
        "--input",
        r#"{"code": "x"}"#,
        "--mock",
        "Reviewer=@tests/fixtures/cli_run/approve.json"
    ]
);
run_snapshot!(run_unmocked, "mock.flow", ["--input", r#"{"code": "x"}"#]);
run_snapshot!(
    run_mock_wrong_type,
    "mock.flow",
    [
        "--input",
        r#"{"code": "x"}"#,
        "--mock",
        "Reviewer=@tests/fixtures/cli_run/bad_review.json"
    ]
);
run_snapshot!(
    run_mock_unknown_worker,
    "mock.flow",
    [
        "--input",
        r#"{"code": "x"}"#,
        "--mock",
        "Reviewr=@tests/fixtures/cli_run/approve.json"
    ]
);

/// Parses NDJSON output, checks every line is an event of `run_id` with
/// consecutive `seq`, and returns the events with the varying fields
/// (run id, time, duration) redacted.
fn events(stdout: &str) -> Vec<Value> {
    let mut run_id = None;
    stdout
        .lines()
        .enumerate()
        .map(|(seq, line)| {
            let mut event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {seq} is not JSON ({e}): {line}"));
            let id = event["run_id"].as_str().expect("every event has a run id");
            assert_eq!(run_id.get_or_insert_with(|| id.to_owned()), id);
            assert_eq!(event["seq"], seq as u64);
            assert!(event["ts"].is_string(), "every event has a time");
            event["run_id"] = "[id]".into();
            event["ts"] = "[ts]".into();
            if event.get("duration_ms").is_some() {
                event["duration_ms"] = "[ms]".into();
            }
            event
        })
        .collect()
}

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?"))
        .collect()
}

#[test]
fn run_events_ndjson_succeeds() {
    let (status, stdout, stderr) = run_raw(
        "echo.flow",
        &[
            "--input",
            r#"{"name": "Ada", "times": 2}"#,
            "--events",
            "ndjson",
        ],
    );
    assert_eq!(status, 0);
    assert_eq!(stderr, "", "no trace with --events");
    let events = events(&stdout);
    assert_eq!(
        names(&events),
        [
            "run_started",
            "step_started",
            "step_succeeded",
            "transition",
            "step_started",
            "step_succeeded",
            "transition",
            "run_succeeded"
        ]
    );
    insta::assert_json_snapshot!("run_events_ndjson_succeeds", events);
}

#[test]
fn run_events_ndjson_fails() {
    let (status, stdout, stderr) = run_raw(
        "failing.flow",
        &["--workflow", "unhandled", "--events", "ndjson"],
    );
    assert_eq!(status, 1);
    let events = events(&stdout);
    assert_eq!(
        names(&events),
        [
            "run_started",
            "step_started",
            "attempt_failed",
            "retry_scheduled",
            "step_started",
            "attempt_failed",
            "step_failed",
            "run_failed"
        ]
    );
    // Only the final failure on stderr.
    insta::assert_snapshot!("run_events_ndjson_fails_stderr", stderr);
}

#[test]
fn run_ids_differ_between_runs() {
    let ids: Vec<String> = (0..2)
        .map(|_| {
            let (_, stdout, _) = run_raw(
                "echo.flow",
                &[
                    "--input",
                    r#"{"name": "Ada", "times": 2}"#,
                    "--events",
                    "ndjson",
                ],
            );
            let first: Value = serde_json::from_str(stdout.lines().next().unwrap_or_default())
                .expect("the first line is an event");
            first["run_id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
}

/// Ctrl-C while a program runs: the run is cancelled, the program killed,
/// and the status is 130. The signal is sent once the trace shows the run
/// has reached the step with the program.
#[test]
fn run_interrupted() {
    let mut child = flow()
        .args(["run", "tests/fixtures/cli_run/slow.flow", "--no-store"])
        .spawn()
        .expect("the flow binary starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("stderr is text");
        let entered = line.contains("quick → sleepy");
        seen.push(line);
        if entered {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("quick → sleepy")),
        "the trace reached the sleeping step: {seen:?}"
    );
    // Give the step a moment to start its program.
    std::thread::sleep(Duration::from_millis(200));
    let pid = i32::try_from(child.id()).expect("a pid fits an i32");
    // SAFETY: kill(2) with a pid of our own child and a valid signal.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let started = Instant::now();
    let status = child.wait().expect("flow exits");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(status.code(), Some(130), "stderr: {seen:?} {rest:?}");
    // `sleep 30` was stopped, not waited for.
    assert!(started.elapsed() < Duration::from_secs(10));
    // The trace names the step that was under way before the error.
    assert_eq!(
        rest,
        [
            "⊘ sleepy cancelled because the run was stopped",
            "error: interrupted: the run was cancelled and every program it started was stopped"
        ]
    );
}

/// On a terminal, a step that is still running shows a spinner with its
/// name and time on a live line, which is wiped before each trace line. The
/// terminal is a real pseudo-terminal from `script(1)`.
#[test]
fn run_on_a_terminal_shows_the_running_step() {
    let command = format!(
        "{} run {DIR}/pause.flow --no-store",
        env!("CARGO_BIN_EXE_flow")
    );
    let result = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("FLOW_TRACE_DURATIONS", "0")
        .stdin(Stdio::null())
        .output()
        .expect("script(1) runs");
    let screen = String::from_utf8_lossy(&result.stdout);
    assert_eq!(result.status.code(), Some(0), "{screen}");
    // The live line: wiped and redrawn as the spinner turns (braille
    // frames) and the time goes up.
    let drawn: Vec<&str> = screen
        .split("\r\x1b[2K")
        .filter(|part| {
            part.chars()
                .next()
                .is_some_and(|c| ('\u{2800}'..='\u{28ff}').contains(&c))
        })
        .collect();
    assert!(drawn.len() >= 3, "{screen:?}");
    assert!(
        drawn.iter().all(|part| part[3..].starts_with(" wait, ")),
        "{screen:?}"
    );
    let frames: std::collections::HashSet<char> = drawn
        .iter()
        .filter_map(|part| part.chars().next())
        .collect();
    assert!(frames.len() >= 3, "{screen:?}");
    // Each trace line starts on a wiped line, and the line is gone at the end.
    assert!(screen.contains("\r\x1b[2K✓ wait (attempt 1)"), "{screen:?}");
    let end = screen.trim_end();
    assert!(end.ends_with("run succeeded\r\ntrue"), "{screen:?}");
}

/// With `--events ndjson`, Ctrl-C ends the stream with `run_cancelled`.
#[test]
fn run_interrupted_ends_the_events_with_run_cancelled() {
    let mut child = flow()
        .args([
            "run",
            "tests/fixtures/cli_run/slow.flow",
            "--no-store",
            "--events",
            "ndjson",
        ])
        .spawn()
        .expect("the flow binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("stdout is text");
        let sleeping = line.contains(r#""event":"step_started""#) && line.contains("sleepy");
        seen.push(line);
        if sleeping {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let pid = i32::try_from(child.id()).expect("a pid fits an i32");
    // SAFETY: kill(2) with a pid of our own child and a valid signal.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = child.wait().expect("flow exits");
    seen.extend(lines.map_while(Result::ok));
    assert_eq!(status.code(), Some(130), "{seen:?}");
    // `events` checks that every line is an event of the same run, with
    // consecutive sequence numbers.
    let events = events(&seen.join("\n"));
    let last = events.last().expect("events were written");
    assert_eq!(last["event"], "run_cancelled", "{seen:?}");
}

/// The directory a run's program printed (`where.flow`), run in `dir` with
/// `file` and the source on stdin when given.
fn program_dir(dir: &std::path::Path, file: &str, stdin: Option<&str>) -> std::path::PathBuf {
    use std::io::Write;
    let mut child = flow()
        .current_dir(dir)
        .args(["run", file, "--no-store"])
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("the flow binary runs");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .expect("stdin takes the source");
    }
    let output = child.wait_with_output().expect("flow run ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "flow run failed: {stderr}");
    let printed: String = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the output is not a JSON string ({e}): {stderr}"));
    std::fs::canonicalize(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"))
}

fn canonical(path: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A program runs in the directory of its `.flow` file, wherever `flow run`
/// is started and however the file is named.
#[test]
fn run_programs_run_in_the_directory_of_the_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = canonical(&root.join(DIR));
    assert_eq!(
        program_dir(root, &format!("{DIR}/where.flow"), None),
        fixtures
    );
    assert_eq!(
        program_dir(
            &root.join("tests/fixtures/cli"),
            "../cli_run/where.flow",
            None
        ),
        fixtures
    );
    let absolute = fixtures.join("where.flow");
    assert_eq!(
        program_dir(&std::env::temp_dir(), &absolute.display().to_string(), None),
        fixtures
    );
    assert_eq!(program_dir(&fixtures, "where.flow", None), fixtures);
}

/// A file read from standard input has its paths start from the current
/// directory.
#[test]
fn run_from_stdin_runs_programs_in_the_current_directory() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join(DIR).join("where.flow"))
        .expect("the fixture is readable");
    let here = root.join("tests/fixtures/cli");
    assert_eq!(program_dir(&here, "-", Some(&source)), canonical(&here));
}
