//! `flow prune`: delete the runs of the store that ended long enough ago.

use std::process::ExitCode;

use clap::Args;

use super::store_args::{self, StoreArgs};

use super::{EXIT_USAGE, print_stderr, print_stdout};
use crate::runtime::engine::Timestamp;
use crate::runtime::store::{RunStatus, now_ms};

/// Delete the runs of the run store that ended long ago
#[derive(Debug, Args)]
#[command(
    long_about = "Delete the runs of the run store that ended long ago.\n\n\
        Runs that succeeded, failed or were cancelled more than DURATION ago are deleted with \
        their journals (and the sources no run left refers to). A run that is running or \
        paused is never deleted, however old: it may still go on (`flow cancel RUN` ends \
        one, and it can be pruned once it is old enough). `--dry-run` lists the runs that \
        would go, on stdout, and deletes nothing.\n\n\
        Exit status: 0 done (whether or not any run matched), 2 the arguments are wrong or \
        the store cannot be used.",
    after_help = "Examples:\n  \
        flow prune --older-than 30d                    runs that ended more than 30 days ago\n  \
        flow prune --older-than 12h --status failed    only failed ones\n  \
        flow prune --older-than 90m --dry-run          what would go"
)]
pub struct PruneArgs {
    /// How long ago a run must have ended: a number and a unit, `30d`, `12h`, `90m` or `45s`
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    older_than: u64,

    /// Only runs with this status: succeeded, failed or cancelled (repeatable) [default: all three]
    #[arg(long, value_name = "STATUS")]
    status: Vec<String>,

    /// List the runs that would be deleted, and delete nothing
    #[arg(long)]
    dry_run: bool,

    #[command(flatten)]
    store: StoreArgs,
}

/// A duration in milliseconds, from `30d`, `12h`, `90m` or `45s`.
fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration; give a number and a unit: `30d` (days), `12h` (hours), \
             `90m` (minutes) or `45s` (seconds)"
        )
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let unit_ms: u64 = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => return Err(bad()),
    };
    number.checked_mul(unit_ms).ok_or_else(bad)
}

pub(super) fn run(args: &PruneArgs) -> Result<ExitCode, ExitCode> {
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&format!("error: {message}\n"))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let mut statuses: Vec<RunStatus> = Vec::new();
    for given in &args.status {
        let status = match given.parse::<RunStatus>() {
            Ok(status) => status,
            Err(e) => return usage(e.to_string()),
        };
        if !status.is_final() {
            return usage(format!(
                "{status} runs are never pruned: they may still go on; `flow cancel RUN` ends \
                 one, and `--status` takes succeeded, failed or cancelled"
            ));
        }
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }
    let store = match args.store.open_existing() {
        Ok(store) => store,
        Err(message) => return usage(message),
    };
    let before = now_ms().saturating_sub(args.older_than);
    // `None` prunes every ended run; each status given prunes its own.
    let asked: Vec<Option<RunStatus>> = if statuses.is_empty() {
        vec![None]
    } else {
        statuses.iter().copied().map(Some).collect()
    };
    let which = if statuses.is_empty() {
        "succeeded, failed or cancelled".to_owned()
    } else {
        statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let cutoff = Timestamp(before).to_string().replace('T', " ");
    let cutoff = format!("{} UTC", cutoff.trim_end_matches('Z'));
    let path = store.path().display().to_string();
    if args.dry_run {
        let mut ids = Vec::new();
        for status in asked {
            match store.prunable(before, status) {
                Ok(rows) => ids.extend(rows.into_iter().map(|row| row.id)),
                Err(e) => return usage(store_args::describe(&e)),
            }
        }
        let listed: String = ids.iter().map(|id| format!("{id}\n")).collect();
        print_stdout(&listed)?;
        print_stderr(&format!(
            "{} ({which}, ended before {cutoff}) would be removed from `{path}`; nothing was \
             removed\n",
            runs(ids.len())
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut removed = 0;
    for status in asked {
        match store.prune(before, status) {
            Ok(n) => removed += n,
            Err(e) => return usage(store_args::describe(&e)),
        }
    }
    print_stderr(&format!(
        "removed {} ({which}, ended before {cutoff}) from `{path}`\n",
        runs(removed)
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `1 run`, `3 runs`.
fn runs(n: usize) -> String {
    if n == 1 {
        "1 run".to_owned()
    } else {
        format!("{n} runs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_one_unit() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_duration("12h"), Ok(12 * 3_600_000));
        assert_eq!(parse_duration("90m"), Ok(90 * 60_000));
        assert_eq!(parse_duration("45s"), Ok(45_000));
        assert_eq!(parse_duration("0s"), Ok(0));
        for bad in ["", "30", "d", "3w", "1h30m", "-1d", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
