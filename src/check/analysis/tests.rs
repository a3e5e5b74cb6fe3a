//! The analysis of the files in `tests/fixtures/analysis/`, written out
//! readably and snapshotted: every definition with its type and doc
//! comment, every resolved use, the type of every expression, the
//! signatures and the queries the language server asks.

use std::fmt::Write as _;
use std::path::Path;

use miette::Diagnostic;

use super::*;
use crate::diagnostics::LineIndex;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/analysis");

fn analysis_of(source: &str) -> Analysis {
    let parsed = crate::syntax::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors in a fixture: {:#?}",
        parsed.errors
    );
    crate::check::analyze(&parsed.file)
}

struct Writer<'s> {
    source: &'s str,
    lines: LineIndex<'s>,
    analysis: &'s Analysis,
}

impl Writer<'_> {
    fn at(&self, offset: u32) -> String {
        let lc = self.lines.line_col(offset as usize);
        format!("{}:{}", lc.line, lc.column)
    }

    fn text(&self, span: Span) -> String {
        let text = span.text(self.source).replace('\n', "⏎");
        match text.char_indices().nth(60) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        }
    }

    fn ty(&self, ty: Option<TypeRef>) -> String {
        ty.map(|t| self.analysis.render(t))
            .unwrap_or_else(|| "-".to_string())
    }

    fn depth(&self, mut id: SymbolId) -> usize {
        let mut depth = 0;
        while let Some(parent) = self.analysis.def(id).parent {
            depth += 1;
            id = parent;
        }
        depth
    }

    fn symbol(&self, id: SymbolId) -> String {
        let def = self.analysis.def(id);
        format!(
            "{} `{}` @{}",
            def.kind.describe(),
            def.name,
            self.at(def.name_span.start)
        )
    }

    fn dump(&self) -> String {
        let a = self.analysis;
        let mut out = String::new();
        let _ = writeln!(out, "program: {}", a.program.is_some());
        out.push_str("problems:\n");
        for p in &a.problems {
            let code = p.code().map(|c| c.to_string()).unwrap_or_default();
            let _ = writeln!(out, "  {} {code}", self.at(p.offset() as u32));
        }
        out.push_str("defs:\n");
        for (id, def) in a.symbols() {
            let indent = "  ".repeat(self.depth(id) + 1);
            let _ = write!(
                out,
                "{indent}{} `{}` @{} : {}",
                def.kind.describe(),
                def.name,
                self.at(def.name_span.start),
                self.ty(def.ty)
            );
            if let Some(docs) = &def.docs {
                let _ = write!(out, "  /// {docs}");
            }
            out.push('\n');
        }
        out.push_str("refs:\n");
        for r in &a.refs {
            let _ = writeln!(
                out,
                "  {} `{}` {:?} -> {}",
                self.at(r.span.start),
                self.text(r.span),
                r.kind,
                self.symbol(r.target)
            );
        }
        out.push_str("expression types:\n");
        for e in &a.expr_types {
            let _ = writeln!(
                out,
                "  {} `{}` : {}",
                self.at(e.span.start),
                self.text(e.span),
                a.render(e.ty)
            );
        }
        out.push_str("signatures:\n");
        for (id, _) in a.items() {
            if let Some(sig) = a.signature(id) {
                let _ = writeln!(out, "  {}", sig.label());
            }
        }
        out.push_str("transitions into each state:\n");
        for (id, def) in a.symbols().filter(|(_, d)| d.is_state()) {
            let from: Vec<String> = a
                .transitions_to(id)
                .map(|r| self.at(r.span.start))
                .collect();
            let _ = writeln!(out, "  `{}` <- [{}]", def.name, from.join(", "));
        }
        out
    }
}

fn snapshot(name: &str) {
    let path = Path::new(FIXTURES).join(format!("{name}.flow"));
    let source = std::fs::read_to_string(&path).expect("the fixture is readable");
    let analysis = analysis_of(&source);
    let writer = Writer {
        source: &source,
        lines: LineIndex::new(&source),
        analysis: &analysis,
    };
    insta::assert_snapshot!(name, writer.dump());
}

#[test]
fn review_loop() {
    snapshot("review");
}

#[test]
fn map_and_parallel() {
    snapshot("fanout");
}

#[test]
fn file_with_errors() {
    snapshot("broken");
}

/// The offset of the `n`th occurrence (from 0) of `needle` in `source`.
fn offset_of(source: &str, needle: &str, n: usize) -> u32 {
    source
        .match_indices(needle)
        .nth(n)
        .map(|(at, _)| at as u32)
        .expect("the needle is in the source")
}

