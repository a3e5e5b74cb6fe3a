//! Events: every transition and attempt of a run passes through one
//! [`EventSink`], in order, before the run goes on. A journal will write
//! them durably before the effect they announce, which is why `emit` is
//! async: the run waits for it.

mod step_ref;
mod time;
mod wire;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use step_ref::StepRef;
pub use time::Timestamp;

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

/// One event: which run, its number, when, and what happened.
///
/// Its JSON (`--events ndjson`) is flat: `event` names the kind, then
/// `run_id`, `seq`, `ts` and the fields of the kind ([`wire`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Shared by every event of the run (an `Arc<str>`, so that stamping
    /// an event copies a pointer, not the text).
    pub run_id: Arc<str>,
    /// 0 for `run_started`, one more for each event after it.
    pub seq: u64,
    /// When it happened; RFC 3339 in UTC with milliseconds in JSON.
    pub ts: Timestamp,
    pub what: What,
}

/// What happened, with what each kind carries. A field is optional only
/// where the kind has it sometimes (an attempt number, for a step no
/// attempt of a worker reported).
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    RunStarted {
        workflow: String,
        /// The validated input. (Boxed, like the other large fields: the
        /// size of the largest kind is the size of every event, which the
        /// engine builds and moves several times per step.)
        input: Box<Value>,
    },
    /// An attempt of a step (or of a branch or item of one) begins; a
    /// `parallel` or `map` state's start has no attempt.
    StepStarted {
        step: StepRef,
        attempt: Option<u32>,
    },
    AttemptFailed {
        step: StepRef,
        attempt: u32,
        class: FailureClass,
        message: String,
        /// How long the attempt took.
        duration_ms: u64,
        /// What the worker wrote to its log during the attempt (an exec
        /// program's stderr, its last 64 KiB), when it wrote anything.
        log: Option<String>,
        /// The tokens a model spent on the attempt, when its server
        /// counted them.
        usage: Option<Usage>,
    },
    StepSucceeded {
        step: StepRef,
        /// None for a `parallel` or `map` state.
        attempt: Option<u32>,
        duration_ms: Option<u64>,
        /// The state's value, shared with the run's state rather than
        /// copied.
        output: Arc<Value>,
        log: Option<String>,
        usage: Option<Usage>,
    },
    StepFailed {
        step: StepRef,
        /// None when no attempt was made (a `max_visits` refusal, a bad
        /// argument) or the step is a `parallel` or `map` state.
        attempt: Option<u32>,
        class: FailureClass,
        message: String,
        log: Option<String>,
        /// The hook whose failure failed the call, when a hook rather than
        /// the worker failed.
        hook: Option<Box<HookFailure>>,
    },
    Transition {
        step: StepRef,
        /// The state entered.
        target: StepRef,
    },
    RunSucceeded {
        output: Arc<Value>,
    },
    /// Its JSON also has the failure's `class` and `message`, from
    /// `error`.
    RunFailed {
        /// The failed state (or the workflow, when no state failed).
        step: StepRef,
        error: Box<RunError>,
    },
    /// The run was stopped from outside (Ctrl-C) before it ended; the
    /// steps under way were stopped with it.
    RunCancelled,
    /// An attempt failed and another one will start after `delay_ms`:
    /// `attempt` is the one to come, of `max_attempts`, and `class` and
    /// `message` are the failure that caused it.
    RetryScheduled {
        step: StepRef,
        attempt: u32,
        class: FailureClass,
        message: String,
        delay_ms: u64,
        max_attempts: u32,
    },
    /// A branch or an item (or its wait for a turn) was stopped because
    /// another one failed, or the run was cancelled: the end of what its
    /// `step_started` began.
    StepCancelled {
        step: StepRef,
        message: String,
    },
    /// The process that drove the run stopped during this attempt (a
    /// crash, `kill -9`); a resumed run makes a new attempt with the same
    /// idempotency key.
    AttemptInterrupted {
        step: StepRef,
        attempt: u32,
        message: String,
    },
    /// A `human` step waits for a person, and nothing else of the run is
    /// under way: the run is paused until someone answers or the step's
    /// deadline passes. One per question.
    RunPaused {
        step: StepRef,
        attempt: u32,
        question: Box<Asked>,
    },
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

impl What {
    /// The kind, as `event` names it in the JSON.
    pub fn kind(&self) -> EventKind {
        match self {
            What::RunStarted { .. } => EventKind::RunStarted,
            What::StepStarted { .. } => EventKind::StepStarted,
            What::AttemptFailed { .. } => EventKind::AttemptFailed,
            What::StepSucceeded { .. } => EventKind::StepSucceeded,
            What::StepFailed { .. } => EventKind::StepFailed,
            What::Transition { .. } => EventKind::Transition,
            What::RunSucceeded { .. } => EventKind::RunSucceeded,
            What::RunFailed { .. } => EventKind::RunFailed,
            What::RunCancelled => EventKind::RunCancelled,
            What::RetryScheduled { .. } => EventKind::RetryScheduled,
            What::StepCancelled { .. } => EventKind::StepCancelled,
            What::AttemptInterrupted { .. } => EventKind::AttemptInterrupted,
            What::RunPaused { .. } => EventKind::RunPaused,
        }
    }
}

