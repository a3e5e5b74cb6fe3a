//! The fence around unreliable workers: every output is validated against
//! its declared type before anything else sees it.
//!
//! Validation also makes the typed view of the value: fields a record type
//! does not declare are allowed and dropped, so that later steps see exactly
//! the declared shape, and a whole number that JSON spells with a fraction or
//! an exponent (`36.0`, `1e2`) where an `int` is expected becomes that
//! integer (`36`, `100`), so that it reads as one in interpolations and in
//! every output. An optional field that is `null` (`name?: string` sent
//! as `"name": null`, as Pydantic and most JSON producers write a missing
//! field) is taken as absent and dropped, unless its own type takes `null`
//! (`name?: string?`), where the `null` is a value. A mismatch names the
//! path and what was expected: `$.pages[2]: expected string, found number`.

use std::fmt;

use serde_json::{Map, Value};

use crate::ir::{Field, Type, TypeId, Types};

/// Where and how a value does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// `$`, `$.pages[2]`, `$["Content-Type"]`.
    pub path: String,
    /// The type, as written: `string`, `"approve" | "revise"`, `Review`.
    pub expected: String,
    /// What was there: `number`, `"maybe"`, `2.5`, `nothing` (a missing
    /// field).
    pub found: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.path, self.expected, self.found
        )
    }
}

impl std::error::Error for Mismatch {}

/// Checks `value` against `ty` and returns its typed view.
pub fn validate(mut value: Value, ty: TypeId, types: &Types) -> Result<Value, Mismatch> {
    check(&mut value, ty, types).map_err(|mut mismatch| {
        mismatch.path.insert(0, '$');
        mismatch
    })?;
    Ok(value)
}

/// Checks `value` in place, dropping the fields its records do not
/// declare: rebuilding every record was a good part of a builtin step. The
/// path of a mismatch is built on the way out, relative to `value` (empty
/// for the value itself), so that a value that fits costs no path at all.
fn check(value: &mut Value, ty: TypeId, types: &Types) -> Result<(), Mismatch> {
    let fits = match (types.resolve(ty), &mut *value) {
        (Type::Json, _) => true,
        (Type::String, Value::String(_)) => true,
        (Type::Number, Value::Number(_)) => true,
        (Type::Int, Value::Number(n)) => match as_int(n) {
            Some(Int::Already) => true,
            Some(Int::Spelt(i)) => {
                *value = Value::from(i);
                true
            }
            None => false,
        },
        (Type::Bool, Value::Bool(_)) => true,
        (Type::Null, Value::Null) => true,
        (Type::Union(members), Value::String(s)) => members.iter().any(|m| m == s),
        (Type::Optional(_), Value::Null) => true,
        (Type::Optional(inner), _) => {
            // A mismatch of the value itself (not of something inside it)
            // is told against the whole `T?`.
            return check(value, *inner, types).map_err(|mut e| {
                if e.path.is_empty() {
                    e.expected = types.show(ty).to_string();
                }
                e
            });
        }
        (Type::List(item), Value::Array(items)) => return list(items, *item, types),
        (Type::Record(fields), Value::Object(map)) => return record(map, fields, types),
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(Mismatch {
            path: String::new(),
            expected: types.show(ty).to_string(),
            found: describe(value, types.resolve(ty)),
        })
    }
}

fn list(items: &mut [Value], item: TypeId, types: &Types) -> Result<(), Mismatch> {
    for (index, value) in items.iter_mut().enumerate() {
        check(value, item, types).map_err(|mut e| {
            e.path.insert_str(0, &format!("[{index}]"));
            e
        })?;
    }
    Ok(())
}

fn record(map: &mut Map<String, Value>, fields: &[Field], types: &Types) -> Result<(), Mismatch> {
    let mut present = 0;
    for field in fields {
        match map.get_mut(&field.name) {
            Some(Value::Null) if field.optional && !takes_null(field.ty, types) => {}
            Some(value) => {
                check(value, field.ty, types).map_err(|mut e| {
                    e.path.insert_str(0, &key(&field.name));
                    e
                })?;
                present += 1;
            }
            None if field.optional => {}
            None => {
                return Err(Mismatch {
                    path: key(&field.name),
                    expected: types.show(field.ty).to_string(),
                    found: "nothing: the field is missing".to_string(),
                });
            }
        }
    }
    // Fields the type does not declare are dropped, and so are the `null`s
    // that stand for absent optional fields; most records have neither.
    if map.len() > present {
        map.retain(|key, value| {
            fields.iter().any(|f| {
                f.name == *key && !(f.optional && value.is_null() && !takes_null(f.ty, types))
            })
        });
    }
    Ok(())
}

