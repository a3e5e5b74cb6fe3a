//! The `llm` executor: one call of an OpenAI-compatible chat completions
//! endpoint (OpenAI, Ollama, vLLM, llama.cpp's server); the model's reply is
//! the worker's output.
//!
//! It speaks HTTP through the `http` executor's client and helpers, so it
//! keeps the same promises: no proxies from the environment, no redirects,
//! no hidden retries, a connect timeout, an answer capped at `max_output`,
//! and the same failure classes for the same statuses, quoting the message
//! of an OpenAI error body (`{"error": {"message": ...}}`) when there is one.
//!
//! Decisions, each for the user's sake:
//! - A `string` output is the reply's text as it is. Any other output type
//!   is described to the model as a JSON Schema in `response_format`
//!   (strict structured outputs), and the reply must be JSON.
//! - Strict mode needs an object at the root: a type that is not a record is
//!   asked for as `{ "value": ... }` and unwrapped from the reply.
//! - Strict mode makes every field required, so optional fields are sent as
//!   nullable; a `null` standing for an absent optional field is removed from
//!   the reply, so that the runtime's validation sees the field absent.
//! - The reply is not validated here: the runtime validates every output
//!   against its declared type, whatever executor produced it.
//! - The endpoint and the key come from the settings, else from
//!   `OPENAI_BASE_URL` / `OPENAI_API_KEY` (read through an [`Environment`],
//!   so that tests and embedders decide what the executor sees). The key is
//!   sent as `Authorization: Bearer` only when there is one (Ollama and
//!   llama.cpp's server need none), and it never appears in a message: a
//!   server that echoes it has it replaced by `***`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use reqwest::Url;
use serde_json::{Map, Number, Value, json};

use super::http::{
    ClientSetupError, Method, Target, client, excerpt, read_capped, request_headers,
    status_failure, transport_failure,
};
use super::{Failure, Invocation, Output};
use crate::ir::{FailureClass, Type, TypeId, Types};
use crate::runtime::schema::{is_strict, json_schema};

/// Where requests go when neither the settings nor the environment say.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The variable giving the base URL when the settings do not.
pub const BASE_URL_VAR: &str = "OPENAI_BASE_URL";
/// The variable giving the API key when the settings do not.
pub const API_KEY_VAR: &str = "OPENAI_API_KEY";

/// How many characters of the reply are quoted on each side of the place
/// where it stopped being JSON.
const NEAR_CHARS: usize = 30;

/// An `llm { model, prompt, system?, base_url?, api_key?, temperature? }`
/// executor's settings, evaluated (the templates filled in).
#[derive(Clone, PartialEq)]
pub struct LlmSpec {
    pub model: String,
    pub prompt: String,
    pub system: Option<String>,
    /// `http(s)://host/v1`: `/chat/completions` is appended.
    pub base_url: Option<String>,
    /// An empty key means "send none", even when `OPENAI_API_KEY` is set.
    pub api_key: Option<String>,
    pub temperature: Option<f64>,
}

/// The key is a secret, so it is not shown.
impl fmt::Debug for LlmSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmSpec")
            .field("model", &self.model)
            .field("prompt", &self.prompt)
            .field("system", &self.system)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("temperature", &self.temperature)
            .finish()
    }
}

/// The worker's declared output type, which decides the `response_format`
/// and how the reply is read.
#[derive(Clone, Copy, Debug)]
pub struct OutputType<'a> {
    pub ty: TypeId,
    pub types: &'a Types,
}

/// Where the executor reads `OPENAI_BASE_URL` and `OPENAI_API_KEY`.
pub trait Environment: Send + Sync {
    /// The variable's value; `None` when it is not set or not Unicode.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process's own environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables (tests, embedders).
impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Calls `llm` workers. One is shared by every call in a process, so that
/// connections to a model server are pooled; cloning it is cheap and shares
/// the pool.
#[derive(Clone)]
pub struct LlmExecutor {
    client: reqwest::Client,
    env: Arc<dyn Environment>,
}

impl fmt::Debug for LlmExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmExecutor").finish_non_exhaustive()
    }
}

