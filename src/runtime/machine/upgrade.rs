//! Moving a run to another program (`flow resume --upgrade`): allowed only
//! when it is proven safe, and then the run's state rewritten for the new
//! program's ids.
//!
//! Safe means: the workflow is still there; every parameter of it has a
//! value that fits its type; the state the run is in and every state that
//! holds a value still exist, and each value fits its state's new type; the
//! state the run is in calls the same workers with the same hooks (its
//! calls under way go on, so they must mean the same). What the run has not
//! reached may change freely. Every reason against is reported, not only
//! the first.

use std::sync::Arc;

use serde_json::Value;

use super::protocol::{Attempt, CallSite, HookRun, Question};
use super::{MachineState, states::Visit};
use crate::ir::{Call, Program, StateId, StateKind, TransformerId, WorkerId, Workflow, WorkflowId};
use crate::runtime::validate::validate;

/// The ids of one program in another, by name.
pub struct IdMap<'a> {
    old: &'a Program,
    new: &'a Program,
    old_wf: &'a Workflow,
    new_wf: &'a Workflow,
}

impl IdMap<'_> {
    pub fn state(&self, id: StateId) -> Option<StateId> {
        let name = &self.old_wf.states.get(id.0 as usize)?.name;
        self.new_wf
            .states
            .iter()
            .position(|s| &s.name == name)
            .map(|i| StateId(i as u32))
    }

    pub fn worker(&self, id: WorkerId) -> Option<WorkerId> {
        let name = &self.old.workers.get(id.0 as usize)?.name;
        self.new
            .workers
            .iter()
            .position(|w| &w.name == name)
            .map(|i| WorkerId(i as u32))
    }

    pub fn transformer(&self, id: TransformerId) -> Option<TransformerId> {
        let name = &self.old.transformers.get(id.0 as usize)?.name;
        self.new
            .transformers
            .iter()
            .position(|t| &t.name == name)
            .map(|i| TransformerId(i as u32))
    }

    fn site(&self, site: CallSite) -> Option<CallSite> {
        Some(CallSite {
            state: self.state(site.state)?,
            branch: site.branch,
        })
    }

    pub fn attempt(&self, mut a: Attempt) -> Option<Attempt> {
        a.site = self.site(a.site)?;
        a.worker = self.worker(a.worker)?;
        Some(a)
    }

    pub fn hook(&self, mut h: HookRun) -> Option<HookRun> {
        h.hook = self.transformer(h.hook)?;
        Some(h)
    }

    pub fn question(&self, mut q: Question) -> Option<Question> {
        q.site = self.site(q.site)?;
        q.worker = self.worker(q.worker)?;
        Some(q)
    }
}

/// What an upgrade leads to: the run's state on the new program, and the
/// map that rewrites what is under way.
pub struct Upgraded<'a> {
    pub state: MachineState,
    pub ids: IdMap<'a>,
}

