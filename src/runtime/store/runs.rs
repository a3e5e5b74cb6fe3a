//! Runs: creating one with its source, finding one by id prefix, listing,
//! status and progress, cancel requests and pruning.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Store;
use super::error::{StoreError, UnknownName, extended_code, sqlite, to_i64, to_u64};
use super::ids::{is_hex_prefix, is_run_id};
use super::journal::Entry;

/// A run's key inside one store: small and fast to join on. The text id
/// (`RunRow::id`) is what people see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunKey(pub i64);

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Running,
        RunStatus::Paused,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Succeeded, failed and cancelled runs have ended; running and paused
    /// ones may still go on.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "run status",
                given: s.to_owned(),
                expected: "running, paused, succeeded, failed, cancelled",
            })
    }
}

impl ToSql for RunStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RunStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// What `Store::create_run` records.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// 16 lowercase hex digits (`ids::new_run_id`).
    pub id: &'a str,
    pub workflow: &'a str,
    /// The file as the user gave it.
    pub path: &'a str,
    /// The whole text of the file; stored once however many runs share it.
    pub source_text: &'a str,
    pub input_json: &'a str,
    pub seed: u64,
    pub now_ms: u64,
    /// The process that drives the run from the start (`lease::Owner`).
    pub owner: Option<&'a str>,
}

/// One run as the store has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    pub key: RunKey,
    pub id: String,
    pub workflow: String,
    pub path: String,
    /// The sha256 of the source text, in hex.
    pub source_hash: String,
    pub input_json: String,
    pub seed: u64,
    pub status: RunStatus,
    pub current_state: Option<String>,
    pub started_at: u64,
    pub updated_at: u64,
    pub ended_at: Option<u64>,
    /// The output (succeeded) or the error (failed, cancelled) as JSON.
    pub outcome_json: Option<String>,
    pub owner: Option<String>,
    pub heartbeat_at: Option<u64>,
    pub cancel_requested: bool,
    /// The next deadline or end of a backoff the run waits for.
    pub due_at: Option<u64>,
}

/// Which runs `Store::list` returns; every field that is set must match.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<RunStatus>,
    pub workflow: Option<String>,
    /// Only runs whose `due_at` is at or before this instant (`flow runs
    /// --due` passes now).
    pub due_by: Option<u64>,
    pub limit: Option<usize>,
}

const ROW_COLUMNS: &str = "r.key, r.id, r.workflow, r.path, s.hash, r.input, r.seed, r.status, \
     r.current_state, r.started_at, r.updated_at, r.ended_at, r.outcome, r.owner, \
     r.heartbeat_at, r.cancel_requested, r.due_at \
     FROM runs r JOIN sources s ON s.key = r.source";

fn read_row(row: &Row<'_>) -> rusqlite::Result<RunRow> {
    let opt_u64 = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(row.get::<_, Option<i64>>(i)?.map(to_u64))
    };
    Ok(RunRow {
        key: RunKey(row.get(0)?),
        id: row.get(1)?,
        workflow: row.get(2)?,
        path: row.get(3)?,
        source_hash: row.get(4)?,
        input_json: row.get(5)?,
        // The seed is any u64, kept as the i64 with the same bits.
        seed: row.get::<_, i64>(6)? as u64,
        status: row.get(7)?,
        current_state: row.get(8)?,
        started_at: to_u64(row.get(9)?),
        updated_at: to_u64(row.get(10)?),
        ended_at: opt_u64(11)?,
        outcome_json: row.get(12)?,
        owner: row.get(13)?,
        heartbeat_at: opt_u64(14)?,
        cancel_requested: row.get(15)?,
        due_at: opt_u64(16)?,
    })
}

/// The sha256 of a source text, in lowercase hex.
pub fn source_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// The status change of `Store::set_status` and of a journal append: an
/// ended run gets `ended_at` and loses its `due_at`; a run that goes on
/// again loses its `ended_at`.
pub(crate) fn update_status(
    conn: &Connection,
    key: RunKey,
    status: RunStatus,
    outcome_json: Option<&str>,
    now: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE runs SET status = ?2, outcome = ?3, updated_at = ?4, \
         ended_at = CASE WHEN ?5 THEN ?4 ELSE NULL END, \
         due_at = CASE WHEN ?5 THEN NULL ELSE due_at END \
         WHERE key = ?1",
    )?
    .execute(params![key.0, status, outcome_json, now, status.is_final()])
}

