//! Type expressions to types: names of `type` definitions are looked up,
//! definitions are resolved once, and aliases that are defined through
//! themselves are reported. Recursion through a record field or a list
//! element is allowed (`type Tree { children: [Tree] }`); any other path back
//! to the definition (`type A = B?`, `type B = A`) has no end and is an error.

use miette::LabeledSpan;

use super::arena::{DefId, Field, TyId, Types};
use super::symbols::Sym;
use crate::check::analysis::{RefKind, Tables};
use crate::check::error::CheckError;
use crate::check::items::{ItemRef, ItemTable, wrong_kind_help};
use crate::check::suggest;
use crate::syntax::ast::{self, BuiltinType, Span, TypeExpr, TypeExprKind};

const BUILTIN_NAMES: [&str; 5] = ["string", "number", "int", "bool", "json"];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DefState {
    Unresolved,
    InProgress,
    /// Part of an alias cycle, which was reported once.
    Cyclic,
    Done(TyId),
}

#[derive(Clone, Copy, Debug)]
enum Frame {
    /// A definition being resolved, entered through the reference at `via`
    /// (none for the definition itself).
    Def { def: DefId, via: Option<Span> },
    /// Inside a record field or a list element.
    Constructor,
}

/// Resolves type expressions of one file.
pub(crate) struct Resolver {
    state: Vec<DefState>,
    stack: Vec<Frame>,
}

/// What one resolution needs to borrow.
pub(crate) struct ResolveCx<'r, 'a> {
    pub(crate) types: &'r mut Types,
    pub(crate) items: &'r ItemTable<'a>,
    pub(crate) out: &'r mut Vec<CheckError>,
    pub(crate) tables: &'r mut Tables,
}

impl Resolver {
    /// Declares the `type` definitions of the file in the arena.
    pub(crate) fn new(types: &mut Types, items: &ItemTable<'_>) -> Self {
        types.declare_defs(items.types.iter().map(|t| t.name.as_str()));
        Resolver {
            state: vec![DefState::Unresolved; items.types.len()],
            stack: Vec::new(),
        }
    }

    /// Resolves every `type` definition, in source order, reporting unknown
    /// names, alias cycles and repeated fields.
    pub(crate) fn resolve_defs(&mut self, cx: &mut ResolveCx<'_, '_>) {
        for at in 0..self.state.len() {
            if self.state[at] == DefState::Unresolved {
                self.def(DefId(at as u32), None, cx);
            }
        }
    }

    /// Resolves a type expression outside the definitions (a parameter or an
    /// output type). Call after [`Resolver::resolve_defs`].
    pub(crate) fn resolve(&mut self, te: &TypeExpr, cx: &mut ResolveCx<'_, '_>) -> TyId {
        self.expr(te, None, cx)
    }

    fn def(&mut self, def: DefId, via: Option<Span>, cx: &mut ResolveCx<'_, '_>) -> TyId {
        let td: &ast::TypeDef = cx.items.types[def.0 as usize];
        self.state[def.0 as usize] = DefState::InProgress;
        self.stack.push(Frame::Def { def, via });
        let name = cx.types.syms.intern(td.name.as_str());
        let mut ty = self.expr(&td.ty, Some(name), cx);
        self.stack.pop();
        if self.state[def.0 as usize] == DefState::Cyclic {
            ty = TyId::ERROR;
        }
        self.state[def.0 as usize] = DefState::Done(ty);
        cx.types.set_def(def, ty);
        cx.tables.def_type(td.name.span, ty);
        ty
    }

    /// `name` is the name of the definition whose body this is, given to a
    /// record body so that messages can call the record by its name.
    fn expr(&mut self, te: &TypeExpr, name: Option<Sym>, cx: &mut ResolveCx<'_, '_>) -> TyId {
        match &te.kind {
            TypeExprKind::Builtin(b) => builtin(*b),
            TypeExprKind::Named(ident) => self.named(ident, cx),
            TypeExprKind::List(elem) => {
                self.stack.push(Frame::Constructor);
                let elem = self.expr(elem, None, cx);
                self.stack.pop();
                cx.types.list(elem)
            }
            TypeExprKind::Optional(inner) => {
                let inner = self.expr(inner, None, cx);
                cx.types.optional(inner)
            }
            TypeExprKind::Union(literals) => {
                let members = literals
                    .iter()
                    .filter_map(|lit| lit.as_plain())
                    .map(|text| cx.types.syms.intern(&text))
                    .collect();
                cx.types.union(members)
            }
            TypeExprKind::Record(defs) => {
                self.stack.push(Frame::Constructor);
                let (fields, decls) = self.fields(defs, cx);
                self.stack.pop();
                cx.types.declared_record(name, fields, decls)
            }
        }
    }

