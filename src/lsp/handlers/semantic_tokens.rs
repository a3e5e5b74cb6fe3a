//! `textDocument/semanticTokens/full`: every defined name and every use of
//! one, by what it names. States and workers have token types of their own
//! (`state`, `worker`), beside the protocol's `type`, `function`
//! (transformers), `namespace` (workflows), `parameter`, `property`
//! (fields and branches) and `variable` (loop variables); a definition has
//! the `declaration` modifier. Keywords, strings and comments are left to
//! the editor's grammar.

use lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
    SemanticTokensParams, SemanticTokensResult,
};

use super::Result;
use super::semantic::view;
use crate::check::DefKind;
use crate::lsp::server::State;

/// The token types, in the order of their indices in the legend.
const TYPES: [&str; 8] = [
    "type",
    "worker",
    "function",
    "namespace",
    "parameter",
    "property",
    "state",
    "variable",
];

/// The legend the server declares in its capabilities.
pub(crate) fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.iter().map(|t| SemanticTokenType::new(t)).collect(),
        token_modifiers: vec![SemanticTokenModifier::DECLARATION],
    }
}

fn token_type(kind: DefKind) -> u32 {
    match kind {
        DefKind::Type => 0,
        DefKind::Worker => 1,
        DefKind::Transformer => 2,
        DefKind::Workflow => 3,
        DefKind::Parameter => 4,
        DefKind::Field | DefKind::Branch => 5,
        DefKind::State(_) => 6,
        DefKind::MapVar => 7,
    }
}

pub(super) fn handle(
    state: &State,
    params: SemanticTokensParams,
) -> Result<Option<SemanticTokensResult>> {
    let Some(view) = view(state, &params.text_document.uri)? else {
        return Ok(None);
    };
    let a = &view.analysis;
    // (span, type, modifiers) of every definition and use.
    let mut tokens: Vec<_> = a
        .defs
        .iter()
        .map(|d| (d.name_span, token_type(d.kind), 1))
        .chain(
            a.refs
                .iter()
                .map(|r| (r.span, token_type(a.def(r.target).kind), 0)),
        )
        .collect();
    tokens.sort_by_key(|(span, _, _)| *span);
    tokens.dedup_by_key(|(span, _, _)| *span);
    let ranges = view.ranges(tokens.iter().map(|(span, _, _)| *span));
    let mut data = Vec::with_capacity(tokens.len());
    let (mut line, mut start) = (0, 0);
    for ((_, kind, modifiers), range) in tokens.iter().zip(ranges) {
        let Some(range) = range else { continue };
        if range.start.line != range.end.line {
            continue;
        }
        let delta_line = range.start.line - line;
        let delta_start = if delta_line == 0 {
            range.start.character - start
        } else {
            range.start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: range.end.character - range.start.character,
            token_type: *kind,
            token_modifiers_bitset: *modifiers,
        });
        line = range.start.line;
        start = range.start.character;
    }
    Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    })))
}
