//! Pure transformers must not call themselves, directly or through others.
//!
//! Expressions always terminate (a run's skeleton is deterministic and
//! nothing loops without a bound), and a transformer that calls itself has no
//! bound. The calls inside the bodies of pure transformers form a graph that
//! must be acyclic. Each strongly connected component that has a cycle (more
//! than one transformer, or one that calls itself) is reported once, as the
//! shortest cycle through its first transformer in source order, found by a
//! breadth-first search that stays inside the component, so that the check
//! is linear in the size of the bodies.
//!
//! petgraph's `kosaraju_scc` computes the components: it is iterative, while
//! its `tarjan_scc` recurses once per node on a path, which a long chain of
//! transformers calling each other would turn into a stack overflow. The
//! bodies are walked with an explicit stack for the same reason.

use std::collections::VecDeque;

use miette::LabeledSpan;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::CheckError;
use super::items::{ItemRef, ItemTable};
use crate::syntax::ast::{Expr, ExprKind, Span, TransformerBody};

/// Marks "not in a reported component" in the component map.
const NONE: u32 = u32::MAX;

/// One call of a pure transformer inside the body of another.
#[derive(Clone, Copy, Debug)]
struct Call {
    to: usize,
    /// The callee's name at the call.
    span: Span,
}

/// Reports every cycle of calls among the pure transformers.
pub(crate) fn check(items: &ItemTable<'_>, out: &mut Vec<CheckError>) {
    let count = items.transformers.len();
    let calls: Vec<Vec<Call>> = items
        .transformers
        .iter()
        .map(|t| match &t.body {
            TransformerBody::Pure(body) => calls_in(items, body),
            TransformerBody::External { .. } => Vec::new(),
        })
        .collect();

    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(count, count);
    for _ in 0..count {
        graph.add_node(());
    }
    for (from, calls) in calls.iter().enumerate() {
        for call in calls {
            graph.add_edge(NodeIndex::new(from), NodeIndex::new(call.to), ());
        }
    }

    // The cycles to report, each as (its first transformer, its component).
    let mut component = vec![NONE; count];
    let mut cycles = Vec::new();
    for members in kosaraju_scc(&graph) {
        let Some(first) = members.iter().map(|n| n.index()).min() else {
            continue;
        };
        let is_cycle = members.len() > 1 || calls[first].iter().any(|c| c.to == first);
        if !is_cycle {
            continue;
        }
        let number = cycles.len() as u32;
        for member in &members {
            component[member.index()] = number;
        }
        cycles.push((first, number));
    }
    cycles.sort_unstable();

    // Each transformer belongs to one component, so the search marks
    // persist across components without a reset.
    let mut search = Search {
        parent: vec![None; count],
        queue: VecDeque::new(),
    };
    for (first, number) in cycles {
        if let Some(path) = search.cycle(&calls, &component, first, number) {
            out.push(recursive(items, &calls, first, &path));
        }
    }
}

/// The calls of pure transformers in `body`, in source order.
fn calls_in(items: &ItemTable<'_>, body: &Expr) -> Vec<Call> {
    let mut found = Vec::new();
    let mut stack = vec![body];
    while let Some(expr) = stack.pop() {
        // External transformers have no body to call back from (and calling
        // one is already an error), so only pure ones count.
        if let ExprKind::Call { callee, .. } = &expr.kind
            && let Some(ItemRef::Transformer(id)) = items.lookup(callee.as_str())
            && matches!(items.transformer(id).body, TransformerBody::Pure(_))
        {
            found.push(Call {
                to: id.0 as usize,
                span: callee.span,
            });
        }
        expr.for_each_child(|child| stack.push(child));
    }
    // The stack visits siblings in reverse; the search tries calls in source
    // order so that the cycle it reports does not depend on the walk.
    found.sort_by_key(|c| c.span.start);
    found
}

/// The state of a breadth-first search for cycles.
struct Search {
    /// The call by which the search first reached each transformer, as
    /// (the caller, the call's position in the caller's list).
    parent: Vec<Option<(usize, usize)>>,
    queue: VecDeque<usize>,
}

