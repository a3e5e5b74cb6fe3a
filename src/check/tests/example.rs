//! The complete example of section 1 of the design checks cleanly.

use super::diagnostics;

pub(super) const EXAMPLE: &str = r#"/// A website built by a product manager, a coder and a reviewer.

type Spec {
  title: string
  pages: [string]
}

type Review {
  verdict: "approve" | "revise"
  comments: [string]
}

worker ProductManager(goal: string) -> Spec {
  llm {
    model: "gpt-4o-mini"
    system: "You are a meticulous product manager."
    prompt: """
      Write a one-page website specification for: ${goal}
      """
  }
  timeout: 60s
}

worker Coder(spec: Spec, feedback: [string]) -> string {
  exec { command: ["python3", "examples/workers/coder.py"] }
  timeout: 2m
  retries: 2
  backoff: 1s..30s
}

worker Reviewer(code: string) -> Review {
  http {
    url: "http://127.0.0.1:8080/review"
    headers: { "Authorization": "Bearer ${env("REVIEW_TOKEN")}" }
  }
  after: tidy_review
}

/// Output hook: keep only the fields that the workflow relies on.
transformer tidy_review(r: Review) -> Review =
  { verdict: r.verdict, comments: r.comments }

workflow build_website(goal: string) -> string {
  start: create_specs

  step create_specs = ProductManager(goal: goal) {
    on_success -> implement_code
    on_failure -> failed
  }

  step implement_code = Coder(spec: create_specs, feedback: review_code?.comments ?? []) {
    on_success -> review_code
    on_failure -> failed
  }

  step review_code = Reviewer(code: implement_code) {
    max_visits: 3
    on_success when review_code.verdict == "approve" -> completed
    on_success -> implement_code
    on_failure limit -> completed
    on_failure -> failed
  }

  succeed completed = implement_code
  fail failed = "could not build the website"
}
"#;

#[test]
fn the_design_example_checks_cleanly() {
    let found = diagnostics(EXAMPLE);
    assert!(found.is_empty(), "unexpected diagnostics: {found:#?}");
}

#[test]
fn the_example_parses_into_items() {
    let parsed = crate::syntax::parse(EXAMPLE);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.file.items.len(), 7);
}
