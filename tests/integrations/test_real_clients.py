"""The entries ``install`` writes, read by the real client CLIs from npm.

Claude Code, Gemini CLI and Codex CLI are installed with npm into a cache folder (once per
version set). Each check runs with a fresh HOME: ``terminus-mcp install`` writes the entry, then
the client itself says whether the server connects: ``claude mcp list``, ``gemini mcp list``,
and Codex's app server (``mcpServerStatus/list``; ``codex mcp list`` only reads the file).
Over stdio the client starts ``terminus-mcp serve``; over HTTP it reaches a server started
here that requires a bearer token, which the entry reads from an environment variable
(``install --token-env``). The Claude Code plugin is validated and the Gemini CLI extension
installed by the CLIs themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from terminus_mcp.integrations.clients import Locations, get_client

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "claude": "@anthropic-ai/claude-code@2.1.332",
    "gemini": "@google/gemini-cli@0.61.0",
    "codex": "@openai/codex@0.171.0",
}
CODEX_CLIENT_INFO = {"name": "terminus-mcp-tests", "version": "0"}
TOKEN_VAR = "TERMINUS_TEST_TOKEN"
TOKEN = "terminus-test-token-0123456789abcdef"

pytestmark = pytest.mark.docker


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "terminus-mcp" / "client-clis"


@pytest.fixture(scope="session")
def clis() -> dict[str, Path]:
    """The three client CLIs, npm-installed into a cache folder keyed by their versions."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing; run scripts/bootstrap.sh, which installs Node.js", False)
    folder = _cache_root() / "-".join(p.rsplit("@", 1)[1] for p in PACKAGES.values())
    bins = {name: folder / "node_modules" / ".bin" / name for name in PACKAGES}
    stamp = folder / ".complete"
    if not stamp.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(folder),
                "--no-audit",
                "--no-fund",
                *PACKAGES.values(),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"npm could not install the client CLIs:\n{done.stderr[-3000:]}", False)
        stamp.write_text(json.dumps(PACKAGES))
    missing = [str(path) for path in bins.values() if not path.is_file()]
    assert missing == [], f"npm installed no launcher at {missing}"
    return bins


