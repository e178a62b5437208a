"""The openai backend reads each reply once: calls in any form come back parsed, and a reply
that cannot be read is the backend's own typed error, never a stray ``ValueError``.

Real parts: the ``openai`` SDK and its HTTP; the endpoint is the scripted OpenAI-compatible
server on loopback, sending the bodies that real misconfigured endpoints send.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from support.scripted_openai_server import (
    SERVED_MODEL,
    RawBody,
    Reply,
    ScriptedOpenAIServer,
    Step,
    text,
)

from terminus_mcp.agent.contract import RUN_IN_TERMINAL
from terminus_mcp.errors import ModelReplyError
from terminus_mcp.models.base import ChatMessage, ModelReply
from terminus_mcp.models.openai_backend import OpenAIBackend
from terminus_mcp.settings import Settings

pytestmark = pytest.mark.anyio

FENCE = "`" * 3


async def _complete(server: ScriptedOpenAIServer, tmp_path: Path) -> ModelReply:
    settings = Settings(  # type: ignore[call-arg]
        backend="openai",
        base_url=server.base_url,
        model=SERVED_MODEL,
        request_retries=0,
        request_timeout_s=5,
        state_dir=tmp_path,
    )
    backend = OpenAIBackend(settings)
    try:
        return await backend.complete(
            [ChatMessage(role="user", content="run the tests")],
            [RUN_IN_TERMINAL],
            temperature=0.0,
            max_tokens=64,
        )
    finally:
        await backend.aclose()


async def _reply(steps: Sequence[Step], tmp_path: Path) -> ModelReply:
    with ScriptedOpenAIServer(list(steps)) as server:
        return await _complete(server, tmp_path)


@pytest.mark.parametrize(
    "step",
    [
        Reply(tool_calls=[("run_in_terminal", '{"command": "make", "timeout": 60000}')]),
        text(
            '<think>the tests</think><tool_call>{"name": "run_in_terminal", '
            '"arguments": {"command": "make", "timeout": 60000}}</tool_call>'
        ),
        text(
            f"Running it.\n{FENCE}json\n"
            '{"name": "run_in_terminal", "arguments": {"command": "make", "timeout": 60000}}\n'
            f"{FENCE}"
        ),
        text('{"tool": "run_in_terminal", "args": {"command": "make", "timeout": 60000}}'),
    ],
    ids=["native", "hermes", "fenced", "bare"],
)
async def test_a_call_in_any_form_comes_back_parsed(step: Step, tmp_path: Path) -> None:
    reply = await _reply([step], tmp_path)
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [
        ("run_in_terminal", {"command": "make", "timeout": 60000})
    ]
    assert "<tool_call>" not in reply.content
    assert "<think>" not in reply.content
    assert reply.final_answer is None


async def test_a_final_answer_comes_back_with_its_block_read(tmp_path: Path) -> None:
    quoted = '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "rm -rf /"}}'
    answer = f"<final_answer>\nCommand: cat log\nSummary: it printed {quoted}\n</final_answer>"
    reply = await _reply([text("<think>done</think>" + answer)], tmp_path)
    assert reply.tool_calls == []  # markup quoted inside the answer is never a call
    assert reply.final_answer == answer


GARBLED = [
    (b"\x00\xffnot json at all", "UnicodeDecodeError"),
    (b'{"id": "x", "object": "chat.completion"}', "no choices"),
    (b'{"choices": []}', "no choices"),
    (b'{"choices": [{"message": {"role": "assistant", "content": 42}}]}', "ValidationError"),
    (b'{"choices": [{"message": {"role": "assistant", "content": "' + b"A" * 1000, "JSONDecode"),
]


@pytest.mark.parametrize(("body", "why"), GARBLED)
async def test_a_reply_that_cannot_be_read_is_the_backends_typed_error(
    body: bytes, why: str, tmp_path: Path
) -> None:
    with pytest.raises(ModelReplyError) as caught:
        await _reply([RawBody(body)], tmp_path)
    error = caught.value
    assert error.what.endswith("sent a reply that cannot be read")
    assert why in error.why
    assert "OpenAI-compatible" in error.fix
