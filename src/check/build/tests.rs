//! The programs built from checked files.

use std::time::Duration;

use serde_json::{Value, json};

use crate::check::check_program;
use crate::ir::{
    self, Backoff, BinaryOp, Expr, FailureClass, Program, StateId, StateKind, TransformerId, Type,
    WorkerId,
};
use crate::runtime::eval::{NoTransformers, Scope, eval};

/// The program of `source`, which must parse and check without errors.
fn program(source: &str) -> Program {
    let parsed = crate::syntax::parse(source);
    assert!(parsed.errors.is_empty(), "syntax: {:#?}", parsed.errors);
    let (program, problems) = check_program(&parsed.file);
    match program {
        Some(program) => program,
        None => panic!("no program; problems: {problems:#?}"),
    }
}

fn workflow<'p>(program: &'p Program, name: &str) -> &'p ir::Workflow {
    match program.workflows.iter().find(|w| w.name == name) {
        Some(w) => w,
        None => panic!("no workflow `{name}`"),
    }
}

fn state<'p>(workflow: &'p ir::Workflow, name: &str) -> &'p ir::State {
    match workflow.states.iter().find(|s| s.name == name) {
        Some(s) => s,
        None => panic!("no state `{name}`"),
    }
}

fn step_call(state: &ir::State) -> &ir::Call {
    match &state.kind {
        StateKind::Step(call) => call,
        other => panic!("not a step: {other:?}"),
    }
}

#[test]
fn every_example_and_the_design_example_build() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut paths = vec![format!("{root}/tests/fixtures/syntax/design_example.flow")];
    let examples = std::fs::read_dir(format!("{root}/examples")).expect("examples/ is readable");
    for entry in examples.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "flow") {
            paths.push(path.display().to_string());
        }
    }
    assert!(paths.len() > 5, "examples found: {paths:?}");
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("an example is readable");
        let parsed = crate::syntax::parse(&source);
        assert!(parsed.errors.is_empty(), "{path}: {:#?}", parsed.errors);
        let (built, problems) = check_program(&parsed.file);
        assert!(built.is_some(), "{path}: no program; {problems:#?}");
    }
}

#[test]
fn the_design_example_lowers_as_written() {
    let p = program(include_str!(
        "../../../tests/fixtures/syntax/design_example.flow"
    ));
    let w = workflow(&p, "build_website");
    assert_eq!(w.start, StateId(0));
    assert_eq!(w.max_steps, 10_000);
    assert_eq!(p.types.show(w.output).to_string(), "string");
    let review = state(w, "review_code");
    assert_eq!(review.max_visits, Some(3));
    // on_success when review_code.verdict == "approve" -> completed;
    // on_success -> implement_code
    assert_eq!(review.on_success.len(), 2);
    assert_eq!(
        review.on_success[0].condition,
        Some(Expr::Binary {
            op: BinaryOp::Eq,
            lhs: Box::new(Expr::Field {
                base: Box::new(Expr::State(StateId(2))),
                name: "verdict".into(),
                optional: false,
            }),
            rhs: Box::new(Expr::Literal(json!("approve"))),
            int: false,
        })
    );
    assert_eq!(review.on_success[0].target, StateId(3));
    assert_eq!(review.on_success[1].condition, None);
    assert_eq!(review.on_success[1].target, StateId(1));
    // on_failure limit -> completed; on_failure -> failed
    assert_eq!(review.on_failure[0].classes, vec![FailureClass::Limit]);
    assert_eq!(review.on_failure[0].target, StateId(3));
    assert!(review.on_failure[1].classes.is_empty());
    assert_eq!(review.on_failure[1].target, StateId(4));
    // The reviewer's `after: tidy_review` is its hook, and the value is the
    // hook's output type, named.
    let call = step_call(review);
    assert_eq!(call.settings.after, vec![TransformerId(0)]);
    assert_eq!(p.types.show(call.value).to_string(), "Review");
    // The coder's settings are its own, the rest the defaults.
    let coder = step_call(state(w, "implement_code"));
    assert_eq!(coder.worker, WorkerId(1));
    assert_eq!(coder.settings.timeout, Some(Duration::from_secs(120)));
    assert_eq!(coder.settings.retries, 2);
    assert_eq!(
        coder.settings.backoff,
        Backoff {
            first: Duration::from_secs(1),
            cap: Duration::from_secs(30)
        }
    );
    // feedback: review_code?.comments ?? []
    assert_eq!(
        coder.args[1],
        Expr::Binary {
            op: BinaryOp::Coalesce,
            lhs: Box::new(Expr::Field {
                base: Box::new(Expr::State(StateId(2))),
                name: "comments".into(),
                optional: true,
            }),
            rhs: Box::new(Expr::List(vec![])),
            int: false,
        }
    );
    // The reviewer's header reads a secret with `env`.
    let ir::Executor::Http { headers, .. } = &p.workers[2].executor else {
        panic!("the reviewer is an http worker");
    };
    let Some(Expr::Record(headers)) = headers else {
        panic!("headers are a record");
    };
    let Expr::Interp(parts) = &headers[0].1 else {
        panic!("the header interpolates");
    };
    assert!(matches!(
        &parts[1],
        ir::Part::Value(Expr::Builtin {
            function: ir::Builtin::Env,
            ..
        })
    ));
}

