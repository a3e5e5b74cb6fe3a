//! The `on_failure` clauses of one state, read in order: which failure
//! classes each clause can still match, and so which clauses no failure can
//! take (`unreachable_transition`, `limit_without_max_visits`), which a
//! `limit` failure can take, and whether every failure is routed.

use miette::LabeledSpan;

use super::reach::has_max_visits;
use crate::check::CheckError;
use crate::check::failure::FailureClass;
use crate::syntax::ast::{self, Outcome};

/// Builds the warning for a clause after an unconditional one of the same
/// kind.
pub(super) fn shadowed(
    clause: &ast::Transition,
    first: &ast::Transition,
    outcome: &str,
) -> CheckError {
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
pub(super) struct FailureClauses<'a, 's> {
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
    pub(super) fn new(state: &'s ast::State) -> Self {
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
    pub(super) fn live(&self, clause: &ast::Transition, out: &mut Vec<CheckError>) -> bool {
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
    pub(super) fn limit_can_take(&self, clause: &ast::Transition) -> bool {
        clause.outcome == Outcome::Failure
            && self.has_max_visits
            && (clause.classes.is_empty()
                || ClassSet::of_filter(&clause.classes).contains(FailureClass::Limit))
            && !self.taken.contains(FailureClass::Limit)
    }

    /// Records what the live `on_failure` clause `clause` takes.
    pub(super) fn take(&mut self, clause: &'a ast::Transition) {
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
    pub(super) fn limit_unrouted(&self) -> bool {
        self.has_max_visits && !self.taken.contains(FailureClass::Limit)
    }

    /// Whether the clauses route every failure the state can have.
    pub(super) fn all_routed(&self) -> bool {
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
