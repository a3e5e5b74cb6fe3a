//! Expressions. The tree keeps the author's parentheses, and the printer
//! adds none: printing each node as written gives back the same tree.

use super::comments::Fmt;
use super::doc::{Doc, concat, group, indent, text};
use super::lists::{BRACES, BRACKETS, PARENS};
use crate::syntax::ast::*;

impl Fmt<'_> {
    pub(super) fn expr(&mut self, expr: &Expr) -> Doc {
        let lead = self.comments_before(expr.span.start);
        let body = match &expr.kind {
            ExprKind::Null => text("null"),
            ExprKind::Bool(b) => text(if *b { "true" } else { "false" }),
            // Numbers and durations as written: `1e3` stays `1e3`.
            ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Duration(_)
            | ExprKind::DurationRange(..) => text(self.slice(expr.span.start, expr.span.end)),
            ExprKind::String(lit) => self.string(lit),
            ExprKind::Name(name) => text(name.as_str()),
            ExprKind::List(items) => {
                let last = items.last().map(|i| i.span.end);
                let place = self.place_of(expr.span.start, b'[', b']', last);
                self.bracketed(
                    BRACKETS,
                    place,
                    items,
                    |i| (i.span.start, i.span.end),
                    |f, i| f.expr(i),
                )
            }
            ExprKind::Record(entries) => {
                let last = entries.last().map(|e| e.span.end);
                let place = self.place_of(expr.span.start, b'{', b'}', last);
                self.bracketed(
                    BRACES,
                    place,
                    entries,
                    |e| (e.span.start, e.span.end),
                    |f, e| concat(vec![f.key(&e.key), text(": "), f.expr(&e.value)]),
                )
            }
            ExprKind::Field {
                base,
                name,
                optional,
            } => concat(vec![
                self.expr(base),
                text(if *optional { "?." } else { "." }),
                self.ident(name),
            ]),
            ExprKind::Index { base, index } => {
                let base = self.expr(base);
                let index_doc = self.expr(index);
                let close = self.find_byte(index.span.end, b']');
                concat(vec![
                    base,
                    text("["),
                    index_doc,
                    self.comments_before_close(close),
                    text("]"),
                ])
            }
            ExprKind::Call { callee, args } => {
                concat(vec![self.ident(callee), self.args(callee.span.end, args)])
            }
            ExprKind::Unary { op, operand } => {
                // `- 7` is an operation on a literal and `-7` a literal:
                // the space keeps them apart.
                let space = *op == UnaryOp::Neg
                    && matches!(operand.kind, ExprKind::Int(_) | ExprKind::Number(_));
                concat(vec![
                    text(op.symbol()),
                    text(if space { " " } else { "" }),
                    self.expr(operand),
                ])
            }
            ExprKind::Binary { op, .. } => self.chain(expr, op.precedence()),
            ExprKind::If { .. } => self.conditional(expr),
            ExprKind::Paren(inner) => {
                let inner_doc = self.expr(inner);
                let close = self.find_byte(inner.span.end, b')');
                concat(vec![
                    text("("),
                    inner_doc,
                    self.comments_before_close(close),
                    text(")"),
                ])
            }
        };
        concat(vec![lead, body])
    }

    /// A chain of operators of one precedence, `a ?? b ?? c`: on one line
    /// when it fits, else broken before every operator of the chain.
    fn chain(&mut self, expr: &Expr, precedence: u8) -> Doc {
        let mut operands = Vec::new();
        flatten(expr, precedence, None, &mut operands);
        let mut rest = Vec::new();
        let mut first = Doc::Nil;
        for (op, operand) in operands {
            let doc = self.expr(operand);
            match op {
                None => first = doc,
                Some(op) => {
                    rest.push(Doc::Line);
                    rest.push(text(format!("{} ", op.symbol())));
                    rest.push(doc);
                }
            }
        }
        group(concat(vec![first, indent(concat(rest))]), false)
    }

    /// `if a then x else if b then y else z`: on one line when it fits,
    /// else broken before every `else`, indented under the `if`. A comment
    /// before a `then` or an `else` stays at the end of what it followed.
    fn conditional(&mut self, expr: &Expr) -> Doc {
        let mut head = Vec::new();
        let mut rest = Vec::new();
        let mut link = expr;
        while let ExprKind::If {
            condition,
            then,
            otherwise,
        } = &link.kind
        {
            let out = if head.is_empty() {
                head.push(text("if "));
                &mut head
            } else {
                rest.push(Doc::Line);
                rest.push(text("else if "));
                &mut rest
            };
            out.push(self.expr(condition));
            let then_at = self.next_token(condition.span.end);
            out.push(self.trailing_comments(then_at));
            out.push(text(" then "));
            out.push(self.expr(then));
            let else_at = self.next_token(then.span.end);
            out.push(self.trailing_comments(else_at));
            link = otherwise;
        }
        rest.push(Doc::Line);
        rest.push(text("else "));
        rest.push(self.expr(link));
        head.push(indent(concat(rest)));
        group(concat(head), false)
    }

    /// Comments before `pos` at the end of what was printed last: a line
    /// comment ends the line (and breaks the group around it).
    fn trailing_comments(&mut self, pos: u32) -> Doc {
        let mut out = Vec::new();
        while let Some(comment) = self.take_before(pos) {
            let shown = format!(" {}", self.comment_text(&comment));
            out.push(match comment.kind {
                CommentKind::Line => concat(vec![Doc::LineSuffix(shown), Doc::BreakParent]),
                CommentKind::Block if shown.contains('\n') => {
                    concat(vec![text(shown), Doc::BreakParent])
                }
                CommentKind::Block => text(shown),
            });
        }
        concat(out)
    }

    /// The arguments of a call, from the `(` after `after`.
    pub(super) fn args(&mut self, after: u32, args: &[Arg]) -> Doc {
        let last = args.last().map(|a| a.span.end);
        let place = self.place_of(after, b'(', b')', last);
        self.bracketed(
            PARENS,
            place,
            args,
            |a| (a.span.start, a.span.end),
            |f, a| match &a.name {
                Some(name) => concat(vec![f.ident(name), text(": "), f.expr(&a.value)]),
                None => f.expr(&a.value),
            },
        )
    }
}

/// The operands of a chain of operators of one precedence, each with the
/// operator before it. Without parentheses, a child of the same precedence
/// can only be on the side the operator associates to, so printing the
/// operands in order gives back the same tree.
fn flatten<'e>(
    expr: &'e Expr,
    precedence: u8,
    before: Option<BinaryOp>,
    out: &mut Vec<(Option<BinaryOp>, &'e Expr)>,
) {
    match &expr.kind {
        ExprKind::Binary { op, lhs, rhs, .. } if op.precedence() == precedence => {
            flatten(lhs, precedence, before, out);
            flatten(rhs, precedence, Some(*op), out);
        }
        _ => out.push((before, expr)),
    }
}
