//! `textDocument/completion`: what may be written at the cursor, read from
//! the text before it (which need not parse: `-> ` just typed) and answered
//! from the last good analysis. States after `->` and `start:`, workers
//! after `step name =`, fields after `.` and `?.`, a call's parameters,
//! setting keys with their value forms, failure classes after `on_failure`
//! and in `retry_on`, transformers after `before:` and `after:`, names and
//! built-in functions in expressions, and snippets of items, states and
//! transitions where those begin.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, Documentation,
    InsertTextFormat, MarkupContent, MarkupKind,
};

use super::semantic::View;
use super::vocabulary::{self, Place};
use super::{Result, document};
use crate::check::{Analysis, DefKind, StateKeyword, SymbolId};
use crate::lsp::server::State;

pub(super) fn handle(
    state: &State,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>> {
    let at = params.text_document_position;
    let open = document(state, &at.text_document.uri)?;
    let view = View::of(open).or_else(|| Some(View::partial(open)));
    let text = open.text();
    let cursor = crate::lsp::convert::offset(&open.line_index(), at.position);
    let before = &text[..cursor.min(text.len())];
    let offset = view.as_ref().map(|v| v.nearby_offset(at.position));
    let cx = Cx {
        analysis: view.as_ref().map(|v| &*v.analysis),
        offset: offset.unwrap_or(0),
    };
    let items = complete(&cx, view.as_ref(), before);
    Ok(Some(CompletionResponse::Array(items)))
}

/// What the completion of one position knows.
struct Cx<'a> {
    analysis: Option<&'a Analysis>,
    /// The offset in the analyzed text nearest the cursor.
    offset: u32,
}

/// The completions at the end of `before`, the text up to the cursor.
fn complete(cx: &Cx<'_>, view: Option<&View>, before: &str) -> Vec<CompletionItem> {
    let partial_len = before
        .bytes()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let head = &before[..before.len() - partial_len];
    let line = head.rsplit('\n').next().unwrap_or(head);
    let trimmed = line.trim_end();
    let words: Vec<&str> = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();

    if trimmed.ends_with("->") {
        return states(cx, false);
    }
    if let Some(end) = dot_end(head) {
        return fields(cx, view, head, end);
    }
    if trimmed.ends_with('=')
        && matches!(words.first(), Some(&("step" | "map" | "branch")))
        && words.len() == 2
    {
        return workers(cx);
    }
    if let Some(setting) = trimmed.strip_suffix(':').map(str::trim) {
        match setting {
            "start" => return states(cx, true),
            "before" | "after" => return transformers(cx),
            _ => {}
        }
    }
    if words.first() == Some(&"on_failure") && !line.contains("->") && !line.contains("when") {
        return classes(true);
    }
    if let Some(list) = line.trim_start().strip_prefix("retry_on:") {
        if list.contains('[') && !list.contains(']') {
            return classes(false);
        }
    }
    let blocks = blocks(head);
    if let Some(items) = call_arguments(cx, head) {
        return items;
    }
    if line.trim().is_empty() {
        return line_start(cx, blocks.last().copied());
    }
    expression(cx)
}

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    }
}

fn snippet(label: &str, kind: CompletionItemKind, body: &str, detail: &str) -> CompletionItem {
    CompletionItem {
        insert_text: Some(body.to_string()),
        insert_text_format: Some(InsertTextFormat::SNIPPET),
        ..item(label, kind, Some(detail.to_string()))
    }
}

fn docs(text: &Option<String>) -> Option<Documentation> {
    text.as_ref().map(|d| {
        Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: d.clone(),
        })
    })
}

/// The workflow around the cursor in the analyzed text.
fn workflow(cx: &Cx<'_>) -> Option<SymbolId> {
    let a = cx.analysis?;
    a.enclosing(cx.offset, |k| k == DefKind::Workflow)
        .map(|(id, _)| id)
}

/// The states of the workflow around the cursor.
fn states(cx: &Cx<'_>, _start: bool) -> Vec<CompletionItem> {
    let (Some(a), Some(workflow)) = (cx.analysis, workflow(cx)) else {
        return Vec::new();
    };
    a.children(workflow)
        .filter(|(_, d)| d.is_state())
        .map(|(id, d)| {
            let value = a
                .state_value(id)
                .map(|t| format!(": {}", a.render(t)))
                .unwrap_or_default();
            CompletionItem {
                documentation: docs(&d.docs),
                ..item(
                    &d.name,
                    CompletionItemKind::ENUM_MEMBER,
                    Some(format!("{}{value}", d.kind.describe())),
                )
            }
        })
        .collect()
}

