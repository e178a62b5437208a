"""What each MCP client expects: where its config lives, the entry's shape, its timeout knob.

One :class:`ClientSpec` per client, built from facts in each client's documentation (see
``docs/integrations.md``). Nothing here touches the file system: paths are computed from an
explicit :class:`Locations` (home, project, platform, environment) so tests and ``--dry-run``
see exactly what a real install would do.

Timeouts matter because a delegated build can take minutes. The server answers every call within
``wait_seconds`` (45 s by default) with either the result or a task id to poll, so a client only
needs a per-call timeout comfortably above that. Where a client lets the entry set one, the entry
sets it; where the knob lives elsewhere (an environment variable, nothing at all), the spec's
``timeout_note`` says so and ``install`` prints it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Scope = Literal["user", "project"]
TransportKind = Literal["stdio", "http"]
ConfigFormat = Literal["json", "toml"]

DEFAULT_SERVER_NAME = "terminus"
DEFAULT_HTTP_URL = "http://127.0.0.1:8765/mcp"

CLIENT_IDS = (
    "claude-desktop",
    "claude-code",
    "cursor",
    "vscode",
    "windsurf",
    "zed",
    "codex",
    "gemini",
)


@dataclass(frozen=True)
class Token:
    """The bearer token an HTTP entry sends: the environment variable that holds it, and its
    value where the client cannot read variables itself (then the value goes into the file)."""

    env_var: str
    value: str | None = None


@dataclass(frozen=True)
class Launch:
    """How a client starts or reaches the server: a command for stdio, a URL for HTTP."""

    transport: TransportKind
    command: str = "terminus-mcp"
    args: tuple[str, ...] = ("serve",)
    url: str = DEFAULT_HTTP_URL
    env: Mapping[str, str] = field(default_factory=dict)
    token: Token | None = None
    """For HTTP: send ``Authorization: Bearer <token>`` (the server's ``TERMINUS_AUTH_TOKEN``)."""


@dataclass(frozen=True)
class Locations:
    """Where "home" and "project" are, on which platform, with which environment variables."""

    home: Path
    project: Path
    platform: str = sys.platform
    environ: Mapping[str, str] = field(default_factory=dict)

    def config_home(self) -> Path:
        """The per-user configuration folder of this platform (XDG on Linux)."""
        if self.platform == "darwin":
            return self.home / "Library" / "Application Support"
        if self.platform == "win32":
            appdata = self.environ.get("APPDATA")
            return Path(appdata) if appdata else self.home / "AppData" / "Roaming"
        xdg = self.environ.get("XDG_CONFIG_HOME")
        return Path(xdg) if xdg else self.home / ".config"


PathFor = Callable[[Locations], Path]
EntryFor = Callable[[Launch], dict[str, Any]]
TokenFor = Callable[[Token], dict[str, Any]]


@dataclass(frozen=True)
class ClientSpec:
    """One MCP client: its config file per scope, the server map inside it, and entry shapes."""

    id: str
    title: str
    format: ConfigFormat
    servers_key: str
    """Key of the table that maps server names to entries (``mcpServers``, ``servers``...)."""
    config_paths: Mapping[Scope, PathFor]
    stdio_entry: EntryFor
    http_entry: EntryFor
    instruction_paths: Mapping[Scope, PathFor]
    """Where ``--with-instructions`` writes the instruction block, per scope."""
    timeout_note: str
    """What this client's per-call timeout is and how the entry or the user raises it."""
    notes: tuple[str, ...] = ()
    jsonc_allowed: bool = False
    """The client accepts comments in this file (JSONC); such files are never rewritten."""
    token_entry: TokenFor = field(default=lambda token: _literal_header(token))
    """The keys that make an HTTP entry send the bearer token, in this client's own form."""
    token_from_env: bool = False
    """The client reads the token from the environment variable itself when it starts the
    connection; otherwise ``install`` writes the token's value into the file."""

    def entry(self, launch: Launch) -> dict[str, Any]:
        """The server entry this client needs for ``launch``."""
        if launch.transport == "stdio":
            return self.stdio_entry(launch)
        entry = self.http_entry(launch)
        if launch.token is not None:
            entry = merge_keys(entry, self.token_entry(launch.token))
        return entry

    def transport_keys(self, transport: TransportKind) -> frozenset[str]:
        """Every key an entry for ``transport`` can hold (``env`` and token keys included)."""
        if transport == "stdio":
            return frozenset(self.stdio_entry(Launch("stdio", env={"K": "V"})))
        sample = Launch("http", token=Token("TOKEN", "value"))
        return frozenset(self.entry(sample))

    def config_path(self, scope: Scope, where: Locations) -> Path | None:
        """The config file for ``scope``, or None when this client has no such scope."""
        path_for = self.config_paths.get(scope)
        return path_for(where) if path_for else None

    def instruction_path(self, scope: Scope, where: Locations) -> Path | None:
        """The instruction file for ``scope``, or None when the client has none there."""
        path_for = self.instruction_paths.get(scope)
        return path_for(where) if path_for else None


# --- entry shapes ---------------------------------------------------------------------------


def merge_keys(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra``'s keys set; where both hold a map (``env``, ``headers``), the
    two maps are merged, ``extra`` winning."""
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = {**old, **value}
        else:
            merged[key] = value
    return merged


def _literal(token: Token) -> str:
    if token.value is None:
        raise ValueError(f"the token's value is needed ({token.env_var} is not read by the client)")
    return token.value


def _bearer_header(token: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {token}"}}


def _literal_header(token: Token) -> dict[str, Any]:
    return _bearer_header(_literal(token))


def _env_reference_header(token: Token) -> dict[str, Any]:
    # Claude Code and Gemini CLI expand ${VAR} in their config files when they read them.
    return _bearer_header("${" + token.env_var + "}")


def _codex_token(token: Token) -> dict[str, Any]:
    return {"bearer_token_env_var": token.env_var}


def _no_token_keys(token: Token) -> dict[str, Any]:
    return {}  # the entry shape itself carries the token (Claude Desktop's bridge)


def _stdio(launch: Launch, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {**extra, "command": launch.command, "args": list(launch.args)}
    if launch.env:
        entry["env"] = dict(launch.env)
    return entry


def _plain_stdio(launch: Launch) -> dict[str, Any]:
    return _stdio(launch)


def _typed_stdio(launch: Launch) -> dict[str, Any]:
    return _stdio(launch, type="stdio")


def _url(launch: Launch) -> dict[str, Any]:
    return {"url": launch.url}


def _typed_http(launch: Launch) -> dict[str, Any]:
    return {"type": "http", "url": launch.url}


def _claude_desktop_http(launch: Launch) -> dict[str, Any]:
    # Claude Desktop's file declares only local commands; mcp-remote bridges stdio to HTTP.
    entry: dict[str, Any] = {"command": "npx", "args": ["-y", "mcp-remote", launch.url]}
    if launch.token is not None:
        # mcp-remote expands ${VAR} in its arguments from the entry's env (a header value with
        # a space in an argument breaks on some platforms, hence the variable).
        entry["args"] += ["--header", "Authorization:${AUTH_HEADER}"]
        entry["env"] = {"AUTH_HEADER": f"Bearer {_literal(launch.token)}"}
    return entry


def _windsurf_http(launch: Launch) -> dict[str, Any]:
    return {"serverUrl": launch.url}


def _zed_stdio(launch: Launch) -> dict[str, Any]:
    return _stdio(launch, source="custom")


GEMINI_TIMEOUT_MS = 600_000
CODEX_TOOL_TIMEOUT_S = 300
CODEX_STARTUP_TIMEOUT_S = 30


def _gemini_stdio(launch: Launch) -> dict[str, Any]:
    return {**_stdio(launch), "timeout": GEMINI_TIMEOUT_MS}


def _gemini_http(launch: Launch) -> dict[str, Any]:
    return {"httpUrl": launch.url, "timeout": GEMINI_TIMEOUT_MS}


def _codex_timeouts() -> dict[str, Any]:
    return {
        "startup_timeout_sec": CODEX_STARTUP_TIMEOUT_S,
        "tool_timeout_sec": CODEX_TOOL_TIMEOUT_S,
    }


def _codex_stdio(launch: Launch) -> dict[str, Any]:
    return {**_stdio(launch), **_codex_timeouts()}


def _codex_http(launch: Launch) -> dict[str, Any]:
    return {"url": launch.url, **_codex_timeouts()}


# --- paths ----------------------------------------------------------------------------------


def _in_project(*parts: str) -> PathFor:
    return lambda where: where.project.joinpath(*parts)


def _in_home(*parts: str) -> PathFor:
    return lambda where: where.home.joinpath(*parts)


def _in_config_home(*parts: str) -> PathFor:
    return lambda where: where.config_home().joinpath(*parts)


def _zed_user(where: Locations) -> Path:
    if where.platform == "win32":
        return where.config_home() / "Zed" / "settings.json"
    # Zed uses ~/.config/zed on macOS too, not ~/Library.
    xdg = where.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else where.home / ".config") / "zed" / "settings.json"


def _codex_home(where: Locations) -> Path:
    custom = where.environ.get("CODEX_HOME")
    return Path(custom) if custom else where.home / ".codex"


# --- the clients ----------------------------------------------------------------------------

CLIENTS: dict[str, ClientSpec] = {
    spec.id: spec
    for spec in (
        ClientSpec(
            id="claude-desktop",
            title="Claude Desktop",
            token_entry=_no_token_keys,
            format="json",
            servers_key="mcpServers",
            config_paths={"user": _in_config_home("Claude", "claude_desktop_config.json")},
            stdio_entry=_plain_stdio,
            http_entry=_claude_desktop_http,
            instruction_paths={},
            timeout_note=(
                "Claude Desktop ends a tool call after about 60 s and has no setting for it; "
                "terminus-mcp answers within wait_seconds (45 s) with a task id to poll, so keep "
                "TERMINUS_WAIT_SECONDS below 55"
            ),
            notes=(
                "Quit Claude Desktop fully and start it again to load the server.",
                "The HTTP variant goes through the `mcp-remote` bridge (needs Node.js/npx).",
            ),
        ),
        ClientSpec(
            id="claude-code",
            title="Claude Code",
            token_entry=_env_reference_header,
            token_from_env=True,
            format="json",
            servers_key="mcpServers",
            config_paths={"user": _in_home(".claude.json"), "project": _in_project(".mcp.json")},
            stdio_entry=_typed_stdio,
            http_entry=_typed_http,
            instruction_paths={
                "user": _in_home(".claude", "CLAUDE.md"),
                "project": _in_project("CLAUDE.md"),
            },
            timeout_note=(
                "Claude Code's per-call limit is the MCP_TOOL_TIMEOUT environment variable (ms); "
                "its default is far above terminus-mcp's 45 s answer time, so nothing is needed"
            ),
            notes=(
                "User scope edits ~/.claude.json, which Claude Code also writes: close Claude "
                "Code first, or use `claude mcp add --scope user terminus -- terminus-mcp serve`.",
                "Claude Code asks once before it starts servers from a project's .mcp.json.",
            ),
        ),
        ClientSpec(
            id="cursor",
            title="Cursor",
            format="json",
            servers_key="mcpServers",
            config_paths={
                "user": _in_home(".cursor", "mcp.json"),
                "project": _in_project(".cursor", "mcp.json"),
            },
            stdio_entry=_plain_stdio,
            http_entry=_url,
            instruction_paths={"project": _in_project(".cursor", "rules", "terminus.mdc")},
            timeout_note=(
                "Cursor has no per-server timeout setting; terminus-mcp answers within 45 s "
                "with a task id to poll, which stays under Cursor's limit"
            ),
        ),
        ClientSpec(
            id="vscode",
            title="VS Code (GitHub Copilot agent mode)",
            format="json",
            servers_key="servers",
            config_paths={
                "user": _in_config_home("Code", "User", "mcp.json"),
                "project": _in_project(".vscode", "mcp.json"),
            },
            stdio_entry=_typed_stdio,
            http_entry=_typed_http,
            instruction_paths={"project": _in_project(".github", "copilot-instructions.md")},
            timeout_note=(
                "VS Code has no per-server timeout setting; terminus-mcp answers within 45 s "
                "with a task id to poll"
            ),
            notes=("The key in VS Code's mcp.json is `servers`, not `mcpServers`.",),
            jsonc_allowed=True,
        ),
        ClientSpec(
            id="windsurf",
            title="Windsurf",
            format="json",
            servers_key="mcpServers",
            config_paths={"user": _in_home(".codeium", "windsurf", "mcp_config.json")},
            stdio_entry=_plain_stdio,
            http_entry=_windsurf_http,
            instruction_paths={
                "user": _in_home(".codeium", "windsurf", "memories", "global_rules.md"),
                "project": _in_project(".windsurf", "rules", "terminus.md"),
            },
            timeout_note=(
                "Windsurf has no per-server timeout setting; terminus-mcp answers within 45 s "
                "with a task id to poll"
            ),
            notes=("Windsurf's remote servers use `serverUrl`, not `url`.",),
        ),
        ClientSpec(
            id="zed",
            title="Zed",
            format="json",
            servers_key="context_servers",
            config_paths={"user": _zed_user, "project": _in_project(".zed", "settings.json")},
            stdio_entry=_zed_stdio,
            http_entry=_url,
            instruction_paths={"project": _in_project("AGENTS.md")},
            timeout_note=(
                "Zed ends a context-server request after 60 s; terminus-mcp answers within 45 s "
                "with a task id to poll, so keep TERMINUS_WAIT_SECONDS below 55"
            ),
            notes=(
                "Zed supports MCP tools and prompts, not resources; terminus-mcp's tools cover "
                "everything.",
                "Zed's settings.json usually has comments; `install` refuses to rewrite such a "
                "file and prints the entry to paste instead.",
            ),
            jsonc_allowed=True,
        ),
        ClientSpec(
            id="codex",
            title="Codex CLI",
            token_entry=_codex_token,
            token_from_env=True,
            format="toml",
            servers_key="mcp_servers",
            config_paths={
                "user": lambda where: _codex_home(where) / "config.toml",
                "project": _in_project(".codex", "config.toml"),
            },
            stdio_entry=_codex_stdio,
            http_entry=_codex_http,
            instruction_paths={
                "user": lambda where: _codex_home(where) / "AGENTS.md",
                "project": _in_project("AGENTS.md"),
            },
            timeout_note=(
                f"Codex ends a tool call after tool_timeout_sec (default 60 s) and a server start "
                f"after startup_timeout_sec (default 30 s in Codex 0.171); the entry sets "
                f"{CODEX_TOOL_TIMEOUT_S} and {CODEX_STARTUP_TIMEOUT_S}"
            ),
            notes=(
                "Codex reads a project's .codex/config.toml only in a trusted project.",
                "Codex passes a stdio server only a few variables (HOME, PATH, LANG, ...), not "
                "your shell's: `export TERMINUS_BASE_URL=...` has no effect there; put settings "
                "in the entry with `install --env KEY=VALUE`.",
            ),
        ),
        ClientSpec(
            id="gemini",
            title="Gemini CLI",
            token_entry=_env_reference_header,
            token_from_env=True,
            format="json",
            servers_key="mcpServers",
            config_paths={
                "user": _in_home(".gemini", "settings.json"),
                "project": _in_project(".gemini", "settings.json"),
            },
            stdio_entry=_gemini_stdio,
            http_entry=_gemini_http,
            instruction_paths={
                "user": _in_home(".gemini", "GEMINI.md"),
                "project": _in_project("GEMINI.md"),
            },
            timeout_note=(
                f"Gemini CLI ends a tool call after the entry's `timeout` (ms, default 600000); "
                f"the entry sets {GEMINI_TIMEOUT_MS}"
            ),
            notes=(
                "Gemini CLI's streamable-HTTP servers use `httpUrl` (`url` means SSE).",
                "Gemini CLI disables every MCP server, user-level ones included, in a folder you "
                "have not trusted: answer its trust prompt, or add the folder to "
                "~/.gemini/trustedFolders.json as TRUST_FOLDER.",
            ),
        ),
    )
}


def get_client(client_id: str) -> ClientSpec:
    """The spec of ``client_id`` (one of :data:`CLIENT_IDS`); KeyError when unknown."""
    return CLIENTS[client_id]
