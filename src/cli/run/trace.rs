//! The two ways `flow run` shows a run as it happens: a trace for people on
//! stderr ([`TraceSink`]) and machine events on stdout ([`NdjsonSink`]).
//! `flow logs` shows a run's history with them too, the trace on stdout.
//!
//! Both buffer their lines ([`Lines`]) and write them when the run waits
//! ([`flushing`]) or ends, or when a buffer fills: a run of many quick
//! steps then makes one write per wait instead of one per line, and a step
//! that takes its time still has every line before it on the screen.

use std::future::{Future, poll_fn};
use std::io::{self, Write};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use super::live::Live;
use crate::runtime::engine::{EmitError, Event, EventKind, EventSink};
use crate::runtime::executor::llm::Usage;

/// Whether the trace shows durations: not when `FLOW_TRACE_DURATIONS=0`,
/// which makes the trace the same from run to run (for tests and docs).
pub(in crate::cli) fn durations_shown() -> bool {
    std::env::var_os("FLOW_TRACE_DURATIONS").is_none_or(|v| v != "0")
}

/// A sink whose buffered lines can be written out now.
pub(in crate::cli) trait Flush {
    fn flush(&self);

    /// The first write that failed, when the sink keeps a record whose
    /// loss matters (events for a machine, `flow logs`' output); `None`
    /// for the trace of `flow run`, a view for people.
    fn failure(&self) -> Option<EmitError>;
}

/// Runs `run`, writing out what `sink` has buffered whenever the run waits
/// (its future is pending: a program, a request or a backoff is under way)
/// and when it ends.
pub(super) async fn flushing<F: Future>(sink: &impl Flush, run: F) -> F::Output {
    let mut run = pin!(run);
    let output = poll_fn(|task| {
        let poll = run.as_mut().poll(task);
        sink.flush();
        poll
    })
    .await;
    sink.flush();
    output
}

/// Where a buffer is written.
#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// A buffer is written once it holds this much, so that a long run of
/// quick steps needs no more memory than this.
const FULL: usize = 64 * 1024;

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Lines waiting to be written to one stream.
struct Lines {
    stream: Stream,
    pending: Mutex<Vec<u8>>,
    /// Whether a failed write is reported ([`Lines::failure`]) rather than
    /// only dropped.
    keeps_record: bool,
    /// The first write that failed; lines after it are dropped. (Read at
    /// every event: a `OnceLock` is one atomic load, not a lock.)
    failed: OnceLock<String>,
}

impl Lines {
    fn new(stream: Stream, keeps_record: bool) -> Self {
        Lines {
            stream,
            pending: Mutex::new(Vec::with_capacity(FULL)),
            keeps_record,
            failed: OnceLock::new(),
        }
    }

    /// Why the stream could not be written, once a write failed, for a
    /// stream that keeps a record.
    fn failure(&self) -> Option<EmitError> {
        if !self.keeps_record {
            return None;
        }
        self.failed.get().map(|reason| EmitError {
            destination: self.stream.name().to_owned(),
            reason: reason.clone(),
        })
    }

    /// What `emit` answers: an error once a write of a record failed.
    fn emitted(&self) -> Result<(), EmitError> {
        self.failure().map_or(Ok(()), Err)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes the buffer when it is full.
    fn written_if_full(&self, pending: &mut Vec<u8>) {
        if pending.len() >= FULL {
            self.write(pending);
        }
    }

    fn write(&self, pending: &mut Vec<u8>) {
        if pending.is_empty() {
            return;
        }
        // After a failed write the rest is dropped: a record with a hole
        // in it would look whole to whoever reads it.
        if self.failed.get().is_some() {
            pending.clear();
            return;
        }
        // Output that cannot be written (stderr closed, a reader of stdout
        // that went away as `| head` does, a full disk) is remembered; a
        // sink that keeps a record then stops the run at its next event.
        let written = match self.stream {
            Stream::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(pending).and_then(|()| out.flush())
            }
            Stream::Stderr => {
                let mut err = io::stderr().lock();
                err.write_all(pending).and_then(|()| err.flush())
            }
        };
        if let Err(error) = written {
            let _ = self.failed.set(error.to_string());
        }
        pending.clear();
    }
}

