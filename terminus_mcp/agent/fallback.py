"""An answer when the model gave none, and the notes that follow any answer.

When the loop ends without a ``<final_answer>`` (turn cap, malformed replies, a loop, a dead
endpoint, cancellation), the main agent still gets the same format, written from what ran:
each command with its exit code and a digest of its output. A note after the block says why the
model's own answer is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from terminus_mcp.agent.command_summary import command_summary
from terminus_mcp.models.tokens import proxy_counter
from terminus_mcp.sandbox.api import ExecResult

PROBE_MARK = ": terminus-mcp workspace probe;"
"""How a command that only looks at the workspace for the direct mode starts (``:`` is the
shell's no-op). Such a probe is not a step of the task: its output is left out of
``raw_output_tokens`` and out of answers built from the runs."""


@dataclass(frozen=True)
class CommandRun:
    """A command the loop ran, with the timeout it ran under."""

    command: str
    timeout_ms: int
    result: ExecResult

    @property
    def is_probe(self) -> bool:
        """Whether this is the direct mode's look at the workspace (see :data:`PROBE_MARK`)."""
        return self.command.startswith(PROBE_MARK)


def summarize_runs(runs: Sequence[CommandRun]) -> list[str]:
    """``Command:`` / ``Summary:`` lines for each run, as the direct mode writes them (the
    digest, or a small output itself)."""
    count = proxy_counter().count
    lines: list[str] = []
    for run in runs:
        if run.is_probe:
            continue
        lines.append(f"Command: {run.command}")
        summary = command_summary(
            run.result.output,
            run.result.exit_code,
            timed_out=run.result.timed_out,
            timeout_ms=run.timeout_ms,
            is_test=False,
            count=count,
        )
        lines.append("Summary: " + "\n".join(summary))
    return lines


def fallback_answer(runs: Sequence[CommandRun], reason: str) -> str:
    """A ``<final_answer>`` block built from the runs, then a note giving ``reason``."""
    body = summarize_runs(runs) or ["No command was run."]
    block = "\n".join(["<final_answer>", *body, "</final_answer>"])
    return f"{block}\nNote: {reason.rstrip('.')}; this answer was built from the commands' output."


def command_notes(runs: Sequence[CommandRun]) -> list[str]:
    """Notes for commands that timed out or waited for input, one line each."""
    notes = []
    for run in runs:
        if run.result.timed_out:
            notes.append(
                f"Note: the command `{run.command}` timed out after {run.timeout_ms} ms "
                "and was killed."
            )
        elif run.result.waiting_for_input:
            notes.append(
                f"Note: the command `{run.command}` waited for input; stdin is closed, so it "
                "got end-of-file. Rerun it non-interactively (for example with -y or --yes)."
            )
    return notes


def with_notes(answer: str, notes: Sequence[str]) -> str:
    """The answer with notes appended after it, each on its own line."""
    return "\n".join([answer, *notes]) if notes else answer
