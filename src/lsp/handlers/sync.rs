//! The text document notifications: `didOpen`, `didChange`, `didClose`.
//! Each analysis of a document is published as its diagnostics.

use lsp_types::notification::PublishDiagnostics;
use lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
};

use crate::lsp::diagnostics;
use crate::lsp::server::State;

pub(super) fn did_open(state: &mut State, params: DidOpenTextDocumentParams) {
    let document = params.text_document;
    let open = state
        .documents
        .open(document.uri.clone(), document.version, document.text);
    let published = diagnostics::publish(&document.uri, open);
    state.notify::<PublishDiagnostics>(published);
}

pub(super) fn did_change(state: &mut State, params: DidChangeTextDocumentParams) {
    let document = params.text_document;
    let Some(open) =
        state
            .documents
            .change(&document.uri, document.version, params.content_changes)
    else {
        tracing::warn!(
            uri = document.uri.as_str(),
            "a change to a document that is not open, ignored"
        );
        return;
    };
    let published = diagnostics::publish(&document.uri, open);
    state.notify::<PublishDiagnostics>(published);
}

pub(super) fn did_close(state: &mut State, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    if state.documents.close(&uri) {
        // The diagnostics of a closed file are the client's to forget, but
        // not every client does.
        state.notify::<PublishDiagnostics>(diagnostics::clear(&uri));
    }
}
