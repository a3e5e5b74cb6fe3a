//! The main loop: the lifecycle of the protocol (`initialize`, `shutdown`,
//! `exit`), the document notifications, and every request handed to the
//! worker.
//!
//! The loop runs on the thread that calls [`run`] and never waits for a
//! request: it applies each `didOpen`, `didChange` and `didClose` and
//! publishes the diagnostics of the new version before it reads the next
//! message, and hands each request, with a snapshot of the state, to the
//! one [`Worker`] thread, which answers it and sends the answer itself. So
//! a slow request (the references or semantic tokens of a long file) never
//! delays the diagnostics of the change after it. The loop's own answers
//! (`initialize`, `shutdown`, the refusals) go through the worker's queue
//! too, so that responses leave in the order of their requests; a
//! `$/cancelRequest` cancels a request still in that queue. When the
//! session ends, the worker is ended and joined before [`run`] returns.

use std::sync::Arc;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CancelParams, ClientCapabilities, InitializeParams, NumberOrString, notification, request,
};

use super::capabilities;
use super::documents::Documents;
use super::handlers;
use super::worker::Worker;

/// How the server's session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `exit` after `shutdown`, as the protocol asks: exit status 0.
    Exit,
    /// `exit` without `shutdown` first: exit status 1, as the protocol says.
    ExitWithoutShutdown,
    /// The client closed the connection without `exit`; `shut_down` says
    /// whether it had asked for `shutdown` (then the session ended as it
    /// wished, status 0; else 1).
    Disconnected { shut_down: bool },
}

impl Ending {
    /// Whether the session ended as the protocol asks.
    pub fn is_clean(self) -> bool {
        matches!(
            self,
            Ending::Exit | Ending::Disconnected { shut_down: true }
        )
    }
}

/// What the handlers share: the open documents, what the client can do, and
/// the notifications to send once the current message is handled.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub documents: Documents,
    pub client: Arc<ClientCapabilities>,
    outbox: Vec<Notification>,
}

impl State {
    /// What a request is answered from: the documents and the client as
    /// they are now, sharing every version with this state (a copy of
    /// `Arc`s), so that the main loop may go on changing its own.
    pub fn snapshot(&self) -> State {
        State {
            documents: self.documents.clone(),
            client: Arc::clone(&self.client),
            outbox: Vec::new(),
        }
    }

    /// Queues a notification to the client.
    pub fn notify<N: lsp_types::notification::Notification>(&mut self, params: N::Params) {
        self.outbox
            .push(Notification::new(N::METHOD.to_string(), params));
    }
}

/// Where the session is in the protocol's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for `initialize`.
    Starting,
    Running,
    /// `shutdown` answered: waiting for `exit`.
    ShutDown,
}

/// Serves one client on `connection` until it exits or goes away.
pub fn run(connection: &Connection) -> Ending {
    let worker = Worker::spawn(connection.sender.clone());
    let ending = serve(connection, &worker);
    // Cancels what still waits, ends the worker and joins it.
    drop(worker);
    ending
}

fn serve(connection: &Connection, worker: &Worker) -> Ending {
    let mut state = State::default();
    let mut phase = Phase::Starting;
    for message in &connection.receiver {
        match message {
            Message::Request(request) => match phase {
                Phase::Starting => worker.respond(starting(&mut state, &mut phase, request)),
                Phase::Running if request.method == request::Shutdown::METHOD => {
                    phase = Phase::ShutDown;
                    tracing::info!("shutdown requested");
                    // Answered once every request before it is.
                    worker.respond(Response::new_ok(request.id, ()));
                }
                Phase::Running if request.method == request::Initialize::METHOD => {
                    worker.respond(error(
                        request,
                        ErrorCode::InvalidRequest,
                        "the server is already initialized",
                    ));
                }
                Phase::Running => worker.request(state.snapshot(), request),
                Phase::ShutDown => worker.respond(error(
                    request,
                    ErrorCode::InvalidRequest,
                    "the server is shut down: only `exit` is expected now",
                )),
            },
            Message::Notification(notification) => {
                if notification.method == notification::Exit::METHOD {
                    tracing::info!("exit");
                    return if phase == Phase::ShutDown {
                        Ending::Exit
                    } else {
                        Ending::ExitWithoutShutdown
                    };
                }
                if notification.method == notification::Cancel::METHOD {
                    // Before `initialize` no request waits, so there is
                    // nothing to cancel; after `shutdown`, one may still.
                    cancel(worker, notification);
                } else if phase == Phase::Running {
                    // Before `initialize` and after `shutdown`, the other
                    // notifications are dropped, as the protocol says.
                    handlers::notification(&mut state, notification);
                }
            }
            // The server sends no requests, so it expects no responses.
            Message::Response(response) => {
                tracing::debug!(id = ?response.id, "unexpected response ignored");
            }
        }
        // The diagnostics of a change are sent now, whatever requests wait.
        for notification in std::mem::take(&mut state.outbox) {
            if send(connection, notification.into()).is_err() {
                return Ending::Disconnected {
                    shut_down: phase == Phase::ShutDown,
                };
            }
        }
    }
    tracing::info!("the client closed the connection");
    Ending::Disconnected {
        shut_down: phase == Phase::ShutDown,
    }
}

/// `$/cancelRequest`: the request is answered with `RequestCanceled` if it
/// has not started yet; else its answer comes as usual.
fn cancel(worker: &Worker, notification: Notification) {
    match serde_json::from_value::<CancelParams>(notification.params) {
        Ok(params) => worker.cancel(&match params.id {
            NumberOrString::Number(n) => RequestId::from(n),
            NumberOrString::String(s) => RequestId::from(s),
        }),
        Err(e) => tracing::warn!("`$/cancelRequest` ignored, its parameters are not valid: {e}"),
    }
}

/// A request before `initialize`: only `initialize` is answered.
fn starting(state: &mut State, phase: &mut Phase, request: Request) -> Response {
    if request.method != request::Initialize::METHOD {
        return error(
            request,
            ErrorCode::ServerNotInitialized,
            "the server is not initialized: send `initialize` first",
        );
    }
    match serde_json::from_value::<InitializeParams>(request.params) {
        Ok(params) => {
            state.client = Arc::new(params.capabilities);
            *phase = Phase::Running;
            tracing::info!(
                client = params.client_info.as_ref().map(|c| c.name.as_str()),
                "initialized"
            );
            Response::new_ok(request.id, capabilities::initialize_result())
        }
        Err(e) => Response::new_err(
            request.id,
            ErrorCode::InvalidParams as i32,
            format!("the parameters of `initialize` are not valid: {e}"),
        ),
    }
}

fn error(request: Request, code: ErrorCode, message: &str) -> Response {
    Response::new_err(request.id, code as i32, message.to_string())
}

/// Sends a message; an error means the client is gone.
fn send(connection: &Connection, message: Message) -> Result<(), ()> {
    connection.sender.send(message).map_err(|_| {
        tracing::info!("the client is gone: a message could not be sent");
    })
}