/// Writes one line to stderr per attempt, failure, retry, cancellation and
/// transition, and keeps the live line (on a terminal) up to date.
pub(in crate::cli) struct TraceSink {
    color: bool,
    durations: bool,
    live: Option<Arc<Live>>,
    lines: Lines,
    /// The tokens the run's models spent so far, for the last line; none
    /// while no event carried any.
    usage: Mutex<Option<Usage>>,
}

impl TraceSink {
    pub(super) fn new(color: bool, durations: bool, live: Option<Arc<Live>>) -> Self {
        TraceSink {
            color,
            durations,
            live,
            lines: Lines::new(Stream::Stderr, false),
            usage: Mutex::new(None),
        }
    }

    /// The trace on stdout, without a live line: `flow logs`, whose trace
    /// is what it prints.
    pub(in crate::cli) fn on_stdout(color: bool, durations: bool) -> Self {
        TraceSink {
            // The trace is what `flow logs` was asked for: losing it
            // matters there.
            lines: Lines::new(Stream::Stdout, true),
            ..TraceSink::new(color, durations, None)
        }
    }

    /// The run's tokens so far, with `more` added.
    fn spent(&self, more: Option<Usage>) -> Option<Usage> {
        let mut total = self
            .usage
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(more) = more {
            *total = Some(total.unwrap_or_default() + more);
        }
        *total
    }

    /// Appends the trace line of an event, if it has one, with its newline;
    /// whether it had one.
    fn line(&self, event: &Event, out: &mut Vec<u8>) -> bool {
        let step = event.step().map_or("?", |s| s.as_str());
        let attempt = event.attempt().unwrap_or(1);
        let message = event.message().unwrap_or("");
        // Writing to a `Vec` cannot fail.
        let _ = match event.kind() {
            EventKind::RunStarted => {
                self.paint(out, "run", BOLD);
                write!(
                    out,
                    " workflow `{}` (run {})",
                    event.workflow().unwrap_or("?"),
                    event.run_id
                )
            }
            // A step that succeeds at once gets one line, when it ends.
            EventKind::StepStarted => return false,
            // The two lines of most transitions are written byte by byte:
            // `fmt` machinery was a tenth of a run of quick steps.
            EventKind::StepSucceeded => {
                self.paint(out, "✓", GREEN);
                out.push(b' ');
                out.extend_from_slice(step.as_bytes());
                out.push(b' ');
                self.attempt(out, attempt, event.duration_ms())
            }
            EventKind::AttemptFailed => {
                self.paint(out, "✗", YELLOW);
                write!(out, " {step} ")
                    .and_then(|()| self.attempt(out, attempt, event.duration_ms()))
                    .and_then(|()| out.write_all(b" failed"))
                    .and_then(|()| class(out, event))
                    .and_then(|()| write!(out, ": {message}"))
            }
            EventKind::AttemptInterrupted => {
                self.paint(out, "✗", YELLOW);
                write!(out, " {step} ")
                    .and_then(|()| self.attempt(out, attempt, None))
                    .and_then(|()| write!(out, " interrupted: {message}"))
            }
            EventKind::RunPaused => {
                self.paint(out, "?", YELLOW);
                write!(out, " {step} waits for a person").and_then(|()| {
                    let Some(q) = event.question() else {
                        return Ok(());
                    };
                    if let Some(due) = q.deadline {
                        write!(out, " (due {due})")?;
                    }
                    out.push(b':');
                    for line in q.prompt.trim_end().lines() {
                        out.extend_from_slice(b"\n    ");
                        out.extend_from_slice(line.as_bytes());
                    }
                    Ok(())
                })
            }
            EventKind::RetryScheduled => {
                self.paint(out, "↻", YELLOW);
                write!(
                    out,
                    " retrying `{step}` in {} (attempt {attempt} of {})",
                    Ms(event.retry().map_or(0, |(delay, _)| delay)),
                    event.retry().map_or(attempt, |(_, max)| max)
                )
                .and_then(|()| match event.class() {
                    Some(c) => write!(out, ": {c}: {message}"),
                    None => write!(out, ": {message}"),
                })
            }
            // A failure no attempt of the worker reported (a hook's, a
            // `max_visits` refusal, a `parallel` or `map` state's) is told
            // here; a worker's own was told by its attempts.
            EventKind::StepFailed if event.hook().is_some() || event.attempt().is_none() => {
                self.paint(out, "✗", RED);
                write!(out, " {step} failed")
                    .and_then(|()| class(out, event))
                    .and_then(|()| write!(out, ": {message}"))
            }
            EventKind::StepFailed => {
                self.paint(out, "✗", RED);
                write!(out, " {step} failed")
                    .and_then(|()| class(out, event))
                    .and_then(|()| {
                        write!(
                            out,
                            " after {attempt} attempt{}",
                            if attempt == 1 { "" } else { "s" }
                        )
                    })
            }
            EventKind::StepCancelled => {
                self.paint(out, "⊘", YELLOW);
                write!(out, " {step} {message}")
            }
            EventKind::Transition => {
                out.extend_from_slice(b"  ");
                out.extend_from_slice(step.as_bytes());
                out.extend_from_slice(" → ".as_bytes());
                out.extend_from_slice(event.target().map_or("?", |t| t.as_str()).as_bytes());
                Ok(())
            }
            EventKind::RunSucceeded => {
                self.paint(out, "run", BOLD);
                out.write_all(b" succeeded")
                    .and_then(|()| match self.spent(None) {
                        Some(usage) => show_usage(out, usage),
                        None => Ok(()),
                    })
            }
            // The command prints the failure or the interruption itself,
            // after the trace; the tokens spent are told before it.
            EventKind::RunFailed | EventKind::RunCancelled => {
                let Some(usage) = self.spent(None) else {
                    return false;
                };
                self.paint(out, "run", BOLD);
                out.write_all(b" ended")
                    .and_then(|()| show_usage(out, usage))
            }
        };
        out.push(b'\n');
        true
    }

