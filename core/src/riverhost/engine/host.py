"""The host: one engine process wiring producers, executor, completer, notifier and maintenance.

:meth:`Host.run` starts a producer per queue of the registry, the completer, the LISTEN
notifier (unless ``poll_only``), the heartbeat and the leader election; while this process
leads it also runs the scheduler, rescuer, cleaner, periodic enqueuer and the queue-depth
sampler. It runs until :meth:`Host.stop` is called (the CLI calls it on SIGTERM / SIGINT). The
first stop is soft: nothing new is fetched and running jobs get up to
``jobs.shutdown_timeout`` to finish; then the rest are told to stop and go back to
``available`` with their attempt given back. Leadership is resigned, the host marked stopped,
and every outcome written before :meth:`run` returns. A second stop skips the waiting. No job
is left ``running``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from riverhost import metrics
from riverhost.client import AsyncClient
from riverhost.db import adapt
from riverhost.db.cursors import AsyncCursors
from riverhost.engine.completer import Completer
from riverhost.engine.control import CONTROL_REFRESH, Control
from riverhost.engine.executor import STOP_GRACE, Executor
from riverhost.engine.notifier import Notifier
from riverhost.engine.outcomes import OutcomeReport
from riverhost.engine.producer import Producer, fetchers
from riverhost.engine.resources import PluginResources
from riverhost.engine.services import Service, Services, service
from riverhost.engine.threads import WorkerThreads
from riverhost.events import Event, EventBus
from riverhost.logging import get_logger
from riverhost.maintenance.cleaner import Cleaner
from riverhost.maintenance.enqueuer import PeriodicEnqueuer
from riverhost.maintenance.heartbeat import Heartbeat
from riverhost.maintenance.leader import Elector
from riverhost.maintenance.rescuer import Rescuer
from riverhost.maintenance.sampler import QueueSampler
from riverhost.maintenance.scheduler import Scheduler
from riverhost.registry import Registry
from riverhost.runtime import PluginRuntime, WorkerDatabase

__all__ = ["APPLICATION_NAME", "CONTROL_REFRESH", "Host", "new_client_id"]

log = get_logger("riverhost.host")

#: How the host's pool connections show in ``pg_stat_activity`` unless the URL names them.
APPLICATION_NAME = "riverhost"

FETCH_CONNECTION_WAIT = 2.0
"""Seconds a producer waits for a fetch connection before its fetch fails and is retried.

