//! Pest pairs to AST. This module is the only code that sees pest's pairs.
//!
//! Parsing recovers at item boundaries: when an item does not parse, the
//! error is reported, the items before it are kept, and parsing starts again
//! at the next line that begins with an item keyword, so one file reports all
//! of its broken items at once.

mod errors;
mod exprs;
mod items;
mod mistakes;
mod pieces;
mod strings;

use std::cell::RefCell;

use pest::iterators::Pair;

use super::ast::{self, Ident};
use super::parser::Rule;
use super::{Parsed, Span, SyntaxError, trivia};

pub(super) use pieces::Split;

/// How many broken items one file reports before giving up: past this, the
/// rest is most likely not a `.flow` file at all.
const MAX_SYNTAX_ERRORS: usize = 50;

pub(super) fn parse(source: &str, split: Split) -> Parsed {
    let full = Span::from_range(0, source.len().min(MAX_SOURCE_LEN));
    if let Some(error) = too_large(source.len()) {
        return Parsed {
            file: ast::File {
                items: Vec::new(),
                comments: Vec::new(),
                span: full,
            },
            errors: vec![error],
        };
    }
    let trivia = trivia::scan(source, split.spacing);
    let mut errors = Vec::new();
    if let Some(span) = trivia.unterminated_string {
        errors.push(SyntaxError::UnterminatedString {
            span,
            triple: trivia.unterminated_triple,
        });
    }
    if let Some(span) = trivia.unterminated_comment {
        errors.push(SyntaxError::UnterminatedComment { span });
    }
    if let Some(span) = trivia.too_deep {
        // Pest parses by recursion: refuse before it could run out of stack.
        errors.push(SyntaxError::TooDeep {
            span,
            limit: trivia::MAX_NESTING,
            what: "the nesting of brackets, strings, interpolations, comments and `if`s",
        });
        return Parsed {
            file: ast::File {
                items: Vec::new(),
                comments: trivia.comments,
                span: full,
            },
            errors,
        };
    }
    let lexical = errors;
    // A byte-order mark, which some Windows editors write, is not part of
    // the text. It is skipped rather than cut off, so that every span stays a
    // byte offset into the file as it was read.
    let start = BYTE_ORDER_MARK.len() * usize::from(source.starts_with(BYTE_ORDER_MARK));
    let context = pieces::Context {
        source,
        trivia: &trivia,
        lexical: &lexical,
    };
    let piece = pieces::parse(&context, start, split);
    let mut errors = lexical;
    errors.extend(piece.reported);
    errors.extend(piece.lowered);
    errors.sort_by_key(SyntaxError::offset);
    Parsed {
        file: ast::File {
            items: piece.items,
            comments: trivia.comments,
            span: full,
        },
        errors,
    }
}