/// The workers, each with its named arguments as a snippet.
fn workers(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let Some(a) = cx.analysis else {
        return Vec::new();
    };
    a.items()
        .filter(|(_, d)| d.kind == DefKind::Worker)
        .filter_map(|(id, d)| {
            let sig = a.signature(id)?;
            let args: Vec<String> = sig
                .params
                .iter()
                .enumerate()
                .map(|(at, p)| format!("{}: ${{{}:{}}}", p.name, at + 1, p.name))
                .collect();
            Some(CompletionItem {
                insert_text: Some(format!("{}({})", d.name, args.join(", "))),
                insert_text_format: Some(InsertTextFormat::SNIPPET),
                documentation: docs(&d.docs),
                ..item(&d.name, CompletionItemKind::FUNCTION, Some(sig.label()))
            })
        })
        .collect()
}

fn transformers(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let Some(a) = cx.analysis else {
        return Vec::new();
    };
    a.items()
        .filter(|(_, d)| d.kind == DefKind::Transformer)
        .map(|(id, d)| CompletionItem {
            documentation: docs(&d.docs),
            ..item(
                &d.name,
                CompletionItemKind::FUNCTION,
                a.signature(id).map(|s| s.label()),
            )
        })
        .collect()
}

/// The failure classes; `limit` only after `on_failure` (it is never
/// retried).
fn classes(with_limit: bool) -> Vec<CompletionItem> {
    vocabulary::FAILURE_CLASSES
        .iter()
        .filter(|c| with_limit || c.name != "limit")
        .map(|c| CompletionItem {
            documentation: Some(Documentation::String(format!(
                "raised when {}; {}",
                c.raised_by, c.retried
            ))),
            ..item(
                c.name,
                CompletionItemKind::ENUM_MEMBER,
                Some("failure class".into()),
            )
        })
        .collect()
}

/// Where the expression before a `.` or `?.` at the end of `head` ends,
/// when `head` ends with one.
fn dot_end(head: &str) -> Option<usize> {
    let dot = head.strip_suffix('.')?;
    let end = dot.strip_suffix('?').unwrap_or(dot);
    let last = end.bytes().last()?;
    (last.is_ascii_alphanumeric() || matches!(last, b'_' | b')' | b']')).then_some(end.len())
}

/// The fields of the value before the `.`: from the analysis of this very
/// text when it parses, else from the names written before the dot.
fn fields(cx: &Cx<'_>, view: Option<&View>, head: &str, end: usize) -> Vec<CompletionItem> {
    let Some(a) = cx.analysis else {
        return Vec::new();
    };
    let found = match view {
        Some(v) if v.is_current() => a.fields_after(end as u32),
        _ => {
            let path = path_before(&head[..end]);
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            a.fields_of_path(cx.offset, &path)
        }
    };
    found
        .into_iter()
        .map(|f| {
            let documentation = f.def.and_then(|id| docs(&a.def(id).docs));
            let mark = if f.optional { "?" } else { "" };
            CompletionItem {
                documentation,
                ..item(
                    &f.name,
                    CompletionItemKind::FIELD,
                    Some(format!("{}{mark}: {}", f.name, a.render(f.ty))),
                )
            }
        })
        .collect()
}

/// The names of a path `a.b?.c` at the end of a text; empty when what is
/// there is not such a path.
fn path_before(text: &str) -> Vec<String> {
    let start = after_last(text, |c| {
        !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '?')
    });
    text[start..]
        .split('.')
        .map(|part| part.trim_end_matches('?').to_string())
        .filter(|part| !part.is_empty())
        .collect()
}

/// Where the text after the last character that `stop` accepts begins (0
/// when there is none).
fn after_last(text: &str, stop: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .rev()
        .find(|&(_, c)| stop(c))
        .map_or(0, |(at, c)| at + c.len_utf8())
}

/// The named arguments not given yet, when the cursor is where an argument
/// of a worker call begins: `Coder(spec: s, |`.
fn call_arguments(cx: &Cx<'_>, head: &str) -> Option<Vec<CompletionItem>> {
    let a = cx.analysis?;
    let (callee, args) = open_call(head)?;
    let last = args.rsplit(',').next().unwrap_or(args);
    if !last.trim().is_empty() {
        return None;
    }
    // A worker's arguments are named; a transformer's usually are not, and
    // there the names in scope are what is wanted.
    let (id, def) = a.item_named(callee)?;
    if def.kind != DefKind::Worker {
        return None;
    }
    let given: Vec<&str> = args
        .split(',')
        .filter_map(|arg| arg.split_once(':').map(|(name, _)| name.trim()))
        .collect();
    let sig = a.signature(id)?;
    Some(
        sig.params
            .iter()
            .filter(|p| !given.contains(&p.name.as_str()))
            .map(|p| CompletionItem {
                insert_text: Some(format!("{}: ", p.name)),
                documentation: docs(&p.docs),
                ..item(
                    &format!("{}:", p.name),
                    CompletionItemKind::VARIABLE,
                    Some(format!("{}: {}", p.name, p.ty)),
                )
            })
            .collect(),
    )
}

