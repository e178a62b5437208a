"""Settings: precedence, validation messages, masking, and the generated reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from terminus_mcp.cli.config_cmd import reference_markdown
from terminus_mcp.errors import ConfigError
from terminus_mcp.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("TERMINUS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))


def test_precedence_cli_over_env_over_file_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text("max_turns = 7\nport = 9000\nmodel = 'from-file'\n")
    monkeypatch.setenv("TERMINUS_PORT", "9100")
    monkeypatch.setenv("TERMINUS_MODEL", "from-env")
    settings = load_settings({"model": "from-cli", "temperature": None}, config_file=config)
    assert settings.max_turns == 7  # file over default
    assert settings.port == 9100  # env over file
    assert settings.model == "from-cli"  # CLI over env
    assert settings.temperature == 0.0  # default; a None flag means "not given"


def test_config_file_from_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[terminus]\nmax_turns = 3\n")
    monkeypatch.setenv("TERMINUS_CONFIG", str(config))
    assert load_settings().max_turns == 3


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("TERMINUS_BACKEND", "gpt", "accepted values: auto, direct, openai, vllm"),
        ("TERMINUS_MAX_TURNS", "0", "max_turns (env TERMINUS_MAX_TURNS) = '0'"),
        ("TERMINUS_PORT", "http", "port"),
        ("TERMINUS_SANDBOX_USER", "0:0", "never runs as root"),
    ],
)
def test_invalid_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert expected in str(info.value)
    assert "Fix:" in str(info.value)


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("max_turn = 3\n")
    with pytest.raises(ConfigError, match="max_turn"):
        load_settings(config_file=config)


def test_broken_toml_is_refused_clearly(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("max_turns = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=config)


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERMINUS_API_KEY", "sk-very-secret")
    monkeypatch.setenv("TERMINUS_AUTH_TOKEN", "tok-very-secret")
    data = load_settings().masked()
    assert data["api_key"] == "********"
    assert data["auth_token"] == "********"
    assert "very-secret" not in repr(data)


def test_allowed_roots_from_path_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TERMINUS_ALLOWED_ROOTS", f"{tmp_path}:/tmp")
    roots = load_settings().allowed_roots
    assert roots == [tmp_path.resolve(), Path("/tmp").resolve()]


def test_auth_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("abc123\n")
    assert load_settings({"auth_token_file": token_file}).resolved_auth_token() == "abc123"
    missing = load_settings({"auth_token_file": tmp_path / "nope"})
    with pytest.raises(ConfigError, match="auth_token_file"):
        missing.resolved_auth_token()


def test_every_setting_is_documented_in_the_reference() -> None:
    reference = reference_markdown()
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no docstring"
        assert f"`TERMINUS_{name.upper()}`" in reference


def test_committed_reference_is_current() -> None:
    committed = Path(__file__).parents[1] / "docs" / "configuration.md"
    assert committed.read_text() == reference_markdown(), (
        "docs/configuration.md is stale: "
        "run `terminus-mcp config reference > docs/configuration.md`"
    )


def test_config_show_cli_masks_and_fails_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"TERMINUS_API_KEY": "sk-secret", "PATH": "/usr/bin:/bin"}
    shown = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "config", "show"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert 'api_key = "********"' in shown.stdout
    assert "sk-secret" not in shown.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "config", "show"],
        capture_output=True,
        text=True,
        env={**env, "TERMINUS_TRANSPORT": "pigeon"},
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "transport" in bad.stderr
    assert "stdio, sse, http" in bad.stderr
