"""Any OpenAI-compatible chat endpoint (vLLM, SGLang, Ollama, llama.cpp's server, hosted APIs).

Native tool calls are asked for with parallel calls off, and required (``tool_choice``) on the
turns where the loop needs a command first; servers that reject either parameter are asked
again without it (and not asked again). The reply is read here, once
(:func:`terminus_mcp.models.replies.normalize_reply`): when the server returns no native call,
calls written in the text are parsed instead. A body that cannot be read (not JSON, not UTF-8,
not shaped like a chat completion) is a :class:`~terminus_mcp.errors.ModelReplyError`.
Each request of a task carries the task's session key in the ``session_header`` header (see
:mod:`terminus_mcp.models.session_key`), for routers that keep a session on one replica.
Transient failures (connection errors, timeouts, 429, 5xx) are retried with exponential backoff;
then the endpoint counts as unavailable. A model name the server does not serve is reported
with the names it does serve.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import anyio
import openai
from openai import AsyncOpenAI

from terminus_mcp.errors import EndpointUnavailable, ModelError, ModelNotFound, ModelReplyError
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolCall, ToolSpec
from terminus_mcp.models.replies import normalize_reply, parse_arguments
from terminus_mcp.models.session_key import current_session_key
from terminus_mcp.models.tokens import subagent_counter
from terminus_mcp.settings import Settings

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 8.0


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def _mentions_missing_model(exc: openai.APIStatusError) -> bool:
    text = str(exc).lower()
    return exc.status_code == 404 or (
        "model" in text and ("does not exist" in text or "not found" in text)
    )


def _wire_message(message: ChatMessage) -> dict[str, Any]:
    """A chat message in the OpenAI request shape."""
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments or {})},
            }
            for call in message.tool_calls
        ]
        if not message.content:
            wire["content"] = None
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    if message.name is not None:
        wire["name"] = message.name
    return wire


class OpenAIBackend:
    """The ``openai`` backend: one AsyncOpenAI client for the process."""

    def __init__(self, settings: Settings, *, retry_base_delay_s: float = 0.5) -> None:
        if not settings.base_url:
            from terminus_mcp.errors import ConfigError

            raise ConfigError(
                "the openai backend needs an endpoint URL",
                why="base_url is not set",
                fix="set --base-url or TERMINUS_BASE_URL, for example http://127.0.0.1:8000/v1",
            )
        self._base_url = settings.base_url
        self._model = settings.model
        self._context_window = settings.context_window
        self._retries = settings.request_retries
        self._session_header = settings.session_header
        self._retry_base_delay_s = retry_base_delay_s
        api_key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        self._client = AsyncOpenAI(
            base_url=settings.base_url,
            api_key=api_key,
            timeout=settings.request_timeout_s,
            max_retries=0,  # retried here, with our own error messages
        )
        self._parallel_param = True
        self._tool_choice_param = settings.require_first_call
        self._counter = subagent_counter(settings.model)
        self._closed = False

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

    @property
    def uses_model(self) -> bool:
        return True

    @property
    def context_window(self) -> int:
        return self._context_window

    def count_tokens(self, text: str) -> int:
        return self._counter.count(text)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        temperature: float,
        max_tokens: int,
        require_call: bool = False,
    ) -> ModelReply:
        request: dict[str, Any] = {
            "model": self._model,
            "messages": [_wire_message(m) for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if tools:
            request["tools"] = [tool.openai_schema() for tool in tools]
            if require_call and self._tool_choice_param:
                request["tool_choice"] = "required"
        session = current_session_key()
        if session is not None and self._session_header:
            request["extra_headers"] = {self._session_header: session}
        response = await self._with_retries(request, bool(tools))
        return self._reply(response, {tool.name for tool in tools})

    async def _with_retries(self, request: dict[str, Any], has_tools: bool) -> Any:
        last_error: Exception | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                delay = min(MAX_BACKOFF_S, self._retry_base_delay_s * 2 ** (attempt - 1))
                logger.info("retrying %s in %.1f s (%s)", self._base_url, delay, last_error)
                await anyio.sleep(delay)
            try:
                return await self._create(request, has_tools)
            except openai.APIStatusError as exc:
                if _mentions_missing_model(exc):
                    raise await self._model_not_found(exc) from exc
                if not _is_transient(exc):
                    raise ModelError(
                        f"the endpoint {self._base_url} refused the request",
                        why=f"HTTP {exc.status_code}: {exc.message}",
                        fix="check the model's context length and the server's options",
                    ) from exc
                last_error = exc
            except openai.APIConnectionError as exc:
                last_error = exc
        raise EndpointUnavailable(
            f"the model endpoint {self._base_url} did not answer",
            why=f"{self._retries + 1} attempts failed; last error: {_describe(last_error)}",
            fix=(
                "start the model server (see `terminus-mcp serve-model`), check --base-url, "
                "or use --backend direct to run without a model"
            ),
        )

    async def _create(self, request: dict[str, Any], has_tools: bool) -> Any:
        if "tool_choice" in request:
            try:
                return await self._create_plain(request, has_tools)
            except openai.BadRequestError as exc:
                if "tool_choice" not in str(exc):
                    raise
                logger.info("%s rejects tool_choice=required; sending without it", self._base_url)
                self._tool_choice_param = False
                request = {k: v for k, v in request.items() if k != "tool_choice"}
        return await self._create_plain(request, has_tools)

    async def _create_plain(self, request: dict[str, Any], has_tools: bool) -> Any:
        if has_tools and self._parallel_param:
            try:
                return await self._post(request, parallel_tool_calls=False)
            except openai.BadRequestError as exc:
                if "parallel_tool_calls" not in str(exc):
                    raise
                logger.info("%s rejects parallel_tool_calls; sending without it", self._base_url)
                self._parallel_param = False
        return await self._post(request)

    async def _post(self, request: dict[str, Any], **extra: Any) -> Any:
        """Send one request. The SDK decodes the body as it arrives: a body it cannot decode
        (not UTF-8, not JSON) surfaces as a data error, which is the endpoint's garbled reply."""
        try:
            return await self._client.chat.completions.create(**request, **extra)
        except ValueError as exc:
            raise self._unreadable(exc) from exc

    async def _model_not_found(self, exc: openai.APIStatusError) -> ModelError:
        try:
            listing = await self._client.models.list()
            served = [model.id for model in listing.data]
        except openai.OpenAIError:
            served = []
        if served and self._model in served:
            return ModelError(
                f"the endpoint {self._base_url} answered 404 for model {self._model}",
                why=exc.message,
                fix="check that base_url ends in /v1",
            )
        names = ", ".join(served) if served else "(the server did not list its models)"
        return ModelNotFound(
            f"the endpoint {self._base_url} does not serve the model {self._model!r}",
            why=f"it serves: {names}",
            fix="set --model (TERMINUS_MODEL) to one of the served names",
        )

    def _reply(self, response: Any, tool_names: set[str]) -> ModelReply:
        """The normalized reply of a decoded response.

        Raises:
            ModelReplyError: the response is not shaped like a chat completion.
        """
        try:
            reply = self._read(response)
        except (AttributeError, TypeError, ValueError) as exc:
            raise self._unreadable(exc) from exc
        return normalize_reply(reply, tool_names=tool_names)

    def _unreadable(self, why: Exception | str) -> ModelReplyError:
        if isinstance(why, Exception):
            why = f"{type(why).__name__}: {str(why)[:200]}"
        return ModelReplyError(
            f"the model endpoint {self._base_url} sent a reply that cannot be read",
            why=why,
            fix="check that base_url points at an OpenAI-compatible chat completions server",
        )

    def _read(self, response: Any) -> ModelReply:
        """The response's first choice as a reply, its native calls' arguments decoded."""
        if not response.choices:
            raise self._unreadable("it holds no choices")
        choice = response.choices[0]
        message = choice.message
        calls = []
        for native in message.tool_calls or []:
            function = getattr(native, "function", None)
            if function is None:
                continue
            raw = function.arguments or ""
            arguments, error = parse_arguments(raw)
            calls.append(
                ToolCall(
                    id=native.id or "call_0",
                    name=function.name or "",
                    arguments=arguments,
                    raw=raw,
                    error=error,
                )
            )
        usage = response.usage
        return ModelReply(
            content=message.content or "",
            tool_calls=calls,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cached_prompt_tokens=_cached_tokens(response),
            finish_reason=choice.finish_reason,
        )

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.close()


def _cached_tokens(response: Any) -> int | None:
    """Prompt tokens served from the engine's prefix cache: the OpenAI field
    (``usage.prompt_tokens_details.cached_tokens``, vLLM), else llama.cpp's ``timings.cache_n``."""
    details = getattr(response.usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None)
    if isinstance(cached, int):
        return cached
    timings = (getattr(response, "model_extra", None) or {}).get("timings")
    if isinstance(timings, dict) and isinstance(timings.get("cache_n"), int):
        return int(timings["cache_n"])
    return None


def _describe(error: Exception | None) -> str:
    if error is None:
        return "unknown"
    if isinstance(error, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {error.message}"
    cause = error.__cause__
    return f"{error}" + (f" ({cause})" if cause else "")
