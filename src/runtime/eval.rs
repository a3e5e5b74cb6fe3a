//! Evaluation of the checked program's expressions: pure and deterministic,
//! no clock, no randomness, no I/O.
//!
//! The checker has proven the types, so most failures here cannot happen for
//! typed values; they can for `json` values, which are unchecked (`j.x` on a
//! list), and for arithmetic (division by zero, an `int` overflow). Those are
//! reported as an [`EvalError`], never a panic.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Number, Value};

use crate::ir::{BinaryOp, Builtin, Expr, Part, StateId, TransformerId};

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

fn fail<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError {
        message: message.into(),
    })
}

/// What names in an expression stand for.
pub struct Scope<'a> {
    pub params: &'a [Value],
    /// The value of each state of the workflow, `None` before it succeeds.
    pub states: &'a [Option<Arc<Value>>],
    /// The loop variable of a `map` state.
    pub item: Option<&'a Value>,
    /// `error`: the failure being routed in an `on_failure` condition, the
    /// one routed most recently elsewhere in a workflow; `None` is `null`.
    pub error: Option<&'a Value>,
    pub transformers: &'a dyn Transformers,
}

/// Calls pure transformers: the program knows their bodies.
pub trait Transformers: Sync {
    fn call(&self, transformer: TransformerId, args: Vec<Value>) -> Result<Value, EvalError>;
}

/// No transformers, for expressions that call none.
pub struct NoTransformers;

impl Transformers for NoTransformers {
    fn call(&self, transformer: TransformerId, _: Vec<Value>) -> Result<Value, EvalError> {
        fail(format!("no transformer {} in this program", transformer.0))
    }
}

pub fn eval(expr: &Expr, scope: &Scope<'_>) -> Result<Value, EvalError> {
    eval_ref(expr, scope).map(Cow::into_owned)
}

/// What `null` borrows from.
static NULL: Value = Value::Null;

/// Evaluates without copying what is only read: a name, a field or an index
/// of one, a literal, and `??` over them borrow the value they find, so that
/// `review?.round` copies a number rather than the whole record, and a
/// comparison copies nothing.
fn eval_ref<'v>(expr: &'v Expr, scope: &Scope<'v>) -> Result<Cow<'v, Value>, EvalError> {
    Ok(match expr {
        Expr::Literal(value) => Cow::Borrowed(value),
        Expr::Param(index) => Cow::Borrowed(scope.params.get(*index as usize).unwrap_or(&NULL)),
        Expr::State(StateId(id)) => Cow::Borrowed(
            scope
                .states
                .get(*id as usize)
                .and_then(Option::as_deref)
                .unwrap_or(&NULL),
        ),
        Expr::Item => Cow::Borrowed(scope.item.unwrap_or(&NULL)),
        Expr::Error => Cow::Borrowed(scope.error.unwrap_or(&NULL)),
        Expr::Field {
            base,
            name,
            optional,
        } => match eval_ref(base, scope)? {
            Cow::Borrowed(Value::Null) if *optional => Cow::Borrowed(&NULL),
            Cow::Borrowed(Value::Object(map)) => Cow::Borrowed(map.get(name).unwrap_or(&NULL)),
            Cow::Owned(Value::Null) if *optional => Cow::Borrowed(&NULL),
            Cow::Owned(Value::Object(mut map)) => {
                Cow::Owned(map.remove(name).unwrap_or(Value::Null))
            }
            other => {
                return fail(format!(
                    "`.{name}` on {}, which has no fields",
                    kind(&other)
                ));
            }
        },
        Expr::Index { base, index } => {
            let index = eval_ref(index, scope)?;
            match (eval_ref(base, scope)?, index.as_ref()) {
                (Cow::Borrowed(Value::Array(items)), Value::Number(n)) => {
                    match position(items.len(), n)? {
                        Some(i) => Cow::Borrowed(&items[i]),
                        None => Cow::Borrowed(&NULL),
                    }
                }
                (Cow::Owned(Value::Array(mut items)), Value::Number(n)) => {
                    match position(items.len(), n)? {
                        Some(i) => Cow::Owned(items.swap_remove(i)),
                        None => Cow::Borrowed(&NULL),
                    }
                }
                (Cow::Borrowed(Value::Object(map)), Value::String(key)) => {
                    Cow::Borrowed(map.get(key).unwrap_or(&NULL))
                }
                (Cow::Owned(Value::Object(mut map)), Value::String(key)) => {
                    Cow::Owned(map.remove(key).unwrap_or(Value::Null))
                }
                (base, index) => {
                    return fail(format!("cannot index {} with {}", kind(&base), kind(index)));
                }
            }
        }
        Expr::Binary {
            op: BinaryOp::Coalesce,
            lhs,
            rhs,
            ..
        } => match eval_ref(lhs, scope)? {
            Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => eval_ref(rhs, scope)?,
            present => present,
        },
        // Only the branch taken is evaluated.
        Expr::If {
            condition,
            then,
            otherwise,
        } => match *eval_ref(condition, scope)? {
            Value::Bool(true) => eval_ref(then, scope)?,
            Value::Bool(false) => eval_ref(otherwise, scope)?,
            ref other => {
                return fail(format!(
                    "the condition of an `if` needs a bool, found {}",
                    kind(other)
                ));
            }
        },
        other => Cow::Owned(eval_owned(other, scope)?),
    })
}