impl Search {
    /// The shortest cycle from `first` back to itself inside its component,
    /// as the calls along it: (the caller, the call's position in its list).
    fn cycle(
        &mut self,
        calls: &[Vec<Call>],
        component: &[u32],
        first: usize,
        number: u32,
    ) -> Option<Vec<(usize, usize)>> {
        self.queue.clear();
        self.queue.push_back(first);
        while let Some(at) = self.queue.pop_front() {
            for (position, call) in calls[at].iter().enumerate() {
                if call.to == first {
                    return Some(self.path_to(first, (at, position)));
                }
                let inside = component.get(call.to) == Some(&number);
                if inside && self.parent[call.to].is_none() {
                    self.parent[call.to] = Some((at, position));
                    self.queue.push_back(call.to);
                }
            }
        }
        None
    }

    /// The calls from `first` along the search's parent links, ending with
    /// `closing`.
    fn path_to(&self, first: usize, closing: (usize, usize)) -> Vec<(usize, usize)> {
        let mut path = vec![closing];
        let mut at = closing.0;
        while at != first {
            match self.parent[at] {
                Some(previous) => {
                    path.push(previous);
                    at = previous.0;
                }
                None => break,
            }
        }
        path.reverse();
        path
    }
}

fn recursive(
    items: &ItemTable<'_>,
    calls_of: &[Vec<Call>],
    first: usize,
    path: &[(usize, usize)],
) -> CheckError {
    let name = |index: usize| items.transformers[index].name.as_str();
    let first_name = name(first);
    let mut cycle = vec![format!("`{first_name}`")];
    let mut calls = Vec::with_capacity(path.len());
    let last = path.len().saturating_sub(1);
    for (step, &(caller, position)) in path.iter().enumerate() {
        let call = calls_of[caller][position];
        let callee = name(call.to);
        cycle.push(format!("`{callee}`"));
        let text = if step == last {
            format!(
                "`{}` calls `{callee}` here, closing the cycle",
                name(caller)
            )
        } else {
            format!("`{}` calls `{callee}` here", name(caller))
        };
        calls.push(LabeledSpan::at(call.span, text));
    }
    let help = if path.len() == 1 {
        format!(
            "expressions must terminate, so a transformer cannot call itself: compute the repetition in workflow steps (a loop of states bounded by `max_visits`), or unroll `{first_name}` into a fixed number of non-recursive transformers"
        )
    } else {
        "expressions must terminate, so transformers cannot call each other in a cycle: compute the repetition in workflow steps (a loop of states bounded by `max_visits`), or unroll the cycle into a fixed number of non-recursive transformers".to_string()
    };
    CheckError::RecursiveTransformer {
        cycle: cycle.join(" → "),
        span: items.transformers[first].name.span,
        calls,
        help,
    }
}

#[cfg(test)]
mod tests {
    use miette::Diagnostic;

    use crate::check::CheckError;
    use crate::check::tests::{assert_codes, diagnostics, labels};

    const WORKFLOW: &str = "workflow main() -> string { succeed done = \"ok\" }\n";

    /// The recursion errors of `items` (with a workflow added), as
    /// (cycle, primary span text, label texts).
    fn cycles(items: &str) -> Vec<(String, String, Vec<String>)> {
        let source = format!("{items}\n{WORKFLOW}");
        diagnostics(&source)
            .into_iter()
            .filter_map(|d| {
                let CheckError::RecursiveTransformer { cycle, span, .. } = &d else {
                    return None;
                };
                let primary = source[span.range()].to_string();
                Some((cycle.clone(), primary, labels(&d)))
            })
            .collect()
    }

    #[test]
    fn a_transformer_that_calls_itself() {
        let found = cycles("transformer f(n: int) -> int = f(n - 1) + 1");
        assert_eq!(
            found,
            [(
                "`f` → `f`".to_string(),
                "f".to_string(),
                vec![
                    "the cycle starts here".to_string(),
                    "`f` calls `f` here, closing the cycle".to_string(),
                ]
            )]
        );
    }

