//! The expression type checker.
//!
//! A [`Typer`] types one expression at a time in a [`Scope`], reporting every
//! problem it finds into the context. An expression that fails to type gets
//! the error type, which fits everywhere, so one mistake gives one message.

mod access;
mod builtins;
mod calls;
mod cause;
mod conditional;
mod expect;
mod not_run;
mod ops;
mod render;
mod scope;

use rustc_hash::FxHashMap as HashMap;

pub(crate) use access::plain_string;
pub(crate) use cause::Cause;
pub(crate) use render::{render, render_condition};
pub(crate) use scope::{Lookup, NotRunInfo, ParamScope, Scope};

use super::env::Cx;
use super::error::{CheckError, DefaultFix};
use super::types::{Field, Ty, TyId};
use crate::check::graph::Absence;
use crate::syntax::ast::{self, Expr, ExprKind, Span, StringPart};

/// Where a value that may be missing comes from: a step that may not have
/// run yet at the current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotRun {
    pub(crate) step: u32,
    /// The span of the step's name in the expression.
    pub(crate) span: Span,
}

/// The type of an expression, and whether it is a step that may not have
/// run yet or the `error` that may not have been routed yet (so that using
/// it gets the precise message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Typed {
    pub(crate) ty: TyId,
    pub(crate) not_run: Option<NotRun>,
    /// `error` outside `on_failure` conditions: `null` until a failure is
    /// routed.
    pub(crate) routed: bool,
}

impl Typed {
    pub(crate) fn of(ty: TyId) -> Self {
        Typed {
            ty,
            not_run: None,
            routed: false,
        }
    }
}

/// How a value that may be null is used, for the help of the message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Use<'u> {
    /// `base.name`; the field's type, to suggest a default.
    Field {
        base: &'u Expr,
        name: &'u str,
        /// The span of `name`.
        span: Span,
        ty: TyId,
        /// Whether `base.name` is the whole expression.
        top: bool,
    },
    Index,
    Interpolation,
    Operand(&'static str),
    Call(&'u str),
    Argument,
    /// The list of a map state.
    Iterate,
}

/// Types expressions in one scope.
pub(crate) struct Typer<'t, 'e, 'a> {
    pub(crate) cx: &'t mut Cx<'e, 'a>,
    pub(crate) scope: &'t dyn Scope,
    /// How many expressions are being typed, one inside the other: 1 in
    /// the expression the typer was asked about, for a fix that must know
    /// whether an expression stands alone.
    depth: u32,
}

