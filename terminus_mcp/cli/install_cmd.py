"""``terminus-mcp install CLIENT``: register the server with an MCP client's config file."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from terminus_mcp.errors import ConfigError
from terminus_mcp.integrations.clients import (
    CLIENT_IDS,
    DEFAULT_HTTP_URL,
    DEFAULT_SERVER_NAME,
    Launch,
    Locations,
    Scope,
    get_client,
)
from terminus_mcp.integrations.installer import InstallRefused, apply_plan, plan_install


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "install",
        help="register terminus-mcp with an MCP client (writes or merges its config file)",
        description=(
            "Write or merge the terminus-mcp entry into a client's MCP configuration. Other "
            "servers are kept, a backup FILE.bak-<timestamp> is made before a file changes, and "
            "a second run changes nothing."
        ),
    )
    parser.add_argument("client", choices=CLIENT_IDS, help="the MCP client")
    parser.add_argument(
        "--scope",
        choices=("user", "project"),
        default=None,
        help="user-wide config, or the project's own (default: project where the client has one)",
    )
    parser.add_argument(
        "--project", metavar="DIR", default=None, help="project folder (default: current folder)"
    )
    parser.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio: the client starts the server; http: it connects to a running `serve`",
    )
    parser.add_argument(
        "--url",
        default=DEFAULT_HTTP_URL,
        help=f"server URL for --transport http ({DEFAULT_HTTP_URL})",
    )
    parser.add_argument(
        "--command",
        dest="server_command",
        default=None,
        help="command the client runs for stdio (default: this terminus-mcp's absolute path)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment for the stdio server, e.g. TERMINUS_BASE_URL=... (repeatable)",
    )
    parser.add_argument("--name", default=DEFAULT_SERVER_NAME, help="server name in the config")
    parser.add_argument(
        "--with-instructions",
        action="store_true",
        help="also add the delegation instructions to CLAUDE.md / AGENTS.md / rules, as fits",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    parser.set_defaults(handler=_install)


def _server_command() -> str:
    """Absolute path of this installation's ``terminus-mcp``: GUI clients start with a bare PATH."""
    beside = Path(sys.executable).parent / "terminus-mcp"
    if beside.is_file():
        return str(beside)
    found = shutil.which("terminus-mcp")
    return str(Path(found).resolve()) if found else "terminus-mcp"


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(
                f"--env {pair!r} is not KEY=VALUE", fix="write it as --env TERMINUS_MODEL=name"
            )
        env[key] = value
    return env


def _install(args: argparse.Namespace) -> int:
    client = get_client(args.client)
    scope: Scope = args.scope or ("project" if "project" in client.config_paths else "user")
    launch = Launch(
        transport=args.transport,
        command=args.server_command or _server_command(),
        url=args.url,
        env=_parse_env(args.env),
    )
    where = Locations(
        home=Path.home(),
        project=Path(args.project or os.getcwd()).resolve(),
        environ=dict(os.environ),
    )
    try:
        plan = plan_install(
            client,
            launch,
            scope=scope,
            where=where,
            name=args.name,
            with_instructions=args.with_instructions,
        )
    except InstallRefused as exc:
        sys.stderr.write(f"terminus-mcp: error: {exc}\n\n{exc.entry_text}")
        return 2
    out = sys.stdout
    for change in plan.changes:
        if not change.changed:
            out.write(f"{change.path}: already up to date ({change.purpose})\n")
        elif args.dry_run:
            out.write(f"{change.path}: would change ({change.purpose})\n{change.diff()}")
    if not args.dry_run:
        for done in apply_plan(plan):
            kept = f" (backup: {done.backup})" if done.backup else " (new file)"
            out.write(f"{done.path}: written{kept}\n")
    for note in plan.notes:
        out.write(f"note: {note}\n")
    return 0
