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
use crate::runtime::engine::{Event, EventSink, Finished, RunError, RunOutcome, Timestamp};
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
    event.message = event.message.map(|m| secrets.mask_owned(m));
    event.log = event.log.map(|m| secrets.mask_owned(m));
    if let Some(error) = &mut event.error {
        error.message = secrets.mask_owned(std::mem::take(&mut error.message));
    }
    event
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
/// timer), polled together.
#[derive(Default)]
struct InFlight<'a> {
    running: Vec<(CallId, Pending<'a, Input>)>,
}

impl<'a> InFlight<'a> {
    fn push(&mut self, call: CallId, future: Pending<'a, Input>) {
        self.running.push((call, future));
    }

    /// Drops the future of `call`, which stops what it started.
    fn cancel(&mut self, call: CallId) {
        self.running.retain(|(c, _)| *c != call);
    }

    fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// The next input from any of them.
    async fn next(&mut self) -> Input {
        poll_fn(|task| {
            for i in 0..self.running.len() {
                if let Poll::Ready(input) = self.running[i].1.as_mut().poll(task) {
                    drop(self.running.swap_remove(i));
                    return Poll::Ready(input);
                }
            }
            Poll::Pending
        })
        .await
    }
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

/// Runs a machine to its end: a new one from its start, or a resumed one
/// from where its journal left it. `cancel` completing stops the run: the
/// calls under way are dropped (processes killed, connections closed),
/// each open step ends with `step_cancelled`, then the run with
/// `run_cancelled`.
pub async fn drive<S: EventSink, I: Invoke, J: Journal>(
    mut machine: Machine<'_>,
    invoke: &I,
    sink: &S,
    secrets: &Secrets,
    journal: &J,
    resumed: Option<Resumed>,
    cancel: impl Future<Output = ()>,
) -> Finished {
    let clock = RunClock::start();
    let mut cancel = pin!(cancel);
    let mut cancelled = false;
    let mut out = Vec::with_capacity(16);
    let mut commands = Vec::with_capacity(16);
    let mut inflight = InFlight::default();
    let mut ready: VecDeque<Input> = VecDeque::new();
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
        std::mem::swap(&mut out, &mut commands);
        let mut ended = None;
        for command in commands.drain(..) {
            match command {
                Command::Emit(event) => sink.emit(mask_event(secrets, event)).await,
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
                        Box::pin(async move {
                            let result = future.await;
                            Input::Hooked {
                                call,
                                result: mask_result(secrets, result),
                            }
                        }),
                    );
                }
                Command::StartTimer { call, delay, .. } => inflight.push(
                    call,
                    Box::pin(async move {
                        tokio::time::sleep(delay).await;
                        Input::TimerFired { call }
                    }),
                ),
                // Asking a person needs the store: a run without one was
                // refused at its start, unless the worker was mocked, and
                // then no question is asked. This answers one that slipped
                // through rather than waiting for ever.
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
                    () = &mut cancel => {
                        cancelled = true;
                        Input::CancelRequested
                    }
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

/// The run stops short because its journal cannot be written.
fn stopped(machine: Machine<'_>, reason: String) -> Finished {
    Finished {
        outcome: RunOutcome::Stopped { reason },
        state: machine.into_state().run,
    }
}
