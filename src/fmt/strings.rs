//! String literals. Their text is copied from the source, escapes as
//! written; only the code inside `${}` is formatted. A triple-quoted string
//! over several lines is re-indented one level deeper than the line it
//! starts on: the parser removes the common indentation of its lines, so
//! the value stays the same.

use super::comments::Fmt;
use super::doc::{Doc, concat, indent, root, text};
use crate::syntax::ast::*;

/// A piece of a string literal's source.
#[derive(Debug, Clone, Copy)]
enum Seg {
    /// Text, escapes as written, from one offset to another.
    Text(usize, usize),
    /// An interpolation: the offset of the `}` that closes it.
    Interp(usize),
}

/// A piece of one line of a triple-quoted string.
#[derive(Debug, Clone, Copy)]
enum Piece<'s> {
    Text(&'s str),
    /// The n-th interpolation of the string, and the offset of its `}`.
    Interp(usize, usize),
}

impl Fmt<'_> {
    pub(super) fn string(&mut self, lit: &StringLit) -> Doc {
        let lead = self.comments_before(lit.span.start);
        let quote = if lit.triple { "\"\"\"" } else { "\"" };
        let from = lit.span.start as usize + quote.len();
        let to = (lit.span.end as usize)
            .saturating_sub(quote.len())
            .max(from);
        let segs = self.segments(from, to);
        let interps: Vec<&Expr> = lit
            .parts
            .iter()
            .filter_map(|part| match part {
                StringPart::Interp(expr) => Some(expr),
                StringPart::Text(_) => None,
            })
            .collect();
        let multiline = lit.triple
            && segs.iter().any(|seg| match *seg {
                Seg::Text(from, to) => self.slice(from as u32, to as u32).contains('\n'),
                Seg::Interp(_) => false,
            });
        let body = if multiline {
            self.triple_lines(&segs, &interps)
        } else {
            let mut out = vec![text(quote)];
            let mut n = 0;
            for seg in segs {
                match seg {
                    Seg::Text(from, to) => out.push(text(self.slice(from as u32, to as u32))),
                    Seg::Interp(close) => {
                        out.push(self.interp(interps.get(n).copied(), close));
                        n += 1;
                    }
                }
            }
            out.push(text(quote));
            concat(out)
        };
        concat(vec![lead, body])
    }

    /// `${expr}`, with the comments inside the braces.
    fn interp(&mut self, expr: Option<&Expr>, close: usize) -> Doc {
        let expr = expr.map_or(Doc::Nil, |e| self.expr(e).flat());
        concat(vec![
            text("${"),
            expr,
            self.comments_before_close(close as u32),
            text("}"),
        ])
    }

    /// A triple-quoted string over several lines: its lines as the parser
    /// sees them (without the blank first and last lines and the common
    /// indentation), each on a line of its own one level deeper, and the
    /// closing quotes on a line of their own at that level too.
    fn triple_lines(&mut self, segs: &[Seg], interps: &[&Expr]) -> Doc {
        let mut lines: Vec<Vec<Piece<'_>>> = vec![Vec::new()];
        let mut n = 0;
        let source = self.source;
        for seg in segs {
            match *seg {
                Seg::Text(from, to) => {
                    let stretch = source.get(from..to).unwrap_or("");
                    for (i, part) in stretch.split('\n').enumerate() {
                        if i > 0 {
                            lines.push(Vec::new());
                        }
                        if let (false, Some(line)) = (part.is_empty(), lines.last_mut()) {
                            line.push(Piece::Text(part));
                        }
                    }
                }
                Seg::Interp(close) => {
                    if let Some(line) = lines.last_mut() {
                        line.push(Piece::Interp(n, close));
                    }
                    n += 1;
                }
            }
        }
        if lines.len() > 1 && is_blank(&lines[0]) {
            lines.remove(0);
        }
        if lines.len() > 1 && lines.last().is_some_and(|l| is_blank(l)) {
            lines.pop();
        }
        let common = lines
            .iter()
            .filter(|line| !is_blank(line))
            .map(|line| leading_whitespace(line))
            .min();
        let mut body = Vec::new();
        for line in &lines {
            body.push(Doc::HardLine);
            for (i, piece) in line.iter().enumerate() {
                match *piece {
                    Piece::Text(t) => {
                        let t = if i == 0 {
                            cut(t, common.unwrap_or(0))
                        } else {
                            t
                        };
                        if !t.is_empty() {
                            body.push(Doc::Verbatim(t.to_string()));
                        }
                    }
                    Piece::Interp(n, close) => {
                        body.push(self.interp(interps.get(n).copied(), close))
                    }
                }
            }
        }
        // Lines of nothing but spaces have no common indentation to
        // remove: they are printed from the first column.
        let body = match common {
            Some(_) => indent(concat(body)),
            None => root(concat(body)),
        };
        concat(vec![
            text("\"\"\""),
            body,
            indent(concat(vec![Doc::HardLine, text("\"\"\"")])),
        ])
    }

    /// The pieces of a string's source between its quotes.
    fn segments(&self, from: usize, to: usize) -> Vec<Seg> {
        let bytes = self.source.as_bytes();
        let mut segs = Vec::new();
        let mut text_from = from;
        let mut at = from;
        while at < to {
            match bytes[at] {
                b'\\' => at += 2,
                b'$' if bytes.get(at + 1) == Some(&b'{') => {
                    if text_from < at {
                        segs.push(Seg::Text(text_from, at));
                    }
                    let close = self.skip_code(at + 2);
                    segs.push(Seg::Interp(close));
                    at = close + 1;
                    text_from = at;
                }
                _ => at += 1,
            }
        }
        if text_from < to {
            segs.push(Seg::Text(text_from, to.min(bytes.len())));
        }
        segs
    }

    /// The offset of the `}` that closes the interpolation whose code
    /// starts at `at`: brackets, strings and comments inside are skipped.
    fn skip_code(&self, mut at: usize) -> usize {
        let bytes = self.source.as_bytes();
        let mut depth = 0usize;
        while at < bytes.len() {
            if let Some(comment) = self.comment_at(at) {
                at = comment.span.end as usize;
                continue;
            }
            match bytes[at] {
                b'"' => at = self.skip_string(at),
                b'{' | b'(' | b'[' => {
                    depth += 1;
                    at += 1;
                }
                b'}' if depth == 0 => return at,
                b'}' | b')' | b']' => {
                    depth = depth.saturating_sub(1);
                    at += 1;
                }
                _ => at += 1,
            }
        }
        bytes.len()
    }

    /// The offset after the string literal that starts at `at`.
    fn skip_string(&self, at: usize) -> usize {
        let bytes = self.source.as_bytes();
        let triple = bytes[at..].starts_with(b"\"\"\"");
        let mut at = at + if triple { 3 } else { 1 };
        while at < bytes.len() {
            match bytes[at] {
                b'\\' => at += 2,
                b'$' if bytes.get(at + 1) == Some(&b'{') => at = self.skip_code(at + 2) + 1,
                b'"' if !triple => return at + 1,
                b'"' if bytes[at..].starts_with(b"\"\"\"") => return at + 3,
                _ => at += 1,
            }
        }
        bytes.len()
    }
}

/// A line of spaces, tabs and carriage returns only: the parser's rule.
fn is_blank(line: &[Piece<'_>]) -> bool {
    line.iter().all(|piece| match piece {
        Piece::Text(t) => t.chars().all(|c| matches!(c, ' ' | '\t' | '\r')),
        Piece::Interp(..) => false,
    })
}

/// The spaces and tabs that start a line: the parser's rule, where an
/// escape or an interpolation is not indentation.
fn leading_whitespace(line: &[Piece<'_>]) -> usize {
    match line.first() {
        Some(Piece::Text(t)) => t.chars().take_while(|&c| c == ' ' || c == '\t').count(),
        _ => 0,
    }
}

/// `text` without up to `count` leading spaces and tabs.
fn cut(text: &str, count: usize) -> &str {
    let skip = text
        .bytes()
        .take_while(|&b| b == b' ' || b == b'\t')
        .take(count)
        .count();
    &text[skip..]
}
