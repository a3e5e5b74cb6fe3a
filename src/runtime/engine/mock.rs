//! Mocked workers (`flow run --mock`): a worker replaced by a sequence of
//! outcomes, one per call, the last repeated, so that a review loop, a
//! retry or a failure route can be exercised without the real worker.

use serde_json::Value;

use crate::ir::FailureClass;

/// What one call of a mocked worker gives.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MockOutcome {
    /// The output, which is validated against the worker's type and goes
    /// through its `after` hooks as a real one would.
    Output(Value),
    /// A failure of this class with this message, handled (retried,
    /// routed) as the worker's own would be.
    Fail {
        class: FailureClass,
        message: String,
    },
}

/// The outcomes of a mocked worker, in the order its calls get them.
#[derive(Debug, Clone, PartialEq)]
pub struct Mock {
    outcomes: Vec<MockOutcome>,
}

impl Mock {
    /// A mock that gives `outcomes` one per call and then repeats the
    /// last; `None` when there are none.
    pub fn new(outcomes: Vec<MockOutcome>) -> Option<Self> {
        (!outcomes.is_empty()).then_some(Mock { outcomes })
    }

    /// A mock whose every call outputs `value`.
    pub fn output(value: Value) -> Self {
        Mock {
            outcomes: vec![MockOutcome::Output(value)],
        }
    }

    pub fn outcomes(&self) -> &[MockOutcome] {
        &self.outcomes
    }

    /// The outcome of the call numbered `call` (from 0).
    pub(crate) fn outcome(&self, call: usize) -> &MockOutcome {
        let last = self.outcomes.len().saturating_sub(1);
        &self.outcomes[call.min(last)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_outcome_repeats() {
        let fail = MockOutcome::Fail {
            class: FailureClass::Transient,
            message: "reset".into(),
        };
        let ok = MockOutcome::Output(Value::from(1));
        let mock = Mock::new(vec![fail.clone(), ok.clone()]);
        let Some(mock) = mock else {
            panic!("two outcomes make a mock");
        };
        let seen: Vec<&MockOutcome> = (0..4).map(|call| mock.outcome(call)).collect();
        assert_eq!(seen, vec![&fail, &ok, &ok, &ok]);
        assert_eq!(Mock::new(Vec::new()), None);
    }
}
