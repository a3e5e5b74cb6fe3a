//! Events: every transition and attempt of a run passes through one
//! [`EventSink`], in order, before the run goes on. A journal will write
//! them durably before the effect they announce, which is why `emit` is
//! async: the run waits for it.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::ir::FailureClass;
pub use crate::runtime::executor::llm::Usage;

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
    /// The run was stopped from outside (Ctrl-C) before it ended; the
    /// steps under way were stopped with it.
    RunCancelled,
    /// An attempt failed and another one will start after `delay_ms`:
    /// `attempt` is the one to come, of `max_attempts`, and `class` and
    /// `message` are the failure that caused it.
    RetryScheduled,
    /// A branch or an item (or its wait for a turn) was stopped because
    /// another one failed: the end of what its `step_started` began.
    StepCancelled,
    /// The process that drove the run stopped during this attempt (a
    /// crash, `kill -9`); a resumed run makes a new attempt with the same
    /// idempotency key.
    AttemptInterrupted,
    /// A `human` step waits for a person, and nothing else of the run is
    /// under way: the run is paused until someone answers (`flow approve`,
    /// `flow reject`) or the step's deadline passes. `question` has the
    /// prompt, the expected output and the deadline. One per question.
    RunPaused,
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
    /// Shared by every event of the run (names are `Arc<str>` so that
    /// stamping an event copies a pointer, not the text).
    pub run_id: Arc<str>,
    /// 0 for `run_started`, one more for each event after it.
    pub seq: u64,
    /// When it happened; RFC 3339 in UTC with milliseconds in JSON.
    pub ts: Timestamp,
    /// `run_started`: the workflow's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// `run_started`: the validated input. (Boxed, like `error`: the fields
    /// of one or two events of a run should not grow every event, which the
    /// engine builds, moves and drops several times per step.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Box<Value>>,
    /// The state (for a branch, `state.branch`; for an item, `state[i]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<FailureClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `transition`: the state entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Arc<str>>,
    /// How long the attempt took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// `step_succeeded`: the state's value; `run_succeeded`: the run's output.
    /// Shared with the run's state rather than copied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Arc<Value>>,
    /// `run_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Box<RunError>>,
    /// `step_succeeded` and `attempt_failed`: what the worker wrote to its
    /// log during the attempt (an exec program's stderr, its last 64 KiB),
    /// when it wrote anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// `retry_scheduled`: how long the run waits before the next attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// `retry_scheduled`: the most attempts the call makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// `step_failed`: the hook (a transformer's name) whose failure failed
    /// the call, when a hook rather than the worker failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<Box<HookFailure>>,
    /// `step_succeeded` and `attempt_failed` of an `llm` worker: the tokens
    /// the model spent on the attempt, when its server counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// `run_paused`: what the person is asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Box<Asked>>,
}

/// A question for a person, as `run_paused` tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asked {
    /// The worker's `prompt`, rendered with the call's input (empty until
    /// the driver, which can read `env()`, renders it).
    pub prompt: String,
    /// The worker's output type as JSON Schema: what an answer must be.
    pub schema: Value,
    /// When the answer is due, if the step has a `timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
}

/// Which hook failed a call: its place and the transformer's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookFailure {
    pub place: HookPlace,
    pub name: String,
}

/// Where a hook runs: before the worker, on its input, or after it, on its
/// output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookPlace {
    Before,
    After,
}

impl fmt::Display for HookPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HookPlace::Before => "before",
            HookPlace::After => "after",
        })
    }
}

thread_local! {
    static NO_RUN_ID: Arc<str> = Arc::from("");
}

impl Event {
    /// An event of `kind` with only its kind set; the run fills in the
    /// run id, sequence number and time when it emits it.
    pub fn new(kind: EventKind) -> Self {
        Event {
            event: kind,
            // A shared empty id until the run stamps its own: a fresh
            // `Arc::from("")` was an allocation per event.
            run_id: NO_RUN_ID.with(Arc::clone),
            seq: 0,
            ts: Timestamp(0),
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
            log: None,
            usage: None,
            delay_ms: None,
            max_attempts: None,
            hook: None,
            question: None,
        }
    }

