//! The `Invoke` seam: how a driver has an attempt or a hook program run.
//! [`Executors`] is the real one (the builtin, exec, http and llm
//! executors, worker `concurrency`, timeouts); tests may script workers in
//! process with their own.

use std::borrow::Cow;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use serde_json::{Map, Value};
use tracing::Instrument;

use crate::ir::{
    Call, Executor, FailureClass, Part, Program, TransformerBody, Type, Worker, Workflow,
};
use crate::runtime::engine::Limits;
use crate::runtime::engine::secrets::{Secrets, eval_setting};
use crate::runtime::eval::Scope;
use crate::runtime::executor::exec::{self, ExecSpec};
use crate::runtime::executor::http::{HttpExecutor, HttpSpec, UrlPiece, build_url};
use crate::runtime::executor::llm::{Environment, LlmExecutor, LlmSpec, OutputType};
use crate::runtime::executor::{CallMeta, Failure, Invocation, Output, builtin};
use crate::runtime::machine::call_at;
use crate::runtime::machine::protocol::{Attempt, HookRun, Question};
use crate::runtime::machine::show;
use crate::runtime::pure::Pure;
use crate::runtime::validate::{takes_null, validate};

/// A future an [`Invoke`] returns.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An attempt's outcome and how long it ran, in milliseconds.
pub type Attempted = (u64, Result<Output, Failure>);

/// Runs what a driver is asked to run. Every future is cancel-safe:
/// dropping it stops the work and tears down what it started.
pub trait Invoke: Sync {
    /// The attempt's outcome at once, for work that needs no waiting (a
    /// builtin worker with no timeout and no `concurrency` bound); the
    /// attempt back otherwise.
    fn now(&self, attempt: Attempt) -> Result<Attempted, Attempt>;

    /// The attempt, with the worker's output validated against its type.
    fn attempt(&self, attempt: Attempt) -> Pending<'_, Attempted>;

    /// A hook program, with its output validated against the hook's type.
    fn hook(&self, hook: HookRun) -> Pending<'_, Result<Output, Failure>>;

    /// The prompt of a `human` worker's question, rendered with the
    /// call's input. A prompt that cannot be rendered (an `env()` that is
    /// not set) fails the call as a worker's setting would.
    fn prompt(&self, question: &Question) -> Result<String, Failure> {
        Err(Failure::new(
            FailureClass::Worker,
            format!(
                "`{}` asks a person, which this driver cannot do",
                question.step
            ),
        ))
    }
}

/// The real executors of a run.
pub struct Executors<'a> {
    program: &'a Program,
    workflow: &'a Workflow,
    run_id: Arc<str>,
    env: Arc<dyn Environment>,
    secrets: &'a Secrets,
    limits: Limits,
    /// Where the programs' relative paths start
    /// ([`crate::runtime::engine::RunOptions::base_dir`]).
    base_dir: Option<PathBuf>,
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

/// What [`Executors`] is made of.
pub struct ExecutorsSetup {
    pub run_id: Arc<str>,
    pub env: Arc<dyn Environment>,
    pub limits: Limits,
    pub base_dir: Option<PathBuf>,
    pub http: Option<HttpExecutor>,
    pub llm: Option<LlmExecutor>,
}

impl ExecutorsSetup {
    /// The executors' part of a run's options.
    pub fn from_options(run_id: Arc<str>, options: crate::runtime::engine::RunOptions) -> Self {
        ExecutorsSetup {
            run_id,
            env: options.env,
            limits: options.limits,
            base_dir: options.base_dir,
            http: options.http,
            llm: options.llm,
        }
    }
}

impl<'a> Executors<'a> {
    pub fn new(
        program: &'a Program,
        workflow: &'a Workflow,
        secrets: &'a Secrets,
        setup: ExecutorsSetup,
    ) -> Self {
        let http = OnceLock::new();
        if let Some(client) = setup.http {
            let _ = http.set(Ok(client));
        }
        let llm = OnceLock::new();
        if let Some(client) = setup.llm {
            let _ = llm.set(Ok(client));
        }
        Executors {
            program,
            workflow,
            run_id: setup.run_id,
            env: setup.env,
            secrets,
            limits: setup.limits,
            base_dir: setup.base_dir,
            http,
            llm,
        }
    }