/// The callee and the text of the arguments so far of the call whose `(`
/// is open at the end of `head`.
pub(super) fn open_call(head: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (at, c) in head.char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' if depth == 0 => {
                let callee_end = head[..at].trim_end().len();
                let callee_start = after_last(&head[..callee_end], |c| {
                    !(c.is_ascii_alphanumeric() || c == '_')
                });
                let callee = &head[callee_start..callee_end];
                return (!callee.is_empty()).then_some((callee, &head[at + 1..]));
            }
            '[' | '{' if depth == 0 => return None,
            '(' | '[' | '{' => depth -= 1,
            // A call does not go on past a transition.
            '\n' if depth == 0 && head[at..].trim_start().starts_with("on_") => return None,
            _ => {}
        }
    }
    None
}

/// The kind of block the cursor is in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Block {
    Workflow,
    State(Place),
    Worker,
    Executor,
    Transformer,
    Other,
}

/// The blocks open at the end of `text`, outermost first, from the word
/// that starts the line of each `{`; strings and comments are skipped.
fn blocks(text: &str) -> Vec<Block> {
    let mut open = Vec::new();
    let bytes = text.as_bytes();
    let mut line_start = 0;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\n' => line_start = at + 1,
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at = text[at + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| at + 4 + end);
                continue;
            }
            b'"' => {
                let triple = text[at..].starts_with("\"\"\"");
                let close = if triple { "\"\"\"" } else { "\"" };
                let mut end = at + close.len();
                loop {
                    match text[end.min(text.len())..].find(close) {
                        Some(found) => {
                            let quote = end + found;
                            let escaped = !triple && quote > 0 && bytes[quote - 1] == b'\\';
                            end = quote + close.len();
                            if !escaped {
                                break;
                            }
                        }
                        None => {
                            end = bytes.len();
                            break;
                        }
                    }
                }
                at = end;
                continue;
            }
            b'{' => {
                let word = text[line_start..at]
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .find(|w| !w.is_empty())
                    .unwrap_or("");
                let inner = text[line_start..at].trim_end();
                open.push(match word {
                    "workflow" => Block::Workflow,
                    "step" => Block::State(Place::Step),
                    "map" => Block::State(Place::Map),
                    "parallel" => Block::State(Place::Parallel),
                    "worker" => Block::Worker,
                    "transformer" => Block::Transformer,
                    "exec" | "http" | "llm" | "human" | "builtin" if inner.ends_with(word) => {
                        Block::Executor
                    }
                    _ => Block::Other,
                });
            }
            b'}' => {
                open.pop();
            }
            _ => {}
        }
        at += 1;
    }
    open
}

/// At the start of a line: what may begin there.
fn line_start(cx: &Cx<'_>, block: Option<Block>) -> Vec<CompletionItem> {
    let kw = CompletionItemKind::SNIPPET;
    match block {
        None => vocabulary::ITEM_SNIPPETS
            .iter()
            .map(|(label, body)| snippet(label, kw, body, "item"))
            .collect(),
        Some(Block::Workflow) => {
            let mut items: Vec<_> = vocabulary::STATE_SNIPPETS
                .iter()
                .map(|(label, body)| snippet(label, kw, body, "state"))
                .collect();
            items.extend(settings(Place::Workflow));
            items
        }
        Some(Block::State(place)) => {
            let mut items: Vec<_> = vocabulary::TRANSITION_SNIPPETS
                .iter()
                .map(|(label, body)| snippet(label, kw, body, "transition"))
                .collect();
            if place == Place::Parallel {
                items.push(snippet(
                    "branch",
                    kw,
                    "branch ${1:name} = ${2:Worker}(${3})",
                    "branch",
                ));
            }
            items.extend(settings(place));
            items
        }
        Some(Block::Worker) => {
            let mut items: Vec<_> = ["exec", "http", "llm", "human", "builtin"]
                .iter()
                .map(|kind| {
                    snippet(
                        kind,
                        CompletionItemKind::KEYWORD,
                        &format!("{kind} {{ $0 }}"),
                        "executor",
                    )
                })
                .collect();
            items.extend(settings(Place::Worker));
            items
        }
        Some(Block::Transformer) => {
            let mut items = vec![snippet(
                "exec",
                CompletionItemKind::KEYWORD,
                "exec { command: [$0] }",
                "executor",
            )];
            items.extend(settings(Place::Transformer));
            items
        }
        Some(Block::Executor) | Some(Block::Other) => {
            let _ = cx;
            vocabulary::EXECUTOR_SETTINGS
                .iter()
                .flat_map(|(kind, list)| list.iter().map(move |s| (kind, s)))
                .map(|(kind, (name, what))| {
                    snippet(
                        name,
                        CompletionItemKind::PROPERTY,
                        &format!("{name}: $0"),
                        &format!("{kind}: {what}"),
                    )
                })
                .collect()
        }
    }
}

