//! The language server, in process, driven by fixtures.
//!
//! Each `tests/lsp/<name>.flow` is a document followed by directives, one
//! per line starting with `### `; the answers are rendered readably and
//! snapshotted in `tests/snapshots/lsp__<name>.snap`:
//!
//! ```text
//! workflow w() -> string {      the document: every line before the first `### `
//!   succeed done = "x"
//! }
//! ### diagnostics               the diagnostics last published
//! ### symbols                   textDocument/documentSymbol
//! ### folding                   textDocument/foldingRange
//! ### formatting                textDocument/formatting, the edits shown applied
//! ### code_action 2:3-2:9       textDocument/codeAction on a range
//! ### change                    didChange: the lines up to the next `### ` are the new text
//! ### edit 2:3-2:9              didChange with a range: the lines up to the next `### `,
//!                               without the last line break, replace the range
//! ### request METHOD {json}     any request, its answer as JSON (or its error)
//! ### hover L:C, ...           the semantic requests: see `lsp/requests.rs`
//! ```
//!
//! Positions are 1-based `line:column`, columns counted in characters, as
//! `flow check` prints them; the harness converts them to and from the
//! protocol's UTF-16 positions with its own code, not the server's. Each
//! open and change must be answered by exactly one `publishDiagnostics`
//! for its version, each request by its response and nothing before it;
//! at the end the session is shut down and exited as the protocol asks,
//! the server's thread joined, and no message may be left unread.
//!
//! A new kind of request is one arm in [`Session::directive`] and a
//! function that renders its answer.
//!
//! The fixtures' client is lockstep (a request, then its answer). How the
//! server's main loop and its worker thread share the work when the client
//! does not wait (a change after a request, a cancel, `shutdown` after
//! pending requests, the end of the session) is tested in
//! `lsp/concurrency.rs`, on generated documents (`benches/gen`).

use std::fmt::Write as _;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use flow::lsp::Ending;
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidOpenTextDocument, Exit, Initialized, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, DocumentSymbolRequest, FoldingRangeRequest, Formatting, Initialize,
    Request as _, Shutdown,
};
use lsp_types::{
    ClientCapabilities, CodeActionContext, CodeActionOrCommand, CodeActionParams,
    DidChangeTextDocumentParams, DidOpenTextDocumentParams, DocumentFormattingParams,
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, FoldingRange, FoldingRangeParams,
    FormattingOptions, InitializeParams, Position, PublishDiagnosticsParams, Range,
    TextDocumentContentChangeEvent, TextDocumentIdentifier, TextDocumentItem, TextEdit, Uri,
    VersionedTextDocumentIdentifier, WorkspaceEdit,
};
use serde_json::{Value, json};

#[path = "lsp/concurrency.rs"]
mod concurrency;
#[path = "../benches/gen/mod.rs"]
mod generator;
#[path = "lsp/requests.rs"]
mod requests;

/// How long to wait for any one message from the server.
const TIMEOUT: Duration = Duration::from_secs(10);

// ------------------------------------------------------------- the client

/// A client talking to a server on a thread over an in-memory connection.
struct Client {
    connection: Connection,
    server: Option<JoinHandle<Ending>>,
    next_id: i32,
}

impl Client {
    /// Starts a server; nothing is sent yet.
    fn start() -> Client {
        let (client, server) = Connection::memory();
        Client::over(client, server)
    }

    /// Starts a server on the `server` end of a connection; the client
    /// talks on the `client` end.
    fn over(client: Connection, server: Connection) -> Client {
        let thread = std::thread::Builder::new()
            .name("flow-lsp".into())
            .spawn(move || flow::lsp::run(&server))
            .expect("the server thread starts");
        Client {
            connection: client,
            server: Some(thread),
            next_id: 0,
        }
    }

    /// Starts a server and initializes it with the capabilities VS Code
    /// announces for what the server does.
    fn initialized() -> Client {
        Client::start().initialize()
    }

