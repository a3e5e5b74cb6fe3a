//! Every diagnostic the parser can report.

use miette::Diagnostic;
use thiserror::Error;

use super::Span;
use crate::check::Suggestion;

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum SyntaxError {
    #[error("expected {expected}{after}, found {found}")]
    #[diagnostic(code(flow::syntax::unexpected_token))]
    UnexpectedToken {
        /// What would have been accepted, in the user's words: "`->`".
        expected: String,
        /// " after `on_success`", or empty when there is nothing before.
        after: String,
        /// What stands there instead: "`foo`", "end of file".
        found: String,
        #[label("expected {expected}")]
        span: Span,
        #[label("this `{open}` is never closed")]
        unclosed: Option<Span>,
        open: &'static str,
        #[help]
        help: Option<String>,
        /// The replacement the help spells out, when it is mechanical: the
        /// `=` of `retries = 3` or `Review(code = draft)` written `:`.
        suggestion: Option<Suggestion>,
    },

    #[error("`=` does not compare: flow compares with `==`")]
    #[diagnostic(code(flow::syntax::assignment_in_condition))]
    AssignmentInCondition {
        #[label("write `==` here")]
        span: Span,
        /// "use `==` to compare: `when x == \"a\"`".
        #[help]
        help: String,
    },

    #[error("flow has no `? :` operator: a conditional is written `if condition then a else b`")]
    #[diagnostic(code(flow::syntax::ternary))]
    Ternary {
        #[label("`?` cannot start a conditional")]
        span: Span,
        #[label("and `:` cannot separate its cases")]
        colon: Option<Span>,
        /// The conditional rewritten, when the line says enough.
        #[help]
        help: String,
        /// The same rewrite, as a replacement of the expression.
        suggestion: Option<Suggestion>,
    },

    #[error("`{word}` is written `{symbol}` in flow")]
    #[diagnostic(code(flow::syntax::word_operator))]
    WordOperator {
        /// `and`, `or` or `not`.
        word: &'static str,
        /// `&&`, `||` or `!`.
        symbol: &'static str,
        #[label("write `{symbol}` here")]
        span: Span,
        #[help]
        help: String,
        /// The expression around the word with its word operators written
        /// as symbols (and the operand of `not` in parentheses where it
        /// needs them), as the help shows it, when the line says enough.
        suggestion: Option<Suggestion>,
    },

    #[error("unknown transition `{word}`")]
    #[diagnostic(code(flow::syntax::unknown_transition))]
    UnknownTransition {
        word: String,
        #[label("a transition starts with `on_success` or `on_failure`")]
        span: Span,
        /// `on_success` or `on_failure`, when one is what was meant.
        suggestion: Option<&'static str>,
        #[help]
        help: String,
    },

    #[error("a transition goes to its target with `->`, not `:`")]
    #[diagnostic(code(flow::syntax::transition_colon))]
    TransitionColon {
        #[label("write `->` here")]
        span: Span,
        /// Whether a space comes before the colon, so that `->` needs none.
        spaced: bool,
        /// "write `on_success -> done`".
        #[help]
        help: String,
    },

    #[error("the name `{name}` has a character that is not ASCII: `{character}` ({code_point})")]
    #[diagnostic(code(flow::syntax::non_ascii_name))]
    NonAsciiName {
        /// The whole word as written, the character included.
        name: String,
        character: char,
        /// "U+043E CYRILLIC SMALL LETTER O".
        code_point: String,
        /// On exactly that character.
        #[label("{label}")]
        span: Span,
        label: String,
        #[help]
        help: String,
        /// The whole name spelt with the ASCII letters its characters look
        /// like, when each of them looks like one.
        suggestion: Option<Suggestion>,
    },

    #[error("unterminated string")]
    #[diagnostic(
        code(flow::syntax::unterminated_string),
        help(
            "close the string with `\"`; a string that spans lines is written with triple quotes `\"\"\"`"
        )
    )]
    UnterminatedString {
        #[label("this string is never closed")]
        span: Span,
        /// Whether it is a triple-quoted string (which runs to the end of
        /// the file), rather than one that ends at the end of its line.
        triple: bool,
    },

    #[error("unterminated block comment")]
    #[diagnostic(
        code(flow::syntax::unterminated_comment),
        help("close the comment with `*/`")
    )]
    UnterminatedComment {
        #[label("this comment is never closed")]
        span: Span,
    },

    #[error("unknown escape `{escape}`")]
    #[diagnostic(
        code(flow::syntax::invalid_escape),
        help(
            "the escapes are \\\" \\\\ \\n \\t \\r \\$ and \\u{{...}} with 1 to 6 hex digits of a Unicode scalar value"
        )
    )]
    InvalidEscape {
        escape: String,
        #[label("invalid escape")]
        span: Span,
    },

    #[error("`{word}` is a reserved word")]
    #[diagnostic(code(flow::syntax::reserved_word))]
    ReservedWord {
        word: String,
        #[label("cannot be used as {what}")]
        span: Span,
        what: &'static str,
        #[help]
        help: String,
    },

    #[error("an `if` cannot be the operand of `{op}`")]
    #[diagnostic(
        code(flow::syntax::unparenthesized_if),
        help(
            "`if ... then ... else ...` has the lowest precedence: its `else` branch takes the rest of the expression, so an `if` inside an operation goes in parentheses, as in `x {op} (if c then a else b)`"
        )
    )]
    UnparenthesizedIf {
        op: String,
        #[label("put this `if` in parentheses")]
        span: Span,
        /// The whole conditional, from its `if` to the end of its `else`.
        operand: Span,
    },

    #[error("invalid number `{text}`")]
    #[diagnostic(code(flow::syntax::invalid_number))]
    InvalidNumber {
        text: String,
        #[label("{reason}")]
        span: Span,
        reason: &'static str,
        #[help]
        help: String,
    },

    #[error("invalid duration `{text}`")]
    #[diagnostic(code(flow::syntax::invalid_duration))]
    InvalidDuration {
        text: String,
        #[label("{reason}")]
        span: Span,
        reason: &'static str,
        #[help]
        help: String,
        /// The duration the help writes, when it means the same: `2m` for
        /// `2 m`, `1500ms` for `1.5s`, `5s` for `5sec`.
        suggestion: Option<Suggestion>,
    },

    #[error("{place} cannot be interpolated")]
    #[diagnostic(code(flow::syntax::interpolation_not_allowed))]
    InterpolationNotAllowed {
        /// "a record key", "a literal type", "an import path".
        place: &'static str,
        #[label("`${{...}}` here")]
        span: Span,
        #[help]
        help: &'static str,
    },

    #[error("this is nested too deeply")]
    #[diagnostic(
        code(flow::syntax::too_deep),
        help(
            "{what} is limited to {limit}; split this up with a named type, a transformer or a step"
        )
    )]
    TooDeep {
        #[label("over the limit of {limit}")]
        span: Span,
        limit: usize,
        /// What is limited: "the nesting of brackets, ...", "the number of
        /// operators chained without parentheses", ...
        what: &'static str,
    },

    #[error("the file is too large: {size} bytes")]
    #[diagnostic(
        code(flow::syntax::file_too_large),
        help("flow reads files smaller than 4 GiB; split the workflows over several files")
    )]
    FileTooLarge { size: usize },
}

impl SyntaxError {
    /// The offset of the primary label, used to report diagnostics in
    /// source order.
    pub fn offset(&self) -> usize {
        self.labels()
            .and_then(|mut labels| labels.next())
            .map(|label| label.offset())
            .unwrap_or(0)
    }
}
