//! The state level of the machine: entering a state (its visit and
//! `max_visits`), what its visit is doing while it waits, the transition it
//! takes when its visit ends, `max_steps`, and `succeed` and `fail`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::call::{Frame, Progress};
use super::fanout::Fanout;
use super::{CallId, Command, Failed, Machine, failed};
use crate::ir::{Expr, FailureClass, StateId, StateKind, Transition};
use crate::runtime::engine::{RoutedFailure, RunError, RunOutcome, StepRef, What};
use crate::runtime::eval::{self, Scope};
use crate::runtime::pure::Pure;
use crate::runtime::validate::validate;

/// What the current state's visit is doing while the run waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Visit {
    /// A step's one call.
    Step(Frame),
    /// The calls of a `parallel` or `map` state.
    Fanout(Fanout),
}

impl Visit {
    /// The calls under way.
    pub(super) fn running(&self) -> Vec<CallId> {
        match self {
            Visit::Step(frame) => vec![frame.id],
            Visit::Fanout(fan) => fan.running(),
        }
    }

    /// Whether every call under way waits for a person.
    pub(super) fn all_asking(&self) -> bool {
        match self {
            Visit::Step(frame) => frame.is_asking(),
            Visit::Fanout(fan) => fan.all_asking(),
        }
    }

    /// Rewrites where each call under way is written and its worker (for
    /// another program's ids).
    pub(super) fn remap(
        &mut self,
        f: &mut impl FnMut(&mut super::CallSite, &mut crate::ir::WorkerId),
    ) {
        for frame in self.frames_mut() {
            f(&mut frame.site, &mut frame.worker);
        }
    }

    /// The frames of the calls under way.
    pub(super) fn frames_mut(&mut self) -> Vec<&mut Frame> {
        match self {
            Visit::Step(frame) => vec![frame],
            Visit::Fanout(fan) => fan.frames_mut().collect(),
        }
    }
}

pub(super) fn run_error(
    state: &str,
    class: Option<FailureClass>,
    message: String,
    attempts: u32,
) -> RunError {
    RunError {
        state: state.to_owned(),
        class,
        message,
        attempts,
    }
}

impl<'p> Machine<'p> {
    /// Enters states from the current one until one waits or the run ends.
    pub(super) fn enter(&mut self, now: u64, out: &mut Vec<Command>) {
        let wf = self.workflow;
        loop {
            let id = self.state.run.current as usize;
            let Some(st) = wf.states.get(id) else {
                let error = run_error("?", None, format!("the workflow has no state {id}"), 0);
                return self.fail_run(now, error, out);
            };
            let result = match &st.kind {
                StateKind::Succeed(expr) => {
                    let error = match self.evaluate(expr, self.routed.as_ref()) {
                        Err(m) => run_error(&st.name, None, m, 0),
                        Ok(output) => match validate(output, wf.output, &self.program.types) {
                            Ok(output) => return self.succeed_run(now, output, out),
                            Err(m) => run_error(
                                &st.name,
                                Some(FailureClass::Output),
                                format!(
                                    "the output of workflow `{}` does not fit its type: {m}",
                                    wf.name
                                ),
                                0,
                            ),
                        },
                    };
                    return self.fail_run(now, error, out);
                }
                StateKind::Fail(expr) => {
                    let message = match self.evaluate(expr, self.routed.as_ref()) {
                        Ok(Value::String(m)) => m,
                        Ok(other) => other.to_string(),
                        Err(m) => m,
                    };
                    return self.fail_run(now, run_error(&st.name, None, message, 0), out);
                }
                kind => {
                    let visits = &mut self.state.run.visits[id];
                    *visits = visits.saturating_add(1);
                    let visit = *visits;
                    match st.max_visits {
                        Some(max) if visit > max => {
                            // Nothing ran: the message says so, rather than
                            // counting attempts of a worker that never
                            // started.
                            let message = format!(
                                "`{}` reached its limit of {max} visit{}",
                                st.name,
                                if max == 1 { "" } else { "s" }
                            );
                            let event = What::StepFailed {
                                step: self.labels[id].clone(),
                                attempt: None,
                                class: FailureClass::Limit,
                                message: message.clone(),
                                log: None,
                                hook: None,
                            };
                            self.emit(now, event, out);
                            Err(failed(FailureClass::Limit, message, 0))
                        }
                        _ => match self.begin_visit(now, StateId(id as u32), kind, visit, out) {
                            Some(result) => result,
                            None => return,
                        },
                    }
                }
            };
            if !self.conclude(now, result, out) {
                return;
            }
        }
    }