impl<'t, 'e, 'a> Typer<'t, 'e, 'a> {
    pub(crate) fn new(cx: &'t mut Cx<'e, 'a>, scope: &'t dyn Scope) -> Self {
        Typer {
            cx,
            scope,
            depth: 0,
        }
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> Typed {
        self.depth += 1;
        let typed = self.expr_kind(e);
        self.depth -= 1;
        typed
    }

    /// Whether the expression being typed is the whole one the typer was
    /// asked about.
    pub(super) fn at_top(&self) -> bool {
        self.depth <= 1
    }

    fn expr_kind(&mut self, e: &Expr) -> Typed {
        match &e.kind {
            ExprKind::Null => Typed::of(TyId::NULL),
            ExprKind::Bool(_) => Typed::of(TyId::BOOL),
            ExprKind::Int(_) => Typed::of(TyId::INT),
            ExprKind::Number(_) => Typed::of(TyId::NUMBER),
            ExprKind::String(lit) => Typed::of(self.string(lit)),
            ExprKind::Duration(_) | ExprKind::DurationRange(..) => {
                self.cx
                    .out
                    .push(CheckError::MisplacedDuration { span: e.span });
                Typed::of(TyId::ERROR)
            }
            ExprKind::List(items) => Typed::of(self.list(items)),
            ExprKind::Record(entries) => Typed::of(self.record(entries)),
            ExprKind::Name(ident) => self.name(ident),
            ExprKind::Field {
                base,
                name,
                optional,
            } => Typed::of(self.field(base, name, *optional)),
            ExprKind::Index { base, index } => Typed::of(self.index(base, index)),
            ExprKind::Call { callee, args } => Typed::of(self.call(callee, args, e.span)),
            ExprKind::Unary { op, operand } => Typed::of(self.unary(*op, operand, e.span)),
            ExprKind::Binary { op, lhs, rhs, .. } => Typed::of(self.binary(*op, lhs, rhs, e.span)),
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => Typed::of(self.conditional(condition, then, otherwise)),
        }
    }

    /// Types a condition, which must be a `bool`.
    pub(crate) fn condition(&mut self, e: &Expr) {
        let typed = self.expr(e);
        if self.cx.types.is_subtype(typed.ty, TyId::BOOL) {
            return;
        }
        let (inner, nullable) = self.cx.types.strip_optional(typed.ty);
        let nullable_bool = nullable && self.cx.types.is_subtype(inner, TyId::BOOL);
        if nullable_bool {
            if let Some(nr) = typed.not_run {
                if self.report_not_run(nr, typed.ty, e.span, Use::Operand("when")) {
                    return;
                }
            }
        }
        let types = &self.cx.types;
        let help = if nullable_bool {
            "the value may be null: write `?? false` after it to treat a missing value as false"
                .to_string()
        } else if matches!(types.get(inner), Ty::String | Ty::Union(_)) {
            "compare the value, for example with `==` against a string".to_string()
        } else {
            "a condition is a `bool`: compare the value with `==`, `!=`, `<` or `>`, or combine conditions with `&&` and `||`".to_string()
        };
        self.cx.out.push(CheckError::NonBoolCondition {
            found: types.show(typed.ty),
            span: e.span,
            help,
        });
    }

    fn string(&mut self, lit: &ast::StringLit) -> TyId {
        if let Some(text) = lit.as_plain() {
            return self.cx.types.literal(&text);
        }
        for part in &lit.parts {
            if let StringPart::Interp(e) = part {
                let typed = self.expr(e);
                if self.cx.types.is_nullable(typed.ty) {
                    self.report_nullable(typed, e.span, Use::Interpolation);
                }
            }
        }
        TyId::STRING
    }

    fn list(&mut self, items: &[Expr]) -> TyId {
        let mut elem: Option<TyId> = None;
        for item in items {
            let ty = self.expr(item).ty;
            elem = Some(match elem {
                None => ty,
                Some(so_far) => match self.cx.types.join(so_far, ty) {
                    Some(joined) => joined,
                    None => {
                        self.cx.out.push(CheckError::TypeMismatch {
                            expected: self.cx.types.show(so_far),
                            found: self.cx.types.show(ty),
                            span: item.span,
                            context: "an element of this list".to_string(),
                            because: None,
                            help: Some("the elements of a list share one type".to_string()),
                        });
                        so_far
                    }
                },
            });
        }
        let elem = elem.unwrap_or(TyId::NOTHING);
        self.cx.types.list(elem)
    }

    fn record(&mut self, entries: &[ast::RecordEntry]) -> TyId {
        let mut first: HashMap<&str, Span> =
            HashMap::with_capacity_and_hasher(entries.len(), Default::default());
        let mut fields = Vec::with_capacity(entries.len());
        for entry in entries {
            let ty = self.expr(&entry.value).ty;
            if let Some(&earlier) = first.get(entry.key.as_str()) {
                self.cx.out.push(CheckError::DuplicateField {
                    name: entry.key.name.to_string(),
                    span: entry.key.span,
                    first: earlier,
                });
                continue;
            }
            first.insert(entry.key.as_str(), entry.key.span);
            fields.push(Field {
                name: self.cx.types.syms.intern(entry.key.as_str()),
                ty,
                optional: false,
            });
        }
        self.cx.types.record(None, fields)
    }

    fn name(&mut self, ident: &ast::Ident) -> Typed {
        match self.scope.lookup(ident.as_str()) {
            Lookup::Value(ty) => Typed::of(ty),
            Lookup::Routed(ty) => Typed {
                routed: true,
                ..Typed::of(ty)
            },
            Lookup::NotRun { ty, step } => Typed {
                ty: self.cx.types.optional(ty),
                not_run: Some(NotRun {
                    step,
                    span: ident.span,
                }),
                routed: false,
            },
            Lookup::NoValue(help) => {
                self.cx.out.push(CheckError::UnknownName {
                    name: ident.name.to_string(),
                    span: ident.span,
                    suggestion: None,
                    help,
                });
                Typed::of(TyId::ERROR)
            }
            Lookup::Unknown => {
                let suggestion = self.scope.suggest(ident.as_str(), ident.span);
                let help = super::suggest::help(&suggestion, self.scope.unknown_help());
                self.cx.out.push(CheckError::UnknownName {
                    name: ident.name.to_string(),
                    span: ident.span,
                    suggestion,
                    help,
                });
                Typed::of(TyId::ERROR)
            }
        }
    }

    /// Reports the use of a value that may be null as if it were present,
    /// and gives the type without the `?` so that checking goes on.
    pub(crate) fn present(&mut self, typed: Typed, span: Span, usage: Use<'_>) -> TyId {
        let (inner, nullable) = self.cx.types.strip_optional(typed.ty);
        if !nullable {
            return typed.ty;
        }
        self.report_nullable(typed, span, usage);
        inner
    }

    /// `maybe_not_run` when the value is a step that may not have run yet,
    /// `nullable_value` otherwise.
    pub(crate) fn report_nullable(&mut self, typed: Typed, span: Span, usage: Use<'_>) {
        if let Some(nr) = typed.not_run {
            if self.report_not_run(nr, typed.ty, span, usage) {
                return;
            }
        }
        if typed.routed {
            let help = match usage {
                Use::Field { name, .. } => format!(
                    "`error` is null until an `on_failure` transition has routed a failure in this run: write `error?.{name}`, and give a default with `??` where a value is needed"
                ),
                _ => "`error` is null until an `on_failure` transition has routed a failure in this run: read its fields with `error?.`, and give a default with `??`".to_string(),
            };
            let default = self.default_fix(typed.ty, span, usage, false);
            self.cx.out.push(CheckError::NullableValue {
                span,
                found: self.cx.types.show(typed.ty),
                help,
                default,
            });
            return;
        }
        let help = match usage {
            Use::Field { base, name, .. } => match render(base) {
                Some(base) => format!(
                    "use `{base}?.{name}` to get null when `{base}` is null, or give a default with `??`"
                ),
                None => format!(
                    "use `?.{name}` to get null when the value is null, or give a default with `??`"
                ),
            },
            Use::Index => "give a default with `??` before indexing".to_string(),
            Use::Interpolation => {
                "give a default with `??` inside `${ }`, or convert it with `string(...)` to insert `null` as text".to_string()
            }
            Use::Operand(op) => format!("give a default with `??` before using `{op}`"),
            Use::Call(name) => format!("give a default with `??` before passing it to `{name}`"),
            Use::Argument => "give a default with `??`".to_string(),
            Use::Iterate => "give a default with `?? []` to iterate over nothing".to_string(),
        };
        let default = self.default_fix(typed.ty, span, usage, false);
        self.cx.out.push(CheckError::NullableValue {
            span,
            found: self.cx.types.show(typed.ty),
            help,
            default,
        });
    }

    /// The fix `value ?? default` of a value at `span` of type `ty` (with
    /// its `?`) used as `usage`, when its type has a default: an empty
    /// string or list, and unless `only_empty`, `0` or `false` too.
    fn default_fix(
        &self,
        ty: TyId,
        span: Span,
        usage: Use<'_>,
        only_empty: bool,
    ) -> Option<DefaultFix> {
        let types = &self.cx.types;
        let (read, dot, whole, parens) = match usage {
            Use::Field {
                span: name,
                ty: field,
                top,
                ..
            } => (
                field,
                Some(name.start.saturating_sub(1)),
                Span::new(span.start, name.end),
                !top,
            ),
            Use::Operand(op) => (
                types.strip_optional(ty).0,
                None,
                span,
                // `??` binds tighter than comparisons and `&&`, `||`.
                !matches!(
                    op,
                    "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "when"
                ),
            ),
            Use::Index => (types.strip_optional(ty).0, None, span, true),
            Use::Interpolation | Use::Call(_) | Use::Argument | Use::Iterate => {
                (types.strip_optional(ty).0, None, span, false)
            }
        };
        let value = match types.get(types.strip_optional(read).0) {
            Ty::String => "\"\"",
            Ty::List(_) => "[]",
            Ty::Int | Ty::Number if !only_empty => "0",
            Ty::Bool if !only_empty => "false",
            _ => return None,
        };
        Some(DefaultFix {
            span: whole,
            dot,
            value,
            parens,
        })
    }

    /// Reports a step that may not have run yet, or may have failed; false
    /// when the scope cannot say which step it is (then the caller reports
    /// a plain null).
    fn report_not_run(&mut self, nr: NotRun, found: TyId, span: Span, usage: Use<'_>) -> bool {
        let Some(info) = self.scope.not_run(nr.step) else {
            return false;
        };
        let (field, used) = match usage {
            Use::Field { name, ty, .. } => (Some(name), ty),
            _ => (None, self.cx.types.strip_optional(found).0),
        };
        let empty = not_run::empty_value(&self.cx.types, used);
        // The help offers a default only for a step that has not run yet.
        let default = match info.absence {
            Absence::NotRun if empty.is_some() => self.default_fix(found, span, usage, true),
            _ => None,
        };
        let (reason, failure, help) = not_run::explain(&info, field, empty);
        self.cx.out.push(CheckError::MaybeNotRun {
            step: info.step,
            state: info.state,
            reason,
            span: nr.span,
            found: self.cx.types.show(found),
            defined: info.defined,
            failure,
            help,
            default,
        });
        true
    }
}
