"""A sandbox session that masks secret values in everything its commands return.

Tasks handed ``task_pass_env`` variables run through it, so the values do not reach the
model, the transcript or the answer verbatim. It cannot stop a command that prints a secret
transformed (base64, reversed): hand tasks only the secrets they need.
"""

from __future__ import annotations

from terminus_mcp.environments.secrets import Redactor
from terminus_mcp.sandbox.api import ExecResult, OutputCallback, Session


class RedactingSession:
    """Wraps a :class:`~terminus_mcp.sandbox.api.Session`; same contract."""

    def __init__(self, inner: Session, redact: Redactor) -> None:
        self._inner = inner
        self._redact = redact

    @property
    def id(self) -> str:
        return self._inner.id

    async def run(
        self,
        command: str,
        *,
        timeout_s: float,
        on_output: OutputCallback | None = None,
    ) -> ExecResult:
        """Run ``command``; its output (streamed chunks and the result) comes back masked."""
        redact = self._redact

        def masked(chunk: bytes) -> None:
            assert on_output is not None
            text = chunk.decode("utf-8", errors="replace")
            on_output(redact(text).encode("utf-8"))

        result = await self._inner.run(
            command, timeout_s=timeout_s, on_output=masked if on_output else None
        )
        return result.model_copy(
            update={"output": redact(result.output), "detail": redact(result.detail)}
        )

    async def close(self) -> None:
        await self._inner.close()
