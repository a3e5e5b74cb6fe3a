//! `flow explain`: the long explanation of a diagnostic code.

use std::process::ExitCode;

use clap::Args;

use super::{EXIT_USAGE, print_stderr, print_stdout};
use crate::diagnostics::explain::{EXPLANATIONS, Lookup, lookup};

/// Explain a diagnostic code: the rule, why it exists, an example and the fix
#[derive(Debug, Args)]
#[command(
    long_about = "Explain a diagnostic code: what the rule is, what would go wrong at run time \
        without it, an example that breaks it and how to fix it.\n\n\
        A code may be written in full (flow::check::unknown_state), without the `flow::` \
        prefix (check::unknown_state) or as its bare name (unknown_state).",
    after_help = "Examples:\n  \
        flow explain flow::check::unknown_state\n  \
        flow explain unbounded_cycle\n  \
        flow explain --list"
)]
pub struct ExplainArgs {
    /// The code to explain, as `flow check` prints it
    #[arg(
        value_name = "CODE",
        required_unless_present = "list",
        conflicts_with = "list"
    )]
    code: Option<String>,

    /// List every code with its one-line summary
    #[arg(long)]
    list: bool,
}

pub(super) fn run(args: &ExplainArgs) -> Result<ExitCode, ExitCode> {
    // clap lets exactly one of `CODE` and `--list` through.
    let Some(code) = args.code.as_deref() else {
        print_stdout(&list())?;
        return Ok(ExitCode::SUCCESS);
    };
    match lookup(code) {
        Lookup::Found(explanation) => {
            print_stdout(explanation.text)?;
            Ok(ExitCode::SUCCESS)
        }
        Lookup::Ambiguous(candidates) => {
            let mut message =
                format!("error: `{code}` names more than one diagnostic; give its stage:\n");
            for candidate in candidates {
                message.push_str(&format!("  {}\n", candidate.code));
            }
            print_stderr(&message)?;
            Ok(ExitCode::from(EXIT_USAGE))
        }
        Lookup::NotFound { suggestion } => {
            let mut message = format!("error: `{code}` is not a flow diagnostic code\n");
            if let Some(suggestion) = suggestion {
                message.push_str(&format!("help: did you mean `{suggestion}`?\n"));
            }
            message.push_str("help: `flow explain --list` shows every code\n");
            print_stderr(&message)?;
            Ok(ExitCode::from(EXIT_USAGE))
        }
    }
}

/// Every code and its summary, aligned in two columns.
fn list() -> String {
    let width = EXPLANATIONS.iter().map(|e| e.code.len()).max().unwrap_or(0);
    EXPLANATIONS
        .iter()
        .map(|e| format!("{:width$}  {}\n", e.code, e.summary()))
        .collect()
}
