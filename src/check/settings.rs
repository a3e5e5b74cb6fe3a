//! The settings of workers, states, branches and external transformers:
//! which are allowed where, and what values they take.
//!
//! Every setting value is an expression in the syntax tree; this module
//! decides which expressions each setting accepts (a duration, a count, a
//! list of failure classes, the name of a transformer). Executor settings
//! are checked in `executors`.

use rustc_hash::FxHashMap as HashMap;

use super::error::CheckError;
use super::failure::{FailureClass, Resolve};
use super::suggest;
use crate::syntax::ast::{self, Expr, ExprKind, Span};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SettingKey {
    Timeout,
    Retries,
    Backoff,
    RetryOn,
    Concurrency,
    Before,
    After,
    MaxVisits,
    MaxConcurrency,
}

impl SettingKey {
    const ALL: [SettingKey; 9] = [
        SettingKey::Timeout,
        SettingKey::Retries,
        SettingKey::Backoff,
        SettingKey::RetryOn,
        SettingKey::Concurrency,
        SettingKey::Before,
        SettingKey::After,
        SettingKey::MaxVisits,
        SettingKey::MaxConcurrency,
    ];

    fn name(self) -> &'static str {
        match self {
            SettingKey::Timeout => "timeout",
            SettingKey::Retries => "retries",
            SettingKey::Backoff => "backoff",
            SettingKey::RetryOn => "retry_on",
            SettingKey::Concurrency => "concurrency",
            SettingKey::Before => "before",
            SettingKey::After => "after",
            SettingKey::MaxVisits => "max_visits",
            SettingKey::MaxConcurrency => "max_concurrency",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        SettingKey::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Where settings stand.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Place {
    Worker,
    Step,
    Branch,
    Map,
    Parallel,
    /// An external transformer (a hook program).
    Transformer,
}

impl Place {
    const ALL: [Place; 6] = [
        Place::Worker,
        Place::Step,
        Place::Branch,
        Place::Map,
        Place::Parallel,
        Place::Transformer,
    ];

    fn allowed(self) -> &'static [SettingKey] {
        use SettingKey::*;
        match self {
            Place::Worker => &[
                Timeout,
                Retries,
                Backoff,
                RetryOn,
                Concurrency,
                Before,
                After,
            ],
            Place::Step => &[Timeout, Retries, Backoff, RetryOn, Before, After, MaxVisits],
            Place::Branch => &[Timeout, Retries, Backoff, RetryOn, Before, After],
            Place::Map => &[
                Timeout,
                Retries,
                Backoff,
                RetryOn,
                Before,
                After,
                MaxVisits,
                MaxConcurrency,
            ],
            Place::Parallel => &[MaxVisits, MaxConcurrency],
            Place::Transformer => &[Timeout],
        }
    }

    /// "a worker", "a step", ..., for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Place::Worker => "a worker",
            Place::Step => "a step",
            Place::Branch => "a branch",
            Place::Map => "a map state",
            Place::Parallel => "a parallel state",
            Place::Transformer => "an external transformer",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Place::Worker => "workers",
            Place::Step => "steps",
            Place::Branch => "branches",
            Place::Map => "map states",
            Place::Parallel => "parallel states",
            Place::Transformer => "external transformers",
        }
    }
}

/// The hook settings found, for the hook checks.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Hooks<'a> {
    pub(crate) before: Option<&'a ast::Setting>,
    pub(crate) after: Option<&'a ast::Setting>,
}

/// Checks the settings of one place, reporting unknown, repeated and
/// invalid ones, and returns its hooks.
pub(crate) fn check<'a>(
    settings: &'a [ast::Setting],
    place: Place,
    out: &mut Vec<CheckError>,
) -> Hooks<'a> {
    let mut hooks = Hooks::default();
    let mut first: HashMap<&str, Span> = HashMap::default();
    for setting in settings {
        let name = setting.name.as_str();
        let key = SettingKey::from_name(name).filter(|k| place.allowed().contains(k));
        let Some(key) = key else {
            out.push(unknown(setting, place));
            continue;
        };
        if let Some(&earlier) = first.get(name) {
            out.push(CheckError::DuplicateSetting {
                name: name.to_string(),
                span: setting.name.span,
                first: earlier,
            });
            continue;
        }
        first.insert(name, setting.name.span);
        if check_value(key, setting, out) {
            match key {
                SettingKey::Before => hooks.before = Some(setting),
                SettingKey::After => hooks.after = Some(setting),
                _ => {}
            }
        }
    }
    hooks
}

