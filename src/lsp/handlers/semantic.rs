//! What the handlers of the semantic requests share (hover, definition,
//! references, rename, completion, semantic tokens, signature help, inlay
//! hints): the analysis they answer from, and positions between the text
//! the client has and the text that was analyzed.
//!
//! A text that parses is analyzed as it is. A text with a syntax error is
//! answered from the last version that parsed ("the last good analysis"):
//! its lines before and after the edited region are the same in both
//! texts, so a position on them converts exactly, and what lies in the
//! edited region is left out (or, for completion, looked up near it).

use std::sync::Arc;

use lsp_types::{Position, Range, Uri};

use super::{Error, Result, document};
use crate::check::{self, Analysis};
use crate::diagnostics::LineIndex;
use crate::document::Document;
use crate::lsp::convert;
use crate::lsp::documents::OpenDocument;
use crate::lsp::server::State;
use crate::syntax::Span;

/// The analysis a request is answered from, with the text it is of.
pub(super) struct View {
    /// The document that was analyzed: the current text when it parses,
    /// else the last version that did.
    pub analyzed: Arc<Document>,
    pub analysis: Analysis,
    /// The text the client has now.
    pub current: Arc<Document>,
    /// The lines the two texts share at their start and at their end.
    same_before: usize,
    same_after: usize,
    analyzed_lines: usize,
    current_lines: usize,
}

/// The view of the document at `uri`, or `None` when no version of it has
/// parsed yet; an error when it is not open.
pub(super) fn view(state: &State, uri: &Uri) -> Result<Option<View>> {
    let open = document(state, uri)?;
    Ok(View::of(open))
}

impl View {
    pub(super) fn of(open: &OpenDocument) -> Option<View> {
        let analyzed = if open.current.parses {
            Arc::clone(&open.current)
        } else {
            Arc::clone(open.last_parsed.as_ref()?)
        };
        let analysis = check::analyze(&analyzed.tree);
        let current = Arc::clone(&open.current);
        let (same_before, same_after, analyzed_lines, current_lines) =
            shared_lines(&analyzed.text, &current.text);
        Some(View {
            analyzed,
            analysis,
            current,
            same_before,
            same_after,
            analyzed_lines,
            current_lines,
        })
    }

    /// Whether the analysis is of the text the client has.
    pub(super) fn is_current(&self) -> bool {
        Arc::ptr_eq(&self.analyzed, &self.current)
    }

    pub(super) fn text(&self) -> &str {
        &self.analyzed.text
    }

    /// The line of the analyzed text that a line of the current text is,
    /// when it is outside the edited region.
    fn analyzed_line(&self, line: usize) -> Option<usize> {
        if line < self.same_before {
            return Some(line);
        }
        let from_end = self.current_lines.checked_sub(line + 1)?;
        (from_end < self.same_after).then(|| self.analyzed_lines - 1 - from_end)
    }

    /// The line of the current text that a line of the analyzed text is.
    fn current_line(&self, line: usize) -> Option<usize> {
        if line < self.same_before {
            return Some(line);
        }
        let from_end = self.analyzed_lines.checked_sub(line + 1)?;
        (from_end < self.same_after).then(|| self.current_lines - 1 - from_end)
    }

    /// The offset in the analyzed text of a client's position, when its
    /// line is outside the edited region.
    pub(super) fn offset(&self, position: Position) -> Option<u32> {
        let line = self.analyzed_line(position.line as usize)?;
        let index = LineIndex::new(self.text());
        let moved = Position {
            line: line as u32,
            character: position.character,
        };
        Some(convert::offset(&index, moved) as u32)
    }

    /// A position's offset in the analyzed text, or, on an edited line,
    /// the start of the edited region there: a place in the same item and
    /// most likely the same state, for looking names up by scope.
    pub(super) fn nearby_offset(&self, position: Position) -> u32 {
        if let Some(offset) = self.offset(position) {
            return offset;
        }
        let index = LineIndex::new(self.text());
        index
            .line_start(self.same_before.min(self.analyzed_lines.saturating_sub(1)))
            .unwrap_or(0) as u32
    }

    /// The client's range of a span of the analyzed text, when its lines
    /// are outside the edited region.
    pub(super) fn range(&self, span: Span) -> Option<Range> {
        let index = LineIndex::new(self.text());
        let mut range = convert::range(&index, span);
        range.start.line = self.current_line(range.start.line as usize)? as u32;
        range.end.line = self.current_line(range.end.line as usize)? as u32;
        Some(range)
    }

    /// Converts every span to a range in one pass over the line index.
    pub(super) fn ranges(&self, spans: impl Iterator<Item = Span>) -> Vec<Option<Range>> {
        let index = LineIndex::new(self.text());
        spans
            .map(|span| {
                let mut range = convert::range(&index, span);
                range.start.line = self.current_line(range.start.line as usize)? as u32;
                range.end.line = self.current_line(range.end.line as usize)? as u32;
                Some(range)
            })
            .collect()
    }
}

/// How many lines two texts share at their start and at their end (never
/// overlapping), and how many lines each has.
fn shared_lines(a: &str, b: &str) -> (usize, usize, usize, usize) {
    let a_lines = lines(a);
    let b_lines = lines(b);
    let before = a_lines
        .iter()
        .zip(&b_lines)
        .take_while(|(x, y)| x == y)
        .count();
    let room = a_lines.len().min(b_lines.len()) - before;
    let after = a_lines
        .iter()
        .rev()
        .zip(b_lines.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    (before, after, a_lines.len(), b_lines.len())
}

/// The lines of a text as the line index counts them.
fn lines(text: &str) -> Vec<&str> {
    let index = LineIndex::new(text);
    (0..index.line_count())
        .map(|line| {
            let start = index.line_start(line).unwrap_or(text.len());
            let end = index.line_start(line + 1).unwrap_or(text.len());
            &text[start..end]
        })
        .collect()
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

    #[test]
    fn shared_lines_around_one_edit() {
        assert_eq!(shared_lines("a\nb\nc\n", "a\nB\nc\n"), (1, 2, 4, 4));
        assert_eq!(shared_lines("a\nc\n", "a\nb\nc\n"), (1, 2, 3, 4));
        assert_eq!(shared_lines("a\n", "a\n"), (2, 0, 2, 2));
    }
}