/// Whether `null` is a value of `ty` itself (`T?`, `null`, `json`).
pub(crate) fn takes_null(ty: TypeId, types: &Types) -> bool {
    matches!(
        types.resolve(ty),
        Type::Optional(_) | Type::Null | Type::Json
    )
}

/// `.name` for an identifier, `["b c"]` for anything else.
fn key(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{key}")
    } else {
        format!("[{}]", Value::String(key.to_string()))
    }
}

/// How a JSON number is an `int`.
enum Int {
    /// It is an integer as JSON wrote it.
    Already,
    /// It is a whole number written as `36.0` or `1e2`: this integer.
    Spelt(i64),
}

/// The number as an `int`: whole and within the range of a 64-bit signed
/// integer, which is what the runtime computes with; `None` otherwise.
fn as_int(n: &serde_json::Number) -> Option<Int> {
    if n.is_i64() {
        return Some(Int::Already);
    }
    if n.is_u64() {
        // Above `i64::MAX`: whole, but out of range.
        return None;
    }
    let f = n.as_f64()?;
    // `i64::MIN` is -2^63 exactly; `-(i64::MIN as f64)` is 2^63, the first
    // value beyond `i64::MAX` (which has no exact `f64`).
    let in_range = f >= i64::MIN as f64 && f < -(i64::MIN as f64);
    (f.fract() == 0.0 && in_range).then_some(Int::Spelt(f as i64))
}

