//! The formatter's view of the source: its comments, handed out in order as
//! the tree is printed, and the few facts about the original layout that
//! the canonical layout keeps (blank lines, where a line ended).

use super::doc::{Doc, concat, text};
use crate::syntax::ast::{Comment, CommentKind, Docs};

/// Walks the tree with the source at hand. Every printer takes the comments
/// that come before the node it prints, so that each comment is printed
/// exactly once, in source order, next to the node it was next to.
pub(super) struct Fmt<'s> {
    pub(super) source: &'s str,
    comments: &'s [Comment],
    /// The first comment not printed yet.
    next: usize,
}

impl<'s> Fmt<'s> {
    pub(super) fn new(source: &'s str, comments: &'s [Comment]) -> Self {
        Fmt {
            source,
            comments,
            next: 0,
        }
    }

    /// The source text from `start` to `end`, or nothing when the range is
    /// not in the text.
    pub(super) fn slice(&self, start: u32, end: u32) -> &'s str {
        self.source.get(start as usize..end as usize).unwrap_or("")
    }

    /// How many line breaks the source has between two offsets.
    pub(super) fn newlines(&self, start: u32, end: u32) -> usize {
        self.slice(start, end)
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
    }

    /// The next comment not printed yet, if it starts before `pos`.
    pub(super) fn peek_before(&self, pos: u32) -> Option<Comment> {
        self.comments
            .get(self.next)
            .filter(|c| c.span.start < pos)
            .cloned()
    }

    /// Takes the next comment if it starts before `pos`.
    pub(super) fn take_before(&mut self, pos: u32) -> Option<Comment> {
        let comment = self.peek_before(pos)?;
        self.next += 1;
        Some(comment)
    }

    /// The comment starting exactly at `pos`, printed or not.
    pub(super) fn comment_at(&self, pos: usize) -> Option<&'s Comment> {
        let comments: &'s [Comment] = self.comments;
        comments
            .binary_search_by_key(&pos, |c| c.span.start as usize)
            .ok()
            .map(|i| &comments[i])
    }

    /// A comment's text without trailing spaces (on each line of a block
    /// comment): the one change the formatter makes to comments.
    pub(super) fn comment_text(&self, comment: &Comment) -> String {
        let raw = self.slice(comment.span.start, comment.span.end);
        match comment.kind {
            CommentKind::Line => raw.trim_end().to_string(),
            CommentKind::Block => raw
                .split('\n')
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// A comment as a document. A block comment over several lines breaks
    /// the groups around it: the line break in it would otherwise be taken
    /// for the author's break of its list when formatting again.
    pub(super) fn comment_doc(&self, comment: &Comment) -> Doc {
        let shown = self.comment_text(comment);
        if shown.contains('\n') {
            concat(vec![text(shown), Doc::BreakParent])
        } else {
            text(shown)
        }
    }

    /// Comments before `pos` in the middle of a line of code: a block
    /// comment stays inline, a line comment ends the line.
    pub(super) fn comments_before(&mut self, pos: u32) -> Doc {
        let mut out = Vec::new();
        while let Some(comment) = self.take_before(pos) {
            out.push(self.comment_doc(&comment));
            out.push(match comment.kind {
                CommentKind::Block => text(" "),
                CommentKind::Line => Doc::HardLine,
            });
        }
        concat(out)
    }

    /// Comments before a closing token at `pos`, after the last thing
    /// printed on the line.
    pub(super) fn comments_before_close(&mut self, pos: u32) -> Doc {
        let mut out = Vec::new();
        while let Some(comment) = self.take_before(pos) {
            out.push(text(" "));
            out.push(self.comment_doc(&comment));
            if comment.kind == CommentKind::Line {
                out.push(Doc::HardLine);
            }
        }
        concat(out)
    }

    /// Comments before `pos` each on a line of its own, as between a doc
    /// comment and the item it documents.
    pub(super) fn own_lines_before(&mut self, pos: u32) -> Doc {
        let mut out = Vec::new();
        while let Some(comment) = self.take_before(pos) {
            out.push(text(self.comment_text(&comment)));
            out.push(Doc::HardLine);
        }
        concat(out)
    }

    /// The offset of the next `byte` at or after `from` outside comments.
    /// Callers look for a bracket that the grammar puts there, after
    /// nothing but spaces, commas and comments; the end of the text stands
    /// for one that is not found.
    pub(super) fn find_byte(&self, from: u32, byte: u8) -> u32 {
        let bytes = self.source.as_bytes();
        let mut at = from as usize;
        while at < bytes.len() {
            if let Some(comment) = self.comment_at(at) {
                at = comment.span.end as usize;
            } else if bytes[at] == byte {
                return at as u32;
            } else {
                at += 1;
            }
        }
        bytes.len() as u32
    }

    /// The offset of the first token at or after `from`: spaces and
    /// comments skipped. The end of the text when there is none.
    pub(super) fn next_token(&self, from: u32) -> u32 {
        let bytes = self.source.as_bytes();
        let mut at = from as usize;
        while at < bytes.len() {
            if let Some(comment) = self.comment_at(at) {
                at = comment.span.end as usize;
            } else if bytes[at].is_ascii_whitespace() {
                at += 1;
            } else {
                return at as u32;
            }
        }
        bytes.len() as u32
    }

    /// Doc comment lines, each followed by a line break, with any ordinary
    /// comments between them kept between the same lines.
    pub(super) fn docs(&mut self, docs: Option<&Docs>) -> Doc {
        let Some(docs) = docs else {
            return Doc::Nil;
        };
        let mut lines = docs.text.split('\n');
        let mut out = Vec::new();
        let mut from = docs.span.start;
        let mut doc_lines = |out: &mut Vec<Doc>, count: usize| {
            for line in lines.by_ref().take(count) {
                out.push(text(if line.is_empty() {
                    "///".to_string()
                } else {
                    format!("/// {line}")
                }));
                out.push(Doc::HardLine);
            }
        };
        while let Some(comment) = self.take_before(docs.span.end) {
            doc_lines(&mut out, doc_tokens(self.slice(from, comment.span.start)));
            out.push(text(self.comment_text(&comment)));
            out.push(Doc::HardLine);
            from = comment.span.end;
        }
        doc_lines(&mut out, usize::MAX);
        concat(out)
    }
}

/// How many `///` lines a stretch of a doc comment holds: between its
/// ordinary comments there is nothing but doc lines and spaces.
fn doc_tokens(stretch: &str) -> usize {
    stretch
        .split('\n')
        .filter(|line| line.trim_start().starts_with("///"))
        .count()
}
