//! Type definitions and type expressions.

use super::{assert_codes, help, labels, only};
use crate::check::CheckError;

const WORKFLOW: &str = "workflow main() -> string { succeed done = \"ok\" }\n";

#[test]
fn unknown_types_suggest_definitions_and_builtins() {
    let source =
        format!("type Spec {{ title: strng }}\ntype Page {{ spec: Spce, n: integer }}\n{WORKFLOW}");
    let found = super::diagnostics(&source);
    let helps: Vec<String> = found.iter().map(help).collect();
    assert_eq!(
        helps,
        [
            "did you mean `string`?",
            "did you mean `Spec`?",
            "define it with `type integer { ... }`, or use a built-in type: string, number, int, bool, json"
        ]
    );
}

#[test]
fn a_name_of_another_kind_is_not_a_type() {
    let source = format!(
        "worker W(x: string) -> string {{ exec {{ command: [\"./w\"] }} }}\ntype T {{ w: W }}\n{WORKFLOW}"
    );
    assert_eq!(help(&only(&source)), "`W` is a worker, not a type");
}

#[test]
fn recursion_through_records_and_lists_is_allowed() {
    let source = format!(
        "type Tree {{ label: string, children: [Tree] }}\ntype Nested = [Nested]\ntype Node {{ next: Node? }}\ntype A {{ b: B }}\ntype B {{ a: A? }}\n{WORKFLOW}"
    );
    assert_codes(&source, &[]);
}

#[test]
fn aliases_through_themselves_are_cycles_reported_once() {
    let source = format!("type A = B\ntype B = C?\ntype C = A\ntype D = D\n{WORKFLOW}");
    let found = super::diagnostics(&source);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(matches!(&found[0], CheckError::CyclicType { name, .. } if name == "A"));
    assert_eq!(
        labels(&found[0]),
        [
            "`A` is defined in terms of itself",
            "through `B`",
            "through `C`",
            "back to `A`"
        ]
    );
    assert!(matches!(&found[1], CheckError::CyclicType { name, .. } if name == "D"));
}

#[test]
fn a_cyclic_alias_does_not_cascade_into_its_uses() {
    let source = r#"
type A = A?
worker W(a: A) -> A { exec { command: ["./w"] } }
workflow main() -> string {
  step s = W(a: 1) { on_success -> done }
  succeed done = string(s.x)
}
"#;
    assert_codes(source, &["cyclic_type"]);
}

#[test]
fn repeated_fields_of_record_types() {
    let source = format!("type R {{ a: string, b: int, a: bool, b?: int }}\n{WORKFLOW}");
    assert_codes(&source, &["duplicate_field", "duplicate_field"]);
}

#[test]
fn recursive_types_check_structurally() {
    // Two recursive types with the same shape fit each other.
    let source = r#"
type Tree { label: string, children: [Tree] }
type Other { label: string, children: [Other] }
worker W(t: Tree) -> Other { exec { command: ["./w"] } }
workflow main(t: Other) -> Tree {
  step s = W(t: t) { on_success -> done }
  succeed done = s
}
"#;
    assert_codes(source, &[]);
}

#[test]
fn messages_show_types_as_written() {
    let source = r#"
type Review { verdict: "approve" | "revise", comments: [string] }
transformer tidy(r: Review) -> string = { verdict: r.verdict, comments: r.comments }
workflow main() -> string { succeed done = "ok" }
"#;
    let CheckError::TypeMismatch {
        expected, found, ..
    } = only(source)
    else {
        panic!("expected a type mismatch");
    };
    assert_eq!(expected, "`string`");
    assert_eq!(
        found,
        r#"`{ verdict: "approve" | "revise", comments: [string] }`"#
    );
}
