//! The syntax stage: source text to AST.
//!
//! `grammar/flow.pest` describes the concrete syntax; [`lower`] is the only
//! module that sees pest's pairs and turns them into the [`ast`]. The stage is
//! pure: no I/O, no printing.

pub mod ast;
mod error;
mod lower;
mod parser;
mod span;
mod trivia;

pub use error::SyntaxError;
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
    lower::parse(source)
}

#[cfg(test)]
mod tests;
