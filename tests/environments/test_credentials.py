"""pass_env and the CA bundle: clear errors, masked values, a trust store Java reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from terminus_mcp.environments.secrets import Redactor, read_pass_env
from terminus_mcp.environments.tls import check_bundle, java_truststore
from terminus_mcp.errors import ConfigError
from terminus_mcp.settings import load_settings

HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def test_unset_pass_env_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as caught:
        read_pass_env(["REGISTRY_TOKEN"], {})
    message = str(caught.value)
    assert "REGISTRY_TOKEN" in message
    assert "not set" in message
    assert "export REGISTRY_TOKEN" in message


def test_short_secret_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        read_pass_env(["PIN"], {"PIN": "42"})
    assert "42" not in str(caught.value)


def test_pass_env_names_are_checked() -> None:
    with pytest.raises(ConfigError, match="not an environment variable name"):
        load_settings({"pass_env": ["NOT-A-NAME"]})


def test_redactor_masks_every_occurrence_longest_first() -> None:
    redact = Redactor({"A": SecretStr("s3cr3t-value"), "B": SecretStr("s3cr3t-value-longer")})
    text = "x s3cr3t-value-longer y s3cr3t-value z"
    assert redact(text) == "x [secret B] y [secret A] z"


def test_ca_bundle_must_hold_a_certificate(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        check_bundle(bogus)


def test_java_truststore_is_read_by_keytool(tmp_path: Path) -> None:
    keytool = shutil.which("keytool")
    if keytool is None or not HOST_BUNDLE.is_file():
        pytest.fail("this test needs keytool (default-jdk-headless) and the host CA bundle")
    pem = HOST_BUNDLE.read_bytes()
    store = tmp_path / "ca.jks"
    store.write_bytes(java_truststore(pem))
    listing = subprocess.run(
        [keytool, "-list", "-keystore", str(store), "-storepass", "changeit"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = pem.count(b"-----BEGIN CERTIFICATE-----")
    assert f"Your keystore contains {expected} entries" in listing
    assert "trustedCertEntry" in listing
