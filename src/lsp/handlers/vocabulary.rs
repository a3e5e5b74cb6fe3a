//! The words of the language that hover explains and completion offers:
//! settings with their value forms, failure classes, built-in functions
//! and the snippets of items and states. The texts follow
//! `docs/language.md` (sections 4, 6, 8 and 9).

/// Where settings stand.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Place {
    Worker,
    Step,
    Branch,
    Map,
    Parallel,
    Workflow,
    /// An external transformer.
    Transformer,
}

pub(super) struct Setting {
    pub name: &'static str,
    /// The value it takes, for people.
    pub value: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
    /// What completion inserts after `name: `, as a snippet.
    pub snippet: &'static str,
    pub places: &'static [Place],
}

use Place::*;

pub(super) const SETTINGS: &[Setting] = &[
    Setting {
        name: "timeout",
        value: "a duration above zero, such as `30s`",
        default: "`60s` for `http` workers, `10m` for `llm` workers, none otherwise",
        meaning: "the longest one attempt may take; then it fails with class `timeout`",
        snippet: "${1:30s}",
        places: &[Worker, Step, Branch, Map, Transformer],
    },
    Setting {
        name: "retries",
        value: "a whole number ≥ 0",
        default: "`0`",
        meaning: "attempts after the first, for the classes in `retry_on`",
        snippet: "${1:2}",
        places: &[Worker, Step, Branch, Map],
    },
    Setting {
        name: "backoff",
        value: "a duration, or a range `first..cap`",
        default: "`500ms..30s`",
        meaning: "the wait between attempts: exponential from `first`, capped at `cap`, with full jitter",
        snippet: "${1:1s}..${2:30s}",
        places: &[Worker, Step, Branch, Map],
    },
    Setting {
        name: "retry_on",
        value: "a list of failure classes, without `limit`",
        default: "`[timeout, transient, output]`",
        meaning: "which failures are retried",
        snippet: "[${1:timeout, transient}]",
        places: &[Worker, Step, Branch, Map],
    },
    Setting {
        name: "concurrency",
        value: "a whole number ≥ 1",
        default: "unlimited",
        meaning: "at most this many calls of this worker at once in one process",
        snippet: "${1:4}",
        places: &[Worker],
    },
    Setting {
        name: "before",
        value: "the name of a transformer",
        default: "none",
        meaning: "input hook: from the input record to the input record",
        snippet: "${1:transformer}",
        places: &[Worker, Step, Branch, Map],
    },
    Setting {
        name: "after",
        value: "the name of a transformer",
        default: "none",
        meaning: "output hook: from the output to the value the states see",
        snippet: "${1:transformer}",
        places: &[Worker, Step, Branch, Map],
    },
    Setting {
        name: "max_visits",
        value: "a whole number ≥ 1",
        default: "unlimited",
        meaning: "entering the state for the N+1-th time in a run fails it with class `limit`",
        snippet: "${1:3}",
        places: &[Step, Map, Parallel],
    },
    Setting {
        name: "max_concurrency",
        value: "a whole number ≥ 1",
        default: "`map`: `16`; `parallel`: every branch at once",
        meaning: "at most this many branches or items at once",
        snippet: "${1:4}",
        places: &[Map, Parallel],
    },
    Setting {
        name: "start",
        value: "the bare name of a state",
        default: "the first state",
        meaning: "where a run starts",
        snippet: "${1:state}",
        places: &[Workflow],
    },
    Setting {
        name: "max_steps",
        value: "a whole number ≥ 1",
        default: "`10000`",
        meaning: "the most transitions one run may take; exceeding it fails the run",
        snippet: "${1:10000}",
        places: &[Workflow],
    },
];

pub(super) fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// The settings of an executor block, by its kind: the value is an
/// expression over the worker's parameters.
pub(super) const EXECUTOR_SETTINGS: &[(&str, &[(&str, &str)])] = &[
    (
        "exec",
        &[
            (
                "command",
                "the program and its arguments, a list of strings",
            ),
            ("env", "extra environment variables, a record of strings"),
            ("cwd", "the working directory"),
        ],
    ),
    (
        "http",
        &[
            ("url", "the address called, a string"),
            ("method", "`\"GET\"`, `\"POST\"`, ... (default `\"POST\"`)"),
            ("headers", "a record of strings"),
            ("query", "a record of strings, each value encoded"),
            (
                "max_retry_after",
                "the longest `Retry-After` obeyed, a duration",
            ),
        ],
    ),
    (
        "llm",
        &[
            ("model", "the model's name"),
            ("prompt", "the user message"),
            ("system", "the system message"),
            ("base_url", "an OpenAI-compatible endpoint"),
            ("api_key", "the key, usually `env(\"...\")`"),
            ("temperature", "a number"),
        ],
    ),
    ("human", &[("prompt", "what the person is asked")]),
    ("builtin", &[("name", "`\"echo\"` or `\"fail\"`")]),
];

