//! Pest's parse errors, told in the user's words.
//!
//! Pest reports the rules and tokens it tried at the furthest position it
//! reached. They are grouped into what a person would call them ("a name",
//! "an expression", "`->`"), the optional continuations of a complete
//! expression (operators, `.field`) are dropped when something else was
//! expected too, and the message names the token before the error and the
//! one found there.

use std::collections::BTreeSet;
use std::sync::Mutex;

use pest::Parser as _;
use pest::error::{Error, ErrorVariant, InputLocation};

use super::super::parser::{FlowParser, Rule};
use super::super::trivia::{self, Trivia};
use super::super::{Span, SyntaxError};
use super::mistakes;

/// Pest's detailed error tracking is a process-wide switch. Parses that need
/// it take this lock, so that one of them never switches it off under
/// another; ordinary parses that happen to run meanwhile only get slower.
static DETAIL: Mutex<()> = Mutex::new(());

/// What was expected, by priority: lower sorts first in the message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Expected {
    Token(&'static str, String),
    Phrase(u8, &'static str),
    /// An operator or postfix that could continue a complete expression.
    Continuation,
}

/// Where a parse of some input failed, relative to that input.
pub(super) fn position(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((p, _)) => p,
    }
}

/// Describes the failure of parsing `rule` (an item, or a part of a
/// workflow) at `base`.
pub(super) fn describe(
    source: &str,
    base: usize,
    rule: Rule,
    error: &Error<Rule>,
    trivia: &Trivia,
) -> SyntaxError {
    let plain = base + position(error);
    let mut pos = plain;
    let mut expected = BTreeSet::new();
    let mut parent = None;
    match detailed(rule, &source[base..]) {
        // The detailed parse also tracks literal tokens, so it can get
        // further than pest's plain report: `step a W()` fails at `W`,
        // where `=` is missing, not at `step`.
        Some(detail) if base + detail.position >= pos => {
            pos = base + detail.position;
            for token in detail.tokens {
                if let Some(e) = token_expected(&token) {
                    expected.insert(e);
                }
            }
            // A call stack names the rule that was being tried. "A type" and
            // "an expression" say what the tokens add up to; others ("a
            // workflow") are too vague to print, unless nothing else is known.
            let phrases: Vec<Expected> = detail
                .stacks
                .iter()
                .filter_map(|(deepest, _)| deepest.and_then(rule_expected))
                .collect();
            let small = |e: &Expected| matches!(e, Expected::Phrase(_, p) if *p == "an expression" || *p == "a type");
            let nothing_else = expected.is_empty();
            expected.extend(phrases.into_iter().filter(|e| nothing_else || small(e)));
            parent = detail.stacks.iter().find_map(|(_, parent)| *parent);
        }
        _ => {
            if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
                expected.extend(positives.iter().filter_map(|rule| rule_expected(*rule)));
            }
        }
    }
    if expected.len() > 1 {
        expected.remove(&Expected::Continuation);
    }
    let expects = |token: &str| {
        expected
            .iter()
            .any(|e| matches!(e, Expected::Token(t, _) if *t == token))
    };
    let prev_end = token_end_before(source, base, pos, trivia);
    let failure = mistakes::Failure {
        source,
        base,
        plain,
        pos,
        prev_end,
        expects_colon: expects(":"),
        expects_arrow: expects("->"),
        expects_bar: expects("|"),
    };
    if let Some(mistake) = mistakes::recognise(&failure) {
        return mistake;
    }
    // The tokens that start an expression or a type are said once, as
    // "an expression" or "a type".
    for (phrase, starters) in [
        ("an expression", &["(", "{", "["][..]),
        ("a type", &["(", "{", "["][..]),
    ] {
        if expected
            .iter()
            .any(|e| matches!(e, Expected::Phrase(_, p) if *p == phrase))
        {
            expected.retain(|e| match e {
                Expected::Token(t, _) => !starters.contains(t),
                Expected::Phrase(_, p) => *p != "a name" && *p != "a string",
                Expected::Continuation => true,
            });
        }
    }
    // `->` is what every transition needs; `when` is an optional extra that
    // the help mentions.
    if expected
        .iter()
        .any(|e| matches!(e, Expected::Token("->", _)))
    {
        expected.retain(|e| matches!(e, Expected::Token("->", _)));
    }

    // Likewise `then` and `else` in an `if`: a call's `(` or an operator
    // could continue the expression before them, but would not help.
    if expected
        .iter()
        .any(|e| matches!(e, Expected::Token("then" | "else", _)))
    {
        expected.retain(|e| matches!(e, Expected::Token("then" | "else", _)));
    }

    let (found, found_span) = found_token(source, pos);
    let at_end = pos >= source.len();
    let unclosed = if at_end {
        trivia.unclosed.last().copied()
    } else {
        None
    };
    // The line so far says whether this is a transition (`->` is also the
    // arrow of a signature).
    let line_start = trivia::line_start_before(source, pos);
    let line = &source[line_start..pos.min(source.len())];
    let in_transition = line.contains("on_success") || line.contains("on_failure");
    let help = help_for(parent, &expected, in_transition);
    // A character copied from a word processor: say what it stands for.
    let help = source[pos.min(source.len())..]
        .chars()
        .next()
        .and_then(mistakes::punctuation_look_alike)
        .map(str::to_string)
        .or(help);
    SyntaxError::UnexpectedToken {
        expected: list(&expected),
        after: after(source, base, prev_end, trivia),
        found,
        span: found_span,
        unclosed: unclosed.map(|(_, span)| span),
        open: match unclosed.map(|(b, _)| b) {
            Some(b'(') => "(",
            Some(b'[') => "[",
            _ => "{",
        },
        help,
        suggestion: None,
    }
}

