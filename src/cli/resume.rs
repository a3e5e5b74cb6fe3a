//! `flow resume`: continue a run from the store, on the source it started
//! from.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::checked;
use super::run::{EventsFormat, Job, execute};
use super::store_args::{StoreArgs, describe};
use super::{ColorChoice, EXIT_USAGE, print_stderr, stderr_width};
use crate::diagnostics::human::{HumanRenderer, Style};
use crate::ir::WorkflowId;
use crate::runtime::engine::RunOptions;
use crate::runtime::store::Owner;

/// Continue a run that was stopped, from the run store
#[derive(Debug, Args)]
#[command(
    long_about = "Continue a run that was stopped, from the run store.\n\n\
        The run goes on from its journal: a step that ended is never run again, and an \
        attempt that was under way when its process stopped runs again as a new attempt \
        with the same idempotency key (FLOW_IDEMPOTENCY_KEY, the Idempotency-Key header), \
        so a worker that honours the key acts once. A backoff that was running ends when \
        it was due. The run goes on with the source it started from, even if the file \
        changed since; `flow resume` says so when it did.\n\n\
        Exit status: as for `flow run`.",
    after_help = "Examples:\n  \
        flow resume 3f9a2c              a run by any unique prefix of its id\n  \
        flow resume 3f9a2c --store /var/flow/runs.db"
)]
pub struct ResumeArgs {
    /// The run's id, or any unique prefix of it
    #[arg(value_name = "RUN")]
    run: String,

    /// Print machine events on stdout instead of the output and the trace
    #[arg(long, value_enum, value_name = "FORMAT")]
    events: Option<EventsFormat>,

    #[command(flatten)]
    store: StoreArgs,
}

pub(super) fn run(args: &ResumeArgs, color: ColorChoice) -> Result<ExitCode, ExitCode> {
    let color = color.for_stderr();
    let renderer = HumanRenderer::new(Style {
        color,
        width: stderr_width(),
    });
    let usage = |message: String| -> Result<ExitCode, ExitCode> {
        print_stderr(&renderer.render_error(message))?;
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
    let source = match store.source(row.key) {
        Ok((text, _)) => text,
        Err(e) => return usage(describe(&e)),
    };
    if row.path != "-"
        && let Ok(now) = std::fs::read_to_string(&row.path)
        && now != source
    {
        print_stderr(&renderer.render_warning(format!(
            "`{}` changed since run {} started; the run goes on with the source it started from",
            row.path, row.id
        )))?;
    }
    let Some(checked) = checked::check(&renderer, row.path.clone(), source)? else {
        return usage(format!(
            "the source run {} started from does not check with this version of flow",
            row.id
        ));
    };
    let program = checked.program;
    let Some(index) = program
        .workflows
        .iter()
        .position(|w| w.name == row.workflow)
    else {
        return usage(format!(
            "the source of run {} has no workflow `{}`",
            row.id, row.workflow
        ));
    };
    print_stderr(&format!(
        "resuming run {} of workflow `{}`{} from {}\n",
        row.id,
        row.workflow,
        row.current_state
            .as_deref()
            .map_or_else(String::new, |s| format!(" at `{s}`")),
        store.path().display()
    ))?;
    let base_dir = (row.path != "-")
        .then(|| Path::new(&row.path).parent().map(Path::to_path_buf))
        .flatten();
    let options = RunOptions {
        base_dir,
        ..RunOptions::default()
    };
    let job = Job::Resume {
        store: &store,
        owner: Owner::this_process(),
        row: &row,
    };
    execute(
        &renderer,
        color,
        args.events,
        &program,
        WorkflowId(index as u32),
        options,
        job,
    )
}
