"""Project environments end to end: resolve, set up once, keep, and hand tasks what they need.

One :class:`EnvironmentManager` per process, next to the sandbox manager it starts setup
sessions with::

    environments = EnvironmentManager(settings, sandboxes)
    prepared = await environments.prepare(workdir, on_event)   # set up, or reuse
    session = await sandboxes.create(prepared.session_spec(workdir, network=False))

Setup runs the project's setup commands in a sandbox on the base image, then ``docker commit``
keeps the container as ``terminus-mcp-env:<key>``; the next task with the same key starts
from that image and installs nothing. What setup needs only while it runs (the CA bundle,
the package caches, ``pass_env`` secrets, proxy variables) lives in the setup shell's
environment and mounts, never in the committed image.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio
import docker
from docker.models.images import Image
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from terminus_mcp.agent.events import EventCallback, EventKind, TaskEvent, emit
from terminus_mcp.environments import caches, images
from terminus_mcp.environments.detect import ENV_ROOT, HOME, NPM_PREFIX, VENV
from terminus_mcp.environments.egress import registry_hosts, setup_network
from terminus_mcp.environments.errors import SetupFailed
from terminus_mcp.environments.excerpt import first_error
from terminus_mcp.environments.key import changed_inputs, environment_key, input_digests
from terminus_mcp.environments.resolve import resolve_environment
from terminus_mcp.environments.secrets import Redactor, read_pass_env
from terminus_mcp.environments.spec import EnvironmentSpec, NetworkMode, SetupStep
from terminus_mcp.environments.tls import ca_wiring, check_bundle, write_java_truststore
from terminus_mcp.sandbox.api import (
    SETUP_ENV,
    AllowedWorkdir,
    ExecResult,
    SessionSpec,
    VolumeMount,
)
from terminus_mcp.sandbox.docker_backend import DockerSession
from terminus_mcp.sandbox.egress import proxy_refusal
from terminus_mcp.sandbox.hardening import LABEL_IMAGE, LABEL_SESSION, OwnerLabels
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import sandbox_user
from terminus_mcp.settings import Settings

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 10.0
"""How often a running setup step reports how long it has been running."""
JVM_ECOSYSTEMS = frozenset({"maven", "gradle"})


class PreparedEnvironment(BaseModel):
    """What a task's sandbox needs to run in a project's environment."""

    model_config = ConfigDict(frozen=True)

    spec: EnvironmentSpec
    image: str | None = None
    """Image for the task; ``None``: the configured sandbox image."""
    key: str | None = None
    reused: bool = False
    """Set up by an earlier task (nothing was installed now)."""
    setup_s: float = 0.0
    """Seconds this call spent building and setting up (0 when reused)."""
    environment: dict[str, str] = Field(default_factory=dict)
    shell_environment: dict[str, SecretStr] = Field(default_factory=dict)
    volumes: tuple[VolumeMount, ...] = ()
    user_dirs: tuple[str, ...] = ()

    def session_spec(self, workdir: AllowedWorkdir, *, network: NetworkMode | None) -> SessionSpec:
        """The sandbox spec of a task in this environment."""
        return SessionSpec(
            workdir=workdir,
            network=network,
            image=self.image,
            environment=self.environment,
            shell_environment=self.shell_environment,
            volumes=self.volumes,
            user_dirs=self.user_dirs,
        )


@dataclass(frozen=True)
class _SetupPlan:
    """One setup to run: what, on which base, kept under which key."""

    spec: EnvironmentSpec
    base: Image
    tag: str
    key: str
    digests: dict[str, str]
    """The inputs' content before setup, to notice edits made while it runs."""
    user: str
    secrets: dict[str, SecretStr]
    deadline: float
    """``time.monotonic()`` by which setup must end."""


