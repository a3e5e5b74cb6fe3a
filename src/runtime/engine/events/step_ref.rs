//! Which step an event is about: a state, a branch of a `parallel` state or
//! an item of a `map` state, as data.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A state (`review`), a branch of a `parallel` state (`checks.lint`) or an
/// item of a `map` state (`summaries[3]`).
///
/// The parts are data ([`StepRef::state`], [`StepRef::branch`],
/// [`StepRef::item`]); the label people see is kept beside them, made once
/// per step, because every event of a step carries it and writing it out
/// again for each would cost more than the event. Events write the label
/// (the NDJSON is unchanged) and read it back into its parts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StepRef {
    label: Arc<str>,
    /// Where the state's name ends in the label.
    state_len: u32,
    part: Part,
}

/// What of a state a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    State,
    Branch,
    Item(u32),
}

impl StepRef {
    /// The state itself.
    pub fn state_of(state: &str) -> Self {
        Self::parts(Arc::from(state), state.len(), Part::State)
    }

    /// A branch of a `parallel` state.
    pub fn branch_of(state: &str, branch: &str) -> Self {
        Self::parts(
            Arc::from(format!("{state}.{branch}")),
            state.len(),
            Part::Branch,
        )
    }

    /// An item of a `map` state, counted from 0.
    pub fn item_of(state: &str, item: u32) -> Self {
        Self::parts(
            Arc::from(format!("{state}[{item}]")),
            state.len(),
            Part::Item(item),
        )
    }

    fn parts(label: Arc<str>, state_len: usize, part: Part) -> Self {
        StepRef {
            state_len: u32::try_from(state_len).unwrap_or(u32::MAX),
            label,
            part,
        }
    }

    /// Reads a label back: `state`, `state.branch` or `state[i]`. State and
    /// branch names are identifiers, so the first `.` or `[` ends the
    /// state's name; a label of any other shape is taken as a state's name,
    /// so that nothing read back is lost.
    pub fn parse(label: &str) -> Self {
        if let Some(at) = label.find('.')
            && at > 0
            && at + 1 < label.len()
        {
            return Self::parts(Arc::from(label), at, Part::Branch);
        }
        if let Some(at) = label.find('[')
            && at > 0
            && let Some(index) = label[at + 1..].strip_suffix(']')
            && let Ok(item) = index.parse::<u32>()
            && index.bytes().all(|b| b.is_ascii_digit())
        {
            return Self::parts(Arc::from(label), at, Part::Item(item));
        }
        Self::parts(Arc::from(label), label.len(), Part::State)
    }

    /// The state's name.
    pub fn state(&self) -> &str {
        self.label
            .get(..self.state_len as usize)
            .unwrap_or(&self.label)
    }

    /// The branch's name, for a branch of a `parallel` state.
    pub fn branch(&self) -> Option<&str> {
        match self.part {
            Part::Branch => self.label.get(self.state_len as usize + 1..),
            _ => None,
        }
    }

    /// The item's index, for an item of a `map` state.
    pub fn item(&self) -> Option<u32> {
        match self.part {
            Part::Item(item) => Some(item),
            _ => None,
        }
    }

    /// As people see it: `state`, `state.branch`, `state[i]`.
    pub fn as_str(&self) -> &str {
        &self.label
    }
}

impl fmt::Display for StepRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

impl fmt::Debug for StepRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.label, f)
    }
}

impl std::ops::Deref for StepRef {
    type Target = str;

    fn deref(&self) -> &str {
        &self.label
    }
}

impl PartialEq<str> for StepRef {
    fn eq(&self, other: &str) -> bool {
        &*self.label == other
    }
}

impl PartialEq<&str> for StepRef {
    fn eq(&self, other: &&str) -> bool {
        &*self.label == *other
    }
}

impl Serialize for StepRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.label)
    }
}

impl<'de> Deserialize<'de> for StepRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let label = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(StepRef::parse(&label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_are_data_and_the_label_is_what_people_see() {
        let state = StepRef::state_of("review");
        assert_eq!(
            (state.state(), state.branch(), state.item()),
            ("review", None, None)
        );
        let branch = StepRef::branch_of("checks", "lint");
        assert_eq!(branch.as_str(), "checks.lint");
        assert_eq!((branch.state(), branch.branch()), ("checks", Some("lint")));
        let item = StepRef::item_of("summaries", 3);
        assert_eq!(item.as_str(), "summaries[3]");
        assert_eq!((item.state(), item.item()), ("summaries", Some(3)));
    }

    #[test]
    fn labels_read_back_into_the_same_parts() {
        for step in [
            StepRef::state_of("review"),
            StepRef::branch_of("checks", "lint"),
            StepRef::item_of("summaries", 12),
        ] {
            let json = serde_json::to_string(&step).unwrap_or_default();
            let back: StepRef =
                serde_json::from_str(&json).unwrap_or_else(|_| StepRef::state_of(""));
            assert_eq!(back, step, "{json}");
        }
        // Odd labels are kept whole as a state's name.
        for odd in ["", ".x", "x.", "x[", "x[]", "x[-1]", "x[1"] {
            let step = StepRef::parse(odd);
            assert_eq!(
                (step.state(), step.branch(), step.item()),
                (odd, None, None)
            );
        }
    }
}
