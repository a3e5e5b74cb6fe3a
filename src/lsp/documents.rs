//! The documents the client has open: their text, version and analysis.
//!
//! The client sends the whole text on every change (whole-document sync);
//! each version is analyzed in full ([`Document::analyze`], the driver
//! `flow check` uses) and replaces the last. The last version that parsed
//! is kept beside it, for what a text with a syntax error cannot answer.

use std::collections::HashMap;
use std::sync::Arc;

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use super::convert;
use crate::diagnostics::LineIndex;
use crate::document::Document;

/// One open document.
#[derive(Debug, Clone)]
pub struct OpenDocument {
    /// The version the client gave the text.
    pub version: i32,
    /// The analysis of the current text.
    pub current: Arc<Document>,
    /// The analysis of the last version that parsed without syntax errors
    /// (the current one if it does); `None` when none has yet.
    pub last_parsed: Option<Arc<Document>>,
}

impl OpenDocument {
    fn new(uri: &Uri, version: i32, text: String, last_parsed: Option<Arc<Document>>) -> Self {
        let current = Arc::new(Document::analyze(uri.as_str(), text));
        let last_parsed = if current.parses {
            Some(Arc::clone(&current))
        } else {
            last_parsed
        };
        OpenDocument {
            version,
            current,
            last_parsed,
        }
    }

    /// The current text.
    pub fn text(&self) -> &str {
        &self.current.text
    }

    /// The line index of the current text, for converting positions.
    pub fn line_index(&self) -> LineIndex<'_> {
        LineIndex::new(&self.current.text)
    }
}

/// Every open document, by URI.
#[derive(Debug, Default)]
pub struct Documents {
    open: HashMap<Uri, OpenDocument>,
}

impl Documents {
    pub fn get(&self, uri: &Uri) -> Option<&OpenDocument> {
        self.open.get(uri)
    }

    /// Opens (or opens again) a document and analyzes it.
    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> &OpenDocument {
        let document = OpenDocument::new(&uri, version, text, None);
        self.open.entry(uri).insert_entry(document).into_mut()
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
        let mut text = document.current.text.clone();
        for change in changes {
            match change.range {
                None => text = change.text,
                Some(range) => {
                    let bytes = convert::byte_range(&LineIndex::new(&text), range);
                    text.replace_range(bytes, &change.text);
                }
            }
        }
        let last_parsed = document.last_parsed.clone();
        *document = OpenDocument::new(uri, version, text, last_parsed);
        Some(document)
    }

    /// Forgets a document; whether it was open.
    pub fn close(&mut self, uri: &Uri) -> bool {
        self.open.remove(uri).is_some()
    }
}
