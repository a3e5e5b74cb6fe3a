//! `textDocument/hover`: what the name under the cursor is. A state: its
//! worker and signature, the settings in force for its calls and the type
//! of its value; a worker or transformer: its signature, executor and doc
//! comment; a name in an expression: its type there; a setting: what it
//! means and takes; a failure class: what raises it. Elsewhere in an
//! expression, the type of the innermost expression.

use std::fmt::Write as _;
use std::time::Duration;

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use super::Result;
use super::semantic::{View, view};
use super::vocabulary::{self, Place};
use crate::check::{Analysis, Def, DefKind, RefKind, StateKeyword, SymbolId};
use crate::ir;
use crate::lsp::server::State;
use crate::syntax::ast::{self, Span};

pub(super) fn handle(state: &State, params: HoverParams) -> Result<Option<Hover>> {
    let at = params.text_document_position_params;
    let Some(view) = view(state, &at.text_document.uri)? else {
        return Ok(None);
    };
    let Some(offset) = view.offset(at.position) else {
        return Ok(None);
    };
    let found = symbol(&view, offset)
        .or_else(|| word(&view.analyzed.tree, offset))
        .or_else(|| {
            let typed = view.analysis.type_at(offset)?;
            let text = code(&view.analysis.render(typed.ty));
            Some((typed.span, text))
        });
    let Some((span, value)) = found else {
        return Ok(None);
    };
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: view.range(span),
    }))
}

fn code(text: &str) -> String {
    format!("```flow\n{text}\n```")
}

/// A definition or a use of one under the offset.
fn symbol(view: &View, offset: u32) -> Option<(Span, String)> {
    let a = &view.analysis;
    let (id, span) = a.symbol_at(offset)?;
    let def = a.def(id);
    let tree = &view.analyzed.tree;
    let mut out = match def.kind {
        DefKind::Type => type_def(a, def),
        DefKind::Worker => worker(a, tree, view.text(), id, def),
        DefKind::Transformer => transformer(a, tree, id, def),
        DefKind::Workflow => {
            let states = a.children(id).filter(|(_, d)| d.is_state()).count();
            let sig = a.signature(id).map(|s| s.label()).unwrap_or_default();
            format!(
                "{}\n\nworkflow of {states} states",
                code(&format!("workflow {sig}"))
            )
        }
        DefKind::State(keyword) => state(a, tree, view.text(), id, def, keyword),
        DefKind::Parameter | DefKind::Field | DefKind::Branch | DefKind::MapVar => {
            member(a, id, def)
        }
    };
    // A name in an expression may have another type there than where it is
    // defined: a step that may not have run yet is optional.
    if let Some(r) = a.ref_at(offset).filter(|r| r.kind == RefKind::Name) {
        let here = a
            .expr_types
            .iter()
            .find(|e| e.span == r.span)
            .map(|e| a.render(e.ty));
        let there = def.ty.map(|t| a.render(t));
        if let Some(here) = here.filter(|h| Some(h) != there.as_ref()) {
            let _ = write!(out, "\n\nhere: `{here}`");
            if def.is_state() {
                let _ = write!(
                    out,
                    ", since `{}` may not have run, or may have failed, on a path to this point",
                    def.name
                );
            }
        }
    }
    if let Some(docs) = &def.docs {
        let _ = write!(out, "\n\n---\n\n{docs}");
    }
    Some((span, out))
}

fn type_def(a: &Analysis, def: &Def) -> String {
    let Some(ty) = def.ty else {
        return code(&format!("type {}", def.name));
    };
    let fields = a.fields(ty);
    if fields.is_empty() {
        return code(&format!("type {} = {}", def.name, a.render(ty)));
    }
    let mut text = format!("type {} {{\n", def.name);
    for f in fields {
        let optional = if f.optional { "?" } else { "" };
        let _ = writeln!(text, "  {}{optional}: {}", f.name, a.render(f.ty));
    }
    text.push('}');
    code(&text)
}

fn worker(a: &Analysis, tree: &ast::File, text: &str, id: SymbolId, def: &Def) -> String {
    let sig = a.signature(id).map(|s| s.label()).unwrap_or_default();
    let mut out = code(&format!("worker {sig}"));
    if let Some(w) = find_worker(tree, def.name_span) {
        if let Some(executor) = w.executors.first() {
            let _ = write!(out, "\n\nexecutor: `{}`", executor.kind.name);
        }
        for s in &w.settings {
            let _ = write!(
                out,
                "\n- `{}: {}`",
                s.name.name,
                one_line(s.value.span, text)
            );
        }
    }
    out
}

