//! The documents the client has open: their text, version and analysis.
//!
//! The client sends the whole text on every change (whole-document sync);
//! each version is parsed and checked in full ([`Document::analyze`], the
//! driver `flow check` uses), which is all its diagnostics need, and
//! replaces the last. The last version that parsed is kept beside it, for
//! what a text with a syntax error cannot answer.
//!
//! The checker's fuller [`Analysis`], which the semantic requests answer
//! from, belongs to the [`Version`]: it is computed when a request first
//! needs it, on the worker, and shared by every request about that
//! version after it; a change never waits for it. Every part is behind an
//! `Arc`, so that the worker's snapshot of [`Documents`] is a copy of
//! pointers, taken on every request.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use super::convert;
use crate::check::{self, Analysis};
use crate::diagnostics::LineIndex;
use crate::document::Document;
use crate::syntax::Span;
use crate::syntax::ast::{Item, State};

/// One version of a document's text: what its diagnostics come from, and
/// the checker's analysis of it once a request has asked for it.
#[derive(Debug)]
pub struct Version {
    pub document: Arc<Document>,
    /// Empty until [`Version::analysis`] is first called, so that the
    /// diagnostics of a change are published without waiting for it.
    analysis: OnceLock<Arc<Analysis>>,
}

impl Version {
    fn new(document: Document) -> Self {
        Version {
            document: Arc::new(document),
            analysis: OnceLock::new(),
        }
    }

    /// The checker's analysis of this text, computed by the first caller
    /// and shared with every later one, on any thread. A text that does
    /// not parse is analyzed as far as it parsed. Should the checker panic,
    /// nothing is kept and the next caller tries again.
    pub fn analysis(&self) -> Arc<Analysis> {
        let analysis = self
            .analysis
            .get_or_init(|| Arc::new(check::analyze(&self.document.tree)));
        Arc::clone(analysis)
    }

    /// Whether [`Version::analysis`] has been computed.
    #[cfg(test)]
    pub fn is_analyzed(&self) -> bool {
        self.analysis.get().is_some()
    }
}

/// One open document.
#[derive(Debug, Clone)]
pub struct OpenDocument {
    /// The version the client gave the text.
    pub version: i32,
    /// The current text.
    pub current: Arc<Version>,
    /// The last version that parsed without syntax errors (the current one
    /// if it does, the same `Arc`); `None` when none has yet.
    pub last_parsed: Option<Arc<Version>>,
    /// The changes from the last version that parsed to the current one,
    /// one per version, in order: how its spans move into the current text.
    pub shifts: Vec<Shift>,
}

impl OpenDocument {
    /// A version, given the last that parsed before it and how the text
    /// moved since.
    fn new(
        uri: &Uri,
        version: i32,
        text: String,
        last_parsed: Option<Arc<Version>>,
        mut shifts: Vec<Shift>,
    ) -> Self {
        let current = Arc::new(Version::new(Document::analyze(uri.as_str(), text)));
        let last_parsed = if current.document.parses {
            shifts.clear();
            Some(Arc::clone(&current))
        } else {
            last_parsed
        };
        if last_parsed.is_none() {
            shifts.clear();
        }
        OpenDocument {
            version,
            current,
            last_parsed,
            shifts,
        }
    }

    /// The current text.
    pub fn text(&self) -> &str {
        &self.current.document.text
    }