/// The position in a list of `len` elements that a JSON number indexes,
/// `None` when it is out of range.
fn position(len: usize, n: &Number) -> Result<Option<usize>, EvalError> {
    match n.as_i64() {
        Some(i) if i >= 0 => Ok(usize::try_from(i).ok().filter(|&i| i < len)),
        Some(_) => Ok(None),
        None => fail(format!("a list index must be a whole number, not {n}")),
    }
}

/// The expressions that build a new value.
fn eval_owned(expr: &Expr, scope: &Scope<'_>) -> Result<Value, EvalError> {
    Ok(match expr {
        Expr::Interp(parts) => {
            let mut text = String::new();
            for part in parts {
                match part {
                    Part::Text(t) => text.push_str(t),
                    Part::Value(e) => insert(&mut text, eval_ref(e, scope)?.as_ref()),
                }
            }
            Value::String(text)
        }
        Expr::List(items) => Value::Array(
            items
                .iter()
                .map(|e| eval(e, scope))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Record(entries) => {
            let mut map = Map::new();
            for (key, e) in entries {
                map.insert(key.clone(), eval(e, scope)?);
            }
            Value::Object(map)
        }
        Expr::Builtin { function, args } => {
            let args = args
                .iter()
                .map(|e| eval(e, scope))
                .collect::<Result<Vec<_>, _>>()?;
            builtin(*function, args)?
        }
        Expr::Call { transformer, args } => {
            let args = args
                .iter()
                .map(|e| eval(e, scope))
                .collect::<Result<Vec<_>, _>>()?;
            scope.transformers.call(*transformer, args)?
        }
        Expr::Not(operand) => match eval_ref(operand, scope)?.as_ref() {
            Value::Bool(b) => Value::Bool(!b),
            other => return fail(format!("`!` needs a bool, found {}", kind(other))),
        },
        Expr::Neg { operand, int } => match eval_ref(operand, scope)?.as_ref() {
            Value::Number(n) => negate(n, *int)?,
            other => return fail(format!("`-` needs a number, found {}", kind(other))),
        },
        Expr::Binary { op, lhs, rhs, int } => binary(*op, lhs, rhs, *int, scope)?,
        // Names, fields, indexes and literals borrow (`eval_ref`); they are
        // copied here only when reached through this function directly.
        Expr::Literal(_)
        | Expr::Param(_)
        | Expr::State(_)
        | Expr::Item
        | Expr::Error
        | Expr::Field { .. }
        | Expr::Index { .. }
        | Expr::If { .. } => eval_ref(expr, scope)?.into_owned(),
    })
}

/// A value inserted into a string: a string as is, anything else as
/// compact JSON.
fn insert(text: &mut String, value: &Value) {
    match value {
        Value::String(s) => text.push_str(s),
        other => text.push_str(&other.to_string()),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a record",
    }
}

/// `lhs op rhs`; `int` when the checker typed both operands `int`.
fn binary(
    op: BinaryOp,
    lhs: &Expr,
    rhs: &Expr,
    int: bool,
    scope: &Scope<'_>,
) -> Result<Value, EvalError> {
    // The short-circuiting operators evaluate their right side only when
    // needed.
    match op {
        BinaryOp::And | BinaryOp::Or => {
            let Value::Bool(left) = *eval_ref(lhs, scope)? else {
                return fail("`&&` and `||` need bools");
            };
            if left == (op == BinaryOp::Or) {
                return Ok(Value::Bool(left));
            }
            return match *eval_ref(rhs, scope)? {
                Value::Bool(right) => Ok(Value::Bool(right)),
                ref other => fail(format!("`&&` and `||` need bools, found {}", kind(other))),
            };
        }
        BinaryOp::Coalesce => {
            return match eval_ref(lhs, scope)? {
                Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => eval(rhs, scope),
                present => Ok(present.into_owned()),
            };
        }
        _ => {}
    }
    let (left, right) = (eval_ref(lhs, scope)?, eval_ref(rhs, scope)?);
    let (left, right) = (left.as_ref(), right.as_ref());
    Ok(match op {
        BinaryOp::Eq => Value::Bool(equal(left, right)),
        BinaryOp::Ne => Value::Bool(!equal(left, right)),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = match (left, right) {
                (Value::Number(a), Value::Number(b)) => compare_numbers(a, b),
                (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                _ => None,
            };
            let Some(ordering) = ordering else {
                return fail(format!(
                    "cannot compare {} with {}",
                    kind(left),
                    kind(right)
                ));
            };
            Value::Bool(match op {
                BinaryOp::Lt => ordering.is_lt(),
                BinaryOp::Le => ordering.is_le(),
                BinaryOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        BinaryOp::Add => match (left, right) {
            (Value::String(a), Value::String(b)) => Value::String(format!("{a}{b}")),
            (Value::Number(a), Value::Number(b)) => arithmetic(op, a, b, int)?,
            (Value::Array(a), Value::Array(b)) => {
                Value::Array(a.iter().chain(b).cloned().collect())
            }
            _ => return fail(format!("cannot add {} and {}", kind(left), kind(right))),
        },
        _ => match (left, right) {
            (Value::Number(a), Value::Number(b)) => arithmetic(op, a, b, int)?,
            _ => {
                return fail(format!(
                    "arithmetic needs numbers, found {} and {}",
                    kind(left),
                    kind(right)
                ));
            }
        },
    })
}

/// JSON equality where `1` equals `1.0`, as the checker's `int` fits
/// `number`.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y).is_some_and(|o| o.is_eq()),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn compare_numbers(a: &Number, b: &Number) -> Option<std::cmp::Ordering> {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// `a op b` on numbers. Whole numbers stay whole for `+ - * %` while they
/// fit; `/` is always a number, as the checker types it. When the checker
/// typed the operation `int`, a result that does not fit is an error rather
/// than a float that would silently lose digits.
fn arithmetic(op: BinaryOp, a: &Number, b: &Number, int: bool) -> Result<Value, EvalError> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        let whole = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Sub => x.checked_sub(y),
            BinaryOp::Mul => x.checked_mul(y),
            BinaryOp::Rem if y == 0 => return fail("remainder of a division by zero"),
            // `i64::MIN % -1` is 0, which `checked_rem` would call an overflow.
            BinaryOp::Rem => Some(x.wrapping_rem(y)),
            _ => None,
        };
        if let Some(n) = whole {
            return Ok(Value::from(n));
        }
        if int && op != BinaryOp::Div {
            return fail(format!(
                "integer overflow: {x} {} {y} does not fit in an `int` (a 64-bit whole number, at most {})",
                op.symbol(),
                i64::MAX
            ));
        }
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return fail("a number out of range");
    };
    let result = match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div if y == 0.0 => return fail("division by zero"),
        BinaryOp::Div => x / y,
        BinaryOp::Rem if y == 0.0 => return fail("remainder of a division by zero"),
        _ => x % y,
    };
    match Number::from_f64(result) {
        Some(n) => Ok(Value::Number(n)),
        None => fail("the result is not a finite number"),
    }
}