@dataclass
class Home:
    """A fresh HOME with a project folder, and the environment every command here runs with."""

    home: Path
    project: Path
    env: dict[str, str]

    def install(self, client: str, *args: str) -> None:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "terminus_mcp",
                "install",
                CLIENT_ID[client],
                "--scope",
                "user",
                *args,
            ],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    def run(self, argv: list[str], *, extra_env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            argv,
            cwd=self.project,
            env={**self.env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        return done.stdout + done.stderr


@pytest.fixture
def home(tmp_path: Path, workspace_root: Path) -> Home:
    """A fresh HOME; the project is an allowed root of the server, and Gemini trusts it."""
    home = tmp_path / "home"
    project = workspace_root / f"client-project-{tmp_path.name}"
    home.mkdir()
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TERMINUS_", "CODEX_"))}
    env.pop("XDG_CONFIG_HOME", None)
    env.update(HOME=str(home), NO_COLOR="1", CI="1")
    return Home(home, project, env)


def _stdio_install(home: Home, client: str) -> None:
    # Codex passes only a few variables (HOME, PATH, ...) to stdio servers, so the server's
    # settings travel in the entry's own env, as the docs advise for every client.
    home.install(
        client,
        "--command",
        str(Path(sys.executable).parent / "terminus-mcp"),
        "--env",
        f"TERMINUS_ALLOWED_ROOTS={home.project}",
        "--env",
        f"TERMINUS_STATE_DIR={home.home / 'state'}",
        "--env",
        "TERMINUS_BACKEND=direct",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``terminus-mcp serve --transport http`` on loopback, requiring a bearer token."""
    state = tmp_path_factory.mktemp("http-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMINUS_")}
    env.update(
        TERMINUS_AUTH_TOKEN=TOKEN,
        TERMINUS_BACKEND="direct",
        TERMINUS_STATE_DIR=str(state),
        TERMINUS_ALLOWED_ROOTS=str(state),
        XDG_CONFIG_HOME=str(state / "config"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "terminus_mcp", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        cwd=state,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            assert proc.poll() is None, "the HTTP server exited"
            assert time.monotonic() < deadline, "the HTTP server did not answer /healthz"
            time.sleep(0.2)
        yield base + "/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# --- how each client says "connected" -------------------------------------------------------


def claude_status(home: Home, clis: dict[str, Path], **env: str) -> str:
    return home.run([str(clis["claude"]), "mcp", "list"], extra_env=env)


def gemini_status(home: Home, clis: dict[str, Path], **env: str) -> str:
    # Gemini CLI disables every server (user-level ones too) in a folder the user has not
    # trusted; this is what its trust dialog writes.
    trusted = home.home / ".gemini" / "trustedFolders.json"
    trusted.parent.mkdir(parents=True, exist_ok=True)
    trusted.write_text(json.dumps({str(home.project): "TRUST_FOLDER"}))
    return home.run([str(clis["gemini"]), "mcp", "list"], extra_env=env)


def codex_status(home: Home, clis: dict[str, Path], **env: str) -> str:
    """The server's line from Codex's app server: its tools, or the error it hit."""
    proc = subprocess.Popen(
        [str(clis["codex"]), "app-server"],
        cwd=home.project,
        env={**home.env, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        requests = [
            {
                "id": 1,
                "method": "initialize",
                "params": {"clientInfo": {"name": "t", "version": "0"}},
            },
            {"method": "initialized"},
            {"id": 2, "method": "mcpServerStatus/list", "params": {}},
        ]
        for request in requests:
            proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        for line in proc.stdout:
            message = json.loads(line)
            if message.get("id") == 2:
                [server] = [s for s in message["result"]["data"] if s["name"] == "terminus"]
                tools = sorted(server["tools"])
                return (
                    f"tools: {tools}; error: {server['toolsError']}; auth: {server['authStatus']}"
                )
        raise AssertionError("Codex's app server closed without answering")
    finally:
        proc.kill()
        proc.wait(timeout=30)


CONNECTED = {
    "claude": "terminus: {target} - ✔ Connected",
    "gemini": "✓ terminus: {target} ({transport}) - Connected",
    "codex": "tools: [{tools}]; error: None; auth: {auth}",
}
STATUS = {"claude": claude_status, "gemini": gemini_status, "codex": codex_status}
MISSING_TOKEN = {
    "claude": "Missing environment variables: TERMINUS_TEST_TOKEN",
    "gemini": "✗ terminus: {url} (http) - Disconnected",
    "codex": "Environment variable TERMINUS_TEST_TOKEN for MCP server 'terminus' is not set",
}
CLIENT_ID = {"claude": "claude-code", "gemini": "gemini", "codex": "codex"}
TOOLS = "'cancel_task', 'close_session', 'get_task_result', 'read_task_log', 'run_terminal_task'"


@pytest.mark.parametrize("client", sorted(PACKAGES))
def test_stdio_entry_connects(client: str, clis: dict[str, Path], home: Home) -> None:
    _stdio_install(home, client)
    out = STATUS[client](home, clis)
    target = f"{Path(sys.executable).parent / 'terminus-mcp'} serve"
    expected = CONNECTED[client].format(
        target=target, transport="stdio", tools=TOOLS, auth="unsupported"
    )
    assert expected in out, out


@pytest.mark.parametrize("client", sorted(PACKAGES))
def test_http_entry_with_token_connects(
    client: str, clis: dict[str, Path], home: Home, http_server: str
) -> None:
    home.install(client, "--transport", "http", "--url", http_server, "--token-env", TOKEN_VAR)
    where = Locations(home=home.home, project=home.project, environ=home.env)
    config = get_client(CLIENT_ID[client]).config_path("user", where)
    assert config is not None
    assert TOKEN not in config.read_text()  # the client reads the variable when it connects
    out = STATUS[client](home, clis, **{TOKEN_VAR: TOKEN})
    expected = CONNECTED[client].format(
        target=f"{http_server} (HTTP)" if client == "claude" else http_server,
        transport="http",
        tools=TOOLS,
        auth="bearerToken",
    )
    assert expected in out, out

    # Without the variable there is no connection, and the client says why (docs/integrations.md
    # quotes these).
    out = STATUS[client](home, clis)
    assert MISSING_TOKEN[client].format(url=http_server) in out, out


def test_claude_code_plugin_validates(clis: dict[str, Path], home: Home) -> None:
    out = home.run([str(clis["claude"]), "plugin", "validate", str(ROOT)])
    assert "Validation passed" in out, out


def test_gemini_extension_installs_and_its_server_connects(
    clis: dict[str, Path], home: Home, tmp_path: Path
) -> None:
    # What `gemini extensions install <repository>` gets: the committed files, no .venv.
    source = tmp_path / "checkout"
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        target = source / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / os.fsdecode(name), target, follow_symlinks=False)
    trusted = home.home / ".gemini" / "trustedFolders.json"
    trusted.parent.mkdir(parents=True)
    trusted.write_text(json.dumps({str(source): "TRUST_FOLDER"}))
    # As after `pip install`: this installation's terminus-mcp is on PATH (not only under make).
    home.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{home.env.get('PATH', '')}"
    out = home.run([str(clis["gemini"]), "extensions", "install", str(source), "--consent"])
    assert 'Extension "terminus-mcp" installed successfully and enabled.' in out, out
    # The extension's launcher finds this installation's terminus-mcp on PATH.
    out = gemini_status(home, clis)
    assert "✓ terminus (from terminus-mcp): " in out, out
