"""Round trip of a trivial command: local subprocess vs ``docker exec`` vs a warm sandbox session.

Measured in one run on one machine, so the ratios are fair:

(a) ``bash -c true`` as a local subprocess (``subprocess.run``);
(b) ``docker exec`` into the same container, through the Docker SDK (``exec_run``, which is
    the same API round trips as the ``docker exec`` CLI without the CLI's own start-up);
(c) ``true`` in a warm sandbox session (the persistent shell, host side included);
plus cold session creation (container create + start + shells).

Targets: (c) at most 3 ms above (a), and at least 5x faster than (b). Exits 1 on a miss.

    .venv/bin/python benchmarks/sandbox_roundtrip.py [--runs 200] [--short]

``--short`` is the quick form CI runs (60 runs, 2 cold starts).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import anyio

from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.settings import load_settings


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_sync(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


async def main(runs: int, cold_runs: int) -> bool:
    """Measure and print; True when both targets are met."""
    with tempfile.TemporaryDirectory(prefix="terminus-bench-") as tmp:
        os.chmod(tmp, 0o777)
        settings = load_settings({"allowed_roots": [tmp]})
        async with SandboxManager(settings) as sandboxes:
            cold = []
            for _ in range(cold_runs):
                start = time.perf_counter()
                session = await sandboxes.create(SessionSpec(workdir=Path(tmp)))
                cold.append(time.perf_counter() - start)
                await sandboxes.close(session.id)
            session = await sandboxes.create(SessionSpec(workdir=Path(tmp)))
            container = sandboxes.client.containers.get(session.container_id)

            for _ in range(10):  # warm-up
                await session.run("true", timeout_s=10)
                subprocess.run(["bash", "-c", "true"], check=True)  # noqa: ASYNC221 - measured
            local = time_sync(lambda: subprocess.run(["bash", "-c", "true"], check=True), runs)
            dexec = time_sync(lambda: container.exec_run(["true"]), max(runs // 4, 20))
            warm = []
            for _ in range(runs):
                start = time.perf_counter()
                result = await session.run("true", timeout_s=10)
                warm.append(time.perf_counter() - start)
                assert result.exit_code == 0

    a, b, c = median_ms(local), median_ms(dexec), median_ms(warm)
    print(f"{'path':42} {'median ms':>10} {'p90 ms':>9}")
    for name, samples in (
        ("(a) local subprocess `bash -c true`", local),
        ("(b) docker exec (SDK exec_run)", dexec),
        ("(c) warm sandbox session `true`", warm),
        ("cold session creation", cold),
    ):
        p90 = statistics.quantiles(samples, n=10)[-1] * 1000 if len(samples) > 2 else 0.0
        print(f"{name:42} {median_ms(samples):10.3f} {p90:9.3f}")
    print()
    print(f"warm session - local subprocess: {c - a:+.3f} ms  (target <= +3 ms)")
    print(f"docker exec / warm session:      {b / c:.1f}x    (target >= 5x)")
    met = c - a <= 3 and b / c >= 5
    print("PASS" if met else "MISS: a target above is not met")
    return met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--short", action="store_true", help="the quick form CI runs")
    options = parser.parse_args()
    if options.short:
        options.runs, options.cold_runs = 60, 2
    sys.exit(0 if anyio.run(main, options.runs, options.cold_runs) else 1)