#[test]
fn defaults_are_filled_in() {
    let p = program(
        r#"
worker W(x: string) -> string { exec { command: ["./w", x] } }
transformer hook(r: { x: string }) -> { x: string } { exec { command: ["./h"] } }
workflow main(x: string) -> string {
  step s = W(x: x) { on_success -> done }
  succeed done = s
}
"#,
    );
    let call = &p.workers[0].call;
    assert_eq!(call.timeout, None);
    assert_eq!(call.retries, 0);
    assert_eq!(
        call.backoff,
        Backoff {
            first: Duration::from_millis(500),
            cap: Duration::from_secs(30)
        }
    );
    assert_eq!(
        call.retry_on,
        vec![
            FailureClass::Timeout,
            FailureClass::Transient,
            FailureClass::Output
        ]
    );
    assert_eq!(call.max_output, 16 * 1024 * 1024);
    assert_eq!(p.workers[0].concurrency, None);
    let ir::TransformerBody::External { timeout, .. } = &p.transformers[0].body else {
        panic!("an external transformer");
    };
    assert_eq!(*timeout, Duration::from_secs(10));
    let w = workflow(&p, "main");
    assert_eq!(w.max_steps, 10_000);
    assert_eq!(state(w, "s").max_visits, None);
    assert_eq!(p.types.show(w.input).to_string(), "{ x: string }");
}

/// Services and models that never answer must not hold a run forever; a
/// map over a long list must not start all its calls at once.
#[test]
fn http_and_llm_calls_time_out_and_maps_are_bounded_by_default() {
    let p = program(
        r#"
worker Service(x: string) -> string { http { url: "http://127.0.0.1:1/x" } }
worker Model(x: string) -> string { llm { model: "m", prompt: x } }
worker Program(x: string) -> string { exec { command: ["./w"] } }
worker Person(x: string) -> string { human { prompt: x } }
worker Patient(x: string) -> string {
  http { url: "http://127.0.0.1:1/x" }
  timeout: 5m
}
workflow main(xs: [string]) -> [string] {
  step quick = Service(x: "a") {
    timeout: 2s
    on_success -> each
  }
  map each = Model(x: x) for x in xs { on_success -> bounded }
  map bounded = Program(x: x) for x in xs {
    max_concurrency: 40
    on_success -> ask
  }
  step ask = Person(x: "ok?") { on_success -> wait }
  step wait = Patient(x: "a") { on_success -> done }
  succeed done = each
}
"#,
    );
    let timeouts: Vec<(Option<Duration>, bool)> = p
        .workers
        .iter()
        .map(|w| (w.call.timeout, w.call.default_timeout))
        .collect();
    assert_eq!(
        timeouts,
        vec![
            (Some(Duration::from_secs(60)), true),
            (Some(Duration::from_secs(600)), true),
            (None, false),
            (None, false),
            (Some(Duration::from_secs(300)), false),
        ]
    );
    let w = workflow(&p, "main");
    // A state's own timeout replaces the default; one that sets none keeps it.
    let quick = &step_call(state(w, "quick")).settings;
    assert_eq!(
        (quick.timeout, quick.default_timeout),
        (Some(Duration::from_secs(2)), false)
    );
    let bound = |name| match &state(w, name).kind {
        StateKind::Map {
            call,
            max_concurrency,
            ..
        } => (*max_concurrency, call.settings.timeout),
        other => panic!("not a map: {other:?}"),
    };
    assert_eq!(bound("each"), (16, Some(Duration::from_secs(600))));
    assert_eq!(bound("bounded"), (40, None));
}

