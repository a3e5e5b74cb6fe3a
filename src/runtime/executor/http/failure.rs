//! What went wrong, as a failure of the right class: a request that got no
//! answer, or an answer with a status that is not 2xx, together with the
//! wait the service asked for in `Retry-After`.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, LOCATION, RETRY_AFTER};
use reqwest::{Response, StatusCode};

use super::body::read_excerpt;
use super::{CONNECT_TIMEOUT, MAX_RETRY_AFTER, Target};
use crate::ir::FailureClass;
use crate::runtime::executor::Failure;

/// A request that got no response: the service may be back in a moment.
pub(in crate::runtime::executor) fn transport_failure(
    target: Target<'_>,
    err: &reqwest::Error,
) -> Failure {
    let cause = innermost_cause(err);
    if err.is_builder() {
        return target.fail(
            FailureClass::Worker,
            format!("the request could not be built: {cause}"),
        );
    }
    // A certificate that is not trusted will not be trusted on a retry:
    // it is the worker's (its configuration's) problem, not a transient one.
    if let Some(why) = certificate_problem(err) {
        return target.fail(
            FailureClass::Worker,
            format!(
                "the service's TLS certificate is not trusted ({why}); if it is signed by a \
                 private certificate authority, point SSL_CERT_FILE at that authority's \
                 certificate"
            ),
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

/// What rustls said about the peer's certificate, if that is why the
/// request failed. rustls's error sits inside `io::Error`s (two, nested),
/// whose `source` skips what they wrap, so each one is opened instead.
fn certificate_problem(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(error) = current {
        if let Some(rustls::Error::InvalidCertificate(why)) = error.downcast_ref::<rustls::Error>()
        {
            return Some(format!("{why:?}"));
        }
        current = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => error.source(),
        };
    }
    None
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

/// A non-2xx answer: `transient` for 408, 429 and 5xx (with the wait the
/// service asked for), `worker` for the rest. `quote` says what the start of
/// a non-empty body (at most [`EXCERPT_BYTES`](super::body::EXCERPT_BYTES))
/// has to say, on one line.
pub(in crate::runtime::executor) async fn status_failure(
    target: Target<'_>,
    response: Response,
    quote: fn(&[u8]) -> String,
) -> Failure {
    status_failure_capped(target, response, quote, MAX_RETRY_AFTER).await
}

/// [`status_failure`] with the longest `Retry-After` the worker waits for
/// (`max_retry_after`). A service asking for more fails the attempt at once
/// with class `worker`, naming both waits: retrying sooner would go against
/// what the service said, and waiting that long is more than the workflow
/// allows, so the call is not retried by default and an `on_failure worker`
/// clause can route it.
pub(in crate::runtime::executor) async fn status_failure_capped(
    target: Target<'_>,
    response: Response,
    quote: fn(&[u8]) -> String,
    cap: Duration,
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
    let too_long = retry_after.is_some_and(|wait| wait > cap);
    match retry_after {
        Some(wait) if too_long => what.push_str(&format!(
            "; it asked to retry after {}, more than the {} this worker waits for (`max_retry_after`), so it is not retried",
            seconds(wait),
            seconds(cap)
        )),
        Some(wait) => what.push_str(&format!("; it asked to retry after {}", seconds(wait))),
        None => {}
    }
    let class = if transient && !too_long {
        FailureClass::Transient
    } else {
        FailureClass::Worker
    };
    let mut failure = target.fail(class, what);
    failure.retry_after = retry_after.filter(|_| !too_long);
    failure
}

/// A wait in whole seconds, `3600s`; a wait below a second that is not
/// zero is shown in milliseconds.
fn seconds(wait: Duration) -> String {
    if wait.as_secs() == 0 && !wait.is_zero() {
        format!("{}ms", wait.as_millis())
    } else {
        format!("{}s", wait.as_secs())
    }
}

fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

pub(super) fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// `Retry-After` as seconds (`120`) or an HTTP date, as a wait from `now`
/// (uncapped: the caller compares it with its cap); a date in the past is
/// no wait. Anything else is ignored (the runtime's own backoff applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only too many of them fails, and that is a long wait.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait)
}
