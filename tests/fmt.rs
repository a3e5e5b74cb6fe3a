//! `flow fmt`: the canonical layout of messy fixtures (snapshots), the two
//! promises of the formatter over every example and fixture that parses
//! (formatting twice changes nothing; the tree of the output is the tree of
//! the input, comments included), and the command as a user sees it.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

// ------------------------------------------------------------- promises

/// A file's tree with every span left out (spans are byte offsets, which
/// formatting moves), and its comments' texts in order: the file's meaning
/// and everything the formatter must keep.
fn shape(source: &str) -> (String, Vec<String>) {
    let parsed = flow::syntax::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "the text does not parse: {:?}\n{source}",
        parsed.errors
    );
    let tree = format!("{:#?}", parsed.file.items)
        .lines()
        .filter(|line| !is_span_line(line))
        .collect::<Vec<_>>()
        .join("\n");
    let comments = parsed
        .file
        .comments
        .iter()
        .map(|c| {
            // The formatter removes trailing spaces from comment lines, and
            // writes every line break `\n`.
            c.span
                .text(source)
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .split('\n')
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    (tree, comments)
}

/// A field of type `Span` in the pretty debug output, such as
/// `span: 10..24,`: the only lines that hold byte offsets.
fn is_span_line(line: &str) -> bool {
    let line = line.trim();
    ["span: ", "keyword: ", "op_span: "].iter().any(|field| {
        line.strip_prefix(field)
            .and_then(|rest| rest.strip_suffix(','))
            .and_then(|range| range.split_once(".."))
            .is_some_and(|(a, b)| {
                a.bytes().all(|b| b.is_ascii_digit()) && b.bytes().all(|b| b.is_ascii_digit())
            })
    })
}

fn diff(a: &str, b: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .to_string()
}

/// Formats `source`, asserts both promises, and returns the output.
fn format_checked(name: &str, source: &str) -> String {
    let formatted = match flow::fmt::format(source) {
        Ok(text) => text,
        Err(errors) => panic!("{name}: not formatted: {errors:?}"),
    };
    let again = match flow::fmt::format(&formatted) {
        Ok(text) => text,
        Err(errors) => panic!("{name}: the output does not parse: {errors:?}\n{formatted}"),
    };
    assert!(
        again == formatted,
        "{name}: formatting the output again changes it:\n{}",
        diff(&formatted, &again)
    );
    let (tree, comments) = shape(source);
    let (new_tree, new_comments) = shape(&formatted);
    assert!(
        tree == new_tree,
        "{name}: the tree changed:\n{}",
        diff(&tree, &new_tree)
    );
    assert_eq!(comments, new_comments, "{name}: the comments changed");
    formatted
}

/// Every `.flow` file under `dir`, recursively, in a stable order.
fn flow_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "flow") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_example_and_fixture_that_parses_keeps_its_meaning_and_formats_once() {
    let root = Path::new(ROOT);
    let mut files = flow_files(&root.join("examples"));
    files.extend(flow_files(&root.join("tests/fixtures")));
    let mut formatted = 0;
    for path in &files {
        // Fixtures that are not UTF-8 or do not parse test other things.
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        if !flow::syntax::parse(&source).errors.is_empty() {
            continue;
        }
        format_checked(&path.display().to_string(), &source);
        formatted += 1;
    }
    assert!(
        formatted >= 30,
        "only {formatted} files were formatted: are the examples and fixtures where they should be?"
    );
}

/// The examples are what users copy: they are kept in the canonical layout.
#[test]
fn the_examples_are_formatted() {
    for path in flow_files(&Path::new(ROOT).join("examples")) {
        let source = read(&path);
        let formatted = format_checked(&path.display().to_string(), &source);
        assert!(
            formatted == source,
            "{} is not in the canonical layout; run `flow fmt` on it:\n{}",
            path.display(),
            diff(&source, &formatted)
        );
    }
}

/// Windows (`\r\n`) and old Mac (`\r`) line endings, and a byte-order
/// mark: the text means the same as with `\n` (a triple-quoted string holds
/// `\n` whatever ended its lines), so it formats to exactly what the `\n`
/// text formats to.
#[test]
fn files_with_other_line_endings_or_a_byte_order_mark_format_as_with_newlines() {
    for (name, source) in corpus() {
        let lf = format_checked(name, source);
        for (kind, text) in [
            ("CRLF", source.replace('\n', "\r\n")),
            ("CR", source.replace('\n', "\r")),
            ("a byte-order mark", format!("\u{FEFF}{source}")),
        ] {
            let formatted = format_checked(&format!("{name} with {kind}"), &text);
            assert!(
                formatted == lf,
                "{name} with {kind}:\n{}",
                diff(&lf, &formatted)
            );
        }
    }
}

