"""What a worker sees: its :class:`JobContext`, and the exceptions that end an attempt early.

A worker is a plain ``def`` or an ``async def`` taking ``(job, ctx)``, or ``(job)`` alone when
it needs no context: ``job`` is the :class:`~riverhost.job.Job` with its args validated into
the kind's model, ``ctx`` the :class:`JobContext` of this attempt. Returning ends the attempt
as completed (a returned value other than ``None`` is recorded as output); raising
:class:`JobCancel` cancels the job for good, :class:`JobSnooze` puts it back without using an
attempt, and any other exception fails the attempt (retried by the kind's policy until its
attempts are used up).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from riverhost.job import Job, JobProgress
from riverhost.runtime import PluginRuntime, complete_tx, complete_tx_sync

if TYPE_CHECKING:
    import psycopg
    from pydantic import BaseModel

    from riverhost.client import AsyncClient, Client

__all__ = [
    "JobCancel",
    "JobCancelledError",
    "JobContext",
    "JobSnooze",
    "RuntimeUnavailableError",
]


class JobCancel(Exception):
    """Raise from a worker to cancel the job: no retry, the reason recorded as its error."""

    def __init__(self, reason: str = "cancelled by its worker") -> None:
        self.reason = reason
        super().__init__(reason)


class JobSnooze(Exception):
    """Raise from a worker to run the job again after ``delay``, without using an attempt."""

    def __init__(self, delay: timedelta | float = 0) -> None:
        self.delay = delay if isinstance(delay, timedelta) else timedelta(seconds=delay)
        if self.delay < timedelta(0):
            raise ValueError(f"a snooze cannot be negative, got {self.delay}")
        super().__init__(f"snoozed for {self.delay}")


class JobCancelledError(Exception):
    """Raised by :meth:`JobContext.raise_if_cancelled` once the attempt has been told to stop."""


_STOP_LOCK = threading.Lock()
"""Orders a stop against the first look at :attr:`JobContext.cancelled` from a worker thread."""


class RuntimeUnavailableError(RuntimeError):
    """A worker asked its context for settings, resources, the database or the client outside a
    running host (the context was built by hand, with no plugin runtime)."""


class JobContext:
    """One attempt's handle on the host: logger, progress, output and the stop signal, and its
    plugin's share of the host: settings, resources, database transactions and the client.

    Safe to use from a sync worker's thread: progress and output are plain assignments that the
    engine picks up, and :attr:`cancelled` is a :class:`threading.Event`. Sync workers use the
    ``_sync`` flavours (:meth:`transaction_sync`, :attr:`client_sync`, :meth:`complete_tx_sync`).
    """

    __slots__ = (
        "_bind",
        "_cancelled",
        "_completed_tx",
        "_is_leader",
        "_job",
        "_log",
        "_on_progress",
        "_output",
        "_progress",
        "_runtime",
        "_stop_reason",
    )

    def __init__(
        self,
        log: Callable[[], structlog.typing.FilteringBoundLogger],
        on_progress: Callable[[JobProgress], None],
        is_leader: Callable[[], bool] = lambda: False,
        job: Job[Any] | None = None,
        runtime: PluginRuntime | None = None,
    ) -> None:
        # Binding a logger costs more than most no-op jobs do: bind on first use only.
        self._bind = log
        self._log: structlog.typing.FilteringBoundLogger | None = None
        # Made on first use: most attempts never look, and an Event costs as much as a no-op job.
        self._cancelled: threading.Event | None = None
        self._on_progress = on_progress
        self._is_leader = is_leader
        self._output: Any = None
        self._progress: JobProgress | None = None
        self._stop_reason: str | None = None
        self._job = job
        self._runtime = runtime
        self._completed_tx = False

    @property
    def log(self) -> structlog.typing.FilteringBoundLogger:
        """A structlog logger bound with ``job_id``, ``kind``, ``queue`` and ``attempt``."""
        if self._log is None:
            self._log = self._bind()
        return self._log

    def report_progress(
        self, phase: str = "", current: int = 0, total: int = 0, message: str = ""
    ) -> JobProgress:
        """Record progress; ``percent`` is computed. Written to the job's metadata, throttled."""
        progress = JobProgress(phase=phase, current=current, total=total, message=message)
        self._progress = progress
        self._on_progress(progress)
        return progress

    def record_output(self, value: Any) -> None:
        """Keep ``value`` (JSON-able, or a pydantic model) as the job's output; last call wins."""
        self._output = value

    @property
    def output(self) -> Any:
        """What :meth:`record_output` last kept, or ``None``."""
        return self._output

    @property
    def progress(self) -> JobProgress | None:
        """The last progress reported in this attempt, or ``None``."""
        return self._progress

    @property
    def is_leader(self) -> bool:
        """Whether this host process leads the fleet now (for leader-only maintenance work)."""
        return self._is_leader()

    @property
    def stop_reason(self) -> str | None:
        """Why the attempt was told to stop (``timeout``, ``cancelled``, ``shutdown``), or None."""
        return self._stop_reason

    @property
    def cancelled(self) -> threading.Event:
        """Set when the attempt must stop (timeout, remote cancel, host shutdown)."""
        event = self._cancelled
        if event is None:
            with _STOP_LOCK:
                if self._cancelled is None:
                    self._cancelled = threading.Event()
                    if self._stop_reason is not None:
                        self._cancelled.set()
                event = self._cancelled
        return event

    def raise_if_cancelled(self) -> None:
        """Raise :class:`JobCancelledError` if the attempt has been told to stop."""
        if self._stop_reason is not None:
            raise JobCancelledError(f"attempt stopped: {self._stop_reason}")

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds, waking early when told to stop; True if told."""
        return self.cancelled.wait(timeout)

    # ------------------------------------------------------------------ the plugin's runtime

    def _plugin(self) -> PluginRuntime:
        if self._runtime is None:
            raise RuntimeUnavailableError(
                "this JobContext has no plugin runtime: settings, resources, transactions and "
                "the client exist only for attempts run by a host (riverhost.testing.run_job "
                "runs one in a test)"
            )
        return self._runtime

    @property
    def settings(self) -> BaseModel | None:
        """This plugin's validated settings (its ``plugins.<name>`` section), or ``None``."""
        return self._plugin().settings

    @property
    def resources(self) -> Any:
        """What this plugin's ``riverhost_resources`` context manager yielded (or ``None``)."""
        return self._plugin().resources

    @property
    def client(self) -> AsyncClient:
        """The host's client for follow-up jobs: ``await ctx.client.insert(args)``; pass
        ``conn=`` (from :meth:`transaction`) to commit them with the worker's own writes."""
        return self._plugin().database.client

    @property
    def client_sync(self) -> Client:
        """:attr:`client` for plain ``def`` workers (blocking, on the sync pool)."""
        return self._plugin().database.client_sync

    def transaction(self) -> AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]:
        """``async with ctx.transaction() as conn``: a connection from the workers' pool in a
        transaction, committed when the block ends and rolled back if it raises (a timeout,
        a cancel or a host stop included); back in the pool on every outcome."""
        return self._plugin().database.transaction()

    def transaction_sync(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        """:meth:`transaction` for plain ``def`` workers."""
        return self._plugin().database.transaction_sync()

    async def complete_tx(self, conn: psycopg.AsyncConnection[Any], output: Any = None) -> None:
        """Mark this job completed inside ``conn``'s transaction (River's ``JobCompleteTx``):
        the completion commits or rolls back with the worker's own writes, so its effect
        happens exactly once. ``output`` (if given) is recorded as the job's output, and the
        last progress reported so far as its progress.

        Raises :class:`~riverhost.errors.JobNotRunningError` if the job no longer runs this
        attempt (rescued, cancelled or deleted meanwhile); let it roll the transaction back.
        """
        await complete_tx(conn, self._attempted(), output, self._progress)
        self._completed_tx = True

    def complete_tx_sync(self, conn: psycopg.Connection[Any], output: Any = None) -> None:
        """:meth:`complete_tx` for plain ``def`` workers."""
        complete_tx_sync(conn, self._attempted(), output, self._progress)
        self._completed_tx = True

    @property
    def completed_tx(self) -> bool:
        """Whether the worker completed its job in its own transaction (:meth:`complete_tx`)."""
        return self._completed_tx

    def _attempted(self) -> Job[Any]:
        if self._job is None:
            raise RuntimeUnavailableError("this JobContext belongs to no job")
        return self._job

    def _stop(self, reason: str) -> None:
        with _STOP_LOCK:
            if self._stop_reason is None:
                self._stop_reason = reason
            if self._cancelled is not None:
                self._cancelled.set()
