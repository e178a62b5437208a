"""llama.cpp's OpenAI-compatible server for a GGUF model, in a child process on 127.0.0.1.

The server is the prebuilt ``xllamacpp`` wheel (llama.cpp b7376; no compiler needed), pinned to
0.2.7: its "Hermes 2 Pro" chat format turns the fenced JSON calls small Qwen models write into
native ``tool_calls``, which newer builds leave in the text. The model's own chat template (from
the GGUF) is used as is (``use_jinja``).

:class:`LlamaCppServer` starts ``python -m terminus_mcp.localmodel serve ...`` in its own process
group, waits until ``/v1/models`` lists the model, and stops it on exit. The child watches its
stdin: when the parent closes it, or dies, the child exits at once, so a crashed test run never
leaves a 2 GB server behind. (llama.cpp's own signal handlers stop its HTTP loop but not the
process, hence the pipe.) The child's log goes to a file, quoted in any start-up error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from pydantic import BaseModel, ConfigDict, Field

from terminus_mcp.errors import ConfigError, EndpointUnavailable

log = logging.getLogger(__name__)

XLLAMACPP_REQUIREMENT = "xllamacpp==0.2.7"
DEFAULT_ALIAS = "qwen2.5-coder-1.5b-instruct"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 15.0


class ServerOptions(BaseModel):
    """How llama.cpp serves the model."""

    model_config = ConfigDict(frozen=True)

    gguf: Path
    alias: str = DEFAULT_ALIAS
    """The model name clients send (``--model``)."""
    host: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535)
    """0: a free port on ``host``, chosen at start."""
    context: int = Field(32768, ge=512)
    threads: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)
    parallel: int = Field(1, ge=1)
    """Slots (requests decoded at once). One slot keeps every turn on one warm prefix cache."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def serve_forever(options: ServerOptions, *, stop_on_stdin_eof: bool = True) -> None:
    """Run the server in this process until stdin closes (or forever). The child's entry point.

    Raises:
        ConfigError: xllamacpp is not installed, or the GGUF file is missing.
    """
    try:
        import xllamacpp
    except ImportError as exc:
        raise ConfigError(
            "serving a GGUF model needs llama.cpp's Python wheel, which is not installed",
            why=str(exc),
            fix=f"pip install '{XLLAMACPP_REQUIREMENT}' (or pip install 'terminus-mcp[local]')",
        ) from exc
    if not options.gguf.is_file():
        raise ConfigError(
            f"no model file at {options.gguf}", fix="python -m terminus_mcp.localmodel fetch"
        )
    params = xllamacpp.CommonParams()
    params.model.path = str(options.gguf)
    params.model_alias = options.alias
    params.hostname = options.host
    params.port = options.port
    params.n_ctx = options.context
    params.n_parallel = options.parallel
    # Without a unified KV cache, llama.cpp silently turns one slot into four.
    params.kv_unified = True
    params.use_jinja = True
    params.offline = True
    params.webui = False
    params.endpoint_metrics = True
    params.cpuparams.n_threads = options.threads
    params.cpuparams_batch.n_threads = options.threads
    _server = xllamacpp.Server(params)  # serves on its own threads while referenced
    sys.stderr.write(
        f"llama.cpp serving {options.alias} at http://{options.host}:{options.port}/v1\n"
    )
    sys.stderr.flush()
    if stop_on_stdin_eof:
        sys.stdin.buffer.read()  # returns when the parent closes the pipe or dies
    else:
        # llama.cpp's own SIGINT/SIGTERM handlers stop its HTTP loop (and only that): wait
        # until the port closes.
        while _listening(options.host, options.port):
            time.sleep(0.5)
    os._exit(0)  # llama.cpp's worker threads do not stop on their own


def _listening(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, port)) == 0


class LlamaCppServer:
    """A llama.cpp server in a child process; use as a (sync) context manager.

    with LlamaCppServer(ServerOptions(gguf=path)) as server:
        settings = ...(base_url=server.base_url, model=server.model)
    """

    def __init__(self, options: ServerOptions, *, log_path: Path | None = None) -> None:
        port = options.port or free_port(options.host)
        self.options = options.model_copy(update={"port": port})
        self.log_path = log_path or Path(
            tempfile.mkstemp(prefix="terminus-llamacpp-", suffix=".log")[1]
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.options.host}:{self.options.port}/v1"

    @property
    def model(self) -> str:
        return self.options.alias

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the child and wait until it serves the model.

        Raises:
            EndpointUnavailable: the child exited, or did not serve within ``timeout_s`` (the
                message quotes the end of its log).
        """
        opts = self.options
        argv = [
            sys.executable, "-m", "terminus_mcp.localmodel", "serve",
            "--gguf", str(opts.gguf), "--alias", opts.alias, "--host", opts.host,
            "--port", str(opts.port), "--context", str(opts.context),
            "--threads", str(opts.threads), "--parallel", str(opts.parallel),
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._failed(f"it exited with code {self._process.returncode}")
            if self.model in self._served_models():
                log.info("llama.cpp serves %s at %s (pid %s)", self.model, self.base_url, self.pid)
                return
            time.sleep(0.25)
        self._failed(f"it did not serve {self.model} within {timeout_s:.0f} s")

    def _served_models(self) -> list[str]:
        try:
            with urllib.request.urlopen(self.base_url + "/models", timeout=2) as response:
                body: Any = json.load(response)
        except (OSError, ValueError):
            return []
        return [str(entry.get("id")) for entry in body.get("data", [])]

    def _failed(self, why: str) -> None:
        tail = self.log_tail()
        self.stop()
        raise EndpointUnavailable(
            "the llama.cpp server did not start",
            why=f"{why}; its log ({self.log_path}) ends with: {tail}",
            fix="check the model file and free memory (about 2.5 GB), and that "
            f"{XLLAMACPP_REQUIREMENT} is installed",
        )

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:].strip()
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Close the child's stdin (it exits), then kill its group if it lingers. Idempotent."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
