//! Events: every transition and attempt of a run passes through one
//! [`EventSink`], in order, before the run goes on. A journal will write
//! them durably before the effect they announce, which is why `emit` is
//! async: the run waits for it.

use std::future::Future;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ir::FailureClass;

/// What happened, as named in `--events ndjson`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    RunStarted,
    /// An attempt of a step (or of a branch or item of one) begins.
    StepStarted,
    AttemptFailed,
    StepSucceeded,
    StepFailed,
    Transition,
    RunSucceeded,
    RunFailed,
}

/// Why a run failed: the failed state, the class of the failure (none for a
/// `fail` state), its message and how many attempts were made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<FailureClass>,
    pub message: String,
    pub attempts: u32,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.class {
            Some(class) => write!(
                f,
                "state `{}` failed ({class}): {}",
                self.state, self.message
            ),
            None => write!(f, "state `{}` failed: {}", self.state, self.message),
        }
    }
}

/// One event. The fields that do not apply to its kind are absent from its
/// JSON form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event: EventKind,
    pub run_id: String,
    /// 0 for `run_started`, one more for each event after it.
    pub seq: u64,
    /// RFC 3339, UTC, milliseconds.
    pub ts: String,
    /// `run_started`: the workflow's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// `run_started`: the validated input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    /// The state (for a branch, `state.branch`; for an item, `state[i]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<FailureClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `transition`: the state entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// How long the attempt took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// `step_succeeded`: the state's value; `run_succeeded`: the run's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// `run_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

impl Event {
    /// An event of `kind` with only its kind set; the run fills in the
    /// run id, sequence number and time when it emits it.
    pub fn new(kind: EventKind) -> Self {
        Event {
            event: kind,
            run_id: String::new(),
            seq: 0,
            ts: String::new(),
            workflow: None,
            input: None,
            step: None,
            attempt: None,
            class: None,
            message: None,
            target: None,
            duration_ms: None,
            output: None,
            error: None,
        }
    }

    /// An event of `kind` about `step`, built in place: the engine makes
    /// several per step, and moving an `Event` through the builder methods
    /// copied it each time.
    pub(super) fn of_step(kind: EventKind, step: impl Into<String>, attempt: Option<u32>) -> Self {
        Event {
            event: kind,
            run_id: String::new(),
            seq: 0,
            ts: String::new(),
            workflow: None,
            input: None,
            step: Some(step.into()),
            attempt,
            class: None,
            message: None,
            target: None,
            duration_ms: None,
            output: None,
            error: None,
        }
    }

    pub fn step(mut self, step: impl Into<String>) -> Self {
        self.step = Some(step.into());
        self
    }

    pub fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = Some(attempt);
        self
    }
}

/// Where a run's events go. `emit` is awaited before the run continues, so
/// that a durable sink can write the event before its effect.
pub trait EventSink: Sync {
    fn emit(&self, event: Event) -> impl Future<Output = ()> + Send;
}

/// Keeps every event in memory, for tests and embedders.
#[derive(Debug, Default)]
pub struct VecSink {
    events: Mutex<Vec<Event>>,
}

impl VecSink {
    pub fn new() -> Self {
        VecSink::default()
    }

    /// The events so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl EventSink for VecSink {
    fn emit(&self, event: Event) -> impl Future<Output = ()> + Send {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(event);
        std::future::ready(())
    }
}

/// Drops every event: for runs nobody watches (benchmarks).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSink;

impl EventSink for NoSink {
    fn emit(&self, _: Event) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
}

/// Milliseconds since the Unix epoch, now.
pub(super) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// The last timestamp formatted, kept because a run emits many events
/// within one millisecond and each would format the same text again.
#[derive(Debug, Default)]
pub(super) struct Clock {
    last: Mutex<(u64, String)>,
}

impl Clock {
    /// The current time as RFC 3339 in UTC with milliseconds.
    pub(super) fn now(&self) -> String {
        let millis = now_millis();
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.0 != millis || last.1.is_empty() {
            *last = (millis, rfc3339(millis));
        }
        last.1.clone()
    }
}

/// Formats milliseconds since the Unix epoch (the civil-from-days
/// algorithm of Howard Hinnant, for the proleptic Gregorian calendar).
fn rfc3339(millis: u64) -> String {
    let secs = millis / 1000;
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Every event carries a timestamp, so the digits are written by hand:
    // `format!` here was a tenth of the time of a builtin step.
    let mut out = String::with_capacity(24);
    digits(&mut out, year.clamp(0, 9999) as u64, 4);
    out.push('-');
    digits(&mut out, month as u64, 2);
    out.push('-');
    digits(&mut out, day as u64, 2);
    out.push('T');
    digits(&mut out, rest / 3600, 2);
    out.push(':');
    digits(&mut out, rest % 3600 / 60, 2);
    out.push(':');
    digits(&mut out, rest % 60, 2);
    out.push('.');
    digits(&mut out, millis % 1000, 3);
    out.push('Z');
    out
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn digits(out: &mut String, n: u64, width: u32) {
    for place in (0..width).rev() {
        let digit = (n / 10u64.pow(place) % 10) as u8;
        out.push(char::from(b'0' + digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2024-02-29T12:34:56.789Z, a leap day.
        assert_eq!(rfc3339(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
        assert_eq!(rfc3339(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(951_782_400_007), "2000-02-29T00:00:00.007Z");
    }

    #[test]
    fn the_clock_gives_the_time_of_each_reading() {
        let clock = Clock::default();
        let before = now_millis();
        let first = clock.now();
        let second = clock.now();
        let after = now_millis();
        for stamp in [&first, &second] {
            assert!(
                (before..=after).any(|ms| rfc3339(ms) == *stamp),
                "{stamp} is not between {} and {}",
                rfc3339(before),
                rfc3339(after)
            );
        }
        assert!(first <= second);
    }

    #[test]
    fn absent_fields_are_left_out_of_the_json() {
        let mut event = Event::new(EventKind::StepStarted).step("s").attempt(2);
        event.run_id = "r".into();
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"event": "step_started", "run_id": "r", "seq": 0, "ts": "", "step": "s", "attempt": 2})
        );
    }
}
