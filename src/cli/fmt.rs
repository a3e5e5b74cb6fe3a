//! `flow fmt`: rewrite .flow files in the canonical layout, or show what
//! would change.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::files;
use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout};
use crate::diagnostics::human::HumanRenderer;
use crate::diagnostics::{Diagnostic, FileReport};
use crate::document::{Contents, Document, Reader, STDIN, Source};

/// Format .flow files in the canonical layout
#[derive(Debug, Args)]
#[command(
    long_about = "Format .flow files in the canonical layout.\n\n\
        Every file is rewritten in place, only when its layout changes; a directory stands \
        for the .flow files under it (hidden directories, `target` and `node_modules` left \
        out; a directory with none is an error); with no file (or `-`), standard input is formatted to standard output. Comments and doc comments stay where \
        they are, and the meaning never changes: the formatted file parses to the same tree. \
        A file that does not parse is left unchanged and its syntax errors are reported.\n\n\
        Exit status: 0 when every file is formatted (or, with `--check`, already was), 1 when \
        `--check` finds a file that would change, 2 when a file cannot be read or parsed, a \
        directory holds no .flow file, or the arguments are wrong.",
    after_help = "Examples:\n  \
        flow fmt site.flow\n  \
        flow fmt --check .\n  \
        flow fmt --check workflows/*.flow\n  \
        cat site.flow | flow fmt > formatted.flow"
)]
pub struct FmtArgs {
    /// Change nothing: print a unified diff of what would change, and exit with status 1 if
    /// anything would
    #[arg(long)]
    check: bool,

    /// The files to format in place, or directories of them; none, or `-`, formats standard
    /// input to standard output
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Already formatted, or formatted to standard output.
    Done,
    /// Rewritten, or (with `--check`) would be.
    Changed,
    /// Not read, or not parsed: left as it was.
    Refused,
}

pub(super) fn run(args: &FmtArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let renderer = super::stderr_renderer(color);
    let stdin = [PathBuf::from(STDIN)];
    let files = if args.files.is_empty() {
        &stdin[..]
    } else {
        &args.files[..]
    };
    let mut outcomes = Vec::with_capacity(files.len());
    let mut reader = Reader::new();
    for path in files::expand(files) {
        match path {
            Ok(path) => outcomes.push(format_one(&path, args.check, &renderer, &mut reader)?),
            Err(message) => {
                print_stderr(&renderer.render_error(message))?;
                outcomes.push(Outcome::Refused);
            }
        }
    }
    Ok(if outcomes.contains(&Outcome::Refused) {
        ExitCode::from(EXIT_USAGE)
    } else if args.check && outcomes.contains(&Outcome::Changed) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn format_one(
    path: &Path,
    check: bool,
    renderer: &HumanRenderer,
    reader: &mut Reader,
) -> Result<Outcome, ExitCode> {
    let is_stdin = path.as_os_str() == STDIN;
    let (name, source) = match reader.read(path) {
        Ok(Source {
            name,
            contents: Contents::Text(text),
        }) => (name, text),
        Ok(Source {
            name,
            contents: Contents::TooLarge(size),
        }) => {
            let (report, _) = Document::too_large(name, size).into_report();
            refuse(renderer, report)?;
            return Ok(Outcome::Refused);
        }
        Err(message) => {
            print_stderr(&renderer.render_error(message))?;
            return Ok(Outcome::Refused);
        }
    };
    let formatted = match crate::fmt::format(&source) {
        Ok(formatted) => formatted,
        Err(errors) => {
            let report = FileReport {
                name,
                source,
                diagnostics: errors.into_iter().map(Diagnostic::Syntax).collect(),
            };
            refuse(renderer, report)?;
            return Ok(Outcome::Refused);
        }
    };
    let changed = formatted != source;
    if check {
        if changed {
            print_stdout(&diff(&name, &source, &formatted))?;
        }
    } else if is_stdin {
        print_stdout(&formatted)?;
    } else if changed {
        if let Err(e) = write_in_place(path, &formatted) {
            let message = format!("could not write `{name}`: {e}; the file is left unchanged");
            print_stderr(&renderer.render_error(message))?;
            return Ok(Outcome::Refused);
        }
    }
    Ok(if changed {
        Outcome::Changed
    } else {
        Outcome::Done
    })
}

/// Reports the syntax errors of a file that is not formatted, as
/// `flow check` shows them.
fn refuse(renderer: &HumanRenderer, report: FileReport) -> Result<(), ExitCode> {
    let mut text = renderer.render_diagnostics(&report);
    text.push_str(&renderer.render_error(format!(
        "could not format `{}`: {}; it is left unchanged",
        report.name,
        report.counts()
    )));
    print_stderr(&text)
}

/// A unified diff from the file as it is to the file formatted, with three
/// lines of context, as `git diff` shows it.
fn diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// Replaces a file's text: written to a new file beside it, then renamed
/// over it, so that a crash leaves either the old text or the new one,
/// never half of it. A symbolic link stays a link: the file it points to
/// is the one replaced.
fn write_in_place(path: &Path, text: &str) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let permissions = fs::metadata(&target)?.permissions();
    let dir = target.parent().unwrap_or(Path::new("."));
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.fmt-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.set_permissions(permissions)?;
        file.sync_all()?;
        fs::rename(&temp, &target)
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours, and the original is
        // untouched either way.
        let _ = fs::remove_file(&temp);
    }
    result
}
