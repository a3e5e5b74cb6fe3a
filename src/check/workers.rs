//! Workers: their executor, settings and hooks, and the value their calls
//! produce.

use super::env::{Cx, Sig};
use super::error::CheckError;
use super::executors::{self, BuiltinWorker, Owner};
use super::expr::ParamScope;
use super::hooks;
use super::settings::{self, Place};
use super::types::TyId;
use crate::syntax::ast;

/// Checks every worker and records the value each one's calls produce.
pub(crate) fn check_all(cx: &mut Cx<'_, '_>) {
    let env = cx.env;
    cx.worker_values = Vec::with_capacity(env.workers.len());
    for (worker, sig) in env.items.workers.iter().zip(&env.workers) {
        let value = check(cx, worker, sig);
        cx.worker_values.push(value);
    }
}

/// Checks one worker and returns its value: the output after its `after`
/// hook.
fn check(cx: &mut Cx<'_, '_>, worker: &ast::Worker, sig: &Sig<'_>) -> TyId {
    let scope = ParamScope {
        params: &sig.params,
        owner: format!("worker `{}`", worker.name.name),
        env_allowed: true,
    };
    let builtin = executors::check(cx, &worker.executors, &worker.name, Owner::Worker, &scope);
    let hooks = settings::check(&worker.settings, Place::Worker, &mut cx.out);
    if builtin == Some(BuiltinWorker::Echo) {
        check_echo(cx, sig);
    }
    if let Some(before) = hooks.before {
        let input = sig.input_record(&mut cx.types);
        hooks::check_before(cx, before, input);
    }
    match hooks.after {
        Some(after) => hooks::check_after(cx, after, sig.output),
        None => sig.output,
    }
}

/// The `echo` built-in returns its input, so the declared output must
/// accept the input record.
fn check_echo(cx: &mut Cx<'_, '_>, sig: &Sig<'_>) {
    let input = sig.input_record(&mut cx.types);
    let types = &cx.types;
    if types.is_subtype(input, sig.output) {
        return;
    }
    cx.out.push(CheckError::TypeMismatch {
        expected: types.show(sig.output),
        found: types.show(input),
        span: sig.output_span,
        context: "the output of `echo`, which is the worker's input".to_string(),
        because: None,
        help: Some(format!(
            "`echo` returns its input unchanged: declare the output as {}, or use another executor",
            types.show(input)
        )),
    });
}
