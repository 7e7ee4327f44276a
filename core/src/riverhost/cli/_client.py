"""The client the one-shot commands use, with a database never migrated said plainly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from riverhost.cli._context import CliContext
from riverhost.client import Client
from riverhost.db.connect import database_url
from riverhost.errors import SchemaMissingError

__all__ = ["open_client"]


@contextmanager
def open_client(context: CliContext, **options: Any) -> Iterator[Client]:
    """A one-connection client on the configured database (or the embedded server).

    A database without River's tables is a :class:`SchemaMissingError` saying to migrate, not
    a psycopg traceback; an unreachable server is the client's ``DatabaseUnreachableError``.
    """
    with (
        database_url(context.config().database) as url,
        Client.connect(url, max_size=1, **options) as client,
    ):
        try:
            yield client
        except psycopg.errors.UndefinedTable as exc:
            raise SchemaMissingError(exc.diag.message_primary or str(exc)) from exc