    /// The fields, and the span of each one's declaration.
    fn fields(
        &mut self,
        defs: &[ast::FieldDef],
        cx: &mut ResolveCx<'_, '_>,
    ) -> (Vec<Field>, Vec<Span>) {
        let mut fields = Vec::with_capacity(defs.len());
        let mut decls = Vec::with_capacity(defs.len());
        let mut first: rustc_hash::FxHashMap<&str, Span> =
            rustc_hash::FxHashMap::with_capacity_and_hasher(defs.len(), Default::default());
        for def in defs {
            let ty = self.expr(&def.ty, None, cx);
            if let Some(&earlier) = first.get(def.name.as_str()) {
                cx.out.push(CheckError::DuplicateField {
                    name: def.name.name.to_string(),
                    span: def.name.span,
                    first: earlier,
                });
                continue;
            }
            first.insert(def.name.as_str(), def.name.span);
            cx.tables.def_type(def.name.span, ty);
            fields.push(Field {
                name: cx.types.syms.intern(def.name.as_str()),
                ty,
                optional: def.optional,
            });
            decls.push(def.span);
        }
        (fields, decls)
    }

    fn named(&mut self, ident: &ast::Ident, cx: &mut ResolveCx<'_, '_>) -> TyId {
        let found = cx.items.lookup(ident.as_str());
        if let Some(item) = found {
            cx.items.record(cx.tables, ident, item, RefKind::Type);
        }
        let def = match found {
            Some(ItemRef::Type(def)) => def,
            Some(other) => {
                cx.out.push(CheckError::UnknownType {
                    name: ident.name.to_string(),
                    span: ident.span,
                    suggestion: None,
                    help: wrong_kind_help(ident.as_str(), other, "type"),
                });
                return TyId::ERROR;
            }
            None => {
                let candidates = cx
                    .items
                    .names_of(|r| matches!(r, ItemRef::Type(_)))
                    .chain(BUILTIN_NAMES);
                let suggestion = suggest::suggest(ident.as_str(), ident.span, candidates);
                let help = suggest::help(
                    &suggestion,
                    format!(
                        "define it with `type {} {{ ... }}`, or use a built-in type: string, number, int, bool, json",
                        ident.name
                    ),
                );
                cx.out.push(CheckError::UnknownType {
                    name: ident.name.to_string(),
                    span: ident.span,
                    suggestion,
                    help,
                });
                return TyId::ERROR;
            }
        };
        match self.state[def.0 as usize] {
            DefState::Done(ty) => ty,
            DefState::Cyclic => TyId::ERROR,
            DefState::Unresolved => self.def(def, Some(ident.span), cx),
            DefState::InProgress => self.back_reference(def, ident, cx),
        }
    }

    /// A reference to a definition that is being resolved: fine when a
    /// record or list stands in between, a cycle otherwise.
    fn back_reference(
        &mut self,
        def: DefId,
        ident: &ast::Ident,
        cx: &mut ResolveCx<'_, '_>,
    ) -> TyId {
        let Some(start) = self
            .stack
            .iter()
            .rposition(|f| matches!(f, Frame::Def { def: d, .. } if *d == def))
        else {
            return TyId::ERROR;
        };
        let frames = &self.stack[start + 1..];
        if frames.iter().any(|f| matches!(f, Frame::Constructor)) {
            return cx.types.def_ref(def);
        }
        // Each definition on the cycle is entered through a reference in
        // the body of the one before it; the last reference closes it.
        let mut path = Vec::new();
        let mut members = vec![def];
        for frame in frames {
            if let Frame::Def {
                def: d,
                via: Some(span),
            } = *frame
            {
                path.push(LabeledSpan::new_with_span(
                    Some(format!("through `{}`", cx.types.def_name(d))),
                    span,
                ));
                members.push(d);
            }
        }
        path.push(LabeledSpan::new_with_span(
            Some(format!("back to `{}`", ident.name)),
            ident.span,
        ));
        for member in members {
            self.state[member.0 as usize] = DefState::Cyclic;
        }
        let td = cx.items.types[def.0 as usize];
        cx.out.push(CheckError::CyclicType {
            name: td.name.name.to_string(),
            span: td.name.span,
            path,
        });
        TyId::ERROR
    }
}

fn builtin(b: BuiltinType) -> TyId {
    match b {
        BuiltinType::String => TyId::STRING,
        BuiltinType::Number => TyId::NUMBER,
        BuiltinType::Int => TyId::INT,
        BuiltinType::Bool => TyId::BOOL,
        BuiltinType::Json => TyId::JSON,
    }
}
