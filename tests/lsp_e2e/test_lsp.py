"""`flow lsp` end to end, as VS Code and Neovim drive it (see conftest.py):
the capabilities it announces, diagnostics on open and on change, formatting
that equals `flow fmt`, document symbols, folding and the quick fix
(hover, definition, references and rename: test_navigation.py)."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from support import Document, apply_edits, flow_fmt, symbol_names, within, workspace_edits

FORMATTING_OPTIONS = types.FormattingOptions(tab_size=2, insert_spaces=True)


async def test_initialize_announces_the_features(client: LanguageClient):
    result = client.initialize_result
    capabilities = result.capabilities
    assert result.server_info is not None and result.server_info.name == "flow", result.server_info
    sync = capabilities.text_document_sync
    kind = sync.change if isinstance(sync, types.TextDocumentSyncOptions) else sync
    assert kind in (types.TextDocumentSyncKind.Full, types.TextDocumentSyncKind.Incremental), sync
    if isinstance(sync, types.TextDocumentSyncOptions):
        assert sync.open_close, "the server must hear of opened and closed documents"
    for name in (
        "document_formatting_provider",
        "document_symbol_provider",
        "folding_range_provider",
        "code_action_provider",
    ):
        assert getattr(capabilities, name), f"{name} is not announced: {capabilities}"


async def test_a_correct_document_has_no_diagnostics(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    assert list(await document.diagnostics()) == []


async def test_an_unknown_state_is_diagnosed_on_open_and_cleared_on_change(client: LanguageClient):
    document = Document(client, "unknown_state.flow").open()
    diagnostics = await document.diagnostics()
    assert len(diagnostics) == 1, diagnostics
    [diagnostic] = diagnostics
    assert diagnostic.code == "flow::check::unknown_state", diagnostic
    assert diagnostic.severity == types.DiagnosticSeverity.Error, diagnostic
    assert "unknown state `dnoe`" in diagnostic.message, diagnostic.message
    assert diagnostic.range == document.range("on_success -> dnoe", "dnoe"), diagnostic.range

    # The fix, typed in: the diagnostic goes.
    document.change(document.text.replace("-> dnoe", "-> done"))
    assert list(await document.diagnostics()) == []

    # And a new mistake, typed in, is diagnosed where it is.
    document.change(document.text.replace("-> again", "-> agian"))
    [diagnostic] = await document.diagnostics()
    assert diagnostic.code == "flow::check::unknown_state", diagnostic
    assert diagnostic.range == document.range("on_success -> agian", "agian"), diagnostic.range


async def test_positions_count_utf16_code_units(client: LanguageClient):
    # The server announces UTF-16 (or nothing, which means UTF-16), even to
    # Neovim, which offers UTF-8 first; and it counts in it.
    encoding = client.initialize_result.capabilities.position_encoding
    assert encoding in (None, types.PositionEncodingKind.Utf16), encoding
    document = Document(client, "utf16.flow").open()
    [diagnostic] = await document.diagnostics()
    assert diagnostic.code == "flow::check::unknown_field", diagnostic
    expected = document.range("again.greetng", "greetng")
    assert expected.start.character == len('  succeed done = "👋 ${again.') + 1, "the emoji counts two"
    assert diagnostic.range == expected, diagnostic.range


async def test_formatting_is_flow_fmt(client: LanguageClient):
    document = Document(client, "unformatted.flow").open()
    edits = await within(
        client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=document.identifier, options=FORMATTING_OPTIONS)
        ),
        "textDocument/formatting",
    )
    expected = flow_fmt(document.text)
    assert expected != document.text, "the fixture must need formatting"
    assert edits, "no edits for a document that needs formatting"
    assert apply_edits(document.text, edits) == expected

    # A formatted document stays as it is.
    document.change(expected)
    again = await within(
        client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=document.identifier, options=FORMATTING_OPTIONS)
        ),
        "textDocument/formatting",
    )
    assert apply_edits(expected, again or []) == expected


async def test_document_symbols_are_the_outline(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    symbols = await within(
        client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=document.identifier)
        ),
        "textDocument/documentSymbol",
    )
    assert symbols, "no symbols"
    assert {"Echo", "hello", "greet", "again", "done"} <= symbol_names(symbols), symbols
    if isinstance(symbols[0], types.DocumentSymbol):
        # Hierarchical (both profiles can take it): the states are the
        # workflow's children, and each symbol's name is inside its range.
        [workflow] = [s for s in symbols if s.name == "hello"]
        assert {c.name for c in workflow.children or []} >= {"greet", "again", "done"}, workflow
        # The range starts at the doc comment or at the item, and ends at
        # its closing brace.
        assert workflow.range.start.line in (
            document.line_of("/// Greets someone"),
            document.line_of("workflow hello"),
        ), workflow.range
        assert workflow.range.end.line == len(document.text.rstrip("\n").split("\n")) - 1, workflow.range
        assert workflow.selection_range == document.range("workflow hello", "hello"), workflow.selection_range
        [state] = [c for c in workflow.children if c.name == "again"]
        assert state.selection_range == document.range("step again", "again"), state.selection_range
    else:
        for symbol in symbols:
            assert symbol.location.uri == document.uri, symbol


async def test_folding_ranges_cover_items_and_states(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    ranges = await within(
        client.text_document_folding_range_async(types.FoldingRangeParams(text_document=document.identifier)),
        "textDocument/foldingRange",
    )
    starts = {r.start_line for r in ranges or []}
    for needle in ("worker Echo", "workflow hello", "step greet", "step again"):
        assert document.line_of(needle) in starts, f"no fold starting at `{needle}`: {ranges}"
    [workflow] = [r for r in ranges if r.start_line == document.line_of("workflow hello")]
    assert workflow.end_line >= document.line_of("succeed done"), workflow


async def test_closing_a_document_clears_its_diagnostics(client: LanguageClient):
    document = Document(client, "unknown_state.flow").open()
    assert len(await document.diagnostics()) == 1
    client.diagnostics.pop(document.uri)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=document.identifier))
    assert list(await document.diagnostics()) == []


async def test_the_notifications_editors_send_leave_the_server_serving(client: LanguageClient):
    # VS Code sends `$/setTrace` when flow.trace.server changes, and both
    # clients send saves, configuration changes and cancellations; the server
    # need not act on them, but it must go on answering.
    document = Document(client, "unformatted.flow").open()
    client.set_trace(types.SetTraceParams(value=types.TraceValue.Verbose))
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=document.identifier))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"flow": {}}))
    client.cancel_request(types.CancelParams(id=12345))
    edits = await within(
        client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=document.identifier, options=FORMATTING_OPTIONS)
        ),
        "textDocument/formatting after the notifications",
    )
    assert apply_edits(document.text, edits) == flow_fmt(document.text)


async def test_a_request_about_a_document_not_open_is_refused_in_words(client: LanguageClient):
    uri = "file:///nowhere/never_opened.flow"
    try:
        await within(
            client.text_document_document_symbol_async(
                types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
            ),
            "textDocument/documentSymbol for a document not open",
        )
    except Exception as error:  # pygls raises the JSON-RPC error as an exception
        assert "not open" in str(error), error
    else:
        raise AssertionError("the server answered a request about a document it has not seen")
    # And it still serves.
    document = Document(client, "greet.flow").open()
    assert list(await document.diagnostics()) == []


async def test_the_quick_fix_of_an_unknown_state_names_the_state_meant(client: LanguageClient):
    document = Document(client, "unknown_state.flow").open()
    [diagnostic] = await document.diagnostics()
    actions = await within(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=document.identifier,
                range=diagnostic.range,
                context=types.CodeActionContext(diagnostics=[diagnostic], only=[types.CodeActionKind.QuickFix]),
            )
        ),
        "textDocument/codeAction",
    )
    fixes = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.edit is not None]
    assert fixes, f"no quick fix with an edit: {actions}"
    fixed = [apply_edits(document.text, workspace_edits(fix.edit, document.uri)) for fix in fixes]
    expected = document.text.replace("-> dnoe", "-> done")
    assert expected in fixed, f"no fix turns `dnoe` into `done`: {[f.title for f in fixes]}"


