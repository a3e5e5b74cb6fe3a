//! Executors: how a worker (or an external transformer) does its work, and
//! the settings each one takes.
//!
//! Executor settings are expressions over the owner's parameters, checked
//! with the expression checker; `env()` is allowed here and nowhere else.

use rustc_hash::FxHashMap as HashMap;

use super::env::Cx;
use super::error::CheckError;
use super::expr::{Cause, Scope, Typer};
use super::settings::strip_parens;
use super::suggest;
use super::types::{Ty, TyId};
use crate::syntax::ast::{self, ExprKind, Span};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ExecutorKind {
    Exec,
    Http,
    Llm,
    Human,
    Builtin,
}

/// What a setting of an executor accepts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Accepts {
    Text,
    /// A non-empty list of strings: a program and its arguments.
    Command,
    /// A record whose values are strings (environment variables, headers).
    TextRecord,
    Method,
    Temperature,
    BuiltinName,
    /// A duration literal (`30s`, `10m`), zero allowed.
    Duration,
}

struct Spec {
    name: &'static str,
    required: bool,
    accepts: Accepts,
    /// An example value, for the help of a missing setting.
    example: &'static str,
}

const fn spec(name: &'static str, required: bool, accepts: Accepts, example: &'static str) -> Spec {
    Spec {
        name,
        required,
        accepts,
        example,
    }
}

const EXEC: &[Spec] = &[
    spec(
        "command",
        true,
        Accepts::Command,
        "[\"python3\", \"worker.py\"]",
    ),
    spec("env", false, Accepts::TextRecord, "{ \"KEY\": \"value\" }"),
    spec("cwd", false, Accepts::Text, "\"workers\""),
];
const HTTP: &[Spec] = &[
    spec("url", true, Accepts::Text, "\"http://127.0.0.1:8080/work\""),
    spec("method", false, Accepts::Method, "\"POST\""),
    spec(
        "headers",
        false,
        Accepts::TextRecord,
        "{ \"Authorization\": \"Bearer ${env(\"TOKEN\")}\" }",
    ),
    spec(
        "query",
        false,
        Accepts::TextRecord,
        "{ \"q\": \"${topic}\" }",
    ),
    spec("max_retry_after", false, Accepts::Duration, "10m"),
];
const LLM: &[Spec] = &[
    spec("model", true, Accepts::Text, "\"gpt-4o-mini\""),
    spec("prompt", true, Accepts::Text, "\"Summarise: ${text}\""),
    spec(
        "system",
        false,
        Accepts::Text,
        "\"You are a careful editor.\"",
    ),
    spec(
        "base_url",
        false,
        Accepts::Text,
        "\"https://api.openai.com/v1\"",
    ),
    spec("api_key", false, Accepts::Text, "env(\"OPENAI_API_KEY\")"),
    spec("temperature", false, Accepts::Temperature, "0.2"),
];
const HUMAN: &[Spec] = &[spec(
    "prompt",
    true,
    Accepts::Text,
    "\"Approve the release of ${version}?\"",
)];
const BUILTIN: &[Spec] = &[spec("name", true, Accepts::BuiltinName, "\"echo\"")];

/// The highest temperature OpenAI-compatible APIs accept.
const MAX_TEMPERATURE: f64 = 2.0;

impl ExecutorKind {
    const ALL: [ExecutorKind; 5] = [
        ExecutorKind::Exec,
        ExecutorKind::Http,
        ExecutorKind::Llm,
        ExecutorKind::Human,
        ExecutorKind::Builtin,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            ExecutorKind::Exec => "exec",
            ExecutorKind::Http => "http",
            ExecutorKind::Llm => "llm",
            ExecutorKind::Human => "human",
            ExecutorKind::Builtin => "builtin",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        ExecutorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn specs(self) -> &'static [Spec] {
        match self {
            ExecutorKind::Exec => EXEC,
            ExecutorKind::Http => HTTP,
            ExecutorKind::Llm => LLM,
            ExecutorKind::Human => HUMAN,
            ExecutorKind::Builtin => BUILTIN,
        }
    }
}

pub(crate) use crate::ir::BuiltinWorker;
use crate::ir::HttpMethod;

/// Whose executors these are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Owner {
    Worker,
    /// An external transformer, which can only run a program.
    Transformer,
}