/// The punctuation the grammar matches as one-character ranges.
const PUNCTUATION: [&str; 9] = ["{", "}", "(", ")", "[", "]", ",", ":", "="];

/// What pest's detailed tracking found: where the parse got furthest, the
/// literal tokens expected there, and the rules being tried, each as its
/// deepest rule (`None` for a literal token) and the outermost rule around it.
struct Detail {
    position: usize,
    tokens: Vec<String>,
    stacks: Vec<(Option<Rule>, Option<Rule>)>,
}

/// Parses the broken item (or part of a workflow) again with pest's
/// detailed tracking.
fn detailed(rule: Rule, input: &str) -> Option<Detail> {
    let _guard = DETAIL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    pest::set_error_detail(true);
    let result = FlowParser::parse(rule, input);
    pest::set_error_detail(false);
    let error = result.err()?;
    let attempts = error.parse_attempts()?;
    let tokens = attempts
        .expected_tokens()
        .iter()
        .map(|token| {
            // The grammar matches punctuation as one-character ranges:
            // `=..=` is `=`. (The range `/../` is the test for a comment,
            // never an expected token.)
            let text = token.to_string();
            match PUNCTUATION.iter().find(|p| {
                text.len() == 4 && text.starts_with(**p) && text.ends_with(&format!("..{p}"))
            }) {
                Some(p) => p.to_string(),
                None => text,
            }
        })
        .collect();
    let stacks = attempts
        .call_stacks()
        .into_iter()
        .map(|stack| (stack.deepest.get_rule().copied(), stack.parent))
        .collect();
    Some(Detail {
        position: attempts.max_position,
        tokens,
        stacks,
    })
}

