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

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::{
    ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER,
};
use reqwest::{Response, StatusCode, Url};
use serde_json::Value;

use super::{CallMeta, Failure, Invocation, Output};
use crate::ir::FailureClass;

/// How long to wait for a connection to be established before the attempt
/// fails as `transient`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest `Retry-After` honoured: a service asking for more is waited
/// for this long, so that one answer cannot park a run for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// How much of an error response's body is read to quote in the message.
const EXCERPT_BYTES: usize = 1024;
/// How many characters of it the message quotes.
const EXCERPT_CHARS: usize = 200;
/// How long to wait for that body once the status is known: the status
/// decides the failure, the body is only a courtesy.
const EXCERPT_WAIT: Duration = Duration::from_secs(2);

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

/// An `http { url, method, headers }` executor's settings, evaluated.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpSpec {
    pub url: String,
    pub method: Method,
    /// Sent in this order after the defaults; a name given here replaces the
    /// default of the same name (`Accept`, `Content-Type`, `User-Agent`), a
    /// name given twice is sent twice.
    pub headers: Vec<(String, String)>,
}

/// Header values may be secrets (`env("API_KEY")`), so they are not shown.
impl fmt::Debug for HttpSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpSpec")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("header_names", &names)
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
            read_output(target, response, inv).await
        } else {
            Err(status_failure(target, response, excerpt).await)
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

fn parse_url(target: Target<'_>) -> Result<Url, Failure> {
    let url = Url::parse(target.url).map_err(|err| {
        target.fail(
            FailureClass::Worker,
            format!(
                "the url is not a valid address ({err}); write a full address such as \"http://127.0.0.1:8080/work\""
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(target.fail(
            FailureClass::Worker,
            format!(
                "the url's scheme is `{}`; an http worker's url starts with http:// or https://",
                url.scheme()
            ),
        ));
    }
    Ok(url)
}

/// The defaults, then the user's headers (`given`, whose values are marked
/// sensitive), then the run's own headers, which always win: the service
/// must see the attempt and key the runtime counts.
pub(super) fn request_headers(
    target: Target<'_>,
    given: &[(String, String)],
    meta: &CallMeta,
) -> Result<HeaderMap, Failure> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    if target.method.sends_body() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let mut seen: Vec<HeaderName> = Vec::with_capacity(given.len());
    for (name, value) in given {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            target.fail(
                FailureClass::Worker,
                format!(
                    "`{name}` is not a valid header name; a header name is letters, digits and `-`"
                ),
            )
        })?;
        let mut value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
            target.fail(
                FailureClass::Worker,
                format!(
                    "the value of header `{name}` is not a valid header value: it must not contain line breaks or other control characters"
                ),
            )
        })?;
        value.set_sensitive(true);
        if seen.contains(&header) {
            headers.append(header, value);
        } else {
            headers.insert(header.clone(), value);
            seen.push(header);
        }
    }
    let run = [
        ("x-flow-run", meta.run_id.clone()),
        ("x-flow-step", meta.step.clone()),
        ("x-flow-attempt", meta.attempt.to_string()),
        ("idempotency-key", meta.idempotency_key.clone()),
    ];
    for (name, value) in run {
        let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
            target.fail(
                FailureClass::Worker,
                format!("the run's `{name}` header has characters a header cannot carry"),
            )
        })?;
        headers.insert(HeaderName::from_static(name), value);
    }
    Ok(headers)
}

/// A request that got no response: the service may be back in a moment.
pub(super) fn transport_failure(target: Target<'_>, err: &reqwest::Error) -> Failure {
    let cause = innermost_cause(err);
    if err.is_builder() {
        return target.fail(
            FailureClass::Worker,
            format!("the request could not be built: {cause}"),
        );
    }
    let what = if err.is_timeout() {
        format!("could not connect within {}s", CONNECT_TIMEOUT.as_secs())
    } else if err.is_connect() {
        format!("could not connect: {cause}")
    } else {
        format!("the request failed before an answer came: {cause}")
    };
    target.fail(FailureClass::Transient, what)
}

