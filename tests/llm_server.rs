//! The `llm` executor against a real OpenAI-compatible server that this
//! project did not write: llama.cpp's own server, from the `xllamacpp`
//! wheel, serving a tiny random model that `tests/llm/make_model.py`
//! writes (`tests/llm/serve.py` starts it on 127.0.0.1, on an ephemeral
//! port). llama.cpp turns a strict JSON Schema into a grammar, so even a
//! random model's replies must parse, and flow's validation of every output
//! against its type is what these tests rely on to catch anything else.
//!
//! The python with those packages is `FLOW_LLM_PYTHON`, else
//! `target/llm-venv/bin/python`, which `bash .ci/run` installs. Without it
//! the tests fail and say how to install it: a real-server test that
//! passes without its server would prove nothing.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use flow::ir::{FailureClass, Field, Type, Types};
use flow::runtime::executor::llm::{LlmExecutor, LlmSpec, OutputType};
use flow::runtime::executor::{CallMeta, DEFAULT_MAX_OUTPUT, Invocation};
use serde_json::{Value, json};

/// How long the server may take to load: it takes well under a second.
const START_LIMIT: Duration = Duration::from_secs(30);
/// The server's limit on output tokens in the test of cut-off replies.
const CUT_AT: u32 = 4;

/// A running server. It is never dropped (it lives in a static): it ends
/// when the test process ends and its standard input closes.
struct Served {
    port: u16,
    _child: Child,
    _stdin: ChildStdin,
}

static SERVER: OnceLock<Result<Served, String>> = OnceLock::new();
static CUTTING_SERVER: OnceLock<Result<Served, String>> = OnceLock::new();

/// The python that has `xllamacpp` and `gguf`.
fn python() -> PathBuf {
    match std::env::var_os("FLOW_LLM_PYTHON") {
        Some(python) if !python.is_empty() => PathBuf::from(python),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/llm-venv/bin/python"),
    }
}

const HOW_TO_INSTALL: &str = "install it with `bash .ci/run`, or by hand: \
    `python3 -m venv target/llm-venv && target/llm-venv/bin/pip install -r tests/llm/requirements.txt` \
    (or point FLOW_LLM_PYTHON at a python that has those packages)";

/// Starts `serve.py` and waits for its port.
fn start(name: &str, extra: &[String]) -> Result<Served, String> {
    let python = python();
    if !python.exists() {
        return Err(format!(
            "the real-LLM test needs {}, a python with the packages `xllamacpp` and `gguf`, and it is missing: {HOW_TO_INSTALL}",
            python.display()
        ));
    }
    let dir = std::env::temp_dir().join(format!("flow-llm-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let log_path = dir.join("server.log");
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/llm/serve.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(&dir)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{} did not start: {e}; {HOW_TO_INSTALL}", python.display()))?;
    let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
        (Some(stdin), Some(stdout)) => (stdin, stdout),
        _ => return Err("the server's pipes were not set up".into()),
    };
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let said = receiver.recv_timeout(START_LIMIT);
    let line = said.clone().unwrap_or_default();
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|port| port.parse::<u16>().ok());
    match port {
        Some(port) => Ok(Served {
            port,
            _child: child,
            _stdin: stdin,
        }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let mut log = String::new();
            let _ = std::fs::File::open(&log_path).and_then(|mut f| f.read_to_string(&mut log));
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            let what = match said {
                Ok(line) if line.is_empty() => {
                    "the server ended before it said its port".to_string()
                }
                Ok(line) => format!("the server said {line:?} where its port was expected"),
                Err(_) => format!("the server did not say its port within {START_LIMIT:?}"),
            };
            Err(format!(
                "{what}; if a package is missing, {HOW_TO_INSTALL}. The end of its log:\n{tail}"
            ))
        }
    }
}

fn port_of(
    server: &'static OnceLock<Result<Served, String>>,
    start: fn() -> Result<Served, String>,
) -> u16 {
    match server.get_or_init(start) {
        Ok(served) => served.port,
        Err(why) => panic!("{why}"),
    }
}

