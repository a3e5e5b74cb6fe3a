//! Fixes as data: the mechanical repairs a diagnostic offers.
//!
//! A [`Fix`] is derived from a diagnostic's named fields alone (the checker
//! and the parser stay pure and know nothing of fixes); `flow check` shows
//! it, its JSON gives it, and the language server offers it as a quick fix.
//! Every fix, applied to the file the diagnostic was found in, gives a file
//! that parses.

use serde::Serialize;

use crate::check::{BlockPlace, CheckError, DefaultFix, StateLine, Suggestion};
use crate::syntax::{Span, SyntaxError};

use super::Diagnostic;

/// One repair: a message for the user ("replace `revew` with `review`") and
/// the edits that make it, which never overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub message: String,
    pub edits: Vec<Edit>,
}

/// Replace the text at `span` (empty to insert) with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub span: Span,
    pub new_text: String,
}

impl Fix {
    /// A fix of one edit.
    pub fn replace(message: impl Into<String>, span: Span, new_text: impl Into<String>) -> Self {
        Fix {
            message: message.into(),
            edits: vec![Edit {
                span,
                new_text: new_text.into(),
            }],
        }
    }

    /// Whether `help` already tells this fix: it shows the new text of
    /// every edit (a "did you mean `x`?", a "write `a && b`"). An edit that
    /// only deletes is never told so.
    pub fn is_told_by(&self, help: &str) -> bool {
        self.edits.iter().all(|edit| {
            let text = edit.new_text.trim();
            !text.is_empty() && help.contains(text)
        })
    }

    /// Applies the fix to `source`: the edits from the last to the first, so
    /// that each one's span still points at the text it was made for.
    pub fn apply(&self, source: &str) -> String {
        let mut edits: Vec<&Edit> = self.edits.iter().collect();
        edits.sort_by_key(|edit| std::cmp::Reverse(edit.span.start));
        let mut text = source.to_string();
        for edit in edits {
            let range = edit.span.range();
            if text.get(range.clone()).is_some() {
                text.replace_range(range, &edit.new_text);
            }
        }
        text
    }
}

impl Diagnostic {
    /// The fixes this diagnostic offers, most likely first; none when no
    /// repair is mechanical.
    pub fn fixes(&self) -> Vec<Fix> {
        match self {
            Diagnostic::Syntax(error) => syntax_fixes(error).into_iter().collect(),
            Diagnostic::Check(error) => check_fixes(error),
        }
    }
}

/// The one repair of a syntax error, where the mistake says what it is.
fn syntax_fixes(error: &SyntaxError) -> Option<Fix> {
    use SyntaxError::*;
    let rewrite = |s: &Suggestion| {
        Fix::replace(
            format!("write `{}`", s.replacement),
            s.span,
            s.replacement.clone(),
        )
    };
    Some(match error {
        AssignmentInCondition { span, .. } => Fix::replace("replace `=` with `==`", *span, "=="),
        UnexpectedToken {
            suggestion: Some(s),
            found,
            ..
        } => Fix::replace(
            format!("replace {found} with `{}`", s.replacement),
            s.span,
            s.replacement.clone(),
        ),
        Ternary {
            suggestion: Some(s),
            ..
        } => rewrite(s),
        WordOperator {
            suggestion: Some(s),
            ..
        } => rewrite(s),
        // `!` binds tighter than `not` reads: without the rewrite of the
        // whole expression, where its operand ends is not known.
        WordOperator {
            word, symbol, span, ..
        } if *word != "not" => {
            Fix::replace(format!("replace `{word}` with `{symbol}`"), *span, *symbol)
        }
        UnknownTransition {
            word,
            span,
            suggestion: Some(keyword),
            ..
        } => Fix::replace(
            format!("replace `{word}` with `{keyword}`"),
            *span,
            *keyword,
        ),
        TransitionColon { span, spaced, .. } => Fix::replace(
            "replace `:` with `->`",
            *span,
            if *spaced { "->" } else { " ->" },
        ),
        NonAsciiName {
            name,
            suggestion: Some(s),
            ..
        } => Fix::replace(
            format!("replace `{name}` with `{}`", s.replacement),
            s.span,
            s.replacement.clone(),
        ),
        // A triple-quoted string runs to the end of the file: where it was
        // meant to end is anybody's guess.
        UnterminatedString {
            span,
            triple: false,
        } => Fix::replace(
            "close the string at the end of its line",
            Span::new(span.end, span.end),
            "\"",
        ),
        UnparenthesizedIf { operand, .. } => Fix {
            message: "put the `if` in parentheses".to_string(),
            edits: vec![
                Edit {
                    span: Span::new(operand.start, operand.start),
                    new_text: "(".to_string(),
                },
                Edit {
                    span: Span::new(operand.end, operand.end),
                    new_text: ")".to_string(),
                },
            ],
        },
        InvalidDuration {
            text,
            suggestion: Some(s),
            ..
        } => Fix::replace(
            format!("replace `{text}` with `{}`", s.replacement),
            s.span,
            s.replacement.clone(),
        ),
        _ => return None,
    })
}

