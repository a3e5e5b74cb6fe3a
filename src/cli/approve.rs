//! `flow approve`: answer a person's question in a paused run with the
//! step's output.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::answer::{self, AnswerArgs};
use super::{ColorChoice, checked};
use crate::runtime::driver::durable::Answer;

/// Answer a `human` step of a paused run with its output, and continue the run
#[derive(Debug, Args)]
#[command(
    long_about = "Answer a `human` step of a paused run with its output, and continue the run.\n\n\
        The output is checked against the worker's output type before anything is \
        recorded: an output that does not fit is refused (exit status 2), naming where it \
        differs. An answer after the step's deadline is refused too; `flow resume` then \
        fails the step with class `timeout`. Once recorded, the run goes on in the \
        foreground as with `flow resume`, unless `--no-continue` is given.\n\n\
        Exit status: as for `flow run` (3 when the run waits for a person again), or 2 \
        when the answer was refused and nothing was recorded.",
    after_help = "Examples:\n  \
        flow approve 3f9a2c escalate --output '{\"message\": \"Refunded.\", \"suspend\": false}'\n  \
        flow approve 3f9a2c review.legal --output @answer.json\n  \
        flow approve 3f9a2c check[2] --output true --no-continue"
)]
pub struct ApproveArgs {
    #[command(flatten)]
    common: AnswerArgs,

    /// The step's output: JSON, or `@path` to read it from a file
    #[arg(long, value_name = "JSON|@FILE")]
    output: String,
}

pub(super) fn run(args: &ApproveArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    answer::run(&args.common, || read_output(&args.output), color)
}

/// The output given on the command line or in a file, as JSON.
fn read_output(arg: &str) -> Result<Answer, String> {
    let (text, origin) = match arg.strip_prefix('@') {
        Some(path) => (
            checked::read_text(Path::new(path), "the output file")?,
            format!("the output file `{path}`"),
        ),
        None => (arg.to_owned(), "`--output`".to_owned()),
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{origin} is not valid JSON: {e}\n  = help: a string is written with its quotes, \
             as in --output '\"yes\"'"
        )
    })?;
    Ok(Answer::Approve(value))
}