#[test]
fn queries_at_offsets() {
    let source = std::fs::read_to_string(Path::new(FIXTURES).join("review.flow"))
        .expect("the fixture is readable");
    let a = analysis_of(&source);
    let name = |id: SymbolId| a.def(id).name.clone();

    // On a use and on the definition itself.
    let use_of_review = offset_of(&source, "-> review", 0) + 4;
    let (state, _) = a.symbol_at(use_of_review).expect("the target resolves");
    assert_eq!(name(state), "review");
    assert_eq!(a.def(state).kind, DefKind::State(StateKeyword::Step));
    let on_def = a.def(state).name_span.start + 2;
    assert_eq!(a.symbol_at(on_def).map(|(id, _)| id), Some(state));
    // `review` is a transition target once, and a value in a condition.
    assert_eq!(a.transitions_to(state).count(), 1);
    assert_eq!(a.references(state).count(), 2);

    // The field after `review.` is the `verdict` of the type `Review`.
    let verdict = offset_of(&source, "review.verdict", 0) + 8;
    let (field, _) = a.symbol_at(verdict).expect("the field resolves");
    assert_eq!(a.def(field).kind, DefKind::Field);
    assert_eq!(a.def(field).name, "verdict");
    assert_eq!(a.def(field).parent.map(name).as_deref(), Some("Review"));

    // Completion after `review.`: the fields of `Review` with their types.
    let dot = offset_of(&source, "review.verdict", 0) + 6;
    let fields: Vec<String> = a
        .fields_after(dot)
        .iter()
        .map(|f| format!("{}: {}", f.name, a.render(f.ty)))
        .collect();
    assert_eq!(
        fields,
        ["verdict: \"approve\" | \"revise\"", "comments: [string]"]
    );
    // The same from the text alone, as for a document that does not parse.
    let by_path: Vec<String> = a
        .fields_of_path(dot, &["spec"])
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(by_path, ["title", "tags"]);

    // The innermost expression under an offset.
    let inner = offset_of(&source, "spec.title)", 0) + 1;
    let typed = a.type_at(inner).expect("an expression is there");
    assert_eq!(typed.span.text(&source), "spec");
    assert_eq!(a.render(typed.ty), "Spec");

    // A step's value, and the signature of its worker.
    let (write, _) = a
        .symbols()
        .find(|(_, d)| d.name == "write" && d.is_state())
        .expect("the state is defined");
    assert_eq!(
        a.state_value(write).map(|t| a.render(t)).as_deref(),
        Some("string")
    );
    let (coder, _) = a.item_named("Coder").expect("the worker is defined");
    let sig = a.signature(coder).expect("a worker has a signature");
    let (label, ranges) = sig.label_with_ranges();
    assert_eq!(label, "Coder(spec: Spec, feedback: [string]) -> string");
    assert_eq!(&label[ranges[1].0..ranges[1].1], "feedback: [string]");
    assert_eq!(a.def(coder).docs.as_deref(), Some("Writes the code."));
}

#[test]
fn the_analysis_can_move_between_threads() {
    fn send<T: Send + Sync>() {}
    send::<Analysis>();
}

/// Every name used in the examples (workers of calls, transition targets,
/// `start:` and hooks, named types, names in expressions but `error`,
/// transformers called in them, named arguments of worker calls) resolves
/// to a definition of that name.
#[test]
fn every_use_in_the_examples_resolves() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/ is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "flow"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let source = std::fs::read_to_string(&path).expect("the example is readable");
        let parsed = crate::syntax::parse(&source);
        let a = crate::check::analyze(&parsed.file);
        assert!(a.program.is_some(), "{} has a program", path.display());
        let mut uses = Vec::new();
        collect_uses(&parsed.file, &mut uses);
        for ident in uses {
            let (id, _) = a.symbol_at(ident.span.start).unwrap_or_else(|| {
                panic!(
                    "`{}` at {:?} in {} resolves",
                    ident.name,
                    ident.span,
                    path.display()
                )
            });
            assert_eq!(a.def(id).name, ident.name.as_str(), "in {}", path.display());
            assert!(
                a.ref_at(ident.span.start).is_some(),
                "`{}` at {:?} is a use",
                ident.name,
                ident.span
            );
        }
    }
}

