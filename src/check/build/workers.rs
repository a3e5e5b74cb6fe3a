//! Workers and transformers: their executors, with settings as expressions
//! over their parameters, and their call settings with defaults filled in.

use super::expr::Names;
use super::settings::{self, TRANSFORMER_TIMEOUT};
use super::{Builder, Missing};
use crate::check::env::Sig;
use crate::ir::{self, BuiltinWorker, HttpMethod};
use crate::syntax::ast::{self, ExprKind};

impl<'e, 'a> Builder<'_, 'e, 'a> {
    pub(super) fn worker(
        &mut self,
        worker: &ast::Worker,
        sig: &'e Sig<'a>,
    ) -> Result<ir::Worker, Missing> {
        let names = self.names();
        let executor = worker
            .executors
            .first()
            .ok_or_else(|| Missing::new(format!("the executor of `{}`", worker.name.name)))?;
        let executor = executor_of(&names, executor)?;
        let mut call = settings::defaults(&executor);
        settings::apply(&mut call, &worker.settings, &self.cx.tables)?;
        let (params, input) = self.params(sig);
        Ok(ir::Worker {
            name: worker.name.name.to_string(),
            params,
            input,
            output: self.ty(sig.output),
            executor,
            call,
            concurrency: settings::count(&worker.settings, "concurrency")?,
        })
    }

    pub(super) fn transformer(
        &mut self,
        transformer: &ast::Transformer,
        sig: &'e Sig<'a>,
    ) -> Result<ir::Transformer, Missing> {
        let names = self.names();
        let body = match &transformer.body {
            ast::TransformerBody::Pure(body) => ir::TransformerBody::Pure(names.lower(body)?),
            ast::TransformerBody::External {
                executors,
                settings: own,
            } => {
                let exec = executors.first().ok_or_else(|| {
                    Missing::new(format!("the program of `{}`", transformer.name.name))
                })?;
                let command = setting(&names, &exec.settings, "command")?
                    .ok_or_else(|| Missing::new("the `command` of a hook program".into()))?;
                ir::TransformerBody::External {
                    command,
                    env: setting(&names, &exec.settings, "env")?,
                    cwd: setting(&names, &exec.settings, "cwd")?,
                    timeout: settings::duration(own, "timeout")?.unwrap_or(TRANSFORMER_TIMEOUT),
                }
            }
        };
        let (params, _) = self.params(sig);
        Ok(ir::Transformer {
            name: transformer.name.name.to_string(),
            params,
            output: self.ty(sig.output),
            body,
        })
    }
}

/// The setting `name` of an executor, lowered.
fn setting(
    names: &Names<'_, '_>,
    settings: &[ast::Setting],
    name: &str,
) -> Result<Option<ir::Expr>, Missing> {
    settings::find(settings, name)
        .map(|e| names.lower(e))
        .transpose()
}

fn required(
    names: &Names<'_, '_>,
    executor: &ast::Executor,
    name: &str,
) -> Result<ir::Expr, Missing> {
    setting(names, &executor.settings, name)?.ok_or_else(|| {
        Missing::new(format!(
            "the `{name}` of a `{}` executor",
            executor.kind.name
        ))
    })
}

/// A plain string setting: the method of `http`, the name of `builtin`.
fn plain(executor: &ast::Executor, name: &str) -> Option<String> {
    match &settings::find(&executor.settings, name)?.kind {
        ExprKind::String(lit) => lit.as_plain(),
        _ => None,
    }
}

fn executor_of(names: &Names<'_, '_>, executor: &ast::Executor) -> Result<ir::Executor, Missing> {
    let optional = |name: &str| setting(names, &executor.settings, name);
    Ok(match executor.kind.as_str() {
        "exec" => ir::Executor::Exec {
            command: required(names, executor, "command")?,
            env: optional("env")?,
            cwd: optional("cwd")?,
        },
        "http" => ir::Executor::Http {
            url: required(names, executor, "url")?,
            method: match plain(executor, "method") {
                Some(method) => HttpMethod::from_name(&method)
                    .ok_or_else(|| Missing::new(format!("the HTTP method {method}")))?,
                None => HttpMethod::default(),
            },
            headers: optional("headers")?,
            query: optional("query")?,
            max_retry_after: match settings::find(&executor.settings, "max_retry_after")
                .map(|e| &e.kind)
            {
                Some(ExprKind::Duration(d)) => std::time::Duration::from_millis(d.millis),
                _ => ir::DEFAULT_MAX_RETRY_AFTER,
            },
        },
        "llm" => ir::Executor::Llm {
            model: required(names, executor, "model")?,
            prompt: required(names, executor, "prompt")?,
            system: optional("system")?,
            base_url: optional("base_url")?,
            api_key: optional("api_key")?,
            temperature: optional("temperature")?,
        },
        "human" => ir::Executor::Human {
            prompt: required(names, executor, "prompt")?,
        },
        "builtin" => {
            let name = plain(executor, "name").unwrap_or_default();
            ir::Executor::Builtin(
                BuiltinWorker::from_name(&name)
                    .ok_or_else(|| Missing::new(format!("the built-in worker `{name}`")))?,
            )
        }
        other => return Err(Missing::new(format!("the executor kind `{other}`"))),
    })
}
