//! `flow cancel`: ask a run of the store to stop for good.

use std::process::ExitCode;

use clap::Args;

use super::store_args::{StoreArgs, describe};
use super::{EXIT_USAGE, print_stderr};
use crate::runtime::store::{RunStatus, now_ms};

/// Cancel a run of the run store
#[derive(Debug, Args)]
#[command(long_about = "Cancel a run of the run store.\n\n\
        A run that a process is driving is asked to stop: that process sees the request \
        at its next heartbeat (within about a second), stops the calls under way, kills \
        their programs and records the run as cancelled. A run that nobody drives (its \
        process was killed) is recorded as cancelled at once. A cancelled run cannot be \
        resumed.")]
pub struct CancelArgs {
    /// The run's id, or any unique prefix of it
    #[arg(value_name = "RUN")]
    run: String,

    #[command(flatten)]
    store: StoreArgs,
}

pub(super) fn run(args: &CancelArgs) -> Result<ExitCode, ExitCode> {
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&format!("error: {message}\n"))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let store = match args.store.open_existing() {
        Ok(store) => store,
        Err(message) => return usage(message),
    };
    let row = match store.resolve(&args.run) {
        Ok(row) => row,
        Err(e) => return usage(describe(&e)),
    };
    if row.status.is_final() {
        return usage(format!("run {} has already {}", row.id, row.status));
    }
    if let Err(e) = store.request_cancel(row.key) {
        return usage(describe(&e));
    }
    // Nobody drives a run whose lease is free or stale: it ends here.
    let owner = crate::runtime::store::Owner::from_id(format!("cancel-{}", std::process::id()));
    match store.acquire(row.key, &owner, now_ms()) {
        Ok(lease) => {
            let ended = store.set_status(row.key, RunStatus::Cancelled, None, now_ms());
            let _ = store.release(&lease);
            if let Err(e) = ended {
                return usage(describe(&e));
            }
            print_stderr(&format!("run {} is cancelled\n", row.id))?;
        }
        Err(_) => {
            print_stderr(&format!(
                "run {} is asked to stop; the process driving it stops it within a second\n",
                row.id
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
