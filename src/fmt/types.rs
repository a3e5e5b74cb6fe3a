//! Type expressions.

use super::comments::Fmt;
use super::doc::{Doc, concat, text};
use super::items::start;
use super::lists::BRACES;
use crate::syntax::ast::*;

impl Fmt<'_> {
    pub(super) fn type_expr(&mut self, ty: &TypeExpr) -> Doc {
        let lead = self.comments_before(ty.span.start);
        let body = match &ty.kind {
            TypeExprKind::Builtin(builtin) => text(builtin.name()),
            TypeExprKind::Named(name) => self.ident(name),
            TypeExprKind::List(inner) => {
                let inner_doc = self.type_expr(inner);
                let close = self.find_byte(inner.span.end, b']');
                concat(vec![
                    text("["),
                    inner_doc,
                    self.comments_before_close(close),
                    text("]"),
                ])
            }
            TypeExprKind::Record(fields) => {
                let last = fields.last().map(|f| f.span.end);
                let place = self.place_of(ty.span.start, b'{', b'}', last);
                self.bracketed(
                    BRACES,
                    place,
                    fields,
                    |f| (start(f.docs.as_ref(), f.span), f.span.end),
                    |f, field| f.field(field),
                )
            }
            TypeExprKind::Union(members) => {
                let mut out = Vec::new();
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(text(" | "));
                    }
                    out.push(self.string(member));
                }
                concat(out)
            }
            TypeExprKind::Optional(inner) => {
                let inner_doc = self.type_expr(inner);
                // `T??` reads as `T?`: an optional optional keeps its
                // parentheses.
                if matches!(inner.kind, TypeExprKind::Optional(_)) {
                    concat(vec![text("("), inner_doc, text(")?")])
                } else {
                    concat(vec![inner_doc, text("?")])
                }
            }
        };
        concat(vec![lead, body])
    }

    fn field(&mut self, field: &FieldDef) -> Doc {
        concat(vec![
            self.docs(field.docs.as_ref()),
            self.own_lines_before(field.span.start),
            self.key(&field.name),
            text(if field.optional { "?: " } else { ": " }),
            self.type_expr(&field.ty),
        ])
    }
}
