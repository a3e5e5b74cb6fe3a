//! `--mock Worker=@file.json`: a worker replaced by a fixed output.
//!
//! The value is read and validated against the worker's output type here,
//! so that a wrong mock is refused before the run with the path of the
//! mismatch; the engine then uses it in place of the worker
//! ([`RunOptions::mocks`](crate::runtime::engine::RunOptions)): no process,
//! request or `before` hook runs, and the value goes through the `after`
//! hooks as a real output would.

use serde_json::Value;

use crate::ir::{Program, WorkerId};
use crate::runtime::validate::validate;

/// Reads one `--mock` argument: the worker it replaces and its output, or
/// what is wrong with it.
pub(super) fn parse(program: &Program, spec: &str) -> Result<(WorkerId, Value), String> {
    let Some((name, file)) = spec.split_once('=') else {
        return Err(format!(
            "`--mock {spec}` is not of the form `Worker=@file.json`"
        ));
    };
    let Some(path) = file.strip_prefix('@') else {
        return Err(format!(
            "`--mock {spec}`: the output must be read from a file, as `{name}=@file.json`"
        ));
    };
    let Some(index) = program.workers.iter().position(|w| w.name == name) else {
        let names: Vec<&str> = program.workers.iter().map(|w| w.name.as_str()).collect();
        let hint = match crate::cli::checked::did_you_mean(name, &names) {
            Some(close) => format!("; did you mean `{close}`?"),
            None if names.is_empty() => "; it has no workers".to_string(),
            None => format!(
                "; its workers are {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(format!("`--mock`: the file has no worker `{name}`{hint}"));
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
    let id = WorkerId(u32::try_from(index).map_err(|_| "too many workers")?);
    Ok((id, value))
}
