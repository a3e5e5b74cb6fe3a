//! The examples run: each file of `examples/` is checked and run in process
//! with the engine, with the paths of its `exec` workers relative to the
//! example's directory (`python3 workers/...`), as `flow run` does; the tests
//! run in the repository root, where those paths would not be found. The
//! command-line tests run `flow run` from other directories, a temporary one
//! among them.
//!
//! Only the parts that need the network are replaced: the `llm` workers talk
//! to a local OpenAI-compatible server started by the test (through
//! `OPENAI_BASE_URL`), and the hosts of the `http` workers are pointed at a
//! local server by replacing their base URL in the source. Everything else —
//! the workflow, the transformers, the hooks and the `exec` workers — runs
//! as written.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{Reply, TestServer};
use flow::ir::{Program, WorkflowId};
use flow::runtime::engine::{self, Finished, RunOptions, RunOutcome, StartError, VecSink};
use serde_json::{Value, json};

/// The directory of the examples.
fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The source of `examples/NAME`, with each `(from, to)` replaced.
fn example(name: &str, replace: &[(&str, String)]) -> String {
    let path = examples().join(name);
    let mut source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    for (from, to) in replace {
        assert!(source.contains(from), "{name} does not mention {from}");
        source = source.replace(from, to);
    }
    source
}

fn program(source: &str) -> Program {
    let parsed = flow::syntax::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors: {:?}",
        parsed.errors
    );
    let (program, problems) = flow::check::check_program(&parsed.file);
    program.unwrap_or_else(|| panic!("the example does not check: {problems:#?}"))
}

fn options(env: &[(&str, String)]) -> RunOptions {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    RunOptions {
        run_id: Some("example-run".into()),
        seed: Some(7),
        env: Arc::new(env),
        // What `flow run examples/NAME` gives: the file's directory.
        base_dir: Some(examples()),
        ..RunOptions::default()
    }
}

async fn run(source: &str, input: Value, options: RunOptions) -> Finished {
    let program = program(source);
    let sink = VecSink::new();
    engine::run(&program, WorkflowId(0), input, options, &sink)
        .await
        .unwrap_or_else(|e| panic!("the run did not start: {e}"))
}

fn succeeded(finished: &Finished) -> &Value {
    match &finished.outcome {
        RunOutcome::Succeeded { output } => output,
        RunOutcome::Failed { error } => panic!("the run failed: {error}"),
        RunOutcome::Cancelled => panic!("the run was cancelled"),
        RunOutcome::Stopped { reason } => panic!("the run stopped: {reason}"),
        RunOutcome::Paused { questions } => panic!("the run paused: {questions:?}"),
    }
}

async fn server(replies: impl IntoIterator<Item = Reply>) -> TestServer {
    TestServer::start(replies)
        .await
        .unwrap_or_else(|e| panic!("the test server did not start: {e}"))
}

/// A chat completion whose answer is `content` as JSON text.
fn model_says(content: Value) -> Reply {
    Reply::json(
        200,
        &json!({
            "id": "chatcmpl-example",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "test-model",
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": content.to_string() },
                "finish_reason": "stop"
            }]
        }),
    )
}

