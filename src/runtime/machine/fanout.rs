//! `parallel` and `map` states: one call per branch or item, at most
//! `max_concurrency` of them under way, values kept in order, and the
//! first failure cancelling the rest.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::call::{Frame, Progress};
use super::states::Visit;
use super::{CallId, CallSite, Command, Failed, Machine, failed};
use crate::ir::{FailureClass, StateId, StateKind};
use crate::runtime::engine::{StepRef, What};

/// The calls of one visit of a `parallel` or `map` state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Fanout {
    state: StateId,
    visit: u32,
    /// A `map` (slots are items) rather than a `parallel` (slots are
    /// branches).
    map: bool,
    slots: Vec<Slot>,
    /// The id of slot 0's call: slots start in order and each takes the
    /// next id, so slot `i`'s call is `first_call + i`.
    first_call: u64,
    /// The next slot to start.
    next: usize,
    /// Slots started and not ended.
    running: usize,
    /// At most this many at once.
    limit: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Slot {
    /// Not started; a `map` slot holds its item.
    Queued(Option<Value>),
    Running(Frame),
    Done(Arc<Value>),
}

impl Fanout {
    /// The calls under way, in slot order.
    pub(super) fn running(&self) -> Vec<CallId> {
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::Running(frame) => Some(frame.id),
                _ => None,
            })
            .collect()
    }

    /// Moves the fan-out to its state's id in another program.
    pub(super) fn set_state(&mut self, state: StateId) {
        self.state = state;
    }

    /// The frames of the calls under way, in slot order.
    pub(super) fn frames_mut(&mut self) -> impl Iterator<Item = &mut Frame> {
        self.slots.iter_mut().filter_map(|s| match s {
            Slot::Running(frame) => Some(frame),
            _ => None,
        })
    }

    /// Whether at least one call is under way and every one waits for a
    /// person.
    pub(super) fn all_asking(&self) -> bool {
        let mut any = false;
        for slot in &self.slots {
            if let Slot::Running(frame) = slot {
                if !frame.is_asking() {
                    return false;
                }
                any = true;
            }
        }
        any
    }

    /// Takes the frame of `call` out of its slot, if it is running.
    pub(super) fn take(&mut self, call: CallId) -> Option<(usize, Frame)> {
        let i = usize::try_from(call.0.checked_sub(self.first_call)?).ok()?;
        match self.slots.get(i) {
            Some(Slot::Running(frame)) if frame.id == call => {}
            _ => return None,
        }
        match std::mem::replace(&mut self.slots[i], Slot::Queued(None)) {
            Slot::Running(frame) => Some((i, frame)),
            other => {
                self.slots[i] = other;
                None
            }
        }
    }
}

