//! `textDocument/inlayHint`: the type of each state's (and branch's)
//! value after its name (`step review: Review = Reviewer(...)`), for the
//! states in the requested range. `succeed` and `fail` states have none.

use lsp_types::{InlayHint, InlayHintKind, InlayHintLabel, InlayHintParams};

use super::Result;
use super::semantic::view;
use crate::check::DefKind;
use crate::lsp::server::State;

pub(super) fn handle(state: &State, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
    let Some(view) = view(state, &params.text_document.uri)? else {
        return Ok(None);
    };
    let a = &view.analysis;
    let states: Vec<_> = a
        .symbols()
        .filter(|(_, d)| d.is_state() || d.kind == DefKind::Branch)
        .filter_map(|(_, d)| Some((d.name_span, d.ty?)))
        .collect();
    let ranges = view.ranges(states.iter().map(|(span, _)| *span));
    let wanted = params.range;
    let hints = states
        .iter()
        .zip(ranges)
        .filter_map(|((_, ty), range)| {
            let range = range?;
            let inside = range.end >= wanted.start && range.start <= wanted.end;
            inside.then(|| InlayHint {
                position: range.end,
                label: InlayHintLabel::String(format!(": {}", a.render(*ty))),
                kind: Some(InlayHintKind::TYPE),
                text_edits: None,
                tooltip: None,
                padding_left: None,
                padding_right: None,
                data: None,
            })
        })
        .collect();
    Ok(Some(hints))
}
