//! `parallel` and `map` states: several calls at once, at most
//! `max_concurrency` of them running, the first failure cancelling the
//! rest (their futures are dropped, which kills their processes).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::call::{self, Failed, Names};
use super::context::{Ctx, Pure};
use super::events::{Event, EventKind, EventSink};
use crate::ir::{Branch, Call, Expr, FailureClass};
use crate::runtime::eval::{self, Scope};

/// Runs every branch; the value is the record of their values.
pub(super) async fn parallel<S: EventSink>(
    cx: &Ctx<'_, S>,
    names: Names<'_>,
    name: &Arc<str>,
    branches: &[Branch],
    max_concurrency: Option<u32>,
    visit: u32,
) -> Result<Arc<Value>, Failed> {
    cx.emit(Event::of_step(EventKind::StepStarted, name, None))
        .await;
    let gate = gate(max_concurrency, branches.len());
    let labels: Vec<Arc<str>> = branches
        .iter()
        .map(|b| Arc::from(format!("{name}.{}", b.name)))
        .collect();
    let started = flags(branches.len());
    let calls = branches
        .iter()
        .zip(&labels)
        .zip(&started)
        .map(|((branch, label), started)| {
            let gate = &gate;
            async move {
                let _permit = gate.acquire().await.map_err(closed)?;
                started.store(true, Ordering::Relaxed);
                call::run(cx, label, &branch.call, names, visit)
                    .await
                    .map_err(|f| within(f, &format!("branch `{}`", branch.name)))
            }
        });
    let result = match first_failure(calls.collect()).await {
        Ok(values) => {
            let record: Map<String, Value> = branches
                .iter()
                .map(|b| b.name.clone())
                .zip(values.into_iter().map(Arc::unwrap_or_clone))
                .collect();
            Ok(Value::Object(record))
        }
        Err(stopped) => {
            let cause = branches
                .get(stopped.failed)
                .map_or_else(String::new, |b| format!("branch `{}`", b.name));
            for i in stopped.unfinished {
                if started[i].load(Ordering::Relaxed) {
                    cancelled(cx, &labels[i], &cause).await;
                }
            }
            Err(stopped.failure)
        }
    };
    report(cx, name, result).await
}

/// Runs the call once per element of the list; the value is the list of
/// results in input order.
pub(super) async fn map<S: EventSink>(
    cx: &Ctx<'_, S>,
    names: Names<'_>,
    name: &Arc<str>,
    call: &Call,
    list: &Expr,
    max_concurrency: u32,
    visit: u32,
) -> Result<Arc<Value>, Failed> {
    cx.emit(Event::of_step(EventKind::StepStarted, name, None))
        .await;
    let items = {
        let pure = Pure(cx.program);
        let scope = Scope {
            params: names.params,
            states: names.states,
            item: None,
            error: names.error,
            transformers: &pure,
        };
        match eval::eval(list, &scope) {
            Ok(Value::Array(items)) => items,
            Ok(Value::Null) => Vec::new(),
            Ok(other) => {
                let message = format!("the list of map state `{name}` is not a list: {other}");
                return report(cx, name, Err(worker_failure(message))).await;
            }
            Err(e) => {
                let message = format!("the list of map state `{name}`: {e}");
                return report(cx, name, Err(worker_failure(message))).await;
            }
        }
    };
    let gate = gate(Some(max_concurrency), items.len());
    let started = flags(items.len());
    let calls = items
        .iter()
        .zip(&started)
        .enumerate()
        .map(|(i, (item, started))| {
            let gate = &gate;
            async move {
                let _permit = gate.acquire().await.map_err(closed)?;
                started.store(true, Ordering::Relaxed);
                let names = Names {
                    item: Some(item),
                    ..names
                };
                call::run(cx, &item_label(name, i), call, names, visit)
                    .await
                    .map_err(|f| within(f, &format!("item {i}")))
            }
        });
    let result = match first_failure(calls.collect()).await {
        Ok(values) => Ok(Value::Array(
            values.into_iter().map(Arc::unwrap_or_clone).collect(),
        )),
        Err(stopped) => {
            let cause = format!("item {}", stopped.failed);
            for i in stopped.unfinished {
                if started[i].load(Ordering::Relaxed) {
                    cancelled(cx, &item_label(name, i), &cause).await;
                }
            }
            Err(stopped.failure)
        }
    };
    report(cx, name, result).await
}

