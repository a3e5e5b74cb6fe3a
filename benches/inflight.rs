//! Memory per run in flight: 10,000 runs at once, each waiting on a local
//! HTTP server.
//!
//! The server is this same program started again as a child process (with
//! `FLOW_BENCH_HOLD`), so that its memory and its sockets are not counted.
//! It holds every request until the whole batch has arrived, so all the
//! runs are in flight together at the peak, then answers them all.
//!
//! A counting allocator measures the peak of live heap bytes in three
//! phases, each from the same starting point:
//! 1. `http`: the `http` executor called directly, 10,000 calls at once:
//!    the worker's own I/O (the request, the connection, the response);
//! 2. `engine`: 10,000 runs of a one-step workflow calling the same service
//!    through the engine, each on its own tokio task;
//! 3. the difference between the two per run is the engine's own cost,
//!    which the target bounds at 16 KiB.
//!
//! `cargo bench --bench inflight` runs 10,000; `cargo test` runs this file
//! with 200 as a smoke test. Set `FLOW_BENCH_RUNS` to choose.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use flow::ir::{Program, WorkflowId};
use flow::runtime::engine::{self, NoSink, RunOptions, RunOutcome};
use flow::runtime::executor::http::{HttpExecutor, HttpSpec, Method};
use flow::runtime::executor::{CallMeta, DEFAULT_MAX_OUTPUT, Invocation};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed to the system allocator unchanged; the
// counters are only arithmetic beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a phase: the peak is reset to what is live now, which is returned.
fn start_phase() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

const WORKFLOW: &str = r#"
worker Work(n: int) -> { ok: bool } {
  http { url: "http://127.0.0.1:PORT/work", method: "POST" }
  timeout: 5m
}

workflow one_call(n: int) -> bool {
  step work = Work(n: n) {
    on_success -> done
  }
  succeed done = work.ok
}
"#;

