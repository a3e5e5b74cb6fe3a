//! Assignability between types and the least common type of two types.
//!
//! The rules (shared by the whole language): `int` fits `number`; a literal
//! union fits `string` and any union that has all of its members; `T` fits
//! `T?`; `null` fits any `T?`; anything fits `json` and `json` fits anything;
//! lists are covariant; records are structural with width subtyping (extra
//! fields are allowed, a missing optional field is allowed).
//!
//! Because `json` fits everything both ways, assignability alone cannot pick
//! the common type of `json` and `int`: either would do, and taking whichever
//! came second would make `[j, 1]` and `[1, j]` differ. The join therefore
//! orders types by a stricter relation in which `json` (and the error type)
//! is only a top: everything fits it, and it fits nothing but itself.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::arena::{Field, Ty, TyId, Types};
use super::symbols::Sym;

/// How deep `join` may descend into nested types; deeper pairs (only ever
/// reached through recursive types) have no common type.
const JOIN_DEPTH: u32 = 64;

impl Types {
    /// Whether a value of type `a` may be used where `b` is expected.
    pub(crate) fn is_subtype(&self, a: TyId, b: TyId) -> bool {
        if a == b {
            return true;
        }
        let mut assumed = Vec::new();
        self.sub(a, b, Mode::Assign, &mut assumed)
    }

    /// Whether `a` is below `b` in the order the join uses, where `json`
    /// and the error type are tops rather than fitting everything.
    fn is_below(&self, a: TyId, b: TyId) -> bool {
        if a == b {
            return true;
        }
        let mut assumed = Vec::new();
        self.sub(a, b, Mode::Join, &mut assumed)
    }

    fn sub(&self, a: TyId, b: TyId, mode: Mode, assumed: &mut Vec<(TyId, TyId)>) -> bool {
        let (a, b) = (self.unfold(a), self.unfold(b));
        if a == b {
            return true;
        }
        if let Some(fits) = unchecked_fits(self.get(a), self.get(b), mode) {
            return fits;
        }
        match (self.get(a), self.get(b)) {
            (Ty::Null, Ty::Null | Ty::Optional(_)) => true,
            (Ty::Optional(x), Ty::Optional(y)) => self.sub(*x, *y, mode, assumed),
            (Ty::Optional(_) | Ty::Null, _) => false,
            (_, Ty::Optional(y)) => self.sub(a, *y, mode, assumed),
            (Ty::Int, Ty::Int | Ty::Number)
            | (Ty::Number, Ty::Number)
            | (Ty::String, Ty::String)
            | (Ty::Bool, Ty::Bool)
            | (Ty::Union(_), Ty::String) => true,
            (Ty::Union(xs), Ty::Union(ys)) => members_within(xs, ys),
            (Ty::List(x), Ty::List(y)) => {
                // Recursive types meet themselves again below; a pair that is
                // already being compared is assumed to fit (the usual
                // co-inductive reading of recursive types).
                if assumed.contains(&(a, b)) {
                    return true;
                }
                assumed.push((a, b));
                let fits = self.sub(*x, *y, mode, assumed);
                assumed.pop();
                fits
            }
            (Ty::Record(ra), Ty::Record(rb)) => {
                if assumed.contains(&(a, b)) {
                    return true;
                }
                assumed.push((a, b));
                let fits = rb.fields.iter().all(|want| match ra.field(want.name) {
                    Some(have) => {
                        (!have.optional || want.optional)
                            && self.sub(have.ty, want.ty, mode, assumed)
                    }
                    None => want.optional,
                });
                assumed.pop();
                fits
            }
            _ => false,
        }
    }

    /// The least type both `a` and `b` fit, if there is one: the type of a
    /// list with elements of both types, or of `a ?? b`. It does not depend
    /// on the order of `a` and `b`, and it is `json` when either is `json`.
    pub(crate) fn join(&mut self, a: TyId, b: TyId) -> Option<TyId> {
        self.join_at(a, b, 0)
    }

