//! What names mean inside an expression.
//!
//! Each place that holds expressions (a transformer body, executor settings,
//! the states of a workflow) has its own scope; the expression checker asks it
//! what a name stands for.

use crate::check::analysis::Res;
use crate::check::env::{ParamSig, list_names};
use crate::check::error::Suggestion;
use crate::check::graph::Absence;
use crate::check::suggest;
use crate::check::types::TyId;
use crate::syntax::ast::Span;

/// The answer of a scope about a name.
#[derive(Debug, Clone)]
pub(crate) enum Lookup {
    Value(TyId),
    /// `error` outside `on_failure` conditions: the failure routed most
    /// recently, of this (optional) type.
    Routed(TyId),
    /// The value of a step that may not have run yet here; `ty` is the
    /// step's value type, before it is made optional.
    NotRun {
        ty: TyId,
        step: u32,
    },
    /// The name exists but has no value here; the help says why.
    NoValue(String),
    Unknown,
}

/// What a `maybe_not_run` message needs to say.
#[derive(Debug, Clone)]
pub(crate) struct NotRunInfo {
    pub(crate) step: String,
    pub(crate) state: String,
    pub(crate) defined: Span,
    /// Whether the step has not run yet, or failed, or either.
    pub(crate) absence: Absence,
}

/// What a name resolved to, and the span of its definition's name (none
/// for `error`).
pub(crate) type Resolution = Option<(Res, Option<Span>)>;

pub(crate) trait Scope {
    /// What `name` means here, and what it resolved to, which the caller
    /// records for the builder and the analysis.
    fn lookup(&self, name: &str) -> (Lookup, Resolution);

    /// The name in scope closest to a misspelt one.
    fn suggest(&self, name: &str, span: Span) -> Option<Suggestion>;

    /// The help for a name that is not in scope at all.
    fn unknown_help(&self) -> String;

    /// Whether `env()` may be called here (executor settings only).
    fn env_allowed(&self) -> bool {
        false
    }

    /// About a step that this scope answered `Lookup::NotRun` for.
    fn not_run(&self, step: u32) -> Option<NotRunInfo>;
}

/// The parameters of a worker or transformer: the scope of its executor
/// settings or its body.
pub(crate) struct ParamScope<'s, 'a> {
    pub(crate) params: &'s [ParamSig<'a>],
    /// "worker `Coder`", for messages.
    pub(crate) owner: String,
    pub(crate) env_allowed: bool,
}

impl Scope for ParamScope<'_, '_> {
    fn lookup(&self, name: &str) -> (Lookup, Resolution) {
        match self
            .params
            .iter()
            .enumerate()
            .find(|(_, p)| p.name.as_str() == name)
        {
            Some((at, p)) => (
                Lookup::Value(p.ty),
                Some((Res::Param(at as u32), Some(p.name.span))),
            ),
            None => (Lookup::Unknown, None),
        }
    }

    fn suggest(&self, name: &str, span: Span) -> Option<Suggestion> {
        suggest::suggest(name, span, self.params.iter().map(|p| p.name.as_str()))
    }

    fn unknown_help(&self) -> String {
        if self.params.is_empty() {
            format!("{} has no parameters", self.owner)
        } else {
            format!(
                "the names in scope here are the parameters of {}: {}",
                self.owner,
                list_names(self.params.iter().map(|p| p.name.as_str()))
            )
        }
    }

    fn env_allowed(&self) -> bool {
        self.env_allowed
    }

    fn not_run(&self, _step: u32) -> Option<NotRunInfo> {
        // Parameters are always present: no lookup here answers `NotRun`.
        None
    }
}
