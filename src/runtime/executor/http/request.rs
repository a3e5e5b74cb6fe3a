//! What a request carries besides its body: the address, checked before
//! anything is sent, and the headers (the defaults, the worker's own, and
//! the run's, which always win).

use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::Target;
use crate::ir::FailureClass;
use crate::runtime::executor::{CallMeta, Failure};

pub(super) fn parse_url(target: Target<'_>) -> Result<Url, Failure> {
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
pub(in crate::runtime::executor) fn request_headers(
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
