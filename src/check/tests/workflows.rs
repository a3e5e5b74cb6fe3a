//! States: worker calls, maps, parallels, conditions, `succeed` and `fail`
//! values, `error`, exhaustive transitions and definite assignment.

use super::{assert_codes, help, labels, only};
use crate::check::CheckError;

const ITEMS: &str = r#"
type Review { verdict: "approve" | "revise", comments: [string] }
worker Coder(task: string, feedback: [string]) -> string { exec { command: ["./code"] } }
worker Reviewer(code: string) -> Review { http { url: "http://r" } }
worker Count(text: string) -> int { exec { command: ["wc"] } }
"#;

fn file(workflow: &str) -> String {
    format!("{ITEMS}\n{workflow}\n")
}

#[test]
fn worker_call_arguments() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  step code = Coder(task: task, feedback: [], task: "x", extra: 1) { on_success -> again }
  step again = Coder(task, feedback: 3) { on_success -> missing }
  step missing = Coder() { on_success -> nobody }
  step nobody = Codr(task: task) { on_success -> done }
  succeed done = code
}
"#,
    );
    assert_codes(
        &source,
        &[
            "duplicate_argument",
            "unknown_argument",
            "unnamed_argument",
            "type_mismatch",
            "missing_argument",
            "missing_argument",
            "unknown_worker",
        ],
    );
    let found = super::diagnostics(&source);
    assert_eq!(help(&found[2]), "write it as `task: ...`");
    assert_eq!(labels(&found[3])[0], "argument `feedback` of `Coder`");
    assert_eq!(help(&found[6]), "did you mean `Coder`?");
}

#[test]
fn an_unknown_worker_does_not_cascade() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  step code = Codr(task: task) {
    on_success when code.anything == "x" -> done
    on_success -> done
  }
  succeed done = code.text
}
"#,
    );
    assert_codes(&source, &["unknown_worker"]);
}

#[test]
fn calling_something_that_is_not_a_worker() {
    let source = r#"
transformer t(x: string) -> string = x
transformer redact(x: string) -> string { exec { command: ["./redact"] } }
workflow sub() -> string { succeed done = "ok" }
workflow main() -> string {
  step a = t(x: "a") { on_success -> b }
  step b = sub() { on_success -> c }
  step c = redact(x: "a") { on_success -> done }
  succeed done = "ok"
}
"#;
    let found = super::diagnostics(source);
    let helps: Vec<String> = found.iter().map(help).collect();
    // An external transformer cannot be called in an expression either
    // (`impure_call`): it runs only as a hook.
    assert_eq!(
        helps,
        [
            "`t` is a transformer: call it inside an expression or use it as a `before:`/`after:` hook, or declare a worker",
            "`sub` is a workflow; a state calls a worker (workflows cannot call workflows yet)",
            "`redact` is an external transformer: use it as a `before:` or `after:` hook of a worker or step, or declare a worker that runs its program",
        ]
    );
}

#[test]
fn map_states_iterate_lists() {
    let source = file(
        r#"
workflow main(tasks: [string], one: string) -> [int] {
  map counts = Count(text: t) for t in tasks { on_success -> done }
  succeed done = counts
}
"#,
    );
    assert_codes(&source, &[]);
    let source = file(
        r#"
workflow main(tasks: [string], one: string) -> string {
  map a = Count(text: t) for t in one { on_success -> b }
  map b = Count(text: t) for t in [1, 2] { on_success -> c }
  map c = Count(text: t + "!") for t in tasks { on_success -> done }
  succeed done = "ok"
}
"#,
    );
    assert_codes(&source, &["type_mismatch", "type_mismatch"]);
}

