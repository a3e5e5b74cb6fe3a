//! Unit tests of the graph rules on small workflows.

use miette::{Diagnostic, LabeledSpan};

use super::testing::{Wf, parse_workflow};
use super::*;
use crate::check::Suggestion;

/// A workflow `w` with the given settings and states. Workers need not
/// exist: this stage does not look at them.
fn workflow(body: &str) -> ast::Workflow {
    parse_workflow(&format!("workflow w() -> string {{\n{body}\n}}"))
}

fn analyze(workflow: &ast::Workflow) -> (WorkflowGraph<'_>, Vec<CheckError>) {
    let mut out = Vec::new();
    let graph = analyze_workflow(workflow, &mut out);
    (graph, out)
}

fn diagnostics(workflow: &ast::Workflow) -> Vec<CheckError> {
    analyze(workflow).1
}

fn codes(errors: &[CheckError]) -> Vec<String> {
    errors
        .iter()
        .map(|e| e.code().map(|c| c.to_string()).unwrap_or_default())
        .collect()
}

fn id(graph: &WorkflowGraph<'_>, name: &str) -> StateId {
    match graph.states().lookup(name) {
        Some(id) => id,
        None => panic!("no state {name}"),
    }
}

/// The transitions of the `index`-th state.
fn clauses(workflow: &ast::Workflow, index: usize) -> &[ast::Transition] {
    match workflow.states[index].kind.body() {
        Some(body) => &body.transitions,
        None => panic!("state {index} is terminal"),
    }
}

/// The example of section 1 of the design; `parse_workflow` takes its one
/// workflow, worker arguments and all.
const BUILD_WEBSITE: &str = crate::check::tests::DESIGN_EXAMPLE;

#[test]
fn the_design_example_is_clean() {
    let wf = parse_workflow(BUILD_WEBSITE);
    let (graph, errors) = analyze(&wf);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(graph.start(), Some(StateId(0)));
    assert!(graph.states().ids().all(|s| graph.is_reachable(s)));
}

#[test]
fn values_are_available_where_their_step_dominates() {
    let wf = parse_workflow(BUILD_WEBSITE);
    let (graph, _) = analyze(&wf);
    let [specs, code, review, completed, failed] = [
        "create_specs",
        "implement_code",
        "review_code",
        "completed",
        "failed",
    ]
    .map(|name| id(&graph, name));
    use Point::{Entry, Succeeded};

    assert!(graph.value_available(specs, Entry(code)));
    assert!(graph.value_available(specs, Entry(review)));
    assert!(graph.value_available(specs, Entry(completed)));
    // `implement_code` reads `review_code?.comments`: on the first visit
    // the review has not run yet.
    assert!(!graph.value_available(review, Entry(code)));
    assert!(graph.value_available(code, Entry(review)));
    assert!(graph.value_available(code, Entry(completed)));
    // `completed` is also reached when the review fails with `limit`.
    assert!(!graph.value_available(review, Entry(completed)));
    // A step's own `on_success` conditions see its value, its arguments and
    // `on_failure` conditions do not.
    assert!(graph.value_available(review, Succeeded(review)));
    assert!(!graph.value_available(review, Entry(review)));
    // `failed` is reached when the very first step fails.
    assert!(!graph.value_available(specs, Entry(failed)));
    // Terminal states have no value.
    assert!(!graph.value_available(completed, Entry(failed)));
}

#[test]
fn unreachable_points_answer_true() {
    let wf = workflow(
        r#"
        step a = W() { on_success -> done  on_failure -> done }
        step island = W() { on_success -> done  on_failure -> done }
        step b = W() { on_success -> done  on_failure -> done }
        succeed done = "ok"
        "#,
    );
    let (graph, errors) = analyze(&wf);
    assert_eq!(codes(&errors), ["flow::check::unreachable_state"; 2]);
    let [a, island, b] = ["a", "island", "b"].map(|n| id(&graph, n));
    assert!(!graph.is_reachable(island));
    assert!(graph.value_available(b, Point::Entry(island)));
    assert!(graph.value_available(b, Point::Succeeded(island)));
    // The island's value never exists where a run can be.
    assert!(!graph.value_available(island, Point::Entry(a)));
    // Out-of-range ids do not panic.
    assert!(graph.value_available(a, Point::Entry(StateId(99))));
    assert!(!graph.is_reachable(StateId(99)));
}

