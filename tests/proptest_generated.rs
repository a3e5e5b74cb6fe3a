//! The generated benchmark files: they parse without a syntax error and
//! check clean, at the sizes the benchmarks use and for random seeds and
//! sizes; and a syntax error near the end of a 10 MB file is reported at
//! the right line.

#[path = "../benches/gen/mod.rs"]
mod generator;
mod support;

use flow::syntax::parse;
use proptest::prelude::*;

/// The 1-based line of a byte offset, as the diagnostics compute it.
fn line_of(source: &str, offset: usize) -> usize {
    flow::diagnostics::LineIndex::new(source)
        .line_col(offset)
        .line
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

proptest! {
    #![proptest_config(ProptestConfig {
        cases: support::cases(24),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    /// Any seed, any size and any split into workflows gives a clean file:
    /// the generator is correct by construction, not tuned to one seed.
    #[test]
    fn any_generated_file_checks_clean(
        seed in any::<u64>(),
        states in generator::MIN_STATES_PER_WORKFLOW..400,
        per_workflow in generator::MIN_STATES_PER_WORKFLOW..150,
    ) {
        let generated = generator::generate_with(&generator::Config {
            states,
            seed,
            max_states_per_workflow: per_workflow,
        });
        prop_assert_eq!(generated.states, states);
        let outcome = support::front_end(generated.source.clone()).map_err(TestCaseError::fail)?;
        prop_assert!(
            outcome.syntax.is_empty(),
            "{}",
            describe_syntax_errors(&generated.source, &outcome.syntax)
        );
        prop_assert!(
            outcome.check.is_empty(),
            "{}",
            describe_check_errors(&generated.source, &outcome.check)
        );
    }
}

/// A syntax error near the end of a 10 MB file is found, and reported at
/// its line, with every item kept: the broken workflow too, since the
/// parser recovers at its next state. (How fast is measured by
/// `cargo bench --bench cli`, not asserted here.)
#[test]
fn a_syntax_error_near_the_end_of_10_mb_is_reported_at_its_line() {
    let generated = generator::generate_bytes(10 * 1024 * 1024, 1);
    let (broken, line) =
        generator::break_near_end(&generated.source).expect("the generated file has steps");
    assert!(line > generated.lines() - 100, "the error is near the end");
    let parsed = parse(&broken);
    assert_eq!(
        parsed.errors.len(),
        1,
        "{}",
        describe_syntax_errors(&broken, &parsed.errors)
    );
    let error = &parsed.errors[0];
    assert_eq!(line_of(&broken, error.offset()), line, "{error}");
    assert_eq!(
        parsed.file.items.len(),
        count_items(&generated.source),
        "every item is kept, the broken workflow with the states that parse"
    );
}

/// The items of a generated file: every line that starts one.
fn count_items(source: &str) -> usize {
    source
        .lines()
        .filter(|line| {
            ["type ", "worker ", "transformer ", "workflow "]
                .iter()
                .any(|keyword| line.starts_with(keyword))
        })
        .count()
}
