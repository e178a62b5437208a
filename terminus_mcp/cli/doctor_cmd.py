"""``terminus-mcp doctor``: is the sandbox ready and as hardened as configured?"""

from __future__ import annotations

import argparse
from pathlib import Path

import anyio

from terminus_mcp.cli.common import settings_from_args
from terminus_mcp.doctor import Check, run_checks


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "doctor",
        help="check Docker, the runtime, the image and the sandbox limits",
        description="Exit status 0 only when every check passes.",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="project folder to check the sandbox can write (default: the current folder)",
    )
    parser.set_defaults(handler=_doctor)


def render(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        lines.append(f"[{mark}] {check.name}: {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"       fix: {check.fix}")
    return "\n".join(lines)


def _doctor(args: argparse.Namespace) -> int:
    checks = anyio.run(run_checks, settings_from_args(args), args.workdir)
    print(render(checks))
    ok = all(c.ok for c in checks)
    print("all good" if ok else "some checks failed")
    return 0 if ok else 1
