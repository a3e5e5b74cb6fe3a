//! What the passes record as they check: what each name resolved to, the
//! type of each definition and of each expression. The program builder
//! reads the resolutions instead of looking names up a second time, and
//! [`super::Analysis`] is made from all three.

use super::RefKind;
use crate::check::items::ItemRef;
use crate::check::states::StateId;
use crate::check::types::TyId;
use crate::syntax::ast::{Ident, Span};

/// What a name stands for where it is used, in the terms of the pass that
/// resolved it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Res {
    /// A type, worker, transformer or workflow (also a name of the wrong
    /// kind, which was reported).
    Item(ItemRef),
    /// A state of the workflow the use is in: a transition target, the
    /// `start:` state, or a step's value in an expression.
    State(StateId),
    /// A parameter, by position in the signature of the worker,
    /// transformer or workflow the expression belongs to.
    Param(u32),
    /// The loop variable of a map state.
    Var,
    /// `error` in a workflow.
    Error,
    /// A named argument, by position in the callee's parameters.
    Arg(u32),
    /// A field of a record type written in the source.
    Field,
}

/// One resolved name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Use {
    /// The name as written where it is used.
    pub(crate) span: Span,
    pub(crate) res: Res,
    /// The span of the definition's name (of a field's whole declaration),
    /// when the name is defined in the file.
    pub(crate) def: Option<Span>,
    pub(crate) kind: RefKind,
}

/// Everything recorded during one check. A check that builds no program
/// records nothing, and one that builds a program without an analysis
/// only the resolutions, so that `check` and `check_program` pay for no
/// table they do not use.
#[derive(Default, Debug)]
pub(crate) struct Tables {
    /// Whether resolutions are recorded (for the builder).
    uses_on: bool,
    /// Whether the types of definitions and expressions are recorded (for
    /// the analysis).
    types_on: bool,
    /// Sorted by span once [`Tables::finish`] has run.
    uses: Vec<Use>,
    /// The type of each definition, by the span of its name: parameters,
    /// fields, states, branches, loop variables, `type` definitions.
    pub(crate) def_types: Vec<(Span, TyId)>,
    /// The type of each expression the checker typed.
    pub(crate) expr_types: Vec<(Span, TyId)>,
}

impl Tables {
    pub(crate) fn new(uses: bool, types: bool) -> Self {
        Tables {
            uses_on: uses,
            types_on: types,
            ..Tables::default()
        }
    }

    /// Whether resolutions are recorded, for callers that would have to
    /// look something up to record one.
    pub(crate) fn records_uses(&self) -> bool {
        self.uses_on
    }

    pub(crate) fn resolve(&mut self, at: &Ident, res: Res, def: Option<Span>, kind: RefKind) {
        if !self.uses_on {
            return;
        }
        self.uses.push(Use {
            span: at.span,
            res,
            def,
            kind,
        });
    }

    pub(crate) fn def_type(&mut self, name: Span, ty: TyId) {
        if self.types_on {
            self.def_types.push((name, ty));
        }
    }

    pub(crate) fn expr_type(&mut self, span: Span, ty: TyId) {
        if self.types_on {
            self.expr_types.push((span, ty));
        }
    }

    /// Orders the resolutions for lookups; a name resolved twice (an
    /// expression checked in two scopes) keeps its first resolution.
    pub(crate) fn finish(&mut self) {
        self.uses.sort_by_key(|u| u.span.start);
        self.uses.dedup_by_key(|u| u.span.start);
    }

    /// What the name written at `at` resolved to. Call after
    /// [`Tables::finish`].
    pub(crate) fn get(&self, at: Span) -> Option<Res> {
        self.uses
            .binary_search_by_key(&at.start, |u| u.span.start)
            .ok()
            .map(|i| self.uses[i].res)
    }

    pub(crate) fn uses(&self) -> &[Use] {
        &self.uses
    }
}
