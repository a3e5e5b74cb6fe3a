//! The run store failing under the real `flow` binary: a full disk
//! (`FLOW_STORE_MAX_PAGES`), a read-only file, a lock held by another
//! process, a damaged file, and two `flow resume` of one run at once; and
//! where `flow run` keeps its store when none is named. Each fault must
//! give an error that names the store and what to do, lose nothing, and
//! leave the run resumable once it is gone.
//!
//! The workflow's programs append their step's name to `log` in its
//! directory, so the log says which steps ran, and how often.
//!
//! Tests may run as root, whom file modes do not stop: the read-only tests
//! then run `flow` as `nobody` (uid 65534), for whom they do.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::cli::{output, transcript};

/// `one` and `last` log and print a little; `pad` logs and prints 200 kB
/// (more than a store of `SMALL_STORE` pages holds); `wait` logs, then
/// waits for the file `gate`.
const WORKFLOW: &str = r#"
worker Log(name: string) -> string {
  exec { command: ["sh", "-c", "echo \"$1\" >> log; printf 'done-%s' \"$1\"", "log", "${name}"] }
}

worker Big(name: string) -> string {
  exec { command: ["sh", "-c", "echo \"$1\" >> log; head -c 200000 /dev/zero | tr '\\0' x", "big", "${name}"] }
}

worker Gate(name: string) -> string {
  exec { command: ["sh", "-c", "echo \"$1\" >> log; while [ ! -e gate ]; do sleep 0.02; done; printf 'done-%s' \"$1\"", "gate", "${name}"] }
}

workflow fill() -> string {
  step one = Log(name: "one") {
    on_success -> pad
  }
  step pad = Big(name: "pad") {
    on_success -> wait
  }
  step wait = Gate(name: "wait") {
    on_success -> last
  }
  step last = Log(name: "last") {
    on_success -> done
  }
  succeed done = last
}
"#;

/// A workflow whose program writes nothing.
const HELLO: &str = r#"
worker Hi() -> string {
  exec { command: ["printf", "hi"] }
}

workflow hello() -> string {
  step hi = Hi() {
    on_success -> done
  }
  succeed done = hi
}
"#;

/// Pages of 4 KiB: room for the run and `one`, not for `pad`'s output.
const SMALL_STORE: &str = "40";

/// The store of every test, relative to its directory.
const STORE: &str = ".flow/runs.db";

/// A directory of its own for a test, removed when the test ends.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("flow-store-faults-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        std::fs::write(dir.join("fill.flow"), WORKFLOW).expect("the workflow is written");
        std::fs::write(dir.join("hello.flow"), HELLO).expect("the workflow is written");
        Dir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn store(&self) -> PathBuf {
        self.0.join(STORE)
    }

    /// The lines the steps' programs logged.
    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.0.join("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn open_gate(&self) {
        std::fs::write(self.0.join("gate"), "").expect("the gate is written");
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `flow ARGS` in `dir`, with the store named by nothing but its default
/// (`.flow/runs.db` under `dir`), durations left out of the trace, and none
/// of the fault settings unless a test sets them.
fn flow(dir: &Path, args: &[&str]) -> Command {
    let mut command = common::cli::flow(dir);
    command
        .args(args)
        .env("FLOW_TRACE_DURATIONS", "0")
        .env_remove("FLOW_STORE")
        .env_remove("FLOW_STORE_MAX_PAGES")
        .env_remove("FLOW_STORE_BUSY_TIMEOUT_MS")
        .stdin(Stdio::null());
    command
}

fn run(command: Command) -> Output {
    let out = output(command, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "flow panicked: {stderr}");
    out
}

/// The transcript with the run id (unless empty), the test's directory and the owner of
/// a lease (pid, host, random suffix) and its age masked.
fn masked(out: &Output, id: &str, dir: &Path) -> String {
    let mut text = transcript(out).replace(&dir.display().to_string(), "[dir]");
    if !id.is_empty() {
        text = text.replace(id, "[id]");
    }
    for (start, end, mask) in [
        ("by process ", " (", "[owner]"),
        ("heartbeat was ", " ago", "[age]"),
    ] {
        if let Some(at) = text.find(start) {
            let from = at + start.len();
            if let Some(len) = text[from..].find(end) {
                text.replace_range(from..from + len, mask);
            }
        }
    }
    text
}

/// The runs of the store, from `flow runs --format json`.
fn runs(dir: &Path) -> Vec<serde_json::Value> {
    let out = run(flow(dir, &["runs", "--format", "json"]));
    assert!(out.status.success(), "{}", transcript(&out));
    serde_json::from_slice(&out.stdout).expect("flow runs prints JSON")
}

/// Starts the run and lets the store fill when `pad` ends: the run stops
/// with the resumable message. Its id and the transcript.
fn stopped_run(dir: &Path, user: User) -> (String, String) {
    let mut command = flow(dir, &["run", "fill.flow"]);
    command.env("FLOW_STORE_MAX_PAGES", SMALL_STORE);
    user.apply(&mut command);
    let out = run(command);
    let listed = runs(dir);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let id = listed[0]["id"]
        .as_str()
        .expect("a run has an id")
        .to_owned();
    assert_eq!(listed[0]["status"], "running", "{listed:?}");
    assert_eq!(listed[0]["current_state"], "pad", "{listed:?}");
    let text = masked(&out, &id, dir);
    (id, text)
}

/// Resumes the run (no fault left) and checks it ends with the right
/// output.
fn resume_to_the_end(dir: &Path, id: &str, user: User) -> String {
    let mut command = flow(dir, &["resume", id]);
    user.apply(&mut command);
    let out = run(command);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"done-last\"\n");
    masked(&out, id, dir)
}

