//! What one run shares among its states, branches and items: the program,
//! the sink, the secrets, the randomness and the executors.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use super::events::{self, Event, EventSink};
use super::limits::Limits;
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
    pub mocks: Arc<HashMap<WorkerId, Value>>,
    sink: &'a S,
    seq: AtomicU64,
    http: OnceLock<Result<HttpExecutor, String>>,
    llm: OnceLock<Result<LlmExecutor, String>>,
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
            mocks: options.mocks,
            sink,
            seq: AtomicU64::new(0),
            http,
            llm,
        }
    }

    /// Stamps the event with the run id, its sequence number and the time,
    /// hides the secrets in it, and hands it to the sink. Not an `async fn`:
    /// the stamping is synchronous, and the sink's future is returned as it
    /// is rather than the event being moved into one more future.
    pub fn emit(&self, mut event: Event) -> impl std::future::Future<Output = ()> + Send {
        event.run_id = self.run_id.clone();
        event.seq = self.seq.fetch_add(1, Ordering::Relaxed);
        event.ts = events::Timestamp::now();
        event.message = event.message.map(|m| self.secrets.mask(&m));
        event.log = event.log.map(|m| self.secrets.mask(&m));
        event.output = event.output.map(|v| self.secrets.mask_value(v));
        event.input = event.input.map(|v| self.secrets.mask_value(v));
        if let Some(error) = &mut event.error {
            error.message = self.secrets.mask(&error.message);
        }
        self.sink.emit(event)
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
