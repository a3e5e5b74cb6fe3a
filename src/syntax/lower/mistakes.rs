//! The mistakes everybody makes, told as such.
//!
//! Where a parse failed, the text around the failure is read for a habit of
//! another language: `=` to compare, `a ? b : c`, `and`, `or` and `not`,
//! `on_error ->`, `on_success when c: x`, a space before the unit of a
//! duration, a fraction in one, a letter that is not ASCII. The error then
//! says what flow writes instead, with the corrected code where the line
//! says enough to rebuild it. The parse failed, so there is no tree: each
//! reading is of the text alone, and is kept narrow, since when in doubt
//! the plain "expected ..., found ..." is the better message.

use super::super::ast::{Expr, ExprKind, Ident};
use super::super::{Span, SyntaxError, trivia};
use crate::check::Suggestion;

/// Where a parse failed, and what the grammar could have taken there.
pub(super) struct Failure<'a> {
    pub source: &'a str,
    /// Where the failed parse started: nothing before it is read.
    pub base: usize,
    /// Where pest's plain report puts the failure: the start of the token
    /// it could not take (the `=` of `x = "a"`, the `on_error` of
    /// `on_error ->`).
    pub plain: usize,
    /// The furthest the parse got (after that `=`, at the `->`).
    pub pos: usize,
    /// The end of the last token before `pos`, whitespace and comments
    /// skipped.
    pub prev_end: usize,
    /// Whether `:` could have come at `pos`: `retries = 3` is a setting
    /// without its colon, not a comparison.
    pub expects_colon: bool,
    /// Whether `->` could have: the failure is in a transition.
    pub expects_arrow: bool,
    /// Whether `|` could have: the failure is in a literal union type.
    pub expects_bar: bool,
}

/// A better error than "expected ..., found ..." for a common mistake at
/// this failure, if it is one.
pub(super) fn recognise(f: &Failure<'_>) -> Option<SyntaxError> {
    non_ascii_name(f)
        .or_else(|| assignment(f))
        .or_else(|| ternary(f))
        .or_else(|| word_operator(f))
        .or_else(|| unknown_transition(f))
        .or_else(|| colon_in_transition(f))
        .or_else(|| spaced_duration(f))
}

// ------------------------------------------------------------- the mistakes

/// `when x = "a"`: a single `=` after a complete operand, where `=` is not
/// part of the grammar (the parse got one character into `==`).
fn assignment(f: &Failure<'_>) -> Option<SyntaxError> {
    let text = f.source;
    let bytes = text.as_bytes();
    let at = [f.plain, f.pos]
        .into_iter()
        .find(|&i| bytes.get(i) == Some(&b'='))?;
    if matches!(bytes.get(at + 1), Some(b'=' | b'>'))
        || (at > 0 && matches!(bytes[at - 1], b'=' | b'!' | b'<' | b'>'))
        || !ends_operand(text, f.base, at)
    {
        return None;
    }
    let span = Span::from_range(at, at + 1);
    let around = around(text, at);
    if f.expects_colon {
        // `retries = 3`, `{ a = 1 }`: a name given its value with `=`.
        let name = word_ending_at(text, skip_spaces_back(text, at))?.1;
        let value = line_code(text, at + 1);
        let value = value.split([',', '}', ')']).next().unwrap_or("").trim();
        let help = if value.is_empty() || value.len() > 40 {
            "settings, fields and arguments take their value after `:`: `name: value`".to_string()
        } else {
            format!(
                "write `{name}: {value}`: settings, fields and arguments take their value after `:`"
            )
        };
        return Some(SyntaxError::UnexpectedToken {
            expected: "`:`".to_string(),
            after: format!(" after `{name}`"),
            found: "`=`".to_string(),
            span,
            unclosed: None,
            open: "{",
            help: Some(help),
            suggestion: Some(replace(span, ":")),
        });
    }
    let parts = around.as_ref().and_then(|a| {
        let lhs = text[a.start..at].trim();
        let rhs = text[at + 1..a.end].trim();
        (!lhs.is_empty() && !rhs.is_empty() && lhs.len() + rhs.len() <= 60).then_some((a, lhs, rhs))
    });
    if let Some((a, lhs, rhs)) = parts
        && a.in_call
        && lhs.bytes().all(is_word)
    {
        // `Review(code = draft)`: a named argument, which is `code: draft`.
        return Some(SyntaxError::UnexpectedToken {
            expected: "`:`".to_string(),
            after: format!(" after `{lhs}`"),
            found: "`=`".to_string(),
            span,
            unclosed: None,
            open: "(",
            help: Some(format!(
                "an argument is written `name: value`: `{lhs}: {rhs}`"
            )),
            suggestion: Some(replace(span, ":")),
        });
    }
    let help = match parts {
        Some((a, lhs, rhs)) => format!("use `==` to compare: `{}{lhs} == {rhs}`", a.prefix()),
        None => "use `==` to compare: `a == b`".to_string(),
    };
    Some(SyntaxError::AssignmentInCondition { span, help })
}

