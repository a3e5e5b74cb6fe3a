//! `--mock`: a worker replaced by its outcomes, one per call.
//!
//! `--mock Worker=@file.json` gives an output read from a file and
//! `--mock Worker=fail:CLASS[:MESSAGE]` a failure of that class. Given
//! several times for one worker, the outcomes are taken in order, one per
//! call (a retry is a call), and the last repeats; so
//! `--mock Reviewer=@reject.json --mock Reviewer=@approve.json` exercises a
//! review loop once round.
//!
//! Outputs are read and validated against the worker's output type here,
//! so that a wrong mock is refused before the run with the path of the
//! mismatch; the engine then uses them in place of the worker
//! ([`RunOptions::mocks`](crate::runtime::engine::RunOptions)): no process,
//! request, person or `before` hook runs, and an output goes through the
//! `after` hooks as a real output would.

use std::collections::HashMap;

use serde_json::Value;

use crate::ir::{FailureClass, Program, WorkerId};
use crate::runtime::engine::{Mock, MockOutcome};
use crate::runtime::validate::validate;

/// Reads every `--mock` argument, in order, into the mocks of the run.
pub(super) fn parse_all(
    program: &Program,
    specs: &[String],
) -> Result<HashMap<WorkerId, Mock>, String> {
    let mut outcomes: HashMap<WorkerId, Vec<MockOutcome>> = HashMap::new();
    for spec in specs {
        let (worker, outcome) = parse(program, spec)?;
        outcomes.entry(worker).or_default().push(outcome);
    }
    Ok(outcomes
        .into_iter()
        .filter_map(|(worker, outcomes)| Mock::new(outcomes).map(|mock| (worker, mock)))
        .collect())
}

/// Reads one `--mock` argument: the worker it replaces and one outcome, or
/// what is wrong with it.
pub(super) fn parse(program: &Program, spec: &str) -> Result<(WorkerId, MockOutcome), String> {
    let Some((name, outcome)) = spec.split_once('=') else {
        return Err(format!(
            "`--mock {spec}` is not of the form `Worker=@file.json` or `Worker=fail:CLASS:MESSAGE`"
        ));
    };
    let Some(index) = program.workers.iter().position(|w| w.name == name) else {
        return Err(no_such_worker(program, name));
    };
    let id = WorkerId(u32::try_from(index).map_err(|_| "too many workers")?);
    if let Some(failure) = outcome.strip_prefix("fail:") {
        return failure_outcome(spec, failure).map(|outcome| (id, outcome));
    }
    let Some(path) = outcome.strip_prefix('@') else {
        return Err(format!(
            "`--mock {spec}`: the output must be read from a file, as `{name}=@file.json`, \
             or be a failure, as `{name}=fail:transient:the server is busy`"
        ));
    };
    let text = crate::cli::checked::read_text(std::path::Path::new(path), "the mock output")?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("the mock output `{path}` is not valid JSON: {e}"))?;
    let worker = &program.workers[index];
    let value = validate(value, worker.output, &program.types).map_err(|mismatch| {
        format!(
            "the mock output `{path}` does not fit the output type of `{name}` ({}): {mismatch}",
            program.types.show(worker.output)
        )
    })?;
    Ok((id, MockOutcome::Output(value)))
}

/// `CLASS` or `CLASS:MESSAGE`, after `fail:`.
fn failure_outcome(spec: &str, failure: &str) -> Result<MockOutcome, String> {
    let (class_name, message) = match failure.split_once(':') {
        Some((class, message)) => (class, Some(message)),
        None => (failure, None),
    };
    let Some(class) = FailureClass::from_name(class_name) else {
        let classes: Vec<&str> = FailureClass::ALL.iter().map(|c| c.name()).collect();
        return Err(format!(
            "`--mock {spec}`: `{class_name}` is not a failure class; the classes are {}",
            crate::cli::checked::listed(&classes)
        ));
    };
    let message = match message {
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => format!("a mocked {class} failure"),
    };
    Ok(MockOutcome::Fail { class, message })
}

/// The message for a `--mock` of a worker the file does not have.
fn no_such_worker(program: &Program, name: &str) -> String {
    let names: Vec<&str> = program.workers.iter().map(|w| w.name.as_str()).collect();
    let hint = match crate::cli::checked::did_you_mean(name, &names) {
        Some(close) => format!("; did you mean `{close}`?"),
        None if names.is_empty() => "; it has no workers".to_string(),
        None => format!("; its workers are {}", crate::cli::checked::listed(&names)),
    };
    format!("`--mock`: the file has no worker `{name}`{hint}")
}
