//! The checked program: built once a file checks clean, from the same
//! tables the checks used (items, signatures, states, the type arena), so
//! that the runtime never sees the AST.

mod expr;
mod settings;
mod types;
mod workers;
mod workflows;

#[cfg(test)]
mod tests;

use std::fmt;

use super::env::{Cx, Sig};
use super::types::TyId;
use crate::ir;
use expr::Names;
use types::TypeMap;

/// Something the checks proved present but the builder did not find: a bug
/// in the checker, never in the user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing {
    what: String,
}

impl Missing {
    fn new(what: String) -> Self {
        Missing { what }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the checked program lacks {}", self.what)
    }
}

/// Builds the program of a file whose checks found no error.
pub(crate) fn program(cx: &Cx<'_, '_>) -> Result<ir::Program, Missing> {
    let mut builder = Builder {
        cx,
        types: TypeMap::default(),
        workers: Vec::new(),
    };
    let env = cx.env;
    let transformers = env
        .items
        .transformers
        .iter()
        .zip(&env.transformers)
        .map(|(t, sig)| builder.transformer(t, sig))
        .collect::<Result<_, _>>()?;
    for (w, sig) in env.items.workers.iter().zip(&env.workers) {
        let worker = builder.worker(w, sig)?;
        builder.workers.push(worker);
    }
    let workflows = env
        .items
        .workflows
        .iter()
        .zip(&env.workflows)
        .map(|(w, sig)| builder.workflow(w, sig))
        .collect::<Result<_, _>>()?;
    Ok(ir::Program {
        types: builder.types.table,
        workers: builder.workers,
        transformers,
        workflows,
    })
}

pub(super) struct Builder<'c, 'e, 'a> {
    cx: &'c Cx<'e, 'a>,
    types: TypeMap,
    /// The workers built so far, whose call settings states start from.
    workers: Vec<ir::Worker>,
}

impl<'c, 'e, 'a> Builder<'c, 'e, 'a> {
    fn ty(&mut self, id: TyId) -> ir::TypeId {
        self.types.convert(&self.cx.types, id)
    }

    /// The parameters, and the record of them (the input).
    fn params(&mut self, sig: &Sig<'_>) -> (Vec<ir::Param>, ir::TypeId) {
        let params: Vec<ir::Param> = sig
            .params
            .iter()
            .map(|p| ir::Param {
                name: p.name.name.to_string(),
                ty: self.ty(p.ty),
            })
            .collect();
        let input = self
            .types
            .record(params.iter().map(|p| (p.name.clone(), p.ty)).collect());
        (params, input)
    }

    /// The names in scope in the expressions of a worker, transformer or
    /// workflow (states, `error` and loop variables are added by workflows).
    fn names(&self) -> Names<'c, 'a> {
        let cx: &'c Cx<'e, 'a> = self.cx;
        let env = cx.env;
        Names {
            tables: &cx.tables,
            transformers: &env.transformers,
            var: false,
            error: false,
            states: false,
            int_arithmetic: &cx.int_arithmetic,
        }
    }
}
