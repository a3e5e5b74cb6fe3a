//! How the server's main loop and its worker share the work, for
//! `tests/lsp.rs`: a change's diagnostics do not wait for a request, a
//! request cancelled while it waits is not run, `shutdown` is answered
//! after the requests before it, and the worker ends with the server.
//!
//! What these tests assert does not depend on how fast either thread is.
//! Where they must know how far the server got, they talk over a
//! connection whose channels hold no message ([`rendezvous`]): a send
//! returns only once the other side has taken the message, so the server's
//! main loop has read a message, and finished with the one before, when
//! the client's send of it returns; and the worker, which answers one
//! request after the other, cannot start a request while the client has
//! not received the answer to the one before.

use lsp_server::{Connection, ErrorCode, Message, Request, RequestId, Response};
use lsp_types::notification::{
    Cancel, DidChangeTextDocument, DidOpenTextDocument, Exit, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    DocumentSymbolRequest, FoldingRangeRequest, References, Request as _,
    SemanticTokensFullRequest, Shutdown,
};
use lsp_types::{
    CancelParams, DidChangeTextDocumentParams, DidOpenTextDocumentParams, NumberOrString,
    PublishDiagnosticsParams, TextDocumentContentChangeEvent, TextDocumentItem, Uri,
    VersionedTextDocumentIdentifier,
};
use serde_json::{Value, json};

use super::{Client, Ending, generator};

/// The states of the generated document the requests are about (some
/// 1,600 lines): enough that its semantic tokens take a while, a tenth of
/// a second or more in a test build; what the tests assert holds whatever
/// the size.
const STATES: usize = 100;

/// The two ends of a connection whose channels hold no message: the
/// client's, then the server's.
fn rendezvous() -> (Connection, Connection) {
    let (to_server, from_client) = crossbeam_channel::bounded(0);
    let (to_client, from_server) = crossbeam_channel::bounded(0);
    (
        Connection {
            sender: to_server,
            receiver: from_server,
        },
        Connection {
            sender: to_client,
            receiver: from_client,
        },
    )
}

fn uri() -> Uri {
    "file:///generated.flow".parse().expect("a valid URI")
}

impl Client {
    /// Opens the generated document as version 1 and takes its
    /// diagnostics; its text.
    fn open_generated(&self) -> String {
        let text = generator::generate(STATES, 7).source;
        self.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
            text_document: TextDocumentItem {
                uri: uri(),
                language_id: "flow".into(),
                version: 1,
                text: text.clone(),
            },
        });
        let published = self.published();
        assert_eq!(published.version, Some(1));
        text
    }

    /// Sends a request without waiting for its answer; its id.
    fn send_request(&mut self, method: &str, params: Value) -> RequestId {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Request::new(id.clone(), method.to_string(), params).into());
        id
    }

    fn cancel(&self, id: NumberOrString) {
        self.notify::<Cancel>(CancelParams { id });
    }

    /// The next message, which must be a response.
    fn response(&self) -> Response {
        match self.receive() {
            Message::Response(response) => response,
            other => panic!("expected a response, got {other:?}"),
        }
    }
}

fn semantic_tokens() -> (&'static str, Value) {
    (
        SemanticTokensFullRequest::METHOD,
        json!({"textDocument": {"uri": uri()}}),
    )
}

/// The requests an editor sends about the file on screen, the slow ones
/// among them.
fn requests(text: &str) -> Vec<(&'static str, Value)> {
    // The references of the first worker, which every workflow calls.
    let worker = text
        .lines()
        .position(|line| line.starts_with("worker "))
        .expect("the document has a worker");
    let document = json!({"textDocument": {"uri": uri()}});
    vec![
        semantic_tokens(),
        (
            References::METHOD,
            json!({
                "textDocument": {"uri": uri()},
                "position": {"line": worker, "character": 8},
                "context": {"includeDeclaration": true},
            }),
        ),
        (DocumentSymbolRequest::METHOD, document.clone()),
        (FoldingRangeRequest::METHOD, document),
        semantic_tokens(),
    ]
}

