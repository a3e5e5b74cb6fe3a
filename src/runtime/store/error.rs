//! `StoreError`: every way the run store can fail, each naming the store and
//! what to do, and the one function that turns SQLite's result codes into it.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use rusqlite::ErrorCode;
use thiserror::Error;

use super::runs::RunKey;

/// A failure of the run store. Every message names the store's file; the help
/// says what the user can do. The type is `Clone` because one failed group
/// commit answers every request that shared it.
#[derive(Debug, Clone, Error, Diagnostic, PartialEq, Eq)]
pub enum StoreError {
    #[error("cannot open the run store {}: {reason}", store.display())]
    #[diagnostic(
        code(flow::store::open),
        help(
            "check that the path is a file in a directory you may write to, or choose another store with `--store PATH` (or `FLOW_STORE`)"
        )
    )]
    Open { store: PathBuf, reason: String },

    #[error("the disk holding the run store {} is full", store.display())]
    #[diagnostic(
        code(flow::store::full),
        help(
            "free space and run `flow resume <run>`: what was recorded before is intact and the run continues from there"
        )
    )]
    Full { store: PathBuf },

    #[error("the run store {} is read-only", store.display())]
    #[diagnostic(
        code(flow::store::read_only),
        help(
            "make the file and its directory writable, or choose another store with `--store PATH` (or `FLOW_STORE`)"
        )
    )]
    ReadOnly { store: PathBuf },

    #[error("the run store {} is locked by another process", store.display())]
    #[diagnostic(
        code(flow::store::locked),
        help(
            "another process (a `flow` or an `sqlite3` shell) holds it for writing; let it finish or stop it, then try again"
        )
    )]
    Locked { store: PathBuf },

    #[error("{} is not a flow run store or is damaged: {reason}", store.display())]
    #[diagnostic(
        code(flow::store::corrupt),
        help(
            "move it aside (`mv {0} {0}.damaged`, with its `-wal` and `-shm` files) and run again; flow then starts a new store",
            store.display()
        )
    )]
    Corrupt { store: PathBuf, reason: String },

    #[error(
        "the run store {} was written by a newer flow (schema version {found}; this flow knows up to {known})",
        store.display()
    )]
    #[diagnostic(
        code(flow::store::newer_schema),
        help(
            "use the newer flow with this store, or choose another store with `--store PATH` (or `FLOW_STORE`)"
        )
    )]
    NewerSchema {
        store: PathBuf,
        found: u32,
        known: u32,
    },

    #[error("no run `{prefix}` in {}", store.display())]
    #[diagnostic(
        code(flow::store::no_such_run),
        help(
            "`flow runs` lists the runs of this store; another store is chosen with `--store PATH` (or `FLOW_STORE`)"
        )
    )]
    NoSuchRun { prefix: String, store: PathBuf },

    #[error(
        "the run id prefix `{prefix}` matches several runs in {}: {}",
        store.display(),
        candidates.join(", ")
    )]
    #[diagnostic(
        code(flow::store::ambiguous_run),
        help("give more characters of the run id")
    )]
    AmbiguousRun {
        prefix: String,
        candidates: Vec<String>,
        store: PathBuf,
    },

    #[error("`{prefix}` is not a run id (looked for in {})", store.display())]
    #[diagnostic(
        code(flow::store::bad_run_id),
        help(
            "a run id is up to 16 hexadecimal digits (0-9, a-f), as `flow runs` shows it; any unique prefix of it will do"
        )
    )]
    BadRunId { prefix: String, store: PathBuf },

    #[error("run #{key} is no longer in {}", store.display(), key = key.0)]
    #[diagnostic(
        code(flow::store::unknown_run),
        help("it was pruned, or the store file was replaced while this process used it")
    )]
    UnknownRun { key: RunKey, store: PathBuf },

    #[error("a run with the id `{id}` is already in {}", store.display())]
    #[diagnostic(
        code(flow::store::duplicate_run),
        help("run ids are random; start the run again to get a fresh one")
    )]
    DuplicateRun { id: String, store: PathBuf },

    #[error("entry {seq} of run {run} is already in the journal of {}", store.display())]
    #[diagnostic(
        code(flow::store::journal_conflict),
        help(
            "another process may be driving this run; `flow runs --format json` shows who owns it"
        )
    )]
    JournalConflict {
        run: String,
        seq: u64,
        store: PathBuf,
    },

    #[error(
        "run {run} is being driven by process {owner} (its last heartbeat was {} ago), recorded in {}",
        age(*heartbeat_age_ms),
        store.display()
    )]
    #[diagnostic(
        code(flow::store::leased),
        help(
            "wait for that process to finish, or stop it; a run whose owner has stopped beating for {} s (or whose process on this machine is gone) is taken over",
            super::lease::STALE_AFTER_MS / 1000
        )
    )]
    Leased {
        run: String,
        owner: String,
        heartbeat_age_ms: Option<u64>,
        store: PathBuf,
    },

    #[error(
        "this process no longer drives run {run} of {}: {} took it over",
        store.display(),
        owner.as_deref().unwrap_or("nobody")
    )]
    #[diagnostic(
        code(flow::store::lease_lost),
        help("stop driving the run here; the process that owns it now continues it")
    )]
    LeaseLost {
        run: String,
        owner: Option<String>,
        store: PathBuf,
    },

    #[error("running runs are never pruned (asked of {})", store.display())]
    #[diagnostic(
        code(flow::store::prune_running),
        help(
            "a running run is never pruned; `--status paused` prunes paused runs, which nobody drives"
        )
    )]
    PruneRunning { store: PathBuf },

    #[error("{what} {value} is too large for the run store {}", store.display())]
    #[diagnostic(
        code(flow::store::out_of_range),
        help("the store keeps numbers up to 2^63 - 1")
    )]
    OutOfRange {
        what: &'static str,
        value: u64,
        store: PathBuf,
    },

    #[error("the journal writer of the run store {} has stopped", store.display())]
    #[diagnostic(
        code(flow::store::writer_gone),
        help("this is a bug in flow; the run is resumable with `flow resume <run>`")
    )]
    WriterGone { store: PathBuf },

    #[error("reading or writing the run store {} failed: {reason}", store.display())]
    #[diagnostic(
        code(flow::store::io),
        help(
            "check the disk and the file system holding it; what was committed before is intact, and `flow resume <run>` continues a run"
        )
    )]
    Io { store: PathBuf, reason: String },

    #[error("the run store {} failed: {reason}", store.display())]
    #[diagnostic(
        code(flow::store::sqlite),
        help(
            "this is unexpected; the run is resumable with `flow resume <run>` once it is resolved"
        )
    )]
    Sqlite { store: PathBuf, reason: String },
}

