//! The document the formatter builds before choosing line breaks: text,
//! places where a line may break, indentation and groups, in the style of
//! Wadler's "prettier printer".
//!
//! A group is printed flat (every [`Doc::Line`] a space) when it fits in
//! the width, and broken (every line a newline) otherwise. A group that
//! contains a hard line break, or a group that must break, breaks every
//! group around it: that is decided once, when the group is built.

#[derive(Debug, Clone)]
pub(super) enum Doc {
    Nil,
    /// Text without a line break, except in a block comment written over
    /// several lines, which is kept as it is.
    Text(String),
    /// Text of a triple-quoted string: its trailing spaces are meaning, so
    /// the printer keeps them.
    Verbatim(String),
    Concat(Vec<Doc>),
    /// A space when flat, a newline when broken.
    Line,
    /// Nothing when flat, a newline when broken.
    SoftLine,
    /// Always a newline.
    HardLine,
    /// Breaks the groups around it without printing anything.
    BreakParent,
    /// The inside is indented one level more.
    Indent(Box<Doc>),
    /// The inside starts its lines in the first column.
    Root(Box<Doc>),
    Group {
        doc: Box<Doc>,
        broken: bool,
    },
    /// The first document in a broken group, the second in a flat one.
    IfBreak(Box<Doc>, Box<Doc>),
    /// Printed flat whatever the width: the code inside `${}`, which
    /// would be hard to read over several lines.
    Flat(Box<Doc>),
    /// Text put at the end of the current line, just before its newline:
    /// a trailing `//` comment, which must not count towards the width.
    LineSuffix(String),
}

pub(super) fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub(super) fn concat(docs: Vec<Doc>) -> Doc {
    Doc::Concat(docs)
}

pub(super) fn indent(doc: Doc) -> Doc {
    Doc::Indent(Box::new(doc))
}

pub(super) fn root(doc: Doc) -> Doc {
    Doc::Root(Box::new(doc))
}

/// A group that breaks when it does not fit, or when it must (`force`, or
/// something inside it must break).
pub(super) fn group(doc: Doc, force: bool) -> Doc {
    let broken = force || doc.must_break();
    Doc::Group {
        doc: Box::new(doc),
        broken,
    }
}

pub(super) fn if_break(broken: Doc, flat: Doc) -> Doc {
    Doc::IfBreak(Box::new(broken), Box::new(flat))
}

impl Doc {
    /// Whether this document cannot be printed flat. Groups inside have
    /// decided already, so the walk stops at them: building a tree of
    /// groups costs time in proportion to its size.
    fn must_break(&self) -> bool {
        match self {
            Doc::HardLine | Doc::BreakParent => true,
            Doc::Concat(docs) => docs.iter().any(Doc::must_break),
            Doc::Indent(doc) | Doc::Root(doc) | Doc::Flat(doc) => doc.must_break(),
            Doc::Group { broken, .. } => *broken,
            // Only the flat choice matters: a break in the broken one is
            // printed only when the group breaks anyway.
            Doc::IfBreak(_, flat) => flat.must_break(),
            Doc::Nil
            | Doc::Text(_)
            | Doc::Verbatim(_)
            | Doc::Line
            | Doc::SoftLine
            | Doc::LineSuffix(_) => false,
        }
    }

    /// This document printed flat, unless something in it must break.
    pub(super) fn flat(self) -> Doc {
        if self.must_break() {
            self
        } else {
            Doc::Flat(Box::new(self))
        }
    }

    /// Whether this is the empty document.
    pub(super) fn is_nil(&self) -> bool {
        match self {
            Doc::Nil => true,
            Doc::Concat(docs) => docs.iter().all(Doc::is_nil),
            _ => false,
        }
    }
}