    /// Initializes the server with the capabilities VS Code announces for
    /// what the server does.
    fn initialize(mut self) -> Client {
        let capabilities: ClientCapabilities = serde_json::from_value(json!({
            "textDocument": {
                "foldingRange": { "lineFoldingOnly": true },
                "publishDiagnostics": { "relatedInformation": true, "codeDescriptionSupport": true },
                "codeAction": { "isPreferredSupport": true },
            },
            "general": { "positionEncodings": ["utf-16"] },
        }))
        .expect("the capabilities are valid");
        #[allow(deprecated)] // `root_uri` and `root_path` must be given.
        let params = InitializeParams {
            capabilities,
            ..InitializeParams::default()
        };
        let result = self
            .request_raw(
                Initialize::METHOD,
                serde_json::to_value(params).expect("json"),
            )
            .expect("initialize succeeds");
        assert!(result.get("capabilities").is_some(), "{result}");
        self.notify::<Initialized>(lsp_types::InitializedParams {});
        self
    }

    /// Sends a message, which the server must take soon (at once, but
    /// over a connection whose channels hold no message).
    fn send(&self, message: Message) {
        self.connection
            .sender
            .send_timeout(message, TIMEOUT)
            .expect("the server takes the message in time");
    }

    /// The next message from the server, which must come soon.
    fn receive(&self) -> Message {
        self.connection
            .receiver
            .recv_timeout(TIMEOUT)
            .expect("the server sends a message in time")
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params).into());
    }

    /// Sends a request; the next message must be its response. The result,
    /// or the error as `error CODE: message`.
    fn request_raw(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(
            Request {
                id: id.clone(),
                method: method.to_string(),
                params,
            }
            .into(),
        );
        match self.receive() {
            Message::Response(Response {
                id: got,
                response_result,
            }) => {
                assert_eq!(got, id, "the response is to the request just sent");
                response_result.map_err(|e| format!("error {}: {}", e.code, e.message))
            }
            other => panic!("expected the response to `{method}`, got {other:?}"),
        }
    }

    fn request<R: lsp_types::request::Request>(
        &mut self,
        params: R::Params,
    ) -> Result<R::Result, String> {
        let value = self.request_raw(R::METHOD, serde_json::to_value(params).expect("json"))?;
        Ok(serde_json::from_value(value).expect("the result has the protocol's shape"))
    }

    /// The next message, which must be a `publishDiagnostics`.
    fn published(&self) -> PublishDiagnosticsParams {
        match self.receive() {
            Message::Notification(n) if n.method == PublishDiagnostics::METHOD => {
                serde_json::from_value(n.params).expect("publishDiagnostics has its shape")
            }
            other => panic!("expected publishDiagnostics, got {other:?}"),
        }
    }

    /// Ends the session as the protocol asks, joins the server, and fails
    /// if any message was left unread.
    fn finish(mut self) {
        let result = self
            .request_raw(Shutdown::METHOD, Value::Null)
            .expect("shutdown succeeds");
        assert_eq!(result, Value::Null);
        self.notify::<Exit>(());
        let ending = self.join();
        assert_eq!(ending, Ending::Exit);
    }

    /// Joins the server (which must end soon) and checks that nothing it
    /// sent is left unread.
    fn join(&mut self) -> Ending {
        let (ending, left) = self.end();
        assert!(left.is_empty(), "messages left unread: {left:?}");
        ending
    }

    /// Joins the server, which must end soon, and takes what it sent and
    /// was not read. Once its thread has ended, nothing may hold a sender
    /// of the connection any more: the worker has ended too.
    fn end(&mut self) -> (Ending, Vec<Message>) {
        let thread = self.server.take().expect("the server runs");
        let deadline = std::time::Instant::now() + TIMEOUT;
        while !thread.is_finished() {
            assert!(
                std::time::Instant::now() < deadline,
                "the server ends in time"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let ending = thread.join().expect("the server does not panic");
        let left: Vec<Message> = self.connection.receiver.try_iter().collect();
        let after = self.connection.receiver.try_recv();
        assert!(
            matches!(after, Err(crossbeam_channel::TryRecvError::Disconnected)),
            "no thread of the server sends any more: {after:?}"
        );
        (ending, left)
    }
}

// ------------------------------------------------------------ the fixtures

/// One fixture's session: the client, the document as the client has it,
/// and the diagnostics last published.
struct Session {
    client: Client,
    uri: Uri,
    text: String,
    version: i32,
    diagnostics: PublishDiagnosticsParams,
}

impl Session {
    fn open(name: &str, text: String) -> Session {
        let client = Client::initialized();
        let uri: Uri = format!("file:///fixtures/{name}.flow")
            .parse()
            .expect("a valid URI");
        client.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
            text_document: TextDocumentItem {
                uri: uri.clone(),
                language_id: "flow".into(),
                version: 1,
                text: text.clone(),
            },
        });
        let mut session = Session {
            client,
            uri,
            text,
            version: 1,
            diagnostics: PublishDiagnosticsParams {
                uri: "file:///".parse().expect("a valid URI"),
                diagnostics: Vec::new(),
                version: None,
            },
        };
        session.expect_diagnostics();
        session
    }

    fn document(&self) -> TextDocumentIdentifier {
        TextDocumentIdentifier {
            uri: self.uri.clone(),
        }
    }

    fn expect_diagnostics(&mut self) {
        let published = self.client.published();
        assert_eq!(published.uri, self.uri);
        assert_eq!(published.version, Some(self.version));
        self.diagnostics = published;
    }

    /// The rendered answer to one directive.
    fn directive(&mut self, kind: &str, args: &str, body: &str) -> String {
        match kind {
            "diagnostics" => self.render_diagnostics(),
            "symbols" => self.symbols(),
            "folding" => self.folding(),
            "formatting" => self.formatting(),
            "code_action" => self.code_action(self.range(args)),
            "change" => self.change(None, body.to_string()),
            "edit" => self.change(Some(self.range(args)), strip_last_break(body)),
            "request" => self.raw(args),
            // The semantic requests, in `lsp/requests.rs`.
            "hover" => self.hover(args),
            "definition" => self.definition(args),
            "references" => self.references(args),
            "prepare_rename" => self.prepare_rename(args),
            "rename" => self.rename(args),
            "completion" => self.completion(args),
            "signature_help" => self.signature_help(args),
            "semantic_tokens" => self.semantic_tokens(),
            "inlay_hints" => self.inlay_hints(),
            other => panic!("unknown directive `### {other}`"),
        }
    }

    fn change(&mut self, range: Option<Range>, text: String) -> String {
        self.version += 1;
        self.client
            .notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
                text_document: VersionedTextDocumentIdentifier {
                    uri: self.uri.clone(),
                    version: self.version,
                },
                content_changes: vec![TextDocumentContentChangeEvent {
                    range,
                    range_length: None,
                    text: text.clone(),
                }],
            });
        self.text = match range {
            None => text,
            Some(range) => apply(
                &self.text,
                &[TextEdit {
                    range,
                    new_text: text,
                }],
            ),
        };
        self.expect_diagnostics();
        format!(
            "version {}: {} diagnostics\n",
            self.version,
            self.diagnostics.diagnostics.len()
        )
    }

    fn render_diagnostics(&self) -> String {
        let mut out = String::new();
        if self.diagnostics.diagnostics.is_empty() {
            out.push_str("none\n");
        }
        for d in &self.diagnostics.diagnostics {
            let severity = d.severity.map_or("none".to_string(), |s| format!("{s:?}"));
            let code = match &d.code {
                Some(lsp_types::NumberOrString::String(s)) => s.clone(),
                Some(lsp_types::NumberOrString::Number(n)) => n.to_string(),
                None => "-".into(),
            };
            let _ = writeln!(
                out,
                "{} {severity} {code} [{}]",
                self.render_range(d.range),
                d.source.as_deref().unwrap_or("-")
            );
            for line in d.message.lines() {
                let _ = writeln!(out, "  | {line}");
            }
            if let Some(description) = &d.code_description {
                let _ = writeln!(out, "  see {}", description.href.as_str());
            }
            for related in d.related_information.iter().flatten() {
                assert_eq!(related.location.uri, self.uri);
                let _ = writeln!(
                    out,
                    "  related {}: {}",
                    self.render_range(related.location.range),
                    related.message
                );
            }
            if let Some(tags) = &d.tags {
                let _ = writeln!(out, "  tags {tags:?}");
            }
        }
        out
    }

    fn symbols(&mut self) -> String {
        let params = DocumentSymbolParams {
            text_document: self.document(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        };
        match self.client.request::<DocumentSymbolRequest>(params) {
            Ok(Some(DocumentSymbolResponse::Nested(symbols))) => {
                let mut out = String::new();
                self.render_symbols(&symbols, 0, &mut out);
                if out.is_empty() {
                    out.push_str("none\n");
                }
                out
            }
            Ok(Some(DocumentSymbolResponse::Flat(_))) => "flat symbols\n".into(),
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    fn render_symbols(&self, symbols: &[DocumentSymbol], depth: usize, out: &mut String) {
        for s in symbols {
            assert!(
                contains(s.range, s.selection_range),
                "the name of `{}` is inside its range",
                s.name
            );
            let _ = writeln!(
                out,
                "{}{:?} {}{} {} name {}",
                "  ".repeat(depth),
                s.kind,
                s.name,
                s.detail
                    .as_deref()
                    .map_or(String::new(), |d| format!(" ({d})")),
                self.render_range(s.range),
                self.render_range(s.selection_range),
            );
            if let Some(children) = &s.children {
                for child in children {
                    assert!(
                        contains(s.range, child.range),
                        "`{}` is inside `{}`",
                        child.name,
                        s.name
                    );
                }
                self.render_symbols(children, depth + 1, out);
            }
        }
    }

    fn folding(&mut self) -> String {
        let params = FoldingRangeParams {
            text_document: self.document(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        };
        match self.client.request::<FoldingRangeRequest>(params) {
            Ok(Some(ranges)) => {
                let lines = lines(&self.text);
                let mut out = String::new();
                for FoldingRange {
                    start_line,
                    end_line,
                    kind,
                    ..
                } in ranges
                {
                    let first = lines.get(start_line as usize).copied().unwrap_or("?");
                    let _ = writeln!(
                        out,
                        "{}-{} {}: {}",
                        start_line + 1,
                        end_line + 1,
                        kind.map_or("region".to_string(), |k| format!("{k:?}").to_lowercase()),
                        first.trim()
                    );
                }
                if out.is_empty() {
                    out.push_str("none\n");
                }
                out
            }
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    fn formatting(&mut self) -> String {
        let params = DocumentFormattingParams {
            text_document: self.document(),
            options: FormattingOptions {
                tab_size: 4,
                insert_spaces: true,
                ..FormattingOptions::default()
            },
            work_done_progress_params: Default::default(),
        };
        match self.client.request::<Formatting>(params) {
            Ok(Some(edits)) if edits.is_empty() => "no edits: already formatted\n".into(),
            Ok(Some(edits)) => {
                let formatted = apply(&self.text, &edits);
                format!(
                    "{} edit(s), applied:\n{}",
                    edits.len(),
                    diff(&self.text, &formatted)
                )
            }
            Ok(None) => "null: not formatted\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    fn code_action(&mut self, range: Range) -> String {
        let params = CodeActionParams {
            text_document: self.document(),
            range,
            context: CodeActionContext {
                diagnostics: self
                    .diagnostics
                    .diagnostics
                    .iter()
                    .filter(|d| overlaps(d.range, range))
                    .cloned()
                    .collect(),
                only: None,
                trigger_kind: None,
            },
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        };
        match self.client.request::<CodeActionRequest>(params) {
            Ok(Some(actions)) if actions.is_empty() => "no actions\n".into(),
            Ok(Some(actions)) => {
                let mut out = String::new();
                for action in actions {
                    match action {
                        CodeActionOrCommand::Command(c) => {
                            let _ = writeln!(out, "command {}", c.title);
                        }
                        CodeActionOrCommand::CodeAction(a) => {
                            let _ = writeln!(
                                out,
                                "{} [{}{}]{}",
                                a.title,
                                a.kind.as_ref().map_or("-", |k| k.as_str()),
                                if a.is_preferred == Some(true) {
                                    ", preferred"
                                } else {
                                    ""
                                },
                                a.diagnostics.as_ref().map_or(String::new(), |ds| {
                                    let codes: Vec<String> = ds
                                        .iter()
                                        .map(|d| match &d.code {
                                            Some(lsp_types::NumberOrString::String(s)) => s.clone(),
                                            _ => "-".into(),
                                        })
                                        .collect();
                                    format!(" for {}", codes.join(", "))
                                })
                            );
                            if let Some(edit) = &a.edit {
                                out.push_str(&self.render_workspace_edit(edit));
                            }
                        }
                    }
                }
                out
            }
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    fn render_workspace_edit(&self, edit: &WorkspaceEdit) -> String {
        let mut out = String::new();
        for (uri, edits) in edit.changes.iter().flatten() {
            assert_eq!(uri, &self.uri, "edits are to the document");
            out.push_str(&diff(&self.text, &apply(&self.text, edits)));
        }
        if edit.document_changes.is_some() {
            out.push_str("(document changes)\n");
        }
        out
    }

    /// `### request METHOD {json}`: the params may name the document as
    /// `"$uri"`.
    fn raw(&mut self, args: &str) -> String {
        let (method, params) = args.split_once(' ').unwrap_or((args, "null"));
        let params = params.replace("$uri", self.uri.as_str());
        let params: Value = serde_json::from_str(&params).expect("the params are JSON");
        match self.client.request_raw(method, params) {
            Ok(value) => format!("{}\n", serde_json::to_string_pretty(&value).expect("json")),
            Err(e) => format!("{e}\n"),
        }
    }

    /// A fixture's `L:C` as the protocol's position.
    #[allow(dead_code)] // For the requests at a position (hover, definition, ...).
    fn position(&self, args: &str) -> Position {
        to_position(&self.text, args)
    }

    /// A fixture's `L:C-L:C` as the protocol's range.
    fn range(&self, args: &str) -> Range {
        let (start, end) = args.trim().split_once('-').expect("a range is `L:C-L:C`");
        Range {
            start: to_position(&self.text, start),
            end: to_position(&self.text, end),
        }
    }

    /// A range as `L:C-L:C`, with the text it covers when that is short
    /// and on one line.
    fn render_range(&self, range: Range) -> String {
        let (start, end) = (
            from_position(&self.text, range.start),
            from_position(&self.text, range.end),
        );
        let covered = &self.text[offset(&self.text, range.start)..offset(&self.text, range.end)];
        if !covered.is_empty() && covered.len() <= 40 && !covered.contains(['\n', '\r']) {
            format!("{start}-{end} `{covered}`")
        } else {
            format!("{start}-{end}")
        }
    }
}

/// Runs one fixture and returns its rendered answers.
fn run_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/lsp/{name}.flow"));
    let source = std::fs::read_to_string(&path).expect("the fixture exists");
    let (document, directives) = split_fixture(&source);
    let mut session = Session::open(name, document);
    let mut out = String::new();
    for (line, body) in directives {
        let (kind, args) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let answer = session.directive(kind, args, &body);
        let _ = write!(out, "### {line}\n{answer}");
    }
    session.client.finish();
    out
}

/// The document and each directive line (without `### `) with its body.
fn split_fixture(source: &str) -> (String, Vec<(String, String)>) {
    let mut document = String::new();
    let mut directives: Vec<(String, String)> = Vec::new();
    for line in source.split_inclusive('\n') {
        if let Some(directive) = line.strip_prefix("### ") {
            directives.push((directive.trim_end().to_string(), String::new()));
        } else if let Some((_, body)) = directives.last_mut() {
            body.push_str(line);
        } else {
            document.push_str(line);
        }
    }
    (document, directives)
}

fn strip_last_break(body: &str) -> String {
    let body = body.strip_suffix('\n').unwrap_or(body);
    body.strip_suffix('\r').unwrap_or(body).to_string()
}

// ---------------------------------------------------- positions, by hand

/// The lines of a text without their breaks (`\n`, `\r\n` or `\r`).
fn lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' || bytes[i] == b'\r' {
            lines.push(&text[start..i]);
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    lines.push(&text[start..]);
    lines
}

/// A fixture's 1-based `line:column` (columns in characters) as the
/// protocol's position.
fn to_position(text: &str, spec: &str) -> Position {
    let (line, column) = spec.trim().split_once(':').expect("a position is `L:C`");
    let line: usize = line.parse().expect("a line number");
    let column: usize = column.parse().expect("a column number");
    let content = lines(text).get(line - 1).copied().unwrap_or("");
    let units: usize = content.chars().take(column - 1).map(char::len_utf16).sum();
    Position::new((line - 1) as u32, units as u32)
}

/// The byte offset of a protocol position; panics on one that is not at
/// a character of the text, which would be a server bug.
fn offset(text: &str, position: Position) -> usize {
    let all = lines(text);
    let line = all
        .get(position.line as usize)
        .unwrap_or_else(|| panic!("{position:?} is past the last line"));
    let line_start = line.as_ptr() as usize - text.as_ptr() as usize;
    let mut units = 0;
    for (i, ch) in line.char_indices() {
        if units == position.character as usize {
            return line_start + i;
        }
        units += ch.len_utf16();
    }
    assert_eq!(
        units, position.character as usize,
        "{position:?} is past the end of its line or inside a character"
    );
    line_start + line.len()
}

/// A protocol position as 1-based `line:column`, columns in characters.
fn from_position(text: &str, position: Position) -> String {
    let at = offset(text, position);
    let line = lines(text)[position.line as usize];
    let line_start = line.as_ptr() as usize - text.as_ptr() as usize;
    let column = text[line_start..at].chars().count() + 1;
    format!("{}:{column}", position.line + 1)
}

fn contains(outer: Range, inner: Range) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(outer.start) <= key(inner.start) && key(inner.end) <= key(outer.end)
}

fn overlaps(a: Range, b: Range) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

/// The text with the edits applied (they may not overlap, as the protocol
/// says).
fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(text, e.range.start),
                offset(text, e.range.end),
                e.new_text.as_str(),
            )
        })
        .collect();
    edits.sort_by_key(|&(start, end, _)| (start, end));
    for pair in edits.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "edits overlap: {edits:?}");
    }
    let mut out = text.to_string();
    for (start, end, new) in edits.into_iter().rev() {
        out.replace_range(start..end, new);
    }
    out
}

