//! `textDocument/codeAction`: the fixes of the diagnostics at the range,
//! as quick fixes.
//!
//! The diagnostics are the server's own for the current text (those the
//! client sends back in the context are the same, published by it): every
//! one whose primary span touches the range offers each of its fixes
//! ([`Diagnostic::fixes`](crate::diagnostics::Diagnostic::fixes)). The one
//! fix of a diagnostic with a single fix is preferred, so that an editor's
//! "auto fix" applies it.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    TextEdit, WorkspaceEdit,
};

use super::{Result, document};
use crate::lsp::server::State;
use crate::lsp::{convert, diagnostics};

pub(super) fn handle(
    state: &State,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri;
    let open = document(state, &uri)?;
    // A client asking only for other kinds (`source.organizeImports`, say)
    // gets none.
    let wanted = params.context.only.as_ref().is_none_or(|only| {
        only.iter().any(|kind| {
            let kind = kind.as_str();
            kind.is_empty() || CodeActionKind::QUICKFIX.as_str().starts_with(kind)
        })
    });
    if !wanted {
        return Ok(Some(Vec::new()));
    }
    let index = open.line_index();
    let range = convert::byte_range(&index, params.range);
    let mut actions = Vec::new();
    for diagnostic in &open.current.document.diagnostics {
        let span = diagnostics::primary_span(diagnostic);
        let touches = span.start as usize <= range.end && range.start <= span.end as usize;
        if !touches {
            continue;
        }
        let fixes = diagnostic.fixes();
        let preferred = fixes.len() == 1;
        for fix in fixes {
            let edits: Vec<TextEdit> = fix
                .edits
                .iter()
                .map(|edit| TextEdit {
                    range: convert::range(&index, edit.span),
                    new_text: edit.new_text.clone(),
                })
                .collect();
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.message,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostics::to_lsp(diagnostic, &uri, &index)]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), edits)])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: preferred.then_some(true),
                ..CodeAction::default()
            }));
        }
    }
    Ok(Some(actions))
}
