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

use super::local::{self, Halt, Journal, Resumed};
use super::{Executors, ExecutorsSetup};
use crate::ir::{Program, WorkerId, WorkflowId};
use crate::runtime::engine::secrets::Secrets;
use crate::runtime::engine::{
    Event, EventSink, Finished, Mock, MockOutcome, RunOptions, RunOutcome, StartError, Timestamp,
};
use crate::runtime::machine::{CallId, Command, Input, Machine, Question, Setup};
use crate::runtime::store::{
    Append, Entry, Lease, NewRun, Owner, Progress, RunKey, RunRow, RunStatus, Store, StoreError,
    new_run_id, now_ms,
};

/// The kind of the journal's first entry: [`SetupRecord`].
pub const KIND_SETUP: u8 = 0;
/// The kind of every other entry: [`InputRecord`].
pub const KIND_INPUT: u8 = 1;
/// An [`InputRecord`] that a process recorded without carrying out what
/// it leads to: a person's answer recorded by `flow approve --no-continue`
/// (or `flow reject --no-continue`), or the new attempts `flow resume
/// --upgrade` gives interrupted calls before it takes its snapshot. What it
/// leads to has not started when a run resumes.
pub const KIND_RECORDED: u8 = 2;
/// A [`SnapshotRecord`]: the run moved to another program by `flow resume
/// --upgrade`. Replay starts from the latest one.
pub const KIND_SNAPSHOT: u8 = 3;

/// Where a run is, on the program it was moved to: its machine's state,
/// what was under way (in that program's ids), its mocks and the events
/// it had emitted, which the new program could not replay.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub now: u64,
    pub state: crate::runtime::machine::MachineState,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mocks: Vec<(WorkerId, Vec<MockOutcome>)>,
    pub open: Vec<OpenRecord>,
    pub events: Vec<Event>,
}

/// Something under way when a snapshot was taken; none of it had started
/// (interrupted attempts are given their new attempt first).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "open", rename_all = "snake_case")]
pub enum OpenRecord {
    Invoke(crate::runtime::machine::Attempt),
    Hook(crate::runtime::machine::HookRun),
    Ask { question: Question, asked_at: u64 },
    Timer { call: CallId, at: u64 },
}

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
    /// `flow approve` or `flow reject` of a step that asks nobody now.
    #[error("{}", no_question(run, step, waiting))]
    NoQuestion {
        run: String,
        step: String,
        /// The steps that do wait for an answer.
        waiting: Vec<String>,
    },
    /// `flow resume --upgrade` of a run that the new file would not fit.
    #[error("{}", unsafe_upgrade(run, reasons))]
    Unsafe { run: String, reasons: Vec<String> },
    /// An answer after the question's deadline.
    #[error(
        "the answer to `{step}` of run {run} is too late: it was due at {due}; \
         `flow resume {run}` fails the step with class `timeout`"
    )]
    TooLate {
        run: String,
        step: String,
        due: Timestamp,
    },
    /// An approval whose output does not fit the worker's output type.
    #[error(
        "the output for `{step}` of run {run} does not fit `{worker}`'s output type: {mismatch}"
    )]
    InvalidAnswer {
        run: String,
        step: String,
        worker: String,
        mismatch: Box<crate::runtime::validate::Mismatch>,
    },
}

fn unsafe_upgrade(run: &str, reasons: &[String]) -> String {
    let mut text = format!(
        "run {run} cannot move to the current file; it goes on with the source it started from"
    );
    for reason in reasons {
        text.push_str("\n  = note: ");
        text.push_str(reason);
    }
    text
}