/// The user message of a chat completion request.
fn prompt(server: &TestServer, index: usize) -> String {
    let requests = server.requests();
    let body = requests
        .get(index)
        .and_then(|r| r.json().ok())
        .unwrap_or_else(|| panic!("no JSON request number {index}"));
    body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn body(server: &TestServer, index: usize) -> Value {
    server
        .requests()
        .get(index)
        .and_then(|r| r.json().ok())
        .unwrap_or_else(|| panic!("no JSON request number {index}"))
}

#[tokio::test]
async fn hello_runs_with_its_builtin_worker() {
    let finished = run(
        &example("hello.flow", &[]),
        json!({ "name": "Ada" }),
        options(&[]),
    )
    .await;
    assert_eq!(succeeded(&finished), &json!("Hello, Ada!"));
}

#[tokio::test]
async fn build_website_codes_tests_revises_and_deploys() {
    let llm = server([model_says(json!({
        "title": "Acme Tools",
        "audience": "developers",
        "pages": [
            { "path": "/pricing", "purpose": "compare the plans", "sections": ["Plans", "FAQ"] },
            { "path": "/docs", "purpose": "get started", "sections": ["Install"] }
        ]
    }))])
    .await;
    let services = server([
        Reply::json(
            200,
            &json!({ "verdict": "revise", "comments": ["add a contact page link"], "summary": "close" }),
        ),
        Reply::json(
            200,
            &json!({ "verdict": "approve", "comments": [], "summary": "  ready to ship  " }),
        ),
        Reply::json(200, &json!({ "url": "https://acme-tools.example.net", "revision": "r2" })),
    ])
    .await;
    let source = example(
        "build_website.flow",
        &[
            ("http://127.0.0.1:8080", services.url("")),
            ("https://deploy.example.com", services.url("")),
        ],
    );
    let finished = run(
        &source,
        json!({ "goal": "sell developer tools", "audience": "developers" }),
        options(&[
            ("OPENAI_BASE_URL", llm.url("/v1")),
            ("REVIEW_TOKEN", "review-secret".into()),
            ("DEPLOY_TOKEN", "deploy-secret".into()),
        ]),
    )
    .await;
    // index.html, one page per spec page, and CHANGES.md from the revision.
    assert_eq!(
        succeeded(&finished),
        &json!({
            "url": "https://acme-tools.example.net",
            "title": "Acme Tools",
            "pages": 2,
            "files": 4,
            "reviewer_summary": "ready to ship (4 files: revision: answered 1 review comments and 0 test failures)"
        })
    );
    let requests = services.requests();
    assert_eq!(requests.len(), 3);
    // The reviewer saw the test runner's report on the coder's build.
    let review = body(&services, 0);
    assert_eq!(
        review["tests"],
        json!({ "passed": 3, "failed": 0, "failures": [] })
    );
    assert_eq!(review["build"]["files"].as_array().map(Vec::len), Some(3));
    assert_eq!(requests[2].path, "/v1/sites/acme-tools/deployments");
    assert_eq!(
        requests[2].header("authorization"),
        Some("Bearer deploy-secret")
    );
}

#[tokio::test]
async fn research_plan_falls_back_to_the_cache_and_revises_until_feasible() {
    let plan = |budget: f64, references: Value| {
        json!({
            "hypothesis": "a four-day week keeps output level",
            "methods": [
                { "name": "field study", "rationale": "observe real teams", "weeks": 12 },
                { "name": "survey", "rationale": "measure wellbeing", "weeks": 4 }
            ],
            "budget_eur": budget,
            "timeline_weeks": 20,
            "risks": ["teams drop out"],
            "references": references
        })
    };
    let llm = server([
        model_says(json!({
            "question": "Does a four-day week change developer productivity?",
            "keywords": ["productivity", "four-day"],
            "out_of_scope": ["manufacturing"]
        })),
        model_says(plan(90000.0, json!([]))),
        model_says(plan(
            40000.0,
            json!(["https://example.org/cache/developer-productivity"]),
        )),
    ])
    .await;
    // The live search finds nothing, so the cache is read.
    let search = server([Reply::json(
        200,
        &json!({ "sources": [], "origin": "live" }),
    )])
    .await;
    let source = example(
        "research_plan.flow",
        &[("https://search.example.org", search.url(""))],
    );
    let finished = run(
        &source,
        json!({
            "question": "Are four-day weeks good for software teams?",
            "field": "organisational psychology",
            "budget_eur": 50000,
            "since_year": 2015
        }),
        options(&[
            ("OPENAI_BASE_URL", llm.url("/v1")),
            ("OPENAI_API_KEY", "sk-test".into()),
            ("LITERATURE_API_KEY", "lit-secret".into()),
        ]),
    )
    .await;
    assert_eq!(
        succeeded(&finished),
        &json!({
            "plan": plan(40000.0, json!(["https://example.org/cache/developer-productivity"])),
            "checked": true,
            "sources_from": "cache",
            "notes": []
        })
    );
    // The planner read the cached sources, then the checker's objections.
    assert!(prompt(&llm, 1).contains("https://example.org/cache/developer-productivity"));
    assert!(prompt(&llm, 2).contains("over the budget of 50000 EUR"));
    assert_eq!(llm.requests().len(), 3);
}

#[tokio::test]
async fn content_pipeline_writes_criticises_cleans_and_publishes() {
    let brief = |title: &str, words: i64| json!({ "title": title, "audience": "engineers", "angle": "tests catch drift", "length_words": words });
    let accept = json!({ "verdict": "accept", "objections": [], "keep": "the opening" });
    let llm = server([
        model_says(
            json!({ "article": brief("Why tests", 800), "teaser": brief("Tests, briefly", 100) }),
        ),
        model_says(json!({
            "headline": "#Why tests",
            "body": "#Intro\n\n\n\nRead [the study](https://example.net/s?utm_source=feed&id=4).  "
        })),
        model_says(accept.clone()),
        model_says(json!({ "headline": "Tests, briefly", "body": "You will like this." })),
        model_says(accept),
    ])
    .await;
    let published = json!({ "url": "https://example.net/p/1", "id": "p1" });
    let services = server([Reply::json(200, &published), Reply::json(200, &published)]).await;
    let source = example(
        "content_pipeline.flow",
        &[
            ("https://cms.example.com", services.url("")),
            ("https://mail.example.com", services.url("")),
        ],
    );
    let finished = run(
        &source,
        json!({ "topic": "testing", "publication": "The Build" }),
        options(&[
            ("OPENAI_BASE_URL", llm.url("/v1")),
            ("CMS_API_KEY", "cms-secret".into()),
            ("MAILER_CREDENTIALS", "mail-secret".into()),
        ]),
    )
    .await;
    assert_eq!(
        succeeded(&finished),
        &json!({ "article": published, "teaser": published })
    );
    let requests = services.requests();
    let cms = requests
        .iter()
        .find(|r| r.path == "/api/sections/features/posts")
        .and_then(|r| r.json().ok())
        .unwrap_or_else(|| panic!("the CMS was not called: {requests:?}"));
    // The external hook cleaned the article before it was published.
    assert_eq!(
        cms["draft"],
        json!({
            "headline": "Why tests",
            "body": "# Intro\n\nRead [the study](https://example.net/s?id=4).",
            "word_count": 4
        })
    );
    assert!(requests.iter().any(|r| r.path == "/v3/campaigns"));
}

#[tokio::test]
async fn data_enrichment_enriches_scores_and_updates_through_its_services() {
    let lead = |id: i64, email: &str| json!({ "id": id, "email": email, "annual_revenue": "1.2e6", "tags": [], "custom_fields": "{\"source\": \"web\"}" });
    let enriched = json!({
        "crm_id": "1", "email": "a@acme.test", "domain": "acme.test", "company": "Acme",
        "employees": 40, "industry": null, "country": "US", "revenue": 1200000, "type": "company",
        "is_test": false
    });
    let services = server([
        Reply::json(
            200,
            &json!({ "leads": [lead(1, "a@Acme.test"), lead(2, "b@acme.test")], "next_cursor": null, "exported at": "2024-05-01T10:00:00Z" }),
        ),
        Reply::json(200, &enriched),
        Reply::json(200, &enriched),
        Reply::json(
            200,
            &json!({ "scores": [
                { "crm_id": "1", "score": 80, "tier": "A" },
                { "crm_id": "2", "score": 40, "tier": "C" }
            ], "model_version": "m-3" }),
        ),
        Reply::json(200, &json!({ "updated": 1, "rejected": ["2"] })),
    ])
    .await;
    let source = example(
        "data_enrichment.flow",
        &[
            ("https://crm.example.com", services.url("")),
            ("https://companies.example.com", services.url("")),
            ("http://scoring.internal:9000", services.url("")),
        ],
    );
    let finished = run(
        &source,
        json!({ "list_id": "L1", "model": "m-3" }),
        options(&[
            ("CRM_TOKEN", "crm-secret".into()),
            ("ENRICHMENT_API_KEY", "enrich-secret".into()),
        ]),
    )
    .await;
    assert_eq!(
        succeeded(&finished),
        &json!({
            "list": "L1",
            "exported_at": "2024-05-01T10:00:00Z",
            "exported": 2,
            "enriched": 2,
            "rejected": ["2"],
            "saved_percent": 50.0,
            "first_company": "Acme",
            "model": "m-3",
            "custom_field_names": ["source"],
            "updated": 1
        })
    );
    let paths: Vec<String> = services.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.contains(&"/v2/domains/acme.test/enrich".to_owned()),
        "{paths:?}"
    );
}

