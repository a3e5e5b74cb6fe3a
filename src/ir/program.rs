//! The checked program: everything the runtime needs, with names resolved to
//! ids, types to [`TypeId`]s, and every setting to its value with the
//! defaults filled in.

use std::time::Duration;

use super::{BuiltinWorker, Expr, FailureClass, StateId, TransformerId, TypeId, Types, WorkerId};

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub types: Types,
    pub workers: Vec<Worker>,
    pub transformers: Vec<Transformer>,
    pub workflows: Vec<Workflow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: TypeId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Worker {
    pub name: String,
    pub params: Vec<Param>,
    /// The record of the parameters: what the executor receives.
    pub input: TypeId,
    pub output: TypeId,
    pub executor: Executor,
    /// How calls of this worker are made, before a state's overrides.
    pub call: CallSettings,
    /// At most this many calls of the worker at once in one process.
    pub concurrency: Option<u32>,
}

/// An executor and its settings, as expressions over the worker's
/// parameters (`Expr::Param`), where `env(...)` may be read.
#[derive(Debug, Clone, PartialEq)]
pub enum Executor {
    Exec {
        /// A list of strings.
        command: Expr,
        /// A record of strings.
        env: Option<Expr>,
        cwd: Option<Expr>,
    },
    Http {
        /// A string; its interpolations in the path and the query are
        /// percent-encoded when the address is built.
        url: Expr,
        method: HttpMethod,
        /// A record of strings.
        headers: Option<Expr>,
        /// A record of strings: query parameters, encoded and appended.
        query: Option<Expr>,
        /// The longest `Retry-After` the worker waits for
        /// ([`DEFAULT_MAX_RETRY_AFTER`] when it does not say).
        max_retry_after: Duration,
    },
    Llm {
        model: Expr,
        prompt: Expr,
        system: Option<Expr>,
        base_url: Option<Expr>,
        api_key: Option<Expr>,
        temperature: Option<Expr>,
    },
    Human {
        prompt: Expr,
    },
    Builtin(BuiltinWorker),
}

/// An HTTP method a worker may use (the checker accepts exactly these).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    /// The default: a worker sends its input.
    #[default]
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 5] = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    /// The name as written in a `.flow` file and on the wire: `"POST"`.
    pub fn name(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// The method named exactly `name` (upper case, as the checker demands).
    pub fn from_name(name: &str) -> Option<HttpMethod> {
        HttpMethod::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the input travels as a JSON body (all but `GET`).
    pub fn sends_body(self) -> bool {
        self != HttpMethod::Get
    }
}

/// 16 MiB: the largest output a worker may return when it does not say
/// (`max_output`).
pub const DEFAULT_MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// How long one attempt of an `http` worker may take when it does not say.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one attempt of an `llm` worker may take when it does not say.
pub const DEFAULT_LLM_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The longest `Retry-After` an `http` worker waits for when it does not
/// say (`max_retry_after`): a service asking for more fails the attempt.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// How many items of a `map` state run at once when it does not say.
pub const DEFAULT_MAP_CONCURRENCY: u32 = 16;

/// How one call is made: its timeout, retries and hooks.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSettings {
    /// `None`: no timeout.
    pub timeout: Option<Duration>,
    /// Whether `timeout` is the default of the worker's executor
    /// ([`DEFAULT_HTTP_TIMEOUT`], [`DEFAULT_LLM_TIMEOUT`]) rather than
    /// written in the file, so that a call stopped by it can say so.
    pub default_timeout: bool,
    /// Attempts after the first.
    pub retries: u32,
    pub backoff: Backoff,
    /// The classes that are retried.
    pub retry_on: Vec<FailureClass>,
    /// Input hooks, applied in order (the state's, then the worker's).
    pub before: Vec<TransformerId>,
    /// Output hooks, applied in order (the worker's, then the state's).
    pub after: Vec<TransformerId>,
    /// The largest output accepted, in bytes.
    pub max_output: usize,
}

/// Exponential backoff with full jitter: before retry `n` (from 1), wait a
/// random time between zero and `min(cap, first * 2^(n-1))`. A single
/// duration is `first == cap`, and is waited every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub cap: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transformer {
    pub name: String,
    pub params: Vec<Param>,
    pub output: TypeId,
    pub body: TransformerBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TransformerBody {
    /// One expression over the parameters.
    Pure(Expr),
    /// A hook program, its input the record of the parameters.
    External {
        command: Expr,
        env: Option<Expr>,
        cwd: Option<Expr>,
        timeout: Duration,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub name: String,
    pub params: Vec<Param>,
    /// The record of the parameters: what `--input` must fit.
    pub input: TypeId,
    pub output: TypeId,
    pub start: StateId,
    /// The most transitions one run may take.
    pub max_steps: u64,
    pub states: Vec<State>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub name: String,
    pub kind: StateKind,
    /// Entering the state for the `max_visits + 1`-th time fails it with
    /// class `limit`.
    pub max_visits: Option<u32>,
    /// Tried in order; the first that matches is taken.
    pub on_success: Vec<Transition>,
    pub on_failure: Vec<Transition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StateKind {
    Step(Call),
    Parallel {
        branches: Vec<Branch>,
        /// `None`: every branch at once.
        max_concurrency: Option<u32>,
    },
    /// The call runs once per element of `list`, with `Expr::Item` bound to
    /// the element in its arguments.
    Map {
        call: Call,
        list: Expr,
        /// At most this many items at once ([`DEFAULT_MAP_CONCURRENCY`]
        /// when the state does not say).
        max_concurrency: u32,
    },
    /// Ends the run; the value is its output.
    Succeed(Expr),
    /// Ends the run as failed; the value (a string) is the message.
    Fail(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub name: String,
    pub call: Call,
}

/// A call of a worker from a state: its arguments, in the order of the
/// worker's parameters, and the call settings with the state's overrides
/// applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub worker: WorkerId,
    pub args: Vec<Expr>,
    pub settings: CallSettings,
    /// The type of the value the state gets: the worker's output after its
    /// `after` hooks.
    pub value: TypeId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// For `on_failure`: the classes it applies to; empty means any.
    pub classes: Vec<FailureClass>,
    /// A `bool` expression; `None` always matches.
    pub condition: Option<Expr>,
    pub target: StateId,
}
