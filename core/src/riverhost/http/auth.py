"""Who may use the admin API and the dashboard: named bearer tokens, compared in constant time.

A request carries its token as ``Authorization: Bearer <token>`` (scripts) or in the
dashboard's cookie (set by its login page). No token: 401; a token that matches none: 403.
The token's name is who the action is recorded as. A server with no token configured answers
everyone as ``local``, and :func:`check_listen` allows that only on a loopback address.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from fastapi import HTTPException, Request
from pydantic import SecretStr

from riverhost.errors import RiverhostError

__all__ = ["COOKIE", "Auth", "HttpConfigError", "check_listen", "is_loopback"]

COOKIE = "riverhost_token"
"""The dashboard's cookie holding the token the operator logged in with."""


class HttpConfigError(RiverhostError):
    """The HTTP server's settings would expose it, or cannot be used as given."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_listen(listen: str, tokens: Mapping[str, SecretStr]) -> tuple[str, int]:
    """The host and port of ``listen``; refuses a non-loopback address without a token."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise HttpConfigError(f"http.listen {listen!r} must be host:port, e.g. 127.0.0.1:8080")
    if not tokens and not is_loopback(host):
        raise HttpConfigError(
            f"refusing to listen on {listen} with no token configured: anyone who reaches it "
            "could insert, cancel and delete jobs. Set a token (http.tokens.<name>, e.g. "
            "RIVERHOST_HTTP__TOKENS__OPS=<secret>) or listen on 127.0.0.1."
        )
    return host.strip("[]"), int(port)


class Auth:
    """Checks a request's token against the configured ones (see the module docstring)."""

    def __init__(self, tokens: Mapping[str, SecretStr]) -> None:
        self._tokens = [
            (name, secret.get_secret_value().encode()) for name, secret in tokens.items()
        ]

    @property
    def required(self) -> bool:
        return bool(self._tokens)

    def actor(self, request: Request) -> str:
        """The name of the token ``request`` carries; raises 401 / 403 (see the module)."""
        if not self._tokens:
            return "local"
        token = _bearer(request) or request.cookies.get(COOKIE)
        if not token:
            raise HTTPException(
                401,
                "a bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return self.name_of(token)

    def name_of(self, token: str) -> str:
        """The name of ``token``, compared with every configured one in constant time."""
        given = token.encode()
        found = ""
        for name, secret in self._tokens:
            if hmac.compare_digest(given, secret):
                found = found or name
        if not found:
            raise HTTPException(403, "this token is not one of the server's (http.tokens)")
        return found


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