    fn join_at(&mut self, a: TyId, b: TyId, depth: u32) -> Option<TyId> {
        match (self.is_below(a, b), self.is_below(b, a)) {
            // The same type written twice (a named record and a record
            // literal of its shape, say): the older id, which is the one
            // with a name when there is one, whatever the order.
            (true, true) => return Some(a.min(b)),
            (true, false) => return Some(b),
            (false, true) => return Some(a),
            (false, false) => {}
        }
        if depth > JOIN_DEPTH {
            return None;
        }
        let (a, b) = (self.unfold(a), self.unfold(b));
        match (self.get(a), self.get(b)) {
            (Ty::Null, _) => Some(self.optional(b)),
            (_, Ty::Null) => Some(self.optional(a)),
            (Ty::Optional(x), _) => {
                let x = *x;
                let (y, _) = self.strip_optional(b);
                let inner = self.join_at(x, y, depth + 1)?;
                Some(self.optional(inner))
            }
            (_, Ty::Optional(y)) => {
                let y = *y;
                let inner = self.join_at(a, y, depth + 1)?;
                Some(self.optional(inner))
            }
            (Ty::Union(xs), Ty::Union(ys)) => {
                let members: Vec<Sym> = xs.iter().chain(ys.iter()).copied().collect();
                Some(self.union(members))
            }
            (Ty::List(x), Ty::List(y)) => {
                let (x, y) = (*x, *y);
                let elem = self.join_at(x, y, depth + 1)?;
                Some(self.list(elem))
            }
            (Ty::Record(ra), Ty::Record(rb)) => {
                // The fields of both; a field that only one side has may be
                // absent in the other, so it becomes optional.
                let left: Vec<Field> = ra.fields.to_vec();
                let right: Vec<Field> = rb.fields.to_vec();
                let left_names: HashSet<Sym> = left.iter().map(|f| f.name).collect();
                let right_by_name: HashMap<Sym, Field> =
                    right.iter().map(|g| (g.name, *g)).collect();
                let mut fields = Vec::with_capacity(left.len() + right.len());
                for f in &left {
                    match right_by_name.get(&f.name) {
                        Some(g) => fields.push(Field {
                            name: f.name,
                            ty: self.join_at(f.ty, g.ty, depth + 1)?,
                            optional: f.optional || g.optional,
                        }),
                        None => fields.push(Field {
                            optional: true,
                            ..*f
                        }),
                    }
                }
                for g in &right {
                    if !left_names.contains(&g.name) {
                        fields.push(Field {
                            optional: true,
                            ..*g
                        });
                    }
                }
                Some(self.record(None, fields))
            }
            _ => None,
        }
    }
}

/// Which relation [`Types::sub`] decides.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Assignability: `json` and the error type fit everything both ways.
    Assign,
    /// The order the join uses: the error type is the top, `json` is just
    /// below it, and neither fits anything else.
    Join,
}

/// The answer for a pair where one side is unchecked (`json`, the error
/// type, or the element type of `[]`), or `None` to compare the structure.
fn unchecked_fits(a: &Ty, b: &Ty, mode: Mode) -> Option<bool> {
    match mode {
        Mode::Assign => match (a, b) {
            (Ty::Error | Ty::Json | Ty::Nothing, _) | (_, Ty::Error | Ty::Json) => Some(true),
            _ => None,
        },
        Mode::Join => match (a, b) {
            (_, Ty::Error) => Some(true),
            (Ty::Error, _) => Some(false),
            (_, Ty::Json) => Some(true),
            (Ty::Json, _) => Some(false),
            (Ty::Nothing, _) => Some(true),
            _ => None,
        },
    }
}

/// Whether every member of `xs` is one of `ys`.
fn members_within(xs: &[Sym], ys: &[Sym]) -> bool {
    if ys.len() <= 16 {
        xs.iter().all(|x| ys.contains(x))
    } else {
        let set: HashSet<Sym> = ys.iter().copied().collect();
        xs.iter().all(|x| set.contains(x))
    }
}

#[cfg(test)]
mod tests {
    use super::super::arena::DefId;
    use super::*;

    fn record(types: &mut Types, fields: &[(&str, TyId, bool)]) -> TyId {
        let fields = fields
            .iter()
            .map(|&(name, ty, optional)| Field {
                name: types.syms.intern(name),
                ty,
                optional,
            })
            .collect();
        types.record(None, fields)
    }

