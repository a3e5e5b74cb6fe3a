//! A type as a JSON Schema, for the `response_format` of an LLM call.
//!
//! The schema follows the rules of OpenAI's strict structured outputs,
//! which the other OpenAI-compatible servers accept too: every object lists
//! all its properties as `required` and forbids others, so an optional field
//! is written as "this type or null" (the LLM executor then treats a `null`
//! optional field as absent); named types become `$defs`, which is how a
//! recursive type is described.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::ir::{Type, TypeId, Types};

/// The schema of `ty`, with a `$defs` entry for every named type it uses.
pub fn json_schema(ty: TypeId, types: &Types) -> Value {
    let mut defs = BTreeMap::new();
    let mut schema = schema_of(ty, types, &mut defs);
    if !defs.is_empty()
        && let Value::Object(map) = &mut schema
    {
        let defs: Map<String, Value> = defs
            .into_iter()
            .filter_map(|(name, def)| def.map(|d| (name, d)))
            .collect();
        map.insert("$defs".to_string(), Value::Object(defs));
    }
    schema
}

/// Whether strict structured outputs can describe the type: `json` (any
/// value) has no strict schema.
pub fn is_strict(ty: TypeId, types: &Types) -> bool {
    let mut seen = Vec::new();
    strict(ty, types, &mut seen)
}

fn strict(ty: TypeId, types: &Types, seen: &mut Vec<TypeId>) -> bool {
    if seen.contains(&ty) {
        return true;
    }
    seen.push(ty);
    match types.get(ty) {
        Type::Json => false,
        Type::List(item) | Type::Optional(item) => strict(*item, types, seen),
        Type::Named { ty, .. } => strict(*ty, types, seen),
        Type::Record(fields) => fields.iter().all(|f| strict(f.ty, types, seen)),
        _ => true,
    }
}

/// Named types being or already defined: `None` while a definition is in
/// progress (a recursive reference then just points at it).
type Defs = BTreeMap<String, Option<Value>>;

fn schema_of(ty: TypeId, types: &Types, defs: &mut Defs) -> Value {
    match types.get(ty) {
        Type::String => json!({ "type": "string" }),
        Type::Number => json!({ "type": "number" }),
        Type::Int => json!({ "type": "integer" }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::Null => json!({ "type": "null" }),
        Type::Json => json!({}),
        Type::List(item) => json!({ "type": "array", "items": schema_of(*item, types, defs) }),
        Type::Union(members) => json!({ "type": "string", "enum": members }),
        Type::Optional(inner) => nullable(schema_of(*inner, types, defs)),
        Type::Record(fields) => {
            let mut properties = Map::new();
            for field in fields {
                let schema = schema_of(field.ty, types, defs);
                let schema = if field.optional {
                    nullable(schema)
                } else {
                    schema
                };
                properties.insert(field.name.clone(), schema);
            }
            let required: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            json!({
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        }
        Type::Named { name, ty } => {
            if !defs.contains_key(name) {
                defs.insert(name.clone(), None);
                let def = schema_of(*ty, types, defs);
                defs.insert(name.clone(), Some(def));
            }
            json!({ "$ref": format!("#/$defs/{name}") })
        }
    }
}

/// "This, or null", without nesting `anyOf`s for `T??`.
fn nullable(schema: Value) -> Value {
    let already = schema
        .get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|options| options.iter().any(|o| o == &json!({ "type": "null" })));
    if already || schema == json!({ "type": "null" }) {
        schema
    } else {
        json!({ "anyOf": [schema, { "type": "null" }] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Field;

    #[test]
    fn records_are_strict_and_optional_fields_nullable() {
        let mut types = Types::new();
        let string = types.add(Type::String);
        let comments = types.add(Type::List(string));
        let verdict = types.add(Type::Union(vec!["approve".into(), "revise".into()]));
        let review = types.add(Type::Record(vec![
            Field {
                name: "verdict".into(),
                ty: verdict,
                optional: false,
            },
            Field {
                name: "comments".into(),
                ty: comments,
                optional: true,
            },
        ]));
        assert_eq!(
            json_schema(review, &types),
            json!({
                "type": "object",
                "properties": {
                    "verdict": { "type": "string", "enum": ["approve", "revise"] },
                    "comments": { "anyOf": [
                        { "type": "array", "items": { "type": "string" } },
                        { "type": "null" }
                    ] }
                },
                "required": ["verdict", "comments"],
                "additionalProperties": false
            })
        );
        assert!(is_strict(review, &types));
    }

    #[test]
    fn named_types_become_definitions_and_may_recurse() {
        let mut types = Types::new();
        let tree = types.add(Type::Json);
        let children = types.add(Type::List(tree));
        let int = types.add(Type::Int);
        let node = types.add(Type::Record(vec![
            Field {
                name: "size".into(),
                ty: int,
                optional: false,
            },
            Field {
                name: "children".into(),
                ty: children,
                optional: false,
            },
        ]));
        types.set(
            tree,
            Type::Named {
                name: "Tree".into(),
                ty: node,
            },
        );
        assert_eq!(
            json_schema(tree, &types),
            json!({
                "$ref": "#/$defs/Tree",
                "$defs": {
                    "Tree": {
                        "type": "object",
                        "properties": {
                            "size": { "type": "integer" },
                            "children": { "type": "array", "items": { "$ref": "#/$defs/Tree" } }
                        },
                        "required": ["size", "children"],
                        "additionalProperties": false
                    }
                }
            })
        );
        assert!(is_strict(tree, &types));
    }

    #[test]
    fn json_has_no_strict_schema() {
        let mut types = Types::new();
        let any = types.add(Type::Json);
        let list = types.add(Type::List(any));
        assert!(!is_strict(list, &types));
        assert_eq!(
            json_schema(list, &types),
            json!({ "type": "array", "items": {} })
        );
    }
}
