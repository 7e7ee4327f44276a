"""The queue sampler (leader only): counts unfinished jobs per queue and state for metrics.

One grouped count every ``interval`` for the whole fleet (only the leader samples), over the
states that are not final, so the query stays on the fetch index however many finished jobs
await the cleaner (River issue #746).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from riverhost import metrics
from riverhost.db import queries
from riverhost.maintenance._loop import every

__all__ = ["QueueSampler"]

SAMPLED_STATES = ("available", "running", "retryable", "scheduled", "pending")


class QueueSampler:
    """Sets ``riverhost_queue_jobs{queue,state}`` every ``interval``."""

    def __init__(
        self, pool: AsyncConnectionPool[Any], *, interval: timedelta = timedelta(seconds=10)
    ) -> None:
        self._pool = pool
        self._interval = interval

    async def run(self) -> None:
        await every(self._interval.total_seconds(), self.run_once, "queue_sampler")

    async def run_once(self) -> None:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(queries.QUEUE_LIST)).fetchall()
        for name, _paused_at, _updated_at, counts in rows:
            for state in SAMPLED_STATES:
                metrics.QUEUE_JOBS.labels(name, state).set(counts.get(state, 0))