    /// `(attempt 2, 1.2s)`, dimmed; written in place, since most events
    /// have it.
    fn attempt(&self, out: &mut Vec<u8>, attempt: u32, took: Option<u64>) -> io::Result<()> {
        if self.color {
            write!(out, "\x1b[{DIM}m")?;
        }
        out.extend_from_slice(b"(attempt ");
        decimal(out, u64::from(attempt));
        match (self.durations, took) {
            (true, Some(ms)) if ms < 1000 => {
                out.extend_from_slice(b", ");
                decimal(out, ms);
                out.extend_from_slice(b"ms");
            }
            (true, Some(ms)) => write!(out, ", {}", Ms(ms))?,
            _ => {}
        }
        out.push(b')');
        if self.color {
            out.extend_from_slice(b"\x1b[0m");
        }
        Ok(())
    }

    fn paint(&self, out: &mut Vec<u8>, text: &str, code: &str) {
        if self.color {
            let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
}

/// ` (transient)`, when the event has a class.
fn class(out: &mut Vec<u8>, event: &Event) -> io::Result<()> {
    match event.class() {
        Some(c) => write!(out, " ({c})"),
        None => Ok(()),
    }
}

const BOLD: &str = "1";
const DIM: &str = "2";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";

/// `, 1234 tokens (1000 prompt, 234 completion)`.
fn show_usage(out: &mut Vec<u8>, usage: Usage) -> io::Result<()> {
    write!(
        out,
        ", {} tokens ({} prompt, {} completion)",
        usage.total(),
        usage.prompt_tokens,
        usage.completion_tokens
    )
}

/// Appends `n` in decimal.
fn decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// `850ms`, `1.2s`, `3m05s`: a duration in milliseconds, written where it
/// is shown rather than formatted into a string of its own.
struct Ms(u64);

impl std::fmt::Display for Ms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0;
        if ms < 1000 {
            write!(f, "{ms}ms")
        } else if ms < 60_000 {
            write!(f, "{:.1}s", ms as f64 / 1000.0)
        } else {
            write!(f, "{}m{:02}s", ms / 60_000, ms % 60_000 / 1000)
        }
    }
}

#[cfg(test)]
fn show_ms(ms: u64) -> String {
    Ms(ms).to_string()
}

