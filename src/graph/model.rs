//! A neutral description of the state machines of a file: what `dot.rs` and
//! `mermaid.rs` draw.
//!
//! The checked program says what each state is (its kind, worker, bounds,
//! the start, the targets and classes of its clauses); the AST of the same
//! file gives what the program no longer holds: the order of `on_success`
//! and `on_failure` clauses relative to each other, and the source text of
//! conditions and of a map's list.

use std::fmt;

use super::text::one_line;
use crate::ir::{self, FailureClass};
use crate::syntax::ast::{self, Outcome};

/// The workflows of a file, in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub workflows: Vec<WorkflowGraph>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowGraph {
    pub name: String,
    /// The position of the workflow in the file, so that ids derived from it
    /// do not change with which workflows are drawn.
    pub index: usize,
    /// The index of the start state in `nodes`.
    pub start: usize,
    /// The states, in source order.
    pub nodes: Vec<Node>,
    /// The clauses of every state, state by state, each in source order.
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
    pub max_visits: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Step {
        worker: String,
    },
    Parallel {
        branches: Vec<BranchNode>,
        max_concurrency: Option<u32>,
    },
    Map {
        worker: String,
        /// The loop variable and the list, as `for var in list` is written.
        var: String,
        list: String,
        max_concurrency: Option<u32>,
    },
    Succeed,
    Fail,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BranchNode {
    pub name: String,
    pub worker: String,
}

/// One `on_success` or `on_failure` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub outcome: Outcome,
    /// The failure classes the clause filters on; empty means any.
    pub classes: Vec<FailureClass>,
    /// The condition's source text on one line (wrapped with `\n` when long).
    pub condition: Option<String>,
    /// The clause has no filter, but an earlier clause of the same outcome
    /// has one: it is taken only when none of those matched.
    pub otherwise: bool,
}

impl Node {
    /// The lines under the state's name that say what it runs: the worker,
    /// and the loop of a map. The branches of a parallel state are not
    /// included; each format lays them out its own way.
    pub fn calls(&self) -> Vec<String> {
        match &self.kind {
            NodeKind::Step { worker } => vec![worker.clone()],
            NodeKind::Map {
                worker, var, list, ..
            } => vec![worker.clone(), format!("for {var} in {list}")],
            NodeKind::Parallel { .. } | NodeKind::Succeed | NodeKind::Fail => Vec::new(),
        }
    }

    /// The lines that give the state's bounds: `max_concurrency` of a
    /// parallel or map state, and `max_visits`, which bounds a loop.
    pub fn bounds(&self) -> Vec<String> {
        let concurrency = match &self.kind {
            NodeKind::Parallel {
                max_concurrency, ..
            }
            | NodeKind::Map {
                max_concurrency, ..
            } => *max_concurrency,
            _ => None,
        };
        concurrency
            .map(|n| format!("max_concurrency: {n}"))
            .into_iter()
            .chain(self.max_visits.map(|n| format!("max_visits: {n}")))
            .collect()
    }
}

impl Edge {
    /// The label: the failure classes, then `when` and the condition;
    /// `otherwise` for a catch-all after filtered clauses; nothing for a
    /// lone catch-all, whose style already says success or failure.
    pub fn label(&self) -> Option<String> {
        let classes = (!self.classes.is_empty()).then(|| {
            self.classes
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let condition = self.condition.as_ref().map(|c| format!("when {c}"));
        match (classes, condition) {
            (Some(classes), Some(condition)) => Some(format!("{classes}\n{condition}")),
            (Some(one), None) | (None, Some(one)) => Some(one),
            (None, None) => self.otherwise.then(|| "otherwise".to_string()),
        }
    }
}

/// The checked program and the AST disagree: a bug in the checker or in
/// this module, never in the user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    what: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the checked program and the syntax tree disagree about {}",
            self.what
        )
    }
}

fn mismatch(what: impl Into<String>) -> Mismatch {
    Mismatch { what: what.into() }
}

impl Graph {
    /// The graph of every workflow of a file that checked without errors:
    /// `source` is its text, `file` its AST and `program` what the checker
    /// built from it.
    pub fn build(source: &str, file: &ast::File, program: &ir::Program) -> Result<Graph, Mismatch> {
        let syntax: Vec<&ast::Workflow> = file
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Workflow(w) => Some(w),
                _ => None,
            })
            .collect();
        let workflows = program
            .workflows
            .iter()
            .enumerate()
            .map(|(index, workflow)| {
                // Names are unique in a file that checks, so the first
                // workflow of the name is the one the program was built from.
                let ast = syntax
                    .iter()
                    .find(|w| w.name.as_str() == workflow.name)
                    .ok_or_else(|| mismatch(format!("the workflow `{}`", workflow.name)))?;
                let cx = Cx {
                    source,
                    comments: &file.comments,
                    program,
                };
                cx.workflow(index, workflow, ast)
            })
            .collect::<Result<_, _>>()?;
        Ok(Graph { workflows })
    }
}

