//! `flow run`: check a file, then run one of its workflows and print its
//! output, with a live trace on stderr or machine events on stdout.

mod live;
mod mock;
mod required_env;
mod stop;
pub(super) mod trace;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::checked::{self, Checked};
use super::store_args::{self, StoreArgs, describe, store_flag};
use super::{ColorChoice, EXIT_USAGE, print_stderr, print_stdout, stderr_width};
use crate::diagnostics::human::{HumanRenderer, Style};
use crate::ir::{Program, WorkflowId};
use crate::runtime::driver::durable::{self, Answer, DurableError, Source};
use crate::runtime::engine::{self, EventSink, Finished, RunOptions, RunOutcome, StartError};
use crate::runtime::executor::exec;
use crate::runtime::store::{Owner, RunRow, Store};
use stop::{Signals, Stop};
use trace::{Flush, NdjsonSink, TraceSink};

/// Run a workflow of a .flow file
#[derive(Debug, Args)]
#[command(
    long_about = "Run a workflow of a .flow file.\n\n\
        The file is checked first, as by `flow check`: errors stop it, warnings are printed \
        and the run goes on. The input (a JSON object of the workflow's parameters) is \
        validated against the workflow's parameters, then the workflow runs. Its output is \
        printed on stdout as one line of JSON; a trace of every attempt and transition goes \
        to stderr, with a spinner on the steps still running when stderr is a terminal. \
        With `--events ndjson`, stdout carries one JSON event per line instead.\n\n\
        The run is durable: it is recorded as it goes in the run store, `.flow/runs.db` \
        under the current directory (created with its directory on first use) unless \
        `--store PATH` or FLOW_STORE names another. A run stopped before its end (by a \
        crash, a kill or a full disk) goes on with `flow resume RUN`; `flow runs` lists \
        the runs. `--no-store` runs in memory only, recording nothing.\n\n\
        Paths in the file are relative to the file, as in `docker compose -f`: its programs \
        (`exec` workers and hook programs) run in the file's directory unless they set a \
        `cwd`, and a relative `cwd` starts from there, so `flow run other/dir/site.flow` \
        works from any directory. A file read from standard input (`-`) has its paths start \
        from the current directory. Paths on the command line (`--input @file`, \
        `--mock Worker=@file`) are relative to the current directory, as usual.\n\n\
        A mocked worker runs nothing (and a mocked `human` worker asks nobody): its \
        `before` hooks are skipped, and an output (`--mock Worker=@file.json`), checked \
        against the worker's output type, goes through its `after` hooks as a real output \
        would; `--mock Worker=fail:CLASS:MESSAGE` fails the call with that class instead. \
        Given several times for one worker, the outcomes are used one per call (a retry \
        is a call), in order, and the last repeats.\n\n\
        Exit status: 0 the run succeeded, 1 it failed (a `fail` state or an unhandled \
        failure; the message is on stderr), 2 the file did not check, the input was invalid \
        or the arguments are wrong, 130 the run was interrupted (Ctrl-C), 143 or 129 it was \
        stopped by SIGTERM or SIGHUP, in each case after every program it started was \
        stopped. However the run ends, `flow run` exits only once no program it started is \
        left running.\n\n\
        Environment: FLOW_STORE names the run store (as `--store` does); \
        NO_COLOR (when not empty) turns colours off under `--color auto`; \
        FLOW_TERM_WIDTH sets the width at which diagnostics are wrapped; \
        FLOW_TRACE_DURATIONS=0 leaves durations out of the trace (for reproducible output); \
        SSL_CERT_FILE names the certificate authorities to trust for `https://` services, \
        instead of the system's.",
    after_help = "Examples:\n  \
        flow run examples/hello.flow --input '{\"name\": \"Ada\"}'\n  \
        flow run site.flow --workflow build_website --input @goal.json\n  \
        flow run site.flow --mock Reviewer=@approve.json --input @goal.json\n  \
        flow run site.flow --mock Reviewer=@reject.json --mock Reviewer=@approve.json\n  \
        flow run site.flow --events ndjson | jq -c 'select(.event == \"transition\")'\n  \
        flow run examples/hello.flow --no-store --input '{\"name\": \"Ada\"}'"
)]
pub struct RunArgs {
    /// The .flow file (`-` for standard input)
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The workflow to run; may be left out when the file has only one
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,

