//! The `llm` executor against a local OpenAI-compatible server
//! (`common::TestServer`, 127.0.0.1, ephemeral port): the request the server
//! receives (endpoint, model, messages, the JSON Schema, the headers), and
//! how every kind of reply is read or classified.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use flow::ir::{FailureClass, Field, Type, TypeId, Types};
use flow::runtime::executor::llm::{API_KEY_VAR, BASE_URL_VAR, LlmExecutor, LlmSpec, OutputType};
use flow::runtime::executor::{CallMeta, DEFAULT_MAX_OUTPUT, Failure, Invocation, Output};
use flow::runtime::validate::validate;
use serde_json::{Value, json};

use common::{Reply, Request, TestServer};

/// Long enough for a slow machine, short enough that a hang fails the test.
const CALL_LIMIT: Duration = Duration::from_secs(20);

/// The types the tests ask for.
struct Fixture {
    types: Types,
    string: TypeId,
    /// `type Review { verdict: "approve" | "revise", comments?: [string] }`
    review: TypeId,
    /// `[string]`
    strings: TypeId,
    /// `json`
    json: TypeId,
    /// `{ title: string, sections: [{ heading: string, note?: string,
    /// score?: int? }], summary?: { text: string, caveat?: string } }`
    report: TypeId,
}

fn field(name: &str, ty: TypeId, optional: bool) -> Field {
    Field {
        name: name.into(),
        ty,
        optional,
    }
}

fn fixture() -> Fixture {
    let mut types = Types::new();
    let string = types.add(Type::String);
    let int = types.add(Type::Int);
    let maybe_int = types.add(Type::Optional(int));
    let strings = types.add(Type::List(string));
    let verdict = types.add(Type::Union(vec!["approve".into(), "revise".into()]));
    let record = types.add(Type::Record(vec![
        field("verdict", verdict, false),
        field("comments", strings, true),
    ]));
    let review = types.add(Type::Named {
        name: "Review".into(),
        ty: record,
    });
    let json = types.add(Type::Json);
    let section = types.add(Type::Record(vec![
        field("heading", string, false),
        field("note", string, true),
        field("score", maybe_int, true),
    ]));
    let sections = types.add(Type::List(section));
    let summary = types.add(Type::Record(vec![
        field("text", string, false),
        field("caveat", string, true),
    ]));
    let report = types.add(Type::Record(vec![
        field("title", string, false),
        field("sections", sections, false),
        field("summary", summary, true),
    ]));
    Fixture {
        types,
        string,
        review,
        strings,
        json,
        report,
    }
}

fn meta(attempt: u32) -> CallMeta {
    CallMeta {
        run_id: "run-7f3a".into(),
        step: "review".into(),
        attempt,
        idempotency_key: "run-7f3a/review/1".into(),
    }
}

fn spec(base_url: Option<String>) -> LlmSpec {
    LlmSpec {
        model: "gpt-4o-mini".into(),
        prompt: "Review this draft.".into(),
        system: None,
        base_url,
        api_key: None,
        temperature: None,
    }
}

async fn server(replies: impl IntoIterator<Item = Reply>) -> TestServer {
    match TestServer::start(replies).await {
        Ok(server) => server,
        Err(err) => panic!("the test server did not start: {err}"),
    }
}

fn executor_with(env: &[(&str, &str)]) -> LlmExecutor {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    match LlmExecutor::with_environment(env) {
        Ok(executor) => executor,
        Err(err) => panic!("{err}"),
    }
}

/// An executor that sees an empty environment.
fn executor() -> LlmExecutor {
    executor_with(&[])
}

/// A chat completion whose first choice says `content`.
fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": null },
            "finish_reason": "stop"
        }],
        "usage": { "prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21 }
    })
}

fn replying(content: &str) -> Reply {
    Reply::json(200, &completion(content))
}

async fn call_with(
    executor: &LlmExecutor,
    spec: &LlmSpec,
    ty: TypeId,
    types: &Types,
    max_output: usize,
) -> Result<Output, Failure> {
    let (input, meta) = (json!({ "draft": "..." }), meta(2));
    let inv = Invocation {
        input: &input,
        meta: &meta,
        max_output,
        wants_string: false,
    };
    let output = OutputType { ty, types };
    match tokio::time::timeout(CALL_LIMIT, executor.call(spec, output, &inv)).await {
        Ok(result) => result,
        Err(_) => panic!("the call did not finish within {CALL_LIMIT:?}"),
    }
}

