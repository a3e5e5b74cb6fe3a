//! The request: the chat completion's JSON body, and the [`Shape`] the
//! output type is asked for in (its JSON Schema in `response_format`, and
//! whether the reply is the record itself or wrapped in `{ "value": ... }`).

use serde_json::{Map, Number, Value, json};

use super::{LlmSpec, OutputType};
use crate::ir::{Type, TypeId, Types};
use crate::runtime::schema::{is_strict, json_schema};

/// How the output type is asked for and read back.
pub(super) enum Shape {
    /// `string`: no `response_format`; the reply's text is the output.
    Text,
    /// A record: its schema is the root of `response_format`.
    Record { schema: Value, strict: bool },
    /// Anything else: asked for as `{ "value": ... }`, unwrapped from the
    /// reply.
    Wrapped { schema: Value, strict: bool },
}

impl Shape {
    pub(super) fn of(output: OutputType<'_>) -> Shape {
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
pub(super) fn request_body(spec: &LlmSpec, shape: &Shape) -> Result<Vec<u8>, String> {
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
