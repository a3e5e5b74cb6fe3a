//! `flow status`: where one run of the store is, from its row and a replay
//! of its journal.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;

use super::store_args::StoreArgs;
use super::stored::{self, Diagnostics, StoredRun};
use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout};
use crate::runtime::driver::durable;
use crate::runtime::engine::{Event, EventKind, Timestamp};
use crate::runtime::machine::Command;
use crate::runtime::store::{RunStatus, now_ms};

/// Show where a run of the run store is
#[derive(Debug, Args)]
#[command(
    long_about = "Show where a run of the run store is.\n\n\
        Its status and the state it is in, when it started and last changed, the file it \
        started from, how many times each state was entered, the attempts of its current \
        (or last) call, the questions its `human` steps wait on, and its output or error once \
        it has ended. A run whose status is `running` but that no process drives any more \
        (its process was killed) says so: `flow resume RUN` continues it.\n\n\
        The journal is replayed on the source the run started from, as `flow resume` does, \
        so nothing runs and nothing is written.\n\n\
        Exit status: 0 shown, 2 no such run (or no store) or the arguments are wrong.",
    after_help = "Examples:\n  \
        flow status 3f9a2c                   a run by any unique prefix of its id\n  \
        flow status 3f9a2c --format json | jq .status"
)]
pub struct StatusArgs {
    /// The run's id, or any unique prefix of it
    #[arg(value_name = "RUN")]
    run: String,

    /// Lines for people, or JSON for programs
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Human)]
    format: Format,

    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

/// The JSON form of `flow status` (documented in docs/durable.md).
#[derive(Debug, Serialize)]
struct Status {
    id: String,
    workflow: String,
    status: RunStatus,
    /// Whether a process drives the run now.
    driven: bool,
    /// Who holds its lease, while one does.
    owner: Option<String>,
    current_state: Option<String>,
    started_at: Timestamp,
    updated_at: Timestamp,
    ended_at: Option<Timestamp>,
    source: String,
    store: String,
    visits: Vec<Visits>,
    call: Option<Call>,
    questions: Vec<Question>,
    output: Option<Value>,
    error: Option<Value>,
    /// Why the journal could not be replayed, when it could not; the row's
    /// fields are still shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    journal_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Visits {
    state: String,
    visits: u32,
}

/// The current or last call of a step.
#[derive(Debug, Serialize)]
struct Call {
    step: String,
    attempt: u32,
    /// `under_way`, `retrying`, `succeeded`, `failed`, `interrupted` or
    /// `cancelled`.
    status: &'static str,
    /// While `retrying`: the most attempts the call makes.
    #[serde(skip_serializing_if = "Option::is_none")]
    max_attempts: Option<u32>,
}

#[derive(Debug, Serialize)]
struct Question {
    step: String,
    attempt: u32,
    deadline: Option<Timestamp>,
}

