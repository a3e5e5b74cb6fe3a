//! The data fence of a run, against real programs: a worker's or hook's
//! input is checked against its parameter types before it starts, an
//! optional field sent as `null` is absent, secrets are masked in text and
//! never in data, and every `env()` a workflow reads must be set before
//! `flow run` starts it.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flow::ir::{FailureClass, Program, WorkflowId};
use flow::runtime::engine::{self, Event, EventKind, Finished, RunOptions, VecSink};
use serde_json::{Value, json};

use common::outcome::{failed, succeeded};

fn program(source: &str) -> Program {
    let parsed = flow::syntax::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors: {:?}",
        parsed.errors
    );
    match flow::check::check_program(&parsed.file) {
        (Some(program), _) => program,
        (None, problems) => panic!("the source does not check: {problems:#?}"),
    }
}

async fn run_with_env(source: &str, input: Value, env: &[(&str, &str)]) -> (Finished, Vec<Event>) {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let options = RunOptions {
        run_id: Some("run-1".into()),
        seed: Some(1),
        env: Arc::new(env),
        ..RunOptions::default()
    };
    let program = program(source);
    let sink = VecSink::new();
    let finished = engine::run(&program, WorkflowId(0), input, options, &sink)
        .await
        .unwrap_or_else(|e| panic!("the run did not start: {e}"));
    (finished, sink.events())
}

async fn run(source: &str, input: Value) -> (Finished, Vec<Event>) {
    run_with_env(source, input, &[]).await
}

/// A fresh directory for one test's files.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-fence-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temporary directory is made");
    dir
}

fn started(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| e.kind() == EventKind::StepStarted)
        .count()
}

/// A program that marks in `dir/started` that it ran, then echoes its input.
fn marking_worker(dir: &Path) -> String {
    format!(
        r#"["sh", "-c", "echo ran >> '{}/started'; cat", "sh"]"#,
        dir.display()
    )
}