fn rule_expected(rule: Rule) -> Option<Expected> {
    use Expected::{Continuation, Phrase};
    Some(match rule {
        Rule::ident => Phrase(3, "a name"),
        Rule::expr
        | Rule::string
        | Rule::triple
        | Rule::number
        | Rule::duration
        | Rule::duration_range
        | Rule::bad_number
        | Rule::paren
        | Rule::list
        | Rule::record
        | Rule::not
        | Rule::neg
        | Rule::conditional
        | Rule::kw_if => Phrase(4, "an expression"),
        Rule::type_expr
        | Rule::list_type
        | Rule::record_type
        | Rule::union_type
        | Rule::paren_type => Phrase(4, "a type"),
        Rule::import
        | Rule::type_def
        | Rule::worker
        | Rule::transformer
        | Rule::workflow
        | Rule::kw_import
        | Rule::kw_type
        | Rule::kw_worker
        | Rule::kw_transformer
        | Rule::kw_workflow => Phrase(1, "an item (`type`, `worker`, `transformer`, `workflow`)"),
        Rule::step
        | Rule::parallel
        | Rule::map
        | Rule::succeed
        | Rule::fail
        | Rule::kw_step
        | Rule::kw_parallel
        | Rule::kw_map
        | Rule::kw_succeed
        | Rule::kw_fail => Phrase(2, "a state"),
        Rule::kw_when | Rule::when => Expected::Token("when", "`when`".into()),
        Rule::kw_for => Expected::Token("for", "`for`".into()),
        Rule::kw_in => Expected::Token("in", "`in`".into()),
        Rule::kw_then => Expected::Token("then", "`then`".into()),
        Rule::kw_else => Expected::Token("else", "`else`".into()),
        Rule::transition | Rule::on_success | Rule::on_failure => Phrase(2, "a transition"),
        Rule::setting => Phrase(3, "a setting"),
        Rule::branch | Rule::kw_branch => Phrase(2, "a branch"),
        Rule::param => Phrase(3, "a parameter"),
        Rule::field_def => Phrase(3, "a field"),
        Rule::entry => Phrase(3, "a field"),
        Rule::arg => Phrase(3, "an argument"),
        Rule::classes => Phrase(3, "a failure class"),
        Rule::EOI => Phrase(9, "end of file"),
        Rule::or
        | Rule::and
        | Rule::eq
        | Rule::ne
        | Rule::le
        | Rule::lt
        | Rule::ge
        | Rule::gt
        | Rule::coalesce
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::rem
        | Rule::field
        | Rule::opt_field
        | Rule::index
        | Rule::question => Continuation,
        _ => return None,
    })
}

fn token_expected(token: &str) -> Option<Expected> {
    use Expected::{Continuation, Phrase, Token};
    Some(match token {
        "import" | "type" | "worker" | "transformer" | "workflow" => {
            Phrase(1, "an item (`type`, `worker`, `transformer`, `workflow`)")
        }
        "step" | "parallel" | "map" | "succeed" | "fail" => Phrase(2, "a state"),
        "on_success" | "on_failure" => Phrase(2, "a transition"),
        "branch" => Phrase(2, "a branch"),
        "\"" | "\"\"\"" => Phrase(4, "a string"),
        "//" | "/*" | "///" | "*/" => return None,
        "||" | "&&" | "==" | "!=" | "<=" | "<" | ">=" | ">" | "??" | "+" | "-" | "*" | "/"
        | "%" | "." | "?." | "[" | "?" | "!" => Continuation,
        "->" => Token("->", "`->`".into()),
        "=" => Token("=", "`=`".into()),
        ":" => Token(":", "`:`".into()),
        "{" => Token("{", "`{`".into()),
        "}" => Token("}", "`}`".into()),
        "(" => Token("(", "`(`".into()),
        ")" => Token(")", "`)`".into()),
        "]" => Token("]", "`]`".into()),
        "," => return None,
        "|" => Token("|", "`|`".into()),
        "when" => Token("when", "`when`".into()),
        "for" => Token("for", "`for`".into()),
        "in" => Token("in", "`in`".into()),
        "then" => Token("then", "`then`".into()),
        "else" => Token("else", "`else`".into()),
        ".." => Token("..", "`..`".into()),
        _ => return None,
    })
}

