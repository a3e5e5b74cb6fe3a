//! What the commands about one run of the store share: opening the store,
//! finding the run by any unique prefix of its id, and building its program
//! again from the source it started from (which `flow resume` goes on with,
//! and `flow status` and `flow logs` replay its journal on).

use std::process::ExitCode;

use super::checked;
use super::store_args::StoreArgs;
use crate::diagnostics::human::HumanRenderer;
use crate::diagnostics::{Counts, Diagnostic};
use crate::ir::{Program, WorkflowId};
use crate::runtime::store::{RunRow, Store, StoreError};

/// A run of the store with the program it runs.
pub(super) struct StoredRun {
    pub store: Store,
    pub row: RunRow,
    /// The source text the run started from.
    pub source: String,
    pub program: Program,
    pub workflow: WorkflowId,
}

/// What to do with the diagnostics of the stored source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Diagnostics {
    /// Print them as `flow check` does, warnings included (`flow resume`,
    /// which runs the source again).
    Print,
    /// Print none: a source that does not check is told in one sentence
    /// (`flow status`, `flow logs`, which only read the run).
    Quiet,
}

/// The store, the run `prefix` names, and its program. `Ok(Err(message))`
/// when one cannot be had: the message names the run, the store and what to
/// do, to be printed as a usage error.
pub(super) fn load(
    store: &StoreArgs,
    prefix: &str,
    renderer: &HumanRenderer,
    diagnostics: Diagnostics,
) -> Result<Result<StoredRun, String>, ExitCode> {
    let (store, row) = match resolve(store, prefix) {
        Ok(found) => found,
        Err(message) => return Ok(Err(message)),
    };
    let source = match store.source(row.key) {
        Ok((text, _)) => text,
        Err(e) => return Ok(Err(store_error(&e))),
    };
    let unusable = || {
        format!(
            "the source run {} started from (`{}`, kept in `{}`) does not check with this \
             version of flow; use the flow that started it",
            row.id,
            row.path,
            store.path().display()
        )
    };
    let program = match diagnostics {
        Diagnostics::Print => match checked::check(renderer, row.path.clone(), source.clone())? {
            Some(checked) => checked.program,
            None => return Ok(Err(unusable())),
        },
        Diagnostics::Quiet => {
            let parsed = crate::syntax::parse(&source);
            let program = parsed
                .errors
                .is_empty()
                .then(|| crate::check::check_program(&parsed.file))
                .filter(|(_, problems)| {
                    let diagnostics: Vec<Diagnostic> =
                        problems.iter().cloned().map(Diagnostic::from).collect();
                    Counts::of(&diagnostics).errors == 0
                })
                .and_then(|(program, _)| program);
            match program {
                Some(program) => program,
                None => return Ok(Err(unusable())),
            }
        }
    };
    let Some(index) = program
        .workflows
        .iter()
        .position(|w| w.name == row.workflow)
        .and_then(|i| u32::try_from(i).ok())
    else {
        return Ok(Err(format!(
            "the source of run {} (kept in `{}`) has no workflow `{}`",
            row.id,
            store.path().display(),
            row.workflow
        )));
    };
    Ok(Ok(StoredRun {
        store,
        row,
        source,
        program,
        workflow: WorkflowId(index),
    }))
}

/// The store (which must exist) and the run `prefix` names in it.
pub(super) fn resolve(store: &StoreArgs, prefix: &str) -> Result<(Store, RunRow), String> {
    let store = store.open_existing()?;
    let row = store.resolve(prefix).map_err(|e| store_error(&e))?;
    Ok((store, row))
}

/// A store error with what to do about it, in one message.
pub(super) fn store_error(error: &StoreError) -> String {
    use miette::Diagnostic;
    match error.help() {
        Some(help) => format!("{error}\n  = help: {help}"),
        None => error.to_string(),
    }
}