impl LlmExecutor {
    /// An executor reading the process's environment.
    pub fn new() -> Result<Self, ClientSetupError> {
        LlmExecutor::with_environment(ProcessEnvironment)
    }

    /// An executor reading `OPENAI_BASE_URL` and `OPENAI_API_KEY` from `env`.
    pub fn with_environment(env: impl Environment + 'static) -> Result<Self, ClientSetupError> {
        Ok(LlmExecutor {
            client: client()?,
            env: Arc::new(env),
        })
    }

    /// Makes one attempt. `inv.input` is not sent: the worker's parameters
    /// reach the model through the prompt templates, already filled in
    /// `spec`. Cancel-safe: dropping the future closes the connection.
    pub async fn call(
        &self,
        spec: &LlmSpec,
        output: OutputType<'_>,
        inv: &Invocation<'_>,
    ) -> Result<Output, Failure> {
        let key = self.api_key(spec);
        self.attempt(spec, output, inv, key.as_deref())
            .await
            .map_err(|failure| hide(failure, key.as_deref()))
    }

    async fn attempt(
        &self,
        spec: &LlmSpec,
        output: OutputType<'_>,
        inv: &Invocation<'_>,
        key: Option<&str>,
    ) -> Result<Output, Failure> {
        let (base, origin) = self.base_url(spec);
        let endpoint = format!("{}/chat/completions", base.trim_end_matches('/'));
        let target = Target {
            method: Method::Post,
            url: &endpoint,
        };
        let url = parse_endpoint(target, &base, origin)?;
        let shape = Shape::of(output);
        let body =
            request_body(spec, &shape).map_err(|what| target.fail(FailureClass::Worker, what))?;
        let authorization: Vec<(String, String)> = key
            .map(|key| ("Authorization".to_string(), format!("Bearer {key}")))
            .into_iter()
            .collect();
        let headers = request_headers(target, &authorization, inv.meta)?;
        let response = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|err| transport_failure(target, &err))?;
        if !response.status().is_success() {
            return Err(status_failure(target, response, error_message).await);
        }
        let body = read_capped(target, response, inv.max_output).await?;
        read_reply(&body, &shape, output)
            .map(|value| Output {
                value,
                log: String::new(),
            })
            .map_err(|what| target.fail(FailureClass::Output, what))
    }

    fn base_url(&self, spec: &LlmSpec) -> (String, Origin) {
        if let Some(base) = &spec.base_url {
            return (base.clone(), Origin::Setting);
        }
        match self.env.var(BASE_URL_VAR) {
            Some(base) if !base.trim().is_empty() => (base.trim().to_string(), Origin::Variable),
            _ => (DEFAULT_BASE_URL.to_string(), Origin::Default),
        }
    }

    /// The settings' key (an empty one meaning none), else the
    /// environment's (an empty variable is as good as unset).
    fn api_key(&self, spec: &LlmSpec) -> Option<String> {
        let key = match &spec.api_key {
            Some(key) => key.clone(),
            None => self.env.var(API_KEY_VAR)?,
        };
        Some(key).filter(|key| !key.trim().is_empty())
    }
}

/// Where the base URL came from, for messages about a bad one.
#[derive(Clone, Copy)]
enum Origin {
    Setting,
    Variable,
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Setting => f.write_str("the worker's `base_url`"),
            Origin::Variable => write!(f, "`{BASE_URL_VAR}`"),
            Origin::Default => f.write_str("the default base url"),
        }
    }
}

