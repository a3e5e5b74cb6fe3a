//! The directives of the semantic requests, for the fixtures of
//! `tests/lsp.rs`:
//!
//! ```text
//! ### hover L:C                textDocument/hover: the range and the markdown
//! ### definition L:C           textDocument/definition
//! ### references L:C           textDocument/references, with the declaration
//! ### references L:C uses      ... without it
//! ### prepare_rename L:C       textDocument/prepareRename
//! ### rename L:C NEW           textDocument/rename, the edits shown applied
//! ### completion L:C           textDocument/completion: label, kind, detail
//! ### signature_help L:C       textDocument/signatureHelp, the active parameter marked
//! ### semantic_tokens          textDocument/semanticTokens/full, decoded
//! ### inlay_hints              textDocument/inlayHint over the whole document
//! ```

use std::fmt::Write as _;

use lsp_types::request::{
    Completion, GotoDefinition, HoverRequest, InlayHintRequest, PrepareRenameRequest, References,
    Rename, SemanticTokensFullRequest, SignatureHelpRequest,
};
use lsp_types::{
    CompletionParams, CompletionResponse, GotoDefinitionParams, GotoDefinitionResponse,
    HoverContents, HoverParams, InlayHintLabel, InlayHintParams, ParameterLabel, Position,
    PrepareRenameResponse, Range, ReferenceContext, ReferenceParams, RenameParams,
    SemanticTokensParams, SemanticTokensResult, SignatureHelpParams, TextDocumentPositionParams,
};

use super::{Session, from_position, offset};

/// The token types of the server's legend, by index.
const TOKEN_TYPES: [&str; 8] = [
    "type",
    "worker",
    "function",
    "namespace",
    "parameter",
    "property",
    "state",
    "variable",
];

impl Session {
    fn at(&self, args: &str) -> TextDocumentPositionParams {
        let spec = args.split_whitespace().next().expect("a position `L:C`");
        TextDocumentPositionParams {
            text_document: self.document(),
            position: super::to_position(&self.text, spec),
        }
    }

