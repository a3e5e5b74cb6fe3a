//! The graph as Graphviz DOT.
//!
//! One workflow is one `digraph` titled with its name; several are one
//! `digraph` with a `subgraph cluster_<name>` each, whose node ids are
//! qualified with the workflow's name (`"build_website.deploy"`), since DOT
//! ids are global to the file. Node labels are HTML-like (a bold name over
//! the worker, a table of branches), edge labels plain quoted strings.

use std::fmt::Write;

use super::escape::{dot_html, dot_string};
use super::model::{Edge, Graph, Node, NodeKind, WorkflowGraph};
use crate::syntax::ast::Outcome;

/// The colours of the visual language, shared with `mermaid.rs` in spirit:
/// steps blue, maps violet, parallel states orange, success green, failure
/// red, the entry point black.
const STEP: &str = r##"shape=box, style="rounded,filled", fillcolor="#dbeafe", color="#1d4ed8""##;
const MAP: &str = r##"shape=box3d, style=filled, fillcolor="#ede9fe", color="#6d28d9""##;
const PARALLEL: &str =
    r##"shape=box, style="rounded,filled", peripheries=2, fillcolor="#ffedd5", color="#c2410c""##;
const SUCCEED: &str = r##"shape=doublecircle, style=filled, fillcolor="#dcfce7", color="#15803d""##;
const FAIL: &str = r##"shape=octagon, style=filled, fillcolor="#fee2e2", color="#b91c1c""##;
const ENTRY: &str = r##"shape=circle, style=filled, fillcolor="#111827", fontcolor=white, fontsize=9, width=0.5, fixedsize=true, label="start""##;
const FAILURE_EDGE: &str = r##"style=dashed, color="#b91c1c", fontcolor="#b91c1c""##;

/// The DOT text of the graph, ending with a newline.
pub fn render(graph: &Graph) -> String {
    let mut out = String::new();
    let shared = "  node [fontname=\"Helvetica\", fontsize=11];\n  \
                  edge [fontname=\"Helvetica\", fontsize=10, color=\"#374151\", fontcolor=\"#374151\"];\n";
    match graph.workflows.as_slice() {
        [one] => {
            let _ = writeln!(out, "digraph \"{}\" {{", dot_string(&one.name));
            let _ = writeln!(
                out,
                "  graph [fontname=\"Helvetica\", fontsize=14, labelloc=t, label=\"workflow {}\"];",
                dot_string(&one.name)
            );
            out.push_str(shared);
            workflow(&mut out, one, false, "  ");
        }
        several => {
            out.push_str("digraph \"workflows\" {\n  graph [fontname=\"Helvetica\"];\n");
            out.push_str(shared);
            for w in several {
                let _ = writeln!(out, "\n  subgraph \"cluster_{}\" {{", dot_string(&w.name));
                let _ = writeln!(
                    out,
                    "    graph [fontsize=14, labelloc=t, style=rounded, color=\"#9ca3af\", label=\"workflow {}\"];",
                    dot_string(&w.name)
                );
                workflow(&mut out, w, true, "    ");
                out.push_str("  }\n");
            }
        }
    }
    out.push_str("}\n");
    out
}

/// The nodes, then the edges, of one workflow: the entry point, the states
/// in source order, the arrow to the start, the clauses in source order.
fn workflow(out: &mut String, w: &WorkflowGraph, qualified: bool, indent: &str) {
    let id = |name: &str| {
        if qualified {
            format!("\"{}.{}\"", dot_string(&w.name), dot_string(name))
        } else {
            format!("\"{}\"", dot_string(name))
        }
    };
    // `start` is a reserved word, so no state has the entry point's id.
    let entry = id("start");
    out.push('\n');
    let _ = writeln!(out, "{indent}{entry} [{ENTRY}];");
    for node in &w.nodes {
        let _ = writeln!(
            out,
            "{indent}{} [{}, label=<{}>];",
            id(&node.name),
            style(node),
            label(node)
        );
    }
    out.push('\n');
    if let Some(start) = w.nodes.get(w.start) {
        let _ = writeln!(out, "{indent}{entry} -> {};", id(&start.name));
    }
    for e in &w.edges {
        let (Some(from), Some(to)) = (w.nodes.get(e.from), w.nodes.get(e.to)) else {
            continue;
        };
        let _ = writeln!(
            out,
            "{indent}{} -> {}{};",
            id(&from.name),
            id(&to.name),
            edge_attributes(e)
        );
    }
}

fn style(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Step { .. } => STEP,
        NodeKind::Parallel { .. } => PARALLEL,
        NodeKind::Map { .. } => MAP,
        NodeKind::Succeed => SUCCEED,
        NodeKind::Fail => FAIL,
    }
}

/// An HTML-like label: the name in bold, what the state runs, its bounds in
/// a smaller font; a parallel state is a table with a row per branch.
fn label(node: &Node) -> String {
    let name = format!("<b>{}</b>", dot_html(&node.name));
    let bounds: Vec<String> = node
        .bounds()
        .iter()
        .map(|b| format!("<font point-size=\"9\">{}</font>", dot_html(b)))
        .collect();
    if let NodeKind::Parallel { branches, .. } = &node.kind {
        let mut table = String::from(
            "<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">",
        );
        let _ = write!(table, "<tr><td colspan=\"2\" border=\"0\">{name}</td></tr>");
        for branch in branches {
            let _ = write!(
                table,
                "<tr><td bgcolor=\"white\">{}</td><td bgcolor=\"white\">{}</td></tr>",
                dot_html(&branch.name),
                dot_html(&branch.worker)
            );
        }
        for bound in &bounds {
            let _ = write!(
                table,
                "<tr><td colspan=\"2\" border=\"0\">{bound}</td></tr>"
            );
        }
        table.push_str("</table>");
        return table;
    }
    let mut lines = vec![name];
    lines.extend(node.calls().iter().map(|line| dot_html(line)));
    lines.extend(bounds);
    lines.join("<br/>")
}

fn edge_attributes(edge: &Edge) -> String {
    let mut attributes = Vec::new();
    if edge.outcome == Outcome::Failure {
        attributes.push(FAILURE_EDGE.to_string());
    }
    if let Some(label) = edge.label() {
        attributes.push(format!("label=\"{}\"", dot_string(&label)));
    }
    if attributes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", attributes.join(", "))
    }
}
