"""The blocking client, :class:`Client`, for code without an event loop.

A mirror of :class:`~riverhost.client.aio.AsyncClient` without ``await``: the same statements,
parameters and row reading, from :mod:`.insert`, :mod:`.copy`, :mod:`.listing` and
:mod:`.queues`. Owns only its pool, its cursor leases and the order of insert, notice and result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import psycopg
from psycopg_pool import ConnectionPool

from riverhost.args import InsertOpts
from riverhost.client.connect import CONNECT_TIMEOUT, _unreachable
from riverhost.client.copy import _COPY_CHUNK, _copy_data, _CopyBatch
from riverhost.client.insert import (
    Args,
    InsertParams,
    _defaults,
    _insert_results,
    _insert_statement,
    _params,
)
from riverhost.client.listing import (
    JobFilter,
    _deleted,
    _list_statement,
    _one,
    _page,
    _progress,
)
from riverhost.client.notices import _InsertNotices
from riverhost.client.queues import _LIVE_LAPSE, _live, _pause_params, _QueueList, _queues
from riverhost.db import adapt, queries
from riverhost.db.cursors import Cursors
from riverhost.job import InsertResult, Job, JobPage, JobProgress

if TYPE_CHECKING:
    # Types only: riverhost.registry loads plugins and config, which a client does not need.
    from riverhost.registry import Registry

__all__ = ["Client"]

_Conn = psycopg.Connection[Any]


class Client:
    """The blocking client, for code without an event loop; same methods as AsyncClient."""

    def __init__(self, pool: ConnectionPool[Any], *, registry: Registry | None = None) -> None:
        self.pool = pool
        self._defaults = _defaults(registry)
        self._notices = _InsertNotices()
        self._cursors = Cursors(pool)

    @classmethod
    def connect(cls, url: str, *, registry: Registry | None = None, max_size: int = 10) -> Client:
        """See :meth:`AsyncClient.connect`."""
        try:
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
        except psycopg.OperationalError as exc:
            raise _unreachable(url, exc) from exc
        pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            configure=adapt.configure,
        )
        pool.open(wait=True)
        return cls(pool, registry=registry)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fetch(self, statement: Any, params: Any, conn: _Conn | None) -> list[tuple[Any, ...]]:
        """See :meth:`AsyncClient._fetch`."""
        if conn is not None:
            return cast("list[tuple[Any, ...]]", conn.execute(statement, params).fetchall())
        with self._cursors.lease() as cursor:
            return cast("list[tuple[Any, ...]]", cursor.execute(statement, params).fetchall())

    def _first(self, statement: Any, params: Any, conn: _Conn | None) -> tuple[Any, ...] | None:
        rows = self._fetch(statement, params, conn)
        return rows[0] if rows else None

    def insert(
        self, args: Args, opts: InsertOpts | None = None, *, conn: _Conn | None = None
    ) -> InsertResult:
        """See :meth:`AsyncClient.insert`."""
        return self.insert_many([InsertParams(args, opts)], conn=conn)[0]

    def insert_many(
        self, items: Iterable[Args | InsertParams], *, conn: _Conn | None = None
    ) -> list[InsertResult]:
        """See :meth:`AsyncClient.insert_many`."""
        statement, params, sent, answers = _insert_statement(_params(items), self._defaults)
        if not answers:
            return []
        if conn is not None:
            rows = self._fetch(statement, params, conn)
            return _insert_results(statement, rows, sent, answers)
        statement = self._notices.plain(statement, params)
        rows = self._fetch(statement, params, None)
        self._notices.inserted(statement, params)
        return _insert_results(statement, rows, sent, answers)

    def insert_many_fast(
        self, items: Iterable[Args | InsertParams], *, conn: _Conn | None = None
    ) -> int:
        """See :meth:`AsyncClient.insert_many_fast`."""
        batch = _copy_data(_params(items), self._defaults)
        if conn is not None:
            self._copy(conn, batch, batch.queues)
        else:
            announce = self._notices.due(batch.queues)
            with self.pool.connection() as own:  # as in AsyncClient: the COPY is atomic
                self._copy(own, batch, announce)
            self._notices.sent(announce)
        return len(batch.rows)

    @staticmethod
    def _copy(conn: _Conn, batch: _CopyBatch, announce: list[str]) -> None:
        with conn.cursor() as cursor:
            with cursor.copy(batch.statement) as copy:
                for chunk in batch.chunks(_COPY_CHUNK):
                    copy.write(chunk)
            if announce:
                cursor.execute(queries.NOTIFY_INSERTS, (announce,))

    def get(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.get`."""
        return _one(self._first(queries.GET, (job_id,), conn), job_id)

    def list(self, where: JobFilter = JobFilter(), *, conn: _Conn | None = None) -> JobPage:
        """See :meth:`AsyncClient.list`."""
        statement, params = _list_statement(where)
        return _page(self._fetch(statement, params, conn), where.limit)

    def cancel(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.cancel`."""
        return _one(self._first(queries.CANCEL, {"id": job_id}, conn), job_id)

    def retry(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.retry`."""
        return _one(self._first(queries.RETRY, {"id": job_id}, conn), job_id)

    def delete(self, job_id: int, *, conn: _Conn | None = None) -> Job[dict[str, Any]]:
        """See :meth:`AsyncClient.delete`."""
        return _deleted(self._first(queries.DELETE, {"id": job_id}, conn), job_id)

    def get_progress(self, job_id: int, *, conn: _Conn | None = None) -> JobProgress | None:
        """See :meth:`AsyncClient.get_progress`."""
        return _progress(self._first(queries.GET_PROGRESS, (job_id,), conn), job_id)

    def list_queues(self, *, conn: _Conn | None = None) -> _QueueList:
        """See :meth:`AsyncClient.list_queues`."""
        rows = self._fetch(queries.QUEUE_LIST, None, conn)
        unserved = self._fetch(queries.UNSERVED_KINDS, {"lapse": _LIVE_LAPSE}, conn)
        return _queues(
            rows, unserved, self._fetch(queries.LIVE_QUEUES, {"lapse": _LIVE_LAPSE}, conn)
        )

    def live_queues(self, *, conn: _Conn | None = None) -> frozenset[str]:
        """See :meth:`AsyncClient.live_queues`."""
        return _live(self._fetch(queries.LIVE_QUEUES, {"lapse": _LIVE_LAPSE}, conn))

    def pause_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _Conn | None = None
    ) -> None:
        """See :meth:`AsyncClient.pause_queue`."""
        statement, params = _pause_params(queue, True, host)
        self._fetch(statement, params, conn)

    def resume_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _Conn | None = None
    ) -> None:
        """See :meth:`AsyncClient.resume_queue`."""
        statement, params = _pause_params(queue, False, host)
        self._fetch(statement, params, conn)
