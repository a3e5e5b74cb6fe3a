//! The local driver: runs the machine on tokio in this process, with no
//! store. Attempts and hook programs go to an [`Invoke`], timers are
//! tokio sleeps, events go to the sink (masked) before the run goes on,
//! and a `cancel` future stops the run.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Instant;

use super::invoke::{Invoke, Pending};
use crate::ir::FailureClass;
use crate::runtime::engine::secrets::Secrets;
use crate::runtime::engine::{
    Event, EventSink, Finished, RunError, RunOutcome, StepRef, Timestamp, Waiting, What,
};
use crate::runtime::executor::{Failure, Output};
use crate::runtime::machine::{CallId, Command, Input, Machine};

/// The time of a run's events: the wall clock read once when the run
/// starts, then the monotonic clock. One reading per input, and the times
/// of one run never go backwards when the wall clock is adjusted during
/// it.
pub(crate) struct RunClock {
    wall_ms: u64,
    start: Instant,
}

impl RunClock {
    pub(crate) fn start() -> Self {
        RunClock {
            wall_ms: Timestamp::now().0,
            start: Instant::now(),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub(crate) fn now(&self) -> u64 {
        // Seconds and milliseconds rather than `as_millis`, whose u128
        // arithmetic showed in profiles: this runs for every input.
        let since = self.start.elapsed();
        let millis = since
            .as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(since.subsec_millis()));
        self.wall_ms.saturating_add(millis)
    }
}

/// Hides the secrets in the text of an event (messages and logs; data is
/// never rewritten).
pub(crate) fn mask_event(secrets: &Secrets, mut event: Event) -> Event {
    mask_event_in_place(secrets, &mut event);
    event
}

/// [`mask_event`] where the event lies: moving an event in and out of a
/// function showed in profiles of every run.
pub(crate) fn mask_event_in_place(secrets: &Secrets, event: &mut Event) {
    if secrets.none() {
        return;
    }
    event.map_text(|text| secrets.mask_owned(text));
}

/// Hides the secrets in what a worker said, before the machine (and the
/// `error` of the workflow's expressions) sees it.
pub(crate) fn mask_failure(secrets: &Secrets, mut failure: Failure) -> Failure {
    failure.message = secrets.mask_owned(std::mem::take(&mut failure.message));
    failure.log = secrets.mask_owned(std::mem::take(&mut failure.log));
    failure
}

/// Hides the secrets in what a worker that succeeded wrote to its log,
/// before the input that carries it is journaled (the value is data, and
/// left as it is).
pub(crate) fn mask_result(
    secrets: &Secrets,
    result: Result<Output, Failure>,
) -> Result<Output, Failure> {
    match result {
        Ok(mut output) => {
            output.log = secrets.mask_owned(std::mem::take(&mut output.log));
            Ok(output)
        }
        Err(failure) => Err(mask_failure(secrets, failure)),
    }
}

/// The calls under way: one future each (an attempt, a hook program or a
/// timer, with when it is due), polled together.
#[derive(Default)]
struct InFlight<'a> {
    running: Vec<(CallId, Option<u64>, Pending<'a, Input>)>,
}

impl<'a> InFlight<'a> {
    fn push(&mut self, call: CallId, timer_at: Option<u64>, future: Pending<'a, Input>) {
        self.running.push((call, timer_at, future));
    }

    /// Drops the future of `call`, which stops what it started.
    fn cancel(&mut self, call: CallId) {
        self.running.retain(|(c, _, _)| *c != call);
    }

    fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Whether all that runs is the deadlines of questions, none due yet:
    /// the run waits for people only.
    fn only_deadlines(&self, asking: &[Asking], now: u64) -> bool {
        self.running.iter().all(|(call, at, _)| {
            at.is_some_and(|at| at > now) && asking.iter().any(|a| a.call == *call)
        })
    }

