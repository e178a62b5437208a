"""Loop detection and the malformed-reply budget."""

from __future__ import annotations

from terminus_mcp.agent.guards import FormatBudget, LoopDetector


def _run(detector: LoopDetector, commands: list[str]) -> list[str | None]:
    notes = []
    for command in commands:
        note = detector.check(command)
        notes.append(note)
        if note is None:
            detector.record(command)
    return notes


def test_third_identical_command_in_a_row_is_a_loop() -> None:
    notes = _run(LoopDetector(), ["make", "make", "make"])
    assert notes[:2] == [None, None]
    assert notes[2] is not None
    assert "3 times in a row" in notes[2]


def test_whitespace_differences_do_not_hide_a_repeat() -> None:
    assert _run(LoopDetector(), ["make  test", "make test", " make test"])[2] is not None


def test_alternating_pair_is_a_loop_on_the_fourth_command() -> None:
    notes = _run(LoopDetector(), ["a", "b", "a", "b"])
    assert notes[:3] == [None, None, None]
    assert notes[3] is not None
    assert "alternating between `a` and `b`" in notes[3]


def test_varied_commands_are_not_loops() -> None:
    assert _run(LoopDetector(), ["a", "b", "c", "a", "b", "a", "a"]) == [None] * 7


def test_format_budget_allows_retries_then_stops_and_resets() -> None:
    budget = FormatBudget(retries=2)
    assert budget.spend()
    assert budget.spend()
    assert not budget.spend()
    budget.reset()
    assert budget.spend()
