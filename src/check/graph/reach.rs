//! Which states a run can enter, and which can still finish the run.

use miette::LabeledSpan;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, Reversed};

use super::edges::Transitions;
use super::{StateId, StateTable};
use crate::check::CheckError;
use crate::syntax::ast::{self, StateKind};

/// The states as a petgraph graph: node `i` is state `i`, and one more node
/// stands for "the run has ended", with an edge to it from every state where
/// a run may end (see [`Transitions::ends_run`]).
pub(super) struct StateGraph {
    graph: DiGraph<(), ()>,
    end: NodeIndex,
}

impl StateGraph {
    pub(super) fn new(table: &StateTable<'_>, transitions: &Transitions<'_>) -> Self {
        let mut graph = DiGraph::with_capacity(table.len() + 1, table.len());
        for _ in table.ids() {
            graph.add_node(());
        }
        let end = graph.add_node(());
        for (from, edge) in transitions.all() {
            graph.add_edge(node(from), node(edge.to), ());
        }
        for id in table.ids() {
            if !table.is_duplicate(id) && transitions.ends_run(id) {
                graph.add_edge(node(id), end, ());
            }
        }
        StateGraph { graph, end }
    }

    /// For every state, whether a run that starts at `start` can enter it.
    pub(super) fn reachable_from(&self, start: StateId) -> Vec<bool> {
        let mut reachable = vec![false; self.end.index()];
        let mut bfs = Bfs::new(&self.graph, node(start));
        while let Some(n) = bfs.next(&self.graph) {
            if let Some(slot) = reachable.get_mut(n.index()) {
                *slot = true;
            }
        }
        reachable
    }

    /// For every state, whether some path from it ends the run.
    pub(super) fn can_finish(&self) -> Vec<bool> {
        let mut can_finish = vec![false; self.end.index()];
        let reversed = Reversed(&self.graph);
        let mut bfs = Bfs::new(reversed, self.end);
        while let Some(n) = bfs.next(reversed) {
            if let Some(slot) = can_finish.get_mut(n.index()) {
                *slot = true;
            }
        }
        can_finish
    }
}

fn node(state: StateId) -> NodeIndex {
    NodeIndex::new(state.index())
}

/// Warns about every state, except duplicate definitions, that no run
/// can enter.
pub(super) fn report_unreachable(
    table: &StateTable<'_>,
    start: StateId,
    reachable: &[bool],
    out: &mut Vec<CheckError>,
) {
    let start = table.state(start).name.as_str();
    for id in table.ids() {
        if reachable[id.index()] || table.is_duplicate(id) {
            continue;
        }
        let state = table.state(id);
        out.push(CheckError::UnreachableState {
            name: state.name.name.to_string(),
            start: start.to_string(),
            span: state.name.span,
        });
    }
}

/// Reports a workflow from whose start no `succeed` state can be reached:
/// every run of it fails. Left out when the start state cannot finish the
/// run at all (`cannot_finish` reports that, and says more), and while a
/// transition names an unknown state (the misspelt target may be the
/// `succeed` state).
pub(super) fn report_never_succeeds(
    table: &StateTable<'_>,
    transitions: &Transitions<'_>,
    start: StateId,
    reachable: &[bool],
    can_finish: &[bool],
    out: &mut Vec<CheckError>,
) {
    if !transitions.complete() || !can_finish[start.index()] {
        return;
    }
    let succeeds = |id: StateId| {
        !table.is_duplicate(id) && matches!(table.state(id).kind, StateKind::Succeed(_))
    };
    if table.ids().any(|id| reachable[id.index()] && succeeds(id)) {
        return;
    }
    let workflow = table.workflow();
    let name = workflow.name.as_str();
    let start_state = table.state(start);
    let unreached = table
        .ids()
        .find(|&id| succeeds(id))
        .map(|id| table.state(id));
    // A loop that is bounded, but whose bound ends the run as failed, is
    // the common way to get here: say where to send the `limit` failure.
    let limit_end = table
        .ids()
        .find(|&id| reachable[id.index()] && transitions.limit_ends_run(id))
        .map(|id| table.state(id).name.as_str());
    let help = match (unreached, limit_end) {
        (None, _) => format!(
            "every run of `{name}` ends by failing: add a `succeed` state, for example `succeed done = ...` with the workflow's result, and send a success to it with `on_success -> done`"
        ),
        (Some(done), Some(bounded)) => format!(
            "every run of `{name}` ends by failing: send a success to `{done}`, for example `on_success when ... -> {done}`, or end the loop at `{bounded}` with `on_failure limit -> {done}` if reaching its `max_visits` is a result",
            done = done.name.as_str()
        ),
        (Some(done), None) => format!(
            "every run of `{name}` ends by failing: send a success to `{done}` from a state that runs reach, for example `on_success when ... -> {done}`",
            done = done.name.as_str()
        ),
    };
    out.push(CheckError::NeverSucceeds {
        workflow: name.to_string(),
        span: workflow.name.span,
        start: start_state.name.name.to_string(),
        start_span: start_state.name.span,
        unreached: unreached
            .map(|done| {
                LabeledSpan::at(
                    done.name.span,
                    format!("no path leads to `{}`", done.name.as_str()),
                )
            })
            .into_iter()
            .collect(),
        help,
    });
}

