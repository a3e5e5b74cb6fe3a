//! How a worker does its work. Each kind of executor is one module with an
//! `async fn call`, taking an [`Invocation`] and the executor's own settings
//! (already evaluated), and returning the worker's [`Output`] or a
//! [`Failure`] with its class.
//!
//! What every executor promises:
//! - it is cancel-safe: dropping the future stops the work, and whatever it
//!   started (a process group, a connection) is torn down;
//! - it never reads unbounded data into memory: output beyond
//!   [`Invocation::max_output`] is a failure of class `output`;
//! - it does not apply the timeout itself: the runtime drops the future when
//!   the timeout elapses and reports class `timeout`;
//! - its failure messages say what failed and why, in a sentence, with the
//!   relevant detail (exit status, HTTP status, the tail of stderr).

pub mod builtin;
pub mod exec;
pub mod http;
pub mod llm;

use std::fmt;

use serde_json::Value;

use crate::ir::FailureClass;

/// What identifies one attempt of one step visit, passed to every worker
/// (`FLOW_RUN_ID`, `FLOW_STEP`, `FLOW_ATTEMPT`, `FLOW_IDEMPOTENCY_KEY` for
/// programs; `X-Flow-Run`, `X-Flow-Step`, `X-Flow-Attempt`, `Idempotency-Key`
/// headers for HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallMeta {
    pub run_id: String,
    pub step: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The same for every attempt of one step visit, so that a service can
    /// recognise a retry.
    pub idempotency_key: String,
}

/// One call of a worker.
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    /// The worker's input record, as JSON.
    pub input: &'a Value,
    pub meta: &'a CallMeta,
    /// The largest output accepted, in bytes (default
    /// [`DEFAULT_MAX_OUTPUT`], the `max_output` setting).
    pub max_output: usize,
    /// Whether the worker's declared output type is `string`: then output
    /// that is not JSON is taken as the string itself.
    pub wants_string: bool,
}

/// 16 MiB: the default cap on a worker's output.
pub const DEFAULT_MAX_OUTPUT: usize = crate::ir::DEFAULT_MAX_OUTPUT;

/// What a worker returned, before it is validated against its type.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Output {
    pub value: Value,
    /// What the worker wrote for the run's log (an exec program's stderr,
    /// capped like its output); empty for executors without one.
    pub log: String,
    /// The tokens a model spent on the call (`llm`), when its server said.
    pub usage: Option<llm::Usage>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub class: FailureClass,
    pub message: String,
    /// How long the worker asked to be left alone before a retry (HTTP
    /// `Retry-After`); the runtime waits at least this long.
    pub retry_after: Option<std::time::Duration>,
    /// The worker's log up to the failure (an exec program's stderr).
    pub log: String,
    /// The tokens a model spent on the failed call (a reply cut off or not
    /// JSON still cost them).
    pub usage: Option<llm::Usage>,
}

impl Failure {
    pub fn new(class: FailureClass, message: impl Into<String>) -> Self {
        Failure {
            class,
            message: message.into(),
            retry_after: None,
            log: String::new(),
            usage: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.class)
    }
}

impl std::error::Error for Failure {}