/// A unified diff, as `flow fmt --check` shows one, with carriage returns
/// and a byte-order mark made visible (`␍`, `<BOM>`).
fn diff(old: &str, new: &str) -> String {
    let visible = |text: &str| text.replace('\u{FEFF}', "<BOM>").replace('\r', "␍");
    let (old, new) = (visible(old), visible(new));
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(2)
        .header("before", "after")
        .to_string()
}

// ---------------------------------------------------------------- the tests

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(stringify!($name), run_fixture(stringify!($name)));
            }
        )*

        /// Every file in `tests/lsp/` is a fixture listed above.
        #[test]
        fn every_fixture_is_run() {
            let listed: Vec<&str> = vec![$(stringify!($name)),*];
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp");
            let mut found: Vec<String> = std::fs::read_dir(dir)
                .expect("tests/lsp exists")
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.strip_suffix(".flow").map(str::to_string))
                .collect();
            found.sort();
            let mut listed_sorted: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
            listed_sorted.sort();
            assert_eq!(found, listed_sorted, "add the fixture to `fixtures!` in tests/lsp.rs");
        }
    };
}

fixtures! {
    diagnostics,
    formatting,
    symbols,
    folding,
    syntax_error,
    changes,
    code_actions,
    crlf,
    protocol,
    hover,
    navigation,
    rename,
    completion,
    completion_broken,
    semantic_tokens,
    signature_help,
    inlay_hints,
    last_good,
    semantic_edits,
    crlf_semantic,
    never_parsed,
}

