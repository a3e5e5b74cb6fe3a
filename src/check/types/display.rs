//! Types as the user reads them in messages: `[string]`, `string?`,
//! `"approve" | "revise"`, `{ verdict: "approve" | "revise", comments: [string] }`.
//!
//! A record that is the body of a `type` definition is shown by its name.
//! Long records and unions are cut short so that a message stays readable.

use std::fmt::Write as _;

use super::arena::{Ty, TyId, Types};

/// Records show at most this many fields, unions this many members.
const MAX_SHOWN: usize = 8;
/// Anonymous records nested deeper than this show as `{ … }`.
const MAX_DEPTH: u32 = 3;

impl Types {
    /// The type in backticks, ready to stand in a sentence.
    pub(crate) fn show(&self, id: TyId) -> String {
        format!("`{}`", self.render(id))
    }

    /// The type as written in source, without backticks.
    pub(crate) fn render(&self, id: TyId) -> String {
        let mut out = String::new();
        self.write(id, &mut out, 0);
        out
    }

    fn write(&self, id: TyId, out: &mut String, depth: u32) {
        // A reference shows as the name of its definition, which also stops
        // the rendering of recursive types.
        if let Ty::Ref(def) = self.get_raw(id) {
            out.push_str(self.def_name(*def));
            return;
        }
        match self.get(id) {
            Ty::Error => out.push_str("unknown"),
            Ty::Nothing => out.push_str("nothing"),
            Ty::Null => out.push_str("null"),
            Ty::String => out.push_str("string"),
            Ty::Number => out.push_str("number"),
            Ty::Int => out.push_str("int"),
            Ty::Bool => out.push_str("bool"),
            Ty::Json => out.push_str("json"),
            Ty::List(elem) => {
                if matches!(self.get(*elem), Ty::Nothing) {
                    out.push_str("[]");
                } else {
                    out.push('[');
                    self.write(*elem, out, depth);
                    out.push(']');
                }
            }
            Ty::Optional(inner) => {
                let paren = matches!(self.get(*inner), Ty::Union(m) if m.len() > 1);
                if paren {
                    out.push('(');
                }
                self.write(*inner, out, depth);
                if paren {
                    out.push(')');
                }
                out.push('?');
            }
            Ty::Union(members) => {
                for (at, member) in members.iter().enumerate() {
                    if at > 0 {
                        out.push_str(" | ");
                    }
                    if at == MAX_SHOWN {
                        out.push('…');
                        break;
                    }
                    write_string_literal(self.syms.name(*member), out);
                }
            }
            Ty::Record(record) => {
                if let Some(name) = record.name {
                    out.push_str(self.syms.name(name));
                    return;
                }
                if record.fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                if depth >= MAX_DEPTH {
                    out.push_str("{ … }");
                    return;
                }
                out.push_str("{ ");
                for (at, field) in record.fields.iter().enumerate() {
                    if at > 0 {
                        out.push_str(", ");
                    }
                    if at == MAX_SHOWN {
                        out.push('…');
                        break;
                    }
                    write_field_name(self.syms.name(field.name), out);
                    out.push_str(if field.optional { "?: " } else { ": " });
                    self.write(field.ty, out, depth + 1);
                }
                out.push_str(" }");
            }
            Ty::Ref(_) => out.push_str("unknown"),
        }
    }
}

/// A string as a `.flow` literal, with quotes and escapes.
pub(crate) fn write_string_literal(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A field name as written in a record type: bare when it is an
/// identifier, quoted otherwise.
fn write_field_name(name: &str, out: &mut String) {
    let mut chars = name.chars();
    let is_ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if is_ident {
        out.push_str(name);
    } else {
        write_string_literal(name, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::arena::{DefId, Field};
    use super::*;

    #[test]
    fn shows_the_types_of_the_example() {
        let mut types = Types::new();
        let a = types.syms.intern("approve");
        let r = types.syms.intern("revise");
        let verdict = types.union(vec![a, r]);
        let strings = types.list(TyId::STRING);
        let fields = vec![
            Field {
                name: types.syms.intern("verdict"),
                ty: verdict,
                optional: false,
            },
            Field {
                name: types.syms.intern("comments"),
                ty: strings,
                optional: false,
            },
        ];
        let review = types.record(None, fields);
        assert_eq!(
            types.show(review),
            r#"`{ verdict: "approve" | "revise", comments: [string] }`"#
        );
        assert_eq!(types.render(strings), "[string]");
        let opt = types.optional(TyId::STRING);
        assert_eq!(types.render(opt), "string?");
        let opt_verdict = types.optional(verdict);
        assert_eq!(types.render(opt_verdict), r#"("approve" | "revise")?"#);
        let empty = types.list(TyId::NOTHING);
        assert_eq!(types.render(empty), "[]");
    }

    #[test]
    fn named_and_odd_records() {
        let mut types = Types::new();
        let name = types.syms.intern("Spec");
        let title = types.syms.intern("title");
        let spec = types.record(
            Some(name),
            vec![Field {
                name: title,
                ty: TyId::STRING,
                optional: false,
            }],
        );
        assert_eq!(types.render(spec), "Spec");
        let odd = types.syms.intern("b c");
        let rec = types.record(
            None,
            vec![Field {
                name: odd,
                ty: TyId::INT,
                optional: true,
            }],
        );
        assert_eq!(types.render(rec), r#"{ "b c"?: int }"#);
    }

    #[test]
    fn recursive_types_show_by_name() {
        let mut types = Types::new();
        types.declare_defs(["Tree"]);
        let r = types.def_ref(DefId(0));
        let children = types.list(r);
        let field = types.syms.intern("children");
        let tree_name = types.syms.intern("Tree");
        let tree = types.record(
            Some(tree_name),
            vec![Field {
                name: field,
                ty: children,
                optional: false,
            }],
        );
        types.set_def(DefId(0), tree);
        assert_eq!(types.render(children), "[Tree]");
    }
}
