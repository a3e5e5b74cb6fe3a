//! Helpers shared by the property tests: running the front end on one input
//! in a thread with a deadline, so that a hang fails the test instead of
//! stalling it, and a panic is reported with the input that caused it.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long one parse and check may take before it counts as a hang. Far
/// above what any input of the property tests needs, even in a debug build
/// on a busy machine.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The stack of the thread that runs the front end: the 2 MiB that Rust
/// gives a spawned thread by default, and the test harness its tests, so
/// that deep input must be refused rather than survived on a big stack.
pub const STACK: usize = 2 * 1024 * 1024;

/// The number of cases of a property: `default`, or `PROPTEST_CASES` when
/// it is set, to search longer than CI does.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// What the front end reported for one input.
#[derive(Debug)]
pub struct Outcome {
    pub syntax: Vec<flow::syntax::SyntaxError>,
    pub check: Vec<flow::check::CheckError>,
}

impl Outcome {
    /// Whether any syntax error has the given code, such as
    /// `flow::syntax::too_deep`.
    pub fn has_syntax_code(&self, code: &str) -> bool {
        use miette::Diagnostic as _;
        self.syntax
            .iter()
            .any(|e| e.code().is_some_and(|c| c.to_string() == code))
    }
}

/// Parses `source` and checks the file, in a thread with a [`STACK`] stack,
/// and waits at most [`DEADLINE`]. The checker runs even when there are
/// syntax errors: it must never panic on the partial file that `parse`
/// returns, since editors will run it on files being typed.
pub fn front_end(source: String) -> Result<Outcome, String> {
    let (send, receive) = mpsc::channel();
    let preview = preview(&source);
    let handle = thread::Builder::new()
        .name("front end".to_string())
        .stack_size(STACK)
        .spawn(move || {
            let parsed = flow::syntax::parse(&source);
            let check = flow::check::check(&parsed.file);
            // The receiver is gone only when the deadline has passed, and
            // then the test has already failed.
            let _ = send.send(Outcome {
                syntax: parsed.errors,
                check,
            });
        })
        .map_err(|e| format!("cannot spawn a thread: {e}"))?;
    match receive.recv_timeout(DEADLINE) {
        Ok(outcome) => {
            // The thread has sent its result; joining only reaps it.
            let _ = handle.join();
            Ok(outcome)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "parse + check did not finish within {DEADLINE:?} on: {preview}"
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let message = match handle.join() {
                Err(payload) => payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_string()),
                Ok(()) => "the thread ended without a result".to_string(),
            };
            Err(format!("parse + check panicked ({message}) on: {preview}"))
        }
    }
}

/// The input, shortened for a failure message (proptest also prints the
/// whole shrunk input).
fn preview(source: &str) -> String {
    const MAX: usize = 400;
    if source.len() <= MAX {
        format!("{source:?}")
    } else {
        let mut end = MAX;
        while !source.is_char_boundary(end) {
            end -= 1;
        }
        format!("{:?}... ({} bytes)", &source[..end], source.len())
    }
}

pub mod tokens;