    #[test]
    fn scalars() {
        let types = Types::new();
        assert!(types.is_subtype(TyId::INT, TyId::NUMBER));
        assert!(!types.is_subtype(TyId::NUMBER, TyId::INT));
        assert!(!types.is_subtype(TyId::STRING, TyId::BOOL));
        assert!(types.is_subtype(TyId::JSON, TyId::BOOL));
        assert!(types.is_subtype(TyId::BOOL, TyId::JSON));
        assert!(types.is_subtype(TyId::ERROR, TyId::INT));
        assert!(types.is_subtype(TyId::INT, TyId::ERROR));
    }

    #[test]
    fn optionals_and_null() {
        let mut types = Types::new();
        let s = types.optional(TyId::STRING);
        assert!(types.is_subtype(TyId::STRING, s));
        assert!(types.is_subtype(TyId::NULL, s));
        assert!(!types.is_subtype(s, TyId::STRING));
        assert!(!types.is_subtype(TyId::NULL, TyId::STRING));
        let n = types.optional(TyId::NUMBER);
        assert!(types.is_subtype(s, s));
        let i = types.optional(TyId::INT);
        assert!(types.is_subtype(i, n));
    }

    #[test]
    fn unions() {
        let mut types = Types::new();
        let approve = types.literal("approve");
        let a = types.syms.intern("approve");
        let r = types.syms.intern("revise");
        let verdict = types.union(vec![a, r]);
        assert!(types.is_subtype(approve, verdict));
        assert!(types.is_subtype(verdict, TyId::STRING));
        assert!(!types.is_subtype(verdict, approve));
        assert!(!types.is_subtype(TyId::STRING, verdict));
        let other = types.literal("other");
        assert!(!types.is_subtype(other, verdict));
    }

    #[test]
    fn lists_are_covariant_and_empty_lists_fit_all() {
        let mut types = Types::new();
        let ints = types.list(TyId::INT);
        let nums = types.list(TyId::NUMBER);
        let empty = types.list(TyId::NOTHING);
        assert!(types.is_subtype(ints, nums));
        assert!(!types.is_subtype(nums, ints));
        assert!(types.is_subtype(empty, ints));
    }

    #[test]
    fn records_have_width_subtyping() {
        let mut types = Types::new();
        let wide = record(
            &mut types,
            &[("a", TyId::INT, false), ("b", TyId::STRING, false)],
        );
        let narrow = record(&mut types, &[("a", TyId::NUMBER, false)]);
        let with_optional = record(
            &mut types,
            &[("a", TyId::INT, false), ("c", TyId::BOOL, true)],
        );
        let maybe_a = record(&mut types, &[("a", TyId::NUMBER, true)]);
        assert!(types.is_subtype(wide, narrow));
        assert!(!types.is_subtype(narrow, wide));
        assert!(types.is_subtype(narrow, maybe_a));
        assert!(!types.is_subtype(maybe_a, narrow));
        assert!(types.is_subtype(wide, with_optional));
        let c_string = record(&mut types, &[("c", TyId::STRING, false)]);
        assert!(!types.is_subtype(c_string, with_optional));
    }

    #[test]
    fn recursive_types_compare_without_looping() {
        let mut types = Types::new();
        types.declare_defs(["A", "B"]);
        let ra = types.def_ref(DefId(0));
        let rb = types.def_ref(DefId(1));
        let la = types.list(ra);
        let lb = types.list(rb);
        types.set_def(DefId(0), la);
        types.set_def(DefId(1), lb);
        assert!(types.is_subtype(ra, rb));
        let value = types.syms.intern("value");
        let next = types.syms.intern("next");
        types.declare_defs(["N"]);
        let rn = types.def_ref(DefId(2));
        let opt = types.optional(rn);
        let node = types.record(
            None,
            vec![
                Field {
                    name: value,
                    ty: TyId::INT,
                    optional: false,
                },
                Field {
                    name: next,
                    ty: opt,
                    optional: false,
                },
            ],
        );
        types.set_def(DefId(2), node);
        let other = types.record(
            None,
            vec![
                Field {
                    name: value,
                    ty: TyId::INT,
                    optional: false,
                },
                Field {
                    name: next,
                    ty: opt,
                    optional: false,
                },
            ],
        );
        assert!(types.is_subtype(other, rn));
        assert!(types.is_subtype(rn, other));
    }

