"""The fleet's job outcomes and progress as a stream, for pages and scripts that follow jobs.

Engines report nothing across processes, and the server may run with no engine at all
(``riverhost serve``), so the stream reads the table: while anyone listens, one task per server
looks every :data:`POLL` seconds at the running jobs' progress (sending what changed) and at
the jobs finalized since its last look, and fans each out to every subscriber. Two indexed
queries per poll, whatever the number of listeners; nothing at all while nobody listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi import Request
from psycopg_pool import AsyncConnectionPool

from riverhost._asyncio import reraise_if_cancelling
from riverhost.db import queries
from riverhost.logging import get_logger

__all__ = ["POLL", "FleetEvents"]

log = get_logger("riverhost.http")

POLL = 0.5
"""Seconds between looks at the table while someone listens."""

LOOK_BACK = timedelta(seconds=2)
"""How far behind its cursor each look also reads (at most :data:`PAGE` rows, newest first):
``finalized_at`` is its transaction's start, so a transaction that commits late (a worker
completing its job in its own transaction) shows a row behind rows already sent. Ids already
sent are not sent twice. A commit later than this, or behind more than a page of newer rows,
is not streamed (the job's page and the API still show it)."""

PAGE = 500
MAX_PAGES = 20
"""Pages of finalized jobs read forward per look (10,000 events); the rest waits for the next
look, which goes on from where this one stopped."""

BACKLOG = 4 * (PAGE * MAX_PAGES + 1000)
"""Events a listener may have waiting (a few looks' worth: every job finalized and every running
job's progress); a listener further behind loses the newest until it catches up."""

KEEPALIVE = 15.0
"""Seconds of silence after which the stream sends a comment, so proxies keep it open."""

_CLOSED: dict[str, Any] = {"event": "closed"}


class FleetEvents:
    """Polls the job table for subscribers; see the module docstring."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, poll: float = POLL) -> None:
        self._pool = pool
        self._poll = poll
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._progress: dict[int, Any] = {}
        self._since = datetime.now(UTC)
        self._since_id = 0
        self._sent: dict[int, datetime] = {}
        """Finalized jobs already sent, with their ``finalized_at``, for the look-back."""
        self._closed = False

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=BACKLOG)
        self._subscribers.add(queue)
        if self._task is None or self._task.done():
            self._since, self._since_id = datetime.now(UTC), 0
            self._task = asyncio.get_running_loop().create_task(self._run(), name="http-events")
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    async def close(self) -> None:
        """End every stream (the server is stopping) and the polling task."""
        self._closed = True
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(_CLOSED)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def stream(self, request: Request, job_id: int | None) -> AsyncIterator[str]:
        """Server-sent events for one listener: every job's, or ``job_id``'s only."""
        queue = self.subscribe()
        try:
            yield ": listening\n\n"
            while not self._closed:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keepalive\n\n"
                    continue
                if event is _CLOSED:
                    return
                if job_id is not None and event["data"]["job_id"] != job_id:
                    continue
                yield f"event: {event['event']}\ndata: {json.dumps(event['data'])}\n\n"
        finally:
            self.unsubscribe(queue)

    async def _run(self) -> None:
        while self._subscribers:
            try:
                for event in await self._look():
                    for queue in list(self._subscribers):
                        with contextlib.suppress(asyncio.QueueFull):  # a stalled listener
                            queue.put_nowait(event)
            except psycopg.Error as exc:
                reraise_if_cancelling()
                log.warning("http.events_poll_failed", error=str(exc))
            await asyncio.sleep(self._poll)

    async def _look(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        async with self._pool.connection() as conn:
            running = await (await conn.execute(queries.JOB_EVENTS_RUNNING)).fetchall()
            finalized = await self._finalized(conn)
        seen: dict[int, Any] = {}
        for job_id, kind, queue, progress in running:
            seen[job_id] = progress
            if progress is not None and self._progress.get(job_id) != progress:
                data = {"job_id": job_id, "kind": kind, "queue": queue, "progress": progress}
                events.append({"event": "progress", "data": data})
        self._progress = seen
        for job_id, kind, queue, state, _finalized_at in finalized:
            data = {"job_id": job_id, "kind": kind, "queue": queue, "state": state}
            events.append({"event": "job", "data": data})
        return events

    async def _finalized(self, conn: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
        """Jobs finalized since the last look, and late ones just behind it, not yet sent."""
        late_params = {
            "since": self._since - LOOK_BACK,
            "after": self._since,
            "after_id": self._since_id,
            "limit": PAGE,
        }
        late = await (await conn.execute(queries.JOB_EVENTS_LATE, late_params)).fetchall()
        rows = list(reversed(late))
        for _ in range(MAX_PAGES):
            params = {"after": self._since, "after_id": self._since_id, "limit": PAGE}
            page = await (await conn.execute(queries.JOB_EVENTS_FINALIZED, params)).fetchall()
            rows.extend(page)
            if page:
                self._since, self._since_id = page[-1][4], page[-1][0]
            if len(page) < PAGE:
                break
        fresh = [row for row in rows if row[0] not in self._sent]
        self._sent.update((row[0], row[4]) for row in fresh)
        horizon = self._since - LOOK_BACK
        self._sent = {i: at for i, at in self._sent.items() if at > horizon}
        return fresh
