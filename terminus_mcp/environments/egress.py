"""How setup reaches package registries: the seam to the egress allowlist.

:class:`Egress` is the one call the environments make: given the network mode and the hosts
setup must reach, it returns how to attach the sandbox. :class:`BridgeEgress` (the fallback)
uses Docker's default bridge for ``open`` and ``allowlist`` alike and says so; the allowlist
proxy implements the same protocol to put setup on its internal network instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from terminus_mcp.environments.spec import NetworkMode
from terminus_mcp.sandbox.egress import check_hosts

REGISTRY_HOSTS: dict[str, tuple[str, ...]] = {
    "python": ("pypi.org", "files.pythonhosted.org"),
    "node": ("registry.npmjs.org", "registry.yarnpkg.com"),
    "maven": ("repo.maven.apache.org", "repo1.maven.org"),
    "gradle": ("services.gradle.org", "plugins.gradle.org", "repo.maven.apache.org"),
    "cargo": ("index.crates.io", "static.crates.io", "crates.io"),
    "go": ("proxy.golang.org", "sum.golang.org"),
}
"""The registries each ecosystem's standard install step reaches."""


STRICTNESS: dict[str, int] = {"none": 0, "allowlist": 1, "open": 2}
DEFAULT_SETUP_NETWORK: NetworkMode = "allowlist"
"""Setup's network when the operator configures none (the ``setup_network`` setting's
default)."""


def setup_network(project: NetworkMode | None, configured: NetworkMode) -> NetworkMode:
    """The network setup gets: the project's choice, but never wider than the operator's (a
    cloned repository must not open the network for itself)."""
    if project is None:
        return configured
    return project if STRICTNESS[project] <= STRICTNESS[configured] else configured


def registry_hosts(ecosystems: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """The hosts setup needs for ``ecosystems``, plus ``extra``, without repeats."""
    hosts = [h for eco in ecosystems for h in REGISTRY_HOSTS.get(eco, ())]
    return list(dict.fromkeys([*hosts, *extra]))


class EgressRoute(BaseModel):
    """How to attach one sandbox to the network."""

    model_config = ConfigDict(frozen=True)

    network: bool
    """Whether the sandbox gets a network interface besides loopback."""
    environment: dict[str, str] = Field(default_factory=dict)
    """Variables that point tools at the way out (``HTTPS_PROXY``, ``NO_PROXY``)."""
    note: str = ""
    """A sentence for the user when the route differs from what was asked."""
    allowlist: tuple[str, ...] | None = None
    """Hosts the sandbox's egress proxy lets through (``allowlist`` mode through
    :class:`ProxyEgress`); ``None``: no proxy."""


class Egress(Protocol):
    """Gives a sandbox the network access a mode and a host list call for."""

    def route(self, mode: NetworkMode, hosts: Sequence[str]) -> EgressRoute:
        """The route for ``mode``; ``hosts`` is what ``allowlist`` lets through.

        Raises:
            SandboxError: the way out cannot be set up (the proxy does not start).
        """
        ...


class ProxyEgress:
    """``allowlist`` through the egress proxy of :mod:`terminus_mcp.sandbox.proxy`: the setup
    sandbox joins an internal network whose only way out is a Squid sidecar allowing
    ``hosts`` (the sandbox backend creates both and sets the proxy variables)."""

    def route(self, mode: NetworkMode, hosts: Sequence[str]) -> EgressRoute:
        """Raises:
        ConfigError: a host is an IP literal or a wildcard of everything."""
        if mode == "none":
            return EgressRoute(network=False)
        if mode == "open":
            return EgressRoute(network=True)
        return EgressRoute(network=True, allowlist=tuple(check_hosts(hosts)))


class BridgeEgress:
    """Docker's default bridge for any mode but ``none``; no host filtering."""

    def route(self, mode: NetworkMode, hosts: Sequence[str]) -> EgressRoute:
        if mode == "none":
            return EgressRoute(network=False)
        note = ""
        if mode == "allowlist":
            note = "the egress allowlist is not available here: setup used the open network"
        return EgressRoute(network=True, note=note)
