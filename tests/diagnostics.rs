//! Data-driven tests of what `flow check` reports.
//!
//! Every `tests/fixtures/diagnostics/<stage>/<name>.flow` is a file that must
//! produce the diagnostic `flow::<stage>::<name>`: the fixture's name is the
//! code it demonstrates. For each one, the human rendering (no colour, 100
//! columns) and the JSON are snapshotted in
//! `tests/snapshots/diagnostics__<stage>__<name>.snap`. Every code that has
//! an explanation must have a fixture, and the examples in the explanations
//! must do what they say: the erroneous one reports its code, the fixes
//! check clean.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use flow::diagnostics::explain::{EXPLANATIONS, Explanation, WITHOUT_EXAMPLE};
use flow::diagnostics::human::{HumanRenderer, Style};
use flow::diagnostics::json::JsonReport;
use flow::diagnostics::{FileReport, analyze};

/// Codes that no fixture can demonstrate: a file of 4 GiB.
const NO_FIXTURE: &[&str] = &["flow::syntax::file_too_large"];

struct Fixture {
    stage: String,
    name: String,
    /// The path relative to the package root, with `/`, as shown in output.
    display: String,
    path: PathBuf,
}

impl Fixture {
    fn code(&self) -> String {
        format!("flow::{}::{}", self.stage, self.name)
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every fixture, sorted by stage and name so that failures are reported in
/// a stable order.
fn fixtures() -> Vec<Fixture> {
    let base = root().join("tests/fixtures/diagnostics");
    let mut found = Vec::new();
    let Ok(stages) = std::fs::read_dir(&base) else {
        return found;
    };
    for stage in stages.flatten() {
        let stage_name = stage.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(stage.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "flow") {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                found.push(Fixture {
                    display: format!("tests/fixtures/diagnostics/{stage_name}/{name}.flow"),
                    stage: stage_name.clone(),
                    name,
                    path,
                });
            }
        }
    }
    found.sort_by(|a, b| (&a.stage, &a.name).cmp(&(&b.stage, &b.name)));
    found
}

/// What the user sees for one fixture: the human rendering and the JSON.
fn render(report: &FileReport) -> String {
    let human = HumanRenderer::new(Style {
        color: false,
        width: 100,
    })
    .render_file(report, false);
    // Straight from the structs, so that the keys keep the documented order.
    let json = serde_json::to_string_pretty(&JsonReport::new([report]))
        .unwrap_or_else(|e| format!("<JSON failed: {e}>"));
    format!("{human}\n---- json ----\n{json}\n")
}

fn check_fixture(fixture: &Fixture) {
    let source = std::fs::read_to_string(&fixture.path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", fixture.display));
    let report = FileReport::analyze(&fixture.display, source);
    let code = fixture.code();
    let codes: Vec<String> = report.diagnostics.iter().map(|d| d.code_name()).collect();
    assert!(
        codes.contains(&code),
        "{} should report {code}, but reports {codes:?}",
        fixture.display
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_input_file(&fixture.path);
    settings.set_omit_expression(true);
    settings.set_prepend_module_to_snapshot(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            format!("{}__{}", fixture.stage, fixture.name),
            render(&report)
        );
    });
}

/// Runs `test` on every item and reports all failures at the end, so that
/// one broken fixture does not hide the others.
fn each<T>(items: &[T], label: impl Fn(&T) -> String, test: impl Fn(&T)) {
    let failures: Vec<String> = items
        .iter()
        .filter(|item| catch_unwind(AssertUnwindSafe(|| test(item))).is_err())
        .map(label)
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} failed (see the messages above): {failures:#?}",
        failures.len(),
        items.len()
    );
}

#[test]
fn every_fixture_reports_its_code_and_matches_its_snapshot() {
    let fixtures = fixtures();
    assert!(
        !fixtures.is_empty(),
        "no fixtures under tests/fixtures/diagnostics"
    );
    each(&fixtures, |f| f.display.clone(), check_fixture);
}

#[test]
fn every_fixture_is_named_after_a_known_code() {
    let unknown: Vec<String> = fixtures()
        .iter()
        .filter(|f| !EXPLANATIONS.iter().any(|e| e.code == f.code()))
        .map(|f| f.display.clone())
        .collect();
    assert!(
        unknown.is_empty(),
        "fixtures whose name is not a diagnostic code: {unknown:#?}"
    );
}

#[test]
fn every_code_has_a_fixture() {
    let fixtures = fixtures();
    let missing: Vec<&str> = EXPLANATIONS
        .iter()
        .map(|e| e.code)
        .filter(|code| !NO_FIXTURE.contains(code))
        .filter(|code| !fixtures.iter().any(|f| f.code() == *code))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a fixture in tests/fixtures/diagnostics: {missing:#?}"
    );
}

