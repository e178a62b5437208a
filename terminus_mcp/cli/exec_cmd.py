"""``terminus-mcp exec``: run one command in a fresh sandbox and exit with its status."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import anyio

from terminus_mcp.cli.common import add_setting_flag, settings_from_args
from terminus_mcp.sandbox.api import ExecResult, SessionEvent, SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import resolve_workdir
from terminus_mcp.settings import Settings, clamp_command_timeout

EXIT_TIMEOUT = 124
"""Like coreutils ``timeout``."""
EXIT_SANDBOX_EVENT = 125
"""The command was killed (output flood) or the shell died without a status."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "exec",
        help="run one command in a fresh sandbox",
        description=(
            "Run CMD in a fresh hardened sandbox with DIR mounted at /workspace, print its "
            "output as it comes, and exit with its exit status (124 on timeout). A single "
            "CMD argument is a shell command line; several are quoted and joined."
        ),
    )
    parser.add_argument("--workdir", default=".", metavar="DIR", help="folder to mount")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="command timeout")
    add_setting_flag(
        parser,
        "network",
        "--network",
        nargs="?",
        const="open",
        choices=["none", "allowlist", "open"],
    )
    add_setting_flag(parser, "allow_hosts", metavar="HOST,...")
    add_setting_flag(parser, "read_only_workspace", "--read-only", action="store_true")
    add_setting_flag(parser, "sandbox_image", "--image", metavar="IMAGE")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD", help="the command")
    parser.set_defaults(handler=_exec)


def command_text(argv: list[str]) -> str:
    """The shell command line for ``exec``'s trailing arguments."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    return argv[0] if len(argv) == 1 else shlex.join(argv)


def exit_status(result: ExecResult) -> int:
    if result.timed_out:
        return EXIT_TIMEOUT
    if result.exit_code is None:
        return EXIT_SANDBOX_EVENT
    return result.exit_code


def _exec(args: argparse.Namespace) -> int:
    command = command_text(list(args.cmd))
    if not command.strip():
        print("terminus-mcp exec: give a command after --", file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    return anyio.run(_run, settings, Path(args.workdir), command, args.timeout)


async def _run(settings: Settings, workdir: Path, command: str, timeout_s: float | None) -> int:
    out = sys.stdout.buffer

    def stream(chunk: bytes) -> None:
        out.write(chunk)
        out.flush()

    allowed = resolve_workdir(workdir, settings.allowed_roots)
    async with SandboxManager(settings) as sandboxes:
        session = await sandboxes.create(SessionSpec(workdir=allowed))
        result = await session.run(
            command,
            timeout_s=clamp_command_timeout(
                timeout_s,
                default_s=settings.default_command_timeout_s,
                max_s=settings.max_command_timeout_s,
            ),
            on_output=stream,
        )
    if result.dropped_bytes:
        print(f"terminus-mcp: {result.dropped_bytes} bytes of output not kept", file=sys.stderr)
    if result.timed_out:
        print(f"terminus-mcp: timed out after {result.duration_s:.1f} s", file=sys.stderr)
    shell_exit = result.event is SessionEvent.SHELL_EXITED and result.exit_code is not None
    if result.event is not SessionEvent.NONE and not shell_exit:
        print(f"terminus-mcp: {result.event.value}: {result.detail}", file=sys.stderr)
    return exit_status(result)
