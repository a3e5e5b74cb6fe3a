//! Whether a state's `on_success` clauses cover every success.
//!
//! A state needs an unconditional `on_success`, or conditions that provably
//! cover every value of one subject:
//!
//! - comparisons `E == "lit"` (or `"lit" == E`) of one expression `E` of a
//!   literal-union type against every member; a `bool` counts as the union
//!   of `true` and `false`, and a `T?` subject must also be compared with
//!   `null`;
//! - one `bool` condition both ways: `when p` and `when !p` (or
//!   `p == false`, or, for `p` an equality `a == b`, `a != b`).
//!
//! A condition counts for each part that makes it hold: `p || q` for `p`
//! and for `q`, and `!(p && q)` for `!p` and for `!q`. Expressions are the
//! same when they are written the same, spans and parentheses aside.
//! Expressions are pure and deterministic, and every condition of a
//! success is evaluated against the same values, so a subject has one
//! value for all the clauses: when every value of it makes some clause
//! hold, some clause matches.

use super::scope::StateScope;
use crate::check::env::Cx;
use crate::check::error::{BlockPlace, CheckError, StateLine};
use crate::check::expr::{Typer, render_condition};
use crate::check::states::StateTable;
use crate::check::types::{Ty, write_string_literal};
use crate::syntax::ast::{self, BinaryOp, Expr, ExprKind, Outcome, UnaryOp};

/// A literal compared against.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Bool(bool),
    Null,
}

/// What the clauses compare: an expression, or whether two expressions are
/// equal (`a == b` and `a != b` are that, true or false).
#[derive(Clone, Copy)]
enum Subject<'e> {
    Expr(&'e Expr),
    Eq(&'e Expr, &'e Expr),
}

impl Subject<'_> {
    fn same(self, other: Subject<'_>) -> bool {
        match (self, other) {
            (Subject::Expr(a), Subject::Expr(b)) => same(a, b),
            // `==` is symmetric: `a == b` and `b == a` hold together.
            (Subject::Eq(a1, b1), Subject::Eq(a2, b2)) => {
                (same(a1, a2) && same(b1, b2)) || (same(a1, b2) && same(b1, a2))
            }
            _ => false,
        }
    }
}

/// The values of one subject for which some clause certainly matches.
struct Group<'e> {
    subject: Subject<'e>,
    covered: Vec<Lit>,
}

/// What is missing from the group that comes closest, for the message.
struct Missing<'e> {
    subject: Subject<'e>,
    is_bool: bool,
    values: Vec<Lit>,
}

/// Reports a state whose `on_success` clauses may all fail to match.
/// `scope` is the scope of its `on_success` conditions.
pub(super) fn check(
    cx: &mut Cx<'_, '_>,
    scope: &StateScope<'_, '_>,
    table: &StateTable<'_>,
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
        collect(condition, true, &mut groups);
    }
    // The group that comes closest, for the message: an expression's group
    // rather than an equality's, which `x == "a"` makes as well and which
    // would hide the members of `x` that are missing.
    let mut best: Option<Missing<'_>> = None;
    let mut best_eq: Option<Missing<'_>> = None;
    for group in &groups {
        let (values, is_bool) = match group.subject {
            Subject::Expr(subject) => {
                // The subject was typed (and any problem reported) with its
                // condition; typing it again must not repeat those messages.
                let before = cx.out.len();
                let ty = Typer::new(cx, scope).expr(subject).ty;
                cx.out.truncate(before);
                let types = &cx.types;
                let (inner, nullable) = types.strip_optional(ty);
                let mut values: Vec<Lit> = match types.get(inner) {
                    Ty::Union(members) => members
                        .iter()
                        .map(|&m| Lit::Str(types.syms.name(m).to_string()))
                        .collect(),
                    Ty::Bool => vec![Lit::Bool(true), Lit::Bool(false)],
                    _ => continue,
                };
                if nullable {
                    values.push(Lit::Null);
                }
                (values, matches!(types.get(inner), Ty::Bool))
            }
            Subject::Eq(..) => (vec![Lit::Bool(true), Lit::Bool(false)], true),
        };
        let missing: Vec<Lit> = values
            .into_iter()
            .filter(|v| !group.covered.contains(v))
            .collect();
        if missing.is_empty() {
            return;
        }
        let slot = match group.subject {
            Subject::Expr(_) => &mut best,
            Subject::Eq(..) => &mut best_eq,
        };
        if slot.as_ref().is_none_or(|m| missing.len() < m.values.len()) {
            *slot = Some(Missing {
                subject: group.subject,
                is_bool,
                values: missing,
            });
        }
    }
    let name = &state.name.name;
    let (uncovered, help) = match best.or(best_eq) {
        Some(missing) => describe(&missing),
        None if conditions.is_empty() => (
            "any result".to_string(),
            format!("add `on_success -> NEXT` to say where the run goes when `{name}` succeeds"),
        ),
        None => (
            "the case where no condition holds".to_string(),
            "end with an unconditional `on_success -> ...`; conditions count as exhaustive only when they compare one value with every member of its literal union, or test one `bool` condition both ways (`when p` and `when !p`)".to_string(),
        ),
    };
    cx.out.push(CheckError::NonExhaustiveTransitions {
        state: name.to_string(),
        span: state.name.span,
        uncovered,
        help,
        catch_all: catch_all(table, state, body, conditions.is_empty()),
    });
}

