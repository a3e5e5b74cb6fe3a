//! A run's history read from its journal, growing as more entries come:
//! what `flow logs` shows, and `flow logs --follow` tails while another
//! process drives the run.
//!
//! [`History::new`] replays the journal so far ([`durable::replay`]);
//! [`History::feed`] hands the machine the entries committed since, and
//! answers the events they led to. The machine is deterministic, so the
//! events are those the driving process emitted, in the same order, with
//! the same numbers and times.
//!
//! They are masked as the driver masked them, with [`History::masking`]:
//! a failure's message was masked before it was journaled, but what a
//! program that succeeded wrote to stderr (an event's `log`) is journaled
//! as it was, and the driver masked it only when it emitted the event. The
//! secrets are the values `env()` read for the executor settings, which
//! the journal does not keep; a reader takes them from its own environment
//! (`Program::env_names`), which is the run's when it runs where the run
//! ran.

use super::durable::{self, DurableError, InputRecord, KIND_INPUT, KIND_RECORDED, KIND_SNAPSHOT};
use super::local::mask_event;
use crate::ir::{Program, WorkflowId};
use crate::runtime::engine::secrets::Secrets;
use crate::runtime::engine::{Event, RunOutcome};
use crate::runtime::executor::llm::Environment;
use crate::runtime::machine::{Command, Machine};
use crate::runtime::store::Entry;

/// A run rebuilt from its journal, fed entry by entry.
pub struct History<'p> {
    machine: Machine<'p>,
    run_id: String,
    next_seq: u64,
    ended: Option<RunOutcome>,
    secrets: Secrets,
}

impl<'p> History<'p> {
    /// Replays `entries` (the journal from its setup entry on); returns the
    /// history and the events so far, masked with the values of `env` the
    /// workflow's executor settings read.
    pub fn new(
        program: &'p Program,
        workflow: WorkflowId,
        run_id: &str,
        entries: &[Entry],
        now: u64,
        env: &dyn Environment,
    ) -> Result<(History<'p>, Vec<Event>), DurableError> {
        let replayed = durable::replay(program, workflow, run_id, entries, now)?;
        let history = History {
            machine: replayed.machine,
            run_id: run_id.to_owned(),
            next_seq: replayed.next_seq,
            ended: replayed.ended,
            secrets: Self::masking(program, workflow, env),
        };
        let events = history.masked(replayed.events);
        Ok((history, events))
    }

    /// The secrets of a run of `workflow`: the values in `env` of the
    /// variables its executor settings read.
    pub fn masking(program: &Program, workflow: WorkflowId, env: &dyn Environment) -> Secrets {
        let secrets = Secrets::default();
        for read in program.env_names(workflow, &|_| false) {
            if let Some(value) = env.var(&read.name) {
                secrets.add(&value);
            }
        }
        secrets
    }

    fn masked(&self, events: Vec<Event>) -> Vec<Event> {
        events
            .into_iter()
            .map(|event| mask_event(&self.secrets, event))
            .collect()
    }

    /// The seq of the last entry taken, to read the journal after it.
    pub fn last_seq(&self) -> u64 {
        self.next_seq.saturating_sub(1)
    }

    /// How the run ended, once an entry said so.
    pub fn ended(&self) -> Option<&RunOutcome> {
        self.ended.as_ref()
    }

