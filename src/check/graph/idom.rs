//! Immediate dominators by the Lengauer–Tarjan algorithm.
//!
//! petgraph's `simple_fast` (Cooper, Harvey and Kennedy) intersects the
//! dominator paths of all predecessors of a node, which costs the depth of
//! each predecessor. The most common workflow shape, a long chain of steps
//! that all route `on_failure -> failed`, gives the `fail` state one
//! predecessor per step at every depth: quadratic, minutes for 100,000
//! states. Lengauer–Tarjan with path compression is O(E log V) whatever the
//! shape. It runs on a petgraph graph; the depth-first search and the path
//! compression use explicit stacks, because the graph can be as deep as the
//! workflow is long.

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

/// Marks "none" in the arrays below.
pub(super) const NONE: u32 = u32::MAX;

/// The immediate dominator of every node of `graph` reachable from `root`,
/// as a node index; `NONE` for the root and for unreachable nodes.
pub(super) fn immediate_dominators(graph: &DiGraph<(), ()>, root: NodeIndex) -> Vec<u32> {
    let tree = DfsTree::new(graph, root);
    let m = tree.order.len();

    // All arrays below are indexed by depth-first (pre-order) number.
    let mut semi: Vec<u32> = (0..m as u32).collect();
    let mut idom = vec![NONE; m];
    let mut forest = Forest {
        ancestor: vec![NONE; m],
        label: (0..m as u32).collect(),
        path: Vec::new(),
    };
    // Buckets as singly linked lists: the nodes whose semi-dominator is `v`.
    let mut bucket_head = vec![NONE; m];
    let mut bucket_next = vec![NONE; m];

    for w in (1..m).rev() {
        for v in graph.neighbors_directed(tree.order[w], Direction::Incoming) {
            let v = tree.number[v.index()];
            if v == NONE {
                continue;
            }
            let u = forest.eval(v, &semi);
            if semi[u as usize] < semi[w] {
                semi[w] = semi[u as usize];
            }
        }
        let s = semi[w] as usize;
        bucket_next[w] = bucket_head[s];
        bucket_head[s] = w as u32;

        let p = tree.parent[w];
        forest.ancestor[w] = p;
        let mut v = std::mem::replace(&mut bucket_head[p as usize], NONE);
        while v != NONE {
            let u = forest.eval(v, &semi);
            idom[v as usize] = if semi[u as usize] < semi[v as usize] {
                u
            } else {
                p
            };
            v = bucket_next[v as usize];
        }
    }
    for w in 1..m {
        if idom[w] != semi[w] {
            idom[w] = idom[idom[w] as usize];
        }
    }

    let mut by_node = vec![NONE; graph.node_count()];
    for w in 1..m {
        by_node[tree.order[w].index()] = tree.order[idom[w] as usize].index() as u32;
    }
    by_node
}

/// A depth-first spanning tree of the nodes reachable from the root.
struct DfsTree {
    /// The nodes in pre-order.
    order: Vec<NodeIndex>,
    /// The pre-order number of every node, `NONE` when unreachable.
    number: Vec<u32>,
    /// The tree parent's number of every numbered node (`NONE` for the root).
    parent: Vec<u32>,
}

impl DfsTree {
    fn new(graph: &DiGraph<(), ()>, root: NodeIndex) -> Self {
        let mut tree = DfsTree {
            order: vec![root],
            number: vec![NONE; graph.node_count()],
            parent: vec![NONE],
        };
        tree.number[root.index()] = 0;
        let mut stack = vec![(0u32, graph.neighbors(root))];
        while let Some((v, neighbors)) = stack.last_mut() {
            let v = *v;
            match neighbors.next() {
                Some(w) if tree.number[w.index()] == NONE => {
                    let n = tree.order.len() as u32;
                    tree.number[w.index()] = n;
                    tree.order.push(w);
                    tree.parent.push(v);
                    stack.push((n, graph.neighbors(w)));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                }
            }
        }
        tree
    }
}

/// The forest of processed nodes, with path compression.
struct Forest {
    ancestor: Vec<u32>,
    /// The node with the smallest semi-dominator on the compressed path.
    label: Vec<u32>,
    /// Scratch space for `eval`.
    path: Vec<u32>,
}

impl Forest {
    /// The node with the smallest semi-dominator on the forest path from
    /// `v` up to (not including) its root; `v` itself when it is a root.
    fn eval(&mut self, v: u32, semi: &[u32]) -> u32 {
        if self.ancestor[v as usize] == NONE {
            return v;
        }
        // Collect the path up to the node just below the root, then
        // compress it from the top down, as the recursive formulation does.
        self.path.clear();
        let mut x = v;
        while self.ancestor[self.ancestor[x as usize] as usize] != NONE {
            self.path.push(x);
            x = self.ancestor[x as usize];
        }
        while let Some(y) = self.path.pop() {
            let a = self.ancestor[y as usize] as usize;
            if semi[self.label[a] as usize] < semi[self.label[y as usize] as usize] {
                self.label[y as usize] = self.label[a];
            }
            self.ancestor[y as usize] = self.ancestor[a];
        }
        self.label[v as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::algo::dominators::simple_fast;

    /// Compares with petgraph's `simple_fast` on small graphs of every
    /// shape a small generator produces.
    #[test]
    fn agrees_with_simple_fast() {
        let mut seed = 0x2545_f491_u64;
        let mut next = |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        for _ in 0..500 {
            let n = 1 + next(12) as usize;
            let edges = next(3 * n as u64);
            let mut graph: DiGraph<(), ()> = DiGraph::new();
            for _ in 0..n {
                graph.add_node(());
            }
            for _ in 0..edges {
                let a = NodeIndex::new(next(n as u64) as usize);
                let b = NodeIndex::new(next(n as u64) as usize);
                graph.add_edge(a, b, ());
            }
            let root = NodeIndex::new(0);
            let ours = immediate_dominators(&graph, root);
            let theirs = simple_fast(&graph, root);
            for node in graph.node_indices() {
                let expected = theirs
                    .immediate_dominator(node)
                    .map_or(NONE, |d| d.index() as u32);
                assert_eq!(ours[node.index()], expected, "node {node:?} of {graph:?}");
            }
        }
    }
}
