//! Running a workflow in this process: the machine (`runtime::machine`)
//! on the local driver, with the real executors or scripted ones.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument;

use super::events::EventSink;
use super::mock::Mock;
use super::secrets::Secrets;
use super::{Finished, RunOptions, StartError};
use crate::ir::{Executor, Program, StateKind, WorkerId, Workflow, WorkflowId};
use crate::runtime::driver::local::{self, NoJournal};
use crate::runtime::driver::{Executors, ExecutorsSetup, Invoke};
use crate::runtime::machine::{Machine, Setup};

/// Runs workflow `workflow` of `program` with `input` (a record of its
/// parameters). The input is validated first; a run that starts always
/// finishes, succeeded or failed, with its events in `sink`.
pub async fn run<S: EventSink>(
    program: &Program,
    workflow: WorkflowId,
    input: Value,
    options: RunOptions,
    sink: &S,
) -> Result<Finished, StartError> {
    run_until(
        program,
        workflow,
        input,
        options,
        sink,
        std::future::pending(),
    )
    .await
}

/// [`run`], cancelled when `cancel` completes (Ctrl-C): the calls under way
/// are dropped, which stops what they started (processes are killed,
/// connections closed), and the run ends with a `run_cancelled` event and
/// [`RunOutcome::Cancelled`].
pub async fn run_until<S: EventSink>(
    program: &Program,
    workflow: WorkflowId,
    input: Value,
    options: RunOptions,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, StartError> {
    let wf = program
        .workflows
        .get(workflow.0 as usize)
        .ok_or(StartError::NoWorkflow(workflow.0))?;
    refuse_humans(program, wf, &options.mocks)?;
    let run_id: Arc<str> = Arc::from(options.run_id.clone().unwrap_or_else(super::fresh_run_id));
    let setup = Setup {
        run_id: run_id.clone(),
        input,
        seed: options.seed.unwrap_or_else(super::fresh_seed),
        mocks: options.mocks.clone(),
    };
    let machine = Machine::new(program, workflow, setup)?;
    let span = tracing::info_span!("run", run_id = %run_id, workflow = %wf.name);
    let secrets = Secrets::default();
    let executors = Executors::new(
        program,
        wf,
        &secrets,
        ExecutorsSetup::from_options(run_id, options),
    );
    let cancel = async {
        cancel.await;
        local::Halt::Cancel
    };
    Ok(local::drive(
        machine, &executors, sink, &secrets, &NoJournal, None, cancel,
    )
    .instrument(span)
    .await)
}

/// [`run_until`] with workers run by `invoke` rather than by their
/// executors: tests script workers in process this way.
pub async fn run_with<S: EventSink, I: Invoke>(
    program: &Program,
    workflow: WorkflowId,
    setup: Setup,
    invoke: &I,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, StartError> {
    let machine = Machine::new(program, workflow, setup)?;
    let secrets = Secrets::default();
    let cancel = async {
        cancel.await;
        local::Halt::Cancel
    };
    Ok(local::drive(machine, invoke, sink, &secrets, &NoJournal, None, cancel).await)
}

/// A workflow that calls a `human` worker cannot run without the store,
/// unless the worker is mocked: then nobody is asked.
pub(crate) fn refuse_humans(
    program: &Program,
    wf: &Workflow,
    mocks: &HashMap<WorkerId, Mock>,
) -> Result<(), StartError> {
    for st in &wf.states {
        let calls: Vec<_> = match &st.kind {
            StateKind::Step(call) | StateKind::Map { call, .. } => vec![call],
            StateKind::Parallel { branches, .. } => branches.iter().map(|b| &b.call).collect(),
            StateKind::Succeed(_) | StateKind::Fail(_) => Vec::new(),
        };
        for call in calls {
            if let Some(worker) = program.workers.get(call.worker.0 as usize)
                && matches!(worker.executor, Executor::Human { .. })
                && !mocks.contains_key(&call.worker)
            {
                return Err(StartError::NeedsStore {
                    workflow: wf.name.clone(),
                    worker: worker.name.clone(),
                });
            }
        }
    }
    Ok(())
}