    /// Starts the call(s) of a step, parallel or map state; the result
    /// when the visit ended at once, `None` when it waits.
    fn begin_visit(
        &mut self,
        now: u64,
        state: StateId,
        kind: &'p StateKind,
        visit: u32,
        out: &mut Vec<Command>,
    ) -> Option<Result<Arc<Value>, Failed>> {
        let step = self.labels[state.0 as usize].clone();
        match kind {
            StateKind::Step(call) => {
                let site = super::CallSite {
                    state,
                    branch: None,
                };
                match self.start_call(now, site, call, step, visit, None, out) {
                    Progress::Waiting(frame) => {
                        self.state.visit = Some(Visit::Step(frame));
                        None
                    }
                    Progress::Done(result) => Some(result),
                }
            }
            StateKind::Parallel { .. } | StateKind::Map { .. } => {
                self.begin_fanout(now, state, kind, visit, out)
            }
            StateKind::Succeed(_) | StateKind::Fail(_) => Some(Err(failed(
                FailureClass::Worker,
                format!("state `{step}` has no call"),
                0,
            ))),
        }
    }

    /// An input about `call`: `f` moves its frame on, and the visit goes on
    /// or ends with it.
    pub(super) fn on_call(
        &mut self,
        now: u64,
        call: CallId,
        out: &mut Vec<Command>,
        f: impl FnOnce(&mut Self, Frame, &mut Vec<Command>) -> Progress,
    ) {
        match self.state.visit.take() {
            Some(Visit::Step(frame)) if frame.id == call => match f(self, frame, out) {
                Progress::Waiting(frame) => self.state.visit = Some(Visit::Step(frame)),
                Progress::Done(result) => self.concluded(now, result, out),
            },
            Some(Visit::Fanout(mut fan)) => match fan.take(call) {
                Some((slot, frame)) => {
                    let progress = f(self, frame, out);
                    match self.fanout_progress(now, &mut fan, slot, progress, out) {
                        Some(result) => self.concluded(now, result, out),
                        None => self.state.visit = Some(Visit::Fanout(fan)),
                    }
                }
                None => self.state.visit = Some(Visit::Fanout(fan)),
            },
            // Not a call of this visit: one that was cancelled, or an
            // input delivered twice.
            other => self.state.visit = other,
        }
    }

    /// The visit that waited has ended: take its transition and go on.
    fn concluded(&mut self, now: u64, result: Result<Arc<Value>, Failed>, out: &mut Vec<Command>) {
        if self.conclude(now, result, out) {
            self.enter(now, out);
        }
    }