fn collect_uses<'f>(file: &'f ast::File, out: &mut Vec<&'f ast::Ident>) {
    fn ty<'f>(te: &'f ast::TypeExpr, out: &mut Vec<&'f ast::Ident>) {
        match &te.kind {
            ast::TypeExprKind::Named(name) => out.push(name),
            ast::TypeExprKind::List(inner) | ast::TypeExprKind::Optional(inner) => ty(inner, out),
            ast::TypeExprKind::Record(fields) => fields.iter().for_each(|f| ty(&f.ty, out)),
            _ => {}
        }
    }
    fn expr<'f>(e: &'f ast::Expr, out: &mut Vec<&'f ast::Ident>) {
        match &e.kind {
            ast::ExprKind::Name(name) if name.as_str() != "error" => out.push(name),
            // A call of a transformer (a built-in function has no definition).
            ast::ExprKind::Call { callee, .. }
                if crate::ir::Builtin::from_name(callee.as_str()).is_none() =>
            {
                out.push(callee)
            }
            _ => {}
        }
        e.for_each_child(|c| expr(c, out));
    }
    fn call<'f>(c: &'f ast::Call, out: &mut Vec<&'f ast::Ident>) {
        out.push(&c.worker);
        for arg in &c.args {
            out.extend(arg.name.iter());
            expr(&arg.value, out);
        }
    }
    fn settings<'f>(list: &'f [ast::Setting], out: &mut Vec<&'f ast::Ident>) {
        for s in list {
            if matches!(s.name.as_str(), "before" | "after" | "start") {
                if let ast::ExprKind::Name(name) = &s.value.kind {
                    out.push(name);
                }
            }
        }
    }
    for item in &file.items {
        match item {
            ast::Item::Type(t) => ty(&t.ty, out),
            ast::Item::Worker(w) => {
                w.params.iter().for_each(|p| ty(&p.ty, out));
                ty(&w.output, out);
                settings(&w.settings, out);
                for e in &w.executors {
                    e.settings.iter().for_each(|s| expr(&s.value, out));
                }
            }
            ast::Item::Transformer(t) => {
                t.params.iter().for_each(|p| ty(&p.ty, out));
                ty(&t.output, out);
                if let ast::TransformerBody::Pure(body) = &t.body {
                    expr(body, out);
                }
            }
            ast::Item::Workflow(w) => {
                w.params.iter().for_each(|p| ty(&p.ty, out));
                ty(&w.output, out);
                settings(&w.settings, out);
                for st in &w.states {
                    match &st.kind {
                        ast::StateKind::Step(s) => call(&s.call, out),
                        ast::StateKind::Map(m) => {
                            call(&m.call, out);
                            expr(&m.iter, out);
                        }
                        ast::StateKind::Parallel(p) => {
                            for b in &p.branches {
                                call(&b.call, out);
                                settings(&b.settings, out);
                            }
                        }
                        ast::StateKind::Succeed(e) | ast::StateKind::Fail(e) => expr(e, out),
                    }
                    if let Some(body) = st.kind.body() {
                        settings(&body.settings, out);
                        for t in &body.transitions {
                            out.push(&t.target);
                            if let Some(c) = &t.condition {
                                expr(c, out);
                            }
                        }
                    }
                }
            }
            ast::Item::Import(_) => {}
        }
    }
}

/// The queries answer at every offset of every fixture of the checker's
/// diagnostics and every example, without panicking, and what they answer
/// is consistent: a symbol's span holds the offset, a use's definition has
/// the use's name.
#[test]
fn queries_answer_everywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/fixtures/diagnostics/check", "examples"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("the directory is readable") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|x| x == "flow") {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        let source = std::fs::read_to_string(&path).expect("the file is readable");
        let parsed = crate::syntax::parse(&source);
        if !parsed.errors.is_empty() {
            continue;
        }
        let a = crate::check::analyze(&parsed.file);
        for offset in 0..=source.len() as u32 {
            if let Some((id, span)) = a.symbol_at(offset) {
                assert!(span.start <= offset && offset <= span.end);
                let written = span.text(&source).trim_matches('"');
                assert_eq!(written, a.def(id).name, "at {offset} in {}", path.display());
            }
            if let Some(typed) = a.type_at(offset) {
                assert!(typed.span.start <= offset && offset <= typed.span.end);
                let _ = a.render(typed.ty);
            }
            for f in a.fields_after(offset) {
                let _ = a.render(f.ty);
            }
        }
        for (id, def) in a.symbols() {
            let _ = a.signature(id);
            let _ = a.fields_of_path(def.span.start, &[def.name.as_str(), "x"]);
            if let Some(ty) = def.ty {
                let _ = (a.fields(ty), a.types.element(ty), a.types.literals(ty));
            }
        }
    }
}
