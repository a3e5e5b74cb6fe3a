//! The fault paths of `flow run` against real processes: timeouts, failures,
//! signals and a low open-file limit. Each test checks that nothing is lost
//! (the events run from `run_started` to one end, with consecutive sequence
//! numbers, or the output is whole) and that no process the run started is
//! alive once `flow` has exited. The programs record their pids in files
//! (`tests/workers/fault_*`), which the tests read back from /proc.
//!
//! Nothing here sleeps for a fixed time: every wait polls for what it waits
//! for, with a deadline that turns a hang into a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Longer than anything here should take.
const HANG: Duration = Duration::from_secs(60);

fn worker(name: &str) -> String {
    format!("{}/tests/workers/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A directory of its own for one test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("flow-faults-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the scratch directory can be made");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn dir(&self) -> &str {
        self.0.to_str().expect("the temporary directory is UTF-8")
    }

    /// Writes `source` as `name` and returns its path.
    fn flow_file(&self, name: &str, source: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, source).expect("the .flow file can be written");
        path
    }

    /// Every pid the programs of the run recorded (`pids.*` files and the
    /// lines of `pids`). Never panics, since `drop` uses it too; a pid that
    /// was not recorded fails the count in [`assert_nothing_left`].
    fn pids(&self) -> Vec<u32> {
        let Ok(entries) = std::fs::read_dir(&self.0) else {
            return Vec::new();
        };
        let mut pids = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "pids" || (name.starts_with("pids.") && !name.ends_with(".tmp")) {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                pids.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
        }
        pids
    }
}

