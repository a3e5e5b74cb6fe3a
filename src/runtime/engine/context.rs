//! What one run shares among its states, branches and items: the program,
//! the sink, the secrets, the randomness and the executors.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde_json::Value;

use super::events::{self, Event, EventKind, EventSink};
use super::limits::Limits;
use super::mock::{Mock, MockCalls};
use super::retry::Rng;
use super::secrets::Secrets;
use crate::ir::{Program, TransformerBody, TransformerId, WorkerId, Workflow};
use crate::runtime::eval::{self, EvalError, Scope, Transformers};
use crate::runtime::executor::http::HttpExecutor;
use crate::runtime::executor::llm::{Environment, LlmExecutor};

pub(super) struct Ctx<'a, S> {
    pub program: &'a Program,
    pub workflow: &'a Workflow,
    pub run_id: Arc<str>,
    /// The name of each state of the workflow, shared by its events.
    pub labels: Vec<Arc<str>>,
    pub secrets: Secrets,
    pub rng: Mutex<Rng>,
    pub env: Arc<dyn Environment>,
    pub limits: Limits,
    pub mocks: Arc<HashMap<WorkerId, Mock>>,
    /// The calls of each mocked worker so far in this run.
    pub mock_calls: MockCalls,
    /// Where the programs' relative paths start ([`super::RunOptions::base_dir`]).
    pub base_dir: Option<PathBuf>,
    sink: &'a S,
    seq: AtomicU64,
    /// The steps, branches and items started and not ended yet, by label:
    /// when the run is stopped, each of them ends with `step_cancelled`.
    open: Mutex<Vec<Arc<str>>>,
    clock: RunClock,
    http: OnceLock<Result<HttpExecutor, String>>,
    llm: OnceLock<Result<LlmExecutor, String>>,
}

/// The time of the run's events: the wall clock read once when the run
/// starts, then the monotonic clock. One reading per event (not one of
/// each clock), and the times of one run never go backwards when the wall
/// clock is adjusted during it.
struct RunClock {
    wall_ms: u64,
    start: Instant,
}

impl RunClock {
    fn start() -> Self {
        RunClock {
            wall_ms: events::now_millis(),
            start: Instant::now(),
        }
    }

    fn at(&self, at: Instant) -> events::Timestamp {
        // Seconds and milliseconds rather than `as_millis`, whose u128
        // arithmetic showed in profiles: this runs for every event.
        let since = at.saturating_duration_since(self.start);
        let millis = since
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(since.subsec_millis()));
        events::Timestamp(self.wall_ms.saturating_add(millis))
    }
}

/// The run's environment, shared with the llm executor.
struct SharedEnv(Arc<dyn Environment>);

impl Environment for SharedEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.var(name)
    }
}

impl<'a, S: EventSink> Ctx<'a, S> {
    pub fn new(
        program: &'a Program,
        workflow: &'a Workflow,
        run_id: Arc<str>,
        options: super::RunOptions,
        sink: &'a S,
    ) -> Self {
        let http = OnceLock::new();
        if let Some(client) = options.http {
            let _ = http.set(Ok(client));
        }
        let llm = OnceLock::new();
        if let Some(client) = options.llm {
            let _ = llm.set(Ok(client));
        }
        Ctx {
            program,
            workflow,
            run_id,
            labels: workflow
                .states
                .iter()
                .map(|s| Arc::from(s.name.as_str()))
                .collect(),
            secrets: Secrets::default(),
            rng: Mutex::new(Rng::new(options.seed.unwrap_or_else(super::fresh_seed))),
            env: options.env,
            limits: options.limits,
            mock_calls: if options.mocks.is_empty() {
                MockCalls::default()
            } else {
                MockCalls::new(program.workers.len())
            },
            mocks: options.mocks,
            base_dir: options.base_dir,
            sink,
            seq: AtomicU64::new(0),
            open: Mutex::new(Vec::new()),
            clock: RunClock::start(),
            http,
            llm,
        }
    }

    /// Stamps the event with the run id, its sequence number and the time,
    /// hides the secrets in it, and hands it to the sink. Not an `async fn`:
    /// the stamping is synchronous, and the sink's future is returned as it
    /// is rather than the event being moved into one more future.
    pub fn emit(&self, event: Event) -> impl std::future::Future<Output = ()> + Send {
        self.emit_at(event, Instant::now())
    }

    /// [`Ctx::emit`] for an event that happened at `at`, a reading of the
    /// clock the caller has anyway (the end of an attempt).
    pub fn emit_at(
        &self,
        mut event: Event,
        at: Instant,
    ) -> impl std::future::Future<Output = ()> + Send {
        self.track(&event);
        event.run_id = self.run_id.clone();
        event.seq = self.seq.fetch_add(1, Ordering::Relaxed);
        event.ts = self.clock.at(at);
        event.message = event.message.map(|m| self.secrets.mask_owned(m));
        event.log = event.log.map(|m| self.secrets.mask_owned(m));
        // `output` and `input` are data, which is never rewritten.
        if let Some(error) = &mut event.error {
            error.message = self.secrets.mask_owned(std::mem::take(&mut error.message));
        }
        self.sink.emit(event)
    }

    /// Keeps [`Ctx::open`] up to date: a start opens its label, an end
    /// closes the latest start of the same label.
    fn track(&self, event: &Event) {
        let Some(step) = &event.step else { return };
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        match event.event {
            EventKind::StepStarted => open.push(step.clone()),
            EventKind::StepSucceeded
            | EventKind::AttemptFailed
            | EventKind::StepFailed
            | EventKind::StepCancelled => {
                if let Some(at) = open.iter().rposition(|s| s == step) {
                    open.remove(at);
                }
            }
            _ => {}
        }
    }

    /// The labels started and not ended, in the order they started; the
    /// list is emptied.
    pub fn take_open(&self) -> Vec<Arc<str>> {
        std::mem::take(&mut *self.open.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn http(&self) -> Result<&HttpExecutor, String> {
        self.http
            .get_or_init(|| HttpExecutor::new().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn llm(&self) -> Result<&LlmExecutor, String> {
        self.llm
            .get_or_init(|| {
                LlmExecutor::with_environment(SharedEnv(self.env.clone()))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn jitter_rng(&self) -> std::sync::MutexGuard<'_, Rng> {
        self.rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Calls pure transformers from expressions.
pub(super) struct Pure<'a>(pub &'a Program);

impl Transformers for Pure<'_> {
    fn call(&self, transformer: TransformerId, args: Vec<Value>) -> Result<Value, EvalError> {
        let Some(t) = self.0.transformers.get(transformer.0 as usize) else {
            return Err(EvalError {
                message: format!("no transformer {} in this program", transformer.0),
            });
        };
        match &t.body {
            TransformerBody::Pure(body) => eval::eval(
                body,
                &Scope {
                    params: &args,
                    states: &[],
                    item: None,
                    error: None,
                    transformers: self,
                },
            ),
            TransformerBody::External { .. } => Err(EvalError {
                message: format!(
                    "the transformer `{}` runs a program, so it can be a hook but not be called in an expression",
                    t.name
                ),
            }),
        }
    }
}