/// `a ? b : c`: a `?` after a complete operand that starts neither `?.`
/// nor `??`.
fn ternary(f: &Failure<'_>) -> Option<SyntaxError> {
    let text = f.source;
    let bytes = text.as_bytes();
    let at = [f.plain, f.pos]
        .into_iter()
        .find(|&i| bytes.get(i) == Some(&b'?'))?;
    if matches!(bytes.get(at + 1), Some(b'.' | b'?')) || !ends_operand(text, f.base, at) {
        return None;
    }
    let around = around(text, at);
    let colon = around.as_ref().and_then(|a| a.colon);
    let fixed = around.as_ref().zip(colon).and_then(|(a, colon)| {
        let cond = text[a.start..at].trim();
        let then = text[at + 1..colon].trim();
        let other = text[colon + 1..a.end].trim();
        let parts = [cond, then, other];
        (parts.iter().all(|p| !p.is_empty()) && parts.iter().map(|p| p.len()).sum::<usize>() <= 60)
            .then(|| {
                (
                    a.prefix(),
                    trimmed_span(text, a.start, a.end),
                    format!("if {cond} then {then} else {other}"),
                )
            })
    });
    let help = match &fixed {
        Some((prefix, _, code)) => format!("write `{prefix}{code}`"),
        None => "write `if condition then a else b`".to_string(),
    };
    Some(SyntaxError::Ternary {
        span: Span::from_range(at, at + 1),
        colon: colon.map(|c| Span::from_range(c, c + 1)),
        help,
        suggestion: fixed.map(|(_, span, code)| replace(span, code)),
    })
}

/// `x and y`, `x or y` (the parse stops at the word, after a complete
/// operand) and `not y` (it stops after the word, which it took for a
/// name).
fn word_operator(f: &Failure<'_>) -> Option<SyntaxError> {
    let text = f.source;
    let bytes = text.as_bytes();
    let at_word_start = |i: usize| i == 0 || !is_word(bytes[i - 1]);
    let (start, word) = if at_word_start(f.pos)
        && matches!(word_at(text, f.pos), "and" | "or")
        && ends_operand(text, f.base, f.pos)
    {
        let word = word_at(text, f.pos);
        let next = skip_spaces(text, f.pos + word.len());
        if bytes.get(next) == Some(&b':') {
            return None;
        }
        (f.pos, word)
    } else {
        let end = skip_spaces_back(text, f.pos);
        let (start, word) = word_ending_at(text, end)?;
        let starts_operand = matches!(
            bytes.get(f.pos),
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'0'..=b'9' | b'(' | b'"' | b'[' | b'!')
        );
        if word != "not" || end == f.pos || !starts_operand || start < f.base {
            return None;
        }
        (start, word)
    };
    let (word, symbol) = match word {
        "and" => ("and", "&&"),
        "or" => ("or", "||"),
        _ => ("not", "!"),
    };
    // A literal union is joined with `|`, not `||`.
    let symbol = if word == "or" && f.expects_bar {
        "|"
    } else {
        symbol
    };
    let fixed = around(text, start).and_then(|a| {
        let expr = text[a.start..a.end].trim();
        (expr.len() <= 70).then(|| {
            (
                a.prefix(),
                trimmed_span(text, a.start, a.end),
                rewrite_words(expr, symbol),
            )
        })
    });
    let help = match &fixed {
        Some((prefix, _, code)) => format!("write `{prefix}{code}`"),
        None => match word {
            "and" => "write `a && b`".to_string(),
            "or" => format!("write `a {symbol} b`"),
            _ => "write `!a`, or `!(a == b)` for more than one operand".to_string(),
        },
    };
    Some(SyntaxError::WordOperator {
        word,
        symbol,
        span: Span::from_range(start, start + word.len()),
        help,
        suggestion: fixed.map(|(_, span, code)| replace(span, code)),
    })
}