/// Each messy fixture in `tests/fixtures/fmt/` and its canonical layout.
#[test]
fn fixtures_format_to_their_snapshots() {
    let files = flow_files(&Path::new(ROOT).join("tests/fixtures/fmt"));
    assert!(files.len() >= 8, "the formatter's fixtures are missing");
    for path in files {
        let source = read(&path);
        let shown = path
            .strip_prefix(ROOT)
            .unwrap_or(&path)
            .display()
            .to_string();
        let formatted = format_checked(&shown, &source);
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        insta::with_settings!({ description => format!("flow fmt {shown}"), omit_expression => true }, {
            insta::assert_snapshot!(name.unwrap_or_default(), formatted);
        });
    }
}

#[test]
fn an_empty_file_stays_empty() {
    assert_eq!(format_checked("empty", ""), "");
    assert_eq!(format_checked("blank", "\n\n  \n"), "");
    assert_eq!(
        format_checked("comment", "// only this\n\n"),
        "// only this\n"
    );
}

#[test]
fn a_file_that_does_not_parse_is_refused() {
    let errors = flow::fmt::format("workflow w() -> string {\n  succeed done = \"open\n}\n");
    assert!(matches!(errors, Err(errors) if !errors.is_empty()));
}

// ------------------------------------------------------------ properties

/// The examples and the formatter's fixtures, read once.
fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(ROOT);
        let mut files = flow_files(&root.join("examples"));
        files.extend(flow_files(&root.join("tests/fixtures/fmt")));
        files
            .into_iter()
            .map(|path| (path.display().to_string(), read(&path)))
            .collect()
    })
}

