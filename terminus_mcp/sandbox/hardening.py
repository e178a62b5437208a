"""Every hardening choice of a sandbox container, as data in one place.

:class:`Hardening` is built from the settings and turned into the keyword arguments of
``docker.containers.create``. Tests assert the same values on the running container with
``docker inspect``. What is *never* set is as important as what is: no ``privileged``, no
host PID/IPC/network namespace, no devices, no added capabilities, no ``seccomp=unconfined``,
no Docker socket mount.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docker.types import Mount, Ulimit
from pydantic import BaseModel, ConfigDict, field_validator

from terminus_mcp.sandbox.egress import NetworkMode
from terminus_mcp.settings import Settings

if TYPE_CHECKING:
    from terminus_mcp.sandbox.proxy import EgressRoute

LABEL_PREFIX = "org.terminus-mcp"
LABEL_OWNER = f"{LABEL_PREFIX}.owner"
"""Id of the terminus-mcp process instance that created the container."""
LABEL_PID = f"{LABEL_PREFIX}.pid"
"""Host PID of that process, for reaping after a crash."""
LABEL_PID_START = f"{LABEL_PREFIX}.pid-start"
"""Start time of that process (``/proc/PID/stat`` field 22), so a reused PID is not mistaken
for the owner."""
LABEL_HOSTNAME = f"{LABEL_PREFIX}.hostname"
"""Host the owner ran on; PIDs are only compared on the same host."""
LABEL_SESSION = f"{LABEL_PREFIX}.session"
"""Sandbox session id."""
LABEL_IMAGE = f"{LABEL_PREFIX}.image"
"""Set on images the project built."""
LABEL_ROLE = f"{LABEL_PREFIX}.role"
"""``proxy`` on egress proxy containers, ``egress`` on their internal networks; absent on
sandbox containers."""

CONTAINER_ENV: dict[str, str] = {
    "CI": "1",
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "MANPAGER": "cat",
    "TERM": "dumb",
    "NO_COLOR": "1",
    "DEBIAN_FRONTEND": "noninteractive",
    "GIT_TERMINAL_PROMPT": "0",
    "PIP_PROGRESS_BAR": "off",
    "PIP_NO_INPUT": "1",
    "PYTHONUNBUFFERED": "1",
    "LANG": "C.UTF-8",
}
"""The non-interactive environment every command sees: no pagers, colours, prompts or
progress bars."""

KEEPALIVE_COMMAND = ["sleep", "infinity"]
"""PID 1's child: it only keeps the container up. Commands run through ``exec``."""

WORKSPACE = "/workspace"

MIB = 1024 * 1024

USER_PROCESS_LIMIT = 32768
"""``ulimit -u`` (RLIMIT_NPROC) in the sandbox. Set explicitly so that no engine default applies:
rootful Podman asks for 1048576, which the runtime can only grant where root holds
CAP_SYS_RESOURCE (without it, every container fails to start). The kernel counts it per user ID
(across the host for a rootful engine), so it stays high; the pids limit is the real bound."""