fn check_fixes(error: &CheckError) -> Vec<Fix> {
    let mut fixes = Vec::new();
    if let Some(suggestion) = error.suggestion() {
        let message = match replaced(error) {
            Some(old) => format!("replace `{old}` with `{}`", suggestion.replacement),
            None => format!("write `{}`", suggestion.replacement),
        };
        fixes.push(Fix::replace(
            message,
            suggestion.span,
            suggestion.replacement.clone(),
        ));
    }
    use CheckError::*;
    match error {
        UnboundedCycle { bound, .. } => fixes.push(add_line(bound)),
        UnboundedLimitLoop {
            insert: Some(line), ..
        } => fixes.push(Fix {
            message: format!(
                "add `{}` to `{}` above the clause that routes it back",
                line.text, line.state
            ),
            edits: add_line(line).edits,
        }),
        UnboundedLimitLoop {
            exit: Some(exit),
            retarget: Some(s),
            ..
        } => fixes.push(Fix::replace(
            format!("send the `limit` failure to `{exit}`"),
            s.span,
            s.replacement.clone(),
        )),
        NonExhaustiveTransitions {
            catch_all: Some(line),
            ..
        } => fixes.push(add_line(line)),
        NullableValue {
            default: Some(default),
            ..
        }
        | MaybeNotRun {
            default: Some(default),
            ..
        } => fixes.push(give_default(default)),
        _ => {}
    }
    fixes
}

/// The indentation of the members of a state's block in the layout of
/// `flow fmt`, and that of the state.
const MEMBER_INDENT: &str = "    ";
const STATE_INDENT: &str = "  ";

/// "add `max_visits: 3` to `review`": the line, in the layout of `flow fmt`.
fn add_line(line: &StateLine) -> Fix {
    let text = &line.text;
    let (at, new_text) = match line.place {
        BlockPlace::Before(at) => (at, format!("{text}\n{MEMBER_INDENT}")),
        BlockPlace::After(end) => (end, format!("\n{MEMBER_INDENT}{text}")),
        BlockPlace::Empty(close) => (close, format!("\n{MEMBER_INDENT}{text}\n{STATE_INDENT}")),
        BlockPlace::NoBlock(end) => (end, format!(" {{\n{MEMBER_INDENT}{text}\n{STATE_INDENT}}}")),
    };
    Fix::replace(
        format!("add `{text}` to `{}`", line.state),
        Span::new(at, at),
        new_text,
    )
}

/// `x ?? ""`, `a?.b ?? []`, `(n ?? 0) + 1`.
fn give_default(default: &DefaultFix) -> Fix {
    let insert = |at: u32, text: &str| Edit {
        span: Span::new(at, at),
        new_text: text.to_string(),
    };
    let mut edits = Vec::new();
    if default.parens {
        edits.push(insert(default.span.start, "("));
    }
    if let Some(dot) = default.dot {
        edits.push(Edit {
            span: Span::new(dot, dot + 1),
            new_text: "?.".to_string(),
        });
    }
    let close = if default.parens { ")" } else { "" };
    edits.push(insert(
        default.span.end,
        &format!(" ?? {}{close}", default.value),
    ));
    let message = match default.dot {
        Some(_) => format!(
            "read the field with `?.` and give a default with `?? {}`",
            default.value
        ),
        None => format!("give a default with `?? {}`", default.value),
    };
    Fix { message, edits }
}

