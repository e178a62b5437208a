"""The loop on the fake engine: no container, so each test runs in milliseconds.

The same behaviour is tested on real containers in ``test_loop_openai.py`` and
``tests/adversarial/test_loop_attacks.py``; here the sandbox is
:class:`terminus_mcp.sandbox.fake.FakeSandboxes`, the model :class:`ScriptedBackend`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from terminus_mcp.agent.loop import LoopConfig, run_loop
from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.errors import ModelReplyError
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolSpec
from terminus_mcp.models.scripted import ScriptedBackend
from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.fake import FakeReply, FakeSandboxes, FakeSession

pytestmark = pytest.mark.anyio

PYTEST_OUTPUT = "F.\nFAILED test_math.py::test_add - assert 3 == 4\n1 failed, 1 passed in 0.02s\n"
ANSWER = "<final_answer>\nCommand: pytest -q\nSummary: test_add fails: 3 != 4.\n</final_answer>"


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[FakeSession]:
    script = {"pytest -q": FakeReply(output=PYTEST_OUTPUT, exit_code=1)}
    async with FakeSandboxes(script) as sandboxes:
        yield await sandboxes.create(SessionSpec(workdir=tmp_path))


def tool_messages(backend: ScriptedBackend) -> list[ChatMessage]:
    """The tool results the model was shown, from the conversation of its last turn."""
    return [m for m in backend.requests[-1] if m.role == "tool"]


async def test_the_command_output_reaches_the_model_and_the_answer_comes_back(
    session: FakeSession,
) -> None:
    backend = ScriptedBackend([ScriptedBackend.call("pytest -q"), ANSWER])
    result = await run_loop("run the tests", session=session, backend=backend, config=LoopConfig())
    assert result.status is TaskStatus.COMPLETED
    assert result.answer.startswith(ANSWER)  # grounding may add facts from the output after it
    assert [(c.command, c.exit_code) for c in result.commands] == [("pytest -q", 1)]
    (observation,) = tool_messages(backend)
    assert observation.content.startswith("Exit code: 1")
    assert "FAILED test_math.py::test_add - assert 3 == 4" in observation.content
    assert session.history == ["pytest -q"]


async def test_shell_state_carries_between_turns(session: FakeSession) -> None:
    backend = ScriptedBackend(
        [
            ScriptedBackend.call("mkdir -p build && cd build && export MODE=release"),
            ScriptedBackend.call('echo "$MODE in $(pwd)"'),
            ScriptedBackend.call('echo "$MODE in $PWD"'),
            ANSWER,
        ]
    )
    result = await run_loop("q", session=session, backend=backend, config=LoopConfig())
    assert [c.exit_code for c in result.commands] == [0, 2, 0]
    refused, last = [m.content for m in tool_messages(backend)[1:]]
    assert "fake engine: command substitution" in refused  # refused, and it says so
    assert "release in /workspace/build" in last


async def test_a_timeout_is_reported_to_the_model_and_the_loop_goes_on(
    session: FakeSession,
) -> None:
    backend = ScriptedBackend(
        [
            ScriptedBackend.call("echo begun; sleep 30", timeout=1500),
            ScriptedBackend.call("true"),
            ANSWER,
        ]
    )
    result = await run_loop("q", session=session, backend=backend, config=LoopConfig())
    assert result.status is TaskStatus.COMPLETED
    first = tool_messages(backend)[0].content
    assert "timed out" in first.lower()
    assert "begun" in first
    assert result.commands[0].exit_code is None
    assert session.processes() == []


async def test_a_closed_sandbox_fails_the_task_with_an_answer(session: FakeSession) -> None:
    await session.close()
    backend = ScriptedBackend([ScriptedBackend.call("pytest -q"), ANSWER])
    result = await run_loop("q", session=session, backend=backend, config=LoopConfig())
    assert result.status is TaskStatus.FAILED
    assert "the sandbox failed" in result.answer
    assert "is closed" in result.answer


class _FailingBackend(ScriptedBackend):
    """Fails on its first turn with ``error``, as a backend would."""

    def __init__(self, error: Exception) -> None:
        super().__init__([])
        self.error = error

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        temperature: float,
        max_tokens: int,
        require_call: bool = False,
    ) -> ModelReply:
        raise self.error


async def test_a_reply_the_backend_cannot_read_fails_the_task_with_its_message(
    session: FakeSession,
) -> None:
    error = ModelReplyError(
        "the model endpoint http://127.0.0.1:1/v1 sent a reply that cannot be read",
        why="it holds no choices",
        fix="check base_url",
    )
    result = await run_loop(
        "q", session=session, backend=_FailingBackend(error), config=LoopConfig()
    )
    assert result.status is TaskStatus.FAILED
    assert result.error == str(error)
    assert "the model backend failed" in result.answer


async def test_a_data_error_inside_a_backend_is_a_bug_not_an_endpoint_fault(
    session: FakeSession,
) -> None:
    """Only the backend's typed error says the endpoint sent something unreadable; any other
    exception is an internal error and reaches the caller (which logs it with a reference)."""
    backend = _FailingBackend(KeyError("choices"))
    with pytest.raises(KeyError):
        await run_loop("q", session=session, backend=backend, config=LoopConfig())


async def test_the_loop_reads_the_reply_the_backend_returned_without_parsing_it_again(
    session: FakeSession,
) -> None:
    """A backend's reply is final: markup left in its content (here, a call the backend chose
    not to count) is text for the loop, not a call."""
    written = '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "pytest -q"}}'

    class Verbatim(ScriptedBackend):
        async def complete(
            self,
            messages: Sequence[ChatMessage],
            tools: Sequence[ToolSpec],
            *,
            temperature: float,
            max_tokens: int,
            require_call: bool = False,
        ) -> ModelReply:
            self.requests.append(list(messages))
            return ModelReply(content=written)

    backend = Verbatim([])
    result = await run_loop(
        "q", session=session, backend=backend, config=LoopConfig(format_retries=0)
    )
    assert session.history == []  # nothing ran: the loop found no call in the text
    assert result.status is TaskStatus.INCOMPLETE
    assert result.stats.malformed_replies == 1
