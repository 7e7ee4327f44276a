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
from datetime import timedelta
from typing import Any

import structlog

from riverhost.job import JobProgress

__all__ = ["JobCancel", "JobCancelledError", "JobContext", "JobSnooze"]


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


class JobContext:
    """One attempt's handle on the host: logger, progress, output and the stop signal.

    Safe to use from a sync worker's thread: progress and output are plain assignments that the
    engine picks up, and :attr:`cancelled` is a :class:`threading.Event`.
    """

    __slots__ = (
        "_bind",
        "_cancelled",
        "_is_leader",
        "_log",
        "_on_progress",
        "_output",
        "_progress",
        "_stop_reason",
    )

    def __init__(
        self,
        log: Callable[[], structlog.typing.FilteringBoundLogger],
        on_progress: Callable[[JobProgress], None],
        is_leader: Callable[[], bool] = lambda: False,
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

    def _stop(self, reason: str) -> None:
        with _STOP_LOCK:
            if self._stop_reason is None:
                self._stop_reason = reason
            if self._cancelled is not None:
                self._cancelled.set()
