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