    /// The next input from any of them.
    async fn next(&mut self) -> Input {
        poll_fn(|task| {
            for i in 0..self.running.len() {
                if let Poll::Ready(input) = self.running[i].2.as_mut().poll(task) {
                    drop(self.running.swap_remove(i));
                    return Poll::Ready(input);
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// A question put to a person and not answered yet.
struct Asking {
    call: CallId,
    worker: crate::ir::WorkerId,
    step: StepRef,
    prompt: String,
    deadline: Option<u64>,
}

/// Where the inputs of a run are made durable. The driver notes an input
/// before the machine takes it, and commits the note with the commands the
/// machine gave for it before carrying any of them out: so an attempt is
/// never started, nor a transition taken, that the journal does not hold.
pub trait Journal: Sync {
    /// What is kept of an input (the start: `None`) until it is committed.
    type Note: Send;

    fn note(&self, now: u64, input: Option<&Input>) -> Self::Note;

    /// Makes the note durable with what it led to; an error stops the run
    /// (it can be resumed from what was committed).
    fn commit(
        &self,
        note: Self::Note,
        commands: &[Command],
    ) -> impl Future<Output = Result<(), String>> + Send;

    /// Whether a question for a person may wait for its answer: only a
    /// journal keeps it for `flow approve` to answer once this process has
    /// let the run go.
    fn keeps_questions(&self) -> bool {
        false
    }

    /// Whether the journal reads the events the machine gives (the store's
    /// does, for the state a run is in): a journal that does not, with a
    /// sink that does not listen, lets the machine skip building them.
    fn reads_events(&self) -> bool {
        true
    }
}

/// No journal: a run in memory only (`--no-store`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJournal;

impl Journal for NoJournal {
    type Note = ();

    fn note(&self, _: u64, _: Option<&Input>) {}

    fn commit(&self, (): (), _: &[Command]) -> impl Future<Output = Result<(), String>> + Send {
        std::future::ready(Ok(()))
    }

    fn reads_events(&self) -> bool {
        false
    }
}

/// Where a resumed run goes on from: the commands still to carry out
/// (attempts and hooks to start again, timers to set again) and inputs to
/// give the machine first.
#[derive(Debug, Default)]
pub struct Resumed {
    /// The run was recorded but never started: start it.
    pub start: bool,
    pub commands: Vec<Command>,
    pub inputs: Vec<Input>,
}

/// How a run is stopped from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    /// The run is cancelled: what runs is stopped, each open step ends
    /// with `step_cancelled` and the run with `run_cancelled`, its end.
    Cancel,
    /// The run is let go unfinished, to be resumed (a durable run on
    /// Ctrl-C): what runs is stopped and nothing more is recorded; the
    /// reason is the outcome's.
    Stop(String),
}

/// Runs a machine to its end: a new one from its start, or a resumed one
/// from where its journal left it. `cancel` completing stops the run as
/// its [`Halt`] says: the calls under way are dropped (processes killed,
/// connections closed), and a cancelled run ends each open step with
/// `step_cancelled`, then itself with `run_cancelled`.
pub async fn drive<S: EventSink, I: Invoke, J: Journal>(
    mut machine: Machine<'_>,
    invoke: &I,
    sink: &S,
    secrets: &Secrets,
    journal: &J,
    resumed: Option<Resumed>,
    cancel: impl Future<Output = Halt>,
) -> Finished {
    let clock = RunClock::start();
    let mut cancel = pin!(cancel);
    let mut cancelled = false;
    // One buffer of commands, drained before the machine refills it: a
    // second one to swap with was an allocation of sixteen commands per run.
    let mut out = Vec::with_capacity(16);
    let mut inflight = InFlight::default();
    let mut ready: VecDeque<Input> = VecDeque::new();
    let mut asking: Vec<Asking> = Vec::new();
    if !sink.listens() && !journal.reads_events() {
        machine.quiet();
    }
    match resumed {
        None | Some(Resumed { start: true, .. }) => {
            let now = clock.now();
            let note = journal.note(now, None);
            machine.start(now, &mut out);
            if let Err(reason) = journal.commit(note, &out).await {
                return stopped(machine, reason);
            }
        }
        Some(resumed) => {
            out = resumed.commands;
            ready.extend(resumed.inputs);
        }
    }
    loop {
        let mut ended = None;
        for command in out.drain(..) {
            match command {
                Command::Emit(mut event) => {
                    if let What::RunPaused { step, question, .. } = &mut event.what
                        && let Some(asked) = asking.iter().find(|a| a.step == *step)
                    {
                        question.prompt = asked.prompt.clone();
                    }
                    mask_event_in_place(secrets, &mut event);
                    // The event is journaled already; a sink that cannot
                    // take it stops the run here, resumable where a store
                    // keeps it, instead of running on unrecorded.
                    if let Err(error) = sink.emit(event).await {
                        drop(inflight);
                        return stopped(machine, error.to_string());
                    }
                }
                Command::Invoke(attempt) => {
                    let call = attempt.call;
                    match invoke.now(attempt) {
                        Ok((took_ms, result)) => ready.push_back(Input::Attempted {
                            call,
                            took_ms,
                            result: mask_result(secrets, result),
                        }),
                        Err(attempt) => {
                            let future = invoke.attempt(attempt);
                            inflight.push(
                                call,
                                None,
                                Box::pin(async move {
                                    let (took_ms, result) = future.await;
                                    Input::Attempted {
                                        call,
                                        took_ms,
                                        result: mask_result(secrets, result),
                                    }
                                }),
                            );
                        }
                    }
                }
                Command::RunHook(hook) => {
                    let call = hook.call;
                    let future = invoke.hook(hook);
                    inflight.push(
                        call,
                        None,
                        Box::pin(async move {
                            let result = future.await;
                            Input::Hooked {
                                call,
                                result: mask_result(secrets, result),
                            }
                        }),
                    );
                }
                Command::StartTimer { call, at, delay } => inflight.push(
                    call,
                    Some(at),
                    Box::pin(async move {
                        tokio::time::sleep(delay).await;
                        Input::TimerFired { call }
                    }),
                ),
                // A question waits for its answer where a journal keeps it;
                // without one (a mocked `human` worker asks nobody, and an
                // unmocked one was refused at the start) it is answered with
                // a failure rather than waited for for ever.
                Command::AskHuman(question) if journal.keeps_questions() => {
                    match invoke.prompt(&question) {
                        Ok(prompt) => asking.push(Asking {
                            call: question.call,
                            worker: question.worker,
                            step: question.step.clone(),
                            prompt,
                            deadline: question.deadline,
                        }),
                        Err(failure) => ready.push_back(Input::Attempted {
                            call: question.call,
                            took_ms: 0,
                            result: Err(mask_failure(secrets, failure)),
                        }),
                    }
                }
                Command::AskHuman(question) => ready.push_back(Input::Attempted {
                    call: question.call,
                    took_ms: 0,
                    result: Err(Failure::new(
                        FailureClass::Worker,
                        format!(
                            "`{}` asks a person, which needs the run store; this run has none",
                            question.step
                        ),
                    )),
                }),
                Command::Cancel { call } => {
                    inflight.cancel(call);
                    asking.retain(|a| a.call != call);
                    ready.retain(|input| input.call() != Some(call));
                }
                Command::Finish(outcome) => ended = Some(outcome),
            }
        }
        if let Some(outcome) = ended {
            let outcome = match outcome {
                RunOutcome::Failed { mut error } => {
                    error.message = secrets.mask_owned(std::mem::take(&mut error.message));
                    RunOutcome::Failed { error }
                }
                other => other,
            };
            // What is still under way is dropped with `inflight` here.
            drop(inflight);
            return Finished {
                outcome,
                state: machine.into_state().run,
            };
        }
        let input = match ready.pop_front() {
            Some(input) => input,
            // Every call left waits for a person: the run is let go, to go
            // on when they answer.
            None if !cancelled
                && !asking.is_empty()
                && inflight.only_deadlines(&asking, clock.now()) =>
            {
                drop(inflight);
                let questions = asking
                    .into_iter()
                    .map(|a| Waiting {
                        step: a.step.to_string(),
                        worker: a.worker,
                        prompt: a.prompt,
                        deadline: a.deadline,
                    })
                    .collect();
                return Finished {
                    outcome: RunOutcome::Paused { questions },
                    state: machine.into_state().run,
                };
            }
            None if inflight.is_empty() => {
                // The machine waits for nothing: a bug, reported as the
                // run's failure rather than a hang.
                let error = RunError {
                    state: machine.state().run.workflow.clone(),
                    class: None,
                    message: "the run stopped making progress (an internal error of flow)"
                        .to_owned(),
                    attempts: 0,
                };
                return Finished {
                    outcome: RunOutcome::Failed { error },
                    state: machine.into_state().run,
                };
            }
            None if cancelled => inflight.next().await,
            None => {
                tokio::select! {
                    biased;
                    halt = &mut cancel => match halt {
                        Halt::Cancel => {
                            cancelled = true;
                            Input::CancelRequested
                        }
                        Halt::Stop(reason) => {
                            // What runs stops with `inflight`: an attempt
                            // under way is run again on resume, with the
                            // same idempotency key.
                            drop(inflight);
                            return stopped(machine, reason);
                        }
                    },
                    input = inflight.next() => input,
                }
            }
        };
        let now = clock.now();
        let note = journal.note(now, Some(&input));
        machine.handle(now, input, &mut out);
        if let Err(reason) = journal.commit(note, &out).await {
            // What is under way stops with `inflight`; nothing it does
            // after this could be recorded.
            drop(inflight);
            return stopped(machine, reason);
        }
    }
}

/// The run stops short because its journal or its events cannot be
/// written.
fn stopped(machine: Machine<'_>, reason: String) -> Finished {
    Finished {
        outcome: RunOutcome::Stopped { reason },
        state: machine.into_state().run,
    }
}
