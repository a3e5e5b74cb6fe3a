//! Secrets: every value read with `env()` is remembered, and replaced by
//! `***` in the text that leaves the run for people and logs (messages,
//! error texts, what a program wrote to stderr), never in its data: the
//! values passed between steps and the run's output are what the workers
//! made, and masking a short secret inside them (`ENVIRONMENT=prod` in
//! `"deployed to production"`) would change the result of the run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::ir::{Builtin, Expr, Part};
use crate::runtime::eval::{self, Scope};
use crate::runtime::executor::llm::Environment;

/// What a secret is shown as.
pub const MASK: &str = "***";

#[derive(Debug, Default)]
pub struct Secrets {
    values: Mutex<Vec<String>>,
    /// Whether `values` has any: most runs read no secret, and every event
    /// is masked, so the common case skips the lock.
    any: AtomicBool,
}

impl Secrets {
    /// Remembers a value read from the environment, and the form it takes
    /// when interpolated into an `http` address (percent-encoded), where
    /// messages show it. An empty value hides nothing and is not kept.
    pub fn add(&self, value: &str) {
        let encoded = crate::runtime::executor::http::encoded(value);
        if encoded != value {
            self.add_one(&encoded);
        }
        self.add_one(value);
    }

    fn add_one(&self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut values = self.lock();
        if !values.iter().any(|v| v == value) {
            values.push(value.to_owned());
            // Longer first, so that a secret containing another is hidden
            // whole.
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
            self.any.store(true, Ordering::Release);
        }
    }

