//! The checker's type arena to the program's type table, each checker type
//! converted once.

use rustc_hash::FxHashMap as HashMap;

use crate::check::types::{Ty, TyId, Types};
use crate::ir;

/// The program's types, and which checker type each one came from.
#[derive(Default)]
pub(super) struct TypeMap {
    pub(super) table: ir::Types,
    memo: HashMap<TyId, ir::TypeId>,
}

impl TypeMap {
    /// The program type of a checker type. A composite type takes its slot
    /// before its parts are converted, so that a recursive type refers back
    /// to the slot instead of recursing for ever.
    pub(super) fn convert(&mut self, from: &Types, id: TyId) -> ir::TypeId {
        if let Some(&done) = self.memo.get(&id) {
            return done;
        }
        let leaf = match from.get_raw(id) {
            // An error or `[]`'s element type never survives a clean check
            // in a place a value is validated; `json` accepts anything.
            Ty::Error | Ty::Nothing | Ty::Json => Some(ir::Type::Json),
            Ty::Null => Some(ir::Type::Null),
            Ty::String => Some(ir::Type::String),
            Ty::Number => Some(ir::Type::Number),
            Ty::Int => Some(ir::Type::Int),
            Ty::Bool => Some(ir::Type::Bool),
            Ty::Union(members) => Some(ir::Type::Union(
                members
                    .iter()
                    .map(|m| from.syms.name(*m).to_string())
                    .collect(),
            )),
            _ => None,
        };
        if let Some(ty) = leaf {
            let out = self.table.add(ty);
            self.memo.insert(id, out);
            return out;
        }
        if let Ty::Ref(def) = from.get_raw(id) {
            let body = from.unfold(id);
            let name = from.def_name(*def);
            // The body of a recursive record definition is a record that
            // carries the definition's name: it is the named type itself.
            let named_record = matches!(from.get(body), Ty::Record(r) if r.name.is_some_and(|n| from.syms.name(n) == name));
            if named_record {
                let out = self.convert(from, body);
                self.memo.insert(id, out);
                return out;
            }
            let slot = self.reserve(id);
            let ty = self.convert(from, body);
            self.table.set(
                slot,
                ir::Type::Named {
                    name: name.to_string(),
                    ty,
                },
            );
            return slot;
        }
        let slot = self.reserve(id);
        let ty = match from.get_raw(id) {
            Ty::List(elem) => ir::Type::List(self.convert(from, *elem)),
            Ty::Optional(inner) => ir::Type::Optional(self.convert(from, *inner)),
            Ty::Record(record) => {
                let fields = record
                    .fields
                    .iter()
                    .map(|f| ir::Field {
                        name: from.syms.name(f.name).to_string(),
                        ty: self.convert(from, f.ty),
                        optional: f.optional,
                    })
                    .collect();
                match record.name {
                    Some(name) => {
                        let body = self.table.add(ir::Type::Record(fields));
                        ir::Type::Named {
                            name: from.syms.name(name).to_string(),
                            ty: body,
                        }
                    }
                    None => ir::Type::Record(fields),
                }
            }
            // Every other kind was handled above.
            _ => ir::Type::Json,
        };
        self.table.set(slot, ty);
        slot
    }

    /// A record of the given fields, none optional: the input of a worker,
    /// transformer or workflow.
    pub(super) fn record(&mut self, fields: Vec<(String, ir::TypeId)>) -> ir::TypeId {
        let fields = fields
            .into_iter()
            .map(|(name, ty)| ir::Field {
                name,
                ty,
                optional: false,
            })
            .collect();
        self.table.add(ir::Type::Record(fields))
    }

    fn reserve(&mut self, id: TyId) -> ir::TypeId {
        let slot = self.table.add(ir::Type::Json);
        self.memo.insert(id, slot);
        slot
    }
}
