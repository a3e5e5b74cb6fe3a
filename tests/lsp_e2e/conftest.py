"""The client of the end-to-end tests: pytest-lsp starts the built
`flow lsp` over stdio and initializes it with the capabilities that real
editors send (pytest-lsp's recorded profiles of VS Code and Neovim); every
test runs once per profile."""

from __future__ import annotations

import asyncio
import os
import subprocess

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from support import FIXTURES, FLOW

#: The client profiles: VS Code, the newest Neovim pytest-lsp knows, and the
#: Neovim of Debian's package (0.7), which editors/vim/test runs for real.
PROFILES = ["visual-studio-code", "neovim", "neovim@v0.7.0"]


def pytest_sessionstart(session):
    """Fails the whole run, saying why, when there is no `flow lsp` to test."""
    if not (os.path.isfile(FLOW) and os.access(FLOW, os.X_OK)):
        raise pytest.UsageError(
            f"tests/lsp_e2e: no flow binary at {FLOW}: build it first (`cargo build`), "
            "or set FLOW_BIN to one"
        )
    probe = subprocess.run([FLOW, "lsp", "--help"], capture_output=True, text=True, timeout=60, check=False)
    if probe.returncode != 0:
        raise pytest.UsageError(
            f"tests/lsp_e2e: `{FLOW} lsp --help` exited with status {probe.returncode}: "
            f"this flow has no language server.\n{probe.stderr}"
        )


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[FLOW, "lsp"]),
    params=PROFILES,
)
async def client(lsp_client: LanguageClient, request):
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            client_info=types.ClientInfo(name=request.param),
            root_uri=FIXTURES.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=FIXTURES.as_uri(), name="fixtures")],
        )
    )
    lsp_client.initialize_result = result
    lsp_client.profile = request.param
    yield
    # `shutdown` then `exit`: the server must answer and end.
    try:
        await asyncio.wait_for(lsp_client.shutdown_session(), 15)
    except asyncio.TimeoutError:
        raise AssertionError("flow lsp did not shut down within 15 s of `shutdown` and `exit`") from None