/// `on_error -> done`: a word where a transition or a setting starts,
/// followed by `->` or `when`, so meant as a transition.
fn unknown_transition(f: &Failure<'_>) -> Option<SyntaxError> {
    let text = f.source;
    let rest = text.get(f.pos..)?;
    if !(rest.starts_with("->") || word_at(text, f.pos) == "when") {
        return None;
    }
    let end = skip_spaces_back(text, f.pos);
    let (start, word) = word_ending_at(text, end)?;
    if start < f.base || word == "on_success" || word == "on_failure" {
        return None;
    }
    // Where a member of a block starts: first on its line, or after `{`
    // or `,`.
    let line_start = trivia::line_start_before(text, start);
    let first_on_line = text[line_start..start].trim().is_empty();
    let after_opener = matches!(
        text[..start].trim_end().bytes().next_back(),
        Some(b'{' | b',')
    );
    if !first_on_line && !after_opener {
        return None;
    }
    let suggestion = transition_meant(word);
    let rest = line_code(text, end);
    let help = match suggestion {
        Some(keyword) if rest.len() <= 60 => {
            format!("did you mean `{keyword}`? write `{keyword} {rest}`")
        }
        Some(keyword) => {
            format!("did you mean `{keyword}`? a transition is written `{keyword} -> state`")
        }
        None => "a transition is written `on_success -> state`, or `on_failure -> state` for what happens when the state fails".to_string(),
    };
    Some(SyntaxError::UnknownTransition {
        word: word.to_string(),
        span: Span::from_range(start, end),
        suggestion,
        help,
    })
}

/// `on_success when ok: done`: a colon where a transition wants its `->`.
fn colon_in_transition(f: &Failure<'_>) -> Option<SyntaxError> {
    let text = f.source;
    if !f.expects_arrow || text.as_bytes().get(f.pos) != Some(&b':') {
        return None;
    }
    let line_start = trivia::line_start_before(text, f.pos);
    let line = &text[line_start..f.pos];
    let keyword = ["on_success", "on_failure"]
        .iter()
        .filter_map(|k| line.find(k))
        .min()?;
    let head = text[line_start + keyword..f.pos].trim();
    let target = word_at(text, skip_spaces(text, f.pos + 1));
    let help = if target.is_empty() || head.len() > 60 {
        "a transition is written `on_success -> state`".to_string()
    } else {
        format!("write `{head} -> {target}`")
    };
    Some(SyntaxError::TransitionColon {
        span: Span::from_range(f.pos, f.pos + 1),
        spaced: spaced_before(text, f.pos),
        help,
    })
}

impl super::Lowerer<'_> {
    /// `on_success: done` parses as a setting called `on_success`; it is a
    /// transition written with `:`. `text` is the setting's source, which
    /// starts at `start`.
    pub(super) fn transition_as_setting(
        &self,
        name: &Ident,
        value: &Expr,
        start: usize,
        text: &str,
    ) {
        if name.name != "on_success" && name.name != "on_failure" {
            return;
        }
        // The colon is the first after the name (a comment between them
        // is too rare to look past).
        let after_name = (name.span.end as usize).saturating_sub(start);
        let colon = text
            .get(after_name..)
            .and_then(|rest| rest.find(':'))
            .map_or(name.span.end as usize, |p| start + after_name + p);
        let help = match &value.kind {
            ExprKind::Name(target) => format!("write `{} -> {}`", name.name, target.name),
            _ => format!("a transition is written `{} -> state`", name.name),
        };
        self.error(SyntaxError::TransitionColon {
            span: Span::from_range(colon, colon + 1),
            spaced: colon > start && spaced_before(text, colon - start),
            help,
        });
    }
}

/// `timeout: 2 m`: a number, a space and a unit, which the parser read as
/// the number and then the name of another setting.
fn spaced_duration(f: &Failure<'_>) -> Option<SyntaxError> {
    let text = f.source;
    let (unit_start, unit) = word_ending_at(text, f.prev_end)?;
    let (canonical, _) = unit_of(unit)?;
    let number_end = skip_spaces_back(text, unit_start);
    if number_end == unit_start {
        return None;
    }
    let number_start = text[..number_end]
        .bytes()
        .rposition(|b| !(b.is_ascii_digit() || b == b'.'))
        .map_or(0, |p| p + 1);
    let number = &text[number_start..number_end];
    let preceded_by_word = number_start > 0 && is_word(text.as_bytes()[number_start - 1]);
    if number_start < f.base
        || preceded_by_word
        || !number.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit()) || number.ends_with('.') {
        return None;
    }
    let fix = if frac.is_empty() {
        format!("{int}{canonical}")
    } else {
        whole_duration(int, frac, canonical)
            .map(|(fix, _)| fix)
            .unwrap_or_else(|| format!("{int}{canonical}"))
    };
    let span = Span::from_range(number_start, f.prev_end);
    Some(SyntaxError::InvalidDuration {
        text: text[number_start..f.prev_end].to_string(),
        span,
        reason: "a space before the unit",
        help: format!("write `{fix}`: a duration has no space between the number and its unit"),
        suggestion: Some(replace(span, fix)),
    })
}

