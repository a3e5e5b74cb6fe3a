//! The transitions of a workflow as resolved edges between states.
//!
//! Resolving reports unknown targets and clauses that no run can take:
//! those after an unconditional clause of the same kind, `on_failure`
//! clauses whose every class the earlier clauses without a `when` condition
//! already take, and `on_failure limit` on a state without `max_visits`.
//! The edges keep only the clauses a run can take: an unreachable clause is
//! never taken, and a clause with an unknown target leads nowhere. Each
//! `on_failure` edge also records whether a `limit` failure can take it,
//! for the loop rule of [`super::cycles`].
//!
//! Besides the edges, every state records whether a run may end while it is
//! the current state (see [`Transitions::ends_run`]). The rules behind that:
//!
//! - A `succeed` or `fail` state ends the run.
//! - A step, `parallel` or `map` state whose failure no clause routes ends
//!   the run as failed (section 7 of the design). A failure is certainly
//!   routed only when the `on_failure` clauses without a `when` condition
//!   together cover every failure class the state can fail with: an
//!   unconditional `on_failure ->` covers all of them, `on_failure timeout
//!   ->` only `timeout`, and `limit` needs covering only on a state with
//!   `max_visits`. Clauses with a condition may not match, so they route
//!   nothing for certain.
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

use super::failures::{FailureClauses, shadowed};
use super::unknown::UnknownStates;
use super::{StateId, StateTable};
use crate::check::CheckError;
use crate::check::analysis::{RefKind, Res, Tables};
use crate::syntax::ast::{self, Outcome};

/// A transition a run can take.
pub(super) struct Edge<'a> {
    pub to: StateId,
    pub outcome: Outcome,
    /// Whether a `limit` failure can take this clause: an `on_failure`
    /// clause of a state with `max_visits` whose filter admits `limit`, and
    /// that no earlier clause without a `when` condition takes `limit`
    /// from. See [`super::cycles`].
    pub limit: bool,
    pub clause: &'a ast::Transition,
}

/// The edges of every state, grouped by source state in source order.
pub(super) struct Transitions<'a> {
    edges: Vec<Edge<'a>>,
    /// State `i`'s edges are `edges[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    ends_run: Vec<bool>,
    /// Whether a `limit` failure of the state may match no clause (and so
    /// end the run): it has `max_visits` and no clause without a `when`
    /// condition takes `limit`.
    limit_ends_run: Vec<bool>,
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
        tables: &mut Tables,
    ) -> Self {
        let mut edges = Vec::new();
        let mut offsets = Vec::with_capacity(table.len() + 1);
        let mut ends_run = Vec::with_capacity(table.len());
        let mut limit_ends_run = Vec::with_capacity(table.len());
        let mut complete = true;
        for id in table.ids() {
            offsets.push(edges.len());
            let state = table.state(id);
            let duplicate = table.is_duplicate(id);
            let Some(body) = state.kind.body() else {
                ends_run.push(true);
                limit_ends_run.push(false);
                continue;
            };
            let mut success_shadow: Option<&ast::Transition> = None;
            let mut failures = FailureClauses::new(state);
            let mut unknown_target = false;
            for clause in &body.transitions {
                let live = match clause.outcome {
                    Outcome::Success => match success_shadow {
                        Some(first) => {
                            out.push(shadowed(clause, first, "success"));
                            false
                        }
                        None => {
                            if clause.condition.is_none() {
                                success_shadow = Some(clause);
                            }
                            true
                        }
                    },
                    Outcome::Failure => failures.live(clause, out),
                };
                let limit = live && failures.limit_can_take(clause);
                if live && clause.outcome == Outcome::Failure {
                    failures.take(clause);
                }
                let target = table.lookup(clause.target.as_str());
                if let Some(to) = target.filter(|_| tables.records_uses()) {
                    let def = Some(table.state(to).name.span);
                    tables.resolve(&clause.target, Res::State(to), def, RefKind::Target);
                }
                match target {
                    None => {
                        out.push(unknown.error(&clause.target));
                        unknown_target |= live;
                    }
                    Some(to) if live && !duplicate => edges.push(Edge {
                        to,
                        outcome: clause.outcome,
                        limit,
                        clause,
                    }),
                    Some(_) => {}
                }
            }
            if unknown_target && !duplicate {
                complete = false;
            }
            ends_run.push(unknown_target || !failures.all_routed());
            limit_ends_run.push(failures.limit_unrouted());
        }
        offsets.push(edges.len());
        Transitions {
            edges,
            offsets,
            ends_run,
            limit_ends_run,
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

    /// Whether `state` has `max_visits` and a `limit` failure of it may
    /// match no clause, ending the run as failed.
    pub(super) fn limit_ends_run(&self, state: StateId) -> bool {
        self.limit_ends_run
            .get(state.index())
            .copied()
            .unwrap_or(false)
    }

    /// False when some transition of a state that a run could enter names
    /// an unknown state, so that the graph is missing an edge.
    pub(super) fn complete(&self) -> bool {
        self.complete
    }
}
