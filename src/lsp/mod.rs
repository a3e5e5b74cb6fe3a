//! The language server: what `flow check` and `flow fmt` know, for an
//! editor, over the Language Server Protocol.
//!
//! `flow lsp` hands [`run`] a connection over stdio; the tests hand it one
//! end of [`lsp_server::Connection::memory`]. The main loop ([`server`])
//! applies every change to a document and publishes its diagnostics at
//! once (it is analyzed again in full: a file of 1,000 lines parses and
//! checks in about 1.5 ms), and hands every request, with a snapshot of
//! the state, to one worker thread ([`worker`]) that answers it, so that
//! no request delays a change's diagnostics. Open documents are in
//! [`documents`]; each request has its own file in [`handlers`]. Positions
//! are converted by the one [`LineIndex`](crate::diagnostics::LineIndex), in
//! UTF-16 code units. Nothing here prints: logs go through `tracing`, which
//! `flow lsp` sends to stderr.

mod capabilities;
mod convert;
mod diagnostics;
pub mod documents;
mod handlers;
mod server;
mod worker;

pub use server::{Ending, run};