/// What a value is, in the words of the type it failed: the value itself
/// where that helps (a string that is not a member, a number that is not
/// whole), else its kind.
fn describe(value: &Value, expected: &Type) -> String {
    match (value, expected) {
        (Value::String(s), Type::Union(_)) if s.chars().count() <= 40 => {
            Value::String(s.clone()).to_string()
        }
        (Value::Number(n), Type::Int) => match n.as_f64() {
            Some(f) if f.is_finite() && f.fract() == 0.0 => format!(
                "number {n}, which is beyond the range of an int ({} to {})",
                i64::MIN,
                i64::MAX
            ),
            _ => format!("number {n}"),
        },
        (Value::Null, _) => "null".to_string(),
        (Value::Bool(_), _) => "bool".to_string(),
        (Value::Number(_), _) => "number".to_string(),
        (Value::String(_), _) => "string".to_string(),
        (Value::Array(_), _) => "list".to_string(),
        (Value::Object(_), _) => "record".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `Spec { title: string, pages: [string], verdict?: "approve" | "revise",
    /// "Content-Type"?: int? }`
    fn spec() -> (Types, TypeId) {
        let mut types = Types::new();
        let string = types.add(Type::String);
        let pages = types.add(Type::List(string));
        let verdict = types.add(Type::Union(vec!["approve".into(), "revise".into()]));
        let int = types.add(Type::Int);
        let maybe_int = types.add(Type::Optional(int));
        let record = types.add(Type::Record(vec![
            Field {
                name: "title".into(),
                ty: string,
                optional: false,
            },
            Field {
                name: "pages".into(),
                ty: pages,
                optional: false,
            },
            Field {
                name: "verdict".into(),
                ty: verdict,
                optional: true,
            },
            Field {
                name: "Content-Type".into(),
                ty: maybe_int,
                optional: true,
            },
        ]));
        let named = types.add(Type::Named {
            name: "Spec".into(),
            ty: record,
        });
        (types, named)
    }

    fn error(value: Value) -> String {
        let (types, spec) = spec();
        match validate(value, spec, &types) {
            Ok(v) => panic!("{v} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_fitting_value_loses_its_extra_fields() {
        let (types, spec) = spec();
        let value = json!({ "title": "t", "pages": ["a"], "extra": 1, "Content-Type": null });
        assert_eq!(
            validate(value, spec, &types),
            Ok(json!({ "title": "t", "pages": ["a"], "Content-Type": null }))
        );
    }

    #[test]
    fn a_null_optional_field_is_absent_unless_its_type_takes_null() {
        let (types, spec) = spec();
        // `verdict?: "approve" | "revise"` sent as `null` is absent;
        // `"Content-Type"?: int?` keeps its `null`, a value of `int?`.
        let value = json!({ "title": "t", "pages": [], "verdict": null, "Content-Type": null });
        assert_eq!(
            validate(value, spec, &types),
            Ok(json!({ "title": "t", "pages": [], "Content-Type": null }))
        );
        // A required field is not optional for being `null`.
        assert_eq!(
            error(json!({ "title": null, "pages": [] })),
            "$.title: expected string, found null"
        );
    }

    #[test]
    fn a_mismatch_names_the_path_and_the_expected_type() {
        assert_eq!(
            error(json!({ "title": "t", "pages": ["a", "b", 3] })),
            "$.pages[2]: expected string, found number"
        );
        assert_eq!(
            error(json!({ "title": "t", "pages": [], "verdict": "maybe" })),
            r#"$.verdict: expected "approve" | "revise", found "maybe""#
        );
        assert_eq!(
            error(json!({ "pages": [] })),
            "$.title: expected string, found nothing: the field is missing"
        );
        assert_eq!(
            error(json!({ "title": "t", "pages": [], "Content-Type": 2.5 })),
            r#"$["Content-Type"]: expected int?, found number 2.5"#
        );
        assert_eq!(error(json!([1])), "$: expected Spec, found list");
    }

    /// The value of `text` (parsed as JSON, as a worker's output is)
    /// validated as `ty`, written back as JSON text.
    fn typed(text: &str, ty: Type) -> Result<String, String> {
        let mut types = Types::new();
        let ty = types.add(ty);
        let value: Value = serde_json::from_str(text).expect("the test's JSON parses");
        validate(value, ty, &types)
            .map(|v| v.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_however_spelt_are_ints() {
        assert_eq!(typed("36.0", Type::Int), Ok("36".into()));
        assert_eq!(typed("1e2", Type::Int), Ok("100".into()));
        assert_eq!(typed("-7", Type::Int), Ok("-7".into()));
        assert_eq!(typed("-0.0", Type::Int), Ok("0".into()));
        assert_eq!(typed("4.2e1", Type::Int), Ok("42".into()));
        assert_eq!(
            typed("9223372036854775807", Type::Int),
            Ok("9223372036854775807".into())
        );
        assert_eq!(
            typed("-9.223372036854775808e18", Type::Int),
            Ok("-9223372036854775808".into())
        );
    }

    #[test]
    fn numbers_that_are_not_whole_or_too_large_are_not_ints() {
        assert_eq!(
            typed("3.5", Type::Int),
            Err("$: expected int, found number 3.5".into())
        );
        assert_eq!(
            typed("9223372036854775808", Type::Int),
            Err("$: expected int, found number 9223372036854775808, which is beyond the range of an int (-9223372036854775808 to 9223372036854775807)".into())
        );
        assert_eq!(
            typed("1e19", Type::Int),
            Err("$: expected int, found number 1e+19, which is beyond the range of an int (-9223372036854775808 to 9223372036854775807)".into())
        );
    }

    #[test]
    fn ints_are_made_whole_inside_records_lists_and_optionals() {
        let mut types = Types::new();
        let int = types.add(Type::Int);
        let ints = types.add(Type::List(int));
        let maybe = types.add(Type::Optional(ints));
        let number = types.add(Type::Number);
        let record = types.add(Type::Record(vec![
            Field {
                name: "counts".into(),
                ty: maybe,
                optional: false,
            },
            Field {
                name: "ratio".into(),
                ty: number,
                optional: false,
            },
        ]));
        let value = json!({ "counts": [1.0, 2, 3e0], "ratio": 2.0 });
        // A `number` keeps its spelling: only an `int` is made whole.
        assert_eq!(
            validate(value, record, &types).map(|v| v.to_string()),
            Ok(r#"{"counts":[1,2,3],"ratio":2.0}"#.to_string())
        );
        assert_eq!(
            validate(json!({ "counts": [1, 2.5], "ratio": 1 }), record, &types)
                .map_err(|e| e.to_string()),
            Err("$.counts[1]: expected int, found number 2.5".to_string())
        );
    }

    #[test]
    fn recursive_types_validate_to_any_depth_of_the_value() {
        let mut types = Types::new();
        let tree = types.add(Type::Json);
        let children = types.add(Type::List(tree));
        let node = types.add(Type::Record(vec![Field {
            name: "children".into(),
            ty: children,
            optional: false,
        }]));
        types.set(
            tree,
            Type::Named {
                name: "Tree".into(),
                ty: node,
            },
        );
        let ok = json!({ "children": [{ "children": [] }, { "children": [{ "children": [] }] }] });
        assert!(validate(ok, tree, &types).is_ok());
        let bad = json!({ "children": [{ "children": [{ "kids": [] }] }] });
        assert_eq!(
            validate(bad, tree, &types).map_err(|e| e.to_string()),
            Err("$.children[0].children[0].children: expected [Tree], found nothing: the field is missing".to_string())
        );
    }
}
