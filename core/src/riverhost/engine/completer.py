"""The completer: writes attempts' outcomes and progress reports in batches.

Workers finish one by one; the database is happiest with one statement for many rows. The
completer collects outcomes and writes them with :data:`~riverhost.db.queries.COMPLETE_MANY`
(:data:`~riverhost.db.queries.COMPLETE_COMPLETED` when every one completed and recorded nothing)
when a batch fills or at the latest every ``interval`` (River's batch completer does the same),
and progress reports with :data:`~riverhost.db.queries.PROGRESS_MANY` at most once per
``progress_interval`` per job. A write that fails is kept and tried again with backoff, never
dropped; :meth:`Completer.stop` flushes what is left. It decides nothing about outcomes: the
executor does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from riverhost import metrics
from riverhost._asyncio import reraise_if_cancelling, retry_delay
from riverhost.db import queries
from riverhost.db.cursors import AsyncCursors
from riverhost.job import JobProgress
from riverhost.logging import get_logger

__all__ = ["SOON", "Completer", "Outcome"]

log = get_logger("riverhost.completer")

#: The outcome names :data:`~riverhost.db.queries.COMPLETE_MANY` understands.
OUTCOMES = frozenset({"completed", "cancelled", "discarded", "retryable", "snoozed", "interrupted"})


SOON = timedelta(seconds=5)
"""River's scheduler horizon: a job retried or snoozed for at most this long is written
``available`` at once, with its future ``scheduled_at`` (see :data:`queries.COMPLETE_MANY`)."""


@dataclass(slots=True)
class Outcome:
    """How one attempt ended, as the completer writes it.

    ``attempted_at`` identifies the attempt: the write applies only while the row is still
    running that very attempt, so a job rescued (and perhaps started again elsewhere) while a
    stuck worker ran on here is never overwritten by that worker's late outcome. Not frozen:
    one is made per attempt, and a frozen dataclass's ``__init__`` costs seven times as much.
    """

    job_id: int
    attempted_at: datetime | None
    kind: str
    queue: str
    outcome: str
    duration: float = 0.0
    delay: timedelta | None = None
    error: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    completed_tx: bool = False
    """The worker completed the job in its own transaction (``ctx.complete_tx``). Still
    written like any outcome: if that transaction committed, the row no longer runs and the
    write touches nothing; if it rolled back and the worker returned anyway, this completes
    the job."""


class Completer:
    """Batches outcomes and progress into few statements; see the module docstring."""

    def __init__(
        self,
        cursors: AsyncCursors,
        *,
        interval: float = 0.05,
        batch_size: int = 2_000,
        progress_interval: float = 1.0,
        on_written: Callable[[list[Outcome], dict[int, str]], None] | None = None,
    ) -> None:
        self._cursors = cursors
        self._interval = interval
        self._batch_size = batch_size
        self._progress_interval = progress_interval
        self._on_written = on_written
        self._outcomes: list[Outcome] = []
        self._progress: dict[int, JobProgress] = {}
        self._progress_written = 0.0
        self._full = asyncio.Event()
        self._stopping = False
        self._failures = 0

    @property
    def backlog(self) -> int:
        """Outcomes waiting to be written."""
        return len(self._outcomes)

    def add(self, outcome: Outcome) -> None:
        """Queue an outcome for the next write (never blocks)."""
        self._progress.pop(outcome.job_id, None)
        self._outcomes.append(outcome)
        if len(self._outcomes) >= self._batch_size:
            self._full.set()

    def report_progress(self, job_id: int, progress: JobProgress) -> None:
        """Keep a job's latest progress for the next progress write (thread-safe enough:
        one dict assignment, made from a worker thread or the loop)."""
        self._progress[job_id] = progress

    async def run(self) -> None:
        """Write batches until :meth:`stop`; then write whatever is left."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._interval)
            self._full.clear()
            await self._flush_with_backoff()

    async def stop(self, task: asyncio.Task[None], *, deadline: float = 30.0) -> None:
        """Stop the loop in ``task`` and flush what is left, trying until ``deadline`` seconds."""
        self._stopping = True
        self._full.set()
        await task
        give_up = time.monotonic() + deadline
        while self._outcomes and time.monotonic() < give_up:
            if not await self._flush():
                await asyncio.sleep(min(1.0, max(0.0, give_up - time.monotonic())))
        if self._outcomes:
            log.error(
                "completer.unwritten",
                jobs=[o.job_id for o in self._outcomes],
                hint="these jobs stay running until the rescuer brings them back",
            )

    async def _flush_with_backoff(self) -> None:
        if not await self._flush():
            self._failures += 1
            await asyncio.sleep(retry_delay(self._failures))
        else:
            self._failures = 0

    async def _flush(self) -> bool:
        """Write pending outcomes and due progress; False when the database refused."""
        batch = self._outcomes[: self._batch_size]
        due = time.monotonic() - self._progress_written >= self._progress_interval
        progress = dict(self._progress) if due and self._progress else {}
        if not batch and not progress:
            return True
        try:
            written = await self._write(batch, progress)
        except psycopg.Error as exc:
            reraise_if_cancelling()
            if self._failures == 0:
                log.warning("completer.write_failed", error=str(exc), backlog=len(self._outcomes))
            return False
        del self._outcomes[: len(batch)]
        if progress:
            self._progress_written = time.monotonic()
            for job_id, report in progress.items():
                if self._progress.get(job_id) is report:
                    del self._progress[job_id]
        if self._failures:
            log.info("completer.write_recovered", backlog=len(self._outcomes))
        if self._on_written is not None and batch:
            self._on_written(batch, written)
        return True

    async def _write(
        self, batch: list[Outcome], progress: dict[int, JobProgress]
    ) -> dict[int, str]:
        """Write; return the state each job written now has (jobs no longer running: absent)."""
        written: dict[int, str] = {}
        started = time.perf_counter()
        async with self._cursors.lease() as cursor:
            if batch:
                statement = queries.COMPLETE_COMPLETED
                params: dict[str, Any] = {
                    "ids": [o.job_id for o in batch],
                    "attempted_at": [o.attempted_at for o in batch],
                }
                if not all(_plain_completion(o) for o in batch):
                    statement = queries.COMPLETE_MANY
                    params["outcomes"] = [o.outcome for o in batch]
                    params["delays"] = [o.delay for o in batch]
                    params["errors"] = [None if o.error is None else Jsonb(o.error) for o in batch]
                    # Mostly empty: a NULL costs the client no JSON encoding per job.
                    params["metadata"] = [Jsonb(o.metadata) if o.metadata else None for o in batch]
                await cursor.execute(statement, params)
                written = dict(await cursor.fetchall())
            if progress:
                await cursor.execute(
                    queries.PROGRESS_MANY,
                    {
                        "ids": list(progress),
                        "progress": [Jsonb(p.model_dump()) for p in progress.values()],
                    },
                )
        metrics.COMPLETER_WRITE_SECONDS.observe(time.perf_counter() - started)
        return written


def _plain_completion(outcome: Outcome) -> bool:
    """Whether :data:`~riverhost.db.queries.COMPLETE_COMPLETED` writes all of ``outcome``."""
    return outcome.outcome == "completed" and not outcome.metadata and outcome.error is None