    pub(super) fn hover(&mut self, args: &str) -> String {
        let params = HoverParams {
            text_document_position_params: self.at(args),
            work_done_progress_params: Default::default(),
        };
        match self.client.request::<HoverRequest>(params) {
            Ok(Some(hover)) => {
                let text = match hover.contents {
                    HoverContents::Markup(m) => m.value,
                    other => format!("{other:?}"),
                };
                let range = hover
                    .range
                    .map_or("no range".to_string(), |r| self.render_range(r));
                format!("{range}\n{text}\n")
            }
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn definition(&mut self, args: &str) -> String {
        let params = GotoDefinitionParams {
            text_document_position_params: self.at(args),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        };
        match self.client.request::<GotoDefinition>(params) {
            Ok(Some(GotoDefinitionResponse::Scalar(location))) => {
                assert_eq!(location.uri, self.uri);
                format!("{}\n", self.render_range(location.range))
            }
            Ok(Some(other)) => format!("{other:?}\n"),
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn references(&mut self, args: &str) -> String {
        let params = ReferenceParams {
            text_document_position: self.at(args),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
            context: ReferenceContext {
                include_declaration: !args.contains("uses"),
            },
        };
        match self.client.request::<References>(params) {
            Ok(Some(locations)) if locations.is_empty() => "none\n".into(),
            Ok(Some(locations)) => {
                let mut out = String::new();
                for l in locations {
                    assert_eq!(l.uri, self.uri);
                    let _ = writeln!(out, "{}", self.render_range(l.range));
                }
                out
            }
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn prepare_rename(&mut self, args: &str) -> String {
        match self.client.request::<PrepareRenameRequest>(self.at(args)) {
            Ok(Some(PrepareRenameResponse::RangeWithPlaceholder { range, placeholder })) => {
                format!("{} placeholder `{placeholder}`\n", self.render_range(range))
            }
            Ok(Some(other)) => format!("{other:?}\n"),
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn rename(&mut self, args: &str) -> String {
        let new_name = args.split_whitespace().nth(1).unwrap_or("").to_string();
        let params = RenameParams {
            text_document_position: self.at(args),
            new_name,
            work_done_progress_params: Default::default(),
        };
        match self.client.request::<Rename>(params) {
            Ok(Some(edit)) if edit.changes.as_ref().is_none_or(|c| c.is_empty()) => {
                "no edits\n".into()
            }
            Ok(Some(edit)) => self.render_workspace_edit(&edit),
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn completion(&mut self, args: &str) -> String {
        let params = CompletionParams {
            text_document_position: self.at(args),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
            context: None,
        };
        match self.client.request::<Completion>(params) {
            Ok(Some(CompletionResponse::Array(items))) if items.is_empty() => "none\n".into(),
            Ok(Some(CompletionResponse::Array(items))) => {
                let mut out = String::new();
                for item in items {
                    let kind = item.kind.map_or("-".to_string(), |k| format!("{k:?}"));
                    let _ = write!(out, "{} [{kind}]", item.label);
                    if let Some(detail) = &item.detail {
                        let _ = write!(out, " {detail}");
                    }
                    if let Some(insert) = &item.insert_text {
                        if insert != &item.label {
                            let _ = write!(out, " => {}", insert.replace('\n', "⏎"));
                        }
                    }
                    out.push('\n');
                }
                out
            }
            Ok(Some(other)) => format!("{other:?}\n"),
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn signature_help(&mut self, args: &str) -> String {
        let params = SignatureHelpParams {
            text_document_position_params: self.at(args),
            work_done_progress_params: Default::default(),
            context: None,
        };
        match self.client.request::<SignatureHelpRequest>(params) {
            Ok(Some(help)) => {
                let mut out = String::new();
                for sig in &help.signatures {
                    let _ = writeln!(out, "{}", sig.label);
                    for (at, p) in sig.parameters.iter().flatten().enumerate() {
                        let label = match &p.label {
                            ParameterLabel::Simple(s) => s.clone(),
                            ParameterLabel::LabelOffsets([start, end]) => {
                                let units: Vec<u16> = sig.label.encode_utf16().collect();
                                String::from_utf16_lossy(&units[*start as usize..*end as usize])
                            }
                        };
                        let active = help.active_parameter == Some(at as u32);
                        let _ = writeln!(out, "  {}{label}", if active { "> " } else { "  " });
                    }
                }
                out
            }
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn semantic_tokens(&mut self) -> String {
        let params = SemanticTokensParams {
            text_document: self.document(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        };
        match self.client.request::<SemanticTokensFullRequest>(params) {
            Ok(Some(SemanticTokensResult::Tokens(tokens))) => {
                let mut out = String::new();
                let (mut line, mut start) = (0, 0);
                for t in tokens.data {
                    if t.delta_line > 0 {
                        line += t.delta_line;
                        start = 0;
                    }
                    start += t.delta_start;
                    let range = Range {
                        start: Position::new(line, start),
                        end: Position::new(line, start + t.length),
                    };
                    let kind = TOKEN_TYPES
                        .get(t.token_type as usize)
                        .copied()
                        .unwrap_or("?");
                    let declaration = if t.token_modifiers_bitset & 1 == 1 {
                        " declaration"
                    } else {
                        ""
                    };
                    let _ = writeln!(out, "{} {kind}{declaration}", self.render_range(range));
                }
                if out.is_empty() {
                    out.push_str("none\n");
                }
                out
            }
            Ok(Some(other)) => format!("{other:?}\n"),
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }

    pub(super) fn inlay_hints(&mut self) -> String {
        let end = super::lines(&self.text).len() as u32;
        let params = InlayHintParams {
            text_document: self.document(),
            range: Range {
                start: Position::new(0, 0),
                end: Position::new(end, 0),
            },
            work_done_progress_params: Default::default(),
        };
        match self.client.request::<InlayHintRequest>(params) {
            Ok(Some(hints)) if hints.is_empty() => "none\n".into(),
            Ok(Some(hints)) => {
                let mut out = String::new();
                for hint in hints {
                    let label = match hint.label {
                        InlayHintLabel::String(s) => s,
                        InlayHintLabel::LabelParts(parts) => {
                            parts.into_iter().map(|p| p.value).collect()
                        }
                    };
                    // The line up to the hint, then the hint.
                    let at = offset(&self.text, hint.position);
                    let line_start = self.text[..at].rfind('\n').map_or(0, |p| p + 1);
                    let _ = writeln!(
                        out,
                        "{} {}⟨{label}⟩",
                        from_position(&self.text, hint.position),
                        self.text[line_start..at].trim_start()
                    );
                }
                out
            }
            Ok(None) => "null\n".into(),
            Err(e) => format!("{e}\n"),
        }
    }
}

/// The semantic requests are announced, and the legend of the semantic
/// tokens is the one the fixtures decode with.
#[test]
fn the_semantic_capabilities_are_announced() {
    let mut client = super::Client::start();
    let result = client
        .request_raw(
            <lsp_types::request::Initialize as lsp_types::request::Request>::METHOD,
            serde_json::json!({"capabilities": {}}),
        )
        .expect("initialize");
    let c = &result["capabilities"];
    assert_eq!(c["hoverProvider"], true);
    assert_eq!(c["definitionProvider"], true);
    assert_eq!(c["referencesProvider"], true);
    assert_eq!(c["renameProvider"]["prepareProvider"], true);
    assert_eq!(c["inlayHintProvider"], true);
    assert_eq!(
        c["completionProvider"]["triggerCharacters"],
        serde_json::json!([".", ">", "=", ":", "(", ","])
    );
    assert_eq!(
        c["signatureHelpProvider"]["triggerCharacters"],
        serde_json::json!(["(", ","])
    );
    let tokens = &c["semanticTokensProvider"];
    assert_eq!(tokens["full"], true);
    assert_eq!(
        tokens["legend"]["tokenTypes"],
        serde_json::json!(TOKEN_TYPES)
    );
    assert_eq!(
        tokens["legend"]["tokenModifiers"],
        serde_json::json!(["declaration"])
    );
    client.finish();
}