fn main() {
    if let Ok(batch) = std::env::var("FLOW_BENCH_HOLD") {
        let batch = batch
            .parse()
            .unwrap_or_else(|e| panic!("FLOW_BENCH_HOLD: {e}"));
        serve(batch);
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let runs: usize = match std::env::var("FLOW_BENCH_RUNS") {
        Ok(n) => n.parse().unwrap_or_else(|e| panic!("FLOW_BENCH_RUNS: {e}")),
        Err(_) if full => 10_000,
        Err(_) => 200,
    };
    raise_file_limit(runs as u64 + 256);
    let (mut server, port) = start_server(runs);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime: {e}"));
    let program = program(port);
    let http = HttpExecutor::new().unwrap_or_else(|e| panic!("{e}"));

    // One warm-up batch of each, so that lazily built things (the TLS
    // configuration, tokio's timer wheel, the allocator's arenas) are not
    // counted against the first phase.
    runtime.block_on(direct_calls(&http, port, runs));
    runtime.block_on(engine_runs(&program, &http, runs));

    let before = start_phase();
    runtime.block_on(direct_calls(&http, port, runs));
    let direct = PEAK.load(Ordering::Relaxed) - before;

    let before = start_phase();
    runtime.block_on(engine_runs(&program, &http, runs));
    let through_engine = PEAK.load(Ordering::Relaxed) - before;

    drop(server.stdin.take());
    let _ = server.wait();

    let per = |bytes: usize| bytes as f64 / runs as f64 / 1024.0;
    println!("runs in flight at once:            {runs}");
    println!(
        "http executor alone, peak heap:    {:>8.2} MiB = {:>6.2} KiB per call",
        direct as f64 / 1048576.0,
        per(direct)
    );
    println!(
        "through the engine, peak heap:     {:>8.2} MiB = {:>6.2} KiB per run",
        through_engine as f64 / 1048576.0,
        per(through_engine)
    );
    let own = through_engine.saturating_sub(direct);
    println!(
        "the engine's own, per run:         {:>8.2} KiB (target: under 16 KiB)",
        per(own)
    );
    if let Some(hwm) = high_water_mark() {
        println!("process peak RSS (VmHWM):          {hwm}");
    }
}

fn program(port: u16) -> Program {
    let source = WORKFLOW.replace("PORT", &port.to_string());
    let parsed = flow::syntax::parse(&source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    match flow::check::check_program(&parsed.file) {
        (Some(program), _) => program,
        (None, problems) => panic!("the benchmark's workflow does not check: {problems:#?}"),
    }
}

/// `runs` calls of the `http` executor at once, as the engine would make
/// them, without the engine.
async fn direct_calls(http: &HttpExecutor, port: u16, runs: usize) {
    let spec = Arc::new(HttpSpec {
        url: format!("http://127.0.0.1:{port}/work"),
        method: Method::Post,
        headers: Vec::new(),
        max_retry_after: flow::runtime::executor::http::MAX_RETRY_AFTER,
        empty_is_null: false,
    });
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..runs {
        let http = http.clone();
        let spec = spec.clone();
        tasks.spawn(async move {
            let input = json!({ "n": n });
            let meta = CallMeta {
                run_id: format!("run-{n}"),
                step: "work".into(),
                attempt: 1,
                idempotency_key: format!("run-{n}/work/1"),
            };
            let invocation = Invocation {
                input: &input,
                meta: &meta,
                max_output: DEFAULT_MAX_OUTPUT,
                wants_string: false,
            };
            http.call(&spec, &invocation).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(output)) => assert_eq!(output.value, json!({ "ok": true })),
            Ok(Err(failure)) => panic!("a direct call failed: {failure}"),
            Err(e) => panic!("a direct call panicked: {e}"),
        }
    }
}

/// `runs` runs of the one-step workflow at once, each on its own task.
async fn engine_runs(program: &Program, http: &HttpExecutor, runs: usize) {
    let program = Arc::new(program.clone());
    let options = RunOptions {
        http: Some(http.clone()),
        ..RunOptions::default()
    };
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..runs {
        let program = program.clone();
        let options = options.clone();
        tasks.spawn(async move {
            engine::run(&program, WorkflowId(0), json!({ "n": n }), options, &NoSink).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(finished)) => assert_eq!(
                finished.outcome,
                RunOutcome::Succeeded {
                    output: json!(true)
                }
            ),
            Ok(Err(e)) => panic!("a run did not start: {e}"),
            Err(e) => panic!("a run panicked: {e}"),
        }
    }
}

/// Starts this program again as the holding server and reads its port.
fn start_server(batch: usize) -> (Child, u16) {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(exe)
        .env("FLOW_BENCH_HOLD", batch.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start the server: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("the server said {line:?}: {e}"));
    (child, port)
}

/// The server: answers `{"ok":true}` to every request, but only once
/// `batch` requests (counted across all connections) have arrived since
/// the last batch was released. Stops when its stdin closes.
fn serve(batch: usize) {
    raise_file_limit(batch as u64 + 256);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime: {e}"));
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("could not bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{port}");
        let _ = out.flush();

        let arrived = Arc::new(AtomicUsize::new(0));
        let (released, _) = watch::channel(0usize);
        let released = Arc::new(released);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let arrived = arrived.clone();
                let released = released.clone();
                tokio::spawn(answer(stream, batch, arrived, released));
            }
        });
        // The parent closes stdin when it is done (or dies).
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            let _ = std::io::stdin().read_line(&mut sink);
        })
        .await;
    });
}

async fn answer(
    mut stream: TcpStream,
    batch: usize,
    arrived: Arc<AtomicUsize>,
    released: Arc<watch::Sender<usize>>,
) {
    if read_request(&mut stream).await.is_none() {
        return;
    }
    let index = arrived.fetch_add(1, Ordering::SeqCst);
    let generation = index / batch + 1;
    if index + 1 == generation * batch {
        released.send_replace(generation);
    }
    let mut watcher = released.subscribe();
    let _ = watcher.wait_for(|&g| g >= generation).await;
    let body = br#"{"ok":true}"#;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// Reads one request's head and its `content-length` body.
async fn read_request(stream: &mut TcpStream) -> Option<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(());
        }
    }
}

/// 10,000 sockets need more than the usual 1,024 descriptors: raise the
/// soft limit as far as the hard limit allows.
fn raise_file_limit(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return;
        }
        if limit.rlim_cur >= wanted {
            return;
        }
        limit.rlim_cur = wanted.min(limit.rlim_max);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    if limit.rlim_cur < wanted {
        panic!(
            "{wanted} open files are needed and the hard limit is {}; raise it (ulimit -Hn)",
            limit.rlim_max
        );
    }
}

fn high_water_mark() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().to_string())
}
