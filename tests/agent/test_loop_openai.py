"""The loop end to end: the openai backend against a scripted OpenAI-compatible server on
loopback, commands in real Docker sandboxes.

The server is the one test double (no model can be scripted here); everything else is real:
the SDK and its HTTP, the service, the sandbox manager, the container and its shell.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import openai_settings
from support.scripted_openai_server import (
    Delay,
    HttpError,
    Reply,
    ScriptedOpenAIServer,
    text,
    tool_call,
    tool_calls,
)

from terminus_mcp.agent.contract import ANSWER_HINT, LAST_TURN_MESSAGE
from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

FINAL = "<final_answer>\nCommand: echo one\nSummary: printed one.\n</final_answer>"


async def _run(
    workspace: Path,
    sandboxes: SandboxManager,
    base_url: str,
    query: str = "run the commands",
    **overrides: Any,
) -> tuple[TaskResult, TerminusService]:
    settings = openai_settings(workspace, base_url, **overrides)
    async with TerminusService(settings, sandboxes=sandboxes) as service:
        result = await service.run_task(TaskRequest(query=query, workdir=workspace))
    return result, service


def _messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = request["messages"]
    return messages


async def test_multi_command_task_completes_with_the_model_answer(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    (workspace / "data.txt").write_text("alpha\nbeta\n")
    script = [
        tool_call("echo one && wc -l data.txt", 30000),
        tool_call("python3 -c 'import sys; print(\"oops\"); sys.exit(3)'", 30000),
        text(FINAL),
    ]
    with ScriptedOpenAIServer(script) as server:
        result, service = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    assert result.answer == FINAL
    assert [(c.command.split()[0], c.exit_code) for c in result.commands] == [
        ("echo", 0),
        ("python3", 3),
    ]
    assert result.turns == 3
    assert result.backend == "openai:scripted-model"
    first = server.requests[0]
    assert first["temperature"] == 0.0
    assert first["parallel_tool_calls"] is False
    assert [t["function"]["name"] for t in first["tools"]] == ["run_in_terminal"]
    assert _messages(first)[1] == {"role": "user", "content": "Execution query:\nrun the commands"}
    observation = _messages(server.requests[1])[-1]
    assert observation["role"] == "tool"
    assert observation["content"].startswith("Exit code: 0\nDuration: ")
    assert observation["content"].endswith("Output:\none\n2 data.txt\n\n" + ANSWER_HINT)
    assert _messages(server.requests[2])[-1]["content"].endswith("Output:\noops\n\n" + ANSWER_HINT)
    # Usage comes from the server's counts; raw output is counted with the proxy tokenizer.
    assert result.usage.subagent_prompt_tokens > 0
    assert result.usage.raw_output_tokens > 0
    log = service.task_log(result.transcript_id)
    assert [c.output for c in log.commands] == ["one\n2 data.txt\n", "oops\n"]
    transcript = workspace.parent / ".state" / "transcripts" / f"{result.transcript_id}.jsonl"
    kinds = [json.loads(line)["type"] for line in transcript.read_text().splitlines()]
    assert (kinds[0], kinds[-1], kinds.count("command")) == ("task", "result", 2)


async def test_turn_cap_sends_the_last_turn_message_and_builds_an_answer(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    script = [tool_call("echo a"), tool_call("echo b"), tool_call("echo c")]
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url, max_turns=3)

    assert result.status is TaskStatus.INCOMPLETE
    assert [c.command for c in result.commands] == ["echo a", "echo b"]
    assert _messages(server.requests[2])[-1] == {"role": "user", "content": LAST_TURN_MESSAGE}
    assert LAST_TURN_MESSAGE not in json.dumps(server.requests[1])
    assert result.answer.startswith(
        # The direct mode's summaries: a small output passes through as it is.
        "<final_answer>\nCommand: echo a\nSummary: exit code 0\na\n"
        "Command: echo b\nSummary: exit code 0\nb\n</final_answer>\n"
    )
    assert "turn limit (3)" in result.answer


async def test_malformed_and_parallel_calls_are_corrected(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    script = [
        Reply(
            content='<tool_call>{"name": "run_in_terminal", "arguments": {"command": }</tool_call>'
        ),
        tool_call("", 30000),
        tool_calls("echo first", "echo second"),
        text(FINAL),
    ]
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    assert [c.command for c in result.commands] == ["echo first"]
    correction = _messages(server.requests[1])[-1]
    assert correction["role"] == "user"
    assert "invalid JSON" in correction["content"]
    empty_command = _messages(server.requests[2])[-1]
    assert empty_command["role"] == "tool"
    assert '"command" must be a non-empty string' in empty_command["content"]
    first, second = _messages(server.requests[3])[-2:]
    assert first["content"].endswith("Output:\nfirst\n\n" + ANSWER_HINT)
    assert second["content"].startswith("Not run: only one run_in_terminal call")
    # Each call the model made is answered, so the conversation stays valid for strict servers.
    calls = _messages(server.requests[3])[-3]["tool_calls"]
    assert [c["id"] for c in calls] == [first["tool_call_id"], second["tool_call_id"]]


async def test_malformed_replies_past_the_budget_end_the_task(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    script = [text("I will run the tests now.")] * 4
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.INCOMPLETE
    assert len(server.requests) == 4
    assert "4 malformed replies in a row" in result.answer
    assert "No command was run." in result.answer


async def test_a_server_rejecting_parallel_tool_calls_is_asked_again_without_it(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with ScriptedOpenAIServer(
        [tool_call("echo one"), text(FINAL)], reject_parallel_tool_calls=True
    ) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    assert ["parallel_tool_calls" in r for r in server.requests] == [True, False, False]


async def test_a_command_loop_is_stopped_with_a_note(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with ScriptedOpenAIServer([tool_call("ls")] * 3) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.INCOMPLETE
    assert [c.command for c in result.commands] == ["ls", "ls"]
    assert "asked to run `ls` 3 times in a row" in result.answer


async def test_a_timed_out_command_gets_a_note_after_the_answer(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    answer = "<final_answer>\nCommand: sleep 30\nSummary: timed out.\n</final_answer>"
    with ScriptedOpenAIServer([tool_call("sleep 30", 1000), text(answer)]) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    assert result.commands[0].timed_out
    assert result.commands[0].duration_s < 10
    assert result.answer == (
        answer + "\nNote: the command `sleep 30` timed out after 1000 ms and was killed."
    )
    observation = _messages(server.requests[1])[-1]["content"]
    assert observation.startswith("Exit code: none (timed out after 1000 ms")


async def test_endpoint_down_fails_with_a_clear_error(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now.
    result, _ = await _run(workspace, sandbox_manager, f"http://127.0.0.1:{port}/v1")

    assert result.status is TaskStatus.FAILED
    assert result.error is not None
    assert f"the model endpoint http://127.0.0.1:{port}/v1 did not answer" in result.error
    assert "2 attempts failed" in result.error
    assert "Fix:" in result.error
    assert result.answer.startswith("<final_answer>\nNo command was run.\n</final_answer>")


async def test_server_errors_are_retried_then_fail_keeping_what_ran(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    script = [tool_call("echo kept"), HttpError(500), HttpError(503)]
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.FAILED
    assert len(server.requests) == 3
    assert result.error is not None
    assert "HTTP 503" in result.error
    assert "Command: echo kept\nSummary: exit code 0\nkept" in result.answer


async def test_a_transient_error_then_success_completes(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    script = [HttpError(500), tool_call("echo one"), text(FINAL)]
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)
    assert result.status is TaskStatus.COMPLETED
    assert result.answer == FINAL


async def test_a_slow_endpoint_times_out_and_fails(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with ScriptedOpenAIServer([Delay(3.0), Delay(3.0)]) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url, request_timeout_s=0.5)
    assert result.status is TaskStatus.FAILED
    assert result.error is not None
    assert "the request timed out" in result.error


async def test_a_wrong_model_name_lists_the_served_models(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with ScriptedOpenAIServer([text(FINAL)]) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url, model="qwen-typo")

    assert result.status is TaskStatus.FAILED
    assert result.error == (
        f"the endpoint {server.base_url} does not serve the model 'qwen-typo': "
        "it serves: scripted-model. "
        "Fix: set --model (TERMINUS_MODEL) to one of the served names."
    )
    assert len(server.requests) == 1  # not retried


# --- No answer without evidence ---------------------------------------------------------------

PASTED_EXAMPLE = (
    "<final_answer>\nCommand: python -m pytest -q\nSummary: 1 failed, 41 passed. FAILED "
    "tests/test_io.py::test_read_empty - AssertionError (tests/test_io.py:18).\n</final_answer>"
)


async def test_an_answer_before_any_command_is_refused_then_the_call_runs(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    script = [text(PASTED_EXAMPLE), tool_call("echo one", 30000), text(FINAL)]
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    assert [c.command for c in result.commands] == ["echo one"]
    assert result.stats.refused_answers == 1
    first, second, third = server.requests
    assert first["tool_choice"] == "required"
    refusal = _messages(second)[-1]
    assert refusal["role"] == "user"
    assert "no command has run yet" in refusal["content"]
    assert second["tool_choice"] == "required"  # still nothing ran
    assert "tool_choice" not in third  # a command ran: the model may answer
    assert "test_read_empty" not in result.answer


async def test_a_model_that_never_runs_a_command_ends_failed_with_no_fabricated_answer(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with ScriptedOpenAIServer([text(PASTED_EXAMPLE)] * 3) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.FAILED
    assert result.commands == []
    assert result.stats.refused_answers == 3
    assert "without running any command" in result.answer
    assert "test_read_empty" not in result.answer
    assert "41 passed" not in result.answer
    assert result.error is not None
    assert "never ran a command" in result.error


async def test_an_endpoint_that_rejects_tool_choice_is_asked_without_it(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    script = [tool_call("echo one", 30000), text(FINAL)]
    with ScriptedOpenAIServer(script, reject_tool_choice=True) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    rejected, first, second = server.requests
    assert rejected["tool_choice"] == "required"
    assert "tool_choice" not in first
    assert "tool_choice" not in second


async def test_a_fenced_json_call_runs_and_each_observation_says_the_model_may_answer(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    fenced = (
        "Let me check.\n```json\n"
        '{"name": "run_in_terminal", "arguments": {"command": "echo one", "timeout": 30000}}\n'
        "```"
    )
    with ScriptedOpenAIServer([text(fenced), text(FINAL)]) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    assert [c.command for c in result.commands] == ["echo one"]
    observation = _messages(server.requests[1])[-1]
    assert observation["role"] == "tool"
    assert observation["content"].endswith(
        "reply now with only the <final_answer> block, "
        "written from this output; otherwise call "
        "run_in_terminal with the next command."
    )


async def test_a_claim_of_success_over_a_failed_command_is_flagged_in_the_answer(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    (workspace / "check.sh").write_text("echo 'FAIL test_parse: expected 3, got 4'; exit 1\n")
    claim = "<final_answer>\nCommand: sh check.sh\nSummary: all tests passed.\n</final_answer>"
    with ScriptedOpenAIServer([tool_call("sh check.sh", 30000), text(claim)]) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url)

    assert result.status is TaskStatus.COMPLETED
    assert result.grounding is not None
    assert result.grounding.flagged == ['"all tests passed", but `sh check.sh` exited 1']
    assert result.answer.startswith(claim)
    assert "exited 1" in result.answer


_FAILING_UNITTEST = """\
import unittest


