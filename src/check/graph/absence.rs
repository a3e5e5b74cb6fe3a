//! Why a step's value may be missing at a point: the step may not have run
//! yet, or it may have failed, or either.
//!
//! The value of step S is missing at point P on a path from the start that
//! does not pass through `Succeeded(S)` (see [`super::dominance`]). Such a
//! path either never enters S, or enters it and leaves it through an
//! `on_failure` clause every time. So:
//!
//! - S *may have failed* when some failure clause of S leads to P without
//!   passing through `Succeeded(S)`: a search from the targets of S's
//!   failure clauses, in the graph of points without `Succeeded(S)`;
//! - S *may not have run* unless `Entry(S)` strictly dominates P: then every
//!   path to P enters S, and a missing value means that S failed.
//!
//! The answer only chooses the words of a `maybe_not_run` error, so it is
//! asked once per such error, never for a program that checks. The searches
//! share a budget proportional to the size of the graph, so that a file
//! with very many of these errors still checks in linear time; once it is
//! spent, a search answers "may have failed" without naming the clause,
//! which is the cautious answer (its help suggests no default).

use std::cell::RefCell;
use std::collections::VecDeque;

use super::dominance::Dominance;
use super::edges::Transitions;
use super::{Point, StateId, StateTable};
use crate::syntax::ast::{Outcome, Span};

/// Why the value of a step may be missing at a point.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Absence {
    /// Only because the step has not run yet.
    NotRun,
    /// Only because the step failed: every path here enters it.
    Failed {
        /// The failure clause of the step that leads here, if known.
        clause: Option<Span>,
    },
    /// Either.
    NotRunOrFailed { clause: Option<Span> },
}

/// The state of the searches, shared across questions.
pub(super) struct Searches {
    inner: RefCell<Search>,
}

struct Search {
    /// `seen[p] == stamp` marks point `p` as seen by the current search.
    seen: Vec<u32>,
    stamp: u32,
    /// For each seen point, the failure clause of the step it was reached
    /// from.
    origin: Vec<Option<Span>>,
    queue: VecDeque<usize>,
    /// Points and edges the searches may still visit, in total.
    budget: usize,
}

impl Searches {
    /// Allocates nothing: a program that checks never asks.
    pub(super) fn new() -> Self {
        Searches {
            inner: RefCell::new(Search {
                seen: Vec::new(),
                stamp: 0,
                origin: Vec::new(),
                queue: VecDeque::new(),
                budget: 0,
            }),
        }
    }

    /// Why the value of `step` may be missing at `at`, where it is not
    /// certainly available.
    pub(super) fn absence(
        &self,
        table: &StateTable<'_>,
        transitions: &Transitions<'_>,
        dominance: &Dominance,
        step: StateId,
        at: Point,
    ) -> Absence {
        let clause = self.failure_reaches(table, transitions, step, at);
        let entered = at != Point::Entry(step) && dominance.dominates(Point::Entry(step), at);
        match clause {
            _ if entered => Absence::Failed {
                clause: clause.flatten(),
            },
            None => Absence::NotRun,
            Some(clause) => Absence::NotRunOrFailed { clause },
        }
    }

    /// `None` when no failure of `step` leads to `at` without passing
    /// through its success; else the clause it leaves by (`Some(None)` when
    /// the budget is spent and the answer is not known).
    fn failure_reaches(
        &self,
        table: &StateTable<'_>,
        transitions: &Transitions<'_>,
        step: StateId,
        at: Point,
    ) -> Option<Option<Span>> {
        let Ok(mut search) = self.inner.try_borrow_mut() else {
            return Some(None);
        };
        let search = &mut *search;
        let points = table.len() * 2;
        if search.seen.len() != points {
            search.seen = vec![0; points];
            search.origin = vec![None; points];
            search.budget = 4 * (points + transitions.all().count()) + 4096;
        }
        if search.budget == 0 {
            return Some(None);
        }
        search.stamp = search.stamp.wrapping_add(1);
        if search.stamp == 0 {
            search.seen.fill(0);
            search.stamp = 1;
        }
        let stamp = search.stamp;
        let goal = index(at);
        let blocked = index(Point::Succeeded(step));
        search.queue.clear();
        for edge in transitions.from(step) {
            if edge.outcome != Outcome::Failure {
                continue;
            }
            let p = index(Point::Entry(edge.to));
            if search.seen[p] != stamp {
                search.seen[p] = stamp;
                search.origin[p] = Some(edge.clause.span);
                search.queue.push_back(p);
            }
        }
        while let Some(p) = search.queue.pop_front() {
            let origin = search.origin[p];
            if p == goal {
                return Some(origin);
            }
            let state = StateId::from_index(p / 2);
            let next = |q: usize, search: &mut Search| {
                if q != blocked && search.seen[q] != stamp {
                    search.seen[q] = stamp;
                    search.origin[q] = origin;
                    search.queue.push_back(q);
                }
            };
            if search.budget == 0 {
                return Some(None);
            }
            search.budget -= 1;
            if p % 2 == 0 {
                // An entry: the state succeeds, or fails along a clause.
                let state_def = table.state(state);
                if !state_def.kind.is_terminal() && !table.is_duplicate(state) {
                    next(p + 1, search);
                }
                for edge in transitions.from(state) {
                    search.budget = search.budget.saturating_sub(1);
                    if edge.outcome == Outcome::Failure {
                        next(index(Point::Entry(edge.to)), search);
                    }
                }
            } else {
                for edge in transitions.from(state) {
                    search.budget = search.budget.saturating_sub(1);
                    if edge.outcome == Outcome::Success {
                        next(index(Point::Entry(edge.to)), search);
                    }
                }
            }
        }
        None
    }
}

/// The number of a point, as in [`super::dominance`].
fn index(point: Point) -> usize {
    match point {
        Point::Entry(s) => s.index() * 2,
        Point::Succeeded(s) => s.index() * 2 + 1,
    }
}
