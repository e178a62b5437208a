"""``terminus-mcp install``: create, merge, idempotence, backups, refusals, dry runs.

Every test works in a temporary home and project; HOME and the XDG/Codex/AppData variables are
pointed there, so no test can touch the real home folder.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from terminus_mcp.cli.main import main
from terminus_mcp.errors import ConfigError
from terminus_mcp.integrations.clients import CLIENTS, Launch, Locations, Scope, get_client
from terminus_mcp.integrations.installer import (
    InstallRefused,
    apply_plan,
    merge_toml,
    plan_install,
)
from terminus_mcp.integrations.instructions import BLOCK_BEGIN, BLOCK_END, delegation_instructions

CASES = [(cid, scope) for cid, spec in CLIENTS.items() for scope in spec.config_paths]
STDIO = Launch(transport="stdio", command="/opt/venv/bin/terminus-mcp", env={"TERMINUS_X": "1"})
HTTP = Launch(transport="http", url="http://127.0.0.1:9999/mcp")


@pytest.fixture
def where(tmp_path: Path) -> Locations:
    (tmp_path / "home").mkdir()
    (tmp_path / "project").mkdir()
    return Locations(home=tmp_path / "home", project=tmp_path / "project", platform="linux")


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and every config-location variable inside tmp_path; cwd is the project."""
    home = tmp_path / "home"
    project = tmp_path / "project"
    home.mkdir()
    project.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("CODEX_HOME", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.chdir(project)
    return tmp_path


def load(path: Path) -> dict[str, Any]:
    text = path.read_text()
    data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    assert isinstance(data, dict)
    return data


def existing_config(client_id: str) -> str:
    """A config holding another server and an unrelated setting, in the client's format."""
    spec = get_client(client_id)
    if spec.format == "toml":
        return (
            '# my settings\nmodel = "o3"\n\n[mcp_servers.other]\ncommand = "other-server"\n'
            'args = ["--flag"]\n\n[profiles.fast]\nmodel = "mini"\n'
        )
    other = {"command": "other-server", "args": ["--flag"]}
    return json.dumps({"theme": "dark", spec.servers_key: {"other": other}}, indent=4) + "\n"


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bak-*"))


@pytest.mark.parametrize(("client_id", "scope"), CASES)
@pytest.mark.parametrize("launch", [STDIO, HTTP], ids=["stdio", "http"])
def test_install_creates_the_entry(
    client_id: str, scope: Scope, launch: Launch, where: Locations
) -> None:
    spec = get_client(client_id)
    plan = plan_install(spec, launch, scope=scope, where=where)
    applied = apply_plan(plan)
    path = spec.config_path(scope, where)
    assert path is not None
    assert [a.path for a in applied] == [path]
    assert applied[0].backup is None
    assert load(path)[spec.servers_key]["terminus"] == spec.entry(launch)
    assert str(path).startswith(str(where.home if scope == "user" else where.project))


@pytest.mark.parametrize(("client_id", "scope"), CASES)
def test_install_merges_keeps_others_backs_up_and_is_idempotent(
    client_id: str, scope: Scope, where: Locations
) -> None:
    spec = get_client(client_id)
    path = spec.config_path(scope, where)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    original = existing_config(client_id)
    path.write_text(original)

    apply_plan(plan_install(spec, STDIO, scope=scope, where=where))
    data = load(path)
    assert data[spec.servers_key]["other"] == {"command": "other-server", "args": ["--flag"]}
    assert data[spec.servers_key]["terminus"] == spec.entry(STDIO)
    if spec.format == "toml":
        assert data["model"] == "o3"
        assert data["profiles"] == {"fast": {"model": "mini"}}
        assert path.read_text().startswith("# my settings\n")  # comments survive
    else:
        assert data["theme"] == "dark"
        assert '\n    "theme"' in path.read_text()  # the file's 4-space indent is kept
    [backup] = backups(path)
    assert backup.read_text() == original

    after_first = path.read_text()
    second = plan_install(spec, STDIO, scope=scope, where=where)
    assert second.pending == []
    assert apply_plan(second) == []
    assert path.read_text() == after_first
    assert len(backups(path)) == 1

    # A changed launch replaces the entry (not a second one) and keeps a second backup.
    apply_plan(plan_install(spec, HTTP, scope=scope, where=where))
    data = load(path)
    entry = data[spec.servers_key]["terminus"]
    if client_id == "claude-desktop":
        # Its HTTP bridge is a command too, with the same keys as the stdio entry: `env` cannot
        # be told from one the user added, so it stays (mcp-remote ignores it).
        assert entry.pop("env") == dict(STDIO.env)
    assert entry == spec.entry(HTTP)
    assert set(data[spec.servers_key]) == {"other", "terminus"}
    assert len(backups(path)) == 2


def user_keys(client_id: str) -> dict[str, Any]:
    """What a user adds by hand to an HTTP entry, as each client's docs show."""
    if client_id == "codex":
        return {"bearer_token_env_var": "MY_TOKEN", "enabled_tools": ["run_terminal_task"]}
    if client_id == "claude-desktop":
        return {"env": {"NODE_EXTRA_CA_CERTS": "/etc/ca.pem"}}
    return {"headers": {"Authorization": "Bearer abc", "X-Team": "build"}, "disabled": False}


@pytest.mark.parametrize(("client_id", "scope"), CASES)
def test_reinstall_keeps_keys_the_user_added(
    client_id: str, scope: Scope, where: Locations
) -> None:
    spec = get_client(client_id)
    apply_plan(plan_install(spec, HTTP, scope=scope, where=where))
    path = spec.config_path(scope, where)
    assert path is not None
    added = user_keys(client_id)
    if spec.format == "toml":
        text = path.read_text()
        extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in added.items())
        path.write_text(
            text.replace("[mcp_servers.terminus]\n", "[mcp_servers.terminus]\n" + extra)
        )
    else:
        data = load(path)
        data[spec.servers_key]["terminus"].update(added)
        path.write_text(json.dumps(data, indent=2))
    assert plan_install(spec, HTTP, scope=scope, where=where).pending == []  # nothing to do

    moved = Launch(transport="http", url="http://127.0.0.1:7000/mcp")
    apply_plan(plan_install(spec, moved, scope=scope, where=where))
    entry = load(path)[spec.servers_key]["terminus"]
    assert entry == {**added, **spec.entry(moved)}

    # To stdio: the keys only an HTTP entry holds go, the user's other keys stay, and a map
    # both hold (Claude Desktop's env) is merged.
    apply_plan(plan_install(spec, STDIO, scope=scope, where=where))
    entry = load(path)[spec.servers_key]["terminus"]
    http_only = spec.transport_keys("http") - spec.transport_keys("stdio")
    assert http_only >= ({"headers"} if client_id not in ("codex", "claude-desktop") else set())
    expected = {k: v for k, v in added.items() if k not in http_only} | spec.entry(STDIO)
    if client_id == "claude-desktop":
        expected["env"] = {"NODE_EXTRA_CA_CERTS": "/etc/ca.pem", **STDIO.env}
    assert entry == expected


