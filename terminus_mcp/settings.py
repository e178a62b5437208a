"""The one settings model of terminus-mcp, and how it is filled.

Precedence, highest first: CLI flags, ``TERMINUS_*`` environment variables, the TOML file
(``--config``, ``TERMINUS_CONFIG``, or ``~/.config/terminus-mcp/config.toml``), then the
defaults below. Each field's docstring is its documentation: ``docs/configuration.md`` is
generated from it (``terminus-mcp config reference``).

Settings are built once at start-up by :func:`load_settings` and passed down; nothing reads the
environment later.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
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
from terminus_mcp.network_policy import NetworkMode, check_hosts

ENV_PREFIX = "TERMINUS_"
DEFAULT_MODEL = "Qwen/Qwen3-4B-Instruct-2507"
DEFAULT_IMAGE = "terminus-mcp-sandbox:latest"
DEFAULT_PROXY_IMAGE = "terminus-mcp-proxy:latest"

Backend = Literal["auto", "direct", "openai", "vllm"]
Transport = Literal["stdio", "sse", "http"]
Runtime = Literal["auto", "runc", "runsc"]
Engine = Literal["auto", "docker", "podman"]
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


CA_BUNDLE_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS")
"""Host variables that may name a CA bundle, in the order ``ca_bundle``'s default reads them."""


def _default_ca_bundle() -> Path | None:
    for name in CA_BUNDLE_VARIABLES:
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    return None


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
    engine: Engine = "auto"
    """Container engine: ``docker``, ``podman`` (through its Docker-compatible service), or
    ``auto`` (Docker when it answers, else Podman)."""

    podman_host: str | None = None
    """Podman service address; empty: ``unix:///run/podman/podman.sock`` as root, else
    ``unix://$XDG_RUNTIME_DIR/podman/podman.sock`` (rootless)."""

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
    """User the sandbox runs commands as, ``UID:GID``; ``auto``: the workspace owner. A workspace
    that root owns (as root in CI or a dev container) runs as root with no capabilities and
    no-new-privileges; an explicit UID is never 0."""

    allowed_roots: Annotated[list[Path], NoDecode] = Field(default_factory=_default_roots)
    """Folders a workdir must resolve inside (symlinks followed). Default: your home folder and the
    folder the process started in."""

    network: NetworkMode = "none"
    """Network of a task's sandbox: ``none`` (only a loopback interface), ``allowlist`` (only the
    ``allow_hosts``, through a filtering egress proxy), or ``open`` (Docker's bridge, anything the
    host reaches). ``true``/``false`` mean ``open``/``none``."""

    setup_network: NetworkMode = "allowlist"
    """Network of a project's setup step (dependency installs): by default only the package
    registries of the detected ecosystems and the ``allow_hosts``, through the egress proxy."""

    allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Host names an ``allowlist`` sandbox may reach (comma-separated in the environment);
    ``.example.org`` also allows its subdomains. IP addresses and wildcards of everything are
    refused. Only HTTP on port 80 and HTTPS (``CONNECT``) on port 443 pass."""

    allow_private_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Allowed host names that may resolve to private addresses (an in-house package mirror);
    every other loopback, private or link-local destination is refused by the proxy."""

    proxy_image: str = DEFAULT_PROXY_IMAGE
    """Image of the egress proxy (Squid) of ``allowlist`` sandboxes; built by
    ``terminus-mcp sandbox build``."""

    debian_mirror: str | None = None
    """Debian mirror that ``sandbox build --offline`` bootstraps the base image from; empty: the
    first Debian archive in the host's apt sources."""

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

    # --- project environments ------------------------------------------------------------
    project_environments: bool = True
    """Give each project its environment: the image and setup that ``.terminus.toml``,
    ``devcontainer.json`` or its manifests call for, set up once and reused by later tasks (see
    ``docs/environments.md``). Off: every task runs in ``sandbox_image`` as it is."""

    setup_timeout_s: float = Field(1800.0, gt=0)
    """Most seconds a project's setup (image build and setup commands) may take."""

    ca_bundle: Path | None = Field(default_factory=_default_ca_bundle)
    """CA bundle (PEM) mounted read-only into setup and wired for pip, npm, curl, git, cargo, go
    and Java. Default: the file the host's ``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``, ``PIP_CERT``
    or ``NODE_EXTRA_CA_CERTS`` names; empty: none."""

    pass_env: list[str] = Field(default_factory=list)
    """Names of host environment variables handed to setup (registry tokens, for example). Their
    values never appear in answers, transcripts, logs or errors."""

    task_pass_env: list[str] = Field(default_factory=list)
    """Names of host environment variables handed to tasks as well (a subset of what tasks
    may read); their values are masked in everything a task returns."""

    package_caches: bool = True
    """Share package caches (pip, npm, Maven, Gradle, cargo, Go) across projects as named Docker
    volumes, so a second project with the same dependencies installs from cache."""

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

    @field_validator("network", "setup_network", mode="before")
    @classmethod
    def _network_mode(cls, value: Any) -> Any:
        aliases = {"true": "open", "1": "open", "yes": "open", "false": "none", "0": "none"}
        if isinstance(value, bool):
            return "open" if value else "none"
        if isinstance(value, str):
            return aliases.get(value.strip().lower(), value.strip().lower())
        return value

    @field_validator("allow_hosts", "allow_private_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                with contextlib.suppress(ValueError):
                    return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allow_hosts", "allow_private_hosts", mode="after")
    @classmethod
    def _check_hosts(cls, value: list[str]) -> list[str]:
        try:
            return check_hosts(value)
        except ConfigError as exc:
            raise ValueError(f"{exc.what} ({exc.why})" if exc.why else exc.what) from None

    @field_validator("pass_env", "task_pass_env")
    @classmethod
    def _check_env_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return value

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


def clamp_command_timeout(timeout_s: float | None, *, default_s: float, max_s: float) -> float:
    """A command's timeout in seconds, the one clamp of it: ``default_s`` when none is given
    (or it is not a positive finite number), never above ``max_s`` (the settings
    ``default_command_timeout_s`` and ``max_command_timeout_s``)."""
    if timeout_s is None or not math.isfinite(timeout_s) or timeout_s <= 0:
        timeout_s = default_s
    return min(timeout_s, max_s)


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
