//! What the machine and its drivers say to each other: the machine emits
//! [`Command`]s, the driver carries them out and answers with [`Input`]s.
//!
//! Both are plain data, so that a durable driver can journal them and a
//! Temporal driver can turn a command into an activity, a timer or a
//! signal wait.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ir::{StateId, TransformerId, WorkerId};
use crate::runtime::engine::{Event, RunOutcome, StepRef};
use crate::runtime::executor::{Failure, Output};

/// One call of a worker in a run: a step's, a branch's or an item's, for
/// one visit of its state. Numbered from 0 in the order the machine makes
/// them, which is the same on every replay of the same inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallId(pub u64);

/// Where a call is written: the state, and for a `parallel` state the
/// branch (by index). The driver finds the call's settings from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallSite {
    pub state: StateId,
    pub branch: Option<u32>,
}

/// One attempt of a call, for the driver's executor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub call: CallId,
    pub site: CallSite,
    pub worker: WorkerId,
    /// `state`, `state.branch` or `state[3]`: the step in events and in the
    /// idempotency key.
    pub step: StepRef,
    /// The visit of the state the call belongs to; with the run and the
    /// step it makes the idempotency key, the same for every attempt.
    pub visit: u32,
    /// From 1.
    pub attempt: u32,
    /// The worker's input record, validated against its parameters.
    pub input: Value,
}

/// A hook that runs a program (a pure one is evaluated by the machine).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookRun {
    pub call: CallId,
    pub hook: TransformerId,
    pub step: StepRef,
    pub visit: u32,
    /// The attempt whose input (for a `before` hook: 1) or output the
    /// hook shapes.
    pub attempt: u32,
    /// The hook's argument, validated against its parameter.
    pub value: Value,
}

/// A call of a `human` worker: a question for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub call: CallId,
    pub site: CallSite,
    pub worker: WorkerId,
    pub step: StepRef,
    pub visit: u32,
    pub attempt: u32,
    pub input: Value,
    /// When the answer is due (the call's `timeout` from when it was
    /// asked), in milliseconds since the Unix epoch.
    pub deadline: Option<u64>,
}

/// What the machine asks its driver to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Record and show an event. The driver stamps its run id, sequence
    /// number and the masking of secrets; the machine sets its time.
    Emit(Event),
    /// Start an attempt; answer with [`Input::Attempted`].
    Invoke(Attempt),
    /// Run a hook program; answer with [`Input::Hooked`].
    RunHook(HookRun),
    /// Answer with [`Input::TimerFired`] for `call` at `at` (milliseconds
    /// since the Unix epoch), which is `delay` after the input that set
    /// it: a driver that keeps running may sleep `delay`, one that resumes
    /// later waits until `at`.
    StartTimer {
        call: CallId,
        at: u64,
        delay: Duration,
    },
    /// Ask a person; the answer comes as [`Input::Attempted`] (an approval
    /// is an output, a rejection a failure of class `worker`).
    AskHuman(Question),
    /// Stop whatever runs for `call` (an attempt, a hook, a timer); no
    /// input for it is expected any more.
    Cancel { call: CallId },
    /// The run ended; nothing follows.
    Finish(RunOutcome),
}

/// What happened, told to the machine. Serializable, so that a journal
/// can keep every input and a resumed run replay them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// An attempt ended: the worker's output (validated against its type)
    /// or its failure, with its messages already masked, and how long it
    /// ran.
    Attempted {
        call: CallId,
        took_ms: u64,
        result: Result<Output, Failure>,
    },
    /// A hook program ended.
    Hooked {
        call: CallId,
        result: Result<Output, Failure>,
    },
    /// A timer set by [`Command::StartTimer`] is due.
    TimerFired { call: CallId },
    /// The process that drove the run stopped while this attempt was
    /// under way (a crash, `kill -9`): it runs again, as a new attempt of
    /// the same visit with the same idempotency key, not counted against
    /// the call's `retries`, since the worker did not fail.
    Interrupted { call: CallId },
    /// The run is asked to stop (Ctrl-C, `flow cancel`).
    CancelRequested,
}

impl Input {
    /// The call the input is about, if any.
    pub fn call(&self) -> Option<CallId> {
        match self {
            Input::Attempted { call, .. }
            | Input::Hooked { call, .. }
            | Input::TimerFired { call }
            | Input::Interrupted { call } => Some(*call),
            Input::CancelRequested => None,
        }
    }
}
