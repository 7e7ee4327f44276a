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
from datetime import UTC, datetime
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
        self._closed = False

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._subscribers.add(queue)
        if self._task is None or self._task.done():
            self._since = datetime.now(UTC)
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
            cursor = await conn.execute(queries.JOB_EVENTS_FINALIZED, {"after": self._since})
            finalized = await cursor.fetchall()
        seen: dict[int, Any] = {}
        for job_id, kind, queue, progress in running:
            seen[job_id] = progress
            if progress is not None and self._progress.get(job_id) != progress:
                data = {"job_id": job_id, "kind": kind, "queue": queue, "progress": progress}
                events.append({"event": "progress", "data": data})
        self._progress = seen
        for job_id, kind, queue, state, finalized_at in finalized:
            data = {"job_id": job_id, "kind": kind, "queue": queue, "state": state}
            events.append({"event": "job", "data": data})
            self._since = max(self._since, finalized_at)
        return events