/// Reports every considered state from which no path ends the run: a run
/// that enters it loops until `max_steps` stops it. Only states a run can
/// enter are considered, so that an unreachable loop gets one warning per
/// state rather than an error as well.
pub(super) fn report_cannot_finish(
    table: &StateTable<'_>,
    can_finish: &[bool],
    considered: &[bool],
    out: &mut Vec<CheckError>,
) {
    let mut exit: Option<Option<&str>> = None;
    for id in table.ids() {
        if !considered[id.index()] || can_finish[id.index()] {
            continue;
        }
        let state = table.state(id);
        let name = state.name.as_str();
        let exit = *exit.get_or_insert_with(|| terminal_name(table));
        out.push(CheckError::CannotFinish {
            name: name.to_string(),
            span: state.name.span,
            help: cannot_finish_help(table, state, exit),
        });
    }
}

/// How to give the state a way out. Such a state routes every failure
/// already (else a failure would end the run), so the example either adds a
/// `limit` clause in front, when `max_visits` can raise that class, or
/// redirects its failures.
fn cannot_finish_help(table: &StateTable<'_>, state: &ast::State, exit: Option<&str>) -> String {
    let name = state.name.as_str();
    let Some(exit) = exit else {
        return format!(
            "workflow `{}` has no `succeed` or `fail` state: add one, for example `fail failed = \"...\"`, and send an outcome of `{name}` to it",
            table.workflow().name.as_str()
        );
    };
    let example = if has_max_visits(state) {
        format!(
            "add `on_failure limit -> {exit}` above its other `on_failure` clauses, so that reaching `max_visits` ends the run"
        )
    } else {
        format!(
            "send its failures to `{exit}` with `on_failure -> {exit}` instead of back into the loop"
        )
    };
    format!(
        "a run that enters `{name}` loops until `max_steps` stops it: lead `{name}` or a state after it to a `succeed` or `fail` state; for example, {example}"
    )
}

/// Whether the state bounds its visits. Only the presence of the setting
/// counts; whether its value is valid is the settings rules' concern.
pub(super) fn has_max_visits(state: &ast::State) -> bool {
    state.kind.body().is_some_and(|body| {
        body.settings
            .iter()
            .any(|s| s.name.as_str() == "max_visits")
    })
}

/// A state to suggest as the way out: the first `fail` state, else the first
/// `succeed` state.
pub(super) fn terminal_name<'a>(table: &StateTable<'a>) -> Option<&'a str> {
    let terminals = || {
        table
            .ids()
            .filter(|&id| !table.is_duplicate(id))
            .map(|id| table.state(id))
    };
    terminals()
        .find(|state| matches!(state.kind, StateKind::Fail(_)))
        .or_else(|| terminals().find(|state| matches!(state.kind, StateKind::Succeed(_))))
        .map(|state| state.name.as_str())
}
