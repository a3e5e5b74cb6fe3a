//! The input fence: what a worker or a hook is handed is checked against
//! its parameter types before it starts, as its output is after it ends.
//!
//! The checker proves the types of every argument, but a `json` value
//! (from `parse_json`, a `json` output, a `json` parameter) fits any type
//! statically and is only known when the run has it. A value that does not
//! fit would reach a worker that was promised otherwise, so the call fails
//! before anything starts. The failure is of class `worker`, the class of
//! every other problem with a call's arguments (an argument whose
//! evaluation fails, a `map` list that is not a list): the arguments are
//! the workflow's, and the same arguments would fail again, so it is never
//! retried.

use serde_json::Value;

use crate::ir::{Transformer, Types, Worker};
use crate::runtime::validate::validate;

/// The worker's input record, validated against its parameters; its typed
/// view on success, else the message of the failure.
pub(crate) fn worker_input(worker: &Worker, input: Value, types: &Types) -> Result<Value, String> {
    validate(input, worker.input, types).map_err(|m| {
        format!(
            "the input of `{}` does not fit its parameters: {m}; the worker was not started",
            worker.name
        )
    })
}

/// A hook's one argument, validated against the type of its parameter.
pub(crate) fn hook_input(hook: &Transformer, value: Value, types: &Types) -> Result<Value, String> {
    let Some(param) = hook.params.first() else {
        return Ok(value);
    };
    validate(value, param.ty, types).map_err(|m| {
        format!(
            "the input of the hook `{}` does not fit its parameter `{}`: {m}; the hook was not started",
            hook.name, param.name
        )
    })
}
