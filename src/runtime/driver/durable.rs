//! The durable driver: the local driver with every input of the machine
//! journaled in the run store before the machine's commands for it are
//! carried out, a lease held with heartbeats, and resume by replay.
//!
//! The journal of a run is a setup entry (the validated input, the seed,
//! the mocks) and then one entry per input, with its time. Because the
//! machine is deterministic, replaying the inputs rebuilds it exactly: its
//! state, its event numbers, and the commands each input led to. The
//! commands are not stored: an attempt that a committed input started
//! and that no committed input ended was in flight when the process
//! stopped, and is given to the machine as [`Input::Interrupted`] (a new
//! attempt, the same idempotency key); a hook program runs again; a timer
//! is set again for when it was due, so a backoff survives a restart.
//! A step that ended is never run again: its end is in the journal.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::local::{self, Journal, Resumed};
use super::{Executors, ExecutorsSetup};
use crate::ir::{Program, WorkerId, WorkflowId};
use crate::runtime::engine::secrets::Secrets;
use crate::runtime::engine::{
    Event, EventSink, Finished, Mock, MockOutcome, RunOptions, RunOutcome, StartError,
};
use crate::runtime::machine::{CallId, Command, Input, Machine, Setup};
use crate::runtime::store::{
    Append, Entry, Lease, NewRun, Owner, Progress, RunKey, RunRow, RunStatus, Store, StoreError,
    new_run_id, now_ms,
};

/// The kind of the journal's first entry: [`SetupRecord`].
pub const KIND_SETUP: u8 = 0;
/// The kind of every other entry: [`InputRecord`].
pub const KIND_INPUT: u8 = 1;

/// What a run started with, besides its program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupRecord {
    pub input: Value,
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mocks: Vec<(WorkerId, Vec<MockOutcome>)>,
}

/// One input and its time; `None` is the start of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRecord {
    pub now: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Input>,
}

#[derive(Serialize)]
struct InputRef<'a> {
    now: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a Input>,
}

/// Why a durable run could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The journal does not replay on this program: damaged, or written by
    /// another version of flow.
    #[error("the journal of run {run} cannot be replayed: {reason}")]
    Replay { run: String, reason: String },
    /// The run has ended already; there is nothing to resume.
    #[error("run {run} has already {status}")]
    Ended { run: String, status: RunStatus },
}

/// The journal of one run in the store.
struct StoreJournal<'s> {
    store: &'s Store,
    key: RunKey,
    owner: String,
    inner: Mutex<JournalState>,
}

struct JournalState {
    next_seq: u64,
    current: Option<String>,
    /// The timers set and not fired, with when they are due.
    timers: BTreeMap<CallId, u64>,
}

/// A noted input: its entry, or why it could not be encoded.
pub struct Noted {
    entry: Result<Entry, String>,
    fired: Option<CallId>,
}

impl Journal for StoreJournal<'_> {
    type Note = Noted;

    fn note(&self, now: u64, input: Option<&Input>) -> Noted {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let entry = serde_json::to_vec(&InputRef { now, input })
            .map(|data| Entry::new(seq, KIND_INPUT, data))
            .map_err(|e| format!("an input could not be written as JSON: {e}"));
        let fired = match input {
            Some(Input::TimerFired { call }) => Some(*call),
            _ => None,
        };
        Noted { entry, fired }
    }

    fn commit(
        &self,
        note: Noted,
        commands: &[Command],
    ) -> impl Future<Output = Result<(), String>> + Send {
        let progress = self.progress(note.fired, commands);
        let commit = note.entry.map(|entry| {
            self.store.submit(Append {
                run: self.key,
                entries: vec![entry],
                progress,
                owner: Some(self.owner.clone()),
            })
        });
        async move {
            match commit {
                Ok(commit) => commit.await.map_err(|e| e.to_string()),
                Err(reason) => Err(reason),
            }
        }
    }
}

