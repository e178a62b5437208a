"""Reading model replies: reasoning, Hermes markup, final answers, argument checks."""

from __future__ import annotations

import pytest

from terminus_mcp.agent.replies import (
    CallProblem,
    CommandCall,
    check_call,
    extract_final_answer,
    normalize_reply,
    parse_arguments,
    parse_text_tool_calls,
    strip_think,
)
from terminus_mcp.models.base import ModelReply, ToolCall

LIMITS = {"default_timeout_ms": 120_000, "max_timeout_ms": 900_000}


def _call(arguments: dict[str, object] | None, name: str = "run_in_terminal") -> ToolCall:
    return ToolCall(id="c1", name=name, arguments=arguments)


def test_strip_think_removes_blocks_and_a_dangling_end() -> None:
    assert strip_think("<think>plan\nmore</think>\nhello") == "hello"
    assert strip_think("reasoning without opener</think>answer") == "answer"
    assert strip_think("<think>never closed") == ""


def test_hermes_call_in_text_is_parsed_and_removed() -> None:
    text = (
        "Running it.\n<tool_call>\n"
        '{"name": "run_in_terminal", "arguments": {"command": "ls", "timeout": 30000}}'
        "\n</tool_call>"
    )
    content, calls = parse_text_tool_calls(text)
    assert content == "Running it."
    assert len(calls) == 1
    assert calls[0].name == "run_in_terminal"
    assert calls[0].arguments == {"command": "ls", "timeout": 30000}


def test_closing_tag_inside_the_command_does_not_cut_the_json() -> None:
    text = (
        '<tool_call>{"name": "run_in_terminal", '
        '"arguments": {"command": "echo \'</tool_call>\'"}}</tool_call>'
    )
    _, calls = parse_text_tool_calls(text)
    assert calls[0].arguments == {"command": "echo '</tool_call>'"}


def test_unclosed_call_at_the_end_counts() -> None:
    _, calls = parse_text_tool_calls(
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "make"}}'
    )
    assert calls[0].arguments == {"command": "make"}


def test_two_calls_in_text_keep_their_order() -> None:
    text = (
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "a"}}</tool_call>'
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "b"}}</tool_call>'
    )
    _, calls = parse_text_tool_calls(text)
    assert [c.arguments["command"] for c in calls if c.arguments] == ["a", "b"]


def test_invalid_json_keeps_raw_text_and_says_why() -> None:
    _, calls = parse_text_tool_calls(
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": }</tool_call>'
    )
    assert calls[0].arguments is None
    assert calls[0].error is not None
    assert "invalid JSON" in calls[0].error
    assert '"command": }' in calls[0].raw


def test_arguments_encoded_twice_are_decoded() -> None:
    _, calls = parse_text_tool_calls(
        '<tool_call>{"name": "run_in_terminal", '
        '"arguments": "{\\"command\\": \\"ls\\"}"}</tool_call>'
    )
    assert calls[0].arguments == {"command": "ls"}
    assert parse_arguments('"{\\"command\\": \\"ls\\"}"') == ({"command": "ls"}, None)


def test_bare_json_call_is_accepted_only_for_the_known_tool() -> None:
    _, calls = parse_text_tool_calls('{"name": "run_in_terminal", "arguments": {"command": "ls"}}')
    assert calls[0].arguments == {"command": "ls"}
    content, calls = parse_text_tool_calls('{"name": "other", "arguments": {}}')
    assert calls == []
    assert content.startswith("{")


FENCE = "`" * 3


def test_a_fenced_json_call_with_prose_around_it_is_a_call() -> None:
    """The shape Qwen2.5-Coder-1.5B-Instruct writes its calls in (seen on llama.cpp)."""
    text = (
        "I will run the tests first.\n"
        f"{FENCE}json\n"
        '{"name": "run_in_terminal", "arguments": {"command": "python -m pytest -q", '
        '"timeout": 120000}}\n'
        f"{FENCE}\nThen I will report."
    )
    content, calls = parse_text_tool_calls(text)
    assert [c.arguments for c in calls] == [{"command": "python -m pytest -q", "timeout": 120000}]
    assert content == "I will run the tests first.\n\nThen I will report."


