//! Unary and binary operators. The parser has already resolved precedence;
//! this module decides which operand types each operator accepts.

use super::access::plain_string;
use super::{Typed, Typer, Use};
use crate::check::error::CheckError;
use crate::check::suggest;
use crate::check::types::{Ty, TyId, write_string_literal};
use crate::syntax::ast::{BinaryOp, Expr, Span, UnaryOp};

/// What kind of value an operand is, for the operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// The error type or `json`: anything goes, nothing is known.
    Unchecked,
    Int,
    Number,
    Text,
    Bool,
    List,
    Other,
}

impl Typer<'_, '_, '_> {
    fn kind(&self, ty: TyId) -> Kind {
        match self.cx.types.get(ty) {
            Ty::Error | Ty::Json | Ty::Nothing => Kind::Unchecked,
            Ty::Int => Kind::Int,
            Ty::Number => Kind::Number,
            Ty::String | Ty::Union(_) => Kind::Text,
            Ty::Bool => Kind::Bool,
            Ty::List(_) => Kind::List,
            _ => Kind::Other,
        }
    }

    pub(super) fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span) -> TyId {
        let typed = self.expr(operand);
        let ty = self.present(typed, operand.span, Use::Operand(op.symbol()));
        let kind = self.kind(ty);
        let (ok, result, help) = match op {
            UnaryOp::Not => (
                matches!(kind, Kind::Bool | Kind::Unchecked),
                TyId::BOOL,
                "`!` negates a `bool`",
            ),
            UnaryOp::Neg => (
                matches!(kind, Kind::Int | Kind::Number | Kind::Unchecked),
                if kind == Kind::Int {
                    TyId::INT
                } else {
                    TyId::NUMBER
                },
                "`-` negates a number",
            ),
        };
        if !ok {
            self.cx.out.push(CheckError::InvalidOperand {
                op: op.symbol(),
                operand: self.cx.types.show(ty),
                span: operand.span,
                help: help.to_string(),
            });
            return TyId::ERROR;
        }
        if kind == Kind::Unchecked && op == UnaryOp::Neg {
            return ty;
        }
        if result == TyId::INT {
            self.cx.int_arithmetic.insert(span);
        }
        result
    }

    pub(super) fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> TyId {
        match op {
            BinaryOp::Eq | BinaryOp::Ne => self.equality(op, lhs, rhs, span),
            BinaryOp::Coalesce => self.coalesce(lhs, rhs, span),
            _ => {
                let l = self.expr(lhs);
                let l = self.present(l, lhs.span, Use::Operand(op.symbol()));
                let r = self.expr(rhs);
                let r = self.present(r, rhs.span, Use::Operand(op.symbol()));
                let ty = self.arithmetic(op, l, r, span);
                if ty == TyId::INT {
                    self.cx.int_arithmetic.insert(span);
                }
                ty
            }
        }
    }

    /// `&&`, `||`, comparisons and arithmetic, on operands known not null.
    fn arithmetic(&mut self, op: BinaryOp, l: TyId, r: TyId, span: Span) -> TyId {
        let (kl, kr) = (self.kind(l), self.kind(r));
        let numeric = |k: Kind| matches!(k, Kind::Int | Kind::Number | Kind::Unchecked);
        let either_unchecked = kl == Kind::Unchecked || kr == Kind::Unchecked;
        // The unchecked result of an operation on `json` (or on something
        // that already failed) stays unchecked.
        let unchecked = if l == TyId::ERROR || r == TyId::ERROR {
            TyId::ERROR
        } else {
            TyId::JSON
        };
        let outcome: Result<TyId, &str> = match op {
            BinaryOp::Or | BinaryOp::And => {
                let boolean = |k: Kind| matches!(k, Kind::Bool | Kind::Unchecked);
                if boolean(kl) && boolean(kr) {
                    Ok(TyId::BOOL)
                } else {
                    Err("`&&` and `||` combine `bool` values")
                }
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let text = |k: Kind| matches!(k, Kind::Text | Kind::Unchecked);
                if (numeric(kl) && numeric(kr)) || (text(kl) && text(kr)) {
                    Ok(TyId::BOOL)
                } else {
                    Err("compare two numbers, or two strings")
                }
            }
            BinaryOp::Add if kl == Kind::List || kr == Kind::List => self.concat(l, r),
            BinaryOp::Add => {
                let text = |k: Kind| matches!(k, Kind::Text | Kind::Unchecked);
                if either_unchecked && (numeric(kl) && numeric(kr) || text(kl) && text(kr)) {
                    Ok(unchecked)
                } else if kl == Kind::Int && kr == Kind::Int {
                    Ok(TyId::INT)
                } else if numeric(kl) && numeric(kr) {
                    Ok(TyId::NUMBER)
                } else if text(kl) && text(kr) {
                    Ok(TyId::STRING)
                } else if (text(kl) && numeric(kr)) || (numeric(kl) && text(kr)) {
                    Err(
                        "`+` joins two strings or adds two numbers: convert the number with `string(...)`, or write `\"...${...}\"`",
                    )
                } else {
                    Err("`+` joins two strings or two lists, or adds two numbers")
                }
            }
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                if !(numeric(kl) && numeric(kr)) {
                    Err("arithmetic needs two numbers")
                } else if either_unchecked {
                    Ok(unchecked)
                } else if kl == Kind::Int && kr == Kind::Int && op != BinaryOp::Div {
                    Ok(TyId::INT)
                } else {
                    Ok(TyId::NUMBER)
                }
            }
            // Handled by `binary` before operands are made present.
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Coalesce => Ok(TyId::BOOL),
        };
        match outcome {
            Ok(ty) => ty,
            Err(help) => {
                self.invalid_operands(op, l, r, span, help);
                TyId::ERROR
            }
        }
    }

    /// `xs + ys` with a list on at least one side: a list of the common
    /// type of the elements, or why not.
    fn concat(&mut self, l: TyId, r: TyId) -> Result<TyId, &'static str> {
        let types = &self.cx.types;
        match (types.get(l), types.get(r)) {
            (Ty::List(_), Ty::List(_)) => self.cx.types.join(l, r).ok_or(
                "the elements of the two lists have no common type, so `+` cannot join them",
            ),
            // The unchecked side may hold a list at run time.
            (Ty::Json, _) | (_, Ty::Json) => Ok(TyId::JSON),
            (Ty::Error, _) | (_, Ty::Error) => Ok(TyId::ERROR),
            // A value of no type (an element of `[]`) fits as anything.
            (Ty::Nothing, _) => Ok(r),
            (_, Ty::Nothing) => Ok(l),
            (Ty::List(_), _) => Err("`+` joins two lists: wrap the value in a list, `xs + [x]`"),
            _ => Err("`+` joins two lists: wrap the value in a list, `[x] + xs`"),
        }
    }

    fn invalid_operands(&mut self, op: BinaryOp, l: TyId, r: TyId, span: Span, help: &str) {
        let types = &self.cx.types;
        self.cx.out.push(CheckError::InvalidOperands {
            op: op.symbol(),
            lhs: types.show(l),
            rhs: types.show(r),
            span,
            help: help.to_string(),
        });
    }

    /// `==` and `!=`: the two sides must be able to hold the same value,
    /// and a literal compared with a literal union must be one of its members.
    fn equality(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> TyId {
        let l = self.expr(lhs);
        let r = self.expr(rhs);
        let reported = match (plain_string(lhs), plain_string(rhs)) {
            (_, Some(lit)) => self.check_member(op, l, &lit, rhs),
            (Some(lit), None) => self.check_member(op, r, &lit, lhs),
            (None, None) => false,
        };
        if reported {
            return TyId::BOOL;
        }
        let types = &self.cx.types;
        let comparable = types.is_unchecked(l.ty)
            || types.is_unchecked(r.ty)
            || self.cx.types.join(l.ty, r.ty).is_some();
        if !comparable {
            self.invalid_operands(
                op,
                l.ty,
                r.ty,
                span,
                "values of these two types are never equal",
            );
        }
        TyId::BOOL
    }

    /// Reports `E == "lit"` where `E` is a literal union without `lit`;
    /// returns whether it did.
    fn check_member(&mut self, op: BinaryOp, other: Typed, lit: &str, lit_expr: &Expr) -> bool {
        let types = &self.cx.types;
        let (inner, _) = types.strip_optional(other.ty);
        let Ty::Union(members) = types.get(inner) else {
            return false;
        };
        if members.iter().any(|&m| types.syms.name(m) == lit) {
            return false;
        }
        let names = members.iter().map(|&m| types.syms.name(m));
        let suggestion = suggest::suggest(lit, lit_expr.span, names.clone()).map(|mut s| {
            let mut quoted = String::new();
            write_string_literal(&s.replacement, &mut quoted);
            s.replacement = quoted;
            s
        });
        let quoted: Vec<String> = names
            .map(|n| {
                let mut q = String::new();
                write_string_literal(n, &mut q);
                format!("`{q}`")
            })
            .collect();
        let help = suggest::help(
            &suggestion,
            format!("compare with one of the members: {}", quoted.join(", ")),
        );
        let mut literal = String::new();
        write_string_literal(lit, &mut literal);
        let span = lit_expr.span;
        self.cx.out.push(CheckError::NotAMember {
            literal: format!("`{literal}`"),
            union: types.show(inner),
            span,
            always: if op == BinaryOp::Eq { "false" } else { "true" },
            suggestion,
            help,
        });
        true
    }

    /// `a ?? b`: the value of `a` unless it is null, else `b`.
    fn coalesce(&mut self, lhs: &Expr, rhs: &Expr, span: Span) -> TyId {
        // A step that may not have run is exactly what `??` is for, so the
        // left side is not reported as possibly missing.
        let l = self.expr(lhs);
        let r = self.expr(rhs);
        let (inner, _) = self.cx.types.strip_optional(l.ty);
        if inner == TyId::NOTHING {
            return r.ty;
        }
        match self.cx.types.join(inner, r.ty) {
            Some(ty) => ty,
            None => {
                self.invalid_operands(
                    BinaryOp::Coalesce,
                    l.ty,
                    r.ty,
                    span,
                    "the default after `??` must have the type of the value before it",
                );
                TyId::ERROR
            }
        }
    }
}