/// The text a "did you mean" replaces, as the error names it.
fn replaced(error: &CheckError) -> Option<&str> {
    use CheckError::*;
    Some(match error {
        UnknownType { name, .. }
        | UnknownWorker { name, .. }
        | UnknownTransformer { name, .. }
        | UnknownFunction { name, .. }
        | UnknownName { name, .. }
        | UnknownField { name, .. }
        | UnknownArgument { name, .. }
        | UnknownSetting { name, .. }
        | UnknownFailureClass { name, .. }
        | UnknownState { name, .. } => name,
        UnknownExecutor { kind, .. } => kind,
        // Shown in backticks already.
        NotAMember { literal, .. } => literal.trim_matches('`'),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Suggestion;

    #[test]
    fn a_suggestion_is_a_fix_replacing_its_span() {
        let diagnostic = Diagnostic::Check(CheckError::UnknownState {
            name: "revew".into(),
            workflow: "w".into(),
            span: Span::new(3, 8),
            suggestion: Some(Suggestion {
                replacement: "review".into(),
                span: Span::new(3, 8),
            }),
            help: "did you mean `review`?".into(),
        });
        let fixes = diagnostic.fixes();
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].apply("-> revew }"), "-> review }");
    }

    /// The one fix of the diagnostic `code` in `source`, applied.
    fn fixed(source: &str, code: &str) -> String {
        let found = crate::diagnostics::analyze(source);
        let diagnostic = found
            .iter()
            .find(|d| d.code_name() == code)
            .unwrap_or_else(|| panic!("no {code} in {found:#?}"));
        let fixes = diagnostic.fixes();
        assert_eq!(fixes.len(), 1, "{fixes:#?}");
        let text = fixes[0].apply(source);
        let after = crate::diagnostics::analyze(&text);
        assert!(
            !after.iter().any(|d| d.code_name() == code),
            "{text}\n{after:#?}"
        );
        assert_eq!(
            crate::fmt::format(&text).ok().as_deref(),
            Some(text.as_str())
        );
        text
    }

    const WORKER: &str = "worker W(x: int) -> int {\n  exec {\n    command: [\"w\"]\n  }\n}\n\n";

    #[test]
    fn a_line_goes_into_a_state_in_the_layout_of_fmt() {
        // No block: one is added.
        let source = format!(
            "{WORKER}workflow w(x: int) -> int {{\n  step a = W(x: x)\n  succeed b = a\n}}\n"
        );
        assert_eq!(
            fixed(&source, "flow::check::non_exhaustive_transitions"),
            format!(
                "{WORKER}workflow w(x: int) -> int {{\n  step a = W(x: x) {{\n    on_success -> b\n  }}\n  succeed b = a\n}}\n"
            )
        );
        // Before the first member, and after the last `on_success`.
        let source = format!(
            "{WORKER}workflow w(x: int) -> int {{\n  step a = W(x: x) {{\n    on_success when a > 1 -> a\n    on_success -> b\n  }}\n  succeed b = a\n}}\n"
        );
        assert_eq!(
            fixed(&source, "flow::check::unbounded_cycle"),
            format!(
                "{WORKER}workflow w(x: int) -> int {{\n  step a = W(x: x) {{\n    max_visits: 3\n    on_success when a > 1 -> a\n    on_success -> b\n  }}\n  succeed b = a\n}}\n"
            )
        );
        let source = format!(
            "{WORKER}workflow w(x: int) -> int {{\n  step a = W(x: x) {{\n    on_success when a > 1 -> b\n    on_failure -> c\n  }}\n  succeed b = a\n  fail c = \"no\"\n}}\n"
        );
        assert_eq!(
            fixed(&source, "flow::check::non_exhaustive_transitions"),
            format!(
                "{WORKER}workflow w(x: int) -> int {{\n  step a = W(x: x) {{\n    on_success when a > 1 -> b\n    on_success -> c\n    on_failure -> c\n  }}\n  succeed b = a\n  fail c = \"no\"\n}}\n"
            )
        );
    }

    #[test]
    fn a_default_is_given_in_parentheses_only_where_it_needs_them() {
        let worker = "type R {\n  n?: int\n  s?: string\n}\n\nworker W(x: int) -> R {\n  exec {\n    command: [\"w\"]\n  }\n}\n\n";
        let source = format!(
            "{worker}workflow w(x: int) -> int {{\n  step a = W(x: x) {{\n    on_success -> b\n  }}\n  succeed b = a.n + 1\n}}\n"
        );
        assert!(
            fixed(&source, "flow::check::nullable_value").contains("succeed b = (a.n ?? 0) + 1\n"),
            "{source}"
        );
        let source = format!(
            "{worker}workflow w(x: int) -> string {{\n  step a = W(x: x) {{\n    on_success -> b\n  }}\n  succeed b = \"n: ${{a.s}}\"\n}}\n"
        );
        assert!(
            fixed(&source, "flow::check::nullable_value")
                .contains("succeed b = \"n: ${a.s ?? \"\"}\"\n")
        );
    }
}
