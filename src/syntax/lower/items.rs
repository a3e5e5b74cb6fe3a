//! Items, types and states.

use pest::iterators::{Pair, Pairs};

use super::super::ast::*;
use super::super::parser::Rule;
use super::Lowerer;

impl Lowerer<'_> {
    /// Lowers one `next_item` pair: doc comments, then the item.
    pub(super) fn next_item(&self, pair: Pair<'_, Rule>, items: &mut Vec<Item>) {
        let mut docs = None;
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::docs => docs = Some(self.docs(pair)),
                _ => items.push(self.item(pair, docs.take())),
            }
        }
    }

    pub(super) fn docs(&self, pair: Pair<'_, Rule>) -> Docs {
        let span = self.span(&pair);
        let mut text = String::new();
        for (i, line) in pair.into_inner().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            let line = &line.as_str()[3..];
            // `/// text`: the one space after the marker is not part of the text.
            text.push_str(line.strip_prefix(' ').unwrap_or(line).trim_end());
        }
        Docs { text, span }
    }

    fn item(&self, pair: Pair<'_, Rule>, docs: Option<Docs>) -> Item {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        next(&mut inner); // the keyword
        match rule {
            Rule::import => {
                let path = self.string_lit(next(&mut inner));
                self.plain(
                    &path,
                    "an import path",
                    "write the path as a plain string, such as `\"common/workers.flow\"`",
                );
                Item::Import(Import { docs, path, span })
            }
            Rule::type_def => {
                let name = self.binding(next(&mut inner), "a type name");
                let body = next(&mut inner);
                let (ty, alias) = match body.as_rule() {
                    Rule::alias => (self.type_expr(next(&mut body.into_inner())), true),
                    _ => (self.record_type(body), false),
                };
                Item::Type(TypeDef {
                    docs,
                    name,
                    ty,
                    alias,
                    span,
                })
            }
            Rule::worker => {
                let name = self.binding(next(&mut inner), "a worker name");
                let params = self.params(next(&mut inner));
                let output = self.type_expr(next(&mut inner));
                let (executors, settings) = self.members(inner);
                Item::Worker(Worker {
                    docs,
                    name,
                    params,
                    output,
                    executors,
                    settings,
                    span,
                })
            }
            Rule::transformer => {
                let name = self.binding(next(&mut inner), "a transformer name");
                let params = self.params(next(&mut inner));
                let output = self.type_expr(next(&mut inner));
                let body = next(&mut inner);
                let body = match body.as_rule() {
                    Rule::pure_body => {
                        TransformerBody::Pure(self.top_expr(next(&mut body.into_inner())))
                    }
                    _ => {
                        let (executors, settings) = self.members(body.into_inner());
                        TransformerBody::External {
                            executors,
                            settings,
                        }
                    }
                };
                Item::Transformer(Transformer {
                    docs,
                    name,
                    params,
                    output,
                    body,
                    span,
                })
            }
            _ => {
                let (name, params, output) = self.workflow_signature(&mut inner);
                let mut workflow = Workflow {
                    docs,
                    name,
                    params,
                    output,
                    settings: Vec::new(),
                    states: Vec::new(),
                    span,
                };
                let mut docs_for_state = None;
                for pair in inner {
                    self.workflow_member(pair, &mut docs_for_state, &mut workflow);
                }
                Item::Workflow(workflow)
            }
        }
    }

    fn workflow_signature(&self, inner: &mut Pairs<'_, Rule>) -> (Ident, Vec<Param>, TypeExpr) {
        let name = self.binding(next(inner), "a workflow name");
        let params = self.params(next(inner));
        let output = self.type_expr(next(inner));
        (name, params, output)
    }

    fn workflow_member(
        &self,
        pair: Pair<'_, Rule>,
        docs: &mut Option<Docs>,
        workflow: &mut Workflow,
    ) {
        match pair.as_rule() {
            Rule::docs => *docs = Some(self.docs(pair)),
            Rule::setting => workflow.settings.push(self.setting(pair)),
            _ => workflow.states.push(self.state(pair, docs.take())),
        }
    }

    /// A `workflow_head` pair: the workflow without its states yet, its span
    /// ending at its output type until the closing brace is read.
    pub(super) fn workflow_head(&self, pair: Pair<'_, Rule>) -> Workflow {
        let mut docs = None;
        let mut inner = pair.into_inner();
        let mut keyword = next(&mut inner);
        if keyword.as_rule() == Rule::docs {
            docs = Some(self.docs(keyword));
            keyword = next(&mut inner);
        }
        let start = self.span(&keyword);
        let (name, params, output) = self.workflow_signature(&mut inner);
        Workflow {
            docs,
            span: start.to(output.span),
            name,
            params,
            output,
            settings: Vec::new(),
            states: Vec::new(),
        }
    }

    /// A `workflow_part` pair: adds its states and settings to `workflow`,
    /// or closes it, extending its span to the closing brace. True when
    /// closed.
    pub(super) fn workflow_part(&self, pair: Pair<'_, Rule>, workflow: &mut Workflow) -> bool {
        let mut docs = None;
        for pair in pair.into_inner() {
            if pair.as_rule() == Rule::workflow_end {
                workflow.span = workflow.span.to(self.span(&pair));
                return true;
            }
            self.workflow_member(pair, &mut docs, workflow);
        }
        false
    }

    fn members(&self, pairs: Pairs<'_, Rule>) -> (Vec<Executor>, Vec<Setting>) {
        let mut executors = Vec::new();
        let mut settings = Vec::new();
        for pair in pairs {
            match pair.as_rule() {
                Rule::executor => {
                    let span = self.span(&pair);
                    let mut inner = pair.into_inner();
                    let kind = self.ident(next(&mut inner));
                    let settings = inner.map(|p| self.setting(p)).collect();
                    executors.push(Executor {
                        kind,
                        settings,
                        span,
                    });
                }
                _ => settings.push(self.setting(pair)),
            }
        }
        (executors, settings)
    }

    pub(super) fn setting(&self, pair: Pair<'_, Rule>) -> Setting {
        let span = self.span(&pair);
        let text = pair.as_str();
        let mut inner = pair.into_inner();
        let name = self.ident(next(&mut inner));
        let value = self.top_expr(next(&mut inner));
        self.transition_as_setting(&name, &value, span.start as usize, text);
        Setting { name, value, span }
    }

    fn params(&self, pair: Pair<'_, Rule>) -> Vec<Param> {
        let mut params = Vec::new();
        let mut docs = None;
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::docs => docs = Some(self.docs(pair)),
                _ => {
                    let span = self.span(&pair);
                    let mut inner = pair.into_inner();
                    let name = self.parameter(next(&mut inner));
                    let ty = self.type_expr(next(&mut inner));
                    params.push(Param {
                        docs: docs.take(),
                        name,
                        ty,
                        span,
                    });
                }
            }
        }
        params
    }

    // --------------------------------------------------------------- types

    pub(super) fn type_expr(&self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let atom = next(&mut inner);
        let atom_span = self.span(&atom);
        let kind = match atom.as_rule() {
            Rule::list_type => {
                TypeExprKind::List(Box::new(self.type_expr(next(&mut atom.into_inner()))))
            }
            Rule::record_type => self.record_type(atom).kind,
            Rule::paren_type => self.type_expr(next(&mut atom.into_inner())).kind,
            Rule::union_type => TypeExprKind::Union(
                atom.into_inner()
                    .map(|s| {
                        let lit = self.string_lit(s);
                        self.plain(&lit, "a literal type", "a literal type is one fixed string, such as `\"approve\"`; use `string` for any string");
                        lit
                    })
                    .collect(),
            ),
            _ => match BuiltinType::from_name(atom.as_str()) {
                Some(builtin) => TypeExprKind::Builtin(builtin),
                None => TypeExprKind::Named(self.binding(atom, "a type name")),
            },
        };
        let mut ty = TypeExpr {
            kind,
            span: atom_span,
        };
        // `T??` means the same as `T?`.
        if let Some(question) = inner.next() {
            ty = TypeExpr {
                kind: TypeExprKind::Optional(Box::new(ty)),
                span: atom_span.to(self.span(&question)),
            };
        }
        TypeExpr { span, ..ty }
    }

    fn record_type(&self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut fields = Vec::new();
        let mut docs = None;
        for pair in pair.into_inner() {
            match pair.as_rule() {
                Rule::docs => docs = Some(self.docs(pair)),
                _ => {
                    let field_span = self.span(&pair);
                    let mut inner = pair.into_inner();
                    let name = self.key(next(&mut inner));
                    let mut optional = false;
                    let mut ty = next(&mut inner);
                    if ty.as_rule() == Rule::question {
                        optional = true;
                        ty = next(&mut inner);
                    }
                    fields.push(FieldDef {
                        docs: docs.take(),
                        name,
                        optional,
                        ty: self.type_expr(ty),
                        span: field_span,
                    });
                }
            }
        }
        TypeExpr {
            kind: TypeExprKind::Record(fields),
            span,
        }
    }

    /// Reports a string that must be fixed text but is interpolated.
    fn plain(&self, lit: &StringLit, place: &'static str, help: &'static str) {
        if lit.as_plain().is_none() {
            self.error(super::super::SyntaxError::InterpolationNotAllowed {
                place,
                span: lit.span,
                help,
            });
        }
    }

    /// A record key: a name, or a plain quoted string stored unquoted.
    pub(super) fn key(&self, pair: Pair<'_, Rule>) -> Ident {
        match pair.as_rule() {
            Rule::ident => self.ident(pair),
            _ => {
                let lit = self.string_lit(pair);
                let name = match lit.as_plain() {
                    Some(name) => name,
                    None => {
                        self.error(super::super::SyntaxError::InterpolationNotAllowed {
                            place: "a record key",
                            span: lit.span,
                            help: "keys are fixed names: write the key as a name or a plain string such as `\"b c\"`, and put what varies in the value",
                        });
                        String::new()
                    }
                };
                Ident {
                    name: name.into(),
                    span: lit.span,
                }
            }
        }
    }

    // -------------------------------------------------------------- states

    fn state(&self, pair: Pair<'_, Rule>, docs: Option<Docs>) -> State {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        next(&mut inner); // the keyword
        let name = self.binding(next(&mut inner), "a state name");
        let kind = match rule {
            Rule::step => {
                let call = self.call(next(&mut inner));
                let body = self.state_body(inner.next());
                StateKind::Step(StepState { call, body })
            }
            Rule::parallel => {
                let mut branches = Vec::new();
                let mut body = StateBody::default();
                let mut docs = None;
                for pair in inner {
                    match pair.as_rule() {
                        Rule::docs => docs = Some(self.docs(pair)),
                        Rule::branch => branches.push(self.branch(pair, docs.take())),
                        Rule::transition => body.transitions.push(self.transition(pair)),
                        _ => body.settings.push(self.setting(pair)),
                    }
                }
                StateKind::Parallel(ParallelState { branches, body })
            }
            Rule::map => {
                let call = self.call(next(&mut inner));
                next(&mut inner); // `for`
                let var = self.binding(next(&mut inner), "a loop variable");
                next(&mut inner); // `in`
                let iter = self.top_expr(next(&mut inner));
                let body = self.state_body(inner.next());
                StateKind::Map(MapState {
                    call,
                    var,
                    iter,
                    body,
                })
            }
            Rule::succeed => StateKind::Succeed(self.top_expr(next(&mut inner))),
            _ => StateKind::Fail(self.top_expr(next(&mut inner))),
        };
        State {
            docs,
            name,
            kind,
            span,
        }
    }

    fn branch(&self, pair: Pair<'_, Rule>, docs: Option<Docs>) -> Branch {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        next(&mut inner); // `branch`
        let name = self.binding(next(&mut inner), "a branch name");
        let call = self.call(next(&mut inner));
        let settings = inner.map(|p| self.setting(p)).collect();
        Branch {
            docs,
            name,
            call,
            settings,
            span,
        }
    }

    fn state_body(&self, pair: Option<Pair<'_, Rule>>) -> StateBody {
        let mut body = StateBody::default();
        for pair in pair.into_iter().flat_map(|p| p.into_inner()) {
            match pair.as_rule() {
                Rule::transition => body.transitions.push(self.transition(pair)),
                _ => body.settings.push(self.setting(pair)),
            }
        }
        body
    }

    fn call(&self, pair: Pair<'_, Rule>) -> Call {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let worker = self.binding(next(&mut inner), "a worker name");
        let args = self.args(next(&mut inner));
        Call { worker, args, span }
    }

    fn transition(&self, pair: Pair<'_, Rule>) -> Transition {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let keyword_pair = next(&mut inner);
        let keyword = self.span(&keyword_pair);
        let outcome = match keyword_pair.as_rule() {
            Rule::on_success => Outcome::Success,
            _ => Outcome::Failure,
        };
        let mut classes = Vec::new();
        let mut condition = None;
        let mut target = None;
        for pair in inner {
            match pair.as_rule() {
                Rule::classes => classes = pair.into_inner().map(|p| self.ident(p)).collect(),
                Rule::when => {
                    let mut inner = pair.into_inner();
                    next(&mut inner); // `when`
                    condition = Some(self.top_expr(next(&mut inner)));
                }
                _ => target = Some(self.binding(pair, "a state name")),
            }
        }
        Transition {
            outcome,
            keyword,
            classes,
            condition,
            target: target.unwrap_or_else(|| Ident {
                name: CompactString::default(),
                span,
            }),
            span,
        }
    }
}

/// The next child of a pair whose shape the grammar guarantees.
///
/// The grammar makes these children mandatory: a missing one would be a bug
/// in the grammar or in this module, never a property of the user's input.
pub(super) fn next<'i>(pairs: &mut Pairs<'i, Rule>) -> Pair<'i, Rule> {
    match pairs.next() {
        Some(pair) => pair,
        None => unreachable!("the grammar guarantees this child"),
    }
}