impl Drop for Scratch {
    /// Kills what a failed test may have left running, then removes the
    /// directory.
    fn drop(&mut self) {
        for pid in self.pids().into_iter().filter(|p| alive(*p)) {
            // SAFETY: kill(2) with a pid this test's programs recorded.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `pid` is alive: there and not a zombie (a grandchild is
/// reparented to init, which in some containers never reaps it).
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or("");
    !matches!(state, "Z" | "X")
}

/// Asserts that `flow` left no process behind: every recorded pid is dead
/// now that it has exited.
fn assert_nothing_left(scratch: &Scratch, at_least: usize) {
    let pids = scratch.pids();
    assert!(
        pids.len() >= at_least,
        "expected at least {at_least} pids, found {pids:?}"
    );
    let left: Vec<u32> = pids.into_iter().filter(|p| alive(*p)).collect();
    // Do not let a failure here leave them running either.
    for pid in &left {
        // SAFETY: kill(2) with a pid this test's programs recorded.
        unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
    }
    assert!(
        left.is_empty(),
        "still running after `flow` exited: {left:?}"
    );
}

/// `flow run FILE --events ndjson ARGS`, stdout and stderr piped.
fn flow_run(file: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flow"));
    command
        .arg("run")
        .arg(file)
        .args(["--no-store", "--events", "ndjson"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for `child` while reading its output (a full pipe would stall
/// it), failing the test (and killing it) if it hangs.
fn finish(child: Child) -> Output {
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(HANG) {
        Ok(output) => output.expect("flow's output can be read"),
        Err(_) => {
            // SAFETY: kill(2) with the pid of our own child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("flow still running after {HANG:?}");
        }
    }
}

/// Polls until `path` exists, failing the test after [`HANG`].
fn wait_for(path: &Path) {
    let deadline = Instant::now() + HANG;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The events of a run, checked whole: each line an event of the same run,
/// sequence numbers from 0 without a gap, `run_started` first and one end
/// of the run last.
fn events(stdout: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(stdout);
    let events: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let first = events.first().expect("events were written");
    assert_eq!(first["event"], "run_started", "{text}");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["seq"], i as u64, "{text}");
        assert_eq!(event["run_id"], first["run_id"], "{text}");
    }
    let ends = ["run_succeeded", "run_failed", "run_cancelled"];
    let last = events.last().map(|e| e["event"].clone());
    assert!(
        ends.iter().any(|end| last == Some(Value::from(*end))),
        "{text}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| ends.iter().any(|end| e["event"] == *end))
            .count(),
        1,
        "{text}"
    );
    // Every step, branch or item that started has ended, however the run
    // did: a stopped run ends those under way with `step_cancelled`.
    let mut open: Vec<&Value> = Vec::new();
    for event in &events {
        let kind = event["event"].as_str().unwrap_or_default();
        if kind == "step_started" {
            open.push(&event["step"]);
        } else if [
            "step_succeeded",
            "attempt_failed",
            "attempt_interrupted",
            "step_failed",
            "step_cancelled",
        ]
        .contains(&kind)
            && let Some(at) = open.iter().rposition(|step| **step == event["step"])
        {
            open.remove(at);
        }
    }
    assert!(open.is_empty(), "started and never ended: {open:?}\n{text}");
    events
}

fn of_kind<'e>(events: &'e [Value], kind: &str) -> Vec<&'e Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// A workflow of one step whose worker is `fault_stubborn.py` in `mode`,
/// with `settings` on the worker.
fn stubborn_flow(scratch: &Scratch, mode: &str, settings: &str) -> PathBuf {
    let program = worker("fault_stubborn.py");
    let dir = scratch.dir();
    scratch.flow_file(
        "stubborn.flow",
        &format!(
            r#"worker Stubborn() -> {{ done: bool }} {{
  exec {{ command: ["python3", "{program}", "{dir}", "{mode}"] }}
  {settings}
}}

workflow stubborn() -> {{ done: bool }} {{
  step work = Stubborn() {{
    on_success -> done
  }}

  succeed done = work
}}
"#
        ),
    )
}

/// On a timeout, the attempt's processes, which ignore SIGTERM, are killed
/// before the retry starts: the second attempt finds none of the first's
/// alive, and nothing of either is left when `flow` exits.
#[test]
fn a_timed_out_attempt_is_gone_before_its_retry_starts() {
    let scratch = Scratch::new("timeout");
    let file = stubborn_flow(
        &scratch,
        "hang",
        "timeout: 3s\n  retries: 1\n  backoff: 0s\n  retry_on: [timeout]",
    );
    let output = finish(flow_run(&file, &[]).spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let events = events(&output.stdout);
    let failed = of_kind(&events, "attempt_failed");
    assert_eq!(failed.len(), 2, "{events:?}");
    assert!(failed.iter().all(|e| e["class"] == "timeout"), "{events:?}");
    assert_eq!(of_kind(&events, "run_failed").len(), 1);
    // The first attempt's program and its child were dead when the second
    // attempt started.
    let before = std::fs::read_to_string(scratch.path("before.2"))
        .expect("the second attempt ran and looked");
    assert_eq!(before, "none");
    assert_nothing_left(&scratch, 4);
}

/// An output that does not fit its type is retried (class `output`) only
/// once the attempt's processes are gone, though its program exited 0 and
/// left a child that ignores SIGTERM.
#[test]
fn a_misfit_output_is_retried_only_once_its_processes_are_gone() {
    let scratch = Scratch::new("misfit");
    let file = stubborn_flow(
        &scratch,
        "misfit",
        "retries: 1\n  backoff: 0s\n  retry_on: [output]",
    );
    let output = finish(flow_run(&file, &[]).spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = events(&output.stdout);
    let failed = of_kind(&events, "attempt_failed");
    assert_eq!(failed.len(), 1, "{events:?}");
    assert_eq!(failed[0]["class"], "output", "{events:?}");
    let before = std::fs::read_to_string(scratch.path("before.2"))
        .expect("the second attempt ran and looked");
    assert_eq!(before, "none");
    assert_nothing_left(&scratch, 4);
}

/// A program that succeeds but leaves a child that ignores SIGTERM: the
/// run succeeds, and `flow` exits only once the child is killed.
#[test]
fn a_leftover_of_a_successful_run_does_not_outlive_flow() {
    let scratch = Scratch::new("success");
    let file = stubborn_flow(&scratch, "leave", "");
    let output = finish(flow_run(&file, &[]).spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = events(&output.stdout);
    let succeeded = of_kind(&events, "run_succeeded");
    assert_eq!(succeeded[0]["output"], serde_json::json!({"done": true}));
    assert_nothing_left(&scratch, 2);
}

/// A program that fails with nothing on stderr: the failure quotes the end
/// of its stdout, and its stubborn child does not outlive `flow`.
#[test]
fn a_failure_quotes_stdout_when_stderr_is_empty_and_leaves_nothing() {
    let scratch = Scratch::new("failure");
    let file = stubborn_flow(&scratch, "fail", "");
    let output = finish(flow_run(&file, &[]).spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let events = events(&output.stdout);
    let failed = of_kind(&events, "attempt_failed");
    let message = failed[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.ends_with(
            "exited with status 1 (nothing on stderr; stdout ended with: working on it | error: the model refused the prompt)"
        ),
        "{message}"
    );
    assert_eq!(failed[0]["class"], "worker");
    assert_nothing_left(&scratch, 2);
}

/// Every program gets `FLOW_RUN_ID`, `FLOW_STEP`, `FLOW_ATTEMPT` and
/// `FLOW_IDEMPOTENCY_KEY`, and the key is the same for both attempts of
/// one visit.
#[test]
fn programs_get_the_run_step_attempt_and_a_stable_idempotency_key() {
    let scratch = Scratch::new("env");
    let file = stubborn_flow(&scratch, "flaky", "retries: 1\n  backoff: 0s");
    let output = finish(flow_run(&file, &[]).spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = events(&output.stdout);
    let run_id = events[0]["run_id"].as_str().expect("a run id").to_owned();
    let env = |attempt: u32| -> Value {
        let text = std::fs::read_to_string(scratch.path(&format!("env.{attempt}")))
            .expect("the attempt recorded its environment");
        serde_json::from_str(&text).expect("the environment is JSON")
    };
    let (first, second) = (env(1), env(2));
    assert_eq!(first["FLOW_RUN_ID"], run_id.as_str());
    assert_eq!(first["FLOW_STEP"], "work");
    assert_eq!(first["FLOW_ATTEMPT"], "1");
    assert_eq!(second["FLOW_ATTEMPT"], "2");
    let key = first["FLOW_IDEMPOTENCY_KEY"].as_str().unwrap_or_default();
    assert!(key.contains(&run_id) && key.contains("work"), "{key}");
    assert_eq!(second["FLOW_IDEMPOTENCY_KEY"], key);
    assert_nothing_left(&scratch, 4);
}

/// `signal` while a program that ignores SIGTERM runs: the run is
/// cancelled (`run_cancelled`), the program and its child are killed, and
/// `flow` exits with `status` and says why.
fn stopped_by(signal: libc::c_int, status: i32, said: &str) {
    let scratch = Scratch::new(&format!("signal-{signal}"));
    let file = stubborn_flow(&scratch, "hang", "");
    let child = flow_run(&file, &[]).spawn().expect("flow starts");
    wait_for(&scratch.path("pids.1"));
    let pid = i32::try_from(child.id()).expect("a pid fits an i32");
    // SAFETY: kill(2) with the pid of our own child and a valid signal.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let output = finish(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(status), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!("error: {said}: the run was cancelled and every program it started was stopped")
    );
    let events = events(&output.stdout);
    assert_eq!(
        events.last().map(|e| &e["event"]),
        Some(&"run_cancelled".into())
    );
    assert_nothing_left(&scratch, 2);
}

#[test]
fn sigterm_cancels_the_run_and_kills_its_programs() {
    stopped_by(libc::SIGTERM, 143, "terminated (SIGTERM)");
}

#[test]
fn sighup_cancels_the_run_and_kills_its_programs() {
    stopped_by(libc::SIGHUP, 129, "hung up (SIGHUP)");
}

#[test]
fn ctrl_c_kills_programs_that_ignore_sigterm() {
    stopped_by(libc::SIGINT, 130, "interrupted");
}

/// A `map` over `count` items of `fault_item.sh`, each recording its pid.
fn map_flow(scratch: &Scratch) -> PathBuf {
    let program = worker("fault_item.sh");
    let pids = scratch.path("pids");
    let pids = pids.display();
    scratch.flow_file(
        "map.flow",
        &format!(
            r#"worker Item(n: int) -> {{ n: int }} {{
  exec {{ command: ["sh", "{program}", "{pids}"] }}
}}

workflow items(xs: [int]) -> [{{ n: int }}] {{
  map each = Item(n: x) for x in xs {{
    on_success -> done
  }}

  succeed done = each
}}
"#
        ),
    )
}

/// `flow run` under `ulimit -n limit` (set by bash, which also closes any
/// descriptor it inherited beyond the standard three).
fn under_file_limit(limit: u32, file: &Path, input: &str) -> Output {
    let flow = env!("CARGO_BIN_EXE_flow");
    let script = format!(
        r#"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; ulimit -n {limit}; exec "$0" run "$1" --no-store --events ndjson --input "$2""#
    );
    let child = Command::new("bash")
        .args(["-c", &script, flow])
        .arg(file)
        .arg(input)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash starts");
    finish(child)
}

/// 600 items, 16 at once by default, under `ulimit -n 64`: the calls wait
/// for open files instead of failing, and every item's output is there.
#[test]
fn a_large_map_survives_a_low_open_file_limit() {
    let scratch = Scratch::new("ulimit");
    let file = map_flow(&scratch);
    let xs: Vec<u32> = (0..600).collect();
    let input = serde_json::json!({ "xs": xs }).to_string();
    let output = under_file_limit(64, &file, &input);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = events(&output.stdout);
    let succeeded = of_kind(&events, "run_succeeded");
    let items = succeeded[0]["output"].as_array().expect("a list");
    let ns: Vec<u64> = items.iter().filter_map(|i| i["n"].as_u64()).collect();
    assert_eq!(ns, (0..600).collect::<Vec<u64>>());
    assert_nothing_left(&scratch, 600);
}

/// A limit so low that not even one program can start: a `transient`
/// failure that names the limit and `max_concurrency`.
#[test]
fn running_out_of_open_files_is_a_transient_failure_that_names_the_limit() {
    let scratch = Scratch::new("emfile");
    let file = map_flow(&scratch);
    let output = under_file_limit(12, &file, r#"{"xs": [1, 2, 3]}"#);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let events = events(&output.stdout);
    let failed = of_kind(&events, "attempt_failed");
    assert_eq!(failed[0]["class"], "transient", "{events:?}");
    let message = failed[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("cannot start `sh`: Too many open files (os error 24): `flow` hit its limit on open files (`ulimit -n`, now 12) "),
        "{message}"
    );
    assert!(message.contains("`max_concurrency`"), "{message}");
    assert!(stderr.contains("`ulimit -n`, now 12"), "{stderr}");
    // Nothing started, so nothing can be left.
    assert!(scratch.pids().is_empty());
}

/// The executor's side of a timeout: once a call is dropped, its
/// `Teardowns` settle only when its processes, which ignore SIGTERM, have
/// been killed; a dropped wait leaves the teardown to go on regardless.
#[tokio::test]
async fn a_dropped_call_settles_only_when_its_group_is_gone() {
    use flow::runtime::executor::exec::{self, ExecSpec, Teardowns};
    use flow::runtime::executor::{CallMeta, DEFAULT_MAX_OUTPUT, Invocation};

    let scratch = Scratch::new("settled");
    let spec = ExecSpec {
        command: [
            "python3",
            &worker("fault_stubborn.py"),
            scratch.dir(),
            "hang",
        ]
        .map(str::to_owned)
        .to_vec(),
        env: Vec::new(),
        cwd: None,
    };
    let meta = CallMeta {
        run_id: "run-1".to_owned(),
        step: "work".to_owned(),
        attempt: 1,
        idempotency_key: "run-1:work:1".to_owned(),
    };
    let input = serde_json::json!({});
    let inv = Invocation {
        input: &input,
        meta: &meta,
        max_output: DEFAULT_MAX_OUTPUT,
        wants_string: false,
    };
    let teardowns = Teardowns::default();
    let pids = scratch.path("pids.1");
    tokio::select! {
        ended = exec::call_in(&spec, &inv, &teardowns) => panic!("the call ended by itself: {ended:?}"),
        () = async {
            while !pids.exists() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        } => {}
    }
    // The call is dropped: SIGTERM went to the group, which ignores it.
    let family = scratch.pids();
    assert_eq!(family.len(), 2, "{family:?}");
    // A wait given up on (as a Ctrl-C during a timeout's teardown would)
    // is no harm, and far inside the grace period nothing is settled yet.
    let early = tokio::time::timeout(Duration::from_millis(200), teardowns.settled()).await;
    assert!(early.is_err(), "settled before SIGKILL was due");
    assert!(family.iter().all(|p| alive(*p)), "{family:?}");
    tokio::time::timeout(HANG, teardowns.settled())
        .await
        .expect("the teardown settles");
    // Settled means gone: no process of the group is alive.
    assert_nothing_left(&scratch, 2);
}

/// A `before` hook program that hangs past its timeout, ignoring SIGTERM:
/// the call fails only once the hook's processes are gone, so the state its
/// failure routes to finds none of them alive.
#[test]
fn a_timed_out_hook_is_gone_before_the_run_goes_on() {
    let scratch = Scratch::new("hook");
    let program = worker("fault_stubborn.py");
    let dir = scratch.dir();
    let file = scratch.flow_file(
        "hook.flow",
        &format!(
            r#"transformer slow(r: {{ text: string }}) -> {{ text: string }} {{
  exec {{ command: ["python3", "{program}", "{dir}", "hang"] }}
  timeout: 3s
}}

worker Echo(text: string) -> {{ text: string }} {{
  builtin {{ name: "echo" }}
  before: slow
}}

worker Check() -> {{ done: bool }} {{
  exec {{ command: ["python3", "{program}", "{dir}", "check"] }}
}}

workflow hooked() -> {{ done: bool }} {{
  step first = Echo(text: "x") {{
    on_success -> check
    on_failure -> check
  }}

  step check = Check() {{
    on_success -> done
  }}

  succeed done = check
}}
"#
        ),
    );
    let output = finish(flow_run(&file, &[]).spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let events = events(&output.stdout);
    // The hook's failure is routed by `on_failure` (its own events are
    // another matter, not checked here).
    let routed = of_kind(&events, "transition");
    assert_eq!(routed[0]["step"], "first", "{events:?}");
    assert_eq!(routed[0]["target"], "check", "{events:?}");
    let checked = std::fs::read_to_string(scratch.path("checked")).expect("the check step ran");
    assert_eq!(checked, "none");
    assert_nothing_left(&scratch, 2);
}

/// The events go to a full disk (`/dev/full`): the run stops at the next
/// event instead of running on unrecorded, says so and how to go on, and
/// leaves no program behind; resumed, it ends without running a finished
/// step again, and its journal has every event.
#[test]
fn events_that_cannot_be_written_stop_a_durable_run_resumably() {
    let scratch = Scratch::new("full");
    let dir = scratch.dir();
    let file = scratch.flow_file(
        "two.flow",
        &format!(
            r#"worker Mark(n: int) -> string {{
  exec {{ command: ["sh", "-c", "echo $$ >> {dir}/pids; echo \"$FLOW_IDEMPOTENCY_KEY\" >> {dir}/keys; sleep 0.2; echo marked"] }}
}}

workflow two() -> string {{
  step one = Mark(n: 1) {{
    on_success -> two
  }}
  step two = Mark(n: 2) {{
    on_success -> done
  }}
  succeed done = "${{one}} ${{two}}"
}}
"#
        ),
    );
    let store = scratch.path("runs.db");
    let store = store.to_str().expect("the path is UTF-8");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full opens");
    // Not `flow_run`, which runs without a store.
    let mut command = Command::new(env!("CARGO_BIN_EXE_flow"));
    command
        .arg("run")
        .arg(&file)
        .args(["--store", store, "--events", "ndjson"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped());
    let output = finish(command.spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let run_id = stderr
        .split_whitespace()
        .skip_while(|word| *word != "run")
        .nth(1)
        .unwrap_or_else(|| panic!("no run id in: {stderr}"))
        .to_owned();
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: run {run_id} stopped before its end: the events could not be written to \
             stdout: No space left on device (os error 28)\n  = help: what it did is kept; \
             once that is put right, go on with `flow resume {run_id} --store {store}`"
        )
    );
    let keys = || {
        std::fs::read_to_string(scratch.path("keys"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(), [format!("{run_id}:one:1")], "{stderr}");

    let mut resume = Command::new(env!("CARGO_BIN_EXE_flow"));
    resume
        .args(["resume", &run_id, "--store", store, "--events", "ndjson"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = finish(resume.spawn().expect("flow starts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        keys(),
        [format!("{run_id}:one:1"), format!("{run_id}:two:1")],
        "`one` ran once"
    );
    let mut logs = Command::new(env!("CARGO_BIN_EXE_flow"));
    logs.args(["logs", &run_id, "--store", store, "--events", "ndjson"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = finish(logs.spawn().expect("flow starts"));
    let events = events(&output.stdout);
    assert_eq!(
        events.last().map(|e| e["event"].clone()),
        Some(Value::from("run_succeeded"))
    );
    assert_eq!(of_kind(&events, "step_succeeded").len(), 2);
    // `two` was under way when the run stopped (journaled, not yet
    // started): the resumed run starts it again under the same key.
    assert_eq!(of_kind(&events, "attempt_interrupted").len(), 1);
    assert_nothing_left(&scratch, 2);
}