    /// The line index of the current text, for converting positions.
    pub fn line_index(&self) -> LineIndex<'_> {
        LineIndex::new(&self.current.document.text)
    }

    /// The items to show for the current text (the outline, the folds):
    /// all of its own when it parses. When it does not, the parser kept
    /// only what it could parse, so the items of the last version that
    /// parsed which are missing now (no item of their kind and name parsed,
    /// and none parsed where they are) are shown too, moved to where they
    /// are in the text now through the changes since ([`Shift`]); and so
    /// are the missing states of a workflow ([`ItemView::states`]). Sorted
    /// by place.
    pub fn items(&self) -> Vec<ItemView<'_>> {
        let current = &self.current.document;
        let now = Origin {
            text: &current.text,
            shifts: &[],
        };
        let last = self
            .last_parsed
            .as_ref()
            .map(|last| &last.document)
            .filter(|_| !current.parses);
        let then = last.map(|last| Origin {
            text: &last.text,
            shifts: &self.shifts,
        });
        let earlier = |item: &Item| -> Option<(&Item, Origin<'_>)> {
            let found = last?.tree.items.iter().find(|old| same(old, item))?;
            Some((found, then?))
        };
        let mut items: Vec<ItemView<'_>> = current
            .tree
            .items
            .iter()
            .map(|item| ItemView {
                item,
                origin: now,
                earlier: earlier(item),
            })
            .collect();
        let (Some(last), Some(then)) = (last, then) else {
            return items;
        };
        let current = &current.tree.items;
        let moved: Vec<ItemView<'_>> = last
            .tree
            .items
            .iter()
            .filter(|old| !current.iter().any(|item| same(old, item)))
            .map(|item| ItemView {
                item,
                origin: then,
                earlier: None,
            })
            .filter(|view| {
                let span = view.span(view.item.span());
                !current.iter().any(|item| overlap(item.span(), span))
            })
            .collect();
        items.extend(moved);
        items.sort_by_key(|view| view.span(view.item.span()).start);
        items
    }
}

/// Whether two items are the same definition: the same kind and name.
fn same(a: &Item, b: &Item) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        && a.name().map(|n| &n.name) == b.name().map(|n| &n.name)
}

fn overlap(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// The text a node's spans are in, and how they move into the current
/// text, change by change (none for a node of the current text).
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub text: &'a str,
    pub shifts: &'a [Shift],
}

impl Origin<'_> {
    /// A span of the node, in the current text.
    pub fn span(&self, span: Span) -> Span {
        self.shifts
            .iter()
            .fold(span, |span, shift| shift.span(span))
    }
}

/// An item to show, from the current text or from the last version that
/// parsed.
#[derive(Debug, Clone, Copy)]
pub struct ItemView<'a> {
    pub item: &'a Item,
    pub origin: Origin<'a>,
    /// For an item of a current text that does not parse, the same item in
    /// the last version that parsed: for its parts that do not parse now.
    pub earlier: Option<(&'a Item, Origin<'a>)>,
}

impl<'a> ItemView<'a> {
    /// A span of the item, in the current text.
    pub fn span(&self, span: Span) -> Span {
        self.origin.span(span)
    }

    /// The states of a workflow, sorted by place: its own, and those of
    /// its earlier version that are missing now (no state of the name, and
    /// none where it is; the parser recovers at the next state, so a state
    /// that does not parse is left out of the tree).
    pub fn states(&self) -> Vec<(&'a State, Origin<'a>)> {
        let Item::Workflow(workflow) = self.item else {
            return Vec::new();
        };
        let mut states: Vec<(&'a State, Origin<'a>)> =
            workflow.states.iter().map(|s| (s, self.origin)).collect();
        if let Some((Item::Workflow(earlier), then)) = self.earlier {
            for state in &earlier.states {
                let span = then.span(state.span);
                let missing = !workflow
                    .states
                    .iter()
                    .any(|now| now.name.name == state.name.name || overlap(now.span, span));
                if missing {
                    states.push((state, then));
                }
            }
        }
        states.sort_by_key(|(state, origin)| origin.span(state.span).start);
        states
    }
}

/// Where the spans of a text are in the next version of it. The two
/// differ in one region (an editor sends a version per keystroke, paste or
/// replacement: one region each, mostly), between their common start and their common end: a span
/// before it stays where it was, one after it moves by the difference in
/// length, and an end inside it moves to the end of the region as it is
/// now (a start, to its start), so that a span never loses what was typed
/// inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shift {
    /// Where the region starts, in both texts.
    start: usize,
    /// Where it ends in the older text, and in the newer.
    old_end: usize,
    new_end: usize,
}

impl Shift {
    /// Where the region starts, where it ends in the older text and where
    /// in the newer.
    pub fn region(&self) -> (usize, usize, usize) {
        (self.start, self.old_end, self.new_end)
    }

