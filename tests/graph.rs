//! `flow graph`: the DOT and Mermaid of every example and graph fixture,
//! snapshotted; the DOT rendered by Graphviz without a warning; the
//! Mermaid checked for structure (Mermaid itself needs a browser to
//! render); and the command's exit status, stdout and stderr.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use flow::graph::{self, Format, Graph};

const FIXTURES: &str = "tests/fixtures/graph";

/// The `.flow` files of a directory (relative to the package), sorted.
fn flow_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "flow"))
        .collect();
    paths.sort();
    paths
}

/// Every example, and every graph fixture that checks without errors, with
/// the name its snapshots take.
fn drawable() -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for (prefix, dir) in [("example", "examples"), ("fixture", FIXTURES)] {
        for path in flow_files(dir) {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            let stem = stem.unwrap_or_default();
            // Fixtures that do not check, or have nothing to draw, are
            // for the command's errors.
            if graph_of(&path).is_none_or(|g| g.workflows.is_empty()) {
                continue;
            }
            files.push((format!("{prefix}_{stem}"), path));
        }
    }
    assert!(
        files.len() >= 9,
        "expected the examples and the fixtures, found {files:?}"
    );
    files
}

/// The graph of a file, or `None` when it does not check.
fn graph_of(path: &Path) -> Option<Graph> {
    let source = std::fs::read_to_string(path).expect("a .flow file is readable");
    let parsed = flow::syntax::parse(&source);
    if !parsed.errors.is_empty() {
        return None;
    }
    let (program, _) = flow::check::check_program(&parsed.file);
    let program = program?;
    let graph = Graph::build(&source, &parsed.file, &program);
    Some(graph.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn render(path: &Path, format: Format) -> String {
    let graph = graph_of(path).unwrap_or_else(|| panic!("{} checks", path.display()));
    graph::render(&graph, format)
}

#[test]
fn dot_of_every_example_and_fixture() {
    for (name, path) in drawable() {
        insta::assert_snapshot!(format!("{name}_dot"), render(&path, Format::Dot));
    }
}

#[test]
fn mermaid_of_every_example_and_fixture() {
    for (name, path) in drawable() {
        insta::assert_snapshot!(format!("{name}_mermaid"), render(&path, Format::Mermaid));
    }
}

#[test]
fn graphviz_renders_every_dot_without_warnings() {
    for (_, path) in drawable() {
        let dot = render(&path, Format::Dot);
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("Graphviz `dot` is installed (apt-get install graphviz)");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(dot.as_bytes())
            .expect("dot reads its input");
        let output = child.wait_with_output().expect("dot finishes");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.is_empty(),
            "dot failed on the graph of {} ({}):\n{stderr}",
            path.display(),
            output.status
        );
        let svg = String::from_utf8_lossy(&output.stdout);
        assert!(svg.contains("<svg"), "no SVG for {}", path.display());
    }
}

#[test]
fn every_mermaid_is_well_formed() {
    for (_, path) in drawable() {
        let mermaid = render(&path, Format::Mermaid);
        if let Err(problem) = check_mermaid(&mermaid) {
            panic!(
                "the Mermaid of {} is malformed: {problem}\n{mermaid}",
                path.display()
            );
        }
    }
}

/// Mermaid words that would end a statement or a subgraph if used as an id.
const MERMAID_KEYWORDS: &[&str] = &[
    "end",
    "subgraph",
    "graph",
    "flowchart",
    "style",
    "class",
    "classDef",
    "click",
    "linkStyle",
    "direction",
    "default",
];

/// The checks a Mermaid parser would make of what `flow graph` writes: the
/// header, subgraphs opened and closed in balance, node declarations whose
/// one quoted label holds no quote, edges between declared ids with a
/// quoted label free of `"` and `|`, classes of declared ids, and
/// `linkStyle` naming exactly the dotted (failure) edges.
fn check_mermaid(text: &str) -> Result<(), String> {
    let mut lines = text.lines().peekable();
    if lines.peek() == Some(&"---") {
        lines.next();
        if !lines.next().is_some_and(|l| l.starts_with("title: ")) || lines.next() != Some("---") {
            return Err("the front matter is not `---`, `title: ...`, `---`".into());
        }
    }
    if lines.next() != Some("flowchart TD") {
        return Err("the chart does not start with `flowchart TD`".into());
    }
    let mut declared: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut edges = 0usize;
    let mut dotted = Vec::new();
    let mut styled = None;
    let id_of = |word: &str| -> Result<String, String> {
        let ok = !word.is_empty()
            && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !MERMAID_KEYWORDS.contains(&word);
        ok.then(|| word.to_string())
            .ok_or_else(|| format!("`{word}` is not a safe id"))
    };
    for line in lines {
        let line = line.trim();
        let words: Vec<&str> = line.split(' ').collect();
        if line == "end" {
            depth = depth.checked_sub(1).ok_or("`end` without `subgraph`")?;
        } else if let Some(rest) = line.strip_prefix("subgraph ") {
            let (id, title) = rest.split_once(' ').ok_or("a subgraph without a title")?;
            quoted_label(title, "[", "]")?;
            declared.push(id_of(id)?);
            depth += 1;
        } else if line.starts_with("classDef ") {
            continue;
        } else if let Some(rest) = line.strip_prefix("class ") {
            let id = rest.split(' ').next().unwrap_or_default();
            if !declared.iter().any(|d| d == id) {
                return Err(format!("class of undeclared `{id}`"));
            }
        } else if let Some(rest) = line.strip_prefix("linkStyle ") {
            let numbers = rest.split(' ').next().unwrap_or_default();
            styled = Some(numbers.split(',').map(str::to_string).collect::<Vec<_>>());
        } else if words.len() >= 3 && (words[1].starts_with("-->") || words[1].starts_with("-.->"))
        {
            for end in [words[0], words[words.len() - 1]] {
                if !declared.iter().any(|d| d == end) {
                    return Err(format!("edge `{line}` names the undeclared `{end}`"));
                }
            }
            let after = &line[words[0].len() + 1..];
            let label = after
                .strip_prefix("-.->")
                .or_else(|| after.strip_prefix("-->"))
                .and_then(|rest| rest.strip_suffix(words[words.len() - 1]))
                .ok_or(format!("a malformed edge `{line}`"))?;
            if !label.trim().is_empty() {
                quoted_label(label.trim(), "|", "|")?;
            }
            if words[1].starts_with("-.->") {
                dotted.push(edges.to_string());
            }
            edges += 1;
        } else {
            let end = line
                .find(['(', '[', '{'])
                .ok_or(format!("unknown line `{line}`"))?;
            let (id, rest) = line.split_at(end);
            let rest = rest.split(":::").next().unwrap_or_default();
            let open = &rest[..rest
                .find('"')
                .ok_or(format!("an unquoted label: `{line}`"))?];
            let close: String = open
                .chars()
                .rev()
                .map(|c| match c {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                })
                .collect();
            quoted_label(rest, open, &close)?;
            declared.push(id_of(id)?);
        }
    }
    if depth != 0 {
        return Err(format!("{depth} subgraph(s) left open"));
    }
    let mut unique = declared.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != declared.len() {
        return Err("an id is declared twice".into());
    }
    if styled.unwrap_or_default() != dotted {
        return Err("`linkStyle` does not name exactly the dotted edges".into());
    }
    Ok(())
}

/// `text` is `open"label"close`, where the label has no `"` (Mermaid's
/// quoted strings have no escape for it) and, between pipes, no `|`.
fn quoted_label(text: &str, open: &str, close: &str) -> Result<(), String> {
    let label = text
        .strip_prefix(open)
        .and_then(|t| t.strip_suffix(close))
        .and_then(|t| t.strip_prefix('"'))
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(|| format!("`{text}` is not a label quoted in {open}\"...\"{close}"))?;
    if label.contains('"') || (open == "|" && label.contains('|')) {
        return Err(format!("the label `{label}` is not escaped"));
    }
    Ok(())
}

#[test]
fn the_mermaid_check_catches_broken_charts() {
    let good = "flowchart TD\n  w0_a(\"a\"):::step\n  w0_b{{\"b\"}}:::fail\n  w0_a -.->|\"x\"| w0_b\n  linkStyle 0 stroke:red\n";
    assert_eq!(check_mermaid(good), Ok(()));
    for (broken, what) in [
        ("  w0_a -.-> w0_c\n", "undeclared"),
        ("  w0_a -.->|\"a \"b\"| w0_b\n", "not escaped"),
        ("  end\n", "without"),
        ("  subgraph w0_s [\"s\"]\n", "left open"),
        ("  end(\"x\")\n", "safe id"),
        ("  w0_b -.-> w0_a\n", "linkStyle"),
    ] {
        let chart = good.replace("  linkStyle", &format!("{broken}  linkStyle"));
        let result = check_mermaid(&chart);
        assert!(
            result.as_ref().is_err_and(|e| e.contains(what)),
            "{broken:?} gave {result:?}"
        );
    }
}

#[test]
fn the_rendered_example_in_docs_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(root.join("docs/graph-build_website.dot"))
        .expect("docs/graph-build_website.dot exists");
    let current = render(&root.join("examples/build_website.flow"), Format::Dot);
    assert_eq!(
        committed, current,
        "regenerate docs/graph-build_website.dot and .svg as the README says"
    );
}

