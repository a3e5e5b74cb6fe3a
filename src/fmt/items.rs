//! Items: imports, type definitions, workers, transformers, and what they
//! share (parameters, executors, settings).

use super::comments::Fmt;
use super::doc::{Doc, concat, indent, text};
use super::lists::{BLOCK, BRACES, PARENS, Place};
use crate::syntax::ast::*;

/// Where an element starts: at its doc comment when it has one.
pub(super) fn start(docs: Option<&Docs>, span: Span) -> u32 {
    docs.map_or(span.start, |d| d.span.start.min(span.start))
}

/// A member of a worker or of an external transformer, in source order.
enum Member<'a> {
    Executor(&'a Executor),
    Setting(&'a Setting),
}

impl Member<'_> {
    fn span(&self) -> Span {
        match self {
            Member::Executor(e) => e.span,
            Member::Setting(s) => s.span,
        }
    }
}

impl Fmt<'_> {
    pub(super) fn file(&mut self, file: &File) -> Doc {
        self.file_list(
            &file.items,
            |item| (start(item.docs(), item.span()), item.span().end),
            |f, item| f.item(item),
        )
    }

    fn item(&mut self, item: &Item) -> Doc {
        let head = concat(vec![
            self.docs(item.docs()),
            self.own_lines_before(item.span().start),
        ]);
        let body = match item {
            Item::Import(import) => concat(vec![text("import "), self.string(&import.path)]),
            Item::Type(def) => {
                let name = self.ident(&def.name);
                let ty = self.type_expr(&def.ty);
                let eq = if def.alias { " = " } else { " " };
                concat(vec![text("type "), name, text(eq), ty])
            }
            Item::Worker(worker) => {
                let signature =
                    self.signature("worker ", &worker.name, &worker.params, &worker.output);
                let members = self.members(
                    &worker.executors,
                    &worker.settings,
                    worker.output.span.end,
                    worker.span.end,
                );
                concat(vec![signature, text(" "), members])
            }
            Item::Transformer(transformer) => self.transformer(transformer),
            Item::Workflow(workflow) => self.workflow(workflow),
        };
        concat(vec![head, body])
    }

    /// `keyword name(params) -> output`
    pub(super) fn signature(
        &mut self,
        keyword: &'static str,
        name: &Ident,
        params: &[Param],
        output: &TypeExpr,
    ) -> Doc {
        let name_doc = self.ident(name);
        let params = self.params(name.span.end, params);
        // The output type stays on the line of the parameters' closing
        // parenthesis, unless the author wrote it over several lines: the
        // parameters break first.
        let output = self.type_expr(output).flat();
        concat(vec![text(keyword), name_doc, params, text(" -> "), output])
    }

    fn params(&mut self, after: u32, params: &[Param]) -> Doc {
        let last = params.last().map(|p| p.span.end);
        let place = self.place_of(after, b'(', b')', last);
        self.bracketed(
            PARENS,
            place,
            params,
            |p| (start(p.docs.as_ref(), p.span), p.span.end),
            |f, p| {
                concat(vec![
                    f.docs(p.docs.as_ref()),
                    f.own_lines_before(p.span.start),
                    f.ident(&p.name),
                    text(": "),
                    f.type_expr(&p.ty),
                ])
            },
        )
    }

    fn transformer(&mut self, transformer: &Transformer) -> Doc {
        let signature = self.signature(
            "transformer ",
            &transformer.name,
            &transformer.params,
            &transformer.output,
        );
        let body = match &transformer.body {
            TransformerBody::Pure(expr) => {
                // The expression stays on the line of `=` unless the
                // author put it on the next one.
                let eq = self.find_byte(transformer.output.span.end, b'=');
                let before_eq = self.comments_before_close(eq);
                let on_next_line = self.newlines(eq, expr.span.start) > 0;
                let expr = self.expr(expr);
                let eq = if before_eq.is_nil() { " =" } else { "=" };
                if on_next_line {
                    concat(vec![
                        before_eq,
                        text(eq),
                        indent(concat(vec![Doc::HardLine, expr])),
                    ])
                } else {
                    concat(vec![before_eq, text(eq), text(" "), expr])
                }
            }
            TransformerBody::External {
                executors,
                settings,
            } => {
                let members = self.members(
                    executors,
                    settings,
                    transformer.output.span.end,
                    transformer.span.end,
                );
                concat(vec![text(" "), members])
            }
        };
        concat(vec![signature, body])
    }

    /// The block of a worker or an external transformer, from the `{`
    /// after `after` to the `}` that ends at `end`.
    fn members(
        &mut self,
        executors: &[Executor],
        settings: &[Setting],
        after: u32,
        end: u32,
    ) -> Doc {
        let mut members: Vec<Member<'_>> = executors
            .iter()
            .map(Member::Executor)
            .chain(settings.iter().map(Member::Setting))
            .collect();
        members.sort_by_key(|m| m.span().start);
        let place = Place {
            open: Some(self.find_byte(after, b'{')),
            close: end.saturating_sub(1),
        };
        self.bracketed(
            BLOCK,
            place,
            &members,
            |m| (m.span().start, m.span().end),
            |f, m| match m {
                Member::Executor(e) => f.executor(e),
                Member::Setting(s) => f.setting(s),
            },
        )
    }

    fn executor(&mut self, executor: &Executor) -> Doc {
        let kind = self.ident(&executor.kind);
        let place = Place {
            open: Some(self.find_byte(executor.kind.span.end, b'{')),
            close: executor.span.end.saturating_sub(1),
        };
        let settings = self.settings(BRACES, place, &executor.settings);
        concat(vec![kind, text(" "), settings])
    }

    /// Settings between braces, as in an executor or a branch.
    pub(super) fn settings(
        &mut self,
        shape: super::lists::Shape,
        place: Place,
        settings: &[Setting],
    ) -> Doc {
        self.bracketed(
            shape,
            place,
            settings,
            |s| (s.span.start, s.span.end),
            |f, s| f.setting(s),
        )
    }

    pub(super) fn setting(&mut self, setting: &Setting) -> Doc {
        concat(vec![
            self.ident(&setting.name),
            text(": "),
            self.expr(&setting.value),
        ])
    }

    /// A name, after the comments before it.
    pub(super) fn ident(&mut self, ident: &Ident) -> Doc {
        concat(vec![
            self.comments_before(ident.span.start),
            text(ident.name.as_str()),
        ])
    }

    /// A record key or field name: a quoted one stays quoted as written.
    pub(super) fn key(&mut self, key: &Ident) -> Doc {
        let written = self.slice(key.span.start, key.span.end);
        let shown = if written.starts_with('"') {
            written.to_string()
        } else {
            key.name.to_string()
        };
        concat(vec![self.comments_before(key.span.start), text(shown)])
    }
}