/// `pad`'s end could not be recorded, so it ran again on resume; every
/// other step ran once.
const LOG_AFTER_A_FULL_STORE: [&str; 5] = ["one", "pad", "pad", "wait", "last"];

/// Who runs `flow`: the test's user, or `nobody` when that is root and
/// file modes must hold.
#[derive(Clone, Copy)]
enum User {
    Me,
    BoundByModes,
}

const NOBODY: u32 = 65534;

fn root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl User {
    fn apply(self, command: &mut Command) {
        if let User::BoundByModes = self
            && root()
        {
            command.uid(NOBODY).gid(NOBODY);
        }
    }

    /// Gives the directory and what is in it to the user.
    fn own(self, dir: &Path) {
        if let User::BoundByModes = self
            && root()
        {
            for entry in std::fs::read_dir(dir).expect("the directory is readable") {
                let path = entry.expect("an entry").path();
                std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY))
                    .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
            }
            std::os::unix::fs::chown(dir, Some(NOBODY), Some(NOBODY))
                .unwrap_or_else(|e| panic!("chown {}: {e}", dir.display()));
        }
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

#[test]
fn a_full_store_stops_the_run_resumably_and_resume_finishes_it() {
    let dir = Dir::new("full");
    dir.open_gate();
    let (id, stopped) = stopped_run(dir.path(), User::Me);
    insta::assert_snapshot!("full_store_stops_the_run", stopped);
    assert_eq!(dir.log(), ["one", "pad"]);

    // The limit still there: the resume stops the same way, having lost
    // nothing.
    let mut again = flow(dir.path(), &["resume", &id]);
    again.env("FLOW_STORE_MAX_PAGES", SMALL_STORE);
    let out = run(again);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is full"),
        "{}",
        transcript(&out)
    );

    let resumed = resume_to_the_end(dir.path(), &id, User::Me);
    insta::assert_snapshot!("full_store_resumed", resumed);
    assert_eq!(
        dir.log(),
        ["one", "pad", "pad", "pad", "wait", "last"],
        "`pad` ran once per attempt to record its end, every other step once"
    );
    assert_eq!(runs(dir.path())[0]["status"], "succeeded");
}

#[test]
fn a_read_only_store_is_refused_and_the_run_goes_on_once_it_is_writable() {
    let dir = Dir::new("read-only");
    dir.open_gate();
    let user = User::BoundByModes;
    user.own(dir.path());
    let (id, _) = stopped_run(dir.path(), user);
    chmod(&dir.store(), 0o444);

    let mut start = flow(dir.path(), &["run", "fill.flow"]);
    user.apply(&mut start);
    let out = run(start);
    insta::assert_snapshot!("read_only_store_run", masked(&out, &id, dir.path()));
    let mut resume = flow(dir.path(), &["resume", &id]);
    user.apply(&mut resume);
    let out = run(resume);
    insta::assert_snapshot!("read_only_store_resume", masked(&out, &id, dir.path()));

    // Nothing was lost or added, and the run is where it was.
    chmod(&dir.store(), 0o644);
    let listed = runs(dir.path());
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["current_state"], "pad", "{listed:?}");
    resume_to_the_end(dir.path(), &id, user);
    assert_eq!(dir.log(), LOG_AFTER_A_FULL_STORE);
}

