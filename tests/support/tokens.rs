//! The pieces that token soup and token mutations are made of: every
//! keyword, punctuation mark and operator of the language, names, strings
//! with and without `${`, numbers, durations, comments and line breaks,
//! including the broken forms of each that a person types by mistake.

use proptest::prelude::*;
use proptest::sample::select;

/// Every token but the reserved words, which come from the parser itself.
pub const FIXED: &[&str] = &[
    // Executors, settings, failure classes and built-ins.
    "exec",
    "http",
    "llm",
    "human",
    "builtin",
    "command",
    "url",
    "method",
    "headers",
    "model",
    "prompt",
    "system",
    "name",
    "timeout",
    "retries",
    "backoff",
    "retry_on",
    "before",
    "after",
    "concurrency",
    "max_visits",
    "max_concurrency",
    "max_steps",
    "transient",
    "output",
    "limit",
    "error",
    "item",
    "len",
    "join",
    "split",
    "trim",
    "lower",
    "upper",
    "contains",
    "keys",
    "to_json",
    "parse_json",
    "env",
    // Punctuation.
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "->",
    ".",
    "?.",
    "?",
    "|",
    "..",
    ";",
    // Operators.
    "||",
    "&&",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "??",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    // Numbers and durations, good and bad.
    "0",
    "42",
    "-7",
    "3.5",
    "1e3",
    "1e",
    "1.",
    "99999999999999999999999",
    "250ms",
    "30s",
    "5m",
    "2h",
    "5d",
    "1s..30s",
    "1s..",
    "..30s",
    // Strings, good and bad.
    "\"\"",
    "\"text\"",
    "\"a ${x} b\"",
    "\"${\"",
    "\"${",
    "\"${a.b ?? \"c\"}\"",
    "\"\\\"\"",
    "\"\\u{1F600}\"",
    "\"\\u{110000}\"",
    "\"\\q\"",
    "\"open",
    "\"\"\"",
    "\"\"\"\n  text ${x}\n  \"\"\"",
    "\"b c\"",
    "\"}\"",
    // Comments and layout.
    "// comment\n",
    "/// doc\n",
    "/* block */",
    "/* /* nested */ */",
    "/*",
    "*/",
    "\n",
    "\n\n",
    "\t",
    " ",
    "\r\n",
];

/// One token: a fixed one, or a generated name.
pub fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => select(FIXED).prop_map(str::to_string),
        1 => select(flow::syntax::ast::RESERVED).prop_map(str::to_string),
        2 => "[a-z_][a-z0-9_]{0,7}",
        1 => "[A-Z][A-Za-z0-9]{0,7}",
        1 => "[0-9]{1,4}(ms|s|m|h)?",
    ]
}

/// What goes between two tokens.
pub fn separator() -> impl Strategy<Value = &'static str> {
    select(&["", " ", " ", " ", "\n", "\n  "][..])
}

/// A sequence of up to `max` tokens with separators.
pub fn soup(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec((token(), separator()), 0..max).prop_map(|parts| {
        let mut text = String::new();
        for (token, separator) in parts {
            text.push_str(&token);
            text.push_str(separator);
        }
        text
    })
}
