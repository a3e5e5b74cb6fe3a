//! What the commands about one run of the store share: opening the store,
//! finding the run by any unique prefix of its id, and building its program
//! again from the source it started from (which `flow resume`, `flow
//! approve` and `flow reject` go on with, and `flow status` and `flow logs`
//! replay its journal on).

use std::path::Path;
use std::process::ExitCode;

use super::checked;
use super::print_stderr;
use super::store_args::{self, StoreArgs};
use crate::diagnostics::human::HumanRenderer;
use crate::ir::{Program, WorkflowId};
use crate::runtime::engine::RunOptions;
use crate::runtime::store::{RunRow, Store};

/// A run of the store with the program it runs.
pub(super) struct StoredRun {
    pub store: Store,
    pub row: RunRow,
    pub program: Program,
    pub workflow: WorkflowId,
}

/// What to do with the diagnostics of the stored source, which checked
/// when the run started (its warnings were shown then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Diagnostics {
    /// Print its errors, if this version of flow finds any, as `flow
    /// check` does (the commands that run the source again), and warn when
    /// the file on disk has changed since.
    Errors,
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
    let (_, program, workflow) = match build(renderer, &store, &row, diagnostics)? {
        Ok(built) => built,
        Err(message) => return Ok(Err(message)),
    };
    Ok(Ok(StoredRun {
        store,
        row,
        program,
        workflow,
    }))
}

/// The program a stored run goes on with, and the options that come from
/// where its file was.
pub(super) struct Stored {
    pub program: Program,
    pub workflow: WorkflowId,
    /// The file's directory is where its programs run.
    pub options: RunOptions,
}

/// The program of run `row` of `store`, to go on with: its source checked
/// again (errors printed) and, with `warn_changed`, a warning when the file
/// on disk has changed since the run started.
pub(super) fn program(
    renderer: &HumanRenderer,
    store: &Store,
    row: &RunRow,
    warn_changed: bool,
) -> Result<Result<Stored, String>, ExitCode> {
    let diagnostics = Diagnostics::Errors;
    let (source, program, workflow) = match build(renderer, store, row, diagnostics)? {
        Ok(built) => built,
        Err(message) => return Ok(Err(message)),
    };
    if warn_changed
        && row.path != "-"
        && let Ok(now) = std::fs::read_to_string(&row.path)
        && now != source
    {
        print_stderr(&renderer.render_warning(format!(
            "`{}` changed since run {} started; the run goes on with the source it started from\n  \
             = help: `flow resume {} --upgrade` moves it to the file as it is, if that is safe",
            row.path, row.id, row.id
        )))?;
    }
    let base_dir = (row.path != "-")
        .then(|| Path::new(&row.path).parent().map(Path::to_path_buf))
        .flatten();
    Ok(Ok(Stored {
        program,
        workflow,
        options: RunOptions {
            base_dir,
            ..RunOptions::default()
        },
    }))
}

/// The stored source of `row`, checked again, and its workflow.
fn build(
    renderer: &HumanRenderer,
    store: &Store,
    row: &RunRow,
    diagnostics: Diagnostics,
) -> Result<Result<(String, Program, WorkflowId), String>, ExitCode> {
    let source = match store.source(row.key) {
        Ok((text, _)) => text,
        Err(e) => return Ok(Err(store_args::describe(&e))),
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
    let checked = match diagnostics {
        Diagnostics::Errors => checked::check_stored(renderer, row.path.clone(), source.clone())?,
        Diagnostics::Quiet => checked::check_quietly(source.clone()),
    };
    let Some(checked) = checked else {
        return Ok(Err(unusable()));
    };
    let program = checked.program;
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
    Ok(Ok((source, program, WorkflowId(index))))
}

/// The store (which must exist) and the run `prefix` names in it.
pub(super) fn resolve(store: &StoreArgs, prefix: &str) -> Result<(Store, RunRow), String> {
    let store = store.open_existing()?;
    let row = store
        .resolve(prefix)
        .map_err(|e| store_args::describe(&e))?;
    Ok((store, row))
}