The pools give up reconnecting after one failed retry (``reconnect_timeout=0``) and try again
only when a client next asks for a connection; a client already waiting is not told and waits
out its whole timeout (psycopg_pool's default: 30 s). After a PostgreSQL restart every
producer sat in that wait while new connections were still refused, and fetched nothing for
up to 30 s (issue 22). The fetch pool holds a connection per fetcher, so a fetch waits only
while one is made: a short wait, ended by the producer's retry (which asks, and so reconnects,
again), bounds the stall by this plus the producer's backoff (at most 5 s)."""


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
        metrics_offset: int = 0,
        services: Sequence[Service] = (),
    ) -> None:
        self.registry = registry
        self._extra_services = tuple(services)
        """Started before the engine's own and stopped after them (the HTTP server)."""
        self.url = url
        self.poll_only = poll_only
        self.client_id = client_id or new_client_id()
        self.ready = asyncio.Event()
        """Set once every producer runs and (unless poll-only) LISTEN is in place."""
        self.events = EventBus(hook=self._event_hook())
        """Job and queue events of this process: ``host.events.subscribe(...)``."""
        self.metrics_port: int | None = None
        self._metrics_offset = metrics_offset
        self._stop_requests = 0
        self._stop = asyncio.Event()
        self._hard_stop = asyncio.Event()
        self.producers: dict[str, Producer] = {}
        self.client: AsyncClient | None = None
        self.runtimes: Mapping[str, PluginRuntime] = {}
        """Each enabled plugin's runtime (settings, resources, database), by plugin name."""
        self._elector: Elector | None = None
        self._leader_tasks: list[asyncio.Task[None]] = []
        self._leader_services: list[Callable[[], Coroutine[Any, Any, None]]] = []

    @property
    def is_leader(self) -> bool:
        """Whether this process leads the fleet now."""
        return self._elector is not None and self._elector.is_leader

    def stop(self) -> None:
        """Ask for a soft stop; a second call makes it a hard one."""
        self._stop_requests += 1
        self._stop.set()
        if self._stop_requests > 1:
            self._hard_stop.set()

    async def run(self) -> None:
        """Work jobs until :meth:`stop`; return once every outcome is written.

        The host is its services, started in this order and stopped in reverse: the engine's
        pools, the workers' database, the plugins' resources, the heartbeat, the completer,
        leadership, control (queue rows, LISTEN, pauses) and the producers.
        """
        from riverhost._version import __version__

        config = self.registry.config
        jobs, maintenance = config.jobs, config.maintenance
        queues = self.registry.queues
        connect = {"autocommit": True, "fallback_application_name": APPLICATION_NAME}
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.url,
            min_size=2,
            max_size=6,
            open=False,
            kwargs=connect,
            configure=adapt.configure_async,
            reconnect_timeout=0,
        )
        # The producers' fetches only: their connections plan the fetch once (see adapt).
        fetch_pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.url,
            min_size=1,
            max_size=max(1, sum(fetchers(q.max_workers) for q in queues.values())),
            open=False,
            kwargs=connect,
            configure=adapt.configure_fetching,
            reconnect_timeout=0,
            timeout=FETCH_CONNECTION_WAIT,
        )
        database = WorkerDatabase(self.url, config.database.worker_connections, self.registry)
        resources = PluginResources(self.registry, database)
        self.runtimes = resources.runtimes
        threads = WorkerThreads()
        completer = Completer(
            AsyncCursors(pool), on_written=OutcomeReport(self.producers, self.events)
        )
        executor = Executor(
            dict(self.registry.kinds),
            completer,
            threads,
            is_leader=lambda: self.is_leader,
            runtimes=resources.by_kind(),
        )
        kinds = sorted(self.registry.kinds)
        self.client = AsyncClient(pool, registry=self.registry)
        fetch_cursors = AsyncCursors(fetch_pool)
        self.producers.update(
            (
                name,
                Producer(
                    queue=name,
                    max_workers=queue.max_workers,
                    kinds=kinds,
                    cursors=fetch_cursors,
                    executor=executor,
                    client_id=self.client_id,
                    poll_interval=jobs.poll_interval.total_seconds(),
                    fetch_cooldown=jobs.fetch_cooldown.total_seconds(),
                ),
            )
            for name, queue in queues.items()
        )
        heartbeat = Heartbeat(
            pool,
            self.client_id,
            self.registry,
            version=__version__,
            interval=maintenance.heartbeat_interval,
        )
        self._elector = Elector(pool, self.client_id, self._on_leadership)
        periodic = [p.spec for p in self.registry.periodic.values()]
        self._leader_services = [
            Scheduler(pool).run,
            Rescuer(pool, self.registry, maintenance).run,
            Cleaner(pool, maintenance).run,
            PeriodicEnqueuer(self.client, periodic).run,
            QueueSampler(pool).run,
        ]
        control = Control(self.producers, self.events, self.client_id, pool)
        services = Services()
        await services.start(
            *self._extra_services,
            service("pools", _opener(pool, fetch_pool), _closer(fetch_pool, pool)),
            service("metrics", self._serve_metrics),
            service("worker_database", database.open, database.close),
            resources,
            _Background(
                "heartbeat",
                heartbeat.run,
                start=lambda: _quietly(heartbeat.beat(), "heartbeat"),
                stop=heartbeat.stopped,
            ),
            _Completing(completer),
            _Background("elector", self._elector.run, stop=self._resign),
            _Listening(self, control),
            _Fetching(self, threads),
        )
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
        finally:
            await services.stop()
            log.info("host.stopped", client_id=self.client_id)

    async def _serve_metrics(self) -> None:
        listen = self.registry.config.metrics.listen
        if listen:
            _server, self.metrics_port = metrics.serve(listen, offset=self._metrics_offset)
            log.info("metrics.serving", port=self.metrics_port)

    async def _resign(self) -> None:
        assert self._elector is not None
        await self._elector.resign()  # after the elector stopped, so it cannot bid again
        await asyncio.gather(*self._leader_tasks, return_exceptions=True)

    async def _drain(self) -> None:
        """Stop fetching; give running jobs up to ``jobs.shutdown_timeout`` (a hard stop cuts
        it short); then tell the rest to stop, and wait until every attempt has ended."""
        producers = list(self.producers.values())
        running = sum(len(p.active) for p in producers)
        log.info("host.stopping", running=running)
        for producer in producers:
            producer.stop_fetching()
        timeout = self.registry.config.jobs.shutdown_timeout.total_seconds()
        idle = asyncio.gather(*(p.wait_idle() for p in producers))
        await _first(asyncio.wait_for(idle, timeout), self._hard_stop.wait())
        # A hard stop cancelled the wait: collect the cancelled gather, so asyncio does not
        # log its exception as never retrieved.
        await asyncio.gather(idle, return_exceptions=True)
        left = sum(len(p.active) for p in producers)
        if left:
            log.warning("host.cancelling_jobs", running=left)
            for producer in producers:
                producer.stop_running("shutdown")
            await asyncio.gather(*(p.wait_idle(STOP_GRACE + 1) for p in producers))

    # ------------------------------------------------------------------------- leadership

    def _on_leadership(self, leading: bool) -> None:
        for task in self._leader_tasks:
            task.cancel()
        self._leader_tasks = []
        if leading:
            self._leader_tasks = [
                _task(service(), f"leader:{getattr(service, '__qualname__', 'service')}")
                for service in self._leader_services
            ]

    def _on_leadership_note(self, message: dict[str, Any]) -> None:
        if message.get("action") == "resigned" and self._elector is not None:
            self._elector.wake()

    # ------------------------------------------------------------------------- notifications

    def _on_insert(self, message: dict[str, Any]) -> None:
        producer = self.producers.get(str(message.get("queue")))
        if producer is not None:
            producer.announced()

    def _event_hook(self) -> Callable[[Event], object] | None:
        caller = self.registry.hook.riverhost_event
        if not caller.get_hookimpls():
            return None
        return lambda event: caller(event=event)


