//! Every example in `examples/` checks clean: no error and no warning.

use std::path::Path;

#[test]
fn every_example_checks_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/ is readable")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "flow"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 6,
        "expected at least six examples, found {paths:?}"
    );
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("an example is readable");
        let diagnostics = flow::diagnostics::analyze(&source);
        let codes: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}: {d}",
                    miette::Diagnostic::code(d)
                        .map(|c| c.to_string())
                        .unwrap_or_default()
                )
            })
            .collect();
        assert!(
            codes.is_empty(),
            "{} does not check clean: {codes:#?}",
            path.display()
        );
    }
}
