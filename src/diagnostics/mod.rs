//! Diagnostics of every stage, and their rendering for people and machines.
//!
//! [`analyze`] runs the front end over one file and returns what it found;
//! [`human`] renders that with miette for a terminal, [`json`] as the stable
//! machine format of `flow check --format json`, and [`explain`] holds the
//! long explanation of every code.

pub mod explain;
mod fix;
pub mod human;
pub mod json;
mod line_index;
mod source;

pub use fix::{Edit, Fix};
pub use line_index::{LineCol, LineIndex, Utf16Position};

use std::fmt;
use std::num::NonZeroUsize;

use miette::Diagnostic as _;
use thiserror::Error;

use crate::check::{self, CheckError};
use crate::syntax::{self, SyntaxError};

/// A problem found by any stage of the front end.
#[derive(Debug, Clone, PartialEq, Error, miette::Diagnostic)]
pub enum Diagnostic {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Check(#[from] CheckError),
}

/// How serious a diagnostic is. An error fails `flow check`; a warning does
/// not, unless warnings are denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

impl Diagnostic {
    /// The stable code, such as `flow::check::unknown_state`.
    pub fn code_name(&self) -> String {
        self.code().map(|code| code.to_string()).unwrap_or_default()
    }

    /// The level of the diagnostic. miette treats a diagnostic without a
    /// severity as an error, and so do we; advice does not fail a check, so
    /// it counts as a warning.
    pub fn level(&self) -> Level {
        match self.severity() {
            None | Some(miette::Severity::Error) => Level::Error,
            Some(miette::Severity::Warning | miette::Severity::Advice) => Level::Warning,
        }
    }

    pub fn is_error(&self) -> bool {
        self.level() == Level::Error
    }

    /// The byte offset of the primary label, which orders diagnostics.
    pub fn offset(&self) -> usize {
        match self {
            Diagnostic::Syntax(e) => e.offset(),
            Diagnostic::Check(e) => e.offset(),
        }
    }
}

/// Runs the front end over one file: every syntax error, or, when the file
/// parses, every problem the checker finds, in source order.
///
/// The checker does not run on a file with syntax errors: names defined in
/// the items that failed to parse would be missing, and it would report
/// follow-on errors that only confuse.
pub fn analyze(source: &str) -> Vec<Diagnostic> {
    analyze_keeping_tree(source, NonZeroUsize::MIN).0
}

/// [`analyze`], handing back the syntax tree (of the items that parsed)
/// instead of freeing it, for a caller that has a better time to free it,
/// or none: freeing the tree of a large file is a few percent of checking
/// it, and a process about to exit need not do it (see `flow check`). The
/// parse may use up to `threads` threads ([`syntax::parse_on_threads`]).
pub fn analyze_keeping_tree(
    source: &str,
    threads: NonZeroUsize,
) -> (Vec<Diagnostic>, syntax::ast::File) {
    let parsed = syntax::parse_on_threads(source, threads);
    let mut diagnostics: Vec<Diagnostic> = if parsed.errors.is_empty() {
        check::check(&parsed.file)
            .into_iter()
            .map(Diagnostic::from)
            .collect()
    } else {
        parsed.errors.into_iter().map(Diagnostic::from).collect()
    };
    // A stable sort keeps the stage's own order among diagnostics that
    // start at the same place.
    diagnostics.sort_by_key(Diagnostic::offset);
    (diagnostics, parsed.file)
}

/// How many errors and warnings there are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let mut counts = Counts::default();
        for diagnostic in diagnostics {
            match diagnostic.level() {
                Level::Error => counts.errors += 1,
                Level::Warning => counts.warnings += 1,
            }
        }
        counts
    }

    pub fn is_empty(self) -> bool {
        self.errors == 0 && self.warnings == 0
    }
}

impl std::ops::Add for Counts {
    type Output = Counts;

    fn add(self, other: Counts) -> Counts {
        Counts {
            errors: self.errors + other.errors,
            warnings: self.warnings + other.warnings,
        }
    }
}

impl std::iter::Sum for Counts {
    fn sum<I: Iterator<Item = Counts>>(iter: I) -> Counts {
        iter.fold(Counts::default(), |a, b| a + b)
    }
}

/// "2 errors, 1 warning", leaving out a kind that has none ("1 warning"),
/// and "no problems" when there is nothing.
impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("1 {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        match (self.errors, self.warnings) {
            (0, 0) => f.write_str("no problems"),
            (e, 0) => f.write_str(&plural(e, "error")),
            (0, w) => f.write_str(&plural(w, "warning")),
            (e, w) => write!(f, "{}, {}", plural(e, "error"), plural(w, "warning")),
        }
    }
}

/// One file and what the front end found in it: the unit that both
/// renderers work on.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The name shown to the user: the path as given on the command line.
    pub name: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    /// Analyzes `source` and keeps the result with the file's name.
    pub fn analyze(name: impl Into<String>, source: impl Into<String>) -> Self {
        Self::analyze_keeping_tree(name, source, NonZeroUsize::MIN).0
    }

    /// [`FileReport::analyze`], handing back the syntax tree as
    /// [`analyze_keeping_tree`] does.
    pub fn analyze_keeping_tree(
        name: impl Into<String>,
        source: impl Into<String>,
        threads: NonZeroUsize,
    ) -> (Self, syntax::ast::File) {
        let source = source.into();
        let (diagnostics, tree) = analyze_keeping_tree(&source, threads);
        let report = FileReport {
            name: name.into(),
            source,
            diagnostics,
        };
        (report, tree)
    }

    pub fn counts(&self) -> Counts {
        Counts::of(&self.diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Span;

    fn warning() -> Diagnostic {
        Diagnostic::Check(CheckError::UnreachableState {
            name: "b".into(),
            start: "a".into(),
            span: Span::new(10, 11),
        })
    }

    fn error() -> Diagnostic {
        Diagnostic::Syntax(SyntaxError::UnterminatedString {
            span: Span::new(3, 5),
            triple: false,
        })
    }

    #[test]
    fn levels_and_codes_come_from_the_stage() {
        assert_eq!(warning().level(), Level::Warning);
        assert_eq!(error().level(), Level::Error);
        assert_eq!(warning().code_name(), "flow::check::unreachable_state");
        assert_eq!(error().code_name(), "flow::syntax::unterminated_string");
        assert_eq!(warning().offset(), 10);
    }

    #[test]
    fn counts_are_summed_and_spelt_out() {
        let counts = Counts::of(&[error(), warning(), error()]);
        assert_eq!(
            counts,
            Counts {
                errors: 2,
                warnings: 1
            }
        );
        assert_eq!(counts.to_string(), "2 errors, 1 warning");
        assert_eq!(Counts::of(&[warning()]).to_string(), "1 warning");
        assert_eq!(Counts::of(&[error()]).to_string(), "1 error");
        assert_eq!(Counts::default().to_string(), "no problems");
        let total: Counts = [counts, counts].into_iter().sum();
        assert_eq!(
            total,
            Counts {
                errors: 4,
                warnings: 2
            }
        );
    }
}
