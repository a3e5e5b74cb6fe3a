//! The transitions of a workflow as resolved edges between states.
//!
//! Resolving reports unknown targets and clauses that an earlier
//! unconditional clause shadows. The edges keep only the clauses a run can
//! take: a shadowed clause is never tried, and a clause with an unknown
//! target leads nowhere.
//!
//! Besides the edges, every state records whether a run may end while it is
//! the current state (see [`Transitions::ends_run`]). The rules behind that:
//!
//! - A `succeed` or `fail` state ends the run.
//! - A step, `parallel` or `map` state whose failure no clause routes ends
//!   the run as failed (section 7 of the design). A failure is certainly
//!   routed only when the `on_failure` clauses without a `when` condition
//!   together cover every failure class: an unconditional `on_failure ->`
//!   covers all of them, `on_failure timeout ->` only `timeout`. Clauses
//!   with a condition may not match, so they route nothing for certain.
//!   Since any worker can fail, every state without such coverage can end
//!   the run by failing, however its successes are routed.
//! - A success that no `on_success` clause matches is not a way out: either
//!   the clauses are provably exhaustive, or the checker reports
//!   `non_exhaustive_transitions` for the state. A program that checks
//!   routes every success through its clauses.
//! - A clause whose target is unknown (already an error) counts as a way
//!   out, so that a misspelt `-> faild` does not also make its state
//!   "unable to finish".
//!
//! The `max_steps` bound of a workflow also ends runs, but it ends every
//! run that loops too long; counting it would make every state able to
//! finish and the `cannot_finish` rule pointless, so it is left out.

use super::unknown::UnknownStates;
use super::{StateId, StateTable};
use crate::check::CheckError;
use crate::check::failure::FailureClass;
use crate::syntax::ast::{self, Outcome};

/// A transition a run can take.
pub(super) struct Edge<'a> {
    pub to: StateId,
    pub outcome: Outcome,
    pub clause: &'a ast::Transition,
}

/// The edges of every state, grouped by source state in source order.
pub(super) struct Transitions<'a> {
    edges: Vec<Edge<'a>>,
    /// State `i`'s edges are `edges[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    ends_run: Vec<bool>,
    complete: bool,
}

impl<'a> Transitions<'a> {
    /// Resolves the transitions of every state, reporting unknown targets
    /// and unreachable clauses into `out`. Duplicate state definitions are
    /// checked too but get no edges: no run can enter them.
    pub(super) fn resolve(
        table: &StateTable<'a>,
        unknown: &mut UnknownStates<'_, '_>,
        out: &mut Vec<CheckError>,
    ) -> Self {
        let mut edges = Vec::new();
        let mut offsets = Vec::with_capacity(table.len() + 1);
        let mut ends_run = Vec::with_capacity(table.len());
        let mut complete = true;
        for id in table.ids() {
            offsets.push(edges.len());
            let state = table.state(id);
            let duplicate = table.is_duplicate(id);
            let Some(body) = state.kind.body() else {
                ends_run.push(true);
                continue;
            };
            let mut shadowing: [Option<&ast::Transition>; 2] = [None, None];
            let mut routed = ClassSet::EMPTY;
            let mut unknown_target = false;
            for clause in &body.transitions {
                let slot = match clause.outcome {
                    Outcome::Success => 0,
                    Outcome::Failure => 1,
                };
                let live = match shadowing[slot] {
                    Some(first) => {
                        out.push(CheckError::UnreachableTransition {
                            span: clause.span,
                            shadowed_by: first.span,
                            outcome: match clause.outcome {
                                Outcome::Success => "success",
                                Outcome::Failure => "failure",
                            },
                        });
                        false
                    }
                    None => true,
                };
                match table.lookup(clause.target.as_str()) {
                    None => {
                        out.push(unknown.error(&clause.target));
                        unknown_target |= live;
                    }
                    Some(to) if live && !duplicate => edges.push(Edge {
                        to,
                        outcome: clause.outcome,
                        clause,
                    }),
                    Some(_) => {}
                }
                if live && clause.outcome == Outcome::Failure && clause.condition.is_none() {
                    routed = routed.union(ClassSet::of_filter(&clause.classes));
                }
                if clause.is_unconditional() && shadowing[slot].is_none() {
                    shadowing[slot] = Some(clause);
                }
            }
            if unknown_target && !duplicate {
                complete = false;
            }
            ends_run.push(unknown_target || routed != ClassSet::ALL);
        }
        offsets.push(edges.len());
        Transitions {
            edges,
            offsets,
            ends_run,
            complete,
        }
    }

    /// The edges out of `state`, in source order.
    pub(super) fn from(&self, state: StateId) -> &[Edge<'a>] {
        let i = state.index();
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => &self.edges[start..end],
            _ => &[],
        }
    }

    /// Every edge, grouped by source state in source order, with its source.
    pub(super) fn all(&self) -> impl Iterator<Item = (StateId, &Edge<'a>)> {
        self.offsets
            .windows(2)
            .enumerate()
            .flat_map(move |(i, range)| {
                self.edges[range[0]..range[1]]
                    .iter()
                    .map(move |edge| (StateId::from_index(i), edge))
            })
    }

    /// Whether a run may end while `state` is the current state, without
    /// entering another state (see the module documentation).
    pub(super) fn ends_run(&self, state: StateId) -> bool {
        self.ends_run.get(state.index()).copied().unwrap_or(false)
    }

    /// False when some transition of a state that a run could enter names
    /// an unknown state, so that the graph is missing an edge.
    pub(super) fn complete(&self) -> bool {
        self.complete
    }
}

/// A set of failure classes, as a bit set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct ClassSet(u8);

impl ClassSet {
    const EMPTY: ClassSet = ClassSet(0);
    const ALL: ClassSet = ClassSet((1 << FailureClass::ALL.len()) - 1);

    /// The classes an `on_failure` filter matches: every class when there
    /// is no filter. Unknown class names (another rule reports them) match
    /// nothing.
    fn of_filter(classes: &[ast::Ident]) -> ClassSet {
        if classes.is_empty() {
            return ClassSet::ALL;
        }
        classes
            .iter()
            .filter_map(|class| FailureClass::from_name(class.as_str()))
            .fold(ClassSet::EMPTY, |set, class| {
                set.union(ClassSet(1 << class as u8))
            })
    }

    fn union(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 | other.0)
    }
}