impl StoreJournal<'_> {
    /// The change of the run's row that goes with the commands: the state
    /// it is in, when it is next due, and how it ended.
    fn progress(&self, fired: Option<CallId>, commands: &[Command]) -> Option<Progress> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = false;
        if let Some(call) = fired {
            changed |= inner.timers.remove(&call).is_some();
        }
        let mut status = None;
        for command in commands {
            match command {
                Command::Emit(event) => {
                    if let Some(target) = &event.target {
                        inner.current = Some(target.to_string());
                        changed = true;
                    }
                }
                Command::StartTimer { call, at, .. } => {
                    inner.timers.insert(*call, *at);
                    changed = true;
                }
                Command::Cancel { call } => changed |= inner.timers.remove(call).is_some(),
                Command::Finish(outcome) => {
                    status = final_status(outcome);
                    changed = true;
                }
                _ => {}
            }
        }
        changed.then(|| Progress {
            current_state: inner.current.clone(),
            due_at: inner.timers.values().min().copied(),
            status,
            now_ms: now_ms(),
        })
    }
}

/// The status and outcome JSON a run's end is recorded with.
fn final_status(outcome: &RunOutcome) -> Option<(RunStatus, Option<String>)> {
    match outcome {
        RunOutcome::Succeeded { output } => {
            Some((RunStatus::Succeeded, serde_json::to_string(output).ok()))
        }
        RunOutcome::Failed { error } => {
            Some((RunStatus::Failed, serde_json::to_string(error).ok()))
        }
        RunOutcome::Cancelled => Some((RunStatus::Cancelled, None)),
        // Not an end: the run stays `running`, to be resumed.
        RunOutcome::Stopped { .. } => None,
    }
}

/// What a new durable run records about where it comes from.
pub struct Source<'a> {
    /// The file as the user gave it.
    pub path: &'a str,
    /// Its whole text, which a resumed run is checked from again.
    pub text: &'a str,
}

/// Starts a durable run of `workflow` in `store`: recorded with its source,
/// its input and its seed, driven by this process under a lease until it
/// ends (or is stopped).
#[allow(clippy::too_many_arguments)]
pub async fn start<S: EventSink>(
    store: &Store,
    owner: &Owner,
    program: &Program,
    workflow: WorkflowId,
    source: Source<'_>,
    input: Value,
    options: RunOptions,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, DurableError> {
    let wf = program
        .workflows
        .get(workflow.0 as usize)
        .ok_or(StartError::NoWorkflow(workflow.0))?;
    crate::runtime::engine::refuse_humans(program, wf, &options.mocks)?;
    let run_id = options.run_id.clone().unwrap_or_else(new_run_id);
    let seed = options
        .seed
        .unwrap_or_else(crate::runtime::engine::fresh_seed);
    let setup = Setup {
        run_id: Arc::from(run_id.as_str()),
        input,
        seed,
        mocks: options.mocks.clone(),
    };
    let mut machine = Machine::new(program, workflow, setup)?;
    machine.keep_inputs();
    let record = SetupRecord {
        input: machine.validated_input().cloned().unwrap_or(Value::Null),
        seed,
        mocks: mocks_record(&options.mocks),
    };
    let input_json = serde_json::to_string(&record.input).unwrap_or_default();
    let now = now_ms();
    let key = store.create_run(&NewRun {
        id: &run_id,
        workflow: &wf.name,
        path: source.path,
        source_text: source.text,
        input_json: &input_json,
        seed,
        now_ms: now,
        owner: Some(owner.as_str()),
    })?;
    let lease = store.acquire(key, owner, now)?;
    let start_state = wf.states.get(wf.start.0 as usize).map(|s| s.name.clone());
    store.set_progress(key, start_state.as_deref(), None, now)?;
    let setup_entry = serde_json::to_vec(&record).map_err(|e| DurableError::Replay {
        run: run_id.clone(),
        reason: e.to_string(),
    })?;
    store
        .append(key, vec![Entry::new(0, KIND_SETUP, setup_entry)])
        .await?;
    let journal = StoreJournal {
        store,
        key,
        owner: owner.as_str().to_owned(),
        inner: Mutex::new(JournalState {
            next_seq: 1,
            current: start_state,
            timers: BTreeMap::new(),
        }),
    };
    let finished = drive(
        store, &lease, machine, &journal, None, options, sink, cancel,
    )
    .await;
    let _ = store.release(&lease);
    Ok(finished)
}

/// The mocks as the setup entry keeps them.
fn mocks_record(mocks: &HashMap<WorkerId, Mock>) -> Vec<(WorkerId, Vec<MockOutcome>)> {
    let mut list: Vec<_> = mocks
        .iter()
        .map(|(id, mock)| (*id, mock.outcomes().to_vec()))
        .collect();
    list.sort_by_key(|(id, _)| *id);
    list
}

/// A run rebuilt from its journal.
pub struct Replayed<'p> {
    pub machine: Machine<'p>,
    /// What to carry out or tell the machine to go on.
    pub resumed: Resumed,
    /// The events the run has emitted so far, in order.
    pub events: Vec<Event>,
    /// The seq of the next journal entry.
    pub next_seq: u64,
    /// How it ended, if it has.
    pub ended: Option<RunOutcome>,
}

