//! A run in the store, made ready to go on: the program checked again from
//! the source the run started with, and its workflow found. `flow resume`,
//! `flow approve` and `flow reject` share it.

use std::path::Path;
use std::process::ExitCode;

use super::checked;
use super::print_stderr;
use crate::diagnostics::human::HumanRenderer;
use crate::ir::{Program, WorkflowId};
use crate::runtime::engine::RunOptions;
use crate::runtime::store::{RunRow, Store};

/// The program a stored run goes on with.
pub(super) struct Stored {
    pub program: Program,
    pub workflow: WorkflowId,
    /// The options that come from where the file was: its directory is
    /// where its programs run.
    pub options: RunOptions,
}

/// Checks the source run `row` started from again (warning when the file on
/// disk has changed since); `Err(message)` when it cannot go on, or
/// `Ok(None)` when the check failed, after its diagnostics were printed.
pub(super) fn load(
    renderer: &HumanRenderer,
    store: &Store,
    row: &RunRow,
) -> Result<Result<Stored, String>, ExitCode> {
    load_with(renderer, store, row, true)
}

/// [`load`] without the warning that the file changed: for `--upgrade`,
/// which moves the run to the file as it is.
pub(super) fn load_quietly(
    renderer: &HumanRenderer,
    store: &Store,
    row: &RunRow,
) -> Result<Result<Stored, String>, ExitCode> {
    load_with(renderer, store, row, false)
}

fn load_with(
    renderer: &HumanRenderer,
    store: &Store,
    row: &RunRow,
    warn: bool,
) -> Result<Result<Stored, String>, ExitCode> {
    let source = match store.source(row.key) {
        Ok((text, _)) => text,
        Err(e) => return Ok(Err(e.to_string())),
    };
    if warn
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
    let Some(checked) = checked::check_stored(renderer, row.path.clone(), source)? else {
        return Ok(Err(format!(
            "the source run {} started from does not check with this version of flow",
            row.id
        )));
    };
    let program = checked.program;
    let Some(index) = program
        .workflows
        .iter()
        .position(|w| w.name == row.workflow)
    else {
        return Ok(Err(format!(
            "the source of run {} has no workflow `{}`",
            row.id, row.workflow
        )));
    };
    let base_dir = (row.path != "-")
        .then(|| Path::new(&row.path).parent().map(Path::to_path_buf))
        .flatten();
    Ok(Ok(Stored {
        program,
        workflow: WorkflowId(index as u32),
        options: RunOptions {
            base_dir,
            ..RunOptions::default()
        },
    }))
}
