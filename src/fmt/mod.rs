//! The formatter: one canonical layout for `.flow` files.
//!
//! The file is parsed, and the tree printed again with the comments put
//! back where they were (see [`lists`] for which comment goes where). The
//! layout depends on the tree and on few facts about the original text:
//! where the author left blank lines, and whether a bracketed list was
//! written over several lines. So formatting twice changes nothing, and
//! the tree of the output is the tree of the input.
//!
//! Like `syntax` and `check`, this stage is pure: no I/O, no printing.

mod comments;
mod doc;
mod exprs;
mod items;
mod lists;
mod printer;
mod states;
mod strings;
mod types;

use crate::syntax::{self, SyntaxError};

/// The columns a flat group may fill before it breaks.
pub const WIDTH: usize = 100;

/// Spaces per level of indentation.
pub const INDENT: usize = 2;

/// Formats a whole file, or returns its syntax errors: a file that does
/// not parse is not formatted.
pub fn format(source: &str) -> Result<String, Vec<SyntaxError>> {
    let parsed = syntax::parse(source);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut fmt = comments::Fmt::new(source, &parsed.file.comments);
    let doc = fmt.file(&parsed.file);
    Ok(printer::print(&doc, WIDTH, INDENT))
}