// -------------------------------------------------------------------- CLI

/// Runs `flow graph args...` and returns the snapshot text.
fn run(args: &[&str]) -> String {
    common::cli::transcript(&flow_graph(args))
}

fn flow_graph(args: &[&str]) -> std::process::Output {
    let mut command = common::cli::flow(Path::new(env!("CARGO_MANIFEST_DIR")));
    command.arg("graph").args(args);
    common::cli::output(command, None)
}

macro_rules! cli_snapshot {
    ($name:ident, $args:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), run(&$args));
        }
    };
}

cli_snapshot!(cli_several_workflows, ["tests/fixtures/graph/several.flow"]);
cli_snapshot!(
    cli_one_workflow_mermaid,
    [
        "tests/fixtures/graph/several.flow",
        "--workflow",
        "echo_twice",
        "--format",
        "mermaid"
    ]
);
cli_snapshot!(
    cli_unknown_workflow,
    ["tests/fixtures/graph/several.flow", "--workflow", "gret"]
);
cli_snapshot!(cli_errors, ["tests/fixtures/graph/errors.flow"]);
cli_snapshot!(cli_warnings, ["tests/fixtures/graph/warnings.flow"]);
cli_snapshot!(cli_no_workflow, ["tests/fixtures/graph/no_workflow.flow"]);
cli_snapshot!(cli_missing_file, ["tests/fixtures/graph/missing.flow"]);
cli_snapshot!(
    cli_bad_format,
    ["tests/fixtures/graph/several.flow", "--format", "png"]
);

#[test]
fn diagnostics_are_printed_as_flow_check_prints_them() {
    for file in ["errors.flow", "warnings.flow"] {
        let path = format!("{FIXTURES}/{file}");
        let graph = flow_graph(&[&path]);
        let check = Command::new(env!("CARGO_BIN_EXE_flow"))
            .args(["check", &path])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env("FLOW_TERM_WIDTH", "100")
            .output()
            .expect("the flow binary runs");
        assert_eq!(
            String::from_utf8_lossy(&graph.stderr),
            String::from_utf8_lossy(&check.stderr),
            "{file}"
        );
    }
}
