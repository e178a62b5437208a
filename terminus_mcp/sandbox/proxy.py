"""The egress route of an ``allowlist`` sandbox: an internal network and a Squid sidecar.

:func:`open_route` creates, for one session, a Docker network with ``internal=True`` (no
gateway, no route off it) and a proxy container attached to both that network and the default
bridge. The sandbox joins only the internal network, with ``HTTP(S)_PROXY`` pointing at the
proxy and its DNS forwarder pointed at the proxy too (which runs no DNS server), so the
engine's resolver cannot carry queries out either. Take the proxy away and nothing gets out.

The network's bridge gets no host address (``inhibit_ipv4``): otherwise the host answers on
the network's gateway address, and every host service listening on all interfaces would be
reachable from the sandbox.

The proxy container is hardened like the sandbox: Squid's own unprivileged user, no
capabilities, no-new-privileges, a read-only root file system, small memory and pids limits.
Its configuration (:func:`terminus_mcp.sandbox.egress.squid_config`) travels in an
environment variable. Every call blocks; async callers use ``anyio.to_thread``.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container
from pydantic import BaseModel, ConfigDict

from terminus_mcp.errors import ImageMissing, SandboxError
from terminus_mcp.sandbox.egress import PROXY_PORT, squid_config
from terminus_mcp.sandbox.engine import ENGINE_ERRORS, START_FIX
from terminus_mcp.sandbox.hardening import LABEL_ROLE, MIB

log = logging.getLogger(__name__)

CONFIG_ENV = "TERMINUS_SQUID_CONF"
PROXY_COMMAND = [
    "/bin/sh",
    "-c",
    f'printf "%s" "${CONFIG_ENV}" > /tmp/squid.conf && exec squid -N -f /tmp/squid.conf',
]
INHIBIT_IPV4 = "com.docker.network.bridge.inhibit_ipv4"
READY_LINE = "Accepting HTTP Socket connections"
READY_TIMEOUT_S = 20.0
PROXY_MEMORY_BYTES = 256 * MIB


class EgressRoute(BaseModel):
    """Where an ``allowlist`` sandbox's traffic goes: its internal network and its proxy."""

    model_config = ConfigDict(frozen=True)

    network: str
    """Name of the internal network the sandbox joins (and nothing else)."""
    proxy_container: str
    """Id of the Squid container."""
    proxy_ip: str
    """The proxy's address on the internal network."""
    hosts: tuple[str, ...]
    """The allowlist the proxy enforces."""

    @property
    def proxy_url(self) -> str:
        return f"http://{self.proxy_ip}:{PROXY_PORT}"

    def env(self) -> dict[str, str]:
        """Proxy variables for the sandbox (both spellings: tools read one or the other).

        JVM tools read no ``HTTPS_PROXY``: every JVM gets the proxy as system properties in
        ``JAVA_TOOL_OPTIONS`` (Gradle and most Java clients honour them), and Maven, which
        reads only its settings, gets :data:`MAVEN_SETTINGS_TARGET` (see
        :meth:`maven_settings`) through ``MAVEN_ARGS``.
        """
        url = self.proxy_url
        no_proxy = ",".join(NO_PROXY_HOSTS)
        return {
            "HTTP_PROXY": url,
            "HTTPS_PROXY": url,
            "http_proxy": url,
            "https_proxy": url,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
            "JAVA_TOOL_OPTIONS": self.java_options(),
            "MAVEN_ARGS": f"--global-settings {MAVEN_SETTINGS_TARGET}",
        }

    def java_options(self) -> str:
        """The JVM system properties that send HTTP and HTTPS through the proxy."""
        java_hosts = "|".join(h.replace("::1", "[::1]") for h in NO_PROXY_HOSTS)
        return (
            " ".join(
                f"-D{scheme}.{key}={value}"
                for scheme in ("http", "https")
                for key, value in (("proxyHost", self.proxy_ip), ("proxyPort", PROXY_PORT))
            )
            + f" -Dhttp.nonProxyHosts={java_hosts}"
        )

    def maven_settings(self) -> str:
        """A Maven ``settings.xml`` whose only content is this proxy, for HTTP and HTTPS."""
        proxies = "".join(
            f"    <proxy><id>terminus-egress-{scheme}</id><active>true</active>"
            f"<protocol>{scheme}</protocol><host>{self.proxy_ip}</host>"
            f"<port>{PROXY_PORT}</port>"
            f"<nonProxyHosts>{'|'.join(NO_PROXY_HOSTS)}</nonProxyHosts></proxy>\n"
            for scheme in ("http", "https")
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<!-- Written by terminus-mcp: the sandbox's egress proxy. -->\n"
            '<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">\n'
            f"  <proxies>\n{proxies}  </proxies>\n</settings>\n"
        )