/// A heartbeat age for people: "1.2 s", or "never" for a lease that never beat.
fn age(ms: Option<u64>) -> String {
    match ms {
        None => "never beaten, so an unknown time".to_owned(),
        Some(ms) if ms < 1_000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1_000.0),
    }
}

/// Turns an SQLite failure into the variant the user can act on, by its
/// primary result code (the extended codes refine only the wording).
pub(crate) fn sqlite(err: &rusqlite::Error, store: &Path) -> StoreError {
    let store = store.to_path_buf();
    let reason = err.to_string();
    match err.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => StoreError::Full { store },
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::PermissionDenied) => {
            StoreError::ReadOnly { store }
        }
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            StoreError::Locked { store }
        }
        Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
            StoreError::Corrupt { store, reason }
        }
        Some(ErrorCode::CannotOpen) => StoreError::Open { store, reason },
        Some(ErrorCode::SystemIoFailure) => StoreError::Io { store, reason },
        _ => StoreError::Sqlite { store, reason },
    }
}

/// Whether a failure belongs to one request of a group commit (a constraint
/// it broke) rather than to the whole transaction (the disk, the file).
pub(crate) fn is_constraint(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

/// The extended result code of a failure, when SQLite gave one.
pub(crate) fn extended_code(err: &rusqlite::Error) -> Option<i32> {
    match err {
        rusqlite::Error::SqliteFailure(e, _) => Some(e.extended_code),
        _ => None,
    }
}

/// A number the caller gave, as SQLite's signed integer.
pub(crate) fn to_i64(value: u64, what: &'static str, store: &Path) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange {
        what,
        value,
        store: store.to_path_buf(),
    })
}

/// A number read back from the store; a negative one (written by something
/// else than flow) reads as zero rather than wrapping.
pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The name given to `FromStr` of `Durability` or `RunStatus` was not one of
/// theirs.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("`{given}` is not a {what}; expected one of {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub expected: &'static str,
}