#[tokio::test]
async fn a_map_over_parsed_json_refuses_a_record_that_does_not_fit_its_parameter() {
    let dir = tempdir("record");
    let source = format!(
        r#"
type Lead {{ name: string, score?: int }}

worker Score(lead: Lead) -> json {{
  exec {{ command: {command} }}
  retries: 3
  retry_on: [timeout, transient, output, worker]
}}

workflow go(raw: string) -> [json] {{
  map scored = Score(lead: item.lead) for item in parse_json(raw) {{
    on_success -> done
  }}
  succeed done = scored
}}
"#,
        command = marking_worker(&dir)
    );
    let raw = r#"[{"lead":{"name":"Ada"}},{"lead":{"nope":1}}]"#;
    let (finished, events) = run(&source, json!({ "raw": raw })).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Worker), "{error}");
    assert_eq!(error.attempts, 0, "not retried: {error}");
    for part in [
        "`Score`",
        "$.lead.name: expected string, found nothing: the field is missing",
        "was not started",
    ] {
        assert!(
            error.message.contains(part),
            "{part:?} in {}",
            error.message
        );
    }
    // Item 1 never started; item 0 may have started before it was cancelled.
    assert!(
        !events.iter().any(|e| e.kind() == EventKind::StepStarted
            && e.step().map(|s| s.as_str()) == Some("scored[1]")),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_string_for_an_int_starts_nothing_and_is_not_retried() {
    let dir = tempdir("int");
    let source = format!(
        r#"
worker Count(n: int) -> json {{
  exec {{ command: {command} }}
  retries: 3
  retry_on: [timeout, transient, output, worker]
}}

workflow go(raw: string) -> json {{
  step count = Count(n: parse_json(raw)) {{
    on_success -> done
  }}
  succeed done = count
}}
"#,
        command = marking_worker(&dir)
    );
    let (finished, events) = run(&source, json!({ "raw": r#""five""# })).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Worker));
    assert_eq!(error.attempts, 0);
    assert!(
        error.message.contains("$.n: expected int, found string"),
        "{}",
        error.message
    );
    assert_eq!(started(&events), 0);
    assert!(!dir.join("started").exists(), "the program ran");
    // The step's end is an event, without an attempt.
    let ended: Vec<_> = events
        .iter()
        .filter(|e| e.kind() == EventKind::StepFailed)
        .map(|e| (e.step().map(|s| s.as_str()), e.attempt(), e.class()))
        .collect();
    assert_eq!(ended, [(Some("count"), None, Some(FailureClass::Worker))]);

    // The same workflow with an int runs the program, whose input is the
    // typed view (`5.0` is the int `5`).
    let (finished, _) = run(&source, json!({ "raw": "5.0" })).await;
    assert_eq!(succeeded(&finished), &json!({ "n": 5 }));
    assert!(dir.join("started").exists());
}

#[tokio::test]
async fn a_hook_is_not_started_with_an_input_that_does_not_fit_it() {
    let dir = tempdir("hook");
    let source = format!(
        r#"
transformer Strict(input: {{ n: int }}) -> {{ n: json }} {{
  exec {{ command: {command} }}
}}

worker Echo(n: json) -> json {{
  builtin {{ name: "echo" }}
  before: Strict
}}

workflow go(raw: string) -> json {{
  step s = Echo(n: parse_json(raw)) {{
    on_success -> done
  }}
  succeed done = s
}}
"#,
        command = marking_worker(&dir)
    );
    let (finished, events) = run(&source, json!({ "raw": r#""five""# })).await;
    let error = failed(&finished);
    assert_eq!(error.class, Some(FailureClass::Worker));
    for part in [
        "the hook `Strict`",
        "parameter `input`",
        "$.n: expected int, found string",
    ] {
        assert!(
            error.message.contains(part),
            "{part:?} in {}",
            error.message
        );
    }
    assert_eq!(started(&events), 0);
    assert!(!dir.join("started").exists(), "the hook program ran");
}

#[tokio::test]
async fn a_null_optional_field_from_a_program_is_absent() {
    let source = r#"
type Person { name?: string, note?: string?, age: int }

worker Parse(text: string) -> Person {
  exec { command: ["sh", "-c", "cat >/dev/null; printf '{\"name\": null, \"note\": null, \"age\": 3}'"] }
}

workflow go() -> Person {
  step p = Parse(text: "x") {
    on_success -> done
  }
  succeed done = p
}
"#;
    let (finished, _) = run(source, json!({})).await;
    // `name?: string` takes the `null` as absent; `note?: string?` keeps it,
    // since `null` is one of its values.
    assert_eq!(succeeded(&finished), &json!({ "note": null, "age": 3 }));
}

#[tokio::test]
async fn secrets_are_masked_in_text_and_never_in_data() {
    let source = r#"
worker Deploy(target: string) -> string {
  exec {
    command: ["sh", "-c", "cat >/dev/null; echo \"deploying to $ENVIRONMENT\" >&2; printf '\"deployed to production\"'"]
    env: { ENVIRONMENT: env("FLOW_TEST_ENVIRONMENT") }
  }
}

workflow go() -> string {
  step deploy = Deploy(target: "site") {
    on_success -> done
  }
  succeed done = deploy
}
"#;
    let (finished, events) =
        run_with_env(source, json!({}), &[("FLOW_TEST_ENVIRONMENT", "prod")]).await;
    assert_eq!(succeeded(&finished), &json!("deployed to production"));
    let step = events
        .iter()
        .find(|e| e.kind() == EventKind::StepSucceeded)
        .expect("the step succeeded");
    assert_eq!(
        step.output().map(|o| &**o),
        Some(&json!("deployed to production"))
    );
    assert_eq!(step.log(), Some("deploying to ***\n"));
}

/// `flow run` of `source` (written to `dir/wf.flow`) with `args`, with
/// the `FLOW_TEST_*` variables of `env` set and every other one unset.
fn flow_run(dir: &Path, source: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    std::fs::write(dir.join("wf.flow"), source).expect("the workflow is written");
    let mut command = common::cli::flow(dir);
    command
        .env("FLOW_TRACE_DURATIONS", "0")
        .args(["run", "wf.flow", "--no-store"])
        .args(args);
    for name in ["FLOW_TEST_API_KEY", "FLOW_TEST_REGION", "FLOW_TEST_HOOK"] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = common::cli::output(command, None);
    let text = common::cli::transcript(&output);
    // The run id differs from run to run.
    match text.find("(run ") {
        Some(at) => format!("{}(run [id]){}", &text[..at], &text[at + 22..]),
        None => text,
    }
}

const NEEDS_ENV: &str = r#"
transformer Tag(input: { x: string }) -> { x: string } {
  exec {
    command: ["python3", "-c", "import json, sys; print(json.dumps(json.load(sys.stdin)['input']))"]
    env: { HOOK: env("FLOW_TEST_HOOK") }
  }
}

worker Call(x: string) -> { x: string } {
  exec {
    command: ["sh", "-c", "cat"]
    env: { KEY: env("FLOW_TEST_API_KEY"), REGION: env("FLOW_TEST_REGION") }
  }
  before: Tag
}

workflow go() -> string {
  step call = Call(x: "hi") {
    on_success -> done
  }
  succeed done = call.x
}
"#;

#[test]
fn flow_run_refuses_to_start_when_a_variable_it_reads_is_not_set() {
    let dir = tempdir("cli-env");
    let out = flow_run(&dir, NEEDS_ENV, &[], &[("FLOW_TEST_REGION", "eu")]);
    insta::assert_snapshot!("missing_env_variables", out);
    let out = flow_run(
        &dir,
        NEEDS_ENV,
        &[],
        &[
            ("FLOW_TEST_REGION", "eu-west"),
            ("FLOW_TEST_API_KEY", "key-1234"),
            ("FLOW_TEST_HOOK", "hook-5678"),
        ],
    );
    assert!(
        out.starts_with("status: 0\n---- stdout ----\n\"hi\"\n"),
        "{out}"
    );
}

#[test]
fn a_mocked_worker_needs_none_of_its_variables() {
    let dir = tempdir("cli-mock");
    std::fs::write(dir.join("out.json"), r#"{"x": "mocked"}"#).expect("the mock is written");
    let out = flow_run(&dir, NEEDS_ENV, &["--mock", "Call=@out.json"], &[]);
    assert!(
        out.starts_with("status: 0\n---- stdout ----\n\"mocked\"\n"),
        "{out}"
    );
}
