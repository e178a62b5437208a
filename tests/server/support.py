"""Helpers of the server tests: settings for direct mode, server subprocesses, container checks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import httpx2

from terminus_mcp.settings import Settings

OWNER_PID_LABEL = "org.terminus-mcp.pid"
REPO = Path(__file__).resolve().parents[2]


def direct_settings(root: Path, **overrides: object) -> Settings:
    """Direct mode (no model, real sandboxes) confined to ``root``."""
    values: dict[str, object] = {
        "backend": "direct",
        "allowed_roots": [root],
        "state_dir": root / ".state",
        "log_level": "warning",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def server_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment for a ``terminus-mcp serve`` subprocess in direct mode confined to ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMINUS_")}
    env.update(
        {
            "TERMINUS_BACKEND": "direct",
            "TERMINUS_ALLOWED_ROOTS": str(root),
            "TERMINUS_STATE_DIR": str(root / ".state"),
            "TERMINUS_LOG_LEVEL": "info",
            "XDG_CONFIG_HOME": str(root / ".config"),
        }
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def containers_of(pid: int) -> list[str]:
    """Ids of the sandbox containers (running or not) owned by process ``pid``."""
    client = docker.from_env()
    try:
        found = client.containers.list(all=True, filters={"label": f"{OWNER_PID_LABEL}={pid}"})
        return [c.id for c in found]
    finally:
        client.close()


@contextmanager
def http_server(root: Path, transport: str, *, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``terminus-mcp serve`` over SSE or HTTP on a free loopback port; yield its base URL.

    On exit, SIGTERM the server, wait for it, and check it left no container behind.
    """
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "terminus_mcp",
            "serve",
            "--transport",
            transport,
            "--port",
            str(port),
        ],
        cwd=root,
        env=env or server_env(root),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}"  # type: ignore[union-attr]
                )
            try:
                if httpx2.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("server did not answer /healthz within 30 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("server did not stop within 30 s of SIGTERM") from None
        leftovers = containers_of(proc.pid)
        assert leftovers == [], f"server left containers behind: {leftovers}"