/// The ```flow blocks of an explanation, in order.
fn flow_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```flow") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The first example of an explanation breaks the rule it explains; every
/// other example, the fixes, checks without any diagnostic.
fn check_explanation(explanation: &Explanation) {
    let blocks = flow_blocks(explanation.text);
    let (broken, fixes) = if WITHOUT_EXAMPLE.contains(&explanation.code) {
        (None, &blocks[..])
    } else {
        assert!(
            blocks.len() >= 2,
            "{}: no example and fix",
            explanation.code
        );
        (Some(&blocks[0]), &blocks[1..])
    };
    if let Some(broken) = broken {
        let codes: Vec<String> = analyze(broken).iter().map(|d| d.code_name()).collect();
        assert!(
            codes.iter().any(|c| c == explanation.code),
            "{}: the example reports {codes:?}",
            explanation.code
        );
    }
    for (i, fix) in fixes.iter().enumerate() {
        let found: Vec<String> = analyze(fix)
            .iter()
            .map(|d| format!("{}: {d}", d.code_name()))
            .collect();
        assert!(
            found.is_empty(),
            "{}: fixed example {} reports {found:#?}",
            explanation.code,
            i + 1
        );
    }
}

#[test]
fn explanation_examples_do_what_they_say() {
    each(EXPLANATIONS, |e| e.code.to_string(), check_explanation);
}

/// Every fix of every fixture, applied on its own, gives a file with fewer
/// syntax errors (none new), in which the diagnostic it fixes is gone: one
/// fewer of its code. The fixes are in the JSON of the snapshots.
#[test]
fn every_fix_repairs_what_it_is_for() {
    let fixtures = fixtures();
    let with_fixes = std::sync::atomic::AtomicUsize::new(0);
    each(
        &fixtures,
        |f| f.display.clone(),
        |fixture| {
            let source = std::fs::read_to_string(&fixture.path).expect("readable fixture");
            let before = analyze(&source);
            let syntax_before = flow::syntax::parse(&source).errors.len();
            for diagnostic in &before {
                let code = diagnostic.code_name();
                let count = |found: &[flow::diagnostics::Diagnostic]| {
                    found.iter().filter(|d| d.code_name() == code).count()
                };
                for fix in diagnostic.fixes() {
                    with_fixes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let fixed = fix.apply(&source);
                    let syntax_after = flow::syntax::parse(&fixed).errors.len();
                    let is_syntax = code.starts_with("flow::syntax::");
                    assert!(
                        syntax_after + usize::from(is_syntax) <= syntax_before,
                        "{}: the fix `{}` of {code} leaves {syntax_after} syntax errors \
                         (there were {syntax_before}):\n{fixed}",
                        fixture.display,
                        fix.message
                    );
                    let after = analyze(&fixed);
                    // A syntax error hides the checker's diagnostics, so a
                    // check fix is judged in a file that parses.
                    assert!(
                        count(&after) < count(&before),
                        "{}: the fix `{}` of {code} does not remove it:\n{fixed}\n{:#?}",
                        fixture.display,
                        fix.message,
                        after.iter().map(|d| d.to_string()).collect::<Vec<_>>()
                    );
                }
            }
        },
    );
    assert!(with_fixes.into_inner() > 20, "too few fixes are tested");
}

/// Every `tests/fixtures/recovery/<name>.flow` has syntax errors in some
/// states of a workflow. Its snapshot `diagnostics__recovery__<name>.snap`
/// holds what `flow check` reports and the outline of the tree the parser
/// recovered: the states around the broken ones are kept.
#[test]
fn a_broken_state_keeps_the_states_around_it() {
    let base = root().join("tests/fixtures/recovery");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&base)
        .expect("tests/fixtures/recovery exists")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "flow"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 4, "found only {paths:?}");
    each(
        &paths,
        |path| path.display().to_string(),
        |path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let display = format!("tests/fixtures/recovery/{name}.flow");
            let source = std::fs::read_to_string(path).expect("readable fixture");
            let parsed = flow::syntax::parse(&source);
            assert!(!parsed.errors.is_empty(), "{display} has no syntax error");
            let mut outline = String::new();
            for item in &parsed.file.items {
                if let flow::syntax::ast::Item::Workflow(w) = item {
                    let states: Vec<&str> = w.states.iter().map(|s| s.name.name.as_str()).collect();
                    outline.push_str(&format!(
                        "workflow {}: {}\n",
                        w.name.name,
                        states.join(", ")
                    ));
                }
            }
            let report = FileReport::analyze(&display, source);
            let mut settings = insta::Settings::clone_current();
            settings.set_input_file(path);
            settings.set_omit_expression(true);
            settings.set_prepend_module_to_snapshot(true);
            settings.bind(|| {
                insta::assert_snapshot!(
                    format!("recovery__{name}"),
                    format!(
                        "---- recovered ----\n{outline}\n---- check ----\n{}",
                        render(&report)
                    )
                );
            });
        },
    );
}

/// The workflow shown in the README checks clean, as the README says.
#[test]
fn readme_example_checks_clean() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md exists");
    let blocks = flow_blocks(&readme);
    assert!(!blocks.is_empty(), "the README shows no workflow");
    for block in blocks {
        let found: Vec<String> = analyze(&block).iter().map(|d| d.to_string()).collect();
        assert!(found.is_empty(), "{found:#?}\n{block}");
    }
}
