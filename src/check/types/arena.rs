//! The type arena: every type the checker meets lives here once and is
//! named by a `TyId`.
//!
//! Lists, optionals and literal unions are hash-consed, so the same type
//! written twice gets the same id and the common case of a subtype check is
//! an integer comparison. Records are not: each record type written in the
//! source (or built by a record expression) gets its own slot, which keeps the
//! name of a `type` definition for messages; records still compare
//! structurally. A recursive type refers to its own definition through a
//! `Ref`, which the arena unfolds on access.

use rustc_hash::FxHashMap as HashMap;

use super::symbols::{Sym, Symbols};
use crate::syntax::Span;

/// A type, as an index into [`Types`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub(crate) struct TyId(u32);

impl TyId {
    /// The type of something that already failed to check. It fits
    /// everywhere and everything fits it, so one mistake gives one message.
    pub(crate) const ERROR: TyId = TyId(0);
    /// The element type of `[]`: it fits everywhere.
    pub(crate) const NOTHING: TyId = TyId(1);
    /// The type of the literal `null`.
    pub(crate) const NULL: TyId = TyId(2);
    pub(crate) const STRING: TyId = TyId(3);
    pub(crate) const NUMBER: TyId = TyId(4);
    pub(crate) const INT: TyId = TyId(5);
    pub(crate) const BOOL: TyId = TyId(6);
    pub(crate) const JSON: TyId = TyId(7);
}

/// The index of a `type` definition, in source order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct DefId(pub(crate) u32);

#[derive(Debug)]
pub(crate) enum Ty {
    Error,
    Nothing,
    Null,
    String,
    Number,
    Int,
    Bool,
    Json,
    List(TyId),
    Optional(TyId),
    /// A union of string literals, in the order written, without repeats.
    Union(Box<[Sym]>),
    Record(RecordTy),
    /// The type defined by a `type` definition; used only where a
    /// definition refers to itself through a record field or a list.
    Ref(DefId),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: Sym,
    pub(crate) ty: TyId,
    /// Written `name?: T`: the field may be absent.
    pub(crate) optional: bool,
}

#[derive(Debug)]
pub(crate) struct RecordTy {
    /// The name of the `type` definition this record is the body of.
    pub(crate) name: Option<Sym>,
    /// The fields in the order written, for messages.
    pub(crate) fields: Box<[Field]>,
    /// `(name, position in fields)` sorted by name, for lookups.
    index: Box<[(Sym, u32)]>,
    /// Where each field is declared, by position, for a record written as
    /// a type in the source; empty for records built from expressions.
    decls: Box<[Span]>,
}

impl RecordTy {
    fn position(&self, name: Sym) -> Option<usize> {
        self.index
            .binary_search_by_key(&name, |&(sym, _)| sym)
            .ok()
            .map(|at| self.index[at].1 as usize)
    }

    pub(crate) fn field(&self, name: Sym) -> Option<&Field> {
        self.position(name).map(|at| &self.fields[at])
    }

    /// Where a field is declared, when the record was written as a type.
    pub(crate) fn declared(&self, name: Sym) -> Option<Span> {
        self.position(name)
            .and_then(|at| self.decls.get(at).copied())
    }
}

#[derive(Debug)]
pub(crate) struct Types {
    tys: Vec<Ty>,
    lists: HashMap<TyId, TyId>,
    optionals: HashMap<TyId, TyId>,
    unions: HashMap<Box<[Sym]>, TyId>,
    literals: HashMap<Sym, TyId>,
    refs: HashMap<DefId, TyId>,
    /// The resolved body of each `type` definition, once known.
    defs: Vec<Option<TyId>>,
    /// The names of the `type` definitions, for messages.
    def_names: Vec<Sym>,
    pub(crate) syms: Symbols,
}

impl Default for Types {
    fn default() -> Self {
        Types::new()
    }
}

impl Types {
    pub(crate) fn new() -> Self {
        let tys = vec![
            Ty::Error,
            Ty::Nothing,
            Ty::Null,
            Ty::String,
            Ty::Number,
            Ty::Int,
            Ty::Bool,
            Ty::Json,
        ];
        Types {
            tys,
            lists: HashMap::default(),
            optionals: HashMap::default(),
            unions: HashMap::default(),
            literals: HashMap::default(),
            refs: HashMap::default(),
            defs: Vec::new(),
            def_names: Vec::new(),
            syms: Symbols::default(),
        }
    }

