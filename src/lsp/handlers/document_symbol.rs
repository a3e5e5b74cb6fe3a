//! `textDocument/documentSymbol`: the outline, as a tree. Types (with
//! their fields), workers, transformers and workflows, and in each workflow
//! its states (a `parallel` state with its branches).
//!
//! Where the text does not parse, the outline is that of what did (the
//! parser recovers at the next item and at the next state), with what the
//! last version that parsed had and is missing now, moved to where it is
//! now ([`OpenDocument::items`](crate::lsp::documents::OpenDocument::items)).

use lsp_types::{DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolKind};

use super::{Result, document};
use crate::diagnostics::LineIndex;
use crate::lsp::convert;
use crate::lsp::documents::{ItemView, Origin};
use crate::lsp::server::State;
use crate::syntax::Span;
use crate::syntax::ast::{self, Docs, Ident, Item, StateKind, TypeExprKind};

pub(super) fn handle(
    state: &State,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    let open = document(state, &params.text_document.uri)?;
    let outline = Outline {
        index: open.line_index(),
    };
    let symbols = open
        .items()
        .iter()
        .filter_map(|view| outline.item(view))
        .collect();
    Ok(Some(DocumentSymbolResponse::Nested(symbols)))
}

struct Outline<'a> {
    /// The index of the current text.
    index: LineIndex<'a>,
}

/// What a symbol is made of: its name, its kind and detail, where it is
/// (doc comment included) and its children.
struct Parts<'a> {
    name: &'a Ident,
    kind: SymbolKind,
    detail: Option<String>,
    span: Span,
    docs: Option<&'a Docs>,
    children: Vec<DocumentSymbol>,
}

impl Outline<'_> {
    fn item(&self, view: &ItemView<'_>) -> Option<DocumentSymbol> {
        let origin = view.origin;
        let text = origin.text;
        let docs = view.item.docs();
        let parts = match view.item {
            Item::Import(_) => return None,
            Item::Type(t) => {
                let fields = match &t.ty.kind {
                    TypeExprKind::Record(fields) => fields
                        .iter()
                        .map(|f| {
                            self.symbol(
                                origin,
                                Parts {
                                    name: &f.name,
                                    kind: SymbolKind::FIELD,
                                    detail: Some(one_line(f.ty.span.text(text))),
                                    span: f.span,
                                    docs: f.docs.as_ref(),
                                    children: Vec::new(),
                                },
                            )
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let detail = match &t.ty.kind {
                    TypeExprKind::Record(_) => None,
                    _ => Some(one_line(t.ty.span.text(text))),
                };
                Parts {
                    name: &t.name,
                    kind: SymbolKind::STRUCT,
                    detail,
                    span: t.span,
                    docs,
                    children: fields,
                }
            }
            Item::Worker(w) => Parts {
                name: &w.name,
                kind: SymbolKind::INTERFACE,
                detail: Some(signature(text, &w.params, &w.output)),
                span: w.span,
                docs,
                children: Vec::new(),
            },
            Item::Transformer(t) => Parts {
                name: &t.name,
                kind: SymbolKind::FUNCTION,
                detail: Some(signature(text, &t.params, &t.output)),
                span: t.span,
                docs,
                children: Vec::new(),
            },
            Item::Workflow(w) => Parts {
                name: &w.name,
                kind: SymbolKind::CLASS,
                detail: Some(signature(text, &w.params, &w.output)),
                span: w.span,
                docs,
                children: view
                    .states()
                    .into_iter()
                    .map(|(state, origin)| self.state(state, origin))
                    .collect(),
            },
        };
        Some(self.symbol(origin, parts))
    }

    fn state(&self, state: &ast::State, origin: Origin<'_>) -> DocumentSymbol {
        let keyword = state.kind.keyword();
        let (kind, detail, children) = match &state.kind {
            StateKind::Step(s) => (
                SymbolKind::METHOD,
                format!("{keyword} {}", s.call.worker.name),
                Vec::new(),
            ),
            StateKind::Map(s) => (
                SymbolKind::METHOD,
                format!("{keyword} {}", s.call.worker.name),
                Vec::new(),
            ),
            StateKind::Parallel(p) => {
                let branches = p
                    .branches
                    .iter()
                    .map(|b| {
                        self.symbol(
                            origin,
                            Parts {
                                name: &b.name,
                                kind: SymbolKind::METHOD,
                                detail: Some(b.call.worker.name.to_string()),
                                span: b.span,
                                docs: b.docs.as_ref(),
                                children: Vec::new(),
                            },
                        )
                    })
                    .collect();
                (SymbolKind::METHOD, keyword.to_string(), branches)
            }
            StateKind::Succeed(_) | StateKind::Fail(_) => {
                (SymbolKind::EVENT, keyword.to_string(), Vec::new())
            }
        };
        self.symbol(
            origin,
            Parts {
                name: &state.name,
                kind,
                detail: Some(detail),
                span: state.span,
                docs: state.docs.as_ref(),
                children,
            },
        )
    }

    #[allow(deprecated)] // `deprecated` must be given, as `None`.
    fn symbol(&self, origin: Origin<'_>, parts: Parts<'_>) -> DocumentSymbol {
        // The whole of it, doc comment included; the name is what an
        // editor selects.
        let whole = parts.docs.map_or(parts.span, |d| d.span.to(parts.span));
        DocumentSymbol {
            name: parts.name.name.to_string(),
            detail: parts.detail,
            kind: parts.kind,
            tags: None,
            deprecated: None,
            range: convert::range(&self.index, origin.span(whole)),
            selection_range: convert::range(&self.index, origin.span(parts.name.span)),
            children: (!parts.children.is_empty()).then_some(parts.children),
        }
    }
}

/// `(spec: string, feedback: [string]) -> string`, as written.
fn signature(text: &str, params: &[ast::Param], output: &ast::TypeExpr) -> String {
    let params: Vec<&str> = params.iter().map(|p| p.span.text(text).trim()).collect();
    let output = output.span.text(text).trim();
    one_line(&format!("({}) -> {output}", params.join(", ")))
}

/// Whitespace runs (line breaks included) as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
