//! `flow graph`: check a file, then print its state machines as Graphviz
//! DOT or Mermaid.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout, stderr_width};
use crate::diagnostics::human::{HumanRenderer, Style};
use crate::diagnostics::{Diagnostic, FileReport};
use crate::graph::{self, Graph};

/// Draw the state machines of a .flow file (Graphviz DOT or Mermaid)
#[derive(Debug, Args)]
#[command(
    long_about = "Draw the state machines of a .flow file as Graphviz DOT or Mermaid.\n\n\
        The file is checked first, as by `flow check`: errors stop it, warnings are printed \
        and the graph is drawn. Each state is a node shaped by its kind: a step is a rounded \
        box with its worker, a map a 3D box with `for x in list`, a parallel state lists its \
        branches and their workers, `succeed` is a green double circle, `fail` a red \
        octagon; `max_visits` and `max_concurrency` are shown in the node. A `start` point \
        marks the start state. `on_success` clauses are solid arrows, `on_failure` clauses \
        dashed red ones, labelled with their failure classes and `when` condition; an \
        unfiltered clause after filtered ones of the same outcome reads `otherwise`. A \
        failure that no clause handles fails the run; it is not drawn.\n\n\
        Without `--workflow`, every workflow of the file is drawn, each in its own cluster \
        (DOT) or subgraph (Mermaid) when there are several.\n\n\
        Exit status: 0 the graph was printed, 2 the file could not be read or did not \
        check, or the arguments are wrong.",
    after_help = "Examples:\n  \
        flow graph site.flow | dot -Tsvg -o site.svg\n  \
        flow graph site.flow --workflow build_website --format mermaid"
)]
pub struct GraphArgs {
    /// The .flow file
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The workflow to draw [default: every workflow of the file]
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,

    /// The output format
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Dot)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Graphviz DOT, for `dot -Tsvg`
    Dot,
    /// A Mermaid flowchart, for Markdown that renders Mermaid
    Mermaid,
}

pub(super) fn run(args: &GraphArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let renderer = HumanRenderer::new(Style {
        color: color.for_stderr(),
        width: stderr_width(),
    });
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };

    let name = args.file.display().to_string();
    let source = match read_text(&args.file) {
        Ok(source) => source,
        Err(message) => return usage(message),
    };
    let Some(mut graph) = build(&renderer, name, source)? else {
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    if let Err(message) = select(&mut graph, args.workflow.as_deref()) {
        return usage(message);
    }
    let format = match args.format {
        Format::Dot => graph::Format::Dot,
        Format::Mermaid => graph::Format::Mermaid,
    };
    print_stdout(&graph::render(&graph, format))?;
    Ok(ExitCode::SUCCESS)
}

/// Parses and checks the source, prints its diagnostics as `flow check`
/// does, and returns the graph when there is no error; `None` once the
/// reason was printed.
fn build(
    renderer: &HumanRenderer,
    name: String,
    source: String,
) -> Result<Option<Graph>, ExitCode> {
    let parsed = crate::syntax::parse(&source);
    let (program, diagnostics): (_, Vec<Diagnostic>) = if parsed.errors.is_empty() {
        let (program, problems) = crate::check::check_program(&parsed.file);
        (
            program,
            problems.into_iter().map(Diagnostic::from).collect(),
        )
    } else {
        let mut errors: Vec<Diagnostic> = parsed.errors.into_iter().map(Diagnostic::from).collect();
        errors.sort_by_key(Diagnostic::offset);
        (None, errors)
    };
    let report = FileReport {
        name,
        source,
        diagnostics,
    };
    print_stderr(&renderer.render_file(&report, false))?;
    if report.counts().errors > 0 {
        return Ok(None);
    }
    let built = program
        .ok_or_else(|| {
            let reason = crate::check::why_no_program(&parsed.file)
                .unwrap_or_else(|| "the reason is unknown".into());
            format!("no program could be built from it ({reason})")
        })
        .and_then(|program| {
            Graph::build(&report.source, &parsed.file, &program).map_err(|e| e.to_string())
        });
    match built {
        Ok(graph) => Ok(Some(graph)),
        Err(reason) => {
            print_stderr(&renderer.render_error(format!(
                "internal error: `{}` checks without errors, but {reason}; please report this \
                 with the file",
                report.name
            )))?;
            Ok(None)
        }
    }
}

/// Keeps the workflow named by `--workflow`, or all of them.
fn select(graph: &mut Graph, name: Option<&str>) -> Result<(), String> {
    let names: Vec<&str> = graph.workflows.iter().map(|w| w.name.as_str()).collect();
    if names.is_empty() {
        return Err("the file has no workflow to draw".into());
    }
    let Some(name) = name else {
        return Ok(());
    };
    if !names.contains(&name) {
        let hint = match did_you_mean(name, &names) {
            Some(close) => format!("did you mean `{close}`? "),
            None => String::new(),
        };
        let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        return Err(format!(
            "the file has no workflow `{name}`; {hint}its workflows are {}",
            listed.join(", ")
        ));
    }
    graph.workflows.retain(|w| w.name == name);
    Ok(())
}

/// The closest of `candidates` to a misspelt `name`, if one is close enough
/// (the measure `flow run --workflow` uses, so both say the same).
fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The text of the file, or a message that names it.
fn read_text(path: &Path) -> Result<String, String> {
    let name = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| format!("could not read the file `{name}`: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "could not read the file `{name}`: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}
