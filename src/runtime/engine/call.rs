//! One call of a worker from a state (or a branch, or an item): its
//! arguments, `before` hooks, attempts with their timeout, output
//! validation and `after` hooks, and the retries between attempts.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tracing::Instrument;

use super::context::{Ctx, Pure};
use super::events::{Event, EventKind, HookFailure, HookPlace};
use super::mock::MockOutcome;
use super::retry;
use super::secrets::eval_setting;
use crate::ir::{Call, Executor, FailureClass, Part, TransformerBody, TransformerId, Type, Worker};
use crate::runtime::eval::{self, Scope};
use crate::runtime::executor::exec::{self, ExecSpec};
use crate::runtime::executor::http::{HttpSpec, UrlPiece, build_url};
use crate::runtime::executor::llm::{LlmSpec, OutputType};
use crate::runtime::executor::{CallMeta, Failure, Invocation, Output, builtin};
use crate::runtime::validate::{takes_null, validate};

/// Why a call failed, after its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failed {
    pub class: FailureClass,
    pub message: String,
    pub attempts: u32,
}

/// What the arguments of a call may name.
#[derive(Clone, Copy)]
pub(super) struct Names<'v> {
    pub params: &'v [Value],
    pub states: &'v [Option<Arc<Value>>],
    pub item: Option<&'v Value>,
    /// `error`: the failure routed most recently, `None` before any was.
    pub error: Option<&'v Value>,
}

