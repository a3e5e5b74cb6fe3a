//! Tests of the whole checker on source text.

mod example;
mod exprs;
mod items;
mod types;
mod workers;
mod workflows;

use miette::Diagnostic;

use super::{CheckError, check};

/// The complete example of section 1 of the design, from the fixture the
/// parser tests read too, so that there is one copy of it.
pub(super) const DESIGN_EXAMPLE: &str =
    include_str!("../../../tests/fixtures/syntax/design_example.flow");

/// Parses `source`, which must be free of syntax errors, and checks it.
pub(super) fn diagnostics(source: &str) -> Vec<CheckError> {
    let parsed = crate::syntax::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors in a test source: {:#?}",
        parsed.errors
    );
    check(&parsed.file)
}

/// The last segment of each diagnostic's code, in order.
pub(super) fn codes(source: &str) -> Vec<String> {
    diagnostics(source)
        .iter()
        .map(|d| {
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            code.rsplit("::").next().unwrap_or_default().to_string()
        })
        .collect()
}

/// Asserts the codes reported for `source`, in order.
#[track_caller]
pub(super) fn assert_codes(source: &str, expected: &[&str]) {
    let found = codes(source);
    assert_eq!(found, expected, "diagnostics: {:#?}", diagnostics(source));
}

/// The one diagnostic `source` reports.
#[track_caller]
pub(super) fn only(source: &str) -> CheckError {
    let mut found = diagnostics(source);
    assert_eq!(found.len(), 1, "expected one diagnostic, found {found:#?}");
    found.remove(0)
}

/// The help text of a diagnostic.
pub(super) fn help(d: &CheckError) -> String {
    d.help().map(|h| h.to_string()).unwrap_or_default()
}

/// The text of each label of a diagnostic, in order.
pub(super) fn labels(d: &CheckError) -> Vec<String> {
    d.labels()
        .map(|labels| {
            labels
                .filter_map(|l| l.label().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A workflow around one `succeed` value, with the given items before it
/// and parameters, for expression tests.
pub(super) fn succeed_with(items: &str, params: &str, output: &str, value: &str) -> String {
    format!("{items}\nworkflow main({params}) -> {output} {{\n  succeed done = {value}\n}}\n")
}
