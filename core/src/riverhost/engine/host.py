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
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from riverhost import metrics
from riverhost._asyncio import reraise_if_cancelling
from riverhost.client import AsyncClient
from riverhost.db import adapt
from riverhost.db.cursors import AsyncCursors
from riverhost.engine.completer import SOON, Completer, Outcome
from riverhost.engine.executor import STOP_GRACE, Executor
from riverhost.engine.notifier import Notifier
from riverhost.engine.producer import Producer, fetchers
from riverhost.engine.threads import WorkerThreads
from riverhost.events import Event, EventBus
from riverhost.maintenance.cleaner import Cleaner
from riverhost.maintenance.heartbeat import Heartbeat
from riverhost.maintenance.leader import Elector
from riverhost.maintenance.periodic import PeriodicEnqueuer
from riverhost.maintenance.rescuer import Rescuer
from riverhost.maintenance.sampler import QueueSampler
from riverhost.maintenance.scheduler import Scheduler
from riverhost.registry import Registry

__all__ = ["APPLICATION_NAME", "Host", "new_client_id"]

log = structlog.get_logger("riverhost.host")

_CANCEL_CHECK = (
    "SELECT id FROM river_job WHERE id = ANY(%s::bigint[]) AND metadata ? 'cancel_attempted_at'"
)
_PAUSED_QUEUES = "SELECT name FROM river_queue WHERE paused_at IS NOT NULL"
#: What a written outcome means to subscribers, by (outcome, state now).
_EVENT_OF_OUTCOME = {
    "completed": "job_completed",
    "discarded": "job_discarded",
    "snoozed": "job_snoozed",
    "retryable": "job_failed",
}


#: How the host's pool connections show in ``pg_stat_activity`` unless the URL names them.
APPLICATION_NAME = "riverhost"