    /// An event of `kind` about `step`: the engine makes several per step,
    /// and moving an `Event` through the builder methods copied it each time.
    pub(crate) fn of_step(kind: EventKind, step: &Arc<str>, attempt: Option<u32>) -> Self {
        Event {
            step: Some(step.clone()),
            attempt,
            ..Event::new(kind)
        }
    }

    pub fn step(mut self, step: impl Into<Arc<str>>) -> Self {
        self.step = Some(step.into());
        self
    }

    pub fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = Some(attempt);
        self
    }
}

/// Where a run's events go. `emit` is awaited before the run continues, so
/// that a durable sink can write the event before its effect, and it can
/// fail: a sink that keeps a record (events for a machine) and cannot write
/// it stops the run cleanly, as a journal that cannot be written does,
/// rather than letting it run on unrecorded. A sink for people (the trace)
/// may choose to lose a line instead.
pub trait EventSink: Sync {
    fn emit(&self, event: Event) -> impl Future<Output = Result<(), EmitError>> + Send;
}

/// Why a sink could not take an event: where the events go and what went
/// wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the events could not be written to {destination}: {reason}")]
pub struct EmitError {
    /// Where the events go: "stdout", a file's path.
    pub destination: String,
    pub reason: String,
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
    fn emit(&self, event: Event) -> impl Future<Output = Result<(), EmitError>> + Send {
        self.events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(event);
        std::future::ready(Ok(()))
    }
}

/// Drops every event: for runs nobody watches (benchmarks).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSink;

impl EventSink for NoSink {
    fn emit(&self, _: Event) -> impl Future<Output = Result<(), EmitError>> + Send {
        std::future::ready(Ok(()))
    }
}

/// Milliseconds since the Unix epoch, now.
pub(super) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// A moment, in milliseconds since the Unix epoch. It is kept as a number
/// and written as RFC 3339 only when an event is serialized: a run stamps
/// every event, and formatting each stamp was a tenth of a builtin step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(now_millis())
    }
}

/// `2026-11-21T22:30:13.042Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&rfc3339(self.0))
    }
}

impl Serialize for Timestamp {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.serialize_str(&rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_rfc3339(&text).map(Timestamp).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a time like 2026-11-21T22:30:13.042Z"
            ))
        })
    }
}

/// Reads back what [`rfc3339`] writes (UTC, milliseconds, `Z`).
fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second, milli) = (
        number(11..13)?,
        number(14..16)?,
        number(17..19)?,
        number(20..23)?,
    );
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from civil (Howard Hinnant), the inverse of `rfc3339`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(secs * 1000 + milli).ok()
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
    fn timestamps_read_back_what_they_write() {
        for millis in [
            0,
            1_709_210_096_789,
            253_402_300_799_999,
            951_782_400_007,
            now_millis(),
        ] {
            let json = serde_json::to_value(Timestamp(millis)).unwrap_or_default();
            assert_eq!(json, serde_json::json!(rfc3339(millis)));
            let back: Result<Timestamp, _> = serde_json::from_value(json);
            assert_eq!(back.ok(), Some(Timestamp(millis)));
        }
        for bad in [
            "",
            "2024-02-29",
            "2024-13-01T00:00:00.000Z",
            "2024-02-29T12:34:56.789+01:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn absent_fields_are_left_out_of_the_json() {
        let mut event = Event::new(EventKind::StepStarted).step("s").attempt(2);
        event.run_id = "r".into();
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"event": "step_started", "run_id": "r", "seq": 0, "ts": "1970-01-01T00:00:00.000Z", "step": "s", "attempt": 2})
        );
    }
}