/// Runs `call` for one visit of a state; `label` names it in events and
/// in the idempotency key (`state`, `state.branch`, `state[3]`).
pub(super) async fn run<S: super::EventSink>(
    cx: &Ctx<'_, S>,
    label: &Arc<str>,
    call: &Call,
    names: Names<'_>,
    visit: u32,
) -> Result<Arc<Value>, Failed> {
    let Some(worker) = cx.program.workers.get(call.worker.0 as usize) else {
        return Err(failed(
            FailureClass::Worker,
            "the call names no worker of the program",
            0,
        ));
    };
    let mut input =
        arguments(cx, worker, call, &names).map_err(|m| failed(FailureClass::Worker, m, 0))?;
    let settings = &call.settings;
    // Builtin workers never read the call's metadata, so a call of one with
    // no hooks skips building it (the idempotency key is a `format!` per
    // attempt); every executor or hook that may read it gets it whole.
    let wants_meta = !matches!(worker.executor, Executor::Builtin(_))
        || !settings.before.is_empty()
        || !settings.after.is_empty();
    let meta = |attempt| {
        if wants_meta {
            CallMeta {
                run_id: cx.run_id.to_string(),
                step: label.to_string(),
                attempt,
                idempotency_key: format!("{}:{label}:{visit}", cx.run_id),
            }
        } else {
            CallMeta {
                run_id: String::new(),
                step: String::new(),
                attempt,
                idempotency_key: String::new(),
            }
        }
    };
    let mocked = cx.mocks.contains_key(&call.worker);
    let before: &[_] = if mocked { &[] } else { &settings.before };
    // What the hooks write to their logs (a hook program's stderr) goes
    // into the call's events with the worker's own.
    let mut hook_log = String::new();
    for hook in before {
        // Hooks are rare: boxed, so that their future does not grow the
        // future of every call.
        match Box::pin(apply_hook(cx, *hook, input, &meta(1))).await {
            Ok(output) => {
                input = output.value;
                append_log(&mut hook_log, &output.log);
            }
            Err(failure) => {
                let failed = HookFailed {
                    place: HookPlace::Before,
                    hook: *hook,
                    failure,
                    attempts: 0,
                };
                return Err(failed.report(cx, label, hook_log).await);
            }
        }
    }
    let mut input = match super::fence::worker_input(worker, input, &cx.program.types) {
        Ok(input) => input,
        Err(message) => {
            // No attempt was made: the step's end has no attempt number.
            let message = cx.secrets.mask(&message);
            let mut event = Event::of_step(EventKind::StepFailed, label, None);
            event.class = Some(FailureClass::Worker);
            event.message = Some(message.clone());
            cx.emit(event).await;
            return Err(failed(FailureClass::Worker, message, 0));
        }
    };
    let attempts = settings.retries.saturating_add(1);
    for attempt in 1..=attempts {
        // The worker's `concurrency` slot is held for the attempt only, not
        // while waiting to retry; the timeout starts once the slot is had.
        let slot = cx.limits.acquire(worker).await;
        cx.emit(Event::of_step(EventKind::StepStarted, label, Some(attempt)))
            .await;
        let started = Instant::now();
        let meta = meta(attempt);
        let span = tracing::info_span!("attempt", step = &**label, attempt);
        // The last attempt may have the input itself, so that `echo` need
        // not copy it; earlier ones lend it, since a retry needs it again.
        let lent = if attempt == attempts {
            Cow::Owned(std::mem::take(&mut input))
        } else {
            Cow::Borrowed(&input)
        };
        let result = attempt_once(cx, worker, call, lent, &meta)
            .instrument(span.clone())
            .await;
        let ended = Instant::now();
        let took = Some(ended.saturating_duration_since(started).as_millis() as u64);
        drop(slot);
        match result {
            Ok(Output {
                mut value,
                log: worker_log,
                usage,
            }) => {
                let mut log = if hook_log.is_empty() {
                    worker_log
                } else {
                    let mut log = std::mem::take(&mut hook_log);
                    append_log(&mut log, &worker_log);
                    log
                };
                // The `after` hooks shape the output that succeeded; one
                // that fails fails the call without running the worker
                // again.
                for hook in &settings.after {
                    match Box::pin(apply_hook(cx, *hook, value, &meta)).await {
                        Ok(output) => {
                            value = output.value;
                            append_log(&mut log, &output.log);
                        }
                        Err(failure) => {
                            let failed = HookFailed {
                                place: HookPlace::After,
                                hook: *hook,
                                failure,
                                attempts: attempt,
                            };
                            return Err(failed.report(cx, label, log).await);
                        }
                    }
                }
                let at = if settings.after.is_empty() {
                    ended
                } else {
                    Instant::now()
                };
                let value = Arc::new(value);
                let mut event = Event::of_step(EventKind::StepSucceeded, label, Some(attempt));
                event.duration_ms = took;
                event.output = Some(value.clone());
                event.log = (!log.is_empty()).then_some(log);
                event.usage = usage;
                cx.emit_at(event, at).await;
                return Ok(value);
            }
            Err(failure) => {
                let message = cx.secrets.mask(&failure.message);
                span.in_scope(|| {
                    tracing::debug!(class = %failure.class, message = %message, "attempt failed");
                });
                let mut event = Event::of_step(EventKind::AttemptFailed, label, Some(attempt));
                event.class = Some(failure.class);
                event.message = Some(message.clone());
                event.duration_ms = took;
                let mut log = hook_log.clone();
                append_log(&mut log, &failure.log);
                event.log = (!log.is_empty()).then_some(log);
                event.usage = failure.usage;
                cx.emit_at(event, ended).await;
                if attempt < attempts && settings.retry_on.contains(&failure.class) {
                    let wait = retry::delay(
                        settings.backoff,
                        attempt,
                        failure.retry_after,
                        &mut cx.jitter_rng(),
                    );
                    let mut event =
                        Event::of_step(EventKind::RetryScheduled, label, Some(attempt + 1));
                    event.class = Some(failure.class);
                    event.message = Some(message);
                    event.delay_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
                    event.max_attempts = Some(attempts);
                    cx.emit(event).await;
                    Box::pin(tokio::time::sleep(wait)).await;
                    continue;
                }
                let mut event = Event::of_step(EventKind::StepFailed, label, Some(attempt));
                event.class = Some(failure.class);
                event.message = Some(message.clone());
                cx.emit(event).await;
                return Err(failed(failure.class, message, attempt));
            }
        }
    }
    // `attempts` is at least one, so the loop returned.
    Err(failed(FailureClass::Worker, "the call made no attempt", 0))
}

/// Appends one log to another, on a line of its own.
fn append_log(log: &mut String, more: &str) {
    if more.is_empty() {
        return;
    }
    if !log.is_empty() && !log.ends_with('\n') {
        log.push('\n');
    }
    log.push_str(more);
}

/// A hook that failed a call.
struct HookFailed {
    place: HookPlace,
    hook: TransformerId,
    failure: Failure,
    /// The attempts of the worker made before it (none for a `before`
    /// hook).
    attempts: u32,
}

impl HookFailed {
    /// Emits the call's `step_failed`, naming the hook, with the logs so
    /// far and the hook's own, and gives the call's failure.
    async fn report<S: super::EventSink>(
        self,
        cx: &Ctx<'_, S>,
        label: &Arc<str>,
        mut log: String,
    ) -> Failed {
        let name = cx
            .program
            .transformers
            .get(self.hook.0 as usize)
            .map_or_else(|| format!("#{}", self.hook.0), |t| t.name.clone());
        let message = cx.secrets.mask(&format!(
            "the `{}` hook `{name}` failed: {}",
            self.place, self.failure.message
        ));
        append_log(&mut log, &self.failure.log);
        let attempt = (self.attempts > 0).then_some(self.attempts);
        let mut event = Event::of_step(EventKind::StepFailed, label, attempt);
        event.class = Some(self.failure.class);
        event.message = Some(message.clone());
        event.log = (!log.is_empty()).then_some(log);
        event.hook = Some(Box::new(HookFailure {
            place: self.place,
            name,
        }));
        cx.emit(event).await;
        failed(self.failure.class, message, self.attempts)
    }
}

