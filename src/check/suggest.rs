//! "Did you mean" suggestions for misspelt names.

use std::borrow::Cow;

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
        let candidate_lower = candidate.to_lowercase();
        let distance = if candidate_lower == lower || singular(&candidate_lower) == singular(&lower)
        {
            // A difference in case only is the most likely typo of all, and
            // a singular for a plural (`retry` for `retries`, `header` for
            // `headers`) is as likely: a word remembered, not its form,
            // which edits count as far apart as `retry` and `retry_on`.
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

/// The singular of the last word of a lower-case name, by the regular
/// English rules: `retries` is `retry`, `headers` is `header`, `classes`
/// is `class`, and `class` stays.
fn singular(name: &str) -> Cow<'_, str> {
    if let Some(stem) = name.strip_suffix("ies").filter(|s| !s.is_empty()) {
        return Cow::Owned(format!("{stem}y"));
    }
    if let Some(stem) = name.strip_suffix("es")
        && ["s", "x", "ch", "sh"].iter().any(|end| stem.ends_with(end))
    {
        return Cow::Borrowed(stem);
    }
    match name.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') && !stem.is_empty() => Cow::Borrowed(stem),
        _ => Cow::Borrowed(name),
    }
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

/// The operator that a word stands for in languages that spell it (`!`
/// for `not`), as a replacement of the word at `span`: `not (x)` parses as
/// a call of a function `not`, and `!(x)` is what was meant.
pub fn operator(word: &str, span: Span) -> Option<Suggestion> {
    symbol_of(word).map(|symbol| Suggestion {
        replacement: symbol.to_string(),
        span,
    })
}

fn symbol_of(word: &str) -> Option<&'static str> {
    Some(match word {
        "not" => "!",
        "and" => "&&",
        "or" => "||",
        _ => return None,
    })
}

/// The help for a word used as an operator, such as `not`.
pub fn operator_help(word: &str) -> String {
    match symbol_of(word) {
        Some("!") => format!("`{word}` is written `!` in flow: `!(a == b)`"),
        Some(symbol) => format!("`{word}` is written `{symbol}` in flow: `a {symbol} b`"),
        None => format!("`{word}` is not an operator"),
    }
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
    fn a_singular_finds_its_plural() {
        let step = ["timeout", "retries", "backoff", "retry_on", "max_visits"];
        assert_eq!(closest("retry", step), Some("retries"));
        assert_eq!(closest("max_visit", step), Some("max_visits"));
        assert_eq!(closest("header", ["method", "headers"]), Some("headers"));
        assert_eq!(closest("retries", ["retry_on"]), None);
        assert_eq!(closest("class", ["classes"]), Some("classes"));
        assert_eq!(closest("key", ["keys"]), Some("keys"));
    }

    #[test]
    fn transposition_counts_as_one_edit() {
        assert_eq!(closest("tiemout", ["timeout", "retries"]), Some("timeout"));
    }
}
