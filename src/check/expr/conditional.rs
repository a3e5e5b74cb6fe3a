//! `if condition then a else b`: a `bool` condition, and the common type of
//! the two branches.

use super::{Cause, Typed, Typer};
use crate::check::error::CheckError;
use crate::check::types::{Ty, TyId};
use crate::syntax::ast::Expr;

impl Typer<'_, '_, '_> {
    /// The type of an `if` where no type is expected: the common type of
    /// its branches.
    pub(super) fn conditional(&mut self, condition: &Expr, then: &Expr, otherwise: &Expr) -> TyId {
        self.condition(condition);
        let then_ty = self.expr(then).ty;
        let otherwise_ty = self.expr(otherwise).ty;
        if let Some(ty) = self.cx.types.join(then_ty, otherwise_ty) {
            return ty;
        }
        let types = &self.cx.types;
        let text = |ty: TyId| matches!(types.get(ty), Ty::String | Ty::Union(_));
        let (t, o) = (
            types.strip_optional(then_ty).0,
            types.strip_optional(otherwise_ty).0,
        );
        let help = if text(t) != text(o) {
            "both branches give the value of the `if`, so they need a common type: convert the other branch to text with `string(...)` or an interpolation `\"${...}\"`"
        } else {
            "both branches give the value of the `if`, so they need a common type: make them give the same kind of value"
        };
        self.cx.out.push(CheckError::IncompatibleBranches {
            then: types.show(then_ty),
            otherwise: types.show(otherwise_ty),
            span: otherwise.span,
            then_span: then.span,
            help: help.to_string(),
        });
        TyId::ERROR
    }

    /// An `if` where a type is expected: each branch is checked against
    /// it, so that a mismatch points at the branch, and branches without a
    /// common type may still both fit (`json`, or a union).
    pub(super) fn expect_conditional(
        &mut self,
        condition: &Expr,
        then: &Expr,
        otherwise: &Expr,
        expected: TyId,
        cause: &Cause<'_>,
    ) -> Typed {
        self.condition(condition);
        self.expect(then, expected, cause);
        self.expect(otherwise, expected, cause);
        Typed::of(expected)
    }
}
