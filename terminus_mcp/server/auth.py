"""Bearer-token auth for the HTTP transports, and the rule that guards non-loopback binds.

A static token (``TERMINUS_AUTH_TOKEN`` or a token file) is compared in constant time. No
OAuth metadata is advertised: clients given a static ``Authorization`` header would otherwise
try OAuth discovery instead.
"""

from __future__ import annotations

import hmac
import ipaddress

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings

from terminus_mcp.errors import ConfigError
from terminus_mcp.settings import Settings

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class StaticTokenVerifier(TokenVerifier):
    """Accepts exactly one bearer token, compared in constant time."""

    def __init__(self, expected: str) -> None:
        if not expected:
            raise ValueError("the expected token must not be empty")
        self._expected = expected.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._expected):
            return AccessToken(token="<redacted>", client_id="terminus-client", scopes=[])
        return None


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` only accepts connections from this machine."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def http_auth(settings: Settings) -> tuple[StaticTokenVerifier, AuthSettings] | None:
    """The verifier and auth settings for the HTTP transports, or ``None`` for no auth.

    Raises:
        ConfigError: the bind address is not loopback and no token is configured, or the
            token file cannot be read.
    """
    token = settings.resolved_auth_token()
    if not token:
        if not is_loopback(settings.host):
            raise ConfigError(
                f"refusing to serve on {settings.host} without an auth token",
                why="a non-loopback address lets other machines run commands through this server",
                fix=(
                    "set TERMINUS_AUTH_TOKEN (or auth_token_file) to a long random secret, "
                    "or bind --host 127.0.0.1"
                ),
            )
        return None
    auth = AuthSettings(
        issuer_url=f"http://{_url_host(settings.host)}:{settings.port}",
        resource_server_url=None,
    )
    return StaticTokenVerifier(token), auth


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
