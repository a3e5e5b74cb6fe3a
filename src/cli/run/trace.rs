//! The two ways `flow run` shows a run as it happens: a trace for people on
//! stderr ([`TraceSink`]) and machine events on stdout ([`NdjsonSink`]).

use std::future::Future;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::live::Live;
use crate::runtime::engine::{Event, EventKind, EventSink};
use crate::runtime::executor::llm::Usage;

/// Whether the trace shows durations: not when `FLOW_TRACE_DURATIONS=0`,
/// which makes the trace the same from run to run (for tests and docs).
pub(super) fn durations_shown() -> bool {
    std::env::var_os("FLOW_TRACE_DURATIONS").is_none_or(|v| v != "0")
}

/// Writes one line to stderr per attempt, failure and transition, and
/// keeps the live line (on a terminal) up to date.
pub(super) struct TraceSink {
    color: bool,
    durations: bool,
    live: Option<Arc<Live>>,
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
            usage: Mutex::new(None),
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

    /// The trace line of an event, if it has one.
    fn line(&self, event: &Event) -> Option<String> {
        let step = event.step.as_deref().unwrap_or("?");
        let attempt = event.attempt.unwrap_or(1);
        let took = match (self.durations, event.duration_ms) {
            (true, Some(ms)) => format!(", {}", show_ms(ms)),
            _ => String::new(),
        };
        let class = event.class.map(|c| format!(" ({c})")).unwrap_or_default();
        let message = event
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        Some(match event.event {
            EventKind::RunStarted => format!(
                "{} workflow `{}` (run {})",
                self.paint("run", BOLD),
                event.workflow.as_deref().unwrap_or("?"),
                event.run_id
            ),
            // A step that succeeds at once gets one line, when it ends.
            EventKind::StepStarted => return None,
            EventKind::StepSucceeded => format!(
                "{} {step} {}",
                self.paint("✓", GREEN),
                self.paint(&format!("(attempt {attempt}{took})"), DIM)
            ),
            EventKind::AttemptFailed => format!(
                "{} {step} {} failed{class}{message}",
                self.paint("✗", YELLOW),
                self.paint(&format!("(attempt {attempt}{took})"), DIM)
            ),
            EventKind::StepFailed => format!(
                "{} {step} failed{class} after {attempt} attempt{}",
                self.paint("✗", RED),
                if attempt == 1 { "" } else { "s" }
            ),
            EventKind::Transition => {
                format!("  {step} → {}", event.target.as_deref().unwrap_or("?"))
            }
            EventKind::RunSucceeded => format!(
                "{} succeeded{}",
                self.paint("run", BOLD),
                self.spent(None).map(show_usage).unwrap_or_default()
            ),
            // The command prints the failure or the interruption itself,
            // after the trace; the tokens spent are told before it.
            EventKind::RunFailed | EventKind::RunCancelled => {
                let usage = self.spent(None)?;
                format!("{} ended{}", self.paint("run", BOLD), show_usage(usage))
            }
        })
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

const BOLD: &str = "1";
const DIM: &str = "2";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";

/// `, 1234 tokens (1000 prompt, 234 completion)`.
fn show_usage(usage: Usage) -> String {
    format!(
        ", {} tokens ({} prompt, {} completion)",
        usage.total(),
        usage.prompt_tokens,
        usage.completion_tokens
    )
}

/// `850ms`, `1.2s`, `3m05s`.
fn show_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000)
    }
}

impl EventSink for TraceSink {
    fn emit(&self, event: Event) -> impl Future<Output = ()> + Send {
        let now = Instant::now();
        if event.usage.is_some() {
            self.spent(event.usage);
        }
        if let (Some(live), Some(step)) = (&self.live, &event.step) {
            match event.event {
                EventKind::StepStarted => live.started(step, event.attempt.unwrap_or(1), now),
                EventKind::StepSucceeded | EventKind::AttemptFailed | EventKind::StepFailed => {
                    live.ended(step);
                }
                _ => {}
            }
        }
        if let Some(line) = self.line(&event) {
            match &self.live {
                Some(live) => live.print(&line, now),
                None => {
                    // A trace that cannot be written (stderr closed) must
                    // not stop the run.
                    let mut err = io::stderr().lock();
                    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
                }
            }
        }
        std::future::ready(())
    }
}

/// Writes every event as one line of JSON on stdout, as the engine
/// serializes it.
pub(super) struct NdjsonSink;

impl EventSink for NdjsonSink {
    fn emit(&self, event: Event) -> impl Future<Output = ()> + Send {
        if let Ok(line) = serde_json::to_string(&event) {
            // A reader that went away (`| head`) must not stop the run.
            let mut out = io::stdout().lock();
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        }
        std::future::ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_line_sums_the_tokens_of_every_attempt() {
        let sink = TraceSink::new(false, false, None);
        let done = Event::new(EventKind::RunSucceeded);
        assert_eq!(sink.line(&done).as_deref(), Some("run succeeded"));
        assert_eq!(sink.line(&Event::new(EventKind::RunFailed)), None);
        for (prompt_tokens, completion_tokens) in [(21, 48), (30, 3)] {
            sink.spent(Some(Usage {
                prompt_tokens,
                completion_tokens,
            }));
        }
        assert_eq!(
            sink.line(&done).as_deref(),
            Some("run succeeded, 102 tokens (51 prompt, 51 completion)")
        );
        assert_eq!(
            sink.line(&Event::new(EventKind::RunFailed)).as_deref(),
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
