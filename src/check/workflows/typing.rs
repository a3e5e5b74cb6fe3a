//! The expressions of each state, typed at the point of the run where they
//! are evaluated: a call's arguments, a map's list and the values of
//! `succeed` and `fail` when the state is entered; `on_success` conditions
//! once the state has succeeded; `on_failure` conditions when it is entered,
//! with `error` the failure being routed (elsewhere it is the one routed
//! most recently, or `null`).

use super::exhaustive;
use super::scope::{ErrorScope, StateScope};
use crate::check::env::{Cx, Sig};
use crate::check::error::CheckError;
use crate::check::expr::{Cause, Typer, Use};
use crate::check::failure::{FailureClass, Resolve};
use crate::check::graph::{Point, WorkflowGraph};
use crate::check::items::{ItemRef, wrong_kind_help};
use crate::check::states::StateId;
use crate::check::suggest;
use crate::check::types::{Ty, TyId};
use crate::syntax::ast::{self, Outcome, StateKind};

/// What the states of one workflow share.
pub(super) struct Workflow<'s, 'a> {
    pub(super) graph: &'s WorkflowGraph<'a>,
    pub(super) sig: &'s Sig<'a>,
    pub(super) values: &'s [Option<TyId>],
    /// The type of `error` in `on_failure` conditions.
    pub(super) error_ty: TyId,
    /// The type of `error` elsewhere: the failure routed last, or `null`.
    pub(super) routed_ty: TyId,
}

impl<'s, 'a> Workflow<'s, 'a> {
    /// The scope of state `id` at `at` (`None` when the point is unknown).
    fn scope(&self, id: StateId, at: Option<Point>) -> StateScope<'s, 'a> {
        StateScope {
            graph: self.graph,
            params: &self.sig.params,
            values: self.values,
            here: id,
            at,
            var: None,
            error: ErrorScope::Routed(self.routed_ty),
        }
    }
}

pub(super) fn check_state(cx: &mut Cx<'_, '_>, w: &Workflow<'_, '_>, id: StateId) {
    let states = w.graph.states();
    let state = states.state(id);
    // A duplicate definition is not part of the graph: its expressions are
    // still checked, with every value taken as available.
    let known = !states.is_duplicate(id);
    let entry = w.scope(id, known.then_some(Point::Entry(id)));
    match &state.kind {
        StateKind::Step(step) => {
            worker_call(cx, &entry, &step.call);
            transitions(cx, w, id, state, &step.body);
        }
        StateKind::Map(map) => {
            let item = iterate(cx, &entry, state, &map.iter);
            let inner = StateScope {
                var: Some((map.var.as_str(), item)),
                ..w.scope(id, known.then_some(Point::Entry(id)))
            };
            worker_call(cx, &inner, &map.call);
            transitions(cx, w, id, state, &map.body);
        }
        StateKind::Parallel(parallel) => {
            for branch in &parallel.branches {
                worker_call(cx, &entry, &branch.call);
            }
            transitions(cx, w, id, state, &parallel.body);
        }
        StateKind::Succeed(value) => succeed(cx, w, &entry, value),
        StateKind::Fail(message) => {
            let cause = Cause::FailMessage {
                state: state.name.as_str(),
            };
            Typer::new(cx, &entry).expect(message, TyId::STRING, &cause);
        }
    }
}

fn transitions(
    cx: &mut Cx<'_, '_>,
    w: &Workflow<'_, '_>,
    id: StateId,
    state: &ast::State,
    body: &ast::StateBody,
) {
    let known = !w.graph.states().is_duplicate(id);
    let succeeded = w.scope(id, known.then_some(Point::Succeeded(id)));
    let failed = StateScope {
        error: ErrorScope::Failure(w.error_ty),
        ..w.scope(id, known.then_some(Point::Entry(id)))
    };
    let mut success_problems = false;
    for transition in &body.transitions {
        match transition.outcome {
            Outcome::Success => {
                if let Some(condition) = &transition.condition {
                    let before = cx.out.len();
                    Typer::new(cx, &succeeded).condition(condition);
                    success_problems |= cx.out.len() > before;
                }
            }
            Outcome::Failure => {
                for class in &transition.classes {
                    FailureClass::resolve(class, &mut cx.out);
                }
                if let Some(condition) = &transition.condition {
                    Typer::new(cx, &failed).condition(condition);
                }
            }
        }
    }
    // Conditions that did not check cannot be judged: fixing them comes
    // first, and may well make the clauses exhaustive.
    if !success_problems {
        exhaustive::check(cx, &succeeded, w.graph.states(), state, body);
    }
}