    /// The machine as of the last entry taken.
    pub fn machine(&self) -> &Machine<'p> {
        &self.machine
    }

    /// Takes the entries after those taken so far (others are skipped, so
    /// a journal read twice does no harm) and answers the events they led
    /// to, in order, masked.
    pub fn feed(&mut self, entries: &[Entry]) -> Result<Vec<Event>, DurableError> {
        let mut events = Vec::new();
        let mut out = Vec::new();
        for entry in entries {
            if entry.seq < self.next_seq {
                continue;
            }
            let bad = |reason: String| DurableError::Replay {
                run: self.run_id.clone(),
                reason,
            };
            if entry.seq != self.next_seq {
                return Err(bad(format!(
                    "entry {} follows entry {}",
                    entry.seq,
                    self.last_seq()
                )));
            }
            if entry.kind == KIND_SNAPSHOT {
                return Err(bad(
                    "the run was moved to the file as it is now (`flow resume --upgrade`); \
                     run `flow logs` again to follow it there"
                        .to_owned(),
                ));
            }
            if entry.kind != KIND_INPUT && entry.kind != KIND_RECORDED {
                return Err(bad(format!(
                    "entry {} is of kind {}",
                    entry.seq, entry.kind
                )));
            }
            let record: InputRecord = serde_json::from_slice(&entry.data)
                .map_err(|e| bad(format!("entry {}: {e}", entry.seq)))?;
            self.next_seq = entry.seq + 1;
            match record.input {
                None => self.machine.start(record.now, &mut out),
                Some(input) => self.machine.handle(record.now, input, &mut out),
            }
            for command in out.drain(..) {
                match command {
                    Command::Emit(event) => events.push(event),
                    Command::Finish(outcome) => self.ended = Some(outcome),
                    _ => {}
                }
            }
        }
        Ok(self.masked(events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::driver::durable::{KIND_SETUP, SetupRecord};
    use crate::runtime::machine::Input;

    fn program() -> Program {
        let source = r#"
worker W(n: int) -> string {
  exec { command: ["true"] }
}

workflow two() -> string {
  step one = W(n: 1) {
    on_success -> two
  }
  step two = W(n: 2) {
    on_success -> done
  }
  succeed done = "${one} ${two}"
}
"#;
        let parsed = crate::syntax::parse(source);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let (program, problems) = crate::check::check_program(&parsed.file);
        assert!(problems.is_empty(), "{problems:?}");
        program.expect("a program")
    }

    fn env() -> std::collections::HashMap<String, String> {
        std::collections::HashMap::new()
    }

    fn entry(seq: u64, now: u64, input: Option<Input>) -> Entry {
        let data = serde_json::to_vec(&InputRecord { now, input }).expect("an input record");
        Entry::new(seq, KIND_INPUT, data)
    }

    /// The journal of a run whose two attempts succeed, with the call ids
    /// the machine gives them (0, then 1).
    fn journal() -> Vec<Entry> {
        let setup = SetupRecord {
            input: serde_json::json!({}),
            seed: 7,
            mocks: Vec::new(),
        };
        let done = |call: u64, text: &str| Input::Attempted {
            call: crate::runtime::machine::CallId(call),
            took_ms: 5,
            result: Ok(crate::runtime::executor::Output {
                value: serde_json::json!(text),
                log: String::new(),
                usage: None,
            }),
        };
        vec![
            Entry::new(0, KIND_SETUP, serde_json::to_vec(&setup).expect("setup")),
            entry(1, 1_000, None),
            entry(2, 1_010, Some(done(0, "a"))),
            entry(3, 1_020, Some(done(1, "b"))),
        ]
    }

    #[test]
    fn feeding_entries_one_by_one_gives_the_events_of_a_whole_replay() {
        let program = program();
        let journal = journal();
        let (whole, all) = History::new(
            &program,
            WorkflowId(0),
            "00000000000000aa",
            &journal,
            2_000,
            &env(),
        )
        .expect("the journal replays");
        assert!(matches!(whole.ended(), Some(RunOutcome::Succeeded { .. })));
        let (mut history, mut events) = History::new(
            &program,
            WorkflowId(0),
            "00000000000000aa",
            &journal[..1],
            2_000,
            &env(),
        )
        .expect("the setup replays");
        assert!(events.is_empty());
        for n in 1..journal.len() {
            // Reading from the start again skips what was taken.
            events.extend(history.feed(&journal[..=n]).expect("the entry replays"));
            assert_eq!(history.last_seq(), n as u64);
        }
        assert_eq!(events, all);
        assert!(matches!(
            history.ended(),
            Some(RunOutcome::Succeeded { .. })
        ));
    }

    #[test]
    fn a_gap_in_the_journal_is_refused() {
        let program = program();
        let journal = journal();
        let (mut history, _) = History::new(
            &program,
            WorkflowId(0),
            "00000000000000aa",
            &journal[..2],
            2_000,
            &env(),
        )
        .expect("the start replays");
        let err = history.feed(&journal[3..]).expect_err("a gap");
        assert!(err.to_string().contains("entry 3 follows entry 1"), "{err}");
    }
}