impl Machine<'_> {
    /// Starts a visit of a `parallel` or `map` state: its `step_started`,
    /// the list of a `map`, and the first slots. The result when the visit
    /// ended at once.
    pub(super) fn begin_fanout(
        &mut self,
        now: u64,
        state: StateId,
        kind: &StateKind,
        visit: u32,
        out: &mut Vec<Command>,
    ) -> Option<Result<Arc<Value>, Failed>> {
        let name = self.labels[state.0 as usize].clone();
        self.emit(
            now,
            What::StepStarted {
                step: name.clone(),
                attempt: None,
            },
            out,
        );
        let (slots, limit, map) = match kind {
            StateKind::Parallel {
                branches,
                max_concurrency,
            } => {
                let slots: Vec<Slot> = branches.iter().map(|_| Slot::Queued(None)).collect();
                let limit = max_concurrency.map_or(slots.len(), |m| m as usize);
                (slots, limit, false)
            }
            StateKind::Map {
                list,
                max_concurrency,
                ..
            } => {
                let items = match self.evaluate(list, self.routed.as_ref()) {
                    Ok(Value::Array(items)) => items,
                    Ok(Value::Null) => Vec::new(),
                    Ok(other) => {
                        let message =
                            format!("the list of map state `{name}` is not a list: {other}");
                        let failure = failed(FailureClass::Worker, message, 0);
                        return Some(self.report(now, &name, Err(failure), out));
                    }
                    Err(e) => {
                        let message = format!("the list of map state `{name}`: {e}");
                        let failure = failed(FailureClass::Worker, message, 0);
                        return Some(self.report(now, &name, Err(failure), out));
                    }
                };
                let slots: Vec<Slot> = items.into_iter().map(|i| Slot::Queued(Some(i))).collect();
                (slots, *max_concurrency as usize, true)
            }
            StateKind::Step(_) | StateKind::Succeed(_) | StateKind::Fail(_) => {
                let failure = failed(FailureClass::Worker, format!("`{name}` is no fan-out"), 0);
                return Some(self.report(now, &name, Err(failure), out));
            }
        };
        let mut fan = Fanout {
            state,
            visit,
            map,
            slots,
            first_call: self.state.next_call,
            next: 0,
            running: 0,
            limit: limit.max(1),
        };
        let result = self.launch(now, &mut fan, out);
        if result.is_none() {
            self.state.visit = Some(Visit::Fanout(fan));
        }
        result
    }

    /// Starts slots while there is room; the result when the visit ended.
    fn launch(
        &mut self,
        now: u64,
        fan: &mut Fanout,
        out: &mut Vec<Command>,
    ) -> Option<Result<Arc<Value>, Failed>> {
        let wf = self.workflow;
        let name = self.labels[fan.state.0 as usize].clone();
        let kind = &wf.states.get(fan.state.0 as usize)?.kind;
        while fan.running < fan.limit && fan.next < fan.slots.len() {
            let i = fan.next;
            fan.next += 1;
            let item = match std::mem::replace(&mut fan.slots[i], Slot::Queued(None)) {
                Slot::Queued(item) => item,
                other => {
                    fan.slots[i] = other;
                    continue;
                }
            };
            let (site, call, step) = match kind {
                StateKind::Map { call, .. } => (
                    CallSite {
                        state: fan.state,
                        branch: None,
                    },
                    call,
                    StepRef::item_of(name.state(), u32::try_from(i).unwrap_or(u32::MAX)),
                ),
                StateKind::Parallel { branches, .. } => {
                    let branch = branches.get(i)?;
                    (
                        CallSite {
                            state: fan.state,
                            branch: Some(i as u32),
                        },
                        &branch.call,
                        StepRef::branch_of(name.state(), &branch.name),
                    )
                }
                _ => return None,
            };
            match self.start_call(now, site, call, step, fan.visit, item, out) {
                Progress::Waiting(frame) => {
                    fan.slots[i] = Slot::Running(frame);
                    fan.running += 1;
                }
                Progress::Done(Ok(value)) => fan.slots[i] = Slot::Done(value),
                Progress::Done(Err(failure)) => {
                    return Some(self.fail_fanout(now, fan, i, failure, out));
                }
            }
        }
        if fan.running == 0 && fan.next >= fan.slots.len() {
            return Some(self.succeed_fanout(now, fan, out));
        }
        None
    }

    /// A slot's call moved: it waits again, or it ended and the visit goes
    /// on (more slots), succeeds (all ended) or fails (this one failed).
    pub(super) fn fanout_progress(
        &mut self,
        now: u64,
        fan: &mut Fanout,
        slot: usize,
        progress: Progress,
        out: &mut Vec<Command>,
    ) -> Option<Result<Arc<Value>, Failed>> {
        match progress {
            Progress::Waiting(frame) => {
                fan.slots[slot] = Slot::Running(frame);
                None
            }
            Progress::Done(Ok(value)) => {
                fan.slots[slot] = Slot::Done(value);
                fan.running -= 1;
                self.launch(now, fan, out)
            }
            Progress::Done(Err(failure)) => {
                fan.running -= 1;
                Some(self.fail_fanout(now, fan, slot, failure, out))
            }
        }
    }

    /// Slot `i` failed: the others under way are cancelled, each ending
    /// with `step_cancelled`, then the state fails.
    fn fail_fanout(
        &mut self,
        now: u64,
        fan: &mut Fanout,
        i: usize,
        mut failure: Failed,
        out: &mut Vec<Command>,
    ) -> Result<Arc<Value>, Failed> {
        let name = self.labels[fan.state.0 as usize].clone();
        let cause = if fan.map {
            format!("item {i}")
        } else {
            let wf = self.workflow;
            match wf.states.get(fan.state.0 as usize).map(|s| &s.kind) {
                Some(StateKind::Parallel { branches, .. }) => branches
                    .get(i)
                    .map_or_else(String::new, |b| format!("branch `{}`", b.name)),
                _ => String::new(),
            }
        };
        failure.message = format!("{cause}: {}", failure.message);
        let running: Vec<Frame> = fan
            .slots
            .iter_mut()
            .filter_map(|s| match std::mem::replace(s, Slot::Queued(None)) {
                Slot::Running(frame) => Some(frame),
                other => {
                    *s = other;
                    None
                }
            })
            .collect();
        fan.running = 0;
        // Stopped first, then reported, so that what they started is
        // already being torn down.
        for frame in &running {
            out.push(Command::Cancel { call: frame.id });
        }
        for frame in running {
            let event = What::StepCancelled {
                step: frame.step,
                message: format!("cancelled because {cause} failed"),
            };
            self.emit(now, event, out);
        }
        self.report(now, &name, Err(failure), out)
    }

    /// Every slot succeeded: the record of the branches' values, or the
    /// list of the items' in order.
    fn succeed_fanout(
        &mut self,
        now: u64,
        fan: &mut Fanout,
        out: &mut Vec<Command>,
    ) -> Result<Arc<Value>, Failed> {
        let name = self.labels[fan.state.0 as usize].clone();
        let values = std::mem::take(&mut fan.slots).into_iter().map(|s| match s {
            Slot::Done(value) => Arc::unwrap_or_clone(value),
            _ => Value::Null,
        });
        let value = if fan.map {
            Value::Array(values.collect())
        } else {
            let wf = self.workflow;
            let names: Vec<String> = match wf.states.get(fan.state.0 as usize).map(|s| &s.kind) {
                Some(StateKind::Parallel { branches, .. }) => {
                    branches.iter().map(|b| b.name.clone()).collect()
                }
                _ => Vec::new(),
            };
            Value::Object(
                names
                    .into_iter()
                    .zip(values)
                    .collect::<Map<String, Value>>(),
            )
        };
        self.report(now, &name, Ok(value), out)
    }

    /// Emits the state's own end, after those of its calls.
    fn report(
        &mut self,
        now: u64,
        name: &StepRef,
        result: Result<Value, Failed>,
        out: &mut Vec<Command>,
    ) -> Result<Arc<Value>, Failed> {
        let result = result.map(Arc::new);
        match &result {
            Ok(value) => {
                let event = What::StepSucceeded {
                    step: name.clone(),
                    attempt: None,
                    duration_ms: None,
                    output: value.clone(),
                    log: None,
                    usage: None,
                };
                self.emit(now, event, out);
            }
            Err(failure) => {
                let event = What::StepFailed {
                    step: name.clone(),
                    attempt: None,
                    class: failure.class,
                    message: failure.message.clone(),
                    log: None,
                    hook: None,
                };
                self.emit(now, event, out);
            }
        }
        result
    }
}
