"""Helpers of the end-to-end tests of `flow lsp`: documents opened in the
server, positions found by their text, edits applied as an editor does."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from lsprotocol import types

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = HERE / "fixtures"

#: The binary under test: FLOW_BIN, or the debug build `cargo test` made.
FLOW = os.environ.get("FLOW_BIN") or str(REPO / "target" / "debug" / "flow")

#: How long any one answer of the server may take.
TIMEOUT_S = 15.0

T = TypeVar("T")


async def within(awaitable: Awaitable[T], what: str) -> T:
    """`awaitable`'s result, or a failure naming `what` after TIMEOUT_S."""
    try:
        return await asyncio.wait_for(awaitable, TIMEOUT_S)
    except asyncio.TimeoutError:
        raise AssertionError(f"flow lsp did not answer {what} within {TIMEOUT_S:.0f} s") from None


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Polls `condition` until it holds; fails naming `what` after TIMEOUT_S."""
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {TIMEOUT_S:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


def flow_fmt(text: str) -> str:
    """What `flow fmt` makes of `text` (formatted from standard input)."""
    result = subprocess.run(
        [FLOW, "fmt", "--color", "never"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"flow fmt failed ({result.returncode}):\n{result.stderr}"
    return result.stdout


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def offset_to_position(text: str, offset: int) -> types.Position:
    """The protocol's position (0-based line, UTF-16 column) of a str offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=utf16_len(text[start:offset]))


def position_to_offset(text: str, position: types.Position) -> int:
    """The str offset of a protocol position."""
    lines = text.split("\n")
    assert position.line <= len(lines), f"line {position.line} is past the end of the document"
    offset = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return offset + index
        units += utf16_len(char)
    return offset + len(line)


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """`text` with `edits` applied, as the protocol defines them: all ranges
    refer to the text before any edit, and none may overlap."""
    spans = sorted(
        (
            (position_to_offset(text, e.range.start), position_to_offset(text, e.range.end), e.new_text)
            for e in edits
        ),
        reverse=True,
    )
    for (start, end, _), (next_start, _, _) in zip(spans[1:], spans):
        assert end <= next_start, f"overlapping edits: {edits}"
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


def workspace_edits(edit: types.WorkspaceEdit | None, uri: str) -> list[types.TextEdit]:
    """The edits of `edit` to the document `uri`, whether the server sent
    `changes` or `documentChanges`."""
    assert edit is not None, "the server answered with no edit"
    found: list[types.TextEdit] = []
    if edit.changes:
        assert set(edit.changes) <= {uri}, f"edits to other documents: {set(edit.changes) - {uri}}"
        found.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit), f"not a text edit: {change}"
        assert change.text_document.uri == uri, f"an edit to {change.text_document.uri}"
        found.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    return found


class Document:
    """A .flow document of tests/lsp_e2e/fixtures open in the server."""

    def __init__(self, client, name: str, text: str | None = None):
        self.client = client
        path = FIXTURES / name
        self.uri = path.as_uri()
        self.text = path.read_text(encoding="utf-8") if text is None else text
        self.version = 1

    def open(self) -> Document:
        self.client.diagnostics.pop(self.uri, None)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri, language_id="flow", version=self.version, text=self.text
                )
            )
        )
        return self

    def change(self, text: str) -> None:
        """Replaces the whole text, as a client does with full sync (and may
        with incremental sync)."""
        self.client.diagnostics.pop(self.uri, None)
        self.version += 1
        self.text = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def diagnostics(self) -> Sequence[types.Diagnostic]:
        """The next diagnostics published for the document (after `open` or
        `change`)."""
        await wait_until(lambda: self.uri in self.client.diagnostics, f"diagnostics of {self.uri}")
        return self.client.diagnostics[self.uri]

    @property
    def identifier(self) -> types.TextDocumentIdentifier:
        return types.TextDocumentIdentifier(uri=self.uri)

    def offset(self, needle: str, at: str | None = None, occurrence: int = 1) -> int:
        """The offset of `at` (a part of `needle`, default all of it) inside the
        `occurrence`-th match of `needle`, which must be there."""
        start = -1
        for _ in range(occurrence):
            start = self.text.find(needle, start + 1)
            assert start >= 0, f"{needle!r} (occurrence {occurrence}) is not in {self.uri}"
        inner = 0 if at is None else needle.index(at)
        return start + inner

    def position(self, needle: str, at: str | None = None, occurrence: int = 1) -> types.Position:
        return offset_to_position(self.text, self.offset(needle, at, occurrence))

    def range(self, needle: str, at: str | None = None, occurrence: int = 1) -> types.Range:
        """The range of `at` (default `needle`) in the `occurrence`-th `needle`."""
        start = self.offset(needle, at, occurrence)
        length = len(needle if at is None else at)
        return types.Range(
            start=offset_to_position(self.text, start),
            end=offset_to_position(self.text, start + length),
        )

    def line_of(self, needle: str, occurrence: int = 1) -> int:
        return self.position(needle, occurrence=occurrence).line


def replace_word(text: str, old: str, new: str) -> str:
    """`text` with every whole-word `old` outside comments replaced by `new`."""
    out = []
    for line in text.split("\n"):
        code, sep, comment = line.partition("//")
        out.append(re.sub(rf"\b{re.escape(old)}\b", new, code) + sep + comment)
    return "\n".join(out)


def symbol_names(symbols) -> set[str]:
    """The names of document symbols, nested ones included."""
    names: set[str] = set()
    for symbol in symbols or []:
        names.add(symbol.name)
        names |= symbol_names(getattr(symbol, "children", None))
    return names