/// Holds `BEGIN EXCLUSIVE` on the store from another connection (another
/// process would do the same) until dropped or released.
struct Lock(Option<rusqlite::Connection>);

impl Lock {
    fn take(store: &Path) -> Lock {
        let conn = rusqlite::Connection::open(store).expect("the store opens");
        conn.execute_batch("BEGIN EXCLUSIVE")
            .expect("the store can be locked");
        Lock(Some(conn))
    }

    fn release(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.execute_batch("COMMIT").expect("the lock is released");
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.release();
    }
}

#[test]
fn a_locked_store_fails_after_the_busy_timeout_and_loses_nothing() {
    let dir = Dir::new("locked");
    dir.open_gate();
    let (id, _) = stopped_run(dir.path(), User::Me);
    let lock = Lock::take(&dir.store());

    let started = Instant::now();
    let mut start = flow(dir.path(), &["run", "fill.flow"]);
    start.env("FLOW_STORE_BUSY_TIMEOUT_MS", "300");
    let out = run(start);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "flow gave up before its busy timeout: {}",
        transcript(&out)
    );
    insta::assert_snapshot!("locked_store_run", masked(&out, &id, dir.path()));
    let mut resume = flow(dir.path(), &["resume", &id]);
    resume.env("FLOW_STORE_BUSY_TIMEOUT_MS", "300");
    let out = run(resume);
    insta::assert_snapshot!("locked_store_resume", masked(&out, &id, dir.path()));
    drop(lock);

    let listed = runs(dir.path());
    assert_eq!(listed.len(), 1, "no run was added: {listed:?}");
    assert_eq!(listed[0]["current_state"], "pad", "{listed:?}");
    resume_to_the_end(dir.path(), &id, User::Me);
    assert_eq!(dir.log(), LOG_AFTER_A_FULL_STORE);
}

#[test]
fn a_lock_released_within_the_busy_timeout_is_waited_for() {
    let dir = Dir::new("lock-released");
    dir.open_gate();
    let (id, _) = stopped_run(dir.path(), User::Me);
    let mut lock = Lock::take(&dir.store());
    let mut resume = flow(dir.path(), &["resume", &id]);
    resume.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = resume.spawn().expect("flow starts");
    // The lock is what the test is about: it is held for a while (flow's
    // busy timeout is 5 s), with flow waiting for it.
    std::thread::sleep(Duration::from_millis(500));
    lock.release();
    let out = child.wait_with_output().expect("flow ends");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"done-last\"\n");
    assert_eq!(dir.log(), LOG_AFTER_A_FULL_STORE);
}

/// `flow run`, `flow runs` and `flow resume` on the damaged store: each a
/// clear error, none a panic, and the file left as it was.
fn damaged(dir: &Dir, id: &str) -> Vec<String> {
    let before = std::fs::read(dir.store()).expect("the store is readable");
    let transcripts = [vec!["run", "fill.flow"], vec!["runs"], vec!["resume", id]]
        .iter()
        .map(|args| {
            let out = run(flow(dir.path(), args));
            assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
            masked(&out, id, dir.path())
        })
        .collect();
    assert!(
        std::fs::read(dir.store()).expect("the store is readable") == before,
        "flow changed the damaged store"
    );
    transcripts
}

#[test]
fn a_damaged_store_is_named_with_what_to_do_and_left_alone() {
    let dir = Dir::new("damaged");
    dir.open_gate();
    let (id, _) = stopped_run(dir.path(), User::Me);
    // The good store, checkpointed into one file, kept aside.
    std::fs::copy(dir.store(), dir.path().join("good.db")).expect("the store is copied");
    for suffix in ["-wal", "-shm"] {
        assert!(
            !dir.path().join(format!("{STORE}{suffix}")).exists(),
            "the last connection checkpoints and removes `{suffix}`"
        );
    }

    // Garbage bytes.
    let garbage: Vec<u8> = (0..40_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.store(), &garbage).expect("the store is overwritten");
    let garbled = damaged(&dir, &id);
    insta::assert_snapshot!("damaged_store_garbage", garbled.join("\n======\n"));

    // A store cut short.
    std::fs::copy(dir.path().join("good.db"), dir.store()).expect("the store is restored");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.store())
        .expect("the store opens");
    file.set_len(20_000).expect("the store is truncated");
    drop(file);
    for text in damaged(&dir, &id) {
        assert!(
            text.contains("is not a flow run store or is damaged")
                && text.contains("move it aside"),
            "{text}"
        );
    }

    // Once the store is good again, nothing of the run is lost.
    std::fs::copy(dir.path().join("good.db"), dir.store()).expect("the store is restored");
    resume_to_the_end(dir.path(), &id, User::Me);
    assert_eq!(dir.log(), LOG_AFTER_A_FULL_STORE);
}

