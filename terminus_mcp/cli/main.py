"""Entry point of the ``terminus-mcp`` command: builds the parser and dispatches.

Each command module exposes ``register(subparsers)``, which adds its parser and sets
``handler`` (a function taking the parsed namespace and returning an exit status).
Errors of the :class:`~terminus_mcp.errors.TerminusError` tree print as one actionable
message on stderr with exit status 2; nothing prints a traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from terminus_mcp import __version__
from terminus_mcp.errors import TerminusError

Handler = Callable[[argparse.Namespace], int]


def _command_modules() -> list[ModuleType]:
    # Imported here, not at module level: importing the CLI must do no work, and each command
    # module imports its heavy dependencies (docker, mcp, vllm) only when it runs.
    from terminus_mcp.cli import (
        config_cmd,
        doctor_cmd,
        env_cmd,
        eval_cmd,
        exec_cmd,
        install_cmd,
        run_cmd,
        sandbox_cmd,
        serve_cmd,
        serve_model_cmd,
    )

    return [
        run_cmd,
        serve_cmd,
        exec_cmd,
        doctor_cmd,
        sandbox_cmd,
        env_cmd,
        serve_model_cmd,
        eval_cmd,
        install_cmd,
        config_cmd,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="terminus-mcp",
        description=(
            "Delegate builds, test runs and error diagnosis to a small model running in a "
            "hardened container, and get back a compact summary. Serve it to any MCP client "
            "with `terminus-mcp serve`."
        ),
    )
    parser.add_argument("--version", action="version", version=f"terminus-mcp {__version__}")
    parser.add_argument("--config", metavar="FILE", help="TOML settings file")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except TerminusError as exc:
        if args.debug:
            raise
        print(f"terminus-mcp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("terminus-mcp: interrupted", file=sys.stderr)
        return 130
