//! The durable run store: runs, their sources, leases and journals in one
//! SQLite file (`.flow/runs.db` by default), as design section 2 has it.
//!
//! The store does not interpret journal payloads: an entry is a sequence
//! number, a kind and bytes the driver encodes. Every method is blocking;
//! async code calls them through `spawn_blocking`, except `append`, whose
//! `Commit` is awaited. `docs/store.md` describes the schema and what a user
//! sees.

mod error;
pub mod ids;
mod journal;
mod lease;
mod runs;
pub mod schema;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

pub use error::{StoreError, UnknownName};
pub use ids::{new_run_id, now_ms};
pub use journal::Entry;
pub use lease::{HEARTBEAT_EVERY_MS, HeartbeatReply, Lease, Owner, STALE_AFTER_MS};
pub use runs::{ListFilter, NewRun, RunKey, RunRow, RunStatus, source_hash};
pub use writer::{Append, Commit, MAX_BATCH, Progress, StoreStats};

use schema::ConnectionSettings;

/// How much a commit survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL`: survives any crash of the process.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is fsynced, so it also survives the
    /// machine losing power.
    Full,
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Durability::Normal => "normal",
            Durability::Full => "full",
        })
    }
}

impl FromStr for Durability {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "normal" => Ok(Durability::Normal),
            "full" => Ok(Durability::Full),
            _ => Err(UnknownName {
                what: "durability",
                given: s.to_owned(),
                expected: "normal, full",
            }),
        }
    }
}

/// Everything `Store::open_with` can be told.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub durability: Durability,
    /// Open with `SQLITE_OPEN_READ_ONLY`: reads work, every write fails with
    /// `StoreError::ReadOnly`. This also makes a read-only store testable
    /// as root, whom file modes do not stop.
    pub read_only: bool,
    /// How long a write waits for another process's write lock before
    /// failing with `StoreError::Locked`.
    pub busy_timeout: Duration,
    /// A cap on the file's size in pages (of 4 KiB); past it writes fail as
    /// on a full disk (`StoreError::Full`). For tests of that path, and for
    /// embedders that want a bounded store.
    pub max_page_count: Option<u64>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            durability: Durability::Normal,
            read_only: false,
            busy_timeout: Duration::from_secs(5),
            max_page_count: None,
        }
    }
}

/// A handle on one store file. Cheap to clone; every clone shares the
/// connections and the journal writer, which stops when the last is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

struct Inner {
    path: Arc<Path>,
    settings: Mutex<ConnectionSettings>,
    /// Idle connections for reads and small writes, each with the
    /// `settings` generation it was opened with.
    idle: Mutex<Vec<(u64, Connection)>>,
    generation: AtomicU64,
    writer: Arc<writer::Writer>,
    counters: Arc<writer::Counters>,
}

/// Idle connections kept for reuse; more may be open while busy.
const IDLE_CONNECTIONS: usize = 8;

impl Store {
    /// Opens (creating it and its directory if missing) the store at `path`.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        Store::open_with(
            path,
            OpenOptions {
                durability,
                ..OpenOptions::default()
            },
        )
    }

    pub fn open_with(path: &Path, options: OpenOptions) -> Result<Store, StoreError> {
        if !options.read_only {
            if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    store: path.to_path_buf(),
                    reason: format!("cannot create the directory {}: {e}", dir.display()),
                })?;
            }
        }
        let settings = ConnectionSettings {
            durability: options.durability,
            read_only: options.read_only,
            busy_timeout: options.busy_timeout,
            max_page_count: options.max_page_count,
        };
        let mut first = schema::connect(path, &settings)?;
        schema::migrate(&mut first, path, options.read_only)?;
        let writer_conn = schema::connect(path, &settings)?;
        let path: Arc<Path> = Arc::from(path);
        let counters = Arc::new(writer::Counters::default());
        let writer = Arc::new(writer::Writer::new(
            writer_conn,
            path.clone(),
            counters.clone(),
        ));
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                settings: Mutex::new(settings),
                idle: Mutex::new(vec![(0, first)]),
                generation: AtomicU64::new(0),
                writer,
                counters,
            }),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// What the journal writer has committed since the store was opened.
    pub fn stats(&self) -> StoreStats {
        self.inner.counters.snapshot()
    }

    /// Appends entries to a run's journal. They are committed together with
    /// whatever else is queued (group commit); the `Commit` answers when.
    pub fn append(&self, run: RunKey, entries: Vec<Entry>) -> Commit {
        self.submit(Append {
            run,
            entries,
            progress: None,
            owner: None,
        })
    }

    /// Appends entries and changes the run's row (state, due time, status)
    /// in the same transaction.
    pub fn append_with(
        &self,
        run: RunKey,
        entries: Vec<Entry>,
        progress: Option<Progress>,
    ) -> Commit {
        self.submit(Append {
            run,
            entries,
            progress,
            owner: None,
        })
    }

    /// Appends with every option, including the owner that must still hold
    /// the lease (else `StoreError::LeaseLost` and nothing is written).
    pub fn submit(&self, append: Append) -> Commit {
        self.inner.writer.submit(append)
    }

    /// Changes the page cap of `OpenOptions::max_page_count` for the writer
    /// and for connections opened from now on (`None`: no cap).
    pub fn set_max_page_count(&self, pages: Option<u64>) -> Result<(), StoreError> {
        if let Ok(mut settings) = self.inner.settings.lock() {
            settings.max_page_count = pages;
        }
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.clear();
        }
        self.inner.writer.set_max_page_count(pages)
    }

    /// Moves the WAL into the database file and truncates it, so the file's
    /// size is the store's size.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let path = self.path();
        self.with_conn(|conn| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(|e| error::sqlite(&e, path))
        })
    }

    /// Runs `f` on an idle connection, or a new one when none is idle.
    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let inner = &self.inner;
        let taken = inner.idle.lock().ok().and_then(|mut idle| idle.pop());
        let (generation, mut conn) = match taken {
            Some(idle) => idle,
            None => {
                let generation = inner.generation.load(Ordering::SeqCst);
                let settings = match inner.settings.lock() {
                    Ok(settings) => *settings,
                    Err(poisoned) => *poisoned.into_inner(),
                };
                (generation, schema::connect(&inner.path, &settings)?)
            }
        };
        let result = f(&mut conn);
        if generation == inner.generation.load(Ordering::SeqCst) {
            if let Ok(mut idle) = inner.idle.lock() {
                if idle.len() < IDLE_CONNECTIONS {
                    idle.push((generation, conn));
                }
            }
        }
        result
    }
}

/// The path of a store for a working directory: `.flow/runs.db` under it.
pub fn default_path(dir: &Path) -> PathBuf {
    dir.join(".flow").join("runs.db")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durability_names_round_trip() {
        for d in [Durability::Normal, Durability::Full] {
            assert_eq!(d.to_string().parse::<Durability>(), Ok(d));
        }
        assert!("fsync".parse::<Durability>().is_err());
    }

    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

    #[test]
    fn a_store_is_shared_between_threads() {
        assert_send_sync_clone::<Store>();
    }
}
