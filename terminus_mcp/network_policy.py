"""The vocabulary of the network settings: the network modes and the check of a host name.

It sits below :mod:`terminus_mcp.settings`, which validates ``network`` and ``allow_hosts``
with it; the egress proxy's policy (:mod:`terminus_mcp.sandbox.egress`) builds on it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Literal

from terminus_mcp.errors import ConfigError

NetworkMode = Literal["none", "allowlist", "open"]
"""``none``: loopback only. ``allowlist``: only the allowed hosts, through the egress proxy.
``open``: Docker's default bridge, anything the host reaches."""

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def check_host(entry: str) -> str:
    """An ``allow_hosts`` entry, normalized (lower case, no trailing dot).

    ``example.org`` allows that name only; ``.example.org`` or ``*.example.org`` allows it and
    every name under it.

    Raises:
        ConfigError: the entry is an IP address, a wildcard of everything (``*``, ``.``, a
            bare top-level domain), has a scheme, port or path, or is not a valid host name.
    """
    raw = entry.strip()
    host = raw.lower().rstrip(".")
    wildcard = host.startswith(("*.", "."))
    name = host.removeprefix("*").removeprefix(".")
    fix = 'list host names only, for example "pypi.org" or ".example.org" (with subdomains)'
    bare = name.strip("[]")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        raise ConfigError(
            f"allow_hosts entry {raw!r} is an IP address",
            why="the egress proxy allows host names only; IP literals are always refused",
            fix=fix,
        )
    if not name or name in ("*",) or "*" in name:
        raise ConfigError(
            f"allow_hosts entry {raw!r} allows everything",
            why="a wildcard of every host would make the allowlist an open network",
            fix=fix + ', or set network = "open" if that is what you mean',
        )
    if any(c in name for c in "/:@ ") or "://" in raw:
        raise ConfigError(
            f"allow_hosts entry {raw!r} is not a host name",
            why="schemes, ports, paths and credentials are not part of a host name",
            fix=fix,
        )
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise ConfigError(f"allow_hosts entry {raw!r} is not a valid host name", fix=fix)
    if wildcard and len(labels) < 2:
        raise ConfigError(
            f"allow_hosts entry {raw!r} allows a whole top-level domain",
            why="every host under a top-level domain is close to every host",
            fix=fix,
        )
    return "." + name if wildcard else name


def check_hosts(entries: Iterable[str]) -> list[str]:
    """:func:`check_host` on each entry; duplicates dropped, order kept.

    Raises:
        ConfigError: one entry is refused (the first one found).
    """
    seen: dict[str, None] = {}
    for entry in entries:
        seen.setdefault(check_host(entry), None)
    return list(seen)