    #[test]
    fn transformers_that_call_each_other_are_reported_once() {
        let items = r#"
transformer is_odd(n: int) -> bool = n != 0 && is_even(n - 1)
transformer is_even(n: int) -> bool = n == 0 || is_odd(n - 1)
"#;
        let found = cycles(items);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (cycle, primary, labels) = &found[0];
        // The first transformer in source order starts the cycle.
        assert_eq!(cycle, "`is_odd` → `is_even` → `is_odd`");
        assert_eq!(primary, "is_odd");
        assert_eq!(
            labels[1..],
            [
                "`is_odd` calls `is_even` here",
                "`is_even` calls `is_odd` here, closing the cycle"
            ]
        );
        let source = format!("{items}\n{WORKFLOW}");
        let d = &diagnostics(&source)[0];
        assert_eq!(
            d.code().map(|c| c.to_string()).as_deref(),
            Some("flow::check::recursive_transformer")
        );
        let help = d.help().map(|h| h.to_string()).unwrap_or_default();
        assert!(
            help.contains("compute the repetition in workflow steps"),
            "{help}"
        );
        assert!(help.contains("unroll"), "{help}");
    }

    #[test]
    fn the_shortest_cycle_through_the_first_transformer_is_named() {
        // `a → b → c → a` and `a → b → a` share a component: it is reported
        // once, as the shorter cycle.
        let found = cycles(
            r#"
transformer a(n: int) -> int = b(n)
transformer b(n: int) -> int = c(n) + a(n)
transformer c(n: int) -> int = a(n)
"#,
        );
        let names: Vec<&str> = found.iter().map(|(c, _, _)| c.as_str()).collect();
        assert_eq!(names, ["`a` → `b` → `a`"]);
    }

    #[test]
    fn separate_cycles_are_reported_separately_in_source_order() {
        let found = cycles(
            r#"
transformer x(s: string) -> string = y(s)
transformer p(n: int) -> int = p(n)
transformer y(s: string) -> string = "${x(s)}!"
"#,
        );
        let names: Vec<&str> = found.iter().map(|(c, _, _)| c.as_str()).collect();
        assert_eq!(names, ["`x` → `y` → `x`", "`p` → `p`"]);
    }

    #[test]
    fn calls_without_a_cycle_are_fine() {
        let source = format!(
            r#"
transformer shout(s: string) -> string = upper(s) + "!"
transformer twice(s: string) -> string = shout(s) + shout(shout(s))
transformer all(xs: [string]) -> [string] = [twice(xs[0] ?? ""), shout("${{len(xs)}}")]
transformer hook(s: string) -> string {{ exec {{ command: ["./hook"] }} }}
{WORKFLOW}"#
        );
        assert_codes(&source, &[]);
    }

    #[test]
    fn external_transformers_are_not_part_of_cycles() {
        // `f` calling the external `g` is `impure_call`; `g` has no body
        // that could call back.
        let source = format!(
            r#"
transformer f(s: string) -> string = g(s)
transformer g(s: string) -> string {{ exec {{ command: ["./g"] }} }}
{WORKFLOW}"#
        );
        assert_codes(&source, &["impure_call"]);
    }

    #[test]
    fn a_long_cycle_is_found_without_recursion() {
        let count = 3000;
        let mut items = String::new();
        for i in 0..count {
            let next = (i + 1) % count;
            items.push_str(&format!("transformer t{i}(n: int) -> int = t{next}(n)\n"));
        }
        let found = cycles(&items);
        assert_eq!(found.len(), 1);
        let (cycle, primary, labels) = &found[0];
        assert_eq!(primary, "t0");
        assert_eq!(labels.len(), count + 1);
        assert!(cycle.starts_with("`t0` → `t1` → `t2`"), "{cycle}");
        assert!(cycle.ends_with("`t2999` → `t0`"), "{cycle}");
    }
}
