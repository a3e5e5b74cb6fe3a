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

use miette::LabeledSpan;

use super::reach::has_max_visits;
use super::unknown::UnknownStates;
use super::{StateId, StateTable};
use crate::check::CheckError;
use crate::check::failure::FailureClass;
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
                match table.lookup(clause.target.as_str()) {
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

/// Builds the warning for a clause after an unconditional one of the same
/// kind.
fn shadowed(clause: &ast::Transition, first: &ast::Transition, outcome: &str) -> CheckError {
    CheckError::UnreachableTransition {
        span: clause.span,
        taken_by: vec![LabeledSpan::at(
            first.span,
            format!("this clause matches every {outcome} first"),
        )],
        help: "clauses are tried in order and the earlier one always matches: remove this clause or move it above".to_string(),
    }
}

/// The `on_failure` clauses of one state, read in order: which failure
/// classes the earlier clauses already take, and which classes the state
/// can fail with at all.
///
/// A clause without a `when` condition takes every failure of the classes
/// of its filter (all of them without a filter); a clause with a condition
/// takes nothing for certain. A state fails with class `limit` only when
/// it has `max_visits`: nothing else raises that class (the engine raises it
/// when the state is entered once more than its `max_visits` allows, before
/// the worker runs; branches and map items have no `max_visits`).
struct FailureClauses<'a, 's> {
    state: &'s ast::State,
    has_max_visits: bool,
    /// The classes a failure of the state can have.
    possible: ClassSet,
    /// The classes that earlier clauses without a condition take.
    taken: ClassSet,
    /// The first clause that took each class, by class.
    takers: [Option<&'a ast::Transition>; FailureClass::ALL.len()],
    /// The first clause with neither a filter nor a condition.
    unconditional: Option<&'a ast::Transition>,
}

impl<'a, 's> FailureClauses<'a, 's> {
    fn new(state: &'s ast::State) -> Self {
        let has_max_visits = has_max_visits(state);
        let possible = if has_max_visits {
            ClassSet::ALL
        } else {
            ClassSet::ALL.without(FailureClass::Limit)
        };
        FailureClauses {
            state,
            has_max_visits,
            possible,
            taken: ClassSet::EMPTY,
            takers: [None; FailureClass::ALL.len()],
            unconditional: None,
        }
    }

    /// Whether a failure can take `clause`, the next `on_failure` clause;
    /// when none can, reports why into `out`.
    fn live(&self, clause: &ast::Transition, out: &mut Vec<CheckError>) -> bool {
        if let Some(first) = self.unconditional {
            out.push(shadowed(clause, first, "failure"));
            return false;
        }
        // A misspelt class is reported by its own rule; what the clause was
        // meant to match is unknown.
        let known = clause
            .classes
            .iter()
            .all(|class| FailureClass::from_name(class.as_str()).is_some());
        if !known {
            return true;
        }
        let filter = ClassSet::of_filter(&clause.classes);
        let matched = filter.intersect(self.possible);
        if !matched.without_all(self.taken).is_empty() {
            return true;
        }
        let taken_by = self.taken_by(matched);
        let name = self.state.name.as_str();
        let limit_unraised = !self.has_max_visits && filter.contains(FailureClass::Limit);
        if limit_unraised && !clause.classes.is_empty() {
            out.push(CheckError::LimitWithoutMaxVisits {
                state: name.to_string(),
                span: clause.span,
                name: self.state.name.span,
                taken_by,
                help: format!(
                    "a `limit` failure is raised only when a state is entered once more than its `max_visits` allows (running out of `retries` fails with the class of the last attempt): add `max_visits: N` to `{name}` if its visits should be bounded, or remove this clause"
                ),
            });
            return false;
        }
        let help = match &taken_by[..] {
            [_] => format!(
                "clauses are tried in order, and the clause above takes every {} failure first: remove this clause, or move it above that one",
                matched.describe()
            ),
            _ => format!(
                "clauses are tried in order, and the clauses above take every failure this one could match ({}): remove this clause, or move it above them",
                matched.describe()
            ),
        };
        let mut taken_by = taken_by;
        if limit_unraised {
            taken_by.push(LabeledSpan::at(
                self.state.name.span,
                format!("`{name}` has no `max_visits`, so it never fails with class `limit`"),
            ));
        }
        out.push(CheckError::UnreachableTransition {
            span: clause.span,
            taken_by,
            help,
        });
        false
    }

    /// One label per earlier clause that takes some of `classes`, in
    /// source order.
    fn taken_by(&self, classes: ClassSet) -> Vec<LabeledSpan> {
        let mut by_clause: Vec<(&ast::Transition, ClassSet)> = Vec::new();
        for class in FailureClass::ALL {
            if !classes.contains(class) {
                continue;
            }
            let Some(taker) = self.takers[class as usize] else {
                continue;
            };
            match by_clause.iter_mut().find(|(c, _)| std::ptr::eq(*c, taker)) {
                Some((_, set)) => *set = set.union(ClassSet::of(class)),
                None => by_clause.push((taker, ClassSet::of(class))),
            }
        }
        by_clause.sort_by_key(|(clause, _)| clause.span.start);
        by_clause
            .into_iter()
            .map(|(clause, set)| {
                LabeledSpan::at(
                    clause.span,
                    format!("this clause takes every {} failure first", set.describe()),
                )
            })
            .collect()
    }

    /// Whether a `limit` failure can take `clause`, a live clause not yet
    /// passed to [`Self::take`].
    fn limit_can_take(&self, clause: &ast::Transition) -> bool {
        clause.outcome == Outcome::Failure
            && self.has_max_visits
            && (clause.classes.is_empty()
                || ClassSet::of_filter(&clause.classes).contains(FailureClass::Limit))
            && !self.taken.contains(FailureClass::Limit)
    }

    /// Records what the live `on_failure` clause `clause` takes.
    fn take(&mut self, clause: &'a ast::Transition) {
        if clause.condition.is_some() {
            return;
        }
        let filter = ClassSet::of_filter(&clause.classes);
        for class in FailureClass::ALL {
            if filter.contains(class) && !self.taken.contains(class) {
                self.takers[class as usize] = Some(clause);
            }
        }
        self.taken = self.taken.union(filter);
        if clause.is_unconditional() && self.unconditional.is_none() {
            self.unconditional = Some(clause);
        }
    }

    /// Whether a `limit` failure is possible and may match no clause.
    fn limit_unrouted(&self) -> bool {
        self.has_max_visits && !self.taken.contains(FailureClass::Limit)
    }

    /// Whether the clauses route every failure the state can have.
    fn all_routed(&self) -> bool {
        self.possible.without_all(self.taken).is_empty()
    }
}

/// A set of failure classes, as a bit set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct ClassSet(u8);

impl ClassSet {
    const EMPTY: ClassSet = ClassSet(0);
    const ALL: ClassSet = ClassSet((1 << FailureClass::ALL.len()) - 1);

    fn of(class: FailureClass) -> ClassSet {
        ClassSet(1 << class as u8)
    }

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
            .fold(ClassSet::EMPTY, |set, class| set.union(ClassSet::of(class)))
    }

    fn union(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 | other.0)
    }

    fn intersect(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 & other.0)
    }

    fn without(self, class: FailureClass) -> ClassSet {
        ClassSet(self.0 & !ClassSet::of(class).0)
    }

    fn without_all(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 & !other.0)
    }

    fn contains(self, class: FailureClass) -> bool {
        self.0 & ClassSet::of(class).0 != 0
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// "`timeout`", "`timeout` and `transient`", "`timeout`, `worker` and
    /// `output`", for messages.
    fn describe(self) -> String {
        let names: Vec<String> = FailureClass::ALL
            .iter()
            .filter(|&&class| self.contains(class))
            .map(|class| format!("`{}`", class.name()))
            .collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }
}