    pub fn between(old: &str, new: &str) -> Shift {
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        while !(old.is_char_boundary(start) && new.is_char_boundary(start)) {
            start -= 1;
        }
        let most = a.len().min(b.len()) - start;
        let mut suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(most)
            .take_while(|(x, y)| x == y)
            .count();
        while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
            suffix -= 1;
        }
        Shift {
            start,
            old_end: a.len() - suffix,
            new_end: b.len() - suffix,
        }
    }

    pub fn span(self, span: Span) -> Span {
        let (start, end) = (span.start as usize, span.end as usize);
        let start = if start <= self.start {
            start
        } else if start >= self.old_end {
            start - self.old_end + self.new_end
        } else {
            self.start
        };
        let end = if end <= self.start {
            end
        } else if end >= self.old_end {
            end - self.old_end + self.new_end
        } else {
            self.new_end
        };
        Span::from_range(start, end.max(start))
    }
}

/// Every open document, by URI. A clone shares every document with the
/// original; a change replaces a document in one of them only.
#[derive(Debug, Default, Clone)]
pub struct Documents {
    open: HashMap<Uri, Arc<OpenDocument>>,
}

impl Documents {
    pub fn get(&self, uri: &Uri) -> Option<&OpenDocument> {
        self.open.get(uri).map(|open| &**open)
    }

    /// Opens (or opens again) a document and analyzes it.
    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> &OpenDocument {
        let document = OpenDocument::new(&uri, version, text, None, Vec::new());
        self.open
            .entry(uri)
            .insert_entry(Arc::new(document))
            .into_mut()
    }

    /// Applies a client's changes in order and analyzes the result; `None`
    /// when the document is not open. A change without a range is the whole
    /// new text; one with a range replaces that range (clamped to the text)
    /// of the text as the changes before it left it.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Option<&OpenDocument> {
        let document = self.open.get_mut(uri)?;
        let old = &document.current.document.text;
        let mut text = old.clone();
        for change in changes {
            match change.range {
                None => text = change.text,
                Some(range) => {
                    let bytes = convert::byte_range(&LineIndex::new(&text), range);
                    text.replace_range(bytes, &change.text);
                }
            }
        }
        let mut shifts = document.shifts.clone();
        if document.last_parsed.is_some() {
            shifts.push(Shift::between(old, &text));
        }
        let last_parsed = document.last_parsed.clone();
        // A snapshot a request is answered from keeps the old version.
        *document = Arc::new(OpenDocument::new(uri, version, text, last_parsed, shifts));
        Some(document)
    }

    /// Forgets a document; whether it was open.
    pub fn close(&mut self, uri: &Uri) -> bool {
        self.open.remove(uri).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_move_past_the_changed_region() {
        let old = "ab cd ef";
        let new = "ab cXYd ef";
        let shift = Shift::between(old, new);
        assert_eq!(shift.span(Span::new(0, 2)), Span::new(0, 2), "before");
        assert_eq!(shift.span(Span::new(6, 8)), Span::new(8, 10), "after");
        assert_eq!(shift.span(Span::new(3, 5)), Span::new(3, 7), "around");
        // A span ending inside the region ends where it ends now.
        let shift = Shift::between("abcdef", "abXYZf");
        assert_eq!(shift.span(Span::new(0, 4)), Span::new(0, 5));
        assert_eq!(shift.span(Span::new(3, 6)), Span::new(2, 6));
    }

    #[test]
    fn shifts_stay_on_character_boundaries() {
        // `é` and `è` share their first byte.
        let shift = Shift::between("aé", "aè");
        assert_eq!(
            shift,
            Shift {
                start: 1,
                old_end: 3,
                new_end: 3
            }
        );
        let shift = Shift::between("xé", "x😀é");
        assert_eq!(shift.span(Span::new(1, 3)), Span::new(1, 7));
        assert_eq!(
            Shift::between("", "abc").span(Span::new(0, 0)),
            Span::new(0, 0)
        );
        assert_eq!(
            Shift::between("same", "same").span(Span::new(1, 3)),
            Span::new(1, 3)
        );
    }
}
