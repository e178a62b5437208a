"""JVM tools in an ``allowlist`` sandbox go through the egress proxy: Maven (which reads no
``HTTPS_PROXY``, only its settings) and any JVM client (which reads ``http(s).proxyHost``
system properties, as Gradle does).

Maven Central does not resolve from the machines these tests run on, so no test here can
download from it. What is proven instead, with the real ``mvn`` and ``java``: their requests
reach the Squid sidecar (whose refusal of a host not on the allowlist they print), where
without the proxy wiring they would look the host up themselves and fail on DNS.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from terminus_mcp.environments.egress import registry_hosts
from terminus_mcp.environments.tls import ca_wiring, check_bundle, write_java_truststore
from terminus_mcp.sandbox.api import Session, SessionSpec
from terminus_mcp.sandbox.egress import proxy_refusal
from terminus_mcp.sandbox.manager import SandboxManager
from tests.conftest import sandbox_settings
from tests.environments.conftest import HOST_BUNDLE, own

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

REFUSED_HOST = "maven.example.org"
"""A repository host that is not on the allowlist: the proxy answers 403 for it."""

POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>calc</artifactId>
  <version>1.0</version>
  <pluginRepositories>
    <pluginRepository><id>inhouse</id><url>https://{REFUSED_HOST}/repo</url></pluginRepository>
  </pluginRepositories>
</project>
"""

FETCH_JAVA = f"""public class Fetch {{
    public static void main(String[] args) throws Exception {{
        var url = new java.net.URL("https://{REFUSED_HOST}/");
        try {{
            url.openConnection().getInputStream();
        }} catch (java.io.IOException e) {{
            System.out.println(e);
        }}
    }}
}}
"""


@pytest.fixture
async def maven_session(workspace: Path) -> AsyncIterator[Session]:
    """An allowlist sandbox as setup gets it for a Maven project: Maven Central's hosts
    allowed, the host's CA bundle and its Java trust store wired in."""
    (workspace / "pom.xml").write_text(POM)
    (workspace / "Fetch.java").write_text(FETCH_JAVA)
    own(workspace)
    if not HOST_BUNDLE.is_file():
        pytest.fail(f"this test wires the host's CA bundle {HOST_BUNDLE}")
    truststore = write_java_truststore(check_bundle(HOST_BUNDLE), workspace.parent / ".ts")
    mounts, env = ca_wiring(HOST_BUNDLE, truststore)
    settings = sandbox_settings(workspace.parent, memory_limit_mb=1024)
    spec = SessionSpec(
        workdir=workspace,
        network="allowlist",
        allow_hosts=tuple(registry_hosts(["maven"])),
        volumes=tuple(mounts),
        shell_environment=env,
    )
    async with SandboxManager(settings) as manager:
        yield await manager.create(spec)


async def test_maven_goes_through_the_egress_proxy(maven_session: Session) -> None:
    result = await maven_session.run(
        "mvn -B dependency:go-offline -Dmaven.repo.local=/tmp/m2", timeout_s=240
    )
    output = result.output
    assert result.exit_code == 1
    # maven.example.org does not resolve: only the proxy can have answered 403 for it.
    refused = re.search(
        rf"authorization failed for https://{re.escape(REFUSED_HOST)}/repo/\S+, "
        r"status: 403 Forbidden",
        output,
    )
    assert refused, output[-3000:]
    assert "UnknownHost" not in output
    refusal = proxy_refusal(output, allowlist=registry_hosts(["maven"]))
    assert refusal is not None
    assert refusal.startswith(f"the egress proxy refused a request ({REFUSED_HOST}")


async def test_any_jvm_client_goes_through_the_proxy_and_keeps_the_trust_store(
    maven_session: Session,
) -> None:
    options = await maven_session.run('printf "%s\\n" "$JAVA_TOOL_OPTIONS"', timeout_s=30)
    assert "-Djavax.net.ssl.trustStore=/etc/terminus-mcp/ca-bundle.jks" in options.output
    assert re.search(r"-Dhttps\.proxyHost=[0-9.]+ -Dhttps\.proxyPort=3128", options.output)
    result = await maven_session.run("java Fetch.java", timeout_s=120)
    assert (
        'java.io.IOException: Unable to tunnel through proxy. Proxy returns "HTTP/1.1 403 '
        'Forbidden"' in result.output
    ), result.output
    assert proxy_refusal(result.output) is not None
