//! The `http` executor against a real local server (`common::TestServer`,
//! 127.0.0.1, ephemeral port): what it sends, and how every kind of answer,
//! and no answer, is classified.

mod common;

use std::time::{Duration, SystemTime};

use flow::ir::FailureClass;
use flow::runtime::executor::http::{HttpExecutor, HttpSpec, MAX_RETRY_AFTER, Method};
use flow::runtime::executor::{CallMeta, DEFAULT_MAX_OUTPUT, Failure, Invocation, Output};
use serde_json::{Value, json};

use common::{Reply, TestServer};

/// Long enough for a slow machine, short enough that a hang fails the test.
const CALL_LIMIT: Duration = Duration::from_secs(20);

fn meta(attempt: u32) -> CallMeta {
    CallMeta {
        run_id: "run-7f3a".into(),
        step: "summarise".into(),
        attempt,
        idempotency_key: "run-7f3a/summarise/1".into(),
    }
}

fn spec(url: String, method: Method) -> HttpSpec {
    HttpSpec {
        url,
        method,
        headers: Vec::new(),
        max_retry_after: MAX_RETRY_AFTER,
        empty_is_null: false,
    }
}

async fn server(replies: impl IntoIterator<Item = Reply>) -> TestServer {
    match TestServer::start(replies).await {
        Ok(server) => server,
        Err(err) => panic!("the test server did not start: {err}"),
    }
}

fn executor() -> HttpExecutor {
    match HttpExecutor::new() {
        Ok(executor) => executor,
        Err(err) => panic!("{err}"),
    }
}

/// One attempt with the given output cap and type, failing the test if it
/// does not finish within [`CALL_LIMIT`].
async fn call_with(
    spec: &HttpSpec,
    input: &Value,
    meta: &CallMeta,
    max_output: usize,
    wants_string: bool,
) -> Result<Output, Failure> {
    let inv = Invocation {
        input,
        meta,
        max_output,
        wants_string,
    };
    match tokio::time::timeout(CALL_LIMIT, executor().call(spec, &inv)).await {
        Ok(result) => result,
        Err(_) => panic!(
            "the call to {} did not finish within {CALL_LIMIT:?}",
            spec.url
        ),
    }
}

async fn call(spec: &HttpSpec, input: &Value) -> Result<Output, Failure> {
    call_with(spec, input, &meta(1), DEFAULT_MAX_OUTPUT, false).await
}

fn failure(result: Result<Output, Failure>) -> Failure {
    match result {
        Ok(output) => panic!("expected a failure, got {:?}", output.value),
        Err(failure) => failure,
    }
}

fn output(result: Result<Output, Failure>) -> Value {
    match result {
        Ok(output) => {
            assert_eq!(output.log, "", "an http call has no log");
            output.value
        }
        Err(failure) => panic!("expected an output, got the failure: {failure}"),
    }
}

fn assert_mentions(failure: &Failure, parts: &[&str]) {
    for part in parts {
        assert!(
            failure.message.contains(part),
            "expected {part:?} in the message: {}",
            failure.message
        );
    }
}

