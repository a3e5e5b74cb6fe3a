//! `flow resume`: continue a run from the store, on the source it started
//! from.

use std::process::ExitCode;

use clap::Args;

use super::stored;
use super::run::{EventsFormat, Job, execute};
use super::store_args::StoreArgs;
use super::{ColorChoice, EXIT_USAGE, print_stderr, stderr_width};
use crate::diagnostics::human::{HumanRenderer, Style};
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
        changed since; `flow resume` says so when it did.\n\n\
        With `--due`, every run that has something to do and nobody doing it (a \
        deadline or a backoff that has passed, an answer recorded with `--no-continue`, a \
        process that is gone) is continued in turn, oldest first: what cron runs.\n\n\
        Exit status: as for `flow run`. With `--due`: 0 when every run ended well or \
        waits for a person again, else the status of the last one that did not.",
    after_help = "Examples:\n  \
        flow resume 3f9a2c              a run by any unique prefix of its id\n  \
        flow resume 3f9a2c --store /var/flow/runs.db\n  \
        flow resume --due               every run that is due (for cron)"
)]
pub struct ResumeArgs {
    /// The run's id, or any unique prefix of it
    #[arg(value_name = "RUN", required_unless_present = "due", conflicts_with = "due")]
    run: Option<String>,

    /// Continue every run that is due, rather than one
    #[arg(long)]
    due: bool,

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
    let row = match store.resolve(run) {
        Ok(row) => row,
        Err(e) => return usage(e.to_string()),
    };
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
    let now = now_ms();
    let mut rows = match store.list(&ListFilter::default()) {
        Ok(rows) => rows,
        Err(e) => {
            print_stderr(&renderer.render_error(e.to_string()))?;
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    rows.retain(|row| row.is_due(now));
    rows.reverse();
    if rows.is_empty() {
        print_stderr(&format!(
            "no run in {} is due\n",
            store.path().display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut worst = ExitCode::SUCCESS;
    for row in &rows {
        let code = resume_one(args, renderer, color, store, row)?;
        if [129u8, 130, 143].iter().any(|&s| code == ExitCode::from(s)) {
            return Ok(code);
        }
        if code != ExitCode::SUCCESS && code != ExitCode::from(3) {
            worst = code;
        }
    }
    Ok(worst)
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
    let stored = match stored::load(renderer, store, row)? {
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
