"""Produce the measured figures of README.md and docs/results.md, each with its command.

    .venv/bin/python scripts/figures.py                 # run everything, rewrite the docs
    .venv/bin/python scripts/figures.py --only eval     # the two eval suites only
    .venv/bin/python scripts/figures.py --from DIR      # re-render from a previous run's outputs

Every source is a command run from the repository root: the eval suites in direct mode
(``terminus-mcp eval ... --json``) and the benchmarks in ``benchmarks/``. Their raw outputs are
kept in ``--out`` (default ``figures-out/``); the figures are then written between the markers
``<!-- figures:NAME -->`` and ``<!-- /figures:NAME -->`` in README.md and docs/results.md,
each block naming the command that produced it, the machine and the date. A command that fails
stops the script (exit 1) before any document is touched.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from terminus_mcp.eval.gates import LARGE_BASELINE_TOKENS, check_gates  # noqa: E402
from terminus_mcp.eval.results import EvalReport  # noqa: E402


@dataclass(frozen=True)
class Source:
    """One command whose output some figures come from."""

    name: str
    group: str
    argv: list[str]
    timeout_s: float

    @property
    def shown(self) -> str:
        """The command as a reader would type it."""
        words = ["terminus-mcp" if w.endswith("bin/terminus-mcp") else w for w in self.argv]
        words = [".venv/bin/python" if w == sys.executable else w for w in words]
        return shlex.join(words)


def _sources() -> list[Source]:
    cli = str(ROOT / ".venv" / "bin" / "terminus-mcp")
    py = sys.executable
    return [
        Source(
            "eval-builtin",
            "eval",
            [cli, "eval", "--suite", "builtin", "--backend", "direct", "--json"],
            1800,
        ),
        Source(
            "eval-realworld",
            "eval",
            [cli, "eval", "--suite", "realworld", "--backend", "direct", "--json"],
            3600,
        ),
        Source("bench-sandbox", "bench", [py, "benchmarks/sandbox_roundtrip.py"], 900),
        Source("bench-loop", "bench", [py, "benchmarks/loop_overhead.py"], 900),
        Source("bench-mcp", "bench", [py, "benchmarks/mcp_overhead.py"], 900),
    ]


def run_sources(sources: list[Source], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "machine.json").write_text(json.dumps(_machine(), indent=2) + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for source in sources:
        sys.stderr.write(f"running: {source.shown}\n")
        done = subprocess.run(
            source.argv,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=source.timeout_s,
            check=False,
        )
        (out / f"{source.name}.out").write_text(done.stdout)
        (out / f"{source.name}.err").write_text(done.stderr)
        if done.returncode != 0:
            raise SystemExit(
                f"`{source.shown}` exited with {done.returncode}; see {out}/{source.name}.err"
            )


def _machine() -> dict[str, str]:
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    docker = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.0f} GiB",
        "os": platform.platform(terse=True),
        "docker": docker or "unknown",
        "image": os.environ.get("TERMINUS_SANDBOX_IMAGE", "terminus-mcp-sandbox:latest"),
        "load": f"{os.getloadavg()[0]:.1f}",
        "date": datetime.date.today().isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _machine_line(machine: dict[str, str]) -> str:
    return (
        f"{machine['cores']} cores, {machine['memory']}, {machine['os']}, Docker "
        f"{machine['docker']}, sandbox image {machine.get('image', '?')}, load average "
        f"{machine.get('load', '?')} at the start, {machine['date']}, commit {machine['commit']}"
    )


def render_eval(source: Source, report: EvalReport, machine: dict[str, str]) -> str:
    gates = check_gates(report)
    lines = [
        f"`{source.shown}` on {_machine_line(machine)}: {report.tasks_done} of "
        f"{len(report.rows)} tasks done, **key-fact recall {_pct(report.overall_recall)}**, "
        f"median answer/baseline **{_pct(report.median_ratio)}** over all tasks and "
        f"**{_pct(gates.large_median_ratio)}** over the {gates.large_tasks} tasks whose "
        f"baseline exceeds {LARGE_BASELINE_TOKENS} tokens, {report.wall_s:.0f} s. "
        + ("CI gates: passed." if gates.passed else f"CI gates: {len(gates.failures)} missed."),
        "",
        "| task | status | recall | answer tok | baseline tok | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in report.rows:
        status = row.status + (" (forbidden)" if row.forbidden_hits else "")
        lines.append(
            f"| {row.name} | {status} | {row.facts_found}/{row.facts_total} | "
            f"{row.answer_tokens} | {row.baseline_tokens} | {_pct(row.ratio)} |"
        )
    if gates.failures:
        lines += ["", "Gates missed:", ""] + [f"- {failure}" for failure in gates.failures]
    return "\n".join(lines)


def render_bench(sources: list[Source], outputs: dict[str, str], machine: dict[str, str]) -> str:
    parts = [f"On {_machine_line(machine)}:"]
    for source in sources:
        parts += ["", f"`{source.shown}`", "", "```text", outputs[source.name].rstrip(), "```"]
    return "\n".join(parts)


def _number(pattern: str, text: str, source: str) -> float:
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"cannot find {pattern!r} in the output of {source}; update figures.py")
    return float(found.group(1))


def render_readme(
    sources: dict[str, Source],
    reports: dict[str, EvalReport],
    outputs: dict[str, str],
    machine: dict[str, str],
) -> str:
    sentences = []
    for name in ("eval-builtin", "eval-realworld"):
        if name in reports:
            report = reports[name]
            gates = check_gates(report)
            sentences.append(
                f"the {report.suite} eval suite in direct mode: key-fact recall "
                f"{_pct(report.overall_recall)}, answers at a median "
                f"{_pct(gates.large_median_ratio)} of the raw output's tokens where it exceeds "
                f"{LARGE_BASELINE_TOKENS} tokens (`{sources[name].shown}`)"
            )
    if "bench-sandbox" in outputs:
        text = outputs["bench-sandbox"]
        warm = _number(r"\(c\) warm sandbox session `true`\s+([\d.]+)", text, "bench-sandbox")
        ratio = _number(r"docker exec / warm session:\s+([\d.]+)x", text, "bench-sandbox")
        sentences.append(
            f"a command in a warm sandbox session round-trips in {warm:.1f} ms, {ratio:.0f}x "
            f"faster than `docker exec` (`{sources['bench-sandbox'].shown}`)"
        )
    if "bench-loop" in outputs:
        loop = _number(r"loop overhead per turn\s+median\s+([\d.]+)", outputs["bench-loop"], "loop")
        sentences.append(f"the loop adds {loop:.2f} ms per turn (`{sources['bench-loop'].shown}`)")
    if "bench-mcp" in outputs:
        text = outputs["bench-mcp"]
        stdio = _number(r"stdio .*?added\s+\+?([-\d.]+) ms", text, "bench-mcp")
        http = _number(r"http .*?added\s+\+?([-\d.]+) ms", text, "bench-mcp")
        own = [
            _number(rf"{name} .*?terminus-mcp\s+\+?([-\d.]+) ms", text, "bench-mcp")
            for name in ("stdio", "http")
        ]
        sentences.append(
            f"MCP adds {stdio:.1f} ms (stdio) to {http:.1f} ms (HTTP) per call, of which "
            f"{min(own):.1f}-{max(own):.1f} ms are terminus-mcp's and the rest the MCP SDK's "
            f"own floor (`{sources['bench-mcp'].shown}`)"
        )
    return (
        f"On {_machine_line(machine)} (produced by `.venv/bin/python scripts/figures.py`; "
        "details in `docs/results.md`): " + "; ".join(sentences) + "."
    )


def replace_block(path: Path, name: str, body: str) -> None:
    text = path.read_text()
    start, end = f"<!-- figures:{name} -->", f"<!-- /figures:{name} -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no {start} ... {end} block; add the markers first")
    path.write_text(pattern.sub(lambda _: f"{start}\n{body}\n{end}", text, count=1))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "figures-out")
    parser.add_argument("--only", choices=["eval", "bench"], help="run only this group")
    parser.add_argument(
        "--from", dest="source_dir", type=Path, help="render from a previous run's outputs"
    )
    args = parser.parse_args(argv)
    sources = [s for s in _sources() if args.only is None or s.group == args.only]
    out = args.source_dir or args.out
    if args.source_dir is None:
        run_sources(sources, out)
    machine = json.loads((out / "machine.json").read_text())
    outputs = {s.name: (out / f"{s.name}.out").read_text() for s in sources}
    reports = {
        s.name: EvalReport.model_validate_json(outputs[s.name])
        for s in sources
        if s.group == "eval"
    }
    by_name = {s.name: s for s in sources}
    results = ROOT / "docs" / "results.md"
    for name, report in reports.items():
        replace_block(results, name, render_eval(by_name[name], report, machine))
    bench = [s for s in sources if s.group == "bench"]
    if bench:
        replace_block(results, "benchmarks", render_bench(bench, outputs, machine))
    if args.only is None:
        replace_block(
            ROOT / "README.md", "measured", render_readme(by_name, reports, outputs, machine)
        )
    sys.stderr.write(f"figures written; raw outputs in {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