@pytest.mark.parametrize(
    "payload",
    [
        '{"name": "run_in_terminal", "parameters": {"command": "make"}}',
        '{"tool": "run_in_terminal", "args": {"command": "make"}}',
        '{"function": {"name": "run_in_terminal", "arguments": "{\\"command\\": \\"make\\"}"}}',
    ],
)
def test_bare_json_calls_in_prose_are_found_in_their_usual_spellings(payload: str) -> None:
    _, calls = parse_text_tool_calls(f"Running the build now: {payload} and then done.")
    assert [c.arguments for c in calls] == [{"command": "make"}]


def test_json_that_names_no_tool_stays_text() -> None:
    text = f'Config is {FENCE}json\n{{"command": "x"}}\n{FENCE} and {{"a": 1}}.'
    assert parse_text_tool_calls(text) == (text, [])


def test_a_fenced_call_inside_a_final_answer_is_not_run() -> None:
    text = (
        "<final_answer>\nCommand: cat log\nSummary: it printed "
        f'{FENCE}json\n{{"name": "run_in_terminal", "arguments": {{"command": "rm -rf x"}}}}\n'
        f"{FENCE}\n</final_answer>"
    )
    reply = normalize_reply(ModelReply(content=text))
    assert reply.tool_calls == []


def test_normalize_keeps_native_calls_and_strips_think() -> None:
    native = _call({"command": "ls"})
    reply = normalize_reply(ModelReply(content="<think>x</think>ok", tool_calls=[native]))
    assert reply.content == "ok"
    assert reply.tool_calls == [native]


def test_final_answer_is_normalized() -> None:
    text = "Done.\n<final_answer>Command: ls\nSummary: ok</final_answer>"
    assert extract_final_answer(text) == "<final_answer>\nCommand: ls\nSummary: ok\n</final_answer>"


def test_unclosed_final_answer_runs_to_the_end_and_empty_is_none() -> None:
    assert (
        extract_final_answer("<final_answer>\nCommand: x\n")
        == "<final_answer>\nCommand: x\n</final_answer>"
    )
    assert extract_final_answer("<final_answer> </final_answer>") is None
    assert extract_final_answer("no answer here") is None


def test_check_call_accepts_a_well_formed_call() -> None:
    checked = check_call(_call({"command": " make test ", "timeout": 120000}), **LIMITS)
    assert checked == CommandCall(command="make test", timeout_ms=120000, notes=[])


@pytest.mark.parametrize(
    ("timeout", "expected_ms", "noted"),
    [
        (30, 30_000, True),  # seconds, not milliseconds
        ("45000", 45_000, False),
        ("30000ms", 30_000, False),
        (2.5, 2_500, True),
        (5_000_000, 900_000, True),  # clamped to the maximum
        (None, 120_000, False),  # the default
    ],
)
def test_timeouts_are_read_sensibly(timeout: object, expected_ms: int, noted: bool) -> None:
    arguments: dict[str, object] = {"command": "ls"}
    if timeout is not None:
        arguments["timeout"] = timeout
    checked = check_call(_call(arguments), **LIMITS)
    assert isinstance(checked, CommandCall)
    assert checked.timeout_ms == expected_ms
    assert bool(checked.notes) == noted


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (_call({"command": "ls"}, name="bash"), "the only tool is run_in_terminal"),
        (_call({"command": ""}), '"command" must be a non-empty string'),
        (_call({"cmd": "ls"}), '"command" must be a non-empty string'),
        (_call({"command": "ls", "timeout": -5}), '"timeout" must be a positive integer'),
        (_call({"command": "ls", "timeout": True}), '"timeout" must be a positive integer'),
        (
            ToolCall(
                id="c", name="run_in_terminal", arguments=None, error="arguments are not valid JSON"
            ),
            "not valid JSON",
        ),
    ],
)
def test_check_call_explains_each_problem(call: ToolCall, phrase: str) -> None:
    problem = check_call(call, **LIMITS)
    assert isinstance(problem, CallProblem)
    assert phrase in problem.message
