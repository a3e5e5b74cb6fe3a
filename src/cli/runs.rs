//! `flow runs`: the runs of the store, newest first.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::store_args::{StoreArgs, describe};
use super::{EXIT_USAGE, print_stderr, print_stdout};
use crate::runtime::engine::Timestamp;
use crate::runtime::store::{ListFilter, RunRow, RunStatus, now_ms};

/// List the runs of the run store, newest first
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
        flow runs                       the latest runs\n  \
        flow runs --status failed       only the failed ones\n  \
        flow runs --due                 what `flow resume --due` would continue\n  \
        flow runs --format json | jq -r '.[].id'")]
pub struct RunsArgs {
    /// Only runs with this status: running, paused, succeeded, failed or cancelled
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,

    /// Only runs of this workflow
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,

    /// Only runs with something to do that nobody is doing: a deadline or
    /// backoff that has passed, an answer recorded, or a process gone
    #[arg(long)]
    due: bool,

    /// At most this many runs
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: usize,

    /// A table for people, or JSON for programs
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Table)]
    format: Format,

    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

pub(super) fn run(args: &RunsArgs) -> Result<ExitCode, ExitCode> {
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&format!("error: {message}\n"))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let status = match args.status.as_deref().map(str::parse::<RunStatus>) {
        None => None,
        Some(Ok(status)) => Some(status),
        Some(Err(e)) => return usage(e.to_string()),
    };
    let store = match args.store.open_existing() {
        Ok(store) => store,
        Err(message) => return usage(message),
    };
    let filter = ListFilter {
        status,
        workflow: args.workflow.clone(),
        limit: Some(args.limit),
        ..ListFilter::default()
    };
    let listed = if args.due {
        store.list_due(&filter, now_ms())
    } else {
        store.list(&filter)
    };
    let rows = match listed {
        Ok(rows) => rows,
        Err(e) => return usage(describe(&e)),
    };
    let text = match args.format {
        Format::Json => match serde_json::to_string_pretty(&rows) {
            Ok(json) => format!("{json}\n"),
            Err(e) => return usage(format!("the runs could not be written as JSON: {e}")),
        },
        Format::Table => table(&rows),
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Columns padded to their widest cell.
fn table(rows: &[RunRow]) -> String {
    let mut cells = vec![[
        "RUN".to_owned(),
        "WORKFLOW".to_owned(),
        "STATUS".to_owned(),
        "STATE".to_owned(),
        "STARTED".to_owned(),
        "TOOK".to_owned(),
    ]];
    for row in rows {
        let took = row
            .ended_at
            .map(|end| took(end.saturating_sub(row.started_at)))
            .unwrap_or_default();
        cells.push([
            row.id.clone(),
            row.workflow.clone(),
            row.status.to_string(),
            row.current_state.clone().unwrap_or_default(),
            Timestamp(row.started_at).to_string().replace('T', " ")[..19].to_owned(),
            took,
        ]);
    }
    let mut widths = [0usize; 6];
    for line in &cells {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in &cells {
        let mut text = String::new();
        for (i, (cell, w)) in line.iter().zip(widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(&format!("{cell:<w$}"));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// `850ms`, `12.3s`, `4m05s`.
fn took(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000)
    }
}
