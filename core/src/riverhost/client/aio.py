"""The asyncio client, :class:`AsyncClient`: a shell that runs what the other modules build.

Owns the pool, the cursor leases, the caller's ``conn`` versus the pool's, and the order of
insert, notice and result. Statements, parameters and the reading of rows are built by
:mod:`.insert`, :mod:`.copy`, :mod:`.listing` and :mod:`.queues`, shared with the blocking
:class:`~riverhost.client.sync.Client`, which mirrors this class method for method.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import psycopg
from psycopg_pool import AsyncConnectionPool

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
    _count_statements,
    _deleted,
    _estimated_rows,
    _list_statement,
    _one,
    _page,
    _progress,
)
from riverhost.client.notices import _InsertNotices
from riverhost.client.queues import _LIVE_LAPSE, _live, _pause_params, _QueueList, _queues
from riverhost.db import adapt, queries
from riverhost.db.cursors import AsyncCursors
from riverhost.job import InsertResult, Job, JobPage, JobProgress

if TYPE_CHECKING:
    # Types only: riverhost.registry loads plugins and config, which a client does not need.
    from riverhost.registry import Registry

__all__ = ["AsyncClient"]

_AsyncConn = psycopg.AsyncConnection[Any]


class AsyncClient:
    """The asyncio client. Build it with a pool, or with :meth:`connect` from a URL."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, registry: Registry | None = None) -> None:
        self.pool = pool
        self._defaults = _defaults(registry)
        self._notices = _InsertNotices()
        self._cursors = AsyncCursors(pool)

    @classmethod
    async def connect(
        cls, url: str, *, registry: Registry | None = None, max_size: int = 10
    ) -> AsyncClient:
        """A client with a pool of its own; close it with :meth:`close` (or ``async with``).

        Raises :class:`~riverhost.errors.DatabaseUnreachableError` when the server does not
        accept a connection (see :data:`CONNECT_TIMEOUT`).
        """
        try:
            await (
                await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT)
            ).close()
        except psycopg.OperationalError as exc:
            raise _unreachable(url, exc) from exc
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            configure=adapt.configure_async,
        )
        await pool.open(wait=True)
        return cls(pool, registry=registry)

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _fetch(
        self, statement: Any, params: Any, conn: _AsyncConn | None
    ) -> list[tuple[Any, ...]]:
        """Run ``statement`` on ``conn``, or on a leased pooled connection; return its rows."""
        if conn is not None:
            theirs = await conn.execute(statement, params)
            return cast("list[tuple[Any, ...]]", await theirs.fetchall())
        async with self._cursors.lease() as cursor:
            await cursor.execute(statement, params)
            return cast("list[tuple[Any, ...]]", await cursor.fetchall())

    async def _first(
        self, statement: Any, params: Any, conn: _AsyncConn | None
    ) -> tuple[Any, ...] | None:
        rows = await self._fetch(statement, params, conn)
        return rows[0] if rows else None

    async def insert(
        self, args: Args, opts: InsertOpts | None = None, *, conn: _AsyncConn | None = None
    ) -> InsertResult:
        """Insert one job; a unique job that already exists comes back with ``duplicate``."""
        return (await self.insert_many([InsertParams(args, opts)], conn=conn))[0]

    async def insert_many(
        self, items: Iterable[Args | InsertParams], *, conn: _AsyncConn | None = None
    ) -> list[InsertResult]:
        """Insert many jobs in one statement; results come back in the order given."""
        statement, params, sent, answers = _insert_statement(_params(items), self._defaults)
        if not answers:
            return []
        if conn is not None:
            rows = await self._fetch(statement, params, conn)
            return _insert_results(statement, rows, sent, answers)
        statement = self._notices.plain(statement, params)
        rows = await self._fetch(statement, params, None)
        self._notices.inserted(statement, params)
        return _insert_results(statement, rows, sent, answers)

    async def insert_many_fast(
        self, items: Iterable[Args | InsertParams], *, conn: _AsyncConn | None = None
    ) -> int:
        """Insert many jobs through COPY, the fastest way in; returns how many.

        No rows come back, and a unique job that conflicts fails the whole batch (River's
        ``InsertManyFast``); use :meth:`insert_many` when either matters.
        """
        batch = _copy_data(_params(items), self._defaults)
        if conn is not None:
            await self._copy(conn, batch, batch.queues)
        else:
            # No transaction around it: a COPY is atomic on its own, and BEGIN and COMMIT were
            # two more round trips per batch. The notification follows the committed rows.
            announce = self._notices.due(batch.queues)
            async with self.pool.connection() as own:
                await self._copy(own, batch, announce)
            self._notices.sent(announce)
        return len(batch.rows)

    @staticmethod
    async def _copy(conn: _AsyncConn, batch: _CopyBatch, announce: list[str]) -> None:
        async with conn.cursor() as cursor:
            async with cursor.copy(batch.statement) as copy:
                for chunk in batch.chunks(_COPY_CHUNK):
                    await copy.write(chunk)
            if announce:
                await cursor.execute(queries.NOTIFY_INSERTS, (announce,))

    async def get(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """The job with this id; :class:`JobNotFoundError` if there is none."""
        return _one(await self._first(queries.GET, (job_id,), conn), job_id)

    async def list(
        self, where: JobFilter = JobFilter(), *, conn: _AsyncConn | None = None
    ) -> JobPage:
        """One page of jobs matching ``where``, newest first unless it says otherwise."""
        statement, params = _list_statement(where)
        return _page(await self._fetch(statement, params, conn), where.limit)

    async def count(
        self, where: JobFilter = JobFilter(), *, exact_up_to: int = 10_000
    ) -> tuple[int, bool]:
        """How many jobs ``where`` matches (its paging ignored): ``(count, False)`` exactly up
        to ``exact_up_to``, past it ``(estimate, True)`` from the planner, so a total stays
        cheap on a table of millions."""
        exact, estimate, params = _count_statements(where, exact_up_to + 1)
        row = await self._first(exact, params, None)
        counted = int(row[0]) if row else 0
        if counted <= exact_up_to:
            return counted, False
        plan = await self._first(estimate, params, None)
        estimated = _estimated_rows(plan[0]) if plan else 0
        return max(exact_up_to + 1, estimated), True

    async def cancel(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """Cancel a job: at once if it waits, through its host if it runs (see River)."""
        return _one(await self._first(queries.CANCEL, {"id": job_id}, conn), job_id)

    async def retry(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """Make a job that is not running available now (a finalized one included)."""
        return _one(await self._first(queries.RETRY, {"id": job_id}, conn), job_id)

    async def delete(self, job_id: int, *, conn: _AsyncConn | None = None) -> Job[dict[str, Any]]:
        """Delete a job that is not running; returns it as it was."""
        return _deleted(await self._first(queries.DELETE, {"id": job_id}, conn), job_id)

    async def get_progress(
        self, job_id: int, *, conn: _AsyncConn | None = None
    ) -> JobProgress | None:
        """The job's latest progress report, or ``None`` if it has reported none."""
        return _progress(await self._first(queries.GET_PROGRESS, (job_id,), conn), job_id)

    async def list_queues(self, *, conn: _AsyncConn | None = None) -> _QueueList:
        """Every queue: paused or not, unfinished jobs per state, kinds no live host serves."""
        rows = await self._fetch(queries.QUEUE_LIST, None, conn)
        unserved = await self._fetch(queries.UNSERVED_KINDS, {"lapse": _LIVE_LAPSE}, conn)
        return _queues(rows, unserved, await self._live_queue_rows(conn))

    async def live_queues(self, *, conn: _AsyncConn | None = None) -> frozenset[str]:
        """The queues some live riverhost host fetches from (a Go River client is not seen)."""
        return _live(await self._live_queue_rows(conn))

    async def _live_queue_rows(self, conn: _AsyncConn | None) -> Any:
        return await self._fetch(queries.LIVE_QUEUES, {"lapse": _LIVE_LAPSE}, conn)

    async def pause_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _AsyncConn | None = None
    ) -> None:
        """Pause ``queue`` (``*``: every queue) for the whole fleet, or on one ``host`` only.

        A paused queue fetches nothing; its running jobs finish. A fleet pause is River's
        (``river_queue.paused_at``), so Go River clients pause too; a host pause lasts until
        resumed or that host restarts.
        """
        statement, params = _pause_params(queue, True, host)
        await self._fetch(statement, params, conn)

    async def resume_queue(
        self, queue: str = "*", *, host: str | None = None, conn: _AsyncConn | None = None
    ) -> None:
        """Undo :meth:`pause_queue`."""
        statement, params = _pause_params(queue, False, host)
        await self._fetch(statement, params, conn)
