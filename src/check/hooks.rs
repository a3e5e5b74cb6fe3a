//! `before` and `after` hooks of workers, steps, branches and map states.
//!
//! A hook is a transformer of exactly one parameter. A `before` hook maps
//! the input record `{ param: T, ... }` of the worker to a record that still
//! fits it; an `after` hook takes the output and its return type becomes the
//! value the states see.

use super::analysis::RefKind;
use super::env::Cx;
use super::error::CheckError;
use super::items::{ItemRef, TransformerId, wrong_kind_help};
use super::settings::strip_parens;
use super::suggest;
use super::types::TyId;
use crate::syntax::ast::{self, ExprKind};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Hook {
    Before,
    After,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Hook::Before => "before",
            Hook::After => "after",
        }
    }

    /// "a `before` hook", "an `after` hook".
    fn phrase(self) -> &'static str {
        match self {
            Hook::Before => "a `before` hook",
            Hook::After => "an `after` hook",
        }
    }
}

/// Checks a `before` hook against the worker's input record.
pub(crate) fn check_before(cx: &mut Cx<'_, '_>, setting: &ast::Setting, input: TyId) {
    let Some((id, name)) = resolve(cx, setting, Hook::Before) else {
        return;
    };
    let Some(param) = single_param(cx, id, name, Hook::Before) else {
        return;
    };
    let env = cx.env;
    let sig = &env.transformers[id.0 as usize];
    let types = &cx.types;
    let problem = if !types.is_subtype(input, param.ty) {
        Some(format!(
            "its parameter `{}` is {}, but the input is {}",
            param.name.name,
            types.show(param.ty),
            types.show(input)
        ))
    } else if !types.is_subtype(sig.output, input) {
        let reason = types
            .mismatch_reason(sig.output, input)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        Some(format!(
            "it returns {}, which does not fit the input {}{reason}",
            types.show(sig.output),
            types.show(input)
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        let help = format!(
            "a `before` hook takes the input record and returns a record that fits it, for example `transformer {}(input: {}) -> {} = ...`",
            sig.name.name,
            types.render(input),
            types.render(input)
        );
        report(cx, name, Hook::Before, problem, id, help);
    }
}

/// Checks an `after` hook against the value it receives, and returns the
/// value it produces (the error type when the hook cannot be used).
pub(crate) fn check_after(cx: &mut Cx<'_, '_>, setting: &ast::Setting, value: TyId) -> TyId {
    let Some((id, name)) = resolve(cx, setting, Hook::After) else {
        return TyId::ERROR;
    };
    let output = cx.env.transformers[id.0 as usize].output;
    let Some(param) = single_param(cx, id, name, Hook::After) else {
        return output;
    };
    let types = &cx.types;
    if !types.is_subtype(value, param.ty) {
        let reason = types
            .mismatch_reason(value, param.ty)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let problem = format!(
            "its parameter `{}` is {}, but it receives {}{reason}",
            param.name.name,
            types.show(param.ty),
            types.show(value)
        );
        let help = format!(
            "an `after` hook takes the worker's output: declare its parameter as {}",
            types.show(value)
        );
        report(cx, name, Hook::After, problem, id, help);
    }
    output
}

/// The transformer a hook setting names, reporting an unknown one.
fn resolve<'s>(
    cx: &mut Cx<'_, '_>,
    setting: &'s ast::Setting,
    hook: Hook,
) -> Option<(TransformerId, &'s ast::Ident)> {
    // The settings check has reported values that are not names.
    let ExprKind::Name(name) = &strip_parens(&setting.value).kind else {
        return None;
    };
    let env = cx.env;
    let found = env.items.lookup(name.as_str());
    if let Some(item) = found {
        env.items.record(&mut cx.tables, name, item, RefKind::Hook);
    }
    match found {
        Some(ItemRef::Transformer(id)) => Some((id, name)),
        Some(other) => {
            cx.out.push(CheckError::UnknownTransformer {
                name: name.name.to_string(),
                span: name.span,
                suggestion: None,
                help: format!(
                    "{}; {} is a transformer",
                    wrong_kind_help(name.as_str(), other, "transformer"),
                    hook.phrase()
                ),
            });
            None
        }
        None => {
            let names = env.items.names_of(|r| matches!(r, ItemRef::Transformer(_)));
            let suggestion = suggest::suggest(name.as_str(), name.span, names);
            let help = suggest::help(
                &suggestion,
                format!(
                    "declare it, for example `transformer {}(value: T) -> T = value`",
                    name.name
                ),
            );
            cx.out.push(CheckError::UnknownTransformer {
                name: name.name.to_string(),
                span: name.span,
                suggestion,
                help,
            });
            None
        }
    }
}

/// The one parameter of a hook transformer, reporting any other count.
fn single_param<'e, 'a>(
    cx: &mut Cx<'e, 'a>,
    id: TransformerId,
    name: &ast::Ident,
    hook: Hook,
) -> Option<super::env::ParamSig<'a>> {
    let env = cx.env;
    let sig = &env.transformers[id.0 as usize];
    if let [param] = sig.params[..] {
        return Some(param);
    }
    let problem = format!(
        "it takes {} parameters; a hook takes exactly one",
        sig.params.len()
    );
    let help = format!(
        "give `{}` a single parameter: the {} it transforms",
        sig.name.name,
        match hook {
            Hook::Before => "input record",
            Hook::After => "output",
        }
    );
    report(cx, name, hook, problem, id, help);
    None
}

fn report(
    cx: &mut Cx<'_, '_>,
    name: &ast::Ident,
    hook: Hook,
    problem: String,
    id: TransformerId,
    help: String,
) {
    let declared = cx.env.items.transformer(id).name.span;
    cx.out.push(CheckError::HookSignature {
        transformer: name.name.to_string(),
        hook: hook.name(),
        span: name.span,
        problem,
        declared: Some(declared),
        help,
    });
}
