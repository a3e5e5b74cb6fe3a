//! Workflows: their settings and states, the states' blocks, branches and
//! transitions.

use super::comments::Fmt;
use super::doc::{Doc, concat, text};
use super::items::start;
use super::lists::{BLOCK, BRACES, Place};
use crate::syntax::ast::*;

/// A member of a workflow or of a state's block, in source order.
enum Member<'a> {
    Setting(&'a Setting),
    State(&'a State),
    Branch(&'a Branch),
    Transition(&'a Transition),
}

impl Member<'_> {
    /// Where the member starts (at its doc comment) and ends.
    fn bounds(&self) -> (u32, u32) {
        match self {
            Member::Setting(s) => (s.span.start, s.span.end),
            Member::State(s) => (start(s.docs.as_ref(), s.span), s.span.end),
            Member::Branch(b) => (start(b.docs.as_ref(), b.span), b.span.end),
            Member::Transition(t) => (t.span.start, t.span.end),
        }
    }
}

impl Fmt<'_> {
    pub(super) fn workflow(&mut self, workflow: &Workflow) -> Doc {
        let signature = self.signature(
            "workflow ",
            &workflow.name,
            &workflow.params,
            &workflow.output,
        );
        let members: Vec<Member<'_>> = workflow
            .settings
            .iter()
            .map(Member::Setting)
            .chain(workflow.states.iter().map(Member::State))
            .collect();
        let block = self.member_block(members, workflow.output.span.end, workflow.span.end);
        concat(vec![signature, text(" "), block])
    }

    /// A block of members in source order, from the `{` after `after` to
    /// the `}` that ends at `end`.
    fn member_block(&mut self, mut members: Vec<Member<'_>>, after: u32, end: u32) -> Doc {
        members.sort_by_key(|m| m.bounds().0);
        let place = Place {
            open: Some(self.find_byte(after, b'{')),
            close: end.saturating_sub(1),
        };
        self.bracketed(BLOCK, place, &members, Member::bounds, |f, m| match m {
            Member::Setting(s) => f.setting(s),
            Member::State(s) => f.state(s),
            Member::Branch(b) => f.branch(b),
            Member::Transition(t) => f.transition(t),
        })
    }

    fn state(&mut self, state: &State) -> Doc {
        let head = concat(vec![
            self.docs(state.docs.as_ref()),
            self.own_lines_before(state.span.start),
            text(state.kind.keyword()),
            text(" "),
            self.ident(&state.name),
        ]);
        let rest = match &state.kind {
            StateKind::Step(step) => {
                let call = self.call(&step.call);
                let body = self.body(&step.body, step.call.span.end, state.span.end);
                concat(vec![text(" = "), call, body])
            }
            StateKind::Parallel(parallel) => {
                let members: Vec<Member<'_>> = parallel
                    .branches
                    .iter()
                    .map(Member::Branch)
                    .chain(parallel.body.settings.iter().map(Member::Setting))
                    .chain(parallel.body.transitions.iter().map(Member::Transition))
                    .collect();
                let block = self.member_block(members, state.name.span.end, state.span.end);
                concat(vec![text(" "), block])
            }
            StateKind::Map(map) => {
                let call = self.call(&map.call);
                let var = self.ident(&map.var);
                let iter = self.expr(&map.iter);
                let body = self.body(&map.body, map.iter.span.end, state.span.end);
                concat(vec![
                    text(" = "),
                    call,
                    text(" for "),
                    var,
                    text(" in "),
                    iter,
                    body,
                ])
            }
            StateKind::Succeed(value) | StateKind::Fail(value) => {
                concat(vec![text(" = "), self.expr(value)])
            }
        };
        concat(vec![head, rest])
    }

    /// The block of a step or map state, left out when it is empty: a state
    /// without a block has an empty one.
    fn body(&mut self, body: &StateBody, after: u32, end: u32) -> Doc {
        if body.settings.is_empty()
            && body.transitions.is_empty()
            && self.peek_before(end).is_none()
        {
            return Doc::Nil;
        }
        let members: Vec<Member<'_>> = body
            .settings
            .iter()
            .map(Member::Setting)
            .chain(body.transitions.iter().map(Member::Transition))
            .collect();
        concat(vec![text(" "), self.member_block(members, after, end)])
    }

    fn branch(&mut self, branch: &Branch) -> Doc {
        let head = concat(vec![
            self.docs(branch.docs.as_ref()),
            self.own_lines_before(branch.span.start),
            text("branch "),
            self.ident(&branch.name),
            text(" = "),
            self.call(&branch.call),
        ]);
        if branch.settings.is_empty() && self.peek_before(branch.span.end).is_none() {
            return head;
        }
        let place = Place {
            open: Some(self.find_byte(branch.call.span.end, b'{')),
            close: branch.span.end.saturating_sub(1),
        };
        let settings = self.settings(BRACES, place, &branch.settings);
        concat(vec![head, text(" "), settings])
    }

    /// A worker call with named arguments.
    fn call(&mut self, call: &Call) -> Doc {
        concat(vec![
            self.ident(&call.worker),
            self.args(call.worker.span.end, &call.args),
        ])
    }

    fn transition(&mut self, transition: &Transition) -> Doc {
        let mut out = vec![text(transition.outcome.keyword())];
        for (i, class) in transition.classes.iter().enumerate() {
            out.push(text(if i == 0 { " " } else { ", " }));
            out.push(self.ident(class));
        }
        if let Some(condition) = &transition.condition {
            out.push(text(" when "));
            out.push(self.expr(condition));
        }
        out.push(text(" "));
        out.push(self.comments_before(transition.target.span.start));
        out.push(text("-> "));
        out.push(text(transition.target.name.as_str()));
        concat(out)
    }
}