/// Rebuilds a run of `workflow` from its journal `entries`, as of `now`.
pub fn replay<'p>(
    program: &'p Program,
    workflow: WorkflowId,
    run_id: &str,
    entries: &[Entry],
    now: u64,
) -> Result<Replayed<'p>, DurableError> {
    let bad = |reason: String| DurableError::Replay {
        run: run_id.to_owned(),
        reason,
    };
    let Some((first, rest)) = entries.split_first() else {
        return Err(bad("it is empty".to_owned()));
    };
    if first.kind != KIND_SETUP {
        return Err(bad(format!(
            "it starts with an entry of kind {}",
            first.kind
        )));
    }
    let record: SetupRecord =
        serde_json::from_slice(&first.data).map_err(|e| bad(format!("its setup entry: {e}")))?;
    let mocks: HashMap<WorkerId, Mock> = record
        .mocks
        .into_iter()
        .filter_map(|(id, outcomes)| Mock::new(outcomes).map(|m| (id, m)))
        .collect();
    let setup = Setup {
        run_id: Arc::from(run_id),
        input: record.input,
        seed: record.seed,
        mocks: Arc::new(mocks),
    };
    let mut machine = Machine::new(program, workflow, setup)?;
    machine.keep_inputs();
    // The effects the inputs so far started and did not end, by call.
    let mut open: Vec<(CallId, Command)> = Vec::new();
    let mut events = Vec::new();
    let mut ended = None;
    let mut out = Vec::new();
    let mut next_seq = first.seq + 1;
    let mut started = false;
    for entry in rest {
        if entry.kind != KIND_INPUT {
            return Err(bad(format!(
                "entry {} is of kind {}",
                entry.seq, entry.kind
            )));
        }
        next_seq = entry.seq + 1;
        let record: InputRecord = serde_json::from_slice(&entry.data)
            .map_err(|e| bad(format!("entry {}: {e}", entry.seq)))?;
        match record.input {
            None => {
                started = true;
                machine.start(record.now, &mut out);
            }
            Some(input) => {
                if let Some(call) = input.call() {
                    // An attempt, a hook or a timer ends with its input.
                    open.retain(|(c, _)| *c != call);
                }
                machine.handle(record.now, input, &mut out);
            }
        }
        for command in out.drain(..) {
            match command {
                Command::Emit(event) => events.push(event),
                Command::Invoke(ref a) => open.push((a.call, command)),
                Command::RunHook(ref h) => open.push((h.call, command)),
                Command::AskHuman(ref q) => open.push((q.call, command)),
                Command::StartTimer { call, .. } => open.push((call, command)),
                Command::Cancel { call } => open.retain(|(c, _)| *c != call),
                Command::Finish(outcome) => ended = Some(outcome),
            }
        }
    }
    let mut resumed = Resumed {
        start: !started,
        ..Resumed::default()
    };
    if ended.is_none() {
        for (call, command) in open {
            match command {
                Command::Invoke(_) => resumed.inputs.push(Input::Interrupted { call }),
                Command::StartTimer { call, at, .. } => {
                    resumed.commands.push(Command::StartTimer {
                        call,
                        at,
                        delay: std::time::Duration::from_millis(at.saturating_sub(now)),
                    })
                }
                other => resumed.commands.push(other),
            }
        }
    }
    Ok(Replayed {
        machine,
        resumed,
        events,
        next_seq,
        ended,
    })
}