    fn http(&self) -> Result<&HttpExecutor, String> {
        self.http
            .get_or_init(|| HttpExecutor::new().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn llm(&self) -> Result<&LlmExecutor, String> {
        self.llm
            .get_or_init(|| {
                LlmExecutor::with_environment(SharedEnv(self.env.clone()))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn meta(&self, step: &str, visit: u32, attempt: u32) -> CallMeta {
        CallMeta {
            run_id: self.run_id.to_string(),
            step: step.to_owned(),
            attempt,
            idempotency_key: format!("{}:{step}:{visit}", self.run_id),
        }
    }

    fn parts(&self, attempt: &Attempt) -> Result<(&'a Call, &'a Worker), Failure> {
        let program = self.program;
        let call = call_at(self.workflow, attempt.site);
        let worker = program.workers.get(attempt.worker.0 as usize);
        match (call, worker) {
            (Some(call), Some(worker)) => Ok((call, worker)),
            _ => Err(Failure::new(
                FailureClass::Worker,
                "the call names no worker of the program",
            )),
        }
    }

    async fn run_attempt(&self, attempt: Attempt) -> Attempted {
        let (call, worker) = match self.parts(&attempt) {
            Ok(parts) => parts,
            Err(failure) => return (0, Err(failure)),
        };
        // The worker's `concurrency` slot is held for the attempt only, not
        // while waiting to retry; the timeout starts once the slot is had.
        let slot = self.limits.acquire(worker).await;
        let started = Instant::now();
        let meta = self.meta(&attempt.step, attempt.visit, attempt.attempt);
        let span = tracing::info_span!("attempt", step = &*attempt.step, attempt = attempt.attempt);
        let result = self
            .attempt_once(worker, call, &attempt.input, &meta)
            .instrument(span)
            .await;
        let took = started.elapsed().as_millis() as u64;
        drop(slot);
        (took, result)
    }

    /// One attempt: the executor under the timeout, and the output
    /// validated against the worker's type.
    async fn attempt_once(
        &self,
        worker: &Worker,
        call: &Call,
        input: &Value,
        meta: &CallMeta,
    ) -> Result<Output, Failure> {
        // The processes of the attempt, which an output that does not fit
        // its type must also outlast: a retry never runs beside them.
        let teardowns = exec::Teardowns::default();
        let output = self
            .execute_within(worker, input, meta, call, &teardowns)
            .await?;
        match validate(output.value, worker.output, &self.program.types) {
            Ok(value) => Ok(Output {
                value,
                log: output.log,
                usage: output.usage,
            }),
            // A failure after the worker ran keeps what it wrote to its
            // log, and the tokens it spent.
            Err(m) => {
                teardowns.settled().await;
                Err(Failure {
                    log: output.log,
                    usage: output.usage,
                    ..Failure::new(
                        FailureClass::Output,
                        format!("the output of `{}` does not fit its type: {m}", worker.name),
                    )
                })
            }
        }
    }

    /// The executor's call under the call's timeout, if it has one.
    async fn execute_within(
        &self,
        worker: &Worker,
        input: &Value,
        meta: &CallMeta,
        call: &Call,
        teardowns: &exec::Teardowns,
    ) -> Result<Output, Failure> {
        let settings = &call.settings;
        // The attempt ends only when the processes it started are gone: a
        // failed or timed-out attempt waits for them (SIGKILL after the
        // grace period included), so that a retry never runs beside them.
        let work = self.execute(worker, input, meta, settings.max_output, teardowns);
        let Some(limit) = settings.timeout else {
            return match work.await {
                Ok(output) => Ok(output),
                Err(failure) => {
                    teardowns.settled().await;
                    Err(failure)
                }
            };
        };
        match tokio::time::timeout(limit, work).await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(failure)) => {
                teardowns.settled().await;
                Err(failure)
            }
            Err(_) => {
                teardowns.settled().await;
                // A default the file does not show is named, with the way
                // to change it.
                let default = match (&worker.executor, settings.default_timeout) {
                    (Executor::Http { .. }, true) => " (the default for `http` workers)",
                    (Executor::Llm { .. }, true) => " (the default for `llm` workers)",
                    _ => "",
                };
                let help = if default.is_empty() {
                    ""
                } else {
                    "; set `timeout` on the worker or the state to allow longer"
                };
                Err(Failure::new(
                    FailureClass::Timeout,
                    format!(
                        "`{}` did not finish within its timeout of {}{default}{help}",
                        worker.name,
                        show(limit)
                    ),
                ))
            }
        }
    }

    /// Makes the call with the worker's executor, its settings evaluated
    /// over the worker's parameters.
    async fn execute(
        &self,
        worker: &Worker,
        input: &Value,
        meta: &CallMeta,
        max_output: usize,
        teardowns: &exec::Teardowns,
    ) -> Result<Output, Failure> {
        let wants_string = matches!(self.program.types.resolve(worker.output), Type::String);
        let inv = Invocation {
            input,
            meta,
            max_output,
            wants_string,
        };
        let params = param_values(worker, input);
        let setting = |expr: &crate::ir::Expr, what: &str| {
            let pure = Pure(self.program);
            let scope = Scope {
                params: &params,
                states: &[],
                item: None,
                error: None,
                transformers: &pure,
            };
            eval_setting(expr, &scope, self.env.as_ref(), self.secrets).map_err(|m| {
                Failure::new(
                    FailureClass::Worker,
                    format!("the `{what}` setting of `{}`: {m}", worker.name),
                )
            })
        };
        match &worker.executor {
            Executor::Builtin(which) => builtin::call(*which, &inv),
            Executor::Exec { command, env, cwd } => {
                let spec = exec_spec(
                    setting(command, "command")?,
                    env.as_ref().map(|e| setting(e, "env")).transpose()?,
                    cwd.as_ref().map(|e| setting(e, "cwd")).transpose()?,
                    self.base_dir.as_deref(),
                );
                exec::call_in(&spec, &inv, teardowns).await
            }
            Executor::Http {
                url,
                method,
                headers,
                query,
                max_retry_after,
            } => {
                // Each interpolated value is kept apart from the text
                // around it, so that the address can encode it for where it
                // lands.
                let pieces = match url {
                    crate::ir::Expr::Interp(parts) => parts
                        .iter()
                        .map(|part| match part {
                            Part::Text(t) => Ok(UrlPiece::Written(t.clone())),
                            Part::Value(e) => setting(e, "url").map(|v| UrlPiece::Value(text(v))),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    whole => vec![UrlPiece::Written(text(setting(whole, "url")?))],
                };
                let query = pairs(query.as_ref().map(|q| setting(q, "query")).transpose()?);
                let spec = HttpSpec {
                    url: build_url(&pieces, &query).map_err(|m| {
                        Failure::new(
                            FailureClass::Worker,
                            format!("the `url` setting of `{}`: {m}", worker.name),
                        )
                    })?,
                    method: *method,
                    headers: pairs(
                        headers
                            .as_ref()
                            .map(|h| setting(h, "headers"))
                            .transpose()?,
                    ),
                    max_retry_after: *max_retry_after,
                    empty_is_null: takes_null(worker.output, &self.program.types),
                };
                let client = self
                    .http()
                    .map_err(|m| Failure::new(FailureClass::Worker, m))?;
                client.call(&spec, &inv).await
            }
            Executor::Llm {
                model,
                prompt,
                system,
                base_url,
                api_key,
                temperature,
            } => {
                let optional = |e: &Option<crate::ir::Expr>, what| {
                    e.as_ref().map(|e| setting(e, what).map(text)).transpose()
                };
                let spec = LlmSpec {
                    model: text(setting(model, "model")?),
                    prompt: text(setting(prompt, "prompt")?),
                    system: optional(system, "system")?,
                    base_url: optional(base_url, "base_url")?,
                    api_key: optional(api_key, "api_key")?,
                    temperature: temperature
                        .as_ref()
                        .map(|e| setting(e, "temperature"))
                        .transpose()?
                        .and_then(|v| v.as_f64()),
                };
                let client = self
                    .llm()
                    .map_err(|m| Failure::new(FailureClass::Worker, m))?;
                let output = OutputType {
                    ty: worker.output,
                    types: &self.program.types,
                };
                client.call(&spec, output, &inv).await
            }
            Executor::Human { .. } => Err(Failure::new(
                FailureClass::Worker,
                format!(
                    "`{}` asks a person, which needs the run store; this run has none",
                    worker.name
                ),
            )),
        }
    }

    /// A hook program under its timeout, its output validated against the
    /// transformer's type, with what it wrote to stderr. The machine names
    /// the hook in the failure.
    async fn run_hook(&self, hook: HookRun) -> Result<Output, Failure> {
        let Some(t) = self.program.transformers.get(hook.hook.0 as usize) else {
            return Err(Failure::new(
                FailureClass::Worker,
                "the hook names no transformer of the program",
            ));
        };
        let TransformerBody::External {
            command,
            env,
            cwd,
            timeout,
        } = &t.body
        else {
            return Err(Failure::new(
                FailureClass::Worker,
                format!("the hook `{}` runs no program", t.name),
            ));
        };
        let args = [hook.value];
        let spec = {
            let pure = Pure(self.program);
            let scope = Scope {
                params: &args,
                states: &[],
                item: None,
                error: None,
                transformers: &pure,
            };
            let setting = |e: &crate::ir::Expr| {
                eval_setting(e, &scope, self.env.as_ref(), self.secrets)
                    .map_err(|m| Failure::new(FailureClass::Worker, m))
            };
            exec_spec(
                setting(command)?,
                env.as_ref().map(setting).transpose()?,
                cwd.as_ref().map(setting).transpose()?,
                self.base_dir.as_deref(),
            )
        };
        let [value] = args;
        let mut record = Map::new();
        if let Some(param) = t.params.first() {
            record.insert(param.name.clone(), value);
        }
        let input = Value::Object(record);
        let meta = self.meta(&hook.step, hook.visit, hook.attempt);
        let inv = Invocation {
            input: &input,
            meta: &meta,
            max_output: crate::ir::DEFAULT_MAX_OUTPUT,
            wants_string: matches!(self.program.types.resolve(t.output), Type::String),
        };
        // As for a worker: the hook's failure is reported once its
        // processes are gone.
        let teardowns = exec::Teardowns::default();
        let work = exec::call_in(&spec, &inv, &teardowns);
        let output = match tokio::time::timeout(*timeout, work).await {
            Ok(Ok(output)) => output,
            Ok(Err(failure)) => {
                teardowns.settled().await;
                return Err(failure);
            }
            Err(_) => {
                teardowns.settled().await;
                return Err(Failure::new(
                    FailureClass::Timeout,
                    format!("it did not finish within its timeout of {}", show(*timeout)),
                ));
            }
        };
        match validate(output.value, t.output, &self.program.types) {
            Ok(value) => Ok(Output {
                value,
                log: output.log,
                usage: None,
            }),
            Err(m) => Err(Failure {
                log: output.log,
                ..Failure::new(
                    FailureClass::Output,
                    format!("its output does not fit its type: {m}"),
                )
            }),
        }
    }
}

impl Invoke for Executors<'_> {
    fn now(&self, attempt: Attempt) -> Result<Attempted, Attempt> {
        let Ok((call, worker)) = self.parts(&attempt) else {
            return Err(attempt);
        };
        // A builtin worker is done at once: called directly, without a
        // future, a slot or the call's metadata (which it never reads).
        let Executor::Builtin(which) = worker.executor else {
            return Err(attempt);
        };
        if call.settings.timeout.is_some() || worker.concurrency.is_some() {
            return Err(attempt);
        }
        let started = Instant::now();
        let result =
            builtin::call_with(which, Cow::Owned(attempt.input)).and_then(|output| match validate(
                output.value,
                worker.output,
                &self.program.types,
            ) {
                Ok(value) => Ok(Output { value, ..output }),
                Err(m) => Err(Failure::new(
                    FailureClass::Output,
                    format!("the output of `{}` does not fit its type: {m}", worker.name),
                )),
            });
        Ok((started.elapsed().as_millis() as u64, result))
    }

    fn attempt(&self, attempt: Attempt) -> Pending<'_, Attempted> {
        Box::pin(self.run_attempt(attempt))
    }

    fn hook(&self, hook: HookRun) -> Pending<'_, Result<Output, Failure>> {
        Box::pin(self.run_hook(hook))
    }

    fn prompt(&self, question: &Question) -> Result<String, Failure> {
        render_prompt(self.program, question, self.env.as_ref(), self.secrets)
    }
}

/// The prompt of a `human` worker's question, rendered with the call's
/// input and masked: what `flow run` shows the person and `flow status`
/// shows again.
pub fn render_prompt(
    program: &Program,
    question: &Question,
    env: &dyn Environment,
    secrets: &Secrets,
) -> Result<String, Failure> {
    let Some(worker) = program.workers.get(question.worker.0 as usize) else {
        return Err(Failure::new(
            FailureClass::Worker,
            "the question names no worker of the program",
        ));
    };
    let Executor::Human { prompt } = &worker.executor else {
        return Err(Failure::new(
            FailureClass::Worker,
            format!("`{}` does not ask a person", worker.name),
        ));
    };
    let params = param_values(worker, &question.input);
    let pure = Pure(program);
    let scope = Scope {
        params: &params,
        states: &[],
        item: None,
        error: None,
        transformers: &pure,
    };
    eval_setting(prompt, &scope, env, secrets)
        .map(|value| secrets.mask_owned(text(value)))
        .map_err(|m| {
            Failure::new(
                FailureClass::Worker,
                format!("the `prompt` setting of `{}`: {m}", worker.name),
            )
        })
}

/// A string setting; the checker has proven the type, and anything else
/// is shown as JSON rather than lost.
fn text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A record-of-strings setting as name-value pairs, in order.
fn pairs(value: Option<Value>) -> Vec<(String, String)> {
    match value {
        Some(Value::Object(map)) => map.into_iter().map(|(k, v)| (k, text(v))).collect(),
        _ => Vec::new(),
    }
}

/// The values of the worker's parameters, in order, from its input record.
fn param_values(worker: &Worker, input: &Value) -> Vec<Value> {
    worker
        .params
        .iter()
        .map(|p| input.get(&p.name).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The evaluated settings of a program; its working directory is `cwd`
/// relative to `base` (the directory of the `.flow` file), or `base` itself
/// when the worker sets none.
fn exec_spec(
    command: Value,
    env: Option<Value>,
    cwd: Option<Value>,
    base: Option<&Path>,
) -> ExecSpec {
    let command = match command {
        Value::Array(words) => words.into_iter().map(text).collect(),
        other => vec![text(other)],
    };
    let cwd = cwd.map(|c| PathBuf::from(text(c)));
    let cwd = match (base, cwd) {
        // `join` keeps an absolute `cwd` as it is.
        (Some(base), Some(cwd)) => Some(base.join(cwd)),
        (Some(base), None) => Some(base.to_path_buf()),
        (None, cwd) => cwd,
    };
    ExecSpec {
        command,
        env: pairs(env),
        cwd,
    }
}
