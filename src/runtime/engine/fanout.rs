//! `parallel` and `map` states: several calls at once, at most
//! `max_concurrency` of them running, the first failure cancelling the
//! rest (their futures are dropped, which kills their processes).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
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
    name: &str,
    branches: &[Branch],
    max_concurrency: Option<u32>,
    visit: u32,
) -> Result<Arc<Value>, Failed> {
    let gate = gate(max_concurrency, branches.len());
    let labels: Vec<Arc<str>> = branches
        .iter()
        .map(|b| Arc::from(format!("{name}.{}", b.name)))
        .collect();
    let calls = branches.iter().zip(&labels).map(|(branch, label)| {
        let gate = &gate;
        async move {
            let _permit = gate.acquire().await.map_err(closed)?;
            call::run(cx, label, &branch.call, names, visit)
                .await
                .map_err(|f| within(f, &format!("branch `{}`", branch.name)))
        }
    });
    let result = first_failure(calls.collect()).await.map(|values| {
        let record: Map<String, Value> = branches
            .iter()
            .map(|b| b.name.clone())
            .zip(values.into_iter().map(Arc::unwrap_or_clone))
            .collect();
        Value::Object(record)
    });
    report(cx, name, result).await
}

/// Runs the call once per element of the list; the value is the list of
/// results in input order.
pub(super) async fn map<S: EventSink>(
    cx: &Ctx<'_, S>,
    names: Names<'_>,
    name: &str,
    call: &Call,
    list: &Expr,
    max_concurrency: u32,
    visit: u32,
) -> Result<Arc<Value>, Failed> {
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
    let calls = items.iter().enumerate().map(|(i, item)| {
        let gate = &gate;
        async move {
            let _permit = gate.acquire().await.map_err(closed)?;
            let names = Names {
                item: Some(item),
                ..names
            };
            call::run(cx, &Arc::from(format!("{name}[{i}]")), call, names, visit)
                .await
                .map_err(|f| within(f, &format!("item {i}")))
        }
    });
    let result = first_failure(calls.collect())
        .await
        .map(|values| Value::Array(values.into_iter().map(Arc::unwrap_or_clone).collect()));
    report(cx, name, result).await
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
    name: &str,
    result: Result<Value, Failed>,
) -> Result<Arc<Value>, Failed> {
    let result = result.map(Arc::new);
    match &result {
        Ok(value) => {
            let mut event = Event::new(EventKind::StepSucceeded).step(name);
            event.output = Some(value.clone());
            cx.emit(event).await;
        }
        Err(failed) => {
            let mut event = Event::new(EventKind::StepFailed).step(name);
            event.class = Some(failed.class);
            event.message = Some(failed.message.clone());
            cx.emit(event).await;
        }
    }
    result
}

/// Drives the futures together and returns their values in order, or the
/// first failure, dropping (and so cancelling) those still running.
async fn first_failure<T, F>(futures: Vec<F>) -> Result<Vec<T>, Failed>
where
    F: Future<Output = Result<T, Failed>>,
{
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    poll_fn(|task| {
        let mut pending = false;
        for (future, slot) in futures.iter_mut().zip(done.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            match future.as_mut().poll(task) {
                Poll::Ready(Ok(value)) => *slot = Some(value),
                Poll::Ready(Err(failed)) => return Poll::Ready(Err(failed)),
                Poll::Pending => pending = true,
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
    .await?;
    Ok(done.into_iter().flatten().collect())
}
