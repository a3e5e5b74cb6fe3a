//! `UnknownState` diagnostics with "did you mean" suggestions.

use super::StateTable;
use crate::check::{CheckError, suggest};
use crate::syntax::ast;

/// How many candidate names the suggestions of one workflow may compare in
/// total. A search compares the unknown name with every state, so without a
/// cap a huge workflow full of misspelt targets would take quadratic time;
/// with it, the first searches still get suggestions and the rest get the
/// plain help.
const COMPARISON_BUDGET: usize = 1_000_000;

/// Reports unknown state names of one workflow.
pub(super) struct UnknownStates<'t, 'a> {
    table: &'t StateTable<'a>,
    budget: usize,
}

impl<'t, 'a> UnknownStates<'t, 'a> {
    pub(super) fn new(table: &'t StateTable<'a>) -> Self {
        UnknownStates {
            table,
            budget: COMPARISON_BUDGET,
        }
    }

    /// The diagnostic for `name`, which names no state of the workflow.
    pub(super) fn error(&mut self, name: &ast::Ident) -> CheckError {
        let workflow = self.table.workflow().name.as_str();
        let cost = self.table.len().max(1);
        let suggestion = if cost <= self.budget {
            self.budget -= cost;
            suggest::suggest(name.as_str(), name.span, self.table.names())
        } else {
            None
        };
        let help = suggest::help(
            &suggestion,
            format!(
                "define a state named `{}` in workflow `{workflow}`, or name one of its states",
                name.name
            ),
        );
        CheckError::UnknownState {
            name: name.name.to_string(),
            workflow: workflow.to_string(),
            span: name.span,
            suggestion,
            help,
        }
    }
}
