//! The states of one workflow, by id and by name.
//!
//! The table is built once per workflow and is the only place that maps a
//! state's name to its [`StateId`]. Building it reports the problems that are
//! local to the list of states: duplicate state names, duplicate branch names
//! inside a `parallel` state, and `parallel` states without branches.

use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;

use super::CheckError;
use crate::syntax::ast;

/// A state of a workflow: the index of its definition in `workflow.states`.
///
/// A duplicate definition has an id of its own, but lookups by name always
/// find the first definition.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub(crate) struct StateId(pub u32);

impl StateId {
    /// The index into `workflow.states`.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of `workflow.states[index]`. The parser refuses sources of
    /// 4 GiB or more and every state takes several bytes, so the index of a
    /// state always fits in `u32`.
    pub(crate) fn from_index(index: usize) -> Self {
        StateId(index as u32)
    }
}

/// The states of one workflow.
pub(crate) struct StateTable<'a> {
    workflow: &'a ast::Workflow,
    by_name: HashMap<&'a str, StateId>,
    /// `true` for a definition whose name an earlier state already uses.
    duplicate: Vec<bool>,
}

impl<'a> StateTable<'a> {
    /// Builds the table of `workflow`, reporting duplicate states, duplicate
    /// branches and empty `parallel` states into `out`.
    pub(crate) fn new(workflow: &'a ast::Workflow, out: &mut Vec<CheckError>) -> Self {
        let states = &workflow.states;
        let mut by_name = HashMap::with_capacity_and_hasher(states.len(), Default::default());
        let mut duplicate = vec![false; states.len()];
        for (index, state) in states.iter().enumerate() {
            match by_name.entry(state.name.as_str()) {
                Entry::Vacant(slot) => {
                    slot.insert(StateId::from_index(index));
                }
                Entry::Occupied(first) => {
                    duplicate[index] = true;
                    out.push(CheckError::DuplicateState {
                        name: state.name.name.to_string(),
                        span: state.name.span,
                        first: states[first.get().index()].name.span,
                    });
                }
            }
            if let ast::StateKind::Parallel(parallel) = &state.kind {
                check_branches(state, parallel, out);
            }
        }
        StateTable {
            workflow,
            by_name,
            duplicate,
        }
    }

    /// The workflow the states belong to.
    pub fn workflow(&self) -> &'a ast::Workflow {
        self.workflow
    }

    /// The state named `name`; the first definition when there are several.
    pub fn lookup(&self, name: &str) -> Option<StateId> {
        self.by_name.get(name).copied()
    }

    /// The definition of a state.
    pub fn state(&self, id: StateId) -> &'a ast::State {
        &self.workflow.states[id.index()]
    }

    /// The number of state definitions, duplicates included.
    pub fn len(&self) -> usize {
        self.workflow.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.workflow.states.is_empty()
    }

    /// Every state definition, duplicates included, in source order.
    pub fn ids(&self) -> impl Iterator<Item = StateId> + use<> {
        (0..self.len()).map(StateId::from_index)
    }

    /// True when an earlier state has the same name, so that no transition
    /// can lead to this definition.
    pub fn is_duplicate(&self, id: StateId) -> bool {
        self.duplicate.get(id.index()).copied().unwrap_or(false)
    }

    /// The distinct state names in source order, for "did you mean"
    /// suggestions.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        let states = &self.workflow.states;
        states
            .iter()
            .zip(&self.duplicate)
            .filter(|(_, duplicate)| !**duplicate)
            .map(|(state, _)| state.name.as_str())
    }
}

/// Branch names become the fields of the state's value, so they must be
/// unique; a `parallel` state without branches would have nothing to run.
fn check_branches(state: &ast::State, parallel: &ast::ParallelState, out: &mut Vec<CheckError>) {
    if parallel.branches.is_empty() {
        out.push(CheckError::EmptyParallel {
            name: state.name.name.to_string(),
            span: state.name.span,
        });
        return;
    }
    let mut seen: HashMap<&str, ast::Span> =
        HashMap::with_capacity_and_hasher(parallel.branches.len(), Default::default());
    for branch in &parallel.branches {
        match seen.entry(branch.name.as_str()) {
            Entry::Vacant(slot) => {
                slot.insert(branch.name.span);
            }
            Entry::Occupied(first) => out.push(CheckError::DuplicateBranch {
                name: branch.name.name.to_string(),
                span: branch.name.span,
                first: *first.get(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::graph::testing::parse_workflow;

    fn table_errors(wf: &ast::Workflow) -> Vec<CheckError> {
        let mut out = Vec::new();
        StateTable::new(wf, &mut out);
        out
    }

    #[test]
    fn lookup_finds_the_first_definition() {
        let wf = parse_workflow(
            r#"workflow w() -> string {
                 step a = W() { on_success -> done }
                 succeed done = "ok"
                 step a = W() { on_success -> done }
               }"#,
        );
        let mut out = Vec::new();
        let table = StateTable::new(&wf, &mut out);
        assert_eq!(table.lookup("a"), Some(StateId(0)));
        assert_eq!(table.lookup("done"), Some(StateId(1)));
        assert_eq!(table.lookup("missing"), None);
        assert!(table.is_duplicate(StateId(2)));
        assert!(!table.is_duplicate(StateId(0)));
        assert_eq!(table.names().collect::<Vec<_>>(), ["a", "done"]);
        assert_eq!(table.ids().count(), 3);
        assert_eq!(table.state(StateId(1)).name.as_str(), "done");
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn duplicate_state_points_at_the_first() {
        let wf = parse_workflow(
            r#"workflow w() -> string {
                 succeed done = "ok"
                 fail done = "no"
                 fail done = "no"
               }"#,
        );
        let errors = table_errors(&wf);
        assert_eq!(
            errors,
            [1, 2].map(|i| CheckError::DuplicateState {
                name: "done".into(),
                span: wf.states[i].name.span,
                first: wf.states[0].name.span,
            })
        );
    }

    #[test]
    fn duplicate_branch_and_empty_parallel() {
        let wf = parse_workflow(
            r#"workflow w() -> string {
                 parallel p {
                   branch x = X()
                   branch y = Y()
                   branch x = Z()
                   on_success -> done
                 }
                 parallel q { on_success -> done }
                 succeed done = "ok"
               }"#,
        );
        let errors = table_errors(&wf);
        let ast::StateKind::Parallel(p) = &wf.states[0].kind else {
            panic!("not a parallel state");
        };
        assert_eq!(
            errors,
            [
                CheckError::DuplicateBranch {
                    name: "x".into(),
                    span: p.branches[2].name.span,
                    first: p.branches[0].name.span,
                },
                CheckError::EmptyParallel {
                    name: "q".into(),
                    span: wf.states[1].name.span,
                }
            ]
        );
    }

    #[test]
    fn distinct_names_report_nothing() {
        let wf = parse_workflow(
            r#"workflow w() -> string {
                 parallel p {
                   branch x = X()
                   branch y = Y()
                   on_success -> b
                 }
                 succeed b = "ok"
               }"#,
        );
        assert_eq!(table_errors(&wf), []);
    }
}