fn transformer(a: &Analysis, tree: &ast::File, id: SymbolId, def: &Def) -> String {
    let sig = a.signature(id).map(|s| s.label()).unwrap_or_default();
    let mut out = code(&format!("transformer {sig}"));
    let body = tree.items.iter().find_map(|item| match item {
        ast::Item::Transformer(t) if t.name.span == def.name_span => Some(&t.body),
        _ => None,
    });
    match body {
        Some(ast::TransformerBody::Pure(_)) => {
            out.push_str("\n\npure: an expression over its parameters");
        }
        Some(ast::TransformerBody::External { executors, .. }) => {
            let kind = executors.first().map(|e| e.kind.as_str()).unwrap_or("exec");
            let _ = write!(
                out,
                "\n\nexternal: a `{kind}` program, used as a `before:` or `after:` hook"
            );
        }
        None => {}
    }
    out
}

fn member(a: &Analysis, id: SymbolId, def: &Def) -> String {
    let ty = def
        .ty
        .map(|t| a.render(t))
        .unwrap_or_else(|| "unknown".into());
    let optional = def.kind == DefKind::Field
        && def.parent.is_some_and(|p| {
            a.def(p)
                .ty
                .is_some_and(|t| a.fields(t).iter().any(|f| f.def == Some(id) && f.optional))
        });
    let mark = if optional { "?" } else { "" };
    let mut out = code(&format!("{}{mark}: {ty}", def.name));
    if let Some(parent) = def.parent {
        let p = a.def(parent);
        let _ = write!(
            out,
            "\n\n{} of {} `{}`",
            def.kind.describe(),
            p.kind.describe(),
            p.name
        );
    }
    out
}

fn state(
    a: &Analysis,
    tree: &ast::File,
    text: &str,
    id: SymbolId,
    def: &Def,
    keyword: StateKeyword,
) -> String {
    let value = a
        .state_value(id)
        .map(|t| format!(": {}", a.render(t)))
        .unwrap_or_default();
    let mut out = code(&format!("{} {}{value}", keyword.keyword(), def.name));
    let Some((workflow, st)) = find_state(tree, def.name_span) else {
        return out;
    };
    let calls: Vec<(&ast::Call, &[ast::Setting])> = match &st.kind {
        ast::StateKind::Step(s) => vec![(&s.call, &s.body.settings)],
        ast::StateKind::Map(m) => vec![(&m.call, &m.body.settings)],
        ast::StateKind::Parallel(p) => p
            .branches
            .iter()
            .map(|b| (&b.call, b.settings.as_slice()))
            .collect(),
        ast::StateKind::Succeed(_) | ast::StateKind::Fail(_) => Vec::new(),
    };
    let program = program_state(a, workflow, st);
    for (at, (call, own)) in calls.iter().enumerate() {
        let worker = a
            .item_named(call.worker.as_str())
            .filter(|(_, d)| d.kind == DefKind::Worker);
        let Some((wid, wdef)) = worker else {
            let _ = write!(
                out,
                "\n\ncalls `{}`, which is not a worker",
                call.worker.name
            );
            continue;
        };
        let sig = a.signature(wid).map(|s| s.label()).unwrap_or_default();
        let executor = find_worker(tree, wdef.name_span)
            .and_then(|w| w.executors.first())
            .map(|e| format!(" (`{}`)", e.kind.name))
            .unwrap_or_default();
        let prefix = match &st.kind {
            ast::StateKind::Parallel(p) => format!("branch `{}` calls", p.branches[at].name.name),
            _ => "calls".to_string(),
        };
        let _ = write!(out, "\n\n{prefix} `{sig}`{executor}");
        let worker_settings = find_worker(tree, wdef.name_span)
            .map(|w| w.settings.as_slice())
            .unwrap_or(&[]);
        let settings = program.and_then(|(program, s)| call_settings(s, at).map(|c| (program, c)));
        out.push_str("\n\nsettings in force:");
        out.push_str(&in_force(text, settings, own, worker_settings, &wdef.name));
    }
    if let Some(body) = st.kind.body() {
        for s in body
            .settings
            .iter()
            .filter(|s| matches!(s.name.as_str(), "max_visits" | "max_concurrency"))
        {
            let _ = write!(
                out,
                "\n- `{}: {}`",
                s.name.name,
                one_line(s.value.span, text)
            );
        }
    }
    let named_start = workflow
        .settings
        .iter()
        .find(|s| s.name.as_str() == "start");
    let start = match named_start {
        Some(s) => a.references(id).any(|r| {
            r.kind == RefKind::Start && s.span.start <= r.span.start && r.span.end <= s.span.end
        }),
        None => workflow
            .states
            .first()
            .is_some_and(|first| first.name.span == def.name_span),
    };
    if start {
        out.push_str("\n\nthe start state: every run begins here");
    }
    let into = a.transitions_to(id).count();
    let _ = write!(
        out,
        "\n\n{into} {} here",
        if into == 1 {
            "transition leads"
        } else {
            "transitions lead"
        }
    );
    out
}

