"""A test bench for the egress proxy, all on this machine: a Docker network the test creates,
with one HTTP server container answering under several names.

The server answers plain HTTP on ports 80, 443 and 8443 (a ``CONNECT`` tunnel carries any
bytes, so TLS is not needed to test what the proxy lets through). Its names, all under
``.invalid`` (RFC 6761: never resolvable outside this bench):

- ``allowed.egress-lab.invalid``: allowlisted, and allowed to resolve to a private address
  (the bench's network is private, as an in-house registry mirror would be);
- ``private.egress-lab.invalid``: allowlisted, but not allowed a private address;
- ``unlisted.egress-lab.invalid``: not on the allowlist.
"""

from __future__ import annotations

import contextlib
import secrets
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import docker.errors

ALLOWED = "allowed.egress-lab.invalid"
PRIVATE = "private.egress-lab.invalid"
UNLISTED = "unlisted.egress-lab.invalid"
GREETING = "hello from the egress lab"

SERVER = textwrap.dedent(
    f"""
    import http.server, threading
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = "{GREETING} port %d\\n" % self.server.server_address[1]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())
        def log_message(self, *args):
            pass
    servers = [http.server.ThreadingHTTPServer(("", p), H) for p in (80, 443, 8443)]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("ready", flush=True)
    servers[0].serve_forever()
    """
)


@dataclass(frozen=True)
class EgressLab:
    network: str
    server_ip: str
    server_id: str


@contextlib.contextmanager
def egress_lab(client: docker.DockerClient, image: str) -> Iterator[EgressLab]:
    """The bench's network and server; both removed afterwards."""
    name = "terminus-test-egress-lab-" + secrets.token_hex(3)
    network = client.networks.create(name, driver="bridge", internal=True)
    server = None
    try:
        server = client.containers.create(
            image,
            ["python3", "-c", SERVER],
            name=name + "-server",
            user="0:0",
            detach=True,
            network=name,
            labels={"org.terminus-mcp.test": "egress-lab"},
        )
        # The aliases are set on a fresh connection (create() gives no way to set them).
        network.disconnect(server)
        network.connect(server, aliases=[ALLOWED, PRIVATE, UNLISTED])
        server.start()
        deadline = time.monotonic() + 20
        while b"ready" not in server.logs():
            assert time.monotonic() < deadline, server.logs().decode(errors="replace")
            time.sleep(0.1)
        server.reload()
        ip = server.attrs["NetworkSettings"]["Networks"][name]["IPAddress"]
        yield EgressLab(network=name, server_ip=ip, server_id=server.id)
    finally:
        if server is not None:
            with contextlib.suppress(docker.errors.NotFound):
                server.remove(force=True)
        with contextlib.suppress(docker.errors.APIError):
            network.reload()
            for container in network.containers:
                network.disconnect(container, force=True)
            network.remove()


def join_lab(client: docker.DockerClient, lab: EgressLab, container_id: str) -> None:
    """Attach a container (the session's egress proxy) to the bench's network."""
    client.networks.get(lab.network).connect(container_id)
