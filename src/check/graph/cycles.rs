//! Every loop must be bounded by a state with `max_visits`, and a
//! `max_visits` state bounds a loop only through its normal exits.
//!
//! The engine counts the entries of a state with `max_visits: N`; the
//! N+1-th entry, and every one after it, fails the state with class
//! `limit` before its worker runs, and its `on_failure` clauses route that
//! failure. So once such a state has used its visits up, a run can leave
//! it only through a clause that a `limit` failure can take: an
//! `on_failure` clause whose filter admits `limit` (no filter, or one that
//! names it), up to and including the first of them without a `when`
//! condition (a condition may hold for a `limit` failure too).
//!
//! A run that never ends visits some states infinitely often; after a
//! while every state with `max_visits` among them has used its visits up,
//! and from then on the run moves along a loop of the graph that keeps,
//! out of each state with `max_visits`, only the clauses a `limit` failure
//! can take. Conversely, the checker assumes any condition may hold, so
//! every loop of that graph counts as one a run may go round forever. Two
//! rules come from that graph:
//!
//! - A loop through no state with `max_visits` is `unbounded_cycle`: the
//!   graph without those states must have no cycle.
//! - A loop of the graph that passes through a state with `max_visits`
//!   is `unbounded_limit_loop`: a `limit` failure of that state is routed
//!   back into the loop. It is left out when no state of it can finish
//!   the run: `cannot_finish` reports that, with the same fix.
//!
//! Each strongly connected component that has a loop (more than one state,
//! or a state with a kept transition to itself) is reported once per rule,
//! naming one concrete loop: the shortest through its first state in
//! source order (for the second rule, its first state with `max_visits`),
//! found by a breadth-first search that stays inside the component, so
//! that the whole check is linear.
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
use super::reach::{has_max_visits, terminal_name};
use super::{StateId, StateTable};
use crate::check::expr::render;
use crate::check::{BlockPlace, CheckError, StateLine, Suggestion};
use crate::syntax::ast;

/// The `max_visits` the fix of `unbounded_cycle` gives the state where the
/// loop starts: a few rounds of a review loop, and a bound the user is
/// meant to read and change.
const FIX_MAX_VISITS: u32 = 3;

/// Marks "not in a reported component" in the component map.
const NONE: u32 = u32::MAX;

/// Reports every loop among the considered states that no `max_visits`
/// bounds: first the loops through no state with `max_visits`
/// (`unbounded_cycle`), then those that a `limit` failure keeps going
/// (`unbounded_limit_loop`).
pub(super) fn report_unbounded(
    table: &StateTable<'_>,
    transitions: &Transitions<'_>,
    considered: &[bool],
    can_finish: &[bool],
    out: &mut Vec<CheckError>,
) {
    let bounded: Vec<bool> = table
        .ids()
        .map(|id| has_max_visits(table.state(id)))
        .collect();

    // Without the states that have `max_visits`.
    let free = |from: StateId, edge: &Edge<'_>| {
        considered[from.index()]
            && considered[edge.to.index()]
            && !bounded[from.index()]
            && !bounded[edge.to.index()]
    };
    for (path, closing) in loops(table, transitions, &free, |_| true) {
        out.push(unbounded_cycle(table, &path, closing));
    }

    if !table
        .ids()
        .any(|id| considered[id.index()] && bounded[id.index()])
    {
        return;
    }
    // Once a state with `max_visits` has used its visits up, every entry
    // fails with class `limit`, and only its clauses that a `limit` failure
    // can take lead on.
    let late = |from: StateId, edge: &Edge<'_>| {
        considered[from.index()]
            && considered[edge.to.index()]
            && (!bounded[from.index()] || edge.limit)
    };
    // A loop from which no path ends the run is already reported, state by
    // state, as `cannot_finish`, whose help is the same fix; a loop with no
    // state with `max_visits` was reported above.
    let reported = |first: StateId| can_finish[first.index()] && bounded[first.index()];
    for (path, closing) in loops(table, transitions, &late, reported) {
        out.push(unbounded_limit_loop(table, transitions, &path, closing));
    }
}

