//! Parser tests over small inputs; whole files are covered by the fixture tests.

use super::*;

fn errors(source: &str) -> Vec<String> {
    parse(source).errors.iter().map(|e| e.to_string()).collect()
}

#[test]
fn design_example_parses() {
    let parsed = parse(include_str!(
        "../../tests/fixtures/syntax/design_example.flow"
    ));
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
        (
            "workflow w() -> string {\n succeed done = \"abc\n }",
            "unterminated string",
        ),
    ];
    for (source, message) in cases {
        assert_eq!(errors(source), [message], "{source}");
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    for open in ["(", "[", "{", "\"${", "/*"] {
        let source = format!(
            "workflow w() -> string {{ succeed done = {} }}",
            open.repeat(100_000)
        );
        let parsed = parse(&source);
        assert!(
            parsed
                .errors
                .iter()
                .any(|e| matches!(e, SyntaxError::TooDeep { .. })),
            "{open}: {:?}",
            parsed.errors.first()
        );
    }
}

#[test]
fn long_operator_chains_are_refused_not_overflowing() {
    for op in ["!", "-", "x ?? "] {
        let source = format!(
            "workflow w() -> string {{ succeed done = {}x }}",
            op.repeat(100_000)
        );
        let parsed = parse(&source);
        assert!(
            parsed
                .errors
                .iter()
                .any(|e| matches!(e, SyntaxError::TooDeep { .. })),
            "{op}: {:?}",
            parsed.errors.first()
        );
    }
}