#[tokio::test]
async fn a_json_answer_is_the_output() {
    let answer = json!({"summary": "short", "pages": [1, 2], "ok": true});
    let server = server([Reply::json(200, &answer)]).await;
    let value = output(call(&spec(server.url("/work"), Method::Post), &json!({"n": 1})).await);
    assert_eq!(value, answer);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn the_request_carries_the_input_its_type_the_users_headers_and_the_runs_headers() {
    let server = server([Reply::json(201, &json!("done"))]).await;
    let mut spec = spec(server.url("/v1/jobs?priority=high"), Method::Put);
    spec.headers = vec![
        ("Authorization".into(), "Bearer s3cret".into()),
        ("X-Tenant".into(), "acme".into()),
        // The run's own headers win over the user's.
        ("Idempotency-Key".into(), "mine".into()),
    ];
    let input = json!({"title": "Über", "tags": ["a", "b"], "n": 3.5, "none": null});
    let value = output(call_with(&spec, &input, &meta(2), DEFAULT_MAX_OUTPUT, false).await);
    assert_eq!(value, json!("done"));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, "/v1/jobs?priority=high");
    assert_eq!(request.json().ok(), Some(input));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("authorization"), Some("Bearer s3cret"));
    assert_eq!(request.header("x-tenant"), Some("acme"));
    assert_eq!(request.header("x-flow-run"), Some("run-7f3a"));
    assert_eq!(request.header("x-flow-step"), Some("summarise"));
    assert_eq!(request.header("x-flow-attempt"), Some("2"));
    assert_eq!(
        request.header_values("idempotency-key"),
        vec!["run-7f3a/summarise/1"]
    );
}

#[tokio::test]
async fn the_users_accept_and_content_type_replace_the_defaults() {
    let server = server([Reply::text(200, "\"ok\"")]).await;
    let mut spec = spec(server.url("/"), Method::Post);
    spec.headers = vec![
        ("accept".into(), "text/plain".into()),
        ("Content-Type".into(), "application/vnd.api+json".into()),
    ];
    output(call(&spec, &json!({})).await);
    let request = &server.requests()[0];
    assert_eq!(request.header_values("accept"), vec!["text/plain"]);
    assert_eq!(
        request.header_values("content-type"),
        vec!["application/vnd.api+json"]
    );
}

#[tokio::test]
async fn get_sends_no_body() {
    let server = server([Reply::json(200, &json!({"items": []}))]).await;
    let value = output(
        call(
            &spec(server.url("/items?q=x"), Method::Get),
            &json!({"q": "x"}),
        )
        .await,
    );
    assert_eq!(value, json!({"items": []}));
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.body, b"");
    assert_eq!(request.header("content-type"), None);
    assert!(
        matches!(request.header("content-length"), None | Some("0")),
        "{:?}",
        request.headers
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("x-flow-step"), Some("summarise"));
    assert_eq!(
        request.header("idempotency-key"),
        Some("run-7f3a/summarise/1")
    );
}

#[tokio::test]
async fn delete_sends_the_input_as_its_body() {
    let server = server([Reply::json(200, &json!(null))]).await;
    output(
        call(
            &spec(server.url("/items/4"), Method::Delete),
            &json!({"why": "dup"}),
        )
        .await,
    );
    let request = &server.requests()[0];
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.json().ok(), Some(json!({"why": "dup"})));
}

#[tokio::test]
async fn a_string_output_takes_text_that_is_not_a_json_string_as_is() {
    let server = server([
        Reply::text(200, "Plain words,\nnot JSON.\n"),
        Reply::json(200, &json!("a JSON string")),
        Reply::text(200, "{\"a\": 1}"),
    ])
    .await;
    let spec = spec(server.url("/text"), Method::Post);
    let input = json!({});
    let mut texts = Vec::new();
    for _ in 0..3 {
        texts.push(output(
            call_with(&spec, &input, &meta(1), DEFAULT_MAX_OUTPUT, true).await,
        ));
    }
    assert_eq!(
        texts,
        vec![
            json!("Plain words,\nnot JSON.\n"),
            json!("a JSON string"),
            json!("{\"a\": 1}"),
        ]
    );
}

#[tokio::test]
async fn unparsable_json_is_an_output_failure() {
    let server = server([
        Reply::text(200, "<html>Oops</html>"),
        Reply::status(200),
        Reply::text(200, "not json").header("Content-Type", "application/json"),
    ])
    .await;
    let spec = spec(server.url("/broken"), Method::Post);
    let input = json!({});
    let html = failure(call(&spec, &input).await);
    assert_eq!(html.class, FailureClass::Output);
    assert_eq!(html.retry_after, None);
    assert_mentions(
        &html,
        &[
            "POST http://",
            "/broken",
            "not valid JSON",
            "<html>Oops</html>",
        ],
    );
    let empty = failure(call(&spec, &input).await);
    assert_eq!(empty.class, FailureClass::Output);
    assert_mentions(&empty, &["empty body"]);
    let lying = failure(call(&spec, &input).await);
    assert_eq!(lying.class, FailureClass::Output);
    assert_mentions(&lying, &["not valid JSON", "not json"]);
}