#[test]
fn parallel_states_have_a_record_of_branch_values() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  parallel both {
    branch code = Coder(task: task, feedback: [])
    branch words = Count(text: task) { timeout: 5s }
    max_concurrency: 2
    on_success when both.words > 10 -> done
    on_success -> done
  }
  succeed done = both.code + string(both.words)
}
"#,
    );
    assert_codes(&source, &[]);
    let source = file(
        r#"
workflow main(task: string) -> string {
  parallel both {
    branch words = Count(text: task) { max_visits: 2 }
    timeout: 5s
    on_success -> done
  }
  succeed done = both.lines
}
"#,
    );
    assert_codes(
        &source,
        &["unknown_setting", "unknown_setting", "unknown_field"],
    );
}

#[test]
fn conditions_must_be_bool() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  step n = Count(text: task) {
    on_success when n -> done
    on_success when n > 3 -> done
    on_success -> done
  }
  succeed done = "ok"
}
"#,
    );
    assert_codes(&source, &["non_bool_condition"]);
}

#[test]
fn succeed_and_fail_values() {
    let source = file(
        r#"
workflow main(task: string) -> int {
  step n = Count(text: task) {
    on_success when n > 3 -> big
    on_success -> small
  }
  succeed big = n
  succeed small = task
  fail never = n
}
"#,
    );
    let found = super::diagnostics(&source);
    let codes: Vec<_> = found.iter().map(|d| d.to_string()).collect();
    assert!(
        matches!(found[0], CheckError::OutputMismatch { .. }),
        "{codes:#?}"
    );
    assert!(
        matches!(found.last(), Some(CheckError::TypeMismatch { context, .. }) if context == "the message of fail state `never`"),
        "{found:#?}"
    );
}

#[test]
fn terminal_states_have_no_value() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  step n = Count(text: task) { on_success -> done on_failure -> failed }
  succeed done = failed
  fail failed = "no"
}
"#,
    );
    let d = only(&source);
    assert!(matches!(d, CheckError::UnknownName { .. }));
    assert_eq!(
        help(&d),
        "`failed` is a `fail` state: it ends the run and has no value"
    );
}

#[test]
fn error_is_the_failure_being_routed_in_on_failure_conditions_and_may_be_null_elsewhere() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  step n = Count(text: task) {
    max_visits: 2
    on_success when error.attempts > 1 -> done
    on_success -> done
    on_failure when error.attempts > 2 && error.class == "timeot" -> failed
    on_failure timeout, transeint -> failed
    on_failure when error.message == "" -> done
    on_failure -> failed
  }
  succeed done = "ok"
  fail failed = "no"
}
"#,
    );
    // In the `on_success` condition, `error` is the failure routed last,
    // which may be null; in the `on_failure` ones it is the failure itself.
    assert_codes(
        &source,
        &["nullable_value", "not_a_member", "unknown_failure_class"],
    );
    let found = super::diagnostics(&source);
    assert_eq!(help(&found[1]), "did you mean `\"timeout\"`?");
    assert_eq!(help(&found[2]), "did you mean `transient`?");
}

#[test]
fn transitions_must_cover_every_success() {
    let covered = file(
        r#"
workflow main(code: string) -> string {
  step review = Reviewer(code: code) {
    on_success when (review.verdict == "approve") -> done
    on_success when "revise" == review.verdict -> done
  }
  step r2 = Reviewer(code: code) {
    on_success when review.verdict == "approve" || review.verdict == "revise" -> done
  }
  succeed done = "ok"
}
"#,
    );
    assert_codes(&covered, &["unreachable_state"]);
    let source = file(
        r#"
workflow main(code: string, flag: bool) -> string {
  step review = Reviewer(code: code) {
    on_success when review.verdict == "approve" -> done
  }
  step none = Reviewer(code: code) {
    on_failure -> done
  }
  step unprovable = Count(text: code) {
    on_success when unprovable > 3 -> done
  }
  step flags = Count(text: code) {
    on_success when flag == true -> done
    on_success when flag == false -> done
  }
  succeed done = "ok"
}
"#,
    );
    let found = super::diagnostics(&source);
    let non_exhaustive: Vec<Vec<String>> = found
        .iter()
        .filter(|d| matches!(d, CheckError::NonExhaustiveTransitions { .. }))
        .map(labels)
        .collect();
    assert_eq!(
        non_exhaustive,
        [
            ["no `on_success` clause matches `\"revise\"`"],
            ["no `on_success` clause matches any result"],
            ["no `on_success` clause matches the case where `unprovable > 3` is `false`"],
        ]
    );
}

