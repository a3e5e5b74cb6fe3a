//! One call of a worker for a state, a branch or an item: its arguments,
//! `before` hooks, the input fence, attempts, retries and their backoff,
//! `after` hooks. A call is a [`Frame`] that moves through its [`Phase`]s;
//! whenever it needs the outside world (an attempt, a hook program, a
//! timer, a person) it leaves a command and waits in that phase.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::protocol::{Attempt, HookRun, Question};
use super::{CallId, CallSite, Command, Failed, Machine, failed};
use crate::ir::{
    Call, Executor, FailureClass, StateKind, TransformerBody, TransformerId, Worker, WorkerId,
    Workflow,
};
use crate::runtime::engine::events::Usage;
use crate::runtime::engine::{HookFailure, HookPlace, MockOutcome, StepRef, What, fence, retry};
use crate::runtime::eval::{self, Scope};
use crate::runtime::executor::{Failure, Output};
use crate::runtime::pure::Pure;
use crate::runtime::validate::validate;

/// A call under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Frame {
    pub id: CallId,
    pub site: CallSite,
    pub worker: WorkerId,
    /// `state`, `state.branch` or `state[3]`.
    pub step: StepRef,
    pub visit: u32,
    /// The arguments' record, what the `before` hooks make of it, then the
    /// worker's validated input.
    pub input: Value,
    /// The attempt under way or last made; 0 before the first.
    pub attempt: u32,
    /// What the `before` hooks wrote to their logs, which goes into the
    /// call's events with the worker's own.
    pub hook_log: String,
    pub phase: Phase,
    /// Attempts cut short by the end of the process that drove the run,
    /// which do not count against `retries`.
    #[serde(default)]
    pub interrupted: u32,
}

impl Frame {
    pub(super) fn is_asking(&self) -> bool {
        matches!(self.phase, Phase::Asking { .. })
    }
}

/// What a call waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Phase {
    /// The program of `before` hook `i`.
    Before(u32),
    /// The attempt.
    Running,
    /// A person's answer (or the deadline's timer, due at `deadline`).
    /// `told` is whether `run_paused` has told the question.
    Asking { deadline: Option<u64>, told: bool },
    /// The timer before the next attempt.
    Backoff,
    /// The program of `after` hook `hook`, on the attempt's output.
    After {
        hook: u32,
        value: Value,
        log: String,
        usage: Option<Usage>,
        took: u64,
    },
}

/// Where a call is after a move: waiting for an input, or ended.
pub(super) enum Progress {
    Waiting(Frame),
    Done(Result<Arc<Value>, Failed>),
}

/// Appends one log to another, on a line of its own.
pub(crate) fn append_log(log: &mut String, more: &str) {
    if more.is_empty() {
        return;
    }
    if !log.is_empty() && !log.ends_with('\n') {
        log.push('\n');
    }
    log.push_str(more);
}

/// Milliseconds, rounded up, so that a timer is never due early.
fn millis(d: Duration) -> u64 {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if Duration::from_millis(ms) < d {
        ms.saturating_add(1)
    } else {
        ms
    }
}

