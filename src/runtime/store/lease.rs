//! Leases: one process drives a run at a time. The owner's id and its last
//! heartbeat are in the run's row; a lease whose owner stopped beating, or
//! whose process on this machine is gone, is taken over.

use std::fmt;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::Store;
use super::error::{StoreError, sqlite, to_i64, to_u64};
use super::ids::{hostname, random_u64};
use super::runs::{RunKey, unknown};

/// A lease whose owner has not beaten for this long is stale. Owners beat
/// well within it (`HEARTBEAT_EVERY_MS`).
pub const STALE_AFTER_MS: u64 = 5_000;

/// How often an owner should beat: often enough that a cancel request is
/// noticed within a second and a lease is never stale while its owner lives.
pub const HEARTBEAT_EVERY_MS: u64 = 1_000;

/// Who drives a run: `"{pid}@{hostname}:{token}"`. The token tells apart two
/// drivers in one process and a pid the system gave out again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner(String);

impl Owner {
    /// A fresh owner id for this process.
    pub fn this_process() -> Owner {
        Owner(format!(
            "{}@{}:{:08x}",
            std::process::id(),
            hostname(),
            random_u64() as u32
        ))
    }

    /// An owner id read back from the store or given by a caller.
    pub fn from_id(id: impl Into<String>) -> Owner {
        Owner(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The pid and host of an id of the form above.
    fn pid_and_host(id: &str) -> Option<(i32, &str)> {
        let (pid, rest) = id.split_once('@')?;
        let (host, _token) = rest.rsplit_once(':')?;
        Some((pid.parse().ok()?, host))
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The right to drive one run, from `Store::acquire`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    run: RunKey,
    id: String,
    owner: Owner,
}

impl Lease {
    pub fn run(&self) -> RunKey {
        self.run
    }

    /// The run's id, as people see it.
    pub fn run_id(&self) -> &str {
        &self.id
    }

    pub fn owner(&self) -> &Owner {
        &self.owner
    }
}

/// What the store tells an owner at each heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatReply {
    /// `flow cancel` asked for the run to stop.
    pub cancel_requested: bool,
}

/// Whether the lease held by `owner`, last beaten at `heartbeat_at`, may be
/// taken over at `now`.
fn is_stale(owner: &str, heartbeat_at: Option<i64>, now: u64) -> bool {
    let Some(beat) = heartbeat_at else {
        return true;
    };
    if now.saturating_sub(to_u64(beat)) > STALE_AFTER_MS {
        return true;
    }
    match Owner::pid_and_host(owner) {
        Some((pid, host)) if host == hostname() => !process_alive(pid),
        _ => false,
    }
}

/// Whether a process with this pid exists on this machine. Only "no such
/// process" counts as dead: a process of another user answers EPERM.
fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

impl crate::runtime::store::RunRow {
    /// Whether a process drives the run now: it holds the lease and the
    /// lease is not stale (its heartbeat is recent and, when it runs on this
    /// machine, its process is alive). Read for `flow status`, `flow logs
    /// --follow` (which stops following a run nobody drives) and `--due`.
    pub fn is_driven(&self, now_ms: u64) -> bool {
        self.owner
            .as_deref()
            .is_some_and(|owner| !is_stale(owner, self.heartbeat_at.map(to_i64_lossy), now_ms))
    }

    /// Whether the run has something to do that nobody is doing: a
    /// deadline or the end of a backoff has passed, an answer was recorded,
    /// or the process that drove it is gone. `flow runs --due` lists these
    /// and `flow resume --due` continues them.
    pub fn is_due(&self, now_ms: u64) -> bool {
        use crate::runtime::store::RunStatus;
        !self.status.is_final()
            && !self.is_driven(now_ms)
            && (self.due_at.is_some_and(|due| due <= now_ms) || self.status == RunStatus::Running)
    }
}

impl Store {
    /// The runs that match `filter` and are due at `now_ms`
    /// ([`RunRow::is_due`](crate::runtime::store::RunRow::is_due)), newest
    /// first; the filter's limit counts due runs only.
    pub fn list_due(
        &self,
        filter: &crate::runtime::store::ListFilter,
        now_ms: u64,
    ) -> Result<Vec<crate::runtime::store::RunRow>, StoreError> {
        let all = crate::runtime::store::ListFilter {
            limit: None,
            ..filter.clone()
        };
        let mut rows = self.list(&all)?;
        rows.retain(|row| row.is_due(now_ms));
        if let Some(limit) = filter.limit {
            rows.truncate(limit);
        }
        Ok(rows)
    }
}

fn to_i64_lossy(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

impl Store {
    /// Takes the lease of a run for `owner`, in one `BEGIN IMMEDIATE`
    /// transaction so that of two processes asking at once exactly one gets
    /// it. A free lease, one `owner` holds already, or a stale one is taken;
    /// a live one held by another is refused with `StoreError::Leased`.
    pub fn acquire(&self, key: RunKey, owner: &Owner, now_ms: u64) -> Result<Lease, StoreError> {
        let path = self.path();
        let now = to_i64(now_ms, "the time", path)?;
        self.with_conn(|conn| {
            let fail = |e: rusqlite::Error| sqlite(&e, path);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            let (id, held_by, heartbeat_at): (String, Option<String>, Option<i64>) = tx
                .prepare_cached("SELECT id, owner, heartbeat_at FROM runs WHERE key = ?1")
                .and_then(|mut s| {
                    s.query_row([key.0], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                        .optional()
                })
                .map_err(fail)?
                .ok_or_else(|| unknown(key, path))?;
            if let Some(held_by) = held_by {
                if held_by != owner.as_str() && !is_stale(&held_by, heartbeat_at, now_ms) {
                    return Err(StoreError::Leased {
                        run: id,
                        owner: held_by,
                        heartbeat_age_ms: heartbeat_at
                            .map(|beat| now_ms.saturating_sub(to_u64(beat))),
                        store: path.to_path_buf(),
                    });
                }
            }
            tx.prepare_cached("UPDATE runs SET owner = ?2, heartbeat_at = ?3 WHERE key = ?1")
                .and_then(|mut s| s.execute(params![key.0, owner.as_str(), now]))
                .map_err(fail)?;
            tx.commit().map_err(fail)?;
            Ok(Lease {
                run: key,
                id,
                owner: owner.clone(),
            })
        })
    }

    /// Renews a lease and answers whether a cancel was requested; fails with
    /// `StoreError::LeaseLost` when another process has taken the run over.
    pub fn heartbeat(&self, lease: &Lease, now_ms: u64) -> Result<HeartbeatReply, StoreError> {
        let path = self.path();
        let now = to_i64(now_ms, "the time", path)?;
        self.with_conn(|conn| {
            let fail = |e: rusqlite::Error| sqlite(&e, path);
            let beat: Option<bool> = conn
                .prepare_cached(
                    "UPDATE runs SET heartbeat_at = ?3 WHERE key = ?1 AND owner = ?2 \
                     RETURNING cancel_requested",
                )
                .and_then(|mut s| {
                    s.query_row(params![lease.run.0, lease.owner.as_str(), now], |row| {
                        row.get(0)
                    })
                    .optional()
                })
                .map_err(fail)?;
            if let Some(cancel_requested) = beat {
                return Ok(HeartbeatReply { cancel_requested });
            }
            let now_owner: Option<String> = conn
                .prepare_cached("SELECT owner FROM runs WHERE key = ?1")
                .and_then(|mut s| s.query_row([lease.run.0], |row| row.get(0)).optional())
                .map_err(fail)?
                .ok_or_else(|| unknown(lease.run, path))?;
            Err(StoreError::LeaseLost {
                run: lease.id.clone(),
                owner: now_owner,
                store: path.to_path_buf(),
            })
        })
    }

    /// Gives a lease up, so that another process may drive the run at once.
    /// Releasing a lease that was taken over already changes nothing.
    pub fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        let path = self.path();
        self.with_conn(|conn| {
            conn.prepare_cached(
                "UPDATE runs SET owner = NULL, heartbeat_at = NULL WHERE key = ?1 AND owner = ?2",
            )
            .and_then(|mut s| s.execute(params![lease.run.0, lease.owner.as_str()]))
            .map_err(|e| sqlite(&e, path))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_id_names_the_pid_and_the_host() {
        let owner = Owner::this_process();
        let (pid, host) = Owner::pid_and_host(owner.as_str()).unwrap();
        assert_eq!(pid as u32, std::process::id());
        assert_eq!(host, hostname());
        assert_ne!(owner, Owner::this_process());
    }

    #[test]
    fn a_lease_is_stale_by_age_or_by_a_dead_process_here() {
        let me = Owner::this_process();
        assert!(!is_stale(me.as_str(), Some(1_000), 1_000 + STALE_AFTER_MS));
        assert!(is_stale(me.as_str(), Some(1_000), 1_001 + STALE_AFTER_MS));
        assert!(is_stale(me.as_str(), None, 0));
        // pid 0 is never a process; another host's pid is not checked here.
        assert!(is_stale(&format!("0@{}:00000000", hostname()), Some(5), 5));
        assert!(!is_stale("0@elsewhere.invalid:00000000", Some(5), 5));
    }
}
