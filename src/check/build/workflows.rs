//! Workflows: their states with calls, settings and transitions, ids in
//! place of names.

use super::expr::Names;
use super::settings::{self, MAX_STEPS};
use super::{Builder, Missing};
use crate::check::analysis::Res;
use crate::check::env::Sig;
use crate::check::items::ItemRef;
use crate::check::settings::strip_parens;
use crate::ir::{self, FailureClass, StateId};
use crate::syntax::ast::{self, ExprKind, Outcome};

impl<'e, 'a> Builder<'_, 'e, 'a> {
    pub(super) fn workflow(
        &mut self,
        workflow: &'a ast::Workflow,
        sig: &'e Sig<'a>,
    ) -> Result<ir::Workflow, Missing> {
        // `error` is in scope in every expression of a workflow: the
        // failure being routed in `on_failure` conditions, the one routed
        // most recently elsewhere.
        let entry = Names {
            states: true,
            error: true,
            ..self.names()
        };
        let start = match settings::find(&workflow.settings, "start").map(|e| &e.kind) {
            Some(ExprKind::Name(name)) => self
                .state_named(name)
                .ok_or_else(|| Missing::new(format!("the start state `{}`", name.name)))?,
            Some(_) => return Err(Missing::new("the `start:` state".into())),
            None => StateId(0),
        };
        let max_steps = match settings::find(&workflow.settings, "max_steps").map(|e| &e.kind) {
            Some(ExprKind::Int(n)) => {
                u64::try_from(*n).map_err(|_| Missing::new("the count of `max_steps`".into()))?
            }
            Some(_) => return Err(Missing::new("the count of `max_steps`".into())),
            None => MAX_STEPS,
        };
        let states = workflow
            .states
            .iter()
            .map(|state| self.state(state, &entry))
            .collect::<Result<_, _>>()?;
        let (params, input) = self.params(sig);
        Ok(ir::Workflow {
            name: workflow.name.name.to_string(),
            params,
            input,
            output: self.ty(sig.output),
            start,
            max_steps,
            states,
        })
    }

    fn state(&mut self, state: &ast::State, entry: &Names<'_, 'a>) -> Result<ir::State, Missing> {
        let (kind, body) = match &state.kind {
            ast::StateKind::Step(step) => (
                ir::StateKind::Step(self.call(&step.call, &step.body.settings, entry)?),
                Some(&step.body),
            ),
            ast::StateKind::Parallel(parallel) => {
                let branches = parallel
                    .branches
                    .iter()
                    .map(|b| {
                        Ok(ir::Branch {
                            name: b.name.name.to_string(),
                            call: self.call(&b.call, &b.settings, entry)?,
                        })
                    })
                    .collect::<Result<_, Missing>>()?;
                let max_concurrency = settings::count(&parallel.body.settings, "max_concurrency")?;
                (
                    ir::StateKind::Parallel {
                        branches,
                        max_concurrency,
                    },
                    Some(&parallel.body),
                )
            }
            ast::StateKind::Map(map) => {
                let per_item = Names {
                    var: true,
                    ..*entry
                };
                let kind = ir::StateKind::Map {
                    call: self.call(&map.call, &map.body.settings, &per_item)?,
                    list: entry.lower(&map.iter)?,
                    max_concurrency: settings::count(&map.body.settings, "max_concurrency")?
                        .unwrap_or(ir::DEFAULT_MAP_CONCURRENCY),
                };
                (kind, Some(&map.body))
            }
            ast::StateKind::Succeed(value) => (ir::StateKind::Succeed(entry.lower(value)?), None),
            ast::StateKind::Fail(message) => (ir::StateKind::Fail(entry.lower(message)?), None),
        };
        let mut out = ir::State {
            name: state.name.name.to_string(),
            kind,
            max_visits: None,
            on_success: Vec::new(),
            on_failure: Vec::new(),
        };
        if let Some(body) = body {
            out.max_visits = settings::count(&body.settings, "max_visits")?;
            for transition in &body.transitions {
                let list = match transition.outcome {
                    Outcome::Success => &mut out.on_success,
                    Outcome::Failure => &mut out.on_failure,
                };
                list.push(ir::Transition {
                    classes: transition
                        .classes
                        .iter()
                        .map(|c| FailureClass::from_name(c.as_str()))
                        .collect::<Option<_>>()
                        .ok_or_else(|| Missing::new("a failure class".into()))?,
                    condition: transition
                        .condition
                        .as_ref()
                        .map(|c| entry.lower(c))
                        .transpose()?,
                    target: self.state_named(&transition.target).ok_or_else(|| {
                        Missing::new(format!("the state `{}`", transition.target.name))
                    })?,
                });
            }
        }
        Ok(out)
    }

    /// The state a name in a transition or `start:` resolved to.
    fn state_named(&self, name: &ast::Ident) -> Option<StateId> {
        match self.cx.tables.get(name.span) {
            Some(Res::State(id)) => Some(StateId(id.0)),
            _ => None,
        }
    }

    /// A worker call from a state: arguments in parameter order, the
    /// worker's call settings with the state's over them, and the type of
    /// the value after the hooks.
    fn call(
        &mut self,
        call: &ast::Call,
        own: &[ast::Setting],
        names: &Names<'_, 'a>,
    ) -> Result<ir::Call, Missing> {
        let env = self.cx.env;
        let tables = &self.cx.tables;
        let Some(Res::Item(ItemRef::Worker(id))) = tables.get(call.worker.span) else {
            return Err(Missing::new(format!("the worker `{}`", call.worker.name)));
        };
        let sig = &env.workers[id.0 as usize];
        let args = names.ordered_args(sig, &call.args)?;
        let mut settings = self
            .workers
            .get(id.0 as usize)
            .map(|w| w.call.clone())
            .ok_or_else(|| Missing::new(format!("the worker `{}`", call.worker.name)))?;
        settings::apply(&mut settings, own, tables)?;
        // The value after the state's `after` hook, else the worker's value
        // (its output after its own hook), as the checker typed it.
        let value = match settings::find(own, "after").map(|e| &strip_parens(e).kind) {
            Some(ExprKind::Name(hook)) => match tables.get(hook.span) {
                Some(Res::Item(ItemRef::Transformer(t))) => env.transformers[t.0 as usize].output,
                _ => return Err(Missing::new(format!("the transformer `{}`", hook.name))),
            },
            _ => self.cx.worker_values[id.0 as usize],
        };
        Ok(ir::Call {
            worker: ir::WorkerId(id.0),
            args,
            settings,
            value: self.ty(value),
        })
    }
}