/// `state[3]`.
fn item_label(name: &str, i: usize) -> Arc<str> {
    Arc::from(format!("{name}[{i}]"))
}

/// One flag per call: whether it got its turn (its permit), so that a call
/// still waiting for one when the state fails is not reported as stopped.
fn flags(n: usize) -> Vec<AtomicBool> {
    (0..n).map(|_| AtomicBool::new(false)).collect()
}

/// The end of a branch or item stopped because `cause` failed.
async fn cancelled<S: EventSink>(cx: &Ctx<'_, S>, label: &Arc<str>, cause: &str) {
    let mut event = Event::of_step(EventKind::StepCancelled, label, None);
    event.message = Some(format!("cancelled because {cause} failed"));
    cx.emit(event).await;
}

fn worker_failure(message: String) -> Failed {
    Failed {
        class: FailureClass::Worker,
        message,
        attempts: 0,
    }
}

/// The semaphore is never closed; this is only for the type.
fn closed(_: tokio::sync::AcquireError) -> Failed {
    worker_failure("the concurrency limit of the state was closed".to_owned())
}

fn within(mut failed: Failed, what: &str) -> Failed {
    failed.message = format!("{what}: {}", failed.message);
    failed
}

/// At most `max` calls at once; no bound (beyond the number of calls) when
/// the state sets none.
fn gate(max: Option<u32>, calls: usize) -> Semaphore {
    let permits = max
        .map_or(calls, |m| m as usize)
        .clamp(1, Semaphore::MAX_PERMITS);
    Semaphore::new(permits)
}

/// Emits the state's own outcome, after those of its calls.
async fn report<S: EventSink>(
    cx: &Ctx<'_, S>,
    name: &Arc<str>,
    result: Result<Value, Failed>,
) -> Result<Arc<Value>, Failed> {
    let result = result.map(Arc::new);
    match &result {
        Ok(value) => {
            let mut event = Event::of_step(EventKind::StepSucceeded, name, None);
            event.output = Some(value.clone());
            cx.emit(event).await;
        }
        Err(failed) => {
            let mut event = Event::of_step(EventKind::StepFailed, name, None);
            event.class = Some(failed.class);
            event.message = Some(failed.message.clone());
            cx.emit(event).await;
        }
    }
    result
}

/// How a fan-out stopped: the first failure, the index of the call that
/// failed, and those that had not finished (and were dropped).
struct Stopped {
    failure: Failed,
    failed: usize,
    unfinished: Vec<usize>,
}

/// Drives the futures together and returns their values in order, or the
/// first failure, dropping (and so cancelling) those still running.
async fn first_failure<T, F>(futures: Vec<F>) -> Result<Vec<T>, Stopped>
where
    F: Future<Output = Result<T, Failed>>,
{
    let mut futures: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut done: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    let outcome = poll_fn(|task| {
        let mut pending = false;
        for (i, (future, slot)) in futures.iter_mut().zip(done.iter_mut()).enumerate() {
            let Some(running) = future else {
                continue;
            };
            match running.as_mut().poll(task) {
                Poll::Ready(Ok(value)) => {
                    *slot = Some(value);
                    *future = None;
                }
                Poll::Ready(Err(failed)) => {
                    *future = None;
                    return Poll::Ready(Err((failed, i)));
                }
                Poll::Pending => pending = true,
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
    .await;
    match outcome {
        Ok(()) => Ok(done.into_iter().flatten().collect()),
        Err((failure, failed)) => {
            let unfinished = futures
                .iter()
                .enumerate()
                .filter_map(|(i, f)| f.is_some().then_some(i))
                .collect();
            // Dropped here, before the cancellations are reported, so that
            // what they started is already being stopped.
            drop(futures);
            Err(Stopped {
                failure,
                failed,
                unfinished,
            })
        }
    }
}
