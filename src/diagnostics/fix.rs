//! Fixes as data: the mechanical repairs a diagnostic offers.
//!
//! A [`Fix`] is derived from a diagnostic's named fields alone (the checker
//! and the parser stay pure and know nothing of fixes); `flow check` shows
//! it, its JSON gives it, and the language server offers it as a quick fix.
//! Every fix, applied to the file the diagnostic was found in, gives a file
//! that parses.

use serde::Serialize;

use crate::check::CheckError;
use crate::syntax::Span;

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
            Diagnostic::Syntax(_) => Vec::new(),
            Diagnostic::Check(error) => check_fixes(error),
        }
    }
}

fn check_fixes(error: &CheckError) -> Vec<Fix> {
    let mut fixes = Vec::new();
    if let Some(suggestion) = error.suggestion() {
        fixes.push(Fix::replace(
            format!("replace with `{}`", suggestion.replacement),
            suggestion.span,
            suggestion.replacement.clone(),
        ));
    }
    fixes
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
}