/// A non-ASCII letter where a name is: the parser stops right at it.
fn non_ascii_name(f: &Failure<'_>) -> Option<SyntaxError> {
    let text = f.source;
    let c = text.get(f.pos..)?.chars().next()?;
    if c.is_ascii() || !c.is_alphanumeric() {
        return None;
    }
    let name_char =
        |c: char| c.is_ascii_alphanumeric() || c == '_' || (!c.is_ascii() && c.is_alphanumeric());
    let start = text[f.base..f.pos]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| name_char(c))
        .last()
        .map_or(f.pos, |(i, _)| f.base + i);
    let end = text[f.pos..]
        .char_indices()
        .find(|&(_, c)| !name_char(c))
        .map_or(text.len(), |(i, _)| f.pos + i);
    let name = &text[start..end];
    // A look-alike among ASCII letters: the name was meant in ASCII.
    let spelt: Option<String> = name
        .chars()
        .map(|c| {
            if c.is_ascii() {
                Some(c)
            } else {
                ascii_look_alike(c)
            }
        })
        .collect();
    let label = match (&spelt, ascii_look_alike(c)) {
        (Some(_), Some(ascii)) => format!("looks like `{ascii}`, but is not ASCII"),
        _ => "not an ASCII letter".to_string(),
    };
    let suggestion = spelt
        .as_ref()
        .map(|ascii| replace(Span::from_range(start, end), ascii.clone()));
    let help = match spelt {
        Some(ascii) => format!(
            "names are written with ASCII letters, digits and `_`; type the name again as `{ascii}`"
        ),
        None => "names are written with ASCII letters, digits and `_`: spell the name in ASCII (text in any script can go in strings)".to_string(),
    };
    Some(SyntaxError::NonAsciiName {
        name: name.to_string(),
        character: c,
        code_point: code_point(c),
        span: Span::from_range(f.pos, f.pos + c.len_utf8()),
        label,
        help,
        suggestion,
    })
}

/// A replacement of the text at `span`.
fn replace(span: Span, text: impl Into<String>) -> Suggestion {
    Suggestion {
        replacement: text.into(),
        span,
    }
}

/// The span of `text[start..end]` without the whitespace around it.
fn trimmed_span(text: &str, start: usize, end: usize) -> Span {
    let part = &text[start..end];
    let from = start + (part.len() - part.trim_start().len());
    Span::from_range(from, from + part.trim().len())
}

/// Whether a space or a tab comes right before offset `at` of `text`.
fn spaced_before(text: &str, at: usize) -> bool {
    text.get(..at)
        .is_some_and(|before| before.ends_with([' ', '\t']))
}

// ------------------------------------------------- numbers and durations

/// The error for digits that run into other characters (`bad_number` in
/// the grammar): `5d`, `5sec`, `1.5s`, `2x3`.
pub(super) fn bad_number(text: &str, span: Span) -> SyntaxError {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = split_unit(text);
    // `1.5s`: a fraction of a unit.
    if let Some((canonical, _)) = unit_of(unit)
        && let Some((int, frac)) = number.split_once('.')
        && !int.is_empty()
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        let whole = whole_duration(int, frac, canonical);
        // Only the exact duration: the nearest is the user's choice.
        let suggestion = match &whole {
            Some((fix, true)) => Some(replace(span, fix.clone())),
            _ => None,
        };
        let help = match whole {
            Some((fix, true)) => {
                format!("write `{fix}`: a duration is a whole number of its unit")
            }
            Some((fix, false)) => format!(
                "write `{fix}`, the nearest whole number of milliseconds: a duration is a whole number of its unit"
            ),
            None => "a duration is a whole number of its unit: write it in a smaller unit, such as `1500ms` for 1.5 seconds".to_string(),
        };
        return SyntaxError::InvalidDuration {
            text: text.to_string(),
            span,
            reason: "not a whole number",
            help,
            suggestion,
        };
    }
    let rest = &text[digits..];
    // `1e` is a number missing its exponent, not a duration.
    let looks_like_unit = rest.bytes().all(|b| b.is_ascii_alphabetic())
        && !rest.is_empty()
        && !rest.eq_ignore_ascii_case("e");
    if looks_like_unit {
        let suggestion = unit_of(rest)
            .map(|(canonical, _)| replace(span, format!("{}{canonical}", &text[..digits])));
        let help = match unit_of(rest) {
            // `5sec`, `2min`: a unit flow spells differently.
            Some((canonical, _)) => format!(
                "write `{}{canonical}`: the units are `ms`, `s`, `m` and `h`",
                &text[..digits]
            ),
            None => format!(
                "durations are written with one of the units `ms`, `s`, `m` or `h`, as in `{}s`; `{}` is not one of them",
                &text[..digits],
                rest
            ),
        };
        SyntaxError::InvalidDuration {
            text: text.to_string(),
            span,
            reason: "unknown unit",
            help,
            suggestion,
        }
    } else {
        SyntaxError::InvalidNumber {
            text: text.to_string(),
            span,
            reason: "not a number",
            help: "numbers are written like `42`, `-7`, `3.5` or `1e3`".to_string(),
        }
    }
}

