"""The one settings model of terminus-mcp, and how it is filled.

Precedence, highest first: CLI flags, ``TERMINUS_*`` environment variables, the TOML file
(``--config``, ``TERMINUS_CONFIG``, or ``~/.config/terminus-mcp/config.toml``), then the
defaults below. Each field's docstring is its documentation: ``docs/configuration.md`` is
generated from it (``terminus-mcp config reference``).

Settings are built once at start-up by :func:`load_settings` and passed down; nothing reads the
environment later.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from terminus_mcp.errors import ConfigError

ENV_PREFIX = "TERMINUS_"
DEFAULT_MODEL = "Qwen/Qwen3-4B-Instruct-2507"
DEFAULT_IMAGE = "terminus-mcp-sandbox:latest"

Backend = Literal["auto", "direct", "openai", "vllm"]
Transport = Literal["stdio", "sse", "http"]
Runtime = Literal["auto", "runc", "runsc"]
LogLevel = Literal["debug", "info", "warning", "error"]


def default_config_path() -> Path:
    """The TOML file read when neither ``--config`` nor ``TERMINUS_CONFIG`` is set."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "terminus-mcp" / "config.toml"


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "terminus-mcp"


def _default_roots() -> list[Path]:
    return [Path.home(), Path.cwd()]


class Settings(BaseSettings):
    """Effective configuration of one terminus-mcp process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        validate_default=True,
        use_attribute_docstrings=True,
        env_parse_none_str="",
    )

    # --- general -------------------------------------------------------------------------
    log_level: LogLevel = "info"
    """Verbosity of the log on stderr: debug, info, warning or error."""

    state_dir: Path = Field(default_factory=default_state_dir)
    """Folder for transcripts and task logs kept between runs."""

    # --- sandbox -------------------------------------------------------------------------
    docker_host: str | None = None
    """Docker engine address (for example ``unix:///var/run/docker.sock``); empty: ``DOCKER_HOST``
    or the default socket."""

    sandbox_image: str = DEFAULT_IMAGE
    """Image that sandbox containers run. Any image with bash or sh works; the default is built by
    ``terminus-mcp sandbox build``."""

    runtime: Runtime = "auto"
    """Container runtime: ``runsc`` (gVisor), ``runc``, or ``auto`` (gVisor when the engine has it,
    else runc)."""

    sandbox_user: str = "auto"
    """User the sandbox runs commands as, ``UID:GID``; ``auto``: the workspace owner, or 1000:1000
    when the owner is root. Never root."""

    allowed_roots: Annotated[list[Path], NoDecode] = Field(default_factory=_default_roots)
    """Folders a workdir must resolve inside (symlinks followed). Default: your home folder and the
    folder the process started in."""

    network: bool = False
    """Give new sandboxes a network. Off by default: the container has only a loopback interface."""

    read_only_workspace: bool = False
    """Mount the workspace read-only in the sandbox."""

    protect_git: bool = True
    """Re-mount the workspace's ``.git`` read-only, so the sandbox cannot plant hooks or config the
    host runs later."""

    memory_limit_mb: int = Field(2048, ge=64)
    """Memory limit of a sandbox container in MiB (swap is disabled)."""

    cpus: float = Field(2.0, gt=0)
    """CPU quota of a sandbox container, in cores."""

    pids_limit: int = Field(512, ge=16)
    """Maximum number of processes and threads in a sandbox container."""

    max_open_files: int = Field(4096, ge=64)
    """Open-file limit (``ulimit -n``) inside the sandbox."""

    max_file_size_mb: int = Field(4096, ge=1)
    """Largest file a sandboxed process may write, in MiB (``ulimit -f``)."""

    session_idle_ttl_s: float = Field(900.0, gt=0)
    """Seconds a sandbox session may stay idle before it is closed and its container removed."""

    default_command_timeout_s: float = Field(120.0, gt=0)
    """Timeout for a command whose caller gives none, in seconds."""

    max_command_timeout_s: float = Field(900.0, gt=0)
    """Upper bound on any single command's timeout, in seconds; larger requests are clamped."""

    output_capture_bytes: int = Field(4 * 1024 * 1024, ge=64 * 1024)
    """Bytes of a command's output kept (a head and a tail); the middle beyond this is dropped and
    counted."""

    output_kill_bytes: int = Field(512 * 1024 * 1024, ge=1024 * 1024)
    """A command whose output passes this many bytes is killed as a flood."""

    # --- model and loop ------------------------------------------------------------------
    backend: Backend = "auto"
    """Model backend: ``openai`` (any OpenAI-compatible endpoint), ``vllm`` (in-process engine),
    ``direct`` (no model), or ``auto`` (openai when ``base_url`` is set, else direct)."""

    model: str = DEFAULT_MODEL
    """Model name at the endpoint, or a local path or hub id for the in-process vLLM engine."""

    base_url: str | None = None
    """Base URL of an OpenAI-compatible endpoint, for example ``http://127.0.0.1:8000/v1``."""

    api_key: SecretStr | None = None
    """API key for the endpoint; masked in ``config show``."""

    max_turns: int = Field(10, ge=1, le=100)
    """Most model turns in one task; on the last one the model must give its final answer."""

    temperature: float = Field(0.0, ge=0.0, le=2.0)
    """Sampling temperature of the subagent."""

    max_reply_tokens: int = Field(2048, ge=64)
    """Most tokens the model may generate in one reply."""

    context_window: int = Field(32768, ge=1024)
    """Context length of the model in tokens; older observations shrink first to stay under it."""

    observation_chars: int = Field(60000, ge=1000)
    """Characters of a command's output the model sees (the last ones are kept)."""

    observation_mode: Literal["raw", "hybrid"] = "raw"
    """What the model sees of a command: ``raw`` is the cleaned output's tail (the contract the
    model was trained on); ``hybrid`` puts the rule-based digest (counts, failing tests, errors)
    before that tail."""

    answer_hint: bool = True
    """After each command's output, tell the model it may give its final answer now if the
    output answers the task (small models otherwise tend to repeat the call)."""

    require_first_call: bool = True
    """Ask the endpoint for a tool call on the first turn (``tool_choice="required"``, or a
    constrained call with in-process vLLM). Turn off for a server that misbehaves with it; a
    final answer given before any command ran is refused either way."""

    grounding: bool = True
    """Check the model's final answer against the commands' output: append failing tests,
    errors and locations it left out, and flag names, counts and locations no output contains."""

    request_timeout_s: float = Field(300.0, gt=0)
    """Timeout of one model request, in seconds."""

    request_retries: int = Field(3, ge=0, le=10)
    """Retries of a model request on transient errors, with exponential backoff."""

    session_header: str | None = Field("x-session-id", pattern=r"^[A-Za-z0-9-]*$")
    """HTTP header in which the ``openai`` backend sends one key per task, so a router with
    several replicas keeps a task's turns on one replica's prefix cache (session affinity);
    empty: no header."""

    vllm_gpu_memory_utilization: float = Field(0.85, gt=0, le=1)
    """Fraction of GPU memory the in-process vLLM engine may take."""

    # --- server --------------------------------------------------------------------------
    transport: Transport = "stdio"
    """MCP transport: ``stdio``, ``sse`` or ``http`` (streamable HTTP)."""

    host: str = "127.0.0.1"
    """Bind address of the HTTP transports. A non-loopback address requires an auth token."""

    port: int = Field(8765, ge=1, le=65535)
    """Port of the HTTP transports."""

    auth_token: SecretStr | None = None
    """Bearer token HTTP clients must send; masked in ``config show``."""

    auth_token_file: Path | None = None
    """File holding the bearer token (first line), instead of ``auth_token``."""

    wait_seconds: float = Field(45.0, ge=0, le=3600)
    """Default seconds a tool call waits for a task before answering ``running`` with a task id."""

    max_concurrent_tasks: int = Field(4, ge=1)
    """Tasks that run at once; more wait in the queue."""

    max_queued_tasks: int = Field(16, ge=0)
    """Tasks that may wait for a slot; past this a call is refused as busy."""

    result_ttl_s: float = Field(3600.0, gt=0)
    """Seconds a finished task's result and log stay available."""

    max_kept_results: int = Field(256, ge=1)
    """Finished task results kept at most; the oldest go first."""

    max_result_chars: int = Field(40000, ge=1000)
    """Largest text a tool result may carry (about 10k tokens); raw output stays behind
    ``read_task_log``."""

    cancel_on_disconnect: bool = True
    """Cancel a client's running tasks when it disconnects (else they finish and wait for
    collection)."""

    @field_validator("allowed_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part for part in value.split(os.pathsep) if part]
        return value

    @field_validator("allowed_roots", mode="after")
    @classmethod
    def _resolve_roots(cls, value: list[Path]) -> list[Path]:
        return [p.expanduser().resolve() for p in value]

    @field_validator("sandbox_user")
    @classmethod
    def _check_user(cls, value: str) -> str:
        if value == "auto":
            return value
        uid, _, gid = value.partition(":")
        if not uid.isdigit() or (gid and not gid.isdigit()):
            raise ValueError("must be 'auto' or numeric UID:GID, for example 1000:1000")
        if int(uid) == 0:
            raise ValueError("the sandbox never runs as root (UID 0); use a non-zero UID")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # CLI flags arrive as init kwargs; the TOML file is merged in by load_settings below.
        return (init_settings, env_settings)

    def resolved_auth_token(self) -> str | None:
        """The bearer token from ``auth_token`` or ``auth_token_file``, if either is set."""
        if self.auth_token is not None:
            return self.auth_token.get_secret_value()
        if self.auth_token_file is not None:
            try:
                token = self.auth_token_file.read_text().strip().splitlines()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read auth_token_file {self.auth_token_file}",
                    why=str(exc),
                    fix="point TERMINUS_AUTH_TOKEN_FILE at a readable file holding the token",
                ) from exc
            return token[0].strip() if token else None
        return None

    def masked(self) -> dict[str, Any]:
        """The settings as plain JSON-able values, with secrets replaced by ``********``."""
        data = self.model_dump(mode="json")
        for name in ("api_key", "auth_token"):
            if data.get(name):
                data[name] = "********"
        return data


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML",
            why=str(exc),
            fix="correct the file, or point --config elsewhere",
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}", why=str(exc)) from exc
    table = data.get("terminus", data)
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path} has no settings table", fix="use top-level keys")
    return table


