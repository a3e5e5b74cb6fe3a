//! The item table: the one namespace of types, workers, transformers and
//! workflows of a file.

use rustc_hash::FxHashMap as HashMap;

use super::analysis::{RefKind, Res, Tables};
use super::error::CheckError;
use super::types::DefId;
use crate::syntax::ast;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct WorkerId(pub(crate) u32);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct TransformerId(pub(crate) u32);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct WorkflowId(pub(crate) u32);

/// What a name in the item namespace stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ItemRef {
    Type(DefId),
    Worker(WorkerId),
    Transformer(TransformerId),
    Workflow(WorkflowId),
}

impl ItemRef {
    /// The keyword of the item, for messages: "type", "worker", ...
    pub(crate) fn kind(self) -> &'static str {
        match self {
            ItemRef::Type(_) => "type",
            ItemRef::Worker(_) => "worker",
            ItemRef::Transformer(_) => "transformer",
            ItemRef::Workflow(_) => "workflow",
        }
    }
}

/// Every item of a file, by kind in source order, and the names. A name
/// defined twice stands for its first definition; the later ones are still
/// listed (and checked) under their kind.
#[derive(Debug, Default)]
pub(crate) struct ItemTable<'a> {
    by_name: HashMap<&'a str, ItemRef>,
    pub(crate) types: Vec<&'a ast::TypeDef>,
    pub(crate) workers: Vec<&'a ast::Worker>,
    pub(crate) transformers: Vec<&'a ast::Transformer>,
    pub(crate) workflows: Vec<&'a ast::Workflow>,
}

impl<'a> ItemTable<'a> {
    /// Collects the items of a file, reporting imports (not supported yet)
    /// and names defined more than once.
    pub(crate) fn collect(file: &'a ast::File, out: &mut Vec<CheckError>) -> Self {
        let mut table = ItemTable::default();
        // The span of the first definition of each name, for duplicates.
        let mut first: HashMap<&'a str, ast::Span> = HashMap::default();
        for item in &file.items {
            let (item_ref, name) = match item {
                ast::Item::Import(import) => {
                    out.push(CheckError::UnsupportedImport { span: import.span });
                    continue;
                }
                ast::Item::Type(t) => {
                    table.types.push(t);
                    (ItemRef::Type(DefId(table.types.len() as u32 - 1)), &t.name)
                }
                ast::Item::Worker(w) => {
                    table.workers.push(w);
                    let id = WorkerId(table.workers.len() as u32 - 1);
                    (ItemRef::Worker(id), &w.name)
                }
                ast::Item::Transformer(t) => {
                    table.transformers.push(t);
                    let id = TransformerId(table.transformers.len() as u32 - 1);
                    (ItemRef::Transformer(id), &t.name)
                }
                ast::Item::Workflow(w) => {
                    table.workflows.push(w);
                    let id = WorkflowId(table.workflows.len() as u32 - 1);
                    (ItemRef::Workflow(id), &w.name)
                }
            };
            match table.by_name.get(name.as_str()) {
                Some(&earlier) => out.push(CheckError::DuplicateDefinition {
                    name: name.name.to_string(),
                    span: name.span,
                    kind: item_ref.kind(),
                    first: first[name.as_str()],
                    first_kind: earlier.kind(),
                }),
                None => {
                    table.by_name.insert(name.as_str(), item_ref);
                    first.insert(name.as_str(), name.span);
                }
            }
        }
        table
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<ItemRef> {
        self.by_name.get(name).copied()
    }

    /// The names of one kind of item, for "did you mean" suggestions.
    pub(crate) fn names_of<'s>(
        &'s self,
        keep: impl Fn(ItemRef) -> bool + 's,
    ) -> impl Iterator<Item = &'a str> + 's {
        // Sorted by position so that suggestions do not depend on hashing.
        let mut names: Vec<(&'a str, ItemRef)> = self
            .by_name
            .iter()
            .filter(|(_, r)| keep(**r))
            .map(|(n, r)| (*n, *r))
            .collect();
        names.sort_by_key(|(_, r)| match r {
            ItemRef::Type(id) => (0, id.0),
            ItemRef::Worker(id) => (1, id.0),
            ItemRef::Transformer(id) => (2, id.0),
            ItemRef::Workflow(id) => (3, id.0),
        });
        names.into_iter().map(|(n, _)| n)
    }

    /// The span of the name of an item's definition.
    pub(crate) fn name_span(&self, item: ItemRef) -> ast::Span {
        match item {
            ItemRef::Type(id) => self.types[id.0 as usize].name.span,
            ItemRef::Worker(id) => self.workers[id.0 as usize].name.span,
            ItemRef::Transformer(id) => self.transformers[id.0 as usize].name.span,
            ItemRef::Workflow(id) => self.workflows[id.0 as usize].name.span,
        }
    }

    /// Records that `at` names `item`.
    pub(crate) fn record(
        &self,
        tables: &mut Tables,
        at: &ast::Ident,
        item: ItemRef,
        kind: RefKind,
    ) {
        if tables.records_uses() {
            tables.resolve(at, Res::Item(item), Some(self.name_span(item)), kind);
        }
    }

    pub(crate) fn transformer(&self, id: TransformerId) -> &'a ast::Transformer {
        self.transformers[id.0 as usize]
    }
}

/// A help for a name of the wrong kind: "`Coder` is a worker, not a transformer".
pub(crate) fn wrong_kind_help(name: &str, found: ItemRef, wanted: &str) -> String {
    format!("`{name}` is a {}, not a {wanted}", found.kind())
}
