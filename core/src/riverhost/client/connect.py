"""How a client opening a pool of its own first reaches the server.

Owns :data:`CONNECT_TIMEOUT` and the :class:`~riverhost.errors.DatabaseUnreachableError` a
failed first connection becomes (its URL redacted). The pool itself is built by each shell's
``connect``; database configuration and the embedded server are :mod:`riverhost.db.connect`'s.
"""

from __future__ import annotations

import psycopg

from riverhost.conninfo import redact
from riverhost.errors import DatabaseUnreachableError

__all__ = ["CONNECT_TIMEOUT"]

CONNECT_TIMEOUT = 10
"""Seconds :meth:`~riverhost.client.AsyncClient.connect` waits for the server. It tries one
connection before opening its pool: a pool retries in silence for its whole timeout and then
names no cause."""


def _unreachable(url: str, exc: psycopg.OperationalError) -> DatabaseUnreachableError:
    return DatabaseUnreachableError(redact(url), str(exc).strip())