/// The labels and help of the one `non_exhaustive_transitions` of a step
/// `s` with these `on_success` clauses, or `None` when they are exhaustive.
fn exhaustiveness(clauses: &str) -> Option<(Vec<String>, String)> {
    let source = file(&format!(
        r#"
type Check {{ ok: bool, score: int, label: "good" | "bad" | "ugly", maybe?: bool }}
worker Judge(code: string) -> Check {{ http {{ url: "http://j" }} }}
workflow main(code: string, strict: bool) -> string {{
  step s = Judge(code: code) {{
    {clauses}
    on_failure -> done
  }}
  succeed done = "ok"
}}
"#
    ));
    let found = super::diagnostics(&source);
    let mut non_exhaustive = found
        .iter()
        .filter(|d| matches!(d, CheckError::NonExhaustiveTransitions { .. }));
    let first = non_exhaustive.next().map(|d| (labels(d), help(d)));
    let others: Vec<_> = found
        .iter()
        .filter(|d| !matches!(d, CheckError::NonExhaustiveTransitions { .. }))
        .collect();
    assert!(others.is_empty(), "{clauses}: {others:#?}");
    first
}

#[test]
fn a_bool_condition_both_ways_is_exhaustive() {
    for clauses in [
        "on_success when s.ok -> done  on_success when !s.ok -> done",
        "on_success when !s.ok -> done  on_success when s.ok -> done",
        // Parentheses, `== true` / `== false` and double negation.
        "on_success when (s.ok) -> done  on_success when !((s.ok)) -> done",
        "on_success when s.ok -> done  on_success when s.ok == false -> done",
        "on_success when s.ok == true -> done  on_success when !s.ok -> done",
        "on_success when !!s.ok -> done  on_success when !s.ok -> done",
        // Any `bool` expression, compared as written.
        "on_success when s.score > 3 && strict -> done  on_success when !(s.score > 3 && strict) -> done",
        // An equality and its opposite, either way round.
        "on_success when s.score == 3 -> done  on_success when s.score != 3 -> done",
        "on_success when s.label == \"good\" -> done  on_success when \"good\" != s.label -> done",
        "on_success when !(s.score == 3) -> done  on_success when s.score == 3 -> done",
        // A part that makes the condition hold: `p || q` for `p`, and
        // `!(p && q)` for `!p`.
        "on_success when s.ok || strict -> done  on_success when !s.ok -> done",
        "on_success when !(s.ok && strict) -> done  on_success when s.ok -> done",
        // Other clauses may stand between them.
        "on_success when s.ok -> done  on_success when strict -> done  on_success when !s.ok -> done",
    ] {
        assert_eq!(exhaustiveness(clauses), None, "{clauses}");
    }
}

