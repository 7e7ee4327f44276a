"""Cursors leased from a connection pool: a pooled connection taken and given back by hand,
each keeping one cursor of its own.

psycopg_pool's ``connection()`` context, the connection's own ``__aexit__`` (which takes its
lock to commit even in autocommit) and a cursor built per statement were a tenth of a short
statement's client time: a single insert, a producer's fetch, a completer's write. A lease
does the same work without them. A pool without autocommit (one a caller built) still gets
its commit, or its rollback after an error, as ``connection()`` would have given.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, ConnectionPool

__all__ = ["AsyncCursors", "Cursors"]

_IN_TRANSACTION = TransactionStatus.INTRANS
_ROLL_BACK = (TransactionStatus.INTRANS, TransactionStatus.INERROR)


class AsyncCursors:
    """Leases of ``pool``'s connections, each with its cursor: ``async with cursors.lease()``."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool
        self._kept: dict[psycopg.AsyncConnection[Any], psycopg.AsyncCursor[Any]] = {}

    def lease(self) -> _AsyncLease:
        return _AsyncLease(self)


class _AsyncLease:
    __slots__ = ("_conn", "_cursors")

    def __init__(self, cursors: AsyncCursors) -> None:
        self._cursors = cursors
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def __aenter__(self) -> psycopg.AsyncCursor[Any]:
        conn = self._conn = await self._cursors.pool.getconn()
        return cast("psycopg.AsyncCursor[Any]", _kept_cursor(self._cursors._kept, conn))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        assert conn is not None
        try:
            status = conn.pgconn.transaction_status
            if exc is None and status == _IN_TRANSACTION:
                await conn.commit()
            elif exc is not None and status in _ROLL_BACK:
                await conn.rollback()
        finally:
            await self._cursors.pool.putconn(conn)


class Cursors:
    """:class:`AsyncCursors` for a blocking pool: ``with cursors.lease() as cursor``."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool
        self._kept: dict[psycopg.Connection[Any], psycopg.Cursor[Any]] = {}

    def lease(self) -> _Lease:
        return _Lease(self)


class _Lease:
    __slots__ = ("_conn", "_cursors")

    def __init__(self, cursors: Cursors) -> None:
        self._cursors = cursors
        self._conn: psycopg.Connection[Any] | None = None

    def __enter__(self) -> psycopg.Cursor[Any]:
        conn = self._conn = self._cursors.pool.getconn()
        return cast("psycopg.Cursor[Any]", _kept_cursor(self._cursors._kept, conn))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        assert conn is not None
        try:
            status = conn.pgconn.transaction_status
            if exc is None and status == _IN_TRANSACTION:
                conn.commit()
            elif exc is not None and status in _ROLL_BACK:
                conn.rollback()
        finally:
            self._cursors.pool.putconn(conn)


def _kept_cursor(kept: dict[Any, Any], conn: Any) -> Any:
    """``conn``'s cursor, made on its first lease.

    A new connection is when the pool has closed others (it replaces them, after an error or
    at their ``max_lifetime``): those are forgotten then. Weak keys would not do, as each
    cursor holds its connection.
    """
    cursor = kept.get(conn)
    if cursor is None:
        for old in [c for c in kept if c.closed]:
            del kept[old]
        cursor = kept[conn] = conn.cursor()
    return cursor