    pub(crate) fn none(&self) -> bool {
        !self.any.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.values
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `text` with every secret replaced by `***`.
    pub fn mask(&self, text: &str) -> String {
        if self.none() {
            return text.to_owned();
        }
        let values = self.lock();
        let mut out = text.to_owned();
        for secret in values.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// `text` with every secret replaced, reusing it when it holds none.
    pub fn mask_owned(&self, text: String) -> String {
        if self.none()
            || !self
                .lock()
                .iter()
                .any(|secret| text.contains(secret.as_str()))
        {
            return text;
        }
        self.mask(&text)
    }
}

/// Whether an expression reads `env()` anywhere.
fn reads_env(expr: &Expr) -> bool {
    match expr {
        Expr::Builtin {
            function: Builtin::Env,
            ..
        } => true,
        Expr::Literal(_) | Expr::Param(_) | Expr::State(_) | Expr::Item | Expr::Error => false,
        Expr::Interp(parts) => parts.iter().any(|p| match p {
            Part::Text(_) => false,
            Part::Value(e) => reads_env(e),
        }),
        Expr::List(items) => items.iter().any(reads_env),
        Expr::Record(entries) => entries.iter().any(|(_, e)| reads_env(e)),
        Expr::Field { base, .. } => reads_env(base),
        Expr::Index { base, index } => reads_env(base) || reads_env(index),
        Expr::Builtin { args, .. } | Expr::Call { args, .. } => args.iter().any(reads_env),
        Expr::Not(e) | Expr::Neg { operand: e, .. } => reads_env(e),
        Expr::Binary { lhs, rhs, .. } => reads_env(lhs) || reads_env(rhs),
        Expr::If {
            condition,
            then,
            otherwise,
        } => reads_env(condition) || reads_env(then) || reads_env(otherwise),
    }
}

/// Evaluates an executor setting, where `env("NAME")` reads the environment
/// and its value becomes a secret. The error is a sentence.
pub fn eval_setting(
    expr: &Expr,
    scope: &Scope<'_>,
    env: &dyn Environment,
    secrets: &Secrets,
) -> Result<Value, String> {
    if !reads_env(expr) {
        return eval::eval(expr, scope).map_err(|e| e.message);
    }
    let resolved = resolve(expr, scope, env, secrets)?;
    eval::eval(&resolved, scope).map_err(|e| e.message)
}

/// `expr` with every `env(...)` call replaced by the variable's value.
fn resolve(
    expr: &Expr,
    scope: &Scope<'_>,
    env: &dyn Environment,
    secrets: &Secrets,
) -> Result<Expr, String> {
    let go = |e: &Expr| resolve(e, scope, env, secrets);
    let boxed = |e: &Expr| go(e).map(Box::new);
    Ok(match expr {
        Expr::Builtin {
            function: Builtin::Env,
            args,
        } => {
            let name = match args.first().map(|a| eval_setting(a, scope, env, secrets)) {
                Some(Ok(Value::String(name))) => name,
                Some(Ok(other)) => {
                    return Err(format!("`env` needs a variable name, found {other}"));
                }
                Some(Err(e)) => return Err(e),
                None => return Err("`env` needs a variable name".to_owned()),
            };
            let Some(value) = env.var(&name) else {
                return Err(format!(
                    "the environment variable `{name}` is not set (or not Unicode); \
                     set it before running the workflow"
                ));
            };
            secrets.add(&value);
            Expr::Literal(Value::String(value))
        }
        Expr::Literal(_) | Expr::Param(_) | Expr::State(_) | Expr::Item | Expr::Error => {
            expr.clone()
        }
        Expr::Interp(parts) => Expr::Interp(
            parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => Ok(Part::Text(t.clone())),
                    Part::Value(e) => go(e).map(Part::Value),
                })
                .collect::<Result<_, _>>()?,
        ),
        Expr::List(items) => Expr::List(items.iter().map(go).collect::<Result<_, _>>()?),
        Expr::Record(entries) => Expr::Record(
            entries
                .iter()
                .map(|(k, e)| go(e).map(|e| (k.clone(), e)))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Field {
            base,
            name,
            optional,
        } => Expr::Field {
            base: boxed(base)?,
            name: name.clone(),
            optional: *optional,
        },
        Expr::Index { base, index } => Expr::Index {
            base: boxed(base)?,
            index: boxed(index)?,
        },
        Expr::Builtin { function, args } => Expr::Builtin {
            function: *function,
            args: args.iter().map(go).collect::<Result<_, _>>()?,
        },
        Expr::Call { transformer, args } => Expr::Call {
            transformer: *transformer,
            args: args.iter().map(go).collect::<Result<_, _>>()?,
        },
        Expr::Not(e) => Expr::Not(boxed(e)?),
        Expr::Neg { operand, int } => Expr::Neg {
            operand: boxed(operand)?,
            int: *int,
        },
        Expr::Binary { op, lhs, rhs, int } => Expr::Binary {
            op: *op,
            lhs: boxed(lhs)?,
            rhs: boxed(rhs)?,
            int: *int,
        },
        // Only the branch taken reads the environment: a variable named in
        // the other one need not be set.
        Expr::If {
            condition,
            then,
            otherwise,
        } => match eval_setting(condition, scope, env, secrets)? {
            Value::Bool(true) => go(then)?,
            Value::Bool(false) => go(otherwise)?,
            other => {
                return Err(format!(
                    "the condition of an `if` gave {other}, not true or false"
                ));
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::eval::NoTransformers;
    use serde_json::json;
    use std::collections::HashMap;

    #[test]
    fn env_values_are_read_remembered_and_masked() {
        let env: HashMap<String, String> = [("TOKEN".to_owned(), "s3cret".to_owned())]
            .into_iter()
            .collect();
        let secrets = Secrets::default();
        let expr = Expr::Interp(vec![
            Part::Text("Bearer ".into()),
            Part::Value(Expr::Builtin {
                function: Builtin::Env,
                args: vec![Expr::Literal(json!("TOKEN"))],
            }),
        ]);
        let scope = Scope {
            params: &[],
            states: &[],
            item: None,
            error: None,
            transformers: &NoTransformers,
        };
        assert_eq!(
            eval_setting(&expr, &scope, &env, &secrets),
            Ok(json!("Bearer s3cret"))
        );
        assert_eq!(secrets.mask("got Bearer s3cret!"), "got Bearer ***!");
        // As an interpolation of an `http` address writes it, too.
        secrets.add("a/b c");
        assert_eq!(
            secrets.mask("GET http://h/x?k=a%2Fb%20c: 500"),
            "GET http://h/x?k=***: 500"
        );
        let missing = Expr::Builtin {
            function: Builtin::Env,
            args: vec![Expr::Literal(json!("NOPE"))],
        };
        let err = eval_setting(&missing, &scope, &env, &secrets)
            .err()
            .unwrap_or_default();
        assert!(err.contains("`NOPE` is not set"), "{err}");
    }
}
