//! Worker `concurrency`: at most that many calls of a worker at once across
//! everything running in the process — the branches of a parallel state,
//! the items of a map, and every run that shares the same [`Limits`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::ir::Worker;

/// The semaphores of the workers that declare `concurrency`, one per
/// worker name, made on first use with that worker's bound.
///
/// A `Limits` is cheap to clone (clones share the semaphores). To bound a
/// worker across several runs, make one `Limits` per process (or per
/// [`Program`](crate::ir::Program)) and put a clone of it in the
/// [`RunOptions`](super::RunOptions) of every run; the default is a fresh
/// one, which bounds the calls of a single run only. Workers are told
/// apart by name, so share one `Limits` only between runs of the same
/// program (or of programs that agree on what each worker name means).
#[derive(Debug, Clone, Default)]
pub struct Limits {
    gates: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Limits {
    pub fn new() -> Self {
        Limits::default()
    }

    /// Waits for a free slot of `worker` and holds it until the returned
    /// permit is dropped; `None` (at once) when the worker has no bound.
    pub(crate) async fn acquire(&self, worker: &Worker) -> Option<OwnedSemaphorePermit> {
        let permits = worker.concurrency?;
        let gate = {
            let mut gates = self
                .gates
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            gates
                .entry(worker.name.clone())
                .or_insert_with(|| {
                    Arc::new(Semaphore::new(
                        (permits as usize).clamp(1, Semaphore::MAX_PERMITS),
                    ))
                })
                .clone()
        };
        // The semaphore is never closed, so acquiring only fails if it were;
        // then the call goes on unbounded rather than failing the run.
        gate.acquire_owned().await.ok()
    }
}
