"""The running record of one task: conversation, commands, usage and timings.

The caller creates it and the loop fills it, so whoever stops a task from outside (a cancel, a
deadline) still holds everything that happened and can turn it into a partial result. The
record is also the transcript: :meth:`TaskRecorder.transcript_lines` renders it as JSONL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from terminus_mcp.agent.fallback import CommandRun, command_notes, fallback_answer, with_notes
from terminus_mcp.agent.grounding import GroundingReport
from terminus_mcp.agent.result import (
    CommandRecord,
    LoopStats,
    TaskResult,
    TaskStatus,
    Timings,
    Usage,
)
from terminus_mcp.models.base import ChatMessage
from terminus_mcp.models.tokens import estimate_tokens


class TaskRecorder:
    """Everything one task did so far."""

    def __init__(
        self,
        query: str,
        *,
        transcript_id: str = "",
        session_id: str | None = None,
        backend: str = "",
        model_used: bool = True,
        count_proxy_tokens: Callable[[str], int] | None = None,
    ) -> None:
        self.query = query
        self.transcript_id = transcript_id
        self.session_id = session_id
        self.backend = backend
        self.model_used = model_used
        self._count_proxy = count_proxy_tokens or estimate_tokens
        self.messages: list[ChatMessage] = []
        self.runs: list[CommandRun] = []
        self.output_tokens: list[int | None] = []
        self.turns = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.model_s = 0.0
        self.commands_s = 0.0
        self.stats = LoopStats()
        self.grounding: GroundingReport | None = None
        self.started_at = time.time()
        self._clock_start = time.perf_counter()
        self.result: TaskResult | None = None

    def count_proxy_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the main-agent proxy tokenizer."""
        return self._count_proxy(text)

    def add_message(self, message: ChatMessage) -> None:
        self.messages.append(message)

    def add_run(self, run: CommandRun, output_tokens: int | None = None) -> None:
        """Record a command; its proxy token count may come later (it is counted on demand)."""
        self.runs.append(run)
        self.output_tokens.append(output_tokens)
        self.commands_s += run.result.duration_s

    def _tokens_of_run(self, index: int) -> int:
        count = self.output_tokens[index]
        if count is None:
            count = self._count_proxy(self.runs[index].result.output)
            self.output_tokens[index] = count
        return count

    def finish(self, status: TaskStatus, answer: str, *, error: str | None = None) -> TaskResult:
        """Build the result: ``answer`` plus the notes on timed-out or waiting commands."""
        answer = with_notes(answer, command_notes(self.runs))
        finished = time.time()
        commands = [
            CommandRecord(
                command=run.command,
                exit_code=run.result.exit_code,
                timed_out=run.result.timed_out,
                waiting_for_input=run.result.waiting_for_input,
                duration_s=run.result.duration_s,
                output_chars=len(run.result.output),
                output_tokens=self._tokens_of_run(i),
                event=run.result.event.value,
                probe=run.is_probe,
            )
            for i, run in enumerate(self.runs)
        ]
        self.result = TaskResult(
            status=status,
            answer=answer,
            commands=commands,
            turns=self.turns,
            usage=Usage(
                subagent_prompt_tokens=self.prompt_tokens,
                subagent_completion_tokens=self.completion_tokens,
                raw_output_tokens=sum(c.output_tokens for c in commands if not c.probe),
                answer_tokens=self._count_proxy(answer),
            ),
            backend=self.backend,
            model_used=self.model_used,
            session_id=self.session_id,
            transcript_id=self.transcript_id,
            timings=Timings(
                started_at=self.started_at,
                finished_at=finished,
                total_s=time.perf_counter() - self._clock_start,
                model_s=self.model_s,
                commands_s=self.commands_s,
            ),
            error=error,
            stats=self.stats.model_copy(),
            grounding=self.grounding,
        )
        return self.result

    def finish_without_answer(
        self, status: TaskStatus, reason: str, *, error: str | None = None
    ) -> TaskResult:
        """Finish with an answer built from what ran, and a note saying ``reason``."""
        return self.finish(status, fallback_answer(self.runs, reason), error=error)

    def transcript_lines(self) -> list[str]:
        """The task as JSONL: a header, every message, every command with its raw output, and
        the result."""
        entries: list[dict[str, Any]] = [
            {
                "type": "task",
                "transcript_id": self.transcript_id,
                "query": self.query,
                "backend": self.backend,
                "session_id": self.session_id,
                "started_at": self.started_at,
            },
        ]
        entries += [{"type": "message", **m.model_dump(mode="json")} for m in self.messages]
        entries += [
            {
                "type": "command",
                "index": i,
                "command": run.command,
                "timeout_ms": run.timeout_ms,
                **run.result.model_dump(mode="json"),
            }
            for i, run in enumerate(self.runs)
        ]
        if self.result is not None:
            entries.append({"type": "result", **self.result.model_dump(mode="json")})
        return [json.dumps(entry, ensure_ascii=False) for entry in entries]