#[tokio::test]
async fn ticket_triage_is_refused_until_there_is_a_run_store() {
    let program = program(&example("ticket_triage.flow", &[]));
    let sink = VecSink::new();
    let ticket = json!({ "ticket": {
        "id": "T-1", "customer": "Ada", "subject": "Cannot log in",
        "body": "Please reset my password.", "plan": "pro"
    }});
    let started = engine::run(&program, WorkflowId(0), ticket, options(&[]), &sink).await;
    match started {
        Err(StartError::NeedsStore { worker, .. }) => assert_eq!(worker, "SupportLead"),
        Err(other) => panic!("expected the human worker to be refused, got {other}"),
        Ok(finished) => panic!("the run started: {:?}", finished.outcome),
    }
}

#[tokio::test]
async fn manuscript_analysis_splits_the_sample_reads_in_parallel_and_synthesises() {
    // The three analysts run at the same time, so their requests come in any
    // order: each gets one reply that has the fields of all three reports
    // (records accept extra fields), and the output is checked at the end.
    let analysis = json!({
        "voice": "plain", "tics": ["held"], "readability": "easy",
        "premise": "a ledger", "loose_threads": [], "structure": "three acts",
        "characters": [{ "name": "Mara", "arc": "finds out", "consistent": true }],
        "notes": []
    });
    let analysts = server((0..3).map(|_| model_says(analysis.clone()))).await;
    let notes =
        json!({ "chapter": 1, "summary": "s", "pacing": "even", "issues": [], "best_line": null });
    let letter = json!({
        "title": "The Lighthouse Ledger",
        "verdict": "revise",
        "letter": "Dear author, ...",
        "priority_chapters": [3]
    });
    let mut replies: Vec<Reply> = (0..3).map(|_| model_says(notes.clone())).collect();
    replies.push(model_says(letter.clone()));
    let llm = server(replies).await;
    let source = example(
        "manuscript_analysis.flow",
        &[("http://127.0.0.1:11434/v1", analysts.url("/v1"))],
    );
    let finished = run(
        &source,
        json!({ "path": "workers/data/manuscript.md" }),
        options(&[
            ("OPENAI_BASE_URL", llm.url("/v1")),
            ("LOCAL_LLM_KEY", "local-secret".into()),
        ]),
    )
    .await;
    assert_eq!(succeeded(&finished), &letter);
    assert_eq!(analysts.requests().len(), 3);
    // One reader per chapter of the sample, then the chief editor, whose
    // prompt names the title the splitter read from the file.
    assert_eq!(llm.requests().len(), 4);
    assert!(prompt(&llm, 3).contains("\"The Lighthouse Ledger\""));
}

