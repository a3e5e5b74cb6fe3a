//! The value of each state, with the settings and hooks that shape it.
//!
//! A step's value is its worker's output after the worker's `after` hook and
//! then the step's; a map's is the list of its per-item values; a parallel
//! state's is the record of its branches' values. `succeed` and `fail`
//! states have none.

use rustc_hash::FxHashSet as HashSet;

use crate::check::env::Cx;
use crate::check::hooks;
use crate::check::items::ItemRef;
use crate::check::settings::{self, Hooks, Place};
use crate::check::types::{Field, TyId};
use crate::syntax::ast::{self, StateKind};

/// Checks the settings and hooks of a state and returns its value type.
pub(super) fn state_value(cx: &mut Cx<'_, '_>, state: &ast::State) -> Option<TyId> {
    match &state.kind {
        StateKind::Step(step) => {
            let hooks = settings::check(&step.body.settings, Place::Step, &mut cx.out);
            Some(call_value(cx, &step.call, hooks))
        }
        StateKind::Map(map) => {
            let hooks = settings::check(&map.body.settings, Place::Map, &mut cx.out);
            let item = call_value(cx, &map.call, hooks);
            Some(cx.types.list(item))
        }
        StateKind::Parallel(parallel) => {
            settings::check(&parallel.body.settings, Place::Parallel, &mut cx.out);
            let mut seen =
                HashSet::with_capacity_and_hasher(parallel.branches.len(), Default::default());
            let mut fields = Vec::with_capacity(parallel.branches.len());
            // A branch's name is where the field of the value is declared.
            let mut decls = Vec::with_capacity(parallel.branches.len());
            for branch in &parallel.branches {
                let hooks = settings::check(&branch.settings, Place::Branch, &mut cx.out);
                let ty = call_value(cx, &branch.call, hooks);
                cx.tables.def_type(branch.name.span, ty);
                // A repeated branch name is reported with the states; the
                // value keeps the first.
                if seen.insert(branch.name.as_str()) {
                    fields.push(Field {
                        name: cx.types.syms.intern(branch.name.as_str()),
                        ty,
                        optional: false,
                    });
                    decls.push(branch.name.span);
                }
            }
            Some(cx.types.declared_record(None, fields, decls))
        }
        StateKind::Succeed(_) | StateKind::Fail(_) => None,
    }
}

/// The value of one worker call after the hooks of the state (or branch)
/// that makes it. An unknown worker (reported with the call's arguments)
/// gives the error type.
fn call_value(cx: &mut Cx<'_, '_>, call: &ast::Call, hooks: Hooks<'_>) -> TyId {
    let env = cx.env;
    let worker = match env.items.lookup(call.worker.as_str()) {
        Some(ItemRef::Worker(id)) => Some(id),
        _ => None,
    };
    if let Some(before) = hooks.before {
        // With an unknown worker the hook is still looked up, against an
        // input that fits anything.
        let input = match worker {
            Some(id) => env.workers[id.0 as usize].input_record(&mut cx.types),
            None => TyId::ERROR,
        };
        hooks::check_before(cx, before, input);
    }
    let value = match worker {
        Some(id) => cx.worker_values[id.0 as usize],
        None => TyId::ERROR,
    };
    match hooks.after {
        Some(after) => hooks::check_after(cx, after, value),
        None => value,
    }
}
