"""Hybrid observations: the digest of the whole output first, then the same raw tail as the raw
mode, on the real output of real tools in the sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from conftest import make_workspace

from terminus_mcp.agent.observation import (
    DIGEST_HEADER,
    OUTPUT_HEADER,
    observe,
    read_observation,
)
from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager

GENERATOR = (
    Path(__file__).resolve().parents[2]
    / "terminus_mcp/eval/suites/builtin/generators/python_repos.py"
)

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


async def test_hybrid_puts_the_digest_of_a_long_log_before_its_tail(
    sandbox_manager: SandboxManager, workspace_root: Path
) -> None:
    # The built-in eval suite's project: 359 tests, 3 failing; -v makes a long output.
    workspace = make_workspace(workspace_root, "hybrid")
    await anyio.run_process([sys.executable, str(GENERATOR), "pytest-failures", str(workspace)])
    for path in [workspace, *workspace.rglob("*")]:
        path.chmod(0o777)
    session = await sandbox_manager.create(SessionSpec(workdir=workspace))
    try:
        result = await session.run("python3 -m pytest -v -p no:cacheprovider", timeout_s=120)
    finally:
        await sandbox_manager.close(session.id)
    # A limit far below the output, as on a long log: the tail alone misses facts.
    limit = 4000
    assert len(result.output) > 3 * limit
    raw = observe(result, timeout_ms=120000, limit=limit).text
    hybrid = observe(result, timeout_ms=120000, limit=limit, mode="hybrid").text
    assert DIGEST_HEADER not in raw

    digest_part, _, tail = hybrid.partition("\n" + OUTPUT_HEADER + "\n")
    assert hybrid.index(DIGEST_HEADER) < hybrid.index(OUTPUT_HEADER)
    # The suite's key facts for this output (terminus_mcp/eval/suites/builtin/py-pytest-failures).
    for fact in ("3 failed", "356 passed", "test_iso_week_new_year", "test_restock_missing_sku",
                 "test_average_discount_empty", "SKU-0042", "ZeroDivisionError"):  # fmt: skip
        assert fact in digest_part, fact
    assert tail.startswith("[... ")
    assert raw.endswith("\n" + OUTPUT_HEADER + "\n" + tail)

    back = read_observation(hybrid)
    assert back is not None
    assert back.exit_code == 1
    assert back.output == tail