// ---------------------------------------------------------- the lifecycle

/// A request before `initialize` is refused with `ServerNotInitialized`;
/// notifications then are dropped; `initialize` works after it.
#[test]
fn requests_before_initialize_are_refused() {
    let mut client = Client::start();
    let error = client
        .request_raw(
            DocumentSymbolRequest::METHOD,
            json!({"textDocument": {"uri": "file:///a.flow"}}),
        )
        .expect_err("not initialized");
    assert!(error.starts_with("error -32002: "), "{error}");
    client.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
        text_document: TextDocumentItem {
            uri: "file:///a.flow".parse().expect("uri"),
            language_id: "flow".into(),
            version: 1,
            text: String::new(),
        },
    });
    let error = client
        .request_raw(Initialize::METHOD, json!({"capabilities": 7}))
        .expect_err("bad params");
    assert!(error.starts_with("error -32602: "), "{error}");
    let result = client
        .request_raw(Initialize::METHOD, json!({"capabilities": {}}))
        .expect("initialize");
    assert_eq!(result["serverInfo"]["name"], "flow");
    let again = client
        .request_raw(Initialize::METHOD, json!({"capabilities": {}}))
        .expect_err("initialized once");
    assert!(again.starts_with("error -32600: "), "{again}");
    client.finish();
}

