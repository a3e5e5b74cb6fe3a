//! The built-in functions and their types.

use super::{Cause, Typed, Typer, Use};
use crate::check::error::CheckError;
use crate::check::types::{Ty, TyId};
use crate::syntax::ast::{Arg, Span};

pub(crate) use crate::ir::Builtin;

/// What the checker knows of a built-in beyond its name.
trait Signature {
    fn arity(self) -> usize;
    fn signature(self) -> &'static str;
}

impl Signature for Builtin {
    fn arity(self) -> usize {
        match self {
            Builtin::Contains | Builtin::Join | Builtin::Split => 2,
            _ => 1,
        }
    }

    /// The signature, for helps.
    fn signature(self) -> &'static str {
        match self {
            Builtin::Len => "`len(string | list | record) -> int`",
            Builtin::Lower => "`lower(string) -> string`",
            Builtin::Upper => "`upper(string) -> string`",
            Builtin::Trim => "`trim(string) -> string`",
            Builtin::Contains => "`contains(string, string) -> bool` or `contains([T], T) -> bool`",
            Builtin::Join => "`join([string], string) -> string`",
            Builtin::Split => "`split(string, string) -> [string]`",
            Builtin::Keys => "`keys(record) -> [string]`",
            Builtin::ToJson => "`to_json(any) -> string`",
            Builtin::ParseJson => "`parse_json(string) -> json`",
            Builtin::String => "`string(any) -> string`",
            Builtin::Number => "`number(string) -> number?` or `number(number) -> number`",
            Builtin::Env => "`env(string) -> string`",
        }
    }
}

impl Typer<'_, '_, '_> {
    pub(super) fn builtin_call(&mut self, builtin: Builtin, args: &[Arg], span: Span) -> TyId {
        let name = builtin.name();
        for arg in args {
            if let Some(arg_name) = &arg.name {
                self.cx.out.push(CheckError::NamedArgument {
                    callee: name.to_string(),
                    span: arg_name.span,
                    name: arg_name.name.to_string(),
                    help: format!(
                        "built-in functions take positional arguments: {}",
                        builtin.signature()
                    ),
                });
            }
        }
        if builtin == Builtin::Env && !self.scope.env_allowed() {
            self.cx.out.push(CheckError::EnvOutsideExecutor { span });
        }
        if args.len() != builtin.arity() {
            self.cx.out.push(CheckError::WrongArgumentCount {
                callee: name.to_string(),
                expected: builtin.arity(),
                found: args.len(),
                span,
                help: format!("`{name}` is {}", builtin.signature()),
            });
            for arg in args {
                self.expr(&arg.value);
            }
            return TyId::ERROR;
        }
        let cause = |index| Cause::BuiltinArgument {
            index,
            callee: name,
        };
        let first = &args[0].value;
        match builtin {
            Builtin::Lower | Builtin::Upper | Builtin::Trim => {
                self.expect(first, TyId::STRING, &cause(0));
                TyId::STRING
            }
            Builtin::Env => {
                self.expect(first, TyId::STRING, &cause(0));
                TyId::STRING
            }
            Builtin::ParseJson => {
                self.expect(first, TyId::STRING, &cause(0));
                TyId::JSON
            }
            Builtin::Split => {
                self.expect(first, TyId::STRING, &cause(0));
                self.expect(&args[1].value, TyId::STRING, &cause(1));
                self.cx.types.list(TyId::STRING)
            }
            Builtin::Join => {
                let strings = self.cx.types.list(TyId::STRING);
                self.expect(first, strings, &cause(0));
                self.expect(&args[1].value, TyId::STRING, &cause(1));
                TyId::STRING
            }
            Builtin::ToJson | Builtin::String => {
                // Any value, null included, has a text form.
                self.expr(first);
                TyId::STRING
            }
            Builtin::Len => {
                let ty = self.present_arg(first, name);
                let ok = matches!(
                    self.cx.types.get(ty),
                    Ty::Error
                        | Ty::Json
                        | Ty::Nothing
                        | Ty::String
                        | Ty::Union(_)
                        | Ty::List(_)
                        | Ty::Record(_)
                );
                if !ok {
                    self.arg_mismatch("a string, a list or a record", ty, first.span, 0, builtin);
                }
                TyId::INT
            }
            Builtin::Keys => {
                let ty = self.present_arg(first, name);
                let ok = matches!(
                    self.cx.types.get(ty),
                    Ty::Error | Ty::Json | Ty::Nothing | Ty::Record(_)
                );
                if !ok {
                    self.arg_mismatch("a record", ty, first.span, 0, builtin);
                }
                self.cx.types.list(TyId::STRING)
            }
            Builtin::Number => {
                let ty = self.present_arg(first, name);
                match self.cx.types.get(ty) {
                    Ty::Int | Ty::Number => TyId::NUMBER,
                    Ty::String | Ty::Union(_) | Ty::Json | Ty::Error | Ty::Nothing => {
                        self.cx.types.optional(TyId::NUMBER)
                    }
                    _ => {
                        self.arg_mismatch("`string` or `number`", ty, first.span, 0, builtin);
                        self.cx.types.optional(TyId::NUMBER)
                    }
                }
            }
            Builtin::Contains => {
                self.contains(first, &args[1].value);
                TyId::BOOL
            }
        }
    }

    /// `contains(haystack, needle)`: a substring of a string, or an element
    /// of a list.
    fn contains(&mut self, haystack: &crate::syntax::ast::Expr, needle: &crate::syntax::ast::Expr) {
        let name = Builtin::Contains.name();
        let ty = self.present_arg(haystack, name);
        match self.cx.types.get(ty) {
            Ty::String | Ty::Union(_) => {
                let cause = Cause::BuiltinArgument {
                    index: 1,
                    callee: name,
                };
                self.expect(needle, TyId::STRING, &cause);
            }
            Ty::List(elem) => {
                let elem = *elem;
                let found = self.expr(needle).ty;
                let types = &self.cx.types;
                let comparable =
                    types.is_unchecked(found) || self.cx.types.join(elem, found).is_some();
                if !comparable {
                    self.arg_mismatch_shown(elem, found, needle.span, 1, Builtin::Contains);
                }
            }
            Ty::Error | Ty::Json | Ty::Nothing => {
                self.expr(needle);
            }
            _ => {
                self.arg_mismatch(
                    "a string or a list",
                    ty,
                    haystack.span,
                    0,
                    Builtin::Contains,
                );
                self.expr(needle);
            }
        }
    }

    /// Types an argument that must not be null.
    fn present_arg(&mut self, arg: &crate::syntax::ast::Expr, callee: &str) -> TyId {
        let typed: Typed = self.expr(arg);
        self.present(typed, arg.span, Use::Call(callee))
    }

    fn arg_mismatch(
        &mut self,
        expected: &str,
        found: TyId,
        span: Span,
        index: usize,
        builtin: Builtin,
    ) {
        let found = self.cx.types.show(found);
        self.cx.out.push(CheckError::TypeMismatch {
            expected: expected.to_string(),
            found,
            span,
            context: format!("argument {} of `{}`", index + 1, builtin.name()),
            because: None,
            help: Some(format!("`{}` is {}", builtin.name(), builtin.signature())),
        });
    }

    fn arg_mismatch_shown(
        &mut self,
        expected: TyId,
        found: TyId,
        span: Span,
        index: usize,
        builtin: Builtin,
    ) {
        let expected = self.cx.types.show(expected);
        self.arg_mismatch(&expected, found, span, index, builtin);
    }
}