/// The server every test shares.
fn port() -> u16 {
    port_of(&SERVER, || start("main", &[]))
}

/// A server that stops every reply after `CUT_AT` tokens.
fn cutting_port() -> u16 {
    port_of(&CUTTING_SERVER, || {
        start("cut", &["--n-predict".into(), CUT_AT.to_string()])
    })
}

/// Runs `flow run` of `source` (written to a file) with `args`, and gives
/// the exit status, stdout and stderr.
fn flow_run(name: &str, source: &str, args: &[&str]) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("flow-llm-run-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    let file = dir.join(format!("{name}.flow"));
    if let Err(e) = std::fs::write(&file, source) {
        panic!("{}: {e}", file.display());
    }
    let output = match Command::new(env!("CARGO_BIN_EXE_flow"))
        .arg("run")
        .arg(&file)
        .arg("--no-store")
        .args(args)
        .env("NO_COLOR", "1")
        .env("FLOW_TRACE_DURATIONS", "0")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(e) => panic!("the flow binary did not run: {e}"),
    };
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every type the issue names: a record with an enum, a list and an
/// optional field; a bare enum and a bare list (asked for wrapped); nested
/// records; and a recursive type, through a list and through an optional
/// field. `TEMPERATURE` and `PORT` are filled in.
const TYPES_FLOW: &str = r#"
type Review {
  verdict: "approve" | "revise"
  comments: [string]
  note?: string
  score: int
}

type Report {
  title: string
  sections: [{ heading: string, weight: number, done: bool }]
  summary?: { text: string, caveat?: string }
}

type Tree {
  label: string
  children: [Tree]
}

type Chain {
  name: string
  next?: Chain
}

worker Reviewer(text: string) -> Review {
  llm {
    model: "tiny"
    prompt: "Review: ${text}"
    base_url: "http://127.0.0.1:PORT/v1"
    TEMPERATURE
  }
}

worker Classifier(text: string) -> "low" | "normal" | "urgent" {
  llm {
    model: "tiny"
    prompt: "Classify: ${text}"
    base_url: "http://127.0.0.1:PORT/v1"
    TEMPERATURE
  }
}

worker Tagger(text: string) -> [string] {
  llm {
    model: "tiny"
    prompt: "Tag: ${text}"
    base_url: "http://127.0.0.1:PORT/v1"
    TEMPERATURE
  }
}

worker Reporter(text: string) -> Report {
  llm {
    model: "tiny"
    prompt: "Report: ${text}"
    base_url: "http://127.0.0.1:PORT/v1"
    TEMPERATURE
  }
}

worker Grower(text: string) -> Tree {
  llm {
    model: "tiny"
    prompt: "Grow: ${text}"
    base_url: "http://127.0.0.1:PORT/v1"
    TEMPERATURE
  }
}

worker Linker(text: string) -> Chain {
  llm {
    model: "tiny"
    prompt: "Link: ${text}"
    base_url: "http://127.0.0.1:PORT/v1"
    TEMPERATURE
  }
}

workflow all(text: string) -> { review: Review, class: string, tags: [string], report: Report, tree: Tree, chain: Chain } {
  step review = Reviewer(text: text) { on_success -> class }
  step class = Classifier(text: text) { on_success -> tags }
  step tags = Tagger(text: text) { on_success -> report }
  step report = Reporter(text: text) { on_success -> tree }
  step tree = Grower(text: text) { on_success -> chain }
  step chain = Linker(text: text) { on_success -> done }
  succeed done = { review: review, class: class, tags: tags, report: report, tree: tree, chain: chain }
}
"#;

fn types_flow(port: u16, temperature: Option<f64>) -> String {
    let temperature = temperature.map_or(String::new(), |t| format!("temperature: {t}"));
    TYPES_FLOW
        .replace("PORT", &port.to_string())
        .replace("TEMPERATURE", &temperature)
}

fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| match serde_json::from_str(line) {
            Ok(event) => event,
            Err(e) => panic!("an event is not JSON ({e}): {line}"),
        })
        .collect()
}

fn assert_tree(tree: &Value, depth: usize) {
    assert!(depth < 64, "the tree is deeper than any reply: {tree}");
    assert!(Value::is_string(&tree["label"]), "{tree}");
    let Some(children) = tree["children"].as_array() else {
        panic!("a tree without its children: {tree}");
    };
    for child in children {
        assert_tree(child, depth + 1);
    }
}

/// The output of `all`, checked independently of flow's own validation.
fn assert_all(output: &Value) {
    let review = &output["review"];
    assert!(
        matches!(review["verdict"].as_str(), Some("approve" | "revise")),
        "{review}"
    );
    assert!(
        review["comments"]
            .as_array()
            .is_some_and(|c| c.iter().all(Value::is_string)),
        "{review}"
    );
    // An absent optional field is absent, not `null`.
    assert_ne!(review.get("note"), Some(&Value::Null), "{review}");
    assert!(
        review["score"].is_i64() || review["score"].is_u64(),
        "{review}"
    );
    assert!(
        matches!(output["class"].as_str(), Some("low" | "normal" | "urgent")),
        "{output}"
    );
    assert!(
        output["tags"]
            .as_array()
            .is_some_and(|t| t.iter().all(Value::is_string)),
        "{output}"
    );
    let report = &output["report"];
    assert!(Value::is_string(&report["title"]), "{report}");
    let Some(sections) = report["sections"].as_array() else {
        panic!("{report}");
    };
    for section in sections {
        assert!(Value::is_string(&section["heading"]), "{section}");
        assert!(section["weight"].is_number(), "{section}");
        assert!(section["done"].is_boolean(), "{section}");
    }
    if let Some(summary) = report.get("summary") {
        assert!(Value::is_string(&summary["text"]), "{report}");
    }
    assert_tree(&output["tree"], 0);
    let mut chain = &output["chain"];
    for _ in 0..64 {
        assert!(Value::is_string(&chain["name"]), "{chain}");
        match chain.get("next") {
            Some(next) => chain = next,
            None => return,
        }
    }
    panic!("the chain is longer than any reply: {}", output["chain"]);
}

