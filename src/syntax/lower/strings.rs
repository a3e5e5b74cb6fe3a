//! String literals: escapes, interpolation, and the indentation removal of
//! triple-quoted strings.

use pest::iterators::Pair;

use super::super::SyntaxError;
use super::super::ast::*;
use super::super::parser::Rule;
use super::Lowerer;
use super::items::next;

/// A piece of a string before indentation removal: source text (which may
/// be indentation), text produced by an escape (which never is), or an
/// interpolation.
enum Piece {
    Source(String),
    Escaped(char),
    Interp(Expr),
}

impl Lowerer<'_> {
    pub(super) fn string_lit(&self, pair: Pair<'_, Rule>) -> StringLit {
        let span = self.span(&pair);
        let triple = pair.as_rule() == Rule::triple;
        let mut pieces = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::text | Rule::triple_text => {
                    pieces.push(Piece::Source(normalise_line_breaks(part.as_str())))
                }
                Rule::escape => {
                    if let Some(c) = self.escape(&part) {
                        pieces.push(Piece::Escaped(c));
                    }
                }
                _ => pieces.push(Piece::Interp(self.expr(next(&mut part.into_inner())))),
            }
        }
        let parts = if triple {
            dedent(pieces)
        } else {
            join(pieces.into_iter())
        };
        StringLit {
            parts,
            triple,
            span,
        }
    }

    fn escape(&self, pair: &Pair<'_, Rule>) -> Option<char> {
        let text = pair.as_str();
        let c = match text {
            "\\\"" => '"',
            "\\\\" => '\\',
            "\\n" => '\n',
            "\\t" => '\t',
            "\\r" => '\r',
            "\\$" => '$',
            _ => {
                let code = text
                    .strip_prefix("\\u{")
                    .and_then(|t| t.strip_suffix('}'))
                    .filter(|hex| (1..=6).contains(&hex.len()))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32);
                match code {
                    Some(c) => c,
                    None => {
                        self.error(SyntaxError::InvalidEscape {
                            escape: text.to_string(),
                            span: self.span(pair),
                        });
                        return None;
                    }
                }
            }
        };
        Some(c)
    }
}

/// Source text with every line break written `\n`: a triple-quoted string
/// means the same in a file saved with Windows (`\r\n`) or old Mac (`\r`)
/// line endings as with `\n`. (A one-line string has no line break; an
/// escaped `\r` is not source text and stays.)
fn normalise_line_breaks(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    }
}

/// Merges adjacent text pieces into string parts.
fn join(pieces: impl Iterator<Item = Piece>) -> Vec<StringPart> {
    let mut parts = Vec::new();
    let mut text = String::new();
    for piece in pieces {
        match piece {
            Piece::Source(s) => text.push_str(&s),
            Piece::Escaped(c) => text.push(c),
            Piece::Interp(expr) => {
                if !text.is_empty() {
                    parts.push(StringPart::Text(std::mem::take(&mut text)));
                }
                parts.push(StringPart::Interp(expr));
            }
        }
    }
    if !text.is_empty() {
        parts.push(StringPart::Text(text));
    }
    parts
}

/// Removes the first and last lines when they are blank, and the common
/// leading indentation of the other lines. Only source text counts as
/// indentation; an escaped `\t` is content.
fn dedent(pieces: Vec<Piece>) -> Vec<StringPart> {
    // Split into lines at source newlines.
    let mut lines: Vec<Vec<Piece>> = vec![Vec::new()];
    for piece in pieces {
        match piece {
            Piece::Source(s) => {
                let mut segments = s.split('\n');
                if let Some(first) = segments.next() {
                    push_source(lines.last_mut(), first);
                }
                for segment in segments {
                    lines.push(Vec::new());
                    push_source(lines.last_mut(), segment);
                }
            }
            other => {
                if let Some(line) = lines.last_mut() {
                    line.push(other);
                }
            }
        }
    }
    if lines.len() > 1 && is_blank(&lines[0]) {
        lines.remove(0);
    }
    if lines.len() > 1 && lines.last().is_some_and(|l| is_blank(l)) {
        lines.pop();
    }
    let indent = lines
        .iter()
        .filter(|line| !is_blank(line))
        .map(|line| leading_whitespace(line))
        .min()
        .unwrap_or(0);
    let count = lines.len();
    let mut out = Vec::new();
    for (i, mut line) in lines.into_iter().enumerate() {
        if let Some(Piece::Source(first)) = line.first_mut() {
            let cut = first
                .char_indices()
                .take_while(|&(_, c)| c == ' ' || c == '\t')
                .take(indent)
                .last()
                .map_or(0, |(at, c)| at + c.len_utf8());
            first.drain(..cut);
        }
        out.extend(line);
        if i + 1 < count {
            out.push(Piece::Source("\n".to_string()));
        }
    }
    join(out.into_iter())
}

fn push_source(line: Option<&mut Vec<Piece>>, text: &str) {
    if let Some(line) = line {
        if !text.is_empty() {
            line.push(Piece::Source(text.to_string()));
        }
    }
}

fn is_blank(line: &[Piece]) -> bool {
    line.iter().all(|piece| match piece {
        Piece::Source(s) => s.chars().all(|c| c == ' ' || c == '\t' || c == '\r'),
        _ => false,
    })
}

fn leading_whitespace(line: &[Piece]) -> usize {
    match line.first() {
        Some(Piece::Source(s)) => s.chars().take_while(|&c| c == ' ' || c == '\t').count(),
        _ => 0,
    }
}
