//! `textDocument/foldingRange`: items, the states of workflows, the
//! blocks of executors, multi-line comments, runs of line comments and doc
//! comments.

use lsp_types::{FoldingRange, FoldingRangeKind, FoldingRangeParams};

use super::{Result, document};
use crate::diagnostics::LineIndex;
use crate::lsp::documents::Origin;
use crate::lsp::server::State;
use crate::syntax::Span;
use crate::syntax::ast::{CommentKind, Item};

pub(super) fn handle(
    state: &State,
    params: FoldingRangeParams,
) -> Result<Option<Vec<FoldingRange>>> {
    let open = document(state, &params.text_document.uri)?;
    let line_folding_only = state
        .client
        .text_document
        .as_ref()
        .and_then(|t| t.folding_range.as_ref())
        .and_then(|f| f.line_folding_only)
        .unwrap_or(false);
    let mut folds = Folds {
        index: open.line_index(),
        line_folding_only,
        ranges: Vec::new(),
    };
    let tree = &open.current.document.tree;
    for view in open.items() {
        let item = view.item;
        if let Some(docs) = item.docs() {
            folds.comment(view.span(docs.span));
        }
        folds.block(item.span(), view.origin);
        match item {
            Item::Worker(w) => {
                for executor in &w.executors {
                    folds.block(executor.span, view.origin);
                }
            }
            Item::Workflow(_) => {
                for (state, origin) in view.states() {
                    if let Some(docs) = &state.docs {
                        folds.comment(origin.span(docs.span));
                    }
                    folds.block(state.span, origin);
                }
            }
            Item::Import(_) | Item::Type(_) | Item::Transformer(_) => {}
        }
    }
    // Consecutive line comments fold as one; a block comment on its own.
    let mut run: Option<Span> = None;
    for comment in &tree.comments {
        match comment.kind {
            CommentKind::Block => folds.comment(comment.span),
            CommentKind::Line => {
                run = Some(match run {
                    Some(r) if folds.line(comment.span.start) == folds.line(r.end) + 1 => {
                        r.to(comment.span)
                    }
                    Some(r) => {
                        folds.comment(r);
                        comment.span
                    }
                    None => comment.span,
                });
            }
        }
    }
    if let Some(r) = run {
        folds.comment(r);
    }
    folds
        .ranges
        .sort_by_key(|r| (r.start_line, std::cmp::Reverse(r.end_line)));
    Ok(Some(folds.ranges))
}

struct Folds<'a> {
    index: LineIndex<'a>,
    line_folding_only: bool,
    ranges: Vec<FoldingRange>,
}

impl Folds<'_> {
    /// The 0-based line of a byte offset.
    fn line(&self, offset: u32) -> u32 {
        self.index.utf16_position(offset as usize).line
    }

    /// The line of the last character of a span.
    fn last_line(&self, span: Span) -> u32 {
        self.line(span.end.saturating_sub(1).max(span.start))
    }

    fn comment(&mut self, span: Span) {
        self.push(span, false, Some(FoldingRangeKind::Comment));
    }

    /// The fold of a node's span: a client that folds whole lines only
    /// keeps the line of its closing bracket in view.
    fn block(&mut self, span: Span, origin: Origin<'_>) {
        let bracketed = span.text(origin.text).ends_with(['}', ')', ']']);
        self.push(origin.span(span), bracketed, None);
    }

    /// A fold of the lines of a span (in the current text). A client that
    /// folds whole lines only keeps the line of a closing bracket in view.
    fn push(&mut self, span: Span, closing_bracket: bool, kind: Option<FoldingRangeKind>) {
        let start = self.index.utf16_position(span.start as usize);
        let mut end_line = self.last_line(span);
        if closing_bracket && self.line_folding_only {
            end_line = end_line.saturating_sub(1);
        }
        if end_line <= start.line {
            return;
        }
        let end = self.index.utf16_position(span.end as usize);
        self.ranges.push(FoldingRange {
            start_line: start.line,
            start_character: (!self.line_folding_only).then_some(start.character),
            end_line,
            end_character: (!self.line_folding_only).then_some(end.character),
            kind,
            collapsed_text: None,
        });
    }
}
