//! Prints a [`Doc`]: decides for each group whether it fits flat on the rest
//! of its line, and writes the text with indentation.

use super::doc::Doc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

#[derive(Clone, Copy)]
struct Command<'d> {
    indent: usize,
    mode: Mode,
    doc: &'d Doc,
}

/// Prints `doc` in lines of at most `width` columns where the groups allow,
/// indenting by `unit` spaces per level.
pub(super) fn print(doc: &Doc, width: usize, unit: usize) -> String {
    let mut out = Output::default();
    let mut stack = vec![Command {
        indent: 0,
        mode: Mode::Break,
        doc,
    }];
    while let Some(Command { indent, mode, doc }) = stack.pop() {
        let mut push = |indent, mode, doc| stack.push(Command { indent, mode, doc });
        match doc {
            Doc::Nil | Doc::BreakParent => {}
            Doc::Text(s) => out.text(s, false),
            Doc::Verbatim(s) => out.text(s, true),
            Doc::Concat(docs) => docs.iter().rev().for_each(|d| push(indent, mode, d)),
            Doc::Indent(inner) => push(indent + unit, mode, inner),
            Doc::Root(inner) => push(0, mode, inner),
            Doc::Flat(inner) => push(indent, Mode::Flat, inner),
            Doc::IfBreak(broken, flat) => push(
                indent,
                mode,
                if mode == Mode::Break { broken } else { flat },
            ),
            Doc::Line if mode == Mode::Flat => out.text(" ", false),
            Doc::SoftLine if mode == Mode::Flat => {}
            Doc::Line | Doc::SoftLine | Doc::HardLine => out.newline(indent),
            Doc::LineSuffix(s) => out.suffix.push_str(s),
            Doc::Group { doc: inner, broken } => {
                let mode = if mode == Mode::Flat {
                    Mode::Flat
                } else if *broken {
                    Mode::Break
                } else {
                    let room = width as isize - out.column as isize;
                    if fits(inner, &stack, room) {
                        Mode::Flat
                    } else {
                        Mode::Break
                    }
                };
                stack.push(Command {
                    indent,
                    mode,
                    doc: inner,
                });
            }
        }
    }
    out.finish()
}

/// Whether `doc`, printed flat, and what follows it up to where it may
/// break next fit in `room` columns.
fn fits(doc: &Doc, rest: &[Command<'_>], mut room: isize) -> bool {
    let mut local: Vec<(Mode, &Doc)> = vec![(Mode::Flat, doc)];
    let mut rest_at = rest.len();
    loop {
        if room < 0 {
            return false;
        }
        let (mode, doc) = match local.pop() {
            Some(next) => next,
            None => {
                if rest_at == 0 {
                    return true;
                }
                rest_at -= 1;
                (rest[rest_at].mode, rest[rest_at].doc)
            }
        };
        match doc {
            Doc::Text(s) | Doc::Verbatim(s) => match s.split_once('\n') {
                Some((first, _)) => return room >= width(first),
                None => room -= width(s),
            },
            Doc::Concat(docs) => docs.iter().rev().for_each(|d| local.push((mode, d))),
            Doc::Indent(inner) | Doc::Root(inner) => local.push((mode, inner)),
            Doc::Flat(inner) => local.push((Mode::Flat, inner)),
            // A group inside the one measured is flat with it; a group
            // after it may still break, so only its first line counts.
            Doc::Group { doc, broken } => {
                local.push((if *broken { Mode::Break } else { mode }, doc))
            }
            Doc::IfBreak(broken, flat) => {
                local.push((mode, if mode == Mode::Break { broken } else { flat }))
            }
            Doc::Line | Doc::SoftLine if mode == Mode::Break => return true,
            Doc::HardLine => return true,
            Doc::Line => room -= 1,
            Doc::SoftLine | Doc::Nil | Doc::BreakParent | Doc::LineSuffix(_) => {}
        }
    }
}

fn width(s: &str) -> isize {
    s.chars().count() as isize
}

/// The text being written. Indentation is written lazily, before the first
/// text of a line, so that empty lines carry no trailing spaces.
#[derive(Default)]
struct Output {
    text: String,
    column: usize,
    /// The indentation owed to the current line, until text is written.
    pending: Option<usize>,
    /// Trailing comments waiting for the end of the line.
    suffix: String,
    /// Whether the last text was a triple-quoted string's, whose trailing
    /// spaces must stay.
    verbatim: bool,
}

impl Output {
    fn text(&mut self, s: &str, verbatim: bool) {
        if s.is_empty() {
            return;
        }
        if let Some(indent) = self.pending.take() {
            self.text.extend(std::iter::repeat_n(' ', indent));
        }
        self.text.push_str(s);
        self.verbatim = verbatim;
        match s.rsplit_once('\n') {
            Some((_, last)) => self.column = last.chars().count(),
            None => self.column += s.chars().count(),
        }
    }

    fn newline(&mut self, indent: usize) {
        if !self.suffix.is_empty() {
            let suffix = std::mem::take(&mut self.suffix);
            self.text(&suffix, false);
        }
        if !self.verbatim {
            let trimmed = self.text.trim_end_matches(' ').len();
            self.text.truncate(trimmed);
        }
        self.text.push('\n');
        self.verbatim = false;
        self.pending = Some(indent);
        self.column = indent;
    }

    fn finish(mut self) -> String {
        if !self.suffix.is_empty() {
            let suffix = std::mem::take(&mut self.suffix);
            self.text(&suffix, false);
        }
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::super::doc::{concat, group, indent, text};
    use super::*;

    fn list(items: &[&str], force: bool) -> Doc {
        let mut inner = vec![Doc::SoftLine];
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                inner.push(text(","));
                inner.push(Doc::Line);
            }
            inner.push(text(*item));
        }
        group(
            concat(vec![
                text("["),
                indent(concat(inner)),
                Doc::SoftLine,
                text("]"),
            ]),
            force,
        )
    }

    #[test]
    fn a_group_that_fits_stays_flat() {
        assert_eq!(print(&list(&["a", "b"], false), 10, 2), "[a, b]");
    }

    #[test]
    fn a_group_too_wide_breaks() {
        assert_eq!(
            print(&list(&["aaaa", "bbbb"], false), 8, 2),
            "[\n  aaaa,\n  bbbb\n]"
        );
    }

    #[test]
    fn a_forced_group_breaks_and_breaks_its_parents() {
        let inner = list(&["a"], true);
        let outer = group(concat(vec![text("x "), inner]), false);
        assert_eq!(print(&outer, 80, 2), "x [\n  a\n]");
        assert!(matches!(outer, Doc::Group { broken: true, .. }));
    }

    #[test]
    fn text_after_a_group_counts_towards_its_width() {
        let doc = concat(vec![list(&["a", "b"], false), text(" and more")]);
        assert_eq!(print(&doc, 12, 2), "[\n  a,\n  b\n] and more");
    }

    #[test]
    fn empty_lines_have_no_indentation() {
        let doc = indent(concat(vec![
            text("a"),
            Doc::HardLine,
            Doc::HardLine,
            text("b"),
        ]));
        assert_eq!(print(&doc, 80, 4), "a\n\n    b");
    }
}
