//! `textDocument/signatureHelp`: inside the parentheses of a call, the
//! callee's parameters (a worker's, a transformer's or a built-in
//! function's) and the one being written: the named argument under the
//! cursor, else the position among the arguments.

use lsp_types::{
    Documentation, MarkupContent, MarkupKind, ParameterInformation, ParameterLabel, SignatureHelp,
    SignatureHelpParams, SignatureInformation,
};

use super::completion::open_call;
use super::semantic::View;
use super::vocabulary;
use super::{Result, document};
use crate::check::DefKind;
use crate::lsp::server::State;

pub(super) fn handle(state: &State, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
    let at = params.text_document_position_params;
    let open = document(state, &at.text_document.uri)?;
    let text = open.text();
    let cursor = crate::lsp::convert::offset(&open.line_index(), at.position);
    let head = &text[..cursor.min(text.len())];
    let Some((callee, args)) = open_call(head) else {
        return Ok(None);
    };
    let pieces = top_level(args);
    let current = pieces.last().copied().unwrap_or("");
    let named = current
        .split_once(':')
        .map(|(name, _)| name.trim())
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));

    let view = View::of(open);
    let signature = view.as_ref().and_then(|v| {
        let a = &v.analysis;
        let (id, def) = a.item_named(callee)?;
        if !matches!(def.kind, DefKind::Worker | DefKind::Transformer) {
            return None;
        }
        let sig = a.signature(id)?;
        let (label, ranges) = sig.label_with_ranges();
        let parameters = sig
            .params
            .iter()
            .zip(&ranges)
            .map(|(p, &(start, end))| ParameterInformation {
                label: ParameterLabel::LabelOffsets([utf16(&label[..start]), utf16(&label[..end])]),
                documentation: p.docs.clone().map(markdown),
            })
            .collect::<Vec<_>>();
        let active = match named {
            Some(name) => sig.params.iter().position(|p| p.name == name),
            None => Some(pieces.len().saturating_sub(1)),
        };
        Some((
            SignatureInformation {
                label,
                documentation: def.docs.clone().map(markdown),
                parameters: Some(parameters),
                active_parameter: active.map(|a| a as u32),
            },
            active,
        ))
    });
    let signature = signature.or_else(|| {
        let (_, label, what) = vocabulary::BUILTINS.iter().find(|(n, _, _)| *n == callee)?;
        let open_at = label.find('(')?;
        let close_at = label.rfind(')')?;
        let mut parameters = Vec::new();
        let mut start = open_at + 1;
        for piece in label[open_at + 1..close_at].split(", ") {
            parameters.push(ParameterInformation {
                label: ParameterLabel::LabelOffsets([
                    utf16(&label[..start]),
                    utf16(&label[..start + piece.len()]),
                ]),
                documentation: None,
            });
            start += piece.len() + 2;
        }
        let active = Some(pieces.len().saturating_sub(1));
        Some((
            SignatureInformation {
                label: label.to_string(),
                documentation: Some(Documentation::String(what.to_string())),
                parameters: Some(parameters),
                active_parameter: active.map(|a| a as u32),
            },
            active,
        ))
    });
    Ok(signature.map(|(signature, active)| SignatureHelp {
        signatures: vec![signature],
        active_signature: Some(0),
        active_parameter: active.map(|a| a as u32),
    }))
}

fn markdown(text: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value: text,
    })
}

/// The length of a text in UTF-16 code units, as the protocol counts.
fn utf16(text: &str) -> u32 {
    text.encode_utf16().count() as u32
}

/// The arguments written so far, split at the commas outside brackets and
/// strings.
fn top_level(args: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut depth = 0i32;
    let mut in_string = false;
    let mut start = 0;
    let bytes = args.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b'"' if at == 0 || bytes[at - 1] != b'\\' => in_string = !in_string,
            _ if in_string => {}
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                pieces.push(&args[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    pieces.push(&args[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_at_top_level_commas() {
        assert_eq!(
            top_level("a: [1, 2], b: \"x,y\", "),
            ["a: [1, 2]", " b: \"x,y\"", " "]
        );
        assert_eq!(top_level(""), [""]);
    }
}
