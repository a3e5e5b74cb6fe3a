//! The reply: the output read out of a chat completion (text, JSON, or
//! JSON in a Markdown fence; unwrapped and with the `null`s of absent
//! optional fields removed), the tokens it cost, and what an error
//! answer's body says.

use serde_json::Value;

use super::request::Shape;
use super::{OutputType, Usage};
use crate::ir::{Type, TypeId, Types};
use crate::runtime::executor::http::excerpt;
use crate::runtime::validate::takes_null;

/// How many characters of the reply are quoted on each side of the place
/// where it stopped being JSON.
pub(super) const NEAR_CHARS: usize = 30;

/// A chat completion's answer, read.
pub(super) struct Reply {
    /// The output, or why there is none.
    pub(super) output: Result<Value, String>,
    /// The tokens the call cost, when the server says: a reply that is
    /// refused (cut off, not JSON) cost them too.
    pub(super) usage: Option<Usage>,
}

/// The output in a chat completion's answer and what it cost.
pub(super) fn read_reply(body: &[u8], shape: &Shape, output: OutputType<'_>) -> Reply {
    match serde_json::from_slice::<Value>(body) {
        Ok(completion) => Reply {
            usage: Usage::of_completion(&completion),
            output: read_completion(&completion, body, shape, output),
        },
        Err(err) => Reply {
            output: Err(format!(
                "the answer is not a chat completion: it is not valid JSON ({err}); it begins: {}",
                excerpt(body)
            )),
            usage: None,
        },
    }
}

fn read_completion(
    completion: &Value,
    body: &[u8],
    shape: &Shape,
    output: OutputType<'_>,
) -> Result<Value, String> {
    let usage = Usage::of_completion(completion);
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
        Shape::Record { .. } => parse_reply(content, finish, usage)?,
        Shape::Wrapped { .. } => unwrap(parse_reply(content, finish, usage)?),
    };
    let mut value = value;
    drop_absent_nulls(&mut value, output.ty, output.types);
    Ok(value)
}

/// The reply's content as JSON. A reply the server cut off at its limit
/// on output tokens (`finish_reason` `length`) is told as such whenever it
/// does not parse: "not JSON" alone would send the user to the prompt or
/// the schema, when the fix is the limit.
fn parse_reply(content: &str, finish: Option<&str>, usage: Option<Usage>) -> Result<Value, String> {
    let text = unfence(content);
    let cut = finish == Some("length");
    if text.trim().is_empty() && !cut {
        return Err("the model's reply is empty where JSON was expected".to_string());
    }
    serde_json::from_str(text).map_err(|err| {
        if cut {
            cut_off(text, usage)
        } else {
            format!(
                "the model's reply is not JSON: {err}, near `{}`",
                near(text, err.line(), err.column())
            )
        }
    })
}

/// How many characters of the end of a cut-off reply are quoted.
const CUT_TAIL_CHARS: usize = 2 * NEAR_CHARS;

/// The message for a reply cut off at the limit on output tokens.
fn cut_off(text: &str, usage: Option<Usage>) -> String {
    let after = match usage {
        Some(usage) => format!(" after {} tokens", usage.completion_tokens),
        None => String::new(),
    };
    let tail_start = text
        .char_indices()
        .rev()
        .nth(CUT_TAIL_CHARS - 1)
        .map_or(0, |(at, _)| at);
    let what = if text.trim().is_empty() {
        "so it is empty".to_string()
    } else {
        format!(
            "so it is incomplete JSON ending `{}`",
            excerpt(&text.as_bytes()[tail_start..])
        )
    };
    format!(
        "the model's reply was cut off at the limit on output tokens (finish_reason `length`){after}, {what}; flow sends no `max_tokens`, so the limit is the server's own or the model's context size: raise it on the server (llama.cpp's server: `--n-predict` and `--ctx-size`; vLLM: `--max-model-len`; Ollama: `num_predict` and `num_ctx`), or ask for a smaller output"
    )
}

/// The JSON inside a reply wrapped in a Markdown code fence
/// (```` ```json ... ``` ````): local models often answer that way even when
/// asked for JSON, and the fence carries no meaning. Anything else is
/// returned as it is.
pub(super) fn unfence(content: &str) -> &str {
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
pub(super) fn near(text: &str, line: usize, column: usize) -> String {
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
pub(super) fn drop_absent_nulls(value: &mut Value, ty: TypeId, types: &Types) {
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

/// What an error answer says: the `message` of an OpenAI error body
/// (`{"error": {"message": ...}}`), or Ollama's `{"error": "..."}`, else
/// the start of the body.
pub(super) fn error_message(body: &[u8]) -> String {
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