/// A change that the main loop takes while the answer to a request before
/// it has not been delivered has its diagnostics published, and the
/// request is answered too.
///
/// The client sends the request, then the change, over a connection that
/// holds no message, without reading anything in between: the send of the
/// change returns once the main loop has read it, while the worker cannot
/// have delivered the request's answer, which nobody has received. A
/// server that handled the request to its end first would be stuck
/// delivering that answer, and the send would fail after the timeout.
/// Which of the two then comes first is the scheduler's choice, so the
/// test takes both in either order.
#[test]
fn a_change_is_published_while_a_request_is_answered() {
    let (client, server) = rendezvous();
    let mut client = Client::over(client, server).initialize();
    let text = client.open_generated();
    let (method, params) = semantic_tokens();
    let id = client.send_request(method, params);
    // Version 2 has a workflow more, with a name that is not defined.
    let changed =
        format!("{text}\nworkflow extra() -> string {{\n  succeed done = nowhere_at_all\n}}\n");
    client.notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
        text_document: VersionedTextDocumentIdentifier {
            uri: uri(),
            version: 2,
        },
        content_changes: vec![TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: changed,
        }],
    });
    let mut response = None;
    let mut published = None;
    for _ in 0..2 {
        match client.receive() {
            Message::Response(r) => assert!(response.replace(r).is_none(), "one response"),
            Message::Notification(n) if n.method == PublishDiagnostics::METHOD => {
                let params: PublishDiagnosticsParams =
                    serde_json::from_value(n.params).expect("publishDiagnostics has its shape");
                assert!(published.replace(params).is_none(), "one publication");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let response = response.expect("the request is answered");
    assert_eq!(response.id, id);
    let tokens = response.response_result.expect("semantic tokens");
    assert!(
        tokens["data"]
            .as_array()
            .is_some_and(|data| !data.is_empty()),
        "the tokens of version 1: {tokens}"
    );
    let published = published.expect("the change is published");
    assert_eq!(published.version, Some(2));
    assert!(
        published
            .diagnostics
            .iter()
            .any(|d| d.message.contains("nowhere_at_all")),
        "{:?}",
        published.diagnostics
    );
    client.finish();
}

/// A request that the client cancels while it waits behind another is
/// answered with `RequestCanceled` and not run; a cancel for a request that
/// is not waiting (answered already, or never sent) changes nothing; the
/// worker goes on.
///
/// Over a connection that holds no message, the worker cannot take the
/// cancelled request before the client has received the answer to the one
/// before it, and the client receives nothing before the main loop has
/// read the cancel and the message after it (another cancel, for an id
/// never used), which tells that it has finished with the cancel.
#[test]
fn a_cancelled_request_that_waits_is_not_run() {
    let (client, server) = rendezvous();
    let mut client = Client::over(client, server).initialize();
    let _ = client.open_generated();
    let (method, params) = semantic_tokens();
    let first = client.send_request(method, params.clone());
    // A string id, as some clients use.
    let waiting = RequestId::from("waiting".to_string());
    client.send(Request::new(waiting.clone(), method.to_string(), params.clone()).into());
    client.cancel(NumberOrString::String("waiting".into()));
    client.cancel(NumberOrString::Number(999));

    let answer = client.response();
    assert_eq!(answer.id, first);
    assert!(answer.response_result.is_ok(), "{answer:?}");
    let cancelled = client.response();
    assert_eq!(cancelled.id, waiting);
    let error = cancelled.response_result.expect_err("cancelled");
    assert_eq!(error.code, ErrorCode::RequestCanceled as i32, "{error:?}");

    // The first request is answered: cancelling it now does nothing, and
    // the same id is a new request again.
    client.cancel(NumberOrString::String("waiting".into()));
    client.send(Request::new(waiting.clone(), method.to_string(), params).into());
    let again = client.response();
    assert_eq!(again.id, waiting);
    assert!(again.response_result.is_ok(), "{again:?}");
    client.finish();
}

/// `shutdown` is answered after every request sent before it, and the
/// requests in the order they came.
#[test]
fn shutdown_is_answered_after_the_requests_before_it() {
    let mut client = Client::initialized();
    let text = client.open_generated();
    let mut ids: Vec<RequestId> = requests(&text)
        .into_iter()
        .map(|(method, params)| client.send_request(method, params))
        .collect();
    let shutdown = client.send_request(Shutdown::METHOD, Value::Null);
    ids.push(shutdown.clone());
    let answered: Vec<Response> = ids.iter().map(|_| client.response()).collect();
    let order: Vec<&RequestId> = answered.iter().map(|r| &r.id).collect();
    assert_eq!(order, ids.iter().collect::<Vec<_>>());
    for response in &answered {
        assert!(response.response_result.is_ok(), "{response:?}");
    }
    let last = answered.last().map(|r| &r.response_result);
    assert!(matches!(last, Some(Ok(Value::Null))), "{last:?}");
    client.notify::<Exit>(());
    assert_eq!(client.join(), Ending::Exit);
}

/// The server's thread ends only once its worker has: after `exit`, with
/// requests still waiting, every request has been answered (run, or
/// cancelled because the session is over) by the time the server's thread
/// ends, and no sender of the connection is left (`Client::end` checks).
#[test]
fn the_worker_ends_with_the_server() {
    let mut client = Client::initialized();
    let text = client.open_generated();
    let ids: Vec<RequestId> = requests(&text)
        .into_iter()
        .chain(requests(&text))
        .map(|(method, params)| client.send_request(method, params))
        .collect();
    client.notify::<Exit>(());
    let (ending, left) = client.end();
    assert_eq!(ending, Ending::ExitWithoutShutdown);
    let answered: Vec<RequestId> = left
        .into_iter()
        .map(|message| match message {
            Message::Response(response) => {
                if let Err(error) = &response.response_result {
                    assert_eq!(error.code, ErrorCode::RequestCanceled as i32, "{error:?}");
                }
                response.id
            }
            other => panic!("expected a response, got {other:?}"),
        })
        .collect();
    assert_eq!(answered, ids, "each request answered once, in order");
}
