"""Checking a ``run_in_terminal`` call before it runs: the command, the timeout (read as
seconds when it is small, clamped to the maximum), and a correction for each problem."""

from __future__ import annotations

import pytest

from terminus_mcp.agent.calls import CallProblem, CommandCall, check_call
from terminus_mcp.models.base import ToolCall

LIMITS = {"default_timeout_s": 120.0, "max_timeout_s": 900.0}


def _call(arguments: dict[str, object] | None, name: str = "run_in_terminal") -> ToolCall:
    return ToolCall(id="c1", name=name, arguments=arguments)


def test_check_call_accepts_a_well_formed_call() -> None:
    checked = check_call(_call({"command": " make test ", "timeout": 120000}), **LIMITS)
    assert checked == CommandCall(command="make test", timeout_s=120.0, notes=[])
    assert checked.timeout_ms == 120_000


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
    assert checked.timeout_s == expected_ms / 1000  # converted once, for the sandbox
    assert bool(checked.notes) == noted


def test_the_clamp_is_told_to_the_model_in_its_unit() -> None:
    checked = check_call(_call({"command": "ls", "timeout": 5_000_000}), **LIMITS)
    assert isinstance(checked, CommandCall)
    assert checked.notes == ["timeout 5000000 ms was lowered to the maximum, 900000 ms"]


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (_call({"command": "ls"}, name="bash"), "the only tool is run_in_terminal"),
        (_call({"command": ""}), '"command" must be a non-empty string'),
        (_call({"cmd": "ls"}), '"command" must be a non-empty string'),
        (_call({"command": "ls", "timeout": -5}), '"timeout" must be a positive integer'),
        (_call({"command": "ls", "timeout": True}), '"timeout" must be a positive integer'),
        (_call({"command": "ls", "timeout": "inf"}), '"timeout" must be a positive integer'),
        (_call({"command": "ls", "timeout": "nan"}), '"timeout" must be a positive integer'),
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
