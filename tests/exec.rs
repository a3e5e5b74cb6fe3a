//! The `exec` executor against real processes: the programs in
//! `tests/workers/` and a few one-line `sh -c` commands.
//!
//! Nothing here sleeps for a fixed time: every wait polls for what it waits
//! for, with a deadline that turns a hang into a failure.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flow::ir::FailureClass;
use flow::runtime::executor::exec::{self, ExecSpec};
use flow::runtime::executor::{CallMeta, DEFAULT_MAX_OUTPUT, Failure, Invocation, Output};
use serde_json::{Value, json};

/// Longer than any call here should take; a call still running then is a
/// hang and fails its test.
const HANG: Duration = Duration::from_secs(30);

fn worker(name: &str) -> String {
    format!("{}/tests/workers/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn spec(command: &[&str]) -> ExecSpec {
    ExecSpec {
        command: command.iter().map(|word| (*word).to_owned()).collect(),
        env: Vec::new(),
        cwd: None,
    }
}

fn meta() -> CallMeta {
    CallMeta {
        run_id: "run-7f3a".to_owned(),
        step: "review".to_owned(),
        attempt: 2,
        idempotency_key: "run-7f3a/review/1".to_owned(),
    }
}

/// Calls `spec` with `input`, failing the test if the call hangs.
async fn call_with(
    spec: &ExecSpec,
    input: &Value,
    wants_string: bool,
    max_output: usize,
) -> Result<Output, Failure> {
    let meta = meta();
    let inv = Invocation {
        input,
        meta: &meta,
        max_output,
        wants_string,
    };
    tokio::time::timeout(HANG, exec::call(spec, &inv))
        .await
        .unwrap_or_else(|_| panic!("{:?} still running after {HANG:?}", spec.command))
}

async fn call(spec: &ExecSpec) -> Result<Output, Failure> {
    call_with(spec, &json!({}), false, DEFAULT_MAX_OUTPUT).await
}

/// Polls `done` every 10 ms until it holds or `within` has passed; whether
/// it held.
async fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A directory of its own for one test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("flow-exec-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the scratch directory can be made");
        Scratch(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A process seen through /proc, told apart from a later process that gets
/// the same pid by its start time.
#[derive(Debug, Clone, Copy)]
struct Process {
    pid: u32,
    started: u64,
}

/// What /proc says of a process.
#[derive(Debug, PartialEq)]
enum Seen {
    Running,
    /// Dead but not reaped by its parent.
    Zombie,
    Gone,
}

impl Process {
    fn new(pid: u32) -> Process {
        let (_, started) = stat(pid).unwrap_or_else(|| panic!("process {pid} is not running"));
        Process { pid, started }
    }

    fn seen(self) -> Seen {
        match stat(self.pid) {
            Some((_, started)) if started != self.started => Seen::Gone,
            Some(('Z', _)) => Seen::Zombie,
            Some(_) => Seen::Running,
            None => Seen::Gone,
        }
    }

    /// Gone for good: our own child must also have been reaped.
    fn reaped(self) -> bool {
        self.seen() == Seen::Gone
    }

    /// Dead. A grandchild is reparented to init, which in some containers
    /// never reaps it: a zombie is as dead as it gets.
    fn dead(self) -> bool {
        self.seen() != Seen::Running
    }
}

/// The state letter and start time of `pid`, from /proc/<pid>/stat.
fn stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: the fields
    // that matter come after the last `)`.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    // Field 22 of the whole line, the start time, is the 20th after `)`.
    let started = fields.get(19)?.parse().ok()?;
    Some((state, started))
}

/// Waits until `path` exists and returns its content (the workers write it
/// to a temporary name and rename it, so it is never seen half written).
async fn read_when_written(path: &str) -> String {
    let mut content = None;
    let written = eventually(HANG, || {
        content = std::fs::read_to_string(path).ok();
        content.is_some()
    })
    .await;
    assert!(written, "{path} was never written");
    content.unwrap_or_default()
}

/// The pids a worker wrote to `path`, as processes.
async fn processes(path: &str) -> Vec<Process> {
    read_when_written(path)
        .await
        .split_whitespace()
        .map(|pid| Process::new(pid.parse().expect("a pid")))
        .collect()
}

/// Starts `spec` and drops its call (as the runtime does on a timeout or a
/// cancellation) once the worker has written its pids to `pid_file`;
/// returns them.
async fn start_then_drop(spec: &ExecSpec, pid_file: &str) -> Vec<Process> {
    let meta = meta();
    let input = json!({});
    let inv = Invocation {
        input: &input,
        meta: &meta,
        max_output: DEFAULT_MAX_OUTPUT,
        wants_string: false,
    };
    tokio::select! {
        ended = exec::call(spec, &inv) => panic!("the call ended by itself: {ended:?}"),
        pids = processes(pid_file) => pids,
    }
}

/// Runs `f` on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("the blocking task does not panic")
}

