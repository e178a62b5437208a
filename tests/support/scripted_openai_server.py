"""A scripted OpenAI-compatible chat server on 127.0.0.1, for tests of anything that talks to an
endpoint: the only test double at the model boundary (no model can run here fast enough to be
scripted). It speaks real HTTP, so the ``openai`` SDK, its retries and its error classes run as
they do against vLLM.

Each chat completion request takes the next step of the script: a reply (text and/or tool
calls), an HTTP error, a delay before a reply, or a raw (garbled) body. Requests are recorded
for assertions. Like vLLM, a request for a model it does not serve gets 404 "The model `x`
does not exist.".

    with ScriptedOpenAIServer([tool_call("ls", 30000), text("<final_answer>...")]) as server:
        settings = ...(base_url=server.base_url, model=server.model)
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

SERVED_MODEL = "scripted-model"


@dataclass(frozen=True)
class Reply:
    """A successful completion: text content and/or tool calls (name, raw argument string)."""

    content: str | None = None
    tool_calls: Sequence[tuple[str, str]] = ()
    finish_reason: str = "stop"


@dataclass(frozen=True)
class HttpError:
    """An error response, as OpenAI-compatible servers send them."""

    status: int
    message: str = "scripted failure"


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before answering with ``then`` (a slow server)."""

    seconds: float
    then: Reply = field(default_factory=lambda: Reply(content="late"))


@dataclass(frozen=True)
class RawBody:
    """A body sent as is with status 200 and a JSON content type (a garbled endpoint)."""

    body: bytes


Step = Reply | HttpError | Delay | RawBody


def text(content: str) -> Reply:
    return Reply(content=content)


def tool_call(command: str, timeout: Any = 30000, **extra: Any) -> Reply:
    """One native ``run_in_terminal`` call."""
    arguments = {"command": command, "timeout": timeout, **extra}
    return Reply(
        tool_calls=[("run_in_terminal", json.dumps(arguments))], finish_reason="tool_calls"
    )


def tool_calls(*commands: str) -> Reply:
    """Several native calls in one reply (parallel calls)."""
    return Reply(
        tool_calls=[
            ("run_in_terminal", json.dumps({"command": c, "timeout": 30000})) for c in commands
        ],
        finish_reason="tool_calls",
    )


class ScriptedOpenAIServer:
    """The server; use as a context manager (it runs in a background thread)."""

    def __init__(
        self,
        script: Sequence[Step],
        *,
        model: str = SERVED_MODEL,
        reject_parallel_tool_calls: bool = False,
        reject_tool_choice: bool = False,
    ) -> None:
        self.model = model
        self.reject_parallel_tool_calls = reject_parallel_tool_calls
        self.reject_tool_choice = reject_tool_choice
        self._script = list(script)
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        """JSON bodies of the chat completion requests, in order (rejected ones included)."""
        self.headers: list[dict[str, str]] = []
        """HTTP headers of those requests, in the same order (names in lower case)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def __enter__(self) -> ScriptedOpenAIServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            if not self._script:
                return HttpError(400, "scripted server: the script has no more steps")
            return self._script.pop(0)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                self._send_bytes(status, json.dumps(payload).encode())

            def _send_bytes(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # The client may have given up (its timeout): nothing to answer then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def _error(self, status: int, message: str) -> None:
                self._send(status, {"error": {"message": message, "type": "error", "code": status}})

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(
                        200,
                        {
                            "object": "list",
                            "data": [
                                {"id": server.model, "object": "model", "owned_by": "scripted"}
                            ],
                        },
                    )
                else:
                    self._error(404, f"no route {self.path}")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._error(404, f"no route {self.path}")
                    return
                with server._lock:
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if body.get("model") != server.model:
                    with server._lock:
                        server.requests.append(body)
                    self._error(404, f"The model `{body.get('model')}` does not exist.")
                    return
                if server.reject_parallel_tool_calls and "parallel_tool_calls" in body:
                    with server._lock:
                        server.requests.append(body)
                    self._error(400, "Unrecognized request argument: parallel_tool_calls")
                    return
                if server.reject_tool_choice and "tool_choice" in body:
                    with server._lock:
                        server.requests.append(body)
                    self._error(400, "tool_choice 'required' is not supported by this server")
                    return
                step = server._next(body)
                if isinstance(step, Delay):
                    time.sleep(step.seconds)
                    step = step.then
                if isinstance(step, HttpError):
                    self._error(step.status, step.message)
                    return
                if isinstance(step, RawBody):
                    self._send_bytes(200, step.body)
                    return
                self._send(200, _completion(body, step))

        return Handler


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": "call_" + uuid.uuid4().hex[:12],
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
            for name, arguments in reply.tool_calls
        ]
    prompt_chars = len(json.dumps(body.get("messages", [])))
    completion_chars = len(reply.content or "") + sum(len(a) for _, a in reply.tool_calls)
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:12],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        "usage": {
            "prompt_tokens": prompt_chars // 4,
            "completion_tokens": completion_chars // 4,
            "total_tokens": (prompt_chars + completion_chars) // 4,
        },
    }