    fn push(&mut self, ty: Ty) -> TyId {
        let id = TyId(self.tys.len() as u32);
        self.tys.push(ty);
        id
    }

    /// Declares the `type` definitions, in source order, before any of them
    /// is resolved, so that recursive references can be made.
    pub(crate) fn declare_defs<'n>(&mut self, names: impl IntoIterator<Item = &'n str>) {
        for name in names {
            let sym = self.syms.intern(name);
            self.def_names.push(sym);
            self.defs.push(None);
        }
    }

    pub(crate) fn set_def(&mut self, def: DefId, ty: TyId) {
        self.defs[def.0 as usize] = Some(ty);
    }

    pub(crate) fn def_name(&self, def: DefId) -> &str {
        self.syms.name(self.def_names[def.0 as usize])
    }

    /// A reference to a definition that is being resolved.
    pub(crate) fn def_ref(&mut self, def: DefId) -> TyId {
        if let Some(&id) = self.refs.get(&def) {
            return id;
        }
        let id = self.push(Ty::Ref(def));
        self.refs.insert(def, id);
        id
    }

    /// The id with references to definitions unfolded. A reference to a
    /// definition that never resolved (it was part of an alias cycle, which
    /// was reported) is the error type.
    pub(crate) fn unfold(&self, mut id: TyId) -> TyId {
        // Every definition resolves to a non-reference or to the error type
        // (an alias cycle), so this ends within one step per definition.
        for _ in 0..=self.defs.len() {
            match &self.tys[id.0 as usize] {
                Ty::Ref(def) => match self.defs[def.0 as usize] {
                    Some(body) => id = body,
                    None => return TyId::ERROR,
                },
                _ => return id,
            }
        }
        TyId::ERROR
    }

    /// The type behind an id, references not unfolded.
    pub(crate) fn get_raw(&self, id: TyId) -> &Ty {
        &self.tys[id.0 as usize]
    }

    /// The type behind an id, references unfolded.
    pub(crate) fn get(&self, id: TyId) -> &Ty {
        &self.tys[self.unfold(id).0 as usize]
    }

    pub(crate) fn list(&mut self, elem: TyId) -> TyId {
        if let Some(&id) = self.lists.get(&elem) {
            return id;
        }
        let id = self.push(Ty::List(elem));
        self.lists.insert(elem, id);
        id
    }

    /// `T?`. Types that already admit null stay as they are.
    pub(crate) fn optional(&mut self, inner: TyId) -> TyId {
        match self.get(inner) {
            Ty::Optional(_) | Ty::Null | Ty::Json | Ty::Error => return inner,
            _ => {}
        }
        if let Some(&id) = self.optionals.get(&inner) {
            return id;
        }
        let id = self.push(Ty::Optional(inner));
        self.optionals.insert(inner, id);
        id
    }

    /// The type of one string literal: a union of one member.
    pub(crate) fn literal(&mut self, text: &str) -> TyId {
        let sym = self.syms.intern(text);
        if let Some(&id) = self.literals.get(&sym) {
            return id;
        }
        let id = self.union(vec![sym]);
        self.literals.insert(sym, id);
        id
    }

    /// A union of string literals; repeated members count once. An empty
    /// list of members never comes from the parser; it gives the error type.
    pub(crate) fn union(&mut self, mut members: Vec<Sym>) -> TyId {
        if members.is_empty() {
            return TyId::ERROR;
        }
        if members.len() > 1 {
            let mut seen =
                rustc_hash::FxHashSet::with_capacity_and_hasher(members.len(), Default::default());
            members.retain(|m| seen.insert(*m));
        }
        let members = members.into_boxed_slice();
        if let Some(&id) = self.unions.get(&members) {
            return id;
        }
        let id = self.push(Ty::Union(members.clone()));
        self.unions.insert(members, id);
        id
    }

    /// A new record type. Fields must have distinct names (callers report
    /// repeats and keep the first).
    pub(crate) fn record(&mut self, name: Option<Sym>, fields: Vec<Field>) -> TyId {
        self.declared_record(name, fields, Vec::new())
    }

    /// A new record type written in the source, with the span of each
    /// field's declaration (in the order of `fields`).
    pub(crate) fn declared_record(
        &mut self,
        name: Option<Sym>,
        fields: Vec<Field>,
        decls: Vec<Span>,
    ) -> TyId {
        let mut index: Vec<(Sym, u32)> = fields
            .iter()
            .enumerate()
            .map(|(at, f)| (f.name, at as u32))
            .collect();
        index.sort_unstable_by_key(|&(sym, _)| sym);
        self.push(Ty::Record(RecordTy {
            name,
            fields: fields.into_boxed_slice(),
            index: index.into_boxed_slice(),
            decls: decls.into_boxed_slice(),
        }))
    }

    /// The type without its `?`, and whether it had one. `null` itself
    /// counts as nullable with nothing inside.
    pub(crate) fn strip_optional(&self, id: TyId) -> (TyId, bool) {
        let mut id = id;
        let mut nullable = false;
        loop {
            match self.get(id) {
                Ty::Optional(inner) => {
                    id = *inner;
                    nullable = true;
                }
                Ty::Null => return (TyId::NOTHING, true),
                _ => return (id, nullable),
            }
        }
    }

    /// Whether a value of this type may be null (`json` is unchecked and
    /// does not count).
    pub(crate) fn is_nullable(&self, id: TyId) -> bool {
        matches!(self.get(id), Ty::Optional(_) | Ty::Null)
    }

    /// Whether the type is the error type or `json`, about which nothing
    /// more can be said.
    pub(crate) fn is_unchecked(&self, id: TyId) -> bool {
        matches!(self.get(id), Ty::Error | Ty::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_types_are_interned() {
        let mut types = Types::new();
        let a = types.list(TyId::STRING);
        let b = types.list(TyId::STRING);
        assert_eq!(a, b);
        let x = types.literal("approve");
        let y = types.literal("approve");
        assert_eq!(x, y);
        let approve = types.syms.intern("approve");
        let revise = types.syms.intern("revise");
        let u = types.union(vec![approve, revise, approve]);
        assert_eq!(types.union(vec![approve, revise]), u);
        match types.get(u) {
            Ty::Union(members) => assert_eq!(members.len(), 2),
            other => panic!("expected a union, got {other:?}"),
        }
    }

    #[test]
    fn optional_does_not_nest() {
        let mut types = Types::new();
        let s = types.optional(TyId::STRING);
        assert_eq!(types.optional(s), s);
        assert_eq!(types.optional(TyId::JSON), TyId::JSON);
        assert_eq!(types.strip_optional(s), (TyId::STRING, true));
        assert_eq!(types.strip_optional(TyId::STRING), (TyId::STRING, false));
    }

    #[test]
    fn records_look_fields_up_by_name() {
        let mut types = Types::new();
        let b = types.syms.intern("b");
        let a = types.syms.intern("a");
        let rec = types.record(
            None,
            vec![
                Field {
                    name: b,
                    ty: TyId::INT,
                    optional: false,
                },
                Field {
                    name: a,
                    ty: TyId::STRING,
                    optional: true,
                },
            ],
        );
        let Ty::Record(r) = types.get(rec) else {
            panic!("expected a record")
        };
        assert_eq!(r.field(a).map(|f| f.ty), Some(TyId::STRING));
        assert_eq!(r.field(b).map(|f| f.ty), Some(TyId::INT));
        let c = types.syms.intern("c");
        let Ty::Record(r) = types.get(rec) else {
            panic!("expected a record")
        };
        assert!(r.field(c).is_none());
    }

    #[test]
    fn references_unfold_to_their_definition() {
        let mut types = Types::new();
        types.declare_defs(["Tree"]);
        let r = types.def_ref(DefId(0));
        let list = types.list(r);
        assert_eq!(types.unfold(r), TyId::ERROR);
        types.set_def(DefId(0), list);
        assert_eq!(types.unfold(r), list);
        assert!(matches!(types.get(r), Ty::List(_)));
    }
}
