//! The tokens a model spent on a call, as the server counts them: what the
//! events carry and what `flow run`'s trace adds up, so that a run's cost
//! can be seen without the provider's dashboard.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `usage` of a chat completion: the tokens of the prompt (with the
/// system message and the schema's grammar, as the server counts them) and
/// of the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    /// The `usage` object of a completion, when it has one with both counts
    /// (a server that counts nothing, or something else, reports none
    /// rather than a made-up zero).
    pub fn of_completion(completion: &Value) -> Option<Usage> {
        let usage = completion.get("usage")?;
        Some(Usage {
            prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
            completion_tokens: usage.get("completion_tokens")?.as_u64()?,
        })
    }

    pub fn total(self) -> u64 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }
}

/// Both counts added, saturating (a sum that overflows u64 is not a count
/// anyone will read).
impl std::ops::Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens.saturating_add(other.prompt_tokens),
            completion_tokens: self
                .completion_tokens
                .saturating_add(other.completion_tokens),
        }
    }
}