/// "`->`", "`:` or `{`", "a name, `(` or `)`".
fn list(expected: &BTreeSet<Expected>) -> String {
    let words: Vec<&str> = expected
        .iter()
        .map(|e| match e {
            Expected::Token(_, shown) => shown.as_str(),
            Expected::Phrase(_, phrase) => phrase,
            Expected::Continuation => "an operator",
        })
        .take(5)
        .collect();
    match words.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn help_for(
    parent: Option<Rule>,
    expected: &BTreeSet<Expected>,
    in_transition: bool,
) -> Option<String> {
    let wants_arrow = in_transition
        && expected
            .iter()
            .any(|e| matches!(e, Expected::Token("->", _)));
    let text = match parent {
        _ if wants_arrow => {
            "a transition is written `on_success -> state`, `on_success when condition -> state`, or `on_failure timeout, transient -> state`"
        }
        Some(Rule::transition | Rule::when | Rule::classes) => {
            "a transition is written `on_success -> state`, `on_success when condition -> state`, or `on_failure timeout, transient -> state`"
        }
        Some(Rule::setting) => "a setting is written `name: value`",
        Some(Rule::params | Rule::param) => "parameters are written `(name: type, other: type)`",
        Some(Rule::args | Rule::arg) => "arguments are written `(name: value, other: value)`",
        Some(Rule::record_type | Rule::field_def) => {
            "a record type is written `{ name: type, other?: type }`"
        }
        Some(Rule::step) => "a step is written `step name = Worker(arg: value) { transitions }`",
        Some(Rule::map) => {
            "a map is written `map name = Worker(arg: item) for item in list { transitions }`"
        }
        Some(Rule::parallel | Rule::branch) => {
            "a parallel state is written `parallel name { branch a = Worker(...) transitions }`"
        }
        Some(Rule::succeed | Rule::fail) => "a terminal state is written `succeed name = value`",
        Some(Rule::worker | Rule::executor) => {
            "a worker is written `worker Name(param: type) -> type { executor { ... } settings }`"
        }
        Some(Rule::workflow) => {
            "a workflow is written `workflow name(param: type) -> type { states }`"
        }
        _ if expected.iter().any(|e| matches!(e, Expected::Phrase(1, _))) => {
            "a file is a sequence of `type`, `worker`, `transformer` and `workflow` items"
        }
        _ => return None,
    };
    Some(text.to_string())
}

/// The token that stands at `pos`, and its span.
fn found_token(source: &str, pos: usize) -> (String, Span) {
    let rest = &source[pos.min(source.len())..];
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_string(), Span::from_range(pos, pos));
    };
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let len = if is_word(c) {
        rest.find(|c: char| !is_word(c)).unwrap_or(rest.len())
    } else if c == '"' {
        return ("a string".to_string(), Span::from_range(pos, pos + 1));
    } else if ["->", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", ".."]
        .iter()
        .any(|op| rest.starts_with(op))
    {
        2
    } else {
        c.len_utf8()
    };
    let text = &rest[..len];
    let shown = if c == '\n' || c == '\r' {
        "a line break".to_string()
    } else if !c.is_ascii() {
        // Many such characters look like others, or like nothing at all.
        format!("`{text}` ({})", mistakes::code_point(c))
    } else {
        format!("`{text}`")
    };
    (shown, Span::from_range(pos, pos + len))
}

/// The end of the last token before `pos` in the parse that started at
/// `base`: whitespace and comments are skipped (a doc comment is a token).
fn token_end_before(source: &str, base: usize, pos: usize, trivia: &Trivia) -> usize {
    let mut end = pos.min(source.len());
    loop {
        end = base + source[base..end].trim_end().len();
        // A comment that ends here: go on before it. Line comments end at
        // their line break, block comments after `*/`.
        let i = trivia
            .comments
            .partition_point(|c| (c.span.end as usize) < end);
        match trivia.comments.get(i) {
            Some(c) if c.span.end as usize == end && c.span.start as usize >= base => {
                end = c.span.start as usize;
            }
            _ => return end,
        }
    }
}

/// " after `x`": the token that ends at `end`. When a comment stands
/// between it and the error, the code of its line is quoted instead
/// (" after `succeed done`"), since the error is then shown on another
/// line than the one it is about.
fn after(source: &str, base: usize, end: usize, trivia: &Trivia) -> String {
    let before = &source[base..end];
    let line_start = trivia::line_start_before(before, before.len());
    let line = before[line_start..].trim_start();
    if line.starts_with("///") {
        return " after a doc comment".to_string();
    }
    let commented = trivia
        .comments
        .get(
            trivia
                .comments
                .partition_point(|c| (c.span.start as usize) < end),
        )
        .is_some_and(|c| {
            // A comment right after the token, before the next one.
            source[end..c.span.start as usize].trim().is_empty()
        });
    if commented && !line.is_empty() && line.len() <= 40 && !line.contains("/*") {
        return format!(" after `{line}`");
    }
    let Some(c) = before.chars().next_back() else {
        return String::new();
    };
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = if is_word(c) {
        before
            .char_indices()
            .rev()
            .find(|&(_, c)| !is_word(c))
            .map_or(0, |(p, c)| p + c.len_utf8())
    } else if c == '"' {
        return " after a string".to_string();
    } else {
        let two = before.len().saturating_sub(2);
        if before.is_char_boundary(two)
            && ["->", "==", "!=", "<=", ">=", "&&", "||", "??", "?."].contains(&&before[two..])
        {
            two
        } else {
            before.len() - c.len_utf8()
        }
    };
    let token = &before[start..];
    if token.len() <= 40 {
        format!(" after `{token}`")
    } else {
        String::new()
    }
}