class _Background:
    """A service that is one long-running task, with optional first and last steps."""

    def __init__(
        self,
        name: str,
        run: Callable[[], Coroutine[Any, Any, None]],
        *,
        start: Callable[[], Awaitable[None]] | None = None,
        stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self._run = run
        self._first = start
        self._last = stop
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._first is not None:
            await self._first()
        self._task = _task(self._run(), self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._last is not None:
            await self._last()


class _Listening:
    """Control as a service: the queues' rows, then LISTEN (unless poll-only) and the pauses
    as they are, all before the first fetch; then notifications, and the tables read every
    poll interval (poll-only) or every :data:`CONTROL_REFRESH` and after a reconnect."""

    name = "control"

    def __init__(self, host: Host, control: Control) -> None:
        self._host = host
        self._control = control
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        host, control = self._host, self._control
        # Before anyone may pause them: a pause of a queue without a row would find nothing.
        await asyncio.gather(*(p.register_queue() for p in host.producers.values()))
        if host.poll_only:
            await control.check()
            poll = min(host.registry.config.jobs.poll_interval.total_seconds(), 2.0)
            self._tasks.append(_task(control.poll(poll), "control_poll"))
            return
        notifier = Notifier(
            host.url,
            {
                "river_insert": host._on_insert,
                "river_control": control.on_control,
                "river_leadership": host._on_leadership_note,
                "riverhost_control": control.on_host_control,
            },
            on_reconnect=self._listening_again,
        )
        self._tasks.append(_task(notifier.run(), "notifier"))
        await _first(notifier.ready.wait(), host._stop.wait())
        # The pauses as they are; from here on, notifications say what changes.
        await control.check()
        self._tasks.append(_task(control.poll(CONTROL_REFRESH), "control_refresh"))

    def _listening_again(self) -> None:
        """The listener is back: fetch now, for inserts announced while it was down, and read
        the pauses, resumes and cancels it missed."""
        for producer in self._host.producers.values():
            producer.wake()
        self._tasks.append(_task(self._control.check(), "control_check"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class _Completing:
    """The completer as a service: its stop flushes every outcome left."""

    name = "completer"

    def __init__(self, completer: Completer) -> None:
        self._completer = completer
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = _task(self._completer.run(), self.name)

    async def stop(self) -> None:
        assert self._task is not None
        await self._completer.stop(self._task)


class _Fetching:
    """The producers as a service, and the collector kept off the hot path while they run.
    Its stop is the host's soft-then-hard drain."""

    name = "producers"

    def __init__(self, host: Host, threads: WorkerThreads) -> None:
        self._host = host
        self._threads = threads
        self._tasks: list[asyncio.Task[None]] = []
        self._undo: list[Callable[[], None]] = []

    async def start(self) -> None:
        producers = self._host.producers.values()
        self._undo = [metrics.report_running(p.queue, p.active.__len__) for p in producers]
        self._tasks = [_task(p.run(), f"producer:{p.queue}") for p in producers]
        self._undo.append(_keep_gc_off_the_hot_path())

    async def stop(self) -> None:
        try:
            for producer in self._host.producers.values():
                producer.stop_fetching()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._host._drain()
        finally:
            self._threads.shutdown(wait=False, cancel_futures=True)
            for undo in self._undo:
                undo()


def _opener(*pools: AsyncConnectionPool[Any]) -> Callable[[], Awaitable[None]]:
    async def open_all() -> None:
        for each in pools:
            await each.open(wait=True)

    return open_all


def _closer(*pools: AsyncConnectionPool[Any]) -> Callable[[], Awaitable[None]]:
    async def close_all() -> None:
        for each in pools:
            await each.close()

    return close_all


GC_YOUNG_THRESHOLD = 10_000
"""Allocations between collections of the youngest generation while a host runs (Python: 700)."""


def _keep_gc_off_the_hot_path() -> Callable[[], None]:
    """Freeze what start-up built out of the collector's scans and collect the young generation
    less often, until the returned function undoes both.

    Every attempt allocates a few dozen short-lived objects (task, timer, context, outcome);
    with Python's defaults the collector ran every few dozen jobs and, at higher concurrency,
    kept walking the thousands of long-lived objects of pydantic, structlog and the plugins.
    That was a quarter of a no-op job's CPU at concurrency 200 (29 -> 22 us per job).
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], GC_YOUNG_THRESHOLD), *threshold[1:])

    def restore() -> None:
        gc.set_threshold(*threshold)
        gc.unfreeze()

    return restore


async def _quietly(aw: Coroutine[Any, Any, None], what: str) -> None:
    try:
        await aw
    except psycopg.Error as exc:
        log.warning("host.start_step_failed", step=what, error=str(exc))


def _task(coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    """A task of the host's. One that dies of an exception says so at once: the shutdown that
    gathers it would otherwise be the first to hear, and it gathers quietly."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    task.add_done_callback(_report_crash)
    return task


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("host.task_crashed", task=task.get_name(), exc_info=exc)


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
