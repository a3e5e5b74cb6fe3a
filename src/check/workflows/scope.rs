//! The names an expression of a state can use: the loop variable of a map,
//! `error` (the failure being routed in `on_failure` conditions, the one
//! routed most recently elsewhere), the workflow's parameters, and the
//! values of the states, which may not exist yet at the point where the
//! expression is evaluated (definite assignment).

use crate::check::analysis::Res;
use crate::check::env::{ParamSig, list_names};
use crate::check::error::Suggestion;
use crate::check::expr::{Lookup, NotRunInfo, Resolution, Scope};
use crate::check::graph::{Absence, Point, WorkflowGraph};
use crate::check::states::StateId;
use crate::check::suggest;
use crate::check::types::TyId;
use crate::syntax::ast::{self, Span};

pub(super) struct StateScope<'s, 'a> {
    pub(super) graph: &'s WorkflowGraph<'a>,
    pub(super) params: &'s [ParamSig<'a>],
    /// The value type of each state, by `StateId`; `None` for `succeed` and
    /// `fail` states, which have none.
    pub(super) values: &'s [Option<TyId>],
    /// The state whose expression this is.
    pub(super) here: StateId,
    /// Where in the run the expression is evaluated; `None` when that is not
    /// known (a duplicate state definition, which no transition reaches),
    /// and then every value counts as available.
    pub(super) at: Option<Point>,
    /// The loop variable of a map state, in its call's arguments.
    pub(super) var: Option<(&'s ast::Ident, TyId)>,
    /// What `error` is here.
    pub(super) error: ErrorScope,
}

/// What `error` stands for in an expression of a workflow.
#[derive(Debug, Clone, Copy)]
pub(super) enum ErrorScope {
    /// In an `on_failure` condition: the failure being routed, of this
    /// record type.
    Failure(TyId),
    /// Anywhere else: the failure routed most recently in the run, or
    /// `null`; of this optional type.
    Routed(TyId),
}

impl StateScope<'_, '_> {
    fn param(&self, name: &str) -> Option<(usize, &ParamSig<'_>)> {
        self.params
            .iter()
            .enumerate()
            .find(|(_, p)| p.name.as_str() == name)
    }
}

impl Scope for StateScope<'_, '_> {
    fn lookup(&self, name: &str) -> (Lookup, Resolution) {
        if let Some((var, ty)) = self.var {
            if var.as_str() == name {
                return (Lookup::Value(ty), Some((Res::Var, Some(var.span))));
            }
        }
        if name == "error" {
            let lookup = match self.error {
                ErrorScope::Failure(ty) => Lookup::Value(ty),
                ErrorScope::Routed(ty) => Lookup::Routed(ty),
            };
            return (lookup, Some((Res::Error, None)));
        }
        if let Some((at, param)) = self.param(name) {
            let res = (Res::Param(at as u32), Some(param.name.span));
            return (Lookup::Value(param.ty), Some(res));
        }
        let states = self.graph.states();
        if let Some(id) = states.lookup(name) {
            let res = Some((Res::State(id), Some(states.state(id).name.span)));
            let lookup = match self.values.get(id.index()).copied().flatten() {
                None => Lookup::NoValue(format!(
                    "`{name}` is a `{}` state: it ends the run and has no value",
                    states.state(id).kind.keyword()
                )),
                Some(ty) => {
                    let available = self.at.is_none_or(|at| self.graph.value_available(id, at));
                    if available {
                        Lookup::Value(ty)
                    } else {
                        Lookup::NotRun { ty, step: id.0 }
                    }
                }
            };
            return (lookup, res);
        }
        (Lookup::Unknown, None)
    }

    fn suggest(&self, name: &str, span: Span) -> Option<Suggestion> {
        let states = self.graph.states();
        let with_values = states.names().filter(|n| {
            states
                .lookup(n)
                .and_then(|id| self.values.get(id.index()).copied().flatten())
                .is_some()
        });
        let candidates = self
            .var
            .map(|(var, _)| var.as_str())
            .into_iter()
            .chain(["error"])
            .chain(self.params.iter().map(|p| p.name.as_str()))
            .chain(with_values);
        suggest::suggest(name, span, candidates)
    }

    fn unknown_help(&self) -> String {
        let mut parts = Vec::new();
        if let Some((var, _)) = self.var {
            parts.push(format!("the loop variable `{}`", var.name));
        }
        parts.push("`error`".to_string());
        if !self.params.is_empty() {
            parts.push(format!(
                "the parameters {}",
                list_names(self.params.iter().map(|p| p.name.as_str()))
            ));
        }
        parts.push("the names of `step`, `parallel` and `map` states".to_string());
        format!("the names in scope here are {}", parts.join(", "))
    }

    fn not_run(&self, step: u32) -> Option<NotRunInfo> {
        let states = self.graph.states();
        let id = StateId(step);
        let step = states.state(id);
        let here = states.state(self.here);
        let absence = match self.at {
            Some(at) => self.graph.absence(id, at),
            None => Absence::NotRun,
        };
        Some(NotRunInfo {
            step: step.name.name.to_string(),
            state: here.name.name.to_string(),
            defined: step.name.span,
            absence,
        })
    }
}
