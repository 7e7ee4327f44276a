"""The client the one-shot commands use, with the database's failures said plainly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from riverhost.cli._context import CliContext
from riverhost.client import Client
from riverhost.db.connect import database_url, redact
from riverhost.errors import DatabaseUnreachableError, SchemaMissingError

__all__ = ["open_client"]

CONNECT_TIMEOUT = 10
"""Seconds a command waits for the server before saying it cannot be reached."""


@contextmanager
def open_client(context: CliContext, **options: Any) -> Iterator[Client]:
    """A one-connection client on the configured database (or the embedded server).

    The server is tried once first: a pool waits out its whole timeout retrying in silence and
    then names no cause. A database without River's tables is a :class:`SchemaMissingError`
    saying to migrate, not a psycopg traceback.
    """
    with database_url(context.config().database) as url:
        try:
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
        except psycopg.OperationalError as exc:
            raise DatabaseUnreachableError(redact(url), str(exc).strip()) from exc
        with Client.connect(url, max_size=1, **options) as client:
            try:
                yield client
            except psycopg.errors.UndefinedTable as exc:
                raise SchemaMissingError(exc.diag.message_primary or str(exc)) from exc
