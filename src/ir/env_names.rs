//! The environment variables a workflow can read: the names of the
//! `env("NAME")` calls in the executor settings of the workers its states
//! call and of their hook programs, so that a run can refuse to start when
//! one is not set instead of failing after the paid-for work is done.

use super::{Builtin, Call, Executor, Expr, Part, Program, StateKind, TransformerBody, WorkerId};
use super::{TransformerId, WorkflowId};

/// A variable read with `env("NAME")`, and the first reader seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRead {
    pub name: String,
    pub reader: Reader,
}

/// What reads an environment variable in its executor settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Worker(WorkerId),
    Hook(TransformerId),
}

impl Program {
    /// The names, each once, in the order the workflow's states name them.
    /// Workers for which `skip` holds (mocked ones, which run nothing) are
    /// left out. A name in either branch of an `if` is in, since the run can
    /// take either; a name that is not a literal is left out, since it is
    /// known only when the call is made.
    pub fn env_names(&self, workflow: WorkflowId, skip: &dyn Fn(WorkerId) -> bool) -> Vec<EnvRead> {
        let mut names = Vec::new();
        let Some(wf) = self.workflows.get(workflow.0 as usize) else {
            return names;
        };
        for state in &wf.states {
            match &state.kind {
                StateKind::Step(call) | StateKind::Map { call, .. } => {
                    self.call_env(call, skip, &mut names);
                }
                StateKind::Parallel { branches, .. } => {
                    for branch in branches {
                        self.call_env(&branch.call, skip, &mut names);
                    }
                }
                StateKind::Succeed(_) | StateKind::Fail(_) => {}
            }
        }
        names
    }

    fn call_env(&self, call: &Call, skip: &dyn Fn(WorkerId) -> bool, names: &mut Vec<EnvRead>) {
        if skip(call.worker) {
            // A mocked worker's `after` hooks still run.
            self.hooks_env(&call.settings.after, names);
            return;
        }
        let Some(worker) = self.workers.get(call.worker.0 as usize) else {
            return;
        };
        let settings: Vec<&Expr> = match &worker.executor {
            Executor::Exec { command, env, cwd } => [Some(command), env.as_ref(), cwd.as_ref()]
                .into_iter()
                .flatten()
                .collect(),
            Executor::Http {
                url,
                headers,
                query,
                ..
            } => [Some(url), headers.as_ref(), query.as_ref()]
                .into_iter()
                .flatten()
                .collect(),
            Executor::Llm {
                model,
                prompt,
                system,
                base_url,
                api_key,
                temperature,
            } => [
                Some(model),
                Some(prompt),
                system.as_ref(),
                base_url.as_ref(),
                api_key.as_ref(),
                temperature.as_ref(),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Executor::Human { prompt } => vec![prompt],
            Executor::Builtin(_) => Vec::new(),
        };
        for expr in settings {
            collect(expr, Reader::Worker(call.worker), names);
        }
        self.hooks_env(&call.settings.before, names);
        self.hooks_env(&call.settings.after, names);
    }

    fn hooks_env(&self, hooks: &[TransformerId], names: &mut Vec<EnvRead>) {
        for hook in hooks {
            let Some(t) = self.transformers.get(hook.0 as usize) else {
                continue;
            };
            if let TransformerBody::External {
                command, env, cwd, ..
            } = &t.body
            {
                for expr in [Some(command), env.as_ref(), cwd.as_ref()]
                    .into_iter()
                    .flatten()
                {
                    collect(expr, Reader::Hook(*hook), names);
                }
            }
        }
    }
}

/// Adds the literal names of the `env()` calls that `expr` makes whenever
/// it is evaluated.
fn collect(expr: &Expr, reader: Reader, names: &mut Vec<EnvRead>) {
    let go = |e: &Expr, names: &mut Vec<EnvRead>| collect(e, reader, names);
    match expr {
        Expr::Builtin {
            function: Builtin::Env,
            args,
        } => match args.first() {
            Some(Expr::Literal(serde_json::Value::String(name)))
                if !names.iter().any(|n| n.name == *name) =>
            {
                names.push(EnvRead {
                    name: name.clone(),
                    reader,
                });
            }
            Some(Expr::Literal(_)) => {}
            Some(other) => go(other, names),
            None => {}
        },
        Expr::Literal(_) | Expr::Param(_) | Expr::State(_) | Expr::Item | Expr::Error => {}
        Expr::Interp(parts) => {
            for part in parts {
                if let Part::Value(e) = part {
                    go(e, names);
                }
            }
        }
        Expr::List(items) => items.iter().for_each(|e| go(e, names)),
        Expr::Record(entries) => entries.iter().for_each(|(_, e)| go(e, names)),
        Expr::Field { base, .. } => go(base, names),
        Expr::Index { base, index } => {
            go(base, names);
            go(index, names);
        }
        Expr::Builtin { args, .. } | Expr::Call { args, .. } => {
            args.iter().for_each(|e| go(e, names));
        }
        Expr::Not(e) | Expr::Neg { operand: e, .. } => go(e, names),
        Expr::Binary { lhs, rhs, .. } => {
            go(lhs, names);
            go(rhs, names);
        }
        // Either branch can be taken, so the workflow can read the names
        // of both: each must be set.
        Expr::If {
            condition,
            then,
            otherwise,
        } => {
            go(condition, names);
            go(then, names);
            go(otherwise, names);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(source: &str) -> Program {
        let parsed = crate::syntax::parse(source);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        match crate::check::check_program(&parsed.file) {
            (Some(program), _) => program,
            (None, problems) => panic!("{problems:#?}"),
        }
    }

    #[test]
    fn names_are_those_the_workflow_can_read_each_once() {
        let p = program(
            r#"
worker A(x: string) -> string {
  http {
    url: "http://h/${env("A_URL")}"
    headers: { k: env("A_KEY"), again: env("A_URL"), m: if x == "" then env("ONLY_IF") else "y" }
  }
}
worker B(x: string) -> string {
  exec { command: ["b", env(x)], env: { T: env("B_TOKEN") } }
}
workflow go(x: string) -> string {
  step a = A(x: x) { on_success -> b }
  step b = B(x: x) { on_success -> done }
  succeed done = b
}
"#,
        );
        let names = |skip: &dyn Fn(WorkerId) -> bool| -> Vec<String> {
            p.env_names(WorkflowId(0), skip)
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        // A name in either branch of an `if` counts; `env(x)` is known only
        // when the call is made.
        assert_eq!(names(&|_| false), ["A_URL", "A_KEY", "ONLY_IF", "B_TOKEN"]);
        // A mocked worker reads nothing.
        assert_eq!(names(&|w| w == WorkerId(0)), ["B_TOKEN"]);
    }
}
