//! The complete example of section 1 of the design checks cleanly.

use super::{DESIGN_EXAMPLE, diagnostics};

#[test]
fn the_design_example_checks_cleanly() {
    let found = diagnostics(DESIGN_EXAMPLE);
    assert!(found.is_empty(), "unexpected diagnostics: {found:#?}");
}

#[test]
fn the_example_parses_into_items() {
    let parsed = crate::syntax::parse(DESIGN_EXAMPLE);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.file.items.len(), 7);
}