/// The fix of a state whose successes may find no clause: an unconditional
/// `on_success` after its last one. Where it goes is what the user would
/// write:
///
/// - a state without any `on_success` goes on to the state written after
///   it, as a workflow written top to bottom reads;
/// - a state whose conditions leave some values out sends those to a
///   `fail` state (the one its own `on_failure` goes to, or else the first
///   of the workflow), which says explicitly what happens now (a success no
///   clause takes fails the run) and never passes an unexpected value on as
///   if it had been expected.
///
/// No fix when there is no such state.
fn catch_all(
    table: &StateTable<'_>,
    state: &ast::State,
    body: &ast::StateBody,
    no_success: bool,
) -> Option<StateLine> {
    let states = || table.ids().map(|id| table.state(id));
    let is_fail = |name: &str| {
        table
            .lookup(name)
            .is_some_and(|id| matches!(table.state(id).kind, ast::StateKind::Fail(_)))
    };
    let target = if no_success {
        states()
            .skip_while(|s| !std::ptr::eq(*s, state))
            .nth(1)
            .map(|s| s.name.as_str())?
    } else {
        body.transitions
            .iter()
            .filter(|t| t.outcome == Outcome::Failure)
            .map(|t| t.target.as_str())
            .find(|target| is_fail(target))
            .or_else(|| {
                states()
                    .find(|s| matches!(s.kind, ast::StateKind::Fail(_)))
                    .map(|s| s.name.as_str())
            })?
    };
    let last_success = body
        .transitions
        .iter()
        .filter(|t| t.outcome == Outcome::Success)
        .map(|t| t.span.end)
        .max();
    let place = match (last_success, body.transitions.first()) {
        (Some(end), _) => BlockPlace::After(end),
        (None, Some(first)) => BlockPlace::Before(first.span.start),
        (None, None) => BlockPlace::after(state, None),
    };
    Some(StateLine {
        state: state.name.as_str().to_string(),
        place,
        text: format!("on_success -> {target}"),
    })
}