#[test]
fn conditions_that_do_not_cover_both_ways_are_not_exhaustive() {
    let cases = [
        // Different expressions.
        (
            "on_success when s.ok -> done  on_success when !strict -> done",
            "no `on_success` clause matches the case where `s.ok` is `false`",
            "add `on_success when !s.ok -> ...` for the case where it is `false`, or end with \
             an unconditional `on_success -> ...`",
        ),
        // `&&` does not hold whenever one side does.
        (
            "on_success when s.ok && strict -> done  on_success when !s.ok -> done",
            "no `on_success` clause matches the case where `s.ok && strict` is `false`",
            "add `on_success when !(s.ok && strict) -> ...` for the case where it is `false`, \
             or end with an unconditional `on_success -> ...`",
        ),
        (
            "on_success when !s.ok || strict -> done  on_success when s.score > 3 -> done",
            "no `on_success` clause matches the case where `s.ok` is `true`",
            "add `on_success when s.ok -> ...` for the case where it is `true`, or end with an \
             unconditional `on_success -> ...`",
        ),
        (
            "on_success when s.score > 3 && strict -> done",
            "no `on_success` clause matches the case where `s.score > 3 && strict` is `false`",
            "add `on_success when !(s.score > 3 && strict) -> ...` for the case where it is \
             `false`, or end with an unconditional `on_success -> ...`",
        ),
        (
            "on_success when s.score != 3 -> done",
            "no `on_success` clause matches the case where `s.score == 3` is `true`",
            "add `on_success when s.score == 3 -> ...` for the case where it is `true`, or end \
             with an unconditional `on_success -> ...`",
        ),
        // A literal union names what is missing, rather than the opposite
        // of the one comparison.
        (
            "on_success when s.label == \"good\" -> done  on_success when s.label == \"bad\" -> done",
            "no `on_success` clause matches `\"ugly\"`",
            "add `on_success when s.label == \"ugly\" -> ...` for what is missing, or end with \
             an unconditional `on_success -> ...`",
        ),
        // A `bool?` also needs `null`.
        (
            "on_success when s.maybe == true -> done  on_success when s.maybe == false -> done",
            "no `on_success` clause matches the case where `s.maybe` is `null`",
            "add `on_success when s.maybe == null -> ...` for the case where it is `null`, or \
             end with an unconditional `on_success -> ...`",
        ),
    ];
    for (clauses, label, help) in cases {
        assert_eq!(
            exhaustiveness(clauses),
            Some((vec![label.to_string()], help.to_string())),
            "{clauses}"
        );
    }
}

#[test]
fn optional_subjects_must_also_cover_null() {
    let source = r#"
type Review { verdict?: "approve" | "revise" }
worker Reviewer(code: string) -> Review { http { url: "http://r" } }
workflow main(code: string) -> string {
  step review = Reviewer(code: code) {
    on_success when review.verdict == "approve" || review.verdict == "revise" -> done
  }
  succeed done = "ok"
}
"#;
    let d = only(source);
    assert_eq!(labels(&d), ["no `on_success` clause matches `null`"]);
    let covered = source.replace(
        "-> done\n  }",
        "-> done\n    on_success when review.verdict == null -> done\n  }",
    );
    assert_codes(&covered, &[]);
}

#[test]
fn values_of_steps_that_may_not_have_run() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  step code = Coder(task: task, feedback: review.comments) {
    on_success -> review
  }
  step review = Reviewer(code: code) {
    max_visits: 3
    on_success when review.verdict == "approve" -> done
    on_success -> code
  }
  succeed done = code
}
"#,
    );
    let d = only(&source);
    let CheckError::MaybeNotRun {
        step, state, found, ..
    } = &d
    else {
        panic!("unexpected {d:?}");
    };
    assert_eq!((step.as_str(), state.as_str()), ("review", "code"));
    assert_eq!(found, "`Review?`");
    assert_eq!(
        help(&d),
        "use `review?.comments ?? []` to give a default when `review` has not run"
    );
}

/// The reason, labels and help of the one `maybe_not_run` of `workflow`,
/// with a quality check `score` among the items.
fn not_run(workflow: &str) -> (String, Vec<String>, String) {
    let source = format!(
        r#"{ITEMS}
type Score {{ label: "good" | "bad", notes: string }}
worker Judge(text: string) -> Score {{ http {{ url: "http://j" }} }}
worker Publish(text: string, label: "good" | "bad") -> string {{ exec {{ command: ["./p"] }} }}
{workflow}
"#
    );
    let found = super::diagnostics(&source);
    let [d @ CheckError::MaybeNotRun { .. }] = &found[..] else {
        panic!("unexpected {found:#?}");
    };
    (d.to_string(), labels(d), help(d))
}

