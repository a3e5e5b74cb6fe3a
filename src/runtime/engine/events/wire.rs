//! The JSON of an event (`--events ndjson`, the journal's snapshots): one
//! flat object, `event` first, then `run_id`, `seq`, `ts` and the fields
//! its kind has, in one fixed order. It is written from a borrowed view, so
//! that serializing an event copies nothing, and read into a record of
//! every field, which is then held to what its kind must have.

use std::sync::Arc;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{Asked, Event, EventKind, HookFailure, RunError, StepRef, Timestamp, Usage, What};
use crate::ir::FailureClass;

/// Every field an event may have, in the order they are written.
#[derive(Serialize)]
struct View<'a> {
    event: EventKind,
    run_id: &'a str,
    seq: u64,
    ts: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<&'a StepRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    class: Option<FailureClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a StepRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RunError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hook: Option<&'a HookFailure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    question: Option<&'a Asked>,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (delay_ms, max_attempts) = match &self.what {
            What::RetryScheduled {
                delay_ms,
                max_attempts,
                ..
            } => (Some(*delay_ms), Some(*max_attempts)),
            _ => (None, None),
        };
        let (workflow, input) = match &self.what {
            What::RunStarted { workflow, input } => (Some(workflow.as_str()), Some(&**input)),
            _ => (None, None),
        };
        let error = match &self.what {
            What::RunFailed { error, .. } => Some(&**error),
            _ => None,
        };
        View {
            event: self.kind(),
            run_id: &self.run_id,
            seq: self.seq,
            ts: self.ts,
            workflow,
            input,
            step: self.step(),
            attempt: self.attempt(),
            class: self.class(),
            message: self.message(),
            target: self.target(),
            duration_ms: self.duration_ms(),
            output: self.output().map(|output| &**output),
            error,
            log: self.log(),
            delay_ms,
            max_attempts,
            hook: self.hook(),
            usage: self.usage(),
            question: self.question(),
        }
        .serialize(serializer)
    }
}