/// One loop per strongly connected component of the graph of the edges
/// that `keep` keeps, in the order of the components' first states, each
/// through the first state of its component for which `through` holds (and
/// components without such a state left out). Each loop is the states in
/// order and the edge that closes it.
fn loops<'e, 'a>(
    table: &StateTable<'_>,
    transitions: &'e Transitions<'a>,
    keep: &dyn Fn(StateId, &Edge<'_>) -> bool,
    through: impl Fn(StateId) -> bool,
) -> Vec<(Vec<StateId>, &'e Edge<'a>)> {
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(table.len(), table.len());
    for _ in table.ids() {
        graph.add_node(());
    }
    for (from, edge) in transitions.all() {
        if keep(from, edge) {
            graph.add_edge(node(from), node(edge.to), ());
        }
    }

    // The loops to find, each as (its first state, its component number).
    let mut component = vec![NONE; table.len()];
    let mut found = Vec::new();
    for members in kosaraju_scc(&graph) {
        let Some(first) = members.iter().map(|n| n.index()).min() else {
            continue;
        };
        let first = StateId::from_index(first);
        let is_loop = members.len() > 1
            || transitions
                .from(first)
                .iter()
                .any(|e| e.to == first && keep(first, e));
        if !is_loop {
            continue;
        }
        let Some(origin) = members
            .iter()
            .map(|n| StateId::from_index(n.index()))
            .filter(|&id| through(id))
            .min()
        else {
            continue;
        };
        let number = found.len() as u32;
        for member in &members {
            component[member.index()] = number;
        }
        found.push((first, origin, number));
    }
    found.sort_unstable();

    // Each state belongs to one component, so the search marks persist
    // across components without a reset.
    let mut search = Search {
        parent: vec![None; table.len()],
        queue: VecDeque::new(),
    };
    found
        .into_iter()
        .filter_map(|(_, origin, number)| {
            search.cycle(transitions, keep, &component, origin, number)
        })
        .collect()
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
    /// The shortest loop from `first` back to itself inside its component,
    /// along the edges that `keep` keeps: the states in order, starting
    /// with `first`, and the edge that closes the loop. Edges are tried in
    /// source order, so the result is deterministic.
    fn cycle<'e, 'a>(
        &mut self,
        transitions: &'e Transitions<'a>,
        keep: &dyn Fn(StateId, &Edge<'_>) -> bool,
        component: &[u32],
        first: StateId,
        number: u32,
    ) -> Option<(Vec<StateId>, &'e Edge<'a>)> {
        self.queue.clear();
        self.queue.push_back(first);
        while let Some(state) = self.queue.pop_front() {
            for edge in transitions.from(state) {
                if !keep(state, edge) {
                    continue;
                }
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
        bound: StateLine {
            state: first_name.to_string(),
            place: BlockPlace::first(first),
            text: format!("max_visits: {FIX_MAX_VISITS}"),
        },
    }
}

fn unbounded_limit_loop(
    table: &StateTable<'_>,
    transitions: &Transitions<'_>,
    path: &[StateId],
    closing: &Edge<'_>,
) -> CheckError {
    let origin = path[0];
    let origin_name = table.state(origin).name.as_str();
    let mut cycle: Vec<String> = path
        .iter()
        .map(|&id| format!("`{}`", table.state(id).name.as_str()))
        .collect();
    cycle.push(format!("`{origin_name}`"));

    // The edge from each state of the loop to the next: the first one in
    // source order that the search could take, as it did.
    let edge_from = |i: usize| -> &Edge<'_> {
        match path.get(i + 1) {
            Some(&next) => transitions
                .from(path[i])
                .iter()
                .find(|e| e.to == next && (e.limit || !has_max_visits(table.state(path[i]))))
                .unwrap_or(closing),
            None => closing,
        }
    };
    let limit_clause = edge_from(0).clause;

    let mut labels = Vec::new();
    if let Some(setting) = max_visits_setting(table.state(origin)) {
        let label = match &setting.value.kind {
            ast::ExprKind::Int(n) => {
                format!("after {n} visits, every entry of `{origin_name}` fails with class `limit`")
            }
            _ => format!(
                "once its visits are used up, every entry of `{origin_name}` fails with class `limit`"
            ),
        };
        labels.push(LabeledSpan::at(setting.span, label));
    }
    for (i, &id) in path.iter().enumerate().skip(1) {
        let state = table.state(id);
        let name = state.name.as_str();
        labels.push(LabeledSpan::at(state.name.span, format!("then `{name}`")));
        let edge = edge_from(i);
        if edge.limit && !std::ptr::eq(edge, closing) {
            labels.push(LabeledSpan::at(
                edge.clause.span,
                format!("a `limit` failure of `{name}` is routed here too"),
            ));
        }
    }
    if path.len() > 1 {
        let last = table.state(path[path.len() - 1]).name.as_str();
        let label = if closing.limit {
            format!("a `limit` failure of `{last}` is routed here, back to `{origin_name}`")
        } else {
            format!("and back to `{origin_name}`")
        };
        labels.push(LabeledSpan::at(closing.clause.span, label));
    }

    // A terminal state is in no loop.
    let exit = terminal_name(table);
    let only_limit = limit_clause.condition.is_none()
        && limit_clause.classes.len() == 1
        && limit_clause.classes[0].as_str() == "limit";
    let fix = if only_limit {
        format!(
            "send it out of the loop instead, for example `on_failure limit -> {}`",
            exit.unwrap_or("failed")
        )
    } else {
        format!(
            "add `on_failure limit -> {}` to `{origin_name}` above `{}`",
            exit.unwrap_or("failed"),
            show_clause(limit_clause)
        )
    };
    let missing = match exit {
        Some(_) => String::new(),
        None => ", and a state `fail failed = \"...\"` for it".to_string(),
    };
    let help = format!(
        "`max_visits` bounds a loop only when reaching it leads out of the loop: {fix}{missing}, so that the run leaves the loop once `{origin_name}` has used its visits up"
    );
    let (insert, retarget) = match exit {
        None => (None, None),
        Some(exit) if only_limit => (
            None,
            Some(Suggestion {
                replacement: exit.to_string(),
                span: limit_clause.target.span,
            }),
        ),
        Some(exit) => (
            Some(StateLine {
                state: origin_name.to_string(),
                place: BlockPlace::Before(limit_clause.span.start),
                text: format!("on_failure limit -> {exit}"),
            }),
            None,
        ),
    };
    CheckError::UnboundedLimitLoop {
        cycle: cycle.join(" → "),
        state: origin_name.to_string(),
        span: limit_clause.span,
        states: labels,
        help,
        exit: exit.map(str::to_string),
        insert,
        retarget,
    }
}

/// The `max_visits` setting of a state, for its label.
fn max_visits_setting(state: &ast::State) -> Option<&ast::Setting> {
    state
        .kind
        .body()?
        .settings
        .iter()
        .find(|s| s.name.as_str() == "max_visits")
}

/// A clause as a help shows it: `on_failure timeout, limit -> code`, with
/// a condition too long to show as `when ...`.
fn show_clause(clause: &ast::Transition) -> String {
    let mut out = clause.outcome.keyword().to_string();
    let classes: Vec<&str> = clause.classes.iter().map(|c| c.as_str()).collect();
    if !classes.is_empty() {
        out.push(' ');
        out.push_str(&classes.join(", "));
    }
    if let Some(condition) = &clause.condition {
        out.push_str(" when ");
        out.push_str(render(condition).as_deref().unwrap_or("..."));
    }
    out.push_str(" -> ");
    out.push_str(clause.target.as_str());
    out
}