/// Moves `state`, a run of workflow `old_wf` of `old`, to the workflow of
/// the same name in `new`, or says every reason it would not be safe.
pub fn upgrade<'a>(
    old: &'a Program,
    old_wf: &'a Workflow,
    new: &'a Program,
    mut state: MachineState,
) -> Result<(WorkflowId, Upgraded<'a>), Vec<String>> {
    let Some(wf_index) = new.workflows.iter().position(|w| w.name == old_wf.name) else {
        return Err(vec![format!(
            "the file has no workflow `{}` any more",
            old_wf.name
        )]);
    };
    let new_wf = &new.workflows[wf_index];
    let ids = IdMap {
        old,
        new,
        old_wf,
        new_wf,
    };
    let mut reasons = Vec::new();
    let run = &mut state.run;

    // The parameters, by name.
    let mut params = Vec::with_capacity(new_wf.params.len());
    for p in &new_wf.params {
        let old_value = old_wf
            .params
            .iter()
            .position(|o| o.name == p.name)
            .and_then(|i| run.params.get(i))
            .cloned()
            .unwrap_or(Value::Null);
        match validate(old_value, p.ty, &new.types) {
            Ok(v) => params.push(v),
            Err(m) => reasons.push(format!(
                "parameter `{}` is now of type `{}`, which the run's input does not fit: {m}",
                p.name,
                new.types.show(p.ty)
            )),
        }
    }

    // The state the run is in.
    let old_current = StateId(run.current);
    let current = ids.state(old_current);
    let current_name = old_wf
        .states
        .get(run.current as usize)
        .map_or("?", |s| s.name.as_str());
    if current.is_none() {
        reasons.push(format!(
            "the run is in state `{current_name}`, which the file no longer has"
        ));
    }

    // Every value, against its state's new type.
    let mut values = vec![None; new_wf.states.len()];
    let mut visits = vec![0; new_wf.states.len()];
    for (i, old_state) in old_wf.states.iter().enumerate() {
        let new_id = ids.state(StateId(i as u32));
        if let Some(n) = new_id {
            visits[n.0 as usize] = run.visits.get(i).copied().unwrap_or(0);
        }
        let Some(Some(value)) = run.values.get(i) else {
            continue;
        };
        let Some(n) = new_id else {
            reasons.push(format!(
                "state `{}` holds a value of type `{}`, and the file no longer has it",
                old_state.name,
                value_type(old, old_state)
            ));
            continue;
        };
        let new_state = &new_wf.states[n.0 as usize];
        match fits(new, new_state, value) {
            Ok(v) => values[n.0 as usize] = Some(Arc::new(v)),
            Err(why) => reasons.push(format!(
                "state `{}` holds a value of type `{}`, which does not fit its new type `{}`: {why}",
                old_state.name,
                value_type(old, old_state),
                value_type(new, new_state)
            )),
        }
    }

    // What is under way must mean the same on the new program.
    if let (true, Some(new_id)) = (state.visit.is_some(), current) {
        let old_state = &old_wf.states[old_current.0 as usize];
        let new_state = &new_wf.states[new_id.0 as usize];
        if let Some(why) = same_calls(old, old_state, new, new_state) {
            reasons.push(format!(
                "the run is in state `{}`, whose calls are under way, and {why}",
                old_state.name
            ));
        }
    }

    // Mocked workers' counts, by name.
    if !state.mock_calls.is_empty() {
        let mut counts = vec![0; new.workers.len()];
        for (i, n) in state.mock_calls.iter().enumerate() {
            if let Some(w) = ids.worker(WorkerId(i as u32)) {
                counts[w.0 as usize] = *n;
            }
        }
        state.mock_calls = counts;
    }

    if !reasons.is_empty() {
        return Err(reasons);
    }
    let run = &mut state.run;
    run.params = params;
    run.values = values;
    run.visits = visits;
    if let Some(c) = current {
        run.current = c.0;
    }
    if let Some(visit) = &mut state.visit {
        let mut broken = false;
        visit.remap(
            &mut |site, worker| match (ids.site(*site), ids.worker(*worker)) {
                (Some(s), Some(w)) => {
                    *site = s;
                    *worker = w;
                }
                _ => broken = true,
            },
        );
        if broken {
            return Err(vec![format!(
                "the calls under way in state `{current_name}` could not be moved"
            )]);
        }
        if let (Visit::Fanout(fan), Some(c)) = (visit, current) {
            fan.set_state(c);
        }
    }
    Ok((WorkflowId(wf_index as u32), Upgraded { state, ids }))
}