/// The setting keys of a place, each with its value form.
fn settings(place: Place) -> Vec<CompletionItem> {
    vocabulary::SETTINGS
        .iter()
        .filter(|s| s.places.contains(&place))
        .map(|s| CompletionItem {
            documentation: Some(Documentation::String(format!(
                "{}; default: {}",
                s.meaning, s.default
            ))),
            ..snippet(
                s.name,
                CompletionItemKind::PROPERTY,
                &format!("{}: {}", s.name, s.snippet),
                s.value,
            )
        })
        .collect()
}

/// In an expression: the names in scope, the pure transformers and the
/// built-in functions.
fn expression(cx: &Cx<'_>) -> Vec<CompletionItem> {
    let mut items = Vec::new();
    // `env()` is for executor settings, which workflows have none of.
    let mut env_allowed = true;
    if let Some(a) = cx.analysis {
        let owner = a.enclosing(cx.offset, |k| {
            matches!(
                k,
                DefKind::Workflow | DefKind::Worker | DefKind::Transformer
            )
        });
        if let Some((owner, def)) = owner {
            env_allowed = def.kind != DefKind::Workflow;
            for (id, d) in a.children(owner) {
                let value = match d.kind {
                    DefKind::Parameter => d.ty,
                    DefKind::State(StateKeyword::Succeed | StateKeyword::Fail) => continue,
                    DefKind::State(_) => a.state_value(id),
                    _ => continue,
                };
                let detail = value.map(|t| format!("{}: {}", d.kind.describe(), a.render(t)));
                items.push(CompletionItem {
                    documentation: docs(&d.docs),
                    ..item(&d.name, CompletionItemKind::VARIABLE, detail)
                });
            }
            if def.kind == DefKind::Workflow {
                items.push(item(
                    "error",
                    CompletionItemKind::VARIABLE,
                    Some("the failure being routed, or the one routed last".into()),
                ));
                if let Some((map, _)) =
                    a.enclosing(cx.offset, |k| k == DefKind::State(StateKeyword::Map))
                {
                    for (_, var) in a.children(map).filter(|(_, d)| d.kind == DefKind::MapVar) {
                        items.push(item(
                            &var.name,
                            CompletionItemKind::VARIABLE,
                            var.ty.map(|t| format!("loop variable: {}", a.render(t))),
                        ));
                    }
                }
            }
        }
        items.extend(transformers(cx));
    }
    items.extend(
        vocabulary::BUILTINS
            .iter()
            .filter(|(name, _, _)| env_allowed || *name != "env")
            .map(|(name, signature, what)| CompletionItem {
                documentation: Some(Documentation::String(what.to_string())),
                insert_text: Some(format!("{name}($0)")),
                insert_text_format: Some(InsertTextFormat::SNIPPET),
                ..item(
                    name,
                    CompletionItemKind::FUNCTION,
                    Some(signature.to_string()),
                )
            }),
    );
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_skip_strings_and_comments() {
        let text = "workflow w() -> string {\n  step a = W(x: \"{\") {\n    // {\n    ";
        assert_eq!(blocks(text), [Block::Workflow, Block::State(Place::Step)]);
        assert_eq!(
            blocks("worker W() -> string {\n  exec { "),
            [Block::Worker, Block::Executor]
        );
        assert_eq!(
            blocks("worker W() -> string {\n  exec { command: [] }\n"),
            [Block::Worker]
        );
    }

    #[test]
    fn open_calls_and_paths() {
        assert_eq!(
            open_call("  step a = Coder(spec: s, "),
            Some(("Coder", "spec: s, "))
        );
        assert_eq!(open_call("  x = f(a[1], "), Some(("f", "a[1], ")));
        assert_eq!(open_call("  x = f(a) "), None);
        assert_eq!(path_before("when review?.verdict"), ["review", "verdict"]);
        assert_eq!(path_before("\"é\"é.a"), ["a"]);
        assert_eq!(open_call("é(x, "), None);
        assert_eq!(open_call("\"é\"Coder("), Some(("Coder", "")));
        assert_eq!(dot_end("x = a?."), Some(5));
        assert_eq!(dot_end("x = 1 ."), None);
    }
}
