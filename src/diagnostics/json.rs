//! Diagnostics for machines: the stable JSON shape of
//! `flow check --format json` (section 8 of the design).
//!
//! ```json
//! {"diagnostics":[{"code","severity","message","file",
//!   "labels":[{"message","line","column","offset","length"}],"help",
//!   "fixes":[{"message","edits":[{"start":{"line","column","offset"},
//!             "end":{"line","column","offset"},"new_text"}]}]}],
//!  "errors":N,"warnings":N}
//! ```
//!
//! Lines and columns are 1-based, columns counted in characters; offsets and
//! lengths are in bytes. The primary label comes first. An edit replaces the
//! text from `start` to `end` (exclusive; equal to insert) with `new_text`;
//! the edits of one fix never overlap and apply to the file as it was read.

use miette::{Diagnostic as _, LabeledSpan};
use serde::Serialize;

use super::{Counts, Diagnostic, FileReport, Fix, LineIndex};

/// Everything `flow check --format json` prints, over all files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonReport {
    pub diagnostics: Vec<JsonDiagnostic>,
    pub errors: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonDiagnostic {
    pub code: String,
    /// `"error"` or `"warning"`.
    pub severity: &'static str,
    pub message: String,
    pub file: String,
    pub labels: Vec<JsonLabel>,
    pub help: Option<String>,
    /// The mechanical repairs, most likely first; empty when there is none.
    pub fixes: Vec<JsonFix>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonFix {
    pub message: String,
    pub edits: Vec<JsonEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonEdit {
    pub start: JsonPosition,
    pub end: JsonPosition,
    pub new_text: String,
}

/// A place in the file, as a label gives it: 1-based line and column (in
/// characters), and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct JsonPosition {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

impl JsonPosition {
    fn at(offset: usize, index: &LineIndex<'_>) -> Self {
        let position = index.line_col(offset);
        JsonPosition {
            line: position.line,
            column: position.column,
            offset,
        }
    }
}

impl JsonFix {
    fn new(fix: &Fix, index: &LineIndex<'_>) -> Self {
        JsonFix {
            message: fix.message.clone(),
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    start: JsonPosition::at(edit.span.start as usize, index),
                    end: JsonPosition::at(edit.span.end as usize, index),
                    new_text: edit.new_text.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonLabel {
    pub message: Option<String>,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub length: usize,
}

impl JsonReport {
    /// The report over several files, in the order given.
    pub fn new<'a>(files: impl IntoIterator<Item = &'a FileReport>) -> Self {
        let mut diagnostics = Vec::new();
        let mut counts = Counts::default();
        for file in files {
            counts = counts + file.counts();
            let index = LineIndex::new(&file.source);
            diagnostics.extend(
                file.diagnostics
                    .iter()
                    .map(|d| JsonDiagnostic::new(d, &file.name, &index)),
            );
        }
        JsonReport {
            diagnostics,
            errors: counts.errors,
            warnings: counts.warnings,
        }
    }

    /// One line of compact JSON.
    pub fn to_json(&self) -> String {
        // A tree of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl JsonDiagnostic {
    pub fn new(diagnostic: &Diagnostic, file: &str, index: &LineIndex<'_>) -> Self {
        let mut labels: Vec<LabeledSpan> = diagnostic
            .labels()
            .map(|labels| labels.collect())
            .unwrap_or_default();
        // Labels come in declaration order, primary first in every variant
        // of our enums; a label marked primary wins if there is one. The
        // sort is stable, so the others keep their order.
        labels.sort_by_key(|label| !label.primary());
        JsonDiagnostic {
            code: diagnostic.code_name(),
            severity: diagnostic.level().as_str(),
            message: diagnostic.to_string(),
            file: file.to_string(),
            labels: labels
                .iter()
                .map(|label| JsonLabel::new(label, index))
                .collect(),
            help: diagnostic.help().map(|help| help.to_string()),
            fixes: diagnostic
                .fixes()
                .iter()
                .map(|fix| JsonFix::new(fix, index))
                .collect(),
        }
    }
}

impl JsonLabel {
    fn new(label: &LabeledSpan, index: &LineIndex<'_>) -> Self {
        let position = index.line_col(label.offset());
        JsonLabel {
            message: label.label().map(str::to_string),
            line: position.line,
            column: position.column,
            offset: label.offset(),
            length: label.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckError;
    use crate::syntax::{Span, SyntaxError};

    #[test]
    fn matches_the_documented_shape() {
        let source = "x\n  é duplicate here";
        let second = source.find("duplicate").unwrap();
        let file = FileReport {
            name: "a.flow".into(),
            source: source.into(),
            diagnostics: vec![
                Diagnostic::Check(CheckError::DuplicateState {
                    name: "d".into(),
                    span: Span::from_range(second, second + 9),
                    first: Span::new(0, 1),
                }),
                Diagnostic::Check(CheckError::UnreachableState {
                    name: "d".into(),
                    start: "s".into(),
                    span: Span::new(0, 1),
                }),
            ],
        };
        let other = FileReport {
            name: "b.flow".into(),
            source: String::new(),
            diagnostics: vec![Diagnostic::Syntax(SyntaxError::FileTooLarge { size: 9 })],
        };
        let json: serde_json::Value =
            serde_json::from_str(&JsonReport::new([&file, &other]).to_json()).unwrap();
        let expected = serde_json::json!({
            "diagnostics": [
                {
                    "code": "flow::check::duplicate_state",
                    "severity": "error",
                    "message": "duplicate state `d`",
                    "file": "a.flow",
                    "labels": [
                        {"message": "`d` defined again here", "line": 2, "column": 5, "offset": second, "length": 9},
                        {"message": "first defined here", "line": 1, "column": 1, "offset": 0, "length": 1}
                    ],
                    "help": "state names are unique within a workflow: rename one of them",
                    "fixes": []
                },
                {
                    "code": "flow::check::unreachable_state",
                    "severity": "warning",
                    "message": "state `d` can never be reached",
                    "file": "a.flow",
                    "labels": [
                        {"message": "unreachable from the start state", "line": 1, "column": 1, "offset": 0, "length": 1}
                    ],
                    "help": "no path from the start state `s` leads here: add a transition to it, or remove it",
                    "fixes": []
                },
                {
                    "code": "flow::syntax::file_too_large",
                    "severity": "error",
                    "message": "the file is too large: 9 bytes",
                    "file": "b.flow",
                    "labels": [],
                    "help": "flow reads files smaller than 4 GiB; split the workflows over several files",
                    "fixes": []
                }
            ],
            "errors": 2,
            "warnings": 1
        });
        assert_eq!(json, expected);
    }

    #[test]
    fn keys_are_in_the_documented_order_and_help_may_be_null() {
        let file = FileReport {
            name: "a.flow".into(),
            source: "abc".into(),
            diagnostics: vec![Diagnostic::Check(CheckError::TypeMismatch {
                expected: "string".into(),
                found: "int".into(),
                span: Span::new(1, 2),
                context: "here".into(),
                because: None,
                help: None,
            })],
        };
        let text = JsonReport::new([&file]).to_json();
        assert_eq!(
            text,
            r#"{"diagnostics":[{"code":"flow::check::type_mismatch","severity":"error","message":"mismatched types: expected string, found int","file":"a.flow","labels":[{"message":"here","line":1,"column":2,"offset":1,"length":1}],"help":null,"fixes":[]}],"errors":1,"warnings":0}"#
        );
    }
}