async fn call(spec: &LlmSpec, ty: TypeId, types: &Types) -> Result<Output, Failure> {
    call_with(&executor(), spec, ty, types, DEFAULT_MAX_OUTPUT).await
}

fn output(result: Result<Output, Failure>) -> Value {
    match result {
        Ok(output) => {
            assert_eq!(output.log, "", "an llm call has no log");
            output.value
        }
        Err(failure) => panic!("expected an output, got the failure: {failure}"),
    }
}

fn failure(result: Result<Output, Failure>) -> Failure {
    match result {
        Ok(output) => panic!("expected a failure, got {:?}", output.value),
        Err(failure) => failure,
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

/// The one request the server received, as JSON.
fn only_request(server: &TestServer) -> (Request, Value) {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "exactly one request, no hidden retries");
    let request = requests[0].clone();
    let body = match request.json() {
        Ok(body) => body,
        Err(err) => panic!(
            "the request body is not JSON ({err}): {}",
            String::from_utf8_lossy(&request.body)
        ),
    };
    (request, body)
}

#[tokio::test]
async fn a_record_output_is_asked_for_with_its_strict_schema_and_the_request_is_complete() {
    let f = fixture();
    let reply = json!({ "verdict": "revise", "comments": ["Too long."] });
    let server = server([replying(&reply.to_string())]).await;
    let mut spec = spec(Some(server.url("/v1/")));
    spec.system = Some("You are a strict reviewer.".into());
    spec.temperature = Some(0.2);
    spec.api_key = Some("sk-test-123".into());

    let value = output(call(&spec, f.review, &f.types).await);
    assert_eq!(value, reply);
    // What the runtime does next: the output fits its type.
    assert_eq!(validate(value, f.review, &f.types), Ok(reply));

    let (request, body) = only_request(&server);
    assert_eq!(request.method, "POST");
    // The trailing slash of the base url is not doubled.
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-123"));
    assert_eq!(request.header("x-flow-run"), Some("run-7f3a"));
    assert_eq!(request.header("x-flow-step"), Some("review"));
    assert_eq!(request.header("x-flow-attempt"), Some("2"));
    assert_eq!(request.header("idempotency-key"), Some("run-7f3a/review/1"));
    assert_eq!(
        body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                { "role": "system", "content": "You are a strict reviewer." },
                { "role": "user", "content": "Review this draft." }
            ],
            "temperature": 0.2,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "output",
                    "strict": true,
                    // The named record is the root itself, not a `$ref`;
                    // the optional field is required and nullable.
                    "schema": {
                        "type": "object",
                        "properties": {
                            "verdict": { "type": "string", "enum": ["approve", "revise"] },
                            "comments": { "anyOf": [
                                { "type": "array", "items": { "type": "string" } },
                                { "type": "null" }
                            ] }
                        },
                        "required": ["verdict", "comments"],
                        "additionalProperties": false
                    }
                }
            }
        })
    );
}

#[tokio::test]
async fn a_list_output_is_asked_for_wrapped_in_an_object_and_unwrapped() {
    let f = fixture();
    let server = server([replying(r#"{"value": ["first", "second"]}"#)]).await;
    let value = output(call(&spec(Some(server.url("/v1"))), f.strings, &f.types).await);
    assert_eq!(value, json!(["first", "second"]));
    assert!(validate(value, f.strings, &f.types).is_ok());

    let (_, body) = only_request(&server);
    assert_eq!(
        body.pointer("/response_format"),
        Some(&json!({
            "type": "json_schema",
            "json_schema": {
                "name": "output",
                "strict": true,
                "schema": {
                    "type": "object",
                    "properties": {
                        "value": { "type": "array", "items": { "type": "string" } }
                    },
                    "required": ["value"],
                    "additionalProperties": false
                }
            }
        }))
    );
}

#[tokio::test]
async fn a_string_output_sends_no_schema_and_takes_the_reply_as_it_is() {
    let f = fixture();
    let text = "  The draft is clear.\n\n{not json} and that is fine.\n";
    let server = server([replying(text)]).await;
    let value = output(call(&spec(Some(server.url("/v1"))), f.string, &f.types).await);
    assert_eq!(value, json!(text));

    let (request, body) = only_request(&server);
    // No key anywhere: no Authorization header (Ollama, llama.cpp).
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [{ "role": "user", "content": "Review this draft." }]
        }),
        "no system message, no temperature, no response_format"
    );
}