/// Checks the executor blocks of a worker or external transformer: exactly
/// one, of a known kind, with valid settings. Returns the built-in worker the
/// first executor names, if it is a `builtin` one.
pub(crate) fn check(
    cx: &mut Cx<'_, '_>,
    executors: &[ast::Executor],
    owner_name: &ast::Ident,
    owner: Owner,
    scope: &dyn Scope,
) -> Option<BuiltinWorker> {
    if executors.is_empty() {
        let (kind, help) = match owner {
            Owner::Worker => (
                "worker",
                "add one executor: `exec { command: [...] }`, `http { url: \"...\" }`, `llm { model: \"...\", prompt: \"...\" }`, `human { prompt: \"...\" }` or `builtin { name: \"echo\" }`",
            ),
            Owner::Transformer => (
                "transformer",
                "an external transformer runs a hook program: add `exec { command: [...] }`, or write `= expression` for a pure transformer",
            ),
        };
        cx.out.push(CheckError::MissingExecutor {
            name: owner_name.name.to_string(),
            kind,
            span: owner_name.span,
            help: help.to_string(),
        });
        return None;
    }
    let mut builtin = None;
    for (at, executor) in executors.iter().enumerate() {
        if at > 0 {
            cx.out.push(CheckError::MultipleExecutors {
                name: owner_name.name.to_string(),
                span: executor.kind.span,
                first: executors[0].kind.span,
            });
        }
        let Some(kind) = ExecutorKind::from_name(executor.kind.as_str()) else {
            let names = ExecutorKind::ALL.iter().map(|k| k.name());
            let suggestion = suggest::suggest(executor.kind.as_str(), executor.kind.span, names);
            let help = suggest::help(
                &suggestion,
                "the executors are `exec`, `http`, `llm`, `human` and `builtin`",
            );
            cx.out.push(CheckError::UnknownExecutor {
                kind: executor.kind.name.to_string(),
                span: executor.kind.span,
                suggestion,
                help,
            });
            continue;
        };
        if owner == Owner::Transformer && kind != ExecutorKind::Exec {
            cx.out.push(CheckError::UnsupportedExecutor {
                executor: kind.name().to_string(),
                span: executor.kind.span,
            });
            continue;
        }
        let named = settings(cx, executor, kind, scope);
        if at == 0 {
            builtin = named;
        }
    }
    builtin
}

/// Checks the settings of one executor block.
fn settings(
    cx: &mut Cx<'_, '_>,
    executor: &ast::Executor,
    kind: ExecutorKind,
    scope: &dyn Scope,
) -> Option<BuiltinWorker> {
    let place = format!("the `{}` executor", kind.name());
    let mut first: HashMap<&str, Span> = HashMap::default();
    let mut builtin = None;
    for setting in &executor.settings {
        let name = setting.name.as_str();
        let Some(spec) = kind.specs().iter().find(|s| s.name == name) else {
            let names = kind.specs().iter().map(|s| s.name);
            let suggestion = suggest::suggest(name, setting.name.span, names.clone());
            let listed: Vec<String> = names.map(|n| format!("`{n}`")).collect();
            let help = suggest::help(
                &suggestion,
                format!("the settings of {place} are {}", listed.join(", ")),
            );
            cx.out.push(CheckError::UnknownSetting {
                name: name.to_string(),
                context: place.clone(),
                span: setting.name.span,
                suggestion,
                help,
            });
            continue;
        };
        if let Some(&earlier) = first.get(name) {
            cx.out.push(CheckError::DuplicateSetting {
                name: name.to_string(),
                span: setting.name.span,
                first: earlier,
            });
            continue;
        }
        first.insert(name, setting.name.span);
        let found = value(cx, setting, spec.accepts, &place, scope);
        if found.is_some() {
            builtin = found;
        }
    }
    for spec in kind.specs().iter().filter(|s| s.required) {
        if !first.contains_key(spec.name) {
            cx.out.push(CheckError::MissingSetting {
                name: spec.name.to_string(),
                executor: kind.name().to_string(),
                span: executor.kind.span,
                help: format!(
                    "add `{}: {}` to the `{}` block",
                    spec.name,
                    spec.example,
                    kind.name()
                ),
            });
        }
    }
    builtin
}

