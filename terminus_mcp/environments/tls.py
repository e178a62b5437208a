"""A CA bundle for sandboxes behind a TLS-intercepting proxy: mounted read-only and named in
the variables each tool reads.

Java reads no PEM bundle: for Maven and Gradle the bundle is converted into a JKS trust store
(:func:`write_java_truststore`) mounted next to it and named in ``JAVA_TOOL_OPTIONS``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import time
from pathlib import Path

from terminus_mcp.errors import ConfigError
from terminus_mcp.sandbox.api import VolumeMount

CA_TARGET = "/etc/terminus-mcp/ca-bundle.crt"
TRUSTSTORE_TARGET = "/etc/terminus-mcp/ca-bundle.jks"
TRUSTSTORE_PASSWORD = "changeit"
"""The conventional password of Java trust stores; it protects nothing (certificates are
public) and only makes the file's digest check pass."""

CA_VARIABLES = (
    "SSL_CERT_FILE",  # OpenSSL: Python's ssl, Go, curl, git, uv
    "REQUESTS_CA_BUNDLE",  # requests
    "PIP_CERT",  # pip
    "CURL_CA_BUNDLE",  # curl
    "NODE_EXTRA_CA_CERTS",  # node and npm, yarn, pnpm
    "GIT_SSL_CAINFO",  # git
    "CARGO_HTTP_CAINFO",  # cargo
)

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+(.*?)-----END CERTIFICATE-----", re.DOTALL)


def check_bundle(path: Path) -> bytes:
    """The bundle's bytes, checked to hold at least one PEM certificate.

    Raises:
        ConfigError: the file cannot be read or holds no certificate.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the CA bundle {path}",
            why=str(exc),
            fix="point TERMINUS_CA_BUNDLE at a readable PEM file, or set it empty for none",
        ) from exc
    if not _PEM.search(data):
        raise ConfigError(
            f"the CA bundle {path} holds no PEM certificate",
            fix="point TERMINUS_CA_BUNDLE at a PEM file (-----BEGIN CERTIFICATE----- blocks)",
        )
    return data


def java_truststore(pem: bytes) -> bytes:
    """A JKS trust store holding every certificate of a PEM bundle (format: Java's
    ``sun.security.provider.JavaKeyStore``; version 2, trusted-certificate entries)."""
    certs = [base64.b64decode(b"".join(m.group(1).split())) for m in _PEM.finditer(pem)]
    body = bytearray(struct.pack(">IiI", 0xFEEDFEED, 2, len(certs)))
    now = int(time.time() * 1000)
    for index, der in enumerate(certs):
        alias = f"terminus-{index}".encode()
        body += struct.pack(">IH", 2, len(alias)) + alias + struct.pack(">q", now)
        body += struct.pack(">H", 5) + b"X.509" + struct.pack(">I", len(der)) + der
    password = TRUSTSTORE_PASSWORD.encode("utf-16-be")
    digest = hashlib.sha1(password + b"Mighty Aphrodite" + bytes(body)).digest()
    return bytes(body) + digest


def write_java_truststore(pem: bytes, folder: Path) -> Path:
    """Write (once per bundle content) the JKS trust store for ``pem`` under ``folder``."""
    name = hashlib.sha256(pem).hexdigest()[:16]
    path = folder / f"ca-{name}.jks"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(java_truststore(pem))
        tmp.replace(path)
    return path


def ca_wiring(bundle: Path, truststore: Path | None) -> tuple[list[VolumeMount], dict[str, str]]:
    """The read-only mounts and the variables that make every tool trust ``bundle``."""
    mounts = [VolumeMount(source=str(bundle), target=CA_TARGET, kind="bind", read_only=True)]
    env = dict.fromkeys(CA_VARIABLES, CA_TARGET)
    if truststore is not None:
        mounts.append(
            VolumeMount(
                source=str(truststore), target=TRUSTSTORE_TARGET, kind="bind", read_only=True
            )
        )
        env["JAVA_TOOL_OPTIONS"] = (
            f"-Djavax.net.ssl.trustStore={TRUSTSTORE_TARGET} "
            f"-Djavax.net.ssl.trustStorePassword={TRUSTSTORE_PASSWORD}"
        )
    return mounts, env
