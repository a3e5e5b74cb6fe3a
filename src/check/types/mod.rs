//! The checker's types: interned in an arena and named by `TyId`, so that
//! comparing, copying and storing a type costs an integer.

mod arena;
mod display;
mod explain;
mod relate;
mod resolve;
mod symbols;

pub(crate) use arena::{DefId, Field, Ty, TyId, Types};
pub(crate) use display::write_string_literal;
pub(crate) use resolve::{ResolveCx, Resolver};
