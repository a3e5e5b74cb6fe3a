//! Failure classes: why a worker call failed, for `retry_on` and
//! `on_failure` clauses, and the type of `error` in workflow expressions.

use super::error::CheckError;
use super::suggest;
use super::types::{Field, TyId, Types};
use crate::syntax::ast;

pub(crate) use crate::ir::FailureClass;

/// Reading failure classes from the source, with suggestions for typos.
pub(crate) trait Resolve: Sized {
    fn resolve(ident: &ast::Ident, out: &mut Vec<CheckError>) -> Option<Self>;
}

impl Resolve for FailureClass {
    /// Looks up a class written as a bare name, reporting an unknown one.
    fn resolve(ident: &ast::Ident, out: &mut Vec<CheckError>) -> Option<Self> {
        if let Some(class) = FailureClass::from_name(ident.as_str()) {
            return Some(class);
        }
        let suggestion = suggest::suggest(
            ident.as_str(),
            ident.span,
            FailureClass::ALL.iter().map(|c| c.name()),
        );
        let help = suggest::help(
            &suggestion,
            "the failure classes are `timeout`, `transient`, `worker`, `output` and `limit`",
        );
        out.push(CheckError::UnknownFailureClass {
            name: ident.name.to_string(),
            span: ident.span,
            suggestion,
            help,
        });
        None
    }
}

/// `{ class: "timeout" | ..., message: string, attempts: int }`, the type of
/// `error` in `on_failure` conditions.
pub(crate) fn error_type(types: &mut Types) -> TyId {
    let fields = error_fields(types);
    types.record(None, fields)
}

/// `{ class, message, attempts, state: string }?`, the type of `error` in
/// every other expression of a workflow: the failure that an `on_failure`
/// transition routed most recently, and the state that failed, or `null`
/// before any was.
pub(crate) fn routed_error_type(types: &mut Types) -> TyId {
    let mut fields = error_fields(types);
    fields.push(Field {
        name: types.syms.intern("state"),
        ty: TyId::STRING,
        optional: false,
    });
    let record = types.record(None, fields);
    types.optional(record)
}

fn error_fields(types: &mut Types) -> Vec<Field> {
    let members = FailureClass::ALL
        .iter()
        .map(|c| types.syms.intern(c.name()))
        .collect();
    let class = types.union(members);
    vec![
        Field {
            name: types.syms.intern("class"),
            ty: class,
            optional: false,
        },
        Field {
            name: types.syms.intern("message"),
            ty: TyId::STRING,
            optional: false,
        },
        Field {
            name: types.syms.intern("attempts"),
            ty: TyId::INT,
            optional: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::Span;

    #[test]
    fn resolves_and_suggests() {
        let mut out = Vec::new();
        let ok = ast::Ident {
            name: "transient".into(),
            span: Span::new(0, 9),
        };
        assert_eq!(
            FailureClass::resolve(&ok, &mut out),
            Some(FailureClass::Transient)
        );
        let typo = ast::Ident {
            name: "timout".into(),
            span: Span::new(0, 6),
        };
        assert_eq!(FailureClass::resolve(&typo, &mut out), None);
        match &out[..] {
            [
                CheckError::UnknownFailureClass {
                    suggestion: Some(s),
                    ..
                },
            ] => {
                assert_eq!(s.replacement, "timeout")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn error_type_shows_its_fields() {
        let mut types = Types::new();
        let ty = error_type(&mut types);
        assert_eq!(
            types.render(ty),
            r#"{ class: "timeout" | "transient" | "worker" | "output" | "limit", message: string, attempts: int }"#
        );
    }
}