/// Whether the next item is a workflow: its keyword comes first after
/// whitespace, comments and doc comments. A cheap look saves a failed parse
/// of every other item as a workflow head.
fn starts_workflow(rest: &str) -> bool {
    let mut rest = rest;
    loop {
        rest = rest.trim_start();
        if rest.starts_with("//") {
            rest = rest.find(['\n', '\r']).map_or("", |p| &rest[p..]);
        } else if rest.starts_with("/*") {
            // Block comments nest: find the matching `*/`.
            let bytes = rest.as_bytes();
            let (mut depth, mut i) = (0usize, 0usize);
            while i + 1 < bytes.len() {
                match (bytes[i], bytes[i + 1]) {
                    (b'/', b'*') => {
                        depth += 1;
                        i += 2;
                    }
                    (b'*', b'/') => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => i += 1,
                }
            }
            if depth > 0 {
                return false;
            }
            rest = &rest[i..];
        } else {
            return rest.strip_prefix("workflow").is_some_and(|after| {
                !after
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        }
    }
}

/// The UTF-8 byte-order mark, U+FEFF: three bytes.
const BYTE_ORDER_MARK: &str = "\u{FEFF}";

/// Spans are `u32` offsets, so a file must be shorter than 4 GiB.
pub const MAX_SOURCE_LEN: usize = u32::MAX as usize;

fn too_large(len: usize) -> Option<SyntaxError> {
    (len >= MAX_SOURCE_LEN).then_some(SyntaxError::FileTooLarge { size: len })
}

/// Whether a lexical error (an unterminated string or comment) is the cause
/// of a parse failure at `at`.
fn explains(error: &SyntaxError, source: &str, at: usize) -> bool {
    match error {
        SyntaxError::UnterminatedComment { span } => at >= span.start as usize,
        SyntaxError::UnterminatedString { span, .. } => {
            let start = span.start as usize;
            let line_end = trivia::line_end(source, start);
            at >= start && at <= line_end + 1
        }
        _ => false,
    }
}

/// Where the parse goes on after a failure at `at`.
struct Resume {
    at: usize,
    /// The next line that starts an item.
    next_item: Option<usize>,
    /// Whether an unterminated string or comment explains the failure.
    explained: bool,
}

const STATE_KEYWORDS: [&str; 5] = ["step", "map", "succeed", "fail", "parallel"];

/// Whether `line` (indentation removed) starts a state: its keyword, a
/// name, and `=` (or `{` for `parallel`). The whole head is asked for, so
/// that a record key `map:` or a word in a multi-line value is not taken for
/// one.
fn starts_state(line: &str) -> bool {
    STATE_KEYWORDS.iter().any(|kw| {
        let Some(rest) = line.strip_prefix(kw) else {
            return false;
        };
        let name = rest.trim_start_matches([' ', '\t']);
        if name.len() == rest.len() {
            return false;
        }
        let name_len = name
            .bytes()
            .take_while(|&b| b.is_ascii_alphanumeric() || b == b'_')
            .count();
        let after = name[name_len..].trim_start_matches([' ', '\t']);
        let opens = if *kw == "parallel" {
            after.starts_with('{')
        } else {
            after.starts_with('=') && !after.starts_with("==")
        };
        name_len > 0 && opens
    })
}

/// The start of the keyword of the first state beginning a line after
/// offset `at` and before `limit`.
fn state_start_after(source: &str, at: usize, limit: usize) -> Option<usize> {
    let mut line_start = at;
    while let Some(next) = trivia::next_line_start(source, line_start) {
        line_start = next;
        if line_start >= limit {
            return None;
        }
        let line = &source[line_start..];
        let code = line.trim_start_matches([' ', '\t']);
        if starts_state(code) {
            return Some(line_start + (line.len() - code.len()));
        }
    }
    None
}

/// The start of the first item beginning on a line after offset `at`.
fn item_start_after(source: &str, at: usize) -> Option<usize> {
    let mut line_start = at;
    while let Some(next) = trivia::next_line_start(source, line_start) {
        line_start = next;
        if trivia::starts_item(&source[line_start..]) {
            return Some(line_start);
        }
    }
    None
}

/// Walks pairs of one successful parse of `source[base..]`.
pub(super) struct Lowerer<'c> {
    base: usize,
    /// The file's comments, in order: a span must not end in one.
    comments: &'c [ast::Comment],
    errors: RefCell<Vec<SyntaxError>>,
}

impl<'c> Lowerer<'c> {
    fn new(base: usize, comments: &'c [ast::Comment]) -> Self {
        Lowerer {
            base,
            comments,
            errors: RefCell::new(Vec::new()),
        }
    }

    /// The span of a pair without the whitespace and comments that pest
    /// leaves at the end of a rule whose last part is optional: `name` in
    /// `x // note` would otherwise end after the comment.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let start = self.base + s.start();
        let mut end = self.base + s.end();
        if matches!(
            pair.as_rule(),
            Rule::text | Rule::triple_text | Rule::escape
        ) {
            // Atomic text, where spaces are content.
            return Span::from_range(start, end);
        }
        let text = s.as_str();
        let mut len = text.len();
        loop {
            let trimmed = text[..len].trim_end().len();
            if trimmed == len && !text[..len].ends_with("*/") {
                break;
            }
            len = trimmed;
            end = start + len;
            // A comment that ends here is trailing trivia too. A line
            // comment's span runs to its line break, so it may go on past
            // `end` by the spaces or the `\r` that were trimmed.
            let i = self
                .comments
                .partition_point(|c| (c.span.start as usize) < end);
            match i.checked_sub(1).map(|i| &self.comments[i]) {
                Some(c) if c.span.start as usize >= start && end <= c.span.end as usize => {
                    len = c.span.start as usize - start;
                    end = start + len;
                }
                _ => break,
            }
        }
        Span::from_range(start, end)
    }

    fn error(&self, error: SyntaxError) {
        self.errors.borrow_mut().push(error);
    }

    /// A name that the user defines: reserved words are refused.
    fn binding(&self, pair: Pair<'_, Rule>, what: &'static str) -> Ident {
        let ident = self.ident(pair);
        if ast::is_reserved(&ident.name) {
            self.error(SyntaxError::ReservedWord {
                help: format!(
                    "`{}` has a meaning of its own in flow; choose another name, such as `{}_`",
                    ident.name, ident.name
                ),
                word: ident.name.to_string(),
                span: ident.span,
                what,
            });
        }
        ident
    }

    /// The name of a parameter: reserved words are allowed, except those
    /// that mean something inside an expression.
    fn parameter(&self, pair: Pair<'_, Rule>) -> Ident {
        let ident = self.ident(pair);
        if ast::EXPRESSION_WORDS.contains(&ident.name.as_str()) {
            self.error(SyntaxError::ReservedWord {
                help: format!(
                    "`{}` is {} in an expression, so it cannot name a parameter; choose another name, such as `{}_`",
                    ident.name,
                    if matches!(ident.name.as_str(), "true" | "false" | "null") {
                        "a value"
                    } else {
                        "a keyword"
                    },
                    ident.name
                ),
                word: ident.name.to_string(),
                span: ident.span,
                what: "a parameter name",
            });
        }
        ident
    }

    /// Any identifier, including reserved words (field and setting names).
    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().into(),
            span: self.span(&pair),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_state_head_is_a_place_to_go_on() {
        for line in [
            "step a = W()",
            "map m= W(x: i) for i in xs",
            "parallel checks {",
            "fail f =\"x\"",
        ] {
            assert!(starts_state(line), "{line}");
        }
        for line in [
            "map: 1,",
            "succeed done // no value",
            "step",
            "fail == x",
            "parallel p = x",
            "stepa = W()",
        ] {
            assert!(!starts_state(line), "{line}");
        }
        let source = "a\r  step s = W()\nsucceed d = 1";
        assert_eq!(state_start_after(source, 0, source.len()), Some(4));
        assert_eq!(
            state_start_after(source, 0, 2),
            None,
            "at the limit: the next item"
        );
    }

    // A 4 GiB fixture is out of the question; the size rule is tested here.
    #[test]
    fn files_of_4_gib_are_refused() {
        assert!(too_large(MAX_SOURCE_LEN - 1).is_none());
        assert!(matches!(
            too_large(MAX_SOURCE_LEN),
            Some(SyntaxError::FileTooLarge { size }) if size == MAX_SOURCE_LEN
        ));
    }
}
