//! The journal: per run, entries in `seq` order whose payload only the
//! driver interprets. Entries are written by the group-commit writer
//! (`writer.rs`) and read here, from any thread or process.

use rusqlite::OptionalExtension;

use super::Store;
use super::error::{StoreError, sqlite, to_i64, to_u64};
use super::runs::{RunKey, unknown};

/// One journal entry: its place in the run's journal, a kind the driver
/// defines, and opaque bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub kind: u8,
    pub data: Vec<u8>,
}

impl Entry {
    pub fn new(seq: u64, kind: u8, data: impl Into<Vec<u8>>) -> Entry {
        Entry {
            seq,
            kind,
            data: data.into(),
        }
    }
}

impl Store {
    /// A run's journal in `seq` order, from the entry after `after_seq` (the
    /// whole journal for `None`). Readers never wait for the writer: WAL
    /// gives each read the last committed state.
    pub fn journal(&self, key: RunKey, after_seq: Option<u64>) -> Result<Vec<Entry>, StoreError> {
        let path = self.path();
        // -1 is below every seq, so `None` reads from the start.
        let after = match after_seq {
            Some(seq) => to_i64(seq, "the journal position", path)?,
            None => -1,
        };
        self.with_conn(|conn| {
            let fail = |e: rusqlite::Error| sqlite(&e, path);
            let entries = conn
                .prepare_cached(
                    "SELECT seq, kind, data FROM journal WHERE run = ?1 AND seq > ?2 ORDER BY seq",
                )
                .and_then(|mut s| {
                    s.query_map([key.0, after], |row| {
                        Ok(Entry {
                            seq: to_u64(row.get(0)?),
                            kind: row.get(1)?,
                            data: row.get(2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(fail)?;
            if entries.is_empty() {
                // An empty journal of a run that is not there is an error,
                // not a run that has not started.
                conn.prepare_cached("SELECT 1 FROM runs WHERE key = ?1")
                    .and_then(|mut s| s.query_row([key.0], |_| Ok(())).optional())
                    .map_err(fail)?
                    .ok_or_else(|| unknown(key, path))?;
            }
            Ok(entries)
        })
    }
}
