//! The long explanation of every diagnostic code, for `flow explain`.
//!
//! Each code has one Markdown file, `<stage>/<name>.md`, compiled into the
//! binary. Its first line is a `# ` title that doubles as the one-line
//! summary of `flow explain --list`; the rest says what the rule is, what
//! would go wrong at run time without it, an example that breaks it and the
//! fix. A test keeps the registry in step with the codes of the error enums.

/// The explanation of one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    /// The full code, `flow::check::unknown_state`.
    pub code: &'static str,
    /// The Markdown text.
    pub text: &'static str,
}

impl Explanation {
    /// The title line without its `# `: the one-line summary.
    pub fn summary(&self) -> &'static str {
        let first = self.text.lines().next().unwrap_or("");
        first.strip_prefix("# ").unwrap_or(first).trim()
    }

    /// The stage and name, `check::unknown_state`.
    pub fn short_code(&self) -> &'static str {
        self.code.strip_prefix("flow::").unwrap_or(self.code)
    }

    /// The name alone, `unknown_state`.
    pub fn name(&self) -> &'static str {
        self.code.rsplit("::").next().unwrap_or(self.code)
    }
}

macro_rules! registry {
    ($($stage:ident :: $name:ident),* $(,)?) => {
        /// Every explanation, syntax codes first, each stage in the order of
        /// its error enum.
        pub static EXPLANATIONS: &[Explanation] = &[
            $(Explanation {
                code: concat!("flow::", stringify!($stage), "::", stringify!($name)),
                text: include_str!(concat!(stringify!($stage), "/", stringify!($name), ".md")),
            },)*
        ];
    };
}

registry! {
    syntax::unexpected_token,
    syntax::assignment_in_condition,
    syntax::ternary,
    syntax::word_operator,
    syntax::unknown_transition,
    syntax::transition_colon,
    syntax::non_ascii_name,
    syntax::unterminated_string,
    syntax::unterminated_comment,
    syntax::invalid_escape,
    syntax::reserved_word,
    syntax::unparenthesized_if,
    syntax::invalid_number,
    syntax::invalid_duration,
    syntax::interpolation_not_allowed,
    syntax::too_deep,
    syntax::file_too_large,
    check::unsupported_import,
    check::duplicate_definition,
    check::unknown_type,
    check::cyclic_type,
    check::unknown_worker,
    check::unknown_transformer,
    check::unknown_function,
    check::impure_call,
    check::recursive_transformer,
    check::unknown_name,
    check::duplicate_parameter,
    check::ambiguous_name,
    check::shadowed_error,
    check::duplicate_field,
    check::unknown_field,
    check::unknown_argument,
    check::missing_argument,
    check::duplicate_argument,
    check::unnamed_argument,
    check::named_argument,
    check::wrong_argument_count,
    check::missing_executor,
    check::multiple_executors,
    check::unknown_executor,
    check::unsupported_executor,
    check::unknown_builtin,
    check::unknown_setting,
    check::duplicate_setting,
    check::invalid_setting,
    check::missing_setting,
    check::unknown_failure_class,
    check::env_outside_executor,
    check::missing_start,
    check::duplicate_state,
    check::duplicate_branch,
    check::empty_parallel,
    check::unknown_state,
    check::non_exhaustive_transitions,
    check::unreachable_transition,
    check::limit_without_max_visits,
    check::unreachable_state,
    check::cannot_finish,
    check::unbounded_cycle,
    check::unbounded_limit_loop,
    check::never_succeeds,
    check::type_mismatch,
    check::non_bool_condition,
    check::incompatible_branches,
    check::hook_signature,
    check::output_mismatch,
    check::not_a_member,
    check::invalid_operands,
    check::invalid_operand,
    check::misplaced_duration,
    check::not_a_record,
    check::not_indexable,
    check::nullable_value,
    check::maybe_not_run,
}

/// Codes whose erroneous example cannot be shown in a snippet: a file of
/// 4 GiB. Their explanations describe the input in a `text` block instead.
pub const WITHOUT_EXAMPLE: &[&str] = &["flow::syntax::file_too_large"];

/// What a code given by the user refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(&'static Explanation),
    /// A bare name that more than one stage uses.
    Ambiguous(Vec<&'static Explanation>),
    /// No such code; the closest one, if any is close enough to be a typo.
    NotFound {
        suggestion: Option<&'static str>,
    },
}