#[tokio::test]
async fn manuscript_analysis_reports_a_missing_file() {
    let finished = run(
        &example("manuscript_analysis.flow", &[]),
        json!({ "path": "workers/data/no-such-file.md" }),
        options(&[]),
    )
    .await;
    match &finished.outcome {
        RunOutcome::Failed { error } => assert!(
            error.to_string().contains("could not read the manuscript"),
            "{error}"
        ),
        RunOutcome::Succeeded { output } => panic!("the run succeeded with {output}"),
        RunOutcome::Cancelled => panic!("the run was cancelled"),
        RunOutcome::Stopped { reason } => panic!("the run stopped: {reason}"),
        RunOutcome::Paused { questions } => panic!("the run paused: {questions:?}"),
    }
}

/// `flow run ARGS...` in `dir`: its output as JSON and its stderr, after
/// checking that it succeeded.
fn flow_run(dir: &Path, args: &[&str]) -> (Value, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flow"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("FLOW_TRACE_DURATIONS", "0")
        .arg("run")
        .arg("--no-store")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("flow did not start: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "flow run failed: {stderr}");
    let result: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stderr}"));
    (result, stderr)
}

/// The input of `research_plan.flow` in `examples/README.md`.
const RESEARCH_QUESTION: &str = r#"{"question": "Are four-day weeks good for software teams?", "field": "organisational psychology", "budget_eur": 50000, "since_year": 2015}"#;

/// The offline command of `examples/README.md`, as a user types it.
#[test]
fn research_plan_runs_offline_from_the_command_line_with_the_readme_mocks() {
    let (result, stderr) = flow_run(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "examples/research_plan.flow",
            "--mock",
            "Scoper=@examples/workers/mocks/scope.json",
            "--mock",
            "LiteratureSearch=@examples/workers/mocks/no_live_sources.json",
            "--mock",
            "Planner=@examples/workers/mocks/plan.json",
            "--input",
            RESEARCH_QUESTION,
        ],
    );
    assert_eq!(result["checked"], json!(true));
    assert_eq!(result["sources_from"], json!("cache"));
    assert_eq!(result["plan"]["budget_eur"], json!(40000));
    assert!(stderr.contains("search_cache → draft"), "{stderr}");
}

