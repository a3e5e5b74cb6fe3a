//! Settings to values, with the defaults filled in: a worker's call
//! settings, and a state's overrides of them.

use std::time::Duration;

use super::Missing;
use crate::check::analysis::{Res, Tables};
use crate::check::items::ItemRef;
use crate::check::settings::strip_parens;
use crate::ir::{self, CallSettings, FailureClass};
use crate::syntax::ast::{self, Expr, ExprKind};

/// The first delay of the default backoff.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// The cap of the default backoff.
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// How long an external transformer may run when it does not say.
pub(super) const TRANSFORMER_TIMEOUT: Duration = Duration::from_secs(10);
/// The most transitions a run may take when its workflow does not say.
pub(super) const MAX_STEPS: u64 = 10_000;

/// The call settings of a worker with this executor that sets nothing. A
/// service or a model that never answers would hold a run forever, so
/// `http` and `llm` calls time out by default; a program (`exec`) may
/// legitimately run for hours, and a person (`human`) takes the time they
/// take.
pub(super) fn defaults(executor: &ir::Executor) -> CallSettings {
    let timeout = match executor {
        ir::Executor::Http { .. } => Some(ir::DEFAULT_HTTP_TIMEOUT),
        ir::Executor::Llm { .. } => Some(ir::DEFAULT_LLM_TIMEOUT),
        ir::Executor::Exec { .. } | ir::Executor::Human { .. } | ir::Executor::Builtin(_) => None,
    };
    CallSettings {
        timeout,
        default_timeout: timeout.is_some(),
        retries: 0,
        backoff: ir::Backoff {
            first: BACKOFF_FIRST,
            cap: BACKOFF_CAP,
        },
        retry_on: FailureClass::RETRIED_BY_DEFAULT.to_vec(),
        before: Vec::new(),
        after: Vec::new(),
        max_output: ir::DEFAULT_MAX_OUTPUT,
    }
}

/// The value of the setting `name`, without parentheses; the first one when
/// it is repeated (as the checker reads them).
pub(super) fn find<'s>(settings: &'s [ast::Setting], name: &str) -> Option<&'s Expr> {
    settings
        .iter()
        .find(|s| s.name.as_str() == name)
        .map(|s| strip_parens(&s.value))
}

/// A whole-number setting that the checker bounded to `u32`.
pub(super) fn count(settings: &[ast::Setting], name: &str) -> Result<Option<u32>, Missing> {
    match find(settings, name).map(|e| &e.kind) {
        None => Ok(None),
        Some(ExprKind::Int(n)) => u32::try_from(*n)
            .map(Some)
            .map_err(|_| Missing::new(format!("the count of `{name}`"))),
        Some(_) => Err(Missing::new(format!("the count of `{name}`"))),
    }
}

pub(super) fn duration(settings: &[ast::Setting], name: &str) -> Result<Option<Duration>, Missing> {
    match find(settings, name).map(|e| &e.kind) {
        None => Ok(None),
        Some(ExprKind::Duration(d)) => Ok(Some(Duration::from_millis(d.millis))),
        Some(_) => Err(Missing::new(format!("the duration of `{name}`"))),
    }
}

/// Applies the call settings written at one place (a worker, or a state
/// over its worker's): each one written replaces the value so far, and
/// hooks are added around those already there (a state's `before` in
/// front of its worker's, its `after` behind).
pub(super) fn apply(
    call: &mut CallSettings,
    settings: &[ast::Setting],
    tables: &Tables,
) -> Result<(), Missing> {
    if let Some(timeout) = duration(settings, "timeout")? {
        call.timeout = Some(timeout);
        call.default_timeout = false;
    }
    if let Some(retries) = count(settings, "retries")? {
        call.retries = retries;
    }
    match find(settings, "backoff").map(|e| &e.kind) {
        None => {}
        Some(ExprKind::Duration(d)) => {
            let d = Duration::from_millis(d.millis);
            call.backoff = ir::Backoff { first: d, cap: d };
        }
        Some(ExprKind::DurationRange(from, to)) => {
            call.backoff = ir::Backoff {
                first: Duration::from_millis(from.millis),
                cap: Duration::from_millis(to.millis),
            };
        }
        Some(_) => return Err(Missing::new("the range of `backoff`".into())),
    }
    if let Some(value) = find(settings, "retry_on") {
        let ExprKind::List(classes) = &value.kind else {
            return Err(Missing::new("the list of `retry_on`".into()));
        };
        call.retry_on = classes
            .iter()
            .map(|c| match &strip_parens(c).kind {
                ExprKind::Name(name) => FailureClass::from_name(name.as_str()),
                _ => None,
            })
            .collect::<Option<_>>()
            .ok_or_else(|| Missing::new("a class of `retry_on`".into()))?;
    }
    // Hooks nest around the executor, a state's outside its worker's: a
    // state's `before` runs first and its `after` last.
    if let Some(hook) = hook(settings, "before", tables)? {
        call.before.insert(0, hook);
    }
    if let Some(hook) = hook(settings, "after", tables)? {
        call.after.push(hook);
    }
    Ok(())
}

/// The transformer a `before:` or `after:` setting names.
pub(super) fn hook(
    settings: &[ast::Setting],
    name: &str,
    tables: &Tables,
) -> Result<Option<ir::TransformerId>, Missing> {
    let Some(value) = find(settings, name) else {
        return Ok(None);
    };
    match &value.kind {
        ExprKind::Name(ident) => match tables.get(ident.span) {
            Some(Res::Item(ItemRef::Transformer(id))) => Ok(Some(ir::TransformerId(id.0))),
            _ => Err(Missing::new(format!("the transformer `{}`", ident.name))),
        },
        _ => Err(Missing::new(format!("the hook of `{name}`"))),
    }
}