    #[test]
    fn joins() {
        let mut types = Types::new();
        assert_eq!(types.join(TyId::INT, TyId::NUMBER), Some(TyId::NUMBER));
        assert_eq!(types.join(TyId::INT, TyId::STRING), None);
        let s = types.join(TyId::NULL, TyId::STRING);
        assert_eq!(s, Some(types.optional(TyId::STRING)));
        let a = types.literal("a");
        let b = types.literal("b");
        let ab = types.join(a, b).expect("unions join");
        assert!(types.is_subtype(a, ab) && types.is_subtype(b, ab));
        let empty = types.list(TyId::NOTHING);
        let strings = types.list(TyId::STRING);
        assert_eq!(types.join(empty, strings), Some(strings));
        let opt = types.optional(strings);
        let (inner, _) = types.strip_optional(opt);
        assert_eq!(types.join(inner, empty), Some(strings));
        let left = record(&mut types, &[("a", TyId::INT, false)]);
        let right = record(
            &mut types,
            &[("a", TyId::NUMBER, false), ("b", TyId::BOOL, false)],
        );
        let both = types.join(left, right).expect("records join");
        assert!(types.is_subtype(left, both) && types.is_subtype(right, both));
    }

    /// Joins both ways round and asserts they agree.
    #[track_caller]
    fn join_both(types: &mut Types, a: TyId, b: TyId) -> Option<TyId> {
        let ab = types.join(a, b);
        let ba = types.join(b, a);
        assert_eq!(ab, ba, "the join depends on the order");
        ab
    }

    #[test]
    fn json_wins_joins_in_either_order() {
        let mut types = Types::new();
        let ints = types.list(TyId::INT);
        let opt = types.optional(TyId::STRING);
        let empty = types.list(TyId::NOTHING);
        for other in [TyId::INT, TyId::STRING, TyId::NULL, ints, opt, empty] {
            assert_eq!(join_both(&mut types, TyId::JSON, other), Some(TyId::JSON));
        }
        // The error type stays the error type, so one mistake is one message.
        assert_eq!(
            join_both(&mut types, TyId::ERROR, TyId::INT),
            Some(TyId::ERROR)
        );
        assert_eq!(
            join_both(&mut types, TyId::ERROR, TyId::JSON),
            Some(TyId::ERROR)
        );
        // Inside lists and records too.
        let jsons = types.list(TyId::JSON);
        assert_eq!(join_both(&mut types, jsons, ints), Some(jsons));
        let a_json = record(&mut types, &[("a", TyId::JSON, false)]);
        let a_int = record(&mut types, &[("a", TyId::INT, false)]);
        assert_eq!(join_both(&mut types, a_json, a_int), Some(a_json));
        let a_json_b = record(
            &mut types,
            &[("a", TyId::JSON, false), ("b", TyId::INT, false)],
        );
        // A new record each time, so compare the fields.
        let (a, b) = (types.syms.intern("a"), types.syms.intern("b"));
        for (x, y) in [(a_json_b, a_int), (a_int, a_json_b)] {
            let joined = types.join(x, y).expect("records join");
            let Ty::Record(r) = types.get(joined) else {
                panic!("not a record");
            };
            let field = |name| r.field(name).map(|f| (f.ty, f.optional));
            assert_eq!(field(a), Some((TyId::JSON, false)));
            assert_eq!(field(b), Some((TyId::INT, true)));
        }
    }

    #[test]
    fn equal_shapes_join_to_the_older_type_in_either_order() {
        let mut types = Types::new();
        let named = record(&mut types, &[("a", TyId::INT, false)]);
        let literal = record(&mut types, &[("a", TyId::INT, false)]);
        assert_eq!(join_both(&mut types, named, literal), Some(named));
        assert_eq!(
            join_both(&mut types, TyId::INT, TyId::NUMBER),
            Some(TyId::NUMBER)
        );
    }
}
