"""Helpers of the adversarial checks: settings, loopback listeners, a reactive model endpoint,
server processes that can be SIGKILLed, and per-process resource figures.

Traffic goes to loopback only: every listener binds 127.0.0.1 or ::1.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import docker
import httpx2
from server.support import containers_of, free_port, server_env
from support.scripted_openai_server import SERVED_MODEL, Reply, _completion

REPO = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "terminus_mcp", "serve"]


def sandbox_processes(ps_output: str) -> list[str]:
    """Command lines from ``ps -eo pid=,args=`` output (other lines skipped)."""
    rows = [line.split(None, 1) for line in ps_output.strip().splitlines()]
    return [row[1] for row in rows if len(row) == 2 and row[0].isdigit()]


PS_COMMAND = "ps -eo pid=,args= | grep -v -e 'ps -eo' -e grep"
BASELINE_PROCESSES = ("/sbin/docker-init", "sleep infinity", "bash --noprofile", "/bin/sh")


def only_baseline(ps_output: str) -> bool:
    """Only init, the keep-alive and the two shells are left in the container."""
    return all(a.startswith(BASELINE_PROCESSES) for a in sandbox_processes(ps_output))


# --- loopback listeners ---------------------------------------------------------------------


@dataclass
class LoopbackListener:
    """A TCP and a UDP listener on one loopback address; counts what reaches them."""

    host: str
    tcp_hits: int = 0
    udp_hits: int = 0
    port: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _socks: list[socket.socket] = field(default_factory=list)

    def __enter__(self) -> LoopbackListener:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.bind((self.host, 0))
        tcp.listen()
        tcp.settimeout(0.2)
        self.port = tcp.getsockname()[1]
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((self.host, self.port))
        udp.settimeout(0.2)
        self._socks = [tcp, udp]

        def accept() -> None:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    conn, _ = tcp.accept()
                    self.tcp_hits += 1
                    conn.close()

        def receive() -> None:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    udp.recvfrom(65536)
                    self.udp_hits += 1

        self._threads = [threading.Thread(target=f, daemon=True) for f in (accept, receive)]
        for thread in self._threads:
            thread.start()
        return self

    def probe_from_host(self) -> None:
        """Reach the listener from the host, proving it was up and counting."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        socket.create_connection((self.host, self.port), 3).close()
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"host", (self.host, self.port))
        time.sleep(0.5)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        for sock in self._socks:
            sock.close()


# --- a model endpoint that answers from the request ---------------------------------------

Responder = Callable[[dict[str, Any]], "Reply | bytes | tuple[int, bytes]"]


class ReactiveOpenAIServer:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 whose answer is computed from each
    request by ``respond`` (so concurrent tasks each get their own conversation). ``respond``
    returns a :class:`Reply`, raw body bytes (sent with status 200), or ``(status, body)``."""

    def __init__(self, respond: Responder, *, model: str = SERVED_MODEL) -> None:
        self.model = model
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                body = json.dumps({"object": "list", "data": [{"id": model, "object": "model"}]})
                self._send(200, body.encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests += 1
                answer = respond(body)
                if isinstance(answer, Reply):
                    self._send(200, json.dumps(_completion(body, answer)).encode())
                elif isinstance(answer, tuple):
                    self._send(*answer)
                else:
                    self._send(200, answer)

            def _send(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ReactiveOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def tool_outputs(body: dict[str, Any]) -> list[str]:
    """The tool messages' contents in a chat completion request."""
    return [str(m.get("content") or "") for m in body.get("messages", []) if m["role"] == "tool"]


def user_query(body: dict[str, Any]) -> str:
    users = [str(m.get("content") or "") for m in body.get("messages", []) if m["role"] == "user"]
    return users[0] if users else ""


# --- server processes -----------------------------------------------------------------------


class ServerProcess:
    """``terminus-mcp serve --transport http`` on a free loopback port."""

    def __init__(self, root: Path, env: dict[str, str], *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._stderr = open(root / f"server-{self.port}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*SERVE, "--transport", "http", "--port", str(self.port)],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        self.log_path = root / f"server-{self.port}.log"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_healthy(self, timeout_s: float = 60) -> float:
        """Seconds until ``/healthz`` answered."""
        started = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.proc.returncode}: {self.log_tail()}"
                )
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise AssertionError(f"server did not answer /healthz in {timeout_s} s")
            time.sleep(0.2)

    def log_tail(self) -> str:
        return self.log_path.read_bytes()[-3000:].decode(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not stop within 30 s (then fail)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop within 30 s of SIGTERM") from None
        self._stderr.close()


@contextlib.contextmanager
def http_server_process(root: Path, **env_extra: str) -> Iterator[ServerProcess]:
    """A direct-mode HTTP server confined to ``root``; stopped and checked for leftovers."""
    server = ServerProcess(root, server_env(root, **env_extra))
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()
        leftovers = containers_of(server.pid)
        assert leftovers == [], f"server left containers behind: {leftovers}"


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessFigures:
    rss_mib: float
    fds: int
    threads: int


def process_figures(pid: int) -> ProcessFigures:
    """Resident memory, open file descriptors and threads of a live process (Linux /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_kib = int(fields["VmRSS"].split()[0])
    return ProcessFigures(
        rss_mib=rss_kib / 1024,
        fds=len(os.listdir(f"/proc/{pid}/fd")),
        threads=int(fields["Threads"]),
    )


def owned_containers(client: docker.DockerClient, pid: int) -> list[str]:
    return containers_of(pid)


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.2) -> float:
    """Seconds until ``predicate()`` held; raises AssertionError after ``timeout_s``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(interval_s)
    return time.monotonic() - started
