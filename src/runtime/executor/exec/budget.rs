//! The open-file budget of running programs: how many calls may run at
//! once before their pipes would exhaust this process's open-file limit
//! (`ulimit -n`).
//!
//! Each running call holds a few descriptors (its stdin, stdout and stderr,
//! and the pidfd tokio waits on), and starting one briefly needs a few more
//! (both ends of three pipes, and the pipe that reports a failed `exec`). A
//! `map` of hundreds of items under a low limit would otherwise fail
//! calls at random with EMFILE; with the budget, a call waits for a slot
//! instead, as it waits for a worker's `concurrency`.

use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The descriptors one call may need at the moment it starts.
const PER_CALL: u64 = 8;

/// The descriptors left for everything else: the standard streams, the
/// runtime's own, HTTP connections, the files `flow` reads.
const RESERVE: u64 = 32;

/// One call's share of the budget, given back when dropped.
pub(super) struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
}

struct Budget {
    slots: Arc<Semaphore>,
    total: usize,
}

static BUDGET: OnceLock<Budget> = OnceLock::new();

fn budget() -> &'static Budget {
    BUDGET.get_or_init(|| {
        let total = open_file_limit().map_or(Semaphore::MAX_PERMITS, slots_for);
        Budget {
            slots: Arc::new(Semaphore::new(total)),
            total,
        }
    })
}

/// How many calls fit in an open-file limit of `limit`: at least one, so
/// that a very low limit gives a clear failure at the start rather than a
/// wait without end.
fn slots_for(limit: u64) -> usize {
    let slots = limit.saturating_sub(RESERVE) / PER_CALL;
    usize::try_from(slots)
        .unwrap_or(Semaphore::MAX_PERMITS)
        .clamp(1, Semaphore::MAX_PERMITS)
}

/// Waits for a slot. Cancel-safe: a dropped wait takes no slot.
pub(super) async fn acquire() -> Slot {
    let budget = budget();
    // The semaphore is never closed; should it be, the call goes on
    // without a slot rather than never.
    Slot {
        _permit: budget.slots.clone().acquire_owned().await.ok(),
    }
}

/// How many programs are running (or being torn down) now.
pub(super) fn running() -> usize {
    let budget = budget();
    budget.total - budget.slots.available_permits()
}

/// The soft limit on this process's open files, when it is finite.
pub(super) fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes one `rlimit` through a pointer to ours.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// The soft limit on this user's processes, when it is finite.
pub(super) fn process_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes one `rlimit` through a pointer to ours.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_leaves_room_for_the_rest() {
        assert_eq!(slots_for(64), 4);
        assert_eq!(slots_for(1024), 124);
        // Never none, or a call would wait for ever.
        assert_eq!(slots_for(16), 1);
        assert_eq!(slots_for(0), 1);
        assert!(slots_for(u64::MAX) <= Semaphore::MAX_PERMITS);
    }
}