    /// The input: a JSON object, or `@path` to read it from a file [default: {}]
    #[arg(long, value_name = "JSON")]
    input: Option<String>,

    /// Replace a worker by an output read from a JSON file (`Worker=@file.json`) or a
    /// failure (`Worker=fail:CLASS:MESSAGE`); repeated, one outcome per call
    #[arg(long, value_name = "WORKER=@FILE")]
    mock: Vec<String>,

    /// Print machine events on stdout instead of the output and the trace
    #[arg(long, value_enum, value_name = "FORMAT")]
    events: Option<EventsFormat>,

    #[command(flatten)]
    store: StoreArgs,

    /// Run in memory only: record nothing, in no store (not even FLOW_STORE's); the run
    /// cannot be resumed
    #[arg(long, conflicts_with = "store")]
    no_store: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum EventsFormat {
    /// One JSON object per line, for every event of the run
    Ndjson,
}

/// The run failed: a `fail` state or an unhandled failure.
const EXIT_FAILED: u8 = 1;
/// Exit status of a run that waits for a person.
pub(super) const EXIT_PAUSED: u8 = 3;

/// Whether `code` is the exit status of a run a signal stopped.
pub(super) fn stopped_by_signal(code: ExitCode) -> bool {
    Stop::ALL
        .iter()
        .any(|stop| code == ExitCode::from(stop.exit_status()))
}

pub(super) fn run(args: &RunArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let color = color.for_stderr();
    let renderer = HumanRenderer::new(Style {
        color,
        width: stderr_width(),
    });
    // Every problem before the run is a usage problem: printed, status 2.
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };

    let Some(Checked {
        program,
        base_dir,
        source,
        ..
    }) = checked::load(&renderer, &args.file)?
    else {
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    let workflow = match select_workflow(&program, args.workflow.as_deref()) {
        Ok(id) => id,
        Err(message) => return usage(message),
    };
    let input = match read_input(args.input.as_deref()) {
        Ok(input) => input,
        Err(message) => return usage(message),
    };
    let mocks = match mock::parse_all(&program, &args.mock) {
        Ok(mocks) => mocks,
        Err(message) => return usage(message),
    };
    if let Err(message) = required_env::check(&program, workflow, &mocks) {
        return usage(message);
    }
    // The file as a resumed run finds it: its absolute path.
    let path = match (&base_dir, args.file.file_name()) {
        (Some(dir), Some(name)) => dir.join(name).display().to_string(),
        _ => args.file.display().to_string(),
    };
    // Durable by default: `.flow/runs.db` under the current directory
    // unless `--store` or FLOW_STORE names another; `--no-store` runs in
    // memory. Opened only now, so that a run refused above leaves no store.
    let store = if args.no_store {
        None
    } else {
        match args.store.open_for_run() {
            Ok(store) => Some(store),
            Err(message) => return usage(message),
        }
    };
    let options = RunOptions {
        mocks: Arc::new(mocks),
        base_dir,
        ..RunOptions::default()
    };

    let job = Job::Start {
        input,
        durable: store.as_ref().map(|store| Durable {
            store,
            owner: Owner::this_process(),
            path: &path,
            source: &source,
        }),
    };
    execute(
        &renderer,
        color,
        args.events,
        &program,
        workflow,
        options,
        job,
    )
}

/// What to run: a new run, or one resumed from the store.
pub(super) enum Job<'a> {
    Start {
        input: Value,
        durable: Option<Durable<'a>>,
    },
    Resume {
        store: &'a Store,
        owner: Owner,
        row: &'a RunRow,
    },
    /// A paused run, given a person's answer first.
    Answer {
        store: &'a Store,
        owner: Owner,
        row: &'a RunRow,
        step: &'a str,
        answer: Answer,
    },
}

impl Job<'_> {
    fn store(&self) -> Option<&Store> {
        match self {
            Job::Start { durable, .. } => durable.as_ref().map(|d| d.store),
            Job::Resume { store, .. } | Job::Answer { store, .. } => Some(store),
        }
    }
}

