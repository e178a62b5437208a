"""Network by allowlist against the real engine: the internal network, the Squid sidecar, and
what gets through it. Every request goes to a server on a Docker network this test creates
(``tests/support/egress_lab.py``), never off this machine."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from conftest import make_workspace, sandbox_settings
from support.egress_lab import ALLOWED, GREETING, PRIVATE, UNLISTED, EgressLab, egress_lab, join_lab

from terminus_mcp.errors import ConfigError
from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.docker_backend import DockerSession
from terminus_mcp.sandbox.egress import proxy_refusal
from terminus_mcp.sandbox.manager import SandboxManager

pytestmark = [pytest.mark.docker, pytest.mark.anyio]

CURL = "curl -sS --max-time 10"


@pytest.fixture(scope="module")
def lab(docker_client: docker.DockerClient, workspace_root: Path) -> Iterator[EgressLab]:
    image = sandbox_settings(workspace_root).sandbox_image
    with egress_lab(docker_client, image) as bench:
        yield bench


@pytest.fixture(scope="module")
async def egress_manager(
    docker_client: docker.DockerClient, workspace_root: Path
) -> AsyncIterator[SandboxManager]:
    settings = sandbox_settings(
        workspace_root,
        network="allowlist",
        allow_hosts=[ALLOWED, PRIVATE],
        allow_private_hosts=[ALLOWED],
    )
    async with SandboxManager(settings, client=docker_client) as manager:
        yield manager


@pytest.fixture(scope="module")
async def session(
    egress_manager: SandboxManager,
    workspace_root: Path,
    lab: EgressLab,
    docker_client: docker.DockerClient,
) -> DockerSession:
    opened = await egress_manager.create(
        SessionSpec(workdir=make_workspace(workspace_root, "egress"))
    )
    assert opened.route is not None
    join_lab(docker_client, lab, opened.route.proxy_container)
    return opened


async def sh(session: DockerSession, command: str) -> str:
    result = await session.run(command + " 2>&1; echo exit=$?", timeout_s=60)
    return result.output


async def test_allowlisted_host_is_reached_through_the_proxy(session: DockerSession) -> None:
    out = await sh(session, f"{CURL} http://{ALLOWED}/")
    assert f"{GREETING} port 80" in out, out
    assert "exit=0" in out, out
    tunnel = await sh(session, f"{CURL} --proxytunnel http://{ALLOWED}:443/")
    assert f"{GREETING} port 443" in tunnel, tunnel
    assert "exit=0" in tunnel, tunnel


async def test_unlisted_host_is_refused_and_the_refusal_is_recognized(
    session: DockerSession,
) -> None:
    plain = await sh(session, f"{CURL} -i http://{UNLISTED}/")
    assert "HTTP/1.1 403 Forbidden" in plain, plain
    assert GREETING not in plain, plain
    assert "X-Squid-Error: ERR_ACCESS_DENIED" in plain
    tls_command = f"{CURL} https://{UNLISTED}/"
    tls = await sh(session, tls_command)
    assert "CONNECT tunnel failed, response 403" in tls, tls
    for out in (plain, tls):
        message = proxy_refusal(out)
        assert message is not None, out
        assert "allow_hosts" in message, out
    assert UNLISTED in (proxy_refusal(tls, tls_command) or "")


async def test_real_clients_refusals_are_recognized(session: DockerSession) -> None:
    """pip, git and npm, refused by the proxy: the answer can say so from their output
    (npm's plain 403 only with the session's allowlist, which the host is not on)."""
    outputs = {
        "pip": await sh(
            session,
            f"python3 -m pip download --no-deps --retries 1 --timeout 5 -d /tmp/pip "
            f"--index-url https://{UNLISTED}/simple/ example-package",
        ),
        "git": await sh(session, f"git ls-remote https://{UNLISTED}/repo.git"),
        "npm": await sh(
            session,
            f"npm view --registry https://{UNLISTED}/ --fetch-retries=0 left-pad version",
        ),
    }
    for tool, out in outputs.items():
        assert "exit=0" not in out, (tool, out)
        assert proxy_refusal(out, allowlist=[ALLOWED, PRIVATE]) is not None, (tool, out)
        print(f"--- {tool}\n{out}")  # the real outputs, for the record (pytest -s)


async def test_connect_to_another_port_is_refused(session: DockerSession) -> None:
    out = await sh(session, f"{CURL} --proxytunnel http://{ALLOWED}:8443/")
    assert "CONNECT tunnel failed, response 403" in out, out
    assert GREETING not in out, out


async def test_plain_http_to_another_port_is_refused(session: DockerSession) -> None:
    out = await sh(session, f"{CURL} -i http://{ALLOWED}:8443/")
    assert "403 Forbidden" in out, out
    assert GREETING not in out, out


async def test_ip_literal_is_refused(session: DockerSession, lab: EgressLab) -> None:
    out = await sh(session, f"{CURL} -i http://{lab.server_ip}/")
    assert "403 Forbidden" in out, out
    assert GREETING not in out, out


async def test_allowlisted_name_resolving_to_a_private_address_is_refused(
    session: DockerSession,
) -> None:
    out = await sh(session, f"{CURL} -i http://{PRIVATE}/")
    assert "403 Forbidden" in out, out
    assert GREETING not in out, out


async def test_server_is_not_reachable_directly(session: DockerSession, lab: EgressLab) -> None:
    direct = await sh(session, f"{CURL} --noproxy '*' http://{lab.server_ip}/")
    assert GREETING not in direct, direct
    assert "exit=0" not in direct, direct
    unset = await sh(
        session,
        "env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy "
        f"{CURL} http://{lab.server_ip}/",
    )
    assert GREETING not in unset, unset
    assert "exit=0" not in unset, unset


async def test_interfaces_and_routes(
    session: DockerSession, docker_client: docker.DockerClient
) -> None:
    out = await sh(session, "ls /sys/class/net; ip route; echo proxy=$HTTPS_PROXY")
    assert session.route is not None
    interfaces = sorted(line for line in out.splitlines() if line in ("eth0", "lo", "eth1"))
    assert interfaces == ["eth0", "lo"], out
    assert f"proxy=http://{session.route.proxy_ip}:3128" in out
    container = docker_client.containers.get(session.container_id)
    networks = container.attrs["NetworkSettings"]["Networks"]
    assert list(networks) == [session.route.network]
    network = docker_client.networks.get(session.route.network).attrs
    assert network["Internal"] is True
    # The default route points at a gateway address the host does not hold.
    gateway = network["IPAM"]["Config"][0]["Gateway"]
    assert f"default via {gateway}" in out, out
    with socket.socket() as probe, pytest.raises(OSError, match="Cannot assign requested"):
        probe.bind((gateway, 0))


async def test_refused_allow_hosts_entry_is_a_config_error(
    egress_manager: SandboxManager, workspace_root: Path
) -> None:
    spec = SessionSpec(
        workdir=make_workspace(workspace_root, "bad-hosts"), allow_hosts=("192.168.1.1",)
    )
    with pytest.raises(ConfigError, match="is an IP address"):
        await egress_manager.create(spec)


async def test_without_the_proxy_nothing_gets_out(
    egress_manager: SandboxManager,
    workspace_root: Path,
    lab: EgressLab,
    docker_client: docker.DockerClient,
) -> None:
    opened = await egress_manager.create(
        SessionSpec(workdir=make_workspace(workspace_root, "no-proxy"))
    )
    try:
        assert opened.route is not None
        join_lab(docker_client, lab, opened.route.proxy_container)
        before = await sh(opened, f"{CURL} http://{ALLOWED}/")
        assert GREETING in before, before
        docker_client.containers.get(opened.route.proxy_container).kill()
        after = await sh(opened, f"{CURL} http://{ALLOWED}/; {CURL} http://{lab.server_ip}/")
        assert GREETING not in after, after
    finally:
        await egress_manager.close(opened.id)


async def test_closing_removes_proxy_and_network(
    egress_manager: SandboxManager, workspace_root: Path, docker_client: docker.DockerClient
) -> None:
    opened = await egress_manager.create(
        SessionSpec(workdir=make_workspace(workspace_root, "close-route"))
    )
    route = opened.route
    assert route is not None
    await egress_manager.close(opened.id)
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(route.proxy_container)
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(route.network)