/// What the server announces for the requests it serves (each feature's
/// own fields, so that announcing more changes nothing here).
#[test]
fn the_capabilities_announce_what_is_served() {
    let mut client = Client::start();
    let result = client
        .request_raw(Initialize::METHOD, json!({"capabilities": {}}))
        .expect("initialize");
    let capabilities = &result["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"]["change"], 1, "full sync");
    assert_eq!(capabilities["textDocumentSync"]["openClose"], true);
    assert_eq!(capabilities["documentFormattingProvider"], true);
    assert_eq!(capabilities["documentSymbolProvider"], true);
    assert_eq!(capabilities["foldingRangeProvider"], true);
    assert_eq!(
        capabilities["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix"])
    );
    assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    client.finish();
}

/// `exit` without `shutdown` ends the session, as a failure.
#[test]
fn exit_without_shutdown_is_a_failure() {
    let mut client = Client::initialized();
    client.notify::<Exit>(());
    assert_eq!(client.join(), Ending::ExitWithoutShutdown);
}

/// After `shutdown`, requests are refused and notifications dropped.
#[test]
fn after_shutdown_only_exit_is_expected() {
    let mut client = Client::initialized();
    client.request::<Shutdown>(()).expect("shutdown");
    let error = client
        .request_raw(
            DocumentSymbolRequest::METHOD,
            json!({"textDocument": {"uri": "file:///a.flow"}}),
        )
        .expect_err("shut down");
    assert!(error.starts_with("error -32600: "), "{error}");
    client.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
        text_document: TextDocumentItem {
            uri: "file:///a.flow".parse().expect("uri"),
            language_id: "flow".into(),
            version: 1,
            text: String::new(),
        },
    });
    client.notify::<Exit>(());
    assert_eq!(client.join(), Ending::Exit);
}

/// A client that goes away ends the session; whether it had asked for
/// `shutdown` is told.
#[test]
fn a_closed_connection_ends_the_session() {
    let mut client = Client::initialized();
    // The server's end sees the connection close once the client's sender
    // is gone (replaced by one of another, unused, connection).
    let (unused, _) = Connection::memory();
    drop(std::mem::replace(
        &mut client.connection.sender,
        unused.sender,
    ));
    assert_eq!(client.join(), Ending::Disconnected { shut_down: false });
}