fn no_question(run: &str, step: &str, waiting: &[String]) -> String {
    if let Some(near) = crate::check::suggest::closest(step, waiting.iter().map(String::as_str)) {
        return format!("step `{step}` of run {run} waits for no answer; did you mean `{near}`?");
    }
    match waiting {
        [] => format!("run {run} waits for no answer: no step of it asks a person now"),
        [one] => format!("step `{step}` of run {run} waits for no answer; `{one}` does"),
        many => format!(
            "step `{step}` of run {run} waits for no answer; these do: {}",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
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

    fn keeps_questions(&self) -> bool {
        true
    }

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
                Ok(commit) => {
                    // Other runs, branches or items append too: the tasks
                    // ready on this thread queue theirs before this one
                    // commits them all in one transaction.
                    if commit.gathers() {
                        tokio::task::yield_now().await;
                    }
                    commit.await.map_err(|e| e.to_string())
                }
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
                    if let Some(target) = event.target() {
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
        // Recorded when the driver lets the run go (`settle`).
        RunOutcome::Paused { .. } => None,
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
    let finished = settle(store, &journal, finished);
    let _ = store.release(&lease);
    Ok(finished)
}

/// Records a run the driver let go because it waits for people: status
/// `paused`, due at its first deadline. A run that cannot be recorded so
/// is stopped instead (it stays `running`, and `flow resume` asks again).
fn settle(store: &Store, journal: &StoreJournal<'_>, finished: Finished) -> Finished {
    let RunOutcome::Paused { questions } = &finished.outcome else {
        return finished;
    };
    let current = journal
        .inner
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .current
        .clone();
    let due = questions.iter().filter_map(|q| q.deadline).min();
    let now = now_ms();
    let recorded = store
        .set_status(journal.key, RunStatus::Paused, None, now)
        .and_then(|()| store.set_progress(journal.key, current.as_deref(), due, now));
    match recorded {
        Ok(()) => finished,
        Err(e) => Finished {
            outcome: RunOutcome::Stopped {
                reason: e.to_string(),
            },
            state: finished.state,
        },
    }
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
    /// The questions asked and not answered, with when each was asked.
    pub questions: Vec<(Question, u64)>,
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
    // The effects the inputs so far started and did not end, by call,
    // with whether a process may have carried them out (an answer that
    // `--no-continue` recorded was acted on by nobody) and when.
    let mut open: Vec<(CallId, Command, bool, u64)> = Vec::new();
    let mut events = Vec::new();
    let mut ended = None;
    let mut out = Vec::new();
    let mut next_seq = first.seq + 1;
    let mut started = false;
    // A run moved to another program (`flow resume --upgrade`) goes on
    // from its latest snapshot: what came before was for the old program.
    let snapshot = rest.iter().rposition(|e| e.kind == KIND_SNAPSHOT);
    let (mut machine, rest) = match snapshot {
        None => {
            let mut machine = Machine::new(program, workflow, setup)?;
            machine.keep_inputs();
            (machine, rest)
        }
        Some(at) => {
            let entry = &rest[at];
            let snap: SnapshotRecord = serde_json::from_slice(&entry.data)
                .map_err(|e| bad(format!("entry {}: {e}", entry.seq)))?;
            let wf = program
                .workflows
                .get(workflow.0 as usize)
                .ok_or(StartError::NoWorkflow(workflow.0))?;
            let mocks: HashMap<WorkerId, Mock> = snap
                .mocks
                .into_iter()
                .filter_map(|(id, outcomes)| Mock::new(outcomes).map(|m| (id, m)))
                .collect();
            let machine = Machine::resume(program, wf, snap.state, Arc::new(mocks));
            for item in snap.open {
                open.push(match item {
                    OpenRecord::Invoke(a) => (a.call, Command::Invoke(a), false, snap.now),
                    OpenRecord::Hook(h) => (h.call, Command::RunHook(h), false, snap.now),
                    OpenRecord::Ask { question, asked_at } => {
                        (question.call, Command::AskHuman(question), false, asked_at)
                    }
                    OpenRecord::Timer { call, at } => (
                        call,
                        Command::StartTimer {
                            call,
                            at,
                            delay: std::time::Duration::ZERO,
                        },
                        false,
                        snap.now,
                    ),
                });
            }
            events = snap.events;
            started = true;
            next_seq = entry.seq + 1;
            (machine, &rest[at + 1..])
        }
    };
    for entry in rest {
        if entry.kind != KIND_INPUT && entry.kind != KIND_RECORDED {
            return Err(bad(format!(
                "entry {} is of kind {}",
                entry.seq, entry.kind
            )));
        }
        let acted = entry.kind == KIND_INPUT;
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
                    open.retain(|(c, ..)| *c != call);
                }
                machine.handle(record.now, input, &mut out);
            }
        }
        for command in out.drain(..) {
            match command {
                Command::Emit(event) => events.push(event),
                Command::Invoke(ref a) => open.push((a.call, command, acted, record.now)),
                Command::RunHook(ref h) => open.push((h.call, command, acted, record.now)),
                Command::AskHuman(ref q) => open.push((q.call, command, acted, record.now)),
                // A question's deadline shares its call: both are open.
                Command::StartTimer { call, .. } => open.push((call, command, acted, record.now)),
                Command::Cancel { call } => open.retain(|(c, ..)| *c != call),
                Command::Finish(outcome) => ended = Some(outcome),
            }
        }
    }
    let mut resumed = Resumed {
        start: !started,
        ..Resumed::default()
    };
    let mut questions = Vec::new();
    if ended.is_none() {
        for (call, command, acted, at_ms) in open {
            match command {
                Command::Invoke(_) if acted => resumed.inputs.push(Input::Interrupted { call }),
                Command::StartTimer { call, at, .. } => {
                    resumed.commands.push(Command::StartTimer {
                        call,
                        at,
                        delay: std::time::Duration::from_millis(at.saturating_sub(now)),
                    })
                }
                Command::AskHuman(q) => {
                    questions.push((q.clone(), at_ms));
                    resumed.commands.push(Command::AskHuman(q));
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
        questions,
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
    let to = Resuming {
        store,
        row,
        program,
        workflow,
    };
    let lease = to.lease(owner)?;
    let result = to.go_on(&lease, None, options, sink, cancel).await;
    let _ = store.release(&lease);
    result
}

/// A person's answer to the question of a `human` step.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `flow approve`: the step's output, checked against the worker's
    /// output type.
    Approve(Value),
    /// `flow reject`: the step fails with class `worker` and this message.
    Reject(String),
}

/// Answers the question of `step` in paused run `row` and continues the
/// run in this process, as [`resume`] does. A wrong answer (no such
/// question, too late, an output of the wrong type) is refused before
/// anything is recorded.
#[allow(clippy::too_many_arguments)]
pub async fn answer<S: EventSink>(
    store: &Store,
    owner: &Owner,
    row: &RunRow,
    program: &Program,
    workflow: WorkflowId,
    step: &str,
    answer: Answer,
    options: RunOptions,
    sink: &S,
    cancel: impl Future<Output = ()>,
) -> Result<Finished, DurableError> {
    let to = Resuming {
        store,
        row,
        program,
        workflow,
    };
    let lease = to.lease(owner)?;
    let result = to
        .go_on(&lease, Some((step, answer)), options, sink, cancel)
        .await;
    let _ = store.release(&lease);
    result
}

/// What [`record_answer`] left: the steps that still wait for a person,
/// and whether the run has something to do now (`flow resume` continues
/// it; it is due at once).
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub waiting: Vec<String>,
    pub status: RunStatus,
}

/// Records the answer to the question of `step` in run `row` without
/// continuing the run (`--no-continue`): checked as [`answer`] checks it,
/// journaled as an answer nobody acted on yet.
pub async fn record_answer(
    store: &Store,
    owner: &Owner,
    row: &RunRow,
    program: &Program,
    workflow: WorkflowId,
    step: &str,
    answer: Answer,
) -> Result<Recorded, DurableError> {
    let to = Resuming {
        store,
        row,
        program,
        workflow,
    };
    let lease = to.lease(owner)?;
    let result = to.record(&lease, step, answer).await;
    let _ = store.release(&lease);
    result
}

/// Moves run `row`, whose program is `old` (built from its stored
/// source), to `new`, checked from `text`, the file as it is now: when the
/// checker proves it safe ([`crate::runtime::machine::upgrade`]) the run's
/// state is rewritten for the new program and journaled as a snapshot, in
/// the same transaction as the run's source is switched; otherwise every
/// reason is returned and nothing changes. The run is not continued here.
pub async fn upgrade(
    store: &Store,
    owner: &Owner,
    row: &RunRow,
    old: &Program,
    new: &Program,
    text: &str,
) -> Result<(), DurableError> {
    let Some(old_index) = old.workflows.iter().position(|w| w.name == row.workflow) else {
        return Err(DurableError::Unsafe {
            run: row.id.clone(),
            reasons: vec![format!("its source has no workflow `{}`", row.workflow)],
        });
    };
    let to = Resuming {
        store,
        row,
        program: old,
        workflow: WorkflowId(old_index as u32),
    };
    let lease = to.lease(owner)?;
    let result = to.upgrade(&lease, new, text).await;
    let _ = store.release(&lease);
    result
}

/// A run to go on with.
struct Resuming<'a> {
    store: &'a Store,
    row: &'a RunRow,
    program: &'a Program,
    workflow: WorkflowId,
}

impl Resuming<'_> {
    /// Takes the run's lease, once it is known not to have ended.
    fn lease(&self, owner: &Owner) -> Result<Lease, DurableError> {
        if self.row.status.is_final() {
            return Err(DurableError::Ended {
                run: self.row.id.clone(),
                status: self.row.status,
            });
        }
        Ok(self.store.acquire(self.row.key, owner, now_ms())?)
    }

    fn bad(&self, reason: String) -> DurableError {
        DurableError::Replay {
            run: self.row.id.clone(),
            reason,
        }
    }

    /// The run's journal, with its setup entry written from the row when
    /// the process stopped between recording the run and its setup (a run
    /// with mocks is not resumable from there: they were not recorded
    /// yet).
    async fn entries(&self) -> Result<Vec<Entry>, DurableError> {
        let (store, row) = (self.store, self.row);
        let mut entries = store.journal(row.key, None)?;
        if entries.is_empty() {
            let input = serde_json::from_str(&row.input_json)
                .map_err(|e| self.bad(format!("its input: {e}")))?;
            let record = SetupRecord {
                input,
                seed: row.seed,
                mocks: Vec::new(),
            };
            let data = serde_json::to_vec(&record).map_err(|e| self.bad(e.to_string()))?;
            let entry = Entry::new(0, KIND_SETUP, data);
            store.append(row.key, vec![entry.clone()]).await?;
            entries.push(entry);
        }
        Ok(entries)
    }

    /// The journal replayed; a run whose end was journaled but whose row
    /// was not updated is recorded as ended now.
    fn replayed(&self, entries: &[Entry], now: u64) -> Result<Replayed<'_>, DurableError> {
        let replayed = replay(self.program, self.workflow, &self.row.id, entries, now)?;
        if let Some(outcome) = &replayed.ended {
            let status = final_status(outcome);
            if let Some((status, json)) = &status {
                self.store
                    .set_status(self.row.key, *status, json.as_deref(), now_ms())?;
            }
            return Err(DurableError::Ended {
                run: self.row.id.clone(),
                status: status.map_or(RunStatus::Running, |(s, _)| s),
            });
        }
        Ok(replayed)
    }

    /// The input an answer to `step` is, checked against the question.
    fn answer_input(
        &self,
        replayed: &Replayed<'_>,
        step: &str,
        answer: Answer,
        now: u64,
    ) -> Result<Input, DurableError> {
        let run = &self.row.id;
        let Some((question, asked_at)) = replayed.questions.iter().find(|(q, _)| &*q.step == step)
        else {
            return Err(DurableError::NoQuestion {
                run: run.clone(),
                step: step.to_owned(),
                waiting: replayed
                    .questions
                    .iter()
                    .map(|(q, _)| q.step.to_string())
                    .collect(),
            });
        };
        if let Some(due) = question.deadline
            && due <= now
        {
            return Err(DurableError::TooLate {
                run: run.clone(),
                step: step.to_owned(),
                due: Timestamp(due),
            });
        }
        let result = match answer {
            Answer::Approve(value) => {
                let Some(worker) = self.program.workers.get(question.worker.0 as usize) else {
                    return Err(self.bad("a question names no worker of the program".into()));
                };
                match crate::runtime::validate::validate(value, worker.output, &self.program.types)
                {
                    Ok(value) => Ok(crate::runtime::executor::Output {
                        value,
                        log: String::new(),
                        usage: None,
                    }),
                    Err(mismatch) => {
                        return Err(DurableError::InvalidAnswer {
                            run: run.clone(),
                            step: step.to_owned(),
                            worker: worker.name.clone(),
                            mismatch: Box::new(mismatch),
                        });
                    }
                }
            }
            Answer::Reject(reason) => Err(crate::runtime::executor::Failure::new(
                crate::ir::FailureClass::Worker,
                reason,
            )),
        };
        Ok(Input::Attempted {
            call: question.call,
            took_ms: now.saturating_sub(*asked_at),
            result,
        })
    }

    /// Journals an answer as one nobody acted on, and sets the run's
    /// status from what it then waits for.
    async fn record(
        &self,
        lease: &Lease,
        step: &str,
        answer: Answer,
    ) -> Result<Recorded, DurableError> {
        let mut entries = self.entries().await?;
        let now = now_ms();
        let replayed = self.replayed(&entries, now)?;
        let input = self.answer_input(&replayed, step, answer, now)?;
        let data = serde_json::to_vec(&InputRecord {
            now,
            input: Some(input),
        })
        .map_err(|e| self.bad(e.to_string()))?;
        let entry = Entry::new(replayed.next_seq, KIND_RECORDED, data);
        drop(replayed);
        self.store
            .submit(Append {
                run: self.row.key,
                entries: vec![entry.clone()],
                progress: None,
                owner: Some(lease.owner().as_str().to_owned()),
            })
            .await?;
        entries.push(entry);
        let after = replay(self.program, self.workflow, &self.row.id, &entries, now)?;
        let waiting: Vec<String> = after
            .questions
            .iter()
            .map(|(q, _)| q.step.to_string())
            .collect();
        // Only questions and their deadlines left: still paused.
        let idle = after.resumed.inputs.is_empty()
            && after.resumed.commands.iter().all(|c| match c {
                Command::AskHuman(_) => true,
                Command::StartTimer { call, .. } => {
                    after.questions.iter().any(|(q, _)| q.call == *call)
                }
                _ => false,
            });
        let (status, due) = if idle && after.ended.is_none() {
            let due = after.questions.iter().filter_map(|(q, _)| q.deadline).min();
            (RunStatus::Paused, due)
        } else {
            (RunStatus::Running, Some(now))
        };
        self.store.set_status(self.row.key, status, None, now)?;
        self.store
            .set_progress(self.row.key, self.row.current_state.as_deref(), due, now)?;
        Ok(Recorded { waiting, status })
    }

    async fn upgrade(&self, lease: &Lease, new: &Program, text: &str) -> Result<(), DurableError> {
        let mut entries = self.entries().await?;
        let now = now_ms();
        let mut replayed = self.replayed(&entries, now)?;
        // What a new attempt or the start would be is decided on the old
        // program first, and recorded as inputs nobody acted on: then
        // nothing under way has started, and the snapshot holds it all.
        let mut pending: Vec<Option<Input>> = std::mem::take(&mut replayed.resumed.inputs)
            .into_iter()
            .map(Some)
            .collect();
        if replayed.resumed.start {
            pending.insert(0, None);
        }
        if !pending.is_empty() {
            let mut more = Vec::new();
            for (seq, input) in (replayed.next_seq..).zip(pending) {
                let data = serde_json::to_vec(&InputRecord { now, input })
                    .map_err(|e| self.bad(e.to_string()))?;
                more.push(Entry::new(seq, KIND_RECORDED, data));
            }
            drop(replayed);
            self.store
                .submit(Append {
                    run: self.row.key,
                    entries: more.clone(),
                    progress: None,
                    owner: Some(lease.owner().as_str().to_owned()),
                })
                .await?;
            entries.extend(more);
            replayed = self.replayed(&entries, now)?;
        }
        let next_seq = replayed.next_seq;
        let events = std::mem::take(&mut replayed.events);
        let commands = std::mem::take(&mut replayed.resumed.commands);
        let questions = std::mem::take(&mut replayed.questions);
        let mocks = mocks_record(replayed.machine.mocks());
        let old_wf = replayed.machine.workflow();
        let state = replayed.machine.into_state();
        let unsafe_ = |reasons| DurableError::Unsafe {
            run: self.row.id.clone(),
            reasons,
        };
        let (_, moved) =
            crate::runtime::machine::upgrade::upgrade(self.program, old_wf, new, state)
                .map_err(unsafe_)?;
        let ids = &moved.ids;
        let lost = |what: &str| unsafe_(vec![format!("{what} under way could not be moved")]);
        let mut open = Vec::new();
        for command in commands {
            open.push(match command {
                Command::Invoke(a) => {
                    OpenRecord::Invoke(ids.attempt(a).ok_or_else(|| lost("an attempt"))?)
                }
                Command::RunHook(h) => OpenRecord::Hook(ids.hook(h).ok_or_else(|| lost("a hook"))?),
                Command::AskHuman(q) => {
                    let asked_at = questions
                        .iter()
                        .find(|(o, _)| o.call == q.call)
                        .map_or(now, |(_, at)| *at);
                    OpenRecord::Ask {
                        question: ids.question(q).ok_or_else(|| lost("a question"))?,
                        asked_at,
                    }
                }
                Command::StartTimer { call, at, .. } => OpenRecord::Timer { call, at },
                _ => continue,
            });
        }
        let mocks = mocks
            .into_iter()
            .filter_map(|(id, outcomes)| ids.worker(id).map(|id| (id, outcomes)))
            .collect();
        let record = SnapshotRecord {
            now,
            state: moved.state,
            mocks,
            open,
            events,
        };
        let data = serde_json::to_vec(&record).map_err(|e| self.bad(e.to_string()))?;
        let entry = Entry::new(next_seq, KIND_SNAPSHOT, data);
        self.store
            .switch_source(self.row.key, lease.owner().as_str(), text, &entry, now)?;
        Ok(())
    }

    /// Drives the run on from its journal, with the answer to a question
    /// first when there is one.
    async fn go_on<S: EventSink>(
        &self,
        lease: &Lease,
        answer: Option<(&str, Answer)>,
        options: RunOptions,
        sink: &S,
        cancel: impl Future<Output = ()>,
    ) -> Result<Finished, DurableError> {
        let (store, row) = (self.store, self.row);
        let entries = self.entries().await?;
        let now = now_ms();
        let mut replayed = self.replayed(&entries, now)?;
        if let Some((step, answer)) = answer {
            let input = self.answer_input(&replayed, step, answer, now)?;
            replayed.resumed.inputs.push(input);
        }
        if row.status == RunStatus::Paused {
            store.set_status(row.key, RunStatus::Running, None, now)?;
        }
        let timers = replayed
            .resumed
            .commands
            .iter()
            .filter_map(|c| match c {
                Command::StartTimer { call, at, .. } => Some((*call, *at)),
                _ => None,
            })
            .collect();
        let journal = StoreJournal {
            store,
            key: row.key,
            owner: lease.owner().as_str().to_owned(),
            inner: Mutex::new(JournalState {
                next_seq: replayed.next_seq,
                current: row.current_state.clone(),
                timers,
            }),
        };
        let mut options = options;
        options.run_id = Some(row.id.clone());
        let finished = drive(
            store,
            lease,
            replayed.machine,
            &journal,
            Some(replayed.resumed),
            options,
            sink,
            cancel,
        )
        .await;
        Ok(settle(store, &journal, finished))
    }
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
            () = cancel => Halt::Stop("the process was asked to stop".to_owned()),
            halt = heartbeats(store, lease) => halt,
        }
    };
    local::drive(machine, &executors, sink, &secrets, journal, resumed, stop).await
}

/// Renews the lease every [`crate::runtime::store::HEARTBEAT_EVERY_MS`];
/// ends when a cancel is requested (the run is cancelled) or the lease is
/// lost (the run is let go: another process drives it now).
async fn heartbeats(store: &Store, lease: &Lease) -> Halt {
    let every = std::time::Duration::from_millis(crate::runtime::store::HEARTBEAT_EVERY_MS);
    loop {
        tokio::time::sleep(every).await;
        match store.heartbeat(lease, now_ms()) {
            Ok(reply) if reply.cancel_requested => return Halt::Cancel,
            Ok(_) => {}
            Err(e @ StoreError::LeaseLost { .. }) => return Halt::Stop(e.to_string()),
            // A store that cannot be read now may be readable at the next
            // beat; a journal write that fails stops the run anyway.
            Err(_) => {}
        }
    }
}
