//! Workers, executors, settings, hooks and external transformers.

use super::{assert_codes, help, labels, only};
use crate::check::CheckError;

const WORKFLOW: &str = "workflow main() -> string { succeed done = \"ok\" }\n";

fn with_workflow(items: &str) -> String {
    format!("{items}\n{WORKFLOW}")
}

#[test]
fn every_executor_kind_with_its_settings_checks() {
    let source = with_workflow(
        r#"
worker A(x: string) -> string { exec { command: ["./a", x], env: { "MODE": "fast", "KEY": env("KEY") }, cwd: "work" } }
worker B(x: string) -> json { http { url: "http://h/${x}", method: "PUT", headers: { "X": x } } }
worker C(x: string) -> { n: int } { llm { model: "m", prompt: "p ${x}", system: "s", base_url: "u", api_key: env("K"), temperature: 0.3 } }
worker D(x: string) -> bool { human { prompt: "ok ${x}?" } }
worker E(x: string) -> { x: string } { builtin { name: "echo" } }
worker F(x: string) -> int { builtin { name: "fail" } }
"#,
    );
    assert_codes(&source, &[]);
}

#[test]
fn executor_problems_are_all_reported() {
    let source = with_workflow(
        r#"
worker A(x: string) -> string { timeout: 5s }
worker B(x: string) -> string { exec { command: ["./b"] } http { url: "u" } human { prompt: "p" } }
worker C(x: string) -> string { exce { command: ["./c"] } }
worker D(x: string) -> string { llm { model: "m", promt: "p" } }
worker E(x: string) -> string { http { url: "u", url: "v" } }
"#,
    );
    assert_codes(
        &source,
        &[
            "missing_executor",
            "multiple_executors",
            "multiple_executors",
            "unknown_executor",
            "missing_setting",
            "unknown_setting",
            "duplicate_setting",
        ],
    );
}

#[test]
fn executor_setting_values() {
    let source = with_workflow(
        r#"
worker A(x: int) -> string { exec { command: [] } }
worker B(x: int) -> string { exec { command: ["./b", x] } }
worker C(x: string) -> string { http { url: x, method: "post" } }
worker D(x: string) -> string { llm { model: "m", prompt: "p", temperature: 3 } }
worker E(x: string) -> string { builtin { name: "ecko" } }
worker G(x: string) -> string { http { url: "u", headers: { "A": 1 } } }
"#,
    );
    assert_codes(
        &source,
        &[
            "invalid_setting",
            "type_mismatch",
            "invalid_setting",
            "invalid_setting",
            "unknown_builtin",
            "type_mismatch",
        ],
    );
    let found = super::diagnostics(&source);
    assert_eq!(help(&found[2]), "did you mean `\"POST\"`?");
    assert_eq!(help(&found[4]), "did you mean `\"echo\"`?");
}

#[test]
fn http_query_and_max_retry_after_are_checked() {
    let ok = with_workflow(
        r#"worker Q(id: string) -> json { http { url: "http://h/${id}", query: { "q": "${id}", k: env("K") }, max_retry_after: 30s } }"#,
    );
    assert_codes(&ok, &[]);
    let bad = with_workflow(
        r#"
worker Q(id: string) -> json { http { url: "u", query: { "q": 1 } } }
worker R(id: string) -> json { http { url: "u", max_retry_after: "10m" } }
worker S(id: string) -> json { http { url: "u", max_retry: 10m } }
"#,
    );
    assert_codes(
        &bad,
        &["type_mismatch", "invalid_setting", "unknown_setting"],
    );
    let found = super::diagnostics(&bad);
    assert_eq!(
        help(&found[2]),
        "the settings of the `http` executor are `url`, `method`, `headers`, `query`, `max_retry_after`"
    );
}

#[test]
fn executor_settings_see_the_parameters_and_env() {
    let source = with_workflow(
        r#"worker A(text: string) -> string { llm { model: "m", prompt: "${txt}", api_key: env("KEY") } }"#,
    );
    let d = only(&source);
    assert!(matches!(d, CheckError::UnknownName { .. }));
    assert_eq!(help(&d), "did you mean `text`?");
}

