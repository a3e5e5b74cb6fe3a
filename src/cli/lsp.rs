//! `flow lsp`: the language server, over standard input and output.

use std::process::ExitCode;

use clap::Args;

use super::{ColorChoice, print_stderr};
use crate::lsp::Ending;

/// Start the language server (for editors), speaking LSP over stdin and stdout
#[derive(Debug, Args)]
#[command(
    long_about = "Start the language server, for editors: the Language Server Protocol over \
        standard input and output.\n\n\
        An editor starts it and talks to it; a person has no use for it at a terminal. It \
        publishes every diagnostic of `flow check` as a file is typed, formats as `flow fmt` \
        does, and gives the outline (document symbols), folding ranges and quick fixes. \
        docs/lsp.md describes what it offers and how editors start it.\n\n\
        Logs go to standard error: warnings by default, more with RUST_LOG (for example \
        RUST_LOG=flow=debug).\n\n\
        Exit status: 0 when the editor ends the session as the protocol asks (`shutdown`, \
        then `exit`), 1 when it sends `exit` without `shutdown` or closes the connection \
        without either, or when a message cannot be read.",
    after_help = "Examples:\n  \
        flow lsp\n  \
        RUST_LOG=flow=debug flow lsp 2> flow-lsp.log"
)]
pub struct LspArgs {
    /// Talk over standard input and output, the only way there is; accepted because editors
    /// pass it
    #[arg(long)]
    stdio: bool,
}

pub(super) fn run(args: &LspArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let _ = args.stdio;
    let renderer = super::stderr_renderer(color);
    install_logging();
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let ending = crate::lsp::run(&connection);
    // The writer thread ends once every sender is gone.
    drop(connection);
    if let Err(e) = io_threads.join() {
        print_stderr(
            &renderer.render_error(format!("could not read a message from the client: {e}")),
        )?;
        return Ok(ExitCode::FAILURE);
    }
    match ending {
        Ending::Exit | Ending::Disconnected { shut_down: true } => Ok(ExitCode::SUCCESS),
        Ending::ExitWithoutShutdown => {
            print_stderr(&renderer.render_error(
                "the client sent `exit` without `shutdown` first; exit status 1, as \
                 the protocol says",
            ))?;
            Ok(ExitCode::FAILURE)
        }
        Ending::Disconnected { shut_down: false } => {
            print_stderr(
                &renderer
                    .render_error("the client closed standard input without `shutdown` and `exit`"),
            )?;
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Warnings of the server on stderr (stdout is the protocol's), unless
/// `RUST_LOG` asked for something else and `flow` installed that already.
fn install_logging() {
    if std::env::var_os("RUST_LOG").is_some() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("flow=warn"))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
