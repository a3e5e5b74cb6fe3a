//! Every definition of a file, collected from its syntax tree in source
//! order: items, their parameters, the fields of the record types written
//! anywhere, states, branches and loop variables.

use super::{Def, DefKind, StateKeyword, SymbolId};
use crate::syntax::ast::{self, TypeExpr, TypeExprKind};

pub(super) fn collect(file: &ast::File) -> Vec<Def> {
    let mut defs = Defs { list: Vec::new() };
    for item in &file.items {
        match item {
            ast::Item::Import(_) => {}
            ast::Item::Type(t) => {
                let id = defs.push(DefKind::Type, &t.name, t.span, &t.docs, None);
                defs.type_expr(&t.ty, id);
            }
            ast::Item::Worker(w) => {
                let id = defs.push(DefKind::Worker, &w.name, w.span, &w.docs, None);
                defs.params(&w.params, id);
                defs.type_expr(&w.output, id);
            }
            ast::Item::Transformer(t) => {
                let id = defs.push(DefKind::Transformer, &t.name, t.span, &t.docs, None);
                defs.params(&t.params, id);
                defs.type_expr(&t.output, id);
            }
            ast::Item::Workflow(w) => {
                let id = defs.push(DefKind::Workflow, &w.name, w.span, &w.docs, None);
                defs.params(&w.params, id);
                defs.type_expr(&w.output, id);
                for state in &w.states {
                    defs.state(state, id);
                }
            }
        }
    }
    defs.list
}

struct Defs {
    list: Vec<Def>,
}

impl Defs {
    fn push(
        &mut self,
        kind: DefKind,
        name: &ast::Ident,
        span: ast::Span,
        docs: &Option<ast::Docs>,
        parent: Option<SymbolId>,
    ) -> SymbolId {
        let id = SymbolId(self.list.len() as u32);
        self.list.push(Def {
            kind,
            name: name.name.to_string(),
            name_span: name.span,
            span,
            docs: docs.as_ref().map(|d| d.text.clone()),
            parent,
            ty: None,
        });
        id
    }

    fn params(&mut self, params: &[ast::Param], owner: SymbolId) {
        for p in params {
            let id = self.push(DefKind::Parameter, &p.name, p.span, &p.docs, Some(owner));
            self.type_expr(&p.ty, id);
        }
    }

    /// The fields of the record types inside a type expression. Nesting is
    /// bounded by the parser, so the recursion is too.
    fn type_expr(&mut self, te: &TypeExpr, owner: SymbolId) {
        match &te.kind {
            TypeExprKind::Builtin(_) | TypeExprKind::Named(_) | TypeExprKind::Union(_) => {}
            TypeExprKind::List(inner) | TypeExprKind::Optional(inner) => {
                self.type_expr(inner, owner)
            }
            TypeExprKind::Record(fields) => {
                for f in fields {
                    let id = self.push(DefKind::Field, &f.name, f.span, &f.docs, Some(owner));
                    self.type_expr(&f.ty, id);
                }
            }
        }
    }

    fn state(&mut self, state: &ast::State, workflow: SymbolId) {
        let keyword = match &state.kind {
            ast::StateKind::Step(_) => StateKeyword::Step,
            ast::StateKind::Parallel(_) => StateKeyword::Parallel,
            ast::StateKind::Map(_) => StateKeyword::Map,
            ast::StateKind::Succeed(_) => StateKeyword::Succeed,
            ast::StateKind::Fail(_) => StateKeyword::Fail,
        };
        let id = self.push(
            DefKind::State(keyword),
            &state.name,
            state.span,
            &state.docs,
            Some(workflow),
        );
        match &state.kind {
            ast::StateKind::Parallel(parallel) => {
                for b in &parallel.branches {
                    self.push(DefKind::Branch, &b.name, b.span, &b.docs, Some(id));
                }
            }
            ast::StateKind::Map(map) => {
                self.push(DefKind::MapVar, &map.var, map.var.span, &None, Some(id));
            }
            _ => {}
        }
    }
}
