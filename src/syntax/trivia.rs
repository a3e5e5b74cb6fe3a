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
    /// Whether that string is triple-quoted.
    pub unterminated_triple: bool,
    /// The first block comment that is never closed.
    pub unterminated_comment: Option<Span>,
    /// Opening brackets still open at the end of the file, outermost first.
    pub unclosed: Vec<(u8, Span)>,
    /// The first place where brackets, strings, interpolations and `if`s
    /// nest more than [`MAX_NESTING`] deep.
    pub too_deep: Option<Span>,
    /// Where the file may be cut into pieces that are parsed at the same
    /// time: starts of lines outside every bracket, string and comment that
    /// begin an item (or the doc comment of one), at least the spacing
    /// given to [`scan`] apart. A cut is a guess that the parser checks (see `lower::pieces`):
    /// an item that goes on past a line like this is still read whole.
    pub cuts: Vec<usize>,
}

/// The least distance between two [`Trivia::cuts`] of a file that is
/// parsed: parsing a piece this long costs far more than starting a thread
/// for it.
pub(super) const CUT_SPACING: usize = 256 * 1024;

/// How deeply brackets, strings, interpolations and `if`s may nest. The
/// parser recurses once per level, and later stages do too; real files stay
/// far below this.
pub(super) const MAX_NESTING: usize = 32;

/// What the scanner is inside of: code, or a string whose interpolations
/// return to code. Code inside `${` remembers the bracket depth at which its
/// `}` closes the interpolation.
#[derive(Clone, Copy)]
enum Frame {
    Code { interp_depth: Option<usize> },
    Str { triple: bool, start: usize },
}

pub(super) fn scan(source: &str, cut_spacing: usize) -> Trivia {
    let bytes = source.as_bytes();
    let mut trivia = Trivia::default();
    let mut frames = vec![Frame::Code { interp_depth: None }];
    let mut brackets: Vec<(u8, usize)> = Vec::new();
    let mut ifs = Ifs::default();
    let mut next_cut = cut_spacing;
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
                        ifs.open();
                        if brackets.len() + frames.len() - 1 + ifs.total > MAX_NESTING {
                            trivia.too_deep.get_or_insert(Span::from_range(i, i + 1));
                        }
                        i += 1;
                    }
                    b'}' if interp_depth == Some(brackets.len()) => {
                        // The `}` that closes an interpolation: back into the string.
                        frames.pop();
                        ifs.close();
                        i += 1;
                    }
                    b'i' | b'e' if i == 0 || !is_word_byte(bytes[i - 1]) => {
                        let end = bytes[i..]
                            .iter()
                            .position(|&b| !is_word_byte(b))
                            .map_or(bytes.len(), |p| i + p);
                        if ifs.word(bytes, &trivia.comments, i, end)
                            && brackets.len() + frames.len() - 1 + ifs.total > MAX_NESTING
                        {
                            trivia.too_deep.get_or_insert(Span::from_range(i, end));
                        }
                        i = end;
                    }
                    // Only the line feeds past the next place to cut, at the
                    // top level, pay for looking at the line after them.
                    b'\n'
                        if i >= next_cut
                            && brackets.is_empty()
                            && frames.len() == 1
                            && starts_item(&source[i + 1..])
                            && !follows_doc(bytes, i) =>
                    {
                        trivia.cuts.push(i + 1);
                        next_cut = i + 1 + cut_spacing;
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
                            ifs.close();
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
                        ifs.open();
                        if brackets.len() + frames.len() - 1 + ifs.total > MAX_NESTING {
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
        if trivia.unterminated_string.is_none() {
            trivia.unterminated_string = Some(Span::from_range(start, end));
            trivia.unterminated_triple = triple;
        }
    }
    trivia.unclosed = brackets
        .into_iter()
        .map(|(b, at)| (b, Span::from_range(at, at + 1)))
        .collect();
    trivia
}

const ITEM_KEYWORDS: [&str; 5] = ["import", "type", "worker", "transformer", "workflow"];

