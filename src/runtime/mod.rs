//! The runtime: executes a checked program (`crate::ir`) on tokio.
//!
//! It never sees the AST. The decisions of a run are the `machine`, a
//! sans-IO state machine; a `driver` carries out its commands with the
//! `executor`s; `engine` is the public face (`run`, `run_until`, the
//! events and the run's state).

pub mod driver;
pub mod engine;
pub mod eval;
pub mod executor;
pub mod machine;
mod pure;
pub mod schema;
pub mod store;
pub mod validate;