/// Runs the job with the trace (or the events) on, until it ends or a
/// signal stops it; waits for every program it started to be gone; prints
/// the output or why it failed; gives the exit status.
pub(super) fn execute(
    renderer: &HumanRenderer,
    color: bool,
    events: Option<EventsFormat>,
    program: &Program,
    workflow: WorkflowId,
    options: RunOptions,
    job: Job<'_>,
) -> Result<ExitCode, ExitCode> {
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
        Ok(ExitCode::from(EXIT_USAGE))
    };
    let trace = events.is_none();
    let starting = matches!(job, Job::Start { .. });
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(message) => return usage(message),
    };
    // Before the run starts, so that no signal that stops a run ever finds
    // its default action in place; the handlers need the runtime's reactor.
    let signals = {
        let _entered = runtime.enter();
        Signals::install()
    };
    let resume = job.store().map(|store| store.path().to_path_buf());
    let ((ended, stop), lost) = if trace {
        let live = live_line(color);
        let ticker = live.clone().map(|live| runtime.spawn(live::ticker(live)));
        let sink = TraceSink::new(color, trace::durations_shown(), live.clone());
        let ended = runtime.block_on(trace::flushing(
            &sink,
            run_until_stopped(program, workflow, options, &sink, signals, job),
        ));
        if let Some(ticker) = ticker {
            ticker.abort();
        }
        if let Some(live) = live {
            live.clear();
        }
        (ended, sink.failure())
    } else {
        let sink = NdjsonSink::new();
        let ended = runtime.block_on(trace::flushing(
            &sink,
            run_until_stopped(program, workflow, options, &sink, signals, job),
        ));
        (ended, sink.failure())
    };
    // Tasks left behind by a cancelled run are dropped with the runtime,
    // before the teardown of their processes is awaited.
    drop(runtime);
    // However the run ended, what its programs left running is being torn
    // down by the reaper thread, which dies with this process: wait for it
    // (SIGKILL comes after the grace period), so that nothing outlives
    // `flow`.
    let clean = exec::wait_for_teardowns(exec::GRACE + Duration::from_secs(1));

    match ended {
        Ok(finished) => {
            // A run stopped by its events says so itself; one that ended
            // before its last events could be written must say it too, or
            // a reader of the events would take them for the whole run.
            let lost = lost.filter(|_| !matches!(finished.outcome, RunOutcome::Stopped { .. }));
            let run_id = finished.state.run_id.clone();
            let code = finish(
                renderer,
                program,
                trace,
                finished,
                stop,
                clean,
                resume.as_deref(),
            )?;
            let Some(lost) = lost else {
                return Ok(code);
            };
            let logs = match &resume {
                Some(store) => format!(
                    "\n  = help: `flow logs {run_id} --events ndjson{}` shows every event",
                    store_flag(store)
                ),
                None => String::new(),
            };
            print_stderr(&renderer.render_error(format!(
                "run {run_id} ended, but its last events could not be written to {}: {}{logs}",
                lost.destination, lost.reason
            )))?;
            Ok(ExitCode::from(EXIT_FAILED))
        }
        Err(NotRun::Start(error)) => usage(start_error(program, workflow, &error)),
        Err(NotRun::Durable(DurableError::Store(error))) if starting => {
            usage(store_args::or_in_memory(&error))
        }
        Err(NotRun::Durable(DurableError::Store(error))) => usage(describe(&error)),
        Err(NotRun::Durable(error)) => usage(error.to_string()),
    }
}

/// Where a durable run is recorded.
pub(super) struct Durable<'a> {
    pub store: &'a Store,
    pub owner: Owner,
    pub path: &'a str,
    pub source: &'a str,
}

/// Why a run did not start (or, from a store, could not go on).
pub(super) enum NotRun {
    Start(StartError),
    Durable(DurableError),
}

/// The live line with a spinner under the trace, when stderr is a terminal
/// that can draw it (not `TERM=dumb`).
fn live_line(color: bool) -> Option<Arc<live::Live>> {
    let terminal = std::io::stderr().is_terminal()
        && std::env::var_os("TERM").is_none_or(|term| term != "dumb");
    terminal.then(|| {
        Arc::new(live::Live::new(
            Box::new(std::io::stderr()),
            color,
            stderr_width(),
        ))
    })
}

