//! A single pass over the raw text for what the grammar does not keep:
//! ordinary comments (for tools that rewrite the file), and lexical problems
//! that deserve a better message than a parse failure — unterminated strings
//! and comments, and brackets that are never closed.
//!
//! It follows the same lexical rules as `grammar/flow.pest`, including
//! strings nested inside `${}` interpolations.

use super::Span;
use super::ast::{Comment, CommentKind};

#[derive(Debug, Default)]
pub(super) struct Trivia {
    pub comments: Vec<Comment>,
    /// The first string that is never closed.
    pub unterminated_string: Option<Span>,
    /// The first block comment that is never closed.
    pub unterminated_comment: Option<Span>,
    /// Opening brackets still open at the end of the file, outermost first.
    pub unclosed: Vec<(u8, Span)>,
    /// The first place where brackets, strings and interpolations nest more
    /// than [`MAX_NESTING`] deep.
    pub too_deep: Option<Span>,
}

/// How deeply brackets, strings and interpolations may nest. The parser
/// recurses once per level, and later stages do too; real files stay far
/// below this.
pub(super) const MAX_NESTING: usize = 32;

/// What the scanner is inside of: code, or a string whose interpolations
/// return to code. Code inside `${` remembers the bracket depth at which its
/// `}` closes the interpolation.
#[derive(Clone, Copy)]
enum Frame {
    Code { interp_depth: Option<usize> },
    Str { triple: bool, start: usize },
}

pub(super) fn scan(source: &str) -> Trivia {
    let bytes = source.as_bytes();
    let mut trivia = Trivia::default();
    let mut frames = vec![Frame::Code { interp_depth: None }];
    let mut brackets: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some(&frame) = frames.last() else { break };
        match frame {
            Frame::Code { interp_depth } => {
                let b = bytes[i];
                match b {
                    b'/' if bytes.get(i + 1) == Some(&b'/') => {
                        let end = memchr_newline(bytes, i);
                        let is_doc =
                            bytes.get(i + 2) == Some(&b'/') && bytes.get(i + 3) != Some(&b'/');
                        if !is_doc {
                            trivia.comments.push(Comment {
                                kind: CommentKind::Line,
                                span: Span::from_range(i, end),
                            });
                        }
                        i = end;
                    }
                    b'/' if bytes.get(i + 1) == Some(&b'*') => {
                        let (end, deepest) = block_comment_end(bytes, i);
                        if deepest > MAX_NESTING {
                            trivia.too_deep.get_or_insert(Span::from_range(i, i + 2));
                        }
                        match end {
                            Some(end) => {
                                trivia.comments.push(Comment {
                                    kind: CommentKind::Block,
                                    span: Span::from_range(i, end),
                                });
                                i = end;
                            }
                            None => {
                                trivia.unterminated_comment = Some(Span::from_range(i, i + 2));
                                i = bytes.len();
                            }
                        }
                    }
                    b'"' => {
                        let triple = bytes[i..].starts_with(b"\"\"\"");
                        frames.push(Frame::Str { triple, start: i });
                        i += if triple { 3 } else { 1 };
                    }
                    b'{' | b'(' | b'[' => {
                        brackets.push((b, i));
                        if brackets.len() + frames.len() - 1 > MAX_NESTING {
                            trivia.too_deep.get_or_insert(Span::from_range(i, i + 1));
                        }
                        i += 1;
                    }
                    b'}' if interp_depth == Some(brackets.len()) => {
                        // The `}` that closes an interpolation: back into the string.
                        frames.pop();
                        i += 1;
                    }
                    b'}' | b')' | b']' => {
                        let open = match b {
                            b'}' => b'{',
                            b')' => b'(',
                            _ => b'[',
                        };
                        // A stray closer is the parser's to report; only a
                        // matching one pops.
                        if brackets.last().map(|&(o, _)| o) == Some(open) {
                            brackets.pop();
                        }
                        i += 1;
                    }
                    _ => i += 1,
                }
            }
            Frame::Str { triple, start } => {
                let b = bytes[i];
                match b {
                    b'\\' => i += 2,
                    b'$' if bytes.get(i + 1) == Some(&b'{') => {
                        frames.push(Frame::Code {
                            interp_depth: Some(brackets.len()),
                        });
                        if brackets.len() + frames.len() - 1 > MAX_NESTING {
                            trivia.too_deep.get_or_insert(Span::from_range(i, i + 2));
                        }
                        i += 2;
                    }
                    b'"' if !triple => {
                        frames.pop();
                        i += 1;
                    }
                    b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                        frames.pop();
                        i += 3;
                    }
                    b'\n' | b'\r' if !triple => {
                        trivia
                            .unterminated_string
                            .get_or_insert(Span::from_range(start, i));
                        // Recover at the end of the line, as the editor's
                        // highlighting does.
                        frames.pop();
                        i += 1;
                    }
                    _ => i += 1,
                }
            }
        }
    }
    // The outermost string still open at the end is the one to report.
    if let Some(&Frame::Str { start, triple }) = frames
        .iter()
        .find(|frame| matches!(frame, Frame::Str { .. }))
    {
        let end = if triple {
            (start + 3).min(bytes.len())
        } else {
            memchr_newline(bytes, start)
        };
        trivia
            .unterminated_string
            .get_or_insert(Span::from_range(start, end));
    }
    trivia.unclosed = brackets
        .into_iter()
        .map(|(b, at)| (b, Span::from_range(at, at + 1)))
        .collect();
    trivia
}

