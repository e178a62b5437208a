"""The egress allowlist as data: host checks, registry defaults, the Squid configuration (parsed
by the real Squid of the proxy image), and the settings that carry them."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
from conftest import sandbox_settings

from terminus_mcp.environments.egress import registry_hosts as registry_hosts_for_setup
from terminus_mcp.environments.egress import setup_network
from terminus_mcp.errors import ConfigError
from terminus_mcp.sandbox.egress import (
    REGISTRY_HOSTS,
    check_host,
    proxy_refusal,
    registry_hosts,
    squid_config,
)
from terminus_mcp.sandbox.proxy import CONFIG_ENV
from terminus_mcp.settings import load_settings


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("PyPI.org.", "pypi.org"),
        ("*.example.org", ".example.org"),
        (".example.org", ".example.org"),
        ("a-b.c", "a-b.c"),
    ],
)
def test_host_entries_are_normalized(entry: str, expected: str) -> None:
    assert check_host(entry) == expected


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("10.0.0.1", "is an IP address"),
        ("[::1]", "is an IP address"),
        ("::ffff:127.0.0.1", "is an IP address"),
        ("*", "allows everything"),
        (".", "allows everything"),
        ("*.*", "allows everything"),
        (".org", "whole top-level domain"),
        ("https://pypi.org", "not a host name"),
        ("pypi.org:443", "not a host name"),
        ("bad_name.org", "not a valid host name"),
        ("-x.org", "not a valid host name"),
    ],
)
def test_refused_host_entries_say_why(entry: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason) as info:
        check_host(entry)
    assert "Fix:" in str(info.value)


def test_registry_hosts_per_ecosystem() -> None:
    assert registry_hosts(["python", "node"]) == [
        "pypi.org",
        "files.pythonhosted.org",
        "registry.npmjs.org",
    ]
    assert registry_hosts(["maven", "gradle"], extra=["repo.example.org"])[-1] == (
        "repo.example.org"
    )
    assert set(REGISTRY_HOSTS) == {"python", "node", "maven", "gradle", "rust", "go"}
    with pytest.raises(ConfigError, match="unknown ecosystem"):
        registry_hosts(["cobol"])


def test_settings_carry_network_modes_and_hosts() -> None:
    settings = load_settings({"network": "true", "allow_hosts": "pypi.org, .example.org"})
    assert settings.network == "open"
    assert settings.setup_network == "allowlist"
    assert settings.allow_hosts == ["pypi.org", ".example.org"]
    assert load_settings({"network": False}).network == "none"
    with pytest.raises(ConfigError, match=r"allow_hosts .*is an IP address"):
        load_settings({"allow_hosts": "pypi.org,127.0.0.1"})


def test_config_refuses_unlisted_names_before_resolving_them() -> None:
    config = squid_config(["pypi.org"], [])
    lines = [line for line in config.splitlines() if line.startswith("http_access")]
    assert lines[:2] == ["http_access deny ip_literal", "http_access deny !allowed_hosts"]
    assert lines[-1] == "http_access deny all"
    assert "acl allowed_hosts dstdomain -n pypi.org" in config
    assert "http_access deny all" in squid_config([], [])


def test_proxy_refusal_ignores_ordinary_failures() -> None:
    assert proxy_refusal("curl: (6) Could not resolve host: example.org") is None
    assert proxy_refusal("HTTP/1.1 403 Forbidden\nfrom some server") is None
    npm = "npm ERR! 403 403 Forbidden - GET https://registry.npmjs.org/private-pkg"
    assert proxy_refusal(npm) is None
    assert proxy_refusal(npm, allowlist=["registry.npmjs.org"]) is None
    assert proxy_refusal(npm, allowlist=[".npmjs.org"]) is None
    assert proxy_refusal(npm, allowlist=["pypi.org"]) is not None


@pytest.mark.docker
def test_real_squid_parses_the_config(
    docker_client: docker.DockerClient, workspace_root: Path
) -> None:
    image = sandbox_settings(workspace_root).proxy_image
    config = squid_config(["pypi.org", ".example.org"], ["mirror.example.org"])
    output = docker_client.containers.run(
        image,
        ["/bin/sh", "-c", f'printf "%s" "${CONFIG_ENV}" > /tmp/c && squid -k parse -f /tmp/c'],
        environment={CONFIG_ENV: config},
        remove=True,
        stderr=True,
    ).decode()
    assert "FATAL" not in output, output
    assert "ERROR" not in output, output
    # The one warning left is about the engine, not the config: containers here have no IPv6.
    warnings = [x for x in output.splitlines() if "WARNING" in x and "BCP 177" not in x]
    assert warnings == [], output


def test_setup_hosts_for_the_allowlist() -> None:
    """What project setup asks the egress proxy for: its ecosystems' registries and the
    project's own hosts, checked; never a wider network than the operator allows."""
    hosts = registry_hosts_for_setup(["python", "cargo"], ["PyPI.org", "mirror.example.com"])
    assert hosts == [
        "pypi.org",
        "files.pythonhosted.org",
        "crates.io",
        "static.crates.io",
        "index.crates.io",
        "mirror.example.com",
    ]
    with pytest.raises(ConfigError, match="is an IP address"):
        registry_hosts_for_setup(["python"], ["10.1.2.3"])
    assert setup_network("open", "allowlist") == "allowlist"
    assert setup_network("none", "allowlist") == "none"
    assert setup_network(None, "open") == "open"
