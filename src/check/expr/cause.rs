//! Why a value is expected to have a type, for the label of a type mismatch:
//! "argument `spec` of `Coder`", "field `pages` of argument `spec` of `Coder`".
//!
//! Causes are built on every check but described only when a check fails,
//! so they borrow names instead of formatting strings up front.

use crate::syntax::ast::Span;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Cause<'c> {
    /// A named argument of a worker or transformer call.
    Argument {
        name: &'c str,
        callee: &'c str,
        declared: Span,
    },
    /// A positional argument of a transformer call.
    Positional {
        index: usize,
        name: &'c str,
        callee: &'c str,
        declared: Span,
    },
    /// An argument of a built-in function.
    BuiltinArgument { index: usize, callee: &'static str },
    /// A field of a record literal checked against a record type.
    Field {
        name: &'c str,
        /// Where the field is declared, when the record type was written.
        declared: Option<Span>,
        parent: &'c Cause<'c>,
    },
    /// An element of a list literal checked against a list type.
    Element { parent: &'c Cause<'c> },
    /// A setting such as `url` of the `http` executor.
    Setting { name: &'c str, place: &'c str },
    /// The body of a pure transformer against its return type.
    Body {
        transformer: &'c str,
        declared: Span,
    },
    /// The message of a `fail` state.
    FailMessage { state: &'c str },
    /// The value of a `succeed` state against the workflow's output type;
    /// reported as `output_mismatch`.
    Output { workflow: &'c str, declared: Span },
}

impl Cause<'_> {
    pub(crate) fn describe(&self) -> String {
        match self {
            Cause::Argument { name, callee, .. } => format!("argument `{name}` of `{callee}`"),
            Cause::Positional {
                index,
                name,
                callee,
                ..
            } => format!("argument {} (`{name}`) of `{callee}`", index + 1),
            Cause::BuiltinArgument { index, callee } => {
                format!("argument {} of `{callee}`", index + 1)
            }
            Cause::Field { name, parent, .. } => {
                format!("field `{name}` of {}", parent.describe())
            }
            Cause::Element { parent } => format!("an element of {}", parent.describe()),
            Cause::Setting { name, place } => format!("setting `{name}` of {place}"),
            Cause::Body { transformer, .. } => {
                format!("the value of transformer `{transformer}`")
            }
            Cause::FailMessage { state } => format!("the message of fail state `{state}`"),
            Cause::Output { workflow, .. } => format!("the output of workflow `{workflow}`"),
        }
    }

    /// The place that declared the expected type, if there is one.
    pub(crate) fn because(&self) -> Option<Span> {
        match self {
            Cause::Argument { declared, .. }
            | Cause::Positional { declared, .. }
            | Cause::Body { declared, .. }
            | Cause::Output { declared, .. } => Some(*declared),
            Cause::Field {
                declared, parent, ..
            } => declared.or_else(|| parent.because()),
            Cause::Element { parent } => parent.because(),
            Cause::BuiltinArgument { .. } | Cause::Setting { .. } | Cause::FailMessage { .. } => {
                None
            }
        }
    }
}

impl<'c> Cause<'c> {
    /// The `succeed` value this check is part of, if it is one: the
    /// workflow's name and its output type's span.
    pub(crate) fn output(&self) -> Option<(&'c str, Span)> {
        match *self {
            Cause::Output { workflow, declared } => Some((workflow, declared)),
            Cause::Field { parent, .. } | Cause::Element { parent } => parent.output(),
            _ => None,
        }
    }
}
