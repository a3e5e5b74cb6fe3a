//! Workflow settings: `start` and `max_steps`.

use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;

use super::unknown::UnknownStates;
use super::{StateId, StateTable};
use crate::check::analysis::{RefKind, Res, Tables};
use crate::check::settings::{describe, strip_parens};
use crate::check::{CheckError, suggest};
use crate::syntax::ast::{self, ExprKind};

/// The settings a workflow accepts.
const KNOWN: &[&str] = &["start", "max_steps"];

/// What the `start:` setting says.
pub(super) enum Start {
    /// No `start:`: the run starts in the first state.
    First,
    /// `start:` names this state.
    Named(StateId),
    /// `start:` is present but names no state; already reported.
    Invalid,
}

/// Checks the settings of the workflow and returns what `start:` says.
/// Only the first of duplicated settings counts.
pub(super) fn check(
    table: &StateTable<'_>,
    unknown: &mut UnknownStates<'_, '_>,
    out: &mut Vec<CheckError>,
    tables: &mut Tables,
) -> Start {
    let workflow = table.workflow();
    let mut seen: HashMap<&str, ast::Span> = HashMap::default();
    let mut start = Start::First;
    for setting in &workflow.settings {
        let name = setting.name.as_str();
        if !KNOWN.contains(&name) {
            let suggestion = suggest::suggest(name, setting.name.span, KNOWN.iter().copied());
            let help = suggest::help(
                &suggestion,
                "a workflow accepts `start: state` and `max_steps: N`; step settings go inside a step",
            );
            out.push(CheckError::UnknownSetting {
                name: name.to_string(),
                context: "a workflow".to_string(),
                span: setting.name.span,
                suggestion,
                help,
            });
            continue;
        }
        match seen.entry(name) {
            Entry::Occupied(first) => {
                out.push(CheckError::DuplicateSetting {
                    name: name.to_string(),
                    span: setting.name.span,
                    first: *first.get(),
                });
                continue;
            }
            Entry::Vacant(slot) => {
                slot.insert(setting.name.span);
            }
        }
        if name == "start" {
            start = check_start(table, unknown, &setting.value, out, tables);
        } else {
            check_max_steps(&setting.value, out);
        }
    }
    start
}

/// `start:` takes the bare name of a state.
fn check_start(
    table: &StateTable<'_>,
    unknown: &mut UnknownStates<'_, '_>,
    value: &ast::Expr,
    out: &mut Vec<CheckError>,
    tables: &mut Tables,
) -> Start {
    let value = strip_parens(value);
    if let ExprKind::Name(name) = &value.kind {
        if let Some(id) = table.lookup(name.as_str()) {
            let def = Some(table.state(id).name.span);
            tables.resolve(name, Res::State(id), def, RefKind::Start);
            return Start::Named(id);
        }
        // A workflow without states is reported as such; saying that the
        // start state is unknown too would add nothing.
        if !table.is_empty() {
            out.push(unknown.error(name));
        }
        return Start::Invalid;
    }
    let quoted = match &value.kind {
        ExprKind::String(text) => text.as_plain().filter(|t| table.lookup(t).is_some()),
        _ => None,
    };
    let help = match (quoted, table.names().next()) {
        (Some(text), _) => format!("write the state's name without quotes: `start: {text}`"),
        (None, Some(first)) => {
            format!(
                "name one of the workflow's states without quotes, for example `start: {first}`"
            )
        }
        (None, None) => "add states to the workflow and name one of them here".to_string(),
    };
    out.push(CheckError::InvalidSetting {
        name: "start".to_string(),
        expected: "the name of a state".to_string(),
        span: value.span,
        found: describe(value),
        help,
    });
    Start::Invalid
}

/// `max_steps:` takes a whole number of at least 1.
fn check_max_steps(value: &ast::Expr, out: &mut Vec<CheckError>) {
    let value = strip_parens(value);
    let found = match &value.kind {
        ExprKind::Int(n) if *n >= 1 => return,
        ExprKind::Int(0) => "this is zero".to_string(),
        ExprKind::Int(_)
        | ExprKind::Unary {
            op: ast::UnaryOp::Neg,
            ..
        } => "this is a negative number".to_string(),
        _ => describe(value),
    };
    out.push(CheckError::InvalidSetting {
        name: "max_steps".to_string(),
        expected: "a whole number of at least 1".to_string(),
        span: value.span,
        found,
        help: "`max_steps` bounds the number of transitions in one run, for example `max_steps: 10000`"
            .to_string(),
    });
}
