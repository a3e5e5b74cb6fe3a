//! What `flow approve` and `flow reject` share: find the paused run, check
//! the answer against its question, record it, and continue the run in the
//! foreground (or, with `--no-continue`, only record it).

use std::process::ExitCode;

use clap::Args;

use super::run::{EventsFormat, Job, execute};
use super::store_args::{self, StoreArgs, store_flag};
use super::{ColorChoice, EXIT_USAGE, print_stderr, stderr_width, stored};
use crate::diagnostics::human::{HumanRenderer, Style};
use crate::runtime::driver::durable::{self, Answer};
use crate::runtime::store::{Owner, RunStatus};

/// The arguments both commands take.
#[derive(Debug, Args)]
pub(super) struct AnswerArgs {
    /// The run's id, or any unique prefix of it
    #[arg(value_name = "RUN")]
    pub run: String,

    /// The step that asks: `state`, `state.branch` for a branch of a
    /// `parallel` state, `state[i]` for an item of a `map`
    #[arg(value_name = "STEP")]
    pub step: String,

    /// Only record the answer; `flow resume RUN` continues the run later
    #[arg(long)]
    pub no_continue: bool,

    /// Print machine events on stdout instead of the output and the trace,
    /// while the run goes on
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        conflicts_with = "no_continue"
    )]
    pub events: Option<EventsFormat>,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// Answers the question of `args.step` in `args.run` with `answer` (made
/// lazily, so that a bad `--output` is reported after the run is found).
pub(super) fn run(
    args: &AnswerArgs,
    answer: impl FnOnce() -> Result<Answer, String>,
    color: ColorChoice,
) -> Result<ExitCode, ExitCode> {
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
    let row = match store.resolve(&args.run) {
        Ok(row) => row,
        Err(e) => return usage(store_args::describe(&e)),
    };
    let answer = match answer() {
        Ok(answer) => answer,
        Err(message) => return usage(message),
    };
    let stored = match stored::program(&renderer, &store, &row, true)? {
        Ok(stored) => stored,
        Err(message) => return usage(message),
    };
    let owner = Owner::this_process();
    if args.no_continue {
        let runtime = match super::runtime() {
            Ok(runtime) => runtime,
            Err(message) => return usage(message),
        };
        let recorded = runtime.block_on(durable::record_answer(
            &store,
            &owner,
            &row,
            &stored.program,
            stored.workflow,
            &args.step,
            answer,
        ));
        let recorded = match recorded {
            Ok(recorded) => recorded,
            Err(e) => return usage(e.to_string()),
        };
        let flag = store_flag(store.path());
        let next = match (recorded.status, recorded.waiting.as_slice()) {
            (RunStatus::Paused, [one]) => format!("it still waits for `{one}`"),
            (RunStatus::Paused, many) => format!(
                "it still waits for {}",
                many.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => format!("`flow resume {}{flag}` continues it", row.id),
        };
        print_stderr(&format!(
            "recorded the answer to `{}` of run {}; {next}\n",
            args.step, row.id
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    print_stderr(&format!(
        "answering `{}` of run {} of workflow `{}` from {}\n",
        args.step,
        row.id,
        row.workflow,
        store.path().display()
    ))?;
    let job = Job::Answer {
        store: &store,
        owner,
        row: &row,
        step: &args.step,
        answer,
    };
    execute(
        &renderer,
        color,
        args.events,
        &stored.program,
        stored.workflow,
        stored.options,
        job,
    )
}