/// The type of a state's value, as a person reads it.
fn value_type(program: &Program, state: &crate::ir::State) -> String {
    let show = |call: &Call| program.types.show(call.value).to_string();
    match &state.kind {
        StateKind::Step(call) => show(call),
        StateKind::Map { call, .. } => format!("[{}]", show(call)),
        StateKind::Parallel { branches, .. } => format!(
            "{{ {} }}",
            branches
                .iter()
                .map(|b| format!("{}: {}", b.name, show(&b.call)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StateKind::Succeed(_) | StateKind::Fail(_) => "nothing".to_owned(),
    }
}

/// The value checked against the state's type: a step's call's value, a
/// list of a `map`'s, a record of a `parallel`'s branches.
fn fits(program: &Program, state: &crate::ir::State, value: &Value) -> Result<Value, String> {
    let types = &program.types;
    match &state.kind {
        StateKind::Step(call) => {
            validate(value.clone(), call.value, types).map_err(|m| m.to_string())
        }
        StateKind::Map { call, .. } => {
            let Value::Array(items) = value else {
                return Err("$: expected a list".to_owned());
            };
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    validate(v.clone(), call.value, types)
                        .map_err(|m| format!("[{i}]{}", m.to_string().trim_start_matches('$')))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        StateKind::Parallel { branches, .. } => {
            let Value::Object(fields) = value else {
                return Err("$: expected a record of the branches".to_owned());
            };
            let mut out = serde_json::Map::new();
            for b in branches {
                let v = fields.get(&b.name).cloned().unwrap_or(Value::Null);
                let v = validate(v, b.call.value, types)
                    .map_err(|m| format!(".{}{}", b.name, m.to_string().trim_start_matches('$')))?;
                out.insert(b.name.clone(), v);
            }
            Ok(Value::Object(out))
        }
        StateKind::Succeed(_) | StateKind::Fail(_) => Err("a final state has no value".to_owned()),
    }
}

/// Why the calls of a state differ between the programs, if they do: its
/// kind, its branches, its workers or their hooks.
fn same_calls(
    old: &Program,
    old_state: &crate::ir::State,
    new: &Program,
    new_state: &crate::ir::State,
) -> Option<String> {
    let calls = |state: &crate::ir::State| -> Vec<(String, Call)> {
        match &state.kind {
            StateKind::Step(call) | StateKind::Map { call, .. } => {
                vec![(String::new(), call.clone())]
            }
            StateKind::Parallel { branches, .. } => branches
                .iter()
                .map(|b| (b.name.clone(), b.call.clone()))
                .collect(),
            StateKind::Succeed(_) | StateKind::Fail(_) => Vec::new(),
        }
    };
    let kind = |state: &crate::ir::State| match &state.kind {
        StateKind::Step(_) => "a step",
        StateKind::Map { .. } => "a `map`",
        StateKind::Parallel { .. } => "a `parallel` state",
        StateKind::Succeed(_) => "a `succeed` state",
        StateKind::Fail(_) => "a `fail` state",
    };
    if kind(old_state) != kind(new_state) {
        return Some(format!(
            "it is now {} rather than {}",
            kind(new_state),
            kind(old_state)
        ));
    }
    let (a, b) = (calls(old_state), calls(new_state));
    let names = |c: &[(String, Call)]| c.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    if names(&a) != names(&b) {
        return Some(format!(
            "its branches are now {} rather than {}",
            names(&b).join(", "),
            names(&a).join(", ")
        ));
    }
    for ((branch, x), (_, y)) in a.iter().zip(&b) {
        let at = if branch.is_empty() {
            String::new()
        } else {
            format!(" in branch `{branch}`")
        };
        let worker = |p: &Program, c: &Call| {
            p.workers
                .get(c.worker.0 as usize)
                .map_or_else(String::new, |w| w.name.clone())
        };
        if worker(old, x) != worker(new, y) {
            return Some(format!(
                "it now calls `{}` rather than `{}`{at}",
                worker(new, y),
                worker(old, x)
            ));
        }
        let hooks = |p: &Program, ids: &[TransformerId]| {
            ids.iter()
                .map(|t| {
                    p.transformers
                        .get(t.0 as usize)
                        .map_or_else(String::new, |t| t.name.clone())
                })
                .collect::<Vec<_>>()
        };
        if hooks(old, &x.settings.before) != hooks(new, &y.settings.before)
            || hooks(old, &x.settings.after) != hooks(new, &y.settings.after)
        {
            return Some(format!("its `before` or `after` hooks changed{at}"));
        }
    }
    None
}