NO_PROXY_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Destinations that never go through the proxy (the sandbox's own loopback)."""

MAVEN_SETTINGS_TARGET = "/etc/terminus-mcp/maven-proxy-settings.xml"
"""Where an ``allowlist`` sandbox finds :meth:`EgressRoute.maven_settings`; ``MAVEN_ARGS``
names it as Maven's global settings, so a project's or user's own settings still apply."""

LIST_VARIABLES = {"JAVA_TOOL_OPTIONS": " "}
"""Variables whose values are lists: a second source adds to them rather than replacing."""


def merge_environment(base: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    """``base`` updated with ``extra``; list variables (:data:`LIST_VARIABLES`) set in both
    keep both values (``JAVA_TOOL_OPTIONS``: the proxy's and a trust store's)."""
    merged = {**base, **extra}
    for name, sep in LIST_VARIABLES.items():
        if base.get(name) and extra.get(name) and base[name] != extra[name]:
            merged[name] = base[name] + sep + extra[name]
    return merged


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "-" for c in text)[:40] or "session"


def open_route(
    client: docker.DockerClient,
    *,
    image: str,
    session_id: str,
    hosts: list[str],
    private_hosts: list[str],
    labels: dict[str, str],
) -> EgressRoute:
    """Create the internal network and start the proxy for ``hosts``; wait until it listens.

    Raises:
        ConfigError: a host entry is refused (IP literal, wildcard of everything ...).
        ImageMissing: the proxy image is not present.
        SandboxError: the network or the proxy cannot be created, or Squid does not start.
    """
    config = squid_config(hosts, private_hosts)
    name = f"terminus-mcp-egress-{_safe(session_id)}-{secrets.token_hex(3)}"
    try:
        network = client.networks.create(
            name,
            driver="bridge",
            internal=True,
            check_duplicate=True,
            # No host address on the bridge: an internal network still gets a gateway IP on
            # the host by default, through which the sandbox could reach host services.
            options={INHIBIT_IPV4: "true"},
            labels={**labels, LABEL_ROLE: "egress"},
        )
    except ENGINE_ERRORS as exc:
        raise SandboxError(
            "cannot create the sandbox's internal network", why=str(exc), fix=START_FIX
        ) from exc
    container: Container | None = None
    try:
        container = _create_proxy(client, image, name, config, labels)
        network.connect(container)
        container.start()
        _wait_ready(container)
        container.reload()
        ip = container.attrs["NetworkSettings"]["Networks"][name]["IPAddress"]
    except BaseException:
        close_route(client, network=name, proxy_container=container.id if container else None)
        raise
    log.info("session %s: egress proxy %s on %s (%s)", session_id, container.short_id, name, ip)
    return EgressRoute(network=name, proxy_container=container.id, proxy_ip=ip, hosts=tuple(hosts))


def _create_proxy(
    client: docker.DockerClient, image: str, name: str, config: str, labels: dict[str, str]
) -> Container:
    kwargs: dict[str, Any] = {
        "image": image,
        "name": name + "-proxy",
        "command": PROXY_COMMAND,
        "environment": {CONFIG_ENV: config},
        "labels": {**labels, LABEL_ROLE: "proxy"},
        "network": "bridge",
        "detach": True,
        "init": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "privileged": False,
        "read_only": True,
        "tmpfs": {"/tmp": "size=16m", "/var/spool/squid": "size=16m", "/run": "size=1m"},
        "mem_limit": PROXY_MEMORY_BYTES,
        "memswap_limit": PROXY_MEMORY_BYTES,
        "pids_limit": 64,
        "nano_cpus": 500_000_000,
        "stop_signal": "SIGKILL",
    }
    try:
        return client.containers.create(**kwargs)
    except docker.errors.ImageNotFound as exc:
        raise ImageMissing(
            f"the egress proxy image {image} is not present",
            why=str(exc),
            fix="run `terminus-mcp sandbox build` (it builds the proxy image too)",
        ) from exc
    except ENGINE_ERRORS as exc:
        raise SandboxError("cannot create the egress proxy", why=str(exc), fix=START_FIX) from exc


def _wait_ready(container: Container) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        logs = container.logs(stdout=True, stderr=True).decode("utf-8", errors="replace")
        if READY_LINE in logs:
            return
        container.reload()
        if container.status not in ("created", "running"):
            raise SandboxError(
                "the egress proxy (Squid) stopped right after starting",
                why=logs.strip()[-1500:] or f"container status {container.status}",
                fix="rebuild the proxy image with `terminus-mcp sandbox build`",
            )
        time.sleep(0.1)
    raise SandboxError(
        f"the egress proxy (Squid) did not start listening within {READY_TIMEOUT_S:g} s",
        fix="run `terminus-mcp doctor`; the engine may be overloaded",
    )


def close_route(client: docker.DockerClient, *, network: str, proxy_container: str | None) -> None:
    """Remove the proxy and the internal network (after the sandbox left it). Never raises."""
    if proxy_container:
        try:
            client.containers.get(proxy_container).remove(force=True)
        except docker.errors.NotFound:
            pass
        except ENGINE_ERRORS as exc:
            log.warning("cannot remove egress proxy %s: %s", proxy_container[:12], exc)
    try:
        client.networks.get(network).remove()
    except docker.errors.NotFound:
        pass
    except ENGINE_ERRORS as exc:
        log.warning("cannot remove network %s: %s", network, exc)
