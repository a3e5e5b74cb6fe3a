//! Expressions: the flat `expr` rule resolved with pest's PrattParser.

use std::sync::LazyLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::super::SyntaxError;
use super::super::ast::*;
use super::super::parser::Rule;
use super::Lowerer;
use super::items::next;

/// Section 9 of the design, lowest precedence first.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::infix(Rule::eq, Assoc::Left) | Op::infix(Rule::ne, Assoc::Left))
        .op(Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left))
        // `a ?? b ?? c` tries `a`, then `b`, then `c`.
        .op(Op::infix(Rule::coalesce, Assoc::Right))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::not) | Op::prefix(Rule::neg))
        .op(Op::postfix(Rule::field)
            | Op::postfix(Rule::opt_field)
            | Op::postfix(Rule::index)
            | Op::postfix(Rule::args))
});

/// How many operands and operators one expression may chain without
/// parentheses. Pest's Pratt parser recurses on chains of prefix and
/// right-associative operators, so this, with the nesting bound of the trivia
/// scan, bounds its stack.
const MAX_PARTS: usize = 256;

/// How deep an expression tree may be; later stages walk it by recursion.
const MAX_TREE_DEPTH: usize = 256;

impl Lowerer<'_> {
    /// An expression that is not part of another: the depth of its tree is
    /// checked here, once, so that later stages never see a tree too deep to
    /// walk.
    pub(super) fn top_expr(&self, pair: Pair<'_, Rule>) -> Expr {
        let expr = self.expr(pair);
        if depth(&expr, 0) > MAX_TREE_DEPTH {
            self.error(SyntaxError::TooDeep {
                span: expr.span,
                limit: MAX_TREE_DEPTH,
                what: "the depth of an expression",
            });
            return Expr {
                kind: ExprKind::Null,
                span: expr.span,
            };
        }
        expr
    }

    pub(super) fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let parts = pair.into_inner();
        if parts.len() > MAX_PARTS {
            self.error(SyntaxError::TooDeep {
                span,
                limit: MAX_PARTS,
                what: "the number of operands and operators in one expression without parentheses",
            });
            return Expr {
                kind: ExprKind::Null,
                span,
            };
        }
        PRATT
            .map_primary(|primary| self.primary(primary))
            .map_prefix(|op, operand| {
                let op_span = self.span(&op);
                self.operand_if(op.as_str(), &operand);
                let op = match op.as_rule() {
                    Rule::not => UnaryOp::Not,
                    _ => UnaryOp::Neg,
                };
                // `-7` is a literal, not an operation on one.
                if op == UnaryOp::Neg && operand.span.start == op_span.end {
                    match operand.kind {
                        ExprKind::Int(n) => {
                            return Expr {
                                kind: ExprKind::Int(-n),
                                span: op_span.to(operand.span),
                            };
                        }
                        ExprKind::Number(n) => {
                            return Expr {
                                kind: ExprKind::Number(-n),
                                span: op_span.to(operand.span),
                            };
                        }
                        _ => {}
                    }
                }
                Expr {
                    span: op_span.to(operand.span),
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                }
            })
            .map_postfix(|base, op| {
                let span = base.span.to(self.span(&op));
                let kind = match op.as_rule() {
                    // The grammar puts an argument list only right after a
                    // name: this is a call.
                    Rule::args => ExprKind::Call {
                        callee: callee(base),
                        args: self.args(op),
                    },
                    Rule::index => ExprKind::Index {
                        index: Box::new(self.expr(next(&mut op.into_inner()))),
                        base: Box::new(base),
                    },
                    rule => ExprKind::Field {
                        name: self.ident(next(&mut op.into_inner())),
                        optional: rule == Rule::opt_field,
                        base: Box::new(base),
                    },
                };
                Expr { kind, span }
            })
            .map_infix(|lhs, op, rhs| {
                let op_span = self.span(&op);
                self.operand_if(op.as_str(), &rhs);
                let op = match op.as_rule() {
                    Rule::or => BinaryOp::Or,
                    Rule::and => BinaryOp::And,
                    Rule::eq => BinaryOp::Eq,
                    Rule::ne => BinaryOp::Ne,
                    Rule::lt => BinaryOp::Lt,
                    Rule::le => BinaryOp::Le,
                    Rule::gt => BinaryOp::Gt,
                    Rule::ge => BinaryOp::Ge,
                    Rule::coalesce => BinaryOp::Coalesce,
                    Rule::add => BinaryOp::Add,
                    Rule::sub => BinaryOp::Sub,
                    Rule::mul => BinaryOp::Mul,
                    Rule::div => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                Expr {
                    span: lhs.span.to(rhs.span),
                    kind: ExprKind::Binary {
                        op,
                        op_span,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                }
            })
            .parse(parts)
    }

    /// Reports an `if` that is the operand of `op`: the grammar reads
    /// `1 + if c then a else b` (the `else` taking the rest), but an `if`
    /// has the lowest precedence, and inside an operation it must be put in
    /// parentheses. (It can only be the right operand: an `else` branch
    /// takes any operator after it.)
    fn operand_if(&self, op: &str, operand: &Expr) {
        if let ExprKind::If { .. } = operand.kind {
            let start = operand.span.start;
            self.error(SyntaxError::UnparenthesizedIf {
                op: op.to_string(),
                span: Span::new(start, start + 2),
                operand: operand.span,
            });
        }
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::ident => match pair.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                // A reserved word names nothing, so the checker reports it as
                // unknown; failure classes such as `worker` in
                // `retry_on: [worker]` are read from such names.
                _ => ExprKind::Name(self.ident(pair)),
            },
            Rule::string | Rule::triple => ExprKind::String(self.string_lit(pair)),
            Rule::number => self.number(pair),
            Rule::duration => ExprKind::Duration(self.duration(pair)),
            Rule::duration_range => {
                let mut inner = pair.into_inner();
                let from = self.duration(next(&mut inner));
                let to = self.duration(next(&mut inner));
                ExprKind::DurationRange(from, to)
            }
            Rule::bad_number => {
                self.bad_number(pair);
                ExprKind::Int(0)
            }
            Rule::paren => ExprKind::Paren(Box::new(self.expr(next(&mut pair.into_inner())))),
            Rule::conditional => return self.conditional(pair),
            Rule::list => ExprKind::List(pair.into_inner().map(|p| self.expr(p)).collect()),
            _ => ExprKind::Record(
                pair.into_inner()
                    .map(|entry| {
                        let span = self.span(&entry);
                        let mut inner = entry.into_inner();
                        let key = self.key(next(&mut inner));
                        let value = self.expr(next(&mut inner));
                        RecordEntry { key, value, span }
                    })
                    .collect(),
            ),
        };
        Expr { kind, span }
    }

    /// `if a then x else if b then y else z`: the links of the chain, each
    /// an `If` from its own `if` to the end, nested in the `else` of the one
    /// before.
    fn conditional(&self, pair: Pair<'_, Rule>) -> Expr {
        let end = self.span(&pair).end;
        let mut inner = pair.into_inner();
        let mut links = Vec::new();
        // The grammar alternates `if c then x` links and `else`, and ends
        // with the last branch.
        let mut keyword = next(&mut inner);
        let otherwise = loop {
            if keyword.as_rule() != Rule::kw_if {
                break self.expr(keyword);
            }
            let start = self.span(&keyword).start;
            let condition = self.expr(next(&mut inner));
            next(&mut inner); // `then`
            let then = self.expr(next(&mut inner));
            links.push((start, condition, then));
            next(&mut inner); // `else`
            keyword = next(&mut inner);
        };
        links
            .into_iter()
            .rev()
            .fold(otherwise, |otherwise, (start, condition, then)| Expr {
                span: Span::new(start, end),
                kind: ExprKind::If {
                    condition: Box::new(condition),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
            })
    }

    pub(super) fn args(&self, pair: Pair<'_, Rule>) -> Vec<Arg> {
        pair.into_inner()
            .map(|arg| {
                let span = self.span(&arg);
                let mut inner = arg.into_inner();
                let first = next(&mut inner);
                match inner.next() {
                    Some(value) => Arg {
                        name: Some(self.ident(first)),
                        value: self.expr(value),
                        span,
                    },
                    None => Arg {
                        name: None,
                        value: self.expr(first),
                        span,
                    },
                }
            })
            .collect()
    }

    fn number(&self, pair: Pair<'_, Rule>) -> ExprKind {
        let text = pair.as_str();
        let is_integer = text.bytes().all(|b| b.is_ascii_digit());
        if is_integer {
            if let Ok(n) = text.parse::<i64>() {
                return ExprKind::Int(n);
            }
        }
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => ExprKind::Number(n),
            _ => {
                self.error(SyntaxError::InvalidNumber {
                    text: text.to_string(),
                    span: self.span(&pair),
                    reason: "too large to represent",
                    help: "numbers are 64-bit floating point; write a smaller number".to_string(),
                });
                ExprKind::Number(0.0)
            }
        }
    }

    fn bad_number(&self, pair: Pair<'_, Rule>) {
        self.error(super::mistakes::bad_number(pair.as_str(), self.span(&pair)));
    }

    fn duration(&self, pair: Pair<'_, Rule>) -> Duration {
        let text = pair.as_str();
        let span = self.span(&pair);
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let factor: u64 = match &text[digits..] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            _ => 3_600_000,
        };
        let millis = text[..digits]
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(factor));
        match millis {
            Some(millis) => Duration { millis, span },
            None => {
                self.error(SyntaxError::InvalidDuration {
                    text: text.to_string(),
                    span,
                    reason: "too long to represent",
                    help: "write a shorter duration".to_string(),
                    suggestion: None,
                });
                Duration { millis: 0, span }
            }
        }
    }
}

/// The name called by `name(args)`. Built-in functions such as `string(x)`
/// share their names with reserved words, and `true(x)` has been read as a
/// literal by then: it is named after it, and the checker finds no such
/// function.
fn callee(base: Expr) -> Ident {
    let name = match base.kind {
        ExprKind::Name(ident) => return ident,
        ExprKind::Bool(true) => "true",
        ExprKind::Bool(false) => "false",
        _ => "null",
    };
    Ident {
        name: name.into(),
        span: base.span,
    }
}

/// The depth of an expression tree, stopping early once past the limit.
fn depth(expr: &Expr, at: usize) -> usize {
    if at > MAX_TREE_DEPTH {
        return at;
    }
    let mut deepest = at + 1;
    expr.for_each_child(|child| deepest = deepest.max(depth(child, at + 1)));
    deepest
}
