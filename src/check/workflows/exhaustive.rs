//! Whether a state's `on_success` clauses cover every success.
//!
//! A state needs an unconditional `on_success`, or conditions that provably
//! cover every value: comparisons `E == "lit"` (or `"lit" == E`, or `||` of
//! them) of one expression `E` of a literal-union type against every member.
//! A `bool` counts as the union of `true` and `false`; a `T?` subject must
//! also be compared with `null`. Expressions are the same when they are
//! written the same, spans and parentheses aside.

use super::scope::StateScope;
use crate::check::env::Cx;
use crate::check::error::CheckError;
use crate::check::expr::{Typer, render};
use crate::check::types::{Ty, write_string_literal};
use crate::syntax::ast::{self, BinaryOp, Expr, ExprKind, Outcome};

/// A literal compared against.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Bool(bool),
    Null,
}

/// The literals one expression is compared with, across the clauses.
struct Group<'e> {
    subject: &'e Expr,
    covered: Vec<Lit>,
}

/// Reports a state whose `on_success` clauses may all fail to match.
/// `scope` is the scope of its `on_success` conditions.
pub(super) fn check(
    cx: &mut Cx<'_, '_>,
    scope: &StateScope<'_, '_>,
    state: &ast::State,
    body: &ast::StateBody,
) {
    let mut conditions = Vec::new();
    for transition in &body.transitions {
        if transition.outcome != Outcome::Success {
            continue;
        }
        match &transition.condition {
            None => return,
            Some(condition) => conditions.push(condition),
        }
    }
    let mut groups: Vec<Group<'_>> = Vec::new();
    for condition in &conditions {
        collect(condition, &mut groups);
    }
    // The group that comes closest, for the message.
    let mut best: Option<(Vec<String>, &Expr)> = None;
    for group in &groups {
        // The subject was typed (and any problem reported) with its
        // condition; typing it again must not repeat those messages.
        let before = cx.out.len();
        let ty = Typer::new(cx, scope).expr(group.subject).ty;
        cx.out.truncate(before);
        let types = &cx.types;
        let (inner, nullable) = types.strip_optional(ty);
        let mut missing: Vec<String> = match types.get(inner) {
            Ty::Union(members) => members
                .iter()
                .map(|&m| types.syms.name(m))
                .filter(|m| !group.covered.contains(&Lit::Str((*m).to_string())))
                .map(|m| {
                    let mut quoted = String::new();
                    write_string_literal(m, &mut quoted);
                    quoted
                })
                .collect(),
            Ty::Bool => [true, false]
                .into_iter()
                .filter(|b| !group.covered.contains(&Lit::Bool(*b)))
                .map(|b| b.to_string())
                .collect(),
            _ => continue,
        };
        if nullable && !group.covered.contains(&Lit::Null) {
            missing.push("null".to_string());
        }
        if missing.is_empty() {
            return;
        }
        if best.as_ref().is_none_or(|(m, _)| missing.len() < m.len()) {
            best = Some((missing, group.subject));
        }
    }
    let name = &state.name.name;
    let (uncovered, help) = match best {
        Some((missing, subject)) => {
            let shown: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            let subject = render(subject).unwrap_or_else(|| "the value".to_string());
            (
                shown.join(" or "),
                format!(
                    "add `on_success when {subject} == {} -> ...` for what is missing, or end with an unconditional `on_success -> ...`",
                    missing[0]
                ),
            )
        }
        None if conditions.is_empty() => (
            "any result".to_string(),
            format!("add `on_success -> NEXT` to say where the run goes when `{name}` succeeds"),
        ),
        None => (
            "the case where no condition holds".to_string(),
            "end with an unconditional `on_success -> ...`; conditions count as exhaustive only when they compare one value with every member of its literal union".to_string(),
        ),
    };
    cx.out.push(CheckError::NonExhaustiveTransitions {
        state: name.to_string(),
        span: state.name.span,
        uncovered,
        help,
    });
}

