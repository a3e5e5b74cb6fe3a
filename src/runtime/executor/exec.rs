//! The `exec` executor: runs a program directly, never through a shell.
//!
//! What a call does:
//! - The program is `command[0]`, found on `PATH` unless it contains a `/`,
//!   with the parent's environment plus the worker's `env`, plus
//!   `FLOW_RUN_ID`, `FLOW_STEP`, `FLOW_ATTEMPT` and `FLOW_IDEMPOTENCY_KEY`
//!   (these last, so that the run's own values win), in `cwd` when given.
//!   A relative program path with a `/` (`./workers/x.sh`) names a file
//!   relative to that `cwd`, the directory the program runs in, so the
//!   program and its relative arguments start from the same place; it is
//!   made absolute before the start, since `std` leaves it to the platform
//!   whether it is looked up before or after changing directory.
//! - The input is written to stdin as compact JSON and stdin is closed; this
//!   happens while stdout and stderr are read, so a program that writes
//!   before it reads cannot deadlock, and one that never reads is fine.
//! - Each call runs in a process group of its own. Dropping the call's
//!   future (the runtime does on a timeout or a cancellation) sends SIGTERM
//!   to the whole group at once and SIGKILL after [`GRACE`], without
//!   blocking; the program is reaped. When the program exits, whatever it
//!   left running in its group is stopped the same way: the call is over,
//!   and a worker's leftovers must not outlive it (nor keep its stdout open).
//!   A caller that must not go on while those processes live (the runtime,
//!   before it reports a timeout or retries) passes [`Teardowns`] to
//!   [`call_in`] and awaits [`Teardowns::settled`].
//! - Calls wait for a share of the open-file budget before they start
//!   (`budget.rs`), so that many calls at once under a low `ulimit -n`
//!   queue instead of failing; a start that still fails for want of files
//!   or processes (EMFILE, ENFILE, EAGAIN) is a `transient` failure that
//!   names the limit.
//! - Stdout is read up to `max_output` bytes; one byte more stops the program
//!   and fails the call with class `output`. Stderr is kept for the log (its
//!   last 64 KiB) and quoted (its last lines) in failure messages; when a
//!   failed program wrote nothing on stderr, the last lines of its stdout
//!   are quoted instead, since that is where many programs say what went
//!   wrong.
//! - Status 0: stdout is the output, as JSON. For a worker whose output type
//!   is `string`, stdout that is a JSON string is that string, and anything
//!   else is the text itself less one trailing line break (as the design
//!   says: raw text when stdout is not a JSON string). Status 75
//!   (`EX_TEMPFAIL`) is a `transient` failure, any other status or a signal a
//!   `worker` failure.
//!
//! Unix only: process groups and signals are what make teardown reliable.

mod budget;
mod group;
mod reaper;
mod stdout;
mod tail;

use std::io;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::{ChildStderr, ChildStdin, ChildStdout, Command};

use super::{Failure, Invocation, Output};
use crate::ir::FailureClass;
use group::Group;
use tail::Tail;

pub use reaper::{GRACE, Teardowns, wait_for_teardowns};

/// The settings of an `exec` worker, evaluated for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// Variables added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// The working directory; the runtime's own when `None`.
    pub cwd: Option<PathBuf>,
}

/// The exit status by which a program asks to be tried again (`EX_TEMPFAIL`
/// in sysexits.h).
pub const EXIT_TRANSIENT: i32 = 75;

/// How long, once the program has exited, its output pipes are still read
/// while some other process holds them open (one that escaped its group or
/// ignores SIGTERM). What the program wrote before exiting is already in
/// the pipe and is read at once; this only bounds the wait for the end.
const DRAIN: Duration = Duration::from_millis(200);

/// Runs the program of `spec` once with the input of `inv`.
pub async fn call(spec: &ExecSpec, inv: &Invocation<'_>) -> Result<Output, Failure> {
    call_in(spec, inv, &Teardowns::default()).await
}

