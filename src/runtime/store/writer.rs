//! The journal writer: one connection that group-commits, driven by
//! whoever appends.
//!
//! An append is queued; if no one is committing, its [`Commit`] becomes
//! the leader: when it is first awaited (or waited for, or dropped) it
//! commits, on its own thread, everything queued (up to `MAX_BATCH` per
//! transaction) until the queue is empty; appends queued meanwhile wait for
//! the leader's commit. An uncontended append is thus committed with no
//! hand-off between threads (which cost more than the commit on a virtual
//! machine), and concurrent branches, items and runs still share commits.
//! When the last transaction took more than one append, others are likely
//! to come: [`Commit::gathers`] tells an async leader to yield once before
//! it commits, so that the tasks ready on its thread queue theirs into the
//! same transaction (each commit writes every page it changed; fewer,
//! larger commits write fewer pages per append).
//!
//! A request that breaks a constraint (a seq already written, a run that
//! is gone, a lease lost) fails alone: the transaction is rolled back and
//! written again without it. A failure of the file (full disk, read-only,
//! I/O) fails the whole batch; nothing
//! of it is visible, and a later append may succeed once space is freed.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::error::{StoreError, extended_code, is_constraint, sqlite, to_i64};
use super::journal::Entry;
use super::runs::{
    RunKey, RunStatus, unknown, update_progress, update_progress_owned, update_status,
};
use super::schema::set_max_page_count;

/// The most requests one commit takes.
pub const MAX_BATCH: usize = 1024;

/// A change of the run's row committed with the entries of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub current_state: Option<String>,
    pub due_at: Option<u64>,
    /// A new status and the outcome JSON, as `Store::set_status` sets them.
    pub status: Option<(RunStatus, Option<String>)>,
    pub now_ms: u64,
}

/// One append: entries of one run, the row change that goes with them, and
/// optionally the owner that must still hold the run's lease (a fence: an
/// owner that lost the lease cannot write).
#[derive(Debug, Clone)]
pub struct Append {
    pub run: RunKey,
    pub entries: Vec<Entry>,
    pub progress: Option<Progress>,
    pub owner: Option<String>,
}

/// Counters of the writer since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Transactions committed.
    pub commits: u64,
    /// Append requests committed.
    pub appends: u64,
    /// Journal entries committed.
    pub entries: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    commits: AtomicU64,
    appends: AtomicU64,
    entries: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> StoreStats {
        StoreStats {
            commits: self.commits.load(Ordering::Relaxed),
            appends: self.appends.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
        }
    }
}

pub(crate) type Reply = oneshot::Sender<Result<(), StoreError>>;

/// The writer's connection and its queue.
pub(crate) struct Writer {
    conn: Mutex<Connection>,
    queue: Mutex<Queue>,
    path: Arc<Path>,
    counters: Arc<Counters>,
    /// Whether the last transaction took more than one append.
    contended: AtomicBool,
}

#[derive(Default)]
struct Queue {
    pending: Vec<(Append, Reply)>,
    /// Whether a commit leads what is queued (it may not have started).
    leading: bool,
    /// Whether the leading commit has yet to start: whoever starts it
    /// first (the leader, or a thread blocked in `wait()` on another
    /// commit) writes the queue.
    unstarted: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gives up the lead if the leader unwinds, so that the next append
/// leads rather than waiting for ever.
struct Lead<'a> {
    queue: &'a Mutex<Queue>,
    armed: bool,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.armed {
            lock(self.queue).leading = false;
        }
    }
}

impl Writer {
    pub(crate) fn new(conn: Connection, path: Arc<Path>, counters: Arc<Counters>) -> Writer {
        Writer {
            conn: Mutex::new(conn),
            queue: Mutex::new(Queue::default()),
            path,
            counters,
            contended: AtomicBool::new(false),
        }
    }

    /// Queues the append. When no one is committing, the `Commit` is the
    /// leader and commits the queue when it is first awaited, waited for
    /// or dropped; else it answers once the leader has committed it.
    pub(crate) fn submit(self: &Arc<Self>, append: Append) -> Commit {
        let (reply, rx) = oneshot::channel();
        let mut queue = lock(&self.queue);
        queue.pending.push((append, reply));
        let leads = !queue.leading;
        queue.leading = true;
        queue.unstarted |= leads;
        drop(queue);
        Commit {
            rx,
            writer: Arc::clone(self),
            leads,
        }
    }

    /// Starts the lead if no one has: then this thread writes the queue.
    fn start_lead(&self) {
        let start = std::mem::take(&mut lock(&self.queue).unstarted);
        if start {
            self.lead();
        }
    }