#[tokio::test]
async fn unavailable_then_ok_is_transient_then_the_output() {
    let server = server([
        Reply::text(503, "warming up"),
        Reply::json(200, &json!({"n": 2})),
    ])
    .await;
    let spec = spec(server.url("/flaky"), Method::Post);
    let input = json!({"n": 1});

    let first = failure(call_with(&spec, &input, &meta(1), DEFAULT_MAX_OUTPUT, false).await);
    assert_eq!(first.class, FailureClass::Transient);
    assert_eq!(first.retry_after, None);
    assert_mentions(&first, &["503 Service Unavailable", "warming up"]);

    // The runtime retries; the executor's part is the second attempt.
    let second = output(call_with(&spec, &input, &meta(2), DEFAULT_MAX_OUTPUT, false).await);
    assert_eq!(second, json!({"n": 2}));

    let requests = server.requests();
    assert_eq!(requests.len(), 2, "no hidden retries");
    let attempts: Vec<_> = requests
        .iter()
        .map(|r| r.header("x-flow-attempt"))
        .collect();
    assert_eq!(attempts, vec![Some("1"), Some("2")]);
    let keys: Vec<_> = requests
        .iter()
        .map(|r| r.header("idempotency-key"))
        .collect();
    assert_eq!(keys[0], keys[1], "the key is stable across attempts");
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_in_seconds() {
    let server = server([Reply::text(429, "slow down").header("Retry-After", "7")]).await;
    let failed = failure(call(&spec(server.url("/"), Method::Post), &json!({})).await);
    assert_eq!(failed.class, FailureClass::Transient);
    assert_eq!(failed.retry_after, Some(Duration::from_secs(7)));
    assert_mentions(
        &failed,
        &["429 Too Many Requests", "slow down", "retry after 7s"],
    );
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_as_a_date() {
    let when = SystemTime::now() + Duration::from_secs(120);
    let date = httpdate::fmt_http_date(when);
    let server = server([Reply::status(429).header("Retry-After", &date)]).await;
    let failed = failure(call(&spec(server.url("/"), Method::Post), &json!({})).await);
    assert_eq!(failed.class, FailureClass::Transient);
    let wait = failed.retry_after.unwrap_or_default();
    // The date has whole seconds and the call takes a moment.
    assert!(
        wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
        "{wait:?} from {date}"
    );
}

#[tokio::test]
async fn a_retry_after_over_the_cap_fails_at_once_naming_both_waits() {
    let server = server([Reply::status(503).header("Retry-After", "3600")]).await;
    let failed = failure(call(&spec(server.url("/"), Method::Post), &json!({})).await);
    // Not `transient`, so not retried by default, and no wait to honour.
    assert_eq!(failed.class, FailureClass::Worker);
    assert_eq!(failed.retry_after, None);
    assert_mentions(
        &failed,
        &[
            "with an empty body",
            "retry after 3600s",
            "more than the 600s",
            "`max_retry_after`",
        ],
    );
}

#[tokio::test]
async fn max_retry_after_sets_the_cap() {
    let server = server([
        Reply::status(503).header("Retry-After", "3"),
        Reply::status(503).header("Retry-After", "3"),
    ])
    .await;
    let mut within = spec(server.url("/"), Method::Post);
    within.max_retry_after = Duration::from_secs(5);
    let failed = failure(call(&within, &json!({})).await);
    assert_eq!(failed.class, FailureClass::Transient);
    assert_eq!(failed.retry_after, Some(Duration::from_secs(3)));
    let mut below = within.clone();
    below.max_retry_after = Duration::from_secs(2);
    let failed = failure(call(&below, &json!({})).await);
    assert_eq!(failed.class, FailureClass::Worker);
    assert_mentions(&failed, &["retry after 3s, more than the 2s"]);
}

#[tokio::test]
async fn statuses_are_classified_as_designed() {
    let transient = [408, 429, 500, 502, 503, 504, 599];
    let worker = [400, 401, 403, 404, 405, 409, 410, 422, 451];
    let cases: Vec<(u16, FailureClass)> = transient
        .iter()
        .map(|&s| (s, FailureClass::Transient))
        .chain(worker.iter().map(|&s| (s, FailureClass::Worker)))
        .collect();
    let server = server(
        cases
            .iter()
            .map(|(status, _)| Reply::text(*status, format!("body of {status}"))),
    )
    .await;
    let spec = spec(server.url("/status"), Method::Post);
    for (status, class) in &cases {
        let failed = failure(call(&spec, &json!({})).await);
        assert_eq!(failed.class, *class, "{status}: {}", failed.message);
        assert_mentions(
            &failed,
            &[&status.to_string(), &format!("body of {status}")],
        );
    }
    assert_eq!(server.requests().len(), cases.len());
}

#[tokio::test]
async fn not_found_is_a_worker_failure_that_ignores_retry_after() {
    let server = server([Reply::text(404, "no such   item\n").header("Retry-After", "5")]).await;
    let failed = failure(call(&spec(server.url("/items/9"), Method::Post), &json!({})).await);
    assert_eq!(failed.class, FailureClass::Worker);
    assert_eq!(failed.retry_after, None);
    assert_mentions(&failed, &["/items/9", "404 Not Found: no such item"]);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = server([
        Reply::status(302).header("Location", "https://elsewhere.example/work"),
        Reply::json(200, &json!("followed")),
    ])
    .await;
    let failed = failure(call(&spec(server.url("/old"), Method::Post), &json!({})).await);
    assert_eq!(failed.class, FailureClass::Worker);
    assert_mentions(
        &failed,
        &["302 Found", "https://elsewhere.example/work", "`url`"],
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_transient() {
    // A port that was just free: bind, note it, let it go.
    let port = {
        let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(listener) => listener,
            Err(err) => panic!("could not bind a port: {err}"),
        };
        match listener.local_addr() {
            Ok(addr) => addr.port(),
            Err(err) => panic!("{err}"),
        }
    };
    let url = format!("http://127.0.0.1:{port}/work");
    let failed = failure(call(&spec(url.clone(), Method::Post), &json!({})).await);
    assert_eq!(failed.class, FailureClass::Transient);
    assert_mentions(&failed, &[&format!("POST {url}"), "could not connect"]);
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_transient() {
    let server = server([Reply::close()]).await;
    let failed = failure(call(&spec(server.url("/"), Method::Post), &json!({})).await);
    assert_eq!(failed.class, FailureClass::Transient);
    assert_mentions(&failed, &["before an answer came"]);
    assert_eq!(server.requests().len(), 1, "no hidden retries");
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_without_reading_it_all() {
    let server = server([Reply::stream_forever(200)]).await;
    let cap = 256 * 1024;
    let failed = failure(
        call_with(
            &spec(server.url("/firehose"), Method::Post),
            &json!({}),
            &meta(1),
            cap,
            false,
        )
        .await,
    );
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(&failed, &["over the limit of 262144 bytes", "`max_output`"]);
    // The executor hung up: the server's endless body met a closed socket.
    assert!(
        server.wait_for_abandoned(1, Duration::from_secs(10)).await,
        "the connection was not closed"
    );
    assert!(server.streamed_bytes() > 0);
}

#[tokio::test]
async fn an_announced_length_over_the_cap_is_refused_before_reading() {
    // The body is one byte: reading it would fail with a broken connection,
    // not with this message.
    let server = server([Reply::text(200, "x").header("Content-Length", "5000000")]).await;
    let failed = failure(
        call_with(
            &spec(server.url("/big"), Method::Post),
            &json!({}),
            &meta(1),
            1000,
            false,
        )
        .await,
    );
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(&failed, &["announces 5000000 bytes", "limit of 1000 bytes"]);
}

#[tokio::test]
async fn a_body_exactly_at_the_cap_is_accepted() {
    let body = json!("x".repeat(98)).to_string();
    assert_eq!(body.len(), 100);
    let server = server([Reply::text(200, body.clone()), Reply::text(200, body)]).await;
    let spec = spec(server.url("/"), Method::Post);
    let at = call_with(&spec, &json!({}), &meta(1), 100, false).await;
    assert_eq!(output(at), json!("x".repeat(98)));
    let over = failure(call_with(&spec, &json!({}), &meta(1), 99, false).await);
    assert_eq!(over.class, FailureClass::Output);
}

#[tokio::test]
async fn dropping_the_call_abandons_the_request() {
    let server = server([Reply::json(200, &json!("late")).after(Duration::from_secs(30))]).await;
    let spec = spec(server.url("/slow"), Method::Post);
    let input = json!({});
    let meta = meta(1);
    let inv = Invocation {
        input: &input,
        meta: &meta,
        max_output: DEFAULT_MAX_OUTPUT,
        wants_string: false,
    };
    let executor = executor();
    // The runtime's timeout: the future is dropped unfinished.
    let elapsed =
        tokio::time::timeout(Duration::from_millis(300), executor.call(&spec, &inv)).await;
    assert!(
        elapsed.is_err(),
        "the server delays 30s; the call cannot have finished"
    );
    assert!(
        server.wait_for_abandoned(1, Duration::from_secs(10)).await,
        "the server still holds an open connection"
    );
}

#[tokio::test]
async fn bad_settings_are_worker_failures_that_keep_header_values_secret() {
    let server = server([]).await;
    let mut with_bad_value = spec(server.url("/"), Method::Post);
    with_bad_value.headers = vec![("Authorization".into(), "Bearer s3cret\r\nX-Evil: 1".into())];
    let failed = failure(call(&with_bad_value, &json!({})).await);
    assert_eq!(failed.class, FailureClass::Worker);
    assert_mentions(&failed, &["header `Authorization`", "line breaks"]);
    assert!(!failed.message.contains("s3cret"), "{}", failed.message);

    let mut with_bad_name = spec(server.url("/"), Method::Post);
    with_bad_name.headers = vec![("Bad Name".into(), "v".into())];
    let failed = failure(call(&with_bad_name, &json!({})).await);
    assert_eq!(failed.class, FailureClass::Worker);
    assert_mentions(&failed, &["`Bad Name` is not a valid header name"]);

    for (url, says) in [
        ("not a url", "not a valid address"),
        ("ftp://127.0.0.1/file", "scheme is `ftp`"),
    ] {
        let failed = failure(call(&spec(url.into(), Method::Get), &json!({})).await);
        assert_eq!(failed.class, FailureClass::Worker);
        assert_mentions(&failed, &[&format!("GET {url}"), says]);
    }
    assert_eq!(server.requests().len(), 0, "nothing was sent");
}

#[tokio::test]
async fn one_executor_serves_concurrent_calls() {
    let server =
        server((0..8).map(|i| Reply::json(200, &json!(i)).after(Duration::from_millis(50)))).await;
    let executor = executor();
    let spec = spec(server.url("/"), Method::Post);
    let mut calls = tokio::task::JoinSet::new();
    for attempt in 1..=8 {
        // Clones share the client and its connection pool.
        let (executor, spec) = (executor.clone(), spec.clone());
        calls.spawn(async move {
            let (input, meta) = (json!({}), meta(attempt));
            let inv = Invocation {
                input: &input,
                meta: &meta,
                max_output: DEFAULT_MAX_OUTPUT,
                wants_string: false,
            };
            executor.call(&spec, &inv).await
        });
    }
    let results = match tokio::time::timeout(CALL_LIMIT, calls.join_all()).await {
        Ok(results) => results,
        Err(_) => panic!("concurrent calls did not finish"),
    };
    let mut values: Vec<i64> = results
        .into_iter()
        .map(|r| output(r).as_i64().unwrap_or(-1))
        .collect();
    values.sort_unstable();
    assert_eq!(values, (0..8).collect::<Vec<_>>());
    assert_eq!(server.requests().len(), 8);
}

/// Set in the copy of this test binary that
/// `proxies_from_the_environment_are_not_used` starts: the address to call.
const CHILD_TARGET: &str = "FLOW_TEST_HTTP_CHILD_TARGET";

/// `HTTP_PROXY` cannot be set safely inside a running test process, so the
/// test runs itself again in a child process with the proxy variables set,
/// and the child makes the call.
#[tokio::test]
async fn proxies_from_the_environment_are_not_used() {
    if let Ok(target) = std::env::var(CHILD_TARGET) {
        output(call(&spec(target, Method::Post), &json!({"via": "child"})).await);
        return;
    }
    let target = server([Reply::json(200, &json!("direct"))]).await;
    let proxy = server([Reply::json(200, &json!("proxied"))]).await;
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => panic!("{err}"),
    };
    let child = tokio::process::Command::new(exe)
        .args([
            "proxies_from_the_environment_are_not_used",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD_TARGET, target.url("/work"))
        .env("HTTP_PROXY", proxy.url(""))
        .env("http_proxy", proxy.url(""))
        .env("ALL_PROXY", proxy.url(""))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output();
    let finished = match tokio::time::timeout(CALL_LIMIT, child).await {
        Ok(Ok(finished)) => finished,
        Ok(Err(err)) => panic!("the child test did not start: {err}"),
        Err(_) => panic!("the child test did not finish"),
    };
    assert!(
        finished.status.success(),
        "the child test failed:\n{}{}",
        String::from_utf8_lossy(&finished.stdout),
        String::from_utf8_lossy(&finished.stderr)
    );
    assert_eq!(proxy.requests().len(), 0, "the call went through the proxy");
    let requests = target.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].json().ok(), Some(json!({"via": "child"})));
}

/// The program of `source`, run through the engine with `input`: how a
/// worker's `url` and settings are built and what the run makes of the
/// answers.
async fn run_flow(source: &str, input: Value) -> flow::runtime::engine::Finished {
    use flow::runtime::engine::{self, RunOptions, VecSink};
    let parsed = flow::syntax::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors: {:?}",
        parsed.errors
    );
    let program = match flow::check::check_program(&parsed.file) {
        (Some(program), _) => program,
        (None, problems) => panic!("the source does not check: {problems:#?}"),
    };
    let options = RunOptions {
        run_id: Some("run-1".into()),
        seed: Some(1),
        ..RunOptions::default()
    };
    let sink = VecSink::new();
    let run = engine::run(&program, flow::ir::WorkflowId(0), input, options, &sink);
    match tokio::time::timeout(CALL_LIMIT, run).await {
        Ok(Ok(finished)) => finished,
        Ok(Err(err)) => panic!("the run did not start: {err}"),
        Err(_) => panic!("the run did not finish within {CALL_LIMIT:?}"),
    }
}

fn run_output(finished: &flow::runtime::engine::Finished) -> &Value {
    common::outcome::succeeded(finished)
}

fn run_error(finished: &flow::runtime::engine::Finished) -> &flow::runtime::engine::RunError {
    common::outcome::failed(finished)
}

/// `DELETE {base}/drafts/${id}` with `query` and the output type `output`.
fn delete_draft(base: &str, output: &str) -> String {
    format!(
        r#"
worker Delete(host: string, id: string, reason: string) -> {output} {{
  http {{
    url: "http://${{host}}/drafts/${{id}}?reason=${{reason}}"
    method: "DELETE"
    query: {{ "by": "flow bot", "note": "a&b=c" }}
  }}
  retries: 2
}}

workflow go(id: string) -> {output} {{
  step del = Delete(host: "{base}", id: id, reason: "50% off/now") {{
    on_success -> done
  }}
  succeed done = del
}}
"#
    )
}

#[tokio::test]
async fn an_interpolated_path_value_stays_inside_its_segment_and_the_query_is_encoded() {
    let server = server([Reply::status(204)]).await;
    let source = delete_draft(&server.addr().to_string(), "json");
    let finished = run_flow(&source, json!({ "id": "../../users/42" })).await;
    // A 204 is `null` for a `json` output: a success, not retried.
    assert_eq!(run_output(&finished), &Value::Null);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "DELETE");
    assert_eq!(
        requests[0].path,
        "/drafts/..%2F..%2Fusers%2F42?reason=50%25%20off%2Fnow&by=flow%20bot&note=a%26b%3Dc"
    );
}

#[tokio::test]
async fn a_dot_segment_value_is_refused_before_anything_is_sent() {
    let server = server([Reply::status(204)]).await;
    let source = delete_draft(&server.addr().to_string(), "json");
    let finished = run_flow(&source, json!({ "id": ".." })).await;
    let error = run_error(&finished);
    assert_eq!(error.class, Some(FailureClass::Worker));
    assert!(error.message.contains("`..`"), "{}", error.message);
    assert_eq!(server.requests().len(), 0);
}

#[tokio::test]
async fn an_empty_answer_for_a_type_without_null_is_an_output_failure_naming_the_status() {
    // `output` failures are retried by default: each attempt gets a 204.
    let server = server([Reply::status(204), Reply::status(204), Reply::status(204)]).await;
    let source = delete_draft(&server.addr().to_string(), "{ deleted: bool }");
    let finished = run_flow(&source, json!({ "id": "7" })).await;
    let error = run_error(&finished);
    assert_eq!(error.class, Some(FailureClass::Output));
    for part in ["204 No Content", "empty body", "does not take `null`"] {
        assert!(
            error.message.contains(part),
            "{part:?} in {}",
            error.message
        );
    }
    // An optional output takes the empty answer as `null`.
    let optional = self::server([Reply::status(204)]).await;
    let source = delete_draft(&optional.addr().to_string(), "{ deleted: bool }?");
    let finished = run_flow(&source, json!({ "id": "7" })).await;
    assert_eq!(run_output(&finished), &Value::Null);
    assert_eq!(optional.requests().len(), 1);
}

#[tokio::test]
async fn max_retry_after_is_a_setting_and_a_longer_wait_is_not_retried() {
    let server = server([
        Reply::status(503).header("Retry-After", "3600"),
        Reply::status(200),
    ])
    .await;
    let source = format!(
        r#"
worker Busy() -> json {{
  http {{ url: "{url}", max_retry_after: 30s }}
  retries: 3
}}

workflow go() -> json {{
  step busy = Busy() {{
    on_success -> done
  }}
  succeed done = busy
}}
"#,
        url = server.url("/busy")
    );
    let finished = run_flow(&source, json!({})).await;
    let error = run_error(&finished);
    assert_eq!(error.class, Some(FailureClass::Worker));
    assert_eq!(error.attempts, 1);
    assert!(
        error
            .message
            .contains("retry after 3600s, more than the 30s this worker waits for"),
        "{}",
        error.message
    );
    assert_eq!(server.requests().len(), 1);
}
