//! Expressions of the source to expressions of the program: every name
//! resolved to what it stands for, with the same tables the checks used.

use rustc_hash::FxHashSet as HashSet;
use serde_json::{Number, Value};

use super::Missing;
use crate::check::analysis::{Res, Tables};
use crate::check::env::Sig;
use crate::check::items::ItemRef;
use crate::ir;
use crate::syntax::ast::{self, Expr, ExprKind, Span, StringPart, UnaryOp};

/// What names mean where an expression stands: what the checker's scopes
/// resolved each name to, read from its tables, and which names are in
/// scope here (a loop variable, `error`).
#[derive(Clone, Copy)]
pub(super) struct Names<'s, 'a> {
    pub(super) tables: &'s Tables,
    pub(super) transformers: &'s [Sig<'a>],
    /// Whether the loop variable of a map state is in scope (its call's
    /// arguments).
    pub(super) var: bool,
    /// Whether `error` is in scope (an expression of a workflow).
    pub(super) error: bool,
    /// Whether the names of states are in scope (an expression of a
    /// workflow).
    pub(super) states: bool,
    /// The operations the checker typed `int`.
    pub(super) int_arithmetic: &'s HashSet<Span>,
}

impl Names<'_, '_> {
    fn name(&self, ident: &ast::Ident) -> Result<ir::Expr, Missing> {
        let missing = || Missing::new(format!("the name `{}`", ident.name));
        Ok(match self.tables.get(ident.span).ok_or_else(missing)? {
            Res::Var if self.var => ir::Expr::Item,
            Res::Error if self.error => ir::Expr::Error,
            Res::Param(at) => ir::Expr::Param(at),
            Res::State(id) if self.states => ir::Expr::State(ir::StateId(id.0)),
            _ => return Err(missing()),
        })
    }

    pub(super) fn lower(&self, e: &Expr) -> Result<ir::Expr, Missing> {
        Ok(match &e.kind {
            ExprKind::Null => ir::Expr::Literal(Value::Null),
            ExprKind::Bool(b) => ir::Expr::Literal(Value::Bool(*b)),
            ExprKind::Int(n) => ir::Expr::Literal(Value::from(*n)),
            ExprKind::Number(x) => ir::Expr::Literal(number(*x)?),
            ExprKind::String(lit) => self.string(lit)?,
            ExprKind::Duration(_) | ExprKind::DurationRange(..) => {
                return Err(Missing::new("a duration inside an expression".into()));
            }
            ExprKind::List(items) => ir::Expr::List(
                items
                    .iter()
                    .map(|i| self.lower(i))
                    .collect::<Result<_, _>>()?,
            ),
            ExprKind::Record(entries) => ir::Expr::Record(
                entries
                    .iter()
                    .map(|en| Ok((en.key.as_str().to_string(), self.lower(&en.value)?)))
                    .collect::<Result<_, Missing>>()?,
            ),
            ExprKind::Name(ident) => self.name(ident)?,
            ExprKind::Field {
                base,
                name,
                optional,
            } => ir::Expr::Field {
                base: Box::new(self.lower(base)?),
                name: name.as_str().to_string(),
                optional: *optional,
            },
            ExprKind::Index { base, index } => ir::Expr::Index {
                base: Box::new(self.lower(base)?),
                index: Box::new(self.lower(index)?),
            },
            ExprKind::Call { callee, args } => self.call(callee, args)?,
            ExprKind::Unary { op, operand } => self.unary(*op, operand, e.span)?,
            ExprKind::Binary { op, lhs, rhs, .. } => ir::Expr::Binary {
                op: *op,
                lhs: Box::new(self.lower(lhs)?),
                rhs: Box::new(self.lower(rhs)?),
                int: self.int_arithmetic.contains(&e.span),
            },
            ExprKind::Paren(inner) => self.lower(inner)?,
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => ir::Expr::If {
                condition: Box::new(self.lower(condition)?),
                then: Box::new(self.lower(then)?),
                otherwise: Box::new(self.lower(otherwise)?),
            },
        })
    }

    fn string(&self, lit: &ast::StringLit) -> Result<ir::Expr, Missing> {
        if let Some(text) = lit.as_plain() {
            return Ok(ir::Expr::Literal(Value::String(text)));
        }
        let parts = lit
            .parts
            .iter()
            .map(|part| match part {
                StringPart::Text(t) => Ok(ir::Part::Text(t.clone())),
                StringPart::Interp(e) => Ok(ir::Part::Value(self.lower(e)?)),
            })
            .collect::<Result<_, Missing>>()?;
        Ok(ir::Expr::Interp(parts))
    }

    /// `-7` is the literal `-7`; any other negation stays an operation.
    fn unary(&self, op: UnaryOp, operand: &Expr, span: Span) -> Result<ir::Expr, Missing> {
        let operand = self.lower(operand)?;
        Ok(match (op, operand) {
            (UnaryOp::Neg, ir::Expr::Literal(Value::Number(n))) => {
                let negated = match n.as_i64().and_then(i64::checked_neg) {
                    Some(i) => Value::from(i),
                    None => number(-n.as_f64().unwrap_or(0.0))?,
                };
                ir::Expr::Literal(negated)
            }
            (UnaryOp::Neg, other) => ir::Expr::Neg {
                operand: Box::new(other),
                int: self.int_arithmetic.contains(&span),
            },
            (UnaryOp::Not, other) => ir::Expr::Not(Box::new(other)),
        })
    }

    /// A transformer (the file's own definitions win over built-ins, as in
    /// the checker) or a built-in function.
    fn call(&self, callee: &ast::Ident, args: &[ast::Arg]) -> Result<ir::Expr, Missing> {
        if let Some(Res::Item(ItemRef::Transformer(id))) = self.tables.get(callee.span) {
            let sig = self
                .transformers
                .get(id.0 as usize)
                .ok_or_else(|| Missing::new(format!("the transformer `{}`", callee.name)))?;
            return Ok(ir::Expr::Call {
                transformer: ir::TransformerId(id.0),
                args: self.ordered_args(sig, args)?,
            });
        }
        let function = ir::Builtin::from_name(callee.as_str())
            .ok_or_else(|| Missing::new(format!("the function `{}`", callee.name)))?;
        Ok(ir::Expr::Builtin {
            function,
            args: args
                .iter()
                .map(|a| self.lower(&a.value))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Arguments in the order of the parameters: positional ones as
    /// written, named ones where their parameter stands.
    pub(super) fn ordered_args(
        &self,
        sig: &Sig<'_>,
        args: &[ast::Arg],
    ) -> Result<Vec<ir::Expr>, Missing> {
        let mut slots: Vec<Option<ir::Expr>> = vec![None; sig.params.len()];
        for (at, arg) in args.iter().enumerate() {
            let slot = match &arg.name {
                Some(name) => match self.tables.get(name.span) {
                    Some(Res::Arg(i)) => Some(i as usize),
                    _ => None,
                },
                None => Some(at),
            };
            let slot = slot
                .and_then(|i| slots.get_mut(i))
                .ok_or_else(|| Missing::new(format!("a parameter of `{}`", sig.name.name)))?;
            *slot = Some(self.lower(&arg.value)?);
        }
        slots
            .into_iter()
            .zip(&sig.params)
            .map(|(slot, p)| {
                slot.ok_or_else(|| {
                    Missing::new(format!(
                        "the argument `{}` of `{}`",
                        p.name.name, sig.name.name
                    ))
                })
            })
            .collect()
    }
}

fn number(x: f64) -> Result<Value, Missing> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| Missing::new(format!("the number {x}, which JSON cannot hold")))
}