fn parse_endpoint(target: Target<'_>, base: &str, origin: Origin) -> Result<Url, Failure> {
    let url = Url::parse(target.url).map_err(|err| {
        target.fail(
            FailureClass::Worker,
            format!(
                "{origin} `{base}` is not a valid address ({err}); write the address the chat completions path is under, such as \"http://localhost:11434/v1\""
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(target.fail(
            FailureClass::Worker,
            format!(
                "{origin} `{base}` has the scheme `{}`; it must start with http:// or https://",
                url.scheme()
            ),
        ));
    }
    Ok(url)
}

/// A failure's message with the key, should a server have echoed it,
/// replaced by `***`.
fn hide(mut failure: Failure, key: Option<&str>) -> Failure {
    if let Some(key) = key {
        failure.message = failure.message.replace(key, "***");
    }
    failure
}

/// How the output type is asked for and read back.
enum Shape {
    /// `string`: no `response_format`; the reply's text is the output.
    Text,
    /// A record: its schema is the root of `response_format`.
    Record { schema: Value, strict: bool },
    /// Anything else: asked for as `{ "value": ... }`, unwrapped from the
    /// reply.
    Wrapped { schema: Value, strict: bool },
}

impl Shape {
    fn of(output: OutputType<'_>) -> Shape {
        let OutputType { ty, types } = output;
        let strict = is_strict(ty, types);
        match types.resolve(ty) {
            Type::String => Shape::Text,
            // A named record (`-> Review`) is described by its definition,
            // not by a `$ref` to it: the root must be the object itself.
            Type::Record(_) => Shape::Record {
                schema: json_schema(unnamed(ty, types), types),
                strict,
            },
            _ => Shape::Wrapped {
                schema: wrap(json_schema(ty, types)),
                strict,
            },
        }
    }
}

/// The type a chain of names stands for, as an id (where
/// [`Types::resolve`] gives the type itself).
fn unnamed(mut ty: TypeId, types: &Types) -> TypeId {
    let mut seen = Vec::new();
    while let Type::Named { ty: inner, .. } = types.get(ty) {
        if seen.contains(inner) {
            break;
        }
        seen.push(ty);
        ty = *inner;
    }
    ty
}

/// `{ "value": schema }` as a strict object. The definitions move to the
/// new root, where the schema's `#/$defs/...` references point.
fn wrap(mut schema: Value) -> Value {
    let defs = schema.as_object_mut().and_then(|map| map.remove("$defs"));
    let mut root = Map::new();
    root.insert("type".into(), json!("object"));
    root.insert("properties".into(), json!({ "value": schema }));
    root.insert("required".into(), json!(["value"]));
    root.insert("additionalProperties".into(), json!(false));
    if let Some(defs) = defs {
        root.insert("$defs".into(), defs);
    }
    Value::Object(root)
}

/// The JSON body of the request.
fn request_body(spec: &LlmSpec, shape: &Shape) -> Result<Vec<u8>, String> {
    let mut messages = Vec::with_capacity(2);
    if let Some(system) = &spec.system {
        messages.push(json!({ "role": "system", "content": system }));
    }
    messages.push(json!({ "role": "user", "content": spec.prompt }));
    let mut body = Map::new();
    body.insert("model".into(), json!(spec.model));
    body.insert("messages".into(), Value::Array(messages));
    if let Some(temperature) = spec.temperature {
        let number = Number::from_f64(temperature).ok_or_else(|| {
            format!("the temperature is {temperature}; it must be a finite number, such as 0.2")
        })?;
        body.insert("temperature".into(), Value::Number(number));
    }
    let format = match shape {
        Shape::Text => None,
        Shape::Record { schema, strict } | Shape::Wrapped { schema, strict } => {
            Some((schema, *strict))
        }
    };
    if let Some((schema, strict)) = format {
        // Strict mode cannot describe `json` (any value): it demands that
        // every object list its properties, so OpenAI refuses such a schema
        // outright. Without `strict` the schema still guides the model, and
        // the runtime's validation remains the fence.
        body.insert(
            "response_format".into(),
            json!({
                "type": "json_schema",
                "json_schema": { "name": "output", "strict": strict, "schema": schema },
            }),
        );
    }
    serde_json::to_vec(&Value::Object(body))
        .map_err(|err| format!("the request could not be written as JSON: {err}"))
}

/// The output in a chat completion's answer, or why there is none.
fn read_reply(body: &[u8], shape: &Shape, output: OutputType<'_>) -> Result<Value, String> {
    let completion: Value = serde_json::from_slice(body).map_err(|err| {
        format!(
            "the answer is not a chat completion: it is not valid JSON ({err}); it begins: {}",
            excerpt(body)
        )
    })?;
    let choice = completion.get("choices").and_then(|choices| choices.get(0));
    let Some(message) = choice.and_then(|choice| choice.get("message")) else {
        return Err(format!(
            "the answer is not a chat completion: it has no `choices[0].message`; it begins: {}",
            excerpt(body)
        ));
    };
    let finish = choice
        .and_then(|choice| choice.get("finish_reason"))
        .and_then(Value::as_str);
    if let Some(refusal) = message.get("refusal").and_then(Value::as_str)
        && !refusal.trim().is_empty()
    {
        return Err(format!(
            "the model refused to answer: {}",
            excerpt(refusal.as_bytes())
        ));
    }
    let Some(content) = message.get("content").and_then(Value::as_str) else {
        let mut what =
            "the model's reply has no text (`choices[0].message.content` is missing or not a string)"
                .to_string();
        if let Some(finish) = finish {
            what.push_str(&format!("; it finished with `{finish}`"));
        }
        return Err(what);
    };
    let value = match shape {
        Shape::Text => return Ok(Value::String(content.to_string())),
        Shape::Record { .. } => parse_reply(content, finish)?,
        Shape::Wrapped { .. } => unwrap(parse_reply(content, finish)?),
    };
    let mut value = value;
    drop_absent_nulls(&mut value, output.ty, output.types);
    Ok(value)
}

/// The reply's content as JSON.
fn parse_reply(content: &str, finish: Option<&str>) -> Result<Value, String> {
    let text = unfence(content);
    if text.trim().is_empty() {
        return Err("the model's reply is empty where JSON was expected".to_string());
    }
    serde_json::from_str(text).map_err(|err| {
        let mut what = format!(
            "the model's reply is not JSON: {err}, near `{}`",
            near(text, err.line(), err.column())
        );
        if finish == Some("length") {
            what.push_str(
                "; the reply was cut off at the model's token limit (finish_reason `length`)",
            );
        }
        what
    })
}

/// The JSON inside a reply wrapped in a Markdown code fence
/// (```` ```json ... ``` ````): local models often answer that way even when
/// asked for JSON, and the fence carries no meaning. Anything else is
/// returned as it is.
fn unfence(content: &str) -> &str {
    let Some(inner) = content
        .trim()
        .strip_prefix("```")
        .and_then(|rest| rest.strip_suffix("```"))
    else {
        return content;
    };
    // The opening line may name the language: ```json
    match inner.split_once('\n') {
        Some((language, body)) if language.trim().chars().all(|c| c.is_ascii_alphanumeric()) => {
            body
        }
        _ => inner,
    }
}

/// The text around `line`:`column` (as serde_json reports them, 1-based
/// lines, byte columns), on one line.
fn near(text: &str, line: usize, column: usize) -> String {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let at = floor_boundary(text, (line_start + column).min(text.len()));
    let mut start = at;
    for _ in 0..NEAR_CHARS {
        match text[..start].chars().next_back() {
            Some(c) => start -= c.len_utf8(),
            None => break,
        }
    }
    let mut end = at;
    for _ in 0..NEAR_CHARS {
        match text[end..].chars().next() {
            Some(c) => end += c.len_utf8(),
            None => break,
        }
    }
    excerpt(&text.as_bytes()[start..end])
}

/// The largest char boundary at or before `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The `value` of a wrapped reply. A reply without one (a model that
/// ignored the schema and answered the bare value) is left as it is, for
/// the runtime's validation to accept or refuse against the declared type.
fn unwrap(reply: Value) -> Value {
    match reply {
        Value::Object(mut map) if map.contains_key("value") => {
            map.remove("value").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// Removes the `null`s that stand for absent optional fields, at any depth
/// of the value. A field whose own type takes `null` (`b?: int?`) keeps it:
/// there the `null` is a value, and it fits either way.
fn drop_absent_nulls(value: &mut Value, ty: TypeId, types: &Types) {
    match (without_optional(ty, types), value) {
        (Type::List(item), Value::Array(items)) => {
            for item_value in items {
                drop_absent_nulls(item_value, *item, types);
            }
        }
        (Type::Record(fields), Value::Object(map)) => {
            for field in fields {
                let absent = field.optional
                    && map.get(&field.name) == Some(&Value::Null)
                    && !takes_null(field.ty, types);
                if absent {
                    map.remove(&field.name);
                } else if let Some(field_value) = map.get_mut(&field.name) {
                    drop_absent_nulls(field_value, field.ty, types);
                }
            }
        }
        _ => {}
    }
}

/// The type under any names and `?`s. A type that is only names and `?`s
/// around itself (which the checker refuses) ends as `json`.
fn without_optional(ty: TypeId, types: &Types) -> &Type {
    let mut seen = Vec::new();
    let mut current = ty;
    loop {
        match types.resolve(current) {
            Type::Optional(inner) if !seen.contains(inner) => {
                seen.push(current);
                current = *inner;
            }
            Type::Optional(_) => return &Type::Json,
            other => return other,
        }
    }
}

fn takes_null(ty: TypeId, types: &Types) -> bool {
    matches!(
        types.resolve(ty),
        Type::Optional(_) | Type::Null | Type::Json
    )
}

/// What an error answer says: the `message` of an OpenAI error body
/// (`{"error": {"message": ...}}`), or Ollama's `{"error": "..."}`, else
/// the start of the body.
fn error_message(body: &[u8]) -> String {
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|body| body.get("error"))
        .and_then(|error| match error {
            Value::String(message) => Some(message.as_str()),
            _ => error.get("message").and_then(Value::as_str),
        })
        .filter(|message| !message.trim().is_empty());
    match message {
        Some(message) => excerpt(message.as_bytes()),
        None => excerpt(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Field;

    fn field(name: &str, ty: TypeId, optional: bool) -> Field {
        Field {
            name: name.into(),
            ty,
            optional,
        }
    }

    #[test]
    fn a_fenced_reply_is_unwrapped_and_anything_else_kept() {
        assert_eq!(unfence("```json\n{\"a\": 1}\n```"), "{\"a\": 1}\n");
        assert_eq!(unfence("  ```\n[1]\n```\n"), "[1]\n");
        assert_eq!(unfence("```{\"a\": 1}```"), "{\"a\": 1}");
        assert_eq!(unfence("```\n{\"a\":\n1}```"), "{\"a\":\n1}");
        assert_eq!(unfence("{\"a\": 1}"), "{\"a\": 1}");
        assert_eq!(unfence("```"), "```");
        assert_eq!(
            unfence("Here:\n```json\n{}\n```"),
            "Here:\n```json\n{}\n```"
        );
    }

    #[test]
    fn near_quotes_around_the_error_on_one_line() {
        let text = "{\"a\": 1,\n \"b\": oops, \"c\": 3}";
        let err = match serde_json::from_str::<Value>(text) {
            Err(err) => err,
            Ok(value) => panic!("{value} parsed"),
        };
        let quoted = near(text, err.line(), err.column());
        assert!(quoted.contains("oops"), "{quoted}");
        assert!(!quoted.contains('\n'), "{quoted}");
        // Multi-byte characters never split.
        let text = "é".repeat(100);
        assert_eq!(near(&text, 1, 101).chars().count(), 2 * NEAR_CHARS);
        assert_eq!(near("", 1, 0), "");
        assert_eq!(near("ab", 7, 99), "ab");
    }

    #[test]
    fn nulls_of_optional_fields_go_at_every_depth_but_nullable_ones_stay() {
        let mut types = Types::new();
        let int = types.add(Type::Int);
        let maybe_int = types.add(Type::Optional(int));
        let inner = types.add(Type::Record(vec![
            field("note", int, true),
            field("score", maybe_int, true),
            field("count", maybe_int, false),
        ]));
        let inners = types.add(Type::List(inner));
        let maybe_inners = types.add(Type::Optional(inners));
        let outer = types.add(Type::Record(vec![
            field("items", maybe_inners, false),
            field("extra", inner, true),
        ]));
        let mut value = json!({
            "items": [{ "note": null, "score": null, "count": null }, { "note": 2 }],
            "extra": null,
        });
        drop_absent_nulls(&mut value, outer, &types);
        assert_eq!(
            value,
            json!({ "items": [{ "score": null, "count": null }, { "note": 2 }] })
        );
    }

    #[test]
    fn a_type_that_is_only_question_marks_around_itself_ends() {
        let mut types = Types::new();
        let looped = types.add(Type::Json);
        let optional = types.add(Type::Optional(looped));
        types.set(
            looped,
            Type::Named {
                name: "Loop".into(),
                ty: optional,
            },
        );
        let mut value = json!({ "a": null });
        drop_absent_nulls(&mut value, looped, &types);
        assert_eq!(value, json!({ "a": null }));
    }

    #[test]
    fn a_named_record_is_the_root_itself_and_may_still_recurse() {
        let mut types = Types::new();
        let tree = types.add(Type::Json);
        let children = types.add(Type::List(tree));
        let node = types.add(Type::Record(vec![field("children", children, false)]));
        types.set(
            tree,
            Type::Named {
                name: "Tree".into(),
                ty: node,
            },
        );
        let Shape::Record { schema, strict } = Shape::of(OutputType {
            ty: tree,
            types: &types,
        }) else {
            panic!("a named record is not wrapped");
        };
        assert!(strict);
        assert_eq!(schema.get("type"), Some(&json!("object")));
        assert_eq!(
            schema.pointer("/properties/children/items"),
            Some(&json!({ "$ref": "#/$defs/Tree" }))
        );
        assert_eq!(schema.pointer("/$defs/Tree/type"), Some(&json!("object")));
    }

    #[test]
    fn a_wrapped_type_keeps_its_definitions_at_the_root() {
        let mut types = Types::new();
        let string = types.add(Type::String);
        let record = types.add(Type::Record(vec![field("name", string, false)]));
        let named = types.add(Type::Named {
            name: "Person".into(),
            ty: record,
        });
        let people = types.add(Type::List(named));
        let Shape::Wrapped { schema, .. } = Shape::of(OutputType {
            ty: people,
            types: &types,
        }) else {
            panic!("a list is wrapped");
        };
        assert_eq!(
            schema.pointer("/properties/value"),
            Some(&json!({ "type": "array", "items": { "$ref": "#/$defs/Person" } }))
        );
        assert_eq!(
            schema.pointer("/$defs/Person/required"),
            Some(&json!(["name"]))
        );
    }

    #[test]
    fn error_bodies_give_their_message() {
        let openai = br#"{"error": {"message": "Incorrect API key\nprovided.", "type": "invalid_request_error"}}"#;
        assert_eq!(error_message(openai), "Incorrect API key provided.");
        assert_eq!(
            error_message(br#"{"error": "model 'x' not found"}"#),
            "model 'x' not found"
        );
        assert_eq!(
            error_message(br#"{"detail": "nope"}"#),
            r#"{"detail": "nope"}"#
        );
        assert_eq!(error_message(b"Bad Gateway"), "Bad Gateway");
    }

    #[test]
    fn a_temperature_must_be_finite() {
        let spec = LlmSpec {
            model: "m".into(),
            prompt: "p".into(),
            system: None,
            base_url: None,
            api_key: None,
            temperature: Some(f64::NAN),
        };
        let err = request_body(&spec, &Shape::Text).err().unwrap_or_default();
        assert!(err.contains("finite number"), "{err}");
    }

    #[test]
    fn without_settings_or_variables_the_call_goes_to_openai() {
        let spec = LlmSpec {
            model: "m".into(),
            prompt: "p".into(),
            system: None,
            base_url: None,
            api_key: None,
            temperature: None,
        };
        let blank: HashMap<String, String> = [
            (BASE_URL_VAR.to_string(), " ".to_string()),
            (API_KEY_VAR.to_string(), String::new()),
        ]
        .into_iter()
        .collect();
        for env in [HashMap::new(), blank] {
            let executor = match LlmExecutor::with_environment(env) {
                Ok(executor) => executor,
                Err(err) => panic!("{err}"),
            };
            let (base, origin) = executor.base_url(&spec);
            assert_eq!(base, DEFAULT_BASE_URL);
            assert!(matches!(origin, Origin::Default));
            assert_eq!(executor.api_key(&spec), None);
        }
    }

    #[test]
    fn the_key_is_not_shown() {
        let spec = LlmSpec {
            model: "m".into(),
            prompt: "p".into(),
            system: None,
            base_url: None,
            api_key: Some("sk-s3cret".into()),
            temperature: None,
        };
        let shown = format!("{spec:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("***"),
            "{shown}"
        );
    }
}
