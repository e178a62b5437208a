"""Generation throughput of the loop against the raw engine, and prefix-cache reuse across turns,
with the real model on the CPU (Qwen2.5-Coder-1.5B-Instruct through llama.cpp).

One run, one server:

1. a task runs through the real loop (service, openai backend, Docker sandbox) once to warm the
   engine's prefix cache; every model turn's messages are recorded;
2. the same task runs again through the loop (measured), then the recorded turns are replayed
   to the engine directly over HTTP with the same request body (measured), twice each,
   alternating, so both see the same warm cache and the same machine load;
3. throughput = completion tokens / seconds waiting for the reply, summed over the turns; the
   ratio loop / raw must be at least 0.85 (target);
4. prefix-cache reuse: on the first (cold) run, the share of each later turn's prompt tokens the
   engine took from its cache (llama.cpp's ``timings.cache_n``); target at least 0.5, since each
   turn only appends the last reply and one observation.

Usage::

    python benchmarks/realmodel_throughput.py [--project examples/python-failing-tests]

Exits non-zero on a miss. Needs Docker, the sandbox image and ``xllamacpp`` (the ``local``
extra); the model is fetched and verified on first use (about 2 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from terminus_mcp.localmodel.llamacpp import LlamaCppServer, ServerOptions
from terminus_mcp.localmodel.weights import ensure_weights
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolSpec
from terminus_mcp.models.openai_backend import OpenAIBackend, _wire_message
from terminus_mcp.service import TaskRequest, TerminusService
from terminus_mcp.settings import Settings

RATIO_TARGET = 0.85
REUSE_TARGET = 0.5
QUERY = "Run the tests with `python3 -m pytest -q` and report which tests fail and why."


@dataclass
class Turn:
    """One model request as the loop sent it, and what it cost."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    max_tokens: int
    require_call: bool
    seconds: float
    completion_tokens: int
    prompt_tokens: int
    cached_tokens: int | None


@dataclass
class RecordingBackend:
    """The openai backend, timing each request and keeping its wire messages."""

    inner: OpenAIBackend
    turns: list[Turn] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def uses_model(self) -> bool:
        return True

    @property
    def context_window(self) -> int:
        return self.inner.context_window

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        temperature: float,
        max_tokens: int,
        require_call: bool = False,
    ) -> ModelReply:
        started = time.perf_counter()
        reply = await self.inner.complete(
            messages,
            tools,
            temperature=temperature,
            max_tokens=max_tokens,
            require_call=require_call,
        )
        self.turns.append(
            Turn(
                messages=[_wire_message(m) for m in messages],
                tools=[t.openai_schema() for t in tools],
                max_tokens=max_tokens,
                require_call=require_call,
                seconds=time.perf_counter() - started,
                completion_tokens=reply.completion_tokens,
                prompt_tokens=reply.prompt_tokens,
                cached_tokens=reply.cached_prompt_tokens,
            )
        )
        return reply

    async def aclose(self) -> None:
        await self.inner.aclose()


async def run_task(settings: Settings, project: Path, root: Path) -> list[Turn]:
    """The task once through the loop; returns its recorded turns."""
    workspace = Path(tempfile.mkdtemp(dir=root))
    shutil.copytree(project, workspace, dirs_exist_ok=True)
    if os.geteuid() == 0:
        for folder, _, files in os.walk(workspace):
            os.chown(folder, 1000, 1000)
            for name in files:
                os.chown(os.path.join(folder, name), 1000, 1000)
    backend = RecordingBackend(OpenAIBackend(settings))
    async with TerminusService(settings, backend=backend) as service:
        result = await service.run_task(TaskRequest(query=QUERY, workdir=workspace))
    print(
        f"  loop run: {result.status.value}, {result.turns} turns, {len(result.commands)} "
        f"commands, {sum(t.completion_tokens for t in backend.turns)} tokens generated"
        + (f"; error: {result.error}" if result.error else ""),
        flush=True,
    )
    return backend.turns