/// `-n`; `int` as for [`arithmetic`].
fn negate(n: &Number, int: bool) -> Result<Value, EvalError> {
    if let Some(x) = n.as_i64() {
        match x.checked_neg() {
            Some(negated) => return Ok(Value::from(negated)),
            None if int => {
                return fail(format!(
                    "integer overflow: -({x}) does not fit in an `int` (a 64-bit whole number, at most {})",
                    i64::MAX
                ));
            }
            None => {}
        }
    }
    match n.as_f64().and_then(|x| Number::from_f64(-x)) {
        Some(n) => Ok(Value::Number(n)),
        None => fail("a number out of range"),
    }
}

fn builtin(function: Builtin, args: Vec<Value>) -> Result<Value, EvalError> {
    let mut args = args.into_iter();
    let mut next = || args.next().unwrap_or(Value::Null);
    Ok(match function {
        Builtin::Len => match next() {
            Value::String(s) => Value::from(s.chars().count()),
            Value::Array(items) => Value::from(items.len()),
            Value::Object(map) => Value::from(map.len()),
            other => return fail(format!("`len` of {}", kind(&other))),
        },
        Builtin::Lower | Builtin::Upper | Builtin::Trim => match next() {
            Value::String(s) => Value::String(match function {
                Builtin::Lower => s.to_lowercase(),
                Builtin::Upper => s.to_uppercase(),
                _ => s.trim().to_string(),
            }),
            other => return fail(format!("a string function applied to {}", kind(&other))),
        },
        Builtin::Contains => match (next(), next()) {
            (Value::String(s), Value::String(part)) => Value::Bool(s.contains(&part)),
            (Value::Array(items), needle) => Value::Bool(items.iter().any(|i| equal(i, &needle))),
            (haystack, _) => return fail(format!("`contains` in {}", kind(&haystack))),
        },
        Builtin::Join => match (next(), next()) {
            (Value::Array(items), Value::String(separator)) => {
                let mut text = String::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        text.push_str(&separator);
                    }
                    insert(&mut text, item);
                }
                Value::String(text)
            }
            _ => return fail("`join` takes a list and a separator string"),
        },
        Builtin::Split => match (next(), next()) {
            (Value::String(s), Value::String(separator)) if !separator.is_empty() => {
                Value::Array(s.split(&separator).map(Value::from).collect())
            }
            (Value::String(_), Value::String(_)) => return fail("`split` on an empty separator"),
            _ => return fail("`split` takes a string and a separator string"),
        },
        Builtin::Keys => match next() {
            Value::Object(map) => Value::Array(map.keys().cloned().map(Value::String).collect()),
            other => return fail(format!("`keys` of {}", kind(&other))),
        },
        Builtin::ToJson => Value::String(next().to_string()),
        Builtin::ParseJson => match next() {
            Value::String(s) => match serde_json::from_str(&s) {
                Ok(value) => value,
                Err(e) => return fail(format!("`parse_json`: the text is not JSON: {e}")),
            },
            other => return fail(format!("`parse_json` of {}", kind(&other))),
        },
        Builtin::String => match next() {
            Value::String(s) => Value::String(s),
            other => Value::String(other.to_string()),
        },
        // `number("x")` is null when the text is not a number, as typed.
        Builtin::Number => match next() {
            Value::Number(n) => Value::Number(n),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or(Value::Null, |n| {
                    match n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                        Some(f) => Value::from(f as i64),
                        None => Value::Number(n),
                    }
                }),
            other => return fail(format!("`number` of {}", kind(&other))),
        },
        Builtin::Env => return fail("`env` is read only in executor settings"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lit(v: Value) -> Expr {
        Expr::Literal(v)
    }

    fn bin(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            int: false,
        }
    }

    /// An operation the checker typed `int`.
    fn int(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            int: true,
        }
    }

    fn neg(operand: Expr, int: bool) -> Expr {
        Expr::Neg {
            operand: Box::new(operand),
            int,
        }
    }

    fn call(function: Builtin, args: Vec<Expr>) -> Expr {
        Expr::Builtin { function, args }
    }

    fn run(expr: &Expr) -> Result<Value, EvalError> {
        let params = [json!({ "title": "Hi", "pages": ["a", "b"] }), json!(null)];
        let states = [Some(Arc::new(json!({ "verdict": "approve" }))), None];
        let scope = Scope {
            params: &params,
            states: &states,
            item: Some(&json!(7)),
            error: None,
            transformers: &NoTransformers,
        };
        eval(expr, &scope)
    }

    #[test]
    fn names_fields_and_states() {
        let field = |base, name: &str, optional| Expr::Field {
            base: Box::new(base),
            name: name.into(),
            optional,
        };
        assert_eq!(run(&field(Expr::Param(0), "title", false)), Ok(json!("Hi")));
        assert_eq!(
            run(&field(Expr::State(StateId(0)), "verdict", false)),
            Ok(json!("approve"))
        );
        // A state that has not run is null, and `?.` keeps it so.
        assert_eq!(
            run(&field(Expr::State(StateId(1)), "verdict", true)),
            Ok(json!(null))
        );
        assert!(run(&field(Expr::State(StateId(1)), "verdict", false)).is_err());
        assert_eq!(run(&Expr::Item), Ok(json!(7)));
        let index = |i| Expr::Index {
            base: Box::new(field(Expr::Param(0), "pages", false)),
            index: Box::new(lit(json!(i))),
        };
        assert_eq!(run(&index(1)), Ok(json!("b")));
        assert_eq!(run(&index(5)), Ok(json!(null)));
    }

    #[test]
    fn interpolation_inserts_strings_as_is_and_values_as_json() {
        let e = Expr::Interp(vec![
            Part::Text("t=".into()),
            Part::Value(lit(json!("x"))),
            Part::Text(" l=".into()),
            Part::Value(lit(json!([1, "a"]))),
        ]);
        assert_eq!(run(&e), Ok(json!(r#"t=x l=[1,"a"]"#)));
    }

    #[test]
    fn arithmetic_keeps_whole_numbers_whole() {
        assert_eq!(
            run(&bin(BinaryOp::Add, lit(json!(2)), lit(json!(3)))),
            Ok(json!(5))
        );
        assert_eq!(
            run(&bin(BinaryOp::Div, lit(json!(3)), lit(json!(2)))),
            Ok(json!(1.5))
        );
        assert_eq!(
            run(&bin(BinaryOp::Rem, lit(json!(7)), lit(json!(3)))),
            Ok(json!(1))
        );
        assert_eq!(
            run(&bin(BinaryOp::Add, lit(json!("a")), lit(json!("b")))),
            Ok(json!("ab"))
        );
        assert!(run(&bin(BinaryOp::Div, lit(json!(1)), lit(json!(0)))).is_err());
        // On numbers (or `json`), a whole result too large for an `int`
        // becomes a float.
        assert_eq!(
            run(&bin(BinaryOp::Add, lit(json!(i64::MAX)), lit(json!(1)))),
            Ok(json!(9.223372036854776e18))
        );
        assert_eq!(run(&neg(lit(json!(4)), false)), Ok(json!(-4)));
        assert_eq!(
            run(&neg(lit(json!(i64::MIN)), false)),
            Ok(json!(9.223372036854776e18))
        );
    }

    #[test]
    fn int_arithmetic_that_overflows_is_an_error_naming_the_operation() {
        let max = || lit(json!(i64::MAX));
        let min = || lit(json!(i64::MIN));
        let cases = [
            (
                int(BinaryOp::Add, max(), lit(json!(1))),
                "9223372036854775807 + 1",
            ),
            (
                int(BinaryOp::Sub, min(), lit(json!(1))),
                "-9223372036854775808 - 1",
            ),
            (
                int(BinaryOp::Mul, max(), lit(json!(2))),
                "9223372036854775807 * 2",
            ),
            (neg(min(), true), "-(-9223372036854775808)"),
        ];
        for (expr, operation) in cases {
            let error = run(&expr).expect_err(operation);
            assert_eq!(
                error.message,
                format!(
                    "integer overflow: {operation} does not fit in an `int` (a 64-bit whole number, at most 9223372036854775807)"
                )
            );
        }
        // In range, `int` arithmetic is exact; `i64::MIN % -1` is 0.
        assert_eq!(
            run(&int(BinaryOp::Add, max(), lit(json!(-1)))),
            Ok(json!(i64::MAX - 1))
        );
        assert_eq!(
            run(&int(BinaryOp::Rem, min(), lit(json!(-1)))),
            Ok(json!(0))
        );
        assert!(run(&int(BinaryOp::Rem, max(), lit(json!(0)))).is_err());
        // `/` is a number however its operands are typed.
        assert_eq!(
            run(&bin(BinaryOp::Div, max(), lit(json!(2)))),
            Ok(json!(4.611686018427388e18))
        );
    }

    #[test]
    fn if_evaluates_only_the_branch_taken() {
        let broken = || bin(BinaryOp::Div, lit(json!(1)), lit(json!(0)));
        let cond = |c: bool, then: Expr, otherwise: Expr| Expr::If {
            condition: Box::new(lit(json!(c))),
            then: Box::new(then),
            otherwise: Box::new(otherwise),
        };
        assert_eq!(run(&cond(true, lit(json!("a")), broken())), Ok(json!("a")));
        assert_eq!(run(&cond(false, broken(), lit(json!(2)))), Ok(json!(2)));
        assert!(run(&cond(true, broken(), lit(json!(2)))).is_err());
        let not_bool = Expr::If {
            condition: Box::new(lit(json!("yes"))),
            then: Box::new(lit(json!(1))),
            otherwise: Box::new(lit(json!(2))),
        };
        assert!(run(&not_bool).is_err());
    }

    #[test]
    fn lists_concatenate() {
        assert_eq!(
            run(&bin(BinaryOp::Add, lit(json!([1, "a"])), lit(json!([[2]])))),
            Ok(json!([1, "a", [2]]))
        );
        assert_eq!(
            run(&bin(BinaryOp::Add, lit(json!([])), lit(json!([])))),
            Ok(json!([]))
        );
        assert!(run(&bin(BinaryOp::Add, lit(json!([1])), lit(json!(1)))).is_err());
    }

    #[test]
    fn comparisons_and_logic() {
        assert_eq!(
            run(&bin(BinaryOp::Eq, lit(json!(1)), lit(json!(1.0)))),
            Ok(json!(true))
        );
        assert_eq!(
            run(&bin(BinaryOp::Lt, lit(json!("a")), lit(json!("b")))),
            Ok(json!(true))
        );
        assert_eq!(
            run(&bin(
                BinaryOp::Coalesce,
                Expr::State(StateId(1)),
                lit(json!([]))
            )),
            Ok(json!([]))
        );
        // The right side of `||` is not evaluated when the left decides.
        let broken = bin(BinaryOp::Div, lit(json!(1)), lit(json!(0)));
        assert_eq!(
            run(&bin(BinaryOp::Or, lit(json!(true)), broken.clone())),
            Ok(json!(true))
        );
        assert_eq!(
            run(&bin(BinaryOp::And, lit(json!(false)), broken)),
            Ok(json!(false))
        );
    }

    #[test]
    fn builtins() {
        let s = |v: &str| lit(json!(v));
        assert_eq!(run(&call(Builtin::Len, vec![s("héllo")])), Ok(json!(5)));
        assert_eq!(run(&call(Builtin::Upper, vec![s("ab")])), Ok(json!("AB")));
        assert_eq!(run(&call(Builtin::Trim, vec![s("  x ")])), Ok(json!("x")));
        assert_eq!(
            run(&call(
                Builtin::Contains,
                vec![lit(json!([1, 2])), lit(json!(2.0))]
            )),
            Ok(json!(true))
        );
        assert_eq!(
            run(&call(Builtin::Join, vec![lit(json!(["a", "b"])), s(", ")])),
            Ok(json!("a, b"))
        );
        assert_eq!(
            run(&call(Builtin::Split, vec![s("a,b"), s(",")])),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            run(&call(Builtin::Keys, vec![lit(json!({ "b": 1, "a": 2 }))])),
            Ok(json!(["a", "b"]))
        );
        assert_eq!(
            run(&call(Builtin::ToJson, vec![lit(json!({ "a": [1] }))])),
            Ok(json!(r#"{"a":[1]}"#))
        );
        assert_eq!(
            run(&call(Builtin::ParseJson, vec![s("[1, 2]")])),
            Ok(json!([1, 2]))
        );
        assert!(run(&call(Builtin::ParseJson, vec![s("[1,")])).is_err());
        assert_eq!(
            run(&call(Builtin::String, vec![lit(json!(null))])),
            Ok(json!("null"))
        );
        assert_eq!(run(&call(Builtin::Number, vec![s(" 42 ")])), Ok(json!(42)));
        assert_eq!(run(&call(Builtin::Number, vec![s("4.5")])), Ok(json!(4.5)));
        assert_eq!(
            run(&call(Builtin::Number, vec![s("many")])),
            Ok(json!(null))
        );
    }
}
