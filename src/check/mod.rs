//! The check stage: every rule of section 8 of the design.
//!
//! The passes run in order over a file: the item table (one namespace),
//! the `type` definitions, the signatures of workers, transformers and
//! workflows, then transformers (and the calls between them), workers
//! (whose values the states need) and the workflows with their state graphs.
//! Every pass reports all it finds; a name or expression that failed gets
//! the error type, which fits anything, so that one mistake gives one
//! message.
//!
//! The stage is pure: no I/O, no printing.

mod build;
mod env;
mod error;
mod executors;
mod expr;
mod failure;
pub(crate) mod graph;
mod hooks;
mod items;
mod recursion;
mod settings;
pub(crate) mod states;
// The syntax stage uses the same suggestions for its keywords.
pub(crate) mod suggest;
mod transformers;
mod types;
mod workers;
mod workflows;

#[cfg(test)]
mod tests;

pub use error::{BlockPlace, CheckError, DefaultFix, StateLine, Suggestion};

use crate::ir;
use crate::syntax::ast;
use env::{Cx, Env, Sig};
use items::ItemTable;
use types::{ResolveCx, Resolver, Types};

/// Checks a parsed file and returns every problem found, in source order
/// (problems at the same offset keep the order in which they were found).
pub fn check(file: &ast::File) -> Vec<CheckError> {
    analyze(file, false).1
}

/// Checks a parsed file and, when no problem is an error (warnings alone do
/// not prevent it), builds the program the runtime executes. The problems
/// come in source order, as from [`check`]: `flow run` prints them all and
/// runs only when there is a program.
pub fn check_program(file: &ast::File) -> (Option<ir::Program>, Vec<CheckError>) {
    analyze(file, true)
}

/// Why a file that checks without errors has no program: a bug in the
/// checker (something it should have reported, or the builder should
/// handle), described for the report of it. `None` when the file has a
/// program or has errors. For the rare path where [`check_program`] gives
/// neither a program nor an error; it checks the file again.
pub fn why_no_program(file: &ast::File) -> Option<String> {
    match analyze_built(file) {
        (Some(Err(missing)), _) => Some(missing.to_string()),
        _ => None,
    }
}

/// Whether a problem prevents the file from running (it is not a warning).
fn is_error(problem: &CheckError) -> bool {
    use miette::{Diagnostic, Severity};
    !matches!(
        problem.severity(),
        Some(Severity::Warning | Severity::Advice)
    )
}

/// The checks, and the program when `build` is asked for and no error was
/// found.
fn analyze(file: &ast::File, build: bool) -> (Option<ir::Program>, Vec<CheckError>) {
    if !build {
        return (None, run_checks(file, false).1);
    }
    let (built, problems) = analyze_built(file);
    (built.and_then(Result::ok), problems)
}

/// The checks and, when no error was found, the outcome of building the
/// program.
fn analyze_built(
    file: &ast::File,
) -> (Option<Result<ir::Program, build::Missing>>, Vec<CheckError>) {
    run_checks(file, true)
}

fn run_checks(
    file: &ast::File,
    build: bool,
) -> (Option<Result<ir::Program, build::Missing>>, Vec<CheckError>) {
    let mut out = Vec::new();
    let items = ItemTable::collect(file, &mut out);
    let mut types = Types::new();
    let mut resolver = Resolver::new(&mut types, &items);
    let mut rcx = ResolveCx {
        types: &mut types,
        items: &items,
        out: &mut out,
    };
    resolver.resolve_defs(&mut rcx);
    let workers: Vec<Sig<'_>> = items
        .workers
        .iter()
        .map(|w| Sig::build(&w.name, &w.params, &w.output, &mut resolver, &mut rcx))
        .collect();
    let transformers: Vec<Sig<'_>> = items
        .transformers
        .iter()
        .map(|t| Sig::build(&t.name, &t.params, &t.output, &mut resolver, &mut rcx))
        .collect();
    let workflows: Vec<Sig<'_>> = items
        .workflows
        .iter()
        .map(|w| Sig::build(&w.name, &w.params, &w.output, &mut resolver, &mut rcx))
        .collect();
    let env = Env {
        items,
        workers,
        transformers,
        workflows,
    };
    let mut cx = Cx {
        env: &env,
        types,
        out,
        worker_values: Vec::new(),
        int_arithmetic: Default::default(),
    };
    transformers::check_all(&mut cx);
    recursion::check(&env.items, &mut cx.out);
    workers::check_all(&mut cx);
    workflows::check_all(&mut cx);
    // A clean file always has a program; `Missing` means the checker let
    // something through that it should have reported, and then no program
    // is better than a wrong one.
    let program = if build && !cx.out.iter().any(is_error) {
        Some(build::program(&cx))
    } else {
        None
    };
    let mut out = cx.out;
    out.sort_by_cached_key(CheckError::offset);
    (program, out)
}
