//! `textDocument/references`: every use of the name under the cursor (a
//! state's are the transitions into it, `start:` and its value in
//! expressions), and its definition when the client asks for it
//! (`includeDeclaration`).

use lsp_types::{Location, ReferenceParams};

use super::Result;
use super::semantic::view;
use crate::lsp::server::State;

pub(super) fn handle(state: &State, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
    let at = params.text_document_position;
    let uri = at.text_document.uri;
    let Some(view) = view(state, &uri)? else {
        return Ok(None);
    };
    let Some(offset) = view.offset(at.position) else {
        return Ok(None);
    };
    let Some((symbol, _)) = view.analysis.symbol_at(offset) else {
        return Ok(None);
    };
    let declaration = params
        .context
        .include_declaration
        .then(|| view.analysis.def(symbol).name_span);
    let spans = declaration
        .into_iter()
        .chain(view.analysis.references(symbol).map(|r| r.span));
    let mut spans: Vec<_> = spans.collect();
    spans.sort();
    let locations = view
        .ranges(spans.into_iter())
        .into_iter()
        .flatten()
        .map(|range| Location {
            uri: uri.clone(),
            range,
        })
        .collect();
    Ok(Some(locations))
}
