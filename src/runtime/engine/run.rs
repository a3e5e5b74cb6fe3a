//! The state machine: from the start state, visit, call, and take the
//! first matching transition, until a `succeed` or `fail` state or an
//! unhandled failure ends the run.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use serde_json::{Value, json};
use tracing::Instrument;

use super::call::{self, Failed, Names};
use super::context::{Ctx, Pure};
use super::events::{Event, EventKind, EventSink, RunError};
use super::fanout;
use super::mock::Mock;
use super::{Finished, RoutedFailure, RunOptions, RunOutcome, RunState, StartError};
use crate::ir::{
    Executor, FailureClass, Program, StateId, StateKind, Transition, WorkerId, Workflow, WorkflowId,
};
use crate::runtime::eval::{self, Scope};
use crate::runtime::validate::validate;

/// Runs workflow `workflow` of `program` with `input` (a record of its
/// parameters). The input is validated first; a run that starts always
/// finishes, succeeded or failed, with its events in `sink`.
pub async fn run<S: EventSink>(
    program: &Program,
    workflow: WorkflowId,
    input: Value,
    options: RunOptions,
    sink: &S,
) -> Result<Finished, StartError> {
    run_until(
        program,
        workflow,
        input,
        options,
        sink,
        std::future::pending(),
    )
    .await
}

