//! Unit tests of the parts that need no server: reading replies, the
//! schema shapes, error bodies, the settings and the environment. The calls
//! themselves are tested against a scripted server in `tests/llm.rs`.

use serde_json::{Value, json};

use super::reply::{NEAR_CHARS, drop_absent_nulls, error_message, near, read_reply, unfence};
use super::request::{Shape, request_body};
use super::*;
use crate::ir::{Field, Type};

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

fn review_types() -> (Types, TypeId) {
    let mut types = Types::new();
    let string = types.add(Type::String);
    let review = types.add(Type::Record(vec![field("summary", string, false)]));
    (types, review)
}

fn completion(content: &str, finish: &str, usage: Option<Value>) -> Vec<u8> {
    let mut completion = json!({
        "choices": [{
            "index": 0,
            "finish_reason": finish,
            "message": { "role": "assistant", "content": content },
        }],
    });
    if let (Some(usage), Some(map)) = (usage, completion.as_object_mut()) {
        map.insert("usage".into(), usage);
    }
    serde_json::to_vec(&completion).unwrap_or_default()
}

#[test]
fn a_reply_cut_at_the_token_limit_names_the_limit_and_the_fix() {
    let (types, review) = review_types();
    let output = OutputType {
        ty: review,
        types: &types,
    };
    let shape = Shape::of(output);
    let usage = json!({ "prompt_tokens": 21, "completion_tokens": 3, "total_tokens": 24 });
    let body = completion(r#"{"summ"#, "length", Some(usage));
    let reply = read_reply(&body, &shape, output);
    assert_eq!(
        reply.usage,
        Some(Usage {
            prompt_tokens: 21,
            completion_tokens: 3
        })
    );
    let message = match reply.output {
        Err(message) => message,
        Ok(value) => panic!("{value} was read from a cut reply"),
    };
    for part in [
        "cut off at the limit on output tokens",
        "finish_reason `length`",
        "after 3 tokens",
        r#"ending `{"summ`"#,
        "`max_tokens`",
        "--n-predict",
        "smaller output",
    ] {
        assert!(message.contains(part), "{part:?} is not in: {message}");
    }
    assert!(!message.contains("not JSON"), "{message}");

    // Cut before it said anything: empty, and still the limit.
    let reply = read_reply(&completion("", "length", None), &shape, output);
    let message = reply.output.err().unwrap_or_default();
    assert!(message.contains("so it is empty"), "{message}");
    assert!(message.contains("--n-predict"), "{message}");
    assert_eq!(reply.usage, None);

    // The same broken reply, finished for another reason, is "not JSON".
    let reply = read_reply(&completion(r#"{"summ"#, "stop", None), &shape, output);
    let message = reply.output.err().unwrap_or_default();
    assert!(message.contains("is not JSON"), "{message}");
    assert!(!message.contains("max_tokens"), "{message}");

    // A reply that ended at the limit but is whole JSON is taken.
    let body = completion(r#"{"summary": "ok"}"#, "length", None);
    let reply = read_reply(&body, &shape, output);
    assert_eq!(reply.output, Ok(json!({ "summary": "ok" })));
}

#[test]
fn usage_is_read_only_when_the_server_counted_both_sides() {
    assert_eq!(
        Usage::of_completion(&json!({"usage": {"prompt_tokens": 5, "completion_tokens": 7}})),
        Some(Usage {
            prompt_tokens: 5,
            completion_tokens: 7
        })
    );
    for silent in [
        json!({}),
        json!({"usage": null}),
        json!({"usage": {"prompt_tokens": 5}}),
        json!({"usage": {"prompt_tokens": -1, "completion_tokens": 2}}),
    ] {
        assert_eq!(Usage::of_completion(&silent), None, "{silent}");
    }
    let big = Usage {
        prompt_tokens: u64::MAX,
        completion_tokens: 1,
    };
    assert_eq!((big + big).prompt_tokens, u64::MAX);
    assert_eq!(big.total(), u64::MAX);
}
