//! Sequences of things with comments between them: the items of a file,
//! the members of a block, the fields, parameters, arguments, entries and
//! elements between brackets. One place decides which comment belongs to
//! which element, and where blank lines stay.

use super::comments::Fmt;
use super::doc::{Doc, concat, group, if_break, indent, text};
use crate::syntax::ast::{Comment, CommentKind};

/// What separates the elements of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sep {
    /// `, ` when flat, a line break when broken.
    Comma,
    /// Always a line break (blocks and the file).
    Newline,
}

/// A list's brackets and layout.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub open: &'static str,
    pub close: &'static str,
    /// A space inside the brackets when flat: `{ a: 1 }`, but `[1]`.
    pub pad: bool,
    pub sep: Sep,
}

pub(super) const BLOCK: Shape = Shape {
    open: "{",
    close: "}",
    pad: true,
    sep: Sep::Newline,
};
pub(super) const BRACES: Shape = Shape {
    open: "{",
    close: "}",
    pad: true,
    sep: Sep::Comma,
};
pub(super) const BRACKETS: Shape = Shape {
    open: "[",
    close: "]",
    pad: false,
    sep: Sep::Comma,
};
pub(super) const PARENS: Shape = Shape {
    open: "(",
    close: ")",
    pad: false,
    sep: Sep::Comma,
};

/// Where a list sits in the source: the offset of its opening bracket
/// (none for the file) and of its closing bracket (the end for the file).
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    pub open: Option<u32>,
    pub close: u32,
}

impl Fmt<'_> {
    /// Where a bracketed list is: its `open` bracket, the first at or after
    /// `from`, and its `close` bracket, the first after the end of its last
    /// element (`last_end`), or after the opening one when it is empty.
    pub(super) fn place_of(&self, from: u32, open: u8, close: u8, last_end: Option<u32>) -> Place {
        let at = self.find_byte(from, open);
        Place {
            open: Some(at),
            close: self.find_byte(last_end.unwrap_or(at + 1), close),
        }
    }
}

/// One line-level thing of a list.
enum Entry {
    Comment {
        text: String,
        blank_before: bool,
    },
    Element {
        doc: Doc,
        blank_before: bool,
    },
    /// A comment on the line of the opening bracket.
    Opener(Doc),
}

/// A list's contents, before the brackets are put around them.
pub(super) struct Body {
    /// Comments on the line of the opening bracket.
    opener: Doc,
    /// The entries, joined by separators and blank lines.
    inner: Doc,
    empty: bool,
}