/// Gathers the `E == literal` comparisons of a condition, looking through
/// `||` and parentheses. Anything else adds nothing (it may still match, so
/// skipping it never makes a state look covered when it is not).
fn collect<'e>(condition: &'e Expr, groups: &mut Vec<Group<'e>>) {
    let condition = strip(condition);
    let ExprKind::Binary { op, lhs, rhs, .. } = &condition.kind else {
        return;
    };
    match op {
        BinaryOp::Or => {
            collect(lhs, groups);
            collect(rhs, groups);
        }
        BinaryOp::Eq => {
            let (subject, lit) = match (literal(rhs), literal(lhs)) {
                (Some(lit), _) => (lhs.as_ref(), lit),
                (None, Some(lit)) => (rhs.as_ref(), lit),
                (None, None) => return,
            };
            match groups.iter_mut().find(|g| same(g.subject, subject)) {
                Some(group) => group.covered.push(lit),
                None => groups.push(Group {
                    subject,
                    covered: vec![lit],
                }),
            }
        }
        _ => {}
    }
}

fn literal(e: &Expr) -> Option<Lit> {
    match &strip(e).kind {
        ExprKind::String(s) => s.as_plain().map(Lit::Str),
        ExprKind::Bool(b) => Some(Lit::Bool(*b)),
        ExprKind::Null => Some(Lit::Null),
        _ => None,
    }
}

fn strip(mut e: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    e
}

/// Whether two expressions are written the same, spans and parentheses
/// aside.
fn same(a: &Expr, b: &Expr) -> bool {
    let (a, b) = (strip(a), strip(b));
    match (&a.kind, &b.kind) {
        (ExprKind::Null, ExprKind::Null) => true,
        (ExprKind::Bool(x), ExprKind::Bool(y)) => x == y,
        (ExprKind::Int(x), ExprKind::Int(y)) => x == y,
        (ExprKind::Number(x), ExprKind::Number(y)) => x.to_bits() == y.to_bits(),
        (ExprKind::String(x), ExprKind::String(y)) => {
            matches!((x.as_plain(), y.as_plain()), (Some(p), Some(q)) if p == q)
        }
        (ExprKind::Name(x), ExprKind::Name(y)) => x.name == y.name,
        (
            ExprKind::Field {
                base: b1,
                name: n1,
                optional: o1,
            },
            ExprKind::Field {
                base: b2,
                name: n2,
                optional: o2,
            },
        ) => n1.name == n2.name && o1 == o2 && same(b1, b2),
        (
            ExprKind::Index {
                base: b1,
                index: i1,
            },
            ExprKind::Index {
                base: b2,
                index: i2,
            },
        ) => same(b1, b2) && same(i1, i2),
        (
            ExprKind::Call {
                callee: c1,
                args: a1,
            },
            ExprKind::Call {
                callee: c2,
                args: a2,
            },
        ) => {
            c1.name == c2.name
                && a1.len() == a2.len()
                && a1.iter().zip(a2).all(|(x, y)| {
                    x.name.as_ref().map(|n| &n.name) == y.name.as_ref().map(|n| &n.name)
                        && same(&x.value, &y.value)
                })
        }
        (ExprKind::Unary { op: o1, operand: x }, ExprKind::Unary { op: o2, operand: y }) => {
            o1 == o2 && same(x, y)
        }
        (
            ExprKind::Binary {
                op: o1,
                lhs: l1,
                rhs: r1,
                ..
            },
            ExprKind::Binary {
                op: o2,
                lhs: l2,
                rhs: r2,
                ..
            },
        ) => o1 == o2 && same(l1, l2) && same(r1, r2),
        (ExprKind::List(x), ExprKind::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (ExprKind::Record(x), ExprKind::Record(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| p.key.name == q.key.name && same(&p.value, &q.value))
        }
        _ => false,
    }
}
