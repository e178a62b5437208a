"""An optional judge: any OpenAI-compatible model grades each answer on five axes, 1 to 5.

The axes are the paper's: task completion, factual accuracy, informativeness, relevance and
actionability. The rubric the judge reads is ``terminus_mcp/eval/rubric.md``. The judge sees the
query, the raw output of the task's baseline commands (as a terminal tool shows it, cut to fit
its context) and the answer; it must reply with one JSON object. A reply that cannot be read is
answered with a correction and retried; when all attempts fail, the row records why, and the
run goes on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import openai
from pydantic import ValidationError

from terminus_mcp.errors import EndpointUnavailable, ModelNotFound
from terminus_mcp.eval.results import JudgeScores, TaskRow
from terminus_mcp.eval.scoring import terminal_view
from terminus_mcp.eval.suite import TaskSpec

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_CHARS = 24_000
"""Characters of raw output shown to the judge, over all commands (the last ones of each)."""
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def rubric() -> str:
    """The rubric text the judge is given as its system prompt."""
    return (resources.files("terminus_mcp.eval") / "rubric.md").read_text(encoding="utf-8")


class JudgeReplyError(ValueError):
    """A judge reply that holds no valid grades."""


def parse_scores(text: str) -> JudgeScores:
    """Read the grades from a judge reply: the outermost JSON object in it (code fences and
    surrounding prose are tolerated).

    Raises:
        JudgeReplyError: no JSON object, or one without five integer grades from 1 to 5.
    """
    found = _JSON_OBJECT.search(text)
    if found is None:
        raise JudgeReplyError("the reply holds no JSON object")
    try:
        data = json.loads(found.group(0))
    except json.JSONDecodeError as exc:
        raise JudgeReplyError(f"the JSON object is malformed ({exc.msg})") from None
    if not isinstance(data, dict):
        raise JudgeReplyError("the reply's JSON is not an object")
    try:
        return JudgeScores.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'object'}: {e['msg']}" for e in exc.errors()
        )
        raise JudgeReplyError(problems) from None


def _output_excerpt(commands: Sequence[str], outputs: Sequence[str], budget: int) -> str:
    share = max(1000, budget // max(1, len(outputs)))
    parts = []
    for command, output in zip(commands, outputs, strict=False):
        parts.append(f"$ {command}\n{terminal_view(output, share)}")
    return "\n\n".join(parts)


class Judge:
    """Grades answers with a model behind an OpenAI-compatible endpoint.

    Use :meth:`start` (or ``async with``) before grading: it checks the endpoint and picks the
    model (the endpoint's first one when none is named).
    """

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        attempts: int = 3,
        timeout_s: float = 120.0,
        output_chars: int = DEFAULT_OUTPUT_CHARS,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.attempts = max(1, attempts)
        self.output_chars = output_chars
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=2
        )

    async def __aenter__(self) -> Judge:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Check the endpoint and settle the model name.

        Raises:
            EndpointUnavailable: the endpoint does not answer.
            ModelNotFound: it does not serve the named model, or serves none.
        """
        try:
            listed = [m.id async for m in self._client.models.list()]
        except openai.APIError as exc:
            raise EndpointUnavailable(
                f"the judge endpoint {self.base_url} does not answer",
                why=str(exc),
                fix="start the judge model's server, or correct --judge-url (it ends in /v1)",
            ) from None
        if self.model is None:
            if not listed:
                raise ModelNotFound(
                    f"the judge endpoint {self.base_url} serves no model",
                    fix="load a model there, or name one with --judge-model",
                )
            self.model = listed[0]
        elif listed and self.model not in listed:
            raise ModelNotFound(
                f"the judge endpoint does not serve {self.model!r}",
                why="it serves: " + ", ".join(listed),
                fix="pass one of those names to --judge-model",
            )

    async def aclose(self) -> None:
        await self._client.close()

    def messages(self, task: TaskSpec, answer: str, outputs: Sequence[str]) -> list[dict[str, Any]]:
        """The conversation that asks for one grade."""
        excerpt = _output_excerpt(task.baseline_commands, outputs, self.output_chars)
        user = (
            f"## Delegated query\n{task.query}\n\n"
            f"## Raw output of the commands the task needs\n{excerpt}\n\n"
            f"## The subagent's answer\n{answer or '(empty)'}\n\n"
            "Grade the answer. Reply with the JSON object only."
        )
        return [{"role": "system", "content": rubric()}, {"role": "user", "content": user}]

    async def grade(self, task: TaskSpec, answer: str, outputs: Sequence[str]) -> JudgeScores:
        """Grades of one answer.

        Raises:
            JudgeReplyError: no attempt produced readable grades (the message has the last
                reply's problem and its start).
            openai.APIError: the endpoint failed (after the client's own retries).
        """
        messages = self.messages(task, answer, outputs)
        problem = ""
        for attempt in range(1, self.attempts + 1):
            reply = await self._client.chat.completions.create(
                model=self.model or "",
                messages=messages,  # type: ignore[arg-type]
                temperature=0.0,
                max_tokens=400,
            )
            text = reply.choices[0].message.content or "" if reply.choices else ""
            try:
                return parse_scores(text)
            except JudgeReplyError as exc:
                problem = f"{exc}; reply began: {text[:200]!r}"
                logger.info("judge reply %d for %s unreadable: %s", attempt, task.name, problem)
                messages = [
                    *messages,
                    {"role": "assistant", "content": text},
                    {
                        "role": "user",
                        "content": f"That reply could not be read: {exc}. Reply with only the "
                        "JSON object, with integer grades from 1 to 5 for completion, accuracy, "
                        "informativeness, relevance and actionability, and a rationale string.",
                    },
                ]
        raise JudgeReplyError(f"no readable grades after {self.attempts} attempts: {problem}")

    async def grade_row(self, task: TaskSpec, row: TaskRow, outputs: Sequence[str]) -> TaskRow:
        """``row`` with the judge's grades, or with ``judge_error`` saying why there are none."""
        try:
            scores = await self.grade(task, row.answer, outputs)
        except (JudgeReplyError, openai.APIError) as exc:
            return row.model_copy(update={"judge_error": str(exc)})
        return row.model_copy(update={"judge": scores})
