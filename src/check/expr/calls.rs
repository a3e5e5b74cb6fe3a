//! Calls: built-in functions and transformers inside expressions, and the
//! named arguments that worker calls in states share with transformers.

use super::builtins::Builtin;
use super::{Cause, Typer};
use crate::check::analysis::{RefKind, Res};
use crate::check::env::{ParamSig, Sig};
use crate::check::error::CheckError;
use crate::check::items::ItemRef;
use crate::check::suggest;
use crate::check::types::TyId;
use crate::syntax::ast::{self, Arg, Span};

impl Typer<'_, '_, '_> {
    pub(super) fn call(&mut self, callee: &ast::Ident, args: &[Arg], span: Span) -> TyId {
        let env = self.cx.env;
        let item = env.items.lookup(callee.as_str());
        // A transformer may take the name of a built-in; the file's own
        // definition wins, so that new built-ins never break a file.
        if let Some(found) = item {
            env.items
                .record(&mut self.cx.tables, callee, found, RefKind::Call);
        }
        if let Some(ItemRef::Transformer(id)) = item {
            let sig = &env.transformers[id.0 as usize];
            // Expressions are pure: they are evaluated again when a run is
            // replayed, and a condition must not start a program. External
            // transformers are hooks only.
            if let Some(decl) = env.items.transformers.get(id.0 as usize)
                && matches!(decl.body, ast::TransformerBody::External { .. })
            {
                self.cx.out.push(CheckError::ImpureCall {
                    name: callee.name.to_string(),
                    span: callee.span,
                    declared: decl.name.span,
                    help: format!(
                        "expressions are pure and deterministic; run `{}` as a `before:` or `after:` hook of a worker or step, or write it as a pure transformer (`= expression`)",
                        callee.name
                    ),
                });
            }
            return self.transformer_call(sig, callee.span, args, span);
        }
        if let Some(builtin) = Builtin::from_name(callee.as_str()) {
            return self.builtin_call(builtin, args, span);
        }
        for arg in args {
            self.expr(&arg.value);
        }
        let (suggestion, help) = match item {
            Some(ItemRef::Worker(_)) => (
                None,
                format!(
                    "`{}` is a worker: workers are called by `step`, `branch` and `map` states, not inside expressions",
                    callee.name
                ),
            ),
            Some(other) => (
                None,
                format!("`{}` is a {}, not a function", callee.name, other.kind()),
            ),
            // `not (x)`, as in Python, parses as a call of `not`.
            None if suggest::operator(callee.as_str(), callee.span).is_some() => (
                suggest::operator(callee.as_str(), callee.span),
                suggest::operator_help(callee.as_str()),
            ),
            None => {
                let candidates = Builtin::ALL
                    .iter()
                    .map(|b| b.name())
                    .chain(env.items.names_of(|r| matches!(r, ItemRef::Transformer(_))));
                let suggestion = suggest::suggest(callee.as_str(), callee.span, candidates);
                let help = suggest::help(
                    &suggestion,
                    "the built-in functions are `len`, `lower`, `upper`, `trim`, `contains`, `join`, `split`, `keys`, `to_json`, `parse_json`, `string` and `number`; define others with `transformer`",
                );
                (suggestion, help)
            }
        };
        self.cx.out.push(CheckError::UnknownFunction {
            name: callee.name.to_string(),
            span: callee.span,
            suggestion,
            help,
        });
        TyId::ERROR
    }

    /// A transformer called with positional arguments, or with all of them
    /// named.
    fn transformer_call(
        &mut self,
        sig: &Sig<'_>,
        callee_span: Span,
        args: &[Arg],
        span: Span,
    ) -> TyId {
        if args.iter().any(|a| a.name.is_some()) {
            self.named_args(sig, args, callee_span);
            return sig.output;
        }
        if args.len() != sig.params.len() {
            self.cx.out.push(CheckError::WrongArgumentCount {
                callee: sig.name.name.to_string(),
                expected: sig.params.len(),
                found: args.len(),
                span,
                help: format!(
                    "`{}` is declared as {}",
                    sig.name.name,
                    sig.show(&self.cx.types)
                ),
            });
        }
        for (index, arg) in args.iter().enumerate() {
            match sig.params.get(index) {
                Some(param) => {
                    let cause = Cause::Positional {
                        index,
                        name: param.name.as_str(),
                        callee: sig.name.as_str(),
                        declared: param.ty_span,
                    };
                    self.expect(&arg.value, param.ty, &cause);
                }
                None => {
                    self.expr(&arg.value);
                }
            }
        }
        sig.output
    }

    /// Checks named arguments against a signature: unknown, repeated,
    /// unnamed and missing arguments, and the type of each. `missing_at` is
    /// where a missing argument is reported (the callee's name).
    pub(crate) fn named_args(&mut self, sig: &Sig<'_>, args: &[Arg], missing_at: Span) {
        let callee = sig.name.as_str();
        let mut given: Vec<Option<Span>> = vec![None; sig.params.len()];
        for (position, arg) in args.iter().enumerate() {
            let Some(name) = &arg.name else {
                // Read an unnamed argument as the parameter at its position,
                // so that its type is still checked and the parameter is not
                // also reported missing.
                let param = sig
                    .params
                    .get(position)
                    .filter(|_| given[position].is_none());
                let help = match param {
                    Some(p) => format!("write it as `{}: ...`", p.name.name),
                    None if sig.params.is_empty() => format!("`{callee}` takes no arguments"),
                    None => format!("`{callee}` takes {}", sig.list_params()),
                };
                self.cx.out.push(CheckError::UnnamedArgument {
                    callee: callee.to_string(),
                    span: arg.span,
                    help,
                });
                if param.is_some() {
                    given[position] = Some(arg.span);
                }
                self.argument(arg, param, callee);
                continue;
            };
            let Some((at, param)) = sig.param(name.as_str()) else {
                let suggestion = suggest::suggest(name.as_str(), name.span, sig.param_names());
                let otherwise = if sig.params.is_empty() {
                    format!("`{callee}` takes no arguments")
                } else {
                    format!("`{callee}` takes {}", sig.list_params())
                };
                let help = suggest::help(&suggestion, otherwise);
                // A misspelt argument stands for the parameter it resembles,
                // which is then not also reported missing.
                let meant = suggestion
                    .as_ref()
                    .and_then(|s| sig.param(&s.replacement))
                    .filter(|(at, _)| given[*at].is_none());
                self.cx.out.push(CheckError::UnknownArgument {
                    name: name.name.to_string(),
                    callee: callee.to_string(),
                    span: name.span,
                    suggestion,
                    help,
                });
                if let Some((at, _)) = meant {
                    given[at] = Some(name.span);
                }
                self.argument(arg, meant.map(|(_, param)| param), callee);
                continue;
            };
            if let Some(first) = given[at] {
                self.cx.out.push(CheckError::DuplicateArgument {
                    name: name.name.to_string(),
                    span: name.span,
                    first,
                });
                self.expr(&arg.value);
                continue;
            }
            given[at] = Some(name.span);
            self.cx.tables.resolve(
                name,
                Res::Arg(at as u32),
                Some(param.name.span),
                RefKind::Argument,
            );
            self.argument(arg, Some(param), callee);
        }
        for (param, given) in sig.params.iter().zip(&given) {
            if given.is_none() {
                self.cx.out.push(CheckError::MissingArgument {
                    name: param.name.name.to_string(),
                    callee: callee.to_string(),
                    span: missing_at,
                    param: Some(param.name.span),
                    help: format!(
                        "add `{}: ...` to the call (a {})",
                        param.name.name,
                        self.cx.types.show(param.ty)
                    ),
                });
            }
        }
    }

    /// Checks an argument against the parameter it stands for, or, when it
    /// stands for none, only types it, so that errors inside it are found.
    fn argument(&mut self, arg: &Arg, param: Option<&ParamSig<'_>>, callee: &str) {
        match param {
            Some(param) => {
                let cause = Cause::Argument {
                    name: param.name.as_str(),
                    callee,
                    declared: param.ty_span,
                };
                self.expect(&arg.value, param.ty, &cause);
            }
            None => {
                self.expr(&arg.value);
            }
        }
    }
}
