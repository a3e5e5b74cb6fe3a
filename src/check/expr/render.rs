//! Short expressions written back as source text, for helps that show the
//! user what to write.

use crate::check::types::write_string_literal;
use crate::syntax::ast::{Expr, ExprKind};

/// A name, field access, index, call or literal as source text; `None`
/// for anything longer, which a help would rather describe.
pub(crate) fn render(e: &Expr) -> Option<String> {
    write(e, false)
}

/// As [`render`], and operators too (`!p`, `a == b`, `null`), for helps
/// that write a condition back. The tree keeps the author's parentheses,
/// so printing each node as written gives back the same expression.
pub(crate) fn render_condition(e: &Expr) -> Option<String> {
    write(e, true)
}

fn write(e: &Expr, operators: bool) -> Option<String> {
    let render = |e: &Expr| write(e, operators);
    Some(match &e.kind {
        ExprKind::Null if operators => "null".to_string(),
        ExprKind::Unary { op, operand } if operators => {
            format!("{}{}", op.symbol(), render(operand)?)
        }
        ExprKind::Binary { op, lhs, rhs, .. } if operators => {
            format!("{} {} {}", render(lhs)?, op.symbol(), render(rhs)?)
        }
        ExprKind::Name(n) => n.name.to_string(),
        ExprKind::Field {
            base,
            name,
            optional,
        } => format!(
            "{}{}{}",
            render(base)?,
            if *optional { "?." } else { "." },
            name.name
        ),
        ExprKind::Index { base, index } => format!("{}[{}]", render(base)?, render(index)?),
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::String(s) => {
            let mut out = String::new();
            write_string_literal(&s.as_plain()?, &mut out);
            out
        }
        ExprKind::Paren(inner) => format!("({})", render(inner)?),
        ExprKind::Call { callee, args } => {
            let args: Option<Vec<String>> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => render(&a.value).map(|v| format!("{}: {v}", n.name)),
                    None => render(&a.value),
                })
                .collect();
            format!("{}({})", callee.name, args?.join(", "))
        }
        _ => return None,
    })
}
