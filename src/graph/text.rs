//! Expressions as labels: their source text, with the layout of the file
//! taken out, so that a condition written over three lines, or with a
//! comment in it, reads as one short phrase on an edge.

use crate::syntax::ast::{self, ExprKind};

/// A line is broken at the first space after this many characters, so that
/// a long condition does not stretch its edge across the picture.
const WRAP: usize = 40;

/// What a byte of the expression's text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    /// Code, where whitespace is layout.
    Code,
    /// Inside a string literal, where every character counts.
    Literal,
    /// Inside a comment, which a label leaves out.
    Comment,
}

/// The source text of `expr`: outside string literals, every run of
/// whitespace and comments becomes one space (or a line break after
/// [`WRAP`] characters); string literals are kept exactly as written.
/// `comments` are the file's comments, in source order.
pub fn one_line(source: &str, expr: &ast::Expr, comments: &[ast::Comment]) -> String {
    let span = expr.span;
    let text = span.text(source);
    let base = span.start;
    let mut mask = vec![Byte::Code; text.len()];
    mark_literals(expr, text.as_bytes(), base, &mut mask);
    // Comments are in source order: skip those before the expression.
    let first = comments.partition_point(|c| c.span.start < span.start);
    for comment in comments[first..]
        .iter()
        .take_while(|c| c.span.end <= span.end)
    {
        fill(&mut mask, base, comment.span, Byte::Comment);
    }

    let mut out = String::with_capacity(text.len());
    let mut line = 0;
    let mut space = false;
    for (at, c) in text.char_indices() {
        let byte = mask.get(at).copied().unwrap_or(Byte::Code);
        if byte == Byte::Comment || (byte == Byte::Code && c.is_whitespace()) {
            space = true;
            continue;
        }
        if std::mem::take(&mut space) && !out.is_empty() {
            if line >= WRAP {
                out.push('\n');
                line = 0;
            } else {
                out.push(' ');
                line += 1;
            }
        }
        out.push(c);
        line = if c == '\n' { 0 } else { line + 1 };
    }
    out
}

/// Marks the string literals inside `expr` as literal text, and the
/// interpolations inside them as code again. `text` is the text the mask
/// covers.
fn mark_literals(expr: &ast::Expr, text: &[u8], base: u32, mask: &mut [Byte]) {
    let literal = matches!(expr.kind, ExprKind::String(_));
    if literal {
        fill(mask, base, expr.span, Byte::Literal);
    }
    expr.for_each_child(|child| {
        if literal {
            // The whitespace right around an interpolated expression lies
            // between its `${` and `}`, so it is layout too.
            let mut start = child.span.start.saturating_sub(base) as usize;
            let mut end = child.span.end.saturating_sub(base) as usize;
            while start > 0 && text.get(start - 1).is_some_and(u8::is_ascii_whitespace) {
                start -= 1;
            }
            while text.get(end).is_some_and(u8::is_ascii_whitespace) {
                end += 1;
            }
            if let Some(range) = mask.get_mut(start..end) {
                range.fill(Byte::Code);
            }
        }
        mark_literals(child, text, base, mask);
    });
}

/// Sets the bytes of `span` (an absolute span, `base` being where the mask
/// starts) to `byte`, ignoring whatever lies outside the mask.
fn fill(mask: &mut [Byte], base: u32, span: ast::Span, byte: Byte) {
    let start = span.start.saturating_sub(base) as usize;
    let end = (span.end.saturating_sub(base) as usize).min(mask.len());
    if let Some(range) = mask.get_mut(start..end) {
        range.fill(byte);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{Item, StateKind};

    /// The label of the first condition of the first workflow of `source`.
    fn condition(source: &str) -> String {
        let parsed = crate::syntax::parse(source);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let Some(Item::Workflow(workflow)) = parsed.file.items.first() else {
            panic!("the source starts with a workflow");
        };
        let StateKind::Step(step) = &workflow.states[0].kind else {
            panic!("the first state is a step");
        };
        let Some(condition) = &step.body.transitions[0].condition else {
            panic!("the first clause has a condition");
        };
        one_line(source, condition, &parsed.file.comments)
    }

    fn with_condition(condition: &str) -> String {
        format!(
            "workflow w() -> int {{\n  step a = W() {{\n    on_success when {condition} -> b\n  }}\n}}\n"
        )
    }

    #[test]
    fn layout_and_comments_collapse_to_one_space() {
        let source = with_condition("a.x  ==\n      1 /* one */ &&\n // why\n  b");
        assert_eq!(condition(&source), "a.x == 1 && b");
    }

    #[test]
    fn string_literals_keep_their_spaces() {
        let source = with_condition("a.x ==   \"two  spaces /* no comment */\"");
        assert_eq!(
            condition(&source),
            "a.x == \"two  spaces /* no comment */\""
        );
    }

    #[test]
    fn interpolations_are_code_again() {
        let source = with_condition("a.x == \"${  len( a.y )  } \\\"q\\\"\"");
        assert_eq!(condition(&source), "a.x == \"${ len( a.y ) } \\\"q\\\"\"");
    }

    #[test]
    fn if_conditions_read_as_one_phrase() {
        let source = with_condition("if a.strict\n      then a.score > 8 // high\n      else a.ok");
        assert_eq!(condition(&source), "if a.strict then a.score > 8 else a.ok");
    }

    #[test]
    fn long_conditions_wrap_between_tokens() {
        let source = with_condition(
            "classify.urgency == \"urgent\" || (classify.confidence < 0.6 && ticket.plan != \"free\")",
        );
        assert_eq!(
            condition(&source),
            "classify.urgency == \"urgent\" || (classify.confidence\n< 0.6 && ticket.plan != \"free\")"
        );
    }
}
