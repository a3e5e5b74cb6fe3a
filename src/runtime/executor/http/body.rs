//! Answer bodies: a 2xx body read under the `max_output` cap and parsed as
//! the output, and the start of an error body, read briefly and quoted on
//! one line in the failure's message.

use std::time::Duration;

use reqwest::Response;
use serde_json::Value;

use super::Target;
use super::failure::{innermost_cause, status_text};
use crate::ir::FailureClass;
use crate::runtime::executor::{Failure, Invocation, Output};

/// How much of an error response's body is read to quote in the message.
pub(super) const EXCERPT_BYTES: usize = 1024;
/// How many characters of it the message quotes.
pub(super) const EXCERPT_CHARS: usize = 200;
/// How long to wait for that body once the status is known: the status
/// decides the failure, the body is only a courtesy.
const EXCERPT_WAIT: Duration = Duration::from_secs(2);

/// A 2xx answer: its body, capped, parsed. An empty body (a `204 No
/// Content`, or a `200` with nothing in it) is the output `null` when
/// `empty_is_null` (the output type takes `null`: `json`, `T?`), the empty
/// text for a `string` output, and otherwise an `output` failure naming the
/// status, since no JSON value was sent.
pub(super) async fn read_output(
    target: Target<'_>,
    response: Response,
    inv: &Invocation<'_>,
    empty_is_null: bool,
) -> Result<Output, Failure> {
    let status = response.status();
    let body = read_capped(target, response, inv.max_output).await?;
    if body.is_empty() && !inv.wants_string {
        if empty_is_null {
            return Ok(Output {
                value: Value::Null,
                log: String::new(),
                usage: None,
            });
        }
        return Err(target.fail(
            FailureClass::Output,
            format!(
                "the service answered {} with an empty body, and the output type does not take `null`; declare the output `json` or optional (`T?`) if an empty answer is a success",
                status_text(status)
            ),
        ));
    }
    parse_body(&body, inv.wants_string)
        .map(|value| Output {
            value,
            log: String::new(),
            usage: None,
        })
        .map_err(|what| target.fail(FailureClass::Output, what))
}

/// A 2xx answer's body, refused (class `output`) as soon as it is known to
/// be over `cap` bytes: from its announced length before reading, or while
/// reading, so that no more than `cap` bytes are ever held.
pub(in crate::runtime::executor) async fn read_capped(
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
pub(super) fn parse_body(body: &[u8], wants_string: bool) -> Result<Value, String> {
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

/// The first [`EXCERPT_BYTES`] of an error body, or what came of it within
/// [`EXCERPT_WAIT`]; a broken body only shortens the quote.
pub(super) async fn read_excerpt(mut response: Response) -> Vec<u8> {
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
pub(in crate::runtime::executor) fn excerpt(body: &[u8]) -> String {
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
