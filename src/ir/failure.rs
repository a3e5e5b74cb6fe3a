//! Failure classes: why a worker call failed. `retry_on` and `on_failure`
//! clauses name them; `error.class` holds one.

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureClass {
    /// An attempt ran longer than its `timeout`.
    Timeout,
    /// A failure that may go away: exec exit code 75; HTTP connect or reset
    /// errors, 408, 429, 5xx.
    Transient,
    /// The worker itself failed: another exit code or non-2xx status, a
    /// rejection by a person, the `fail` built-in.
    Worker,
    /// The output did not match the declared type, or could not be parsed.
    Output,
    /// A bound was reached: `max_visits` of a state.
    Limit,
}

impl FailureClass {
    pub const ALL: [FailureClass; 5] = [
        FailureClass::Timeout,
        FailureClass::Transient,
        FailureClass::Worker,
        FailureClass::Output,
        FailureClass::Limit,
    ];

    /// The classes retried when a worker does not say: `retry_on` defaults
    /// to `[timeout, transient, output]`.
    pub const RETRIED_BY_DEFAULT: [FailureClass; 3] = [
        FailureClass::Timeout,
        FailureClass::Transient,
        FailureClass::Output,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FailureClass::Timeout => "timeout",
            FailureClass::Transient => "transient",
            FailureClass::Worker => "worker",
            FailureClass::Output => "output",
            FailureClass::Limit => "limit",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        FailureClass::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serialize_lowercase() {
        for class in FailureClass::ALL {
            assert_eq!(FailureClass::from_name(class.name()), Some(class));
            assert_eq!(
                serde_json::to_string(&class).ok(),
                Some(format!("\"{}\"", class.name()))
            );
        }
        assert_eq!(FailureClass::from_name("Timeout"), None);
    }
}