/// The deepest error in the chain says what happened (`Connection refused`);
/// the outer ones only say where.
pub(super) fn innermost_cause(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// A 2xx answer: its body, capped, parsed.
async fn read_output(
    target: Target<'_>,
    response: Response,
    inv: &Invocation<'_>,
) -> Result<Output, Failure> {
    let body = read_capped(target, response, inv.max_output).await?;
    parse_body(&body, inv.wants_string)
        .map(|value| Output {
            value,
            log: String::new(),
        })
        .map_err(|what| target.fail(FailureClass::Output, what))
}

/// A 2xx answer's body, refused (class `output`) as soon as it is known to
/// be over `cap` bytes: from its announced length before reading, or while
/// reading, so that no more than `cap` bytes are ever held.
pub(super) async fn read_capped(
    target: Target<'_>,
    mut response: Response,
    cap: usize,
) -> Result<Vec<u8>, Failure> {
    if let Some(length) = response.content_length() {
        if length > u64::try_from(cap).unwrap_or(u64::MAX) {
            return Err(target.fail(
                FailureClass::Output,
                format!(
                    "the answer announces {length} bytes, over the limit of {cap} bytes (`max_output`); it was not read"
                ),
            ));
        }
    }
    let mut body = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(err) => {
                return Err(target.fail(
                    FailureClass::Transient,
                    format!(
                        "the connection broke while the answer was read: {}",
                        innermost_cause(&err)
                    ),
                ));
            }
        };
        if chunk.len() > cap - body.len() {
            return Err(target.fail(
                FailureClass::Output,
                format!(
                    "the answer is over the limit of {cap} bytes (`max_output`); it was not read further"
                ),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// JSON, or for a `string` output anything that is not a JSON string taken
/// as the text itself (the rule the design gives for exec's stdout).
fn parse_body(body: &[u8], wants_string: bool) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::String(text)) => Ok(Value::String(text)),
        Ok(value) if !wants_string => Ok(value),
        Err(err) if !wants_string => Err(if body.is_empty() {
            "the answer has an empty body where JSON was expected".to_string()
        } else {
            format!(
                "the answer is not valid JSON ({err}); it begins: {}",
                excerpt(body)
            )
        }),
        _ => match std::str::from_utf8(body) {
            Ok(text) => Ok(Value::String(text.to_string())),
            Err(err) => Err(format!(
                "the answer is neither JSON nor UTF-8 text (invalid UTF-8 at byte {})",
                err.valid_up_to()
            )),
        },
    }
}

/// A non-2xx answer: `transient` for 408, 429 and 5xx (with the wait the
/// service asked for), `worker` for the rest. `quote` says what the start of
/// a non-empty body (at most [`EXCERPT_BYTES`]) has to say, on one line.
pub(super) async fn status_failure(
    target: Target<'_>,
    response: Response,
    quote: fn(&[u8]) -> String,
) -> Failure {
    let status = response.status();
    let transient = matches!(
        status,
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
    ) || status.is_server_error();
    let retry_after = if transient {
        header_text(response.headers(), &RETRY_AFTER)
            .and_then(|value| parse_retry_after(&value, SystemTime::now()))
    } else {
        None
    };
    let redirect = if status.is_redirection() {
        Some(header_text(response.headers(), &LOCATION).unwrap_or_default())
    } else {
        None
    };
    let body = read_excerpt(response).await;

    let mut what = format!("the service answered {}", status_text(status));
    match redirect {
        Some(location) => what.push_str(&format!(
            ", a redirect to `{location}`; redirects are not followed: put the final address in the worker's `url`"
        )),
        None if body.is_empty() => what.push_str(" with an empty body"),
        None => what.push_str(&format!(": {}", quote(&body))),
    }
    if let Some(wait) = retry_after {
        what.push_str(&format!("; it asked to retry after {}s", wait.as_secs()));
    }
    let class = if transient {
        FailureClass::Transient
    } else {
        FailureClass::Worker
    };
    let mut failure = target.fail(class, what);
    failure.retry_after = retry_after;
    failure
}

fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// The first [`EXCERPT_BYTES`] of an error body, or what came of it within
/// [`EXCERPT_WAIT`]; a broken body only shortens the quote.
async fn read_excerpt(mut response: Response) -> Vec<u8> {
    let mut body = Vec::new();
    let read = async {
        while body.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = EXCERPT_BYTES - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) | Err(_) => break,
            }
        }
    };
    // Elapsing only means the quote is shorter.
    let _ = tokio::time::timeout(EXCERPT_WAIT, read).await;
    body
}

/// A body quoted on one line: whitespace runs folded to a space, cut at
/// [`EXCERPT_CHARS`] characters with an ellipsis.
pub(super) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars == EXCERPT_CHARS {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

/// `Retry-After` as seconds (`120`) or an HTTP date, as a wait from `now`,
/// at most [`MAX_RETRY_AFTER`]; a date in the past is no wait. Anything else
/// is ignored (the runtime's own backoff applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only too many of them fails, and that is a long wait.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_and_only_get_has_no_body() {
        for method in Method::ALL {
            assert_eq!(Method::from_name(method.name()), Some(method));
            assert_eq!(method.sends_body(), method != Method::Get);
        }
        assert_eq!(Method::from_name("post"), None);
        assert_eq!(Method::default(), Method::Post);
    }

    #[test]
    fn retry_after_in_seconds_is_capped() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn retry_after_as_a_date_is_the_time_until_it() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        // The obsolete formats HTTP still allows.
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn unreadable_retry_after_is_ignored() {
        let now = SystemTime::now();
        for value in ["", "soon", "-5", "1.5", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(value, now), None, "{value:?}");
        }
    }

    #[test]
    fn excerpt_folds_whitespace_and_cuts_long_bodies() {
        assert_eq!(excerpt(b"  not\n\tfound  here \r\n"), "not found here");
        let long = "é".repeat(EXCERPT_CHARS + 10);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt(b"\xff\xfeab"), "\u{fffd}\u{fffd}ab");
    }

    #[test]
    fn bodies_parse_as_json_or_as_text_for_a_string_output() {
        assert_eq!(
            parse_body(br#"{"a":1}"#, false),
            Ok(serde_json::json!({"a": 1}))
        );
        assert_eq!(parse_body(br#""hi""#, true), Ok(Value::from("hi")));
        assert_eq!(parse_body(b"hi there", true), Ok(Value::from("hi there")));
        // JSON that is not a string is text for a string output.
        assert_eq!(parse_body(b"42", true), Ok(Value::from("42")));
        assert_eq!(parse_body(b"", true), Ok(Value::from("")));
        let not_json = parse_body(b"<html>oops</html>", false).unwrap_err();
        assert!(not_json.contains("not valid JSON"), "{not_json}");
        assert!(not_json.contains("<html>oops</html>"), "{not_json}");
        let empty = parse_body(b"", false).unwrap_err();
        assert!(empty.contains("empty body"), "{empty}");
        let binary = parse_body(b"ab\xff", true).unwrap_err();
        assert!(binary.contains("byte 2"), "{binary}");
    }
}
