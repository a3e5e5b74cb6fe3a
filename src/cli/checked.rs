//! What `flow run` and `flow graph` share: reading a file (or standard
//! input, `-`), checking it with its diagnostics printed as `flow check`
//! prints them, and naming a workflow that is not there.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::print_stderr;
use crate::diagnostics::human::HumanRenderer;
use crate::diagnostics::{Diagnostic, FileReport};
use crate::ir::Program;
use crate::syntax::ast;

/// A file that checked without errors, with its program.
pub(super) struct Checked {
    pub source: String,
    pub file: ast::File,
    pub program: Program,
    /// The directory the file's relative paths start from (the default
    /// working directory of its programs, and what a relative `cwd` is
    /// relative to): the file's own directory, as an absolute path, so that
    /// `flow run other/dir/site.flow` works from anywhere. `None` for
    /// standard input, whose paths start from the current directory.
    pub base_dir: Option<PathBuf>,
}

/// The name that stands for standard input.
const STDIN: &str = "-";

/// Reads the file (standard input for `-`) and [`check`]s it; `None` once
/// the reason it cannot be used was printed (it could not be read, or see
/// [`check`]).
pub(super) fn load(renderer: &HumanRenderer, path: &Path) -> Result<Option<Checked>, ExitCode> {
    let (name, read, base_dir) = if path.as_os_str() == STDIN {
        ("<stdin>".to_owned(), read_stdin(), None)
    } else {
        let base_dir = match base_dir(path) {
            Ok(dir) => dir,
            Err(message) => {
                print_stderr(&renderer.render_error(message))?;
                return Ok(None);
            }
        };
        (
            path.display().to_string(),
            read_text(path, "the file"),
            Some(base_dir),
        )
    };
    match read {
        Ok(source) => Ok(check(renderer, name, source)?.map(|checked| Checked {
            base_dir,
            ..checked
        })),
        Err(message) => {
            print_stderr(&renderer.render_error(message))?;
            Ok(None)
        }
    }
}

/// The directory of the file at `path`, made absolute (against the current
/// directory, without resolving links, as the shell shows it).
fn base_dir(path: &Path) -> Result<PathBuf, String> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::path::absolute(dir).map_err(|e| {
        format!(
            "could not find the directory of `{}`, where its relative paths start: {e}",
            path.display()
        )
    })
}

/// The text of standard input.
fn read_stdin() -> Result<String, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("could not read standard input: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "could not read standard input: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Parses and checks the source and prints its diagnostics as `flow check`
/// does (warnings included); `None` once the reason it cannot be used was
/// printed: its errors, or an internal failure to build its program.
pub(super) fn check(
    renderer: &HumanRenderer,
    name: String,
    source: String,
) -> Result<Option<Checked>, ExitCode> {
    check_with(Some(renderer), name, source, true)
}

/// [`check`] for a source that checked when its run started (the run
/// store's copy): its warnings were shown then, so only errors are printed.
pub(super) fn check_stored(
    renderer: &HumanRenderer,
    name: String,
    source: String,
) -> Result<Option<Checked>, ExitCode> {
    check_with(Some(renderer), name, source, false)
}

/// [`check`] printing nothing: `None` when the source does not check.
pub(super) fn check_quietly(source: String) -> Option<Checked> {
    check_with(None, String::new(), source, false).unwrap_or(None)
}

fn check_with(
    renderer: Option<&HumanRenderer>,
    name: String,
    source: String,
    warnings: bool,
) -> Result<Option<Checked>, ExitCode> {
    let parsed = crate::syntax::parse(&source);
    let (program, diagnostics): (Option<Program>, Vec<Diagnostic>) = if parsed.errors.is_empty() {
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
    if let Some(renderer) = renderer
        && (warnings || report.counts().errors > 0)
    {
        print_stderr(&renderer.render_file(&report, false))?;
    }
    if report.counts().errors > 0 {
        return Ok(None);
    }
    let Some(program) = program else {
        let reason = crate::check::why_no_program(&parsed.file)
            .unwrap_or_else(|| "the reason is unknown".into());
        if let Some(renderer) = renderer {
            internal_error(
                renderer,
                &report.name,
                &format!("no runnable program could be built from it ({reason})"),
            )?;
        }
        return Ok(None);
    };
    Ok(Some(Checked {
        source: report.source,
        file: parsed.file,
        program,
        base_dir: None,
    }))
}

/// Says that a file which checks clean could not be used: a bug of ours.
pub(super) fn internal_error(
    renderer: &HumanRenderer,
    name: &str,
    what: &str,
) -> Result<(), ExitCode> {
    print_stderr(&renderer.render_error(format!(
        "internal error: `{name}` checks without errors, but {what}; please report this with \
         the file"
    )))
}

/// The message for `--workflow NAME` when the file has no such workflow,
/// with the closest name and the list of those it has.
pub(super) fn no_such_workflow(name: &str, names: &[&str]) -> String {
    let hint = match did_you_mean(name, names) {
        Some(close) => format!("did you mean `{close}`? "),
        None => String::new(),
    };
    format!(
        "the file has no workflow `{name}`; {hint}its workflows are {}",
        listed(names)
    )
}

/// `` `a`, `b` ``.
pub(super) fn listed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest of `candidates` to a misspelt `name`, if one is close enough.
pub(super) fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // The checker's suggestion, so that the command line and the
    // diagnostics find the same neighbour for the same typo.
    crate::check::suggest::closest(name, candidates.iter().copied())
}

/// The text of a file, or a message that names it as `what` ("the file",
/// "the input file").
pub(super) fn read_text(path: &Path, what: &str) -> Result<String, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("could not read {what} `{name}`: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "could not read {what} `{name}`: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}