/// What building one workflow needs to look at.
struct Cx<'a> {
    source: &'a str,
    comments: &'a [ast::Comment],
    program: &'a ir::Program,
}

impl Cx<'_> {
    fn workflow(
        &self,
        index: usize,
        workflow: &ir::Workflow,
        ast: &ast::Workflow,
    ) -> Result<WorkflowGraph, Mismatch> {
        if workflow.states.len() != ast.states.len() {
            return Err(mismatch(format!(
                "the states of workflow `{}`",
                workflow.name
            )));
        }
        let mut nodes = Vec::with_capacity(workflow.states.len());
        let mut edges = Vec::new();
        for (from, (state, syntax)) in workflow.states.iter().zip(&ast.states).enumerate() {
            if state.name != syntax.name.as_str() {
                return Err(mismatch(format!("the state `{}`", state.name)));
            }
            nodes.push(Node {
                name: state.name.clone(),
                kind: self.kind(state, syntax)?,
                max_visits: state.max_visits,
            });
            if let Some(body) = syntax.kind.body() {
                self.edges(from, state, body, &mut edges)?;
            }
        }
        let start = workflow.start.0 as usize;
        if let Some(edge) = edges.iter().find(|e| e.to >= nodes.len()) {
            return Err(mismatch(format!(
                "a target of state `{}`",
                nodes[edge.from].name
            )));
        }
        if start >= nodes.len() {
            return Err(mismatch(format!(
                "the start of workflow `{}`",
                workflow.name
            )));
        }
        Ok(WorkflowGraph {
            name: workflow.name.clone(),
            index,
            start,
            nodes,
            edges,
        })
    }

    fn kind(&self, state: &ir::State, syntax: &ast::State) -> Result<NodeKind, Mismatch> {
        Ok(match (&state.kind, &syntax.kind) {
            (ir::StateKind::Step(call), ast::StateKind::Step(_)) => NodeKind::Step {
                worker: self.worker(call)?,
            },
            (
                ir::StateKind::Parallel {
                    branches,
                    max_concurrency,
                },
                ast::StateKind::Parallel(_),
            ) => NodeKind::Parallel {
                branches: branches
                    .iter()
                    .map(|b| {
                        Ok(BranchNode {
                            name: b.name.clone(),
                            worker: self.worker(&b.call)?,
                        })
                    })
                    .collect::<Result<_, Mismatch>>()?,
                max_concurrency: *max_concurrency,
            },
            (
                ir::StateKind::Map {
                    call,
                    max_concurrency,
                    ..
                },
                ast::StateKind::Map(map),
            ) => NodeKind::Map {
                worker: self.worker(call)?,
                var: map.var.name.to_string(),
                list: one_line(self.source, &map.iter, self.comments),
                // The default bound is left out, as the file leaves it out.
                max_concurrency: (*max_concurrency != ir::DEFAULT_MAP_CONCURRENCY)
                    .then_some(*max_concurrency),
            },
            (ir::StateKind::Succeed(_), ast::StateKind::Succeed(_)) => NodeKind::Succeed,
            (ir::StateKind::Fail(_), ast::StateKind::Fail(_)) => NodeKind::Fail,
            _ => return Err(mismatch(format!("the kind of state `{}`", state.name))),
        })
    }

    fn worker(&self, call: &ir::Call) -> Result<String, Mismatch> {
        self.program
            .workers
            .get(call.worker.0 as usize)
            .map(|w| w.name.clone())
            .ok_or_else(|| mismatch(format!("worker #{}", call.worker.0)))
    }

    /// The clauses of one state in source order: the program keeps the
    /// `on_success` and `on_failure` clauses apart, each list in source
    /// order, and the AST says how they interleave.
    fn edges(
        &self,
        from: usize,
        state: &ir::State,
        body: &ast::StateBody,
        edges: &mut Vec<Edge>,
    ) -> Result<(), Mismatch> {
        let mut success = state.on_success.iter();
        let mut failure = state.on_failure.iter();
        let mut filtered_success = false;
        let mut filtered_failure = false;
        for clause in &body.transitions {
            let (checked, filtered) = match clause.outcome {
                Outcome::Success => (success.next(), &mut filtered_success),
                Outcome::Failure => (failure.next(), &mut filtered_failure),
            };
            let checked = checked
                .ok_or_else(|| mismatch(format!("the clauses of state `{}`", state.name)))?;
            let otherwise = clause.is_unconditional() && *filtered;
            *filtered |= !clause.is_unconditional();
            edges.push(Edge {
                from,
                to: checked.target.0 as usize,
                outcome: clause.outcome,
                classes: checked.classes.clone(),
                condition: clause
                    .condition
                    .as_ref()
                    .map(|c| one_line(self.source, c, self.comments)),
                otherwise,
            });
        }
        if success.next().is_some() || failure.next().is_some() {
            return Err(mismatch(format!("the clauses of state `{}`", state.name)));
        }
        Ok(())
    }
}
