//! `flow check`'s diagnostics as the protocol's, published on every open
//! and change.
//!
//! Each keeps its code (`flow::check::unknown_state`), linked through
//! `codeDescription` to the explanation `flow explain` prints (its Markdown
//! file in the repository, at a stable address); its severity; its primary
//! label as the range; its other labels as related information; and its
//! message followed by its help, as `flow check` shows them.

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, PublishDiagnosticsParams, Uri,
};
use miette::{Diagnostic as _, LabeledSpan};

use super::convert;
use super::documents::OpenDocument;
use crate::diagnostics::{Diagnostic, LineIndex};
use crate::syntax::Span;

/// The notification that replaces the client's diagnostics of a document.
pub(super) fn publish(uri: &Uri, document: &OpenDocument) -> PublishDiagnosticsParams {
    let index = document.line_index();
    PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics: document
            .current
            .document
            .diagnostics
            .iter()
            .map(|d| to_lsp(d, uri, &index))
            .collect(),
        version: Some(document.version),
    }
}

/// The notification that clears a closed document's diagnostics.
pub(super) fn clear(uri: &Uri) -> PublishDiagnosticsParams {
    PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics: Vec::new(),
        version: None,
    }
}

/// Where the explanation of every code is published: the Markdown files
/// `flow explain` prints, in the repository.
const EXPLANATIONS: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/src/diagnostics/explain/"
);

/// The address of a code's explanation, `flow::check::unknown_state` →
/// `.../explain/check/unknown_state.md`.
pub(crate) fn explanation_url(code: &str) -> Option<Uri> {
    let mut parts = code.strip_prefix("flow::")?.split("::");
    let (stage, name) = (parts.next()?, parts.next()?);
    format!("{EXPLANATIONS}{stage}/{name}.md").parse().ok()
}

/// Labels in order, the primary first (as in `flow check --format json`).
fn labels(diagnostic: &Diagnostic) -> Vec<LabeledSpan> {
    let mut labels: Vec<LabeledSpan> = diagnostic
        .labels()
        .map(|labels| labels.collect())
        .unwrap_or_default();
    labels.sort_by_key(|label| !label.primary());
    labels
}

/// The byte span of a label.
fn span(label: &LabeledSpan) -> Span {
    Span::from_range(label.offset(), label.offset() + label.len())
}

/// The primary span of a diagnostic; the start of the file for one
/// without labels (a file too large to read).
pub(crate) fn primary_span(diagnostic: &Diagnostic) -> Span {
    labels(diagnostic)
        .first()
        .map(span)
        .unwrap_or(Span::new(0, 0))
}

pub(crate) fn to_lsp(
    diagnostic: &Diagnostic,
    uri: &Uri,
    index: &LineIndex<'_>,
) -> lsp_types::Diagnostic {
    let labels = labels(diagnostic);
    let range = convert::range(index, labels.first().map(span).unwrap_or(Span::new(0, 0)));
    let code = diagnostic.code_name();
    let mut message = diagnostic.to_string();
    if let Some(help) = diagnostic.help() {
        message.push_str("\nhelp: ");
        message.push_str(&help.to_string());
    }
    let related: Vec<DiagnosticRelatedInformation> = labels
        .iter()
        .skip(1)
        .map(|label| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: convert::range(index, span(label)),
            },
            message: label.label().unwrap_or("related to this").to_string(),
        })
        .collect();
    // An editor greys out what can never run.
    let tags = matches!(
        code.as_str(),
        "flow::check::unreachable_state" | "flow::check::unreachable_transition"
    )
    .then(|| vec![DiagnosticTag::UNNECESSARY]);
    lsp_types::Diagnostic {
        range,
        severity: Some(if diagnostic.is_error() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code_description: explanation_url(&code).map(|href| CodeDescription { href }),
        code: (!code.is_empty()).then_some(NumberOrString::String(code)),
        source: Some("flow".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags,
        data: None,
    }
}
