//! The language server: how long after a change its diagnostics are
//! published, for generated documents of about 1,000 and 10,000 lines
//! (design: at most 10 ms and 100 ms), and the memory an open document
//! holds.
//!
//! The server runs in process on its own thread over
//! `lsp_server::Connection::memory`, as in `tests/lsp.rs`; each iteration
//! sends a whole-document `didChange` (the text alternates between two
//! versions, so every change is a real one) and waits for the
//! `publishDiagnostics` of that version. Run with `cargo bench --bench lsp`.

#[path = "gen/mod.rs"]
mod generator;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use criterion::Criterion;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use lsp_types::notification::{
    DidChangeTextDocument, DidOpenTextDocument, Exit, Initialized, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{Initialize, Request as _, Shutdown};
use lsp_types::{
    DidChangeTextDocumentParams, DidOpenTextDocumentParams, InitializeParams,
    PublishDiagnosticsParams, TextDocumentContentChangeEvent, TextDocumentItem, Uri,
    VersionedTextDocumentIdentifier,
};

/// Counts the bytes allocated and not yet freed, for the memory an open
/// document holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only
// a counter is kept beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `alloc` above with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as `GlobalAlloc::realloc` requires, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A generated document of at least `lines` lines, and no more than a
/// few percent over (a state of the generator takes about 15 lines).
fn document(lines: usize) -> String {
    let mut states = lines / 32 + 1;
    loop {
        let generated = generator::generate(states, 1);
        if generated.lines() >= lines || states > lines {
            return generated.source;
        }
        states += states / 20 + 1;
    }
}

struct Client {
    connection: Connection,
    server: Option<JoinHandle<()>>,
    next_id: i32,
}

impl Client {
    fn start() -> Client {
        let (server, connection) = Connection::memory();
        let thread = std::thread::spawn(move || {
            flow::lsp::run(&server);
        });
        let mut client = Client {
            connection,
            server: Some(thread),
            next_id: 0,
        };
        let params = serde_json::to_value(InitializeParams::default()).unwrap_or_default();
        client.request(Initialize::METHOD, params);
        client.notify(Initialized::METHOD, serde_json::json!({}));
        client
    }

    fn request(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let sent = self
            .connection
            .sender
            .send(Request::new(id.clone(), method.to_owned(), params).into());
        assert!(sent.is_ok(), "the server is gone");
        loop {
            match self
                .connection
                .receiver
                .recv_timeout(Duration::from_secs(60))
            {
                Ok(Message::Response(response)) if response.id == id => {
                    return response.response_result.unwrap_or_default();
                }
                Ok(_) => {}
                Err(e) => panic!("no answer to {method}: {e}"),
            }
        }
    }

    fn notify(&self, method: &str, params: serde_json::Value) {
        let sent = self
            .connection
            .sender
            .send(Notification::new(method.to_owned(), params).into());
        assert!(sent.is_ok(), "the server is gone");
    }

    /// Waits for the diagnostics of `version` of `uri`; how many there are.
    fn published(&self, uri: &Uri, version: i32) -> usize {
        loop {
            match self
                .connection
                .receiver
                .recv_timeout(Duration::from_secs(60))
            {
                Ok(Message::Notification(n)) if n.method == PublishDiagnostics::METHOD => {
                    let Ok(p) = serde_json::from_value::<PublishDiagnosticsParams>(n.params) else {
                        continue;
                    };
                    if &p.uri == uri && p.version == Some(version) {
                        return p.diagnostics.len();
                    }
                }
                Ok(_) => {}
                Err(e) => panic!("no diagnostics for version {version}: {e}"),
            }
        }
    }

    fn open(&self, uri: &Uri, text: &str) {
        let params = DidOpenTextDocumentParams {
            text_document: TextDocumentItem {
                uri: uri.clone(),
                language_id: "flow".into(),
                version: 0,
                text: text.to_owned(),
            },
        };
        self.notify(
            DidOpenTextDocument::METHOD,
            serde_json::to_value(params).unwrap_or_default(),
        );
        self.published(uri, 0);
    }

    fn change(&self, uri: &Uri, version: i32, text: &str) -> usize {
        let params = DidChangeTextDocumentParams {
            text_document: VersionedTextDocumentIdentifier {
                uri: uri.clone(),
                version,
            },
            content_changes: vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: text.to_owned(),
            }],
        };
        self.notify(
            DidChangeTextDocument::METHOD,
            serde_json::to_value(params).unwrap_or_default(),
        );
        self.published(uri, version)
    }

    fn stop(mut self) {
        self.request(Shutdown::METHOD, serde_json::Value::Null);
        self.notify(Exit::METHOD, serde_json::Value::Null);
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

fn uri(name: &str) -> Uri {
    match format!("file:///bench/{name}.flow").parse() {
        Ok(uri) => uri,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn diagnostics_after_a_change(c: &mut Criterion) {
    for (lines, label) in [(1_000, "1k_lines"), (10_000, "10k_lines")] {
        let text = document(lines);
        // The second version differs by one comment line at the end: a
        // keystroke's worth, re-analyzed whole as the server always does.
        let other = format!("{text}// edited\n");
        let client = Client::start();
        let uri = uri(label);
        client.open(&uri, &text);
        let mut version = 0;
        let mut group = c.benchmark_group("lsp_diagnostics_after_change");
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(if lines > 5_000 { 10 } else { 4 }));
        group.bench_function(label, |b| {
            b.iter(|| {
                version += 1;
                let next = if version % 2 == 0 { &text } else { &other };
                client.change(&uri, version, next)
            })
        });
        group.finish();
        eprintln!(
            "{label}: {} lines, {} bytes",
            text.lines().count(),
            text.len()
        );
        client.stop();
    }
}

/// The bytes the server holds for each open document of about 1,000
/// lines: printed, not timed.
fn memory_per_document() {
    let text = document(1_000);
    let client = Client::start();
    let warm = uri("warm");
    client.open(&warm, &text);
    let before = LIVE.load(Ordering::Relaxed);
    const DOCUMENTS: usize = 20;
    for i in 0..DOCUMENTS {
        client.open(&uri(&format!("doc{i}")), &text);
    }
    let after = LIVE.load(Ordering::Relaxed);
    eprintln!(
        "memory per open document of {} lines ({} bytes of text): {} KiB",
        text.lines().count(),
        text.len(),
        after.saturating_sub(before) / DOCUMENTS / 1024
    );
    client.stop();
}

fn main() {
    memory_per_document();
    let mut criterion = Criterion::default().configure_from_args();
    diagnostics_after_a_change(&mut criterion);
    criterion.final_summary();
}
