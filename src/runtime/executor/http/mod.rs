//! The `http` executor: sends a worker's input to a service as JSON and
//! takes the response body as its output.
//!
//! Decisions, each for the user's sake:
//! - `GET` sends no body (a body on `GET` has no defined meaning and many
//!   servers and proxies drop or refuse it); a `GET` worker puts what it
//!   needs into its `url`, which is an expression over the parameters. Every
//!   other method sends the input as a JSON body.
//! - Proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`) are not used:
//!   a workflow's calls go straight to the address it names, so its
//!   behaviour and the places its secrets (`Authorization` headers) travel
//!   to do not change with the shell it was started from.
//! - Redirects are not followed: a `POST` answered by `301`/`302` would be
//!   replayed as a `GET` without its body, silently. A `3xx` is a `worker`
//!   failure naming the `Location`, so the user can write the final address.
//! - No hidden retries: reqwest's own retry policy is turned off, so every
//!   attempt the service sees is one the runtime counted (`X-Flow-Attempt`).
//! - A connect timeout ([`CONNECT_TIMEOUT`]) bounds only the connection:
//!   an unreachable address becomes a prompt `transient` failure instead of
//!   using up the step's whole `timeout`. The call as a whole is bounded by
//!   the runtime, which drops this future (and with it the connection).
//! - Messages name the request as the user wrote it (`POST <url>`), never
//!   the header values, which may hold secrets.
//!
//! This module holds the settings, the client and the call; `request.rs`
//! checks the address and builds the headers, `body.rs` reads and quotes
//! answer bodies, and `failure.rs` turns what went wrong into a failure of
//! the right class. The `llm` executor uses the same client and helpers.

mod address;
mod body;
mod failure;
mod request;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use super::{Failure, Invocation, Output};
use crate::ir::FailureClass;
use body::read_output;
use failure::innermost_cause;
use request::parse_url;

pub use address::{UrlPiece, build_url, encoded};
pub(super) use body::{excerpt, read_capped};
pub use failure::parse_retry_after;
use failure::status_failure_capped;
pub(super) use failure::{status_failure, transport_failure};
pub(super) use request::request_headers;

/// How long to wait for a connection to be established before the attempt
/// fails as `transient`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest `Retry-After` honoured when the worker does not say
/// (`max_retry_after`), and always by the `llm` executor: a service asking
/// for more fails the attempt at once, so that one answer cannot park a run
/// for days.
pub const MAX_RETRY_AFTER: Duration = crate::ir::DEFAULT_MAX_RETRY_AFTER;

const USER_AGENT: &str = concat!("flow/", env!("CARGO_PKG_VERSION"));

/// An HTTP method a worker may use: the program's own.
pub use crate::ir::HttpMethod as Method;

fn to_reqwest(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An `http { url, method, headers, query, max_retry_after }` executor's
/// settings, evaluated.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpSpec {
    /// The address as built by [`build_url`] (the `query` pairs included).
    pub url: String,
    pub method: Method,
    /// Sent in this order after the defaults; a name given here replaces the
    /// default of the same name (`Accept`, `Content-Type`, `User-Agent`), a
    /// name given twice is sent twice.
    pub headers: Vec<(String, String)>,
    /// The longest `Retry-After` waited for ([`MAX_RETRY_AFTER`] unless the
    /// worker says).
    pub max_retry_after: Duration,
    /// Whether an empty answer (`204 No Content`) is the output `null`:
    /// whether the output type takes `null` (`json`, `T?`).
    pub empty_is_null: bool,
}

/// Header values may be secrets (`env("API_KEY")`), so they are not shown.
impl fmt::Debug for HttpSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpSpec")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("header_names", &names)
            .field("max_retry_after", &self.max_retry_after)
            .finish()
    }
}

/// The HTTP client could not be set up (its TLS backend failed to start).
#[derive(Debug, thiserror::Error)]
#[error("could not set up the HTTP client: {reason}")]
pub struct ClientSetupError {
    reason: String,
}

/// Calls `http` workers. One is shared by every call in a process, so that
/// connections to a service are pooled; cloning it is cheap and shares the
/// pool.
#[derive(Clone, Debug)]
pub struct HttpExecutor {
    client: reqwest::Client,
}

impl HttpExecutor {
    pub fn new() -> Result<Self, ClientSetupError> {
        Ok(HttpExecutor { client: client()? })
    }

    /// Makes one attempt. Cancel-safe: dropping the future closes the
    /// connection and abandons the request.
    pub async fn call(&self, spec: &HttpSpec, inv: &Invocation<'_>) -> Result<Output, Failure> {
        let target = Target::of(spec);
        let url = parse_url(target)?;
        let headers = request_headers(target, &spec.headers, inv.meta)?;
        let mut request = self
            .client
            .request(to_reqwest(spec.method), url)
            .headers(headers);
        if spec.method.sends_body() {
            let body = serde_json::to_vec(inv.input).map_err(|err| {
                target.fail(
                    FailureClass::Worker,
                    format!("the input could not be written as JSON: {err}"),
                )
            })?;
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|err| transport_failure(target, &err))?;
        if response.status().is_success() {
            read_output(target, response, inv, spec.empty_is_null).await
        } else {
            Err(status_failure_capped(target, response, excerpt, spec.max_retry_after).await)
        }
    }
}

/// A client set up as the module's notes say: no proxies from the
/// environment, no redirects, no hidden retries, a connect timeout. Every
/// executor that speaks HTTP (`http`, `llm`) uses one of these.
pub(super) fn client() -> Result<reqwest::Client, ClientSetupError> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(USER_AGENT)
        .build()
        .map_err(|err| ClientSetupError {
            reason: innermost_cause(&err),
        })
}

/// The request as the user wrote it, for messages: `POST http://…/work`.
#[derive(Clone, Copy)]
pub(super) struct Target<'a> {
    pub(super) method: Method,
    pub(super) url: &'a str,
}

impl<'a> Target<'a> {
    fn of(spec: &'a HttpSpec) -> Self {
        Target {
            method: spec.method,
            url: &spec.url,
        }
    }

    pub(super) fn fail(self, class: FailureClass, what: impl fmt::Display) -> Failure {
        Failure::new(class, format!("{self}: {what}"))
    }
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}
