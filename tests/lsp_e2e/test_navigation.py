"""`flow lsp` end to end: hover, go to definition, find references and
rename, as VS Code and Neovim ask for them (see conftest.py)."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from support import Document, apply_edits, replace_word, within, workspace_edits


def targets(result) -> list[tuple[str, types.Range]]:
    """The (uri, range) of a definition's answer, whatever its form; for a
    LocationLink, the range of the name."""
    if result is None:
        return []
    if not isinstance(result, list):
        result = [result]
    found = []
    for item in result:
        if isinstance(item, types.LocationLink):
            found.append((item.target_uri, item.target_selection_range))
        else:
            found.append((item.uri, item.range))
    return found


def hover_text(hover: types.Hover | None) -> str:
    assert hover is not None, "no hover"
    contents = hover.contents
    if isinstance(contents, types.MarkupContent):
        return contents.value
    if not isinstance(contents, list):
        contents = [contents]
    return "\n".join(c if isinstance(c, str) else c.value for c in contents)


async def test_the_capabilities_of_navigation(client: LanguageClient):
    capabilities = client.initialize_result.capabilities
    for name in ("hover_provider", "definition_provider", "references_provider", "rename_provider"):
        assert getattr(capabilities, name), f"{name} is not announced: {capabilities}"


async def test_hover_on_a_worker_shows_its_signature(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    hover = await within(
        client.text_document_hover_async(
            types.HoverParams(text_document=document.identifier, position=document.position("= Echo(", "Echo"))
        ),
        "textDocument/hover",
    )
    text = hover_text(hover)
    assert "Echo" in text and "greeting: string" in text, text


async def test_definition_of_a_transition_target_is_its_state(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    result = await within(
        client.text_document_definition_async(
            types.DefinitionParams(
                text_document=document.identifier, position=document.position("-> again", "again")
            )
        ),
        "textDocument/definition",
    )
    [(uri, range_)] = targets(result)
    assert uri == document.uri
    assert range_.start.line == document.line_of("step again"), range_
    assert range_ in (document.range("step again", "again"), document.range("step again = Echo(greeting: greet.greeting) {")), range_


async def test_definition_of_a_worker_call_is_the_worker(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    result = await within(
        client.text_document_definition_async(
            types.DefinitionParams(
                text_document=document.identifier, position=document.position("again = Echo(", "Echo")
            )
        ),
        "textDocument/definition",
    )
    [(uri, range_)] = targets(result)
    assert uri == document.uri
    assert range_.start.line == document.line_of("worker Echo"), range_


async def test_references_of_a_state(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    result = await within(
        client.text_document_references_async(
            types.ReferenceParams(
                text_document=document.identifier,
                position=document.position("step again", "again"),
                context=types.ReferenceContext(include_declaration=True),
            )
        ),
        "textDocument/references",
    )
    found = sorted((r.range.start.line, r.range.start.character) for r in result or [] if r.uri == document.uri)
    expected = sorted(
        (p.line, p.character)
        for p in (
            document.position("step again", "again"),
            document.position("-> again", "again"),
            document.position("again.greeting", "again"),
        )
    )
    assert found == expected, result


async def test_rename_a_state_everywhere(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    edit = await within(
        client.text_document_rename_async(
            types.RenameParams(
                text_document=document.identifier, position=document.position("-> again", "again"), new_name="repeat"
            )
        ),
        "textDocument/rename",
    )
    renamed = apply_edits(document.text, workspace_edits(edit, document.uri))
    assert renamed == replace_word(document.text, "again", "repeat")


async def test_rename_a_worker_everywhere(client: LanguageClient):
    document = Document(client, "greet.flow").open()
    edit = await within(
        client.text_document_rename_async(
            types.RenameParams(
                text_document=document.identifier, position=document.position("worker Echo", "Echo"), new_name="Repeat"
            )
        ),
        "textDocument/rename",
    )
    renamed = apply_edits(document.text, workspace_edits(edit, document.uri))
    assert renamed == replace_word(document.text, "Echo", "Repeat")
