//! `flow graph`: the state machines of a file as a picture, in Graphviz DOT
//! or Mermaid.
//!
//! [`Graph::build`] describes the workflows of a checked file in neutral
//! terms (nodes by kind, clauses as edges in source order, labels from the
//! source text); [`render`] writes that description in one format. The
//! module is pure: no I/O, no printing.
//!
//! Implicit edges are not drawn: a failure that no `on_failure` clause
//! matches ends the run as failed (section 7 of the design), from any step,
//! parallel or map state, so an arrow for it would add one edge per state
//! and say nothing the absence of a red edge does not.

mod dot;
mod escape;
mod mermaid;
mod model;
mod text;

pub use model::{BranchNode, Edge, Graph, Mismatch, Node, NodeKind, WorkflowGraph};

/// An output format of `flow graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
}

/// The graph as text in `format`, ending with a newline.
pub fn render(graph: &Graph, format: Format) -> String {
    match format {
        Format::Dot => dot::render(graph),
        Format::Mermaid => mermaid::render(graph),
    }
}
