//! The analysis of a file: one owned value with everything the checker
//! knows about it, for tools that keep it (the language server).
//!
//! [`Analysis`] holds the problems and the program of [`super::check_program`],
//! every definition ([`Def`], by [`SymbolId`]), every use of a name resolved
//! to its definition ([`Ref`]), the type of every expression the checker
//! typed ([`ExprType`]) and the types themselves ([`TypeTable`]). The
//! tables are what the passes recorded as they checked ([`Tables`]): the
//! scopes report what each name resolved to, and the program builder reads
//! the same resolutions.
//!
//! Offsets are byte offsets into the source, as in every [`Span`].

mod defs;
mod tables;
#[cfg(test)]
mod tests;

use rustc_hash::FxHashMap as HashMap;

pub(crate) use tables::{Res, Tables};

use super::CheckError;
use super::types::{Ty, TyId, Types};
use crate::ir;
use crate::syntax::ast::{self, Span};

/// A definition of the file: an index into [`Analysis::defs`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct SymbolId(u32);

impl SymbolId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a definition defines.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DefKind {
    Type,
    Worker,
    Transformer,
    Workflow,
    /// A parameter of a worker, transformer or workflow (its parent).
    Parameter,
    /// A field of a record type written in the source.
    Field,
    State(StateKeyword),
    /// A branch of a `parallel` state (its parent).
    Branch,
    /// The loop variable of a `map` state (its parent).
    MapVar,
}

impl DefKind {
    /// The word for it in a sentence: "worker", "step state", "parameter".
    pub fn describe(self) -> &'static str {
        match self {
            DefKind::Type => "type",
            DefKind::Worker => "worker",
            DefKind::Transformer => "transformer",
            DefKind::Workflow => "workflow",
            DefKind::Parameter => "parameter",
            DefKind::Field => "field",
            DefKind::State(StateKeyword::Step) => "step state",
            DefKind::State(StateKeyword::Parallel) => "parallel state",
            DefKind::State(StateKeyword::Map) => "map state",
            DefKind::State(StateKeyword::Succeed) => "succeed state",
            DefKind::State(StateKeyword::Fail) => "fail state",
            DefKind::Branch => "branch",
            DefKind::MapVar => "loop variable",
        }
    }

    /// A type, worker, transformer or workflow: a name of the file's one
    /// namespace of items.
    pub fn is_item(self) -> bool {
        matches!(
            self,
            DefKind::Type | DefKind::Worker | DefKind::Transformer | DefKind::Workflow
        )
    }
}

/// The keyword of a state.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum StateKeyword {
    Step,
    Parallel,
    Map,
    Succeed,
    Fail,
}

impl StateKeyword {
    pub fn keyword(self) -> &'static str {
        match self {
            StateKeyword::Step => "step",
            StateKeyword::Parallel => "parallel",
            StateKeyword::Map => "map",
            StateKeyword::Succeed => "succeed",
            StateKeyword::Fail => "fail",
        }
    }
}

/// One definition.
#[derive(Clone, Debug)]
pub struct Def {
    pub kind: DefKind,
    pub name: String,
    /// The name where it is defined.
    pub name_span: Span,
    /// The whole definition.
    pub span: Span,
    /// The `///` comment before it.
    pub docs: Option<String>,
    /// The definition it belongs to: a parameter's worker, transformer or
    /// workflow; a state's workflow; a branch's or loop variable's state; a
    /// field's type, parameter, item or enclosing field.
    pub parent: Option<SymbolId>,
    /// Its type: a parameter's or field's declared type, a state's,
    /// branch's or loop variable's value, a `type`'s definition, the
    /// declared output of a worker, transformer or workflow. `None` for a
    /// `succeed` or `fail` state, and where checking did not get that far.
    pub ty: Option<TypeRef>,
}

impl Def {
    pub fn is_state(&self) -> bool {
        matches!(self.kind, DefKind::State(_))
    }
}

/// How a name is used.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RefKind {
    /// A named type in a type expression.
    Type,
    /// The worker of a `step`, `branch` or `map`, or a transformer called
    /// in an expression.
    Call,
    /// A transformer named by `before:` or `after:`.
    Hook,
    /// The target of a transition: `-> state`.
    Target,
    /// The `start:` state of a workflow.
    Start,
    /// A parameter, state value or loop variable in an expression.
    Name,
    /// A field after `.` or `?.`, in a string index, or a key of a record
    /// literal where a record type is expected.
    Field,
    /// The name of a named argument: the parameter it is given for.
    Argument,
}

