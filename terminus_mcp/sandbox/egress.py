"""The egress allowlist: which hosts a sandbox may reach, as a Squid configuration.

In ``allowlist`` network mode a sandbox sits on an internal Docker network whose only way out
is a Squid proxy (see :mod:`terminus_mcp.sandbox.proxy`). This module is the policy: host
names checked (:func:`check_host`), the package registries of each ecosystem
(:func:`registry_hosts`), the proxy's configuration (:func:`squid_config`), and how a refusal
looks in a command's output (:func:`proxy_refusal`). Nothing here touches Docker or the network.

What the proxy lets through: requests whose host name is on the list (a name, or ``.name`` for
it and its subdomains), as plain HTTP to port 80 or ``CONNECT`` to port 443. Refused: any
other host (without resolving it), IP literals (IPv4 and IPv6), ``CONNECT`` to any other port,
and any name that resolves to a loopback, private, link-local, shared or reserved address,
unless that name is also in ``allow_private_hosts`` (an in-house registry mirror).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

from terminus_mcp.errors import ConfigError
from terminus_mcp.network_policy import NetworkMode, check_host, check_hosts

__all__ = [  # NetworkMode and the host checks live below settings; they are named here too
    "NetworkMode",
    "check_host",
    "check_hosts",
]

Ecosystem = Literal["python", "node", "maven", "gradle", "rust", "go"]

REGISTRY_HOSTS: dict[Ecosystem, tuple[str, ...]] = {
    "python": ("pypi.org", "files.pythonhosted.org"),
    "node": ("registry.npmjs.org",),
    "maven": ("repo.maven.apache.org", "repo1.maven.org"),
    "gradle": ("repo.maven.apache.org", "repo1.maven.org", "plugins.gradle.org"),
    "rust": ("crates.io", "static.crates.io", "index.crates.io"),
    "go": ("proxy.golang.org", "sum.golang.org"),
}
"""The package registries each ecosystem's standard install step needs."""

PROXY_PORT = 3128
PROXY_HOSTNAME = "terminus-egress-proxy"
"""Squid's ``visible_hostname``: it signs every error page the proxy sends."""

REFUSED_RANGES: tuple[str, ...] = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)
"""Destinations the proxy refuses even for an allowed name: loopback, private, shared (CGNAT),
link-local (cloud metadata), multicast, reserved, and IPv6 forms that map onto IPv4."""


def registry_hosts(ecosystems: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """The allowlist for installs in ``ecosystems`` (see :data:`REGISTRY_HOSTS`) plus
    ``extra`` hosts (checked with :func:`check_host`).

    Raises:
        ConfigError: an ecosystem is unknown, or an extra host is refused.
    """
    hosts: list[str] = []
    for name in ecosystems:
        if name not in REGISTRY_HOSTS:
            known = ", ".join(REGISTRY_HOSTS)
            raise ConfigError(f"unknown ecosystem {name!r}", fix=f"use one of: {known}")
        hosts.extend(REGISTRY_HOSTS[name])
    return check_hosts([*hosts, *extra])


def _acl(name: str, kind: str, values: Sequence[str], flags: str = "") -> list[str]:
    prefix = f"acl {name} {kind} {flags}".rstrip()
    return [f"{prefix} {value}" for value in values]


def squid_config(hosts: Sequence[str], private_hosts: Sequence[str] = ()) -> str:
    """The proxy's ``squid.conf`` for an allowlist (entries as :func:`check_host` returns).

    ``private_hosts``: allowed names that may resolve to private addresses. Rules run in
    order, first match wins; an unlisted name is refused before it is ever resolved, so the
    proxy cannot be used to send DNS queries for arbitrary names.

    Raises:
        ConfigError: an entry is refused by :func:`check_host`.
    """
    allowed = check_hosts(hosts)
    private = check_hosts(private_hosts)
    lines = [
        "# Written by terminus-mcp: the egress allowlist of one sandbox.",
        f"http_port {PROXY_PORT}",
        f"visible_hostname {PROXY_HOSTNAME}",
        "pid_filename none",
        "netdb_filename none",
        "cache deny all",
        "cache_mem 8 MB",
        "access_log stdio:/dev/stdout",
        "cache_log /dev/stderr",
        "logfile_rotate 0",
        "shutdown_lifetime 0 seconds",
        "forwarded_for delete",
        "httpd_suppress_version_string on",
        "acl CONNECT method CONNECT",
        "acl tls_port port 443",
        "acl http_port port 80",
        r"acl ip_literal dstdom_regex -n ^[0-9.]+$ ^\[?[0-9a-f:.]*:[0-9a-f:.]*\]?$",
        *_acl("to_refused", "dst", REFUSED_RANGES),
    ]
    if allowed:
        lines += _acl("allowed_hosts", "dstdomain", allowed, "-n")
    if private:
        lines += _acl("private_ok", "dstdomain", private, "-n")
    lines += [
        "http_access deny ip_literal",
        "http_access deny !allowed_hosts" if allowed else "http_access deny all",
        "http_access deny CONNECT !tls_port",
        "http_access deny !CONNECT !http_port",
        "http_access deny !private_ok to_refused" if private else "http_access deny to_refused",
        "http_access allow allowed_hosts" if allowed else "",
        "http_access deny all",
        "icp_access deny all",
        "htcp_access deny all",
        "snmp_access deny all",
    ]
    return "\n".join(line for line in lines if line) + "\n"


_REFUSAL_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"X-Squid-Error:\s*ERR_ACCESS_DENIED",
        r"ERR_ACCESS_DENIED",
        r"CONNECT tunnel failed, response 403",
        r"Received HTTP code 403 from proxy after CONNECT",
        r"Tunnel connection failed: 403",
        r"Unable to tunnel through proxy\. Proxy returns \"HTTP/1\.[01] 403",
        r"proxyconnect tcp: .*403",
        r"by " + PROXY_HOSTNAME,
    )
)

