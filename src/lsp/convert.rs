//! Byte spans to the protocol's ranges and back, through the one
//! [`LineIndex`] (UTF-16 code units).

use lsp_types::{Position, Range};

use crate::diagnostics::{LineIndex, Utf16Position};
use crate::syntax::Span;

pub(crate) fn position(index: &LineIndex<'_>, offset: usize) -> Position {
    let Utf16Position { line, character } = index.utf16_position(offset);
    Position { line, character }
}

pub(crate) fn range(index: &LineIndex<'_>, span: Span) -> Range {
    Range {
        start: position(index, span.start as usize),
        end: position(index, span.end as usize),
    }
}

/// The byte offset of a client's position, clamped to the text.
pub(crate) fn offset(index: &LineIndex<'_>, position: Position) -> usize {
    index.offset_of_utf16(Utf16Position {
        line: position.line,
        character: position.character,
    })
}

/// The byte range of a client's range, clamped to the text; a range whose
/// end comes before its start is taken as empty at its start.
pub(crate) fn byte_range(index: &LineIndex<'_>, range: Range) -> std::ops::Range<usize> {
    let start = offset(index, range.start);
    let end = offset(index, range.end).max(start);
    start..end
}
