//! `flow reject`: refuse a person's question in a paused run, which fails
//! the step.

use std::process::ExitCode;

use clap::Args;

use super::ColorChoice;
use super::answer::{self, AnswerArgs};
use crate::runtime::driver::durable::Answer;

/// Refuse a `human` step of a paused run: the step fails, and the run goes on
#[derive(Debug, Args)]
#[command(
    long_about = "Refuse a `human` step of a paused run: the step fails, and the run goes on.\n\n\
        The step fails with class `worker` and the reason as its message, which the \
        state's `on_failure` routes as any failure (and `retries` retry: the person is \
        asked again). Once recorded, the run goes on in the foreground as with `flow \
        resume`, unless `--no-continue` is given.\n\n\
        Exit status: as for `flow run`, or 2 when the answer was refused and nothing was \
        recorded.",
    after_help = "Examples:\n  \
        flow reject 3f9a2c escalate --reason 'not ours: forward to the partner team'\n  \
        flow reject 3f9a2c review.legal --no-continue"
)]
pub struct RejectArgs {
    #[command(flatten)]
    common: AnswerArgs,

    /// Why: the failure's message, which the workflow sees as `error.message`
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

pub(super) fn run(args: &RejectArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let reason = args
        .reason
        .clone()
        .unwrap_or_else(|| format!("`{}` was rejected with `flow reject`", args.common.step));
    answer::run(&args.common, || Ok(Answer::Reject(reason)), color)
}