class EnvironmentManager:
    """Resolves, sets up and reuses project environments for one process."""

    def __init__(
        self,
        settings: Settings,
        sandboxes: SandboxManager,
        *,
        setup_network: NetworkMode | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """``setup_network``: the widest network setup may get (default: the
        ``setup_network`` setting); ``environ``: where ``pass_env`` values are read (default:
        this process's)."""
        self.settings = settings
        self._sandboxes = sandboxes
        self._setup_network: NetworkMode = setup_network or settings.setup_network
        self._environ = os.environ if environ is None else environ
        self._locks: dict[str, anyio.Lock] = {}

    @property
    def client(self) -> docker.DockerClient:
        return self._sandboxes.client

    def redactor(self) -> Redactor:
        """Masks the values of every variable named in ``pass_env`` and ``task_pass_env``."""
        names = [*self.settings.pass_env, *self.settings.task_pass_env]
        return Redactor(
            {name: SecretStr(self._environ[name]) for name in names if name in self._environ}
        )

    # --- the main call ---------------------------------------------------------------------

    async def prepare(
        self,
        project: AllowedWorkdir,
        on_event: EventCallback | None = None,
        *,
        force: bool = False,
    ) -> PreparedEnvironment:
        """The environment of ``project`` (a resolved, allowed folder), set up if needed.

        ``force`` runs setup (and the Dockerfile build) again even when a kept result exists.

        Raises:
            ProjectConfigError: .terminus.toml or devcontainer.json is malformed.
            ConfigError: a ``pass_env`` variable is not set; the CA bundle is unreadable.
            SetupFailed: the Dockerfile does not build, a setup command fails or passes the
                setup timeout, or a lockfile changed while setup ran. Nothing is kept.
            SandboxError: the engine broke.
        """
        await self._sandboxes.start()
        spec = await anyio.to_thread.run_sync(resolve_environment, project)
        for note in spec.notes:
            log.warning("%s", note)
        user = sandbox_user(self.settings.sandbox_user, project)
        task_secrets = read_pass_env(
            self.settings.task_pass_env, self._environ, setting="task_pass_env"
        )
        if not spec.needs_setup:
            if spec.image:
                await anyio.to_thread.run_sync(images.ensure_base, self.client, spec.image)
            return self._for_tasks(spec, spec.image, None, user, task_secrets)
        setup_secrets = read_pass_env(self.settings.pass_env, self._environ)
        started = time.monotonic()
        deadline = started + self.settings.setup_timeout_s
        base = await self._base_image(spec, on_event, force=force, deadline=deadline)
        digests = await anyio.to_thread.run_sync(input_digests, project, spec.inputs)
        key = environment_key(spec, base_image_id=str(base.id), user=user, digests=digests)
        tag = images.env_tag(key)
        async with self._locks.setdefault(key, anyio.Lock()):
            kept = await anyio.to_thread.run_sync(images.find_image, self.client, tag)
            if kept is not None and not force and images.outputs_present(kept, project):
                _progress(on_event, f"environment ready: {tag} (set up earlier, reused)")
                return self._for_tasks(spec, tag, key, user, task_secrets, reused=True)
            plan = _SetupPlan(
                spec=spec,
                base=base,
                tag=tag,
                key=key,
                digests=digests,
                user=user,
                secrets=setup_secrets,
                deadline=deadline,
            )
            await self._set_up(plan, on_event)
        elapsed = time.monotonic() - started
        _progress(on_event, f"environment ready: {tag} (set up in {elapsed:.0f} s)")
        return self._for_tasks(spec, tag, key, user, task_secrets, setup_s=elapsed)

    async def status(
        self, project: AllowedWorkdir
    ) -> tuple[EnvironmentSpec, str | None, Image | None]:
        """The resolved spec, its key (when its base image is present) and the kept image."""
        spec = await anyio.to_thread.run_sync(resolve_environment, project)
        if not spec.needs_setup:
            return spec, None, None
        base_name = spec.image or self.settings.sandbox_image
        if spec.build is not None:
            base_name = images.base_tag(spec.build)
        base = await anyio.to_thread.run_sync(images.find_image, self.client, base_name)
        if base is None:
            return spec, None, None
        user = sandbox_user(self.settings.sandbox_user, project)
        digests = await anyio.to_thread.run_sync(input_digests, project, spec.inputs)
        key = environment_key(spec, base_image_id=str(base.id), user=user, digests=digests)
        kept = await anyio.to_thread.run_sync(images.find_image, self.client, images.env_tag(key))
        return spec, key, kept

    # --- steps -----------------------------------------------------------------------------

    async def _base_image(
        self, spec: EnvironmentSpec, on_event: EventCallback | None, *, force: bool, deadline: float
    ) -> Image:
        if spec.build is None:
            name = spec.image or self.settings.sandbox_image
            return await anyio.to_thread.run_sync(images.ensure_base, self.client, name)
        build = spec.build
        _progress(on_event, f"setting up: docker build {build.dockerfile.name}")
        tag = await anyio.to_thread.run_sync(
            lambda: images.build_base(
                self.client, build, force=force, timeout_s=max(deadline - time.monotonic(), 1.0)
            )
        )
        return await anyio.to_thread.run_sync(images.ensure_base, self.client, tag)

    async def _set_up(self, plan: _SetupPlan, on_event: EventCallback | None) -> None:
        spec, deadline = plan.spec, plan.deadline
        redact = Redactor({**plan.secrets, **self._task_secret_values()})
        session_spec = await anyio.to_thread.run_sync(self._setup_session_spec, plan)
        _progress(on_event, f"setting up: starting a sandbox for {len(spec.setup)} step(s)")
        session = await self._sandboxes.create(session_spec)
        log_lines: list[str] = []
        try:
            for step in spec.setup:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timed_out(step, "", redact)
                result = await self._run_step(session, step, remaining, on_event)
                output = redact(result.output)
                log_lines += [f"$ {step.command}", output, f"[exit {result.exit_code}]"]
                if result.timed_out:
                    raise self._timed_out(step, output, redact)
                if not result.ok:
                    raise self._step_failed(spec, step, result, output)
            after = await anyio.to_thread.run_sync(input_digests, spec.project, spec.inputs)
            changed = changed_inputs(plan.digests, after)
            if changed:
                raise SetupFailed(
                    f"{', '.join(changed)} changed while setup ran, so its result was not kept",
                    why="what setup installed may not match the file as it is now",
                    fix="run the task again (setup starts over from the current files); if a "
                    "setup command rewrites the file itself (`npm install`, `poetry lock`), "
                    "commit the rewritten file or use a command that only reads it (`npm ci`)",
                )
            container = self.client.containers.get(session.container_id)
            labels = {
                # The setup container's owner labels would make containers started from the
                # image look like this process's; blank them.
                **dict.fromkeys(OwnerLabels.for_this_process("").labels(), ""),
                LABEL_SESSION: "",
                images.LABEL_KEY: plan.key,
                images.LABEL_PROJECT: str(spec.project),
                images.LABEL_OUTPUTS: ",".join(o for s in spec.setup for o in s.outputs),
                LABEL_IMAGE: images.IMAGE_KIND_ENV,
            }
            await anyio.to_thread.run_sync(images.commit, container, plan.tag, labels)
        finally:
            await self._sandboxes.close(session.id)
            await anyio.to_thread.run_sync(self._write_log, plan.key, log_lines)

    async def _run_step(
        self,
        session: DockerSession,
        step: SetupStep,
        timeout_s: float,
        on_event: EventCallback | None,
    ) -> ExecResult:
        started = time.monotonic()
        _progress(on_event, f"setting up: {step.name}")

        async def report() -> None:
            while True:
                await anyio.sleep(PROGRESS_INTERVAL_S)
                elapsed = time.monotonic() - started
                _progress(on_event, f"setting up: {step.name}, {elapsed:.0f} s")

        async with anyio.create_task_group() as group:
            group.start_soon(report)
            result = await session.run(step.command, timeout_s=timeout_s)
            group.cancel_scope.cancel()
        log.info("setup step %r: exit %s in %.1f s", step.name, result.exit_code, result.duration_s)
        return result

    # --- what sandboxes get ----------------------------------------------------------------

    def _setup_session_spec(self, plan: _SetupPlan) -> SessionSpec:
        """The setup sandbox: base image, network, CA bundle, caches and secrets."""
        settings, spec = self.settings, plan.spec
        mode = setup_network(spec.network, self._setup_network)
        hosts = registry_hosts(spec.ecosystems, spec.allow_hosts) if mode == "allowlist" else []
        shell_env: dict[str, str] = {}
        volumes: list[VolumeMount] = []
        user_dirs = [ENV_ROOT, HOME, NPM_PREFIX]
        if settings.ca_bundle is not None:
            pem = check_bundle(settings.ca_bundle)
            truststore = None
            if JVM_ECOSYSTEMS & set(spec.ecosystems):
                truststore = write_java_truststore(pem, settings.state_dir / "truststores")
            mounts, env = ca_wiring(settings.ca_bundle, truststore)
            volumes += mounts
            shell_env.update(env)
        if settings.package_caches:
            mounts, env, dirs = caches.cache_mounts(plan.user)
            volumes += mounts
            shell_env.update(env)
            user_dirs += dirs
        return SessionSpec(
            workdir=spec.project,
            network=mode,
            allow_hosts=tuple(hosts),
            image=str(plan.base.id),
            environment=self._kept_environment(spec, plan.base),
            shell_environment={
                **{k: SecretStr(v) for k, v in shell_env.items()},
                **plan.secrets,
            },
            volumes=tuple(volumes),
            user_dirs=tuple(user_dirs),
            labels={images.LABEL_KEY: plan.key},
        )

    def _kept_environment(self, spec: EnvironmentSpec, base: Image) -> dict[str, str]:
        """Variables kept in the environment's image: where setup put things, and the
        project's own ``env``."""
        env = {
            "HOME": HOME,
            "PATH": f"{VENV}/bin:{NPM_PREFIX}/bin:{images.image_path(base)}",
            "NPM_CONFIG_PREFIX": NPM_PREFIX,
        }
        if "python" in spec.ecosystems:
            env["VIRTUAL_ENV"] = VENV
        return {**env, **spec.env}

    def _for_tasks(
        self,
        spec: EnvironmentSpec,
        image: str | None,
        key: str | None,
        user: str,
        secrets: dict[str, SecretStr],
        *,
        reused: bool = False,
        setup_s: float = 0.0,
    ) -> PreparedEnvironment:
        """What a task's sandbox gets: the image, the caches its tools read, the CA bundle."""
        environment: dict[str, str] = {} if key else dict(spec.env)
        if key and spec.setup:
            environment[SETUP_ENV] = "; ".join(step.label or step.command for step in spec.setup)
        volumes: list[VolumeMount] = []
        user_dirs: list[str] = []
        if self.settings.ca_bundle is not None and self.settings.ca_bundle.is_file():
            mounts, env = ca_wiring(self.settings.ca_bundle, None)
            volumes += mounts
            environment.update(env)
        if key and self.settings.package_caches:
            mounts, env, dirs = caches.cache_mounts(user, ecosystems=spec.ecosystems)
            volumes += mounts
            environment.update(env)
            user_dirs += dirs
        return PreparedEnvironment(
            spec=spec,
            image=image,
            key=key,
            reused=reused,
            setup_s=setup_s,
            environment=environment,
            shell_environment=secrets,
            volumes=tuple(volumes),
            user_dirs=tuple(user_dirs),
        )

    def _task_secret_values(self) -> dict[str, SecretStr]:
        names = self.settings.task_pass_env
        return {n: SecretStr(self._environ[n]) for n in names if n in self._environ}

    # --- failures --------------------------------------------------------------------------

    def _timed_out(self, step: SetupStep, output: str, redact: Redactor) -> SetupFailed:
        return SetupFailed(
            f"setup timed out: `{step.name}` was still running when the setup timeout "
            f"({self.settings.setup_timeout_s:g} s) passed",
            why="a command that waits for input, or a registry that does not answer, hangs",
            fix="raise TERMINUS_SETUP_TIMEOUT_S if the install is just slow; otherwise check "
            "that the command runs unattended and that setup can reach its registry",
            excerpt=redact(first_error(output)) if output else "",
        )

    def _step_failed(
        self, spec: EnvironmentSpec, step: SetupStep, result: ExecResult, output: str
    ) -> SetupFailed:
        excerpt = first_error(output)
        where = f"in {spec.source_file}" if spec.source_file else "(the standard install step)"
        fix = f"correct the command {where} or the project's manifests, then run again"
        if "CERTIFICATE_VERIFY_FAILED" in output or "certificate" in output.lower():
            fix = (
                "point TERMINUS_CA_BUNDLE at the CA bundle of your network's TLS proxy "
                "(PEM), so setup trusts it"
            )
        elif refusal := proxy_refusal(
            output, step.command, registry_hosts(spec.ecosystems, spec.allow_hosts)
        ):
            fix = refusal
        elif any(s in output for s in ("ENOTFOUND", "EAI_AGAIN", "Temporary failure in name")):
            fix = (
                "setup could not reach the registry: check the setup network and that the "
                "registry's host is allowed (allow_hosts)"
            )
        return SetupFailed(
            f"setup failed: `{step.name}` exited with status {result.exit_code}",
            why=excerpt.splitlines()[0] if excerpt else "",
            fix=fix,
            excerpt=excerpt,
        )

    def _write_log(self, key: str, lines: list[str]) -> None:
        """Keep setup's (masked) output in the state folder, readable by the owner only."""
        if not lines:
            return
        path = setup_log_path(self.settings, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
        except OSError as exc:
            log.warning("cannot write the setup log %s: %s", path, exc)


def setup_log_path(settings: Settings, key: str) -> Path:
    """Where the output of the last setup under ``key`` is kept."""
    return settings.state_dir / "environments" / f"{key[:24]}.log"


def _progress(on_event: EventCallback | None, message: str) -> None:
    log.info("%s", message)
    emit(on_event, TaskEvent(kind=EventKind.SETUP, message=message))