/// The state of the program that a state of the source became.
fn program_state<'p>(
    a: &'p Analysis,
    workflow: &ast::Workflow,
    st: &ast::State,
) -> Option<(&'p ir::Program, &'p ir::State)> {
    let program = a.program.as_ref()?;
    let wf = program
        .workflows
        .iter()
        .find(|w| w.name == workflow.name.as_str())?;
    let index = workflow
        .states
        .iter()
        .position(|s| s.name.span == st.name.span)?;
    Some((program, wf.states.get(index)?))
}

fn call_settings(state: &ir::State, at: usize) -> Option<&ir::CallSettings> {
    match &state.kind {
        ir::StateKind::Step(call) | ir::StateKind::Map { call, .. } => Some(&call.settings),
        ir::StateKind::Parallel { branches, .. } => branches.get(at).map(|b| &b.call.settings),
        _ => None,
    }
}

/// The call settings of a state's call, each with where it comes from: the
/// state, its worker or the default. Without a program (the file has
/// errors), the settings written in the state and the worker.
fn in_force(
    text: &str,
    program: Option<(&ir::Program, &ir::CallSettings)>,
    own: &[ast::Setting],
    worker: &[ast::Setting],
    worker_name: &str,
) -> String {
    let source = |name: &str| {
        if own.iter().any(|s| s.name.as_str() == name) {
            "this state".to_string()
        } else if worker.iter().any(|s| s.name.as_str() == name) {
            format!("worker `{worker_name}`")
        } else {
            "default".to_string()
        }
    };
    let mut out = String::new();
    let Some((program, c)) = program else {
        // A state's setting replaces its worker's, but hooks add up.
        let overridden = |s: &ast::Setting| {
            !matches!(s.name.as_str(), "before" | "after")
                && own.iter().any(|o| o.name.name == s.name.name)
        };
        let written = own.iter().map(|s| (s, "this state".to_string())).chain(
            worker
                .iter()
                .filter(|s| !overridden(s))
                .map(|s| (s, format!("worker `{worker_name}`"))),
        );
        for (s, from) in written {
            let _ = write!(
                out,
                "\n- `{}: {}` ({from})",
                s.name.name,
                one_line(s.value.span, text),
            );
        }
        if out.is_empty() {
            out.push_str("\n- the defaults");
        }
        return out;
    };
    let timeout = c.timeout.map(duration).unwrap_or_else(|| "none".into());
    let backoff = if c.backoff.first == c.backoff.cap {
        duration(c.backoff.first)
    } else {
        format!("{}..{}", duration(c.backoff.first), duration(c.backoff.cap))
    };
    let classes: Vec<&str> = c.retry_on.iter().map(|k| k.name()).collect();
    let hooks = |ids: &[ir::TransformerId]| {
        ids.iter()
            .filter_map(|id| program.transformers.get(id.0 as usize))
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = [
        ("timeout", timeout),
        ("retries", c.retries.to_string()),
        ("backoff", backoff),
        ("retry_on", format!("[{}]", classes.join(", "))),
        ("before", hooks(&c.before)),
        ("after", hooks(&c.after)),
    ];
    for (name, value) in rows {
        if value.is_empty() {
            continue;
        }
        let _ = write!(out, "\n- `{name}: {value}` ({})", source(name));
    }
    out
}

/// A duration as it is written in a `.flow` file.
fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        "0s".to_string()
    } else if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The source text of a span, on one line.
