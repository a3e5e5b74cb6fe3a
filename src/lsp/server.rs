//! The main loop: the lifecycle of the protocol (`initialize`, `shutdown`,
//! `exit`) and every other message routed to its handler.
//!
//! The loop is synchronous: a message is handled to its end, and its
//! answer and notifications sent, before the next is read.

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{ClientCapabilities, InitializeParams, notification, request};

use super::capabilities;
use super::documents::Documents;
use super::handlers;

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
    pub client: ClientCapabilities,
    outbox: Vec<Notification>,
}

impl State {
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
    let mut state = State::default();
    let mut phase = Phase::Starting;
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                let response = match phase {
                    Phase::Starting => starting(&mut state, &mut phase, request),
                    Phase::Running if request.method == request::Shutdown::METHOD => {
                        phase = Phase::ShutDown;
                        tracing::info!("shutdown requested");
                        Response::new_ok(request.id, ())
                    }
                    Phase::Running if request.method == request::Initialize::METHOD => error(
                        request,
                        ErrorCode::InvalidRequest,
                        "the server is already initialized",
                    ),
                    Phase::Running => handlers::request(&state, request),
                    Phase::ShutDown => error(
                        request,
                        ErrorCode::InvalidRequest,
                        "the server is shut down: only `exit` is expected now",
                    ),
                };
                if send(connection, response.into()).is_err() {
                    break;
                }
            }
            Message::Notification(notification) => {
                if notification.method == notification::Exit::METHOD {
                    tracing::info!("exit");
                    return if phase == Phase::ShutDown {
                        Ending::Exit
                    } else {
                        Ending::ExitWithoutShutdown
                    };
                }
                // Before `initialize` and after `shutdown`, notifications
                // other than `exit` are dropped, as the protocol says.
                if phase == Phase::Running {
                    handlers::notification(&mut state, notification);
                }
            }
            // The server sends no requests, so it expects no responses.
            Message::Response(response) => {
                tracing::debug!(id = ?response.id, "unexpected response ignored");
            }
        }
        for notification in std::mem::take(&mut state.outbox) {
            if send(connection, notification.into()).is_err() {
                break;
            }
        }
    }
    tracing::info!("the client closed the connection");
    Ending::Disconnected {
        shut_down: phase == Phase::ShutDown,
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
            state.client = params.capabilities;
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