/// The same run from another directory, naming the file by a relative path
/// from there: its programs still run in the example's directory (the cache
/// program reads its sample cache, `workers/data/literature_cache.json`,
/// relative to its working directory), and the mocks are read from the
/// current directory, as command-line paths are.
#[test]
fn research_plan_runs_from_another_directory() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flow"))
        .current_dir(examples().join("workers/mocks"))
        .args([
            "run",
            "../../research_plan.flow",
            "--no-store",
            "--events",
            "ndjson",
            "--mock",
            "Scoper=@scope.json",
            "--mock",
            "LiteratureSearch=@no_live_sources.json",
            "--mock",
            "Planner=@plan.json",
            "--input",
            RESEARCH_QUESTION,
        ])
        .output()
        .unwrap_or_else(|e| panic!("flow did not start: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "flow run failed: {stderr}");
    let events: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let cached = events
        .iter()
        .find(|e| e["event"] == "step_succeeded" && e["step"] == "search_cache")
        .unwrap_or_else(|| panic!("the cache was not searched: {events:#?}"));
    let sources = cached["output"]["sources"].as_array().map_or(0, Vec::len);
    assert!(
        sources > 0,
        "nothing was read from the sample cache: {cached}"
    );
    let ended = events.last().unwrap_or_else(|| panic!("no events"));
    assert_eq!(ended["event"], "run_succeeded", "{ended}");
    assert_eq!(ended["output"]["checked"], json!(true), "{ended}");
}

/// A scratch directory of this test process, empty.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flow-examples-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn write_json(dir: &Path, name: &str, value: &Value) {
    std::fs::write(dir.join(name), value.to_string())
        .unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
}

/// `build_website.flow` run from a temporary directory, with its model and
/// services mocked: the coder (`python3 workers/coder.py`) and the test
/// runner (`python3 run_site_tests.py` in `cwd: "workers"`) run as written,
/// relative to the example's directory, and the tests pass on the coder's
/// build.
#[test]
fn build_website_runs_from_a_temporary_directory() {
    let dir = scratch("build-website");
    write_json(
        &dir,
        "spec.json",
        &json!({
            "title": "Acme Tools",
            "audience": "developers",
            "pages": [{ "path": "/pricing", "purpose": "compare the plans", "sections": ["Plans"] }]
        }),
    );
    write_json(
        &dir,
        "approve.json",
        &json!({ "verdict": "approve", "comments": [], "summary": "ready" }),
    );
    write_json(
        &dir,
        "deployed.json",
        &json!({ "url": "https://acme-tools.example.net", "revision": "r1" }),
    );
    let file = examples().join("build_website.flow");
    let (result, stderr) = flow_run(
        &dir,
        &[
            &file.display().to_string(),
            "--mock",
            "ProductManager=@spec.json",
            "--mock",
            "Reviewer=@approve.json",
            "--mock",
            "Deployer=@deployed.json",
            "--input",
            r#"{"goal": "sell developer tools", "audience": "developers"}"#,
        ],
    );
    assert_eq!(result["url"], json!("https://acme-tools.example.net"));
    assert_eq!(result["pages"], json!(1));
    // The test runner ran and found nothing wrong with the coder's build.
    assert!(stderr.contains("run_tests → review_code"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `manuscript_analysis.flow` from a temporary directory, its models mocked:
/// the splitter reads the sample manuscript by the path relative to the
/// example's directory, where it runs.
#[test]
fn manuscript_analysis_splits_the_sample_from_a_temporary_directory() {
    let dir = scratch("manuscript");
    let analysis = json!({
        "voice": "plain", "tics": [], "readability": "easy",
        "premise": "a ledger", "loose_threads": [], "structure": "three acts",
        "characters": [], "notes": []
    });
    write_json(&dir, "analysis.json", &analysis);
    write_json(
        &dir,
        "notes.json",
        &json!({ "chapter": 1, "summary": "s", "pacing": "even", "issues": [], "best_line": null }),
    );
    let letter = json!({
        "title": "The Lighthouse Ledger", "verdict": "ready", "letter": "Dear author", "priority_chapters": []
    });
    write_json(&dir, "letter.json", &letter);
    let file = examples().join("manuscript_analysis.flow");
    let mut args = vec![file.display().to_string()];
    for (worker, mock) in [
        ("StyleAnalyst", "analysis.json"),
        ("PlotAnalyst", "analysis.json"),
        ("CharacterAnalyst", "analysis.json"),
        ("ChapterReader", "notes.json"),
        ("ChiefEditor", "letter.json"),
    ] {
        args.push("--mock".into());
        args.push(format!("{worker}=@{mock}"));
    }
    args.push("--input".into());
    args.push(r#"{"path": "workers/data/manuscript.md"}"#.into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (result, stderr) = flow_run(&dir, &args);
    assert_eq!(result, letter);
    // One reader per chapter of the sample: the splitter found the file.
    assert!(stderr.contains("read_chapters[2]"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}
