//! A small HTTP/1.1 server for integration tests, bound to 127.0.0.1 on an
//! ephemeral port.
//!
//! It answers each request with the next [`Reply`] of a script, in the order
//! requests arrive, and records every request it received ([`Request`]) for
//! assertions. One request per connection: every answer carries
//! `Connection: close`, so a client never reuses a connection and a test
//! never depends on keep-alive. Request bodies must come with a
//! `Content-Length` (a chunked request is answered with `400` naming the
//! problem). When the script runs out, the server answers `500` with a body
//! saying so; tests that care assert the number of requests.
//!
//! Dropping the [`TestServer`] stops it and closes every connection.

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The largest request head read; a bigger one is answered with `400`.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body read; a bigger one is answered with `400`.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// The size of each chunk of a body streamed forever.
const STREAM_CHUNK: usize = 64 * 1024;

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with this status, these headers and this body (a
    /// `Content-Length` is added unless the headers have one, so a test can
    /// also announce a length the body does not have).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Close,
    /// Wait, then do the inner reply; a client that goes away meanwhile is
    /// counted in [`TestServer::abandoned`].
    Delay(Duration, Box<Reply>),
    /// Send the status and headers, then a chunked body that never ends,
    /// until the client goes away (counted in [`TestServer::abandoned`]).
    StreamForever {
        status: u16,
        headers: Vec<(String, String)>,
    },
}

impl Reply {
    /// An empty body with this status.
    pub fn status(status: u16) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `text/plain` body.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.into().into_bytes(),
        }
    }

    /// An `application/json` body.
    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn close() -> Reply {
        Reply::Close
    }

    pub fn stream_forever(status: u16) -> Reply {
        Reply::StreamForever {
            status,
            headers: Vec::new(),
        }
    }

    /// This reply, after `delay`.
    pub fn after(self, delay: Duration) -> Reply {
        Reply::Delay(delay, Box::new(self))
    }

    /// Adds a response header (a closed connection has none to add).
    pub fn header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Respond {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Respond {
                    status,
                    headers,
                    body,
                }
            }
            Reply::StreamForever {
                status,
                mut headers,
            } => {
                headers.push((name.into(), value.into()));
                Reply::StreamForever { status, headers }
            }
            Reply::Delay(delay, inner) => Reply::Delay(delay, Box::new(inner.header(name, value))),
            Reply::Close => Reply::Close,
        }
    }
}

/// A request as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target: the path with its query string.
    pub path: String,
    /// In the order received, names as the client spelt them.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }

    /// Every value of the header `name` (any case), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
    }
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Request>>,
    abandoned: AtomicUsize,
    streamed: AtomicU64,
}

