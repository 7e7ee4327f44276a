"""Control of a running host: queue pauses and resumes, and remote cancels of running jobs.

They come as notifications (River's ``river_control``, riverhost's own ``riverhost_control``
for one host) and, for what was written with none or while the listener was down, from the
tables themselves: :meth:`Control.check` reads which queues are paused and which running jobs
were asked to cancel. Every host checks at start; a poll-only host every poll interval, a
listening one every :data:`CONTROL_REFRESH` and once its listener is back. It decides nothing
about jobs' outcomes: a cancelled attempt is told to stop, and the executor does the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from riverhost._asyncio import reraise_if_cancelling
from riverhost.db import queries
from riverhost.engine.producer import Producer
from riverhost.events import Event, EventBus
from riverhost.logging import get_logger

__all__ = ["CONTROL_REFRESH", "Control"]

log = get_logger("riverhost.host")

CONTROL_REFRESH = 600.0
"""Seconds between a listening host's reads of the pauses and cancels (River's queue refresh):
for what was written with no notification, such as a resume by a poll-only River client."""


class Control:
    """Pauses, resumes and cancels for one host process's producers."""

    def __init__(
        self,
        producers: Mapping[str, Producer],
        events: EventBus,
        client_id: str,
        pool: AsyncConnectionPool[Any],
    ) -> None:
        self._producers = producers
        self._events = events
        self._client_id = client_id
        self._pool = pool

    def on_control(self, message: dict[str, Any]) -> None:
        """River's ``river_control`` notification: a cancel, pause or resume."""
        action = message.get("action")
        if action == "cancel":
            job_id = message.get("job_id")
            if type(job_id) is int:
                self.cancel(job_id)
            else:
                log.warning("host.bad_cancel", job_id=repr(job_id)[:100])
        elif action in ("pause", "resume"):
            self.pause(str(message.get("queue")), action == "pause", fleet=True)

    def on_host_control(self, message: dict[str, Any]) -> None:
        """riverhost's own channel: a pause or resume for one host (by client id)."""
        if message.get("host") == self._client_id and message.get("action") in (
            "pause",
            "resume",
        ):
            self.pause(str(message.get("queue")), message["action"] == "pause", fleet=False)

    def pause(self, queue: str, pause: bool, *, fleet: bool) -> None:
        """Pause or resume ``queue`` (``*``: every queue) for the fleet or this host only."""
        targets = self._producers.values() if queue == "*" else [self._producers.get(queue)]
        for producer in targets:
            if producer is None:
                continue
            was = producer.paused
            if fleet:
                producer.paused_fleet = pause
            else:
                producer.paused_here = pause
            if producer.paused != was:
                kind = "queue_paused" if producer.paused else "queue_resumed"
                log.info(
                    f"queue.{'paused' if producer.paused else 'resumed'}",
                    queue=producer.queue,
                    fleet=fleet,
                )
                self._events.publish(Event(kind, producer.queue))
                producer.wake()

    def cancel(self, job_id: int) -> None:
        """Tell the attempt of ``job_id`` running here, if any, to stop as cancelled."""
        for producer in self._producers.values():
            attempt = producer.active.get(job_id)
            if attempt is not None:
                log.info("job.cancelling", job_id=job_id, kind=attempt.job.kind)
                attempt.stop("cancelled")

    async def poll(self, interval: float) -> None:
        """:meth:`check` every ``interval`` seconds, until cancelled."""
        while True:
            await asyncio.sleep(interval)
            await self.check()

    async def check(self) -> None:
        """Read from the tables what control notifications say: which queues are paused, and
        which running jobs were asked to cancel (see the module docstring)."""
        ids = [job_id for p in self._producers.values() for job_id in p.active]
        changes = {name: p.pause_changes for name, p in self._producers.items()}
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(queries.PAUSED_QUEUES)
                paused = {r[0] for r in await cursor.fetchall()}
                cancels = []
                if ids:
                    cursor = await conn.execute(queries.CANCEL_ASKED, (ids,))
                    cancels = [r[0] for r in await cursor.fetchall()]
        except psycopg.Error as exc:
            reraise_if_cancelling()
            log.warning("host.control_check_failed", error=str(exc))
            return
        for name, producer in self._producers.items():
            if producer.pause_changes == changes[name]:  # else a notification came meanwhile
                self.pause(name, name in paused, fleet=True)
        for job_id in cancels:
            self.cancel(job_id)
