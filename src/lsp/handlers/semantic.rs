//! What the handlers of the semantic requests share (hover, definition,
//! references, rename, completion, semantic tokens, signature help, inlay
//! hints): the analysis they answer from, and positions between the text
//! the client has and the text that was analyzed.
//!
//! A text that parses is analyzed as it is. A text with a syntax error is
//! answered from the last version that parsed ("the last good analysis"):
//! the two texts are the same before and after the region that was edited
//! since (their common prefix and suffix, as `documents::Shift` finds the
//! region of one change), so a position outside it converts exactly, and
//! what lies inside it is left out (or, for completion, looked up near it).
//!
//! The analysis is the one of the version ([`Version::analysis`]): the
//! first request about a version computes it, on the worker thread, and
//! every later request about that version (the semantic tokens, inlay
//! hints and hovers an editor asks for after each change) shares it. The
//! diagnostics of a change never wait for it: they come from the checks
//! `flow check` runs, on the main loop.

use std::sync::Arc;

use lsp_types::{Position, Range, Uri};

use super::{Error, Result, document};
use crate::check::Analysis;
use crate::diagnostics::LineIndex;
use crate::document::Document;
use crate::lsp::convert;
use crate::lsp::documents::{OpenDocument, Shift, Version};
use crate::lsp::server::State;
use crate::syntax::Span;

/// The analysis a request is answered from, with the text it is of.
pub(super) struct View {
    /// The document that was analyzed: the current text when it parses,
    /// else the last version that did.
    pub analyzed: Arc<Document>,
    pub analysis: Arc<Analysis>,
    /// The text the client has now.
    pub current: Arc<Document>,
    /// The edited region: where it starts (in both texts), and where it
    /// ends in the analyzed text and in the current one.
    start: usize,
    analyzed_end: usize,
    current_end: usize,
}

/// The view of the document at `uri`, or `None` when no version of it has
/// parsed yet; an error when it is not open.
pub(super) fn view(state: &State, uri: &Uri) -> Result<Option<View>> {
    let open = document(state, uri)?;
    Ok(View::of(open))
}

impl View {
    pub(super) fn of(open: &OpenDocument) -> Option<View> {
        let version: &Version = if open.current.document.parses {
            &open.current
        } else {
            open.last_parsed.as_ref()?
        };
        let analysis = version.analysis();
        let analyzed = Arc::clone(&version.document);
        let current = Arc::clone(&open.current.document);
        let (start, analyzed_end, current_end) = edited(&analyzed.text, &current.text);
        Some(View {
            analyzed,
            analysis,
            current,
            start,
            analyzed_end,
            current_end,
        })
    }

    /// The view of the current text even when it does not parse, from
    /// the items and states the parser kept: for completion in a document
    /// that has never parsed, where names from the broken part are missing
    /// but the rest are better than none.
    pub(super) fn partial(open: &OpenDocument) -> View {
        let current = Arc::clone(&open.current.document);
        let analysis = open.current.analysis();
        let end = current.text.len();
        View {
            analyzed: Arc::clone(&current),
            analysis,
            current,
            start: end,
            analyzed_end: end,
            current_end: end,
        }
    }

    /// Whether the analysis is of the text the client has.
    pub(super) fn is_current(&self) -> bool {
        Arc::ptr_eq(&self.analyzed, &self.current)
    }

    pub(super) fn text(&self) -> &str {
        &self.analyzed.text
    }

    /// The offset in the analyzed text of an offset of the current text,
    /// when it is outside the edited region.
    fn analyzed_offset(&self, offset: usize) -> Option<usize> {
        if offset <= self.start {
            Some(offset)
        } else if offset >= self.current_end {
            Some(offset - self.current_end + self.analyzed_end)
        } else {
            None
        }
    }

    /// The span in the current text of a span of the analyzed text, when
    /// it is outside the edited region.
    fn current_span(&self, span: Span) -> Option<Span> {
        let (start, end) = (span.start as usize, span.end as usize);
        if end <= self.start {
            Some(span)
        } else if start >= self.analyzed_end {
            let moved = |at: usize| at - self.analyzed_end + self.current_end;
            Some(Span::from_range(moved(start), moved(end)))
        } else {
            None
        }
    }

