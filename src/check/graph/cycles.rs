//! Every loop must pass through a state with `max_visits`.
//!
//! Without the states that have `max_visits`, the graph must have no cycle.
//! Each strongly connected component that still has one (more than one
//! state, or a state with a transition to itself) is reported once, naming
//! one concrete loop through its first state in source order: the shortest,
//! found by a breadth-first search that stays inside the component, so that
//! the whole check is linear.
//!
//! petgraph's `kosaraju_scc` computes the components. Its `tarjan_scc`
//! recurses once per state on a path, which overflows the stack on a long
//! chain of states (workflows with 100,000 states are expected); Kosaraju's
//! algorithm in petgraph is iterative and just as linear.

use std::collections::VecDeque;

use miette::LabeledSpan;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::edges::{Edge, Transitions};
use super::reach::has_max_visits;
use super::{StateId, StateTable};
use crate::check::CheckError;

/// Marks "not in a reported component" in the component map.
const NONE: u32 = u32::MAX;

/// Reports every loop among the considered states that no `max_visits`
/// bounds.
pub(super) fn report_unbounded(
    table: &StateTable<'_>,
    transitions: &Transitions<'_>,
    considered: &[bool],
    out: &mut Vec<CheckError>,
) {
    let unbounded: Vec<bool> = table
        .ids()
        .map(|id| considered[id.index()] && !has_max_visits(table.state(id)))
        .collect();

    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(table.len(), table.len());
    for _ in table.ids() {
        graph.add_node(());
    }
    for (from, edge) in transitions.all() {
        if unbounded[from.index()] && unbounded[edge.to.index()] {
            graph.add_edge(node(from), node(edge.to), ());
        }
    }

    // The loops to report, each as (its first state, its component number).
    let mut component = vec![NONE; table.len()];
    let mut loops = Vec::new();
    for members in kosaraju_scc(&graph) {
        let Some(first) = members.iter().map(|n| n.index()).min() else {
            continue;
        };
        let first = StateId::from_index(first);
        let is_loop = members.len() > 1 || transitions.from(first).iter().any(|e| e.to == first);
        if !is_loop || !unbounded[first.index()] {
            continue;
        }
        let number = loops.len() as u32;
        for member in &members {
            component[member.index()] = number;
        }
        loops.push((first, number));
    }
    loops.sort_unstable();

    // Each state belongs to one component, so the search marks persist
    // across components without a reset.
    let mut search = Search {
        parent: vec![None; table.len()],
        queue: VecDeque::new(),
    };
    for (first, number) in loops {
        if let Some((path, closing)) = search.cycle(transitions, &component, first, number) {
            out.push(unbounded_cycle(table, &path, closing));
        }
    }
}

fn node(state: StateId) -> NodeIndex {
    NodeIndex::new(state.index())
}

/// The state of a breadth-first search for loops.
struct Search {
    /// The state from which the search first entered each state.
    parent: Vec<Option<StateId>>,
    queue: VecDeque<StateId>,
}

impl Search {
    /// The shortest loop from `first` back to itself inside its component:
    /// the states in order, starting with `first`, and the edge that closes
    /// the loop. Edges are tried in source order, so the result is
    /// deterministic.
    fn cycle<'e, 'a>(
        &mut self,
        transitions: &'e Transitions<'a>,
        component: &[u32],
        first: StateId,
        number: u32,
    ) -> Option<(Vec<StateId>, &'e Edge<'a>)> {
        self.queue.clear();
        self.queue.push_back(first);
        while let Some(state) = self.queue.pop_front() {
            for edge in transitions.from(state) {
                if edge.to == first {
                    return Some((self.path_to(first, state), edge));
                }
                let inside = component.get(edge.to.index()) == Some(&number);
                if inside && self.parent[edge.to.index()].is_none() {
                    self.parent[edge.to.index()] = Some(state);
                    self.queue.push_back(edge.to);
                }
            }
        }
        None
    }

    /// The states from `first` to `last` along the search's parent edges.
    fn path_to(&self, first: StateId, last: StateId) -> Vec<StateId> {
        let mut path = vec![last];
        let mut at = last;
        while at != first {
            match self.parent[at.index()] {
                Some(previous) => {
                    path.push(previous);
                    at = previous;
                }
                None => break,
            }
        }
        path.reverse();
        path
    }
}

fn unbounded_cycle(table: &StateTable<'_>, path: &[StateId], closing: &Edge<'_>) -> CheckError {
    let names: Vec<&str> = path
        .iter()
        .map(|&id| table.state(id).name.as_str())
        .collect();
    let first = table.state(path[0]);
    let first_name = first.name.as_str();
    let mut cycle: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    cycle.push(format!("`{first_name}`"));

    let mut states: Vec<LabeledSpan> = path[1..]
        .iter()
        .zip(&names[1..])
        .map(|(&id, name)| LabeledSpan::at(table.state(id).name.span, format!("then `{name}`")))
        .collect();
    states.push(LabeledSpan::at(
        closing.clause.span,
        format!("and back to `{first_name}`"),
    ));

    let help = if path.len() == 1 {
        format!(
            "add `max_visits: N` to `{first_name}`: its N+1-th visit then fails with class `limit`, which an `on_failure` clause can route out of the loop"
        )
    } else {
        format!(
            "add `max_visits: N` to one of these states, for example `{first_name}`: its N+1-th visit then fails with class `limit`, which an `on_failure` clause can route out of the loop"
        )
    };
    CheckError::UnboundedCycle {
        cycle: cycle.join(" → "),
        span: first.name.span,
        states,
        help,
    }
}
