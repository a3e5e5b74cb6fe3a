//! Byte offsets to lines and columns, for people and for the Language
//! Server Protocol.
//!
//! Diagnostics carry byte offsets; people want 1-based lines and columns,
//! with columns counted in characters ([`LineIndex::line_col`]); the
//! protocol wants 0-based lines and columns counted in UTF-16 code units,
//! and sends such positions back ([`LineIndex::utf16_position`],
//! [`LineIndex::offset_of_utf16`]). A line ends at `\n`, `\r\n` or a lone
//! `\r` (old Mac line endings), as for the parser and for miette, and a
//! byte-order mark at the start of the file is not a column: editors do not
//! show it to people. (For the protocol it is a code unit like any
//! other: the text is what the editor sent, and the editor counts it.)
//! The index is built once per file in one pass, and each lookup is a binary search plus a count over at most one
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

/// A 0-based line and a 0-based column counted in UTF-16 code units: a
/// position of the Language Server Protocol (its default encoding, and the
/// one every client supports). A character outside the Basic Multilingual
/// Plane, such as an emoji, is two code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Utf16Position {
    pub line: u32,
    pub character: u32,
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
    /// `astral[k]` is the number of characters of four UTF-8 bytes in
    /// `source[..k * BLOCK]`: each is two UTF-16 code units, every other
    /// character one.
    astral: Vec<usize>,
    /// Whether the text starts with a byte-order mark (U+FEFF).
    bom: bool,
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// Whether `byte` starts a character of four UTF-8 bytes (U+10000 and
/// above, two UTF-16 code units).
fn is_astral_lead(byte: u8) -> bool {
    byte >= 0xF0
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
        let mut astral = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let (mut total, mut total_astral) = (0, 0);
        continuations.push(0);
        astral.push(0);
        for block in bytes.chunks(BLOCK) {
            for &b in block {
                total += usize::from(is_continuation(b));
                total_astral += usize::from(is_astral_lead(b));
            }
            continuations.push(total);
            astral.push(total_astral);
        }
        LineIndex {
            source,
            line_starts,
            continuations,
            astral,
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

    /// The protocol's position of a byte offset, clamped like
    /// [`line_col`](LineIndex::line_col). The byte-order mark, if any, is
    /// counted, as the editor counts it.
    pub fn utf16_position(&self, offset: usize) -> Utf16Position {
        let offset = self.floor_char_boundary(offset);
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let character = self.utf16_before(offset) - self.utf16_before(start);
        Utf16Position {
            line: saturate(line),
            character: saturate(character),
        }
    }

    /// The byte offset of a position of the protocol. Nothing a client
    /// sends makes it panic: a line past the last is the end of the text, a
    /// character past the end of its line is the end of the line (before
    /// its line break, as the protocol says), and a position between the
    /// two code units of a character is that character's start.
    pub fn offset_of_utf16(&self, position: Utf16Position) -> usize {
        let line = position.line as usize;
        let Some(start) = self.line_start(line) else {
            return self.source.len();
        };
        let end = self.line_end(line);
        let target = self.utf16_before(start) + position.character as usize;
        // The last block boundary within the line at or before the target,
        // found by binary search: the walk below then reads at most a
        // block, however long the line.
        let boundary = |k: usize| self.floor_char_boundary(k * BLOCK).max(start);
        let (mut lo, mut hi) = (start / BLOCK + 1, end / BLOCK + 1);
        // Invariant: every block boundary before `lo` is at or before the
        // target, none from `hi` on.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.utf16_before(boundary(mid)) <= target {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let from = if lo > start / BLOCK + 1 {
            boundary(lo - 1)
        } else {
            start
        };
        let mut units = self.utf16_before(from);
        let mut offset = from;
        for ch in self.source[from..end].chars() {
            let next = units + ch.len_utf16();
            if next > target {
                break;
            }
            units = next;
            offset += ch.len_utf8();
        }
        offset
    }

    /// The byte offset where the 0-based `line` ends, before its line
    /// break; the end of the text for the last line.
    fn line_end(&self, line: usize) -> usize {
        let Some(&next) = self.line_starts.get(line + 1) else {
            return self.source.len();
        };
        let bytes = self.source.as_bytes();
        // The line break is `\n`, `\r` or `\r\n`.
        let mut end = next - 1;
        if bytes[end] == b'\n' && end > 0 && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end
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

    /// The number of UTF-16 code units in `source[..offset]`; `offset` is
    /// on a character boundary.
    fn utf16_before(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        let tail = &self.source.as_bytes()[block * BLOCK..offset];
        let astral = self.astral[block] + tail.iter().filter(|&&b| is_astral_lead(b)).count();
        self.chars_before(offset) + astral
    }
}

/// A count as the protocol's `u32`; a text of 4 GiB or more is refused
/// before anything is counted in it, so the ceiling is never reached.
fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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

    fn pos(line: u32, character: u32) -> Utf16Position {
        Utf16Position { line, character }
    }

    #[test]
    fn protocol_positions_count_utf16_code_units() {
        // `é` is one code unit, `😀` two, `中` one (three UTF-8 bytes).
        let source = "é😀x\n中文y\n";
        let index = LineIndex::new(source);
        let x = source.find('x').unwrap();
        let y = source.find('y').unwrap();
        assert_eq!(index.utf16_position(x), pos(0, 3));
        assert_eq!(index.utf16_position(y), pos(1, 2));
        assert_eq!(index.offset_of_utf16(pos(0, 3)), x);
        assert_eq!(index.offset_of_utf16(pos(1, 2)), y);
        assert_eq!(index.offset_of_utf16(pos(0, 1)), "é".len());
        assert_eq!(index.utf16_position(source.len()), pos(2, 0));
        // People still see characters.
        assert_eq!(index.line_col(x), at(1, 3));
    }

    #[test]
    fn a_position_inside_a_surrogate_pair_is_the_character() {
        let source = "a😀b";
        let index = LineIndex::new(source);
        assert_eq!(
            index.offset_of_utf16(pos(0, 2)),
            1,
            "between the halves of 😀"
        );
        assert_eq!(index.offset_of_utf16(pos(0, 3)), 5);
        // And a byte offset inside the emoji is the emoji.
        assert_eq!(index.utf16_position(3), pos(0, 1));
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let source = "ab\r\ncd\ref\n";
        let index = LineIndex::new(source);
        assert_eq!(index.offset_of_utf16(pos(0, 99)), 2, "before the `\\r\\n`");
        assert_eq!(
            index.offset_of_utf16(pos(1, 99)),
            6,
            "before the lone `\\r`"
        );
        assert_eq!(index.offset_of_utf16(pos(2, 99)), 9, "before the `\\n`");
        assert_eq!(
            index.offset_of_utf16(pos(3, 0)),
            source.len(),
            "the empty last line"
        );
        assert_eq!(index.offset_of_utf16(pos(3, 5)), source.len());
        assert_eq!(
            index.offset_of_utf16(pos(99, 0)),
            source.len(),
            "past the last line"
        );
        assert_eq!(index.offset_of_utf16(pos(u32::MAX, u32::MAX)), source.len());
        assert_eq!(index.utf16_position(1000), pos(3, 0));
        let empty = LineIndex::new("");
        assert_eq!(empty.offset_of_utf16(pos(0, 7)), 0);
        assert_eq!(empty.utf16_position(7), pos(0, 0));
    }

    #[test]
    fn crlf_and_lone_cr_end_protocol_lines() {
        let source = "a\r\nb\rc";
        let index = LineIndex::new(source);
        assert_eq!(index.utf16_position(3), pos(1, 0));
        assert_eq!(index.utf16_position(5), pos(2, 0));
        assert_eq!(
            index.utf16_position(1),
            pos(0, 1),
            "the `\\r` is past the line"
        );
        assert_eq!(index.offset_of_utf16(pos(2, 1)), 6);
    }

    #[test]
    fn a_byte_order_mark_is_a_code_unit_for_the_protocol() {
        let source = "\u{FEFF}ab";
        let index = LineIndex::new(source);
        assert_eq!(index.utf16_position(3), pos(0, 1));
        assert_eq!(index.offset_of_utf16(pos(0, 1)), 3);
        assert_eq!(index.line_col(3), at(1, 1), "but not a column for people");
    }

    /// Both directions agree with a naive count at every offset of a text
    /// of multi-byte characters and long lines across many blocks.
    #[test]
    fn protocol_positions_agree_with_a_naive_count_across_blocks() {
        let mut source = String::new();
        for i in 0..6000 {
            source.push_str(match i % 7 {
                0 => "ab",
                1 => "é",
                2 => "😀",
                3 => "中",
                4 if i % 700 == 4 => "\r\n",
                5 if i % 900 == 5 => "\n",
                6 if i % 1100 == 6 => "\r",
                _ => "\u{10FFFF}z",
            });
        }
        let index = LineIndex::new(&source);
        let mut expected = pos(0, 0);
        let mut chars = source.char_indices().peekable();
        let mut previous = None;
        while let Some((offset, ch)) = chars.next() {
            assert_eq!(index.utf16_position(offset), expected, "at offset {offset}");
            // Between the `\r` and the `\n` of a line break is no place
            // on the line: the protocol's position there means its end.
            if !(ch == '\n' && previous == Some('\r')) {
                assert_eq!(index.offset_of_utf16(expected), offset, "at {expected:?}");
            }
            previous = Some(ch);
            if ch.len_utf16() == 2 {
                let inside = pos(expected.line, expected.character + 1);
                assert_eq!(index.offset_of_utf16(inside), offset, "inside at {offset}");
            }
            let lone_cr = ch == '\r' && chars.peek().is_none_or(|&(_, next)| next != '\n');
            if ch == '\n' || lone_cr {
                expected = pos(expected.line + 1, 0);
            } else {
                expected.character += ch.len_utf16() as u32;
            }
        }
        assert_eq!(index.utf16_position(source.len()), expected);
        assert_eq!(index.offset_of_utf16(expected), source.len());
    }

    /// A 10 MB line: a position's offset costs a block, not the line.
    #[test]
    fn huge_single_line_positions_are_cheap() {
        let unit = "😀".to_string() + &"x".repeat(96);
        let source = unit.repeat(10 * 1024 * 1024 / unit.len());
        let index = LineIndex::new(&source);
        for k in 0..20_000u32 {
            // Each unit is 100 bytes and 98 code units.
            let character = k * 500;
            let offset = index.offset_of_utf16(pos(0, character));
            let (units, within) = (character / 98, character % 98);
            let expected = units as usize * 100 + if within == 0 { 0 } else { within as usize + 2 };
            assert_eq!(offset, expected, "at character {character}");
            assert_eq!(index.utf16_position(offset), pos(0, character));
        }
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
