//! The graph as a Mermaid `flowchart TD`.
//!
//! Node ids are made only of letters, digits and `_`, and never equal a
//! Mermaid keyword (a state may be called `end`): a state is `w<i>_<name>`,
//! the entry point `w<i>start`, a branch `w<i>b<j>_<k>`, where `i` is the
//! workflow's position in the file, `j` the state's and `k` the branch's.
//! After `w<i>` comes `_`, `s` or `b`, so the three kinds never collide.
//! A parallel state is a subgraph holding a node per branch; several
//! workflows are a subgraph each. Every node and subgraph is declared
//! before the first edge, since an edge to an undeclared subgraph id would
//! create a node of that name instead.

use std::fmt::Write;

use super::escape::mermaid;
use super::model::{Graph, Node, NodeKind, WorkflowGraph};
use crate::syntax::ast::Outcome;

/// The visual language of `dot.rs`: steps blue, maps violet, parallel
/// states orange, success green, failure red, the entry point black.
const CLASSES: &str = "  classDef entry fill:#111827,stroke:#111827,color:#ffffff\n  \
    classDef step fill:#dbeafe,stroke:#1d4ed8\n  \
    classDef map fill:#ede9fe,stroke:#6d28d9\n  \
    classDef parallel fill:#ffedd5,stroke:#c2410c\n  \
    classDef branch fill:#ffffff,stroke:#c2410c\n  \
    classDef succeed fill:#dcfce7,stroke:#15803d\n  \
    classDef fail fill:#fee2e2,stroke:#b91c1c\n";
const FAILURE_EDGE: &str = "stroke:#b91c1c,color:#b91c1c";

/// The Mermaid text of the graph, ending with a newline.
pub fn render(graph: &Graph) -> String {
    let mut out = String::new();
    // Edges are numbered in the order they are written; `linkStyle` styles
    // the failure edges by number.
    let mut count = 0;
    let mut failures = Vec::new();
    match graph.workflows.as_slice() {
        [one] => {
            // A workflow's name is an identifier: a plain YAML scalar.
            let _ = writeln!(out, "---\ntitle: workflow {}\n---\nflowchart TD", one.name);
            workflow(&mut out, one, "  ", &mut count, &mut failures);
        }
        several => {
            out.push_str("flowchart TD\n");
            for w in several {
                let _ = writeln!(
                    out,
                    "  subgraph w{} [\"workflow {}\"]",
                    w.index,
                    mermaid(&w.name)
                );
                workflow(&mut out, w, "    ", &mut count, &mut failures);
                out.push_str("  end\n");
            }
        }
    }
    out.push_str(CLASSES);
    if !failures.is_empty() {
        let numbers: Vec<String> = failures.iter().map(usize::to_string).collect();
        let _ = writeln!(out, "  linkStyle {} {FAILURE_EDGE}", numbers.join(","));
    }
    out
}

/// The nodes, then the edges, of one workflow: the entry point, the states
/// in source order, the arrow to the start, the clauses in source order.
/// `count` is the number of edges written so far, `failures` the numbers of
/// the failure edges.
fn workflow(
    out: &mut String,
    w: &WorkflowGraph,
    indent: &str,
    count: &mut usize,
    failures: &mut Vec<usize>,
) {
    let id = |name: &str| format!("w{}_{name}", w.index);
    let entry = format!("w{}start", w.index);
    let _ = writeln!(out, "{indent}{entry}((\"start\")):::entry");
    for (j, node) in w.nodes.iter().enumerate() {
        state(out, w.index, j, &id(&node.name), node, indent);
    }
    if let Some(start) = w.nodes.get(w.start) {
        let _ = writeln!(out, "{indent}{entry} --> {}", id(&start.name));
        *count += 1;
    }
    for e in &w.edges {
        let (Some(from), Some(to)) = (w.nodes.get(e.from), w.nodes.get(e.to)) else {
            continue;
        };
        let arrow = match e.outcome {
            Outcome::Success => "-->",
            Outcome::Failure => {
                failures.push(*count);
                "-.->"
            }
        };
        let label = e
            .label()
            .map(|l| format!("|\"{}\"|", mermaid(&l)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}{} {arrow}{label} {}",
            id(&from.name),
            id(&to.name)
        );
        *count += 1;
    }
}

/// One state: a node shaped by its kind, or a subgraph for a parallel one.
fn state(out: &mut String, workflow: usize, index: usize, id: &str, node: &Node, indent: &str) {
    let mut lines = vec![node.name.clone()];
    lines.extend(node.calls());
    lines.extend(node.bounds());
    let text: Vec<String> = lines.iter().map(|l| mermaid(l)).collect();
    let text = text.join("<br/>");
    let (open, close, class) = match &node.kind {
        NodeKind::Step { .. } => ("(", ")", "step"),
        NodeKind::Map { .. } => ("[[", "]]", "map"),
        NodeKind::Succeed => ("(((", ")))", "succeed"),
        NodeKind::Fail => ("{{", "}}", "fail"),
        NodeKind::Parallel { branches, .. } => {
            let _ = writeln!(out, "{indent}subgraph {id} [\"parallel {text}\"]");
            for (k, branch) in branches.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{indent}  w{workflow}b{index}_{k}[\"{}<br/>{}\"]:::branch",
                    mermaid(&branch.name),
                    mermaid(&branch.worker)
                );
            }
            let _ = writeln!(out, "{indent}end\n{indent}class {id} parallel");
            return;
        }
    };
    let _ = writeln!(out, "{indent}{id}{open}\"{text}\"{close}:::{class}");
}
