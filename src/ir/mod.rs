//! The checked program: what the checker proves and the runtime executes.
//!
//! The runtime sees only this module, never the AST. It grows with the
//! runtime (issue 3); today it holds the vocabulary that the checker and the
//! runtime share.

mod builtin;
mod env_names;
mod expr;
mod failure;
mod ids;
mod program;
mod types;

pub use builtin::BuiltinWorker;
pub use env_names::{EnvRead, Reader};
pub use expr::{BinaryOp, Builtin, Expr, Part};
pub use failure::FailureClass;
pub use ids::{StateId, TransformerId, WorkerId, WorkflowId};
pub use program::{
    Backoff, Branch, Call, CallSettings, DEFAULT_HTTP_TIMEOUT, DEFAULT_LLM_TIMEOUT,
    DEFAULT_MAP_CONCURRENCY, DEFAULT_MAX_OUTPUT, DEFAULT_MAX_RETRY_AFTER, Executor, HttpMethod,
    Param, Program, State, StateKind, Transformer, TransformerBody, Transition, Worker, Workflow,
};
pub use types::{Field, Shown, Type, TypeId, Types};
