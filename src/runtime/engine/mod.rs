//! The engine: the public face of the runtime. [`run`] and [`run_until`]
//! run a workflow of a checked program in this process (the machine of
//! `runtime::machine` on the local driver of `runtime::driver`), and this
//! module holds what a run is made of and gives back: [`RunOptions`], the
//! [`Event`]s, the run's [`RunState`] (plain serializable data) and how it
//! ended.

pub mod events;
pub(crate) mod fence;
mod limits;
mod mock;
pub mod retry;
mod run;
pub mod secrets;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ir::{FailureClass, WorkerId};

pub use events::{
    Asked, EmitError, Event, EventKind, EventSink, HookFailure, HookPlace, NoSink, RunError,
    StepRef, Timestamp, VecSink, What,
};
pub use limits::Limits;
pub use mock::{Mock, MockOutcome};
pub use run::{run, run_until, run_with};

use crate::runtime::executor::http::HttpExecutor;
use crate::runtime::executor::llm::{Environment, LlmExecutor, ProcessEnvironment};
use crate::runtime::validate::Mismatch;

/// How a run is made.
#[derive(Clone)]
pub struct RunOptions {
    /// The run's id; a fresh one when `None`.
    pub run_id: Option<String>,
    /// The seed of the jitter between retries; from the clock when `None`.
    pub seed: Option<u64>,
    /// Where `env("NAME")` reads (and the llm executor its defaults).
    pub env: Arc<dyn Environment>,
    /// Shared clients, so that many runs pool their connections; made on
    /// first use when `None`.
    pub http: Option<HttpExecutor>,
    pub llm: Option<LlmExecutor>,
    /// The bounds of workers' `concurrency`; share one between runs (a
    /// clone) to bound the calls of all of them together. A fresh one by
    /// default, which bounds the calls of this run only.
    pub limits: Limits,
    /// Workers replaced by their outcomes, one per call (`flow run
    /// --mock`): a call of one starts no process or request (nor asks a
    /// person), and its `before` hooks, which prepare the input for the real
    /// worker, do not run; an output is validated against the worker's type
    /// and goes through the `after` hooks as a real one would.
    pub mocks: Arc<HashMap<WorkerId, Mock>>,
    /// Where the relative paths of the program's files start: the working
    /// directory of its programs (`exec` workers and hook programs) that set
    /// no `cwd`, and what a relative `cwd` is relative to. `flow run` gives
    /// the directory of the `.flow` file; `None` is the process's own
    /// working directory.
    pub base_dir: Option<PathBuf>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            run_id: None,
            seed: None,
            env: Arc::new(ProcessEnvironment),
            http: None,
            llm: None,
            limits: Limits::default(),
            mocks: Arc::default(),
            base_dir: None,
        }
    }
}

/// Where a run is: everything needed to continue it, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub run_id: String,
    pub workflow: String,
    /// The workflow's parameters, in order.
    pub params: Vec<Value>,
    /// The state the run is in (an index into the workflow's states).
    pub current: u32,
    /// How many times each state was entered.
    pub visits: Vec<u32>,
    /// The value of each state that has succeeded (shared with the events
    /// that carry it).
    pub values: Vec<Option<Arc<Value>>>,
    /// Transitions taken.
    pub steps: u64,
    /// The failure that an `on_failure` transition routed most recently:
    /// what `error` is in the workflow's expressions from then on.
    pub routed: Option<RoutedFailure>,
}

/// A failure that an `on_failure` transition routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutedFailure {
    /// The state that failed.
    pub state: String,
    pub class: FailureClass,
    /// The failure's message, with secrets masked.
    pub message: String,
    /// The attempts of the visit that failed.
    pub attempts: u32,
}

impl RoutedFailure {
    /// The value of `error` in expressions:
    /// `{ class, message, attempts, state }`.
    pub fn to_value(&self) -> Value {
        serde_json::json!({
            "class": self.class.name(),
            "message": self.message,
            "attempts": self.attempts,
            "state": self.state,
        })
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    Succeeded {
        output: Value,
    },
    Failed {
        error: RunError,
    },
    /// Stopped from outside ([`run_until`]) before it ended.
    Cancelled,
    /// Stopped short, not ended: the journal could not be written (a full
    /// disk, a store taken over by another process). The run can be
    /// resumed from what was committed.
    Stopped {
        reason: String,
    },
    /// Not ended: every call under way waits for a person (a `human`
    /// step), so the driver let the run go. It is recorded as `paused`
    /// and goes on once the questions are answered.
    Paused {
        questions: Vec<Waiting>,
    },
}

/// A question of a paused run.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    /// The step that asks: `state`, `state.branch` or `state[i]`.
    pub step: String,
    /// The `human` worker that asks.
    pub worker: WorkerId,
    /// The worker's prompt, rendered and masked.
    pub prompt: String,
    /// When the answer is due, in milliseconds since the Unix epoch.
    pub deadline: Option<u64>,
}

/// A finished run: how it ended and where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub outcome: RunOutcome,
    pub state: RunState,
}

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StartError {
    #[error("the program has no workflow with id {0}")]
    NoWorkflow(u32),
    #[error("the input does not fit the parameters of workflow `{workflow}`: {mismatch}")]
    InvalidInput {
        workflow: String,
        mismatch: Mismatch,
    },
    #[error(
        "workflow `{workflow}` calls `{worker}`, which asks a person; that needs the run store, which this run does not have\n  = help: run it without `--no-store`, so that the run can wait for the answer, or mock the worker with `--mock {worker}=@answer.json`"
    )]
    NeedsStore { workflow: String, worker: String },
}

/// A seed that differs between runs.
pub(crate) fn fresh_seed() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let mut rng = retry::Rng::new(nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32));
    rng.next_u64()
}

/// A fresh run id: 16 hex digits.
fn fresh_run_id() -> String {
    format!("{:016x}", fresh_seed())
}
