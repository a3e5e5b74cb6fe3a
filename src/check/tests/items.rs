//! The item table: one namespace, imports.

use super::{assert_codes, labels};
use crate::check::CheckError;

#[test]
fn every_repeated_name_is_reported_against_the_first() {
    let source = r#"
type Review { verdict: string }
worker Review(code: string) -> string { exec { command: ["./r"] } }
transformer Review(x: string) -> string = x
workflow main() -> string { succeed done = "ok" }
"#;
    let found = super::diagnostics(source);
    assert_eq!(found.len(), 2, "{found:#?}");
    for d in &found {
        let CheckError::DuplicateDefinition {
            first_kind, first, ..
        } = d
        else {
            panic!("unexpected {d:?}");
        };
        assert_eq!(*first_kind, "type");
        assert_eq!(&source[first.range()], "Review");
    }
    assert_eq!(
        labels(&found[1])[0],
        "transformer `Review` defined again here"
    );
}

#[test]
fn imports_are_reported_as_unsupported() {
    assert_codes(
        "import \"a.flow\"\nimport \"b.flow\"\nworkflow main() -> string { succeed done = \"ok\" }\n",
        &["unsupported_import", "unsupported_import"],
    );
}

#[test]
fn a_duplicate_worker_is_still_checked() {
    let source = r#"
worker W(x: string) -> string { exec { command: ["./w"] } }
worker W(x: string) -> string { exce { command: ["./w"] } }
workflow main() -> string { succeed done = "ok" }
"#;
    assert_codes(source, &["duplicate_definition", "unknown_executor"]);
}

#[test]
fn the_first_definition_wins_for_lookups() {
    let source = r#"
type Out = string
worker Out(x: string) -> Out { exec { command: ["./w"] } }
workflow main() -> string {
  step s = Out(x: "a") { on_success -> done }
  succeed done = "ok"
}
"#;
    let d = super::diagnostics(source);
    let codes: Vec<_> = d.iter().map(|d| format!("{d}")).collect();
    assert_eq!(codes.len(), 2, "{d:#?}");
    assert!(matches!(d[0], CheckError::DuplicateDefinition { .. }));
    let CheckError::UnknownWorker { help, .. } = &d[1] else {
        panic!("unexpected {:?}", d[1]);
    };
    assert_eq!(help, "`Out` is a type, not a worker");
}