/// `1.5s` as `("1.5", "s")`: the number and the letters that end it.
fn split_unit(text: &str) -> (&str, &str) {
    let at = text
        .bytes()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |p| p + 1);
    text.split_at(at)
}

/// The unit flow writes for a unit as people write it, and its length in
/// milliseconds.
fn unit_of(word: &str) -> Option<(&'static str, u64)> {
    Some(match word {
        "ms" | "msec" | "msecs" | "millis" | "millisecond" | "milliseconds" => ("ms", 1),
        "s" | "sec" | "secs" | "second" | "seconds" => ("s", 1_000),
        "m" | "min" | "mins" | "minute" | "minutes" => ("m", 60_000),
        "h" | "hr" | "hrs" | "hour" | "hours" => ("h", 3_600_000),
        _ => return None,
    })
}

/// `int.frac` of `unit` as a duration flow can write, in the largest unit
/// that keeps it whole (`1.5s` is `1500ms`, `1.5m` is `90s`), and whether
/// that is exact; when not, it is rounded to the millisecond.
fn whole_duration(int: &str, frac: &str, unit: &str) -> Option<(String, bool)> {
    let (_, factor) = unit_of(unit)?;
    let scale = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let whole = int.parse::<u128>().ok()?.checked_mul(scale)?;
    let part = if frac.is_empty() {
        0
    } else {
        frac.parse::<u128>().ok()?
    };
    let total = whole.checked_add(part)?.checked_mul(u128::from(factor))?;
    let exact = total % scale == 0;
    let millis = (total + scale / 2) / scale;
    let millis = millis.max(1);
    let (unit, size) = [("h", 3_600_000u128), ("m", 60_000), ("s", 1_000)]
        .into_iter()
        .find(|&(_, size)| millis % size == 0)
        .unwrap_or(("ms", 1));
    Some((format!("{}{unit}", millis / size), exact))
}

// -------------------------------------------------------------- characters

/// "U+043E CYRILLIC SMALL LETTER O".
pub(super) fn code_point(c: char) -> String {
    match unicode_names2::name(c) {
        Some(name) => format!("U+{:04X} {name}", u32::from(c)),
        None => format!("U+{:04X}", u32::from(c)),
    }
}

/// The ASCII letter that a letter of another script is easily mistaken
/// for: the Cyrillic and Greek letters that share their shape with Latin
/// ones, and fullwidth Latin letters and digits.
fn ascii_look_alike(c: char) -> Option<char> {
    let ascii = match c {
        'а' | 'α' => 'a',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' => 'e',
        'һ' => 'h',
        'і' | 'ι' | 'ı' => 'i',
        'ј' | 'ϳ' => 'j',
        'κ' => 'k',
        'ӏ' => 'l',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' | 'Ϲ' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'Υ' | 'Ү' => 'Y',
        'Ζ' => 'Z',
        // Fullwidth forms, as typed with an East Asian input method.
        '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' | '\u{FF10}'..='\u{FF19}' => {
            return char::from_u32(u32::from(c) - 0xFEE0);
        }
        _ => return None,
    };
    Some(ascii)
}

