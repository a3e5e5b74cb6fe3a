//! Workflows for unit tests: parsed from source text, or, for the huge
//! workflows of the scaling tests, built directly (the parser is slow in
//! debug builds).

use crate::syntax::ast::*;

/// The first workflow of `source`, which must parse without errors.
pub(crate) fn parse_workflow(source: &str) -> Workflow {
    let parsed = crate::syntax::parse(source);
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    parsed
        .file
        .items
        .into_iter()
        .find_map(|item| match item {
            Item::Workflow(workflow) => Some(workflow),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no workflow in {source}"))
}

/// A workflow built state by state. Every name gets a span of its own, in
/// the order the calls make them, so spans follow "source order".
pub(crate) struct Wf {
    next: u32,
    name: Ident,
    states: Vec<State>,
}

impl Wf {
    pub(crate) fn new(name: &str) -> Self {
        let mut wf = Wf {
            next: 0,
            name: Ident {
                name: Default::default(),
                span: Span::default(),
            },
            states: Vec::new(),
        };
        wf.name = wf.ident(name);
        wf
    }

    /// `step name = Worker() { on_success -> success  on_failure -> failure }`
    pub(crate) fn step(mut self, name: &str, success: &str, failure: &str) -> Self {
        let start = self.next;
        let name = self.ident(name);
        let worker = self.ident("Worker");
        let call = Call {
            span: worker.span,
            worker,
            args: Vec::new(),
        };
        let transitions = vec![
            self.clause(Outcome::Success, success),
            self.clause(Outcome::Failure, failure),
        ];
        let body = StateBody {
            settings: Vec::new(),
            transitions,
        };
        self.push_state(start, name, StateKind::Step(StepState { call, body }));
        self
    }

    /// Gives the last state `max_visits: 1`.
    pub(crate) fn max_visits(mut self) -> Self {
        let name = self.ident("max_visits");
        let value = self.ident("1").span;
        let setting = Setting {
            span: name.span.to(value),
            name,
            value: Expr {
                kind: ExprKind::Int(1),
                span: value,
            },
        };
        if let Some(StateKind::Step(step)) = self.states.last_mut().map(|s| &mut s.kind) {
            step.body.settings.push(setting);
        }
        self
    }

    pub(crate) fn succeed(mut self, name: &str) -> Self {
        let start = self.next;
        let name = self.ident(name);
        let value = self.string();
        self.push_state(start, name, StateKind::Succeed(value));
        self
    }

    pub(crate) fn fail(mut self, name: &str) -> Self {
        let start = self.next;
        let name = self.ident(name);
        let value = self.string();
        self.push_state(start, name, StateKind::Fail(value));
        self
    }

    pub(crate) fn build(self) -> Workflow {
        let span = Span::new(0, self.next);
        Workflow {
            docs: None,
            name: self.name,
            params: Vec::new(),
            output: TypeExpr {
                kind: TypeExprKind::Builtin(BuiltinType::String),
                span,
            },
            settings: Vec::new(),
            states: self.states,
            span,
        }
    }

    fn push_state(&mut self, start: u32, name: Ident, kind: StateKind) {
        self.states.push(State {
            docs: None,
            name,
            kind,
            span: Span::new(start, self.next),
        });
    }

    fn ident(&mut self, name: &str) -> Ident {
        let start = self.next;
        self.next += name.len() as u32 + 1;
        Ident {
            name: name.into(),
            span: Span::new(start, start + name.len() as u32),
        }
    }

    fn clause(&mut self, outcome: Outcome, target: &str) -> Transition {
        let keyword = self.ident(outcome.keyword()).span;
        let target = self.ident(target);
        Transition {
            outcome,
            keyword,
            classes: Vec::new(),
            condition: None,
            span: keyword.to(target.span),
            target,
        }
    }

    fn string(&mut self) -> Expr {
        let span = self.ident("\"text\"").span;
        let text = StringLit {
            parts: vec![StringPart::Text("text".to_string())],
            triple: false,
            span,
        };
        Expr {
            kind: ExprKind::String(text),
            span,
        }
    }
}