impl EventSink for TraceSink {
    fn emit(&self, event: Event) -> impl Future<Output = Result<(), EmitError>> + Send {
        // The clock only for the live line: a reading per event was a
        // tenth of a run of quick steps on a VM.
        let now = self.live.as_ref().map(|_| Instant::now());
        if event.usage().is_some() {
            self.spent(event.usage());
        }
        if let (Some(live), Some(step), Some(now)) = (&self.live, event.step(), now) {
            match event.kind() {
                EventKind::StepStarted => live.started(step, event.attempt().unwrap_or(1), now),
                EventKind::StepSucceeded
                | EventKind::AttemptFailed
                | EventKind::AttemptInterrupted
                | EventKind::StepFailed
                | EventKind::StepCancelled => {
                    live.ended(step);
                }
                _ => {}
            }
        }
        match &self.live {
            // The live line draws every line itself, at once.
            Some(live) => {
                let mut line = Vec::new();
                if self.line(&event, &mut line) {
                    let line = String::from_utf8_lossy(&line);
                    let now = now.unwrap_or_else(Instant::now);
                    live.print(line.trim_end_matches('\n'), now);
                }
            }
            None => {
                let mut pending = self.lines.lock();
                if self.line(&event, &mut pending) {
                    self.lines.written_if_full(&mut pending);
                }
            }
        }
        std::future::ready(self.lines.emitted())
    }
}

impl Flush for TraceSink {
    fn flush(&self) {
        self.lines.write(&mut self.lines.lock());
    }

    fn failure(&self) -> Option<EmitError> {
        self.lines.failure()
    }
}

/// Writes every event as one line of JSON on stdout, as the engine
/// serializes it.
pub(in crate::cli) struct NdjsonSink {
    lines: Lines,
}

impl NdjsonSink {
    pub(in crate::cli) fn new() -> Self {
        NdjsonSink {
            lines: Lines::new(Stream::Stdout, true),
        }
    }
}

impl EventSink for NdjsonSink {
    fn emit(&self, event: Event) -> impl Future<Output = Result<(), EmitError>> + Send {
        let mut pending = self.lines.lock();
        let start = pending.len();
        // Serialized straight into the buffer; an event that cannot be
        // serialized (it always can) leaves no partial line behind.
        if serde_json::to_writer(&mut *pending, &event).is_ok() {
            pending.push(b'\n');
        } else {
            pending.truncate(start);
        }
        self.lines.written_if_full(&mut pending);
        drop(pending);
        std::future::ready(self.lines.emitted())
    }
}

impl Flush for NdjsonSink {
    fn flush(&self) {
        self.lines.write(&mut self.lines.lock());
    }

    fn failure(&self) -> Option<EmitError> {
        self.lines.failure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::engine::{RunError, StepRef, What};

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 999, 1234567, u64::MAX] {
            let mut out = Vec::new();
            decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn the_last_line_sums_the_tokens_of_every_attempt() {
        let sink = TraceSink::new(false, false, None);
        let line = |event: &Event| {
            let mut out = Vec::new();
            sink.line(event, &mut out)
                .then(|| String::from_utf8_lossy(&out).trim_end().to_owned())
        };
        let done = Event::unstamped(What::RunSucceeded {
            output: Arc::new(serde_json::json!(null)),
        });
        let failed = Event::unstamped(What::RunFailed {
            step: StepRef::state_of("s"),
            error: Box::new(RunError {
                state: "s".into(),
                class: None,
                message: "no".into(),
                attempts: 0,
            }),
        });
        assert_eq!(line(&done).as_deref(), Some("run succeeded"));
        assert_eq!(line(&failed), None);
        for (prompt_tokens, completion_tokens) in [(21, 48), (30, 3)] {
            sink.spent(Some(Usage {
                prompt_tokens,
                completion_tokens,
            }));
        }
        assert_eq!(
            line(&done).as_deref(),
            Some("run succeeded, 102 tokens (51 prompt, 51 completion)")
        );
        assert_eq!(
            line(&failed).as_deref(),
            Some("run ended, 102 tokens (51 prompt, 51 completion)")
        );
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(show_ms(850), "850ms");
        assert_eq!(show_ms(1250), "1.2s");
        assert_eq!(show_ms(185_000), "3m05s");
    }
}