fn assert_failure(result: Result<Output, Failure>, class: FailureClass) -> Failure {
    match result {
        Ok(output) => panic!("expected a failure of class {class}, got {output:?}"),
        Err(failure) => {
            assert_eq!(failure.class, class, "{failure:?}");
            failure
        }
    }
}

#[tokio::test]
async fn json_on_stdout_is_the_output() {
    let output = call(&spec(&[
        "sh",
        "-c",
        r#"echo '{"title": "A", "pages": [1, 2]}'"#,
    ]))
    .await
    .expect("the call succeeds");
    assert_eq!(output.value, json!({"title": "A", "pages": [1, 2]}));
    assert_eq!(output.log, "");
}

#[tokio::test]
async fn text_on_stdout_is_the_output_of_a_string_worker() {
    let echo = spec(&["sh", "-c", "echo hello world; echo a note >&2"]);
    let output = call_with(&echo, &json!({}), true, DEFAULT_MAX_OUTPUT)
        .await
        .expect("the call succeeds");
    assert_eq!(output.value, json!("hello world"));
    assert_eq!(output.log, "a note\n");

    // A JSON string is decoded.
    let quoted = spec(&["sh", "-c", r#"printf '%s\n' '"line one\nline two"'"#]);
    let output = call_with(&quoted, &json!({}), true, DEFAULT_MAX_OUTPUT)
        .await
        .expect("the call succeeds");
    assert_eq!(output.value, json!("line one\nline two"));

    // The same text for any other type is unparsable output.
    let failure = assert_failure(call(&echo).await, FailureClass::Output);
    assert_eq!(
        failure.message,
        "`sh -c 'echo hello world; echo a note >&2'` printed output that is not valid JSON (expected value at line 1 column 1), near `hello world`"
    );
    assert_eq!(failure.log, "a note\n");
}

#[tokio::test]
async fn input_arrives_on_stdin_with_the_call_in_the_environment() {
    let scratch = Scratch::new("stdin-env");
    let mut spec = spec(&["python3", &worker("echo_input.py")]);
    spec.env = vec![("GREETING".to_owned(), "hello".to_owned())];
    spec.cwd = Some(scratch.0.clone());
    let input = json!({"name": "Ada", "tags": ["x", "y"], "note": "line\nbreak"});
    let output = call_with(&spec, &input, false, DEFAULT_MAX_OUTPUT)
        .await
        .expect("the call succeeds");
    let seen = output.value;
    assert_eq!(seen["input"], input);
    // Compact JSON: exactly what serde_json writes, no spaces, no newline.
    assert_eq!(seen["stdin"], json!(input.to_string()));
    assert_eq!(
        seen["env"],
        json!({
            "FLOW_RUN_ID": "run-7f3a",
            "FLOW_STEP": "review",
            "FLOW_ATTEMPT": "2",
            "FLOW_IDEMPOTENCY_KEY": "run-7f3a/review/1",
            "GREETING": "hello",
        })
    );
    assert_eq!(seen["inherited_path"], json!(true));
    let cwd = std::fs::canonicalize(&scratch.0).expect("the scratch directory exists");
    assert_eq!(seen["cwd"], json!(cwd.display().to_string()));
}

#[tokio::test]
async fn the_run_sets_the_flow_variables_even_over_the_workers_env() {
    let mut spec = spec(&["sh", "-c", r#"printf '"%s"' "$FLOW_STEP""#]);
    spec.env = vec![("FLOW_STEP".to_owned(), "spoofed".to_owned())];
    let output = call(&spec).await.expect("the call succeeds");
    assert_eq!(output.value, json!("review"));
}

#[tokio::test]
async fn a_program_that_writes_before_it_reads_does_not_deadlock() {
    // 1 MiB on stderr first, then 1 MiB of input: either alone is far more
    // than a pipe holds.
    let text = "y".repeat(1 << 20);
    let output = call_with(
        &spec(&["python3", &worker("chatty.py")]),
        &json!({"text": text}),
        false,
        DEFAULT_MAX_OUTPUT,
    )
    .await
    .expect("the call succeeds");
    assert_eq!(output.value, json!({"length": 1 << 20}));
    // The log keeps the last 64 KiB of stderr and says what it left out.
    let (first, kept) = output.log.split_once('\n').unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "[{} earlier bytes of stderr not kept]",
            (1 << 20) - (64 << 10)
        )
    );
    assert_eq!(kept.len(), 64 << 10);
    assert!(kept.starts_with("progress 15360 "), "{}", &kept[..40]);
    assert!(kept.ends_with(&format!("progress 16383 {}\n", ".".repeat(48))));
}

#[tokio::test]
async fn a_program_that_never_reads_its_input_is_fine() {
    let output = call_with(
        &spec(&["sh", "-c", "echo 7"]),
        &json!({"text": "z".repeat(1 << 20)}),
        false,
        DEFAULT_MAX_OUTPUT,
    )
    .await
    .expect("the call succeeds");
    assert_eq!(output.value, json!(7));
}

#[tokio::test]
async fn exit_75_is_transient() {
    let failure = assert_failure(
        call(&spec(&[
            "sh",
            "-c",
            "echo 'rate limited, try later' >&2; exit 75",
        ]))
        .await,
        FailureClass::Transient,
    );
    assert_eq!(
        failure.message,
        "`sh -c 'echo '\\''rate limited, try later'\\'' >&2; exit 75'` exited with status 75 (a temporary failure): rate limited, try later"
    );
}

#[tokio::test]
async fn another_exit_status_is_a_worker_failure_quoting_stderr() {
    let script = worker("fail.sh");
    let failure = assert_failure(
        call(&spec(&["sh", &script, "3"])).await,
        FailureClass::Worker,
    );
    assert_eq!(
        failure.message,
        format!(
            "`sh {script} 3` exited with status 3: loading model | Traceback (most recent call last): | ValueError: the review has no title"
        )
    );
    assert_eq!(
        failure.log,
        "reading review.json\nloading model\nTraceback (most recent call last):\nValueError: the review has no title\n"
    );

    let failure = assert_failure(
        call(&spec(&["sh", "-c", "exit 1"])).await,
        FailureClass::Worker,
    );
    assert_eq!(
        failure.message,
        "`sh -c 'exit 1'` exited with status 1 (nothing on stderr or stdout)"
    );
}

#[tokio::test]
async fn a_program_killed_by_a_signal_is_a_worker_failure_naming_it() {
    let failure = assert_failure(
        call(&spec(&["sh", "-c", "echo dying >&2; kill -KILL $$"])).await,
        FailureClass::Worker,
    );
    assert_eq!(
        failure.message,
        "`sh -c 'echo dying >&2; kill -KILL $$'` was killed by signal 9 (SIGKILL): dying"
    );
}

#[tokio::test]
async fn unparsable_output_is_an_output_failure() {
    let failure = assert_failure(
        call(&spec(&[
            "sh",
            "-c",
            r#"echo '{"ok": true}'; echo 'Done: 3 files'"#,
        ]))
        .await,
        FailureClass::Output,
    );
    assert!(
        failure.message.ends_with(
            "printed output that is not valid JSON (trailing characters at line 2 column 1), near `Done: 3 files`"
        ),
        "{}",
        failure.message
    );

    let failure = assert_failure(call(&spec(&["true"])).await, FailureClass::Output);
    assert_eq!(
        failure.message,
        "`true` printed nothing on stdout; its output must be JSON"
    );
}

#[tokio::test]
async fn output_over_the_cap_is_refused_and_the_program_stopped() {
    let scratch = Scratch::new("flood");
    let (pid_file, progress_file) = (scratch.file("pid"), scratch.file("progress"));
    let cap = 256 * 1024;
    let spec = spec(&["python3", &worker("flood.py"), &pid_file, &progress_file]);
    let failure = assert_failure(
        call_with(&spec, &json!({}), false, cap).await,
        FailureClass::Output,
    );
    assert!(
        failure
            .message
            .contains("exceeds the limit of 262144 bytes, so the program was stopped"),
        "{}",
        failure.message
    );
    let flood = processes(&pid_file).await[0];
    assert!(
        eventually(Duration::from_secs(10), || flood.reaped()).await,
        "the flooding program is still there: {:?}",
        flood.seen()
    );
    // The program wrote only what was read (at most the cap and one byte)
    // and what its pipe holds (64 KiB on Linux): the caller stopped reading
    // at the cap instead of draining an endless stream into memory.
    let written: usize = read_when_written(&progress_file)
        .await
        .parse()
        .expect("a byte count");
    assert!(
        written <= cap + 1 + 2 * 65536,
        "{written} bytes were written"
    );
}

#[tokio::test]
async fn cancelling_a_call_kills_its_whole_process_group() {
    let scratch = Scratch::new("cancel");
    let pid_file = scratch.file("pids");
    let family = start_then_drop(
        &spec(&["python3", &worker("family.py"), &pid_file]),
        &pid_file,
    )
    .await;
    let dropped = Instant::now();
    let [child, grandchild] = family[..] else {
        panic!("expected two pids, got {family:?}");
    };
    assert!(
        eventually(Duration::from_secs(10), || child.reaped()
            && grandchild.dead())
        .await,
        "still there: the child ({:?}), the grandchild ({:?})",
        child.seen(),
        grandchild.seen()
    );
    // Both obey SIGTERM, sent at once: no need for the grace period.
    assert!(
        dropped.elapsed() < exec::GRACE,
        "took {:?}",
        dropped.elapsed()
    );
}

#[tokio::test]
async fn a_program_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let scratch = Scratch::new("stubborn");
    let pid_file = scratch.file("pids");
    let command = ["python3", &worker("family.py"), &pid_file, "--ignore-term"];
    let family = start_then_drop(&spec(&command), &pid_file).await;
    let dropped = Instant::now();
    let [child, grandchild] = family[..] else {
        panic!("expected two pids, got {family:?}");
    };
    assert!(
        eventually(exec::GRACE + Duration::from_secs(10), || child.reaped()
            && grandchild.dead())
        .await,
        "still there: the child ({:?}), the grandchild ({:?})",
        child.seen(),
        grandchild.seen()
    );
    // SIGTERM did nothing; SIGKILL came with the end of the grace period.
    let took = dropped.elapsed();
    assert!(
        took >= exec::GRACE - Duration::from_millis(100),
        "took {took:?}"
    );
    // And the teardown is over, as the `flow` command checks before exiting.
    assert!(blocking(|| exec::wait_for_teardowns(Duration::from_secs(15))).await);
}

#[tokio::test]
async fn what_a_finished_program_leaves_running_is_stopped() {
    let scratch = Scratch::new("leftover");
    let pid_file = scratch.file("pid");
    // The leftover holds stdout open: without stopping it, the call would
    // wait for its end as long as it runs.
    let started = Instant::now();
    let output = call(&spec(&["sh", &worker("leftover.sh"), &pid_file]))
        .await
        .expect("the call succeeds");
    assert_eq!(output.value, json!({"done": true}));
    assert!(
        started.elapsed() < exec::GRACE,
        "took {:?}",
        started.elapsed()
    );
    let leftover = processes(&pid_file).await[0];
    assert!(
        eventually(Duration::from_secs(10), || leftover.dead()).await,
        "the leftover is still there: {:?}",
        leftover.seen()
    );
}

#[tokio::test]
async fn a_leftover_that_ignores_sigterm_does_not_hold_up_the_call() {
    let scratch = Scratch::new("leftover-stubborn");
    let pid_file = scratch.file("pid");
    let started = Instant::now();
    let output = call(&spec(&[
        "sh",
        &worker("leftover.sh"),
        &pid_file,
        "stubborn",
    ]))
    .await
    .expect("the call succeeds");
    assert_eq!(output.value, json!({"done": true}));
    assert!(
        started.elapsed() < exec::GRACE,
        "took {:?}",
        started.elapsed()
    );
    let leftover = processes(&pid_file).await[0];
    assert!(
        eventually(exec::GRACE + Duration::from_secs(10), || leftover.dead()).await,
        "the leftover is still there: {:?}",
        leftover.seen()
    );
    assert!(started.elapsed() >= exec::GRACE - Duration::from_millis(100));
}

#[tokio::test]
async fn a_program_that_cannot_start_is_a_clear_worker_failure() {
    let failure = assert_failure(
        call(&spec(&["flow-test-no-such-program", "--flag"])).await,
        FailureClass::Worker,
    );
    assert_eq!(
        failure.message,
        "cannot start `flow-test-no-such-program`: No such file or directory (os error 2); is it installed and on PATH? (for a script, check its `#!` interpreter)"
    );

    let failure = assert_failure(call(&spec(&[])).await, FailureClass::Worker);
    assert_eq!(
        failure.message,
        "the exec worker's command is empty: it needs at least the program to run"
    );

    let scratch = Scratch::new("not-executable");
    let script = scratch.file("script.sh");
    std::fs::write(&script, "echo '{}'\n").expect("the script can be written");
    let failure = assert_failure(call(&spec(&[&script])).await, FailureClass::Worker);
    assert_eq!(
        failure.message,
        format!(
            "cannot start `{script}`: Permission denied (os error 13); make it executable (`chmod +x`) or name its interpreter first in `command`"
        )
    );

    let mut elsewhere = spec(&["true"]);
    elsewhere.cwd = Some(Path::new("/nonexistent/flow-test-dir").to_path_buf());
    let failure = assert_failure(call(&elsewhere).await, FailureClass::Worker);
    assert_eq!(
        failure.message,
        "cannot start `true`: its working directory `/nonexistent/flow-test-dir` is not a directory"
    );
}

#[tokio::test]
async fn calls_run_side_by_side() {
    // Each call has its own group: calls at once neither mix their output
    // nor stop one another.
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let spec = spec(&["sh", "-c", &format!("sleep 0.05; echo {i}")]);
            tokio::spawn(async move { call(&spec).await })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let output = call.await.expect("the task does not panic");
        assert_eq!(output.expect("the call succeeds").value, json!(i));
    }
}
