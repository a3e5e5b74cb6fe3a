//! One document: the one way `flow check`, `flow fmt` and the language
//! server read, parse and check a `.flow` text.
//!
//! [`Reader`] reads a file or standard input (the CLI's side: the server
//! is handed its texts by the editor) and refuses, without reading it, a
//! file the parser would refuse for its size, with the same limit as the
//! parser ([`syntax::MAX_SOURCE_LEN`]). [`Document::analyze`] parses and
//! checks a text and keeps what the front end found with the syntax tree,
//! which the server answers its requests from. The module is the seam
//! between the pure stages and their users: it reads files, and prints
//! nothing.

use std::io::Read;
use std::num::NonZeroUsize;
use std::path::Path;

use crate::diagnostics::{self, Diagnostic, FileReport};
use crate::syntax::{self, Span, SyntaxError, ast};

/// The path that stands for standard input on the command line.
pub const STDIN: &str = "-";

/// The name standard input is shown under.
pub const STDIN_NAME: &str = "<stdin>";

/// What a [`Reader`] found at a path: the name to show it under, and its
/// text or only its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The path as given, or [`STDIN_NAME`].
    pub name: String,
    pub contents: Contents,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    Text(String),
    /// A file the parser would refuse for its size, which is not read at
    /// all: the parser would refuse it anyway, after gigabytes of reading.
    TooLarge(usize),
}

/// Reads `.flow` files, and standard input once however often `-` is
/// given.
#[derive(Debug, Default)]
pub struct Reader {
    stdin: Option<String>,
}

impl Reader {
    pub fn new() -> Self {
        Self::default()
    }

    /// The file at `path` (standard input for `-`), or a message that
    /// names it and says why it cannot be read.
    pub fn read(&mut self, path: &Path) -> Result<Source, String> {
        if path.as_os_str() == STDIN {
            let name = STDIN_NAME.to_string();
            if let Some(text) = &self.stdin {
                return Ok(Source {
                    name,
                    contents: Contents::Text(text.clone()),
                });
            }
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("could not read standard input: {e}"))?;
            let text = decode(&name, bytes)?;
            self.stdin = Some(text.clone());
            return Ok(Source {
                name,
                contents: Contents::Text(text),
            });
        }
        let name = path.display().to_string();
        let unreadable = |e: std::io::Error| format!("could not read `{name}`: {e}");
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        if metadata.is_file() && metadata.len() >= syntax::MAX_SOURCE_LEN as u64 {
            let size = usize::try_from(metadata.len()).unwrap_or(usize::MAX);
            return Ok(Source {
                name,
                contents: Contents::TooLarge(size),
            });
        }
        let bytes = std::fs::read(path).map_err(unreadable)?;
        let text = decode(&name, bytes)?;
        Ok(Source {
            name,
            contents: Contents::Text(text),
        })
    }
}

fn decode(name: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "could not read `{name}`: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// A text and what the front end found in it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The name shown to the user: a path, or an editor's URI.
    pub name: String,
    pub text: String,
    /// The syntax tree: of the whole text when it parses, else of the items
    /// that did parse (see [`syntax::Parsed`]).
    pub tree: ast::File,
    /// Every syntax error, or, when the text parses, every problem the
    /// checker finds, in source order ([`diagnostics::analyze`]).
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the text parsed without syntax errors, so that the checker
    /// ran on it.
    pub parses: bool,
}

impl Document {
    /// Parses and checks `text`.
    pub fn analyze(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self::analyze_on_threads(name, text, NonZeroUsize::MIN)
    }

    /// [`Document::analyze`], parsing on up to `threads` threads
    /// ([`syntax::parse_on_threads`]).
    pub fn analyze_on_threads(
        name: impl Into<String>,
        text: impl Into<String>,
        threads: NonZeroUsize,
    ) -> Self {
        let text = text.into();
        let (diagnostics, tree) = diagnostics::analyze_keeping_tree(&text, threads);
        let parses = !diagnostics
            .iter()
            .any(|d| matches!(d, Diagnostic::Syntax(_)));
        Document {
            name: name.into(),
            text,
            tree,
            diagnostics,
            parses,
        }
    }

    /// What a [`Reader`] read: analyzed, or, for a file too large to read,
    /// a document with no text and the one diagnostic that says so.
    pub fn from_source(source: Source, threads: NonZeroUsize) -> Self {
        match source.contents {
            Contents::Text(text) => Self::analyze_on_threads(source.name, text, threads),
            Contents::TooLarge(size) => Self::too_large(source.name, size),
        }
    }

    /// The document of a file too large for the parser, which was not
    /// read: no text, and [`SyntaxError::FileTooLarge`].
    pub fn too_large(name: impl Into<String>, size: usize) -> Self {
        Document {
            name: name.into(),
            text: String::new(),
            tree: ast::File {
                items: Vec::new(),
                comments: Vec::new(),
                span: Span::new(0, 0),
            },
            diagnostics: vec![Diagnostic::Syntax(SyntaxError::FileTooLarge { size })],
            parses: false,
        }
    }

    /// The report the renderers work on, and the syntax tree, for a caller
    /// that chooses when to free it (see `flow check`).
    pub fn into_report(self) -> (FileReport, ast::File) {
        let report = FileReport {
            name: self.name,
            source: self.text,
            diagnostics: self.diagnostics,
        };
        (report, self.tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_that_parses_is_checked() {
        let document = Document::analyze(
            "a.flow",
            "workflow w() -> string {\n  succeed done = 1\n}\n",
        );
        assert!(document.parses);
        assert_eq!(document.tree.items.len(), 1);
        assert!(
            document
                .diagnostics
                .iter()
                .all(|d| matches!(d, Diagnostic::Check(_)))
        );
    }

    #[test]
    fn a_document_with_a_syntax_error_keeps_what_parsed() {
        let document = Document::analyze("a.flow", "type T = string\nworker {\n");
        assert!(!document.parses);
        assert_eq!(document.tree.items.len(), 1);
        assert!(!document.diagnostics.is_empty());
    }

    #[test]
    fn a_file_too_large_has_one_diagnostic_and_no_text() {
        let document = Document::too_large("big.flow", 1 << 32);
        assert!(!document.parses && document.text.is_empty());
        assert_eq!(
            document.diagnostics,
            vec![Diagnostic::Syntax(SyntaxError::FileTooLarge {
                size: 1 << 32
            })]
        );
    }

    #[test]
    fn a_missing_file_is_named_in_the_message() {
        let error = Reader::new()
            .read(Path::new("/nonexistent/x.flow"))
            .expect_err("the file does not exist");
        assert!(
            error.starts_with("could not read `/nonexistent/x.flow`: "),
            "{error}"
        );
    }
}
