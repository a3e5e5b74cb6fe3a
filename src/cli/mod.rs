//! The `flow` command. The only module that prints.
//!
//! One file per subcommand; this one holds the top-level parser, the options
//! every subcommand shares and the small helpers for writing output.

mod answer;
mod approve;
mod cancel;
mod check;
mod checked;
mod explain;
mod files;
mod fmt;
mod graph;
mod logs;
mod lsp;
mod prune;
mod reject;
mod resume;
mod run;
mod runs;
mod status;
mod store_args;
mod stored;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// The async runtime a command drives runs or the store on: one thread,
/// with timers and I/O; the error is the message to print.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the async runtime: {e}"))
}

/// Exit status when a file could not be read or the arguments are wrong;
/// clap uses the same status for its usage errors.
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "flow",
    version,
    about = "Statically checked workflows for AI agents and other unreliable workers",
    long_about = "Statically checked workflows for AI agents and other unreliable workers.\n\n\
        A .flow file declares typed workers (LLM calls, programs, HTTP services, people) and \
        workflows that route data between them as state machines. `flow check` proves before \
        the run that every state exists and can be reached, that every loop is bounded, and \
        that the data passed between workers has the right shape.",
    after_help = "Examples:\n  \
        flow check site.flow                  check a file\n  \
        flow check --format json *.flow       machine-readable diagnostics\n  \
        flow explain unknown_state            why a diagnostic exists and how to fix it\n  \
        flow run site.flow --input @in.json   run a workflow: output on stdout, trace on stderr\n  \
        flow fmt site.flow                    rewrite a file in the canonical layout\n  \
        flow graph site.flow | dot -Tsvg      draw the workflows as a picture (SVG)\n  \
        flow lsp                              the language server, for editors"
)]
pub struct Cli {
    /// When to use colours in diagnostics on stderr
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Check(check::CheckArgs),
    Explain(explain::ExplainArgs),
    Fmt(fmt::FmtArgs),
    Graph(graph::GraphArgs),
    Run(run::RunArgs),
    Resume(resume::ResumeArgs),
    Runs(runs::RunsArgs),
    Status(status::StatusArgs),
    Logs(logs::LogsArgs),
    Cancel(cancel::CancelArgs),
    Approve(approve::ApproveArgs),
    Reject(reject::RejectArgs),
    Prune(prune::PruneArgs),
    Lsp(lsp::LspArgs),
}

/// `--color`, as in cargo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colours when stderr is a terminal and `NO_COLOR` is not set
    Auto,
    /// Always colours
    Always,
    /// Never colours
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to stdout (`flow logs`, whose trace is
    /// printed there).
    fn for_stdout(self) -> bool {
        self.for_terminal(io::stdout().is_terminal())
    }

    /// Whether to colour what goes to stderr.
    fn for_stderr(self) -> bool {
        self.for_terminal(io::stderr().is_terminal())
    }

    /// Whether to colour a stream that is a terminal or not.
    fn for_terminal(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                // https://no-color.org: set and not empty disables colour.
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                !no_color && terminal
            }
        }
    }
}

/// The renderer of messages on stderr, in colour as `--color` and the
/// terminal say, wrapped at [`stderr_width`]: one for every subcommand.
fn stderr_renderer(color: ColorChoice) -> crate::diagnostics::human::HumanRenderer {
    crate::diagnostics::human::HumanRenderer::new(crate::diagnostics::human::Style {
        color: color.for_stderr(),
        width: stderr_width(),
    })
}

/// The width to wrap human diagnostics at: `FLOW_TERM_WIDTH` when set (for
/// tests and scripts), the terminal's width when stderr is one, else 100.
fn stderr_width() -> usize {
    const DEFAULT: usize = 100;
    if let Some(width) = std::env::var("FLOW_TERM_WIDTH")
        .ok()
        .and_then(|w| w.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
    {
        return width;
    }
    if io::stderr().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(io::stderr()) {
            return usize::from(w).max(20);
        }
    }
    DEFAULT
}

/// Writes text to stdout. A closed pipe (`flow explain --list | head`) is
/// not an error worth reporting; any other failure is.
fn print_stdout(text: &str) -> Result<(), ExitCode> {
    write_all(io::stdout().lock(), text)
}

/// Writes text to stderr.
fn print_stderr(text: &str) -> Result<(), ExitCode> {
    write_all(io::stderr().lock(), text)
}

fn write_all(mut out: impl Write, text: &str) -> Result<(), ExitCode> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(_) => Err(ExitCode::from(EXIT_USAGE)),
    }
}

pub fn main() -> ExitCode {
    // clap prints help and version with status 0, usage errors with 2.
    let cli = Cli::parse();
    install_tracing();
    let result = match cli.command {
        Command::Check(args) => check::run(&args, cli.color),
        Command::Explain(args) => explain::run(&args),
        Command::Fmt(args) => fmt::run(&args, cli.color),
        Command::Graph(args) => graph::run(&args, cli.color),
        Command::Run(args) => run::run(&args, cli.color),
        Command::Resume(args) => resume::run(&args, cli.color),
        Command::Runs(args) => runs::run(&args),
        Command::Cancel(args) => cancel::run(&args),
        Command::Approve(args) => approve::run(&args, cli.color),
        Command::Reject(args) => reject::run(&args, cli.color),
        Command::Status(args) => status::run(&args, cli.color),
        Command::Logs(args) => logs::run(&args, cli.color),
        Command::Prune(args) => prune::run(&args),
        Command::Lsp(args) => lsp::run(&args, cli.color),
    };
    result.unwrap_or_else(|code| code)
}

/// `RUST_LOG=flow=debug flow run ...` shows the run, step and attempt spans
/// on stderr. Without `RUST_LOG` nothing is installed, so the trace of
/// `flow run` and the diagnostics of `flow check` stay the only output.
fn install_tracing() {
    let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() else {
        return;
    };
    // A subscriber set twice (never, here) is not worth failing the command.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        // A line when each span closes, with its timings: the run, each
        // step visit and each attempt.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
