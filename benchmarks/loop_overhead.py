"""Loop overhead per turn, model time excluded, beside the bare sandbox round trip.

The scripted backend plays ``--turns`` calls of ``true`` on a warm session; the loop's time per
turn is the gap between one command's end and the next command's start, minus the time spent in
the model call in between: parsing the reply, checking the call, formatting the observation,
fitting the context, recording, events. Target: at most 10 ms at the median. The bare round
trip (``session.run("true")`` alone) is measured in the same run. Usage::

    python benchmarks/loop_overhead.py [--tasks 5] [--turns 20] [--output-kb 0] [--short]

``--output-kb N`` makes each command print N KiB, to see the cost of larger observations.
``--short`` is the quick form CI runs (2 tasks x 10 turns). Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from terminus_mcp.agent.loop import LoopConfig, run_loop
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolSpec
from terminus_mcp.models.scripted import ScriptedBackend
from terminus_mcp.models.tokens import subagent_counter
from terminus_mcp.sandbox.api import ExecResult, OutputCallback, Session, SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.settings import DEFAULT_MODEL, Settings

TARGET_MS = 10.0


class TimedSession:
    """A session that records when each command starts and ends."""

    def __init__(self, inner: Session) -> None:
        self.inner = inner
        self.spans: list[tuple[float, float]] = []

    @property
    def id(self) -> str:
        return self.inner.id

    async def run(
        self, command: str, *, timeout_s: float, on_output: OutputCallback | None = None
    ) -> ExecResult:
        start = time.perf_counter()
        result = await self.inner.run(command, timeout_s=timeout_s, on_output=on_output)
        self.spans.append((start, time.perf_counter()))
        return result

    async def close(self) -> None:
        await self.inner.close()


class TimedBackend(ScriptedBackend):
    """The scripted backend, recording when each model call starts and ends, and counting
    tokens with the offline Qwen vocabulary as the openai backend does."""

    def __init__(self, replies: Sequence[ModelReply | str]) -> None:
        super().__init__(replies)
        self.spans: list[tuple[float, float]] = []
        self._counter = subagent_counter(DEFAULT_MODEL)

    def count_tokens(self, text: str) -> int:
        return self._counter.count(text)

    async def complete(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], **kwargs: Any
    ) -> ModelReply:
        start = time.perf_counter()
        reply = await super().complete(messages, tools, **kwargs)
        self.spans.append((start, time.perf_counter()))
        return reply


def _gaps_ms(session: TimedSession, backend: TimedBackend) -> list[float]:
    """Per turn: time between a command's end and the next command's start, model excluded."""
    gaps = []
    for (_, end), (start, _) in zip(session.spans, session.spans[1:], strict=False):
        model = sum(b - a for a, b in backend.spans if end <= a and b <= start)
        gaps.append((start - end - model) * 1000)
    return gaps


async def main(root: Path, tasks: int, turns: int, output_kb: int) -> bool:
    """Measure and print; True when the overhead meets the target."""
    settings = Settings(allowed_roots=[root], state_dir=root / ".state", sandbox_user="1000:1000")
    command = "true" if not output_kb else f"head -c {output_kb * 1024} /dev/zero | tr '\\0' 'x'"
    config = LoopConfig(max_turns=turns + 1)
    async with SandboxManager(settings) as sandboxes:
        session = await sandboxes.create(SessionSpec(workdir=root))
        for _ in range(5):
            await session.run(command, timeout_s=30)
        bare = []
        for _ in range(turns * tasks):
            start = time.perf_counter()
            await session.run(command, timeout_s=30)
            bare.append((time.perf_counter() - start) * 1000)
        gaps: list[float] = []
        for _ in range(tasks):
            timed = TimedSession(session)
            backend = TimedBackend(
                [ScriptedBackend.call(f"{command} # {i}") for i in range(turns)]
                + ["<final_answer>\nCommand: true\nSummary: ok\n</final_answer>"]
            )
            await run_loop("benchmark", session=timed, backend=backend, config=config)
            gaps += _gaps_ms(timed, backend)
    overhead = statistics.median(gaps)
    round_trip = statistics.median(bare)
    print(f"command: {command!r}; {tasks} tasks x {turns} turns, warm session")
    print(f"bare sandbox round trip   median {round_trip:7.2f} ms")
    print(
        f"loop overhead per turn    median {overhead:7.2f} ms   (p90 "
        f"{statistics.quantiles(gaps, n=10)[-1]:.2f} ms; target <= {TARGET_MS:g} ms)"
    )
    print(f"overhead / round trip     {overhead / round_trip:7.2f}x")
    met = overhead <= TARGET_MS
    print(
        "PASS" if met else f"MISS: {overhead:.2f} ms per turn is over the {TARGET_MS:g} ms target"
    )
    return met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--output-kb", type=int, default=0)
    parser.add_argument("--short", action="store_true", help="the quick form CI runs")
    args = parser.parse_args()
    if args.short:
        args.tasks, args.turns = 2, 10
    workspace = Path(tempfile.mkdtemp(prefix="terminus-bench-")).resolve()
    workspace.chmod(0o777)
    sys.exit(0 if anyio.run(main, workspace, args.tasks, args.turns, args.output_kb) else 1)