impl Fmt<'_> {
    /// Prints a list: `bounds` gives where an element starts (with its doc
    /// comment) and ends, `print` prints one element.
    ///
    /// A comment on the line where the previous element ends stays at the
    /// end of that line; a block comment on the line where the next element
    /// starts stays before it on that line; any other comment gets a line
    /// of its own. A blank line stays where the author left one or more,
    /// never after the opening bracket; `separate` puts one after every
    /// element (items of a file).
    pub(super) fn list<T>(
        &mut self,
        place: Place,
        sep: Sep,
        separate: bool,
        elements: &[T],
        bounds: impl Fn(&T) -> (u32, u32),
        mut print: impl FnMut(&mut Self, &T) -> Doc,
    ) -> Body {
        let mut entries: Vec<Entry> = Vec::new();
        // The end of the last element (or of the opening bracket): a
        // comment on its line trails it.
        let mut anchor = place.open.map(|open| open + 1);
        // The end of the last thing printed, for blank lines.
        let mut last_end = place.open.map_or(0, |open| open + 1);
        let mut seen_element = false;
        for element in elements {
            let (start, end) = bounds(element);
            let mut leading = Vec::new();
            let mut first = None;
            while let Some(comment) = self.take_before(start) {
                let before_next = self.newlines(comment.span.end, start) == 0;
                if comment.kind == CommentKind::Block
                    && before_next
                    && !self.trails(&comment, anchor, seen_element)
                {
                    first.get_or_insert(comment.span.start);
                    leading.push(self.comment_doc(&comment));
                    leading.push(text(" "));
                } else {
                    self.place_comment(comment, anchor, &mut last_end, separate, &mut entries);
                }
            }
            let blank_before = !entries.is_empty()
                && (self.newlines(last_end, first.unwrap_or(start)) > 1
                    || (separate && matches!(entries.last(), Some(Entry::Element { .. }))));
            leading.push(print(self, element));
            entries.push(Entry::Element {
                doc: concat(leading),
                blank_before,
            });
            anchor = Some(end);
            last_end = end;
            seen_element = true;
        }
        while let Some(comment) = self.take_before(place.close) {
            self.place_comment(comment, anchor, &mut last_end, separate, &mut entries);
        }
        // Comments that trail the opening bracket come first.
        let mut opener = Vec::new();
        while let Some(Entry::Opener(doc)) = entries.first() {
            opener.push(doc.clone());
            entries.remove(0);
        }
        self.join(entries, opener, sep)
    }

    /// Puts a comment that does not lead an element at the end of the
    /// line of the thing before it, or on a line of its own.
    fn place_comment(
        &self,
        comment: Comment,
        anchor: Option<u32>,
        last_end: &mut u32,
        separate: bool,
        entries: &mut Vec<Entry>,
    ) {
        let text_of = self.comment_text(&comment);
        if anchor.is_some_and(|a| self.newlines(a, comment.span.start) == 0) {
            let trailing = match comment.kind {
                CommentKind::Line => Doc::LineSuffix(format!(" {text_of}")),
                CommentKind::Block => text(format!(" {text_of}")),
            };
            // A comment that ended its line in the source ends it in the
            // output too, so its list breaks.
            let doc = if self.ends_line(&comment) || text_of.contains('\n') {
                concat(vec![trailing, Doc::BreakParent])
            } else {
                trailing
            };
            match entries.last_mut() {
                Some(Entry::Element { doc: element, .. }) => {
                    let before = std::mem::replace(element, Doc::Nil);
                    *element = concat(vec![before, doc]);
                }
                _ => entries.push(Entry::Opener(doc)),
            }
        } else {
            let blank_before = !entries.is_empty()
                && (self.newlines(*last_end, comment.span.start) > 1
                    || (separate && matches!(entries.last(), Some(Entry::Element { .. }))));
            entries.push(Entry::Comment {
                text: text_of,
                blank_before,
            });
        }
        *last_end = comment.span.end;
    }

    /// Whether a comment before an element, on the line of that element,
    /// rather trails the thing before it on the same line: it ends the
    /// line, or it follows an element before the comma after it.
    fn trails(&self, comment: &Comment, anchor: Option<u32>, after_element: bool) -> bool {
        let Some(anchor) = anchor else {
            return false;
        };
        let between = self.slice(anchor, comment.span.start);
        !between.contains('\n')
            && (self.ends_line(comment) || (after_element && !between.contains(',')))
    }

    /// Whether nothing but spaces follows a comment on its line.
    fn ends_line(&self, comment: &Comment) -> bool {
        let rest = self
            .slice(comment.span.end, self.source.len() as u32)
            .trim_start_matches([' ', '\t', '\r']);
        comment.kind == CommentKind::Line || rest.is_empty() || rest.starts_with('\n')
    }

    fn join(&self, entries: Vec<Entry>, opener: Vec<Doc>, sep: Sep) -> Body {
        let empty = entries.is_empty() && opener.is_empty();
        let mut inner = Vec::new();
        let mut after_element = false;
        for (i, entry) in entries.into_iter().enumerate() {
            let (doc, blank_before, is_element) = match entry {
                Entry::Comment {
                    text: t,
                    blank_before,
                } => {
                    // A comment on its own line keeps its list broken.
                    (concat(vec![text(t), Doc::BreakParent]), blank_before, false)
                }
                Entry::Element { doc, blank_before } => (doc, blank_before, true),
                Entry::Opener(doc) => (doc, false, false),
            };
            if i > 0 {
                if after_element && sep == Sep::Comma {
                    inner.push(if_break(Doc::Nil, text(",")));
                }
                inner.push(Doc::Line);
                if blank_before {
                    inner.push(if_break(Doc::SoftLine, Doc::Nil));
                }
            }
            inner.push(doc);
            after_element = is_element;
        }
        Body {
            opener: concat(opener),
            inner: concat(inner),
            empty,
        }
    }

    /// A list between brackets: flat when the author wrote it on one line
    /// and it fits, broken otherwise.
    pub(super) fn bracketed<T>(
        &mut self,
        shape: Shape,
        place: Place,
        elements: &[T],
        bounds: impl Fn(&T) -> (u32, u32),
        print: impl FnMut(&mut Self, &T) -> Doc,
    ) -> Doc {
        let first = elements.first().map(|e| bounds(e).0);
        let open_end = place.open.map_or(0, |open| open + 1);
        let author_broke = first.is_some_and(|first| self.newlines(open_end, first) > 0);
        let force = author_broke || shape.sep == Sep::Newline;
        let body = self.list(place, shape.sep, false, elements, bounds, print);
        wrap(shape, body, force)
    }

    /// The items of a file, one blank line between two items.
    pub(super) fn file_list<T>(
        &mut self,
        elements: &[T],
        bounds: impl Fn(&T) -> (u32, u32),
        print: impl FnMut(&mut Self, &T) -> Doc,
    ) -> Doc {
        let place = Place {
            open: None,
            close: self.source.len() as u32,
        };
        let body = self.list(place, Sep::Newline, true, elements, bounds, print);
        if body.empty {
            return Doc::Nil;
        }
        concat(vec![body.inner, Doc::HardLine])
    }
}

/// Puts brackets around a list's body.
fn wrap(shape: Shape, body: Body, force: bool) -> Doc {
    if body.empty {
        return text(format!("{}{}", shape.open, shape.close));
    }
    let line = || if shape.pad { Doc::Line } else { Doc::SoftLine };
    let inner = if body.inner.is_nil() {
        Doc::Nil
    } else {
        indent(concat(vec![line(), body.inner]))
    };
    group(
        concat(vec![
            text(shape.open),
            body.opener,
            inner,
            line(),
            text(shape.close),
        ]),
        force,
    )
}
