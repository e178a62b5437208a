"""What the model sees of a command's output."""

from __future__ import annotations

from terminus_mcp.agent.observation import clean_output, keep_tail, observe, read_observation
from terminus_mcp.sandbox.api import ExecResult, SessionEvent


def test_ansi_and_osc_sequences_are_removed() -> None:
    text = "\x1b[31mred\x1b[0m \x1b]0;title\x07plain \x1b]633;A\x1b\\end"
    assert clean_output(text) == "red plain end"


def test_carriage_return_redraws_keep_the_final_state() -> None:
    text = "progress 10%\rprogress 55%\rprogress 100%\ndone\r\n"
    assert clean_output(text) == "progress 100%\ndone\n"


def test_a_shorter_redraw_overwrites_only_its_columns() -> None:
    assert clean_output("abcdef\rXY") == "XYcdef"


def test_keep_tail_keeps_the_end_from_a_line_start_with_a_counting_marker() -> None:
    text = "".join(f"line {i:03d}\n" for i in range(100))  # 9 chars a line, 900 in all
    kept = keep_tail(text, 95)
    # The last 95 characters start mid-line; the cut moves to the next line start.
    assert kept == "[... 810 characters cut ...]\n" + text[-90:]
    assert kept.endswith("line 099\n")
    assert keep_tail("short", 95) == "short"


def test_observation_reports_exit_code_duration_and_output() -> None:
    result = ExecResult(command="ls", exit_code=2, output="\x1b[1mboom\x1b[0m\n", duration_s=1.25)
    observation = observe(result, timeout_ms=30000, limit=1000)
    assert observation.text == "Exit code: 2\nDuration: 1.2 s\nOutput:\nboom"
    assert observation.output_chars == 4
    back = read_observation(observation.text)
    assert back is not None
    assert (back.exit_code, back.output, back.timed_out) == (2, "boom", False)


def test_timed_out_observation_says_so_and_reads_back() -> None:
    result = ExecResult(
        command="sleep 9",
        exit_code=None,
        output="",
        duration_s=1.0,
        timed_out=True,
        event=SessionEvent.OOM_KILLED,
    )
    text = observe(result, timeout_ms=1000, limit=1000).text
    assert text.startswith("Exit code: none (timed out after 1000 ms; the command was killed)")
    assert "out-of-memory" in text
    assert text.endswith("Output:\n(no output)")
    back = read_observation(text)
    assert back is not None
    assert (back.exit_code, back.timed_out, back.timeout_ms, back.output) == (
        None,
        True,
        1000,
        "",
    )
    assert read_observation("Your call was not run") is None