#[test]
fn a_step_overrides_its_workers_settings() {
    let p = program(
        r#"
transformer a(v: string) -> string = trim(v)
transformer b(v: string) -> string = lower(v)
transformer c(r: { x: string }) -> { x: string } = r
worker W(x: string) -> string {
  exec { command: ["./w"] }
  timeout: 5s
  retries: 1
  retry_on: [timeout]
  after: a
  concurrency: 2
}
workflow main(x: string) -> string {
  start: s
  max_steps: 40
  step s = W(x: x) {
    retries: 4
    backoff: 2s
    before: c
    after: b
    on_success -> done
  }
  succeed done = s
}
"#,
    );
    assert_eq!(p.workers[0].concurrency, Some(2));
    let w = workflow(&p, "main");
    assert_eq!(w.max_steps, 40);
    let settings = &step_call(state(w, "s")).settings;
    assert_eq!(settings.timeout, Some(Duration::from_secs(5)));
    assert_eq!(settings.retries, 4);
    assert_eq!(settings.retry_on, vec![FailureClass::Timeout]);
    assert_eq!(
        settings.backoff,
        Backoff {
            first: Duration::from_secs(2),
            cap: Duration::from_secs(2)
        }
    );
    assert_eq!(settings.before, vec![TransformerId(2)]);
    // The worker's hook first, then the step's.
    assert_eq!(settings.after, vec![TransformerId(0), TransformerId(1)]);
    // The worker keeps its own settings.
    assert_eq!(p.workers[0].call.retries, 1);
}

#[test]
fn arguments_come_in_parameter_order() {
    let p = program(
        r#"
transformer pair(a: string, b: int) -> string = "${a}:${b}"
worker W(first: string, second: int) -> string { exec { command: ["./w"] } }
workflow main(n: int) -> string {
  step s = W(second: n, first: pair(b: -7, a: "x")) { on_success -> done }
  succeed done = s
}
"#,
    );
    let call = step_call(&workflow(&p, "main").states[0]);
    assert_eq!(call.args[1], Expr::Param(0));
    let Expr::Call { transformer, args } = &call.args[0] else {
        panic!("a transformer call: {:?}", call.args[0]);
    };
    assert_eq!(*transformer, TransformerId(0));
    assert_eq!(
        args,
        &vec![Expr::Literal(json!("x")), Expr::Literal(json!(-7))]
    );
}

#[test]
fn a_map_binds_its_item_and_a_failure_its_error() {
    let p = program(
        r#"
worker W(page: string, n: int) -> string { exec { command: ["./w"] } }
workflow main(pages: [string]) -> [string] {
  map m = W(page: page, n: len(pages)) for page in pages {
    max_concurrency: 3
    on_success -> done
    on_failure timeout, transient when error.attempts > 2 -> bad
    on_failure -> bad
  }
  succeed done = m
  fail bad = "no"
}
"#,
    );
    let w = workflow(&p, "main");
    let m = state(w, "m");
    let StateKind::Map {
        call,
        list,
        max_concurrency,
    } = &m.kind
    else {
        panic!("a map state");
    };
    assert_eq!(*list, Expr::Param(0));
    assert_eq!(*max_concurrency, 3);
    assert_eq!(call.args[0], Expr::Item);
    assert_eq!(
        call.args[1],
        Expr::Builtin {
            function: ir::Builtin::Len,
            args: vec![Expr::Param(0)]
        }
    );
    assert_eq!(p.types.show(call.value).to_string(), "string");
    let failure = &m.on_failure[0];
    assert_eq!(
        failure.classes,
        vec![FailureClass::Timeout, FailureClass::Transient]
    );
    let Some(Expr::Binary { lhs, .. }) = &failure.condition else {
        panic!("a comparison");
    };
    assert_eq!(
        **lhs,
        Expr::Field {
            base: Box::new(Expr::Error),
            name: "attempts".into(),
            optional: false
        }
    );
    assert_eq!(failure.target, StateId(2));
}

#[test]
fn a_recursive_type_is_tied_through_its_name() {
    let p = program(
        r#"
type Tree { label: string, children: [Tree], note?: string }
worker W(t: Tree) -> Tree { builtin { name: "fail" } }
workflow main(t: Tree) -> Tree {
  step s = W(t: t) { on_success -> done }
  succeed done = s
}
"#,
    );
    let output = p.workers[0].output;
    assert_eq!(p.types.show(output).to_string(), "Tree");
    let Type::Record(fields) = p.types.resolve(output) else {
        panic!("a record");
    };
    assert_eq!(
        p.types.show(fields[1].ty).to_string(),
        "[Tree]",
        "the children refer back to the named type"
    );
    let Type::List(child) = p.types.get(fields[1].ty) else {
        panic!("a list");
    };
    assert_eq!(*child, output, "one id for the type and its use inside");
    assert!(fields[2].optional);
    assert_eq!(
        p.workers[0].executor,
        ir::Executor::Builtin(ir::BuiltinWorker::Fail)
    );
}