/// Finds the explanation of `query`, written in full
/// (`flow::check::unknown_state`), without the `flow::` prefix
/// (`check::unknown_state`) or as the bare name (`unknown_state`).
pub fn lookup(query: &str) -> Lookup {
    let query = query.trim();
    let matches: Vec<&'static Explanation> = EXPLANATIONS
        .iter()
        .filter(|e| e.code == query || e.short_code() == query || e.name() == query)
        .collect();
    match matches.as_slice() {
        [one] => Lookup::Found(one),
        [] => Lookup::NotFound {
            suggestion: closest(query),
        },
        _ => Lookup::Ambiguous(matches),
    }
}

/// The code whose name is closest to the name in `query`, allowing about
/// one edit per three characters, as for other misspelt names. A right name
/// under the wrong stage (`syntax::unknown_state`) is found too.
fn closest(query: &str) -> Option<&'static str> {
    let name = query.rsplit("::").next().unwrap_or(query).to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    EXPLANATIONS
        .iter()
        .map(|e| (strsim::damerau_levenshtein(&name, e.name()), e.code))
        .filter(|&(distance, _)| distance <= limit)
        // `min_by_key` keeps the first of equals: registry order decides ties.
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, code)| code)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The codes named in `code(...)` attributes of an error enum's source.
    fn codes_in(source: &str) -> BTreeSet<String> {
        source
            .match_indices("code(flow::")
            .map(|(at, _)| {
                let rest = &source[at + "code(".len()..];
                let end = rest.find(')').unwrap_or(rest.len());
                rest[..end].trim().to_string()
            })
            .collect()
    }

    /// A new code without an explanation, or an explanation of a code that
    /// no longer exists, fails here.
    #[test]
    fn registry_covers_exactly_the_codes_of_the_error_enums() {
        let mut declared = codes_in(include_str!("../../syntax/error.rs"));
        declared.extend(codes_in(include_str!("../../check/error.rs")));
        let registered: BTreeSet<String> =
            EXPLANATIONS.iter().map(|e| e.code.to_string()).collect();
        let missing: Vec<_> = declared.difference(&registered).collect();
        let stale: Vec<_> = registered.difference(&declared).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "codes without an explanation: {missing:?}; explanations without a code: {stale:?}"
        );
        assert_eq!(
            registered.len(),
            EXPLANATIONS.len(),
            "a code is registered twice"
        );
    }

    #[test]
    fn every_explanation_has_a_title_an_example_and_a_fix() {
        for e in EXPLANATIONS {
            let first = e.text.lines().next().unwrap_or("");
            assert!(first.starts_with("# "), "{}: no `# ` title line", e.code);
            assert!(!e.summary().is_empty(), "{}: empty title", e.code);
            assert!(
                !e.summary().ends_with('.'),
                "{}: a title is not a sentence",
                e.code
            );
            // The example that breaks the rule and the corrected one, except
            // where the problem cannot be shown in a snippet.
            let blocks = e.text.matches("```flow").count();
            if !WITHOUT_EXAMPLE.contains(&e.code) {
                assert!(
                    blocks >= 2,
                    "{}: needs an erroneous example and a fix",
                    e.code
                );
            }
            assert_eq!(
                e.text.matches("```").count() % 2,
                0,
                "{}: an unclosed code block",
                e.code
            );
            assert!(e.text.ends_with('\n'), "{}: no final newline", e.code);
        }
    }

    #[test]
    fn looks_up_every_spelling_of_a_code() {
        for query in [
            "flow::check::unknown_state",
            "check::unknown_state",
            "unknown_state",
            "  unknown_state\n",
        ] {
            match lookup(query) {
                Lookup::Found(e) => assert_eq!(e.code, "flow::check::unknown_state"),
                other => panic!("{query:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn suggests_the_closest_code() {
        assert_eq!(
            lookup("unknown_stat"),
            Lookup::NotFound {
                suggestion: Some("flow::check::unknown_state")
            }
        );
        assert_eq!(
            lookup("flow::syntax::unknown_state"),
            Lookup::NotFound {
                suggestion: Some("flow::check::unknown_state")
            }
        );
        assert_eq!(
            lookup("Unterminated_String"),
            Lookup::NotFound {
                suggestion: Some("flow::syntax::unterminated_string")
            }
        );
        assert_eq!(lookup("banana"), Lookup::NotFound { suggestion: None });
        assert_eq!(lookup(""), Lookup::NotFound { suggestion: None });
    }

    #[test]
    fn names_are_unique_across_stages() {
        // While they are, a bare name always finds one code; `Ambiguous`
        // exists for the day two stages share a name.
        let names: BTreeSet<_> = EXPLANATIONS.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), EXPLANATIONS.len());
    }
}