pub(super) struct Class {
    pub name: &'static str,
    pub raised_by: &'static str,
    pub retried: &'static str,
}

pub(super) const FAILURE_CLASSES: &[Class] = &[
    Class {
        name: "timeout",
        raised_by: "an attempt ran longer than its `timeout`",
        retried: "retried by default",
    },
    Class {
        name: "transient",
        raised_by: "a failure that may go away: exec exit code 75; HTTP connect or reset errors, 408, 429, 5xx",
        retried: "retried by default",
    },
    Class {
        name: "worker",
        raised_by: "the worker itself failed: any other non-zero exit or non-2xx status, an untrusted TLS certificate, a `human` rejection, the `fail` built-in",
        retried: "not retried by default",
    },
    Class {
        name: "output",
        raised_by: "the output did not match the declared type, or an LLM reply could not be parsed",
        retried: "retried by default",
    },
    Class {
        name: "limit",
        raised_by: "a bound was reached: `max_visits` of the state",
        retried: "never retried: not allowed in `retry_on`, since a retry meets the same bound",
    },
];

pub(super) fn failure_class(name: &str) -> Option<&'static Class> {
    FAILURE_CLASSES.iter().find(|c| c.name == name)
}

/// The built-in functions and their signatures.
pub(super) const BUILTINS: &[(&str, &str, &str)] = &[
    (
        "len",
        "len(x: string | list | record | json) -> int",
        "characters, items or fields",
    ),
    (
        "lower",
        "lower(s: string) -> string",
        "the text in lower case",
    ),
    (
        "upper",
        "upper(s: string) -> string",
        "the text in upper case",
    ),
    (
        "trim",
        "trim(s: string) -> string",
        "the text without surrounding white space",
    ),
    (
        "contains",
        "contains(s: string | [T], part: string | T) -> bool",
        "whether `part` occurs in `s`, or is an item of the list",
    ),
    (
        "join",
        "join(xs: [string], sep: string) -> string",
        "the items joined by `sep`",
    ),
    (
        "split",
        "split(s: string, sep: string) -> [string]",
        "the parts of `s` between occurrences of `sep`",
    ),
    (
        "keys",
        "keys(r: record | json) -> [string]",
        "the field names",
    ),
    ("to_json", "to_json(x: any) -> string", "compact JSON text"),
    (
        "parse_json",
        "parse_json(s: string) -> json",
        "the parsed value",
    ),
    (
        "string",
        "string(x: any) -> string",
        "a string as is, anything else as compact JSON",
    ),
    (
        "number",
        "number(s: string) -> number?",
        "the number, or `null` when `s` is not one",
    ),
    (
        "env",
        "env(name: string) -> string",
        "an environment variable; in executor settings only",
    ),
];

/// Snippets of the items, offered at the top level.
pub(super) const ITEM_SNIPPETS: &[(&str, &str)] = &[
    ("type", "type ${1:Name} {\n  ${2:field}: ${3:string}\n}"),
    (
        "worker",
        "worker ${1:Name}(${2:input}: ${3:string}) -> ${4:string} {\n  exec { command: [\"${5:./run.sh}\", ${2:input}] }\n}",
    ),
    (
        "transformer",
        "transformer ${1:name}(${2:value}: ${3:string}) -> ${4:string} = ${2:value}",
    ),
    (
        "workflow",
        "workflow ${1:name}(${2:input}: ${3:string}) -> ${4:string} {\n  step ${5:first} = ${6:Worker}(${7}) {\n    on_success -> ${8:done}\n  }\n\n  succeed ${8:done} = ${5:first}\n}",
    ),
];

/// Snippets of the states, offered inside a workflow.
pub(super) const STATE_SNIPPETS: &[(&str, &str)] = &[
    (
        "step",
        "step ${1:name} = ${2:Worker}(${3}) {\n  on_success -> ${4:next}\n}",
    ),
    (
        "parallel",
        "parallel ${1:name} {\n  branch ${2:a} = ${3:Worker}(${4})\n  branch ${5:b} = ${6:Worker}(${7})\n  on_success -> ${8:next}\n}",
    ),
    (
        "map",
        "map ${1:name} = ${2:Worker}(${3:item}: ${4:x}) for ${4:x} in ${5:list} {\n  on_success -> ${6:next}\n}",
    ),
    ("succeed", "succeed ${1:done} = ${2:value}"),
    ("fail", "fail ${1:failed} = \"${2:message}\""),
];

/// Snippets of transitions, offered inside a state.
pub(super) const TRANSITION_SNIPPETS: &[(&str, &str)] = &[
    ("on_success", "on_success -> ${1:next}"),
    (
        "on_success when",
        "on_success when ${1:condition} -> ${2:next}",
    ),
    ("on_failure", "on_failure -> ${1:failed}"),
    ("on_failure class", "on_failure ${1:timeout} -> ${2:failed}"),
];