fn unknown(setting: &ast::Setting, place: Place) -> CheckError {
    let name = setting.name.as_str();
    let allowed = place.allowed().iter().map(|k| k.name());
    let suggestion = suggest::suggest(name, setting.name.span, allowed.clone());
    let elsewhere: Vec<&str> = match SettingKey::from_name(name) {
        Some(key) => Place::ALL
            .iter()
            .filter(|p| p.allowed().contains(&key))
            .map(|p| p.plural())
            .collect(),
        None => Vec::new(),
    };
    let otherwise = if !elsewhere.is_empty() {
        format!("`{name}` is a setting of {} only", elsewhere.join(", "))
    } else {
        let names: Vec<String> = allowed.map(|n| format!("`{n}`")).collect();
        format!(
            "the settings of {} are {}",
            place.describe(),
            names.join(", ")
        )
    };
    CheckError::UnknownSetting {
        name: name.to_string(),
        context: place.describe().to_string(),
        span: setting.name.span,
        help: suggest::help(&suggestion, otherwise),
        suggestion,
    }
}

/// Checks the value of a known setting; false when it is invalid.
fn check_value(key: SettingKey, setting: &ast::Setting, out: &mut Vec<CheckError>) -> bool {
    let value = strip_parens(&setting.value);
    let invalid = |expected: &str, found: String, help: &str| CheckError::InvalidSetting {
        name: setting.name.name.to_string(),
        expected: expected.to_string(),
        span: value.span,
        found,
        help: help.to_string(),
    };
    let problem = match key {
        SettingKey::Timeout => match &value.kind {
            ExprKind::Duration(d) if d.millis > 0 => None,
            ExprKind::Duration(_) => Some(invalid(
                "a positive duration",
                "a zero timeout would fail every call".to_string(),
                "write how long a call may take, for example `30s`",
            )),
            _ => Some(invalid(
                "a duration",
                describe(value),
                "write a duration with its unit: `250ms`, `30s`, `5m` or `2h`",
            )),
        },
        SettingKey::Backoff => match &value.kind {
            ExprKind::Duration(_) => None,
            ExprKind::DurationRange(from, _) if from.millis == 0 => Some(invalid(
                "a range that starts above zero",
                "an exponential backoff from zero never grows".to_string(),
                "start the range at the first delay, for example `500ms..30s`",
            )),
            ExprKind::DurationRange(from, to) if from.millis > to.millis => Some(invalid(
                "a range from the first delay to the cap",
                "this range starts above its cap".to_string(),
                "write the smaller duration first, for example `1s..30s`",
            )),
            ExprKind::DurationRange(..) => None,
            _ => Some(invalid(
                "a duration or a range of durations",
                describe(value),
                "write `1s..30s` for an exponential backoff from 1s up to 30s, or `5s` for a constant one",
            )),
        },
        SettingKey::Retries => count(
            value,
            0,
            &invalid,
            "retries",
            "write how many times a failed call is tried again, for example `retries: 2`",
        ),
        SettingKey::Concurrency => count(
            value,
            1,
            &invalid,
            "calls",
            "write how many calls of this worker may run at once, for example `concurrency: 4`",
        ),
        SettingKey::MaxVisits => count(
            value,
            1,
            &invalid,
            "visits",
            "write how many times the state may be entered, for example `max_visits: 3`",
        ),
        SettingKey::MaxConcurrency => count(
            value,
            1,
            &invalid,
            "calls",
            "write how many calls may run at once, for example `max_concurrency: 4`",
        ),
        SettingKey::Before | SettingKey::After => match &value.kind {
            ExprKind::Name(_) => None,
            _ => Some(invalid(
                "the name of a transformer",
                describe(value),
                "write the name of a transformer declared in this file, for example `after: tidy_review`",
            )),
        },
        SettingKey::RetryOn => return retry_on(setting, out),
    };
    match problem {
        Some(error) => {
            out.push(error);
            false
        }
        None => true,
    }
}