#[test]
fn strict_schemas_of_every_kind_of_type_give_replies_that_validate() {
    let port = port();
    // Sampled (the server's default temperature and 1.0): each run is a
    // different random reply, and every one must fit.
    for (run, temperature) in [None, Some(1.0), None, Some(1.0), None]
        .into_iter()
        .enumerate()
    {
        let source = types_flow(port, temperature);
        let (status, stdout, stderr) = flow_run(
            "types",
            &source,
            &[
                "--input",
                &format!(r#"{{"text": "run {run}"}}"#),
                "--events",
                "ndjson",
            ],
        );
        assert_eq!(status, 0, "run {run} failed:\n{stderr}\n{stdout}");
        let events = events(&stdout);
        let Some(last) = events.last() else {
            panic!("no events: {stderr}");
        };
        assert_eq!(last["event"], "run_succeeded", "{last}");
        assert_all(&last["output"]);
        // Every call's tokens are in its event, as the server counted them.
        let succeeded: Vec<&Value> = events
            .iter()
            .filter(|e| e["event"] == "step_succeeded")
            .collect();
        assert_eq!(succeeded.len(), 6, "{stdout}");
        for event in succeeded {
            let usage = &event["usage"];
            assert!(
                usage["prompt_tokens"].as_u64().is_some_and(|n| n > 0),
                "{event}"
            );
            assert!(
                usage["completion_tokens"].as_u64().is_some_and(|n| n > 0),
                "{event}"
            );
        }
    }
}

/// Sums the `usage` of every event.
fn spent(events: &[Value]) -> (u64, u64) {
    events.iter().fold((0, 0), |(prompt, completion), event| {
        (
            prompt + event["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            completion + event["usage"]["completion_tokens"].as_u64().unwrap_or(0),
        )
    })
}

#[test]
fn the_last_trace_line_sums_the_tokens_of_the_events() {
    // Greedy decoding: both runs get the same replies, so the trace's sum
    // can be compared with the events' of the other run.
    let source = types_flow(port(), Some(0.0));
    let input = r#"{"text": "count me"}"#;
    let (status, stdout, stderr) =
        flow_run("greedy", &source, &["--input", input, "--events", "ndjson"]);
    assert_eq!(status, 0, "{stderr}\n{stdout}");
    let (prompt, completion) = spent(&events(&stdout));
    assert!(prompt > 0 && completion > 0, "{stdout}");
    let (status, stdout, stderr) = flow_run("greedy", &source, &["--input", input]);
    assert_eq!(status, 0, "{stderr}\n{stdout}");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!(
            "run succeeded, {} tokens ({prompt} prompt, {completion} completion)",
            prompt + completion
        ),
        "{stderr}"
    );
}

#[test]
fn a_reply_cut_off_by_the_servers_token_limit_is_told_as_such() {
    let port = cutting_port();
    let source = format!(
        r#"
type Review {{ verdict: "approve" | "revise", comments: [string] }}

worker Reviewer(text: string) -> Review {{
  llm {{
    model: "tiny"
    prompt: "Review: ${{text}}"
    base_url: "http://127.0.0.1:{port}/v1"
  }}
  retries: 1
  backoff: 1ms
}}

workflow cut(text: string) -> Review {{
  step review = Reviewer(text: text) {{ on_success -> done }}
  succeed done = review
}}
"#
    );
    let (status, stdout, stderr) = flow_run(
        "cut",
        &source,
        &["--input", r#"{"text": "x"}"#, "--events", "ndjson"],
    );
    assert_eq!(status, 1, "{stderr}\n{stdout}");
    let events = events(&stdout);
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "attempt_failed")
        .collect();
    // `retries: 1`: both attempts were cut.
    assert_eq!(failed.len(), 2, "{stdout}");
    for failure in failed {
        assert_eq!(failure["class"], "output", "{failure}");
        let message = failure["message"].as_str().unwrap_or_default();
        for part in [
            "cut off at the limit on output tokens",
            "finish_reason `length`",
            &format!("after {CUT_AT} tokens"),
            // The start of a JSON object, or of the Markdown fence that
            // llama.cpp's grammar lets a model put around it.
            "so it is incomplete JSON ending `",
            "`max_tokens`",
            "--n-predict",
        ] {
            assert!(message.contains(part), "{part:?} is not in: {message}");
        }
        assert!(!message.contains("not JSON"), "{message}");
        // The tokens of the refused reply were spent all the same.
        assert_eq!(failure["usage"]["completion_tokens"], CUT_AT, "{failure}");
    }
    // The trace tells the tokens of the failed run before its failure: the
    // prompt is the same and every attempt is cut at the same count, so
    // they are those of the events.
    let (prompt, completion) = spent(&events);
    let (status, stdout, stderr) = flow_run("cut", &source, &["--input", r#"{"text": "x"}"#]);
    assert_eq!(status, 1, "{stderr}\n{stdout}");
    let told = format!(
        "run ended, {} tokens ({prompt} prompt, {completion} completion)\nerror: the run failed: state `review` failed (output): ",
        prompt + completion
    );
    assert!(stderr.contains(&told), "{told:?} is not in:\n{stderr}");
    assert!(
        stderr.contains("cut off at the limit on output tokens"),
        "{stderr}"
    );
}

#[test]
fn a_prompt_larger_than_the_context_is_a_worker_failure_quoting_the_server() {
    let port = port();
    let source = format!(
        r#"
worker Summarizer(text: string) -> {{ summary: string }} {{
  llm {{
    model: "tiny"
    prompt: "Summarize: ${{text}}"
    base_url: "http://127.0.0.1:{port}/v1"
  }}
}}

workflow big(text: string) -> string {{
  step s = Summarizer(text: text) {{ on_success -> done }}
  succeed done = s.summary
}}
"#
    );
    let input = json!({ "text": "a".repeat(5000) }).to_string();
    let (status, stdout, stderr) = flow_run("big", &source, &["--input", &input]);
    assert_eq!(status, 1, "{stderr}\n{stdout}");
    for part in [
        "(worker)",
        &format!("POST http://127.0.0.1:{port}/v1/chat/completions"),
        "400",
        "exceeds the available context size",
    ] {
        assert!(stderr.contains(part), "{part:?} is not in:\n{stderr}");
    }
}

fn meta() -> CallMeta {
    CallMeta {
        run_id: "run-real".into(),
        step: "ask".into(),
        attempt: 1,
        idempotency_key: "run-real/ask/1".into(),
    }
}

fn spec(port: u16, model: &str) -> LlmSpec {
    LlmSpec {
        model: model.into(),
        prompt: "Answer.".into(),
        system: Some("You answer in JSON.".into()),
        base_url: Some(format!("http://127.0.0.1:{port}/v1")),
        api_key: None,
        temperature: None,
    }
}

fn executor() -> LlmExecutor {
    match LlmExecutor::with_environment(std::collections::HashMap::new()) {
        Ok(executor) => executor,
        Err(e) => panic!("{e}"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_schema_the_server_refuses_is_a_worker_failure_with_its_reason() {
    // flow's checker refuses an empty union, but an embedder's types may
    // hold one; the server refuses the schema `{"enum": []}` it makes.
    let mut types = Types::new();
    let nothing = types.add(Type::Union(Vec::new()));
    let record = types.add(Type::Record(vec![Field {
        name: "pick".into(),
        ty: nothing,
        optional: false,
    }]));
    let (input, meta) = (json!({}), meta());
    let inv = Invocation {
        input: &input,
        meta: &meta,
        max_output: DEFAULT_MAX_OUTPUT,
        wants_string: false,
    };
    let spec = spec(port(), "tiny");
    let result = runtime().block_on(executor().call(
        &spec,
        OutputType {
            ty: record,
            types: &types,
        },
        &inv,
    ));
    let failure = match result {
        Err(failure) => failure,
        Ok(output) => panic!("the server took the schema and answered {}", output.value),
    };
    assert_eq!(failure.class, FailureClass::Worker, "{failure}");
    for part in [
        "400",
        "/v1/chat/completions",
        "enum must be a non-empty array",
    ] {
        assert!(
            failure.message.contains(part),
            "{part:?} is not in: {failure}"
        );
    }
}

#[test]
fn this_server_ignores_the_model_name() {
    // llama.cpp's server with one model answers whatever model is asked
    // for (measured; it names its own file in the reply), so an unknown
    // model cannot fail here: the test pins that, so that a version which
    // starts refusing unknown models shows up, and goes through the
    // executor's 404 path, tested against the scripted server in
    // tests/llm.rs.
    let mut types = Types::new();
    let string = types.add(Type::String);
    let record = types.add(Type::Record(vec![Field {
        name: "answer".into(),
        ty: string,
        optional: false,
    }]));
    let (input, meta) = (json!({}), meta());
    let inv = Invocation {
        input: &input,
        meta: &meta,
        max_output: DEFAULT_MAX_OUTPUT,
        wants_string: false,
    };
    let spec = spec(port(), "no-such-model-anywhere");
    let result = runtime().block_on(executor().call(
        &spec,
        OutputType {
            ty: record,
            types: &types,
        },
        &inv,
    ));
    match result {
        Ok(output) => {
            assert!(output.value["answer"].is_string(), "{}", output.value);
            assert!(output.usage.is_some_and(|u| u.prompt_tokens > 0));
        }
        Err(failure) => panic!("the server refused an unknown model: {failure}"),
    }
}