_URL = re.compile(
    r"\b(?:https?://|CONNECT\s+)([a-z0-9.-]+\.[a-z]{2,}|\[[0-9a-f:.]+\]|[0-9.]{7,})", re.I
)


_FORBIDDEN_URL = re.compile(r"\b403 Forbidden\b[^\n]*?\bhttps?://([a-z0-9.-]+)", re.IGNORECASE)
_URL_FORBIDDEN = re.compile(r"\bhttps?://([a-z0-9.-]+)[^\s,]*,? status: 403\b", re.IGNORECASE)
"""A 403 naming a URL (npm: ``403 Forbidden - GET https://HOST/...``; Maven: ``authorization
failed for https://HOST/..., status: 403 Forbidden``): a refusal by the proxy only if HOST
is not on the allowlist, since a registry answers 403 too."""


def host_allowed(host: str, allowlist: Iterable[str]) -> bool:
    """Whether ``host`` matches an allowlist entry (``.name`` matches it and its subdomains)."""
    host = host.lower().rstrip(".")
    for entry in allowlist:
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def proxy_refusal(
    output: str, command: str = "", allowlist: Iterable[str] | None = None
) -> str | None:
    """One sentence when ``output`` shows the egress proxy refusing a request, else ``None``.

    Recognizes Squid's refusal as curl, git, cargo (libcurl), pip (urllib3), Java and Go
    print it. npm and Maven print only a 403 for a URL, which a registry can answer too:
    that counts when ``allowlist`` (the session's) is given and the URL's host is not on it.
    The sentence names the hosts the output (or else the ``command``) names.
    """
    refused = any(p.search(output) for p in _REFUSAL_PATTERNS)
    if not refused and allowlist is not None:
        allowed = list(allowlist)
        refused = any(
            not host_allowed(m.group(1), allowed)
            for pattern in (_FORBIDDEN_URL, _URL_FORBIDDEN)
            for m in pattern.finditer(output)
        )
    if not refused:
        return None
    hosts = list(dict.fromkeys(m.group(1).lower() for m in _URL.finditer(output)))
    hosts = hosts or list(dict.fromkeys(m.group(1).lower() for m in _URL.finditer(command)))
    named = f" ({', '.join(hosts[:3])})" if hosts else ""
    return (
        f"the egress proxy refused a request{named}: only the hosts in allow_hosts (and the "
        "detected package registries) are reachable, never IP addresses, private addresses "
        'or ports other than 80/443; add the host to allow_hosts, or set network = "open"'
    )