/// The workflow named by `--workflow`, or the only one of the file.
fn select_workflow(program: &Program, name: Option<&str>) -> Result<WorkflowId, String> {
    let names: Vec<&str> = program.workflows.iter().map(|w| w.name.as_str()).collect();
    let index = match name {
        Some(name) => names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| checked::no_such_workflow(name, &names))?,
        None => match names.len() {
            0 => return Err("the file has no workflow to run".into()),
            1 => 0,
            _ => {
                return Err(format!(
                    "the file has several workflows; choose one with `--workflow NAME`: {}",
                    checked::listed(&names)
                ));
            }
        },
    };
    let index = u32::try_from(index).map_err(|_| "too many workflows".to_string())?;
    Ok(WorkflowId(index))
}

/// The input object: `--input JSON`, `--input @path`, or `{}`.
fn read_input(arg: Option<&str>) -> Result<Value, String> {
    let Some(arg) = arg else {
        return Ok(Value::Object(serde_json::Map::new()));
    };
    let (text, origin) = match arg.strip_prefix('@') {
        Some(path) => (
            checked::read_text(Path::new(path), "the input file")?,
            format!("the input file `{path}`"),
        ),
        None => (arg.to_owned(), "`--input`".to_owned()),
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{origin} is not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err(format!(
            "{origin} must be a JSON object of the workflow's parameters by name, such as \
             {{\"name\": \"Ada\"}}; found {}",
            json_kind(&value)
        ));
    }
    Ok(value)
}

/// The kind of a JSON value, for messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Runs the workflow until it finishes or SIGINT, SIGTERM or SIGHUP
/// arrives; then the engine drops the calls under way, which stops every
/// program they started, and ends the run with a `run_cancelled` event.
/// The signal that stopped the run comes with it.
async fn run_until_stopped<S: EventSink>(
    program: &Program,
    workflow: WorkflowId,
    options: RunOptions,
    sink: &S,
    mut signals: Signals,
    job: Job<'_>,
) -> (Result<Finished, NotRun>, Option<Stop>) {
    let mut stop = None;
    let stopped = async {
        stop = Some(signals.first().await);
    };
    let not_run = |e| match e {
        DurableError::Start(e) => NotRun::Start(e),
        other => NotRun::Durable(other),
    };
    let ended = match job {
        Job::Resume { store, owner, row } => durable::resume(
            store, &owner, row, program, workflow, options, sink, stopped,
        )
        .await
        .map_err(not_run),
        Job::Answer {
            store,
            owner,
            row,
            step,
            answer,
        } => durable::answer(
            store, &owner, row, program, workflow, step, answer, options, sink, stopped,
        )
        .await
        .map_err(not_run),
        Job::Start {
            input,
            durable: None,
        } => engine::run_until(program, workflow, input, options, sink, stopped)
            .await
            .map_err(NotRun::Start),
        Job::Start {
            input,
            durable: Some(d),
        } => {
            let source = Source {
                path: d.path,
                text: d.source,
            };
            durable::start(
                d.store, &d.owner, program, workflow, source, input, options, sink, stopped,
            )
            .await
            .map_err(not_run)
        }
    };
    (ended, stop)
}

/// Why the run could not start, with what the workflow expects when the
/// input was wrong.
fn start_error(program: &Program, workflow: WorkflowId, error: &StartError) -> String {
    let mut message = match error {
        StartError::InvalidInput { .. } => format!("invalid input: {error}"),
        _ => error.to_string(),
    };
    if let (StartError::InvalidInput { .. }, Some(wf)) =
        (error, program.workflows.get(workflow.0 as usize))
    {
        let params: Vec<String> = wf
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, program.types.show(p.ty)))
            .collect();
        message.push_str(&format!(
            "\n  = help: workflow `{}` takes {{ {} }}",
            wf.name,
            params.join(", ")
        ));
    }
    message
}