    /// The current state's visit ended with `result`: records its value,
    /// takes the first transition that matches and counts the step. False
    /// when the run ended instead.
    fn conclude(
        &mut self,
        now: u64,
        result: Result<Arc<Value>, Failed>,
        out: &mut Vec<Command>,
    ) -> bool {
        // The visit that asked is over.
        self.state.asked = false;
        let wf = self.workflow;
        let id = self.state.run.current as usize;
        let Some(st) = wf.states.get(id) else {
            let error = run_error("?", None, format!("the workflow has no state {id}"), 0);
            self.fail_run(now, error, out);
            return false;
        };
        let target = match result {
            Ok(value) => {
                self.state.run.values[id] = Some(value);
                match self.choose(&st.on_success, self.routed.as_ref(), None) {
                    Ok(Some(target)) => target,
                    Ok(None) => {
                        let message = format!(
                            "state `{}` succeeded but none of its on_success transitions matched",
                            st.name
                        );
                        self.fail_run(now, run_error(&st.name, None, message, 0), out);
                        return false;
                    }
                    Err(m) => {
                        self.fail_run(now, run_error(&st.name, None, m, 0), out);
                        return false;
                    }
                }
            }
            Err(failed) => {
                let error = json!({
                    "class": failed.class.name(),
                    "message": failed.message,
                    "attempts": failed.attempts,
                });
                match self.choose(&st.on_failure, Some(&error), Some(failed.class)) {
                    Ok(Some(target)) => {
                        // From here on, `error` is this failure.
                        let failure = RoutedFailure {
                            state: st.name.clone(),
                            class: failed.class,
                            message: failed.message,
                            attempts: failed.attempts,
                        };
                        self.routed = Some(failure.to_value());
                        self.state.run.routed = Some(failure);
                        target
                    }
                    Ok(None) => {
                        let error = run_error(
                            &st.name,
                            Some(failed.class),
                            failed.message,
                            failed.attempts,
                        );
                        self.fail_run(now, error, out);
                        return false;
                    }
                    Err(m) => {
                        let error = run_error(&st.name, None, m, failed.attempts);
                        self.fail_run(now, error, out);
                        return false;
                    }
                }
            }
        };
        if self.state.run.steps >= wf.max_steps {
            let message = format!(
                "the run reached max_steps ({}) of workflow `{}`; raise it if the loop is intended",
                wf.max_steps, wf.name
            );
            let error = run_error(&st.name, Some(FailureClass::Limit), message, 0);
            self.fail_run(now, error, out);
            return false;
        }
        self.state.run.steps += 1;
        let Some(entered) = self.labels.get(target.0 as usize).cloned() else {
            let error = run_error(
                "?",
                None,
                format!("the workflow has no state {}", target.0),
                0,
            );
            self.fail_run(now, error, out);
            return false;
        };
        let event = What::Transition {
            step: self.labels[id].clone(),
            target: entered,
        };
        self.emit(now, event, out);
        self.state.run.current = target.0;
        true
    }

    fn succeed_run(&mut self, now: u64, output: Value, out: &mut Vec<Command>) {
        let event = What::RunSucceeded {
            output: Arc::new(output.clone()),
        };
        self.emit(now, event, out);
        self.end(RunOutcome::Succeeded { output }, out);
    }

    pub(super) fn fail_run(&mut self, now: u64, error: RunError, out: &mut Vec<Command>) {
        let event = What::RunFailed {
            step: StepRef::state_of(&error.state),
            error: Box::new(error.clone()),
        };
        self.emit(now, event, out);
        self.end(RunOutcome::Failed { error }, out);
    }

    /// Evaluates an expression of the workflow: its parameters and state
    /// values in scope, and `error` (the failure being routed in
    /// `on_failure` conditions, the one routed most recently elsewhere).
    pub(super) fn evaluate(&self, expr: &Expr, error: Option<&Value>) -> Result<Value, String> {
        self.evaluate_with(expr, None, error)
    }

    /// [`Machine::evaluate`] with a `map` item in scope.
    pub(super) fn evaluate_with(
        &self,
        expr: &Expr,
        item: Option<&Value>,
        error: Option<&Value>,
    ) -> Result<Value, String> {
        let pure = Pure(self.program);
        let scope = Scope {
            params: &self.state.run.params,
            states: &self.state.run.values,
            item,
            error,
            transformers: &pure,
        };
        eval::eval(expr, &scope).map_err(|e| e.message)
    }

    /// The target of the first transition that matches.
    fn choose(
        &self,
        transitions: &[Transition],
        error: Option<&Value>,
        class: Option<FailureClass>,
    ) -> Result<Option<StateId>, String> {
        for t in transitions {
            if let Some(class) = class
                && !t.classes.is_empty()
                && !t.classes.contains(&class)
            {
                continue;
            }
            if let Some(condition) = &t.condition {
                match self.evaluate(condition, error)? {
                    Value::Bool(true) => {}
                    Value::Bool(false) => continue,
                    other => {
                        return Err(format!(
                            "a transition's `when` condition gave {other}, not true or false"
                        ));
                    }
                }
            }
            return Ok(Some(t.target));
        }
        Ok(None)
    }
}
