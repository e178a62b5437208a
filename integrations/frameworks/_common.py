"""What every framework example shares: its command line and how it reaches the server.

Each example connects to `terminus-mcp serve` either by starting it as a stdio subprocess
(the default) or at the URL of a server already running with `--transport http`.
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

DEFAULT_COMMAND = ("terminus-mcp", "serve")
DEFAULT_QUERY = "Run the test suite and report which tests fail and why"


@dataclass(frozen=True)
class Target:
    """Where the example finds the server: a command to start (stdio) or an HTTP URL."""

    command: tuple[str, ...] = DEFAULT_COMMAND
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """The stdio server's environment: this process's, plus ``env``."""
        return {**os.environ, **self.env}


@dataclass(frozen=True)
class Task:
    query: str
    workdir: str


def parse(argv: Sequence[str] | None, description: str) -> tuple[Target, Task]:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("query", nargs="?", default=DEFAULT_QUERY)
    parser.add_argument("--workdir", default=os.getcwd(), help="project folder (default: .)")
    parser.add_argument("--url", help="URL of a running `terminus-mcp serve --transport http`")
    parser.add_argument(
        "--command",
        default=shlex.join(DEFAULT_COMMAND),
        help="command that starts the stdio server (default: terminus-mcp serve)",
    )
    args = parser.parse_args(argv)
    target = Target(command=tuple(shlex.split(args.command)), url=args.url)
    return target, Task(query=args.query, workdir=os.path.abspath(args.workdir))


def text_of(result: object) -> str:
    """The text blocks of an MCP ``CallToolResult`` (or any object with ``content``)."""
    blocks = getattr(result, "content", None)
    if blocks is None:
        return str(result)
    return "\n".join(getattr(block, "text", "") for block in blocks)
