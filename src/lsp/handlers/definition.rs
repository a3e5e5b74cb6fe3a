//! `textDocument/definition`: from a name (a state, worker, type,
//! transformer, workflow, parameter, field, branch or loop variable, where
//! it is used or defined) to where it is defined.

use lsp_types::{GotoDefinitionParams, GotoDefinitionResponse, Location};

use super::Result;
use super::semantic::view;
use crate::lsp::server::State;

pub(super) fn handle(
    state: &State,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let at = params.text_document_position_params;
    let Some(view) = view(state, &at.text_document.uri)? else {
        return Ok(None);
    };
    let Some(offset) = view.offset(at.position) else {
        return Ok(None);
    };
    let Some((symbol, _)) = view.analysis.symbol_at(offset) else {
        return Ok(None);
    };
    let def = view.analysis.def(symbol);
    Ok(view.range(def.name_span).map(|range| {
        GotoDefinitionResponse::Scalar(Location {
            uri: at.text_document.uri.clone(),
            range,
        })
    }))
}