#[test]
fn parallel_and_map_values_are_available_after_success() {
    let wf = workflow(
        r#"
        parallel gather {
          branch x = X()
          branch y = Y()
          on_success -> each
          on_failure -> failed
        }
        map each = Summarize(text: page) for page in gather.x {
          on_success -> done
          on_failure -> failed
        }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let (graph, errors) = analyze(&wf);
    assert!(errors.is_empty(), "{errors:#?}");
    let [gather, each, done, failed] = ["gather", "each", "done", "failed"].map(|n| id(&graph, n));
    assert!(graph.value_available(gather, Point::Entry(each)));
    assert!(graph.value_available(gather, Point::Entry(done)));
    assert!(graph.value_available(each, Point::Entry(done)));
    assert!(!graph.value_available(gather, Point::Entry(failed)));
}

#[test]
fn unknown_target_suggests_a_state() {
    let wf = workflow(
        r#"
        step review = W() { on_success -> complete  on_failure -> nowhere }
        succeed completed = "ok"
        "#,
    );
    let errors = diagnostics(&wf);
    assert_eq!(codes(&errors), ["flow::check::unknown_state"; 2]);
    let target = &clauses(&wf, 0)[0].target;
    assert_eq!(
        errors[0],
        CheckError::UnknownState {
            name: "complete".into(),
            workflow: "w".into(),
            span: target.span,
            suggestion: Some(Suggestion {
                replacement: "completed".into(),
                span: target.span,
            }),
            help: "did you mean `completed`?".into(),
        }
    );
    match &errors[1] {
        CheckError::UnknownState {
            suggestion: None,
            help,
            ..
        } => assert_eq!(
            help,
            "define a state named `nowhere` in workflow `w`, or name one of its states"
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn an_unknown_target_does_not_cascade() {
    // `b` is only reachable through the misspelt clause, and `a` has no
    // other way out: neither is reported until the name is fixed.
    let wf = workflow(
        r#"
        step a = W() { max_visits: 2  on_success -> bb  on_failure limit -> bb  on_failure -> a }
        step b = W() { on_success -> done }
        succeed done = "ok"
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        ["flow::check::unknown_state", "flow::check::unknown_state"]
    );
}

#[test]
fn start_names_an_existing_state() {
    let wf = workflow(
        r#"
        start: secnd
        succeed first = "1"
        succeed second = "2"
        "#,
    );
    let (graph, errors) = analyze(&wf);
    assert_eq!(codes(&errors), ["flow::check::unknown_state"]);
    assert!(matches!(
        &errors[0],
        CheckError::UnknownState { help, .. } if help == "did you mean `second`?"
    ));
    // With no known start, nothing is unreachable and nothing cascades.
    assert_eq!(graph.start(), None);
    assert!(graph.is_reachable(StateId(0)));
    assert!(graph.value_available(StateId(0), Point::Entry(StateId(1))));
}

#[test]
fn start_picks_the_start_state() {
    let wf = workflow(
        r#"
        start: second
        succeed first = "1"
        succeed second = "2"
        "#,
    );
    let (graph, errors) = analyze(&wf);
    assert_eq!(graph.start(), Some(StateId(1)));
    assert_eq!(
        errors,
        [CheckError::UnreachableState {
            name: "first".into(),
            start: "second".into(),
            span: wf.states[0].name.span,
        }]
    );
}

#[test]
fn start_must_be_a_bare_name() {
    let wf = workflow(
        r#"
        start: "second"
        succeed first = "1"
        succeed second = "2"
        "#,
    );
    assert_eq!(
        diagnostics(&wf),
        [CheckError::InvalidSetting {
            name: "start".into(),
            expected: "the name of a state".into(),
            span: wf.settings[0].value.span,
            found: "this is a string".into(),
            help: "write the state's name without quotes: `start: second`".into(),
        }]
    );
    let wf = workflow("start: 3\nsucceed first = \"1\"");
    assert!(matches!(
        &diagnostics(&wf)[..],
        [CheckError::InvalidSetting { found, help, .. }]
            if found == "this is a number" && help.contains("`start: first`")
    ));
}

#[test]
fn max_steps_is_a_positive_whole_number() {
    for (value, found) in [
        ("0", Some("this is zero")),
        ("-3", Some("this is a negative number")),
        ("2.5", Some("this is a number")),
        ("30s", Some("this is a duration")),
        ("\"many\"", Some("this is a string")),
        ("1", None),
        ("(10000)", None),
    ] {
        let wf = workflow(&format!("max_steps: {value}\nsucceed done = \"ok\""));
        let errors = diagnostics(&wf);
        match found {
            None => assert!(errors.is_empty(), "{value}: {errors:#?}"),
            Some(found) => assert!(
                matches!(
                    &errors[..],
                    [CheckError::InvalidSetting { name, found: f, .. }]
                        if name == "max_steps" && f == found
                ),
                "{value}: {errors:#?}"
            ),
        }
    }
}

#[test]
fn unknown_and_duplicate_workflow_settings() {
    let wf = workflow(
        r#"
        max_step: 10
        timeout: 30s
        max_steps: 10
        max_steps: 20
        succeed done = "ok"
        "#,
    );
    let errors = diagnostics(&wf);
    assert_eq!(
        codes(&errors),
        [
            "flow::check::unknown_setting",
            "flow::check::unknown_setting",
            "flow::check::duplicate_setting"
        ]
    );
    assert!(matches!(
        &errors[0],
        CheckError::UnknownSetting { help, suggestion: Some(s), context, .. }
            if help == "did you mean `max_steps`?" && s.replacement == "max_steps" && context == "a workflow"
    ));
    assert!(matches!(
        &errors[2],
        CheckError::DuplicateSetting { first, span, .. }
            if *first == wf.settings[2].name.span && *span == wf.settings[3].name.span
    ));
}

#[test]
fn a_workflow_without_states_cannot_start() {
    let wf = workflow("start: nothing");
    let (graph, errors) = analyze(&wf);
    assert_eq!(
        errors,
        [CheckError::MissingStart {
            workflow: "w".into(),
            span: wf.name.span,
        }]
    );
    assert_eq!(graph.start(), None);
}

#[test]
fn clauses_after_an_unconditional_one_are_unreachable() {
    let wf = workflow(
        r#"
        step a = W() {
          on_success -> done
          on_success when a.ok -> other
          on_failure timeout -> other
          on_failure -> failed
          on_failure limit -> other
        }
        succeed done = "ok"
        succeed other = "other"
        fail failed = "no"
        "#,
    );
    let t = clauses(&wf, 0);
    let help = "clauses are tried in order and the earlier one always matches: remove this \
                clause or move it above";
    assert_eq!(
        diagnostics(&wf),
        [
            CheckError::UnreachableTransition {
                span: t[1].span,
                taken_by: vec![LabeledSpan::at(
                    t[0].span,
                    "this clause matches every success first"
                )],
                help: help.into(),
            },
            CheckError::UnreachableTransition {
                span: t[4].span,
                taken_by: vec![LabeledSpan::at(
                    t[3].span,
                    "this clause matches every failure first"
                )],
                help: help.into(),
            },
        ],
        "`on_failure timeout` filters, so `on_failure ->` after it is reachable, \
         and `other` is still entered through it"
    );
}

#[test]
fn an_unreachable_clause_leads_nowhere() {
    let wf = workflow(
        r#"
        step a = W() { on_success -> done  on_success -> b  on_failure -> done }
        step b = W() { on_success -> done }
        succeed done = "ok"
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        [
            "flow::check::unreachable_transition",
            "flow::check::unreachable_state"
        ]
    );
}

#[test]
fn a_loop_of_unconditional_transitions_cannot_finish() {
    let wf = workflow(
        r#"
        step a = W() { max_visits: 3  on_success -> b  on_failure -> b }
        step b = W() { on_success -> a  on_failure -> a }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let errors = diagnostics(&wf);
    assert_eq!(
        codes(&errors),
        [
            "flow::check::cannot_finish",
            "flow::check::cannot_finish",
            "flow::check::unreachable_state",
            "flow::check::unreachable_state"
        ]
    );
    assert!(matches!(
        &errors[1],
        CheckError::CannotFinish { help, .. } if help.ends_with(
            "for example, send its failures to `failed` with `on_failure -> failed` instead of \
             back into the loop"
        )
    ));
    assert_eq!(
        errors[0],
        CheckError::CannotFinish {
            name: "a".into(),
            span: wf.states[0].name.span,
            help: "a run that enters `a` loops until `max_steps` stops it: lead `a` or a state \
                   after it to a `succeed` or `fail` state; for example, add \
                   `on_failure limit -> failed` above its other `on_failure` clauses, so that \
                   reaching `max_visits` ends the run"
                .into(),
        }
    );
}

#[test]
fn an_unrouted_failure_finishes_the_run() {
    // A failure of a class that no clause routes ends the run as failed,
    // so this loop can always finish (it is still unbounded).
    let wf = workflow(
        r#"
        step a = W() { on_success -> b  on_failure timeout -> b }
        step b = W() { on_success -> a  on_failure -> a }
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        [
            "flow::check::never_succeeds",
            "flow::check::unbounded_cycle"
        ]
    );
}

#[test]
fn failure_clauses_covering_every_class_route_every_failure() {
    let wf = workflow(
        r#"
        step a = W() {
          max_visits: 2
          on_success -> a
          on_failure timeout, transient -> a
          on_failure worker, output, limit -> a
        }
        fail failed = "no"
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        [
            "flow::check::cannot_finish",
            "flow::check::unreachable_state"
        ]
    );
    // A condition may not hold, so a conditional clause routes nothing for
    // certain; here `limit` failures end the run, so `a` can finish. (It
    // may also hold, so the loop stays unbounded, and nothing succeeds.)
    let wf = workflow(
        r#"
        step a = W() {
          max_visits: 2
          on_success -> a
          on_failure when error.attempts > 1 -> a
          on_failure timeout, transient, worker, output -> a
        }
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        [
            "flow::check::never_succeeds",
            "flow::check::unbounded_limit_loop"
        ]
    );
    // Without `max_visits` nothing raises `limit`: the four other classes
    // route every failure, and the state cannot finish.
    let wf = workflow(
        r#"
        step a = W() {
          on_success -> done
          on_failure timeout, transient, worker, output -> a
        }
        succeed done = "ok"
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        ["flow::check::unbounded_cycle"],
        "`a` reaches `done`, so it can finish; its failures loop without a bound"
    );
}

#[test]
fn cannot_finish_without_terminal_states_says_to_add_one() {
    let wf = parse_workflow(
        "workflow spin() -> string { step a = W() { max_visits: 2 on_success -> a on_failure -> a } }",
    );
    match &diagnostics(&wf)[..] {
        [CheckError::CannotFinish { help, .. }] => assert!(
            help.starts_with("workflow `spin` has no `succeed` or `fail` state"),
            "{help}"
        ),
        other => panic!("unexpected {other:#?}"),
    }
}

#[test]
fn a_loop_without_max_visits_is_unbounded() {
    let wf = workflow(
        r#"
        step a = W() { on_success -> b  on_failure -> failed }
        step b = W() { on_success -> c  on_failure -> failed }
        step c = W() {
          on_success when c.again -> a
          on_success -> done
          on_failure -> b
        }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let errors = diagnostics(&wf);
    assert_eq!(codes(&errors), ["flow::check::unbounded_cycle"]);
    let CheckError::UnboundedCycle {
        cycle,
        span,
        states,
        help,
        ..
    } = &errors[0]
    else {
        panic!("unexpected {:?}", errors[0]);
    };
    assert_eq!(cycle, "`a` → `b` → `c` → `a`");
    assert_eq!(*span, wf.states[0].name.span);
    let labels: Vec<(Option<&str>, usize)> =
        states.iter().map(|l| (l.label(), l.offset())).collect();
    assert_eq!(
        labels,
        [
            (Some("then `b`"), wf.states[1].name.span.start as usize),
            (Some("then `c`"), wf.states[2].name.span.start as usize),
            (
                Some("and back to `a`"),
                clauses(&wf, 2)[0].span.start as usize
            ),
        ]
    );
    assert_eq!(
        help,
        "add `max_visits: N` to one of these states, for example `a`: its N+1-th visit then \
         fails with class `limit`, which an `on_failure` clause can route out of the loop"
    );
    assert_eq!(
        errors[0].to_string(),
        "the loop `a` → `b` → `c` → `a` has no bound"
    );
}

#[test]
fn a_self_loop_is_unbounded_and_max_visits_bounds_it() {
    let wf = workflow(
        r#"
        step poll = W() { on_success when poll.pending -> poll  on_success -> done }
        succeed done = "ok"
        "#,
    );
    match &diagnostics(&wf)[..] {
        [CheckError::UnboundedCycle { cycle, states, .. }] => {
            assert_eq!(cycle, "`poll` → `poll`");
            assert_eq!(states.len(), 1);
        }
        other => panic!("unexpected {other:#?}"),
    }
    let wf = workflow(
        r#"
        step poll = W() {
          max_visits: 5
          on_success when poll.pending -> poll
          on_success -> done
        }
        succeed done = "ok"
        "#,
    );
    assert_eq!(diagnostics(&wf), []);
}

#[test]
fn every_unbounded_component_is_reported_in_source_order() {
    // Two separate loops (the algorithm finds `p ↔ q` first) and a bounded
    // one that is not reported.
    let wf = workflow(
        r#"
        step x = W() { on_success -> y  on_failure -> p }
        step y = W() { on_success -> x  on_failure -> p }
        step p = W() { on_success -> q  on_failure -> done }
        step q = W() { on_success -> p  on_failure -> r }
        step r = W() { max_visits: 2  on_success -> r  on_failure -> done }
        succeed done = "ok"
        "#,
    );
    let errors = diagnostics(&wf);
    let cycles: Vec<&str> = errors
        .iter()
        .filter_map(|e| match e {
            CheckError::UnboundedCycle { cycle, .. } => Some(cycle.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(cycles, ["`x` → `y` → `x`", "`p` → `q` → `p`"]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn a_loop_through_a_bounded_state_is_fine_but_an_inner_loop_is_not() {
    // `b` bounds `a → b → a`, but `c ↔ d` loops without passing `b`.
    let wf = workflow(
        r#"
        step a = W() { on_success -> b  on_failure -> c }
        step b = W() { max_visits: 3  on_success -> a  on_failure -> done }
        step c = W() { on_success -> d  on_failure -> done }
        step d = W() { on_success -> c  on_failure -> done }
        succeed done = "ok"
        "#,
    );
    match &diagnostics(&wf)[..] {
        [CheckError::UnboundedCycle { cycle, .. }] => assert_eq!(cycle, "`c` → `d` → `c`"),
        other => panic!("unexpected {other:#?}"),
    }
}

#[test]
fn the_reported_loop_is_a_shortest_one() {
    // From `a`, `a → b → c → d → a` and `a → d → a` both loop; the error
    // names the shorter.
    let wf = workflow(
        r#"
        step a = W() { on_success -> b  on_failure -> d }
        step b = W() { on_success -> c }
        step c = W() { on_success -> d }
        step d = W() { on_success -> a  on_failure -> done }
        succeed done = "ok"
        "#,
    );
    match &diagnostics(&wf)[..] {
        [CheckError::UnboundedCycle { cycle, .. }] => assert_eq!(cycle, "`a` → `d` → `a`"),
        other => panic!("unexpected {other:#?}"),
    }
}

#[test]
fn unreachable_loops_only_get_the_unreachable_warning() {
    let wf = workflow(
        r#"
        succeed done = "ok"
        step a = W() { on_success -> a  on_failure -> a }
        "#,
    );
    assert_eq!(codes(&diagnostics(&wf)), ["flow::check::unreachable_state"]);
}

#[test]
fn duplicate_states_are_reported_once() {
    let wf = workflow(
        r#"
        step a = W() { on_success -> done  on_failure -> done }
        succeed done = "ok"
        step a = W() { on_success -> a  on_failure -> a }
        "#,
    );
    assert_eq!(codes(&diagnostics(&wf)), ["flow::check::duplicate_state"]);
}

#[test]
fn diagnostics_come_in_source_order() {
    let wf = workflow(
        r#"
        start: b
        step a = W() { on_success -> b  on_failure -> nope }
        step b = W() { on_success -> b  on_failure -> done }
        succeed done = "ok"
        "#,
    );
    let errors = diagnostics(&wf);
    let offsets: Vec<usize> = errors.iter().map(CheckError::offset).collect();
    assert!(offsets.is_sorted(), "{offsets:?}");
    assert_eq!(
        codes(&errors),
        ["flow::check::unknown_state", "flow::check::unbounded_cycle"]
    );
}

/// A long chain `s0 → s1 → … → done` whose steps all fail to one `fail`
/// state, and the same chain closed into a loop: no recursion depth or
/// quadratic work may depend on the number of states. (The chain is built
/// directly, without the parser, to keep the test fast in debug builds.)
#[test]
fn large_workflows_are_analyzed() {
    const N: usize = 100_000;
    let mut wf = Wf::new("big");
    for i in 0..N {
        wf = wf.step(&format!("s{i}"), &format!("s{}", i + 1), "failed");
    }
    let wf = wf.succeed(&format!("s{N}")).fail("failed").build();
    let (graph, errors) = analyze(&wf);
    assert!(errors.is_empty(), "{:#?}", &errors[..errors.len().min(3)]);
    let last = id(&graph, &format!("s{N}"));
    assert!(graph.value_available(StateId(0), Point::Entry(last)));
    assert!(graph.value_available(StateId(N as u32 / 2), Point::Entry(last)));
    assert!(!graph.value_available(StateId(1), Point::Entry(id(&graph, "failed"))));

    let mut wf = Wf::new("ring");
    for i in 0..N {
        wf = wf.step(&format!("s{i}"), &format!("s{}", (i + 1) % N), "failed");
    }
    let wf = wf.fail("failed").build();
    let errors = diagnostics(&wf);
    assert_eq!(
        codes(&errors),
        [
            "flow::check::never_succeeds",
            "flow::check::unbounded_cycle"
        ]
    );
    match &errors[1] {
        CheckError::UnboundedCycle { states, .. } => assert_eq!(states.len(), N),
        _ => unreachable!(),
    }
}

// ------------------------------------------------- loops through `limit`

/// The labels of a diagnostic's collection, as (text, offset).
fn label_list(labels: &[LabeledSpan]) -> Vec<(Option<&str>, usize)> {
    labels.iter().map(|l| (l.label(), l.offset())).collect()
}

#[test]
fn a_catch_all_that_takes_the_limit_back_into_the_loop_is_unbounded() {
    // The issue's example: at run time `code` ran until `max_steps`.
    let wf = workflow(
        r#"
        step code = W() { on_success -> review  on_failure -> failed }
        step review = W() {
          max_visits: 3
          on_success when review.ok -> done
          on_success -> code
          on_failure -> code
        }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let errors = diagnostics(&wf);
    let [
        CheckError::UnboundedLimitLoop {
            cycle,
            state,
            span,
            states,
            help,
            ..
        },
    ] = &errors[..]
    else {
        panic!("unexpected {errors:#?}");
    };
    let review = clauses(&wf, 1);
    let setting = match wf.states[1].kind.body() {
        Some(body) => body.settings[0].span,
        None => unreachable!(),
    };
    assert_eq!(cycle, "`review` → `code` → `review`");
    assert_eq!(state, "review");
    assert_eq!(
        *span, review[2].span,
        "the primary label is the `limit` clause"
    );
    assert_eq!(
        label_list(states),
        [
            (
                Some("after 3 visits, every entry of `review` fails with class `limit`"),
                setting.start as usize
            ),
            (Some("then `code`"), wf.states[0].name.span.start as usize),
            (
                Some("and back to `review`"),
                clauses(&wf, 0)[0].span.start as usize
            ),
        ]
    );
    assert_eq!(
        help,
        "`max_visits` bounds a loop only when reaching it leads out of the loop: add \
         `on_failure limit -> failed` to `review` above `on_failure -> code`, so that the run \
         leaves the loop once `review` has used its visits up"
    );
    assert_eq!(
        errors[0].to_string(),
        "the loop `review` → `code` → `review` has no bound: a `limit` failure of `review` is \
         routed back into it"
    );
}

#[test]
fn routing_the_limit_out_of_the_loop_bounds_it() {
    let wf = workflow(
        r#"
        step code = W() { on_success -> review  on_failure -> failed }
        step review = W() {
          max_visits: 3
          on_success when review.ok -> done
          on_success -> code
          on_failure limit -> failed
          on_failure -> code
        }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    assert_eq!(diagnostics(&wf), []);
}

/// The codes for `review`'s failure clauses in the loop of the test above.
fn limit_loop_codes(failure_clauses: &str) -> Vec<String> {
    let wf = workflow(&format!(
        r#"
        step code = W() {{ on_success -> review  on_failure -> failed }}
        step review = W() {{
          max_visits: 3
          on_success when review.ok -> done
          on_success -> code
          {failure_clauses}
        }}
        succeed done = "ok"
        fail failed = "no"
        "#
    ));
    codes(&diagnostics(&wf))
}

#[test]
fn every_clause_a_limit_failure_can_take_counts() {
    let unbounded = ["flow::check::unbounded_limit_loop"];
    // A filter that names `limit`.
    assert_eq!(
        limit_loop_codes("on_failure timeout, limit -> code"),
        unbounded
    );
    assert_eq!(limit_loop_codes("on_failure limit -> code"), unbounded);
    // A condition may hold for a `limit` failure too, and does not settle
    // where the `limit` goes: the clauses after it count as well.
    assert_eq!(
        limit_loop_codes("on_failure when error.attempts > 2 -> code  on_failure limit -> failed"),
        unbounded
    );
    assert_eq!(
        limit_loop_codes("on_failure limit when error.attempts > 2 -> failed  on_failure -> code"),
        unbounded
    );
    // Clauses that cannot match `limit` are normal exits.
    assert_eq!(
        limit_loop_codes("on_failure timeout, transient, worker, output -> code"),
        Vec::<String>::new()
    );
    // After a clause without a condition takes `limit`, the catch-all takes
    // only the other classes.
    assert_eq!(
        limit_loop_codes("on_failure limit -> failed  on_failure when error.attempts > 1 -> code"),
        Vec::<String>::new()
    );
    // An unrouted `limit` ends the run.
    assert_eq!(
        limit_loop_codes("on_failure timeout -> code"),
        Vec::<String>::new()
    );
}

#[test]
fn the_help_of_a_limit_clause_that_leads_back_says_to_send_it_out() {
    let wf = workflow(
        r#"
        step code = W() { on_success -> review  on_failure -> failed }
        step review = W() { max_visits: 3  on_success -> done  on_failure limit -> code }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    match &diagnostics(&wf)[..] {
        [CheckError::UnboundedLimitLoop { help, .. }] => assert_eq!(
            help,
            "`max_visits` bounds a loop only when reaching it leads out of the loop: send it out \
             of the loop instead, for example `on_failure limit -> failed`, so that the run \
             leaves the loop once `review` has used its visits up"
        ),
        other => panic!("unexpected {other:#?}"),
    }
}

#[test]
fn another_bounded_state_of_the_loop_bounds_it_through_its_normal_exits() {
    // `b` sends its `limit` back to `a`, but `a` is bounded too and sends
    // its own `limit` out: once `a` has used its visits, the loop ends.
    let wf = workflow(
        r#"
        step a = W() { max_visits: 3  on_success -> b  on_failure limit -> done  on_failure -> failed }
        step b = W() { max_visits: 2  on_success -> a  on_failure -> a }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    assert_eq!(diagnostics(&wf), []);
    // If `a` sends its `limit` into the loop as well, nothing bounds it;
    // the loop is named through its first bounded state, with both `limit`
    // clauses labelled.
    let wf = workflow(
        r#"
        step a = W() { max_visits: 3  on_success when a.ok -> done  on_success -> b  on_failure -> b }
        step b = W() { max_visits: 2  on_success -> a  on_failure -> a }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let errors = diagnostics(&wf);
    let [CheckError::UnboundedLimitLoop { cycle, states, .. }, ..] = &errors[..] else {
        panic!("unexpected {errors:#?}");
    };
    assert_eq!(cycle, "`a` → `b` → `a`");
    let texts: Vec<&str> = states.iter().filter_map(|l| l.label()).collect();
    assert_eq!(
        texts,
        [
            "after 3 visits, every entry of `a` fails with class `limit`",
            "then `b`",
            "a `limit` failure of `b` is routed here, back to `a`"
        ]
    );
}

#[test]
fn a_bounded_self_loop_through_its_limit_is_unbounded() {
    let wf = workflow(
        r#"
        step poll = W() {
          max_visits: 5
          on_success when poll.pending -> poll
          on_success -> done
          on_failure -> poll
        }
        succeed done = "ok"
        "#,
    );
    match &diagnostics(&wf)[..] {
        [
            CheckError::UnboundedLimitLoop {
                cycle,
                span,
                states,
                ..
            },
        ] => {
            assert_eq!(cycle, "`poll` → `poll`");
            assert_eq!(*span, clauses(&wf, 0)[2].span);
            assert_eq!(states.len(), 1, "only the `max_visits` label: {states:?}");
        }
        other => panic!("unexpected {other:#?}"),
    }
}

#[test]
fn both_loop_rules_report_one_group_of_states() {
    // `a ↔ b` has no bound at all; `b → c → b` goes through `c`'s limit.
    let wf = workflow(
        r#"
        step a = W() { on_success -> b  on_failure -> done }
        step b = W() { on_success -> a  on_failure -> c }
        step c = W() { max_visits: 2  on_success -> done  on_failure -> b }
        succeed done = "ok"
        "#,
    );
    let errors = diagnostics(&wf);
    let cycles: Vec<(&str, &str)> = errors
        .iter()
        .filter_map(|e| match e {
            CheckError::UnboundedCycle { cycle, .. } => Some(("cycle", cycle.as_str())),
            CheckError::UnboundedLimitLoop { cycle, .. } => Some(("limit", cycle.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        cycles,
        [("cycle", "`a` → `b` → `a`"), ("limit", "`c` → `b` → `c`")]
    );
}

#[test]
fn a_limit_loop_that_cannot_finish_is_reported_as_such() {
    // No state of the loop can end the run: `cannot_finish` says so, and
    // the limit loop is not reported a second time.
    let wf = workflow(
        r#"
        step a = W() { max_visits: 2  on_success -> a  on_failure -> a }
        succeed done = "ok"
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        [
            "flow::check::cannot_finish",
            "flow::check::unreachable_state"
        ]
    );
}

#[test]
fn a_large_limit_loop_is_analyzed() {
    // Every state is bounded, and every failure, `limit` included, goes on
    // to the next: one loop of all the states.
    const N: usize = 100_000;
    let mut wf = Wf::new("ring");
    for i in 0..N {
        wf = wf
            .step(&format!("s{i}"), "done", &format!("s{}", (i + 1) % N))
            .max_visits();
    }
    let wf = wf.succeed("done").build();
    let errors = diagnostics(&wf);
    assert_eq!(codes(&errors), ["flow::check::unbounded_limit_loop"]);
    match &errors[0] {
        // The `max_visits` label of `s0`, the names of the N - 1 other
        // states, the `limit` clauses of all but the last of them, and the
        // clause that closes the loop.
        CheckError::UnboundedLimitLoop { states, .. } => assert_eq!(states.len(), 2 * N - 1),
        _ => unreachable!(),
    }
}

// ---------------------------------------------------------- never succeeds

#[test]
fn a_workflow_whose_runs_all_fail_never_succeeds() {
    // The loop is bounded, but its only way out is the unrouted `limit`.
    let wf = workflow(
        r#"
        step code = W() { on_success -> review  on_failure -> failed }
        step review = W() { max_visits: 3  on_success -> code  on_failure timeout -> failed }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let errors = diagnostics(&wf);
    assert_eq!(
        codes(&errors),
        [
            "flow::check::never_succeeds",
            "flow::check::unreachable_state"
        ]
    );
    assert_eq!(
        errors[0],
        CheckError::NeverSucceeds {
            workflow: "w".into(),
            span: wf.name.span,
            start: "code".into(),
            start_span: wf.states[0].name.span,
            unreached: vec![LabeledSpan::at(
                wf.states[2].name.span,
                "no path leads to `done`"
            )],
            help: "every run of `w` ends by failing: send a success to `done`, for example \
                   `on_success when ... -> done`, or end the loop at `review` with \
                   `on_failure limit -> done` if reaching its `max_visits` is a result"
                .into(),
        }
    );
    assert_eq!(errors[0].to_string(), "workflow `w` can never succeed");
}

#[test]
fn a_workflow_without_succeed_states_never_succeeds() {
    let wf = workflow(
        r#"
        step a = W() { on_success -> failed }
        fail failed = "no"
        "#,
    );
    match &diagnostics(&wf)[..] {
        [
            CheckError::NeverSucceeds {
                unreached, help, ..
            },
        ] => {
            assert!(unreached.is_empty());
            assert!(help.contains("add a `succeed` state"), "{help}");
        }
        other => panic!("unexpected {other:#?}"),
    }
}

#[test]
fn never_succeeds_is_held_back_where_another_rule_explains() {
    // A misspelt target may be the way to `done`.
    let wf = workflow(
        r#"
        step a = W() { on_success -> dne  on_failure -> failed }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    assert_eq!(codes(&diagnostics(&wf)), ["flow::check::unknown_state"]);
    // The start state cannot end the run at all.
    let wf = workflow(
        r#"
        step a = W() { on_success -> a  on_failure -> a }
        succeed done = "ok"
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        [
            "flow::check::cannot_finish",
            "flow::check::unbounded_cycle",
            "flow::check::unreachable_state"
        ]
    );
}

#[test]
fn a_reachable_succeed_state_is_enough() {
    // However unlikely the condition, a run may take it.
    let wf = workflow(
        r#"
        step a = W() { on_success when a.ok -> done  on_success -> failed  on_failure -> failed }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    assert_eq!(diagnostics(&wf), []);
}

// ------------------------------------------------------ unreachable clauses

#[test]
fn a_class_an_earlier_clause_takes_is_unreachable() {
    let wf = workflow(
        r#"
        step a = W() {
          on_success -> done
          on_failure timeout -> slow
          on_failure timeout -> other
          on_failure transient when error.attempts > 1 -> other
          on_failure worker, transient -> other
          on_failure transient -> slow
          on_failure -> failed
        }
        succeed done = "ok"
        succeed other = "other"
        fail slow = "slow"
        fail failed = "no"
        "#,
    );
    let t = clauses(&wf, 0);
    let errors = diagnostics(&wf);
    assert_eq!(
        errors,
        [
            CheckError::UnreachableTransition {
                span: t[2].span,
                taken_by: vec![LabeledSpan::at(
                    t[1].span,
                    "this clause takes every `timeout` failure first"
                )],
                help: "clauses are tried in order, and the clause above takes every `timeout` \
                       failure first: remove this clause, or move it above that one"
                    .into(),
            },
            // A clause with a condition takes nothing for certain: only
            // the `worker, transient` clause takes `transient`.
            CheckError::UnreachableTransition {
                span: t[5].span,
                taken_by: vec![LabeledSpan::at(
                    t[4].span,
                    "this clause takes every `transient` failure first"
                )],
                help: "clauses are tried in order, and the clause above takes every \
                       `transient` failure first: remove this clause, or move it above that one"
                    .into(),
            },
        ]
    );
}

#[test]
fn a_catch_all_after_clauses_that_take_every_class_is_unreachable() {
    // Without `max_visits` there is no `limit` failure, so the two filters
    // take every failure `a` can have.
    let wf = workflow(
        r#"
        step a = W() {
          on_success -> done
          on_failure timeout, transient -> failed
          on_failure worker, output -> failed
          on_failure -> done
        }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let t = clauses(&wf, 0);
    match &diagnostics(&wf)[..] {
        [
            CheckError::UnreachableTransition {
                span,
                taken_by,
                help,
            },
        ] => {
            assert_eq!(*span, t[3].span);
            assert_eq!(
                label_list(taken_by),
                [
                    (
                        Some("this clause takes every `timeout` and `transient` failure first"),
                        t[1].span.start as usize
                    ),
                    (
                        Some("this clause takes every `worker` and `output` failure first"),
                        t[2].span.start as usize
                    ),
                    (
                        Some("`a` has no `max_visits`, so it never fails with class `limit`"),
                        wf.states[0].name.span.start as usize
                    ),
                ]
            );
            assert_eq!(
                help,
                "clauses are tried in order, and the clauses above take every failure this one \
                 could match (`timeout`, `transient`, `worker` and `output`): remove this \
                 clause, or move it above them"
            );
        }
        other => panic!("unexpected {other:#?}"),
    }
}

#[test]
fn on_failure_limit_needs_max_visits() {
    for state in [
        "step a = W() { on_success -> done  on_failure limit -> gave_up  on_failure -> done }",
        "map a = W(x: i) for i in [1] { on_success -> done  on_failure limit -> gave_up  on_failure -> done }",
        "parallel a { branch b = W() on_success -> done  on_failure limit -> gave_up  on_failure -> done }",
    ] {
        let wf = workflow(&format!(
            "{state}\n succeed done = \"ok\"\n fail gave_up = \"no\""
        ));
        let errors = diagnostics(&wf);
        assert_eq!(
            codes(&errors),
            [
                "flow::check::limit_without_max_visits",
                "flow::check::unreachable_state"
            ],
            "{state}"
        );
        assert_eq!(
            errors[0],
            CheckError::LimitWithoutMaxVisits {
                state: "a".into(),
                span: clauses(&wf, 0)[1].span,
                name: wf.states[0].name.span,
                taken_by: Vec::new(),
                help: "a `limit` failure is raised only when a state is entered once more than \
                       its `max_visits` allows (running out of `retries` fails with the class of \
                       the last attempt): add `max_visits: N` to `a` if its visits should be \
                       bounded, or remove this clause"
                    .into(),
            },
            "{state}"
        );
        assert_eq!(
            errors[0].to_string(),
            "state `a` never fails with class `limit`: it has no `max_visits`"
        );
    }
    // With `max_visits` the clause is taken; a second one is not.
    let wf = workflow(
        r#"
        step a = W() {
          max_visits: 2
          on_success -> done
          on_failure limit -> gave_up
          on_failure limit -> done
          on_failure -> done
        }
        succeed done = "ok"
        fail gave_up = "no"
        "#,
    );
    assert_eq!(
        codes(&diagnostics(&wf)),
        ["flow::check::unreachable_transition"]
    );
}

#[test]
fn a_filter_with_other_live_classes_is_reachable() {
    // `limit` in the filter is dead, but `timeout` is not; and a misspelt
    // class gets its own error, not this warning.
    let wf = workflow(
        r#"
        step a = W() {
          on_success -> done
          on_failure timeout, limit -> done
          on_failure timout -> done
          on_failure -> done
        }
        succeed done = "ok"
        "#,
    );
    assert_eq!(diagnostics(&wf), []);
}

// ------------------------------------------------ why a value is missing

#[test]
fn absence_says_whether_a_step_has_not_run_or_failed() {
    let wf = workflow(
        r#"
        step a = W() { on_success -> b  on_failure -> c }
        step b = W() { on_success -> c  on_failure -> failed }
        step c = W() { on_success -> x  on_failure -> failed }
        step x = W() { on_success -> y }
        step y = W() { max_visits: 2  on_success -> done  on_failure limit -> failed  on_failure -> x }
        succeed done = "ok"
        fail failed = "no"
        "#,
    );
    let (graph, errors) = analyze(&wf);
    assert_eq!(errors, []);
    let [a, b, c, x, y] = ["a", "b", "c", "x", "y"].map(|name| id(&graph, name));
    use Point::{Entry, Succeeded};
    // Every path to `c` runs `a`: without its value, `a` failed.
    assert!(!graph.value_available(a, Entry(c)));
    assert_eq!(
        graph.absence(a, Entry(c)),
        Absence::Failed {
            clause: Some(clauses(&wf, 0)[1].span)
        }
    );
    // `a`'s failure skips `b`, and `b`'s own failure does not lead to `c`.
    assert_eq!(graph.absence(b, Entry(c)), Absence::NotRun);
    assert_eq!(graph.absence(b, Succeeded(c)), Absence::NotRun);
    // `x` comes before `y`, and a failure of `y` comes back to `x`.
    assert_eq!(
        graph.absence(y, Entry(x)),
        Absence::NotRunOrFailed {
            clause: Some(clauses(&wf, 4)[2].span)
        }
    );
    // A step's own entry is not "after" it: on the first visit it has not
    // run.
    assert_eq!(
        graph.absence(y, Entry(y)),
        Absence::NotRunOrFailed {
            clause: Some(clauses(&wf, 4)[2].span)
        }
    );
}

#[test]
fn the_searches_for_failures_share_a_linear_budget() {
    // Every step restarts the chain when it fails: each search from a
    // failure walks the whole workflow. Once the shared budget is spent,
    // the answer is the cautious one, without a clause.
    const N: usize = 20_000;
    let mut wf = Wf::new("chain");
    for i in 0..N {
        wf = wf.step(&format!("s{i}"), &format!("s{}", i + 1), "s0");
    }
    let wf = wf.succeed(&format!("s{N}")).build();
    let (graph, _) = analyze(&wf);
    // The value of `s{i}` before `s{i-1}`: its failure restarts the chain,
    // and the search goes down it to `s{i-1}`.
    let answers: Vec<Absence> = (N - 1000..N)
        .rev()
        .map(|i| graph.absence(StateId(i as u32), Point::Entry(StateId(i as u32 - 1))))
        .collect();
    assert!(matches!(
        answers[0],
        Absence::NotRunOrFailed { clause: Some(_) }
    ));
    assert_eq!(
        answers[answers.len() - 1],
        Absence::NotRunOrFailed { clause: None }
    );
}