def replay(base_url: str, model: str, turns: Sequence[Turn]) -> list[Turn]:
    """The recorded requests, sent to the engine directly; returns what each cost."""
    replayed = []
    for turn in turns:
        body = {
            "model": model,
            "messages": turn.messages,
            "tools": turn.tools,
            "temperature": 0.0,
            "max_tokens": turn.max_tokens,
            "parallel_tool_calls": False,
        }
        if turn.require_call:
            body["tool_choice"] = "required"
        request = urllib.request.Request(
            base_url + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=900) as response:
            answer = json.load(response)
        seconds = time.perf_counter() - started
        usage = answer.get("usage", {})
        replayed.append(
            Turn(
                messages=turn.messages,
                tools=turn.tools,
                max_tokens=turn.max_tokens,
                require_call=turn.require_call,
                seconds=seconds,
                completion_tokens=int(usage.get("completion_tokens", 0)),
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                cached_tokens=answer.get("timings", {}).get("cache_n"),
            )
        )
    return replayed


def rate(turns: Sequence[Turn]) -> float:
    seconds = sum(t.seconds for t in turns)
    return sum(t.completion_tokens for t in turns) / seconds if seconds else 0.0


def reuse(turns: Sequence[Turn]) -> float | None:
    """Cached / prompt tokens over every turn after the first."""
    later = [t for t in turns[1:] if t.cached_tokens is not None]
    prompt = sum(t.prompt_tokens for t in later)
    return sum(t.cached_tokens or 0 for t in later) / prompt if prompt else None


def _work_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="terminus-bench-")).resolve()
    root.chmod(0o777)
    return root


async def main(project: Path, rounds: int) -> int:
    gguf = await anyio.to_thread.run_sync(ensure_weights)
    root = await anyio.to_thread.run_sync(_work_root)
    with LlamaCppServer(ServerOptions(gguf=gguf)) as server:
        settings = Settings(
            backend="openai",
            base_url=server.base_url,
            model=server.model,
            allowed_roots=[root],
            state_dir=root / ".state",
            sandbox_user="1000:1000",
            request_timeout_s=900,
            request_retries=0,
            max_reply_tokens=768,
        )
        print(f"llama.cpp {server.base_url}, {server.options.threads} threads; cold run:")
        cold = await run_task(settings, project, root)
        loop_turns: list[Turn] = []
        raw_turns: list[Turn] = []
        for index in range(rounds):
            print(f"round {index + 1}/{rounds}:", flush=True)
            measured = await run_task(settings, project, root)
            loop_turns += measured
            raw = await anyio.to_thread.run_sync(replay, server.base_url, server.model, measured)
            raw_turns += raw
            print(f"  raw replay: {rate(raw):.2f} tok/s; loop {rate(measured):.2f} tok/s")
    shutil.rmtree(root, ignore_errors=True)
    loop_rate, raw_rate = rate(loop_turns), rate(raw_turns)
    ratio = loop_rate / raw_rate if raw_rate else 0.0
    cache_share = reuse(cold)
    print(
        f"generation, loop  {loop_rate:6.2f} tok/s over {len(loop_turns)} turns "
        f"({sum(t.completion_tokens for t in loop_turns)} tokens)"
    )
    print(
        f"generation, raw   {raw_rate:6.2f} tok/s over {len(raw_turns)} turns "
        f"({sum(t.completion_tokens for t in raw_turns)} tokens)"
    )
    print(f"loop / raw        {ratio:6.2f}   (target >= {RATIO_TARGET})")
    per_turn = ", ".join(f"{t.cached_tokens}/{t.prompt_tokens}" for t in cold)
    shown = "n/a" if cache_share is None else f"{cache_share:.2f}"
    print(f"prefix-cache reuse, cold run, turns after the first: {shown} (target >= "
          f"{REUSE_TARGET}); cached/prompt per turn: {per_turn}")  # fmt: skip
    ok = ratio >= RATIO_TARGET and cache_share is not None and cache_share >= REUSE_TARGET
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "examples" / "python-failing-tests",
        help="the project the task runs on",
    )
    parser.add_argument("--rounds", type=int, default=2, help="measured loop/raw pairs")
    args = parser.parse_args()
    sys.exit(anyio.run(main, args.project.resolve(), args.rounds))