fn failed(class: FailureClass, message: impl Into<String>, attempts: u32) -> Failed {
    Failed {
        class,
        message: message.into(),
        attempts,
    }
}

/// The worker's input record, from the call's arguments.
fn arguments<S>(
    cx: &Ctx<'_, S>,
    worker: &Worker,
    call: &Call,
    names: &Names<'_>,
) -> Result<Value, String> {
    let pure = Pure(cx.program);
    let scope = Scope {
        params: names.params,
        states: names.states,
        item: names.item,
        error: names.error,
        transformers: &pure,
    };
    let mut record = Map::new();
    for (param, arg) in worker.params.iter().zip(&call.args) {
        let value = eval::eval(arg, &scope)
            .map_err(|e| format!("the argument `{}` of `{}`: {e}", param.name, worker.name))?;
        record.insert(param.name.clone(), value);
    }
    Ok(Value::Object(record))
}

/// One attempt: the executor under the timeout (or the mock's next
/// outcome), and the output validated against the worker's type.
async fn attempt_once<S: super::EventSink>(
    cx: &Ctx<'_, S>,
    worker: &Worker,
    call: &Call,
    input: Cow<'_, Value>,
    meta: &CallMeta,
) -> Result<Output, Failure> {
    let settings = &call.settings;
    let mock = cx.mocks.get(&call.worker);
    // The processes of the attempt, which an output that does not fit its
    // type must also outlast: a retry never runs beside them.
    let mut teardowns = None;
    let output = match (&worker.executor, settings.timeout, mock) {
        // A mocked worker's outcome is the next of its list: nothing runs.
        (_, _, Some(mock)) => match mock.outcome(cx.mock_calls.next(call.worker.0 as usize)) {
            MockOutcome::Output(value) => Output {
                value: value.clone(),
                log: String::new(),
                usage: None,
            },
            MockOutcome::Fail { class, message } => {
                return Err(Failure::new(*class, message.clone()));
            }
        },
        // A builtin worker is done at once: called directly, so that the
        // common future does not hold the executors' large ones.
        (Executor::Builtin(which), None, None) => builtin::call_with(*which, input)?,
        _ => {
            let teardowns = teardowns.insert(exec::Teardowns::default());
            Box::pin(execute_within(cx, worker, &input, meta, call, teardowns)).await?
        }
    };
    let log = output.log;
    let usage = output.usage;
    let value = match validate(output.value, worker.output, &cx.program.types) {
        Ok(value) => value,
        // A failure after the worker ran keeps what it wrote to its log,
        // and the tokens it spent.
        Err(m) => {
            if let Some(teardowns) = &teardowns {
                teardowns.settled().await;
            }
            return Err(Failure {
                log,
                usage,
                ..Failure::new(
                    FailureClass::Output,
                    format!("the output of `{}` does not fit its type: {m}", worker.name),
                )
            });
        }
    };
    Ok(Output { value, log, usage })
}

/// The executor's call under the call's timeout, if it has one.
async fn execute_within<S: super::EventSink>(
    cx: &Ctx<'_, S>,
    worker: &Worker,
    input: &Value,
    meta: &CallMeta,
    call: &Call,
    teardowns: &exec::Teardowns,
) -> Result<Output, Failure> {
    let settings = &call.settings;
    // The attempt ends only when the processes it started are gone: a
    // failed or timed-out attempt waits for them (SIGKILL after the grace
    // period included), so that a retry never runs beside them.
    let work = execute(cx, worker, input, meta, settings.max_output, teardowns);
    let output = match settings.timeout {
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(Ok(output)) => output,
            Ok(Err(failure)) => {
                teardowns.settled().await;
                return Err(failure);
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
                return Err(Failure::new(
                    FailureClass::Timeout,
                    format!(
                        "`{}` did not finish within its timeout of {}{default}{help}",
                        worker.name,
                        show(limit)
                    ),
                ));
            }
        },
        None => match work.await {
            Ok(output) => output,
            Err(failure) => {
                teardowns.settled().await;
                return Err(failure);
            }
        },
    };
    Ok(output)
}