/// Whether an item starts at the beginning of `line`: an item keyword, or a
/// doc comment, in the first column.
pub(super) fn starts_item(line: &str) -> bool {
    if line.starts_with("///") {
        return true;
    }
    ITEM_KEYWORDS.iter().any(|kw| {
        line.starts_with(kw)
            && !line[kw.len()..]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// Whether the last line with anything on it before the line break at `at`
/// is a doc comment, which belongs to what comes after it.
fn follows_doc(bytes: &[u8], at: usize) -> bool {
    let Some(last) = bytes[..at].iter().rposition(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let start = bytes[..last]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |p| p + 1);
    let line = &bytes[start..=last];
    let code = &line[line
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()..];
    code.starts_with(b"///") && !code.starts_with(b"////")
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The `if`s whose `else` has not come yet, counted per level of brackets
/// and interpolations (an `if` and its `else` stand at the same level). Each
/// is a level of recursion of the parser: the condition and the `then`
/// branch are parsed inside the `if`. An `else if` chain is read as a
/// repetition, so an `else` ends the nesting of its `if`, except for an
/// `if` that is the operand of an operator (`1 + if ...`, an error the
/// lowering reports): its `else` branch goes on to the end of the
/// expression, so it counts until its level closes.
#[derive(Debug)]
struct Ifs {
    /// At each level, innermost last: the `if`s an `else` may close, and
    /// the operand `if`s.
    levels: Vec<(usize, usize)>,
    /// The sum of both over all levels.
    total: usize,
}

impl Default for Ifs {
    fn default() -> Self {
        Ifs {
            levels: vec![(0, 0)],
            total: 0,
        }
    }
}

impl Ifs {
    fn open(&mut self) {
        self.levels.push((0, 0));
    }

    fn close(&mut self) {
        if self.levels.len() > 1 {
            let (open, operands) = self.levels.pop().unwrap_or_default();
            self.total -= open + operands;
        }
    }

    /// Counts the word at `start..end`, an `if` that opens or an `else`
    /// that closes one; returns whether it was an `if`. A field (`x.if`), a
    /// key or a setting (`if: 1`, `if?: T`) is a name, not a keyword.
    /// `comments` are those before the word, in order.
    fn word(&mut self, bytes: &[u8], comments: &[Comment], start: usize, end: usize) -> bool {
        let word = &bytes[start..end];
        if word != b"if" && word != b"else" {
            return false;
        }
        let before = last_code_byte(bytes, comments, start);
        let after = bytes[end..].iter().find(|b| !b.is_ascii_whitespace());
        if before.is_some_and(|at| bytes[at] == b'.') || matches!(after, Some(b':' | b'?')) {
            return false;
        }
        let Some((open, operands)) = self.levels.last_mut() else {
            return false;
        };
        if word == b"if" {
            if before.is_some_and(|at| after_operator(bytes, at)) {
                *operands += 1;
            } else {
                *open += 1;
            }
            self.total += 1;
            return true;
        }
        if *open > 0 {
            *open -= 1;
            self.total -= 1;
        }
        false
    }
}

/// The position of the last byte of code before `pos`: spaces and comments
/// skipped, so that a comment ending in `.` does not make the next word a
/// field.
fn last_code_byte(bytes: &[u8], comments: &[Comment], pos: usize) -> Option<usize> {
    let mut at = pos;
    let mut unseen = comments.len();
    loop {
        while at > 0 && bytes[at - 1].is_ascii_whitespace() {
            at -= 1;
        }
        match unseen.checked_sub(1).map(|k| (k, comments[k].span)) {
            Some((k, span)) if span.end as usize == at => {
                at = span.start as usize;
                unseen = k;
            }
            _ => return at.checked_sub(1),
        }
    }
}

/// Whether the token that ends at `at` (inclusive) is an operator, after
/// which an `if` would be an operand. A lone `=` is a state's or a
/// definition's, not one.
fn after_operator(bytes: &[u8], at: usize) -> bool {
    match bytes[at] {
        b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' | b'&' | b'|' | b'!' | b'?' => true,
        b'=' => at > 0 && matches!(bytes[at - 1], b'=' | b'!' | b'<' | b'>'),
        _ => false,
    }
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
        let t = scan(src, CUT_SPACING);
        assert_eq!(
            texts(src, &t),
            ["// one", "/* two /* nested */ */", "//// four"]
        );
        assert!(t.unterminated_string.is_none());
    }

    #[test]
    fn strings_nest_inside_interpolation() {
        let src = "h = \"Bearer ${env(\"TOKEN\")} // x\" // real";
        let t = scan(src, CUT_SPACING);
        assert_eq!(texts(src, &t), ["// real"]);
        assert!(t.unterminated_string.is_none());
        assert!(t.unclosed.is_empty());
    }

    #[test]
    fn finds_unterminated_things() {
        let t = scan("a = \"open\nb = 1", CUT_SPACING);
        assert_eq!(t.unterminated_string, Some(Span::new(4, 9)));
        let t = scan("x /* never", CUT_SPACING);
        assert_eq!(t.unterminated_comment, Some(Span::new(2, 4)));
        let t = scan("worker W() { exec { ", CUT_SPACING);
        assert_eq!(t.unclosed.len(), 2);
    }

    #[test]
    fn cuts_are_item_lines_at_the_top_level() {
        let src = "type A = int\n\
                   worker w: exec {\n\
                   workflow inside_braces\n\
                   }\n\
                   /// The doc of B.\n\
                   type B = int\n\
                   x = \"\n\
                   type inside_a_string\n\
                   \"\n\
                   /* type inside_a_comment\n\
                   */\n\
                   typed = 1\n\
                   import \"c.flow\"\n";
        let t = scan(src, 1);
        let lines: Vec<&str> = t
            .cuts
            .iter()
            .map(|&at| src[at..].lines().next().unwrap_or(""))
            .collect();
        // Not the line inside the braces, nor the item after a doc comment
        // (its doc is the cut), nor one inside a string or comment, nor a
        // word that only starts with a keyword.
        assert_eq!(
            lines,
            ["worker w: exec {", "/// The doc of B.", "import \"c.flow\""]
        );
        // Past the first, cuts are at least the spacing apart.
        let far = scan(src, 30);
        assert!(
            far.cuts.windows(2).all(|w| w[1] - w[0] >= 30),
            "{:?}",
            far.cuts
        );
        assert!(far.cuts.len() < t.cuts.len());
    }
}
