//! Before a run starts: every environment variable that the workflow can read
//! (`Program::env_names`) must be set, so that a typo in a
//! variable's name costs nothing instead of failing the run at the step
//! that reads it, after the paid-for work before it is done.

use std::collections::HashMap;

use crate::ir::{Program, Reader, WorkerId, WorkflowId};
use crate::runtime::engine::Mock;

/// `Err` with the message naming every variable that is not set (or not
/// Unicode, which `env()` cannot read either); mocked workers run nothing
/// and need none of theirs.
pub(super) fn check(
    program: &Program,
    workflow: WorkflowId,
    mocks: &HashMap<WorkerId, Mock>,
) -> Result<(), String> {
    let missing: Vec<String> = program
        .env_names(workflow, &|worker| mocks.contains_key(&worker))
        .into_iter()
        .filter(|read| std::env::var(&read.name).is_err())
        .map(|read| format!("`{}` (read by {})", read.name, reader(program, read.reader)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let name = program
        .workflows
        .get(workflow.0 as usize)
        .map_or("", |w| w.name.as_str());
    let (what, them) = if missing.len() == 1 {
        ("an environment variable that is not set", "it")
    } else {
        ("environment variables that are not set", "them")
    };
    Err(format!(
        "the workflow `{name}` reads {what}: {}; set {them} and run again (nothing was run)",
        missing.join(", ")
    ))
}

/// The worker or hook program that reads a variable, for the message.
fn reader(program: &Program, reader: Reader) -> String {
    match reader {
        Reader::Worker(id) => program.workers.get(id.0 as usize).map_or_else(
            || "a worker".to_owned(),
            |w| format!("the worker `{}`", w.name),
        ),
        Reader::Hook(id) => program
            .transformers
            .get(id.0 as usize)
            .map_or_else(|| "a hook".to_owned(), |t| format!("the hook `{}`", t.name)),
    }
}
