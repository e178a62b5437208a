"""Which network a project's setup gets, and which hosts it may reach.

Setup runs in a sandbox of its own. Its network mode is the project's choice narrowed to the
operator's ``setup_network`` (a cloned repository must never open the network for itself), and
in ``allowlist`` mode it reaches the package registries of the ecosystems found, plus the
project's ``allow_hosts``, through the sandbox layer's egress proxy
(:mod:`terminus_mcp.sandbox.egress`, :mod:`terminus_mcp.sandbox.proxy`).
"""

from __future__ import annotations

from collections.abc import Sequence

from terminus_mcp.environments.spec import NetworkMode
from terminus_mcp.sandbox import egress

STRICTNESS: dict[str, int] = {"none": 0, "allowlist": 1, "open": 2}
DEFAULT_SETUP_NETWORK: NetworkMode = "allowlist"
"""Setup's network when the operator configures none (the ``setup_network`` setting's
default)."""

_ECOSYSTEM_NAMES = {"cargo": "rust"}
"""Ecosystems as detection names them, spelled as the egress policy does."""


def setup_network(project: NetworkMode | None, configured: NetworkMode) -> NetworkMode:
    """The network setup gets: the project's choice, but never wider than the operator's (a
    cloned repository must not open the network for itself)."""
    if project is None:
        return configured
    return project if STRICTNESS[project] <= STRICTNESS[configured] else configured


def registry_hosts(ecosystems: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    """The hosts setup needs for ``ecosystems``, plus ``extra``, without repeats.

    Raises:
        ConfigError: an extra host is refused (an IP literal, a wildcard of everything).
    """
    names = [_ECOSYSTEM_NAMES.get(name, name) for name in ecosystems]
    known = [name for name in names if name in egress.REGISTRY_HOSTS]
    return egress.registry_hosts(known, extra)
