"""The model seam: given the conversation and the one tool, return the model's reply.

Every backend (an OpenAI-compatible endpoint, the in-process vLLM engine, the no-model direct
mode, the scripted test double) implements :class:`ModelBackend`. Replies are typed; tool calls
that could not be parsed keep their raw text and an error, so the loop can ask for a correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from terminus_mcp.models.final_answer import extract_final_answer

Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(BaseModel):
    """One tool call the model asked for."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] | None
    """Parsed arguments; ``None`` when they could not be parsed (see ``error``)."""
    raw: str = ""
    """The raw arguments or markup as the model wrote them."""
    error: str | None = None
    """Why the call could not be parsed, for the correction message."""


class ChatMessage(BaseModel):
    """One message of the subagent's conversation, in OpenAI chat shape."""

    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None


class ToolSpec(BaseModel):
    """A function tool offered to the model (OpenAI ``tools`` entry)."""

    name: str
    description: str
    parameters: dict[str, Any]

    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


class ModelReply(BaseModel):
    """What the model answered on one turn, read once by the backend that received it.

    A backend returns it normalized (:func:`terminus_mcp.models.replies.normalize_reply`):
    reasoning removed, every tool call found (native or written in the text) and parsed, so the
    loop reads it as it is.
    """

    content: str = ""
    """Text of the reply with ``<think>`` blocks and tool-call markup removed (a final answer
    block stays in it, as the model wrote it)."""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """The calls in the order written; one that could not be parsed keeps its raw text and an
    error."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int | None = None
    """Prompt tokens the engine took from its prefix cache; ``None`` when it does not say."""
    finish_reason: str | None = None
    complete: bool = True
    """False when a final answer covers only part of the task (the direct mode lists what it
    could not do under "Not done:"): the task then ends ``incomplete``."""

    @property
    def final_answer(self) -> str | None:
        """The reply's ``<final_answer>`` block, normalized (see
        :func:`terminus_mcp.models.final_answer.extract_final_answer`); ``None`` without one."""
        return extract_final_answer(self.content)


@runtime_checkable
class ModelBackend(Protocol):
    """A source of subagent replies."""

    @property
    def name(self) -> str:
        """Short label for results and logs, for example ``openai:Qwen/Qwen3-4B-Instruct-2507``."""
        ...

    @property
    def uses_model(self) -> bool:
        """False for the direct mode, whose answers are written by rules, not a model."""
        ...

    @property
    def context_window(self) -> int:
        """Tokens of prompt plus reply the backend accepts."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this backend's tokenizer (an estimate where none is at hand)."""
        ...

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        temperature: float,
        max_tokens: int,
        require_call: bool = False,
    ) -> ModelReply:
        """One model turn, its reply read (normalized) by the backend, once. ``tools``: the tools
        offered, which a call written as bare JSON must name. With ``require_call``, the reply
        should be a tool call: backends that can enforce it do (``tool_choice="required"``,
        constrained decoding); the loop refuses a final answer given before any command ran
        either way.

        Raises:
            EndpointUnavailable: the backend cannot answer (after its own retries).
            ModelNotFound: the endpoint does not serve the configured model.
            ModelReplyError: the endpoint's reply cannot be read (not JSON, wrong shapes).
            ModelError: any other failure that ends the turn.
        """
        ...

    async def aclose(self) -> None:
        """Release what the backend holds (engines, connections). Idempotent."""
        ...


@runtime_checkable
class WarmableBackend(Protocol):
    """A backend with an expensive start (an in-process engine) that a server runs up front."""

    async def start(self) -> None:
        """Load the model now rather than on the first request. Idempotent."""
        ...
