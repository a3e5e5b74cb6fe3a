//! The expression type checker, through `succeed` values and transformer
//! bodies.

use super::{assert_codes, help, labels, only, succeed_with};
use crate::check::CheckError;

const TYPES: &str = r#"
type Review { verdict: "approve" | "revise", comments: [string], score?: int }
"#;

/// Checks `value` as the output of a workflow with parameters `params`.
fn value(params: &str, output: &str, value: &str) -> Vec<String> {
    super::codes(&succeed_with(TYPES, params, output, value))
}

#[track_caller]
fn clean(params: &str, output: &str, v: &str) {
    assert_eq!(value(params, output, v), Vec::<String>::new(), "{v}");
}

#[test]
fn literals_lists_and_records() {
    clean("", "int", "42");
    clean("", "number", "3.5");
    clean("", "number", "-7");
    clean("", "bool", "true");
    clean("", "string?", "null");
    clean("", "[string]", "[]");
    clean("", "[string]", r#"["a", "b"]"#);
    clean("", "[number]", "[1, 2.5]");
    clean("", "[string?]", r#"["a", null]"#);
    clean("", "Review", r#"{ verdict: "approve", comments: [] }"#);
    clean("", "json", r#"{ "a b": [1, "x", null] }"#);
    clean("x: int", "string", r#""n = ${x}, list = ${[x]}""#);
    assert_eq!(value("", "[int]", r#"[1, "two"]"#), ["output_mismatch"]);
    assert_eq!(value("", "int", r#"len([1, "two"])"#), ["type_mismatch"]);
    assert_eq!(value("", "json", "{ a: 1, a: 2 }"), ["duplicate_field"]);
    assert_eq!(value("", "string", "30s"), ["misplaced_duration"]);
}

#[test]
fn record_literals_are_checked_field_by_field() {
    let source = succeed_with(
        TYPES,
        "",
        "Review",
        r#"{ verdict: "approved", comments: [1] }"#,
    );
    let found = super::diagnostics(&source);
    assert_eq!(found.len(), 2, "{found:#?}");
    let contexts: Vec<String> = found.iter().map(|d| labels(d)[0].clone()).collect();
    assert_eq!(contexts, ["this is `\"approved\"`", "this is `int`"]);
    let missing = only(&succeed_with(
        TYPES,
        "",
        "Review",
        r#"{ verdict: "revise" }"#,
    ));
    let CheckError::OutputMismatch { found, help, .. } = missing else {
        panic!("unexpected {missing:?}");
    };
    assert_eq!(found, "a record without field `comments`");
    assert_eq!(help, "add `comments` to the record");
}

#[test]
fn names_and_scopes() {
    assert_eq!(value("text: string", "string", "txt"), ["unknown_name"]);
    let d = only(&succeed_with(TYPES, "text: string", "string", "txt"));
    assert_eq!(help(&d), "did you mean `text`?");
}

#[test]
fn error_outside_on_failure_is_the_failure_routed_last_or_null() {
    clean("", "string", r#"error?.message ?? "unknown""#);
    clean("", "string?", "error?.state");
    clean("", "int", "error?.attempts ?? 0");
    clean("", "bool", r#"error?.class == "timeout""#);
    clean("", "bool", "error == null");
    clean("", "string", r#""failed: ${error?.message ?? "unknown"}""#);
    let d = only(&succeed_with(TYPES, "", "string", "error.message"));
    let CheckError::NullableValue { found, help, .. } = &d else {
        panic!("unexpected {d:?}");
    };
    assert_eq!(
        found,
        r#"`{ class: "timeout" | "transient" | "worker" | "output" | "limit", message: string, attempts: int, state: string }?`"#
    );
    assert_eq!(
        help,
        "`error` is null until an `on_failure` transition has routed a failure in this run: write `error?.message`, and give a default with `??` where a value is needed"
    );
    let d = only(&succeed_with(TYPES, "", "string", r#""${error}""#));
    assert_eq!(
        super::help(&d),
        "`error` is null until an `on_failure` transition has routed a failure in this run: read its fields with `error?.`, and give a default with `??`"
    );
    assert_eq!(value("", "json", "error?.cause"), ["unknown_field"]);
}

#[test]
fn fields_and_optional_fields() {
    clean("r: Review", "string", "r.verdict");
    clean("r: Review", "int?", "r.score");
    clean("r: Review?", "string?", "r?.verdict");
    clean("r: Review?", "[string]", "r?.comments ?? []");
    clean("r: json", "json", "r.anything.at[0]");
    assert_eq!(value("r: Review", "string", "r.verdcit"), ["unknown_field"]);
    let d = only(&succeed_with(TYPES, "r: Review", "string", "r.verdcit"));
    assert_eq!(help(&d), "did you mean `verdict`?");
    assert_eq!(
        value("r: Review?", "string", "r.verdict"),
        ["nullable_value"]
    );
    assert_eq!(value("s: string", "string", "s.length"), ["not_a_record"]);
    // One message for the first problem, none for what follows from it.
    assert_eq!(
        value("r: Review", "string", "r.nope.deeper.still"),
        ["unknown_field"]
    );
}

#[test]
fn indexing() {
    clean("xs: [string]", "string?", "xs[0]");
    clean("xs: [string]", "string", r#"xs[1] ?? """#);
    clean("r: Review", "[string]", r#"r["comments"]"#);
    clean("j: json", "json", r#"j["a"][0]"#);
    assert_eq!(
        value("xs: [string]", "string", "xs[0]"),
        ["output_mismatch"]
    );
    assert_eq!(
        value("xs: [string]", "string?", r#"xs["a"]"#),
        ["type_mismatch"]
    );
    assert_eq!(
        value("r: Review", "json", r#"r["comment"]"#),
        ["unknown_field"]
    );
    let d = only(&succeed_with(TYPES, "r: Review", "json", r#"r["comment"]"#));
    assert_eq!(help(&d), "did you mean `\"comments\"`?");
    assert_eq!(value("n: int", "json", "n[0]"), ["not_indexable"]);
    assert_eq!(value("xs: [string]?", "json", "xs[0]"), ["nullable_value"]);
}

#[test]
fn operators() {
    clean("a: int, b: int", "int", "a + b * 2 - a % b");
    clean("a: int, b: number", "number", "a / b");
    clean("a: int", "number", "a / 2");
    clean("s: string", "string", r#"s + "!""#);
    clean(
        "a: int, s: string",
        "bool",
        r#"a < 3 && s >= "m" || !(a == 2)"#,
    );
    clean("a: int", "int", "-a");
    clean("a: int?", "int", "a ?? 0");
    clean("j: json", "json", "j + 1");
    clean("r: Review", "bool", r#"r.verdict != "revise""#);
    clean("r: Review", "bool", "r.score == null");
    assert_eq!(
        value("a: int, s: string", "json", "a + s"),
        ["invalid_operands"]
    );
    assert_eq!(value("a: bool", "json", "a * 2"), ["invalid_operands"]);
    assert_eq!(value("a: int", "bool", "a && true"), ["invalid_operands"]);
    assert_eq!(
        value("a: int, s: string", "bool", "a == s"),
        ["invalid_operands"]
    );
    assert_eq!(value("s: string", "bool", "!s"), ["invalid_operand"]);
    assert_eq!(value("s: string", "json", "-s"), ["invalid_operand"]);
    assert_eq!(value("a: int?", "int", "a + 1"), ["nullable_value"]);
    assert_eq!(
        value("a: int?", "json", r#"a ?? "none""#),
        ["invalid_operands"]
    );
}

/// The type an expression has where no type is expected, read from the
/// `output_mismatch` of putting it in a list where a `bool` is.
fn type_of(params: &str, v: &str) -> String {
    let d = only(&succeed_with(TYPES, params, "bool", &format!("[{v}]")));
    let CheckError::OutputMismatch { found, .. } = d else {
        panic!("{v}: unexpected {d:?}");
    };
    match found.strip_prefix("`[").and_then(|f| f.strip_suffix("]`")) {
        Some(inner) => format!("`{inner}`"),
        None => panic!("{v}: not a list type: {found}"),
    }
}

#[test]
fn plus_joins_two_lists_into_a_list_of_their_common_type() {
    assert_eq!(type_of("xs: [string]", "[] + xs"), "`[string]`");
    assert_eq!(type_of("xs: [int], ys: [number]", "xs + ys"), "`[number]`");
    assert_eq!(type_of("", r#"["a"] + ["b"]"#), r#"`["a" | "b"]`"#);
    assert_eq!(type_of("xs: [string]", "xs + [null]"), "`[string?]`");
    assert_eq!(type_of("j: json, xs: [int]", "j + xs"), "`json`");
    clean(
        "r: Review?",
        "[string]",
        r#"(r?.comments ?? []) + [r?.verdict ?? ""]"#,
    );
    clean("xs: [int]", "int", "len(xs + [1] + [])");
    let d = only(&succeed_with(
        TYPES,
        "xs: [string]",
        "[string]",
        r#"xs + "a""#,
    ));
    assert!(matches!(d, CheckError::InvalidOperands { .. }), "{d:?}");
    assert_eq!(
        help(&d),
        "`+` joins two lists: wrap the value in a list, `xs + [x]`"
    );
    let d = only(&succeed_with(
        TYPES,
        "xs: [string]",
        "[string]",
        r#""a" + xs"#,
    ));
    assert_eq!(
        help(&d),
        "`+` joins two lists: wrap the value in a list, `[x] + xs`"
    );
    let d = only(&succeed_with(TYPES, "xs: [int]", "json", r#"xs + ["a"]"#));
    assert_eq!(
        help(&d),
        "the elements of the two lists have no common type, so `+` cannot join them"
    );
    assert_eq!(value("xs: [int]?", "[int]", "xs + [1]"), ["nullable_value"]);
}

#[test]
fn if_has_a_bool_condition_and_the_common_type_of_its_branches() {
    assert_eq!(type_of("c: bool", "if c then 1 else 2.5"), "`number`");
    assert_eq!(
        type_of("c: bool", r#"if c then "a" else "b""#),
        r#"`"a" | "b"`"#
    );
    assert_eq!(
        type_of("c: bool, s: string", "if c then s else null"),
        "`string?`"
    );
    assert_eq!(
        type_of(
            "n: int",
            r#"if n > 2 then "many" else if n > 0 then "some" else "none""#
        ),
        r#"`"many" | "some" | "none"`"#
    );
    clean("c: bool", "int", "if c then 1 else 2");
    clean(
        "c: bool, r: Review?",
        "string",
        r#"if c then r?.verdict ?? "none" else "off""#,
    );
    clean("c: bool", "string", r#""n = ${if c then 1 else 2}""#);
    // Where a type is expected, each branch is checked against it.
    clean("c: bool", "json", r#"if c then 1 else "one""#);
    clean("c: bool", "[string]", r#"if c then [] else ["x"]"#);
    let d = only(&succeed_with(
        TYPES,
        "c: bool",
        "int",
        r#"if c then 1 else "x""#,
    ));
    let CheckError::OutputMismatch { found, .. } = &d else {
        panic!("unexpected {d:?}");
    };
    assert_eq!(found, r#"`"x"`"#);
    // Where none is, branches without a common type are reported with
    // both of them labelled.
    let d = only(&succeed_with(
        TYPES,
        "c: bool",
        "string",
        r#""${if c then 1 else "x"}""#,
    ));
    let CheckError::IncompatibleBranches { .. } = &d else {
        panic!("unexpected {d:?}");
    };
    assert_eq!(
        d.to_string(),
        r#"the branches of this `if` have no common type: `int` and `"x"`"#
    );
    assert_eq!(
        labels(&d),
        [
            r#"the `else` branch is `"x"`"#,
            "the `then` branch is `int`"
        ]
    );
    assert!(help(&d).contains("`string(...)`"), "{}", help(&d));
    // The condition is a `bool`, as in `when`.
    assert_eq!(
        value("s: string", "int", "if s then 1 else 2"),
        ["non_bool_condition"]
    );
    let d = only(&succeed_with(
        TYPES,
        "c: bool?",
        "int",
        "if c then 1 else 2",
    ));
    assert!(help(&d).contains("?? false"), "{}", help(&d));
    // One mistake, one message.
    assert_eq!(
        value("c: bool", "int", "if c then nope else 2"),
        ["unknown_name"]
    );
}

/// `json` in a list, after `??` or beside `==` makes the common type
/// `json`, whichever side it is on.
#[test]
fn json_makes_common_types_json_in_either_order() {
    for v in [
        r#"len([j, 1, "a"])"#,
        r#"len([1, j, "a"])"#,
        r#"len([[j], [1], ["a"]])"#,
        r#"len([[1], [j], ["a"]])"#,
    ] {
        clean("j: json", "int", v);
    }
    for v in [
        "(j ?? 1).field",
        "(1 ?? j).field",
        "([j, 1][0] ?? 0).field",
        "([1, j][0] ?? 0).field",
    ] {
        clean("j: json", "json", v);
    }
    for v in [
        r#"[j, 1] == ["a"]"#,
        r#"[1, j] == ["a"]"#,
        r#"contains([j, 1], "a")"#,
        r#"contains([1, j], "a")"#,
    ] {
        clean("j: json", "bool", v);
    }
}

#[test]
fn literal_unions_against_non_members() {
    let source = succeed_with(TYPES, "r: Review", "bool", r#""aprove" == r.verdict"#);
    let d = only(&source);
    let CheckError::NotAMember {
        literal,
        union,
        always,
        suggestion,
        ..
    } = &d
    else {
        panic!("unexpected {d:?}");
    };
    assert_eq!(literal, "`\"aprove\"`");
    assert_eq!(union, "`\"approve\" | \"revise\"`");
    assert_eq!(*always, "false");
    assert_eq!(
        suggestion.as_ref().map(|s| s.replacement.as_str()),
        Some("\"approve\"")
    );
    assert_eq!(
        value("r: Review", "bool", r#"r.verdict != "maybe""#),
        ["not_a_member"]
    );
    // A plain string may be compared with anything.
    clean("s: string", "bool", r#"s == "maybe""#);
}

#[test]
fn interpolating_a_value_that_may_be_null() {
    assert_eq!(
        value("s: string?", "string", r#""got ${s}""#),
        ["nullable_value"]
    );
    clean("s: string?", "string", r#""got ${s ?? "nothing"}""#);
}

#[test]
fn builtin_functions() {
    clean(
        "s: string, xs: [string], r: Review",
        "int",
        "len(s) + len(xs) + len(r)",
    );
    clean("s: string", "string", "trim(lower(upper(s)))");
    clean(
        "s: string, xs: [string]",
        "bool",
        r#"contains(s, "a") && contains(xs, s)"#,
    );
    clean("r: Review", "bool", r#"contains(["approve"], r.verdict)"#);
    clean("xs: [string]", "string", r#"join(xs, ", ")"#);
    clean("s: string", "[string]", r#"split(s, ",")"#);
    clean("r: Review", "[string]", "keys(r)");
    clean("r: Review", "string", "to_json(r) + string(r.score)");
    clean("s: string", "json", "parse_json(s).a");
    clean("s: string", "number?", "number(s)");
    clean("n: int", "number", "number(n)");
    assert_eq!(value("n: int", "int", "len(n)"), ["type_mismatch"]);
    assert_eq!(
        value("s: string", "int", "len(s, s)"),
        ["wrong_argument_count"]
    );
    assert_eq!(
        value("xs: [int]", "bool", r#"contains(xs, "a")"#),
        ["type_mismatch"]
    );
    assert_eq!(
        value("xs: [int]", "string", r#"join(xs, ",")"#),
        ["type_mismatch"]
    );
    assert_eq!(
        value("s: string", "number", "number(s)"),
        ["output_mismatch"]
    );
    assert_eq!(
        value("s: string", "string", "lenght(s)"),
        ["unknown_function"]
    );
    let d = only(&succeed_with(TYPES, "s: string", "string", "uper(s)"));
    assert_eq!(help(&d), "did you mean `upper`?");
    assert_eq!(
        value("s: string", "string", r#"env("HOME")"#),
        ["env_outside_executor"]
    );
    assert_eq!(
        value("xs: [string]", "string", r#"join(xs, sep: ",")"#),
        ["named_argument"]
    );
    assert_eq!(value("s: string?", "string", "upper(s)"), ["type_mismatch"]);
    assert_eq!(value("s: string?", "int", "len(s)"), ["nullable_value"]);
}

#[test]
fn transformer_calls() {
    let items = format!(
        "{TYPES}\ntransformer greet(name: string, times: int) -> string = \"hi ${{name}} x${{times}}\"\nworker W(x: string) -> string {{ exec {{ command: [\"./w\"] }} }}\n"
    );
    let v = |params: &str, output: &str, value: &str| {
        super::codes(&succeed_with(&items, params, output, value))
    };
    assert_eq!(
        v("s: string", "string", "greet(s, 2)"),
        Vec::<String>::new()
    );
    assert_eq!(
        v("s: string", "string", "greet(times: 2, name: s)"),
        Vec::<String>::new()
    );
    assert_eq!(
        v("s: string", "string", "greet(s)"),
        ["wrong_argument_count"]
    );
    assert_eq!(
        v("s: string", "string", "greet(2, s)"),
        ["type_mismatch", "type_mismatch"]
    );
    assert_eq!(
        v("s: string", "string", "greet(name: s)"),
        ["missing_argument"]
    );
    assert_eq!(
        v("s: string", "string", "greet(s, times: 2)"),
        ["unnamed_argument"]
    );
    assert_eq!(
        v("s: string", "string", "greet(name: s, tims: 2)"),
        ["unknown_argument"]
    );
    assert_eq!(v("s: string", "string", "W(x: s)"), ["unknown_function"]);
    let d = only(&succeed_with(&items, "s: string", "string", "W(x: s)"));
    assert_eq!(
        help(&d),
        "`W` is a worker: workers are called by `step`, `branch` and `map` states, not inside expressions"
    );
}

#[test]
fn a_transformer_shadows_a_builtin_of_its_name() {
    let items = "transformer len(x: string) -> string = x\n";
    assert_codes(&succeed_with(items, "s: string", "string", "len(s)"), &[]);
}

#[test]
fn errors_do_not_cascade() {
    // An unknown name is reported once, not again by each use.
    assert_eq!(
        value("", "string", "upper(nope.a.b) + lower(nope) + nope[0]"),
        ["unknown_name", "unknown_name", "unknown_name"]
    );
    assert_eq!(value("r: Unknown", "string", "r.a + r.b"), ["unknown_type"]);
}
