//! The store's schema, its forward migrations, and how every connection is
//! set up.
//!
//! The version of a store is SQLite's `PRAGMA user_version`; `MIGRATIONS[i]`
//! takes a store from version `i` to `i + 1`, each in one transaction, so a
//! store is never left between two versions. A store newer than this build is
//! refused rather than written by code that does not know its tables.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::Durability;
use super::error::{StoreError, sqlite};

/// The page size of a new store, in bytes.
pub(crate) const PAGE_SIZE: i64 = 2048;

/// The pages of write-ahead log after which a commit checkpoints it.
pub(crate) const AUTOCHECKPOINT_PAGES: i64 = 10_000;

/// `PRAGMA application_id` of a flow run store ("flow" in ASCII), which tells
/// a flow store from another program's SQLite database.
pub const APPLICATION_ID: i32 = 0x666c_6f77;

/// Version 1. Runs refer to their source by an integer key and the journal
/// is keyed by (run key, seq) without a rowid, so one journal row costs its
/// payload plus about a dozen bytes.
const V1: &str = r#"
CREATE TABLE sources (
    key  INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL
);

CREATE TABLE runs (
    key              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE
                     CHECK (length(id) = 16 AND id NOT GLOB '*[^0-9a-f]*'),
    workflow         TEXT NOT NULL,
    path             TEXT NOT NULL,
    source           INTEGER NOT NULL REFERENCES sources(key),
    input            TEXT NOT NULL,
    seed             INTEGER NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('running', 'paused', 'succeeded', 'failed', 'cancelled')),
    current_state    TEXT,
    started_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    outcome          TEXT,
    owner            TEXT,
    heartbeat_at     INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    due_at           INTEGER
);

CREATE INDEX runs_by_started ON runs (started_at);
CREATE INDEX runs_by_status ON runs (status, started_at);
CREATE INDEX runs_by_workflow ON runs (workflow, started_at);
CREATE INDEX runs_by_source ON runs (source);
CREATE INDEX runs_due ON runs (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE journal (
    run  INTEGER NOT NULL REFERENCES runs(key) ON DELETE CASCADE,
    seq  INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run, seq)
) WITHOUT ROWID;
"#;

/// The forward migrations: entry `i` takes a store from version `i` to
/// `i + 1`. Append to this list; never edit an entry that has shipped.
pub const MIGRATIONS: &[&str] = &[V1];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// How a connection is opened: the flags and the settings every connection
/// of one store shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionSettings {
    pub durability: Durability,
    pub read_only: bool,
    pub busy_timeout: Duration,
    pub max_page_count: Option<u64>,
}

/// The largest page count SQLite allows, which is the default; "no limit".
const UNLIMITED_PAGES: u64 = 4_294_967_294;

/// Opens one connection to the store with WAL, the durability's
/// `synchronous`, foreign keys and the busy timeout.
pub(crate) fn connect(
    path: &Path,
    settings: &ConnectionSettings,
) -> Result<Connection, StoreError> {
    let flags = if settings.read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| sqlite(&e, path))?;
    let fail = |e: rusqlite::Error| sqlite(&e, path);
    // The busy timeout comes first, so that switching to WAL waits for a
    // writer instead of failing.
    conn.busy_timeout(settings.busy_timeout).map_err(fail)?;
    if !settings.read_only {
        // Pages of 2 KiB for a new store (an existing one keeps its own):
        // a commit writes each page it changed whole to the log, and a
        // transition changes about one page of the journal, at the end of
        // its run's entries. Half the bytes per transition was worth about
        // 5% of the throughput of 100 runs at once; 1 KiB pages were slower
        // than 4 KiB ones (docs/performance.md).
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(fail)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                store: path.to_path_buf(),
                reason: format!(
                    "the file system does not allow SQLite's write-ahead log (journal mode stayed `{mode}`)"
                ),
            });
        }
    }
    let synchronous = match settings.durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(fail)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(fail)?;
    // Statement journals and sorts stay in memory: they are small here, and
    // a temporary file would be one more thing a full disk can break.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(fail)?;
    if !settings.read_only {
        // The log is copied back into the database once it holds this many
        // pages (20 MiB), not SQLite's 1,000: each checkpoint syncs the
        // database file, and at 1,000 the 100 runs at once were a fifth
        // slower. The log's file stays at about this size, reused.
        conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)
            .map_err(fail)?;
    }
    set_max_page_count(&conn, settings.max_page_count, path)?;
    Ok(conn)
}

/// Caps the store's size in pages (`None`: SQLite's own maximum). Only this
/// connection is affected; SQLite answers `SQLITE_FULL` past it as it does
/// on a full disk.
pub(crate) fn set_max_page_count(
    conn: &Connection,
    pages: Option<u64>,
    path: &Path,
) -> Result<(), StoreError> {
    let pages = pages.unwrap_or(UNLIMITED_PAGES);
    // The pragma answers with the limit in force, which is never below the
    // current size.
    let _in_force: i64 = conn
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |row| {
            row.get(0)
        })
        .map_err(|e| sqlite(&e, path))?;
    Ok(())
}

/// Brings the store to `SCHEMA_VERSION`, or refuses a store that is newer or
/// not a flow store. A read-only store must already be current.
pub(crate) fn migrate(
    conn: &mut Connection,
    path: &Path,
    read_only: bool,
) -> Result<(), StoreError> {
    let fail = |e: rusqlite::Error| sqlite(&e, path);
    let (found, application_id) = identity(conn).map_err(fail)?;
    check_identity(conn, path, found, application_id)?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    if read_only {
        return Err(StoreError::Open {
            store: path.to_path_buf(),
            reason: format!(
                "it is at schema version {found} and needs upgrading to {SCHEMA_VERSION}, which a read-only store cannot be"
            ),
        });
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        // Another process may have migrated while this one waited for the
        // write lock.
        let (now, application_id) = identity(&tx).map_err(fail)?;
        check_identity(&tx, path, now, application_id)?;
        if now as usize > from {
            continue;
        }
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", from as i64 + 1)
            .map_err(fail)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

/// The store's schema version and application id.
fn identity(conn: &Connection) -> rusqlite::Result<(u32, i32)> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let application_id: i32 = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
    // user_version is a signed 32-bit number; a negative one is nothing
    // flow wrote, and reads as "newer than anything".
    Ok((u32::try_from(version).unwrap_or(u32::MAX), application_id))
}

/// Refuses another program's database and a store newer than this build.
fn check_identity(
    conn: &Connection,
    path: &Path,
    version: u32,
    application_id: i32,
) -> Result<(), StoreError> {
    let foreign = |reason: String| StoreError::Corrupt {
        store: path.to_path_buf(),
        reason,
    };
    if application_id != APPLICATION_ID && application_id != 0 {
        return Err(foreign(format!(
            "it is an SQLite database of another program (application id {application_id:#x})"
        )));
    }
    if application_id == 0 {
        // An empty database is a new store; one with tables but without
        // flow's id belongs to something else.
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(|e| sqlite(&e, path))?;
        if tables > 0 || version != 0 {
            return Err(foreign(
                "it is an SQLite database without flow's tables".to_owned(),
            ));
        }
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            store: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}
