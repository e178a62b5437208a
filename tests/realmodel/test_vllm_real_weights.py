"""The in-process vLLM backend with the real model's weights: Qwen2.5-Coder-1.5B-Instruct,
converted from the same verified GGUF to a safetensors folder (cached next to it), on the CPU
build of vLLM. Slow (about 3.5 tokens/s on two quiet cores), so one short task.

Real parts throughout: the converted weights and the model's own chat template, the engine,
the service and loop, a Docker sandbox. The engine's prefix-cache reuse on the second turn is
reported, since every turn re-sends the conversation so far.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import SANDBOX_UID, make_workspace, sandbox_settings
from support.evidence import check_answer

from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.errors import TerminusError
from terminus_mcp.localmodel.convert import ensure_safetensors
from terminus_mcp.models.vllm_backend import VllmBackend
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.docker,
    pytest.mark.vllm,
    pytest.mark.realmodel,
    pytest.mark.slow,
]

QUERY = "Run `python3 -c 'print(6 * 7)'` and report what it printed."


@pytest.fixture(scope="module")
def qwen_folder(qwen_gguf: Path) -> Path:
    """The safetensors folder (converted on first use: about a minute and 3.5 GB)."""
    try:
        return ensure_safetensors(qwen_gguf)
    except TerminusError as exc:
        pytest.fail(f"cannot convert the real model for vLLM: {exc}", pytrace=False)


@pytest.fixture(scope="module")
async def vllm_backend(qwen_folder: Path, workspace_root: Path) -> AsyncIterator[VllmBackend]:
    settings = sandbox_settings(
        workspace_root, backend="vllm", model=str(qwen_folder), context_window=4096,
        max_reply_tokens=256, state_dir=str(workspace_root / ".state-vllm"),
    )  # fmt: skip
    # bfloat16 halves the memory of the CPU default (float32); this CPU computes it natively.
    backend = VllmBackend(settings, engine_options={"dtype": "bfloat16"})
    await backend.start()
    yield backend
    await backend.aclose()


@pytest.mark.timeout(1800)
async def test_one_short_task_with_the_real_weights(
    vllm_backend: VllmBackend, sandbox_manager: SandboxManager, workspace_root: Path
) -> None:
    workspace = make_workspace(workspace_root, "vllm-real")
    if os.geteuid() == 0:
        os.chown(workspace, SANDBOX_UID, SANDBOX_UID)
    settings = sandbox_settings(
        workspace_root, backend="vllm", model=vllm_backend._settings.model,
        context_window=4096, max_reply_tokens=256, state_dir=str(workspace_root / ".state-vllm"),
    )  # fmt: skip
    async with TerminusService(settings, backend=vllm_backend, sandboxes=sandbox_manager) as svc:
        result = await svc.run_task(TaskRequest(query=QUERY, workdir=workspace, timeout_s=1200))
        log = svc.task_log(result.transcript_id)
    outputs = [c.output for c in log.commands]
    print(
        f"\n[vllm real weights] {result.status.value}, {result.turns} turns, commands "
        f"{[c.command for c in result.commands]}, {result.usage.subagent_prompt_tokens} prompt + "
        f"{result.usage.subagent_completion_tokens} completion tokens, model "
        f"{result.timings.model_s if result.timings else 0:.0f} s\nanswer:\n{result.answer}"
    )
    assert result.commands, "the model answered without running the command"
    assert any("42" in output for output in outputs)
    assert result.status is TaskStatus.COMPLETED, result.answer
    assert "42" in result.answer
    # The model may invent counts; none may reach the main agent unflagged (issue 12).
    evidence = check_answer(result.answer, outputs, [c.command for c in log.commands])
    flagged = "\n".join(result.grounding.flagged) if result.grounding else ""
    unflagged = [
        claim
        for claim in evidence.unsupported
        if claim.split("'", 1)[-1].rsplit("'", 1)[0] not in flagged
    ]
    assert not unflagged, unflagged
    shutil.rmtree(workspace, ignore_errors=True)