/// A duration as written in a `.flow` file, near enough: `10m`, `30s`,
/// `1.5s`, `250ms`.
pub fn show(d: Duration) -> String {
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

/// The call written at `site` of `workflow`.
pub fn call_at(workflow: &Workflow, site: CallSite) -> Option<&Call> {
    match &workflow.states.get(site.state.0 as usize)?.kind {
        StateKind::Step(call) | StateKind::Map { call, .. } => Some(call),
        StateKind::Parallel { branches, .. } => Some(&branches.get(site.branch? as usize)?.call),
        StateKind::Succeed(_) | StateKind::Fail(_) => None,
    }
}

impl<'p> Machine<'p> {
    /// The call written at `site`.
    pub(super) fn call_at(&self, site: CallSite) -> Option<&'p Call> {
        call_at(self.workflow, site)
    }

    fn worker(&self, id: WorkerId) -> Option<&'p Worker> {
        let program = self.program;
        program.workers.get(id.0 as usize)
    }

    /// Starts `call` for one visit: evaluates its arguments (with `item` in
    /// scope for a `map`), then goes through its hooks to its first
    /// attempt.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_call(
        &mut self,
        now: u64,
        site: CallSite,
        call: &'p Call,
        step: StepRef,
        visit: u32,
        item: Option<Value>,
        out: &mut Vec<Command>,
    ) -> Progress {
        // Every call takes an id, even one that fails at once, so that the
        // calls of a fan-out are numbered in the order of their slots.
        let id = CallId(self.state.next_call);
        self.state.next_call += 1;
        let Some(worker) = self.worker(call.worker) else {
            return Progress::Done(Err(failed(
                FailureClass::Worker,
                "the call names no worker of the program",
                0,
            )));
        };
        let input = match self.arguments(worker, call, item.as_ref()) {
            Ok(input) => input,
            Err(m) => return Progress::Done(Err(failed(FailureClass::Worker, m, 0))),
        };
        let frame = Frame {
            id,
            site,
            worker: call.worker,
            step,
            visit,
            input,
            attempt: 0,
            hook_log: String::new(),
            phase: Phase::Before(0),
            interrupted: 0,
        };
        self.before(now, frame, out)
    }

    /// The worker's input record, from the call's arguments.
    fn arguments(
        &self,
        worker: &Worker,
        call: &Call,
        item: Option<&Value>,
    ) -> Result<Value, String> {
        let pure = Pure(self.program);
        let scope = Scope {
            params: &self.state.run.params,
            states: &self.state.run.values,
            item,
            error: self.routed.as_ref(),
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

    /// The `before` hooks from the one the frame is at, then the input
    /// fence and the first attempt. A mocked worker's hooks, which prepare
    /// the input for the real worker, do not run.
    fn before(&mut self, now: u64, mut frame: Frame, out: &mut Vec<Command>) -> Progress {
        let (Some(call), Some(worker)) = (self.call_at(frame.site), self.worker(frame.worker))
        else {
            return Progress::Done(Err(failed(FailureClass::Worker, "the call is gone", 0)));
        };
        // Most runs mock nothing: skip hashing the worker's id.
        if self.mocks.is_empty() || !self.mocks.contains_key(&frame.worker) {
            while let Phase::Before(i) = frame.phase
                && let Some(&hook) = call.settings.before.get(i as usize)
            {
                let value = std::mem::take(&mut frame.input);
                match self.apply_hook(&frame, hook, value, 1, out) {
                    Some(Ok(output)) => {
                        frame.input = output.value;
                        append_log(&mut frame.hook_log, &output.log);
                        frame.phase = Phase::Before(i + 1);
                    }
                    Some(Err(failure)) => {
                        let log = std::mem::take(&mut frame.hook_log);
                        let place = HookPlace::Before;
                        let failed =
                            self.hook_failed(now, &frame, place, hook, failure, 0, log, out);
                        return Progress::Done(Err(failed));
                    }
                    None => return Progress::Waiting(frame),
                }
            }
        }
        let input = std::mem::take(&mut frame.input);
        match fence::worker_input(worker, input, &self.program.types) {
            Ok(input) => frame.input = input,
            Err(message) => {
                // No attempt was made: the step's end has no attempt number.
                let event = What::StepFailed {
                    step: frame.step.clone(),
                    attempt: None,
                    class: FailureClass::Worker,
                    message: message.clone(),
                    log: None,
                    hook: None,
                };
                self.emit(now, event, out);
                return Progress::Done(Err(failed(FailureClass::Worker, message, 0)));
            }
        }
        self.attempt(now, frame, out)
    }

    /// Applies a hook to `value`: a pure transformer at once, a hook
    /// program by a command (then `None`: the outcome comes as an input).
    fn apply_hook(
        &self,
        frame: &Frame,
        hook: TransformerId,
        value: Value,
        attempt: u32,
        out: &mut Vec<Command>,
    ) -> Option<Result<Output, Failure>> {
        let program = self.program;
        let Some(t) = program.transformers.get(hook.0 as usize) else {
            return Some(Err(Failure::new(
                FailureClass::Worker,
                "the hook names no transformer of the program",
            )));
        };
        let value = match fence::hook_input(t, value, &program.types) {
            Ok(value) => value,
            Err(m) => return Some(Err(Failure::new(FailureClass::Worker, m))),
        };
        match &t.body {
            TransformerBody::Pure(body) => {
                let args = [value];
                let pure = Pure(program);
                let scope = Scope {
                    params: &args,
                    states: &[],
                    item: None,
                    error: None,
                    transformers: &pure,
                };
                Some(
                    eval::eval(body, &scope)
                        .map(|value| Output {
                            value,
                            log: String::new(),
                            usage: None,
                        })
                        .map_err(|e| Failure::new(FailureClass::Worker, e.to_string())),
                )
            }
            TransformerBody::External { .. } => {
                out.push(Command::RunHook(HookRun {
                    call: frame.id,
                    hook,
                    step: frame.step.clone(),
                    visit: frame.visit,
                    attempt,
                    value,
                }));
                None
            }
        }
    }

    /// Emits the call's `step_failed` for a hook that failed it, naming the
    /// hook, with the logs so far and the hook's own; the call's failure.
    #[allow(clippy::too_many_arguments)]
    fn hook_failed(
        &mut self,
        now: u64,
        frame: &Frame,
        place: HookPlace,
        hook: TransformerId,
        failure: Failure,
        attempts: u32,
        mut log: String,
        out: &mut Vec<Command>,
    ) -> Failed {
        let name = self
            .program
            .transformers
            .get(hook.0 as usize)
            .map_or_else(|| format!("#{}", hook.0), |t| t.name.clone());
        let message = format!("the `{place}` hook `{name}` failed: {}", failure.message);
        append_log(&mut log, &failure.log);
        let attempt = (attempts > 0).then_some(attempts);
        let event = What::StepFailed {
            step: frame.step.clone(),
            attempt,
            class: failure.class,
            message: message.clone(),
            log: (!log.is_empty()).then_some(log),
            hook: Some(Box::new(HookFailure { place, name })),
        };
        self.emit(now, event, out);
        failed(failure.class, message, attempts)
    }

    /// The next attempt: a mocked worker's next outcome at once, a
    /// question for a person, or the worker's executor.
    fn attempt(&mut self, now: u64, mut frame: Frame, out: &mut Vec<Command>) -> Progress {
        let (Some(call), Some(worker)) = (self.call_at(frame.site), self.worker(frame.worker))
        else {
            return Progress::Done(Err(failed(FailureClass::Worker, "the call is gone", 0)));
        };
        frame.attempt += 1;
        let attempt = frame.attempt;
        self.emit(
            now,
            What::StepStarted {
                step: frame.step.clone(),
                attempt: Some(attempt),
            },
            out,
        );
        frame.phase = Phase::Running;
        if let Some(mock) = (!self.mocks.is_empty())
            .then(|| self.mocks.get(&frame.worker))
            .flatten()
        {
            // A mocked worker's outcome is the next of its list: nothing
            // runs, and its output is held to the worker's type.
            let index = frame.worker.0 as usize;
            let n = self.state.mock_calls.get(index).copied().unwrap_or(0);
            if let Some(count) = self.state.mock_calls.get_mut(index) {
                *count = count.saturating_add(1);
            }
            let result = match mock.outcome(n as usize) {
                MockOutcome::Output(value) => {
                    match validate(value.clone(), worker.output, &self.program.types) {
                        Ok(value) => Ok(Output {
                            value,
                            log: String::new(),
                            usage: None,
                        }),
                        Err(m) => Err(Failure::new(
                            FailureClass::Output,
                            format!("the output of `{}` does not fit its type: {m}", worker.name),
                        )),
                    }
                }
                MockOutcome::Fail { class, message } => Err(Failure::new(*class, message.clone())),
            };
            return self.attempted(now, frame, 0, result, out);
        }
        if let Executor::Human { .. } = worker.executor {
            let timeout = call.settings.timeout;
            let deadline = timeout.map(|t| now.saturating_add(millis(t)));
            self.state.asked = true;
            out.push(Command::AskHuman(Question {
                call: frame.id,
                site: frame.site,
                worker: frame.worker,
                step: frame.step.clone(),
                visit: frame.visit,
                attempt,
                input: frame.input.clone(),
                deadline,
            }));
            if let (Some(delay), Some(at)) = (timeout, deadline) {
                out.push(Command::StartTimer {
                    call: frame.id,
                    at,
                    delay,
                });
            }
            frame.phase = Phase::Asking {
                deadline,
                told: false,
            };
            return Progress::Waiting(frame);
        }
        // The last attempt may have the input itself, so that `echo` need
        // not copy it; earlier ones get a copy, since a retry needs it.
        let last = attempt > call.settings.retries.saturating_add(frame.interrupted);
        let input = if last && !self.state.keep_inputs {
            std::mem::take(&mut frame.input)
        } else {
            frame.input.clone()
        };
        out.push(Command::Invoke(Attempt {
            call: frame.id,
            site: frame.site,
            worker: frame.worker,
            step: frame.step.clone(),
            visit: frame.visit,
            attempt,
            input,
        }));
        Progress::Waiting(frame)
    }

    /// An attempt ended: its output goes through the `after` hooks; a
    /// failure is retried (after a backoff) or fails the call.
    pub(super) fn attempted(
        &mut self,
        now: u64,
        mut frame: Frame,
        took: u64,
        result: Result<Output, Failure>,
        out: &mut Vec<Command>,
    ) -> Progress {
        match frame.phase {
            Phase::Running => {}
            // The deadline's timer, if any, is no longer needed.
            Phase::Asking { .. } => out.push(Command::Cancel { call: frame.id }),
            _ => return Progress::Waiting(frame),
        }
        let Some(call) = self.call_at(frame.site) else {
            return Progress::Done(Err(failed(FailureClass::Worker, "the call is gone", 0)));
        };
        let settings = &call.settings;
        let attempt = frame.attempt;
        match result {
            Ok(output) => {
                let log = if frame.hook_log.is_empty() {
                    output.log
                } else {
                    let mut log = std::mem::take(&mut frame.hook_log);
                    append_log(&mut log, &output.log);
                    log
                };
                frame.phase = Phase::After {
                    hook: 0,
                    value: output.value,
                    log,
                    usage: output.usage,
                    took,
                };
                self.after(now, frame, out)
            }
            Err(failure) => {
                let mut log = frame.hook_log.clone();
                append_log(&mut log, &failure.log);
                let event = What::AttemptFailed {
                    step: frame.step.clone(),
                    attempt,
                    class: failure.class,
                    message: failure.message.clone(),
                    duration_ms: took,
                    log: (!log.is_empty()).then_some(log),
                    usage: failure.usage,
                };
                self.emit(now, event, out);
                let attempts = settings
                    .retries
                    .saturating_add(1)
                    .saturating_add(frame.interrupted);
                if attempt < attempts && settings.retry_on.contains(&failure.class) {
                    let wait = retry::delay(
                        settings.backoff,
                        attempt,
                        failure.retry_after,
                        &mut self.state.rng,
                    );
                    let event = What::RetryScheduled {
                        step: frame.step.clone(),
                        attempt: attempt + 1,
                        class: failure.class,
                        message: failure.message,
                        delay_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        max_attempts: attempts,
                    };
                    self.emit(now, event, out);
                    out.push(Command::StartTimer {
                        call: frame.id,
                        at: now.saturating_add(millis(wait)),
                        delay: wait,
                    });
                    frame.phase = Phase::Backoff;
                    return Progress::Waiting(frame);
                }
                let event = What::StepFailed {
                    step: frame.step.clone(),
                    attempt: Some(attempt),
                    class: failure.class,
                    message: failure.message.clone(),
                    log: None,
                    hook: None,
                };
                self.emit(now, event, out);
                Progress::Done(Err(failed(failure.class, failure.message, attempt)))
            }
        }
    }

    /// The `after` hooks from the one the frame is at, which shape the
    /// output that succeeded (one that fails fails the call without
    /// another attempt), then the call's success.
    fn after(&mut self, now: u64, mut frame: Frame, out: &mut Vec<Command>) -> Progress {
        let Some(call) = self.call_at(frame.site) else {
            return Progress::Done(Err(failed(FailureClass::Worker, "the call is gone", 0)));
        };
        let Phase::After {
            mut hook,
            mut value,
            mut log,
            usage,
            took,
        } = std::mem::replace(&mut frame.phase, Phase::Running)
        else {
            return Progress::Waiting(frame);
        };
        while let Some(&h) = call.settings.after.get(hook as usize) {
            match self.apply_hook(&frame, h, std::mem::take(&mut value), frame.attempt, out) {
                Some(Ok(output)) => {
                    value = output.value;
                    append_log(&mut log, &output.log);
                    hook += 1;
                }
                Some(Err(failure)) => {
                    let attempts = frame.attempt;
                    let failed = self.hook_failed(
                        now,
                        &frame,
                        HookPlace::After,
                        h,
                        failure,
                        attempts,
                        log,
                        out,
                    );
                    return Progress::Done(Err(failed));
                }
                None => {
                    frame.phase = Phase::After {
                        hook,
                        value: Value::Null,
                        log,
                        usage,
                        took,
                    };
                    return Progress::Waiting(frame);
                }
            }
        }
        let value = Arc::new(value);
        let event = What::StepSucceeded {
            step: frame.step.clone(),
            attempt: Some(frame.attempt),
            duration_ms: Some(took),
            output: value.clone(),
            log: (!log.is_empty()).then_some(log),
            usage,
        };
        self.emit(now, event, out);
        Progress::Done(Ok(value))
    }

    /// A hook program ended.
    pub(super) fn hooked(
        &mut self,
        now: u64,
        mut frame: Frame,
        result: Result<Output, Failure>,
        out: &mut Vec<Command>,
    ) -> Progress {
        let Some(call) = self.call_at(frame.site) else {
            return Progress::Done(Err(failed(FailureClass::Worker, "the call is gone", 0)));
        };
        match &mut frame.phase {
            Phase::Before(i) => {
                let Some(&hook) = call.settings.before.get(*i as usize) else {
                    return Progress::Waiting(frame);
                };
                match result {
                    Ok(output) => {
                        frame.input = output.value;
                        append_log(&mut frame.hook_log, &output.log);
                        *i += 1;
                        self.before(now, frame, out)
                    }
                    Err(failure) => {
                        let log = std::mem::take(&mut frame.hook_log);
                        let place = HookPlace::Before;
                        let failed =
                            self.hook_failed(now, &frame, place, hook, failure, 0, log, out);
                        Progress::Done(Err(failed))
                    }
                }
            }
            Phase::After {
                hook, value, log, ..
            } => {
                let Some(&h) = call.settings.after.get(*hook as usize) else {
                    return Progress::Waiting(frame);
                };
                match result {
                    Ok(output) => {
                        *value = output.value;
                        append_log(log, &output.log);
                        *hook += 1;
                        self.after(now, frame, out)
                    }
                    Err(failure) => {
                        let log = std::mem::take(log);
                        let attempts = frame.attempt;
                        let place = HookPlace::After;
                        let failed =
                            self.hook_failed(now, &frame, place, h, failure, attempts, log, out);
                        Progress::Done(Err(failed))
                    }
                }
            }
            _ => Progress::Waiting(frame),
        }
    }

    /// The process that drove the run stopped during the attempt: it is
    /// told, and the call makes a new attempt.
    pub(super) fn interrupted(
        &mut self,
        now: u64,
        mut frame: Frame,
        out: &mut Vec<Command>,
    ) -> Progress {
        if frame.phase != Phase::Running {
            return Progress::Waiting(frame);
        }
        let event = What::AttemptInterrupted {
            step: frame.step.clone(),
            attempt: frame.attempt,
            message: "the process that drove the run stopped during this attempt; it runs again"
                .to_owned(),
        };
        self.emit(now, event, out);
        frame.interrupted = frame.interrupted.saturating_add(1);
        self.attempt(now, frame, out)
    }

    /// A timer of the call is due: the backoff before the next attempt
    /// ended, or nobody answered a person's question in time.
    pub(super) fn timer(&mut self, now: u64, frame: Frame, out: &mut Vec<Command>) -> Progress {
        match frame.phase {
            Phase::Backoff => self.attempt(now, frame, out),
            Phase::Asking { .. } => {
                let timeout = self
                    .call_at(frame.site)
                    .and_then(|c| c.settings.timeout)
                    .unwrap_or_default();
                let failure = Failure::new(
                    FailureClass::Timeout,
                    format!(
                        "nobody answered `{}` within its timeout of {}",
                        frame.step,
                        show(timeout)
                    ),
                );
                self.attempted(now, frame, millis(timeout), Err(failure), out)
            }
            _ => Progress::Waiting(frame),
        }
    }
}
