//! The signatures of workers, transformers and workflows, and the context
//! every check works in.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::analysis::Tables;
use super::error::CheckError;
use super::items::ItemTable;
use super::types::{Field, ResolveCx, Resolver, TyId, Types};
use crate::syntax::ast::{self, Span};

/// Above this many parameters a signature looks names up in a hash map;
/// below it, a scan is faster.
const INDEXED_PARAMS: usize = 8;

/// A resolved parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParamSig<'a> {
    pub(crate) name: &'a ast::Ident,
    pub(crate) ty: TyId,
    /// The span of the parameter's type, for "expected because of this".
    pub(crate) ty_span: Span,
}

/// The resolved interface of a worker, transformer or workflow.
#[derive(Debug)]
pub(crate) struct Sig<'a> {
    pub(crate) name: &'a ast::Ident,
    /// The parameters in order; a repeated name keeps its first declaration.
    pub(crate) params: Vec<ParamSig<'a>>,
    by_name: Option<HashMap<&'a str, usize>>,
    pub(crate) output: TyId,
    pub(crate) output_span: Span,
}

impl<'a> Sig<'a> {
    /// Resolves the parameter and output types, reporting repeated
    /// parameter names.
    pub(crate) fn build(
        name: &'a ast::Ident,
        params: &'a [ast::Param],
        output: &'a ast::TypeExpr,
        resolver: &mut Resolver,
        cx: &mut ResolveCx<'_, '_>,
    ) -> Self {
        let mut sig = Sig {
            name,
            params: Vec::with_capacity(params.len()),
            by_name: None,
            output: TyId::ERROR,
            output_span: output.span,
        };
        for param in params {
            let ty = resolver.resolve(&param.ty, cx);
            if let Some((_, first)) = sig.param(param.name.as_str()) {
                cx.out.push(CheckError::DuplicateParameter {
                    name: param.name.name.to_string(),
                    span: param.name.span,
                    first: first.name.span,
                });
                continue;
            }
            sig.params.push(ParamSig {
                name: &param.name,
                ty,
                ty_span: param.ty.span,
            });
            if sig.params.len() > INDEXED_PARAMS {
                let index = sig.by_name.get_or_insert_with(HashMap::default);
                if index.is_empty() {
                    for (at, p) in sig.params.iter().enumerate() {
                        index.insert(p.name.as_str(), at);
                    }
                } else {
                    index.insert(param.name.as_str(), sig.params.len() - 1);
                }
            }
        }
        sig.output = resolver.resolve(output, cx);
        sig
    }

    pub(crate) fn param(&self, name: &str) -> Option<(usize, &ParamSig<'a>)> {
        match &self.by_name {
            Some(index) => index.get(name).map(|&at| (at, &self.params[at])),
            None => self
                .params
                .iter()
                .enumerate()
                .find(|(_, p)| p.name.as_str() == name),
        }
    }

    pub(crate) fn param_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.params.iter().map(|p| p.name.as_str())
    }

    /// The parameter names for a help: "`spec` and `feedback`".
    pub(crate) fn list_params(&self) -> String {
        list_names(self.param_names())
    }

    /// The call form for a help: `Coder(spec: Spec, feedback: [string])`.
    pub(crate) fn show(&self, types: &Types) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name.name, types.render(p.ty)))
            .collect();
        format!(
            "`{}({}) -> {}`",
            self.name.name,
            params.join(", "),
            types.render(self.output)
        )
    }

    /// The record of the parameters: the input a worker's executor receives
    /// and its `before` hooks transform.
    pub(crate) fn input_record(&self, types: &mut Types) -> TyId {
        let fields = self
            .params
            .iter()
            .map(|p| Field {
                name: types.syms.intern(p.name.as_str()),
                ty: p.ty,
                optional: false,
            })
            .collect();
        types.record(None, fields)
    }
}

/// Names in backticks joined for a sentence: "`a`, `b` and `c`"; at most
/// a dozen, then "…".
pub(crate) fn list_names<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let names: Vec<String> = names.take(13).map(|n| format!("`{n}`")).collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        13 => format!("{}, …", names[..12].join(", ")),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// Everything that is fixed once the items and their signatures are known.
#[derive(Debug)]
pub(crate) struct Env<'a> {
    pub(crate) items: ItemTable<'a>,
    /// Indexed by `WorkerId`, `TransformerId`, `WorkflowId`.
    pub(crate) workers: Vec<Sig<'a>>,
    pub(crate) transformers: Vec<Sig<'a>>,
    pub(crate) workflows: Vec<Sig<'a>>,
}

/// The mutable side of a check: the type arena, the diagnostics, and what
/// earlier passes computed.
pub(crate) struct Cx<'e, 'a> {
    pub(crate) env: &'e Env<'a>,
    pub(crate) types: Types,
    pub(crate) out: Vec<CheckError>,
    /// The value each worker's calls produce: its output after its `after`
    /// hook. Indexed by `WorkerId`; filled by the worker pass.
    pub(crate) worker_values: Vec<TyId>,
    /// The spans of the operations (`+ - * %`, prefix `-`) typed `int`:
    /// in the program, an overflow of one fails the run, where the same
    /// operation on numbers gives a float.
    pub(crate) int_arithmetic: HashSet<Span>,
    /// What names resolved to and the types of definitions and
    /// expressions, for the builder and the analysis.
    pub(crate) tables: Tables,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_names_for_sentences() {
        assert_eq!(list_names(["a"].into_iter()), "`a`");
        assert_eq!(list_names(["a", "b", "c"].into_iter()), "`a`, `b` and `c`");
        assert_eq!(list_names(std::iter::empty()), "");
        let many: Vec<String> = (0..20).map(|i| format!("p{i}")).collect();
        assert!(list_names(many.iter().map(|s| s.as_str())).ends_with(", …"));
    }
}