def process_start_time(pid: int) -> str:
    """Start time of a host process in clock ticks since boot, or ``""`` when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


class OwnerLabels(BaseModel):
    """Who owns a container: enough to tell, after a crash, that its owner is dead."""

    model_config = ConfigDict(frozen=True)

    owner: str
    pid: int
    pid_start: str
    hostname: str

    @classmethod
    def for_this_process(cls, owner: str) -> OwnerLabels:
        pid = os.getpid()
        return cls(
            owner=owner,
            pid=pid,
            pid_start=process_start_time(pid),
            hostname=socket.gethostname(),
        )

    def labels(self) -> dict[str, str]:
        return {
            LABEL_OWNER: self.owner,
            LABEL_PID: str(self.pid),
            LABEL_PID_START: self.pid_start,
            LABEL_HOSTNAME: self.hostname,
        }


class Hardening(BaseModel):
    """Resource limits and isolation of a sandbox container."""

    model_config = ConfigDict(frozen=True)

    user: str
    """``UID:GID`` the container and every command run as. ``0:0`` only for a workspace that
    root owns (then with no capabilities and no-new-privileges, like every sandbox)."""
    network: NetworkMode = "none"
    """``none``: loopback only; ``allowlist``: an internal network whose only way out is the
    egress proxy; ``open``: Docker's default bridge."""
    memory_bytes: int
    nano_cpus: int
    pids_limit: int
    max_open_files: int
    max_file_size_bytes: int
    runtime: str | None = None
    """OCI runtime (``runsc`` for gVisor); ``None``: the engine's default (runc)."""
    read_only_rootfs: bool = False

    @field_validator("network", mode="before")
    @classmethod
    def _network_mode(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return "open" if value else "none"
        return value

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        user: str,
        network: NetworkMode | bool,
        runtime: str | None,
        root_owned_workspace: bool = False,
    ) -> Hardening:
        """Hardening for a session. ``user`` may be ``0:0`` only with ``root_owned_workspace``:
        root inside then writes what root owns outside, with no capabilities.

        Raises:
            ValueError: ``user`` is root (or empty) for a workspace root does not own.
        """
        uid = user.split(":")[0]
        if uid == "" or (uid == "0" and not root_owned_workspace):
            raise ValueError("the sandbox runs as root only on a workspace that root owns")
        return cls(
            user=user,
            network=network,
            memory_bytes=settings.memory_limit_mb * MIB,
            nano_cpus=int(settings.cpus * 1e9),
            pids_limit=settings.pids_limit,
            max_open_files=settings.max_open_files,
            max_file_size_bytes=settings.max_file_size_mb * MIB,
            runtime=runtime,
        )

    def create_kwargs(
        self,
        *,
        image: str,
        mounts: list[Mount],
        labels: dict[str, str],
        route: EgressRoute | None = None,
    ) -> dict[str, Any]:
        """Keyword arguments for ``DockerClient.containers.create``.

        ``route`` (required for ``allowlist``) puts the container on its internal network
        only, with the proxy variables set and the engine's DNS forwarder aimed at the proxy
        (which answers no DNS), so names resolve nowhere but through the proxy.

        Raises:
            ValueError: ``allowlist`` without a route.
        """
        if self.network == "allowlist" and route is None:
            raise ValueError("an allowlist sandbox needs its egress route")
        kwargs: dict[str, Any] = {
            "image": image,
            "command": KEEPALIVE_COMMAND,
            "user": self.user,
            "working_dir": WORKSPACE,
            "environment": dict(CONTAINER_ENV),
            "labels": labels,
            "mounts": mounts,
            "detach": True,
            "init": True,
            "stdin_open": False,
            "tty": False,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "privileged": False,
            "network_mode": {"none": "none", "open": "bridge"}.get(self.network, "none"),
            "mem_limit": self.memory_bytes,
            "memswap_limit": self.memory_bytes,
            "nano_cpus": self.nano_cpus,
            "pids_limit": self.pids_limit,
            "ulimits": [
                Ulimit(name="nofile", soft=self.max_open_files, hard=self.max_open_files),
                Ulimit(name="fsize", soft=self.max_file_size_bytes, hard=self.max_file_size_bytes),
                Ulimit(name="core", soft=0, hard=0),
                Ulimit(name="nproc", soft=USER_PROCESS_LIMIT, hard=USER_PROCESS_LIMIT),
            ],
            "read_only": self.read_only_rootfs,
            "stop_signal": "SIGKILL",
        }
        if self.network == "allowlist" and route is not None:
            kwargs["network_mode"] = route.network
            kwargs["environment"].update(route.env())
            kwargs["dns"] = [route.proxy_ip]
        if self.runtime:
            kwargs["runtime"] = self.runtime
        return kwargs