/// The progress change of `Store::set_progress` and of a journal append.
pub(crate) fn update_progress(
    conn: &Connection,
    key: RunKey,
    current_state: Option<&str>,
    due_at: Option<i64>,
    now: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE runs SET current_state = ?2, due_at = ?3, updated_at = ?4 WHERE key = ?1",
    )?
    .execute(params![key.0, current_state, due_at, now])
}

/// [`update_progress`] only while `owner` holds the run's lease: the fence
/// and the change in one statement.
pub(crate) fn update_progress_owned(
    conn: &Connection,
    key: RunKey,
    owner: &str,
    current_state: Option<&str>,
    due_at: Option<i64>,
    now: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE runs SET current_state = ?2, due_at = ?3, updated_at = ?4 \
         WHERE key = ?1 AND owner = ?5",
    )?
    .execute(params![key.0, current_state, due_at, now, owner])
}

impl Store {
    /// Records a new run as `running`, owned by `run.owner` with a heartbeat
    /// at `run.now_ms`, and its source text unless the store has it already.
    pub fn create_run(&self, run: &NewRun<'_>) -> Result<RunKey, StoreError> {
        let path = self.path();
        if !is_run_id(run.id) {
            return Err(StoreError::BadRunId {
                prefix: run.id.to_owned(),
                store: path.to_path_buf(),
            });
        }
        let now = to_i64(run.now_ms, "the time", path)?;
        let hash = source_hash(run.source_text);
        self.with_conn(|conn| {
            let fail = |e: rusqlite::Error| sqlite(&e, path);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            tx.prepare_cached(
                "INSERT INTO sources (hash, text) VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![hash, run.source_text]))
            .map_err(fail)?;
            let source: i64 = tx
                .prepare_cached("SELECT key FROM sources WHERE hash = ?1")
                .and_then(|mut s| s.query_row([&hash], |row| row.get(0)))
                .map_err(fail)?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO runs (id, workflow, path, source, input, seed, status, \
                     started_at, updated_at, owner, heartbeat_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?7, ?8, ?9)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        run.id,
                        run.workflow,
                        run.path,
                        source,
                        run.input_json,
                        run.seed as i64,
                        now,
                        run.owner,
                        run.owner.map(|_| now),
                    ])
                });
            match inserted {
                Ok(_) => {}
                Err(e) if extended_code(&e) == Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE) => {
                    return Err(StoreError::DuplicateRun {
                        id: run.id.to_owned(),
                        store: path.to_path_buf(),
                    });
                }
                Err(e) => return Err(fail(e)),
            }
            let key = RunKey(tx.last_insert_rowid());
            tx.commit().map_err(fail)?;
            Ok(key)
        })
    }

    /// The run whose id starts with `prefix`, as git resolves an abbreviated
    /// commit: exactly one must match. Upper-case digits are accepted.
    pub fn resolve(&self, prefix: &str) -> Result<RunRow, StoreError> {
        let path = self.path();
        let wanted = prefix.to_ascii_lowercase();
        if !is_hex_prefix(&wanted) {
            return Err(StoreError::BadRunId {
                prefix: prefix.to_owned(),
                store: path.to_path_buf(),
            });
        }
        // Ids are hex digits, so every id with the prefix sorts between it
        // and the prefix followed by 'g'; the unique index answers that.
        let upper = format!("{wanted}g");
        let mut found = self.with_conn(|conn| {
            let sql = format!(
                "SELECT {ROW_COLUMNS} WHERE r.id >= ?1 AND r.id < ?2 ORDER BY r.id LIMIT 6"
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(|e| sqlite(&e, path))?;
            let rows = stmt
                .query_map(params![wanted, upper], read_row)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| sqlite(&e, path))?;
            Ok(rows)
        })?;
        match found.len() {
            0 => Err(StoreError::NoSuchRun {
                prefix: prefix.to_owned(),
                store: path.to_path_buf(),
            }),
            1 => Ok(found.remove(0)),
            n => {
                let mut candidates: Vec<String> =
                    found.into_iter().take(5).map(|run| run.id).collect();
                if n > 5 {
                    candidates.push("…".to_owned());
                }
                Err(StoreError::AmbiguousRun {
                    prefix: prefix.to_owned(),
                    candidates,
                    store: path.to_path_buf(),
                })
            }
        }
    }

    /// The run with this key.
    pub fn run(&self, key: RunKey) -> Result<RunRow, StoreError> {
        let path = self.path();
        self.with_conn(|conn| {
            let sql = format!("SELECT {ROW_COLUMNS} WHERE r.key = ?1");
            conn.prepare_cached(&sql)
                .and_then(|mut s| s.query_row([key.0], read_row).optional())
                .map_err(|e| sqlite(&e, path))?
                .ok_or_else(|| unknown(key, path))
        })
    }

    /// The source text a run started from and its sha256 in hex.
    pub fn source(&self, key: RunKey) -> Result<(String, String), StoreError> {
        let path = self.path();
        self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT s.text, s.hash FROM runs r JOIN sources s ON s.key = r.source WHERE r.key = ?1",
            )
            .and_then(|mut s| {
                s.query_row([key.0], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(|e| sqlite(&e, path))?
            .ok_or_else(|| unknown(key, path))
        })
    }

    /// The runs that match `filter`, newest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<RunRow>, StoreError> {
        let path = self.path();
        let mut conditions = Vec::new();
        let mut values: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(status) = filter.status {
            values.push(Box::new(status));
            conditions.push(format!("r.status = ?{}", values.len()));
        }
        if let Some(workflow) = &filter.workflow {
            values.push(Box::new(workflow.clone()));
            conditions.push(format!("r.workflow = ?{}", values.len()));
        }
        if let Some(due_by) = filter.due_by {
            values.push(Box::new(to_i64(due_by, "the due time", path)?));
            conditions.push(format!("r.due_at <= ?{}", values.len()));
        }
        let mut sql = format!("SELECT {ROW_COLUMNS}");
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY r.started_at DESC, r.key DESC");
        if let Some(limit) = filter.limit {
            values.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
            sql.push_str(&format!(" LIMIT ?{}", values.len()));
        }
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&sql).map_err(|e| sqlite(&e, path))?;
            stmt.query_map(rusqlite::params_from_iter(values.iter()), read_row)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| sqlite(&e, path))
        })
    }

    /// Sets a run's status and outcome (the output or error as JSON, or
    /// none). A final status also sets `ended_at` and clears `due_at`.
    pub fn set_status(
        &self,
        key: RunKey,
        status: RunStatus,
        outcome_json: Option<&str>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let path = self.path();
        let now = to_i64(now_ms, "the time", path)?;
        self.with_conn(|conn| {
            let changed = update_status(conn, key, status, outcome_json, now)
                .map_err(|e| sqlite(&e, path))?;
            found(changed, key, path)
        })
    }

    /// Sets the state a run is in and the next instant it waits for.
    pub fn set_progress(
        &self,
        key: RunKey,
        current_state: Option<&str>,
        due_at: Option<u64>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let path = self.path();
        let now = to_i64(now_ms, "the time", path)?;
        let due = due_at
            .map(|due| to_i64(due, "the due time", path))
            .transpose()?;
        self.with_conn(|conn| {
            let changed = update_progress(conn, key, current_state, due, now)
                .map_err(|e| sqlite(&e, path))?;
            found(changed, key, path)
        })
    }

    /// Moves run `key` to another source text (`flow resume --upgrade`),
    /// with the journal entry that says where the run is on it, in one
    /// transaction, and only while `owner` holds the run's lease: a run is
    /// never left with the new source and the old journal, or the reverse.
    pub fn switch_source(
        &self,
        key: RunKey,
        owner: &str,
        text: &str,
        entry: &Entry,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let path = self.path();
        let now = to_i64(now_ms, "the time", path)?;
        let seq = to_i64(entry.seq, "the journal position", path)?;
        let hash = source_hash(text);
        self.with_conn(|conn| {
            let fail = |e: rusqlite::Error| sqlite(&e, path);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            tx.prepare_cached(
                "INSERT INTO sources (hash, text) VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![hash, text]))
            .map_err(fail)?;
            let changed = tx
                .prepare_cached(
                    "UPDATE runs SET source = (SELECT key FROM sources WHERE hash = ?3), \
                     updated_at = ?4 WHERE key = ?1 AND owner = ?2",
                )
                .and_then(|mut s| s.execute(params![key.0, owner, hash, now]))
                .map_err(fail)?;
            if changed == 0 {
                let id: Option<(String, Option<String>)> = tx
                    .prepare_cached("SELECT id, owner FROM runs WHERE key = ?1")
                    .and_then(|mut s| {
                        s.query_row([key.0], |row| Ok((row.get(0)?, row.get(1)?)))
                            .optional()
                    })
                    .map_err(fail)?;
                let Some((run, now_owner)) = id else {
                    return Err(unknown(key, path));
                };
                return Err(StoreError::LeaseLost {
                    run,
                    owner: now_owner,
                    store: path.to_path_buf(),
                });
            }
            tx.prepare_cached("INSERT INTO journal (run, seq, kind, data) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut s| s.execute(params![key.0, seq, entry.kind, entry.data]))
                .map_err(fail)?;
            tx.commit().map_err(fail)
        })
    }

    /// Asks the run's owner to cancel it; the owner learns it from its next
    /// heartbeat (`Store::heartbeat`).
    pub fn request_cancel(&self, key: RunKey) -> Result<(), StoreError> {
        let path = self.path();
        self.with_conn(|conn| {
            let changed = conn
                .prepare_cached("UPDATE runs SET cancel_requested = 1 WHERE key = ?1")
                .and_then(|mut s| s.execute([key.0]))
                .map_err(|e| sqlite(&e, path))?;
            found(changed, key, path)
        })
    }

    /// Deletes runs that nobody can resume any more, with their journals and
    /// the sources no remaining run refers to; returns how many runs went.
    ///
    /// Without `status`: succeeded, failed and cancelled runs that ended
    /// before `older_than_ms`. With a final status: only those. With
    /// `Paused`: paused runs last updated before `older_than_ms`, which are
    /// never pruned otherwise since a person may still answer them. A
    /// running run is never pruned (`StoreError::PruneRunning`).
    pub fn prune(
        &self,
        older_than_ms: u64,
        status: Option<RunStatus>,
    ) -> Result<usize, StoreError> {
        let path = self.path();
        let (condition, values) = prune_condition(older_than_ms, status, "", path)?;
        self.with_conn(|conn| {
            let fail = |e: rusqlite::Error| sqlite(&e, path);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(fail)?;
            let deleted = tx
                .execute(
                    &format!("DELETE FROM runs WHERE {condition}"),
                    rusqlite::params_from_iter(values.iter()),
                )
                .map_err(fail)?;
            tx.execute(
                "DELETE FROM sources WHERE NOT EXISTS \
                 (SELECT 1 FROM runs WHERE runs.source = sources.key)",
                [],
            )
            .map_err(fail)?;
            tx.commit().map_err(fail)?;
            Ok(deleted)
        })
    }

    /// The runs `Store::prune` with the same arguments would delete, oldest
    /// first, without deleting them (`flow prune --dry-run`).
    pub fn prunable(
        &self,
        older_than_ms: u64,
        status: Option<RunStatus>,
    ) -> Result<Vec<RunRow>, StoreError> {
        let path = self.path();
        let (condition, values) = prune_condition(older_than_ms, status, "r.", path)?;
        let sql = format!("SELECT {ROW_COLUMNS} WHERE {condition} ORDER BY r.started_at, r.key");
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(&sql).map_err(|e| sqlite(&e, path))?;
            stmt.query_map(rusqlite::params_from_iter(values.iter()), read_row)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| sqlite(&e, path))
        })
    }
}