/// Waits for one of the children to end, up to a deadline; its index.
fn first_to_end(children: &mut [Child], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        for (i, child) in children.iter_mut().enumerate() {
            if child
                .try_wait()
                .expect("the child can be waited for")
                .is_some()
            {
                return i;
            }
        }
        if Instant::now() > deadline {
            for child in children.iter_mut() {
                let _ = child.kill();
                let _ = child.wait();
            }
            panic!("neither `flow resume` ended in {within:?}: both drive the run?");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn of_two_racing_resumes_one_drives_the_run_and_the_other_names_it() {
    let dir = Dir::new("race");
    let (id, _) = stopped_run(dir.path(), User::Me);
    let spawn = || {
        let mut command = flow(dir.path(), &["resume", &id]);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().expect("flow starts")
    };
    let mut children = vec![spawn(), spawn()];
    // The winner waits at `wait` for the gate; the loser is refused.
    let loser = first_to_end(&mut children, Duration::from_secs(30));
    let refused = children
        .remove(loser)
        .wait_with_output()
        .expect("flow ends");
    let winner = children.remove(0);
    let winner_pid = winner.id();
    let stderr = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(
        stderr.contains(&format!("is being driven by process {winner_pid}@")),
        "the refusal names the winner {winner_pid}: {stderr}"
    );
    insta::assert_snapshot!("racing_resume_refused", masked(&refused, &id, dir.path()));

    dir.open_gate();
    let out = winner.wait_with_output().expect("flow ends");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\"done-last\"\n");
    assert_eq!(dir.log(), LOG_AFTER_A_FULL_STORE);
    assert_eq!(runs(dir.path())[0]["status"], "succeeded");
}

#[test]
fn flow_run_records_in_the_current_directory_unless_told_otherwise() {
    let dir = Dir::new("default");
    let out = run(flow(dir.path(), &["run", "hello.flow"]));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(dir.store().is_file(), "the default store is made");
    assert_eq!(runs(dir.path()).len(), 1);

    // `-` too; `--no-store` records nothing.
    let mut stdin = flow(dir.path(), &["run", "-"]);
    stdin.stdin(Stdio::piped());
    let out = output(stdin, Some(HELLO));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let out = run(flow(dir.path(), &["run", "hello.flow", "--no-store"]));
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let listed = runs(dir.path());
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().any(|r| r["path"] == "-"), "{listed:?}");

    // FLOW_STORE names another store; this one is left alone.
    let other = dir.path().join("elsewhere/runs.db");
    let mut named = flow(dir.path(), &["run", "hello.flow"]);
    named.env("FLOW_STORE", &other);
    let out = run(named);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(other.is_file());
    assert_eq!(runs(dir.path()).len(), 2);

    // No run, no store: a refused input makes none.
    let fresh = Dir::new("default-refused");
    let out = run(flow(fresh.path(), &["run", "hello.flow", "--input", "[1]"]));
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(!fresh.path().join(".flow").exists());
    // Nor does a command that reads runs; it says how runs get there.
    let out = run(flow(fresh.path(), &["runs"]));
    insta::assert_snapshot!("no_store_yet", masked(&out, "", fresh.path()));
    assert!(!fresh.path().join(".flow").exists());
}

#[test]
fn a_directory_where_no_store_can_be_made_is_named_with_the_ways_out() {
    let dir = Dir::new("read-only-dir");
    // As root, `nobody` cannot write in root's directory; as anyone else,
    // nobody can write in a directory of mode 0555.
    let user = User::BoundByModes;
    if !root() {
        chmod(dir.path(), 0o555);
    }
    let mut start = flow(dir.path(), &["run", "hello.flow"]);
    user.apply(&mut start);
    let out = run(start);
    insta::assert_snapshot!("read_only_directory_run", masked(&out, "", dir.path()));

    let mut stdin = flow(dir.path(), &["run", "-"]);
    user.apply(&mut stdin);
    let from_stdin = output(stdin, Some(HELLO));
    assert_eq!(transcript(&from_stdin), transcript(&out));

    let mut memory = flow(dir.path(), &["run", "hello.flow", "--no-store"]);
    user.apply(&mut memory);
    let out = run(memory);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(!dir.path().join(".flow").exists());
    chmod(dir.path(), 0o755);
}
