//! One handler per request, and the tables that route each message to its
//! handler by method.
//!
//! A request handler is a function `fn(&State, R::Params) ->
//! Result<R::Result>` for an [`lsp_types::request::Request`] `R`; adding
//! one is a file here and one line in [`request`] (and its capability in
//! `capabilities.rs`). Parameters that do not parse are answered with
//! `InvalidParams` and the handler is not called; a handler that panics
//! is answered with `InternalError` and the server goes on.

mod code_action;
mod document_symbol;
mod folding_range;
mod formatting;
mod sync;

use std::panic::{AssertUnwindSafe, catch_unwind};

use lsp_server::{ErrorCode, Notification, Request, Response};
use lsp_types::{Uri, notification, request as req};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::documents::OpenDocument;
use super::server::State;

/// Every request the server answers, by method.
pub(super) fn request(state: &State, request: Request) -> Response {
    Requests::new(state, request)
        .on::<req::Formatting>(formatting::handle)
        .on::<req::DocumentSymbolRequest>(document_symbol::handle)
        .on::<req::FoldingRangeRequest>(folding_range::handle)
        .on::<req::CodeActionRequest>(code_action::handle)
        .finish()
}

/// Every notification the server acts on, by method; others are ignored.
pub(super) fn notification(state: &mut State, notification: Notification) {
    Notifications::new(state, notification)
        .on::<notification::DidOpenTextDocument>(sync::did_open)
        .on::<notification::DidChangeTextDocument>(sync::did_change)
        .on::<notification::DidCloseTextDocument>(sync::did_close)
        .finish();
}

/// An error answered to a request.
#[derive(Debug)]
pub(crate) struct Error {
    pub code: ErrorCode,
    pub message: String,
}

pub(crate) type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Error {
            code: ErrorCode::InvalidParams,
            message: message.into(),
        }
    }
}

/// The open document a request is about, or the error that says it is not
/// open.
pub(crate) fn document<'a>(state: &'a State, uri: &Uri) -> Result<&'a OpenDocument> {
    state.documents.get(uri).ok_or_else(|| {
        Error::invalid_params(format!(
            "the document `{}` is not open: send `textDocument/didOpen` first",
            uri.as_str()
        ))
    })
}

/// A request on its way through [`request`]'s table: answered by the first
/// handler whose method it has, with `MethodNotFound` by none.
struct Requests<'a> {
    state: &'a State,
    /// The request while no handler has taken it, then the answer.
    routing: std::result::Result<Response, Request>,
}

impl<'a> Requests<'a> {
    fn new(state: &'a State, request: Request) -> Self {
        Requests {
            state,
            routing: Err(request),
        }
    }

    fn on<R>(mut self, handler: fn(&State, R::Params) -> Result<R::Result>) -> Self
    where
        R: req::Request,
        R::Params: DeserializeOwned,
        R::Result: Serialize,
    {
        let request = match self.routing {
            Err(request) if request.method == R::METHOD => request,
            routing => {
                self.routing = routing;
                return self;
            }
        };
        let id = request.id.clone();
        let params = match serde_json::from_value::<R::Params>(request.params) {
            Ok(params) => params,
            Err(e) => {
                self.routing = Ok(Response::new_err(
                    id,
                    ErrorCode::InvalidParams as i32,
                    format!("the parameters of `{}` are not valid: {e}", R::METHOD),
                ));
                return self;
            }
        };
        let state = self.state;
        // The handler only reads the state, so a panic cannot leave it
        // half changed.
        let outcome = catch_unwind(AssertUnwindSafe(|| handler(state, params)));
        self.routing = Ok(match outcome {
            Ok(Ok(result)) => Response::new_ok(id, result),
            Ok(Err(error)) => Response::new_err(id, error.code as i32, error.message),
            Err(panic) => {
                let why = panic_message(&*panic);
                tracing::error!(method = R::METHOD, "the handler panicked: {why}");
                Response::new_err(
                    id,
                    ErrorCode::InternalError as i32,
                    format!(
                        "internal error: the server failed on `{}` ({why}); please report this \
                         with the file",
                        R::METHOD
                    ),
                )
            }
        });
        self
    }

    fn finish(self) -> Response {
        self.routing.unwrap_or_else(|request| {
            Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!(
                    "the flow language server has no method `{}`",
                    request.method
                ),
            )
        })
    }
}

/// A notification on its way through [`notification`]'s table.
struct Notifications<'a> {
    state: &'a mut State,
    notification: Option<Notification>,
}

impl<'a> Notifications<'a> {
    fn new(state: &'a mut State, notification: Notification) -> Self {
        Notifications {
            state,
            notification: Some(notification),
        }
    }

    fn on<N>(mut self, handler: fn(&mut State, N::Params)) -> Self
    where
        N: notification::Notification,
        N::Params: DeserializeOwned,
    {
        let Some(notification) = self.notification.take_if(|n| n.method == N::METHOD) else {
            return self;
        };
        // A notification has no answer: bad parameters are logged.
        let params = match serde_json::from_value::<N::Params>(notification.params) {
            Ok(params) => params,
            Err(e) => {
                tracing::warn!(
                    method = N::METHOD,
                    "ignored, its parameters are not valid: {e}"
                );
                return self;
            }
        };
        let state = &mut *self.state;
        // Handlers change the state only once their work is done (a
        // document is analyzed before it replaces the last version), so a
        // panic leaves it as it was.
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| handler(state, params))) {
            tracing::error!(
                method = N::METHOD,
                "the handler panicked: {}",
                panic_message(&*panic)
            );
        }
        self
    }

    fn finish(self) {
        if let Some(notification) = self.notification {
            tracing::debug!(method = notification.method, "notification ignored");
        }
    }
}

/// The message a panic was raised with.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "no message".to_string()
    }
}
