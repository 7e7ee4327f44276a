"""The executor: runs one attempt of one job and decides its outcome.

It validates the args into the kind's model, calls the worker (on the loop if it is
``async def``, in the thread pool otherwise), enforces the kind's timeout, and turns what
happened into an :class:`~riverhost.engine.completer.Outcome`: completed, cancelled, snoozed,
retryable after the kind's retry policy, discarded when out of attempts, or interrupted by a
host shutdown. An attempt told to stop (timeout, remote cancel, shutdown) sees its context's
``cancelled`` event set and, if async, its task cancelled; a worker that ignores that for
longer than :data:`STOP_GRACE` is abandoned (logged as stuck) so its slot is free again. It
writes nothing itself: the completer does.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Executor as _FuturesExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import structlog
from pydantic import BaseModel, ValidationError

from riverhost.durations import format_duration
from riverhost.engine.completer import Completer, Outcome
from riverhost.errors import validation_message
from riverhost.job import OUTPUT_KEY, PROGRESS_KEY, Job
from riverhost.logging import get_logger
from riverhost.registry import RegisteredKind
from riverhost.retry import RiverDefaultRetry
from riverhost.runtime import PluginRuntime
from riverhost.worker import JobCancel, JobContext, JobSnooze

__all__ = ["STOP_GRACE", "Attempt", "Executor"]

log = get_logger("riverhost.executor")

STOP_GRACE = 1.0
"""Seconds a worker told to stop gets to return before its attempt is given up on."""

_DEFAULT_RETRY = RiverDefaultRetry()


class Attempt:
    """One running attempt: its job, context and worker, and how to tell it to stop.

    It ends exactly once (:attr:`ended`): when its worker does, or when the worker ignored a
    stop for :data:`STOP_GRACE`; ``on_end`` then hears of it, once its outcome (if one could be
    worked out) is with the completer.
    """

    __slots__ = ("_deadline", "_end", "_grace", "ctx", "ended", "job", "on_end", "started", "task")

    def __init__(
        self,
        job: Job[dict[str, Any]],
        ctx: JobContext,
        end: Callable[[Attempt], None],
        on_end: Callable[[Attempt], None],
    ) -> None:
        self.job = job
        self.ctx = ctx
        self.on_end = on_end
        self.task: asyncio.Future[Any] | None = None
        self.started = time.monotonic()
        self.ended = False
        self._end = end
        self._deadline: _Due | None = None
        self._grace: asyncio.TimerHandle | None = None

    def stop(self, reason: str) -> None:
        """Tell the worker to stop: ``timeout``, ``cancelled`` (remote) or ``shutdown``."""
        self.ctx._stop(reason)
        task = self.task
        if self.ended or task is None or task.done() or self._grace is not None:
            return
        if isinstance(task, asyncio.Task):
            task.cancel()
        self._grace = asyncio.get_running_loop().call_later(STOP_GRACE, self._end, self)

    def _worker_ended(self, task: asyncio.Future[Any]) -> None:
        if self.ended:
            _consume(task)  # an abandoned worker ending late: its exception is logged, not lost
        else:
            self._end(self)

    def _cancel_timers(self) -> None:
        if self._deadline is not None:
            self._deadline.drop(self)
        if self._grace is not None:
            self._grace.cancel()


class Deadlines:
    """Stops attempts that outlive their kind's timeout ("timeout"), with one timer for the
    attempts due in the same :data:`GRAIN` rather than a timer each.

    An attempt is stopped at most ``GRAIN`` after its timeout. A timer per attempt, set and
    cancelled, was a twentieth of a short job's cost in the engine. A grain whose attempts
    all ended cancels its timer, so long timeouts do not pile timers up.
    """

    GRAIN = 0.01
    """Seconds: deadlines are rounded up to a multiple of this."""

    def __init__(self) -> None:
        self._due: dict[int, _Due] = {}

    def watch(self, attempt: Attempt, timeout: float) -> None:
        """Stop ``attempt`` once ``timeout`` seconds have passed, unless it ends first."""
        loop = asyncio.get_running_loop()
        tick = math.ceil((loop.time() + timeout) / self.GRAIN)
        due = self._due.get(tick)
        if due is None:
            due = self._due[tick] = _Due(self._due, tick, loop, tick * self.GRAIN)
        due.attempts.add(attempt)
        attempt._deadline = due


class _Due:
    """The attempts whose deadline falls in one grain, and the timer that stops them."""

    __slots__ = ("attempts", "tick", "timer", "watched")

    def __init__(
        self,
        watched: dict[int, _Due],
        tick: int,
        loop: asyncio.AbstractEventLoop,
        when: float,
    ) -> None:
        self.attempts: set[Attempt] = set()
        self.watched = watched
        self.tick = tick
        self.timer = loop.call_at(when, self.expire)

    def drop(self, attempt: Attempt) -> None:
        """``attempt`` ended in time."""
        self.attempts.discard(attempt)
        if not self.attempts and self.watched.get(self.tick) is self:
            del self.watched[self.tick]
            self.timer.cancel()

    def expire(self) -> None:
        del self.watched[self.tick]
        for attempt in list(self.attempts):
            attempt.stop("timeout")


class Executor:
    """Runs attempts for every registered kind; one per host process."""

    def __init__(
        self,
        kinds: dict[str, RegisteredKind],
        completer: Completer,
        threads: _FuturesExecutor,
        *,
        is_leader: Callable[[], bool] = lambda: False,
        runtimes: Mapping[str, PluginRuntime] | None = None,
    ) -> None:
        self._kinds = kinds
        self._runtimes = dict(runtimes or {})
        """Each kind's plugin runtime (what its context reaches), by kind."""
        self._is_leader = is_leader
        self._completer = completer
        self._threads = threads
        self._is_async = {
            name: inspect.iscoroutinefunction(reg.spec.worker) for name, reg in kinds.items()
        }
        self._takes_ctx = {name: _takes_ctx(reg.spec.worker) for name, reg in kinds.items()}
        self._timeouts = {name: reg.spec.timeout.total_seconds() for name, reg in kinds.items()}
        self._deadlines = Deadlines()

    def attempt(self, job: Job[dict[str, Any]], on_end: Callable[[Attempt], None]) -> Attempt:
        """A new attempt of ``job``, with its context bound to the job; :meth:`start` runs it."""

        def bound() -> structlog.typing.FilteringBoundLogger:
            bind = log.bind(job_id=job.id, kind=job.kind, queue=job.queue, attempt=job.attempt)
            return cast("structlog.typing.FilteringBoundLogger", bind)

        report = self._completer.report_progress
        ctx = JobContext(
            bound,
            lambda progress: report(job.id, progress),
            self._is_leader,
            job,
            self._runtimes.get(job.kind),
        )
        return Attempt(job, ctx, self._finish, on_end)

    def start(self, attempt: Attempt) -> None:
        """Start the worker (a task on the loop if ``async def``, the thread pool otherwise)
        under the kind's timeout; the attempt ends by callbacks, with no task of its own."""
        job = attempt.job
        spec = self._kinds[job.kind].spec
        try:
            args = spec.args.model_validate(job.args)
        except ValidationError as exc:
            # No retry can make these args fit: discard now, saying why.
            message = f"args do not fit {spec.args.__name__}: {validation_message(exc)}"
            self._settle(attempt, self._failure(attempt, message, "", final=True))
            return
        typed = job._carrying(args)
        loop = asyncio.get_running_loop()
        call = (typed, attempt.ctx) if self._takes_ctx[job.kind] else (typed,)
        if self._is_async[job.kind]:
            coroutine = cast("Coroutine[Any, Any, Any]", spec.worker(*call))
            attempt.task = loop.create_task(coroutine)
        else:
            attempt.task = loop.run_in_executor(self._threads, spec.worker, *call)
        self._deadlines.watch(attempt, self._timeouts[job.kind])
        attempt.task.add_done_callback(attempt._worker_ended)

    def _finish(self, attempt: Attempt) -> None:
        """The worker ended, or ignored its stop for :data:`STOP_GRACE`: settle the outcome."""
        attempt._cancel_timers()
        try:
            outcome: Outcome | None = self._outcome(attempt, self._kinds[attempt.job.kind])
        except Exception:
            # A bug in the engine (or a retry policy), not the worker: say so loudly; the job
            # stays running until the rescuer brings it back.
            log.exception("job.executor_crashed", job_id=attempt.job.id, kind=attempt.job.kind)
            outcome = None
        self._settle(attempt, outcome)

    def _settle(self, attempt: Attempt, outcome: Outcome | None) -> None:
        attempt.ended = True
        if outcome is not None:
            self._completer.add(outcome)
        attempt.on_end(attempt)

    def _outcome(self, attempt: Attempt, registered: RegisteredKind) -> Outcome:
        task = attempt.task
        assert task is not None
        reason = attempt.ctx.stop_reason
        if not task.done():
            log.error(
                "job.worker_stuck",
                job_id=attempt.job.id,
                kind=attempt.job.kind,
                reason=reason,
                hint="the worker ignored its stop signal; its slot is freed, its thread is not",
            )
            return self._over(attempt, registered, reason or "timeout", "")
        if task.cancelled():
            return self._over(attempt, registered, reason or "shutdown", "")
        exc = task.exception()
        if exc is None:
            return self._end(attempt, "completed", task=task)
        if isinstance(exc, JobCancel):
            return self._failure(attempt, exc.reason, _trace(exc), outcome="cancelled")
        if isinstance(exc, JobSnooze):
            return self._end(attempt, "snoozed", delay=exc.delay)
        if reason is not None:
            return self._over(attempt, registered, reason, _trace(exc))
        return self._failure(attempt, f"{type(exc).__name__}: {exc}", _trace(exc))

    def _over(
        self, attempt: Attempt, registered: RegisteredKind, reason: str, trace: str
    ) -> Outcome:
        if reason == "shutdown":
            return self._end(attempt, "interrupted")
        if reason == "cancelled":
            return self._failure(attempt, "job cancelled remotely", trace, outcome="cancelled")
        timeout = format_duration(registered.spec.timeout)
        return self._failure(attempt, f"TimeoutError: job timed out after {timeout}", trace)

    def discard_unreadable(self, row: Sequence[Any], exc: Exception) -> None:
        """End a fetched row that cannot even be read as a job: discarded, saying why.

        ``row`` has :data:`~riverhost.db.queries.FETCH`'s columns (those of ``Job.from_row``).
        """
        job_id, attempt, attempted_at, kind, queue = row[0], row[2], row[4], row[12], row[14]
        message = f"the job row cannot be read: {type(exc).__name__}: {exc}"
        log.error("job.unreadable", job_id=job_id, kind=kind, error=message)
        error = {"at": _rfc3339(attempted_at), "attempt": attempt, "error": message, "trace": ""}
        self._completer.add(Outcome(job_id, attempted_at, kind, queue, "discarded", error=error))

    def _failure(
        self,
        attempt: Attempt,
        message: str,
        trace: str,
        *,
        outcome: str | None = None,
        final: bool = False,
    ) -> Outcome:
        job = attempt.job
        error = {
            "at": _rfc3339(job.attempted_at),
            "attempt": job.attempt,
            "error": message,
            "trace": trace,
        }
        if outcome is not None:
            return self._end(attempt, outcome, error=error)
        if final or job.attempt >= job.max_attempts:
            log.warning("job.discarded", job_id=job.id, kind=job.kind, error=message)
            return self._end(attempt, "discarded", error=error)
        policy = self._kinds[job.kind].spec.retry or _DEFAULT_RETRY
        delay = policy.next_delay(attempt=job.attempt, error_count=len(job.errors))
        log.warning("job.failed", job_id=job.id, kind=job.kind, attempt=job.attempt, error=message)
        return self._end(attempt, "retryable", delay=max(delay, timedelta(0)), error=error)

    def _end(
        self,
        attempt: Attempt,
        outcome: str,
        *,
        delay: timedelta | None = None,
        error: dict[str, Any] | None = None,
        task: asyncio.Future[Any] | None = None,
    ) -> Outcome:
        job = attempt.job
        return Outcome(
            job_id=job.id,
            attempted_at=job.attempted_at,
            kind=job.kind,
            queue=job.queue,
            outcome=outcome,
            duration=time.monotonic() - attempt.started,
            delay=delay,
            error=error,
            metadata=self._metadata(attempt, task),
            completed_tx=attempt.ctx._completed_tx,
        )

    @staticmethod
    def _metadata(attempt: Attempt, task: asyncio.Future[Any] | None = None) -> dict[str, Any]:
        """Output and last progress, merged into the job's metadata whatever the outcome."""
        metadata: dict[str, Any] = {}
        output = attempt.ctx.output
        if task is not None and output is None:
            output = task.result()
        if output is not None:
            metadata[OUTPUT_KEY] = _jsonable(output)
        if attempt.ctx.progress is not None:
            metadata[PROGRESS_KEY] = attempt.ctx.progress.model_dump()
        return metadata


def _takes_ctx(worker: Any) -> bool:
    """Whether ``worker`` takes ``(job, ctx)`` rather than ``(job)`` alone."""
    try:
        parameters = inspect.signature(worker).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable: assume the full form
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


def _jsonable(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _consume(future: asyncio.Future[Any]) -> None:
    """Read an abandoned worker's result so its late exception is logged, not lost."""
    if not future.cancelled() and (exc := future.exception()) is not None:
        log.warning("job.abandoned_worker_raised", error=f"{type(exc).__name__}: {exc}")


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _rfc3339(moment: datetime | None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