@pytest.mark.parametrize(
    ("client_id", "form"),
    [
        ("claude-code", {"headers": {"Authorization": "Bearer ${TERMINUS_TEST_TOKEN}"}}),
        ("gemini", {"headers": {"Authorization": "Bearer ${TERMINUS_TEST_TOKEN}"}}),
        ("codex", {"bearer_token_env_var": "TERMINUS_TEST_TOKEN"}),
        ("cursor", {"headers": {"Authorization": "Bearer s3cret"}}),
        ("vscode", {"headers": {"Authorization": "Bearer s3cret"}}),
        ("windsurf", {"headers": {"Authorization": "Bearer s3cret"}}),
        ("zed", {"headers": {"Authorization": "Bearer s3cret"}}),
        (
            "claude-desktop",
            {
                "args": ["-y", "mcp-remote", HTTP.url, "--header", "Authorization:${AUTH_HEADER}"],
                "env": {"AUTH_HEADER": "Bearer s3cret"},
            },
        ),
    ],
)
def test_token_is_written_in_each_clients_form(
    client_id: str, form: dict[str, Any], fake_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERMINUS_TEST_TOKEN", "s3cret")
    spec = get_client(client_id)
    args = ["install", client_id, "--transport", "http", "--url", HTTP.url, "--scope", "user"]
    assert main([*args, "--token-env", "TERMINUS_TEST_TOKEN"]) == 0
    path = spec.config_path("user", Locations(home=fake_home / "home", project=Path.cwd()))
    assert path is not None
    entry = load(path)[spec.servers_key]["terminus"]
    assert form.items() <= entry.items(), entry
    assert spec.token_from_env == ("s3cret" not in path.read_text())


def test_token_option_refusals(fake_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", "claude-code", "--token-env", "T"]) == 2  # stdio: no token
    assert "--token-env applies to HTTP entries only" in capsys.readouterr().err
    http = ["install", "cursor", "--transport", "http"]
    assert main([*http, "--token-env", "TERMINUS_UNSET_TOKEN"]) == 2
    err = capsys.readouterr().err
    assert "TERMINUS_UNSET_TOKEN is not set" in err
    assert "export TERMINUS_UNSET_TOKEN=" in err
    assert main([*http, "--token-env", "Bearer abc"]) == 2
    assert "not an environment variable name" in capsys.readouterr().err
    assert [p for p in fake_home.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(("client_id", "scope"), CASES)
def test_malformed_file_is_refused_and_left_untouched(
    client_id: str, scope: Scope, where: Locations
) -> None:
    spec = get_client(client_id)
    path = spec.config_path(scope, where)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = '[mcp_servers.x\ncommand = "a"\n' if spec.format == "toml" else '{"a": 1,, }\n'
    path.write_text(garbage)
    with pytest.raises(InstallRefused) as caught:
        plan_install(spec, STDIO, scope=scope, where=where)
    message = str(caught.value)
    assert str(path) in message
    assert "left untouched" in message
    assert "Fix:" in message
    assert "terminus" in caught.value.entry_text
    assert path.read_text() == garbage
    assert backups(path) == []


@pytest.mark.parametrize("client_id", ["cursor", "gemini", "vscode"])
def test_wrong_shapes_are_refused(client_id: str, where: Locations) -> None:
    spec = get_client(client_id)
    path = spec.config_path("project", where)
    assert path is not None
    path.parent.mkdir(parents=True)
    for text, why in [("[1, 2]\n", "top level is a list"), ('{"%s": []}\n', "not an object")]:
        path.write_text(text.replace("%s", spec.servers_key))
        with pytest.raises(InstallRefused, match=why):
            plan_install(spec, STDIO, scope="project", where=where)


def test_jsonc_file_is_refused_with_the_reason(where: Locations) -> None:
    spec = get_client("vscode")
    path = where.project / ".vscode" / "mcp.json"
    path.parent.mkdir()
    path.write_text('{\n  // my servers\n  "servers": {}\n}\n')
    with pytest.raises(InstallRefused, match="comments or trailing commas"):
        plan_install(spec, STDIO, scope="project", where=where)


def test_empty_file_counts_as_empty_config(where: Locations) -> None:
    spec = get_client("cursor")
    path = where.project / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text("\n")
    apply_plan(plan_install(spec, STDIO, scope="project", where=where))
    assert load(path)["mcpServers"]["terminus"] == spec.entry(STDIO)


def test_scope_the_client_lacks_is_refused(where: Locations) -> None:
    with pytest.raises(ConfigError, match="no project-scope configuration file"):
        plan_install(get_client("claude-desktop"), STDIO, scope="project", where=where)


def test_odd_server_name_is_refused(where: Locations) -> None:
    with pytest.raises(ConfigError, match="not allowed"):
        plan_install(get_client("codex"), STDIO, scope="user", where=where, name='a"]\n[x')


def test_backup_keeps_file_mode(where: Locations) -> None:
    path = where.home / ".claude.json"
    path.write_text('{"numStartups": 3}\n')
    path.chmod(0o600)
    [done] = apply_plan(plan_install(get_client("claude-code"), STDIO, scope="user", where=where))
    assert path.stat().st_mode & 0o777 == 0o600
    assert done.backup is not None
    assert done.backup.read_text() == '{"numStartups": 3}\n'
    assert load(path)["numStartups"] == 3


def test_codex_subtables_of_the_entry_are_replaced(tmp_path: Path) -> None:
    text = (
        "[mcp_servers.terminus]\ncommand = 'old'\n\n[mcp_servers.terminus.env]\nA = '1'\n\n"
        "[mcp_servers.keep]\ncommand = 'k' # comment kept\n"
    )
    entry = {"command": "new", "args": ["serve"], "env": {"B": "2"}}
    result = merge_toml(text, "mcp_servers", "terminus", entry, path=tmp_path / "c.toml")
    data = tomllib.loads(result)
    assert data["mcp_servers"]["terminus"] == entry
    assert data["mcp_servers"]["keep"] == {"command": "k"}
    assert "# comment kept" in result


def test_codex_inline_entry_is_refused_not_mangled(tmp_path: Path) -> None:
    text = '[mcp_servers]\nterminus = { command = "old" }\n'
    with pytest.raises(InstallRefused, match="inline"):
        merge_toml(text, "mcp_servers", "terminus", {"command": "new"}, path=tmp_path / "c.toml")


def test_codex_strings_that_need_escaping_round_trip(tmp_path: Path) -> None:
    entry = {"command": 'C:\\Program Files\\t "x"', "args": ["a\nb", "ü"], "env": {"K.Y": "v"}}
    result = merge_toml("", "mcp_servers", "terminus", entry, path=tmp_path / "c.toml")
    assert tomllib.loads(result)["mcp_servers"]["terminus"] == entry


@pytest.mark.parametrize(
    ("client_id", "platform", "environ", "expected"),
    [
        ("claude-desktop", "linux", {}, "home/.config/Claude/claude_desktop_config.json"),
        (
            "claude-desktop",
            "darwin",
            {},
            "home/Library/Application Support/Claude/claude_desktop_config.json",
        ),
        (
            "claude-desktop",
            "win32",
            {"APPDATA": "/appdata"},
            "/appdata/Claude/claude_desktop_config.json",
        ),
        ("vscode", "linux", {"XDG_CONFIG_HOME": "/xdg"}, "/xdg/Code/User/mcp.json"),
        ("zed", "darwin", {}, "home/.config/zed/settings.json"),
        ("codex", "linux", {"CODEX_HOME": "/codex"}, "/codex/config.toml"),
        ("windsurf", "linux", {}, "home/.codeium/windsurf/mcp_config.json"),
        ("gemini", "linux", {}, "home/.gemini/settings.json"),
    ],
)
def test_user_config_paths_per_platform(
    client_id: str, platform: str, environ: dict[str, str], expected: str
) -> None:
    where = Locations(home=Path("home"), project=Path("p"), platform=platform, environ=environ)
    assert get_client(client_id).config_path("user", where) == Path(expected)


@pytest.mark.parametrize(
    ("client_id", "scope", "relative"),
    [
        ("claude-code", "project", "project/CLAUDE.md"),
        ("claude-code", "user", "home/.claude/CLAUDE.md"),
        ("codex", "project", "project/AGENTS.md"),
        ("gemini", "project", "project/GEMINI.md"),
        ("cursor", "project", "project/.cursor/rules/terminus.mdc"),
        ("vscode", "project", "project/.github/copilot-instructions.md"),
        ("windsurf", "user", "home/.codeium/windsurf/memories/global_rules.md"),
        ("zed", "project", "project/AGENTS.md"),
    ],
)
def test_with_instructions_writes_the_block_once(
    client_id: str, scope: Scope, relative: str, where: Locations
) -> None:
    target = where.home.parent / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix != ".mdc":
        target.write_text("# My project\n\nUse tabs.\n")
    spec = get_client(client_id)
    apply_plan(plan_install(spec, STDIO, scope=scope, where=where, with_instructions=True))
    text = target.read_text()
    assert delegation_instructions() in text
    assert text.count(BLOCK_BEGIN) == 1
    assert text.count(BLOCK_END) == 1
    if target.suffix == ".mdc":
        assert text.startswith("---\ndescription:")
        assert "alwaysApply: true" in text
    else:
        assert text.startswith("# My project\n\nUse tabs.\n")
    again = plan_install(spec, STDIO, scope=scope, where=where, with_instructions=True)
    assert again.pending == []


def test_instructions_block_is_replaced_in_place(where: Locations) -> None:
    target = where.project / "CLAUDE.md"
    target.write_text(f"intro\n\n{BLOCK_BEGIN}\nold advice\n{BLOCK_END}\n\noutro\n")
    spec = get_client("claude-code")
    apply_plan(plan_install(spec, STDIO, scope="project", where=where, with_instructions=True))
    text = target.read_text()
    assert "old advice" not in text
    assert text.startswith("intro\n\n" + BLOCK_BEGIN)
    assert text.endswith(BLOCK_END + "\n\noutro\n")


def test_instructions_with_a_lost_end_marker_are_refused(where: Locations) -> None:
    target = where.project / "AGENTS.md"
    target.write_text(f"{BLOCK_BEGIN}\nold advice\n\nmy own notes\n")
    with pytest.raises(ConfigError, match="no end marker"):
        plan_install(
            get_client("codex"), STDIO, scope="project", where=where, with_instructions=True
        )
    assert target.read_text() == f"{BLOCK_BEGIN}\nold advice\n\nmy own notes\n"


def test_client_without_instruction_file_says_so(where: Locations) -> None:
    plan = plan_install(
        get_client("claude-desktop"), STDIO, scope="user", where=where, with_instructions=True
    )
    assert len(plan.changes) == 1
    assert any("no user-scope instruction file" in note for note in plan.notes)


# --- through the command line, with HOME pointed at a temporary folder ------------------------


@pytest.mark.parametrize("client_id", sorted(CLIENTS))
def test_cli_dry_run_writes_nothing(
    client_id: str, fake_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install", client_id, "--dry-run", "--with-instructions"]) == 0
    out = capsys.readouterr().out
    assert "would change" in out
    assert "+++ " in out
    assert "Timeout:" in out
    assert [p for p in fake_home.rglob("*") if p.is_file()] == []


def test_cli_install_then_again(fake_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["install", "codex", "--scope", "user", "--env", "TERMINUS_BASE_URL=http://h:8000/v1"]
    assert main(args) == 0
    config = fake_home / "home" / ".codex" / "config.toml"
    entry = load(config)["mcp_servers"]["terminus"]
    assert entry["args"] == ["serve"]
    assert Path(entry["command"]).is_absolute()
    assert entry["env"] == {"TERMINUS_BASE_URL": "http://h:8000/v1"}
    assert entry["tool_timeout_sec"] >= 120
    assert "written (new file)" in capsys.readouterr().out
    assert main(args) == 0
    assert "already up to date" in capsys.readouterr().out
    assert backups(config) == []


def test_cli_refusal_prints_the_entry_to_paste(
    fake_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = fake_home / "project" / ".mcp.json"
    config.write_text("{oops")
    assert main(["install", "claude-code", "--transport", "http"]) == 2
    err = capsys.readouterr().err
    assert "is not valid JSON" in err
    assert '"url": "http://127.0.0.1:8765/mcp"' in err
    assert config.read_text() == "{oops"


def test_cli_rejects_bad_env_pair(fake_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install", "cursor", "--env", "NOEQUALS"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
