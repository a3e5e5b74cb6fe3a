//! The words of `maybe_not_run`: why a step's value may be missing where it
//! is used, and a help that handles the absence honestly.
//!
//! A default given with `??` is the same value whatever the reason for the
//! absence. Before a step has run, an empty list or string ("no comments
//! yet") is what a loop usually means, and the help offers it. A literal
//! that looks like a result (the first member of a union, `0`, `false`) is
//! never offered: `score?.label ?? "good"` would pass a quality check that
//! never ran. And when the step may have failed, no default is offered at
//! all: a failure would then look like a result. The help says where the
//! failure leads instead, and how to route it.

use super::scope::NotRunInfo;
use crate::check::graph::Absence;
use crate::check::types::{Ty, TyId, Types};
use crate::syntax::ast::Span;

/// The empty value of a list or string type: what "nothing yet" is for it.
pub(super) fn empty_value(types: &Types, ty: TyId) -> Option<&'static str> {
    let (inner, _) = types.strip_optional(ty);
    match types.get(inner) {
        Ty::String => Some("\"\""),
        Ty::List(_) => Some("[]"),
        _ => None,
    }
}

/// The end of the message ("may not have run yet at `x`"), the failure
/// clause to label, and the help. `field` is the field the expression
/// reads, if it reads one; `empty` the empty value of what it reads.
pub(super) fn explain(
    info: &NotRunInfo,
    field: Option<&str>,
    empty: Option<&str>,
) -> (String, Option<Span>, String) {
    let step = &info.step;
    let state = &info.state;
    let access = match field {
        Some(name) => format!("{step}?.{name}"),
        None => step.clone(),
    };
    match info.absence {
        Absence::NotRun => {
            let help = match (field, empty) {
                (Some(_), Some(empty)) => {
                    format!("use `{access} ?? {empty}` to give a default when `{step}` has not run")
                }
                (None, Some(empty)) => format!(
                    "use `{step} ?? {empty}` to give a default, or make sure `{step}` runs on every path to `{state}`"
                ),
                (_, None) => format!(
                    "use `{access} ?? ...` with the value that stands for \"`{step}` has not run yet\", or make sure `{step}` runs on every path to `{state}`"
                ),
            };
            (format!("may not have run yet at `{state}`"), None, help)
        }
        Absence::Failed { clause } => (
            format!("may have failed before `{state}`"),
            clause,
            format!(
                "`{state}` is reached when `{step}` fails, and a failed step has no value: send that failure to a state that does not need the value, or pass `{access}` where `null` is accepted and handle it there; a default with `??` would make the failure look like a result"
            ),
        ),
        Absence::NotRunOrFailed { clause } => (
            format!("may not have run yet, or may have failed, at `{state}`"),
            clause,
            format!(
                "`{step}` has no value here before it has run, nor after it failed: use `{access} ?? ...` only if one value is right for both; otherwise send its failure to a state that does not need the value"
            ),
        ),
    }
}