/// Every field an event may have, as read.
#[derive(Deserialize)]
struct Record {
    event: EventKind,
    run_id: Arc<str>,
    seq: u64,
    ts: Timestamp,
    workflow: Option<String>,
    input: Option<Box<Value>>,
    step: Option<StepRef>,
    attempt: Option<u32>,
    class: Option<FailureClass>,
    message: Option<String>,
    target: Option<StepRef>,
    duration_ms: Option<u64>,
    output: Option<Arc<Value>>,
    error: Option<Box<RunError>>,
    log: Option<String>,
    delay_ms: Option<u64>,
    max_attempts: Option<u32>,
    hook: Option<Box<HookFailure>>,
    usage: Option<Usage>,
    question: Option<Box<Asked>>,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = Record::deserialize(deserializer)?;
        let kind = r.event;
        let missing = |field: &str| {
            let name = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            D::Error::custom(format!("a `{name}` event has no `{field}`"))
        };
        let what = match kind {
            EventKind::RunStarted => What::RunStarted {
                workflow: r.workflow.ok_or_else(|| missing("workflow"))?,
                input: r.input.unwrap_or_else(|| Box::new(Value::Null)),
            },
            EventKind::StepStarted => What::StepStarted {
                step: r.step.ok_or_else(|| missing("step"))?,
                attempt: r.attempt,
            },
            EventKind::AttemptFailed => What::AttemptFailed {
                step: r.step.ok_or_else(|| missing("step"))?,
                attempt: r.attempt.ok_or_else(|| missing("attempt"))?,
                class: r.class.ok_or_else(|| missing("class"))?,
                message: r.message.unwrap_or_default(),
                duration_ms: r.duration_ms.unwrap_or(0),
                log: r.log,
                usage: r.usage,
            },
            EventKind::StepSucceeded => What::StepSucceeded {
                step: r.step.ok_or_else(|| missing("step"))?,
                attempt: r.attempt,
                duration_ms: r.duration_ms,
                output: r.output.ok_or_else(|| missing("output"))?,
                log: r.log,
                usage: r.usage,
            },
            EventKind::StepFailed => What::StepFailed {
                step: r.step.ok_or_else(|| missing("step"))?,
                attempt: r.attempt,
                class: r.class.ok_or_else(|| missing("class"))?,
                message: r.message.unwrap_or_default(),
                log: r.log,
                hook: r.hook,
            },
            EventKind::Transition => What::Transition {
                step: r.step.ok_or_else(|| missing("step"))?,
                target: r.target.ok_or_else(|| missing("target"))?,
            },
            EventKind::RunSucceeded => What::RunSucceeded {
                output: r.output.ok_or_else(|| missing("output"))?,
            },
            EventKind::RunFailed => {
                let error = r.error.ok_or_else(|| missing("error"))?;
                What::RunFailed {
                    step: r.step.unwrap_or_else(|| StepRef::state_of(&error.state)),
                    error,
                }
            }
            EventKind::RunCancelled => What::RunCancelled,
            EventKind::RetryScheduled => What::RetryScheduled {
                step: r.step.ok_or_else(|| missing("step"))?,
                attempt: r.attempt.ok_or_else(|| missing("attempt"))?,
                class: r.class.ok_or_else(|| missing("class"))?,
                message: r.message.unwrap_or_default(),
                delay_ms: r.delay_ms.unwrap_or(0),
                max_attempts: r.max_attempts.ok_or_else(|| missing("max_attempts"))?,
            },
            EventKind::StepCancelled => What::StepCancelled {
                step: r.step.ok_or_else(|| missing("step"))?,
                message: r.message.unwrap_or_default(),
            },
            EventKind::AttemptInterrupted => What::AttemptInterrupted {
                step: r.step.ok_or_else(|| missing("step"))?,
                attempt: r.attempt.ok_or_else(|| missing("attempt"))?,
                message: r.message.unwrap_or_default(),
            },
            EventKind::RunPaused => What::RunPaused {
                step: r.step.ok_or_else(|| missing("step"))?,
                attempt: r.attempt.ok_or_else(|| missing("attempt"))?,
                question: r.question.ok_or_else(|| missing("question"))?,
            },
        };
        Ok(Event {
            run_id: r.run_id,
            seq: r.seq,
            ts: r.ts,
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamped(what: What) -> Event {
        Event {
            run_id: "r".into(),
            ..Event::unstamped(what)
        }
    }

    #[test]
    fn absent_fields_are_left_out_of_the_json() {
        let event = stamped(What::StepStarted {
            step: StepRef::state_of("s"),
            attempt: Some(2),
        });
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"event": "step_started", "run_id": "r", "seq": 0, "ts": "1970-01-01T00:00:00.000Z", "step": "s", "attempt": 2})
        );
    }

    #[test]
    fn a_failed_run_tells_its_state_class_and_message_and_reads_back() {
        let error = RunError {
            state: "review".into(),
            class: Some(FailureClass::Timeout),
            message: "too slow".into(),
            attempts: 3,
        };
        let event = stamped(What::RunFailed {
            step: StepRef::state_of("review"),
            error: Box::new(error),
        });
        let text = serde_json::to_string(&event).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"event":"run_failed","run_id":"r","seq":0,"ts":"1970-01-01T00:00:00.000Z","step":"review","class":"timeout","message":"too slow","error":{"state":"review","class":"timeout","message":"too slow","attempts":3}}"#
        );
        let back: Event = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, event);
    }

    #[test]
    fn an_event_without_what_its_kind_must_have_is_refused_by_name() {
        let text = r#"{"event":"transition","run_id":"r","seq":4,"ts":"1970-01-01T00:00:00.000Z","step":"a"}"#;
        let error = serde_json::from_str::<Event>(text)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("a `transition` event has no `target`")
        );
    }

    #[test]
    fn steps_read_back_as_data() {
        let text = r#"{"event":"step_cancelled","run_id":"r","seq":4,"ts":"1970-01-01T00:00:00.000Z","step":"fan[7]","message":"cancelled"}"#;
        let event: Event = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let step = event
            .step()
            .cloned()
            .unwrap_or_else(|| StepRef::state_of(""));
        assert_eq!((step.state(), step.item()), ("fan", Some(7)));
        assert_eq!(serde_json::to_string(&event).ok().as_deref(), Some(text));
    }
}