/// Text that means nothing to the parser wherever it stands between two
/// tokens: the formatter must put it somewhere sensible and keep it.
const TRIVIA: [&str; 8] = [
    " ",
    "\n",
    "\n\n\n",
    "/* c */",
    "// c\n",
    "/* two\n   lines */",
    "\n// own line\n",
    ",",
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: support::cases(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Comments, line breaks, blank lines and commas inserted anywhere in
    /// a real file, and spaces removed: when the result still parses, formatting it keeps its
    /// meaning and its comments, and formatting twice changes nothing.
    #[test]
    fn formatting_keeps_meaning_and_settles_after_trivia_is_inserted(
        file in 0..64usize,
        edits in prop::collection::vec((any::<u16>(), 0..=TRIVIA.len()), 1..16),
    ) {
        let (name, source) = &corpus()[file % corpus().len()];
        let mut text = source.clone();
        for (at, trivia) in edits {
            let mut at = usize::from(at) * text.len() / (usize::from(u16::MAX) + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match TRIVIA.get(trivia) {
                Some(trivia) => text.insert_str(at, trivia),
                // Or the next space or line break goes: tokens get closer.
                None => {
                    if let Some(gap) = text[at..].find([' ', '\n']) {
                        text.remove(at + gap);
                    }
                }
            }
        }
        if flow::syntax::parse(&text).errors.is_empty() {
            format_checked(&format!("{name}, with trivia inserted:\n{text}"), &text);
        }
    }
}

// ------------------------------------------------------------------ cli

/// A scratch directory of its own for one test, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fmt")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Runs `flow` in `dir` with `args` and `stdin`; returns the snapshot text.
fn flow(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut command = common::cli::flow(dir);
    command.args(args);
    common::cli::transcript(&common::cli::output(command, stdin))
}

const MESSY: &str = "workflow hello(name: string) -> string {\n    step greet = Echo(greeting: \"Hello, ${name}!\",) { on_success -> done }\n    succeed done = greet.greeting\n}\nworker Echo(greeting: string) -> { greeting: string } { builtin { name: \"echo\" } }\n";

fn formatted() -> String {
    format_checked("MESSY", MESSY)
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[test]
fn cli_stdin_to_stdout() {
    let dir = scratch("stdin");
    insta::assert_snapshot!("cli_stdin", flow(&dir, &["fmt"], Some(MESSY)));
}

#[test]
fn cli_check_prints_a_diff_and_changes_nothing() {
    let dir = scratch("check_diff");
    write(&dir, "messy.flow", MESSY);
    insta::assert_snapshot!(
        "cli_check_diff",
        flow(&dir, &["fmt", "--check", "messy.flow"], None)
    );
    assert_eq!(read(&dir.join("messy.flow")), MESSY);
}

#[test]
fn cli_check_on_stdin_diffs_against_stdin() {
    let dir = scratch("check_stdin");
    insta::assert_snapshot!(
        "cli_check_stdin",
        flow(&dir, &["fmt", "--check"], Some(MESSY))
    );
}

#[test]
fn cli_check_on_formatted_files_is_silent() {
    let dir = scratch("check_clean");
    write(&dir, "clean.flow", &formatted());
    insta::assert_snapshot!(
        "cli_check_clean",
        flow(&dir, &["fmt", "--check", "clean.flow"], None)
    );
}

/// A directory stands for the `.flow` files under it, but not those in
/// hidden directories, `target` or `node_modules`.
#[test]
fn cli_formats_the_flow_files_of_a_directory() {
    let dir = scratch("directory");
    for sub in [
        "tree/deeper",
        "tree/.hidden",
        "tree/target",
        "tree/node_modules",
    ] {
        std::fs::create_dir_all(dir.join(sub)).unwrap_or_else(|e| panic!("{sub}: {e}"));
    }
    for file in [
        "tree/a.flow",
        "tree/deeper/b.flow",
        "tree/.hidden/c.flow",
        "tree/target/d.flow",
        "tree/node_modules/e.flow",
    ] {
        write(&dir, file, MESSY);
    }
    write(&dir, "tree/notes.txt", "not flow");
    let output = flow(&dir, &["fmt", "tree"], None);
    assert!(output.starts_with("status: 0\n"), "{output}");
    assert_eq!(read(&dir.join("tree/a.flow")), formatted());
    assert_eq!(read(&dir.join("tree/deeper/b.flow")), formatted());
    for untouched in [
        "tree/.hidden/c.flow",
        "tree/target/d.flow",
        "tree/node_modules/e.flow",
    ] {
        assert_eq!(read(&dir.join(untouched)), MESSY, "{untouched}");
    }
    assert_eq!(read(&dir.join("tree/notes.txt")), "not flow");
    // Formatted now: `--check` on the directory finds nothing to change.
    let output = flow(&dir, &["fmt", "--check", "tree"], None);
    assert_eq!(output, "status: 0\n---- stdout ----\n---- stderr ----\n");
}

#[test]
fn cli_rewrites_files_in_place() {
    let dir = scratch("in_place");
    write(&dir, "messy.flow", MESSY);
    write(&dir, "clean.flow", &formatted());
    let output = flow(&dir, &["fmt", "messy.flow", "clean.flow"], None);
    insta::assert_snapshot!("cli_in_place", output);
    assert_eq!(read(&dir.join("messy.flow")), formatted());
    assert_eq!(read(&dir.join("clean.flow")), formatted());
    // Nothing is left beside the files.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert_eq!(names, ["clean.flow", "messy.flow"]);
}

#[test]
fn cli_refuses_a_file_that_does_not_parse_and_formats_the_others() {
    let dir = scratch("syntax_error");
    let broken = "workflow broken() -> string {\n  succeed done = \"unterminated\n}\n";
    write(&dir, "broken.flow", broken);
    write(&dir, "messy.flow", MESSY);
    insta::assert_snapshot!(
        "cli_syntax_error",
        flow(&dir, &["fmt", "broken.flow", "messy.flow"], None)
    );
    assert_eq!(read(&dir.join("broken.flow")), broken);
    assert_eq!(read(&dir.join("messy.flow")), formatted());
}

/// A directory with no `.flow` file is an error, as for `flow check`: the
/// other files are still formatted, and the status is 2.
#[test]
fn cli_reports_a_directory_without_flow_files() {
    let dir = scratch("no-flow-files");
    std::fs::create_dir_all(dir.join("empty/target"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    write(&dir, "empty/notes.txt", "not a flow file\n");
    write(&dir, "empty/target/built.flow", MESSY);
    write(&dir, "messy.flow", MESSY);
    insta::assert_snapshot!(
        "cli_no_flow_files",
        flow(&dir, &["fmt", "--check", "empty", "messy.flow"], None)
    );
}

#[test]
fn cli_reports_a_missing_file() {
    let dir = scratch("missing");
    insta::assert_snapshot!(
        "cli_missing_file",
        flow(&dir, &["fmt", "--check", "missing.flow"], None)
    );
}