/// Checks one setting value; returns the built-in worker a `name` setting
/// of `builtin` names.
fn value(
    cx: &mut Cx<'_, '_>,
    setting: &ast::Setting,
    accepts: Accepts,
    place: &str,
    scope: &dyn Scope,
) -> Option<BuiltinWorker> {
    let value = &setting.value;
    let cause = Cause::Setting {
        name: setting.name.as_str(),
        place,
    };
    let invalid = |expected: &str, found: String, help: String| CheckError::InvalidSetting {
        name: setting.name.name.to_string(),
        expected: expected.to_string(),
        span: value.span,
        found,
        help,
    };
    match accepts {
        Accepts::Text => {
            Typer::new(cx, scope).expect(value, TyId::STRING, &cause);
        }
        Accepts::Command => {
            if matches!(&strip_parens(value).kind, ExprKind::List(items) if items.is_empty()) {
                cx.out.push(invalid(
                    "a program and its arguments",
                    "this list is empty".to_string(),
                    "name the program first, for example `command: [\"python3\", \"worker.py\"]`"
                        .to_string(),
                ));
            } else {
                let strings = cx.types.list(TyId::STRING);
                Typer::new(cx, scope).expect(value, strings, &cause);
            }
        }
        Accepts::TextRecord => text_record(cx, value, &cause, scope),
        Accepts::Method => {
            Typer::new(cx, scope).expect(value, TyId::STRING, &cause);
            if let Some(text) = super::expr::plain_string(value) {
                if HttpMethod::from_name(&text).is_none() {
                    let upper = text.to_ascii_uppercase();
                    let help = if HttpMethod::from_name(&upper).is_some() {
                        format!("did you mean `\"{upper}\"`?")
                    } else {
                        "the methods are `\"GET\"`, `\"POST\"`, `\"PUT\"`, `\"PATCH\"` and `\"DELETE\"`".to_string()
                    };
                    cx.out.push(invalid(
                        "an HTTP method",
                        format!("`{text}` is not one"),
                        help,
                    ));
                }
            }
        }
        Accepts::Temperature => {
            Typer::new(cx, scope).expect(value, TyId::NUMBER, &cause);
            let literal = match strip_parens(value).kind {
                ExprKind::Int(n) => Some(n as f64),
                ExprKind::Number(x) => Some(x),
                _ => None,
            };
            if let Some(t) = literal {
                if !(0.0..=MAX_TEMPERATURE).contains(&t) {
                    cx.out.push(invalid(
                        "a temperature from 0 to 2",
                        "this is out of range".to_string(),
                        "lower values give more predictable replies; 0 to 1 is usual".to_string(),
                    ));
                }
            }
        }
        Accepts::Duration => {
            if !matches!(strip_parens(value).kind, ExprKind::Duration(_)) {
                Typer::new(cx, scope).expr(value);
                cx.out.push(invalid(
                    "a duration",
                    crate::check::settings::describe(value),
                    "write a duration with its unit: `30s`, `10m` or `1h`".to_string(),
                ));
            }
        }
        Accepts::BuiltinName => {
            let Some(text) = super::expr::plain_string(value) else {
                Typer::new(cx, scope).expr(value);
                cx.out.push(invalid(
                    "the name of a built-in worker in quotes",
                    crate::check::settings::describe(value),
                    "write `name: \"echo\"` or `name: \"fail\"`".to_string(),
                ));
                return None;
            };
            let found = BuiltinWorker::from_name(&text);
            if found.is_none() {
                let suggestion = suggest::suggest(
                    &text,
                    value.span,
                    BuiltinWorker::ALL.map(BuiltinWorker::name),
                )
                .map(|mut s| {
                    s.replacement = format!("\"{}\"", s.replacement);
                    s
                });
                let help = suggest::help(
                    &suggestion,
                    "the built-in workers are `\"echo\"` (returns its input) and `\"fail\"` (fails with class `worker`)",
                );
                cx.out.push(CheckError::UnknownBuiltin {
                    name: text,
                    span: value.span,
                    suggestion,
                    help,
                });
            }
            return found;
        }
    }
    None
}

/// A record whose values are strings: checked entry by entry when written
/// out, by its type otherwise.
fn text_record(cx: &mut Cx<'_, '_>, value: &ast::Expr, cause: &Cause<'_>, scope: &dyn Scope) {
    if let ExprKind::Record(entries) = &value.kind {
        let mut first: HashMap<&str, Span> = HashMap::default();
        let mut typer = Typer::new(cx, scope);
        for entry in entries {
            if let Some(&earlier) = first.get(entry.key.as_str()) {
                typer.cx.out.push(CheckError::DuplicateField {
                    name: entry.key.name.to_string(),
                    span: entry.key.span,
                    first: earlier,
                });
            } else {
                first.insert(entry.key.as_str(), entry.key.span);
            }
            let field = Cause::Field {
                name: entry.key.as_str(),
                declared: None,
                parent: cause,
            };
            typer.expect(&entry.value, TyId::STRING, &field);
        }
        return;
    }
    let ty = Typer::new(cx, scope).expr(value).ty;
    let types = &cx.types;
    let ok = match types.get(ty) {
        Ty::Error | Ty::Json => true,
        Ty::Record(record) => record
            .fields
            .iter()
            .all(|f| types.is_subtype(f.ty, TyId::STRING)),
        _ => false,
    };
    if !ok {
        cx.out.push(CheckError::TypeMismatch {
            expected: "a record of strings".to_string(),
            found: types.show(ty),
            span: value.span,
            context: cause.describe(),
            because: None,
            help: Some("write the entries out, for example `{ \"KEY\": \"value\" }`".to_string()),
        });
    }
}