/// What a non-ASCII character that is not a letter usually stands for,
/// when text was copied from a word processor or a web page.
pub(super) fn punctuation_look_alike(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{FF02}' => {
            "strings are written with straight double quotes: `\"`"
        }
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => {
            "strings are written with straight double quotes: `\"`"
        }
        '\u{2192}' | '\u{27F6}' | '\u{21D2}' => "a transition's arrow is written `->`",
        '\u{2013}' | '\u{2014}' | '\u{2212}' => "minus is written `-`",
        '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{3000}' => {
            "this is not an ordinary space: replace it with one"
        }
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' => {
            "this invisible character does not belong here: delete it"
        }
        _ => return None,
    })
}

// ------------------------------------------------------------ reading text

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The word (`[A-Za-z0-9_]*`) that starts at `start`.
fn word_at(text: &str, start: usize) -> &str {
    let bytes = text.as_bytes();
    let start = start.min(bytes.len());
    let end = bytes[start..]
        .iter()
        .position(|&b| !is_word(b))
        .map_or(bytes.len(), |p| start + p);
    &text[start..end]
}

/// The word that ends at `end`, and where it starts.
fn word_ending_at(text: &str, end: usize) -> Option<(usize, &str)> {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let start = bytes[..end]
        .iter()
        .rposition(|&b| !is_word(b))
        .map_or(0, |p| p + 1);
    (start < end).then(|| (start, &text[start..end]))
}