impl Event {
    /// What happened, not yet stamped: the machine gives it the run's id,
    /// its number and the time when it emits it.
    pub fn unstamped(what: What) -> Self {
        Event {
            // A shared empty id until the run stamps its own: a fresh
            // `Arc::from("")` was an allocation per event.
            run_id: NO_RUN_ID.with(Arc::clone),
            seq: 0,
            ts: Timestamp(0),
            what,
        }
    }

    pub fn kind(&self) -> EventKind {
        self.what.kind()
    }

    /// The step the event is about; for `run_failed`, the failed state.
    pub fn step(&self) -> Option<&StepRef> {
        match &self.what {
            What::StepStarted { step, .. }
            | What::AttemptFailed { step, .. }
            | What::StepSucceeded { step, .. }
            | What::StepFailed { step, .. }
            | What::Transition { step, .. }
            | What::RetryScheduled { step, .. }
            | What::StepCancelled { step, .. }
            | What::AttemptInterrupted { step, .. }
            | What::RunPaused { step, .. }
            | What::RunFailed { step, .. } => Some(step),
            What::RunStarted { .. } | What::RunSucceeded { .. } | What::RunCancelled => None,
        }
    }

    pub fn attempt(&self) -> Option<u32> {
        match &self.what {
            What::StepStarted { attempt, .. }
            | What::StepSucceeded { attempt, .. }
            | What::StepFailed { attempt, .. } => *attempt,
            What::AttemptFailed { attempt, .. }
            | What::RetryScheduled { attempt, .. }
            | What::AttemptInterrupted { attempt, .. }
            | What::RunPaused { attempt, .. } => Some(*attempt),
            _ => None,
        }
    }

    pub fn class(&self) -> Option<FailureClass> {
        match &self.what {
            What::AttemptFailed { class, .. }
            | What::StepFailed { class, .. }
            | What::RetryScheduled { class, .. } => Some(*class),
            What::RunFailed { error, .. } => error.class,
            _ => None,
        }
    }

    pub fn message(&self) -> Option<&str> {
        match &self.what {
            What::AttemptFailed { message, .. }
            | What::StepFailed { message, .. }
            | What::RetryScheduled { message, .. }
            | What::StepCancelled { message, .. }
            | What::AttemptInterrupted { message, .. } => Some(message),
            What::RunFailed { error, .. } => Some(&error.message),
            _ => None,
        }
    }

    /// The state entered, for a transition.
    pub fn target(&self) -> Option<&StepRef> {
        match &self.what {
            What::Transition { target, .. } => Some(target),
            _ => None,
        }
    }

    /// How long the attempt took.
    pub fn duration_ms(&self) -> Option<u64> {
        match &self.what {
            What::AttemptFailed { duration_ms, .. } => Some(*duration_ms),
            What::StepSucceeded { duration_ms, .. } => *duration_ms,
            _ => None,
        }
    }

    /// A step's value, or the run's output.
    pub fn output(&self) -> Option<&Arc<Value>> {
        match &self.what {
            What::StepSucceeded { output, .. } | What::RunSucceeded { output } => Some(output),
            _ => None,
        }
    }

    pub fn log(&self) -> Option<&str> {
        match &self.what {
            What::AttemptFailed { log, .. }
            | What::StepSucceeded { log, .. }
            | What::StepFailed { log, .. } => log.as_deref(),
            _ => None,
        }
    }

    pub fn usage(&self) -> Option<Usage> {
        match &self.what {
            What::AttemptFailed { usage, .. } | What::StepSucceeded { usage, .. } => *usage,
            _ => None,
        }
    }

    /// The workflow, for `run_started`.
    pub fn workflow(&self) -> Option<&str> {
        match &self.what {
            What::RunStarted { workflow, .. } => Some(workflow),
            _ => None,
        }
    }

    /// How long the run waits before the next attempt, and the most
    /// attempts the call makes, for `retry_scheduled`.
    pub fn retry(&self) -> Option<(u64, u32)> {
        match &self.what {
            What::RetryScheduled {
                delay_ms,
                max_attempts,
                ..
            } => Some((*delay_ms, *max_attempts)),
            _ => None,
        }
    }

    pub fn hook(&self) -> Option<&HookFailure> {
        match &self.what {
            What::StepFailed { hook, .. } => hook.as_deref(),
            _ => None,
        }
    }

    pub fn question(&self) -> Option<&Asked> {
        match &self.what {
            What::RunPaused { question, .. } => Some(question),
            _ => None,
        }
    }

    /// Rewrites the text of the event that came from outside the
    /// program (messages and logs, a failed run's message), leaving data
    /// as it is: how secrets are hidden from events.
    pub fn map_text(&mut self, mut f: impl FnMut(String) -> String) {
        let mut apply = |text: &mut String| *text = f(std::mem::take(text));
        match &mut self.what {
            What::AttemptFailed { message, log, .. } | What::StepFailed { message, log, .. } => {
                apply(message);
                if let Some(log) = log {
                    apply(log);
                }
            }
            What::StepSucceeded { log: Some(log), .. } => apply(log),
            What::RetryScheduled { message, .. }
            | What::StepCancelled { message, .. }
            | What::AttemptInterrupted { message, .. } => apply(message),
            What::RunFailed { error, .. } => apply(&mut error.message),
            _ => {}
        }
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

    /// Whether the sink wants the events at all. One that drops them says
    /// no, and a driver with no other reader of events (a run with no
    /// journal) then has the machine not build them.
    fn listens(&self) -> bool {
        true
    }
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

    fn listens(&self) -> bool {
        false
    }
}
