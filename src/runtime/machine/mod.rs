//! The machine: every decision of a run, and nothing else.
//!
//! It has no tokio, no clock, no I/O and no randomness of its own: the
//! time comes with each input, the jitter from the seed the run started
//! with, and every effect (an attempt, a hook program, a timer, a question
//! for a person) leaves it as a [`Command`] for its driver, whose outcome
//! comes back as an [`Input`]. Replaying the same inputs gives the same
//! commands, bit for bit, which is what lets a run be journaled and
//! resumed, tested without processes, and driven by another engine. Its
//! state ([`MachineState`]) is plain serializable data at every point
//! where it waits.
//!
//! The decisions: visits and `max_visits`, the arguments of a call, hooks
//! in order, attempts, retries and their backoff, `parallel` and `map`
//! with their slots and the first failure, transitions in order,
//! `max_steps`, and the run's end (`states.rs`, `call.rs`, `fanout.rs`).

mod call;
mod fanout;
pub mod protocol;
mod states;
pub mod upgrade;

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use call::{call_at, show};
pub use protocol::{Attempt, CallId, CallSite, Command, HookRun, Input, Question};

use crate::ir::{FailureClass, Program, WorkerId, Workflow, WorkflowId};
use crate::runtime::engine::retry::Rng;
use crate::runtime::engine::{
    Asked, Event, Mock, RoutedFailure, RunState, StartError, StepRef, Timestamp, What,
};
use crate::runtime::validate::validate;

/// Why a call failed, after its retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Failed {
    pub class: FailureClass,
    pub message: String,
    pub attempts: u32,
}

pub(crate) fn failed(class: FailureClass, message: impl Into<String>, attempts: u32) -> Failed {
    Failed {
        class,
        message: message.into(),
        attempts,
    }
}

/// What a run is made of besides its program.
#[derive(Debug, Clone)]
pub struct Setup {
    pub run_id: Arc<str>,
    /// The record of the workflow's parameters, not yet validated.
    pub input: Value,
    /// The seed of the jitter between retries.
    pub seed: u64,
    /// Workers replaced by their outcomes (`flow run --mock`).
    pub mocks: Arc<HashMap<WorkerId, Mock>>,
}

/// Where a run is, as plain data: with the program and the mocks, enough
/// to go on from here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineState {
    pub run: RunState,
    /// The next event's sequence number.
    seq: u64,
    rng: Rng,
    /// The id of the next call.
    next_call: u64,
    /// The calls each mocked worker has had, by worker id.
    mock_calls: Vec<u32>,
    /// The steps, branches and items started and not ended, in the order
    /// they started: a stopped run ends each with `step_cancelled`.
    open: Vec<StepRef>,
    /// What the current state is doing, while it waits.
    visit: Option<states::Visit>,
    ended: bool,
    /// Whether a call keeps its input for an attempt that may have to run
    /// again after the process stopped ([`Input::Interrupted`]); without
    /// it the last attempt is handed the input itself.
    #[serde(default)]
    keep_inputs: bool,
    /// Whether the current visit has asked a person: only then can the
    /// run pause, so only then are its calls looked at after each input
    /// (a `map` of many items would otherwise be scanned at every one).
    #[serde(default)]
    asked: bool,
}

/// A run's decisions. See the module's documentation.
pub struct Machine<'p> {
    program: &'p Program,
    workflow: &'p Workflow,
    /// The name of each state, shared by its events.
    labels: Vec<StepRef>,
    mocks: Arc<HashMap<WorkerId, Mock>>,
    /// The value of `error` outside `on_failure` conditions, built once
    /// per routed failure from `state.run.routed`.
    routed: Option<Value>,
    /// The validated input, until the run starts.
    unstarted: Option<Value>,
    /// The run id, shared by every event.
    run_id: Arc<str>,
    /// Nobody reads the events: they are numbered and tracked as always,
    /// but not handed out (see [`Machine::quiet`]).
    quiet: bool,
    state: MachineState,
}

