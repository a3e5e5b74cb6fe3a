//! `textDocument/prepareRename` and `textDocument/rename`: states,
//! workers, types, transformers, workflows and parameters, at their
//! definition and at every use (a worker's parameter also where a call
//! names its argument). A rename is refused, with the reason, when the new
//! name is not an identifier, is a reserved word, or would clash with a
//! name already in the same namespace or scope.

use std::collections::HashMap;

use lsp_types::{
    PrepareRenameResponse, RenameParams, TextDocumentPositionParams, TextEdit, WorkspaceEdit,
};

use super::Result;
use super::semantic::{View, refused, view};
use crate::check::{Def, DefKind, StateKeyword, SymbolId};
use crate::lsp::server::State;
use crate::syntax::ast;

/// The built-in functions: a transformer of the same name would take over
/// their calls.
const BUILTIN_FUNCTIONS: &[&str] = &[
    "len",
    "lower",
    "upper",
    "trim",
    "contains",
    "join",
    "split",
    "keys",
    "to_json",
    "parse_json",
    "string",
    "number",
    "env",
];

pub(super) fn prepare(
    state: &State,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>> {
    let Some(view) = view(state, &params.text_document.uri)? else {
        return Err(unparsed());
    };
    let Some((symbol, at)) = target(&view, params.position)? else {
        return Ok(None);
    };
    let Some(range) = view.range(at) else {
        return Ok(None);
    };
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range,
        placeholder: view.analysis.def(symbol).name.clone(),
    }))
}

pub(super) fn handle(state: &State, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let at = params.text_document_position;
    let uri = at.text_document.uri;
    let Some(view) = view(state, &uri)? else {
        return Err(unparsed());
    };
    let Some((symbol, _)) = target(&view, at.position)? else {
        return Err(refused("there is no name to rename here"));
    };
    let new_name = params.new_name;
    let def = view.analysis.def(symbol);
    if new_name == def.name {
        return Ok(Some(WorkspaceEdit::default()));
    }
    check_name(&view, symbol, def, &new_name)?;
    let mut spans: Vec<_> = std::iter::once(def.name_span)
        .chain(view.analysis.references(symbol).map(|r| r.span))
        .collect();
    spans.sort();
    spans.dedup();
    let edits = view
        .ranges(spans.into_iter())
        .into_iter()
        .flatten()
        .map(|range| TextEdit {
            range,
            new_text: new_name.clone(),
        })
        .collect();
    Ok(Some(WorkspaceEdit {
        changes: Some(HashMap::from([(uri, edits)])),
        ..WorkspaceEdit::default()
    }))
}

/// The refusal of a rename in a text with a syntax error.
fn unparsed() -> super::Error {
    refused(
        "the document has a syntax error: fix it before renaming, so that every use of the name is found",
    )
}

/// The renameable definition under the cursor and the span of the name
/// there; an error that says why when the name cannot be renamed.
fn target(view: &View, position: lsp_types::Position) -> Result<Option<(SymbolId, ast::Span)>> {
    if !view.is_current() {
        return Err(unparsed());
    }
    let Some(offset) = view.offset(position) else {
        return Ok(None);
    };
    let Some((symbol, at)) = view.analysis.symbol_at(offset) else {
        return Ok(None);
    };
    let def = view.analysis.def(symbol);
    match def.kind {
        DefKind::Type
        | DefKind::Worker
        | DefKind::Transformer
        | DefKind::Workflow
        | DefKind::Parameter
        | DefKind::State(_) => Ok(Some((symbol, at))),
        DefKind::Field | DefKind::Branch | DefKind::MapVar => Err(refused(format!(
            "`{}` is a {}: only states, workers, types, transformers, workflows and parameters can be renamed",
            def.name,
            def.kind.describe()
        ))),
    }
}

/// Refuses a new name that is not an identifier, is reserved, or clashes.
fn check_name(view: &View, symbol: SymbolId, def: &Def, new_name: &str) -> Result<()> {
    let mut chars = new_name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Err(refused(format!(
            "`{new_name}` is not a name: a name starts with a letter or `_` and goes on with letters, digits and `_` (ASCII only)"
        )));
    }
    let reserved = match def.kind {
        DefKind::Parameter => ast::EXPRESSION_WORDS.contains(&new_name),
        _ => ast::is_reserved(new_name),
    };
    if reserved {
        return Err(refused(format!(
            "`{new_name}` is a reserved word in flow and cannot name a {}",
            def.kind.describe()
        )));
    }
    let analysis = &view.analysis;
    let clash = |what: &Def| {
        let place = match what.parent.map(|p| analysis.def(p)) {
            Some(p) if !what.kind.is_item() => format!("in {} `{}`", p.kind.describe(), p.name),
            _ => "in this file".to_string(),
        };
        refused(format!(
            "cannot rename `{}` to `{new_name}`: the {} `{new_name}` is already defined {place}; choose another name",
            def.name,
            what.kind.describe()
        ))
    };
    if def.kind.is_item() {
        if let Some((_, other)) = analysis.item_named(new_name) {
            return Err(clash(other));
        }
        if def.kind == DefKind::Transformer && BUILTIN_FUNCTIONS.contains(&new_name) {
            return Err(refused(format!(
                "cannot rename `{}` to `{new_name}`: `{new_name}` is a built-in function, whose calls the transformer would take over",
                def.name
            )));
        }
        return Ok(());
    }
    let Some(owner) = def.parent else {
        return Ok(());
    };
    // The names an expression of the owner could mean: its parameters,
    // and in a workflow its states, loop variables and `error`.
    let workflow = analysis.def(owner).kind == DefKind::Workflow;
    let has_value = !matches!(
        def.kind,
        DefKind::State(StateKeyword::Succeed | StateKeyword::Fail)
    );
    if workflow && new_name == "error" && has_value {
        return Err(refused(format!(
            "cannot rename `{}` to `error`: `error` is the failure being routed in every expression of a workflow",
            def.name
        )));
    }
    for (id, other) in analysis.children(owner) {
        if id == symbol || other.name != new_name {
            continue;
        }
        let same_namespace = match def.kind {
            DefKind::State(_) => other.is_state() || other.kind == DefKind::Parameter,
            _ => other.kind == DefKind::Parameter || (workflow && other.is_state()),
        };
        if same_namespace {
            return Err(clash(other));
        }
    }
    if workflow {
        // A loop variable hides a state or parameter of the same name in
        // its map's call.
        let var = analysis
            .children(owner)
            .flat_map(|(state, _)| analysis.children(state))
            .find(|(_, d)| d.kind == DefKind::MapVar && d.name == new_name);
        if let Some((_, var)) = var {
            return Err(clash(var));
        }
    }
    Ok(())
}