#[test]
fn echo_must_return_its_input() {
    let source = with_workflow(r#"worker E(x: string) -> { x: int } { builtin { name: "echo" } }"#);
    assert!(matches!(only(&source), CheckError::TypeMismatch { .. }));
}

#[test]
fn worker_settings_values_are_checked() {
    let source = with_workflow(
        r#"
worker A(x: string) -> string {
  exec { command: ["./a"] }
  timeout: 0s
  retries: -1
  backoff: 0s..1s
  retry_on: [timeout, limit, timeout, transeint]
  concurrency: 0
  max_visits: 3
}
"#,
    );
    assert_codes(
        &source,
        &[
            "invalid_setting",
            "invalid_setting",
            "invalid_setting",
            "invalid_setting",
            "invalid_setting",
            "unknown_failure_class",
            "invalid_setting",
            "unknown_setting",
        ],
    );
    let found = super::diagnostics(&source);
    assert_eq!(help(&found[5]), "did you mean `transient`?");
    assert_eq!(
        help(&found[7]),
        "`max_visits` is a setting of steps, map states, parallel states only"
    );
}

#[test]
fn settings_in_the_wrong_form() {
    let source = with_workflow(
        r#"
worker A(x: string) -> string {
  exec { command: ["./a"] }
  timeout: 30
  backoff: "1s"
  retry_on: timeout
  after: "tidy"
}
"#,
    );
    let found = super::diagnostics(&source);
    let labels: Vec<String> = found.iter().flat_map(labels).collect();
    assert_eq!(
        labels,
        [
            "this is a number",
            "this is a string",
            "this is a name",
            "this is a string"
        ]
    );
}

#[test]
fn hooks_are_transformers_of_one_fitting_parameter() {
    let source = with_workflow(
        r#"
type Review { verdict: "approve" | "revise", comments: [string] }
transformer tidy(r: Review) -> Review = { verdict: r.verdict, comments: [] }
transformer count(r: Review) -> int = len(r.comments)
transformer two(a: Review, b: int) -> Review = a
transformer shout(s: string) -> string = upper(s)
transformer prefix(input: { code: string }) -> { code: string } = { code: "// ${input.code}" }
transformer wrong(input: { code: string }) -> { code: int } = { code: 1 }
worker R1(code: string) -> Review { http { url: "u" } after: tidy before: prefix }
worker R2(code: string) -> Review { http { url: "u" } after: two }
worker R3(code: string) -> Review { http { url: "u" } after: shout }
worker R4(code: string) -> Review { http { url: "u" } before: wrong }
worker R5(code: string) -> Review { http { url: "u" } after: R1 }
worker R6(code: string) -> Review { http { url: "u" } after: tdy }
"#,
    );
    assert_codes(
        &source,
        &[
            "hook_signature",
            "hook_signature",
            "hook_signature",
            "unknown_transformer",
            "unknown_transformer",
        ],
    );
    let found = super::diagnostics(&source);
    assert_eq!(
        labels(&found[0])[0],
        "it takes 2 parameters; a hook takes exactly one"
    );
    assert_eq!(
        help(&found[3]),
        "`R1` is a worker, not a transformer; an `after` hook is a transformer"
    );
    assert_eq!(help(&found[4]), "did you mean `tidy`?");
}

#[test]
fn an_after_hook_changes_the_value_steps_see() {
    let source = r#"
type Review { verdict: "approve" | "revise", comments: [string] }
transformer count(r: Review) -> int = len(r.comments)
worker R(code: string) -> Review { http { url: "u" } after: count }
workflow main(code: string) -> int {
  step review = R(code: code) { on_success -> done }
  succeed done = review + 1
}
"#;
    assert_codes(source, &[]);
}

#[test]
fn external_transformers_run_programs() {
    let source = with_workflow(
        r#"
transformer a(x: string) -> string { exec { command: ["./hook"], env: { "T": env("T") } } timeout: 5s }
transformer b(x: string) -> string { http { url: "u" } }
transformer c(x: string) -> string { exec { command: ["./hook"] } retries: 2 }
transformer d(x: string) -> string { }
"#,
    );
    assert_codes(
        &source,
        &[
            "unsupported_executor",
            "unknown_setting",
            "missing_executor",
        ],
    );
}

#[test]
fn pure_transformers_are_typed_against_their_output() {
    let source = with_workflow(
        r#"
transformer a(x: string) -> int = len(x)
transformer b(x: string) -> int = x
transformer c(x: string) -> string = env("X")
"#,
    );
    assert_codes(&source, &["type_mismatch", "env_outside_executor"]);
}

/// Parentheses only group, so every setting that takes a literal or a name
/// reads through them, as `max_steps: (10)` and `start: (s)` do.
#[test]
fn settings_look_through_parentheses() {
    let source = r#"
type Review { verdict: "approve" | "revise", comments: [string] }
transformer tidy(r: Review) -> Review = { verdict: r.verdict, comments: [] }
worker R(code: string) -> Review {
  http { url: "u" }
  timeout: (30s)
  retries: (2)
  backoff: ((1s..30s))
  retry_on: ([(timeout), transient])
  concurrency: (4)
  after: (tidy)
}
workflow main(code: string) -> Review {
  start: (review)
  max_steps: (10)
  step review = R(code: code) {
    max_visits: (3)
    on_success -> done
  }
  succeed done = review
}
"#;
    assert_codes(source, &[]);
    // The checks of the values still apply inside the parentheses.
    let source = with_workflow(
        r#"
transformer shout(s: string) -> string = upper(s)
worker A(x: string) -> string {
  exec { command: ([]) }
  retries: (-1)
  retry_on: ([(limit)])
  before: (shout)
}
worker B(x: string) -> string { llm { model: "m", prompt: "p", temperature: (3) } }
"#,
    );
    assert_codes(
        &source,
        &[
            "invalid_setting",
            "invalid_setting",
            "invalid_setting",
            "hook_signature",
            "invalid_setting",
        ],
    );
}

#[test]
fn executor_helps_fit_transformers_and_every_executor() {
    let source = with_workflow(
        r#"transformer t(x: string) -> string { exec { command: ["./a"] } exec { command: ["./b"] } }"#,
    );
    let d = only(&source);
    assert!(matches!(d, CheckError::MultipleExecutors { .. }));
    assert!(help(&d).starts_with("a worker or external transformer has exactly one executor"));
    let source = with_workflow(r#"transformer t(x: string) -> string = env("X")"#);
    let d = only(&source);
    assert!(matches!(d, CheckError::EnvOutsideExecutor { .. }));
    assert!(help(&d).contains("`exec`, `http`, `llm` or `human`"));
}

/// `error` is a name of workflow expressions only: in a worker's executor
/// settings and in a transformer it names nothing (unless a parameter is
/// called so).
#[test]
fn error_is_unknown_in_executor_settings_and_transformers() {
    let source = with_workflow(
        r#"
worker A(x: string) -> string { http { url: "http://h/${error?.message ?? x}" } }
transformer t(x: string) -> string = error?.message ?? x
worker B(error: string) -> string { http { url: "http://h/${error}" } }
"#,
    );
    assert_codes(&source, &["unknown_name", "unknown_name"]);
    let found = super::diagnostics(&source);
    assert_eq!(
        help(&found[0]),
        "the names in scope here are the parameters of worker `A`: `x`"
    );
}
