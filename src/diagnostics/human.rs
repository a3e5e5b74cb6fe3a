//! Diagnostics for people: miette's graphical reports, with the file's name
//! and position in each header, and a summary line per file.

use std::fmt;

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, Severity,
    SourceCode,
};

use super::source::IndexedSource;
use super::{Diagnostic, FileReport};

/// How human output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours, for a terminal.
    pub color: bool,
    /// The width to wrap messages and help at.
    pub width: usize,
}

/// Renders diagnostics as miette reports.
pub struct HumanRenderer {
    handler: GraphicalReportHandler,
    style: Style,
}

impl HumanRenderer {
    pub fn new(style: Style) -> Self {
        let theme = if style.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(style.width)
            .with_links(false);
        HumanRenderer { handler, style }
    }

    /// Every diagnostic of one file, each followed by a blank line.
    pub fn render_diagnostics(&self, file: &FileReport) -> String {
        let mut out = String::new();
        if file.diagnostics.is_empty() {
            return out;
        }
        // Indexed once per file, for every diagnostic of it.
        let source = IndexedSource::new(&file.name, &file.source);
        for diagnostic in &file.diagnostics {
            let report = WithSource {
                diagnostic,
                source: &source,
            };
            // Writing into a String cannot fail, and miette's renderer only
            // fails when the writer does.
            let _ = self.handler.render_report(&mut out, &report);
            out.push('\n');
        }
        out
    }

    /// The closing line for one file, like cargo's: nothing for a clean
    /// file, a warning line when there are only warnings, and an error line
    /// when the file fails the check (it has errors, or warnings are denied).
    pub fn render_summary(&self, file: &FileReport, deny_warnings: bool) -> String {
        let counts = file.counts();
        if counts.is_empty() {
            return String::new();
        }
        if counts.errors > 0 || deny_warnings {
            let denied = if counts.errors == 0 {
                " (warnings are denied)"
            } else {
                ""
            };
            format!(
                "{}: could not check `{}`: {counts}{denied}\n",
                self.paint("error", RED),
                file.name
            )
        } else {
            format!(
                "{}: `{}`: {counts}\n",
                self.paint("warning", YELLOW),
                file.name
            )
        }
    }

    /// A diagnostics and summary for one file, ready to print.
    pub fn render_file(&self, file: &FileReport, deny_warnings: bool) -> String {
        let mut out = self.render_diagnostics(file);
        out.push_str(&self.render_summary(file, deny_warnings));
        out
    }

    /// An error line that is not about a span of source, such as a file that
    /// cannot be read: `error: could not read ...`.
    pub fn render_error(&self, message: impl fmt::Display) -> String {
        format!("{}: {message}\n", self.paint("error", RED))
    }

    fn paint(&self, word: &str, colour: &str) -> String {
        if self.style.color {
            format!("\x1b[1;{colour}m{word}\x1b[0m")
        } else {
            word.to_string()
        }
    }
}

const RED: &str = "31";
const YELLOW: &str = "33";

/// A diagnostic together with the file it is about, so that miette can show
/// the snippet and the `file:line:column` header.
struct WithSource<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a IndexedSource<'a>,
}

impl fmt::Debug for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for WithSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.diagnostic, f)
    }
}

impl std::error::Error for WithSource<'_> {}