    /// Commits batches until the queue is empty, then gives up the lead in
    /// the same critical section that saw it empty, so that no append is
    /// left queued with no leader.
    fn lead(&self) {
        let mut lead = Lead {
            queue: &self.queue,
            armed: true,
        };
        loop {
            let mut batch = {
                let mut queue = lock(&self.queue);
                if queue.pending.is_empty() {
                    queue.leading = false;
                    lead.armed = false;
                    return;
                }
                let take = queue.pending.len().min(MAX_BATCH);
                queue.pending.drain(..take).collect::<Vec<_>>()
            };
            self.contended.store(batch.len() > 1, Ordering::Relaxed);
            let mut conn = lock(&self.conn);
            commit_batch(&mut conn, &self.path, &mut batch, &self.counters);
        }
    }

    /// Changes the writer's page limit; appends queued before the change
    /// are written under the old one.
    pub(crate) fn set_max_page_count(&self, pages: Option<u64>) -> Result<(), StoreError> {
        let mut batch = std::mem::take(&mut lock(&self.queue).pending);
        let mut conn = lock(&self.conn);
        commit_batch(&mut conn, &self.path, &mut batch, &self.counters);
        set_max_page_count(&conn, pages, &self.path)
    }
}

/// The answer to an append: await it from async code, or `wait()` from a
/// thread that is not running async tasks. The commit that leads writes
/// the queue first, on the thread that awaits, waits for or drops it.
pub struct Commit {
    rx: oneshot::Receiver<Result<(), StoreError>>,
    writer: Arc<Writer>,
    /// Whether this commit has still to start the lead.
    leads: bool,
}

impl std::fmt::Debug for Commit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commit")
            .field("store", &self.writer.path)
            .field("leads", &self.leads)
            .finish_non_exhaustive()
    }
}

impl Commit {
    /// Whether this commit leads while others append too: an async caller
    /// that yields once (`tokio::task::yield_now`) before awaiting it lets
    /// the tasks ready on its thread queue their appends into its
    /// transaction. An uncontended commit says no, and goes at once.
    pub fn gathers(&self) -> bool {
        self.leads && self.writer.contended.load(Ordering::Relaxed)
    }

    /// Writes the queue if this commit leads and no one has started to.
    fn lead(&mut self) {
        if std::mem::take(&mut self.leads) {
            self.writer.start_lead();
        }
    }

    fn gone(&self) -> StoreError {
        StoreError::WriterGone {
            store: self.writer.path.to_path_buf(),
        }
    }

    /// Blocks until the entries are committed or have failed. Must not be
    /// called on a thread that drives async tasks (tokio refuses it there);
    /// await the `Commit` instead. A leader that has not started (another
    /// commit this thread holds and has not awaited) is started here, so
    /// that a thread holding two commits does not wait for itself.
    pub fn wait(mut self) -> Result<(), StoreError> {
        self.leads = false;
        self.writer.start_lead();
        let rx = std::mem::replace(&mut self.rx, oneshot::channel().1);
        rx.blocking_recv().unwrap_or_else(|_| Err(self.gone()))
    }
}

impl Drop for Commit {
    /// A leader nobody awaits still writes the queue: the appends of others
    /// wait for it.
    fn drop(&mut self) {
        self.lead();
    }
}

