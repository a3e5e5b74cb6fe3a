//! The reaper: one plain thread, shared by every call, that finishes the
//! teardown of process groups after SIGTERM: SIGKILL once the grace period
//! has passed, and a reaped leader (no zombie left behind).
//!
//! It is a thread rather than a tokio task so that a teardown goes on while
//! the runtime shuts down (a cancelled run is often the last thing a runtime
//! does). A thread dies with the process, though: a program that exits right
//! after cancelling calls must first call [`wait_for_teardowns`].
//!
//! A teardown is over when the leader is reaped and no process of the group
//! is alive (zombies, which init reaps, do not count). A caller that must
//! not go on while the processes of a call live (a retry after a timeout)
//! awaits the call's [`Teardowns`]; that wait only observes, so dropping it
//! leaves the teardown to finish here all the same.

use std::pin::pin;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tokio::process::Child;
use tokio::sync::Notify;

use super::budget::Slot;
use super::group;

/// How long a process group has, after SIGTERM, before SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

/// How often the reaper looks at the groups in its charge.
const POLL: Duration = Duration::from_millis(10);

/// How long after SIGKILL the reaper waits for the group to die (a process
/// stuck in uninterruptible sleep) before leaving the leader to tokio's own
/// orphan reaping.
const GIVE_UP: Duration = Duration::from_secs(10);

/// The teardowns of one call (or of one attempt's calls), which the caller
/// may await: [`Teardowns::settled`] is ready when every group handed to the
/// reaper under it is gone. Cloning shares the count.
#[derive(Clone, Default)]
pub struct Teardowns(Arc<Watch>);

#[derive(Default)]
struct Watch {
    pending: Mutex<usize>,
    settled: Notify,
}

impl Teardowns {
    fn add(&self) {
        *self
            .0
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
    }

    fn done(&self) {
        let mut pending = self
            .0
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *pending = pending.saturating_sub(1);
        if *pending == 0 {
            self.0.settled.notify_waiters();
        }
    }

    /// Waits until every process group handed over under these teardowns
    /// is gone: SIGTERM obeyed, or SIGKILL after [`GRACE`]. Cancel-safe:
    /// it only watches, and the reaper goes on when the wait is dropped.
    pub async fn settled(&self) {
        loop {
            // Registered before the count is read, so that a teardown ending
            // in between still wakes this wait.
            let mut notified = pin!(self.0.settled.notified());
            notified.as_mut().enable();
            if *self
                .0
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                == 0
            {
                return;
            }
            notified.await;
        }
    }
}

/// One process group being torn down.
struct Teardown {
    pgid: libc::pid_t,
    /// The leader, when it has not been reaped yet.
    leader: Option<Child>,
    /// When SIGKILL is due.
    deadline: Instant,
    killed: bool,
    /// Who waits for this teardown, besides [`wait_for_teardowns`].
    watch: Option<Teardowns>,
    /// The call's share of the open-file budget, given back only when the
    /// leader is reaped (until then tokio may hold a descriptor for it).
    _slot: Option<Slot>,
}

impl Teardown {
    /// Makes progress; true when there is nothing left to do.
    fn step(&mut self, now: Instant) -> bool {
        if let Some(leader) = self.leader.as_mut() {
            // An error means the pid is no longer our child: nothing to reap.
            if !matches!(leader.try_wait(), Ok(None)) {
                self.leader = None;
            }
        }
        // Once the leader is reaped, the group id can be reused as soon as
        // the group is empty, and the group is over when none of its
        // processes is alive (zombies left to init need nothing from us).
        if self.leader.is_none() && !group::alive(self.pgid) {
            return true;
        }
        if !self.killed && now >= self.deadline {
            let _ = group::signal(self.pgid, libc::SIGKILL);
            self.killed = true;
        }
        self.killed && now >= self.deadline + GIVE_UP
    }

    /// When no reaper thread can be had: no grace period, but the group is
    /// still killed and tokio reaps the leader.
    fn kill_now(self) {
        let _ = group::signal(self.pgid, libc::SIGKILL);
        self.finish();
    }

    fn finish(self) {
        if let Some(watch) = &self.watch {
            watch.done();
        }
        finished(1);
    }
}

/// How many teardowns are under way, for [`wait_for_teardowns`].
static PENDING: Mutex<usize> = Mutex::new(0);
static SETTLED: Condvar = Condvar::new();

/// The reaper thread's queue; `None` when the thread could not be started.
static QUEUE: OnceLock<Option<Sender<Teardown>>> = OnceLock::new();

/// Puts the group `pgid`, already sent SIGTERM, in the reaper's charge,
/// with its leader when that has not been reaped, and the call's share of
/// the open-file budget; `watch` learns when the group is gone.
pub(super) fn hand_over(
    pgid: libc::pid_t,
    leader: Option<Child>,
    slot: Option<Slot>,
    watch: Option<Teardowns>,
) {
    *PENDING.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    if let Some(watch) = &watch {
        watch.add();
    }
    let teardown = Teardown {
        pgid,
        leader,
        deadline: Instant::now() + GRACE,
        killed: false,
        watch,
        _slot: slot,
    };
    let queue = QUEUE.get_or_init(|| {
        let (sender, receiver) = mpsc::channel();
        thread::Builder::new()
            .name("flow-exec-reaper".into())
            .spawn(move || reap(receiver))
            .ok()
            .map(|_| sender)
    });
    match queue {
        Some(sender) => {
            if let Err(mpsc::SendError(teardown)) = sender.send(teardown) {
                teardown.kill_now();
            }
        }
        None => teardown.kill_now(),
    }
}

/// The reaper thread: sleeps while nothing is in its charge, else steps
/// every teardown every [`POLL`].
fn reap(queue: Receiver<Teardown>) {
    let mut teardowns: Vec<Teardown> = Vec::new();
    loop {
        if teardowns.is_empty() {
            match queue.recv() {
                Ok(teardown) => teardowns.push(teardown),
                Err(_) => return,
            }
        } else {
            match queue.recv_timeout(POLL) {
                Ok(teardown) => teardowns.push(teardown),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
        }
        teardowns.extend(queue.try_iter());
        let now = Instant::now();
        let mut index = 0;
        while index < teardowns.len() {
            if teardowns[index].step(now) {
                teardowns.swap_remove(index).finish();
            } else {
                index += 1;
            }
        }
    }
}

fn finished(count: usize) {
    if count == 0 {
        return;
    }
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    *pending = pending.saturating_sub(count);
    if *pending == 0 {
        SETTLED.notify_all();
    }
}

/// Blocks until every process group left behind by a dropped or finished
/// call has been torn down (SIGKILL sent where SIGTERM was not enough, the
/// leader reaped), or `timeout` has passed; true when none is left.
///
/// The `flow` command calls it before exiting, however the run ended (a
/// cancelled call's group, or what a finished program left running, may
/// still be in the reaper's charge), since the delayed SIGKILL would
/// otherwise die with the process; waiting longer than [`GRACE`] and a
/// little is enough.
pub fn wait_for_teardowns(timeout: Duration) -> bool {
    let pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    let (pending, _) = SETTLED
        .wait_timeout_while(pending, timeout, |pending| *pending > 0)
        .unwrap_or_else(PoisonError::into_inner);
    *pending == 0
}
