//! The pest parser generated from `grammar/flow.pest`.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/flow.pest"]
pub(super) struct FlowParser;