/// A use of a name, resolved.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ref {
    /// The name as written.
    pub span: Span,
    pub target: SymbolId,
    pub kind: RefKind,
}

/// The type of one expression.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ExprType {
    pub span: Span,
    pub ty: TypeRef,
}

/// A type of the analysis, to ask [`Analysis::render`] and
/// [`Analysis::fields`] about.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TypeRef(TyId);

/// The types of the analysis.
#[derive(Debug)]
pub struct TypeTable {
    types: Types,
}

impl TypeTable {
    /// The type as it is written in source: `[string]`, `Review?`,
    /// `"approve" | "revise"`.
    pub fn render(&self, ty: TypeRef) -> String {
        self.types.render(ty.0)
    }

    /// Whether a value of the type may be null.
    pub fn is_optional(&self, ty: TypeRef) -> bool {
        self.types.is_nullable(ty.0)
    }

    /// The element type of a list (of the list inside an optional).
    pub fn element(&self, ty: TypeRef) -> Option<TypeRef> {
        let (inner, _) = self.types.strip_optional(ty.0);
        match self.types.get(inner) {
            Ty::List(elem) => Some(TypeRef(*elem)),
            _ => None,
        }
    }

    /// The members of a union of string literals.
    pub fn literals(&self, ty: TypeRef) -> Vec<String> {
        let (inner, _) = self.types.strip_optional(ty.0);
        match self.types.get(inner) {
            Ty::Union(members) => members
                .iter()
                .map(|m| self.types.syms.name(*m).to_string())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A field of a record type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    pub ty: TypeRef,
    /// Written `name?: T`.
    pub optional: bool,
    /// Where the field is declared: a field of a record type written in
    /// the source, or the branch of a `parallel` state's value.
    pub def: Option<SymbolId>,
}

/// The interface of a worker, transformer or workflow, for signature help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub params: Vec<SignatureParam>,
    /// The declared output type, rendered.
    pub output: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureParam {
    pub name: String,
    /// The type, rendered.
    pub ty: String,
    pub def: SymbolId,
    pub docs: Option<String>,
}

impl Signature {
    /// `Coder(spec: Spec, feedback: [string]) -> Code`.
    pub fn label(&self) -> String {
        self.label_with_ranges().0
    }

    /// The label and the byte range of each parameter in it.
    pub fn label_with_ranges(&self) -> (String, Vec<(usize, usize)>) {
        let mut label = format!("{}(", self.name);
        let mut ranges = Vec::with_capacity(self.params.len());
        for (at, p) in self.params.iter().enumerate() {
            if at > 0 {
                label.push_str(", ");
            }
            let start = label.len();
            label.push_str(&p.name);
            label.push_str(": ");
            label.push_str(&p.ty);
            ranges.push((start, label.len()));
        }
        label.push_str(") -> ");
        label.push_str(&self.output);
        (label, ranges)
    }
}

/// Everything the checker knows about one file.
#[derive(Debug)]
pub struct Analysis {
    /// Every problem, in source order, as [`super::check`] returns them.
    pub problems: Vec<CheckError>,
    /// The program, when no problem is an error.
    pub program: Option<ir::Program>,
    /// Every definition, by [`SymbolId`], in source order.
    pub defs: Vec<Def>,
    /// Every resolved use of a name, by position.
    pub refs: Vec<Ref>,
    /// The type of every expression the checker typed, by start and then
    /// from the outermost expression in.
    pub expr_types: Vec<ExprType>,
    pub types: TypeTable,
    /// Definitions by the span of their name (and fields by the span of
    /// their whole declaration, as record types keep it).
    by_span: HashMap<Span, SymbolId>,
}

impl Analysis {
    /// Puts the analysis together from what the checks recorded.
    pub(crate) fn new(
        file: &ast::File,
        tables: Tables,
        types: Types,
        problems: Vec<CheckError>,
        program: Option<ir::Program>,
    ) -> Self {
        let mut defs = defs::collect(file);
        let mut by_span = HashMap::with_capacity_and_hasher(defs.len() * 2, Default::default());
        for (at, def) in defs.iter().enumerate() {
            let id = SymbolId(at as u32);
            by_span.entry(def.name_span).or_insert(id);
            if def.kind == DefKind::Field {
                by_span.entry(def.span).or_insert(id);
            }
        }
        for &(span, ty) in &tables.def_types {
            if let Some(&id) = by_span.get(&span) {
                defs[id.index()].ty.get_or_insert(TypeRef(ty));
            }
        }
        let mut refs: Vec<Ref> = tables
            .uses()
            .iter()
            .filter_map(|u| {
                let target = *by_span.get(&u.def?)?;
                Some(Ref {
                    span: u.span,
                    target,
                    kind: u.kind,
                })
            })
            .collect();
        refs.sort_by_key(|r| r.span);
        let mut expr_types: Vec<ExprType> = tables
            .expr_types
            .iter()
            .map(|&(span, ty)| ExprType {
                span,
                ty: TypeRef(ty),
            })
            .collect();
        expr_types.sort_by_key(|e| (e.span.start, std::cmp::Reverse(e.span.end)));
        expr_types.dedup_by_key(|e| e.span);
        Analysis {
            problems,
            program,
            defs,
            refs,
            expr_types,
            types: TypeTable { types },
            by_span,
        }
    }

    pub fn def(&self, id: SymbolId) -> &Def {
        &self.defs[id.index()]
    }

    /// Every definition with its id.
    pub fn symbols(&self) -> impl Iterator<Item = (SymbolId, &Def)> {
        self.defs
            .iter()
            .enumerate()
            .map(|(at, d)| (SymbolId(at as u32), d))
    }

    /// The definition whose name, or a use of which, is under the byte
    /// offset, with the span of the name there; a name counts from its
    /// first byte to just after its last, so that a cursor at its end finds
    /// it.
    pub fn symbol_at(&self, offset: u32) -> Option<(SymbolId, Span)> {
        let covers = |span: Span| span.start <= offset && offset <= span.end;
        if let Some(r) = self.ref_at(offset) {
            return Some((r.target, r.span));
        }
        self.symbols()
            .filter(|(_, d)| covers(d.name_span))
            .min_by_key(|(_, d)| d.name_span.len())
            .map(|(id, d)| (id, d.name_span))
    }

    /// The use of a name under the byte offset.
    pub fn ref_at(&self, offset: u32) -> Option<&Ref> {
        // The refs are sorted and never overlap: the last that starts at or
        // before the offset is the only candidate.
        let after = self.refs.partition_point(|r| r.span.start <= offset);
        let r = self.refs.get(after.checked_sub(1)?)?;
        (offset <= r.span.end).then_some(r)
    }

    /// Every use of a definition, in source order.
    pub fn references(&self, id: SymbolId) -> impl Iterator<Item = &Ref> {
        self.refs.iter().filter(move |r| r.target == id)
    }

    /// The transitions (`-> state`) into a state: "who transitions here?".
    pub fn transitions_to(&self, state: SymbolId) -> impl Iterator<Item = &Ref> {
        self.references(state).filter(|r| r.kind == RefKind::Target)
    }

    /// The definitions that belong to `parent`, in source order.
    pub fn children(&self, parent: SymbolId) -> impl Iterator<Item = (SymbolId, &Def)> {
        self.symbols()
            .filter(move |(_, d)| d.parent == Some(parent))
    }

    /// The innermost definition of one of the kinds that `keep` accepts
    /// whose whole span holds the offset: the state or workflow a position
    /// is in.
    pub fn enclosing(
        &self,
        offset: u32,
        keep: impl Fn(DefKind) -> bool,
    ) -> Option<(SymbolId, &Def)> {
        self.symbols()
            .filter(|(_, d)| keep(d.kind) && d.span.start <= offset && offset <= d.span.end)
            .min_by_key(|(_, d)| d.span.len())
    }

    /// The items of the file (types, workers, transformers, workflows).
    pub fn items(&self) -> impl Iterator<Item = (SymbolId, &Def)> {
        self.symbols().filter(|(_, d)| d.kind.is_item())
    }

    /// The item called `name`: its first definition.
    pub fn item_named(&self, name: &str) -> Option<(SymbolId, &Def)> {
        self.items().find(|(_, d)| d.name == name)
    }

    /// The innermost typed expression under the byte offset.
    pub fn type_at(&self, offset: u32) -> Option<&ExprType> {
        self.expr_types
            .iter()
            .filter(|e| e.span.start <= offset && offset <= e.span.end)
            .min_by_key(|e| e.span.len())
    }

    /// The type as written in source.
    pub fn render(&self, ty: TypeRef) -> String {
        self.types.render(ty)
    }

    /// The fields of a record type (of the record inside an optional), in
    /// the order written; none for any other type.
    pub fn fields(&self, ty: TypeRef) -> Vec<FieldInfo> {
        let types = &self.types.types;
        let (inner, _) = types.strip_optional(ty.0);
        let Ty::Record(record) = types.get(inner) else {
            return Vec::new();
        };
        record
            .fields
            .iter()
            .map(|f| FieldInfo {
                name: types.syms.name(f.name).to_string(),
                ty: TypeRef(f.ty),
                optional: f.optional,
                def: record
                    .declared(f.name)
                    .and_then(|span| self.by_span.get(&span).copied()),
            })
            .collect()
    }

    /// The fields available after a `.` or `?.` written right after the
    /// expression that ends at `end` (the offset of the `.`, or of the `?`
    /// of `?.`): those of the type of the outermost expression that ends
    /// there.
    pub fn fields_after(&self, end: u32) -> Vec<FieldInfo> {
        let found = self
            .expr_types
            .iter()
            .filter(|e| e.span.end == end)
            .max_by_key(|e| e.span.len());
        match found {
            Some(e) => self.fields(e.ty),
            None => Vec::new(),
        }
    }

    /// The fields at the end of a path of names written before a `.`,
    /// `step.field.` as text, for a document that does not parse where the
    /// cursor is: the first name is looked up among the loop variables,
    /// parameters and states of the workflow (or the parameters of the
    /// worker or transformer) around `offset`, the rest as fields.
    pub fn fields_of_path(&self, offset: u32, path: &[&str]) -> Vec<FieldInfo> {
        let Some((root, rest)) = path.split_first() else {
            return Vec::new();
        };
        let Some(mut ty) = self
            .name_in_scope(offset, root)
            .and_then(|id| self.def(id).ty)
        else {
            return Vec::new();
        };
        for name in rest {
            match self.fields(ty).into_iter().find(|f| f.name == *name) {
                Some(field) => ty = field.ty,
                None => return Vec::new(),
            }
        }
        self.fields(ty)
    }

    /// The definition a name in an expression around `offset` stands for,
    /// looked up by name as the checker's scopes would: the loop variable
    /// of the map state around it, the parameters, the states.
    pub fn name_in_scope(&self, offset: u32, name: &str) -> Option<SymbolId> {
        let (owner, _) = self.enclosing(offset, |k| {
            matches!(
                k,
                DefKind::Workflow | DefKind::Worker | DefKind::Transformer
            )
        })?;
        if let Some((state, _)) = self.enclosing(offset, |k| k == DefKind::State(StateKeyword::Map))
        {
            if let Some((id, _)) = self
                .children(state)
                .find(|(_, d)| d.kind == DefKind::MapVar && d.name == name)
            {
                return Some(id);
            }
        }
        self.children(owner)
            .find(|(_, d)| {
                d.name == name && matches!(d.kind, DefKind::Parameter | DefKind::State(_))
            })
            .map(|(id, _)| id)
    }

    /// The value type of a state (a step's, map's or parallel state's), for
    /// inlay hints.
    pub fn state_value(&self, state: SymbolId) -> Option<TypeRef> {
        let def = self.def(state);
        if def.is_state() { def.ty } else { None }
    }

    /// The parameters and output of a worker, transformer or workflow.
    pub fn signature(&self, callable: SymbolId) -> Option<Signature> {
        let def = self.def(callable);
        if !matches!(
            def.kind,
            DefKind::Worker | DefKind::Transformer | DefKind::Workflow
        ) {
            return None;
        }
        let unknown = || "unknown".to_string();
        let params = self
            .children(callable)
            .filter(|(_, d)| d.kind == DefKind::Parameter)
            .map(|(id, d)| SignatureParam {
                name: d.name.clone(),
                ty: d.ty.map(|t| self.render(t)).unwrap_or_else(unknown),
                def: id,
                docs: d.docs.clone(),
            })
            .collect();
        Some(Signature {
            name: def.name.clone(),
            params,
            output: def.ty.map(|t| self.render(t)).unwrap_or_else(unknown),
        })
    }
}
