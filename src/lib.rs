//! flow: statically checked workflows for unreliable workers.
//!
//! The pipeline is the architecture: [`syntax`] turns text into an AST,
//! [`check`] proves the rules of the language over it, [`diagnostics`] renders
//! what they found, and [`cli`] is the `flow` command.

// The pest parser is built without its `std` feature (see syntax/parser.rs),
// and its generated code then names `alloc` from the crate root.
extern crate alloc;

pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod document;
pub mod fmt;
pub mod graph;
pub mod ir;
pub mod lsp;
pub mod runtime;
pub mod syntax;