/// A whole number of at least `min`.
fn count(
    value: &Expr,
    min: i64,
    invalid: &dyn Fn(&str, String, &str) -> CheckError,
    unit: &str,
    help: &str,
) -> Option<CheckError> {
    let expected = if min == 0 {
        "a whole number, 0 or more".to_string()
    } else {
        format!("a whole number, {min} or more")
    };
    match &value.kind {
        ExprKind::Int(n) if *n >= min && *n <= i64::from(u32::MAX) => None,
        ExprKind::Int(n) if *n < min => {
            Some(invalid(&expected, format!("{n} {unit} is too few"), help))
        }
        ExprKind::Int(_) => Some(invalid(&expected, "this is too large".to_string(), help)),
        _ => Some(invalid(&expected, describe(value), help)),
    }
}

/// `retry_on: [timeout, transient]`: known classes, each once; `limit` is
/// not retryable.
fn retry_on(setting: &ast::Setting, out: &mut Vec<CheckError>) -> bool {
    let invalid =
        |expected: &str, found: String, span: Span, help: &str| CheckError::InvalidSetting {
            name: setting.name.name.to_string(),
            expected: expected.to_string(),
            span,
            found,
            help: help.to_string(),
        };
    let value = strip_parens(&setting.value);
    let ExprKind::List(items) = &value.kind else {
        out.push(invalid(
            "a list of failure classes",
            describe(value),
            value.span,
            "write the classes to retry in brackets, for example `retry_on: [timeout, transient]`",
        ));
        return false;
    };
    let mut ok = true;
    let mut seen: Vec<(FailureClass, Span)> = Vec::with_capacity(items.len());
    for item in items {
        let item = strip_parens(item);
        let ExprKind::Name(ident) = &item.kind else {
            out.push(invalid(
                "a list of failure classes",
                describe(item),
                item.span,
                "write the class names bare: `timeout`, `transient`, `worker` or `output`",
            ));
            ok = false;
            continue;
        };
        let Some(class) = FailureClass::resolve(ident, out) else {
            ok = false;
            continue;
        };
        if class == FailureClass::Limit {
            out.push(invalid(
                "failure classes that a retry can cure",
                "a visit limit is reached again on every retry".to_string(),
                item.span,
                "remove `limit` here and route it with `on_failure limit -> ...` instead",
            ));
            ok = false;
        } else if seen.iter().any(|(c, _)| *c == class) {
            out.push(invalid(
                "each failure class once",
                format!("`{}` is listed again here", class.name()),
                item.span,
                "remove the repeat",
            ));
            ok = false;
        }
        seen.push((class, item.span));
    }
    ok
}

/// The expression inside any parentheses: they only group, so
/// `retries: (2)` means `retries: 2` wherever a setting takes a literal or a
/// name.
pub(crate) fn strip_parens(mut expr: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &expr.kind {
        expr = inner;
    }
    expr
}

/// What an expression is, for "found" labels: "this is a number".
pub(crate) fn describe(value: &Expr) -> String {
    let what = match &value.kind {
        ExprKind::Null => "`null`",
        ExprKind::Bool(_) => "a `bool`",
        ExprKind::Int(_) | ExprKind::Number(_) => "a number",
        ExprKind::String(_) => "a string",
        ExprKind::Duration(_) => "a duration",
        ExprKind::DurationRange(..) => "a range of durations",
        ExprKind::List(_) => "a list",
        ExprKind::Record(_) => "a record",
        ExprKind::Name(_) => "a name",
        ExprKind::Paren(inner) => return describe(inner),
        _ => "an expression",
    };
    format!("this is {what}")
}
