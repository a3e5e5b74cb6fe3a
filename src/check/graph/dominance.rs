//! Definite assignment: where is a step's value certainly available?
//!
//! Each non-terminal state S is two points of a graph: `Entry(S)`, where S
//! runs its worker, and `Succeeded(S)`, where its value exists. The edges
//! are `Entry(S) → Succeeded(S)`, `Succeeded(S) → Entry(T)` for every
//! `on_success` target T and `Entry(S) → Entry(T)` for every `on_failure`
//! target T (a failure leaves no value). A terminal state is only its
//! `Entry`. The value of step S is available at point P exactly when every
//! path from the start to P passes through `Succeeded(S)`, that is when
//! `Succeeded(S)` dominates P.
//!
//! The immediate dominators come from [`super::idom`] (Lengauer–Tarjan;
//! it explains why not petgraph's `simple_fast`). Numbering the dominator
//! tree in depth-first pre and post order then answers "does A dominate B"
//! in constant time: A is an ancestor of B in the tree.

use petgraph::graph::{DiGraph, NodeIndex};

use super::edges::Transitions;
use super::idom::{NONE, immediate_dominators};
use super::{Point, StateId, StateTable};
use crate::syntax::ast::Outcome;

/// Marks a point that no run reaches.
const UNREACHED: u32 = u32::MAX;

/// The dominator tree of the points of one workflow, numbered.
pub(super) struct Dominance {
    pre: Vec<u32>,
    post: Vec<u32>,
}

impl Dominance {
    pub(super) fn new(
        table: &StateTable<'_>,
        transitions: &Transitions<'_>,
        start: StateId,
    ) -> Self {
        let points = table.len() * 2;
        let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(points, points);
        for _ in 0..points {
            graph.add_node(());
        }
        for id in table.ids() {
            if !table.state(id).kind.is_terminal() && !table.is_duplicate(id) {
                graph.add_edge(entry(id), succeeded(id), ());
            }
        }
        for (from, edge) in transitions.all() {
            let source = match edge.outcome {
                Outcome::Success => succeeded(from),
                Outcome::Failure => entry(from),
            };
            graph.add_edge(source, entry(edge.to), ());
        }

        let root = entry(start);
        let idom: Vec<Option<usize>> = immediate_dominators(&graph, root)
            .into_iter()
            .map(|d| (d != NONE).then_some(d as usize))
            .collect();

        // The dominator tree as child lists in one array: the children of
        // point `p` are `children[first[p]..first[p + 1]]`.
        let mut first = vec![0usize; points + 1];
        for d in idom.iter().flatten() {
            first[d + 1] += 1;
        }
        for p in 0..points {
            first[p + 1] += first[p];
        }
        let mut fill = first.clone();
        let mut children = vec![0usize; first[points]];
        for (p, d) in idom.iter().enumerate() {
            if let Some(d) = *d {
                children[fill[d]] = p;
                fill[d] += 1;
            }
        }

        // Depth-first numbering with an explicit stack: the tree can be as
        // deep as the workflow is long.
        let mut pre = vec![UNREACHED; points];
        let mut post = vec![UNREACHED; points];
        let (mut next_pre, mut next_post) = (0u32, 0u32);
        let mut stack = vec![(root.index(), first[root.index()])];
        pre[root.index()] = next_pre;
        next_pre += 1;
        while let Some(&(p, next_child)) = stack.last() {
            if next_child < first[p + 1] {
                let child = children[next_child];
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                pre[child] = next_pre;
                next_pre += 1;
                stack.push((child, first[child]));
            } else {
                post[p] = next_post;
                next_post += 1;
                stack.pop();
            }
        }
        Dominance { pre, post }
    }

    /// See [`super::WorkflowGraph::value_available`].
    pub(super) fn value_available(&self, step: StateId, at: Point) -> bool {
        !self.reached(index(at)) || self.dominates(Point::Succeeded(step), at)
    }

    /// Whether every path from the start to `b` passes through `a` (a point
    /// dominates itself). False when either is not reached.
    pub(super) fn dominates(&self, a: Point, b: Point) -> bool {
        let (a, b) = (index(a), index(b));
        self.reached(a)
            && self.reached(b)
            && self.pre[a] <= self.pre[b]
            && self.post[b] <= self.post[a]
    }

    fn reached(&self, point: usize) -> bool {
        self.pre.get(point).is_some_and(|&n| n != UNREACHED)
    }
}

fn index(point: Point) -> usize {
    match point {
        Point::Entry(s) => s.index() * 2,
        Point::Succeeded(s) => s.index() * 2 + 1,
    }
}

fn entry(state: StateId) -> NodeIndex {
    NodeIndex::new(index(Point::Entry(state)))
}

fn succeeded(state: StateId) -> NodeIndex {
    NodeIndex::new(index(Point::Succeeded(state)))
}