impl MietteDiagnostic for WithSource<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.code()
    }

    fn severity(&self) -> Option<Severity> {
        self.diagnostic.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.help()
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    /// The labels, with the primary one marked: miette's header shows the
    /// position of the primary label, or else of the label that comes first
    /// in the file, which for "defined again here" is the wrong one. Our
    /// enums declare the primary label first, as the JSON output assumes.
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let mut labels: Vec<LabeledSpan> = self.diagnostic.labels()?.collect();
        if !labels.iter().any(LabeledSpan::primary) {
            if let Some(first) = labels.first_mut() {
                *first = LabeledSpan::new_primary_with_span(
                    first.label().map(str::to_string),
                    *first.inner(),
                );
            }
        }
        Some(Box::new(labels.into_iter()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn MietteDiagnostic> + 'b>> {
        self.diagnostic.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn MietteDiagnostic> {
        self.diagnostic.diagnostic_source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckError;
    use crate::syntax::Span;

    fn report() -> FileReport {
        let source = "workflow w() -> string {\n  step a = Echo() { on_success -> finsh }\n  succeed finish = \"ok\"\n}\n";
        let start = source.find("finsh").unwrap();
        FileReport {
            name: "site.flow".into(),
            source: source.into(),
            diagnostics: vec![Diagnostic::Check(CheckError::UnknownState {
                name: "finsh".into(),
                workflow: "w".into(),
                span: Span::from_range(start, start + 5),
                suggestion: None,
                help: "did you mean `finish`?".into(),
            })],
        }
    }

    #[test]
    fn renders_code_position_label_and_help() {
        let renderer = HumanRenderer::new(Style {
            color: false,
            width: 100,
        });
        let out = renderer.render_file(&report(), false);
        assert!(out.contains("flow::check::unknown_state"), "{out}");
        assert!(out.contains("× unknown state `finsh`"), "{out}");
        assert!(out.contains("[site.flow:2:35]"), "{out}");
        assert!(out.contains("no state `finsh` in workflow `w`"), "{out}");
        assert!(out.contains("help: did you mean `finish`?"), "{out}");
        assert!(
            out.ends_with("error: could not check `site.flow`: 1 error\n"),
            "{out}"
        );
        assert!(!out.contains('\x1b'), "no colour was asked for: {out}");
    }

    /// 2 000 diagnostics spread over a 10 MB file. miette's own source
    /// would scan up to each of them, some 10 GB in all; the indexed source
    /// reads a few lines per diagnostic.
    #[test]
    fn many_diagnostics_in_a_large_file_render_quickly() {
        let line = "  step a = Echo() { on_success -> finsh }\n";
        let source = line.repeat(10 * 1024 * 1024 / line.len());
        let lines = source.len() / line.len();
        let column = line.find("finsh").unwrap();
        let diagnostics = (0..2000)
            .map(|k| {
                let start = k * (lines / 2000) * line.len() + column;
                Diagnostic::Check(CheckError::UnknownState {
                    name: "finsh".into(),
                    workflow: "w".into(),
                    span: Span::from_range(start, start + 5),
                    suggestion: None,
                    help: "did you mean `finish`?".into(),
                })
            })
            .collect();
        let file = FileReport {
            name: "big.flow".into(),
            source,
            diagnostics,
        };
        let out = HumanRenderer::new(Style {
            color: false,
            width: 100,
        })
        .render_diagnostics(&file);
        assert_eq!(out.matches("× unknown state `finsh`").count(), 2000);
        let last_line = (1999 * (lines / 2000)) + 1;
        assert!(
            out.contains(&format!("[big.flow:{last_line}:35]")),
            "{last_line}"
        );
    }

    /// The header points at the primary label (declared first), not at the
    /// label that comes first in the file.
    #[test]
    fn header_shows_the_primary_label() {
        let source = "succeed done = 1\nsucceed done = 2\n";
        let file = FileReport {
            name: "a.flow".into(),
            source: source.into(),
            diagnostics: vec![Diagnostic::Check(CheckError::DuplicateState {
                name: "done".into(),
                span: Span::new(25, 29),
                first: Span::new(8, 12),
            })],
        };
        let out = HumanRenderer::new(Style {
            color: false,
            width: 100,
        })
        .render_diagnostics(&file);
        assert!(out.contains("[a.flow:2:9]"), "{out}");
    }

    #[test]
    fn colour_is_used_only_when_asked_for() {
        let renderer = HumanRenderer::new(Style {
            color: true,
            width: 100,
        });
        assert!(renderer.render_file(&report(), false).contains('\x1b'));
    }

    #[test]
    fn summary_reflects_denied_warnings() {
        let renderer = HumanRenderer::new(Style {
            color: false,
            width: 100,
        });
        let mut file = report();
        file.diagnostics = vec![Diagnostic::Check(CheckError::UnreachableState {
            name: "b".into(),
            start: "a".into(),
            span: Span::new(0, 8),
        })];
        assert_eq!(
            renderer.render_summary(&file, false),
            "warning: `site.flow`: 1 warning\n"
        );
        assert_eq!(
            renderer.render_summary(&file, true),
            "error: could not check `site.flow`: 1 warning (warnings are denied)\n"
        );
        file.diagnostics.clear();
        assert_eq!(renderer.render_summary(&file, true), "");
    }
}
