"""The scheduler: makes retryable and scheduled jobs available once their time has come.

Every ``interval`` it runs :data:`~riverhost.db.queries.SCHEDULE` in bounded batches (repeating
while a batch comes back full) and sends ``river_insert`` for each queue it fed, so producers
fetch at once. Jobs due within ``interval`` move early, as River's scheduler does: the fetch
still waits for their ``scheduled_at``. The statement locks with SKIP LOCKED, so several hosts
running it at once do no harm; only the leader runs it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from riverhost.db import queries
from riverhost.logging import get_logger
from riverhost.maintenance._loop import every

__all__ = ["Scheduler"]

log = get_logger("riverhost.scheduler")


class Scheduler:
    """Moves due retryable and scheduled jobs to available; see the module docstring."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        interval: timedelta = timedelta(seconds=5),
        batch_size: int = 10_000,
    ) -> None:
        self._pool = pool
        self._interval = interval
        self._batch_size = batch_size

    async def run(self) -> None:
        """Schedule every ``interval`` until cancelled."""
        await every(self._interval.total_seconds(), self.run_once, "scheduler")

    async def run_once(self) -> int:
        """One pass: every due job moved; returns how many."""
        moved = 0
        while True:
            async with self._pool.connection() as conn, conn.transaction():
                cursor = await conn.execute(
                    queries.SCHEDULE, {"horizon": self._interval, "limit": self._batch_size}
                )
                rows = await cursor.fetchall()
                fed = sorted(
                    {queue for queue, state, due_now in rows if state == "available" and due_now}
                )
                if fed:
                    await conn.execute(queries.NOTIFY_INSERTS, (fed,))
            moved += len(rows)
            if rows:
                log.debug("scheduler.scheduled", jobs=len(rows), queues=fed)
            if len(rows) < self._batch_size:
                return moved