    /// The offset in the analyzed text of a client's position, when it is
    /// outside the edited region.
    pub(super) fn offset(&self, position: Position) -> Option<u32> {
        let index = LineIndex::new(&self.current.text);
        let offset = convert::offset(&index, position);
        self.analyzed_offset(offset).map(|at| at as u32)
    }

    /// A position's offset in the analyzed text, or, inside the edited
    /// region, where the region starts: a place in the same item and most
    /// likely the same state, for looking names up by scope.
    pub(super) fn nearby_offset(&self, position: Position) -> u32 {
        self.offset(position).unwrap_or(self.start as u32)
    }

    /// The client's range of a span of the analyzed text, when it is
    /// outside the edited region.
    pub(super) fn range(&self, span: Span) -> Option<Range> {
        self.ranges(std::iter::once(span)).pop().flatten()
    }

    /// [`View::range`] of every span, with one line index.
    pub(super) fn ranges(&self, spans: impl Iterator<Item = Span>) -> Vec<Option<Range>> {
        let index = LineIndex::new(&self.current.text);
        spans
            .map(|span| Some(convert::range(&index, self.current_span(span)?)))
            .collect()
    }
}

/// Where two texts differ: the end of their common prefix, and the start
/// of their common suffix in each, as the outline's [`Shift`] finds it.
fn edited(a: &str, b: &str) -> (usize, usize, usize) {
    Shift::between(a, b).region()
}

/// The refusal of a request that cannot be answered as asked; the message
/// says why.
pub(super) fn refused(message: impl Into<String>) -> Error {
    Error {
        code: lsp_server::ErrorCode::RequestFailed,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(text: String) -> Vec<lsp_types::TextDocumentContentChangeEvent> {
        vec![lsp_types::TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text,
        }]
    }

    /// A version is analyzed once, when a request first asks (opening and
    /// changing it, which publish its diagnostics, do not); every request
    /// about it then shares that analysis, snapshots of the documents too,
    /// and a change brings a new one.
    #[test]
    fn one_analysis_per_version() {
        let mut documents = crate::lsp::documents::Documents::default();
        let uri: Uri = "file:///a.flow".parse().expect("a URI");
        let text = "workflow w() -> string {\n  succeed done = \"x\"\n}\n";
        let open = documents.open(uri.clone(), 1, text.to_string());
        assert!(!open.current.is_analyzed(), "not on the diagnostics path");
        let first = View::of(open).expect("it parses");
        let again = View::of(open).expect("it parses");
        assert!(Arc::ptr_eq(&first.analysis, &again.analysis));
        let snapshot = documents.clone();
        let open = snapshot.get(&uri).expect("open");
        let from_snapshot = View::of(open).expect("it parses");
        assert!(Arc::ptr_eq(&first.analysis, &from_snapshot.analysis));

        let open = documents
            .change(&uri, 2, change(text.replace("\"x\"", "\"y\"")))
            .expect("open");
        assert!(!open.current.is_analyzed());
        let next = View::of(open).expect("it parses");
        assert!(!Arc::ptr_eq(&first.analysis, &next.analysis));
        // The snapshot still has the version it was taken with.
        let open = snapshot.get(&uri).expect("open");
        let old = View::of(open).expect("it parses");
        assert!(Arc::ptr_eq(&first.analysis, &old.analysis));

        // A text that does not parse is answered from the last that did,
        // with the analysis that version already has.
        let open = documents
            .change(&uri, 3, change("workflow w( {\n".to_string()))
            .expect("open");
        let broken = View::of(open).expect("an earlier version parsed");
        assert!(Arc::ptr_eq(&next.analysis, &broken.analysis));
        assert!(!broken.is_current());
        assert!(!open.current.is_analyzed());
    }

    #[test]
    fn the_edited_region() {
        assert_eq!(edited("abc", "abc"), (3, 3, 3));
        assert_eq!(edited("a b c", "a X c"), (2, 3, 3));
        assert_eq!(edited("a c", "a bb c"), (2, 2, 5));
        assert_eq!(edited("aa", "a"), (1, 2, 1));
        // Never inside a character.
        assert_eq!(edited("é", "è"), (0, 2, 2));
    }
}
