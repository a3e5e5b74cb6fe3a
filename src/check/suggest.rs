//! "Did you mean" suggestions for misspelt names.

use super::Suggestion;
use crate::syntax::Span;

/// The candidate closest to `name`, if one is close enough to be a likely
/// typo. Ties go to the earliest candidate, so results are deterministic.
pub fn closest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    // Allow about one edit per three characters, at least one: `revew` finds
    // `review`, but `a` does not find `b`.
    let limit = (name.chars().count() / 3).max(1);
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = if candidate.to_lowercase() == lower {
            // A difference in case only is the most likely typo of all.
            0
        } else {
            strsim::damerau_levenshtein(name, candidate)
        };
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// A suggestion to replace the name at `span` with the closest candidate.
pub fn suggest<'a, I>(name: &str, span: Span, candidates: I) -> Option<Suggestion>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(name, candidates).map(|replacement| Suggestion {
        replacement: replacement.to_string(),
        span,
    })
}

/// The help line for an unknown name: "did you mean `x`?" when there is a
/// suggestion, else `otherwise`.
pub fn help(suggestion: &Option<Suggestion>, otherwise: impl Into<String>) -> String {
    match suggestion {
        Some(s) => format!("did you mean `{}`?", s.replacement),
        None => otherwise.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_near_miss() {
        let names = ["implement_code", "review_code", "completed"];
        assert_eq!(closest("review_cod", names), Some("review_code"));
        assert_eq!(closest("Completed", names), Some("completed"));
    }

    #[test]
    fn ignores_distant_names() {
        assert_eq!(closest("x", ["review_code"]), None);
        assert_eq!(closest("deploy", ["review_code", "completed"]), None);
    }

    #[test]
    fn transposition_counts_as_one_edit() {
        assert_eq!(closest("tiemout", ["timeout", "retries"]), Some("timeout"));
    }
}
