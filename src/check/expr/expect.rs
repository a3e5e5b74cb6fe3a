//! Checking an expression against the type it must have.
//!
//! List and record literals are checked element by element and field by
//! field, so that a mismatch points at the offending part rather than at the
//! whole literal.

use rustc_hash::FxHashMap as HashMap;

use super::{Cause, Typed, Typer, Use};
use crate::check::env::list_names;
use crate::check::error::CheckError;
use crate::check::types::{Ty, TyId};
use crate::syntax::ast::{self, Expr, ExprKind, Span};

impl Typer<'_, '_, '_> {
    /// Types `e` and reports it when it does not fit `expected`.
    pub(crate) fn expect(&mut self, e: &Expr, expected: TyId, cause: &Cause<'_>) -> Typed {
        // A literal is never null, so it is checked against the type inside
        // an optional.
        let (target, _) = self.cx.types.strip_optional(expected);
        match (&e.kind, self.cx.types.get(target)) {
            (ExprKind::Paren(inner), _) => return self.expect(inner, expected, cause),
            (
                ExprKind::If {
                    condition,
                    then,
                    otherwise,
                },
                _,
            ) => return self.expect_conditional(condition, then, otherwise, expected, cause),
            (ExprKind::List(items), Ty::List(_) | Ty::Json) => {
                // Any JSON value fits `json`, so a list literal there may
                // mix element types.
                let elem = match self.cx.types.get(target) {
                    Ty::List(elem) => *elem,
                    _ => TyId::JSON,
                };
                let cause = Cause::Element { parent: cause };
                for item in items {
                    self.expect(item, elem, &cause);
                }
                return Typed::of(target);
            }
            (ExprKind::Record(entries), Ty::Record(_) | Ty::Json) => {
                self.expect_record(entries, e.span, target, cause);
                return Typed::of(target);
            }
            _ => {}
        }
        let typed = self.expr(e);
        self.fits(typed, expected, e.span, cause);
        typed
    }

    fn expect_record(
        &mut self,
        entries: &[ast::RecordEntry],
        span: Span,
        target: TyId,
        cause: &Cause<'_>,
    ) {
        let mut first: HashMap<&str, Span> =
            HashMap::with_capacity_and_hasher(entries.len(), Default::default());
        for entry in entries {
            let key = entry.key.as_str();
            if let Some(&earlier) = first.get(key) {
                self.cx.out.push(CheckError::DuplicateField {
                    name: entry.key.name.to_string(),
                    span: entry.key.span,
                    first: earlier,
                });
                self.expr(&entry.value);
                continue;
            }
            first.insert(key, entry.key.span);
            let types = &self.cx.types;
            let field = match types.get(target) {
                Ty::Record(r) => types
                    .syms
                    .get(key)
                    .and_then(|sym| r.field(sym).map(|f| (f.ty, r.declared(sym)))),
                // Any JSON value fits a field of `json`.
                _ => Some((TyId::JSON, None)),
            };
            match field {
                Some((ty, declared)) => {
                    let cause = Cause::Field {
                        name: key,
                        declared,
                        parent: cause,
                    };
                    self.expect(&entry.value, ty, &cause);
                }
                // Extra fields are allowed (and dropped from the typed view).
                None => {
                    self.expr(&entry.value);
                }
            }
        }
        let types = &self.cx.types;
        let Ty::Record(record) = types.get(target) else {
            return;
        };
        let missing: Vec<&str> = record
            .fields
            .iter()
            .filter(|f| !f.optional)
            .map(|f| types.syms.name(f.name))
            .filter(|name| !first.contains_key(name))
            .collect();
        if missing.is_empty() {
            return;
        }
        let fields = list_names(missing.iter().copied());
        let plural = if missing.len() == 1 { "" } else { "s" };
        let expected = types.show(target);
        let found = format!("a record without field{plural} {fields}");
        let help = format!("add {fields} to the record");
        self.report_mismatch(expected, found, span, cause, Some(help));
    }

    /// Reports a value of type `typed` where `expected` is needed, when it
    /// does not fit.
    pub(crate) fn fits(&mut self, typed: Typed, expected: TyId, span: Span, cause: &Cause<'_>) {
        let types = &self.cx.types;
        if types.is_subtype(typed.ty, expected) {
            return;
        }
        let (inner, nullable) = types.strip_optional(typed.ty);
        if nullable && !types.is_nullable(expected) {
            if let Some(nr) = typed.not_run {
                if self.report_not_run(nr, typed.ty, span, Use::Argument) {
                    if !self.cx.types.is_subtype(inner, expected) {
                        self.mismatch(inner, expected, span, cause);
                    }
                    return;
                }
            }
        }
        self.mismatch(typed.ty, expected, span, cause);
    }

    fn mismatch(&mut self, found: TyId, expected: TyId, span: Span, cause: &Cause<'_>) {
        let types = &self.cx.types;
        let help = types.mismatch_reason(found, expected);
        let (expected, found) = (types.show(expected), types.show(found));
        self.report_mismatch(expected, found, span, cause, help);
    }

    /// `type_mismatch`, or `output_mismatch` for (a part of) a `succeed`
    /// value.
    fn report_mismatch(
        &mut self,
        expected: String,
        found: String,
        span: Span,
        cause: &Cause<'_>,
        help: Option<String>,
    ) {
        let error = match cause.output() {
            Some((workflow, declared)) => {
                let help = help.unwrap_or_else(|| {
                    format!(
                        "`succeed` ends the run with this value: give a value of type {expected}, or change the workflow's output type"
                    )
                });
                CheckError::OutputMismatch {
                    workflow: workflow.to_string(),
                    expected,
                    found,
                    span,
                    declared,
                    help,
                }
            }
            None => CheckError::TypeMismatch {
                expected,
                found,
                span,
                context: cause.describe(),
                because: cause.because(),
                help,
            },
        };
        self.cx.out.push(error);
    }
}