/// The runs `Store::prune` deletes, as an SQL condition on the columns of
/// `runs` (each after `prefix`, the table's alias) and its values.
fn prune_condition(
    older_than_ms: u64,
    status: Option<RunStatus>,
    prefix: &str,
    path: &Path,
) -> Result<(String, Vec<Box<dyn ToSql>>), StoreError> {
    let before = to_i64(older_than_ms, "the time", path)?;
    let p = prefix;
    Ok(match status {
        None => (
            format!("{p}status IN ('succeeded', 'failed', 'cancelled') AND {p}ended_at < ?1"),
            vec![Box::new(before)],
        ),
        Some(RunStatus::Running) => {
            return Err(StoreError::PruneRunning {
                store: path.to_path_buf(),
            });
        }
        Some(RunStatus::Paused) => (
            format!("{p}status = 'paused' AND {p}updated_at < ?1"),
            vec![Box::new(before)],
        ),
        Some(ended) => (
            format!("{p}status = ?1 AND {p}ended_at < ?2"),
            vec![Box::new(ended), Box::new(before)],
        ),
    })
}

pub(crate) fn unknown(key: RunKey, path: &Path) -> StoreError {
    StoreError::UnknownRun {
        key,
        store: path.to_path_buf(),
    }
}

/// An update that changed no row names a run that is not there.
fn found(changed: usize, key: RunKey, path: &Path) -> Result<(), StoreError> {
    if changed == 0 {
        Err(unknown(key, path))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_text_and_serde() {
        for status in RunStatus::ALL {
            assert_eq!(status.as_str().parse::<RunStatus>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
        }
        let err = "done".parse::<RunStatus>().unwrap_err();
        assert!(
            err.to_string().contains("`done` is not a run status"),
            "{err}"
        );
    }

    #[test]
    fn the_source_hash_is_sha256_in_hex() {
        assert_eq!(
            source_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