impl Future for Commit {
    type Output = Result<(), StoreError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.lead();
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(answer) => Poll::Ready(answer.unwrap_or_else(|_| Err(self.gone()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// How writing a batch failed.
enum Fault {
    /// Request `i` broke a constraint; the others may be written without it.
    Request(usize, StoreError),
    /// The transaction failed as a whole.
    Batch(StoreError),
}

/// Writes and commits the batch, answers every request, and empties it.
fn commit_batch(
    conn: &mut Connection,
    path: &Path,
    batch: &mut Vec<(Append, Reply)>,
    counters: &Counters,
) {
    if batch.is_empty() {
        return;
    }
    let mut failed: Vec<Option<StoreError>> = vec![None; batch.len()];
    let outcome = loop {
        let live: Vec<usize> = (0..batch.len()).filter(|&i| failed[i].is_none()).collect();
        if live.is_empty() {
            break Ok(live);
        }
        match write(conn, path, batch, &live) {
            Ok(()) => break Ok(live),
            Err(Fault::Request(i, e)) => failed[i] = Some(e),
            Err(Fault::Batch(e)) => break Err((live, e)),
        }
    };
    match outcome {
        Ok(live) => {
            if !live.is_empty() {
                counters.commits.fetch_add(1, Ordering::Relaxed);
                counters
                    .appends
                    .fetch_add(live.len() as u64, Ordering::Relaxed);
                let entries: usize = live.iter().map(|&i| batch[i].0.entries.len()).sum();
                counters
                    .entries
                    .fetch_add(entries as u64, Ordering::Relaxed);
            }
        }
        Err((live, e)) => {
            for i in live {
                failed[i] = Some(e.clone());
            }
        }
    }
    for ((_, reply), failure) in batch.drain(..).zip(failed) {
        // A waiter that went away does not need its answer.
        let _ = reply.send(failure.map_or(Ok(()), Err));
    }
}

/// One attempt at the transaction of the live requests; rolled back (by
/// dropping it) on any fault.
fn write(
    conn: &mut Connection,
    path: &Path,
    batch: &[(Append, Reply)],
    live: &[usize],
) -> Result<(), Fault> {
    let batch_fault = |e: rusqlite::Error| Fault::Batch(sqlite(&e, path));
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(batch_fault)?;
    for &i in live {
        write_one(&tx, path, &batch[i].0).map_err(|fault| match fault {
            Fault::Request(_, e) => Fault::Request(i, e),
            batch => batch,
        })?;
    }
    tx.commit().map_err(batch_fault)
}

fn write_one(conn: &Connection, path: &Path, append: &Append) -> Result<(), Fault> {
    let run = append.run;
    let request = |e: StoreError| Fault::Request(0, e);
    let db_fault = |e: rusqlite::Error, seq: Option<u64>| -> Fault {
        if !is_constraint(&e) {
            return Fault::Batch(sqlite(&e, path));
        }
        let id = run_id(conn, run).unwrap_or_else(|| format!("#{}", run.0));
        match (extended_code(&e), seq) {
            (Some(rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY), Some(seq)) => Fault::Request(
                0,
                StoreError::JournalConflict {
                    run: id,
                    seq,
                    store: path.to_path_buf(),
                },
            ),
            (Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY), _) => {
                Fault::Request(0, unknown(run, path))
            }
            _ => Fault::Request(0, sqlite(&e, path)),
        }
    };
    // The lease fence: folded into the row's update when there is one (one
    // statement per append instead of two), else a read of the owner.
    let lease_lost = |conn: &Connection| -> Fault {
        let held: Option<Option<String>> = match conn
            .prepare_cached("SELECT owner FROM runs WHERE key = ?1")
            .and_then(|mut s| s.query_row([run.0], |row| row.get(0)).optional())
        {
            Ok(held) => held,
            Err(e) => return Fault::Batch(sqlite(&e, path)),
        };
        match held {
            None => request(unknown(run, path)),
            Some(held) => {
                let id = run_id(conn, run).unwrap_or_else(|| format!("#{}", run.0));
                request(StoreError::LeaseLost {
                    run: id,
                    owner: held,
                    store: path.to_path_buf(),
                })
            }
        }
    };
    if let (Some(owner), None) = (&append.owner, &append.progress) {
        let held: Option<Option<String>> = conn
            .prepare_cached("SELECT owner FROM runs WHERE key = ?1")
            .and_then(|mut s| s.query_row([run.0], |row| row.get(0)).optional())
            .map_err(|e| db_fault(e, None))?;
        if held
            .as_ref()
            .is_none_or(|held| held.as_deref() != Some(owner.as_str()))
        {
            return Err(lease_lost(conn));
        }
    }
    if let Some(progress) = &append.progress {
        let now = to_i64(progress.now_ms, "the time", path).map_err(request)?;
        let due = progress
            .due_at
            .map(|due| to_i64(due, "the due time", path))
            .transpose()
            .map_err(request)?;
        let state = progress.current_state.as_deref();
        let changed = match &append.owner {
            Some(owner) => update_progress_owned(conn, run, owner, state, due, now),
            None => update_progress(conn, run, state, due, now),
        }
        .map_err(|e| db_fault(e, None))?;
        if changed == 0 {
            return Err(lease_lost(conn));
        }
        if let Some((status, outcome)) = &progress.status {
            update_status(conn, run, *status, outcome.as_deref(), now)
                .map_err(|e| db_fault(e, None))?;
        }
    }
    let mut insert = conn
        .prepare_cached("INSERT INTO journal (run, seq, kind, data) VALUES (?1, ?2, ?3, ?4)")
        .map_err(|e| db_fault(e, None))?;
    for entry in &append.entries {
        let seq = to_i64(entry.seq, "the journal position", path).map_err(request)?;
        insert
            .execute(params![run.0, seq, entry.kind, entry.data])
            .map_err(|e| db_fault(e, Some(entry.seq)))?;
    }
    Ok(())
}

/// The text id of a run, for messages.
fn run_id(conn: &Connection, run: RunKey) -> Option<String> {
    conn.query_row("SELECT id FROM runs WHERE key = ?1", [run.0], |row| {
        row.get(0)
    })
    .ok()
}
