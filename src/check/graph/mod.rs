//! The state machine of one workflow as a graph, and what the checker proves
//! about it: workflow settings, transition targets, unreachable clauses,
//! unreachable states, states that can never finish the run, workflows
//! that can never succeed, unbounded loops, and which step values are certainly available where (definite
//! assignment, for the type checker).
//!
//! Every analysis is linear in the number of states and transitions, except
//! the dominators, which take O(E log V), so that workflows with 100,000
//! states check quickly. Nothing recurses per state: long chains of states
//! would overflow the stack.

mod absence;
mod cycles;
mod dominance;
mod edges;
mod failures;
mod idom;
mod reach;
mod settings;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod unknown;

pub(crate) use super::states::{StateId, StateTable};

pub(crate) use absence::Absence;

use super::CheckError;
use super::analysis::Tables;
use crate::syntax::ast;
use absence::Searches;
use dominance::Dominance;
use edges::Transitions;
use reach::StateGraph;
use settings::Start;
use unknown::UnknownStates;

/// A point in a run, for asking which step values are available there.
///
/// The type checker evaluates a state's arguments, `on_failure` conditions
/// and `succeed`/`fail` values at `Entry(state)` (the state's own value does
/// not exist yet), and its `on_success` conditions at `Succeeded(state)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Point {
    /// The state has just been entered.
    Entry(StateId),
    /// The state has just succeeded: its value exists.
    Succeeded(StateId),
}

/// What the graph analysis of one workflow found, for the later stages.
pub(crate) struct WorkflowGraph<'a> {
    states: StateTable<'a>,
    start: Option<StateId>,
    /// Which states a run can enter. `None` when the start state is not
    /// known (an invalid `start:`), in which case every state counts as
    /// reachable so that nothing else is skipped or reported because of it.
    reachable: Option<Vec<bool>>,
    /// `None` under the same condition as `reachable`.
    dominance: Option<Dominance>,
    transitions: Transitions<'a>,
    /// For [`Self::absence`].
    searches: Searches,
}

/// Builds the state table and graph of `workflow` and reports every problem
/// of its settings, transitions and graph into `out`, in source order.
pub(crate) fn analyze_workflow<'a>(
    workflow: &'a ast::Workflow,
    out: &mut Vec<CheckError>,
    tables: &mut Tables,
) -> WorkflowGraph<'a> {
    let mut found = Vec::new();
    let states = StateTable::new(workflow, &mut found);
    let mut unknown = UnknownStates::new(&states);
    let start = settings::check(&states, &mut unknown, &mut found, tables);
    let transitions = Transitions::resolve(&states, &mut unknown, &mut found, tables);

    if states.is_empty() {
        found.push(CheckError::MissingStart {
            workflow: workflow.name.name.to_string(),
            span: workflow.name.span,
        });
    }
    let start = match start {
        Start::Named(id) => Some(id),
        Start::Invalid => None,
        Start::First => (!states.is_empty()).then_some(StateId(0)),
    };

    let graph = StateGraph::new(&states, &transitions);
    let reachable = start.map(|start| graph.reachable_from(start));
    // The states that the graph rules look at: those a run can enter, minus
    // duplicate definitions (already reported, and no transition can name
    // them).
    let considered: Vec<bool> = states
        .ids()
        .map(|id| {
            !states.is_duplicate(id)
                && reachable
                    .as_ref()
                    .is_none_or(|reachable| reachable[id.index()])
        })
        .collect();

    if let (Some(start), Some(reachable)) = (start, &reachable) {
        // With an unknown transition target the graph misses an edge, and a
        // state that only the misspelt transition leads to would be reported
        // as unreachable: wait until the targets are fixed.
        if transitions.complete() {
            reach::report_unreachable(&states, start, reachable, &mut found);
        }
    }
    let can_finish = graph.can_finish();
    reach::report_cannot_finish(&states, &can_finish, &considered, &mut found);
    if let (Some(start), Some(reachable)) = (start, &reachable) {
        reach::report_never_succeeds(
            &states,
            &transitions,
            start,
            reachable,
            &can_finish,
            &mut found,
        );
    }
    cycles::report_unbounded(&states, &transitions, &considered, &can_finish, &mut found);

    let dominance = start.map(|start| Dominance::new(&states, &transitions, start));

    // Stable, so that problems at the same place keep the order in which
    // the rules found them.
    found.sort_by_key(CheckError::offset);
    out.extend(found);

    WorkflowGraph {
        states,
        start,
        reachable,
        dominance,
        transitions,
        searches: Searches::new(),
    }
}

impl<'a> WorkflowGraph<'a> {
    /// The states of the workflow.
    pub fn states(&self) -> &StateTable<'a> {
        &self.states
    }

    /// The state a run starts in: the `start:` setting, else the first
    /// state. `None` when the workflow has no states or `start:` is invalid.
    // The checker itself needs only `value_available`; the tests observe
    // the analysis through this and `is_reachable`, and the runner (a later
    // issue) will start here.
    #[allow(dead_code)]
    pub fn start(&self) -> Option<StateId> {
        self.start
    }

    /// Whether a run can enter the state. True for every state when the
    /// start state is not known.
    #[allow(dead_code)]
    pub fn is_reachable(&self, state: StateId) -> bool {
        match &self.reachable {
            Some(reachable) => reachable.get(state.index()).copied().unwrap_or(false),
            None => true,
        }
    }

    /// Whether the value of `step` certainly exists at `at`: every path
    /// from the start to `at` passes through `step`'s success.
    ///
    /// Points that no run reaches answer `true`: they are already reported
    /// as unreachable, and the type checker should not add errors there.
    /// A `step` that never succeeds on any path answers `false` wherever a
    /// run can be.
    pub fn value_available(&self, step: StateId, at: Point) -> bool {
        match &self.dominance {
            Some(dominance) => dominance.value_available(step, at),
            None => true,
        }
    }

    /// Why the value of `step` may be missing at `at`, where
    /// [`Self::value_available`] said it may be: not run yet, failed, or
    /// either. For the words of the error only; see [`absence`].
    pub fn absence(&self, step: StateId, at: Point) -> Absence {
        match &self.dominance {
            Some(dominance) => {
                self.searches
                    .absence(&self.states, &self.transitions, dominance, step, at)
            }
            None => Absence::NotRun,
        }
    }
}
