//! Byte offsets to 1-based lines and columns.
//!
//! Diagnostics carry byte offsets; people and editors want lines and columns,
//! with columns counted in characters. A line ends at `\n`, `\r\n` or a lone
//! `\r` (old Mac line endings), as for the parser and for miette, and a
//! byte-order mark at the start of the file is not a column: editors do not
//! show it. The index is built once per file in
//! one pass, and each lookup is a binary search plus a count over at most one
//! block of bytes, so a file of many megabytes with one huge line and many
//! diagnostics stays fast.

/// The number of bytes between two checkpoints of the character count.
const BLOCK: usize = 4096;

/// A 1-based line and a 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Lines and character counts of one source text.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    source: &'a str,
    /// The byte offset where each line starts; the first is 0.
    line_starts: Vec<usize>,
    /// `continuations[k]` is the number of UTF-8 continuation bytes in
    /// `source[..k * BLOCK]`. A character is one leading byte plus its
    /// continuation bytes, so characters before `x` = `x` - continuation
    /// bytes before `x`.
    continuations: Vec<usize>,
    /// Whether the text starts with a byte-order mark (U+FEFF).
    bom: bool,
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        let bytes = source.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i + 1),
        );
        let mut continuations = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut total = 0;
        continuations.push(0);
        for block in bytes.chunks(BLOCK) {
            total += block.iter().filter(|&&b| is_continuation(b)).count();
            continuations.push(total);
        }
        LineIndex {
            source,
            line_starts,
            continuations,
            bom: source.starts_with('\u{FEFF}'),
        }
    }

    /// The number of lines; an empty text has one empty line.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The line and column of a byte offset. An offset past the end is taken
    /// as the end, and an offset inside a character as that character, so
    /// that a wrong span can never make rendering panic.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.floor_char_boundary(offset);
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let mut column = self.chars_before(offset) - self.chars_before(start) + 1;
        if line == 0 && self.bom && offset > 0 {
            column -= 1;
        }
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The 0-based line that contains `offset`, clamped like [`line_col`].
    ///
    /// [`line_col`]: LineIndex::line_col
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.source.len());
        // The last line start at or before the offset; the first start is 0,
        // so there always is one.
        self.line_starts.partition_point(|&start| start <= offset) - 1
    }

    /// The byte offset where the 0-based `line` starts, if there is one.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).copied()
    }

    fn floor_char_boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The number of characters in `source[..offset]`; `offset` is on a
    /// character boundary.
    fn chars_before(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        let tail = &self.source.as_bytes()[block * BLOCK..offset];
        let continuations =
            self.continuations[block] + tail.iter().filter(|&&b| is_continuation(b)).count();
        offset - continuations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> LineCol {
        LineCol { line, column }
    }

    #[test]
    fn lines_and_columns_are_one_based() {
        let index = LineIndex::new("ab\ncd\n\nef");
        assert_eq!(index.line_col(0), at(1, 1));
        assert_eq!(index.line_col(1), at(1, 2));
        assert_eq!(index.line_col(2), at(1, 3), "the newline ends line 1");
        assert_eq!(index.line_col(3), at(2, 1));
        assert_eq!(index.line_col(6), at(3, 1));
        assert_eq!(index.line_col(7), at(4, 1));
        assert_eq!(index.line_col(9), at(4, 3), "the end of the text");
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_of(4), 1);
        assert_eq!(index.line_of(100), 3);
        assert_eq!(index.line_start(1), Some(3));
        assert_eq!(index.line_start(4), None);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // `é` is two bytes and `😀` four, but each is one column.
        let source = "é😀x\n😀y";
        let index = LineIndex::new(source);
        assert_eq!(index.line_col(source.find('x').unwrap()), at(1, 3));
        assert_eq!(index.line_col(source.find('y').unwrap()), at(2, 2));
    }

    #[test]
    fn bad_offsets_are_clamped_instead_of_panicking() {
        let source = "aé";
        let index = LineIndex::new(source);
        assert_eq!(index.line_col(2), at(1, 2), "inside `é` means `é`");
        assert_eq!(index.line_col(1000), at(1, 3));
        assert_eq!(LineIndex::new("").line_col(5), at(1, 1));
    }

    #[test]
    fn crlf_lines_end_at_the_newline() {
        let index = LineIndex::new("a\r\nb");
        assert_eq!(index.line_col(1), at(1, 2));
        assert_eq!(index.line_col(3), at(2, 1));
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        // Old Mac line endings, and a mix of all three.
        let index = LineIndex::new("ab\rcd\r\nef\ngh\r");
        assert_eq!(index.line_col(2), at(1, 3), "the `\\r` ends line 1");
        assert_eq!(index.line_col(3), at(2, 1));
        assert_eq!(index.line_col(4), at(2, 2));
        assert_eq!(index.line_col(6), at(2, 4), "`\\r\\n` is one line break");
        assert_eq!(index.line_col(7), at(3, 1));
        assert_eq!(index.line_col(10), at(4, 1));
        assert_eq!(index.line_col(13), at(5, 1), "after the final `\\r`");
        assert_eq!(index.line_count(), 5);
        assert_eq!(index.line_start(1), Some(3));
        assert_eq!(index.line_start(2), Some(7));
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let source = "\u{FEFF}ab\ncd";
        let index = LineIndex::new(source);
        assert_eq!(index.line_col(0), at(1, 1), "the mark itself");
        assert_eq!(
            index.line_col(3),
            at(1, 1),
            "`a`, three bytes into the file"
        );
        assert_eq!(index.line_col(4), at(1, 2));
        assert_eq!(index.line_col(6), at(2, 1), "other lines are not shifted");
        // Only a mark at the very start is skipped.
        let index = LineIndex::new("a\u{FEFF}b");
        assert_eq!(index.line_col(4), at(1, 3));
    }

    /// Agrees with a naive count at every offset of a text that mixes
    /// multi-byte characters and lines across several blocks.
    #[test]
    fn agrees_with_a_naive_count_across_blocks() {
        let mut source = String::new();
        for i in 0..3000 {
            source.push_str(match i % 6 {
                0 => "ab",
                1 => "é",
                2 => "😀\n",
                3 => "c\r",
                4 => "d\r\n",
                _ => "\u{10FFFF}xyz",
            });
        }
        let index = LineIndex::new(&source);
        let mut expected = at(1, 1);
        let mut chars = source.char_indices().peekable();
        while let Some((offset, ch)) = chars.next() {
            assert_eq!(index.line_col(offset), expected, "at offset {offset}");
            let lone_cr = ch == '\r' && chars.peek().is_none_or(|&(_, next)| next != '\n');
            if ch == '\n' || lone_cr {
                expected = at(expected.line + 1, 1);
            } else {
                expected.column += 1;
            }
        }
        assert_eq!(index.line_col(source.len()), expected);
    }

    /// A 10 MB file on one line with a multi-byte character in every block:
    /// each lookup must cost a block, not the line. Were it linear in the
    /// line, these 20 000 lookups would read 100 GB and never finish.
    #[test]
    fn huge_single_line_lookups_are_cheap() {
        let unit = "é".to_string() + &"x".repeat(98);
        let source = unit.repeat(10 * 1024 * 1024 / unit.len());
        let index = LineIndex::new(&source);
        let step = source.len() / 20_000;
        for k in 0..20_000 {
            let offset = k * step;
            let lc = index.line_col(offset);
            // Each unit is 100 bytes and 99 characters.
            let expected = offset / 100 * 99 + (offset % 100).saturating_sub(1) + 1;
            assert_eq!(lc, at(1, expected), "at offset {offset}");
        }
    }
}
