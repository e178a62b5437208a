"""``terminus-mcp install CLIENT``: register the server with an MCP client's config file."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

from terminus_mcp.errors import ConfigError
from terminus_mcp.integrations.clients import (
    CLIENT_IDS,
    DEFAULT_HTTP_URL,
    DEFAULT_SERVER_NAME,
    ClientSpec,
    Launch,
    Locations,
    Scope,
    Token,
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
    parser.add_argument(
        "--token-env",
        metavar="VAR",
        default=None,
        help=(
            "for --transport http: send the bearer token held in environment variable VAR "
            "(the server's TERMINUS_AUTH_TOKEN), in the client's own form; Claude Code, Gemini "
            "CLI and Codex read VAR when they connect, other clients get its value written in"
        ),
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


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _token(client: ClientSpec, transport: str, env_var: str | None) -> Token | None:
    """The token for ``--token-env VAR``: the variable, and its value where the client needs it
    written into the file."""
    if env_var is None:
        return None
    if transport != "http":
        raise ConfigError(
            "--token-env applies to HTTP entries only",
            why="a stdio server is started by the client itself and needs no token",
            fix="add --transport http, or drop --token-env",
        )
    if not _ENV_NAME.match(env_var):
        raise ConfigError(
            f"--token-env {env_var!r} is not an environment variable name",
            fix="pass the variable's name, e.g. --token-env TERMINUS_AUTH_TOKEN, not its value",
        )
    value = os.environ.get(env_var)
    if not client.token_from_env and not value:
        raise ConfigError(
            f"{env_var} is not set",
            why=f"{client.title} cannot read a token from the environment, so install writes "
            "the token's value into its config file",
            fix=f"export {env_var}=<the server's token> and run install again",
        )
    return Token(env_var, None if client.token_from_env else value)


def _token_note(client: ClientSpec, token: Token | None, path: str) -> str | None:
    if token is None:
        return None
    if client.token_from_env:
        return (
            f"{client.title} reads the token from {token.env_var} when it connects: set it in "
            "the environment the client starts in"
        )
    return f"the token's value is now written in {path}: keep that file private"


def _install(args: argparse.Namespace) -> int:
    client = get_client(args.client)
    scope: Scope = args.scope or ("project" if "project" in client.config_paths else "user")
    token = _token(client, args.transport, args.token_env)
    launch = Launch(
        transport=args.transport,
        command=args.server_command or _server_command(),
        url=args.url,
        env=_parse_env(args.env),
        token=token,
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
    token_note = _token_note(client, token, str(plan.changes[0].path))
    for note in [*plan.notes, *([token_note] if token_note else [])]:
        out.write(f"note: {note}\n")
    return 0
