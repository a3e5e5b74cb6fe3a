//! The run store (`flow::runtime::store`) against real SQLite files: runs and
//! their sources, the schema and its migrations, group commit, leases, and
//! the fault paths (full, read-only, locked, corrupt). Every test works in a
//! folder of its own under the system's temporary directory, removed at its
//! end.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use flow::runtime::store::{
    Durability, Entry, ListFilter, NewRun, OpenOptions, Owner, Progress, RunKey, RunStatus,
    STALE_AFTER_MS, Store, StoreError, schema,
};

/// A folder for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "flow-store-{name}-{}-{}",
            std::process::id(),
            flow::runtime::store::new_run_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join(".flow").join("runs.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open(path: &Path) -> Store {
    Store::open(path, Durability::Normal).unwrap()
}

fn new_run<'a>(id: &'a str, workflow: &'a str, source: &'a str, now: u64) -> NewRun<'a> {
    NewRun {
        id,
        workflow,
        path: "hello.flow",
        source_text: source,
        input_json: "{}",
        seed: u64::MAX,
        now_ms: now,
        owner: None,
    }
}

fn count(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn runs_are_created_and_resolved_by_a_unique_prefix() {
    let dir = TempDir::new("resolve");
    let store = open(&dir.db());
    assert!(dir.db().exists(), "the .flow directory and file are made");
    let a = store
        .create_run(&new_run("abc0000000000001", "hello", "src", 10))
        .unwrap();
    store
        .create_run(&new_run("abc0000000000002", "hello", "src", 20))
        .unwrap();
    store
        .create_run(&new_run("def0000000000003", "other", "src2", 30))
        .unwrap();

    let row = store.resolve("abc0000000000001").unwrap();
    assert_eq!(row.key, a);
    assert_eq!(row.seed, u64::MAX, "a seed keeps all 64 bits");
    assert_eq!(row.status, RunStatus::Running);
    assert_eq!(store.resolve("d").unwrap().id, "def0000000000003");
    assert_eq!(store.resolve("DEF").unwrap().id, "def0000000000003");

    match store.resolve("abc") {
        Err(StoreError::AmbiguousRun { candidates, .. }) => {
            assert_eq!(candidates, ["abc0000000000001", "abc0000000000002"]);
        }
        other => panic!("expected an ambiguous prefix, got {other:?}"),
    }
    let missing = store.resolve("0").unwrap_err();
    assert!(
        matches!(missing, StoreError::NoSuchRun { .. }),
        "{missing:?}"
    );
    assert!(
        missing
            .to_string()
            .contains(&dir.db().display().to_string())
    );
    for bad in ["", "xyz", "abc00000000000011"] {
        let err = store.resolve(bad).unwrap_err();
        assert!(matches!(err, StoreError::BadRunId { .. }), "{bad}: {err:?}");
    }
    let dup = store
        .create_run(&new_run("abc0000000000001", "hello", "src", 40))
        .unwrap_err();
    assert!(matches!(dup, StoreError::DuplicateRun { .. }), "{dup:?}");
    let bad = store
        .create_run(&new_run("not-an-id", "hello", "src", 40))
        .unwrap_err();
    assert!(matches!(bad, StoreError::BadRunId { .. }), "{bad:?}");
}

#[test]
fn sources_are_stored_once() {
    let dir = TempDir::new("sources");
    let store = open(&dir.db());
    let a = store
        .create_run(&new_run("0000000000000001", "w", "same text", 1))
        .unwrap();
    let b = store
        .create_run(&new_run("0000000000000002", "w", "same text", 2))
        .unwrap();
    store
        .create_run(&new_run("0000000000000003", "w", "other text", 3))
        .unwrap();
    assert_eq!(count(&dir.db(), "SELECT count(*) FROM sources"), 2);
    let (text, hash) = store.source(a).unwrap();
    assert_eq!(text, "same text");
    assert_eq!(hash, flow::runtime::store::source_hash("same text"));
    assert_eq!(store.source(b).unwrap().1, hash);
    assert_eq!(store.run(b).unwrap().source_hash, hash);
}

#[test]
fn list_filters_status_progress_and_cancel() {
    let dir = TempDir::new("list");
    let store = open(&dir.db());
    let keys: Vec<RunKey> = (1..=4)
        .map(|i| {
            let id = format!("{i:016x}");
            let workflow = if i % 2 == 0 { "even" } else { "odd" };
            store
                .create_run(&new_run(&id, workflow, "s", i * 100))
                .unwrap()
        })
        .collect();
    let all = store.list(&ListFilter::default()).unwrap();
    let ids: Vec<RunKey> = all.iter().map(|r| r.key).collect();
    assert_eq!(ids, [keys[3], keys[2], keys[1], keys[0]], "newest first");

    store
        .set_status(keys[0], RunStatus::Succeeded, Some("42"), 1_000)
        .unwrap();
    store
        .set_progress(keys[1], Some("ask"), Some(5_000), 1_000)
        .unwrap();
    store
        .set_status(keys[1], RunStatus::Paused, None, 1_000)
        .unwrap();
    store
        .set_progress(keys[2], Some("wait"), Some(9_000), 1_000)
        .unwrap();

    let done = store.run(keys[0]).unwrap();
    assert_eq!(done.ended_at, Some(1_000));
    assert_eq!(done.outcome_json.as_deref(), Some("42"));
    let paused = store.run(keys[1]).unwrap();
    assert_eq!(paused.current_state.as_deref(), Some("ask"));
    assert_eq!((paused.due_at, paused.ended_at), (Some(5_000), None));

    let by = |filter: ListFilter| -> Vec<RunKey> {
        store.list(&filter).unwrap().iter().map(|r| r.key).collect()
    };
    assert_eq!(
        by(ListFilter {
            status: Some(RunStatus::Paused),
            ..Default::default()
        }),
        [keys[1]]
    );
    assert_eq!(
        by(ListFilter {
            workflow: Some("odd".into()),
            ..Default::default()
        }),
        [keys[2], keys[0]]
    );
    assert_eq!(
        by(ListFilter {
            due_by: Some(5_000),
            ..Default::default()
        }),
        [keys[1]]
    );
    assert_eq!(
        by(ListFilter {
            due_by: Some(10_000),
            ..Default::default()
        }),
        [keys[2], keys[1]]
    );
    assert_eq!(
        by(ListFilter {
            limit: Some(1),
            ..Default::default()
        }),
        [keys[3]]
    );

    // Ending a run clears what it waited for.
    store
        .set_status(keys[2], RunStatus::Failed, Some("{\"error\":1}"), 2_000)
        .unwrap();
    assert_eq!(store.run(keys[2]).unwrap().due_at, None);

    assert!(!store.run(keys[3]).unwrap().cancel_requested);
    store.request_cancel(keys[3]).unwrap();
    assert!(store.run(keys[3]).unwrap().cancel_requested);
    let gone = store
        .set_status(RunKey(999), RunStatus::Failed, None, 1)
        .unwrap_err();
    assert!(matches!(gone, StoreError::UnknownRun { .. }), "{gone:?}");
}

#[test]
fn prune_never_deletes_a_run_that_can_go_on() {
    let dir = TempDir::new("prune");
    let store = open(&dir.db());
    let mk = |i: u64, source: &str| {
        store
            .create_run(&new_run(&format!("{i:016x}"), "w", source, 10))
            .unwrap()
    };
    let old_ok = mk(1, "a");
    let old_failed = mk(2, "b");
    let recent = mk(3, "a");
    let paused = mk(4, "c");
    let running = mk(5, "d");
    store
        .set_status(old_ok, RunStatus::Succeeded, None, 100)
        .unwrap();
    store
        .set_status(old_failed, RunStatus::Failed, None, 100)
        .unwrap();
    store
        .set_status(recent, RunStatus::Succeeded, None, 5_000)
        .unwrap();
    store
        .set_status(paused, RunStatus::Paused, None, 100)
        .unwrap();
    store
        .append(old_ok, vec![Entry::new(0, 1, "x")])
        .wait()
        .unwrap();

    assert_eq!(store.prune(1_000, Some(RunStatus::Failed)).unwrap(), 1);
    assert_eq!(
        store.prune(1_000, None).unwrap(),
        1,
        "only the old succeeded one"
    );
    assert!(store.run(old_ok).is_err());
    assert!(store.run(recent).is_ok());
    assert!(
        store.run(paused).is_ok(),
        "paused runs are kept unless asked for"
    );
    assert_eq!(count(&dir.db(), "SELECT count(*) FROM journal"), 0);
    // "b" went with its only run; "a" is still used by `recent`.
    assert_eq!(count(&dir.db(), "SELECT count(*) FROM sources"), 3);

    let refused = store
        .prune(u64::MAX >> 2, Some(RunStatus::Running))
        .unwrap_err();
    assert!(
        matches!(refused, StoreError::PruneRunning { .. }),
        "{refused:?}"
    );
    assert_eq!(store.prune(1_000, Some(RunStatus::Paused)).unwrap(), 1);
    assert_eq!(store.prune(u64::MAX >> 2, None).unwrap(), 1);
    assert!(store.run(running).is_ok(), "a running run is never pruned");
    assert_eq!(count(&dir.db(), "SELECT count(*) FROM sources"), 1);
}

#[test]
fn a_fresh_store_is_at_the_current_version_and_a_newer_one_is_refused() {
    let dir = TempDir::new("schema");
    drop(open(&dir.db()));
    assert_eq!(
        count(&dir.db(), "PRAGMA user_version"),
        i64::from(schema::SCHEMA_VERSION)
    );
    {
        let conn = rusqlite::Connection::open(dir.db()).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "user_version", schema::SCHEMA_VERSION + 1)
            .unwrap();
    }
    match Store::open(&dir.db(), Durability::Full) {
        Err(e @ StoreError::NewerSchema { .. }) => {
            assert!(
                e.to_string().contains(&dir.db().display().to_string()),
                "{e}"
            );
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn another_programs_database_is_refused() {
    let dir = TempDir::new("foreign");
    std::fs::create_dir_all(dir.db().parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(dir.db()).unwrap();
        conn.execute_batch("CREATE TABLE notes (t TEXT)").unwrap();
    }
    let err = open_err(&dir.db());
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

fn open_err(path: &Path) -> StoreError {
    match Store::open(path, Durability::Normal) {
        Err(e) => e,
        Ok(_) => panic!("{} opened", path.display()),
    }
}

/// The schema of a database: its objects' SQL, in a stable order.
fn schema_of(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_version_1_store_opens_with_its_rows() {
    let dir = TempDir::new("v1");
    std::fs::create_dir_all(dir.db().parent().unwrap()).unwrap();
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/store/v1.sql"
    ))
    .unwrap();
    {
        let conn = rusqlite::Connection::open(dir.db()).unwrap();
        conn.execute_batch(&fixture).unwrap();
        // The fixture is exactly what migration 1 makes.
        let made = rusqlite::Connection::open_in_memory().unwrap();
        made.execute_batch(schema::MIGRATIONS[0]).unwrap();
        assert_eq!(schema_of(&conn), schema_of(&made));
    }
    let store = open(&dir.db());
    assert_eq!(
        count(&dir.db(), "PRAGMA user_version"),
        i64::from(schema::SCHEMA_VERSION)
    );
    let done = store.resolve("00000000000000a1").unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(done.outcome_json.as_deref(), Some("{\"output\":\"hi a\"}"));
    let paused = store.resolve("00000000000000b").unwrap();
    assert_eq!((paused.status, paused.seed), (RunStatus::Paused, u64::MAX));
    assert_eq!(paused.due_at, Some(9_000));
    let journal = store.journal(done.key, None).unwrap();
    assert_eq!(journal, [Entry::new(0, 1, "{}"), Entry::new(1, 2, "hi")]);
    assert_eq!(
        store.journal(done.key, Some(0)).unwrap(),
        [Entry::new(1, 2, "hi")]
    );
    // The migrated store takes new entries.
    store
        .append(paused.key, vec![Entry::new(1, 3, "more")])
        .wait()
        .unwrap();
    assert_eq!(store.journal(paused.key, None).unwrap().len(), 2);
}

#[test]
fn a_new_store_has_small_pages_and_an_old_one_keeps_its_own() {
    let dir = TempDir::new("pages");
    let store = open(&dir.db());
    store
        .create_run(&new_run("00000000000000c1", "w", "src", 1))
        .unwrap();
    drop(store);
    assert_eq!(count(&dir.db(), "PRAGMA page_size"), 2048);

    // A store made with SQLite's default pages, as flow made them before,
    // opens, takes runs and keeps its pages: a page size cannot change
    // under a write-ahead log.
    let old = TempDir::new("pages-old");
    std::fs::create_dir_all(old.db().parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(old.db()).unwrap();
        conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;")
            .unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA user_version = 1; PRAGMA application_id = {};",
            schema::APPLICATION_ID
        ))
        .unwrap();
    }
    let store = open(&old.db());
    let key = store
        .create_run(&new_run("00000000000000c2", "w", "src", 1))
        .unwrap();
    store
        .append(key, vec![Entry::new(0, 1, "{}")])
        .wait()
        .unwrap();
    drop(store);
    assert_eq!(count(&old.db(), "PRAGMA page_size"), 4096);
}

#[test]
fn a_commit_leads_when_it_is_waited_for_dropped_or_another_is_waited_for() {
    let dir = TempDir::new("lead");
    let store = open(&dir.db());
    let key = store
        .create_run(&new_run("00000000000000d1", "w", "src", 1))
        .unwrap();
    // The first leads, the second waits for it: waiting for the second
    // starts the first's lead on this thread instead of waiting for ever.
    let first = store.append(key, vec![Entry::new(0, 1, "a")]);
    let second = store.append(key, vec![Entry::new(1, 1, "b")]);
    second.wait().unwrap();
    first.wait().unwrap();
    // A leader nobody waits for still writes what is queued.
    drop(store.append(key, vec![Entry::new(2, 1, "c")]));
    assert_eq!(
        store.journal(key, None).unwrap(),
        [
            Entry::new(0, 1, "a"),
            Entry::new(1, 1, "b"),
            Entry::new(2, 1, "c")
        ]
    );
    assert_eq!(store.stats().commits, 2, "{:?}", store.stats());
}

#[test]
fn appends_of_many_threads_share_commits_and_keep_their_order() {
    let dir = TempDir::new("group");
    let store = open(&dir.db());
    const THREADS: usize = 100;
    const PER_THREAD: u64 = 20;
    let keys: Vec<RunKey> = (0..THREADS)
        .map(|i| {
            store
                .create_run(&new_run(&format!("{i:016x}"), "w", "s", 1))
                .unwrap()
        })
        .collect();
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = keys
        .iter()
        .map(|&key| {
            let store = store.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for seq in 0..PER_THREAD {
                    let entries = vec![
                        Entry::new(2 * seq, 1, format!("{}:{seq}:a", key.0)),
                        Entry::new(2 * seq + 1, 2, format!("{}:{seq}:b", key.0)),
                    ];
                    store.append(key, entries).wait().unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    for &key in &keys {
        let journal = store.journal(key, None).unwrap();
        assert_eq!(journal.len() as u64, 2 * PER_THREAD);
        for (i, entry) in journal.iter().enumerate() {
            assert_eq!(entry.seq, i as u64);
            let half = if i % 2 == 0 { "a" } else { "b" };
            assert_eq!(
                entry.data,
                format!("{}:{}:{half}", key.0, i / 2).into_bytes()
            );
        }
    }
    let stats = store.stats();
    assert_eq!(stats.appends, THREADS as u64 * PER_THREAD);
    assert_eq!(stats.entries, 2 * THREADS as u64 * PER_THREAD);
    assert!(
        stats.commits < stats.appends,
        "no commit was shared: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_is_awaited_and_commits_with_its_progress() {
    let dir = TempDir::new("async");
    let store = open(&dir.db());
    let key = store
        .create_run(&new_run("00000000000000aa", "w", "s", 1))
        .unwrap();
    let progress = Progress {
        current_state: Some("ask".into()),
        due_at: Some(77),
        status: Some((RunStatus::Paused, None)),
        now_ms: 50,
    };
    store
        .append_with(key, vec![Entry::new(0, 9, vec![1, 2, 3])], Some(progress))
        .await
        .unwrap();
    let row = store.run(key).unwrap();
    assert_eq!(row.status, RunStatus::Paused);
    assert_eq!(
        (row.current_state.as_deref(), row.due_at),
        (Some("ask"), Some(77))
    );

    // A seq written twice fails that append alone, and writes none of it.
    let conflict = store
        .append(
            key,
            vec![Entry::new(1, 1, "new"), Entry::new(0, 1, "again")],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(conflict, StoreError::JournalConflict { seq: 0, .. }),
        "{conflict:?}"
    );
    assert_eq!(store.journal(key, None).unwrap().len(), 1);
    let unknown = store
        .append(RunKey(12345), vec![Entry::new(0, 1, "x")])
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, StoreError::UnknownRun { .. }),
        "{unknown:?}"
    );
}

#[test]
fn a_lease_is_refused_while_its_owner_lives_and_taken_when_stale() {
    let dir = TempDir::new("lease");
    let store = open(&dir.db());
    let key = store
        .create_run(&new_run("00000000000000cc", "w", "s", 1))
        .unwrap();
    let first = Owner::this_process();
    let second = Owner::this_process();
    let lease = store.acquire(key, &first, 1_000).unwrap();
    assert_eq!(lease.run_id(), "00000000000000cc");
    store.acquire(key, &first, 1_100).unwrap();
    match store.acquire(key, &second, 2_000) {
        Err(e @ StoreError::Leased { .. }) => {
            let text = e.to_string();
            assert!(text.contains(first.as_str()), "{text}");
            assert!(text.contains(&dir.db().display().to_string()), "{text}");
            if let StoreError::Leased {
                heartbeat_age_ms, ..
            } = e
            {
                assert_eq!(heartbeat_age_ms, Some(900));
            }
        }
        other => panic!("expected Leased, got {other:?}"),
    }
    assert!(!store.heartbeat(&lease, 1_500).unwrap().cancel_requested);
    store.request_cancel(key).unwrap();
    assert!(store.heartbeat(&lease, 1_600).unwrap().cancel_requested);

    // Silent for longer than the stale limit: taken over, and the old owner
    // learns it at its next heartbeat and cannot write to the journal.
    let taken = store
        .acquire(key, &second, 1_600 + STALE_AFTER_MS + 1)
        .unwrap();
    let lost = store.heartbeat(&lease, 1_700).unwrap_err();
    assert!(matches!(lost, StoreError::LeaseLost { .. }), "{lost:?}");
    assert!(lost.to_string().contains(second.as_str()), "{lost}");
    let fenced = store
        .submit(flow::runtime::store::Append {
            run: key,
            entries: vec![Entry::new(0, 1, "late")],
            progress: None,
            owner: Some(first.as_str().to_owned()),
        })
        .wait()
        .unwrap_err();
    assert!(matches!(fenced, StoreError::LeaseLost { .. }), "{fenced:?}");
    // With a change of the row, the fence is in the row's update: the same
    // refusal, and neither the entry nor the change is written.
    let fenced = store
        .submit(flow::runtime::store::Append {
            run: key,
            entries: vec![Entry::new(0, 1, "late")],
            progress: Some(flow::runtime::store::Progress {
                current_state: Some("late".into()),
                due_at: None,
                status: None,
                now_ms: 1_800,
            }),
            owner: Some(first.as_str().to_owned()),
        })
        .wait()
        .unwrap_err();
    assert!(matches!(fenced, StoreError::LeaseLost { .. }), "{fenced:?}");
    assert!(fenced.to_string().contains(second.as_str()), "{fenced}");
    assert!(store.journal(key, None).unwrap().is_empty());
    assert_ne!(
        store.run(key).unwrap().current_state.as_deref(),
        Some("late")
    );

    store.release(&lease).unwrap();
    assert_eq!(
        store.run(key).unwrap().owner.as_deref(),
        Some(second.as_str())
    );
    store.release(&taken).unwrap();
    assert_eq!(store.run(key).unwrap().owner, None);
    store.acquire(key, &first, 2_000).unwrap();
}

#[test]
fn a_lease_of_a_dead_process_is_taken_at_once() {
    let dir = TempDir::new("dead");
    let store = open(&dir.db());
    let key = store
        .create_run(&new_run("00000000000000dd", "w", "s", 1))
        .unwrap();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap();
    let dead = Owner::from_id(format!("{pid}@{hostname}:0badcafe"));
    store.acquire(key, &dead, 10_000).unwrap();
    let me = Owner::this_process();
    // The heartbeat is fresh, but the process is gone.
    store.acquire(key, &me, 10_001).unwrap();
    assert_eq!(store.run(key).unwrap().owner.as_deref(), Some(me.as_str()));
}

/// Of `n` owners asking for one lease at once, through `stores`, exactly one
/// gets it.
fn race(stores: &[Store], key: RunKey, n: usize) {
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let owner = Owner::this_process();
                barrier.wait();
                store.acquire(key, &owner, 5_000)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    for result in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(result, StoreError::Leased { .. }), "{result:?}");
    }
}

#[test]
fn racing_acquires_have_exactly_one_winner() {
    let dir = TempDir::new("race");
    let one = open(&dir.db());
    let other = open(&dir.db());
    for i in 0..5u64 {
        let key = one
            .create_run(&new_run(&format!("{:016x}", 0xe0 + i), "w", "s", 1))
            .unwrap();
        if i % 2 == 0 {
            race(std::slice::from_ref(&one), key, 16);
        } else {
            race(&[one.clone(), other.clone()], key, 16);
        }
    }
}

fn assert_names(err: &StoreError, path: &Path) {
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
}

#[test]
fn a_full_disk_fails_the_append_keeps_what_was_written_and_recovers() {
    let dir = TempDir::new("full");
    let path = dir.db();
    let setup = open(&path);
    let key = setup
        .create_run(&new_run("00000000000000ff", "w", "s", 1))
        .unwrap();
    setup
        .append(key, vec![Entry::new(0, 1, "kept")])
        .wait()
        .unwrap();
    setup.checkpoint().unwrap();
    drop(setup);
    let pages = count(&path, "PRAGMA page_count") as u64;
    let store = Store::open_with(
        &path,
        OpenOptions {
            max_page_count: Some(pages),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let big = vec![7u8; 64 * 1024];
    let err = store
        .append(
            key,
            vec![Entry::new(1, 1, big.clone()), Entry::new(2, 1, "x")],
        )
        .wait()
        .unwrap_err();
    assert!(matches!(err, StoreError::Full { .. }), "{err:?}");
    assert_names(&err, &path);
    assert!(err.to_string().contains("full"), "{err}");
    assert_eq!(
        store.journal(key, None).unwrap(),
        [Entry::new(0, 1, "kept")]
    );

    // Space is freed: the same writer goes on.
    store.set_max_page_count(None).unwrap();
    store
        .append(key, vec![Entry::new(1, 1, big), Entry::new(2, 1, "x")])
        .wait()
        .unwrap();
    assert_eq!(store.journal(key, None).unwrap().len(), 3);
}

#[test]
fn a_read_only_store_reads_and_refuses_writes() {
    let dir = TempDir::new("readonly");
    let path = dir.db();
    let setup = open(&path);
    let key = setup
        .create_run(&new_run("0000000000000011", "w", "s", 1))
        .unwrap();
    setup
        .append(key, vec![Entry::new(0, 1, "a")])
        .wait()
        .unwrap();
    drop(setup);
    let store = Store::open_with(
        &path,
        OpenOptions {
            read_only: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert_eq!(store.journal(key, None).unwrap().len(), 1);
    let err = store
        .append(key, vec![Entry::new(1, 1, "b")])
        .wait()
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    assert_names(&err, &path);
    let err = store
        .set_status(key, RunStatus::Failed, None, 2)
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    drop(store);

    // File modes stop everyone but root, whom they do not stop.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let result = Store::open(&path, Durability::Normal)
            .and_then(|store| store.append(key, vec![Entry::new(1, 1, "b")]).wait());
        let err = result.unwrap_err();
        assert!(
            matches!(err, StoreError::ReadOnly { .. } | StoreError::Open { .. }),
            "{err:?}"
        );
        assert_names(&err, &path);
    }
}

#[test]
fn a_locked_store_says_who_to_wait_for() {
    let dir = TempDir::new("locked");
    let path = dir.db();
    let setup = open(&path);
    let key = setup
        .create_run(&new_run("0000000000000022", "w", "s", 1))
        .unwrap();
    drop(setup);
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let store = Store::open_with(
        &path,
        OpenOptions {
            busy_timeout: Duration::from_millis(50),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let err = store
        .create_run(&new_run("0000000000000023", "w", "s", 1))
        .unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert_names(&err, &path);
    let err = store
        .append(key, vec![Entry::new(0, 1, "a")])
        .wait()
        .unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    // Reads go on under the writer's lock (WAL).
    assert_eq!(store.run(key).unwrap().id, "0000000000000022");
    holder.execute_batch("ROLLBACK").unwrap();
    store
        .append(key, vec![Entry::new(0, 1, "a")])
        .wait()
        .unwrap();
}

#[test]
fn a_damaged_file_is_named_and_refused() {
    let dir = TempDir::new("corrupt");
    let path = dir.db();
    let setup = open(&path);
    setup
        .create_run(&new_run("0000000000000033", "w", "s", 1))
        .unwrap();
    drop(setup);
    let mut bytes = std::fs::read(&path).unwrap();
    for (i, byte) in bytes.iter_mut().take(100).enumerate() {
        *byte = (i as u8).wrapping_mul(151).wrapping_add(7);
    }
    std::fs::write(&path, bytes).unwrap();
    let err = open_err(&path);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert_names(&err, &path);
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(help.contains("move it aside"), "{help}");
}

#[test]
fn every_error_has_a_store_code() {
    let err = StoreError::Full {
        store: PathBuf::from("/x/runs.db"),
    };
    let code = miette::Diagnostic::code(&err).unwrap().to_string();
    assert_eq!(code, "flow::store::full");
    assert!(err.to_string().contains("/x/runs.db"));
}