/// A failed assertion in one test must not poison the server for the rest
/// of it, so a poisoned lock is simply taken.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running server; stopped when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Starts a server answering with `replies` in order. Must be called
    /// within a tokio runtime.
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> io::Result<TestServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            replies: Mutex::new(replies.into_iter().collect()),
            ..Shared::default()
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Ok(TestServer { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Adds a reply at the end of the script.
    pub fn push(&self, reply: Reply) {
        lock(&self.shared.replies).push_back(reply);
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// How many clients went away while the server was delaying its answer
    /// or streaming a body.
    pub fn abandoned(&self) -> usize {
        self.shared.abandoned.load(Ordering::SeqCst)
    }

    /// How many body bytes the server managed to send in [`Reply::StreamForever`]
    /// answers (into the client's and the kernel's buffers).
    pub fn streamed_bytes(&self) -> u64 {
        self.shared.streamed.load(Ordering::SeqCst)
    }

    /// Waits until [`abandoned`](Self::abandoned) reaches `count`; false if
    /// it has not within `within`.
    pub async fn wait_for_abandoned(&self, count: usize, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while self.abandoned() < count {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The accept loop. It owns the connections' tasks, so aborting it (when the
/// server is dropped) ends them too.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                connections.spawn(handle(stream, Arc::clone(&shared)));
            }
            // Out of file descriptors or similar: try again shortly rather
            // than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
        while connections.try_join_next().is_some() {}
    }
}

async fn handle(mut stream: TcpStream, shared: Arc<Shared>) {
    let request = match read_request(&mut stream).await {
        Ok(Some(request)) => request,
        Ok(None) => return,
        Err(problem) => {
            let body = format!("test server: {problem}");
            let _ = write_response(&mut stream, 400, &[], body.as_bytes()).await;
            return;
        }
    };
    let reply = lock(&shared.replies).pop_front().unwrap_or_else(|| {
        Reply::text(
            500,
            format!(
                "test server: no scripted reply left for {} {}",
                request.method, request.path
            ),
        )
    });
    lock(&shared.requests).push(request);
    answer(stream, reply, &shared).await;
}

/// Reads one request; `None` when the client closed the connection without
/// sending anything.
async fn read_request(stream: &mut TcpStream) -> Result<Option<Request>, String> {
    let mut buf = Vec::with_capacity(4096);
    let mut scratch = [0u8; 4096];
    let head_end = loop {
        // The terminator may straddle two reads: look back three bytes.
        let from = buf.len().saturating_sub(scratch.len() + 3);
        if let Some(at) = find(&buf[from..], b"\r\n\r\n") {
            break from + at;
        }
        if buf.len() > MAX_HEAD {
            return Err(format!("the request head is over {MAX_HEAD} bytes"));
        }
        let read = stream
            .read(&mut scratch)
            .await
            .map_err(|err| format!("reading the request failed: {err}"))?;
        if read == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err("the connection closed in the middle of the request head".into())
            };
        }
        buf.extend_from_slice(&scratch[..read]);
    };

    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("malformed request line `{request_line}`"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(format!("unsupported protocol `{version}`"));
    }
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header line `{line}`"));
        };
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err("chunked request bodies are not supported; send a Content-Length".into());
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| format!("the Content-Length `{text}` is not a number"))?,
    };
    if length > MAX_BODY {
        return Err(format!("the request body is over {MAX_BODY} bytes"));
    }
    let mut body = buf.split_off(head_end + 4);
    // Bytes past the body would be a pipelined request; one request per
    // connection, so they are dropped.
    body.truncate(length);
    let already = body.len();
    body.resize(length, 0);
    stream
        .read_exact(&mut body[already..])
        .await
        .map_err(|err| format!("reading the request body failed: {err}"))?;
    request.body = body;
    Ok(Some(request))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

async fn answer(mut stream: TcpStream, mut reply: Reply, shared: &Shared) {
    loop {
        match reply {
            Reply::Delay(delay, inner) => {
                if !wait_unless_closed(&mut stream, delay).await {
                    shared.abandoned.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                reply = *inner;
            }
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                // A client that left early is the client's business.
                let _ = write_response(&mut stream, status, &headers, &body).await;
                return;
            }
            // Dropping the stream closes the connection.
            Reply::Close => return,
            Reply::StreamForever { status, headers } => {
                stream_forever(&mut stream, status, &headers, shared).await;
                shared.abandoned.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
    }
}

/// Sleeps for `delay`; false if the client closed the connection first.
async fn wait_unless_closed(stream: &mut TcpStream, delay: Duration) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    let mut scratch = [0u8; 1024];
    loop {
        tokio::select! {
            () = &mut sleep => return true,
            read = stream.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return false,
                Ok(_) => continue,
            },
        }
    }
}

fn head(status: u16, headers: &[(String, String)], extra: &[(&str, String)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<()> {
    let has = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let mut extra = Vec::new();
    // 204 and 304 have no body and must not announce one.
    let bodiless = matches!(status, 204 | 304);
    if !bodiless && !has("content-length") {
        extra.push(("Content-Length", body.len().to_string()));
    }
    if !has("connection") {
        extra.push(("Connection", "close".to_string()));
    }
    let mut message = head(status, headers, &extra);
    if !bodiless {
        message.extend_from_slice(body);
    }
    stream.write_all(&message).await?;
    stream.shutdown().await
}

/// Streams chunks until a write fails, which is the client going away.
async fn stream_forever(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    shared: &Shared,
) {
    let extra = [
        ("Transfer-Encoding", "chunked".to_string()),
        ("Connection", "close".to_string()),
    ];
    if stream
        .write_all(&head(status, headers, &extra))
        .await
        .is_err()
    {
        return;
    }
    let mut frame = format!("{STREAM_CHUNK:x}\r\n").into_bytes();
    frame.extend(std::iter::repeat_n(b'x', STREAM_CHUNK));
    frame.extend_from_slice(b"\r\n");
    while stream.write_all(&frame).await.is_ok() {
        shared
            .streamed
            .fetch_add(STREAM_CHUNK as u64, Ordering::SeqCst);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        // The reason phrase is informative only; clients ignore it.
        _ => "Status",
    }
}