/// Continues run `row` of `store` from its journal on `program` (built
/// from the run's stored source), under this process's lease.
#[allow(clippy::too_many_arguments)]
pub async fn resume<S: EventSink>(
    store: &Store,
    owner: &Owner,
    row: &RunRow,
    program: &Program,
    workflow: WorkflowId,
    options: RunOptions,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, DurableError> {
    if row.status.is_final() {
        return Err(DurableError::Ended {
            run: row.id.clone(),
            status: row.status,
        });
    }
    let lease = store.acquire(row.key, owner, now_ms())?;
    let result = resume_leased(store, &lease, row, program, workflow, options, sink, cancel).await;
    let _ = store.release(&lease);
    result
}

#[allow(clippy::too_many_arguments)]
async fn resume_leased<S: EventSink>(
    store: &Store,
    lease: &Lease,
    row: &RunRow,
    program: &Program,
    workflow: WorkflowId,
    options: RunOptions,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, DurableError> {
    let mut entries = store.journal(row.key, None)?;
    if entries.is_empty() {
        // The process stopped between recording the run and its setup:
        // the row has what the setup says (a run with mocks is not
        // resumable from here, as they were not recorded yet).
        let input = serde_json::from_str(&row.input_json).map_err(|e| DurableError::Replay {
            run: row.id.clone(),
            reason: format!("its input: {e}"),
        })?;
        let record = SetupRecord {
            input,
            seed: row.seed,
            mocks: Vec::new(),
        };
        let data = serde_json::to_vec(&record).map_err(|e| DurableError::Replay {
            run: row.id.clone(),
            reason: e.to_string(),
        })?;
        let entry = Entry::new(0, KIND_SETUP, data);
        store.append(row.key, vec![entry.clone()]).await?;
        entries.push(entry);
    }
    let replayed = replay(program, workflow, &row.id, &entries, now_ms())?;
    if let Some(outcome) = replayed.ended {
        // The end was journaled but the row not updated: record it now.
        let status = final_status(&outcome);
        if let Some((status, json)) = &status {
            store.set_status(row.key, *status, json.as_deref(), now_ms())?;
        }
        return Err(DurableError::Ended {
            run: row.id.clone(),
            status: status.map_or(RunStatus::Running, |(s, _)| s),
        });
    }
    let journal = StoreJournal {
        store,
        key: row.key,
        owner: lease.owner().as_str().to_owned(),
        inner: Mutex::new(JournalState {
            next_seq: replayed.next_seq,
            current: row.current_state.clone(),
            timers: BTreeMap::new(),
        }),
    };
    let mut options = options;
    options.run_id = Some(row.id.clone());
    Ok(drive(
        store,
        lease,
        replayed.machine,
        &journal,
        Some(replayed.resumed),
        options,
        sink,
        cancel,
    )
    .await)
}

/// The local driver with the store's journal, stopped by `cancel`, by a
/// `flow cancel` seen at a heartbeat, or by the lease being lost.
#[allow(clippy::too_many_arguments)]
async fn drive<S: EventSink>(
    store: &Store,
    lease: &Lease,
    machine: Machine<'_>,
    journal: &StoreJournal<'_>,
    resumed: Option<Resumed>,
    options: RunOptions,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Finished {
    let program = machine.program();
    let wf = machine.workflow();
    let secrets = Secrets::default();
    let run_id: Arc<str> = Arc::from(lease.run_id());
    let executors = Executors::new(
        program,
        wf,
        &secrets,
        ExecutorsSetup::from_options(run_id, options),
    );
    let stop = async {
        tokio::select! {
            () = cancel => {}
            () = heartbeats(store, lease) => {}
        }
    };
    local::drive(machine, &executors, sink, &secrets, journal, resumed, stop).await
}

/// Renews the lease every [`crate::runtime::store::HEARTBEAT_EVERY_MS`];
/// ends when a cancel is requested or the lease is lost.
async fn heartbeats(store: &Store, lease: &Lease) {
    let every = std::time::Duration::from_millis(crate::runtime::store::HEARTBEAT_EVERY_MS);
    loop {
        tokio::time::sleep(every).await;
        match store.heartbeat(lease, now_ms()) {
            Ok(reply) if reply.cancel_requested => return,
            Ok(_) => {}
            Err(StoreError::LeaseLost { .. }) => return,
            // A store that cannot be read now may be readable at the next
            // beat; a journal write that fails stops the run anyway.
            Err(_) => {}
        }
    }
}