/// [`call`], with the teardown of the program's process group (when the
/// call is dropped, or of what the program leaves running when it exits)
/// counted in `teardowns`, so that the caller can wait for its end.
pub async fn call_in(
    spec: &ExecSpec,
    inv: &Invocation<'_>,
    teardowns: &Teardowns,
) -> Result<Output, Failure> {
    let Some((program, args)) = spec.command.split_first() else {
        return Err(Failure::new(
            FailureClass::Worker,
            "the exec worker's command is empty: it needs at least the program to run",
        ));
    };
    let shown = shown_command(&spec.command);
    let input = serde_json::to_vec(inv.input).map_err(|e| {
        Failure::new(
            FailureClass::Worker,
            format!("the input of `{shown}` cannot be written as JSON: {e}"),
        )
    })?;

    let mut command = Command::new(program_path(program, spec.cwd.as_deref()));
    command
        .args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env("FLOW_RUN_ID", &inv.meta.run_id)
        .env("FLOW_STEP", &inv.meta.step)
        .env("FLOW_ATTEMPT", inv.meta.attempt.to_string())
        .env("FLOW_IDEMPOTENCY_KEY", &inv.meta.idempotency_key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    if let Some(cwd) = &spec.cwd {
        command.current_dir(absolute(cwd));
    }
    let slot = budget::acquire().await;
    let child = command
        .spawn()
        .map_err(|e| spawn_failure(program, spec.cwd.as_deref(), &e))?;
    // From here on, `group` stops the program however this function ends.
    let mut group = Group::new(child, slot, teardowns.clone()).ok_or_else(|| {
        Failure::new(
            FailureClass::Worker,
            format!("`{shown}` started but has no process id"),
        )
    })?;
    let Some(pipes) = group.take_pipes() else {
        return Err(Failure::new(
            FailureClass::Worker,
            format!("`{shown}` started without its stdin, stdout and stderr pipes"),
        ));
    };

    let mut out = Vec::new();
    let mut tail = Tail::default();
    let ended = run(
        &mut group,
        pipes,
        input,
        inv.max_output,
        &mut out,
        &mut tail,
    )
    .await;
    let log = tail.text();
    let failure = |class, message: String| Failure {
        log: log.clone(),
        ..Failure::new(class, message)
    };
    let status = match ended {
        Ended::Exited(status) => status,
        Ended::OverCap => {
            return Err(failure(
                FailureClass::Output,
                format!(
                    "the output of `{shown}` exceeds the limit of {} bytes, so the program was stopped (raise the worker's `max_output` if its output is meant to be this large)",
                    inv.max_output
                ),
            ));
        }
        Ended::Broken(e) => {
            return Err(failure(
                FailureClass::Worker,
                format!("lost contact with `{shown}`: {e}"),
            ));
        }
    };
    if status.success() {
        return match stdout::parse(&shown, out, inv.wants_string) {
            Ok(value) => Ok(Output {
                value,
                log,
                usage: None,
            }),
            Err(message) => Err(failure(FailureClass::Output, message)),
        };
    }
    let (class, message) = status_failure(&shown, status, &tail, &out);
    Err(failure(class, message))
}

/// How the conversation with the program ended.
enum Ended {
    /// The program exited (its output is in the buffer).
    Exited(ExitStatus),
    /// It wrote more than the cap on stdout.
    OverCap,
    /// Waiting for it or reading its stdout failed.
    Broken(io::Error),
}

/// Feeds stdin, reads stdout and stderr and waits for the leader, all at
/// once, until the leader has exited and both pipes are at their end (or
/// [`DRAIN`] has passed since the exit).
async fn run(
    group: &mut Group,
    (stdin, stdout, stderr): (ChildStdin, ChildStdout, ChildStderr),
    input: Vec<u8>,
    cap: usize,
    out: &mut Vec<u8>,
    tail: &mut Tail,
) -> Ended {
    let mut feed = pin!(feed(stdin, input));
    let mut read_out = pin!(stdout::read_capped(stdout, cap, out));
    let mut read_err = pin!(tail::read(stderr, tail));
    let mut drain = pin!(tokio::time::sleep(Duration::ZERO));
    let (mut fed, mut out_done, mut err_done) = (false, false, false);
    let mut status = None;
    loop {
        if let Some(status) = status.filter(|_| out_done && err_done) {
            return Ended::Exited(status);
        }
        tokio::select! {
            read = &mut read_out, if !out_done => match read {
                Ok(stdout::Read::Complete) => out_done = true,
                Ok(stdout::Read::OverCap) => return Ended::OverCap,
                Err(e) => return Ended::Broken(e),
            },
            () = &mut read_err, if !err_done => err_done = true,
            () = &mut feed, if !fed => fed = true,
            exited = group.wait(), if status.is_none() => match exited {
                Ok(exited) => {
                    status = Some(exited);
                    drain.as_mut().reset(tokio::time::Instant::now() + DRAIN);
                }
                Err(e) => return Ended::Broken(e),
            },
            () = &mut drain, if status.is_some() => {
                if let Some(status) = status {
                    return Ended::Exited(status);
                }
            }
        }
    }
}

/// Writes the input to stdin and closes it. A program may exit or close
/// stdin without reading it all: that is its business, and its exit status
/// says how the call went, so a write error is no failure.
async fn feed(mut stdin: ChildStdin, input: Vec<u8>) {
    if let Err(e) = stdin.write_all(&input).await {
        if e.kind() != io::ErrorKind::BrokenPipe {
            tracing::debug!("writing the input to a program's stdin failed: {e}");
        }
    }
}

/// The program to start: `program` as written, except that a relative path
/// with a `/` is resolved against `cwd`, where the program will run, and
/// made absolute.
fn program_path(program: &str, cwd: Option<&Path>) -> PathBuf {
    let path = Path::new(program);
    match cwd {
        Some(cwd) if program.contains('/') && path.is_relative() => absolute(&cwd.join(path)),
        _ => path.to_path_buf(),
    }
}

/// `path` made absolute against the current directory; as it is if the
/// current directory cannot be read (the start then fails, with a message
/// that names the path).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The failure of a program that could not be started.
fn spawn_failure(program: &str, cwd: Option<&Path>, e: &io::Error) -> Failure {
    if let Some(limit) = exhausted(e) {
        // This call's own slot is still held.
        let help = match budget::running().saturating_sub(1) {
            0 => "with no other program running, so raise the limit (a lower `max_concurrency` of a `map` or `parallel` state cannot help)".to_owned(),
            others => format!(
                "while {others} other programs were running; lower the `max_concurrency` of the `map` (16 by default) or `parallel` state, or set the worker's `concurrency`, or raise the limit"
            ),
        };
        return Failure::new(
            FailureClass::Transient,
            format!("cannot start `{program}`: {e}: `flow` hit {limit} {help}"),
        );
    }
    if let Some(cwd) = cwd.filter(|cwd| !cwd.is_dir()) {
        return Failure::new(
            FailureClass::Worker,
            format!(
                "cannot start `{program}`: its working directory `{}` is not a directory",
                cwd.display()
            ),
        );
    }
    let hint = match e.kind() {
        io::ErrorKind::NotFound if program.contains('/') => match cwd {
            Some(cwd) => format!(
                "; check the path (a relative path starts from the working directory `{}`) and, for a script, its `#!` interpreter",
                cwd.display()
            ),
            None => "; check the path and, for a script, its `#!` interpreter".to_owned(),
        },
        io::ErrorKind::NotFound => {
            "; is it installed and on PATH? (for a script, check its `#!` interpreter)".to_owned()
        }
        io::ErrorKind::PermissionDenied => {
            "; make it executable (`chmod +x`) or name its interpreter first in `command`"
                .to_owned()
        }
        _ => String::new(),
    };
    Failure::new(
        FailureClass::Worker,
        format!("cannot start `{program}`: {e}{hint}"),
    )
}

/// Which limit a failed start ran into, when it ran out of files or
/// processes rather than failing for a reason of the program's own.
fn exhausted(e: &io::Error) -> Option<String> {
    let limit =
        |limit: Option<u64>| limit.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    match e.raw_os_error()? {
        libc::EMFILE => Some(format!(
            "its limit on open files (`ulimit -n`, now {})",
            limit(budget::open_file_limit())
        )),
        libc::ENFILE => Some("the system's limit on open files (`fs.file-max`)".to_owned()),
        libc::EAGAIN => Some(format!(
            "the limit on processes (`ulimit -u`, now {})",
            limit(budget::process_limit())
        )),
        _ => None,
    }
}

/// The class and message of a program that did not exit with status 0.
/// What it said is quoted: the end of stderr, or, when stderr was empty,
/// the end of stdout.
fn status_failure(
    shown: &str,
    status: ExitStatus,
    tail: &Tail,
    stdout: &[u8],
) -> (FailureClass, String) {
    use std::os::unix::process::ExitStatusExt;

    let stderr = match tail.last_lines() {
        lines if lines.is_empty() => {
            // Only the end matters, and stdout may be large.
            let end = &stdout[stdout.len().saturating_sub(tail::KEEP)..];
            match tail::last_lines(&String::from_utf8_lossy(end)) {
                lines if lines.is_empty() => " (nothing on stderr or stdout)".to_owned(),
                lines => format!(" (nothing on stderr; stdout ended with: {lines})"),
            }
        }
        lines => format!(": {lines}"),
    };
    if let Some(code) = status.code() {
        if code == EXIT_TRANSIENT {
            let message =
                format!("`{shown}` exited with status {code} (a temporary failure){stderr}");
            return (FailureClass::Transient, message);
        }
        let message = format!("`{shown}` exited with status {code}{stderr}");
        return (FailureClass::Worker, message);
    }
    let signal = status.signal().unwrap_or_default();
    let name = group::signal_name(signal)
        .map(|name| format!(" ({name})"))
        .unwrap_or_default();
    let core = if status.core_dumped() {
        ", core dumped"
    } else {
        ""
    };
    let message = format!("`{shown}` was killed by signal {signal}{name}{core}{stderr}");
    (FailureClass::Worker, message)
}

/// The command as a person would type it, for messages: arguments that
/// need it are single-quoted, and a very long command is cut.
fn shown_command(command: &[String]) -> String {
    const MAX: usize = 120;
    let words: Vec<String> = command
        .iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_./=:,+@%".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect();
    let shown = words.join(" ");
    if shown.chars().count() <= MAX {
        shown
    } else {
        let cut: String = shown.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &[&str]) -> Vec<String> {
        command.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn relative_program_paths_start_from_the_working_directory() {
        let cwd = Path::new("/srv/site");
        assert_eq!(
            program_path("./workers/x.sh", Some(cwd)),
            Path::new("/srv/site/workers/x.sh")
        );
        assert_eq!(
            program_path("workers/x.sh", Some(cwd)),
            Path::new("/srv/site/workers/x.sh")
        );
        assert_eq!(
            program_path("../bin/x", Some(cwd)),
            Path::new("/srv/site/../bin/x")
        );
        // On `PATH`, or absolute: as written.
        assert_eq!(program_path("python3", Some(cwd)), Path::new("python3"));
        assert_eq!(program_path("/bin/true", Some(cwd)), Path::new("/bin/true"));
        // Without a working directory the program runs where `flow` does.
        assert_eq!(program_path("./x.sh", None), Path::new("./x.sh"));
        // A relative working directory starts from the current one.
        let here = std::env::current_dir().expect("the current directory is readable");
        assert_eq!(
            program_path("./x.sh", Some(Path::new("sub"))),
            here.join("sub/x.sh")
        );
    }

    #[test]
    fn commands_are_shown_as_typed() {
        assert_eq!(
            shown_command(&words(&["python3", "coder.py", "--mode=fast"])),
            "python3 coder.py --mode=fast"
        );
        assert_eq!(
            shown_command(&words(&["echo", "two words", "", "it's"])),
            r"echo 'two words' '' 'it'\''s'"
        );
        let long = shown_command(&words(&["echo", &"x".repeat(500)]));
        assert_eq!(long.chars().count(), 120);
        assert!(long.ends_with('…'));
    }
}
