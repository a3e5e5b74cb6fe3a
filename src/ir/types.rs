//! Types as the runtime needs them: to validate what a worker returns, and
//! to describe it to a model as a JSON Schema.
//!
//! The checker has its own, richer representation for inference; this one is
//! what is left of it once the program is checked: a table of types that
//! refer to each other by [`TypeId`], so that recursive named types are
//! finite.

use std::fmt;

/// An index into a [`Types`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u32);

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    /// Any JSON number.
    Number,
    /// A whole number.
    Int,
    Bool,
    /// Any JSON value, unchecked.
    Json,
    /// Only `null` (the type of the literal).
    Null,
    List(TypeId),
    Record(Vec<Field>),
    /// A union of string literals, in the order written.
    Union(Vec<String>),
    /// `T?`: `null` or a `T`.
    Optional(TypeId),
    /// A named type (`type Review { ... }`): shown by its name in messages,
    /// and the way a type refers to itself.
    Named {
        name: String,
        ty: TypeId,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: TypeId,
    /// Written `name?: T`: the field may be absent.
    pub optional: bool,
}

/// The types of a program. A `Named` type may be added before its
/// definition is known, so that it can refer to itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Types {
    types: Vec<Type>,
}

impl Types {
    pub fn new() -> Self {
        Types::default()
    }

    pub fn add(&mut self, ty: Type) -> TypeId {
        self.types.push(ty);
        TypeId(self.types.len() as u32 - 1)
    }

    /// Replaces a type added earlier: how a recursive named type is tied.
    pub fn set(&mut self, id: TypeId, ty: Type) {
        if let Some(slot) = self.types.get_mut(id.0 as usize) {
            *slot = ty;
        }
    }

    /// The type with this id. Ids come from this table, so a missing one is
    /// a bug in whoever built it; `json` keeps the runtime going.
    pub fn get(&self, id: TypeId) -> &Type {
        self.types.get(id.0 as usize).unwrap_or(&Type::Json)
    }

    /// Follows `Named` types to what they stand for, for at most as many
    /// steps as there are types (a named type defined as itself is `json`).
    pub fn resolve(&self, mut id: TypeId) -> &Type {
        for _ in 0..=self.types.len() {
            match self.get(id) {
                Type::Named { ty, .. } => id = *ty,
                other => return other,
            }
        }
        &Type::Json
    }

    /// The type as a person writes it: `{ verdict: "approve" | "revise",
    /// comments: [string] }`, named types by their name.
    pub fn show(&self, id: TypeId) -> Shown<'_> {
        Shown { types: self, id }
    }
}

/// A type written out; see [`Types::show`].
pub struct Shown<'a> {
    types: &'a Types,
    id: TypeId,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |id| Shown {
            types: self.types,
            id,
        };
        match self.types.get(self.id) {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Int => f.write_str("int"),
            Type::Bool => f.write_str("bool"),
            Type::Json => f.write_str("json"),
            Type::Null => f.write_str("null"),
            Type::List(item) => write!(f, "[{}]", show(*item)),
            Type::Record(fields) => {
                f.write_str("{ ")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    let mark = if field.optional { "?" } else { "" };
                    write!(f, "{}{}: {}", field.name, mark, show(field.ty))?;
                }
                f.write_str(" }")
            }
            Type::Union(members) => {
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{member:?}")?;
                }
                Ok(())
            }
            Type::Optional(inner) => match self.types.get(*inner) {
                Type::Union(_) => write!(f, "({})?", show(*inner)),
                _ => write!(f, "{}?", show(*inner)),
            },
            Type::Named { name, .. } => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_shown_as_written() {
        let mut types = Types::new();
        let string = types.add(Type::String);
        let list = types.add(Type::List(string));
        let verdict = types.add(Type::Union(vec!["approve".into(), "revise".into()]));
        let maybe = types.add(Type::Optional(verdict));
        let review = types.add(Type::Record(vec![
            Field {
                name: "verdict".into(),
                ty: maybe,
                optional: false,
            },
            Field {
                name: "comments".into(),
                ty: list,
                optional: true,
            },
        ]));
        assert_eq!(
            types.show(review).to_string(),
            r#"{ verdict: ("approve" | "revise")?, comments?: [string] }"#
        );
        let named = types.add(Type::Named {
            name: "Review".into(),
            ty: review,
        });
        assert_eq!(types.show(named).to_string(), "Review");
        assert!(matches!(types.resolve(named), Type::Record(_)));
    }

    #[test]
    fn a_type_can_refer_to_itself() {
        let mut types = Types::new();
        let tree = types.add(Type::Json);
        let children = types.add(Type::List(tree));
        let node = types.add(Type::Record(vec![Field {
            name: "children".into(),
            ty: children,
            optional: false,
        }]));
        types.set(
            tree,
            Type::Named {
                name: "Tree".into(),
                ty: node,
            },
        );
        assert_eq!(types.show(node).to_string(), "{ children: [Tree] }");
        // A name defined as itself ends in `json` instead of looping.
        let looped = types.add(Type::Json);
        types.set(
            looped,
            Type::Named {
                name: "Loop".into(),
                ty: looped,
            },
        );
        assert_eq!(types.resolve(looped), &Type::Json);
    }
}
