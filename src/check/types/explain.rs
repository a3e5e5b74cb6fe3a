//! Why one type does not fit another, in one sentence for a help.

use super::arena::{Ty, TyId, Types};
use super::display::write_string_literal;

impl Types {
    /// The first reason `found` does not fit `expected`, when there is a
    /// more precise one than the two types themselves.
    pub(crate) fn mismatch_reason(&self, found: TyId, expected: TyId) -> Option<String> {
        let (inner, nullable) = self.strip_optional(found);
        if nullable && !self.is_nullable(expected) {
            return if self.is_subtype(inner, expected) {
                Some("the value may be null: give a default with `??`".to_string())
            } else {
                None
            };
        }
        let (target, _) = self.strip_optional(expected);
        match (self.get(inner), self.get(target)) {
            (Ty::Record(have), Ty::Record(want)) => {
                for field in want.fields.iter() {
                    let name = self.syms.name(field.name);
                    match have.field(field.name) {
                        None if !field.optional => {
                            return Some(format!("field `{name}` is missing"));
                        }
                        None => {}
                        Some(h) if h.optional && !field.optional => {
                            return Some(format!(
                                "field `{name}` may be absent here, but is required"
                            ));
                        }
                        Some(h) if !self.is_subtype(h.ty, field.ty) => {
                            return Some(format!(
                                "field `{name}` is {} here, but {} is expected",
                                self.show(h.ty),
                                self.show(field.ty)
                            ));
                        }
                        Some(_) => {}
                    }
                }
                None
            }
            (Ty::Union(have), Ty::Union(want)) => {
                let extra: Vec<String> = have
                    .iter()
                    .filter(|m| !want.contains(m))
                    .map(|&m| {
                        let mut q = String::new();
                        write_string_literal(self.syms.name(m), &mut q);
                        format!("`{q}`")
                    })
                    .collect();
                if extra.len() == 1 {
                    Some(format!("{} is not one of the allowed values", extra[0]))
                } else {
                    Some(format!(
                        "{} are not among the allowed values",
                        extra.join(", ")
                    ))
                }
            }
            (Ty::String, Ty::Union(_)) => Some(
                "any string may come here, but only the members of the union are allowed"
                    .to_string(),
            ),
            (Ty::Number, Ty::Int) => {
                Some("a `number` may have a fraction; an `int` cannot".to_string())
            }
            (Ty::List(h), Ty::List(w)) => self
                .mismatch_reason(*h, *w)
                .map(|reason| format!("in the list elements: {reason}")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::arena::Field;
    use super::*;

    #[test]
    fn names_the_first_bad_field() {
        let mut types = Types::new();
        let title = types.syms.intern("title");
        let pages = types.syms.intern("pages");
        let strings = types.list(TyId::STRING);
        let spec = types.record(
            None,
            vec![
                Field {
                    name: title,
                    ty: TyId::STRING,
                    optional: false,
                },
                Field {
                    name: pages,
                    ty: strings,
                    optional: false,
                },
            ],
        );
        let bad = types.record(
            None,
            vec![
                Field {
                    name: title,
                    ty: TyId::STRING,
                    optional: false,
                },
                Field {
                    name: pages,
                    ty: TyId::INT,
                    optional: false,
                },
            ],
        );
        let short = types.record(
            None,
            vec![Field {
                name: title,
                ty: TyId::STRING,
                optional: false,
            }],
        );
        assert_eq!(
            types.mismatch_reason(bad, spec).as_deref(),
            Some("field `pages` is `int` here, but `[string]` is expected")
        );
        assert_eq!(
            types.mismatch_reason(short, spec).as_deref(),
            Some("field `pages` is missing")
        );
        let maybe = types.optional(spec);
        assert_eq!(
            types.mismatch_reason(maybe, spec).as_deref(),
            Some("the value may be null: give a default with `??`")
        );
    }
}
