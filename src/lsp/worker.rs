//! The worker: one thread that answers the requests, so that the main loop
//! never waits for one and a change's diagnostics are published at once.
//!
//! The main loop hands the worker each request with a snapshot of the
//! state as it was when the request came ([`State::snapshot`], a copy of
//! `Arc`s), and the answers it has itself (`initialize`, `shutdown`, the
//! refusals) in their turn; the worker takes them in order and sends each
//! answer through its own clone of the connection's sender. So responses
//! leave in the order of their requests: `shutdown` is answered once every
//! request before it has been. One thread, not a pool: the requests of an
//! editor are about the file on screen and mostly share its analysis
//! (`documents::Version`), which the first of them computes; a second
//! thread would compute the same analysis again or wait for it, and the
//! main loop needs a core of its own for the diagnostics.
//!
//! A request that the client cancels (`$/cancelRequest`) while it waits in
//! the queue is answered with `RequestCanceled` and not run; one that has
//! started is answered as usual, as the protocol allows. A handler that
//! panics is answered with `InternalError` and the worker goes on.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::JoinHandle;

use crossbeam_channel::Sender;
use lsp_server::{ErrorCode, Message, Request, RequestId, Response};

use super::handlers;
use super::server::State;

/// What the worker is handed, in the order the main loop received it.
pub(super) enum Job {
    /// A request, to answer from the state as it was when it came.
    Request(State, Request),
    /// A response the main loop has already, sent in its turn.
    Respond(Response),
}

/// The requests handed to the worker and not yet started, by id, with
/// whether the client has cancelled each meanwhile. An id is forgotten
/// when the worker takes its request, so a cancel that comes later (or for
/// a request that was never made) finds nothing and changes nothing.
type Waiting = Arc<Mutex<HashMap<RequestId, bool>>>;

/// The main loop's handle on the worker thread.
pub(super) struct Worker {
    answerer: Answerer,
    /// `None` when no thread could be started: then the jobs are done on
    /// the main loop, as before there was a worker, rather than not at all.
    thread: Option<Thread>,
}

struct Thread {
    jobs: mpsc::Sender<Job>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Starts the worker, which sends its answers through `sender`.
    pub fn spawn(sender: Sender<Message>) -> Worker {
        let answerer = Answerer {
            sender,
            waiting: Waiting::default(),
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        let theirs = answerer.clone();
        let started = std::thread::Builder::new()
            .name("flow-lsp-worker".into())
            .spawn(move || {
                // Ends when the main loop drops its sender, after every job
                // handed to it before.
                for job in queue {
                    theirs.answer(job);
                }
            });
        let thread = match started {
            Ok(handle) => Some(Thread { jobs, handle }),
            Err(e) => {
                tracing::error!("no worker thread ({e}): requests are answered on the main loop");
                None
            }
        };
        Worker { answerer, thread }
    }

    /// Queues a request, to be answered from `state`.
    pub fn request(&self, state: State, request: Request) {
        self.answerer.waiting().insert(request.id.clone(), false);
        self.submit(Job::Request(state, request));
    }

    /// Queues a response, to be sent once every request before it is
    /// answered.
    pub fn respond(&self, response: Response) {
        self.submit(Job::Respond(response));
    }

    /// Cancels a request, if it is still waiting: it will be answered with
    /// `RequestCanceled`, in its turn.
    pub fn cancel(&self, id: &RequestId) {
        match self.answerer.waiting().get_mut(id) {
            Some(cancelled) => {
                tracing::debug!(?id, "request cancelled");
                *cancelled = true;
            }
            None => tracing::debug!(?id, "cancel of a request not waiting, ignored"),
        }
    }

    fn submit(&self, job: Job) {
        let Some(thread) = &self.thread else {
            return self.answerer.answer(job);
        };
        // The worker never ends before its sender is dropped (it survives
        // its handlers' panics), but should it have, the job is done here
        // rather than left without an answer.
        if let Err(mpsc::SendError(job)) = thread.jobs.send(job) {
            tracing::error!("the worker thread is gone: the request is answered on the main loop");
            self.answerer.answer(job);
        }
    }
}

impl Drop for Worker {
    /// Ends the worker and waits for it: no thread outlives the server,
    /// and the connection's writer, which ends when every sender is gone,
    /// is not kept open. The requests still waiting are cancelled first,
    /// since the session is over and nobody waits for their answers; the
    /// one running is finished.
    fn drop(&mut self) {
        for cancelled in self.answerer.waiting().values_mut() {
            *cancelled = true;
        }
        if let Some(Thread { jobs, handle }) = self.thread.take() {
            drop(jobs);
            if handle.join().is_err() {
                tracing::error!("the worker thread panicked");
            }
        }
    }
}

/// What answers the jobs: on the worker thread, or on the main loop when
/// there is none.
#[derive(Clone)]
struct Answerer {
    sender: Sender<Message>,
    waiting: Waiting,
}

impl Answerer {
    /// The waiting requests. No code panics while it holds the lock, so a
    /// poisoned lock still holds a whole map.
    fn waiting(&self) -> MutexGuard<'_, HashMap<RequestId, bool>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn answer(&self, job: Job) {
        let response = match job {
            Job::Respond(response) => response,
            Job::Request(state, request) => {
                // A request whose id the client used twice while the first
                // waited is not in the map the second time: it runs.
                let cancelled = self.waiting().remove(&request.id).unwrap_or(false);
                if cancelled {
                    Response::new_err(
                        request.id,
                        ErrorCode::RequestCanceled as i32,
                        format!("`{}` was cancelled before it started", request.method),
                    )
                } else {
                    run(&state, request)
                }
            }
        };
        if self.sender.send(response.into()).is_err() {
            tracing::info!("the client is gone: a response could not be sent");
        }
    }
}