/// [`run`], cancelled when `cancel` completes (Ctrl-C): the calls under way
/// are dropped, which stops what they started (processes are killed,
/// connections closed), and the run ends with a `run_cancelled` event and
/// [`RunOutcome::Cancelled`].
pub async fn run_until<S: EventSink>(
    program: &Program,
    workflow: WorkflowId,
    input: Value,
    options: RunOptions,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, StartError> {
    let wf = program
        .workflows
        .get(workflow.0 as usize)
        .ok_or(StartError::NoWorkflow(workflow.0))?;
    refuse_humans(program, wf, &options.mocks)?;
    let input =
        validate(input, wf.input, &program.types).map_err(|mismatch| StartError::InvalidInput {
            workflow: wf.name.clone(),
            mismatch,
        })?;
    let params: Vec<Value> = wf
        .params
        .iter()
        .map(|p| input.get(&p.name).cloned().unwrap_or(Value::Null))
        .collect();
    let run_id = options.run_id.clone().unwrap_or_else(super::fresh_run_id);
    let span = tracing::info_span!("run", run_id = %run_id, workflow = %wf.name);
    let cx = Ctx::new(program, wf, Arc::from(run_id.as_str()), options, sink);
    Ok(started(&cx, wf, run_id, input, params, cancel)
        .instrument(span)
        .await)
}

/// The run once it has started: its events, its states and its end.
async fn started<S: EventSink>(
    cx: &Ctx<'_, S>,
    wf: &Workflow,
    run_id: String,
    input: Value,
    params: Vec<Value>,
    cancel: impl Future<Output = ()>,
) -> Finished {
    let mut event = Event::new(EventKind::RunStarted);
    event.workflow = Some(wf.name.clone());
    event.input = Some(Box::new(input));
    cx.emit(event).await;
    let n = wf.states.len();
    let mut state = RunState {
        run_id,
        workflow: wf.name.clone(),
        params,
        current: wf.start.0,
        visits: vec![0; n],
        values: vec![None; n],
        steps: 0,
        routed: None,
    };
    let outcome = tokio::select! {
        biased;
        () = cancel => None,
        outcome = drive(cx, &mut state) => Some(outcome),
    };
    let Some(outcome) = outcome else {
        // The calls under way were dropped with `drive`: each step, branch
        // and item they were ends here, so that every start has its end.
        for label in cx.take_open() {
            let mut event = Event::of_step(EventKind::StepCancelled, &label, None);
            event.message = Some("cancelled because the run was stopped".to_owned());
            cx.emit(event).await;
        }
        cx.emit(Event::new(EventKind::RunCancelled)).await;
        return Finished {
            outcome: RunOutcome::Cancelled,
            state,
        };
    };
    let outcome = match outcome {
        Ok(output) => {
            let mut event = Event::new(EventKind::RunSucceeded);
            event.output = Some(Arc::new(output.clone()));
            cx.emit(event).await;
            RunOutcome::Succeeded { output }
        }
        Err(mut error) => {
            error.message = cx.secrets.mask(&error.message);
            let mut event = Event::new(EventKind::RunFailed).step(error.state.clone());
            event.class = error.class;
            event.message = Some(error.message.clone());
            event.error = Some(Box::new(error.clone()));
            cx.emit(event).await;
            RunOutcome::Failed { error }
        }
    };
    Finished { outcome, state }
}

/// A workflow that calls a `human` worker cannot run without the store,
/// unless the worker is mocked: then nobody is asked.
fn refuse_humans(
    program: &Program,
    wf: &Workflow,
    mocks: &HashMap<WorkerId, Mock>,
) -> Result<(), StartError> {
    for st in &wf.states {
        let calls: Vec<_> = match &st.kind {
            StateKind::Step(call) | StateKind::Map { call, .. } => vec![call],
            StateKind::Parallel { branches, .. } => branches.iter().map(|b| &b.call).collect(),
            StateKind::Succeed(_) | StateKind::Fail(_) => Vec::new(),
        };
        for call in calls {
            if let Some(worker) = program.workers.get(call.worker.0 as usize)
                && matches!(worker.executor, Executor::Human { .. })
                && !mocks.contains_key(&call.worker)
            {
                return Err(StartError::NeedsStore {
                    workflow: wf.name.clone(),
                    worker: worker.name.clone(),
                });
            }
        }
    }
    Ok(())
}

fn run_error(state: &str, class: Option<FailureClass>, message: String, attempts: u32) -> RunError {
    RunError {
        state: state.to_owned(),
        class,
        message,
        attempts,
    }
}

/// The loop of the state machine; the run's output, or why it failed.
async fn drive<S: EventSink>(cx: &Ctx<'_, S>, state: &mut RunState) -> Result<Value, RunError> {
    let wf = cx.workflow;
    // The value of `error` outside `on_failure` conditions, kept beside
    // the run's state so that it is built once per routed failure.
    let mut routed: Option<Value> = state.routed.as_ref().map(RoutedFailure::to_value);
    loop {
        let id = state.current as usize;
        let Some(st) = wf.states.get(id) else {
            return Err(run_error(
                "?",
                None,
                format!("the workflow has no state {id}"),
                0,
            ));
        };
        let result: Result<Arc<Value>, Failed> = match &st.kind {
            StateKind::Succeed(expr) => {
                let output = evaluate(cx, state, expr, routed.as_ref())
                    .map_err(|m| run_error(&st.name, None, m, 0))?;
                return validate(output, wf.output, &cx.program.types).map_err(|m| {
                    run_error(
                        &st.name,
                        Some(FailureClass::Output),
                        format!(
                            "the output of workflow `{}` does not fit its type: {m}",
                            wf.name
                        ),
                        0,
                    )
                });
            }
            StateKind::Fail(expr) => {
                let message = match evaluate(cx, state, expr, routed.as_ref()) {
                    Ok(Value::String(m)) => m,
                    Ok(other) => other.to_string(),
                    Err(m) => m,
                };
                return Err(run_error(&st.name, None, message, 0));
            }
            kind => {
                state.visits[id] = state.visits[id].saturating_add(1);
                let visit = state.visits[id];
                match st.max_visits {
                    Some(max) if visit > max => {
                        // Nothing ran: the message says so, rather than
                        // counting attempts of a worker that never started.
                        let message = format!(
                            "`{}` reached its limit of {max} visit{}",
                            st.name,
                            if max == 1 { "" } else { "s" }
                        );
                        let mut event = Event::of_step(EventKind::StepFailed, &cx.labels[id], None);
                        event.class = Some(FailureClass::Limit);
                        event.message = Some(message.clone());
                        cx.emit(event).await;
                        Err(Failed {
                            class: FailureClass::Limit,
                            message,
                            attempts: 0,
                        })
                    }
                    _ => {
                        let span = tracing::info_span!("step", state = %st.name, visit);
                        visit_state(cx, state, routed.as_ref(), &cx.labels[id], kind, visit)
                            .instrument(span)
                            .await
                    }
                }
            }
        };
        let target = match result {
            Ok(value) => {
                state.values[id] = Some(value);
                match choose(cx, state, &st.on_success, routed.as_ref(), None) {
                    Ok(Some(target)) => target,
                    Ok(None) => {
                        return Err(run_error(
                            &st.name,
                            None,
                            format!(
                                "state `{}` succeeded but none of its on_success transitions matched",
                                st.name
                            ),
                            0,
                        ));
                    }
                    Err(m) => return Err(run_error(&st.name, None, m, 0)),
                }
            }
            Err(failed) => {
                let message = cx.secrets.mask(&failed.message);
                let error = json!({
                    "class": failed.class.name(),
                    "message": message,
                    "attempts": failed.attempts,
                });
                match choose(cx, state, &st.on_failure, Some(&error), Some(failed.class)) {
                    Ok(Some(target)) => {
                        // From here on, `error` is this failure.
                        let failure = RoutedFailure {
                            state: st.name.clone(),
                            class: failed.class,
                            message,
                            attempts: failed.attempts,
                        };
                        routed = Some(failure.to_value());
                        state.routed = Some(failure);
                        target
                    }
                    Ok(None) => {
                        return Err(run_error(
                            &st.name,
                            Some(failed.class),
                            failed.message,
                            failed.attempts,
                        ));
                    }
                    Err(m) => return Err(run_error(&st.name, None, m, failed.attempts)),
                }
            }
        };
        if state.steps >= wf.max_steps {
            return Err(run_error(
                &st.name,
                Some(FailureClass::Limit),
                format!(
                    "the run reached max_steps ({}) of workflow `{}`; raise it if the loop is intended",
                    wf.max_steps, wf.name
                ),
                0,
            ));
        }
        state.steps += 1;
        let mut event = Event::of_step(EventKind::Transition, &cx.labels[id], None);
        event.target = cx.labels.get(target.0 as usize).cloned();
        cx.emit(event).await;
        state.current = target.0;
    }
}

/// Runs the call(s) of a step, parallel or map state.
async fn visit_state<S: EventSink>(
    cx: &Ctx<'_, S>,
    state: &RunState,
    error: Option<&Value>,
    name: &Arc<str>,
    kind: &StateKind,
    visit: u32,
) -> Result<Arc<Value>, Failed> {
    let names = Names {
        params: &state.params,
        states: &state.values,
        item: None,
        error,
    };
    match kind {
        StateKind::Step(c) => call::run(cx, name, c, names, visit).await,
        StateKind::Parallel {
            branches,
            max_concurrency,
        } => {
            // Boxed: fan-outs are rarer than steps, and their futures would
            // otherwise grow (and be moved with) every state's.
            Box::pin(fanout::parallel(
                cx,
                names,
                name,
                branches,
                *max_concurrency,
                visit,
            ))
            .await
        }
        StateKind::Map {
            call,
            list,
            max_concurrency,
        } => {
            Box::pin(fanout::map(
                cx,
                names,
                name,
                call,
                list,
                *max_concurrency,
                visit,
            ))
            .await
        }
        StateKind::Succeed(_) | StateKind::Fail(_) => Err(Failed {
            class: FailureClass::Worker,
            message: format!("state `{name}` has no call"),
            attempts: 0,
        }),
    }
}

/// Evaluates an expression of the workflow: its parameters and state
/// values in scope, and `error` (the failure being routed in `on_failure`
/// conditions, the one routed most recently elsewhere).
fn evaluate<S>(
    cx: &Ctx<'_, S>,
    state: &RunState,
    expr: &crate::ir::Expr,
    error: Option<&Value>,
) -> Result<Value, String> {
    let pure = Pure(cx.program);
    let scope = Scope {
        params: &state.params,
        states: &state.values,
        item: None,
        error,
        transformers: &pure,
    };
    eval::eval(expr, &scope).map_err(|e| e.message)
}

/// The target of the first transition that matches.
fn choose<S>(
    cx: &Ctx<'_, S>,
    state: &RunState,
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
            match evaluate(cx, state, condition, error)? {
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