/// `at`, moved back over spaces and tabs (never over a line break).
fn skip_spaces_back(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = at.min(bytes.len());
    while i > 0 && matches!(bytes[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    i
}

/// `at`, moved forward over spaces and tabs.
fn skip_spaces(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = at.min(bytes.len());
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// Words that end no operand: `when = x` is not a comparison of `when`.
const KEYWORDS: [&str; 16] = [
    "when",
    "on_success",
    "on_failure",
    "step",
    "map",
    "parallel",
    "branch",
    "succeed",
    "fail",
    "for",
    "in",
    "import",
    "type",
    "worker",
    "transformer",
    "workflow",
];

/// Whether the code on the line before `at` ends an operand: a name that
/// is not a keyword, a number, a string, a closing bracket.
fn ends_operand(text: &str, from: usize, at: usize) -> bool {
    let end = skip_spaces_back(text, at);
    if end <= from {
        return false;
    }
    match text.as_bytes()[end - 1] {
        b')' | b']' | b'}' | b'"' => true,
        b if is_word(b) => {
            word_ending_at(text, end).is_some_and(|(_, word)| !KEYWORDS.contains(&word))
        }
        _ => false,
    }
}

/// The code of the line from `from` to the end of the line or to a
/// comment, trimmed: `-> done` of `on_error -> done // why`.
fn line_code(text: &str, from: usize) -> &str {
    let end = trivia::line_end(text, from);
    let line = &text[from.min(end)..end];
    let code = line.find("//").map_or(line, |p| &line[..p]);
    code.find("/*").map_or(code, |p| &code[..p]).trim()
}

/// The expression on one line around a position, as a reading of that
/// line alone finds it.
struct Around {
    /// Where the expression starts and ends.
    start: usize,
    end: usize,
    /// Whether `when` opens it: the fix is shown as `when ...`.
    after_when: bool,
    /// Whether it is an argument of a call.
    in_call: bool,
    /// The first `:` after the position, at its depth (the `:` of
    /// `a ? b : c`).
    colon: Option<usize>,
}

impl Around {
    fn prefix(&self) -> &'static str {
        if self.after_when { "when " } else { "" }
    }
}

/// One bracket level of a line while [`around`] reads it.
struct Level {
    /// Where an expression at this level starts: after the bracket, a `,`,
    /// a `:`, a `=`, `->` or `when`.
    start: usize,
    after_when: bool,
    in_call: bool,
}

/// Finds the expression around `at` on its line: it starts after what
/// opens it (`when`, a setting's `:`, a state's `=`, a bracket, a `,`) and
/// ends before what closes it (`->`, a closing bracket, a `,`, a comment,
/// the end of the line). `None` when `at` is inside a string or a comment.
fn around(text: &str, at: usize) -> Option<Around> {
    let bytes = text.as_bytes();
    let line_start = trivia::line_start_before(text, at);
    let line_end = trivia::line_end(text, at);
    let mut levels = vec![Level {
        start: line_start,
        after_when: false,
        in_call: false,
    }];
    // The depth of `at`, once passed.
    let mut depth: Option<usize> = None;
    let mut colon = None;
    let mut end = line_end;
    let mut i = line_start;
    while i < line_end {
        if i == at {
            depth = Some(levels.len());
        }
        let here = depth.is_some_and(|d| d == levels.len()) && i > at;
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match b {
            b'"' => {
                // Strings are opaque: skip to the closing quote.
                let mut j = i + 1;
                while j < line_end && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                if depth.is_none() && at > i && at <= j {
                    return None;
                }
                i = j + 1;
                continue;
            }
            b'/' if matches!(next, Some(b'/' | b'*')) => {
                // A comment before the position: it is inside it.
                depth?;
                end = i;
                break;
            }
            b'(' | b'[' | b'{' => levels.push(Level {
                start: i + 1,
                after_when: false,
                in_call: b == b'(' && i > 0 && is_word(bytes[i - 1]),
            }),
            b')' | b']' | b'}' => {
                if here {
                    end = i;
                    break;
                }
                if levels.len() > 1 {
                    levels.pop();
                }
            }
            b',' if here => {
                end = i;
                break;
            }
            b'-' if next == Some(b'>') && here => {
                end = i;
                break;
            }
            b':' if here => {
                colon.get_or_insert(i);
            }
            _ if depth.is_none() && i != at => {
                let top = levels.last_mut()?;
                let single_equals = b == b'='
                    && !matches!(next, Some(b'=' | b'>'))
                    && !(i > 0 && matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>'));
                if b == b',' || b == b':' || single_equals {
                    top.start = i + 1;
                    top.after_when = false;
                } else if b == b'-' && next == Some(b'>') {
                    top.start = i + 2;
                    top.after_when = false;
                } else if b == b'w'
                    && (i == 0 || !is_word(bytes[i - 1]))
                    && word_at(text, i) == "when"
                {
                    top.start = i + 4;
                    top.after_when = true;
                    i += 4;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let depth = depth?;
    let level = levels.get(depth - 1)?;
    let start = skip_spaces(text, level.start);
    Some(Around {
        start,
        end: skip_spaces_back(text, end).max(start),
        after_when: level.after_when,
        in_call: level.in_call,
        colon,
    })
}

/// `expr` with `and`, `or` and `not` written as flow writes them: `or` as
/// `symbol` (`||`, or `|` in a type), and `not x` as `!x`, or as `!(...)`
/// around everything up to the next `and` or `or`, which is what `not`
/// applies to in the languages that spell it.
fn rewrite_words(expr: &str, or: &str) -> String {
    let bytes = expr.as_bytes();
    let mut out = String::with_capacity(expr.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            let end = string_end(bytes, i);
            out.push_str(&expr[i..end]);
            i = end;
            continue;
        }
        if is_word(b) && (i == 0 || !is_word(bytes[i - 1])) {
            let word = word_at(expr, i);
            match word {
                "and" => out.push_str("&&"),
                "or" => out.push_str(or),
                "not" => {
                    let from = skip_spaces(expr, i + 3);
                    let to = operand_end(expr, from);
                    let operand = expr[from..to].trim_end();
                    let operand = rewrite_words(operand, or);
                    if is_one_term(&operand) {
                        out.push('!');
                        out.push_str(&operand);
                    } else {
                        out.push_str("!(");
                        out.push_str(&operand);
                        out.push(')');
                    }
                    out.push_str(&expr[from + expr[from..to].trim_end().len()..to]);
                    i = to;
                    continue;
                }
                _ => out.push_str(word),
            }
            i += word.len();
            continue;
        }
        let c = expr[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The end of the string that starts at `start` (after its closing quote).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < bytes.len() && bytes[j] != b'"' {
        j += if bytes[j] == b'\\' { 2 } else { 1 };
    }
    (j + 1).min(bytes.len())
}

/// Where the operand of a `not` at `from` ends: at the next `and`, `or`,
/// `&&` or `||` outside brackets and strings, or at the end.
fn operand_end(expr: &str, from: usize) -> usize {
    let bytes = expr.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                i = string_end(bytes, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => {
                if expr[i..].starts_with("&&") || expr[i..].starts_with("||") {
                    return i;
                }
                if is_word(b)
                    && (i == 0 || !is_word(bytes[i - 1]))
                    && matches!(word_at(expr, i), "and" | "or")
                {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Whether `expr` is one term, with no space outside brackets and strings:
/// `x`, `f(a, b)`, `(a == b)`, `r.field`.
fn is_one_term(expr: &str) -> bool {
    let bytes = expr.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i = string_end(bytes, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b' ' | b'\t' if depth == 0 => return false,
            _ => {}
        }
        i += 1;
    }
    !expr.is_empty()
}

/// The transition keyword meant by another word for one: a synonym from
/// another tool (`on_error`, `catch`, `next`) or a misspelling.
fn transition_meant(word: &str) -> Option<&'static str> {
    const FAILURE: &[&str] = &[
        "on_error",
        "on_errors",
        "on_err",
        "on_fail",
        "on_failed",
        "on_failures",
        "on_exception",
        "on_catch",
        "on_timeout",
        "onerror",
        "onfail",
        "onfailure",
        "catch",
        "error",
        "failure",
        "except",
        "rescue",
    ];
    const SUCCESS: &[&str] = &[
        "on_ok",
        "on_done",
        "on_complete",
        "on_completed",
        "on_succeed",
        "on_succeeded",
        "on_next",
        "on_result",
        "onsuccess",
        "success",
        "next",
        "then",
        "ok",
        "done",
    ];
    let lower = word.to_ascii_lowercase();
    if FAILURE.contains(&lower.as_str()) {
        return Some("on_failure");
    }
    if SUCCESS.contains(&lower.as_str()) {
        return Some("on_success");
    }
    match crate::check::suggest::closest(word, ["on_success", "on_failure"]) {
        Some("on_success") => Some("on_success"),
        Some("on_failure") => Some("on_failure"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_of_a_unit_become_whole_durations() {
        let cases = [
            ("1", "5", "s", "1500ms", true),
            ("1", "5", "m", "90s", true),
            ("0", "5", "h", "30m", true),
            ("2", "0", "s", "2s", true),
            ("0", "25", "s", "250ms", true),
            ("1", "0005", "s", "1001ms", false),
            ("0", "0001", "ms", "1ms", false),
        ];
        for (int, frac, unit, fix, exact) in cases {
            assert_eq!(
                whole_duration(int, frac, unit),
                Some((fix.to_string(), exact)),
                "{int}.{frac}{unit}"
            );
        }
        assert_eq!(
            whole_duration("99999999999999999999999999999999999999", "5", "h"),
            None
        );
    }

    #[test]
    fn word_operators_are_rewritten_as_flow_writes_them() {
        let cases = [
            ("x == \"a\" and q == \"b\"", "x == \"a\" && q == \"b\""),
            ("a or b", "a || b"),
            ("not ready", "!ready"),
            ("not (x == 1)", "!(x == 1)"),
            ("not x == \"a\" and y", "!(x == \"a\") && y"),
            ("not not x", "!!x"),
            ("\"and or not\" == s and ok", "\"and or not\" == s && ok"),
            ("band or nothing", "band || nothing"),
        ];
        for (from, to) in cases {
            assert_eq!(rewrite_words(from, "||"), to, "{from}");
        }
    }

    #[test]
    fn the_expression_around_a_position_is_found_on_its_line() {
        let text = "    on_success when x = \"a, b\" -> done\n";
        let at = text.find(" = ").map(|p| p + 1).unwrap_or(0);
        let a = around(text, at).unwrap_or_else(|| panic!("nothing around"));
        assert_eq!(&text[a.start..a.end], "x = \"a, b\"");
        assert!(a.after_when && !a.in_call);
        let text = "  prompt: f(ok ? \"y\" : \"n\", 2) // c\n";
        let at = text.find('?').unwrap_or(0);
        let a = around(text, at).unwrap_or_else(|| panic!("nothing around"));
        assert_eq!(&text[a.start..a.end], "ok ? \"y\" : \"n\"");
        assert_eq!(a.colon, text.find(" : ").map(|p| p + 1));
        assert!(a.in_call && !a.after_when);
        // Inside a string there is no expression to find.
        let text = "  x: \"a = b\"";
        assert!(around(text, text.find('=').unwrap_or(0)).is_none());
    }

    #[test]
    fn transition_keywords_are_found_from_synonyms_and_typos() {
        assert_eq!(transition_meant("on_error"), Some("on_failure"));
        assert_eq!(transition_meant("catch"), Some("on_failure"));
        assert_eq!(transition_meant("on_sucess"), Some("on_success"));
        assert_eq!(transition_meant("next"), Some("on_success"));
        assert_eq!(transition_meant("timeout"), None);
    }

    #[test]
    fn characters_are_named_by_their_code_point() {
        assert_eq!(code_point('о'), "U+043E CYRILLIC SMALL LETTER O");
        assert_eq!(code_point('\u{A0}'), "U+00A0 NO-BREAK SPACE");
        assert_eq!(ascii_look_alike('\u{FF41}'), Some('a'));
        assert_eq!(ascii_look_alike('ж'), None);
    }
}
