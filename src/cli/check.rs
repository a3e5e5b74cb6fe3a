//! `flow check`: run the front end over files and report what it finds.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::files;
use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout};
use crate::diagnostics::json::JsonReport;
use crate::diagnostics::{Counts, FileReport};
use crate::document::{Document, Reader};

/// Check .flow files without running them
#[derive(Debug, Args)]
#[command(
    long_about = "Check .flow files without running them.\n\n\
        Reports every syntax error, or, when a file parses, every problem the checker finds: \
        unknown or misspelt names, transitions to states that do not exist, states that can \
        never be reached or never finish, loops without a bound, and values of the wrong type. \
        Each diagnostic has a code; `flow explain CODE` tells why the rule exists and how to \
        fix it. A directory stands for the .flow files under it (hidden directories, \
        `target` and `node_modules` left out); a directory with none is an error.\n\n\
        Exit status: 0 when there are no errors, 1 when there are errors (or warnings with \
        `--deny warnings`), 2 when a file cannot be read, a directory holds no .flow file, or \
        the arguments are wrong.\n\n\
        Environment: NO_COLOR (when not empty) turns colours off under `--color auto`; \
        FLOW_TERM_WIDTH sets the width at which human diagnostics are wrapped.",
    after_help = "Examples:\n  \
        flow check site.flow\n  \
        flow check --deny warnings workflows/\n  \
        flow check --format json site.flow | jq '.diagnostics[].message'\n  \
        cat site.flow | flow check -"
)]
pub struct CheckArgs {
    /// How to print diagnostics: `human` to stderr, `json` to stdout
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Human)]
    format: Format,

    /// Fail (exit status 1) on warnings too
    #[arg(long, value_enum, value_name = "KIND")]
    deny: Vec<Deny>,

    /// The files to check, or directories of them; `-` reads standard input
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Graphical reports with source snippets, on stderr
    Human,
    /// One JSON object on stdout: {"diagnostics": [...], "errors": N, "warnings": N}
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Deny {
    /// Treat warnings as errors for the exit status
    Warnings,
}

pub(super) fn run(args: &CheckArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let renderer = super::stderr_renderer(color);
    let mut reader = Reader::new();
    let mut reports = Vec::with_capacity(args.files.len());
    let mut unreadable = false;
    // Whether anything was printed to stderr yet.
    let mut printed = false;

    // A large file is parsed on every core the process may use.
    let threads = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    let paths = files::expand(&args.files);
    let last = paths.len().saturating_sub(1);
    for (k, path) in paths.into_iter().enumerate() {
        let report = match path.and_then(|path| reader.read(&path)) {
            Ok(source) => {
                let (report, tree) = Document::from_source(source, threads).into_report();
                if k == last {
                    // Nothing is checked after the last file, and the process
                    // ends soon: its memory goes back to the system then, at
                    // once, while freeing the tree node by node would cost a
                    // few percent of the check of a large file (rustc does
                    // the same with its own trees). The tree owns nothing but
                    // memory, so nothing is lost by not dropping it. The
                    // trees of the other files are freed as usual, so that
                    // memory does not grow with the number of files.
                    std::mem::forget(tree);
                }
                report
            }
            Err(message) => {
                unreadable = true;
                if std::mem::replace(&mut printed, true) && args.format == Format::Human {
                    print_stderr("\n")?;
                }
                print_stderr(&renderer.render_error(message))?;
                continue;
            }
        };
        if args.format == Format::Human {
            let text = renderer.render_file(&report, deny_warnings);
            // A blank line between the reports of two files.
            if !text.is_empty() && std::mem::replace(&mut printed, true) {
                print_stderr("\n")?;
            }
            print_stderr(&text)?;
        }
        reports.push(report);
    }

    if args.format == Format::Json {
        let mut json = JsonReport::new(&reports).to_json();
        json.push('\n');
        print_stdout(&json)?;
    }

    let counts: Counts = reports.iter().map(FileReport::counts).sum();
    let failed = counts.errors > 0 || (deny_warnings && counts.warnings > 0);
    Ok(if unreadable {
        ExitCode::from(EXIT_USAGE)
    } else if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
