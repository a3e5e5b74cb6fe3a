//! The syntax stage: source text to AST.
//!
//! `grammar/flow.pest` describes the concrete syntax; [`lower`] is the only
//! module that sees pest's pairs and turns them into the [`ast`]. The stage is
//! pure: no I/O, no printing.

use std::num::NonZeroUsize;

pub mod ast;
mod error;
mod lower;
mod parser;
mod span;
mod trivia;

pub use error::SyntaxError;
/// The parser refuses a text of this many bytes or more
/// ([`SyntaxError::FileTooLarge`]): spans are `u32` offsets.
pub use lower::MAX_SOURCE_LEN;
pub use span::Span;

/// The result of parsing one file.
///
/// When there are syntax errors, `file` holds the items that did parse, so
/// that an editor can still offer what it can; the checker should not be run
/// on it, since names defined in the broken items would be missing.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub file: ast::File,
    pub errors: Vec<SyntaxError>,
}

/// Parses a whole file, reporting every syntax error it can find.
pub fn parse(source: &str) -> Parsed {
    parse_on_threads(source, NonZeroUsize::MIN)
}

/// [`parse`] on up to `threads` threads: a large file is cut at lines that
/// start items and its pieces are parsed at the same time. The result is
/// the same as [`parse`]'s, however many threads there are; a file under
/// a megabyte is parsed on one.
pub fn parse_on_threads(source: &str, threads: NonZeroUsize) -> Parsed {
    lower::parse(
        source,
        lower::Split {
            threads,
            spacing: trivia::CUT_SPACING,
        },
    )
}

#[cfg(test)]
mod tests;