fn one_line(span: Span, text: &str) -> String {
    span.text(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn find_worker(tree: &ast::File, name: Span) -> Option<&ast::Worker> {
    tree.items.iter().find_map(|item| match item {
        ast::Item::Worker(w) if w.name.span == name => Some(w),
        _ => None,
    })
}

fn find_state(tree: &ast::File, name: Span) -> Option<(&ast::Workflow, &ast::State)> {
    tree.items.iter().find_map(|item| match item {
        ast::Item::Workflow(w) => w
            .states
            .iter()
            .find(|s| s.name.span == name)
            .map(|s| (w, s)),
        _ => None,
    })
}

/// A word of the language under the offset: a setting's name, an
/// executor's kind or setting, a failure class.
fn word(tree: &ast::File, offset: u32) -> Option<(Span, String)> {
    let covers = |span: Span| span.start <= offset && offset <= span.end;
    let mut found = None;
    let mut settings = |list: &[ast::Setting], place: Place| {
        for s in list {
            if covers(s.name.span) {
                found = Some((s.name.span, setting_text(s.name.as_str(), place)));
            }
            if s.name.as_str() == "retry_on" {
                if let ast::ExprKind::List(items) = &s.value.kind {
                    for item in items {
                        if let ast::ExprKind::Name(class) = &item.kind {
                            if covers(class.span) {
                                found = Some((class.span, class_text(class.as_str())?));
                            }
                        }
                    }
                }
            }
        }
        Some(())
    };
    let executors = |list: &[ast::Executor]| {
        list.iter().find_map(|e| {
            if covers(e.kind.span) {
                return Some((e.kind.span, executor_text(e.kind.as_str())));
            }
            e.settings.iter().find(|s| covers(s.name.span)).map(|s| {
                (
                    s.name.span,
                    executor_setting_text(e.kind.as_str(), s.name.as_str()),
                )
            })
        })
    };
    for item in &tree.items {
        if !covers(item.span()) {
            continue;
        }
        match item {
            ast::Item::Worker(w) => {
                if let Some(hit) = executors(&w.executors) {
                    return Some(hit);
                }
                settings(&w.settings, Place::Worker);
            }
            ast::Item::Transformer(t) => {
                if let ast::TransformerBody::External {
                    executors: list,
                    settings: own,
                } = &t.body
                {
                    if let Some(hit) = executors(list) {
                        return Some(hit);
                    }
                    settings(own, Place::Transformer);
                }
            }
            ast::Item::Workflow(w) => {
                settings(&w.settings, Place::Workflow);
                for st in w.states.iter().filter(|s| covers(s.span)) {
                    let place = match &st.kind {
                        ast::StateKind::Step(_) => Place::Step,
                        ast::StateKind::Map(_) => Place::Map,
                        _ => Place::Parallel,
                    };
                    if let ast::StateKind::Parallel(p) = &st.kind {
                        for b in &p.branches {
                            settings(&b.settings, Place::Branch);
                        }
                    }
                    if let Some(body) = st.kind.body() {
                        settings(&body.settings, place);
                        for t in &body.transitions {
                            if covers(t.keyword) {
                                return Some((t.keyword, outcome_text(t.outcome)));
                            }
                            for class in t.classes.iter().filter(|c| covers(c.span)) {
                                if let Some(text) = class_text(class.as_str()) {
                                    return Some((class.span, text));
                                }
                            }
                        }
                    }
                }
            }
            ast::Item::Type(_) | ast::Item::Import(_) => {}
        }
    }
    found
}

fn setting_text(name: &str, place: Place) -> String {
    let Some(s) = vocabulary::setting(name) else {
        return format!("`{name}` is not a setting");
    };
    let allowed = if s.places.contains(&place) {
        ""
    } else {
        "\n\n(not a setting of this place)"
    };
    format!(
        "setting `{}`: {}\n\nvalue: {}; default: {}{allowed}",
        s.name, s.meaning, s.value, s.default
    )
}

fn outcome_text(outcome: ast::Outcome) -> String {
    match outcome {
        ast::Outcome::Success => "`on_success`: where the run goes when the state succeeds. The clauses are tried in order and the first whose `when` condition holds is taken; the conditions see the state's value. Without a clause that always matches, the conditions must cover every value.".to_string(),
        ast::Outcome::Failure => "`on_failure`: where the run goes when the state fails (after its retries). A clause may name failure classes (`on_failure timeout, transient ->`) and a `when` condition over `error`; the first that matches is taken. A failure no clause takes ends the run as failed.".to_string(),
    }
}

fn class_text(name: &str) -> Option<String> {
    let c = vocabulary::failure_class(name)?;
    Some(format!(
        "failure class `{}`\n\nraised when {}\n\n{}",
        c.name, c.raised_by, c.retried
    ))
}

fn executor_text(kind: &str) -> String {
    let settings = vocabulary::EXECUTOR_SETTINGS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, list)| {
            list.iter()
                .map(|(name, what)| format!("\n- `{name}`: {what}"))
                .collect::<String>()
        });
    match settings {
        Some(list) => format!("executor `{kind}`; its settings:{list}"),
        None => format!(
            "`{kind}` is not an executor: the executors are `exec`, `http`, `llm`, `human` and `builtin`"
        ),
    }
}

fn executor_setting_text(kind: &str, name: &str) -> String {
    let what = vocabulary::EXECUTOR_SETTINGS
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, list)| list.iter().find(|(n, _)| *n == name))
        .map(|(_, what)| *what);
    match what {
        Some(what) => format!("`{name}` of the `{kind}` executor: {what}"),
        None => format!("`{name}` is not a setting of the `{kind}` executor"),
    }
}