#[tokio::test]
async fn a_json_output_is_asked_for_without_strict_mode() {
    let f = fixture();
    let server = server([replying(r#"{"value": {"anything": [1, "two"]}}"#)]).await;
    let value = output(call(&spec(Some(server.url("/v1"))), f.json, &f.types).await);
    assert_eq!(value, json!({ "anything": [1, "two"] }));
    let (_, body) = only_request(&server);
    assert_eq!(
        body.pointer("/response_format/json_schema"),
        Some(&json!({
            "name": "output",
            "strict": false,
            "schema": {
                "type": "object",
                "properties": { "value": {} },
                "required": ["value"],
                "additionalProperties": false
            }
        }))
    );
}

#[tokio::test]
async fn a_reply_that_is_not_json_is_an_output_failure() {
    let f = fixture();
    let server = server([replying(
        "Sure! Here is my review: {verdict: approve, comments: []}",
    )])
    .await;
    let failed = failure(call(&spec(Some(server.url("/v1"))), f.review, &f.types).await);
    assert_eq!(failed.class, FailureClass::Output);
    assert_eq!(failed.retry_after, None);
    assert_mentions(
        &failed,
        &[
            "POST http://",
            "/v1/chat/completions",
            "the model's reply is not JSON",
            "near `Sure! Here is",
        ],
    );
}

#[tokio::test]
async fn a_reply_cut_off_at_the_token_limit_says_so() {
    let f = fixture();
    let mut cut = completion(r#"{"verdict": "approve", "comments": ["The intro"#);
    if let Some(choice) = cut.pointer_mut("/choices/0/finish_reason") {
        *choice = json!("length");
    }
    let server = server([Reply::json(200, &cut)]).await;
    let failed = failure(call(&spec(Some(server.url("/v1"))), f.review, &f.types).await);
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(
        &failed,
        &[
            "cut off",
            "finish_reason `length`",
            "incomplete JSON ending `",
            "The intro",
            "`max_tokens`",
            "--n-predict",
        ],
    );
    assert!(!failed.message.contains("not JSON"), "{}", failed.message);
}

#[tokio::test]
async fn a_reply_in_a_markdown_fence_is_parsed() {
    let f = fixture();
    let fenced = "```json\n{\"verdict\": \"approve\", \"comments\": []}\n```";
    let server = server([replying(fenced)]).await;
    let value = output(call(&spec(Some(server.url("/v1"))), f.review, &f.types).await);
    assert_eq!(value, json!({ "verdict": "approve", "comments": [] }));
}

#[tokio::test]
async fn a_reply_that_does_not_match_the_type_is_returned_for_validation_to_refuse() {
    let f = fixture();
    let server = server([replying(r#"{"verdict": "maybe", "comments": ["fine", 3]}"#)]).await;
    let value = output(call(&spec(Some(server.url("/v1"))), f.review, &f.types).await);
    assert_eq!(
        value,
        json!({ "verdict": "maybe", "comments": ["fine", 3] })
    );
    // The runtime validates every output and classifies a mismatch `output`.
    let mismatch = validate(value, f.review, &f.types).map_err(|m| m.to_string());
    assert_eq!(
        mismatch,
        Err(r#"$.verdict: expected "approve" | "revise", found "maybe""#.to_string())
    );
}

#[tokio::test]
async fn null_optional_fields_are_removed_at_every_depth() {
    let f = fixture();
    let reply = json!({
        "title": "Q3",
        "sections": [
            { "heading": "Sales", "note": null, "score": null },
            { "heading": "Costs", "note": "up", "score": 4 }
        ],
        "summary": { "text": "Fine.", "caveat": null }
    });
    let server = server([
        replying(&reply.to_string()),
        replying(r#"{"title": "Q4", "sections": [], "summary": null}"#),
    ])
    .await;
    let spec = spec(Some(server.url("/v1")));
    let value = output(call(&spec, f.report, &f.types).await);
    let expected = json!({
        "title": "Q3",
        "sections": [
            // `score?: int?` takes null as a value: it stays.
            { "heading": "Sales", "score": null },
            { "heading": "Costs", "note": "up", "score": 4 }
        ],
        "summary": { "text": "Fine." }
    });
    assert_eq!(value, expected);
    assert_eq!(validate(value, f.report, &f.types), Ok(expected));

    let value = output(call(&spec, f.report, &f.types).await);
    assert_eq!(value, json!({ "title": "Q4", "sections": [] }));
    assert!(validate(value, f.report, &f.types).is_ok());

    // The fence itself takes such a `null` as absent, for every executor:
    // the schema the model was given marks the optional fields nullable.
    assert_eq!(
        validate(reply, f.report, &f.types),
        Ok(json!({
            "title": "Q3",
            "sections": [
                { "heading": "Sales", "score": null },
                { "heading": "Costs", "note": "up", "score": 4 }
            ],
            "summary": { "text": "Fine." }
        }))
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_refusal_is_an_output_failure() {
    let refusal = json!({
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "refusal": "I'm sorry, I can't help with that request."
            },
            "finish_reason": "stop"
        }]
    });
    let f = fixture();
    let server = server([Reply::json(200, &refusal)]).await;
    let failed = failure(call(&spec(Some(server.url("/v1"))), f.review, &f.types).await);
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(
        &failed,
        &["the model refused to answer: I'm sorry, I can't help"],
    );
}

#[tokio::test]
async fn answers_without_a_reply_are_output_failures() {
    let no_content = json!({
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": null, "tool_calls": [] },
            "finish_reason": "tool_calls"
        }]
    });
    let f = fixture();
    let server = server([
        Reply::json(200, &no_content),
        Reply::json(200, &json!({ "choices": [] })),
        Reply::text(200, "<html>proxy login</html>"),
    ])
    .await;
    let spec = spec(Some(server.url("/v1")));

    let failed = failure(call(&spec, f.string, &f.types).await);
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(
        &failed,
        &["`choices[0].message.content` is missing", "`tool_calls`"],
    );
    let failed = failure(call(&spec, f.string, &f.types).await);
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(
        &failed,
        &["not a chat completion", "no `choices[0].message`"],
    );
    let failed = failure(call(&spec, f.string, &f.types).await);
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(
        &failed,
        &[
            "not a chat completion",
            "not valid JSON",
            "<html>proxy login",
        ],
    );
}

#[tokio::test]
async fn too_many_requests_is_transient_and_honours_retry_after() {
    let f = fixture();
    let body = json!({ "error": { "message": "Rate limit reached for gpt-4o-mini.", "type": "requests" } });
    let server = server([Reply::json(429, &body).header("Retry-After", "7")]).await;
    let failed = failure(call(&spec(Some(server.url("/v1"))), f.review, &f.types).await);
    assert_eq!(failed.class, FailureClass::Transient);
    assert_eq!(failed.retry_after, Some(Duration::from_secs(7)));
    assert_mentions(
        &failed,
        &[
            "429 Too Many Requests: Rate limit reached for gpt-4o-mini.",
            "retry after 7s",
        ],
    );
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let f = fixture();
    let server = server([Reply::text(500, "upstream model crashed")]).await;
    let failed = failure(call(&spec(Some(server.url("/v1"))), f.review, &f.types).await);
    assert_eq!(failed.class, FailureClass::Transient);
    assert_eq!(failed.retry_after, None);
    assert_mentions(
        &failed,
        &["500 Internal Server Error: upstream model crashed"],
    );
}

#[tokio::test]
async fn a_refused_key_is_a_worker_failure_with_the_services_message_and_the_key_hidden() {
    let f = fixture();
    let body = json!({
        "error": {
            "message": "Incorrect API key provided: sk-wrong-key-42.",
            "type": "invalid_request_error",
            "code": "invalid_api_key"
        }
    });
    let server = server([Reply::json(401, &body)]).await;
    let mut spec = spec(Some(server.url("/v1")));
    spec.api_key = Some("sk-wrong-key-42".into());
    let failed = failure(call(&spec, f.review, &f.types).await);
    assert_eq!(failed.class, FailureClass::Worker);
    assert_eq!(failed.retry_after, None);
    assert_mentions(
        &failed,
        &["401 Unauthorized: Incorrect API key provided: ***."],
    );
    assert!(!failed.message.contains("sk-wrong"), "{}", failed.message);
}

#[tokio::test]
async fn the_base_url_and_key_come_from_the_environment_when_the_settings_are_silent() {
    let f = fixture();
    let server = server([replying("from the environment")]).await;
    let base = server.url("/openai/v1");
    let executor = executor_with(&[(BASE_URL_VAR, &base), (API_KEY_VAR, "sk-from-env")]);
    let value = output(
        call_with(
            &executor,
            &spec(None),
            f.string,
            &f.types,
            DEFAULT_MAX_OUTPUT,
        )
        .await,
    );
    assert_eq!(value, json!("from the environment"));
    let (request, _) = only_request(&server);
    assert_eq!(request.path, "/openai/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer sk-from-env"));
}

#[tokio::test]
async fn the_settings_win_over_the_environment_and_an_empty_key_sends_none() {
    let f = fixture();
    let configured = server([replying("one"), replying("two")]).await;
    let ignored = server([]).await;
    let executor = executor_with(&[
        (BASE_URL_VAR, &ignored.url("/v1")),
        (API_KEY_VAR, "sk-from-env"),
    ]);
    let mut spec = spec(Some(configured.url("/local/v1")));
    spec.api_key = Some("sk-from-settings".into());
    output(call_with(&executor, &spec, f.string, &f.types, DEFAULT_MAX_OUTPUT).await);
    // `api_key: ""` for a local server, whatever the shell exports.
    spec.api_key = Some(String::new());
    output(call_with(&executor, &spec, f.string, &f.types, DEFAULT_MAX_OUTPUT).await);

    let requests = configured.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/local/v1/chat/completions");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk-from-settings")
    );
    assert_eq!(requests[1].header("authorization"), None);
    assert_eq!(ignored.requests().len(), 0);
}

#[tokio::test]
async fn a_bad_base_url_is_a_worker_failure_naming_where_it_came_from() {
    let f = fixture();
    let failed = failure(call(&spec(Some("localhost:11434".into())), f.string, &f.types).await);
    assert_eq!(failed.class, FailureClass::Worker);
    assert_mentions(&failed, &["the worker's `base_url` `localhost:11434`"]);

    let executor = executor_with(&[(BASE_URL_VAR, "not a url")]);
    let failed = failure(
        call_with(
            &executor,
            &spec(None),
            f.string,
            &f.types,
            DEFAULT_MAX_OUTPUT,
        )
        .await,
    );
    assert_eq!(failed.class, FailureClass::Worker);
    assert_mentions(
        &failed,
        &[
            "`OPENAI_BASE_URL` `not a url` is not a valid address",
            "http://localhost:11434/v1",
        ],
    );
}

#[tokio::test]
async fn an_answer_over_the_cap_is_an_output_failure() {
    let f = fixture();
    let long = "word ".repeat(2000);
    let server = server([replying(&long)]).await;
    let failed = failure(
        call_with(
            &executor(),
            &spec(Some(server.url("/v1"))),
            f.string,
            &f.types,
            4096,
        )
        .await,
    );
    assert_eq!(failed.class, FailureClass::Output);
    assert_mentions(&failed, &["limit of 4096 bytes", "`max_output`"]);
}

#[tokio::test]
async fn a_closed_connection_is_transient() {
    let f = fixture();
    let server = server([Reply::close()]).await;
    let failed = failure(call(&spec(Some(server.url("/v1"))), f.string, &f.types).await);
    assert_eq!(failed.class, FailureClass::Transient);
    assert_mentions(&failed, &["before an answer came"]);
    assert_eq!(server.requests().len(), 1, "no hidden retries");
}