/// The end of the line at `from`: its line feed or carriage return (a lone
/// `\r` ends a line too, as in files with old Mac line endings), or the end
/// of the text.
fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |p| from + p)
}

/// The end of the line at `from`, as [`memchr_newline`].
pub(super) fn line_end(text: &str, from: usize) -> usize {
    memchr_newline(text.as_bytes(), from.min(text.len()))
}

/// The start of the line after the one at `from`: past its `\n`, `\r\n` or
/// lone `\r`; `None` on the last line.
pub(super) fn next_line_start(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let end = memchr_newline(bytes, from.min(bytes.len()));
    match bytes.get(end) {
        None => None,
        Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => Some(end + 2),
        Some(_) => Some(end + 1),
    }
}

/// The start of the line that holds `at`: just after the last line break
/// before it.
pub(super) fn line_start_before(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |p| p + 1)
}

/// The end of the (nested) block comment starting at `start` (`None` when
/// it is never closed) and how deeply it nests.
fn block_comment_end(bytes: &[u8], start: usize) -> (Option<usize>, usize) {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                deepest = deepest.max(depth);
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return (Some(i), deepest);
                }
            }
            _ => i += 1,
        }
    }
    (None, deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(source: &'a str, trivia: &Trivia) -> Vec<&'a str> {
        trivia
            .comments
            .iter()
            .map(|c| c.span.text(source))
            .collect()
    }

    #[test]
    fn collects_comments_but_not_docs_or_strings() {
        let src = "/// doc\n// one\nx = \"// not\" /* two /* nested */ */\n//// four";
        let t = scan(src);
        assert_eq!(
            texts(src, &t),
            ["// one", "/* two /* nested */ */", "//// four"]
        );
        assert!(t.unterminated_string.is_none());
    }

    #[test]
    fn strings_nest_inside_interpolation() {
        let src = "h = \"Bearer ${env(\"TOKEN\")} // x\" // real";
        let t = scan(src);
        assert_eq!(texts(src, &t), ["// real"]);
        assert!(t.unterminated_string.is_none());
        assert!(t.unclosed.is_empty());
    }

    #[test]
    fn finds_unterminated_things() {
        let t = scan("a = \"open\nb = 1");
        assert_eq!(t.unterminated_string, Some(Span::new(4, 9)));
        let t = scan("x /* never");
        assert_eq!(t.unterminated_comment, Some(Span::new(2, 4)));
        let t = scan("worker W() { exec { ");
        assert_eq!(t.unclosed.len(), 2);
    }
}
