//! The states of each workflow: their values, settings and hooks, the
//! worker calls and the expressions in them, and whether `on_success`
//! clauses are exhaustive. The state graph (names, targets, reachability,
//! loops, definite assignment) is analysed by `graph`.

mod exhaustive;
mod scope;
mod typing;
mod values;

use super::env::{Cx, Sig};
use super::error::CheckError;
use super::failure;
use super::graph;
use super::types::TyId;
use crate::syntax::ast;

pub(crate) fn check_all(cx: &mut Cx<'_, '_>) {
    let env = cx.env;
    let error_ty = failure::error_type(&mut cx.types);
    let routed_ty = failure::routed_error_type(&mut cx.types);
    for (workflow, sig) in env.items.workflows.iter().zip(&env.workflows) {
        let graph = graph::analyze_workflow(workflow, &mut cx.out, &mut cx.tables);
        // Once a parameter or state called `error` is reported, `error`
        // is unchecked in the workflow: its uses are that one mistake.
        let shadowed = report_ambiguous(cx, workflow, sig);
        let unless_shadowed = |ty| if shadowed { TyId::ERROR } else { ty };
        // Values first: an expression may name any state, before or after
        // its own.
        let values: Vec<_> = workflow
            .states
            .iter()
            .map(|state| values::state_value(cx, state))
            .collect();
        for (state, value) in workflow.states.iter().zip(&values) {
            if let Some(ty) = value {
                cx.tables.def_type(state.name.span, *ty);
            }
        }
        let w = typing::Workflow {
            graph: &graph,
            sig,
            values: &values,
            error_ty: unless_shadowed(error_ty),
            routed_ty: unless_shadowed(routed_ty),
        };
        for id in graph.states().ids() {
            typing::check_state(cx, &w, id);
        }
    }
}

/// A state named like a parameter of its workflow, or a parameter or state
/// named `error`: an expression could not tell which one it means. Returns
/// whether something was named `error`.
fn report_ambiguous(cx: &mut Cx<'_, '_>, workflow: &ast::Workflow, sig: &Sig<'_>) -> bool {
    // `error` is in scope in every expression of a workflow.
    let shadowed = |what, span| CheckError::ShadowedError {
        what,
        workflow: workflow.name.name.to_string(),
        span,
    };
    let mut named_error = false;
    if let Some((_, param)) = sig.param("error") {
        cx.out.push(shadowed("parameter", param.name.span));
        named_error = true;
    }
    for state in &workflow.states {
        // A `succeed` or `fail` state has no value: its name is only ever
        // a transition's target.
        let has_value = !matches!(
            state.kind,
            ast::StateKind::Succeed(_) | ast::StateKind::Fail(_)
        );
        if state.name.as_str() == "error" && has_value {
            cx.out.push(shadowed("state", state.name.span));
            named_error = true;
        }
    }
    if sig.params.is_empty() {
        return named_error;
    }
    for state in &workflow.states {
        if let Some((_, param)) = sig.param(state.name.as_str()) {
            cx.out.push(CheckError::AmbiguousName {
                name: state.name.name.to_string(),
                workflow: workflow.name.name.to_string(),
                span: state.name.span,
                param: param.name.span,
            });
        }
    }
    named_error
}