/// Prints the output (unless events were asked for, which carry it) or the
/// failure, and gives the exit status.
/// `clean` says whether every program the run started is gone.
#[allow(clippy::too_many_arguments)]
fn finish(
    renderer: &HumanRenderer,
    program: &Program,
    trace: bool,
    finished: Finished,
    stop: Option<Stop>,
    clean: bool,
    store: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    let leftovers = || {
        let message = "some programs the run started were still running after SIGKILL \
                       (stuck in the kernel?); look for them with `ps -e -o pid,pgid,stat,args`";
        print_stderr(&renderer.render_error(message))
    };
    match finished.outcome {
        RunOutcome::Succeeded { output } => {
            if !clean {
                leftovers()?;
            }
            if trace {
                print_stdout(&format!("{output}\n"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        RunOutcome::Cancelled if stop.is_none() && store.is_some() => {
            // No signal: `flow cancel`, seen at a heartbeat.
            print_stderr(&renderer.render_error(format!(
                "run {} was cancelled by `flow cancel`",
                finished.state.run_id
            )))?;
            Ok(ExitCode::from(EXIT_FAILED))
        }
        RunOutcome::Cancelled => {
            // Only a signal cancels a run of `flow run` without a store.
            let stop = stop.unwrap_or(Stop::Interrupt);
            let what = stop.what();
            let message = if clean {
                format!("{what}: the run was cancelled and every program it started was stopped")
            } else {
                format!(
                    "{what}: the run was cancelled, but some programs it started may still be running"
                )
            };
            print_stderr(&renderer.render_error(message))?;
            Ok(ExitCode::from(stop.exit_status()))
        }
        RunOutcome::Failed { error } => {
            if !clean {
                leftovers()?;
            }
            print_stderr(&renderer.render_error(format!("the run failed: {error}")))?;
            Ok(ExitCode::from(EXIT_FAILED))
        }
        RunOutcome::Paused { questions } => {
            let run = &finished.state.run_id;
            let flag = store.map_or_else(String::new, store_flag);
            for q in &questions {
                let expects = program.workers.get(q.worker.0 as usize).map_or_else(
                    || "?".to_owned(),
                    |w| program.types.show(w.output).to_string(),
                );
                let due = q.deadline.map_or_else(String::new, |d| {
                    format!(" (due {})", crate::runtime::engine::Timestamp(d))
                });
                print_stderr(&format!(
                    "paused: run {run} waits for a person at `{step}`{due}\n  \
                     = help: answer with `flow approve {short} {step}{flag} --output '<JSON>'`, \
                     a value of type `{expects}`\n  \
                     = help: or refuse with `flow reject {short} {step}{flag} --reason '<TEXT>'`\n",
                    step = q.step,
                    short = run,
                ))?;
            }
            Ok(ExitCode::from(EXIT_PAUSED))
        }
        RunOutcome::Stopped { reason } => {
            let run = &finished.state.run_id;
            // After a signal there is nothing to put right first.
            let mend = if stop.is_some() {
                ""
            } else {
                "once that is put right, "
            };
            let resume = match store {
                Some(store) => format!(
                    "\n  = help: what it did is kept; {mend}go on with `flow resume {run}{}`",
                    store_flag(store)
                ),
                None => String::new(),
            };
            // A signal lets a durable run go, to be resumed; the exit
            // status says which signal, as for a run without a store.
            if let Some(stop) = stop {
                let what = stop.what();
                let programs = if clean {
                    "every program it started was stopped"
                } else {
                    "some programs it started may still be running"
                };
                print_stderr(&renderer.render_error(format!(
                    "{what}: run {run} was stopped before its end and {programs}{resume}"
                )))?;
                return Ok(ExitCode::from(stop.exit_status()));
            }
            print_stderr(&renderer.render_error(format!(
                "run {run} stopped before its end: {reason}{resume}"
            )))?;
            Ok(ExitCode::from(EXIT_FAILED))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_must_be_json_objects() {
        assert_eq!(read_input(None), Ok(serde_json::json!({})));
        assert!(read_input(Some("[1]")).is_err_and(|m| m.contains("found an array")));
        assert!(read_input(Some("{")).is_err_and(|m| m.contains("not valid JSON")));
        assert!(
            read_input(Some("@/nonexistent/input.json"))
                .is_err_and(|m| m.contains("`/nonexistent/input.json`"))
        );
    }

    #[test]
    fn misspelt_names_find_their_neighbour() {
        assert_eq!(
            checked::did_you_mean("helo", &["hello", "review"]),
            Some("hello")
        );
        assert_eq!(checked::did_you_mean("zzz", &["hello", "review"]), None);
    }
}
