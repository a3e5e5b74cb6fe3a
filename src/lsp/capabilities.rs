//! What the server tells the client it can do, in its answer to
//! `initialize`. A new request handler adds its capability here.

use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability,
    FoldingRangeProviderCapability, InitializeResult, OneOf, PositionEncodingKind,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions,
};

/// The answer to `initialize`.
pub(super) fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "flow".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        // UTF-16, the protocol's default and the one encoding every client
        // supports, said out loud.
        position_encoding: Some(PositionEncodingKind::UTF16),
        // The whole text on every change: a full analysis per change is
        // cheap at the sizes of `.flow` files.
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}
