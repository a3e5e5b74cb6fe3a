//! The parser and the checker never panic or hang, whatever the input:
//! arbitrary bytes, soups of the language's tokens (alone and inside the
//! opening of each kind of item), and input nested far deeper than anything
//! a person writes, which must be refused with a diagnostic rather than
//! overflow the stack.

mod support;

use proptest::prelude::*;
use proptest::sample::select;
use support::{front_end, tokens};

/// Openings that put token soup where each part of the grammar is tried.
const CONTEXTS: &[(&str, &str)] = &[
    ("", ""),
    ("workflow w(a: string) -> string {\n", "\n}"),
    (
        "workflow w(a: string) -> string {\n  step s = W(x: ",
        ")\n}",
    ),
    ("workflow w() -> json {\n  succeed done = ", "\n}"),
    (
        "workflow w() -> json {\n  step s = W() {\n",
        "\n  }\n  succeed done = s\n}",
    ),
    ("workflow w() -> json {\n  parallel p {\n", "\n  }\n}"),
    ("worker W(a: string) -> string {\n", "\n}"),
    ("worker W(a: string) -> string {\n  exec { ", " }\n}"),
    ("type T {\n", "\n}"),
    ("type T = ", "\n"),
    ("transformer t(x: int) -> int = ", "\n"),
    ("worker W(", ") -> string { builtin { name: \"echo\" } }"),
];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: support::cases(cases),
        // A failing case is shrunk, but not for long: the report matters
        // more than the smallest input.
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2_000)) {
        let source = String::from_utf8_lossy(&bytes).into_owned();
        front_end(source).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn arbitrary_text(source in "\\PC{0,400}") {
        front_end(source).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn token_soup(soup in tokens::soup(300)) {
        front_end(soup).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn token_soup_in_context(context in select(CONTEXTS), soup in tokens::soup(120)) {
        let (open, close) = context;
        front_end(format!("{open}{soup}{close}")).map_err(TestCaseError::fail)?;
    }
}

/// How deep the explicit cases nest: far past any limit, and deep enough to
/// overflow a 2 MiB stack if anything recursed once per level.
const DEEP: usize = 10_000;

/// Deeply nested input in every place the grammar nests: refused with the
/// `too_deep` diagnostic, without a panic, a hang or a stack overflow.
#[test]
fn deep_nesting_is_refused_with_a_diagnostic() {
    let n = DEEP;
    let cases = [
        (
            "parentheses",
            format!(
                "workflow w() -> json {{ succeed done = {}1{} }}",
                "(".repeat(n),
                ")".repeat(n)
            ),
        ),
        (
            "unclosed parentheses",
            format!("workflow w() -> json {{ succeed done = {}", "(".repeat(n)),
        ),
        (
            "lists",
            format!(
                "workflow w() -> json {{ succeed done = {}1{} }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "records",
            format!(
                "workflow w() -> json {{ succeed done = {}1{} }}",
                "{ a: ".repeat(n),
                " }".repeat(n)
            ),
        ),
        (
            "calls",
            format!(
                "workflow w() -> json {{ succeed done = {}1{} }}",
                "len(".repeat(n),
                ")".repeat(n)
            ),
        ),
        (
            "indexes",
            format!(
                "workflow w(x: json) -> json {{ succeed done = x{}0{} }}",
                "[x".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "interpolations",
            format!(
                "workflow w() -> string {{ succeed done = {}x{} }}",
                "\"${".repeat(n),
                "}\"".repeat(n)
            ),
        ),
        (
            "list types",
            format!("type T = {}string{}", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "record types",
            format!(
                "type T {{ {}string{} }}",
                "a: { a: ".repeat(n),
                " }".repeat(n)
            ),
        ),
        (
            "parameter types",
            format!(
                "worker W(a: {}string{}) -> string {{ builtin {{ name: \"echo\" }} }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "arguments",
            format!(
                "workflow w() -> json {{ step s = W(a: {}1{}) }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "settings",
            format!(
                "worker W() -> string {{ exec {{ command: {}\"x\"{} }} }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
        (
            "block comments",
            format!("{}type T = string", "/* ".repeat(n)),
        ),
        (
            "ifs in then branches",
            format!(
                "workflow w(a: bool) -> json {{ succeed done = {}1{} }}",
                "if a then ".repeat(n),
                " else 2".repeat(n)
            ),
        ),
        (
            "ifs in conditions",
            format!(
                "workflow w(a: bool) -> json {{ succeed done = {}a{} }}",
                "if ".repeat(n),
                " then 1 else 2".repeat(n)
            ),
        ),
        (
            "ifs as operands",
            format!(
                "workflow w(a: bool) -> json {{ succeed done = 1{} }}",
                " + if a then 1 else 1".repeat(n)
            ),
        ),
        (
            "mixed brackets",
            format!(
                "workflow w() -> json {{ succeed done = {} }}",
                "([{ a: ".repeat(n)
            ),
        ),
    ];
    for (what, source) in cases {
        let outcome = front_end(source).unwrap_or_else(|e| panic!("{what}: {e}"));
        let refused = outcome.has_syntax_code("flow::syntax::too_deep")
            || outcome.has_syntax_code("flow::syntax::unterminated_comment");
        assert!(
            refused,
            "{what}: expected a `too_deep` diagnostic, got {:?}",
            outcome.syntax.first()
        );
    }
}

/// Long flat chains are not nested in the text, but they build trees as
/// deep as they are long, which recursive lowering, checking or even
/// dropping the tree could overflow on. They may be accepted or refused;
/// they must not crash.
#[test]
fn long_chains_do_not_overflow() {
    let n = DEEP;
    let chains = [
        (
            "additions",
            format!(
                "workflow w(x: int) -> int {{ succeed done = x{} }}",
                " + x".repeat(n)
            ),
        ),
        (
            "string joins",
            format!(
                "workflow w(x: string) -> string {{ succeed done = x{} }}",
                " + \"a\"".repeat(n)
            ),
        ),
        (
            "comparisons",
            format!(
                "workflow w(x: int) -> bool {{ succeed done = x{} }}",
                " == x".repeat(n)
            ),
        ),
        (
            "defaults",
            format!(
                "workflow w(x: int?) -> int {{ succeed done = x{} ?? 1 }}",
                " ?? x".repeat(n)
            ),
        ),
        (
            "negations",
            format!(
                "workflow w(x: bool) -> bool {{ succeed done = {}x }}",
                "!".repeat(n)
            ),
        ),
        (
            "minus signs",
            format!(
                "workflow w(x: int) -> int {{ succeed done = {}x }}",
                "-".repeat(n)
            ),
        ),
        (
            "else if chains",
            format!(
                "workflow w(a: bool) -> int {{ succeed done = {}0 }}",
                "if a then 1 else ".repeat(n)
            ),
        ),
        (
            "list concatenations",
            format!(
                "workflow w(x: [int]) -> [int] {{ succeed done = x{} }}",
                " + [1]".repeat(n)
            ),
        ),
        (
            "field accesses",
            format!(
                "workflow w(x: json) -> json {{ succeed done = x{} }}",
                ".a".repeat(n)
            ),
        ),
        (
            "optional accesses",
            format!(
                "workflow w(x: json?) -> json {{ succeed done = x{} ?? 1 }}",
                "?.a".repeat(n)
            ),
        ),
        (
            "indexes",
            format!(
                "workflow w(x: json) -> json {{ succeed done = x{} }}",
                "[0]".repeat(n)
            ),
        ),
        (
            "optional types",
            format!("type T = string{}", "?".repeat(n)),
        ),
        (
            "union members",
            format!("type T = \"a\"{}", " | \"b\"".repeat(n)),
        ),
        (
            "list items",
            format!(
                "workflow w() -> [int] {{ succeed done = [{}] }}",
                "1, ".repeat(n)
            ),
        ),
        (
            "arguments",
            format!(
                "workflow w() -> int {{ succeed done = len({}) }}",
                "1, ".repeat(n)
            ),
        ),
        (
            "conditions",
            format!(
                "workflow w(x: bool) -> int {{\n  step s = W() {{\n{}  }}\n  succeed d = 1\n}}",
                "    on_success when x && x || !x -> d\n".repeat(n)
            ),
        ),
        (
            "doc comments",
            format!("{}type T = string", "/// doc\n".repeat(n)),
        ),
    ];
    for (what, source) in chains {
        front_end(source).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
}

/// A long chain of states is the normal case at scale, not an abuse: the
/// graph analyses walk it without recursion.
#[test]
fn a_long_chain_of_states_checks() {
    let n = DEEP;
    let mut source = String::from(
        "worker W(i: int) -> { i: int } { builtin { name: \"echo\" } }\nworkflow w() -> int {\n",
    );
    for i in 0..n {
        source.push_str(&format!(
            "  step s{i} = W(i: {i}) {{ on_success -> s{} }}\n",
            i + 1
        ));
    }
    source.push_str(&format!("  succeed s{n} = s{}.i\n}}\n", n - 1));
    let outcome = front_end(source).unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.syntax.is_empty(), "{:?}", outcome.syntax.first());
    assert!(outcome.check.is_empty(), "{:?}", outcome.check.first());
}

/// Inputs on which the properties above once found a panic, kept so that
/// they are tried on every run and not only when the random search happens
/// upon them again.
#[test]
fn inputs_found_by_the_properties() {
    let found = [
        // A word right after a string that ends in a multi-byte character
        // made the error message slice inside that character.
        "worker W() -> string { http { headers: { \"é0\"A\": 1 } } }",
        "worker W() -> string { http { headers: { \"\u{FFFD}0\"Authorization\": \"x\" } } }",
    ];
    for source in found {
        front_end(source.to_string()).unwrap_or_else(|e| panic!("{e}"));
    }
}
