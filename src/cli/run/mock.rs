//! `--mock Worker=@file.json`: a worker replaced by a fixed output.
//!
//! The engine has no hook for this, so the program is rewritten before the
//! run: the worker's executor becomes the built-in `echo`, and every call of
//! it gets, instead of its `before` hooks, one pure hook whose body is the
//! fixed output. `echo` returns that value, which the engine then validates
//! against the worker's type and passes through the `after` hooks, as it
//! would a real output. No process, request or external hook runs.

use serde_json::Value;

use crate::ir::{
    BuiltinWorker, Call, Executor, Expr, Param, Program, StateKind, Transformer, TransformerBody,
    TransformerId, WorkerId,
};
use crate::runtime::validate::validate;

/// Applies one `--mock` argument to `program`, or says what is wrong with it.
pub(super) fn apply(program: &mut Program, spec: &str) -> Result<(), String> {
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
        let hint = match super::did_you_mean(name, &names) {
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
    let text = super::read_text(std::path::Path::new(path), "the mock output")?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("the mock output `{path}` is not valid JSON: {e}"))?;
    let worker = &program.workers[index];
    let value = validate(value, worker.output, &program.types).map_err(|mismatch| {
        format!(
            "the mock output `{path}` does not fit the output type of `{name}` ({}): {mismatch}",
            program.types.show(worker.output)
        )
    })?;
    let hook = TransformerId(
        u32::try_from(program.transformers.len()).map_err(|_| "too many transformers")?,
    );
    program.transformers.push(Transformer {
        name: format!("--mock {name}"),
        params: vec![Param {
            name: "input".into(),
            ty: worker.input,
        }],
        output: worker.output,
        body: TransformerBody::Pure(Expr::Literal(value)),
    });
    let id = WorkerId(u32::try_from(index).map_err(|_| "too many workers")?);
    let worker = &mut program.workers[index];
    worker.executor = Executor::Builtin(BuiltinWorker::Echo);
    worker.call.before = vec![hook];
    for workflow in &mut program.workflows {
        for state in &mut workflow.states {
            for call in calls(&mut state.kind) {
                if call.worker == id {
                    call.settings.before = vec![hook];
                }
            }
        }
    }
    Ok(())
}

/// The worker calls of a state.
fn calls(kind: &mut StateKind) -> Vec<&mut Call> {
    match kind {
        StateKind::Step(call) | StateKind::Map { call, .. } => vec![call],
        StateKind::Parallel { branches, .. } => branches.iter_mut().map(|b| &mut b.call).collect(),
        StateKind::Succeed(_) | StateKind::Fail(_) => Vec::new(),
    }
}
