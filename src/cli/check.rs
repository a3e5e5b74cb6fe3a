//! `flow check`: run the front end over files and report what it finds.

use std::io::Read;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::files;
use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout, stderr_width};
use crate::diagnostics::human::{HumanRenderer, Style};
use crate::diagnostics::json::JsonReport;
use crate::diagnostics::{Counts, Diagnostic, FileReport};
use crate::syntax::SyntaxError;

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

/// The name that stands for standard input.
const STDIN: &str = "-";

pub(super) fn run(args: &CheckArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let renderer = HumanRenderer::new(Style {
        color: color.for_stderr(),
        width: stderr_width(),
    });
    let mut stdin: Option<String> = None;
    let mut reports = Vec::with_capacity(args.files.len());
    let mut unreadable = false;
    // Whether anything was printed to stderr yet.
    let mut printed = false;

    // A large file is parsed on every core the process may use.
    let threads = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    let paths = files::expand(&args.files);
    let last = paths.len().saturating_sub(1);
    for (k, path) in paths.into_iter().enumerate() {
        let report = match path.and_then(|path| read_source(&path, &mut stdin)) {
            Ok(Source::Text(name, source)) => {
                let (report, tree) = FileReport::analyze_keeping_tree(name, source, threads);
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
            Ok(Source::TooLarge(name, size)) => FileReport {
                name,
                source: String::new(),
                diagnostics: vec![Diagnostic::Syntax(SyntaxError::FileTooLarge { size })],
            },
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

/// What `read_source` found.
enum Source {
    /// The display name and the text of a file.
    Text(String, String),
    /// A file too large for the parser, which is not read at all: the
    /// parser would refuse it anyway, after gigabytes of reading.
    TooLarge(String, usize),
}

/// The parser refuses files of this many bytes or more (see
/// `flow::syntax::parse`).
const MAX_FILE_SIZE: u64 = u32::MAX as u64;

/// The display name and text of one file, or a message that names the file
/// and says why it cannot be read. Standard input is read once, however
/// often `-` is given.
fn read_source(path: &Path, stdin: &mut Option<String>) -> Result<Source, String> {
    if path.as_os_str() == STDIN {
        let name = "<stdin>".to_string();
        if let Some(text) = stdin {
            return Ok(Source::Text(name, text.clone()));
        }
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("could not read standard input: {e}"))?;
        let text = decode(&name, bytes)?;
        *stdin = Some(text.clone());
        return Ok(Source::Text(name, text));
    }
    let name = path.display().to_string();
    let unreadable = |e: std::io::Error| format!("could not read `{name}`: {e}");
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if metadata.is_file() && metadata.len() >= MAX_FILE_SIZE {
        let size = usize::try_from(metadata.len()).unwrap_or(usize::MAX);
        return Ok(Source::TooLarge(name, size));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let text = decode(&name, bytes)?;
    Ok(Source::Text(name, text))
}

fn decode(name: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let error = e.utf8_error();
        format!(
            "could not read `{name}`: it is not UTF-8 text (invalid byte at offset {})",
            error.valid_up_to()
        )
    })
}
