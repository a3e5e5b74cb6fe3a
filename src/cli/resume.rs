//! `flow resume`: continue a run from the store, on the source it started
//! from.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::run::{EXIT_PAUSED, EventsFormat, Job, execute, stopped_by_signal};
use super::store_args::{self, StoreArgs};
use super::{ColorChoice, EXIT_USAGE, print_stderr, stderr_width};
use super::{checked, stored};
use crate::diagnostics::human::{HumanRenderer, Style};
use crate::runtime::driver::durable;
use crate::runtime::store::{ListFilter, Owner, RunRow, Store, now_ms};

/// Continue a run that was stopped, from the run store
#[derive(Debug, Args)]
#[command(
    long_about = "Continue a run that was stopped, from the run store.\n\n\
        The run goes on from its journal: a step that ended is never run again, and an \
        attempt that was under way when its process stopped runs again as a new attempt \
        with the same idempotency key (FLOW_IDEMPOTENCY_KEY, the Idempotency-Key header), \
        so a worker that honours the key acts once. A backoff that was running ends when \
        it was due. The run goes on with the source it started from, even if the file \
        changed since; `flow resume` says so when it did. With `--upgrade` the run moves \
        to the file as it is now, when the checker proves that safe: the file checks, the \
        state the run is in and every state that holds a value are still there, each value \
        fits its state's new type, and the calls under way call the same workers with the \
        same hooks. Otherwise nothing changes and every reason is listed.\n\n\
        With `--due`, every run that has something to do and nobody doing it (a \
        deadline or a backoff that has passed, an answer recorded with `--no-continue`, a \
        process that is gone) is continued in turn, oldest first: what cron runs.\n\n\
        Exit status: as for `flow run`. With `--due`: 0 when every run ended well or \
        waits for a person again, else the status of the last one that did not.",
    after_help = "Examples:\n  \
        flow resume 3f9a2c              a run by any unique prefix of its id\n  \
        flow resume 3f9a2c --store /var/flow/runs.db\n  \
        flow resume 3f9a2c --upgrade    go on with the file as it is now\n  \
        flow resume --due               every run that is due (for cron)"
)]
pub struct ResumeArgs {
    /// The run's id, or any unique prefix of it
    #[arg(
        value_name = "RUN",
        required_unless_present = "due",
        conflicts_with = "due"
    )]
    run: Option<String>,

    /// Continue every run that is due, rather than one
    #[arg(long)]
    due: bool,

    /// Move the run to the file as it is now, if the checker proves it safe
    #[arg(long, conflicts_with = "due")]
    upgrade: bool,

    /// Print machine events on stdout instead of the output and the trace
    #[arg(long, value_enum, value_name = "FORMAT")]
    events: Option<EventsFormat>,

    #[command(flatten)]
    store: StoreArgs,
}

pub(super) fn run(args: &ResumeArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let color = color.for_stderr();
    let renderer = HumanRenderer::new(Style {
        color,
        width: stderr_width(),
    });
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let store = match args.store.open_existing() {
        Ok(store) => store,
        Err(message) => return usage(message),
    };
    let Some(run) = &args.run else {
        return resume_due(args, &renderer, color, &store);
    };
    let mut row = match store.resolve(run) {
        Ok(row) => row,
        Err(e) => return usage(store_args::describe(&e)),
    };
    if args.upgrade {
        match upgrade(&renderer, &store, &row)? {
            Ok(true) => {
                row = match store.run(row.key) {
                    Ok(row) => row,
                    Err(e) => return usage(store_args::describe(&e)),
                };
            }
            Ok(false) => {}
            Err(message) => return usage(message),
        }
    }
    resume_one(args, &renderer, color, &store, &row)
}

/// Continues every due run in turn, oldest first; a signal stops the
/// round with the run it stopped.
fn resume_due(
    args: &ResumeArgs,
    renderer: &HumanRenderer,
    color: bool,
    store: &Store,
) -> Result<ExitCode, ExitCode> {
    let mut rows = match store.list_due(&ListFilter::default(), now_ms()) {
        Ok(rows) => rows,
        Err(e) => {
            print_stderr(&renderer.render_error(store_args::describe(&e)))?;
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    // Oldest first.
    rows.reverse();
    if rows.is_empty() {
        print_stderr(&format!("no run in {} is due\n", store.path().display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut worst = ExitCode::SUCCESS;
    for row in &rows {
        let code = resume_one(args, renderer, color, store, row)?;
        if stopped_by_signal(code) {
            return Ok(code);
        }
        if code != ExitCode::SUCCESS && code != ExitCode::from(EXIT_PAUSED) {
            worst = code;
        }
    }
    Ok(worst)
}

/// Moves run `row` to its file as it is now, when that is safe; whether it
/// moved (an unchanged file needs no move), or why not.
fn upgrade(
    renderer: &HumanRenderer,
    store: &Store,
    row: &RunRow,
) -> Result<Result<bool, String>, ExitCode> {
    if row.path == "-" {
        return Ok(Err(format!(
            "run {} was started from standard input; there is no file to move it to",
            row.id
        )));
    }
    let text = match checked::read_text(Path::new(&row.path), "the file") {
        Ok(text) => text,
        Err(message) => {
            return Ok(Err(format!(
                "{message}\n  = help: `--upgrade` moves run {} to `{}` as it is now",
                row.id, row.path
            )));
        }
    };
    let old = match stored::program(renderer, store, row, false)? {
        Ok(stored) => stored,
        Err(message) => return Ok(Err(message)),
    };
    if store
        .source(row.key)
        .is_ok_and(|(stored, _)| stored == text)
    {
        print_stderr(&format!(
            "`{}` is the source run {} started from; there is nothing to upgrade\n",
            row.path, row.id
        ))?;
        return Ok(Ok(false));
    }
    let Some(new) = checked::check(renderer, row.path.clone(), text.clone())? else {
        return Ok(Err(format!(
            "run {} cannot move to `{}`: the file does not check; it goes on with the source it started from",
            row.id, row.path
        )));
    };
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(message) => return Ok(Err(message)),
    };
    let moved = runtime.block_on(durable::upgrade(
        store,
        &Owner::this_process(),
        row,
        &old.program,
        &new.program,
        &text,
    ));
    match moved {
        Ok(()) => {
            print_stderr(&format!(
                "moved run {} to `{}` as it is now\n",
                row.id, row.path
            ))?;
            Ok(Ok(true))
        }
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// Continues one run.
fn resume_one(
    args: &ResumeArgs,
    renderer: &HumanRenderer,
    color: bool,
    store: &Store,
    row: &RunRow,
) -> Result<ExitCode, ExitCode> {
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let stored = match stored::program(renderer, store, row, true)? {
        Ok(stored) => stored,
        Err(message) => return usage(message),
    };
    print_stderr(&format!(
        "resuming run {} of workflow `{}`{} from {}\n",
        row.id,
        row.workflow,
        row.current_state
            .as_deref()
            .map_or_else(String::new, |s| format!(" at `{s}`")),
        store.path().display()
    ))?;
    let job = Job::Resume {
        store,
        owner: Owner::this_process(),
        row,
    };
    execute(
        renderer,
        color,
        args.events,
        &stored.program,
        stored.workflow,
        stored.options,
        job,
    )
}