/// A duration as written in a `.flow` file, near enough: `10m`, `30s`,
/// `1.5s`, `250ms`.
fn show(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_millis() == 0 && secs > 0 {
        match (secs % 3600, secs % 60) {
            (0, _) => format!("{}h", secs / 3600),
            (_, 0) => format!("{}m", secs / 60),
            _ => format!("{secs}s"),
        }
    } else if secs > 0 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
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

/// Makes the call with the worker's executor, its settings evaluated over
/// the worker's parameters.
async fn execute<S: super::EventSink>(
    cx: &Ctx<'_, S>,
    worker: &Worker,
    input: &Value,
    meta: &CallMeta,
    max_output: usize,
    teardowns: &exec::Teardowns,
) -> Result<Output, Failure> {
    let wants_string = matches!(cx.program.types.resolve(worker.output), Type::String);
    let inv = Invocation {
        input,
        meta,
        max_output,
        wants_string,
    };
    let params = param_values(worker, input);
    let setting = |expr: &crate::ir::Expr, what: &str| {
        let pure = Pure(cx.program);
        let scope = Scope {
            params: &params,
            states: &[],
            item: None,
            error: None,
            transformers: &pure,
        };
        eval_setting(expr, &scope, cx.env.as_ref(), &cx.secrets).map_err(|m| {
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
                cx.base_dir.as_deref(),
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
            // Each interpolated value is kept apart from the text around
            // it, so that the address can encode it for where it lands.
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
                empty_is_null: takes_null(worker.output, &cx.program.types),
            };
            let client = cx
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
            let client = cx
                .llm()
                .map_err(|m| Failure::new(FailureClass::Worker, m))?;
            let output = OutputType {
                ty: worker.output,
                types: &cx.program.types,
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

/// Applies a hook: a pure transformer's body, or a hook program under its
/// timeout, whose output is validated against the transformer's type; the
/// value and what the program wrote to stderr. The caller names the hook in
/// the failure.
async fn apply_hook<S: super::EventSink>(
    cx: &Ctx<'_, S>,
    hook: TransformerId,
    value: Value,
    meta: &CallMeta,
) -> Result<Output, Failure> {
    let Some(t) = cx.program.transformers.get(hook.0 as usize) else {
        return Err(Failure::new(
            FailureClass::Worker,
            "the hook names no transformer of the program",
        ));
    };
    let value = super::fence::hook_input(t, value, &cx.program.types)
        .map_err(|m| Failure::new(FailureClass::Worker, m))?;
    let args = [value];
    let pure = Pure(cx.program);
    match &t.body {
        TransformerBody::Pure(body) => {
            let scope = Scope {
                params: &args,
                states: &[],
                item: None,
                error: None,
                transformers: &pure,
            };
            eval::eval(body, &scope)
                .map(|value| Output {
                    value,
                    log: String::new(),
                    usage: None,
                })
                .map_err(|e| Failure::new(FailureClass::Worker, e.to_string()))
        }
        TransformerBody::External {
            command,
            env,
            cwd,
            timeout,
        } => {
            let spec = {
                let scope = Scope {
                    params: &args,
                    states: &[],
                    item: None,
                    error: None,
                    transformers: &pure,
                };
                let setting = |e: &crate::ir::Expr| {
                    eval_setting(e, &scope, cx.env.as_ref(), &cx.secrets)
                        .map_err(|m| Failure::new(FailureClass::Worker, m))
                };
                exec_spec(
                    setting(command)?,
                    env.as_ref().map(setting).transpose()?,
                    cwd.as_ref().map(setting).transpose()?,
                    cx.base_dir.as_deref(),
                )
            };
            let mut record = Map::new();
            if let (Some(param), [value]) = (t.params.first(), &args) {
                record.insert(param.name.clone(), value.clone());
            }
            let input = Value::Object(record);
            let inv = Invocation {
                input: &input,
                meta,
                max_output: crate::ir::DEFAULT_MAX_OUTPUT,
                wants_string: matches!(cx.program.types.resolve(t.output), Type::String),
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
            match validate(output.value, t.output, &cx.program.types) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_shown_as_written() {
        let shown = |ms| show(Duration::from_millis(ms));
        assert_eq!(shown(250), "250ms");
        assert_eq!(shown(1500), "1.5s");
        assert_eq!(shown(30_000), "30s");
        assert_eq!(shown(60_000), "1m");
        assert_eq!(shown(90_000), "90s");
        assert_eq!(shown(600_000), "10m");
        assert_eq!(shown(7_200_000), "2h");
    }
}
