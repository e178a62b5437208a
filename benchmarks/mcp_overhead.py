"""MCP overhead of a trivial task: stdio and streamable HTTP against the Python API, same run.

Direct mode (no model), one warm named session, the command ``true``. The target is at most
5 ms added at the median. Usage::

    python benchmarks/mcp_overhead.py [--runs 30] [--warmup 3] [--short]

``--short`` is the quick form CI runs (15 runs after 2 warm-up). Exits 1 when a transport
misses the target.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import httpx2
from mcp import Client, StdioServerParameters

from terminus_mcp.service import TaskRequest, TerminusService
from terminus_mcp.settings import Settings

QUERY = "$ true"
SESSION = "bench"
TARGET_MS = 5.0


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMINUS_")}
    env.update(
        {
            "TERMINUS_BACKEND": "direct",
            "TERMINUS_ALLOWED_ROOTS": str(root),
            "TERMINUS_STATE_DIR": str(root / ".state"),
            "TERMINUS_LOG_LEVEL": "warning",
            "XDG_CONFIG_HOME": str(root / ".config"),
        }
    )
    return env


async def _timed(call: Callable[[], Awaitable[object]], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def bench_api(root: Path, runs: int, warmup: int) -> list[float]:
    settings = Settings(
        backend="direct", allowed_roots=[root], state_dir=root / ".state", log_level="warning"
    )
    request = TaskRequest(query=QUERY, workdir=root, session_id=SESSION)
    async with TerminusService(settings) as service:

        async def call() -> None:
            result = await service.run_task(request)
            assert result.status == "completed", result

        return await _timed(call, runs, warmup)


async def bench_client(client: Client, runs: int, warmup: int) -> list[float]:
    async def call() -> None:
        result = await client.call_tool(
            "run_terminal_task", {"query": QUERY, "session_id": SESSION}
        )
        assert not result.is_error, result

    return await _timed(call, runs, warmup)


async def bench_stdio(root: Path, runs: int, warmup: int) -> list[float]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "terminus_mcp", "serve"], env=_env(root), cwd=str(root)
    )
    async with Client(params) as client:
        return await bench_client(client, runs, warmup)


async def bench_http(root: Path, runs: int, warmup: int) -> list[float]:
    port = _free_port()
    proc = await anyio.open_process(
        [sys.executable, "-m", "terminus_mcp", "serve", "--transport", "http", "--port", str(port)],
        cwd=root,
        env=_env(root),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                async with httpx2.AsyncClient() as http:
                    if (await http.get(base + "/healthz", timeout=1)).status_code == 200:
                        break
            except httpx2.HTTPError:
                await anyio.sleep(0.2)
        async with Client(base + "/mcp") as client:
            return await bench_client(client, runs, warmup)
    finally:
        proc.terminate()
        with anyio.fail_after(60):
            await proc.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _report(name: str, samples: list[float], baseline: float) -> bool:
    """Print one transport's line; True when it meets the target."""
    median = statistics.median(samples)
    added = median - baseline
    verdict = "ok" if added <= TARGET_MS else f"over the {TARGET_MS:.0f} ms target"
    print(
        f"{name:<12} median {median:8.2f} ms  p90 {sorted(samples)[int(len(samples) * 0.9)]:8.2f}"
        f" ms  added {added:+7.2f} ms  ratio {median / baseline:5.2f}x  ({verdict})"
    )
    return added <= TARGET_MS


async def main(runs: int, warmup: int) -> bool:
    """Measure and print; True when both transports meet the target."""
    with tempfile.TemporaryDirectory(prefix="terminus-bench-") as tmp:
        root = Path(tmp)
        api = await bench_api(root, runs, warmup)
        stdio = await bench_stdio(root, runs, warmup)
        http = await bench_http(root, runs, warmup)
    baseline = statistics.median(api)
    print(
        f"trivial task ({QUERY!r}), direct mode, warm session, {runs} runs after {warmup} warm-up"
    )
    print(f"{'python api':<12} median {baseline:8.2f} ms  (baseline)")
    met = [_report("stdio", stdio, baseline), _report("http", http, baseline)]
    print("PASS" if all(met) else f"MISS: a transport adds more than {TARGET_MS:g} ms")
    return all(met)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--short", action="store_true", help="the quick form CI runs")
    args = parser.parse_args()
    if args.short:
        args.runs, args.warmup = 15, 2
    sys.exit(0 if anyio.run(main, args.runs, args.warmup) else 1)