/// The label's "what is not covered" and the help, for the group that
/// comes closest.
fn describe(missing: &Missing<'_>) -> (String, String) {
    const OR_ELSE: &str = "or end with an unconditional `on_success -> ...`";
    let first = &missing.values[0];
    if !missing.is_bool {
        let shown: Vec<String> = missing
            .values
            .iter()
            .map(|m| format!("`{}`", lit(m)))
            .collect();
        let subject = match missing.subject {
            Subject::Expr(e) => render_condition(e),
            Subject::Eq(..) => None,
        };
        let subject = subject.unwrap_or_else(|| "the value".to_string());
        return (
            shown.join(" or "),
            format!(
                "add `on_success when {subject} == {} -> ...` for what is missing, {OR_ELSE}",
                lit(first)
            ),
        );
    }
    // A `bool`: say which way the condition is missing, and write it.
    let (shown, clause) = match (missing.subject, first) {
        (Subject::Eq(a, b), Lit::Bool(holds)) => {
            let op = if *holds { "==" } else { "!=" };
            let text = render_condition(a)
                .zip(render_condition(b))
                .map(|(a, b)| format!("{a} {op} {b}"));
            let equal = render_condition(a)
                .zip(render_condition(b))
                .map(|(a, b)| format!("{a} == {b}"));
            (equal, text)
        }
        (Subject::Expr(e), Lit::Bool(true)) => (render_condition(e), render_condition(e)),
        (Subject::Expr(e), Lit::Bool(false)) => (render_condition(e), negate(e)),
        (Subject::Expr(e), _) => (
            render_condition(e),
            render_condition(e).map(|p| format!("{p} == null")),
        ),
        (Subject::Eq(..), _) => (None, None),
    };
    let value = lit(first);
    let uncovered = match shown {
        Some(p) => format!("the case where `{p}` is `{value}`"),
        None => format!("`{value}`"),
    };
    let help = match (clause, first) {
        (Some(clause), _) => format!(
            "add `on_success when {clause} -> ...` for the case where it is `{value}`, {OR_ELSE}"
        ),
        (None, Lit::Bool(false)) => format!(
            "add a clause with the same condition negated, `on_success when !(...) -> ...`, {OR_ELSE}"
        ),
        (None, _) => format!("add a clause for the case where it is `{value}`, {OR_ELSE}"),
    };
    (uncovered, help)
}

fn lit(l: &Lit) -> String {
    match l {
        Lit::Str(s) => {
            let mut quoted = String::new();
            write_string_literal(s, &mut quoted);
            quoted
        }
        Lit::Bool(b) => b.to_string(),
        Lit::Null => "null".to_string(),
    }
}

/// Gathers, from a condition that holds (`positive`) or fails, the values
/// of subjects for which it certainly holds or fails:
///
/// - `E` holds when `E` is `true`, `!E` when `E` is `false`;
/// - `E == lit` holds when `E` is `lit`;
/// - `a == b` holds when `a` equals `b`, `a != b` when it does not;
/// - `p || q` holds when `p` holds, and when `q` holds; by De Morgan,
///   `!(p && q)` holds when `p` fails, and when `q` fails.
///
/// Parentheses are looked through. Anything else adds only the condition
/// itself as a `bool` subject (it may still match, so skipping it never
/// makes a state look covered when it is not).
fn collect<'e>(condition: &'e Expr, positive: bool, groups: &mut Vec<Group<'e>>) {
    let condition = strip(condition);
    match &condition.kind {
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => collect(operand, !positive, groups),
        ExprKind::Binary { op, lhs, rhs, .. } => {
            match (op, positive) {
                (BinaryOp::Or, true) | (BinaryOp::And, false) => {
                    collect(lhs, positive, groups);
                    collect(rhs, positive, groups);
                }
                (BinaryOp::Eq | BinaryOp::Ne, _) => {
                    let equal = positive == (*op == BinaryOp::Eq);
                    add(groups, Subject::Eq(lhs, rhs), Lit::Bool(equal));
                    if equal {
                        match (literal(rhs), literal(lhs)) {
                            (Some(lit), _) => add(groups, Subject::Expr(lhs), lit),
                            (None, Some(lit)) => add(groups, Subject::Expr(rhs), lit),
                            (None, None) => {}
                        }
                    }
                    return;
                }
                _ => {}
            }
            add(groups, Subject::Expr(condition), Lit::Bool(positive));
        }
        _ => add(groups, Subject::Expr(condition), Lit::Bool(positive)),
    }
}

fn add<'e>(groups: &mut Vec<Group<'e>>, subject: Subject<'e>, lit: Lit) {
    match groups.iter_mut().find(|g| g.subject.same(subject)) {
        Some(group) => group.covered.push(lit),
        None => groups.push(Group {
            subject,
            covered: vec![lit],
        }),
    }
}

/// The condition `!e` as source text: `!p` for a name or access, `!(p)`
/// for an operation, and `q` for `!q`.
fn negate(e: &Expr) -> Option<String> {
    let e = strip(e);
    Some(match &e.kind {
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => render_condition(strip(operand))?,
        ExprKind::Binary { .. } | ExprKind::Unary { .. } => format!("!({})", render_condition(e)?),
        _ => format!("!{}", render_condition(e)?),
    })
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
