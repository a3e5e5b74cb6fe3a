//! `flow graph`: check a file, then print its state machines as Graphviz
//! DOT or Mermaid.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::checked;
use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout};
use crate::diagnostics::human::HumanRenderer;
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
    let renderer = super::stderr_renderer(color);
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };

    let Some(mut graph) = build(&renderer, &args.file)? else {
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

/// Checks the file as `flow run` does and describes its workflows; `None`
/// once the reason was printed.
fn build(renderer: &HumanRenderer, path: &Path) -> Result<Option<Graph>, ExitCode> {
    let Some(checked) = checked::load(renderer, path)? else {
        return Ok(None);
    };
    match Graph::build(&checked.source, &checked.file, &checked.program) {
        Ok(graph) => Ok(Some(graph)),
        Err(mismatch) => {
            let name = path.display().to_string();
            checked::internal_error(renderer, &name, &mismatch.to_string())?;
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
        return Err(checked::no_such_workflow(name, &names));
    }
    graph.workflows.retain(|w| w.name == name);
    Ok(())
}