impl<'p> Machine<'p> {
    /// A run of `workflow` that has not started: the input is validated
    /// against its parameters first.
    pub fn new(
        program: &'p Program,
        workflow: WorkflowId,
        setup: Setup,
    ) -> Result<Machine<'p>, StartError> {
        let wf = program
            .workflows
            .get(workflow.0 as usize)
            .ok_or(StartError::NoWorkflow(workflow.0))?;
        let input = validate(setup.input, wf.input, &program.types).map_err(|mismatch| {
            StartError::InvalidInput {
                workflow: wf.name.clone(),
                mismatch,
            }
        })?;
        let params: Vec<Value> = wf
            .params
            .iter()
            .map(|p| input.get(&p.name).cloned().unwrap_or(Value::Null))
            .collect();
        let n = wf.states.len();
        let run = RunState {
            run_id: setup.run_id.to_string(),
            workflow: wf.name.clone(),
            params,
            current: wf.start.0,
            visits: vec![0; n],
            values: vec![None; n],
            steps: 0,
            routed: None,
        };
        let state = MachineState {
            run,
            seq: 0,
            rng: Rng::new(setup.seed),
            next_call: 0,
            mock_calls: if setup.mocks.is_empty() {
                Vec::new()
            } else {
                vec![0; program.workers.len()]
            },
            open: Vec::new(),
            visit: None,
            ended: false,
            keep_inputs: false,
            asked: false,
        };
        let mut machine = Machine::resume(program, wf, state, setup.mocks);
        machine.unstarted = Some(input);
        Ok(machine)
    }

    /// The machine of a run from its saved state.
    pub fn resume(
        program: &'p Program,
        workflow: &'p Workflow,
        state: MachineState,
        mocks: Arc<HashMap<WorkerId, Mock>>,
    ) -> Machine<'p> {
        Machine {
            program,
            workflow,
            labels: workflow
                .states
                .iter()
                .map(|s| StepRef::state_of(&s.name))
                .collect(),
            mocks,
            routed: state.run.routed.as_ref().map(RoutedFailure::to_value),
            unstarted: None,
            run_id: Arc::from(state.run.run_id.as_str()),
            quiet: false,
            state,
        }
    }

    /// Starts the run: `run_started`, then the start state. The commands
    /// are appended to `out` (a buffer the driver reuses, so that a
    /// transition allocates no list).
    pub fn start(&mut self, now: u64, out: &mut Vec<Command>) {
        let Some(input) = self.unstarted.take() else {
            return;
        };
        let event = What::RunStarted {
            workflow: self.workflow.name.clone(),
            input: Box::new(input),
        };
        self.emit(now, event, out);
        self.enter(now, out);
        self.tell_paused(now, out);
    }

    /// Acts on `input` at `now` (milliseconds since the Unix epoch),
    /// appending the commands to `out`. An input about a call that is no
    /// longer running (cancelled, or already answered) is ignored, as is
    /// every input once the run has ended.
    pub fn handle(&mut self, now: u64, input: Input, out: &mut Vec<Command>) {
        if self.state.ended || self.unstarted.is_some() {
            return;
        }
        match input {
            Input::CancelRequested => self.cancel_run(now, out),
            Input::Attempted {
                call,
                took_ms,
                result,
            } => self.on_call(now, call, out, |m, frame, out| {
                m.attempted(now, frame, took_ms, result, out)
            }),
            Input::Hooked { call, result } => self.on_call(now, call, out, |m, frame, out| {
                m.hooked(now, frame, result, out)
            }),
            Input::TimerFired { call } => {
                self.on_call(now, call, out, |m, frame, out| m.timer(now, frame, out))
            }
            Input::Interrupted { call } => self.on_call(now, call, out, |m, frame, out| {
                m.interrupted(now, frame, out)
            }),
        }
        self.tell_paused(now, out);
    }

    /// When every call under way waits for a person, the run is paused:
    /// each question not told yet is told with `run_paused`, with the
    /// worker's output type as JSON Schema and the deadline.
    fn tell_paused(&mut self, now: u64, out: &mut Vec<Command>) {
        if self.state.ended || !self.state.asked {
            return;
        }
        let Some(visit) = self.state.visit.as_mut() else {
            return;
        };
        if !visit.all_asking() {
            return;
        }
        let mut told = Vec::new();
        for frame in visit.frames_mut() {
            if let call::Phase::Asking {
                deadline,
                told: done @ false,
            } = &mut frame.phase
            {
                *done = true;
                told.push((frame.step.clone(), frame.attempt, frame.worker, *deadline));
            }
        }
        for (step, attempt, worker, deadline) in told {
            let schema = self
                .program
                .workers
                .get(worker.0 as usize)
                .map(|w| crate::runtime::schema::json_schema(w.output, &self.program.types))
                .unwrap_or(Value::Null);
            let event = What::RunPaused {
                step,
                attempt,
                question: Box::new(Asked {
                    prompt: String::new(),
                    schema,
                    deadline: deadline.map(Timestamp),
                }),
            };
            self.emit(now, event, out);
        }
    }

    /// Keeps every call's input until the call ends, so that an attempt
    /// interrupted by the end of the process can run again: what a durable
    /// driver asks for.
    pub fn keep_inputs(&mut self) {
        self.state.keep_inputs = true;
    }

    /// Gives no [`Command::Emit`]: for a driver whose events nobody reads
    /// (a benchmark's run with no journal and a sink that drops them). The
    /// decisions, the numbering of events and the open steps are the same,
    /// so a quiet run ends as a watched one does.
    pub fn quiet(&mut self) {
        self.quiet = true;
    }

    /// The input, validated against the workflow's parameters, until the
    /// run starts.
    pub fn validated_input(&self) -> Option<&Value> {
        self.unstarted.as_ref()
    }

    /// Whether the run has ended.
    pub fn ended(&self) -> bool {
        self.state.ended
    }

    /// Where the run is.
    pub fn state(&self) -> &MachineState {
        &self.state
    }

    /// The run's state, taken when it is over.
    pub fn into_state(self) -> MachineState {
        self.state
    }

    /// The mocked workers and their outcomes.
    pub fn mocks(&self) -> &Arc<HashMap<WorkerId, Mock>> {
        &self.mocks
    }

    pub fn program(&self) -> &'p Program {
        self.program
    }

    pub fn workflow(&self) -> &'p Workflow {
        self.workflow
    }

    /// Numbers the event and keeps the list of open steps; unless the
    /// machine is quiet, stamps it with the run id and `now` and hands it
    /// out.
    fn emit(&mut self, now: u64, what: What, out: &mut Vec<Command>) {
        self.track(&what);
        let seq = self.state.seq;
        self.state.seq += 1;
        if self.quiet {
            return;
        }
        let event = Event {
            run_id: self.run_id.clone(),
            seq,
            ts: Timestamp(now),
            what,
        };
        out.push(Command::Emit(event));
    }

    /// A start opens its step, an end closes the latest start of the same
    /// step.
    fn track(&mut self, what: &What) {
        let open = &mut self.state.open;
        match what {
            What::StepStarted { step, .. } => open.push(step.clone()),
            What::StepSucceeded { step, .. }
            | What::AttemptFailed { step, .. }
            | What::AttemptInterrupted { step, .. }
            | What::StepFailed { step, .. }
            | What::StepCancelled { step, .. } => {
                if let Some(at) = open.iter().rposition(|s| s == step) {
                    open.remove(at);
                }
            }
            _ => {}
        }
    }

    /// The run stops from outside: what runs is cancelled, every open step
    /// ends with `step_cancelled`, then the run with `run_cancelled`.
    fn cancel_run(&mut self, now: u64, out: &mut Vec<Command>) {
        if let Some(visit) = self.state.visit.take() {
            for call in visit.running() {
                out.push(Command::Cancel { call });
            }
        }
        for step in std::mem::take(&mut self.state.open) {
            let event = What::StepCancelled {
                step,
                message: "cancelled because the run was stopped".to_owned(),
            };
            self.emit(now, event, out);
        }
        self.emit(now, What::RunCancelled, out);
        self.end(crate::runtime::engine::RunOutcome::Cancelled, out);
    }

    fn end(&mut self, outcome: crate::runtime::engine::RunOutcome, out: &mut Vec<Command>) {
        self.state.ended = true;
        self.state.visit = None;
        out.push(Command::Finish(outcome));
    }
}
