//! The run store's journal: one transition's worth of entries (two entries
//! of 40 bytes) appended and committed, for one run at a time and for 100
//! runs on 100 threads at once (group commit), at `synchronous=NORMAL`.
//! After criterion's figures, a fixed measurement prints appends per second
//! and the bytes of database file per entry (the file's growth after a
//! checkpoint, divided by the entries written).
//!
//! Run with `cargo bench --bench store`. Targets (design section 6): at most
//! 50 µs per durable transition for one run, at least 50,000 transitions/s
//! over 100 concurrent runs, at most 256 bytes of store per transition
//! beyond the values.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use flow::runtime::store::{Durability, Entry, NewRun, RunKey, Store};

const RUNS: usize = 100;
const PAYLOAD: usize = 40;

struct Bench {
    dir: PathBuf,
    store: Store,
    keys: Vec<RunKey>,
    /// The next seq of every run.
    next: Vec<AtomicU64>,
}

impl Bench {
    fn new(name: &str) -> Bench {
        let dir =
            std::env::temp_dir().join(format!("flow-bench-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = match Store::open(&dir.join("runs.db"), Durability::Normal) {
            Ok(store) => store,
            Err(e) => panic!("cannot open the bench store: {e}"),
        };
        let keys = (0..RUNS)
            .map(|i| {
                let id = format!("{i:016x}");
                let run = NewRun {
                    id: &id,
                    workflow: "spin",
                    path: "spin.flow",
                    source_text: "workflow spin() -> int { succeed done = 1 }",
                    input_json: "{}",
                    seed: 1,
                    now_ms: 1,
                    owner: None,
                };
                match store.create_run(&run) {
                    Ok(key) => key,
                    Err(e) => panic!("cannot create a bench run: {e}"),
                }
            })
            .collect();
        let next = (0..RUNS).map(|_| AtomicU64::new(0)).collect();
        Bench {
            dir,
            store,
            keys,
            next,
        }
    }

    /// One transition of run `i`: two entries, committed.
    fn transition(&self, i: usize) {
        let seq = self.next[i].fetch_add(2, Ordering::Relaxed);
        let entries = vec![
            Entry::new(seq, 1, [b'a'; PAYLOAD]),
            Entry::new(seq + 1, 2, [b'b'; PAYLOAD]),
        ];
        if let Err(e) = self.store.append(self.keys[i], entries).wait() {
            panic!("append failed: {e}");
        }
    }

    /// `per_run` transitions on each of the 100 runs, one thread per run;
    /// the time from the start signal to the last commit.
    fn concurrent(self: &Arc<Self>, per_run: u64) -> Duration {
        let barrier = Arc::new(Barrier::new(RUNS + 1));
        let handles: Vec<_> = (0..RUNS)
            .map(|i| {
                let bench = self.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    for _ in 0..per_run {
                        bench.transition(i);
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for handle in handles {
            if handle.join().is_err() {
                panic!("a bench thread panicked");
            }
        }
        start.elapsed()
    }

    fn file_size(&self) -> u64 {
        if let Err(e) = self.store.checkpoint() {
            panic!("checkpoint failed: {e}");
        }
        size(&self.dir.join("runs.db"))
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn store(c: &mut Criterion) {
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(1));
    let one = Bench::new("one");
    group.bench_function("one run, a transition (2 entries) per commit", |b| {
        b.iter(|| one.transition(0))
    });
    drop(one);

    let many = Arc::new(Bench::new("many"));
    group.bench_function("100 runs on 100 threads, per transition", |b| {
        b.iter_custom(|iters| {
            let per_run = iters.div_ceil(RUNS as u64).max(1);
            let took = many.concurrent(per_run);
            // Scaled to the iterations criterion asked for.
            took.mul_f64(iters as f64 / (per_run * RUNS as u64) as f64)
        })
    });
    drop(many);
    group.finish();

    report();
}

/// Fixed-size measurements, printed for docs/performance.md.
fn report() {
    let one = Bench::new("report-one");
    let before = one.file_size();
    let n = 20_000u64;
    let start = Instant::now();
    for _ in 0..n {
        one.transition(0);
    }
    let took = start.elapsed();
    let growth = one.file_size().saturating_sub(before);
    println!(
        "store: one run: {n} transitions in {:.3} s: {:.1} µs per transition, {:.0} transitions/s; \
         {:.1} bytes of file per entry ({PAYLOAD} of payload), {:.1} per transition",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n as f64,
        n as f64 / took.as_secs_f64(),
        growth as f64 / (2 * n) as f64,
        growth as f64 / n as f64,
    );
    drop(one);

    let many = Arc::new(Bench::new("report-many"));
    let before = many.file_size();
    let per_run = 500u64;
    let took = many.concurrent(per_run);
    let total = per_run * RUNS as u64;
    let growth = many.file_size().saturating_sub(before);
    let stats = many.store.stats();
    println!(
        "store: 100 runs: {total} transitions in {:.3} s: {:.0} transitions/s; {} commits \
         ({:.1} appends per commit); {:.1} bytes of file per entry, {:.1} per transition",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64(),
        stats.commits,
        stats.appends as f64 / stats.commits.max(1) as f64,
        growth as f64 / (2 * total) as f64,
        growth as f64 / total as f64,
    );
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(5));
    store(&mut c);
    c.final_summary();
}
