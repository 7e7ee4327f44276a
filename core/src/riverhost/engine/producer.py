"""The producer: one per queue, fetching jobs into free worker slots and starting them.

It fetches when woken (an insert notification for its queue, and once more a moment after one
for the inserts their client left unannounced; a slot freeing after a full fetch; a resume) or
when the poll interval passes, never more than the free slots and only the kinds this host has
workers for. A fetch that fills every slot fetches again as soon as a slot frees; an announced
fetch that finds nothing holds the next one back for ``fetch_cooldown``, so a burst of
notifications does not become a burst of empty queries (an idle poll finding nothing holds
nothing back: the first announcement after it is fetched at once, as River's leading-edge
debounce does).

In a queue of :data:`TWO_FETCHERS_FROM` slots or more, while fetches come back full (a backlog),
a second fetcher works beside the first and each fetch takes at most half the slots: one half's
jobs start while the other half's fetch is in the database, so short jobs do not leave their
slots idle for a fetch's round trip. Slots a fetch in flight may fill are reserved, so the two
never take more jobs than there are slots.

It does not know how a job runs (the executor does) or how outcomes are written (the
completer does).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Iterable
from typing import Any

import psycopg

from riverhost import metrics
from riverhost._asyncio import reraise_if_cancelling, retry_delay
from riverhost.client import NOTICE_TRAIL
from riverhost.db import queries
from riverhost.db.cursors import AsyncCursors
from riverhost.engine.executor import Attempt, Executor
from riverhost.job import Job
from riverhost.logging import get_logger

__all__ = ["Producer", "fetchers"]

log = get_logger("riverhost.producer")

QUEUE_REFRESH = 600.0
"""Seconds between refreshes of the queue's ``river_queue`` row (River's 10 minutes)."""

TWO_FETCHERS_FROM = 200
"""Slots from which a queue has two fetchers under a backlog. Below, the second fetcher's
round trips cost more than the overlap saves (no-op jobs, one process, two fetchers against one:
-14 % at 10 slots, -7 % at 20, -2 % at 50, +3 % at 100, +7..15 % at 200, +14 % at 500,
+23 % at 1,000)."""


def fetchers(max_workers: int) -> int:
    """How many fetches a queue of ``max_workers`` slots may have in flight at once."""
    return 2 if max_workers >= TWO_FETCHERS_FROM else 1


class Producer:
    """Fetches and starts the jobs of one queue; see the module docstring."""

    def __init__(
        self,
        *,
        queue: str,
        max_workers: int,
        kinds: list[str],
        cursors: AsyncCursors,
        executor: Executor,
        client_id: str,
        poll_interval: float,
        fetch_cooldown: float,
    ) -> None:
        self.queue = queue
        self.max_workers = max_workers
        self.kinds = kinds
        self.active: dict[int, Attempt] = {}
        self._cursors = cursors
        self._executor = executor
        self._fetch_statement = queries.fetch_statement(queue, kinds, client_id)
        self._poll_interval = poll_interval
        self._cooldown = fetch_cooldown
        # One wake-up per fetcher, so neither consumes the other's.
        self._wakes = (asyncio.Event(), asyncio.Event())
        self._wakes[0].set()  # fetch at once on start: a backlog should not wait a poll interval
        self._trail: asyncio.TimerHandle | None = None
        self._trailing = False
        self._announced = False
        self._fetch_when_free = False
        self._reserved = 0
        """Slots that fetches in flight may fill."""
        self._backlog = False
        """The last fetch came back full: more jobs are likely waiting."""
        self._fetchers = fetchers(max_workers)
        self._backlog_batch = -(-max_workers // self._fetchers)
        """The most one fetch takes under a backlog: half the slots with two fetchers."""
        self._fetching = True
        self._idle = asyncio.Event()
        self._idle.set()
        self._failures = 0
        self._paused_fleet = False
        self.pause_changes = 0
        """How often ``paused_fleet`` was set: a read of ``river_queue`` begun before a change
        must not undo it."""
        self.paused_here = False
        """Paused on this host only."""
        self._registered = -1e9
        self._fetch_seconds = metrics.FETCH_SECONDS.labels(queue)

    @property
    def paused(self) -> bool:
        return self.paused_fleet or self.paused_here

    @property
    def paused_fleet(self) -> bool:
        """Paused for the whole fleet (``river_queue.paused_at``)."""
        return self._paused_fleet

    @paused_fleet.setter
    def paused_fleet(self, value: bool) -> None:
        self._paused_fleet = value
        self.pause_changes += 1

    def wake(self) -> None:
        """Fetch now (or as soon as the cooldown allows)."""
        for wake in self._wakes:
            wake.set()

    def announced(self) -> None:
        """An insert notification for this queue: fetch now, and once more
        :data:`~riverhost.client.NOTICE_TRAIL` later for the inserts its sender left quiet."""
        self._announced = True
        self.wake()
        if self._trail is None:
            self._trail = asyncio.get_running_loop().call_later(NOTICE_TRAIL, self._trailed)

    def _trailed(self) -> None:
        self._trail = None
        self._trailing = True
        self.wake()

    def stop_fetching(self) -> None:
        """Start no more jobs; running ones go on."""
        self._fetching = False
        self.wake()

    def stop_running(self, reason: str) -> None:
        """Tell every running attempt to stop."""
        for attempt in list(self.active.values()):
            attempt.stop(reason)

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no attempt runs; False if ``timeout`` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        """Fetch and start jobs until :meth:`stop_fetching`."""
        async with asyncio.TaskGroup() as group:
            for index in range(self._fetchers):
                group.create_task(self._fetcher(index))

    async def _fetcher(self, index: int) -> None:
        """One fetcher: the first always fetches, the second only while there is a backlog."""
        wake = self._wakes[index]
        last_empty = -1e9
        while True:
            if index == 0 and time.monotonic() - self._registered > QUEUE_REFRESH:
                await self.register_queue()
            if not wake.is_set():
                timeout = self._poll_interval * (1 + 0.1 * random.random())
                # asyncio.timeout, not wait_for: wait_for wraps the wait in a task of its own,
                # once per fetch.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await wake.wait()
            wake.clear()
            wait = last_empty + self._cooldown - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            # Checked after every wait, so a pause that arrived meanwhile is never missed.
            if not self._fetching:
                return
            if self.paused or (index and not self._backlog):
                continue
            free = self.max_workers - len(self.active) - self._reserved
            if free <= 0:
                self._fetch_when_free = True
                continue
            limit = min(free, self._backlog_batch) if self._backlog else free
            # A trailing fetch mostly finds nothing (the announced job is long fetched); that
            # says nothing of a burst, so it must not hold the next announcement's fetch back.
            trailing, self._trailing = self._trailing, False
            announced, self._announced = self._announced, False
            self._reserved += limit
            try:
                jobs = await self._fetch(limit)
            finally:
                self._reserved -= limit
            self._backlog = len(jobs) >= limit
            if not jobs:
                # Only an announced fetch that found nothing starts the cooldown: it is what a
                # burst of announcements would repeat. A poll, the start's first fetch or a
                # trailing fetch finding nothing says nothing of a burst and must not hold the
                # next announcement's fetch back (an insert just after an idle poll waited out
                # the cooldown: the 100 ms p99 of issue 22).
                if announced and not trailing:
                    last_empty = time.monotonic()
                continue
            self._fetch_when_free = self._backlog
            for job in sorted(jobs, key=lambda j: (j.priority, j.scheduled_at, j.id)):
                self._start(job)
            if self._backlog and self.max_workers - len(self.active) - self._reserved > 0:
                self._wakes[1 - index].set()  # a fetcher that does not run ignores it

    async def register_queue(self) -> None:
        """Record the queue as served: River's queue cleaner drops queues idle for 24 h.

        Whether it is paused is the host's to read (``Host._check_control``), for all queues.
        """
        try:
            async with self._cursors.lease() as cursor:
                await cursor.execute(queries.QUEUE_UPSERT, (self.queue,))
        except psycopg.Error as exc:
            reraise_if_cancelling()
            log.warning("queue.register_failed", queue=self.queue, error=str(exc))
            return
        self._registered = time.monotonic()

    async def _fetch(self, limit: int) -> list[Job[dict[str, Any]]]:
        try:
            async with self._cursors.lease() as cursor:
                if self.paused:  # paused while waiting for the connection
                    return []
                started = time.perf_counter()
                await cursor.execute(self._fetch_statement, {"limit": limit})
                rows = await cursor.fetchall()
                self._fetch_seconds.observe(time.perf_counter() - started)
        except psycopg.Error as exc:
            reraise_if_cancelling()
            self._failures += 1
            if self._failures == 1:
                log.warning("producer.fetch_failed", queue=self.queue, error=str(exc))
            await asyncio.sleep(retry_delay(self._failures))
            self.wake()
            return []
        if self._failures:
            log.info("producer.fetch_recovered", queue=self.queue, failures=self._failures)
            self._failures = 0
        jobs = []
        for row in rows:
            try:
                jobs.append(Job.from_row(row))
            except Exception as exc:  # noqa: BLE001 - one unreadable row must not end the queue
                self._executor.discard_unreadable(row, exc)
        return jobs

    def wake_when_due(self, delays: Iterable[float]) -> None:
        """Fetch again when jobs just written ``available`` with a future ``scheduled_at`` are
        due, ``delays`` seconds from now.

        The completer writes a job retried or snoozed for up to 5 s that way (River's shortcut),
        and nothing announces the moment it is due; without this, it would wait for the next
        poll. Called after the write, so the moment is never before the database's.
        """
        loop = asyncio.get_running_loop()
        for delay in sorted({round(max(d, 0.0), 2) for d in delays}):
            loop.call_later(delay + 0.01, self.wake)

    def _start(self, job: Job[dict[str, Any]]) -> None:
        attempt = self._executor.attempt(job, self._ended)
        self.active[job.id] = attempt
        self._idle.clear()
        self._executor.start(attempt)

    def _ended(self, attempt: Attempt) -> None:
        """An attempt ended (its outcome is with the completer): free its slot."""
        del self.active[attempt.job.id]
        if not self.active:
            self._idle.set()
        if self._fetch_when_free:
            self._fetch_when_free = False
            self.wake()
