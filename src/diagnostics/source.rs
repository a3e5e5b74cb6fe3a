//! The source of one file as miette reads it for snippets.
//!
//! miette's own `SourceCode` for text scans from the start of the file to
//! every label it shows, which is quadratic on a large file with many
//! diagnostics, and it reports the column of the `file:line:column` header
//! in bytes. This one hands miette only a window of whole lines around each
//! label, found with the [`LineIndex`], and reports columns in characters,
//! as the JSON output does.

use std::borrow::Cow;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::LineIndex;

/// A named source text with a line index.
pub(super) struct IndexedSource<'a> {
    name: &'a str,
    /// The text that miette is shown: the file's, with every lone `\r`
    /// written `\n`. miette finds lines as the parser does (a lone `\r` ends
    /// one) but its renderer prints a lone `\r` as part of the line, which a
    /// terminal turns into an overwritten line. One byte stands for one, so
    /// every offset is the file's.
    text: Cow<'a, str>,
    /// Counts lines as miette does: `\n`, `\r\n` and a lone `\r` each end
    /// one, so a window of whole lines is the same for both.
    index: LineIndex<'a>,
}

impl<'a> IndexedSource<'a> {
    pub(super) fn new(name: &'a str, text: &'a str) -> Self {
        IndexedSource {
            name,
            text: lone_carriage_returns_as_newlines(text),
            index: LineIndex::new(text),
        }
    }

    /// The whole lines around `span`: more than `before` lines before it
    /// (miette looks one byte before an empty span) and more than `after`
    /// lines after it, so that miette's scan of the window starts and stops
    /// where its scan of the whole text would. Returns the window's first
    /// and end bytes and its first line.
    fn window(&self, span: &SourceSpan, before: usize, after: usize) -> (usize, usize, usize) {
        let start = span.offset();
        let end = start + span.len();
        let first = self.index.line_of(start).saturating_sub(before + 1);
        let last = self.index.line_of(end) + after + 2;
        let from = self.index.line_start(first).unwrap_or(0);
        let to = self.index.line_start(last).unwrap_or(self.text.len());
        (from, to, first)
    }
}

impl SourceCode for IndexedSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        if span.offset() + span.len() > self.text.len() {
            // A label past the end is a bug of the stage that made it; miette
            // shows this error in place of the snippet (its own scan would
            // panic on some of these spans).
            return Err(MietteError::OutOfBounds);
        }
        let (from, to, first_line) = self.window(span, context_lines_before, context_lines_after);
        let window = &self.text[from..to];
        let local = SourceSpan::new((span.offset() - from).into(), span.len());
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        // Without context, the contents start at the span itself and the
        // column is the span's: this is what the header shows. With context
        // miette's column is its own business (0 at a line start), and is
        // left as it is.
        let column = if context_lines_before == 0 && context_lines_after == 0 {
            self.index.line_col(span.offset()).column - 1
        } else {
            contents.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + from).into(),
                contents.span().len(),
            ),
            contents.line() + first_line,
            column,
            contents.line_count() + first_line,
        )))
    }
}

/// `text` with each `\r` that is not followed by `\n` replaced by `\n`.
fn lone_carriage_returns_as_newlines(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        let lone = c == '\r' && chars.peek().is_none_or(|&(_, next)| next != '\n');
        out.push(if lone { '\n' } else { c });
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What miette's own implementation answers, for comparison.
    fn expected(
        text: &str,
        span: SourceSpan,
        before: usize,
        after: usize,
    ) -> Option<(Vec<u8>, SourceSpan, usize, usize, usize)> {
        let c = text.read_span(&span, before, after).ok()?;
        Some((
            c.data().to_vec(),
            *c.span(),
            c.line(),
            c.column(),
            c.line_count(),
        ))
    }

    fn actual(
        source: &IndexedSource<'_>,
        span: SourceSpan,
        before: usize,
        after: usize,
    ) -> Option<(Vec<u8>, SourceSpan, usize, usize, usize)> {
        let c = source.read_span(&span, before, after).ok()?;
        assert_eq!(c.name(), Some("a.flow"));
        Some((
            c.data().to_vec(),
            *c.span(),
            c.line(),
            c.column(),
            c.line_count(),
        ))
    }

    /// On ASCII text the window gives miette exactly what a scan of the
    /// whole text gives, for every span and amount of context, except the
    /// header's column (no context), which is the line index's: miette
    /// counts a `\r` before the `\n` of the span's line differently. (Where
    /// a lone `\r` is shown as `\n`, miette's scan is of that text; that it
    /// finds the same lines in both is what makes the replacement safe.)
    #[test]
    fn agrees_with_miette_on_every_span() {
        let texts = [
            "ab\ncd\n\nefg\nh\n\n\nij\nk",
            "one line only",
            "\n\n\n",
            "a\r\nb\r\n\r\ncd\r\ne",
            "a\rb\r\rcd\re\r",
            "a\r\nb\rc\n\rd",
            "trailing newline\nx\n",
            "",
        ];
        for text in texts {
            let source = IndexedSource::new("a.flow", text);
            for start in 0..=text.len() {
                for len in 0..=(text.len() - start) {
                    for (before, after) in [(0, 0), (1, 1), (2, 2), (0, 1), (3, 0)] {
                        let span = SourceSpan::new(start.into(), len);
                        let original = expected(text, span, before, after);
                        let mut expected = expected(&source.text, span, before, after);
                        assert_eq!(
                            expected.as_ref().map(|e| (e.1, e.2, e.4)),
                            original.as_ref().map(|e| (e.1, e.2, e.4)),
                            "{text:?} at {start}+{len}: miette finds other lines"
                        );
                        if let (Some(e), (0, 0)) = (&mut expected, (before, after)) {
                            e.3 = source.index.line_col(start).column - 1;
                        }
                        assert_eq!(
                            actual(&source, span, before, after),
                            expected,
                            "{text:?} at {start}+{len}, context {before}/{after}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_lone_carriage_return_is_shown_as_a_line_break() {
        let source = IndexedSource::new("a.flow", "a\rb\r\nc");
        let c = source
            .read_span(&SourceSpan::new(2.into(), 1), 1, 1)
            .unwrap();
        assert_eq!(c.data(), b"a\nb\r\nc");
    }

    #[test]
    fn spans_past_the_end_are_an_error_not_a_panic() {
        let source = IndexedSource::new("a.flow", "ab\n");
        for (start, len) in [(3, 1), (4, 0), (0, 9), (usize::MAX / 2, 1)] {
            let span = SourceSpan::new(start.into(), len);
            assert!(source.read_span(&span, 1, 1).is_err(), "{start}+{len}");
        }
    }

    #[test]
    fn header_columns_count_characters() {
        let text = "é😀 x\ny";
        let source = IndexedSource::new("a.flow", text);
        let at = text.find('x').unwrap();
        let c = source
            .read_span(&SourceSpan::new(at.into(), 1), 0, 0)
            .unwrap();
        assert_eq!((c.line(), c.column()), (0, 3));
    }

    #[test]
    fn lone_carriage_returns_fall_back_to_a_full_scan() {
        let text = "a\rb\nc";
        let source = IndexedSource::new("a.flow", text);
        let span = SourceSpan::new(4.into(), 1);
        assert_eq!(actual(&source, span, 1, 1), expected(text, span, 1, 1));
    }
}