/// Answers a request. The router catches a handler's panic; this catches
/// any other, so that the worker never dies of a request.
fn run(state: &State, request: Request) -> Response {
    let id = request.id.clone();
    let method = request.method.clone();
    catch_unwind(AssertUnwindSafe(|| handlers::request(state, request))).unwrap_or_else(|_| {
        tracing::error!(method, "answering the request panicked");
        Response::new_err(
            id,
            ErrorCode::InternalError as i32,
            format!("internal error: the server failed on `{method}`; please report this"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols(id: i32) -> Request {
        Request::new(
            RequestId::from(id),
            "textDocument/documentSymbol".to_string(),
            serde_json::json!({"textDocument": {"uri": "file:///a.flow"}}),
        )
    }

    fn answerer() -> (Answerer, crossbeam_channel::Receiver<Message>) {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let answerer = Answerer {
            sender,
            waiting: Waiting::default(),
        };
        (answerer, receiver)
    }

    fn response(receiver: &crossbeam_channel::Receiver<Message>) -> Response {
        match receiver.try_recv() {
            Ok(Message::Response(response)) => response,
            other => panic!("expected a response, got {other:?}"),
        }
    }

    /// A waiting request that is cancelled is answered with
    /// `RequestCanceled`; one that is not is run; either way its id is
    /// forgotten once it is answered, and a cancel for an id not waiting
    /// leaves nothing behind.
    #[test]
    fn cancelled_requests_are_answered_without_running() {
        let (answerer, receiver) = answerer();
        let worker = Worker {
            answerer: answerer.clone(),
            thread: None,
        };
        answerer.waiting().insert(RequestId::from(1), false);
        answerer.waiting().insert(RequestId::from(2), false);
        worker.cancel(&RequestId::from(2));
        worker.cancel(&RequestId::from(3));
        answerer.answer(Job::Request(State::default(), symbols(1)));
        answerer.answer(Job::Request(State::default(), symbols(2)));
        let first = response(&receiver);
        assert_eq!(first.id, RequestId::from(1));
        let error = first.response_result.expect_err("the document is not open");
        assert_eq!(error.code, ErrorCode::InvalidParams as i32, "it ran");
        let second = response(&receiver);
        assert_eq!(second.id, RequestId::from(2));
        let error = second.response_result.expect_err("cancelled");
        assert_eq!(error.code, ErrorCode::RequestCanceled as i32);
        assert!(answerer.waiting().is_empty());
    }

    /// Without a thread, every job is answered at once, on the caller's.
    #[test]
    fn without_a_thread_jobs_are_done_at_once() {
        let (answerer, receiver) = answerer();
        let worker = Worker {
            answerer,
            thread: None,
        };
        worker.request(State::default(), symbols(1));
        assert_eq!(response(&receiver).id, RequestId::from(1));
        worker.respond(Response::new_ok(RequestId::from(2), ()));
        assert_eq!(response(&receiver).id, RequestId::from(2));
        assert!(worker.answerer.waiting().is_empty());
    }
}
