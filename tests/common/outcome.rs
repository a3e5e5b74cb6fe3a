//! How a run ended, for tests that expect one ending: anything else fails
//! the test with what happened instead.

use flow::runtime::engine::{Finished, RunError, RunOutcome};
use serde_json::Value;

/// The output of a run that must have succeeded.
pub fn succeeded(finished: &Finished) -> &Value {
    match &finished.outcome {
        RunOutcome::Succeeded { output } => output,
        RunOutcome::Failed { error } => panic!("the run failed: {error}"),
        RunOutcome::Cancelled => panic!("the run was cancelled"),
        RunOutcome::Stopped { reason } => panic!("the run stopped: {reason}"),
        RunOutcome::Paused { questions } => panic!("the run paused: {questions:?}"),
    }
}

/// The error of a run that must have failed.
pub fn failed(finished: &Finished) -> &RunError {
    match &finished.outcome {
        RunOutcome::Failed { error } => error,
        RunOutcome::Succeeded { output } => panic!("the run succeeded with {output}"),
        RunOutcome::Cancelled => panic!("the run was cancelled"),
        RunOutcome::Stopped { reason } => panic!("the run stopped: {reason}"),
        RunOutcome::Paused { questions } => panic!("the run paused: {questions:?}"),
    }
}
