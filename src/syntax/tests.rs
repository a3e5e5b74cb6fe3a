//! Parser tests over small inputs; whole files are covered by the fixture tests.

use super::*;

fn errors(source: &str) -> Vec<String> {
    parse(source).errors.iter().map(|e| e.to_string()).collect()
}

#[test]
fn design_example_parses() {
    let parsed = parse(include_str!("../../tests/fixtures/syntax/design_example.flow"));
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.file.items.len(), 7);
}

#[test]
fn errors_are_in_the_users_words() {
    let cases = [
        (
            "workflow w() -> string { step a = W(x: 1) { on_success done } succeed done = \"x\" }",
            "expected `->` after `on_success`, found `done`",
        ),
        (
            "workflow w() -> string { step a = W(x: 1) { on_success -> } }",
            "expected a name after `->`, found `}`",
        ),
        ("type T { a: }", "expected a type after `:`, found `}`"),
        (
            "workflow w() -> string { succeed done = 1 + }",
            "expected an expression after `+`, found `}`",
        ),
        ("workflow w() -> string {\n succeed done = \"abc\n }", "unterminated string"),
    ];
    for (source, message) in cases {
        assert_eq!(errors(source), [message], "{source}");
    }
}