pub(super) fn run(args: &StatusArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let renderer = super::stderr_renderer(color);
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let stored = match stored::load(&args.store, &args.run, &renderer, Diagnostics::Quiet)? {
        Ok(stored) => stored,
        Err(message) => return usage(message),
    };
    let status = status(&stored);
    let text = match args.format {
        Format::Json => match serde_json::to_string_pretty(&status) {
            Ok(json) => format!("{json}\n"),
            Err(e) => return usage(format!("the status could not be written as JSON: {e}")),
        },
        Format::Human => human(&status),
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The status of the run: its row, and what the replay of its journal says.
fn status(stored: &StoredRun) -> Status {
    let row = &stored.row;
    let now = now_ms();
    let outcome = row
        .outcome_json
        .as_deref()
        .and_then(|json| serde_json::from_str::<Value>(json).ok());
    let (output, error) = match row.status {
        RunStatus::Succeeded => (outcome, None),
        RunStatus::Failed | RunStatus::Cancelled => (None, outcome),
        RunStatus::Running | RunStatus::Paused => (None, None),
    };
    let mut status = Status {
        id: row.id.clone(),
        workflow: row.workflow.clone(),
        status: row.status,
        driven: row.is_driven(now),
        owner: row.owner.clone(),
        current_state: row.current_state.clone(),
        started_at: Timestamp(row.started_at),
        updated_at: Timestamp(row.updated_at),
        ended_at: row.ended_at.map(Timestamp),
        source: row.path.clone(),
        store: stored.store.path().display().to_string(),
        visits: Vec::new(),
        call: None,
        questions: Vec::new(),
        output,
        error,
        journal_error: None,
    };
    let replayed = stored
        .store
        .journal(row.key, None)
        .map_err(|e| e.to_string())
        .and_then(|entries| {
            if entries.is_empty() {
                // Recorded, and stopped before its setup was: nothing ran.
                return Err(String::new());
            }
            durable::replay(&stored.program, stored.workflow, &row.id, &entries, now)
                .map_err(|e| e.to_string())
        });
    let replayed = match replayed {
        Ok(replayed) => replayed,
        Err(reason) => {
            status.journal_error = Some(reason).filter(|r| !r.is_empty());
            return status;
        }
    };
    let run = &replayed.machine.state().run;
    let workflow = replayed.machine.workflow();
    status.visits = workflow
        .states
        .iter()
        .zip(&run.visits)
        .filter(|(_, visits)| **visits > 0)
        .map(|(state, visits)| Visits {
            state: state.name.clone(),
            visits: *visits,
        })
        .collect();
    status.call = last_call(&replayed.events);
    status.questions = replayed
        .resumed
        .commands
        .iter()
        .filter_map(|command| match command {
            Command::AskHuman(q) => Some(Question {
                step: q.step.to_string(),
                attempt: q.attempt,
                deadline: q.deadline.map(Timestamp),
            }),
            _ => None,
        })
        .collect();
    status
}

/// The call the last event about an attempt was about, and where it is.
fn last_call(events: &[Event]) -> Option<Call> {
    let mut call = None;
    for event in events {
        let (Some(step), Some(attempt)) = (event.step(), event.attempt()) else {
            continue;
        };
        let (status, max_attempts) = match event.kind() {
            EventKind::StepStarted => ("under_way", None),
            EventKind::AttemptFailed => ("failed", None),
            EventKind::RetryScheduled => ("retrying", event.retry().map(|(_, max)| max)),
            EventKind::StepSucceeded => ("succeeded", None),
            EventKind::StepFailed => ("failed", None),
            EventKind::AttemptInterrupted => ("interrupted", None),
            EventKind::StepCancelled => ("cancelled", None),
            _ => continue,
        };
        call = Some(Call {
            step: step.to_string(),
            attempt,
            status,
            max_attempts,
        });
    }
    call
}

/// The status for people: a heading, then one field per line.
fn human(status: &Status) -> String {
    let mut out = format!(
        "run {} of workflow `{}`: {}",
        status.id, status.workflow, status.status
    );
    if let Some(state) = &status.current_state {
        out.push_str(&format!(", at `{state}`"));
    }
    out.push('\n');
    let mut field = |name: &str, value: String| {
        out.push_str(&format!("  {:<9}{value}\n", format!("{name}:")));
    };
    if !status.status.is_final() {
        let driver = match (&status.owner, status.driven) {
            (Some(owner), true) => format!("process {owner}"),
            _ => format!(
                "nobody (its process stopped); `flow resume {}` continues it",
                short(&status.id)
            ),
        };
        field("driven", driver);
    }
    field("started", show_time(status.started_at));
    field("updated", show_time(status.updated_at));
    if let Some(ended) = status.ended_at {
        field("ended", show_time(ended));
    }
    field("source", status.source.clone());
    field("store", status.store.clone());
    if let Some(call) = &status.call {
        let what = match (call.status, call.max_attempts) {
            ("retrying", Some(max)) => format!("waiting to retry (of {max} attempts)"),
            ("under_way", _) if !status.driven && !status.status.is_final() => {
                "under way when its process stopped".to_owned()
            }
            ("under_way", _) => "under way".to_owned(),
            (other, _) => other.to_owned(),
        };
        field(
            "call",
            format!("`{}`, attempt {}, {what}", call.step, call.attempt),
        );
    }
    if let Some(reason) = &status.journal_error {
        field("journal", format!("not replayed: {reason}"));
    }
    if !status.visits.is_empty() {
        out.push_str("visits:\n");
        let width = status
            .visits
            .iter()
            .map(|v| v.state.chars().count())
            .max()
            .unwrap_or(0);
        for v in &status.visits {
            out.push_str(&format!("  {:<width$}  {}\n", v.state, v.visits));
        }
    }
    if !status.questions.is_empty() {
        out.push_str("waiting for a person:\n");
        for q in &status.questions {
            let due = q
                .deadline
                .map_or_else(String::new, |d| format!(", answer due {}", show_time(d)));
            out.push_str(&format!("  `{}` (attempt {}){due}\n", q.step, q.attempt));
        }
    }
    if let Some(output) = &status.output {
        out.push_str(&format!("output:\n  {output}\n"));
    }
    if let Some(error) = &status.error {
        let text = serde_json::from_value::<crate::runtime::engine::RunError>(error.clone())
            .map_or_else(|_| error.to_string(), |e| e.to_string());
        out.push_str(&format!("error:\n  {text}\n"));
    }
    out
}

/// `2026-12-03 13:29:02.123 UTC`.
fn show_time(at: Timestamp) -> String {
    let text = at.to_string();
    format!("{} UTC", text.replace('T', " ").trim_end_matches('Z'))
}

/// The first eight digits of a run id: enough to name it in a hint.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
