//! The runtime: executes a checked program (`crate::ir`) on tokio.
//!
//! It never sees the AST. Issue 3 builds it piece by piece; the executors
//! come first, each in a module of its own behind one small interface.

pub mod engine;
pub mod eval;
pub mod executor;
pub mod schema;
pub mod store;
pub mod validate;
