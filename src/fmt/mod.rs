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
    let mut parsed = syntax::parse(source);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    // The canonical layout has `\n` line breaks and no byte-order mark. A
    // file with others is formatted from its text with them replaced (after
    // the errors, whose spans must be those of the file as read): the
    // layout code then sees one kind of line break only, and the meaning is
    // the same, since a `\r` is a line break like `\n` everywhere outside
    // strings and inside triple-quoted ones.
    let normal;
    let source = match normalise(source) {
        Some(text) => {
            normal = text;
            parsed = syntax::parse(&normal);
            if !parsed.errors.is_empty() {
                return Err(parsed.errors);
            }
            normal.as_str()
        }
        None => source,
    };
    let mut fmt = comments::Fmt::new(source, &parsed.file.comments);
    let doc = fmt.file(&parsed.file);
    Ok(printer::print(&doc, WIDTH, INDENT))
}

/// `source` without a leading byte-order mark and with every `\r\n` and lone
/// `\r` written `\n`, or `None` when it has neither.
fn normalise(source: &str) -> Option<String> {
    let text = source.strip_prefix('\u{FEFF}').unwrap_or(source);
    if text.len() == source.len() && !text.contains('\r') {
        return None;
    }
    Some(text.replace("\r\n", "\n").replace('\r', "\n"))
}