/// A worker call with named arguments.
fn worker_call(cx: &mut Cx<'_, '_>, scope: &StateScope<'_, '_>, call: &ast::Call) {
    let env = cx.env;
    let item = env.items.lookup(call.worker.as_str());
    if let Some(ItemRef::Worker(id)) = item {
        let sig = &env.workers[id.0 as usize];
        Typer::new(cx, scope).named_args(sig, &call.args, call.worker.span);
        return;
    }
    let name = &call.worker;
    let (suggestion, help) = match item {
        Some(ItemRef::Transformer(id)) => {
            let help = match env.items.transformer(id).body {
                // An external transformer cannot be called in an expression
                // (that is `impure_call`): it runs only as a hook.
                ast::TransformerBody::External { .. } => format!(
                    "`{}` is an external transformer: use it as a `before:` or `after:` hook of a worker or step, or declare a worker that runs its program",
                    name.name
                ),
                ast::TransformerBody::Pure(_) => format!(
                    "`{}` is a transformer: call it inside an expression or use it as a `before:`/`after:` hook, or declare a worker",
                    name.name
                ),
            };
            (None, help)
        }
        Some(ItemRef::Workflow(_)) => (
            None,
            format!(
                "`{}` is a workflow; a state calls a worker (workflows cannot call workflows yet)",
                name.name
            ),
        ),
        Some(other) => (None, wrong_kind_help(name.as_str(), other, "worker")),
        None => {
            let names = env.items.names_of(|r| matches!(r, ItemRef::Worker(_)));
            let suggestion = suggest::suggest(name.as_str(), name.span, names);
            let help = suggest::help(
                &suggestion,
                format!("declare it with `worker {}(...) -> T {{ ... }}`", name.name),
            );
            (suggestion, help)
        }
    };
    cx.out.push(CheckError::UnknownWorker {
        name: name.name.to_string(),
        span: name.span,
        suggestion,
        help,
    });
    let mut typer = Typer::new(cx, scope);
    for arg in &call.args {
        typer.expr(&arg.value);
    }
}

/// The list a map state iterates; returns the type of its elements.
fn iterate(
    cx: &mut Cx<'_, '_>,
    scope: &StateScope<'_, '_>,
    state: &ast::State,
    list: &ast::Expr,
) -> TyId {
    let mut typer = Typer::new(cx, scope);
    let typed = typer.expr(list);
    let ty = typer.present(typed, list.span, Use::Iterate);
    let types = &cx.types;
    match types.get(ty) {
        Ty::List(elem) => *elem,
        Ty::Json => TyId::JSON,
        Ty::Error | Ty::Nothing => TyId::ERROR,
        _ => {
            cx.out.push(CheckError::TypeMismatch {
                expected: "a list".to_string(),
                found: types.show(ty),
                span: list.span,
                context: format!("the list that map state `{}` iterates", state.name.name),
                because: None,
                help: Some("a map state calls its worker once per element of a list".to_string()),
            });
            TyId::ERROR
        }
    }
}

/// A `succeed` value against the workflow's output type.
fn succeed(
    cx: &mut Cx<'_, '_>,
    w: &Workflow<'_, '_>,
    scope: &StateScope<'_, '_>,
    value: &ast::Expr,
) {
    let cause = Cause::Output {
        workflow: w.sig.name.as_str(),
        declared: w.sig.output_span,
    };
    Typer::new(cx, scope).expect(value, w.sig.output, &cause);
}
