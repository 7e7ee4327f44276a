"""The host: one engine process wiring producers, executor, completer, notifier and scheduler.

:meth:`Host.run` starts a producer per queue of the registry, the completer, the LISTEN
notifier (unless ``poll_only``) and the scheduler, and runs until :meth:`Host.stop` is called
(the CLI calls it on SIGTERM / SIGINT). The first stop is soft: nothing new is fetched and
running jobs get up to ``jobs.shutdown_timeout`` to finish; then the rest are told to stop and
go back to ``available`` with their attempt given back; the completer writes every outcome
before :meth:`run` returns. A second stop skips the waiting. No job is left ``running``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from riverhost.client import AsyncClient
from riverhost.engine.completer import Completer
from riverhost.engine.executor import STOP_GRACE, Executor
from riverhost.engine.notifier import Notifier
from riverhost.engine.producer import Producer
from riverhost.maintenance.scheduler import Scheduler
from riverhost.registry import Registry

__all__ = ["Host", "new_client_id"]

log = structlog.get_logger("riverhost.host")

_CANCEL_CHECK: str = (
    "SELECT id FROM river_job WHERE id = ANY(%s::bigint[]) AND metadata ? 'cancel_attempted_at'"
)


def new_client_id() -> str:
    """This process's id as written into ``attempted_by``: host, pid and start time."""
    stamp = datetime.now(UTC).strftime("%Y_%m_%dT%H_%M_%S_%f")
    return f"{socket.gethostname()[:60]}_{os.getpid()}_{stamp}"


class Host:
    """One engine process; see the module docstring."""

    def __init__(
        self,
        registry: Registry,
        url: str,
        *,
        poll_only: bool = False,
        client_id: str | None = None,
    ) -> None:
        self.registry = registry
        self.url = url
        self.poll_only = poll_only
        self.client_id = client_id or new_client_id()
        self.ready = asyncio.Event()
        """Set once every producer runs and (unless poll-only) LISTEN is in place."""
        self._stop_requests = 0
        self._stop = asyncio.Event()
        self._hard_stop = asyncio.Event()
        self.producers: dict[str, Producer] = {}
        self.client: AsyncClient | None = None

    def stop(self) -> None:
        """Ask for a soft stop; a second call makes it a hard one."""
        self._stop_requests += 1
        self._stop.set()
        if self._stop_requests > 1:
            self._hard_stop.set()

    async def run(self) -> None:
        """Work jobs until :meth:`stop`; return once every outcome is written."""
        jobs = self.registry.config.jobs
        queues = self.registry.queues
        slots = sum(q.max_workers for q in queues.values())
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.url,
            min_size=2,
            max_size=len(queues) + 4,
            open=False,
            kwargs={"autocommit": True},
            reconnect_timeout=0,
        )
        await pool.open(wait=True)
        threads = ThreadPoolExecutor(max_workers=slots + 16, thread_name_prefix="riverhost-job")
        completer = Completer(pool)
        executor = Executor(dict(self.registry.kinds), completer, threads)
        kinds = sorted(self.registry.kinds)
        self.client = AsyncClient(pool, registry=self.registry)
        self.producers = {
            name: Producer(
                queue=name,
                max_workers=queue.max_workers,
                kinds=kinds,
                pool=pool,
                executor=executor,
                client_id=self.client_id,
                poll_interval=jobs.poll_interval.total_seconds(),
                fetch_cooldown=jobs.fetch_cooldown.total_seconds(),
            )
            for name, queue in queues.items()
        }
        background: list[asyncio.Task[None]] = [
            _task(Scheduler(pool).run(), "scheduler"),
        ]
        if self.poll_only:
            background.append(_task(self._watch_cancels(pool), "cancel_watch"))
        else:
            notifier = Notifier(
                self.url,
                {"river_insert": self._on_insert, "river_control": self._on_control},
                on_reconnect=self._wake_all,
            )
            background.append(_task(notifier.run(), "notifier"))
            await _first(notifier.ready.wait(), self._stop.wait())
        completer_task = _task(completer.run(), "completer")
        fetching = [_task(p.run(), f"producer:{p.queue}") for p in self.producers.values()]
        self.ready.set()
        log.info(
            "host.running",
            client_id=self.client_id,
            queues={name: q.max_workers for name, q in queues.items()},
            kinds=kinds,
            poll_only=self.poll_only,
        )
        try:
            await self._stop.wait()
            await self._shutdown(fetching, completer, completer_task)
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            threads.shutdown(wait=False, cancel_futures=True)
            await pool.close()

    async def _shutdown(
        self,
        fetching: list[asyncio.Task[None]],
        completer: Completer,
        completer_task: asyncio.Task[None],
    ) -> None:
        producers = list(self.producers.values())
        running = sum(len(p.active) for p in producers)
        log.info("host.stopping", running=running)
        for producer in producers:
            producer.stop_fetching()
        await asyncio.gather(*fetching, return_exceptions=True)
        timeout = self.registry.config.jobs.shutdown_timeout.total_seconds()
        idle = asyncio.gather(*(p.wait_idle() for p in producers))
        await _first(asyncio.wait_for(idle, timeout), self._hard_stop.wait())
        left = sum(len(p.active) for p in producers)
        if left:
            log.warning("host.cancelling_jobs", running=left)
            for producer in producers:
                producer.stop_running("shutdown")
            await asyncio.gather(*(p.wait_idle(STOP_GRACE + 1) for p in producers))
        await completer.stop(completer_task)
        log.info("host.stopped", client_id=self.client_id)

    def _on_insert(self, message: dict[str, Any]) -> None:
        producer = self.producers.get(str(message.get("queue")))
        if producer is not None:
            producer.wake()

    def _on_control(self, message: dict[str, Any]) -> None:
        if message.get("action") == "cancel":
            self._cancel(message.get("job_id"))

    def _cancel(self, job_id: object) -> None:
        for producer in self.producers.values():
            attempt = producer.active.get(job_id)  # type: ignore[call-overload]
            if attempt is not None:
                log.info("job.cancelling", job_id=job_id, kind=attempt.job.kind)
                attempt.stop("cancelled")

    def _wake_all(self) -> None:
        for producer in self.producers.values():
            producer.wake()

    async def _watch_cancels(self, pool: AsyncConnectionPool[Any]) -> None:
        """Poll-only mode: find running jobs someone asked to cancel (no notification comes)."""
        interval = self.registry.config.jobs.poll_interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            ids = [job_id for p in self.producers.values() for job_id in p.active]
            if not ids:
                continue
            try:
                async with pool.connection() as conn:
                    rows = await (await conn.execute(_CANCEL_CHECK, (ids,))).fetchall()
            except psycopg.Error as exc:
                log.warning("host.cancel_check_failed", error=str(exc))
                continue
            for (job_id,) in rows:
                self._cancel(job_id)


def _task(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(coro, name=name)


async def _first(*aws: Coroutine[Any, Any, Any]) -> None:
    """Wait until the first of ``aws`` finishes (a timeout counts); cancel the others."""
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await task