class ParseTest(unittest.TestCase):
    def test_parse_keeps_the_sign(self):
        self.assertEqual(int("-3"), 3)

    def test_parse_plain(self):
        self.assertEqual(int("3"), 3)


if __name__ == "__main__":
    unittest.main()
"""


async def test_an_answer_in_another_language_is_kept_and_grounded(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    (workspace / "test_parse.py").write_text(_FAILING_UNITTEST)
    # French, naming no failing test, with a count nobody printed ("Ran 2 tests" is the truth;
    # the output's "AssertionError: -3" is a value, not a count of 3).
    reply = (
        "<final_answer>\nCommand: python3 -m unittest -v\n"
        "Summary: 3 tests ont échoué, le signe est perdu.\n</final_answer>"
    )
    script = [tool_call("python3 -m unittest -v", 60000), text(reply)]
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url, query="run the tests")

    assert result.status is TaskStatus.COMPLETED
    assert [c.exit_code for c in result.commands] == [1]
    assert result.answer.startswith(reply)
    assert result.grounding is not None
    # The failing test the model did not name comes from the real output, with its message.
    assert any("test_parse_keeps_the_sign" in line for line in result.grounding.added)
    assert "AssertionError: -3 != 3" in result.answer
    assert not any("test_parse_plain" in line for line in result.grounding.added)
    assert result.grounding.flagged == ['"3 tests" appears in no output']


async def test_a_model_that_answers_in_prose_is_corrected_then_the_outputs_answer(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    (workspace / "test_parse.py").write_text(_FAILING_UNITTEST)
    prose = "The tests ran and one of them failed because of a sign problem."
    script = [tool_call("python3 -m unittest -v", 60000)] + [text(prose)] * 4
    with ScriptedOpenAIServer(script) as server:
        result, _ = await _run(workspace, sandbox_manager, server.base_url, query="run the tests")

    # Asked for a call or a <final_answer> block each time; past the budget the task is
    # incomplete and its answer comes from the command's real output, never from the prose.
    assert result.status is TaskStatus.INCOMPLETE
    assert result.stats.malformed_replies == 4  # format_retries (3) corrections, then it ends
    correction = _messages(server.requests[2])[-1]
    assert correction["role"] == "user"
    assert "<final_answer>" in correction["content"]
    assert "malformed replies in a row" in result.answer
    assert "test_parse_keeps_the_sign" in result.answer
    assert "AssertionError: -3 != 3" in result.answer
    assert prose not in result.answer