#[test]
fn a_file_with_errors_has_no_program() {
    let parsed = crate::syntax::parse("workflow main() -> string { succeed done = missing }\n");
    let (program, problems) = check_program(&parsed.file);
    assert!(program.is_none());
    assert!(!problems.is_empty());
}

#[test]
fn a_lowered_expression_evaluates() {
    let p = program(
        r#"
worker W(x: string) -> string { exec { command: ["./w"] } }
workflow main(name: string, n: int) -> string {
  step s = W(x: "hello ${upper(name)}: ${-(n * 2) + 1} ${[1, 2]}") { on_success -> done }
  succeed done = s
}
"#,
    );
    let call = step_call(&workflow(&p, "main").states[0]);
    let params = [json!("ada"), json!(3)];
    let scope = Scope {
        params: &params,
        states: &[],
        item: None,
        error: None,
        transformers: &NoTransformers,
    };
    assert_eq!(
        eval(&call.args[0], &scope),
        Ok(Value::String("hello ADA: -5 [1,2]".into()))
    );
}

#[test]
fn there_is_no_reason_to_give_when_there_is_a_program_or_an_error() {
    let clean = crate::syntax::parse(
        "worker W(t: string) -> { t: string } { builtin { name: \"echo\" } }\nworkflow w() -> string {\n  step s = W(t: \"x\") { on_success -> done }\n  succeed done = s.t\n}\n",
    );
    assert!(check_program(&clean.file).0.is_some());
    assert_eq!(crate::check::why_no_program(&clean.file), None);
    let broken = crate::syntax::parse("workflow w() -> string {\n  succeed done = nowhere\n}\n");
    assert!(check_program(&broken.file).0.is_none());
    assert_eq!(crate::check::why_no_program(&broken.file), None);
}

/// `flow explain` of the setting diagnostics lists the defaults the
/// builder fills in, so that a changed default cannot leave them behind.
#[test]
fn the_explanations_of_the_settings_give_the_defaults() {
    use crate::diagnostics::explain::{Lookup, lookup};
    let text = |code| match lookup(code) {
        Lookup::Found(explanation) => explanation.text,
        _ => panic!("no explanation of {code}"),
    };
    let timeouts = format!(
        "`{}s` for an `http` worker, `{}m` for an `llm` worker",
        ir::DEFAULT_HTTP_TIMEOUT.as_secs(),
        ir::DEFAULT_LLM_TIMEOUT.as_secs() / 60
    );
    let map = format!(
        "| `max_concurrency` | `map` | a whole number ≥ 1 | `{}` |",
        ir::DEFAULT_MAP_CONCURRENCY
    );
    for code in ["check::unknown_setting", "check::invalid_setting"] {
        assert!(text(code).contains(&timeouts), "{code}: {timeouts}");
        assert!(text(code).contains(&map), "{code}: {map}");
    }
    for code in ["check::unknown_setting", "check::missing_setting"] {
        assert!(
            text(code).contains("| `exec` | `cwd` | the directory of the `.flow` file"),
            "{code}"
        );
    }
}

/// Arithmetic the checker typed `int` is marked so in the program (an
/// overflow fails); on numbers and `json` it is not. `if` and `error` are
/// built as written.
#[test]
fn int_arithmetic_is_marked_and_if_and_error_are_built() {
    let p = program(
        r#"
transformer t(i: int, n: number, j: json) -> json = [i + i, i * n, j - 1, -i, -n, i / i]
workflow w(c: bool) -> string {
  succeed done = if c then error?.message ?? "none" else "no"
}
"#,
    );
    let body = match &p.transformers[0].body {
        ir::TransformerBody::Pure(body) => body,
        other => panic!("not pure: {other:?}"),
    };
    let Expr::List(items) = body else {
        panic!("not a list: {body:?}");
    };
    let marks: Vec<bool> = items
        .iter()
        .map(|e| match e {
            Expr::Binary { int, .. } | Expr::Neg { int, .. } => *int,
            other => panic!("not an operation: {other:?}"),
        })
        .collect();
    assert_eq!(marks, [true, false, false, true, false, false]);
    let done = state(workflow(&p, "w"), "done");
    let StateKind::Succeed(Expr::If {
        condition,
        then,
        otherwise,
    }) = &done.kind
    else {
        panic!("not an if: {:?}", done.kind);
    };
    assert_eq!(**condition, Expr::Param(0));
    assert_eq!(**otherwise, Expr::Literal(json!("no")));
    let Expr::Binary { lhs, .. } = &**then else {
        panic!("not `??`: {then:?}");
    };
    assert_eq!(
        **lhs,
        Expr::Field {
            base: Box::new(Expr::Error),
            name: "message".into(),
            optional: true,
        }
    );
}
