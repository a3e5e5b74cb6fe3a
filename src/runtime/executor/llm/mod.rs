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
//! - A reply cut off at the server's limit on output tokens
//!   (`finish_reason` `length`) that is not complete JSON is told as such,
//!   with the settings that raise the limit, not as a reply that is not
//!   JSON.
//! - The tokens the server counted (`usage`) go with the output or the
//!   failure, for the events and the trace's total.
//! - The reply is not validated here: the runtime validates every output
//!   against its declared type, whatever executor produced it.
//! - The endpoint and the key come from the settings, else from
//!   `OPENAI_BASE_URL` / `OPENAI_API_KEY` (read through an [`Environment`],
//!   so that tests and embedders decide what the executor sees). The key is
//!   sent as `Authorization: Bearer` only when there is one (Ollama and
//!   llama.cpp's server need none), and it never appears in a message: a
//!   server that echoes it has it replaced by `***`.
//!
//! This module holds the settings, the executor and where the call goes;
//! `request.rs` writes the request and the shape the output is asked for
//! in, and `reply.rs` reads the output out of the model's reply.

mod reply;
mod request;
#[cfg(test)]
mod tests;
mod usage;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use reqwest::Url;

use super::http::{
    ClientSetupError, Method, Target, client, read_capped, request_headers, status_failure,
    transport_failure,
};
use super::{Failure, Invocation, Output};
use crate::ir::{FailureClass, TypeId, Types};
use reply::{error_message, read_reply};
use request::{Shape, request_body};
pub use usage::Usage;

/// Where requests go when neither the settings nor the environment say.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The variable giving the base URL when the settings do not.
pub const BASE_URL_VAR: &str = "OPENAI_BASE_URL";
/// The variable giving the API key when the settings do not.
pub const API_KEY_VAR: &str = "OPENAI_API_KEY";

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
        let reply = read_reply(&body, &shape, output);
        match reply.output {
            Ok(value) => Ok(Output {
                value,
                log: String::new(),
                usage: reply.usage,
            }),
            Err(what) => Err(Failure {
                usage: reply.usage,
                ..target.fail(FailureClass::Output, what)
            }),
        }
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