def _describe_accepted(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    if field is None:
        known = ", ".join(sorted(Settings.model_fields))
        return f"known settings are: {known}"
    doc = (field.description or "").strip()
    annotation = getattr(field.annotation, "__args__", None)
    if annotation and all(isinstance(a, str) for a in annotation):
        return "accepted values: " + ", ".join(annotation)
    return doc


def _config_error(exc: ValidationError, source: str) -> ConfigError:
    lines = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "settings"
        bad = err.get("input")
        env = ENV_PREFIX + name.upper()
        detail = f"{name} (env {env}) = {bad!r}: {err['msg']}"
        accepted = _describe_accepted(name.split(".")[0])
        if accepted:
            detail += f"; {accepted}"
        lines.append(detail)
    return ConfigError(
        "invalid setting" + ("s" if len(lines) > 1 else ""),
        why="; ".join(lines),
        fix=f"correct the value in {source}",
    )


def load_settings(
    cli: Mapping[str, Any] | None = None, *, config_file: Path | None = None
) -> Settings:
    """Build the effective settings: CLI > ``TERMINUS_*`` environment > TOML file > defaults.

    ``cli`` maps setting names to values; ``None`` values mean "flag not given".

    Raises:
        ConfigError: a value is invalid (the message names the setting and what is accepted),
            or the TOML file cannot be read.
    """
    env_path = os.environ.get("TERMINUS_CONFIG")
    path = config_file or (Path(env_path) if env_path else None)
    file_values: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError(
                f"config file {path} does not exist", fix="create it or drop --config"
            )
        file_values = _read_toml(path)
    elif default_config_path().is_file():
        path = default_config_path()
        file_values = _read_toml(path)

    env_names = {key[len(ENV_PREFIX) :].lower() for key in os.environ if key.startswith(ENV_PREFIX)}
    # File values enter as init kwargs, so drop those the environment overrides; CLI wins over both.
    init = {k: v for k, v in file_values.items() if k not in env_names}
    init.update({k: v for k, v in (cli or {}).items() if v is not None})
    source = "the command line, TERMINUS_* environment or " + (str(path) if path else "config file")
    try:
        return Settings(**init)
    except ValidationError as exc:
        raise _config_error(exc, source) from None
