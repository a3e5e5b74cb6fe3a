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
        let mut rendered = String::new();
        for diagnostic in &file.diagnostics {
            let report = WithSource {
                diagnostic,
                source: &source,
            };
            // Writing into a String cannot fail, and miette's renderer only
            // fails when the writer does.
            rendered.clear();
            let _ = self.handler.render_report(&mut rendered, &report);
            match report.primary_header(&file.name) {
                Some(header) => out.push_str(&primary_snippet_first(&rendered, &header)),
                None => out.push_str(&rendered),
            }
            self.push_fixes(&mut out, diagnostic);
            out.push('\n');
        }
        out
    }

    /// A `fix:` line under the report for each fix that its help does not
    /// already spell out: a "did you mean `x`?" or a "write `a && b`" is the
    /// fix itself, said once.
    fn push_fixes(&self, out: &mut String, diagnostic: &Diagnostic) {
        let help = diagnostic.help().map(|help| help.to_string());
        for fix in diagnostic.fixes() {
            if help.as_deref().is_some_and(|help| fix.is_told_by(help)) {
                continue;
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("  {}: {}\n", self.paint("fix", CYAN), fix.message));
        }
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

    /// A warning line that is not about a span of source: `warning: ...`.
    pub fn render_warning(&self, message: impl fmt::Display) -> String {
        format!("{}: {message}\n", self.paint("warning", YELLOW))
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
const CYAN: &str = "36";

/// A diagnostic together with the file it is about, so that miette can show
/// the snippet and the `file:line:column` header.
struct WithSource<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a IndexedSource<'a>,
}

impl WithSource<'_> {
    /// The `file:line:column` miette writes in the header of the snippet
    /// that holds the primary label, read through the same source, so that
    /// it is the same text. `None` when the diagnostic has no label.
    fn primary_header(&self, name: &str) -> Option<String> {
        let primary = self.labels()?.find(LabeledSpan::primary)?;
        let contents = self.source.read_span(primary.inner(), 0, 0).ok()?;
        Some(format!(
            "{name}:{}:{}",
            contents.line() + 1,
            contents.column() + 1
        ))
    }
}

/// miette shows the labels in snippets in the order of the file, each
/// snippet under a `[file:line:column]` header, so when a secondary label
/// (say, "`language` is declared here") is far enough before the primary one
/// to be in a snippet of its own, the first position a reader (or an editor
/// jumping to the first `file:line:column` of the output) sees is not the
/// mistake's. This moves the primary label's snippet before the others;
/// each keeps its own header, the others stay in the order of the file.
///
/// A snippet is the lines from one that opens with `╭─[` to the next that
/// closes with `╰─`; miette writes the snippets of a report one after the
/// other, with nothing in between, and no line of its own begins with
/// either (source lines begin with their number, labels with `·`).
fn primary_snippet_first(rendered: &str, header: &str) -> String {
    let lines: Vec<&str> = rendered.split_inclusive('\n').collect();
    let opens = |line: &str| line.trim_start().starts_with("╭─[");
    let closes = |line: &str| line.trim_start().starts_with("╰─");
    let Some(first) = lines.iter().position(|line| opens(line)) else {
        return rendered.to_string();
    };
    // The consecutive snippets, as ranges of lines.
    let mut snippets = Vec::new();
    let mut at = first;
    while at < lines.len() && opens(lines[at]) {
        let Some(length) = lines[at..].iter().position(|line| closes(line)) else {
            break;
        };
        snippets.push(at..at + length + 1);
        at += length + 1;
    }
    // The header's text is coloured as a whole when colour is on, so the
    // position is followed by `]` or by the escape that ends the colour.
    let is_primary = |line: &str| {
        line.match_indices(header)
            .any(|(i, _)| matches!(line[i + header.len()..].chars().next(), Some(']' | '\x1b')))
    };
    let Some(primary) = snippets.iter().position(|s| is_primary(lines[s.start])) else {
        return rendered.to_string();
    };
    if primary == 0 {
        return rendered.to_string();
    }
    let mut order = vec![snippets[primary].clone()];
    order.extend(
        snippets
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != primary)
            .map(|(_, s)| s.clone()),
    );
    let mut out = String::with_capacity(rendered.len());
    lines[..first].iter().for_each(|line| out.push_str(line));
    for snippet in order {
        lines[snippet].iter().for_each(|line| out.push_str(line));
    }
    lines[at..].iter().for_each(|line| out.push_str(line));
    out
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

    /// When the first definition is far enough before the second to be in
    /// a snippet of its own, the primary label's snippet still comes first,
    /// so the first `file:line:column` of the output is the mistake's; the
    /// other snippet follows, with its own header. With colour too.
    #[test]
    fn the_primary_labels_snippet_comes_first() {
        let source = format!("succeed done = 1\n{}succeed done = 2\n", "\n".repeat(10));
        let second = source.rfind("done").unwrap();
        let file = FileReport {
            name: "a.flow".into(),
            source,
            diagnostics: vec![Diagnostic::Check(CheckError::DuplicateState {
                name: "done".into(),
                span: Span::from_range(second, second + 4),
                first: Span::new(8, 12),
            })],
        };
        for color in [false, true] {
            let out = HumanRenderer::new(Style { color, width: 100 }).render_diagnostics(&file);
            let primary = out.find("a.flow:12:9").unwrap_or(usize::MAX);
            let secondary = out.find("a.flow:1:9").unwrap_or(usize::MAX);
            assert!(primary < secondary && secondary < usize::MAX, "{out}");
        }
        // The snippets are whole: each header is followed by its own line,
        // and closed before the next one opens.
        let out = HumanRenderer::new(Style {
            color: false,
            width: 100,
        })
        .render_diagnostics(&file);
        let snippets: Vec<&str> = out.split("╭─[").skip(1).collect();
        assert_eq!(snippets.len(), 2, "{out}");
        assert!(snippets[0].contains("12 │ succeed done = 2"), "{out}");
        assert!(snippets[0].trim_end().ends_with("╰────"), "{out}");
        assert!(snippets[1].contains(" 1 │ succeed done = 1"), "{out}");
        assert!(snippets[1].contains("╰────"), "{out}");
    }

    /// Snippets in the order of the file are left alone when the primary
    /// label's is already first.
    #[test]
    fn snippets_already_in_order_are_unchanged() {
        let rendered =
            "x\n  ╭─[a.flow:1:1]\n 1 │ a\n  ╰────\n  ╭─[a.flow:9:1]\n 9 │ b\n  ╰────\nhelp\n";
        assert_eq!(primary_snippet_first(rendered, "a.flow:1:1"), rendered);
        assert_eq!(
            primary_snippet_first(rendered, "a.flow:9:1"),
            "x\n  ╭─[a.flow:9:1]\n 9 │ b\n  ╰────\n  ╭─[a.flow:1:1]\n 1 │ a\n  ╰────\nhelp\n"
        );
        // A position that is only a prefix of a header's is not that header.
        assert_eq!(primary_snippet_first(rendered, "a.flow:9:"), rendered);
        assert_eq!(primary_snippet_first(rendered, "a.flow:1"), rendered);
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