#[test]
fn a_step_reached_after_a_failure_may_have_failed() {
    // Every path to `publish` runs `score`; its value is missing only when
    // it failed. No default is offered: `?? "good"` would publish an
    // unchecked text as good.
    let (message, labels, help) = not_run(
        r#"
workflow main(text: string) -> string {
  step score = Judge(text: text) {
    on_success -> publish
    on_failure timeout -> failed
    on_failure -> publish
  }
  step publish = Publish(text: text, label: score.label) { on_success -> done }
  succeed done = publish
  fail failed = "too slow"
}
"#,
    );
    assert_eq!(message, "step `score` may have failed before `publish`");
    assert_eq!(
        labels,
        [
            "`score` is `Score?` here",
            "`score` is defined here",
            "a failure of `score` leads to `publish` from here",
        ]
    );
    assert_eq!(
        help,
        "`publish` is reached when `score` fails, and a failed step has no value: send that \
         failure to a state that does not need the value, or pass `score?.label` where `null` \
         is accepted and handle it there; a default with `??` would make the failure look like \
         a result"
    );
}

#[test]
fn a_step_that_may_not_have_run_or_may_have_failed() {
    // The first visit of `code` comes before any review; a failed review
    // also comes back to `code`.
    let (message, labels, help) = not_run(
        r#"
workflow main(task: string) -> string {
  step code = Coder(task: task, feedback: review.comments) { on_success -> review }
  step review = Reviewer(code: code) {
    max_visits: 3
    on_success when review.verdict == "approve" -> done
    on_success -> code
    on_failure limit -> done
    on_failure -> code
  }
  succeed done = code
}
"#,
    );
    assert_eq!(
        message,
        "step `review` may not have run yet, or may have failed, at `code`"
    );
    assert_eq!(labels[2], "a failure of `review` leads to `code` from here");
    assert_eq!(
        help,
        "`review` has no value here before it has run, nor after it failed: use \
         `review?.comments ?? ...` only if one value is right for both; otherwise send its \
         failure to a state that does not need the value"
    );
}

#[test]
fn a_default_that_looks_like_a_result_is_not_offered() {
    // `score` runs after `draft`, so the first `draft` has no score; the
    // help does not invent one.
    let (message, labels, help) = not_run(
        r#"
workflow main(text: string) -> string {
  step draft = Publish(text: text, label: score.label) { on_success -> score }
  step score = Judge(text: draft) {
    max_visits: 2
    on_success when score.label == "good" -> done
    on_success -> draft
    on_failure -> failed
  }
  succeed done = draft
  fail failed = "no"
}
"#,
    );
    assert_eq!(message, "step `score` may not have run yet at `draft`");
    assert_eq!(labels.len(), 2, "no failure leads to `draft`: {labels:?}");
    assert_eq!(
        help,
        "use `score?.label ?? ...` with the value that stands for \"`score` has not run yet\", \
         or make sure `score` runs on every path to `draft`"
    );
}

#[test]
fn a_step_that_may_not_have_run_as_an_argument_or_output() {
    let source = file(
        r#"
workflow main(task: string, skip: bool) -> string {
  step first = Count(text: task) {
    on_success when skip -> review
    on_success -> code
  }
  step code = Coder(task: task, feedback: []) { on_success -> review }
  step review = Reviewer(code: code) {
    on_success when review.verdict == "approve" -> done
    on_success -> finish
  }
  succeed done = code
  succeed finish = code ?? "nothing"
}
"#,
    );
    let found = super::diagnostics(&source);
    let codes: Vec<(String, String)> = found
        .iter()
        .map(|d| match d {
            CheckError::MaybeNotRun { step, state, .. } => (step.clone(), state.clone()),
            other => (other.to_string(), String::new()),
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("code".to_string(), "review".to_string()),
            ("code".to_string(), "done".to_string())
        ]
    );
}