CONTROL_REFRESH = 600.0
"""Seconds between a listening host's reads of the pauses and cancels (River's queue refresh):
for what was written with no notification, such as a resume by a poll-only River client."""


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
    ) -> None:
        self.registry = registry
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
        """Work jobs until :meth:`stop`; return once every outcome is written."""
        from riverhost import __version__

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
        )
        await pool.open(wait=True)
        await fetch_pool.open(wait=True)
        if config.metrics.listen:
            _server, self.metrics_port = metrics.serve(
                config.metrics.listen, offset=self._metrics_offset
            )
            log.info("metrics.serving", port=self.metrics_port)
        threads = WorkerThreads()
        fetch_cursors = AsyncCursors(fetch_pool)
        completer = Completer(AsyncCursors(pool), on_written=self._written)
        executor = Executor(
            dict(self.registry.kinds), completer, threads, is_leader=lambda: self.is_leader
        )
        kinds = sorted(self.registry.kinds)
        self.client = AsyncClient(pool, registry=self.registry)
        self.producers = {
            name: Producer(
                queue=name,
                max_workers=queue.max_workers,
                kinds=kinds,
                cursors=fetch_cursors,
                executor=executor,
                client_id=self.client_id,
                poll_interval=jobs.poll_interval.total_seconds(),
                fetch_cooldown=jobs.fetch_cooldown.total_seconds(),
            )
            for name, queue in queues.items()
        }
        heartbeat = Heartbeat(
            pool,
            self.client_id,
            self.registry,
            version=__version__,
            interval=maintenance.heartbeat_interval,
        )
        await _quietly(heartbeat.beat(), "heartbeat")
        # Before anyone may pause them: a pause of a queue without a row would find nothing.
        await asyncio.gather(*(p.register_queue() for p in self.producers.values()))
        self._elector = Elector(pool, self.client_id, self._on_leadership)
        periodic = [p.spec for p in self.registry.periodic.values()]
        self._leader_services = [
            Scheduler(pool).run,
            Rescuer(pool, self.registry, maintenance).run,
            Cleaner(pool, maintenance).run,
            PeriodicEnqueuer(self.client, periodic).run,
            QueueSampler(pool).run,
        ]
        background = [_task(heartbeat.run(), "heartbeat"), _task(self._elector.run(), "elector")]
        if self.poll_only:
            await self._check_control(pool)
            poll = min(jobs.poll_interval.total_seconds(), 2.0)
            background.append(_task(self._poll_control(pool, poll), "control_poll"))
        else:
            notifier = Notifier(
                self.url,
                {
                    "river_insert": self._on_insert,
                    "river_control": self._on_control,
                    "river_leadership": self._on_leadership_note,
                    "riverhost_control": self._on_host_control,
                },
                on_reconnect=lambda: background.append(self._listening_again(pool)),
            )
            background.append(_task(notifier.run(), "notifier"))
            await _first(notifier.ready.wait(), self._stop.wait())
            # The pauses as they are; from here on, notifications say what changes.
            await self._check_control(pool)
            background.append(_task(self._poll_control(pool, CONTROL_REFRESH), "control_refresh"))
        unreport = [
            metrics.report_running(p.queue, p.active.__len__) for p in self.producers.values()
        ]
        completer_task = _task(completer.run(), "completer")
        fetching = [_task(p.run(), f"producer:{p.queue}") for p in self.producers.values()]
        restore_gc = _keep_gc_off_the_hot_path()
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
            await self._elector.resign()  # after the elector stopped, so it cannot bid again
            await asyncio.gather(*self._leader_tasks, return_exceptions=True)
            await heartbeat.stopped()
            threads.shutdown(wait=False, cancel_futures=True)
            await fetch_pool.close()
            await pool.close()
            for stop_reporting in unreport:
                stop_reporting()
            restore_gc()
            log.info("host.stopped", client_id=self.client_id)

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

    def _on_control(self, message: dict[str, Any]) -> None:
        action = message.get("action")
        if action == "cancel":
            job_id = message.get("job_id")
            if type(job_id) is int:
                self._cancel(job_id)
            else:
                log.warning("host.bad_cancel", job_id=repr(job_id)[:100])
        elif action in ("pause", "resume"):
            self._pause(str(message.get("queue")), action == "pause", fleet=True)

    def _on_host_control(self, message: dict[str, Any]) -> None:
        """riverhost's own channel: a pause or resume for one host (by client id)."""
        if message.get("host") == self.client_id and message.get("action") in ("pause", "resume"):
            self._pause(str(message.get("queue")), message["action"] == "pause", fleet=False)

    def _pause(self, queue: str, pause: bool, *, fleet: bool) -> None:
        targets = self.producers.values() if queue == "*" else [self.producers.get(queue)]
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
                self.events.publish(Event(kind, producer.queue))
                producer.wake()

    def _cancel(self, job_id: int) -> None:
        for producer in self.producers.values():
            attempt = producer.active.get(job_id)
            if attempt is not None:
                log.info("job.cancelling", job_id=job_id, kind=attempt.job.kind)
                attempt.stop("cancelled")

    def _listening_again(self, pool: AsyncConnectionPool[Any]) -> asyncio.Task[None]:
        """The listener is back: fetch now, for inserts announced while it was down, and read
        the pauses, resumes and cancels it missed."""
        for producer in self.producers.values():
            producer.wake()
        return _task(self._check_control(pool), "control_check")

    async def _poll_control(self, pool: AsyncConnectionPool[Any], interval: float) -> None:
        """Read the control tables every ``interval``: a poll-only host's notifications, and a
        listening host's check for what was written without one (see :data:`CONTROL_REFRESH`)."""
        while True:
            await asyncio.sleep(interval)
            await self._check_control(pool)

    async def _check_control(self, pool: AsyncConnectionPool[Any]) -> None:
        """Read from the tables what control notifications say: which queues are paused, and
        which running jobs were asked to cancel. Every host does it at start; poll-only hosts
        every interval, others every :data:`CONTROL_REFRESH` and once their listener is back,
        for what it missed while it was down."""
        ids = [job_id for p in self.producers.values() for job_id in p.active]
        changes = {name: p.pause_changes for name, p in self.producers.items()}
        try:
            async with pool.connection() as conn:
                paused = {r[0] for r in await (await conn.execute(_PAUSED_QUEUES)).fetchall()}
                cancels = []
                if ids:
                    cursor = await conn.execute(_CANCEL_CHECK, (ids,))
                    cancels = [r[0] for r in await cursor.fetchall()]
        except psycopg.Error as exc:
            reraise_if_cancelling()
            log.warning("host.control_check_failed", error=str(exc))
            return
        for name, producer in self.producers.items():
            if producer.pause_changes == changes[name]:  # else a notification came meanwhile
                self._pause(name, name in paused, fleet=True)
        for job_id in cancels:
            self._cancel(job_id)

    # ------------------------------------------------------------------------- outcomes

    def _written(self, batch: list[Outcome], states: dict[int, str]) -> None:
        """After a completer write: count metrics, publish events for what was written, and
        have producers fetch again when jobs written back for a moment (retried or snoozed for
        up to :data:`SOON`) are due.

        Counters move once per label set and batch, not once per job: at thousands of jobs a
        second the per-job metric calls cost more than the jobs.
        """
        finished: Counter[tuple[str, str, str]] = Counter()
        durations: dict[tuple[str, str], list[float]] = {}
        due_soon: dict[str, list[float]] = {}
        publish = self.events.listening
        for outcome in batch:
            state = states.get(outcome.job_id)
            if state is None:
                continue  # no longer running this attempt (rescued, deleted): nothing happened
            if state == "available" and outcome.delay is not None and outcome.delay <= SOON:
                due_soon.setdefault(outcome.queue, []).append(outcome.delay.total_seconds())
            label = "cancelled" if state == "cancelled" else outcome.outcome
            label = "failed" if label == "retryable" else label
            finished[outcome.kind, outcome.queue, label] += 1
            durations.setdefault((outcome.kind, outcome.queue), []).append(outcome.duration)
            if not publish:
                continue
            kind = (
                "job_cancelled" if state == "cancelled" else _EVENT_OF_OUTCOME.get(outcome.outcome)
            )
            if kind is not None:
                error = outcome.error["error"] if outcome.error else None
                self.events.publish(
                    Event(
                        kind,
                        outcome.queue,
                        job_id=outcome.job_id,
                        job_kind=outcome.kind,
                        duration_s=outcome.duration,
                        state=state,
                        error=error,
                    )
                )
        for queue, delays in due_soon.items():
            if (producer := self.producers.get(queue)) is not None:
                producer.wake_when_due(delays)
        for labels, count in finished.items():
            metrics.JOBS_FINISHED.labels(*labels).inc(count)
        for (kind, queue), seconds in durations.items():
            metrics.JOB_DURATION_SECONDS.observe_many(kind, queue, seconds)

    def _event_hook(self) -> Callable[[Event], object] | None:
        caller = self.registry.hook.riverhost_event
        if not caller.get_hookimpls():
            return None
        return lambda event: caller(event=event)


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
