//! `flow logs`: a run's trace (or its events) replayed from its journal,
//! and with `--follow`, tailed while another process drives it.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::run::EventsFormat;
use super::run::trace::{self, Flush, NdjsonSink, TraceSink};
use super::store_args::{self, StoreArgs};
use super::stored::{self, Diagnostics, StoredRun};
use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout};
use crate::runtime::driver::history::History;
use crate::runtime::engine::{Event, EventSink, RunOutcome};
use crate::runtime::executor::llm::ProcessEnvironment;
use crate::runtime::store::{RunStatus, now_ms};

/// How often `--follow` reads the journal.
const POLL: Duration = Duration::from_millis(150);

/// Show the trace or the events of a run of the run store
#[derive(Debug, Args)]
#[command(
    long_about = "Show the trace or the events of a run of the run store.\n\n\
        The run's journal is replayed on the source it started from, and its trace is printed \
        on stdout as `flow run` prints it on stderr (set FLOW_TRACE_DURATIONS=0 to leave the \
        durations out); with `--events ndjson`, its events are printed instead, one JSON \
        object per line, the very events `flow run --events ndjson` printed: the same \
        numbers, times and text. Secrets are masked as `flow run` masked them: the values \
        its `env(\"NAME\")` settings read are taken from the environment of `flow logs`, so \
        give it the same variables. `--color` applies to the trace on stdout. Nothing runs \
        and nothing is written.\n\n\
        With `--follow`, the journal is read again every 150 ms and the new events are \
        printed as the process driving the run commits them. It ends when the run ends, or \
        when no process drives it any more (it was stopped, or its process was killed; \
        `flow resume RUN` continues it), or on Ctrl-C.\n\n\
        Exit status: 0 shown, 2 no such run (or no store) or the arguments are wrong.",
    after_help = "Examples:\n  \
        flow logs 3f9a2c                          the trace of a run\n  \
        flow logs 3f9a2c --follow                 and what it does next, as it does it\n  \
        flow logs 3f9a2c --events ndjson | jq -c 'select(.event == \"transition\")'"
)]
pub struct LogsArgs {
    /// The run's id, or any unique prefix of it
    #[arg(value_name = "RUN")]
    run: String,

    /// Keep printing what the run does until it ends or nobody drives it
    #[arg(long, short = 'f')]
    follow: bool,

    /// Print machine events instead of the trace
    #[arg(long, value_enum, value_name = "FORMAT")]
    events: Option<EventsFormat>,

    #[command(flatten)]
    store: StoreArgs,
}

pub(super) fn run(args: &LogsArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let renderer = super::stderr_renderer(color);
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let stored = match stored::load(&args.store, &args.run, &renderer, Diagnostics::Quiet)? {
        Ok(stored) => stored,
        Err(message) => return usage(message),
    };
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(message) => return usage(message),
    };
    let shown = match args.events {
        None => {
            let sink = TraceSink::on_stdout(color.for_stdout(), trace::durations_shown());
            runtime.block_on(show(&stored, &sink, args.follow))
        }
        Some(EventsFormat::Ndjson) => {
            let sink = NdjsonSink::new();
            runtime.block_on(show(&stored, &sink, args.follow))
        }
    };
    let end = match shown {
        Ok(end) => end,
        Err(message) => return usage(message),
    };
    if args.events.is_none() {
        if let Some(line) = end.last_line() {
            print_stdout(&format!("{line}\n"))?;
        }
    }
    if let End::Undriven(status) = end {
        let id = &stored.row.id;
        let store = stored.store.path().display();
        let message = match status {
            RunStatus::Paused => format!("run {id} is paused, and no process drives it"),
            _ => format!("no process drives run {id} any more (its process stopped)"),
        };
        print_stderr(&format!(
            "{message}; `flow resume {id} --store {store}` continues it\n"
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the history shown stops.
enum End {
    /// The journal says how the run ended.
    Ended(RunOutcome),
    /// The run's row says it ended, and its journal does not: a run nobody
    /// drove was cancelled by `flow cancel`.
    Recorded(RunStatus),
    /// The run has not ended (without `--follow`, all there is to show).
    Going,
    /// `--follow` stopped: no process drives the run.
    Undriven(RunStatus),
}

impl End {
    /// The trace's last line about how the run ended, which `flow run`
    /// prints on stderr after the trace instead.
    fn last_line(&self) -> Option<String> {
        match self {
            End::Ended(RunOutcome::Failed { error }) => Some(format!("run failed: {error}")),
            End::Ended(RunOutcome::Cancelled) | End::Recorded(RunStatus::Cancelled) => {
                Some("run cancelled".to_owned())
            }
            End::Ended(RunOutcome::Stopped { reason }) => Some(format!("run stopped: {reason}")),
            _ => None,
        }
    }
}

/// Prints the history of the run and, when following, what comes next.
async fn show<S: EventSink + Flush>(
    stored: &StoredRun,
    sink: &S,
    follow: bool,
) -> Result<End, String> {
    let StoredRun {
        store,
        row,
        program,
        workflow,
        ..
    } = stored;
    let journal_error = |e: &dyn std::fmt::Display| {
        format!(
            "the journal of run {} in `{}` could not be read: {e}",
            row.id,
            store.path().display()
        )
    };
    // A run is recorded a moment before its setup entry; a follower that
    // comes in between waits for it.
    let mut entries = store
        .journal(row.key, None)
        .map_err(|e| journal_error(&e))?;
    let mut status = row.status;
    while entries.is_empty() {
        let now_row = store.run(row.key).map_err(|e| store_args::describe(&e))?;
        status = now_row.status;
        if !follow || status.is_final() || !now_row.is_driven(now_ms()) {
            return Ok(if status.is_final() {
                End::Recorded(status)
            } else if follow {
                End::Undriven(status)
            } else {
                End::Going
            });
        }
        tokio::time::sleep(POLL).await;
        entries = store
            .journal(row.key, None)
            .map_err(|e| journal_error(&e))?;
    }
    let env = ProcessEnvironment;
    let (mut history, events) = History::new(program, *workflow, &row.id, &entries, now_ms(), &env)
        .map_err(|e| journal_error(&e))?;
    emit_all(sink, events).await?;
    loop {
        if let Some(outcome) = history.ended() {
            return Ok(End::Ended(outcome.clone()));
        }
        if !follow {
            return Ok(if status.is_final() {
                End::Recorded(status)
            } else {
                End::Going
            });
        }
        tokio::time::sleep(POLL).await;
        // The row before the journal: a driver commits its last entry before
        // it lets the run go, so a journal read after a row that says nobody
        // drives the run has every entry there will be.
        let now_row = store.run(row.key).map_err(|e| store_args::describe(&e))?;
        status = now_row.status;
        let driven = now_row.is_driven(now_ms());
        let entries = store
            .journal(row.key, Some(history.last_seq()))
            .map_err(|e| journal_error(&e))?;
        let events = history.feed(&entries).map_err(|e| journal_error(&e))?;
        emit_all(sink, events).await?;
        if history.ended().is_none() {
            if status.is_final() {
                return Ok(End::Recorded(status));
            }
            if !driven {
                return Ok(End::Undriven(status));
            }
        }
    }
}

/// Shows `events`; a sink that cannot write them ends the command, as a
/// reader of its output that went away (`| head`) should.
async fn emit_all<S: EventSink + Flush>(sink: &S, events: Vec<Event>) -> Result<(), String> {
    for event in events {
        sink.emit(event).await.map_err(|e| e.to_string())?;
    }
    sink.flush();
    match sink.failure() {
        Some(error) => Err(error.to_string()),
        None => Ok(()),
    }
}
