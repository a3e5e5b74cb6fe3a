//! `textDocument/formatting`: exactly `flow fmt`, of the whole document.

use lsp_types::{DocumentFormattingParams, Position, Range, TextEdit};

use super::{Result, document};
use crate::lsp::convert;
use crate::lsp::server::State;

/// One edit that replaces the whole text with its canonical layout; no
/// edit when it is already in it; `null` when it does not parse (its
/// syntax errors are in its diagnostics), as `flow fmt` leaves such a file
/// unchanged. The client's options (tab size, spaces) are not used: the
/// layout is the one `flow fmt` prints.
pub(super) fn handle(
    state: &State,
    params: DocumentFormattingParams,
) -> Result<Option<Vec<TextEdit>>> {
    let open = document(state, &params.text_document.uri)?;
    let Ok(formatted) = crate::fmt::format(open.text()) else {
        return Ok(None);
    };
    if formatted == open.text() {
        return Ok(Some(Vec::new()));
    }
    let index = open.line_index();
    let end = convert::position(&index, open.text().len());
    Ok(Some(vec![TextEdit {
        range: Range {
            start: Position::new(0, 0),
            end,
        },
        new_text: formatted,
    }]))
}
