//! `textDocument/documentSymbol`: the outline, as a tree. Types (with
//! their fields), workers, transformers and workflows, and in each workflow
//! its states (a `parallel` state with its branches).
//!
//! Where the text does not parse, the outline is that of the items that
//! did (the parser recovers at the next item), with the items of the last
//! version that parsed which are missing now, moved to where they are now
//! ([`OpenDocument::items`](crate::lsp::documents::OpenDocument::items)).

use lsp_types::{DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, SymbolKind};

use super::{Result, document};
use crate::diagnostics::LineIndex;
use crate::lsp::convert;
use crate::lsp::documents::ItemView;
use crate::lsp::server::State;
use crate::syntax::Span;
use crate::syntax::ast::{self, Docs, Ident, Item, StateKind, TypeExprKind};

pub(super) fn handle(
    state: &State,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    let open = document(state, &params.text_document.uri)?;
    let index = open.line_index();
    let symbols = open
        .items()
        .into_iter()
        .filter_map(|view| {
            Outline {
                view,
                index: &index,
                text: view.text,
            }
            .item(view.item)
        })
        .collect();
    Ok(Some(DocumentSymbolResponse::Nested(symbols)))
}

/// The outline of one item.
struct Outline<'a> {
    view: ItemView<'a>,
    /// The index of the current text.
    index: &'a LineIndex<'a>,
    /// The text the item's spans are in.
    text: &'a str,
}

impl Outline<'_> {
    /// A span of the item as a range in the current text.
    fn range(&self, span: Span) -> lsp_types::Range {
        convert::range(self.index, self.view.span(span))
    }

    fn item(&self, item: &Item) -> Option<DocumentSymbol> {
        let docs = item.docs();
        Some(match item {
            Item::Import(_) => return None,
            Item::Type(t) => {
                let fields = match &t.ty.kind {
                    TypeExprKind::Record(fields) => fields
                        .iter()
                        .map(|f| {
                            let detail = self.source(f.ty.span);
                            self.symbol(
                                &f.name,
                                SymbolKind::FIELD,
                                detail,
                                f.span,
                                f.docs.as_ref(),
                                Vec::new(),
                            )
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let detail = match &t.ty.kind {
                    TypeExprKind::Record(_) => None,
                    _ => self.source(t.ty.span),
                };
                self.symbol(&t.name, SymbolKind::STRUCT, detail, t.span, docs, fields)
            }
            Item::Worker(w) => {
                let detail = self.signature(&w.params, &w.output);
                self.symbol(
                    &w.name,
                    SymbolKind::INTERFACE,
                    detail,
                    w.span,
                    docs,
                    Vec::new(),
                )
            }
            Item::Transformer(t) => {
                let detail = self.signature(&t.params, &t.output);
                self.symbol(
                    &t.name,
                    SymbolKind::FUNCTION,
                    detail,
                    t.span,
                    docs,
                    Vec::new(),
                )
            }
            Item::Workflow(w) => {
                let detail = self.signature(&w.params, &w.output);
                let states = w.states.iter().map(|s| self.state(s)).collect();
                self.symbol(&w.name, SymbolKind::CLASS, detail, w.span, docs, states)
            }
        })
    }

    fn state(&self, state: &ast::State) -> DocumentSymbol {
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
                        let detail = Some(b.call.worker.name.to_string());
                        self.symbol(
                            &b.name,
                            SymbolKind::METHOD,
                            detail,
                            b.span,
                            b.docs.as_ref(),
                            Vec::new(),
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
            &state.name,
            kind,
            Some(detail),
            state.span,
            state.docs.as_ref(),
            children,
        )
    }

    /// `(spec: string, feedback: [string]) -> string`, as written.
    fn signature(&self, params: &[ast::Param], output: &ast::TypeExpr) -> Option<String> {
        let params: Vec<&str> = params
            .iter()
            .map(|p| p.span.text(self.text).trim())
            .collect();
        let output = output.span.text(self.text).trim();
        Some(one_line(&format!("({}) -> {output}", params.join(", "))))
    }

    /// The text of a span on one line.
    fn source(&self, span: Span) -> Option<String> {
        Some(one_line(span.text(self.text)))
    }

    #[allow(deprecated)] // `deprecated` must be given, as `None`.
    fn symbol(
        &self,
        name: &Ident,
        kind: SymbolKind,
        detail: Option<String>,
        span: Span,
        docs: Option<&Docs>,
        children: Vec<DocumentSymbol>,
    ) -> DocumentSymbol {
        // The whole of it, doc comment included; the name is what an
        // editor selects.
        let whole = docs.map_or(span, |d| d.span.to(span));
        DocumentSymbol {
            name: name.name.to_string(),
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: self.range(whole),
            selection_range: self.range(name.span),
            children: (!children.is_empty()).then_some(children),
        }
    }
}

/// Whitespace runs (line breaks included) as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