#[test]
fn a_state_named_like_a_parameter_is_ambiguous() {
    let source = file(
        r#"
workflow main(task: string) -> string {
  step task = Count(text: "x") { on_success -> done }
  succeed done = "ok"
}
"#,
    );
    assert_codes(&source, &["ambiguous_name"]);
}

#[test]
fn step_settings_and_hooks() {
    let source = file(
        r#"
transformer tidy(r: Review) -> [string] = r.comments
transformer pre(input: { code: string }) -> { code: string } = { code: trim(input.code) }
workflow main(task: string) -> string {
  step review = Reviewer(code: task) {
    before: pre
    after: tidy
    timeout: 10s
    retries: 1
    backoff: 1s
    retry_on: [transient]
    max_visits: 2
    on_success -> done
  }
  step bad = Reviewer(code: task) {
    after: pre
    concurrency: 2
    max_concurrency: 3
    on_success -> done
  }
  succeed done = join(review, ", ")
}
"#,
    );
    assert_codes(
        &source,
        &[
            "unreachable_state",
            "hook_signature",
            "unknown_setting",
            "unknown_setting",
        ],
    );
}

#[test]
fn broken_conditions_are_not_also_reported_as_non_exhaustive() {
    let source = file(
        r#"
workflow main(code: string) -> string {
  step review = Reviewer(code: code) {
    on_success when review.verdcit == "approve" -> done
    on_success when review.verdict == "revize" -> done
  }
  succeed done = "ok"
}
"#,
    );
    assert_codes(&source, &["unknown_field", "not_a_member"]);
}

#[test]
fn hooks_shape_map_and_branch_values() {
    let source = file(
        r#"
transformer words(n: int) -> { count: int } = { count: n }
transformer pre(input: { text: string }) -> { text: string } = { text: trim(input.text) }
workflow main(texts: [string]) -> int {
  map counts = Count(text: t) for t in texts {
    before: pre
    after: words
    on_success -> both
  }
  parallel both {
    branch first = Count(text: texts[0] ?? "") { after: words }
    branch total = Count(text: join(texts, " "))
    on_success when both.first.count > counts[0]?.count ?? 0 -> done
    on_success -> done
  }
  succeed done = both.total + both.first.count
}
"#,
    );
    assert_codes(&source, &[]);
}

/// The examples of section 12 of the design, as written there: a history
/// that accumulates across visits, a `fail` message that keeps the cause,
/// and a fix loop handed the failure.
#[test]
fn the_design_examples_of_version_1_1_check() {
    let source = r#"
type Code { history: [string] }
type Review { verdict: "approve" | "revise", notes: string }

worker Coder(history: [string], failure: string) -> Code {
  http { url: "http://127.0.0.1:8080/code" }
}
worker Reviewer(code: Code) -> Review {
  http { url: "http://127.0.0.1:8080/review" }
}
worker Deploy(code: Code) -> string {
  http { url: "http://127.0.0.1:8080/deploy" }
}

workflow ship() -> string {
  step code = Coder(history: (code?.history ?? []) + [review?.notes ?? ""], failure: error?.message ?? "") {
    on_success -> review
    on_failure -> failed
  }
  step review = Reviewer(code: code) {
    max_visits: 3
    on_success when review.verdict == "approve" -> deploy
    on_success -> code
    on_failure limit -> failed
    on_failure -> failed
  }
  step deploy = Deploy(code: code) {
    max_visits: 2
    on_success -> done
    on_failure limit -> failed
    on_failure -> code
  }
  succeed done = if len(code.history) > 1 then "deployed after review" else "deployed"
  fail failed = "deployment failed: ${error?.message ?? "unknown"}"
}
"#;
    assert_codes(source, &[]);
}
