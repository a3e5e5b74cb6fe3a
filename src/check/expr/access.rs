//! Field access `.f`, optional access `?.f` and indexing `[i]`.

use super::{Typer, Use};
use crate::check::env::list_names;
use crate::check::error::CheckError;
use crate::check::suggest;
use crate::check::types::{Ty, TyId, write_string_literal};
use crate::syntax::ast::{self, Expr, ExprKind, Span};

impl Typer<'_, '_, '_> {
    pub(super) fn field(&mut self, base: &Expr, name: &ast::Ident, optional: bool) -> TyId {
        let typed = self.expr(base);
        let (inner, nullable) = self.cx.types.strip_optional(typed.ty);
        let field = self.field_of(inner, name.as_str(), name.span, false);
        if nullable && !optional {
            let usage = Use::Field {
                base,
                name: name.as_str(),
                span: name.span,
                ty: field,
                top: self.at_top(),
            };
            self.report_nullable(typed, base.span, usage);
        }
        if nullable && optional {
            self.cx.types.optional(field)
        } else {
            field
        }
    }

    /// The type of field `name` of `ty` (without its `?`), reporting a
    /// missing field or a value that has none. `quoted` is set when the name
    /// was written as a string index (`r["name"]`), for the suggestion.
    fn field_of(&mut self, ty: TyId, name: &str, span: Span, quoted: bool) -> TyId {
        let types = &self.cx.types;
        match types.get(ty) {
            // `null.f` was reported as a null value already.
            Ty::Error | Ty::Nothing => TyId::ERROR,
            Ty::Json => TyId::JSON,
            Ty::Record(record) => {
                let found = types
                    .syms
                    .get(name)
                    .and_then(|sym| record.field(sym))
                    .copied();
                if let Some(field) = found {
                    return if field.optional {
                        self.cx.types.optional(field.ty)
                    } else {
                        field.ty
                    };
                }
                let names = record.fields.iter().map(|f| types.syms.name(f.name));
                let suggestion = suggest::suggest(name, span, names.clone()).map(|mut s| {
                    if quoted {
                        let mut text = String::new();
                        write_string_literal(&s.replacement, &mut text);
                        s.replacement = text;
                    }
                    s
                });
                let otherwise = if record.fields.is_empty() {
                    format!("{} has no fields", types.show(ty))
                } else {
                    format!("the fields of {} are {}", types.show(ty), list_names(names))
                };
                let help = suggest::help(&suggestion, otherwise);
                self.cx.out.push(CheckError::UnknownField {
                    name: name.to_string(),
                    ty: types.show(ty),
                    span,
                    suggestion,
                    help,
                });
                TyId::ERROR
            }
            _ => {
                self.cx.out.push(CheckError::NotARecord {
                    found: types.show(ty),
                    span,
                    field: name.to_string(),
                    help: format!(
                        "`.{name}` reads a field of a record, and this value is {}",
                        types.show(ty)
                    ),
                });
                TyId::ERROR
            }
        }
    }

    pub(super) fn index(&mut self, base: &Expr, index: &Expr) -> TyId {
        let typed = self.expr(base);
        let (container, nullable) = self.cx.types.strip_optional(typed.ty);
        if nullable {
            self.report_nullable(typed, base.span, Use::Index);
        }
        let at = self.expr(index);
        let at = self.present(at, index.span, Use::Index);
        match self.cx.types.get(container) {
            Ty::Error | Ty::Nothing => TyId::ERROR,
            Ty::Json => {
                let fits = [TyId::INT, TyId::STRING]
                    .iter()
                    .any(|&t| self.cx.types.is_subtype(at, t));
                if !fits {
                    self.index_mismatch(
                        "`int` or `string`",
                        at,
                        index.span,
                        "the index of a `json` value",
                    );
                }
                TyId::JSON
            }
            Ty::List(elem) => {
                let elem = *elem;
                if !self.cx.types.is_subtype(at, TyId::INT) {
                    self.index_mismatch("`int`", at, index.span, "the index of a list");
                }
                // Out of range gives null.
                self.cx.types.optional(elem)
            }
            Ty::Record(_) => self.record_index(container, index, at),
            _ => {
                let found = self.cx.types.show(container);
                self.cx.out.push(CheckError::NotIndexable {
                    found,
                    span: base.span,
                    help: "only lists, records and `json` values can be indexed".to_string(),
                });
                TyId::ERROR
            }
        }
    }

    /// `r["k"]`: the field's type when the key is written out; otherwise the
    /// common type of all fields (or `json` when they have none), made
    /// optional since the key may name no field.
    fn record_index(&mut self, record: TyId, index: &Expr, at: TyId) -> TyId {
        if !self.cx.types.is_subtype(at, TyId::STRING) {
            self.index_mismatch("`string`", at, index.span, "the key of a record");
            return TyId::ERROR;
        }
        if let Some(key) = plain_string(index) {
            return self.field_of(record, &key, index.span, true);
        }
        let fields: Vec<(TyId, bool)> = match self.cx.types.get(record) {
            Ty::Record(r) => r.fields.iter().map(|f| (f.ty, f.optional)).collect(),
            _ => Vec::new(),
        };
        let mut common: Option<TyId> = None;
        for (ty, _) in fields {
            common = match common {
                None => Some(ty),
                Some(so_far) => match self.cx.types.join(so_far, ty) {
                    Some(joined) => Some(joined),
                    None => return TyId::JSON,
                },
            };
        }
        match common {
            Some(ty) => self.cx.types.optional(ty),
            None => TyId::JSON,
        }
    }

    fn index_mismatch(&mut self, expected: &str, found: TyId, span: Span, context: &str) {
        let found = self.cx.types.show(found);
        self.cx.out.push(CheckError::TypeMismatch {
            expected: expected.to_string(),
            found,
            span,
            context: context.to_string(),
            because: None,
            help: None,
        });
    }
}

/// The text of a string literal without interpolation, parentheses
/// looked through.
pub(crate) fn plain_string(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::String(lit) => lit.as_plain(),
        ExprKind::Paren(inner) => plain_string(inner),
        _ => None,
    }
}
