"""Reading model replies (what every backend does once): reasoning, native calls, Hermes markup,
fenced and bare JSON calls, final answers."""

from __future__ import annotations

import pytest

from terminus_mcp.models.base import ModelReply, ToolCall
from terminus_mcp.models.final_answer import extract_final_answer
from terminus_mcp.models.replies import (
    normalize_reply,
    parse_arguments,
    parse_text_tool_calls,
    strip_think,
)

TOOLS = {"run_in_terminal"}


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
    content, calls = parse_text_tool_calls(text, tool_names=TOOLS)
    assert content == "Running it."
    assert len(calls) == 1
    assert calls[0].name == "run_in_terminal"
    assert calls[0].arguments == {"command": "ls", "timeout": 30000}


def test_closing_tag_inside_the_command_does_not_cut_the_json() -> None:
    text = (
        '<tool_call>{"name": "run_in_terminal", '
        '"arguments": {"command": "echo \'</tool_call>\'"}}</tool_call>'
    )
    _, calls = parse_text_tool_calls(text, tool_names=TOOLS)
    assert calls[0].arguments == {"command": "echo '</tool_call>'"}


def test_unclosed_call_at_the_end_counts() -> None:
    _, calls = parse_text_tool_calls(
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "make"}}',
        tool_names=TOOLS,
    )
    assert calls[0].arguments == {"command": "make"}


def test_two_calls_in_text_keep_their_order() -> None:
    text = (
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "a"}}</tool_call>'
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": "b"}}</tool_call>'
    )
    _, calls = parse_text_tool_calls(text, tool_names=TOOLS)
    assert [c.arguments["command"] for c in calls if c.arguments] == ["a", "b"]


def test_invalid_json_keeps_raw_text_and_says_why() -> None:
    _, calls = parse_text_tool_calls(
        '<tool_call>{"name": "run_in_terminal", "arguments": {"command": }</tool_call>',
        tool_names=TOOLS,
    )
    assert calls[0].arguments is None
    assert calls[0].error is not None
    assert "invalid JSON" in calls[0].error
    assert '"command": }' in calls[0].raw


def test_arguments_encoded_twice_are_decoded() -> None:
    _, calls = parse_text_tool_calls(
        '<tool_call>{"name": "run_in_terminal", '
        '"arguments": "{\\"command\\": \\"ls\\"}"}</tool_call>',
        tool_names=TOOLS,
    )
    assert calls[0].arguments == {"command": "ls"}
    assert parse_arguments('"{\\"command\\": \\"ls\\"}"') == ({"command": "ls"}, None)


def test_bare_json_call_is_accepted_only_for_the_known_tool() -> None:
    _, calls = parse_text_tool_calls(
        '{"name": "run_in_terminal", "arguments": {"command": "ls"}}', tool_names=TOOLS
    )
    assert calls[0].arguments == {"command": "ls"}
    content, calls = parse_text_tool_calls('{"name": "other", "arguments": {}}', tool_names=TOOLS)
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
    content, calls = parse_text_tool_calls(text, tool_names=TOOLS)
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
    _, calls = parse_text_tool_calls(
        f"Running the build now: {payload} and then done.", tool_names=TOOLS
    )
    assert [c.arguments for c in calls] == [{"command": "make"}]


def test_json_that_names_no_tool_stays_text() -> None:
    text = f'Config is {FENCE}json\n{{"command": "x"}}\n{FENCE} and {{"a": 1}}.'
    assert parse_text_tool_calls(text, tool_names=TOOLS) == (text, [])


def test_a_fenced_call_inside_a_final_answer_is_not_run() -> None:
    text = (
        "<final_answer>\nCommand: cat log\nSummary: it printed "
        f'{FENCE}json\n{{"name": "run_in_terminal", "arguments": {{"command": "rm -rf x"}}}}\n'
        f"{FENCE}\n</final_answer>"
    )
    reply = normalize_reply(ModelReply(content=text), tool_names=TOOLS)
    assert reply.tool_calls == []


def test_normalize_keeps_native_calls_and_strips_think() -> None:
    native = _call({"command": "ls"})
    reply = normalize_reply(
        ModelReply(content="<think>x</think>ok", tool_calls=[native]), tool_names=TOOLS
    )
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
