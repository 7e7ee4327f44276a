"""A plugin whose workers do what their args tell them, one step per attempt: the engine tests'
way to cause every outcome (complete, fail, cancel, snooze, time out, report progress, wait to
be cancelled) against a real database.

A job's ``steps`` are read in order; each attempt (or snooze) takes the next one:
``ok``, ``fail``, ``cancel``, ``snooze``, ``timeout`` (runs past the kind's timeout),
``wait`` (runs until told to stop), ``progress`` (reports three steps, then completes),
``output`` (returns ``{"echo": note}``), ``log`` (logs ``note`` through ``ctx.log``),
``progress_wait`` (reports one step, then waits), ``progress_slow`` (sync: reports one
step of six every ``seconds`` / 6, then waits until told to stop), ``sleep`` (takes
``seconds``, stopping early when told, then completes), ``hang`` (sync only: blocks its
thread for ``seconds`` whatever it is told, then completes).

``steps_long`` jobs (sync) have a minute's timeout, for work that must outlast an outage or a
shutdown.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from riverhost import InsertOpts, JobArgs, JobCancel, JobKind, JobSnooze, hookimpl

TIMEOUT = timedelta(milliseconds=300)
MAX_ATTEMPTS = 3

RUNS: list[tuple[int, int, int]] = []
"""Every run of a step, as (job id, attempt, snoozes): the accounting test's witness."""


@dataclass(frozen=True)
class QuickRetry:
    """Retry after 10 ms, so tests need not wait for River's backoff."""

    def next_delay(self, *, attempt: int, error_count: int) -> timedelta:
        return timedelta(milliseconds=10)


class StepArgs(JobArgs):
    kind: ClassVar[str] = "steps_async"

    steps: list[str]
    note: str = ""
    seconds: float = 1.0


class SyncStepArgs(StepArgs):
    kind: ClassVar[str] = "steps_sync"


class LongStepArgs(StepArgs):
    kind: ClassVar[str] = "steps_long"


class OtherQueueArgs(StepArgs):
    kind: ClassVar[str] = "steps_bulk"
    insert_opts: ClassVar[InsertOpts] = InsertOpts(queue="bulk", priority=2)


def _step(job) -> str:
    snoozes = int(job.metadata.get("snoozes", 0))
    RUNS.append((job.id, job.attempt, snoozes))
    index = job.attempt - 1 + snoozes
    return job.args.steps[min(index, len(job.args.steps) - 1)]


async def work_async(job, ctx):
    step = _step(job)
    if step == "ok":
        return None
    if step == "log":
        ctx.log.info("step.logged", note=job.args.note)
        return None
    if step == "output":
        return {"echo": job.args.note}
    if step == "fail":
        raise RuntimeError(f"step {job.attempt} failed as told")
    if step == "cancel":
        raise JobCancel("the args said cancel")
    if step == "snooze":
        raise JobSnooze(0)
    if step == "progress":
        for current in range(1, 4):
            ctx.report_progress("counting", current, 3, f"item {current}")
        return None
    if step == "sleep":
        await asyncio.sleep(job.args.seconds)
        return None
    if step == "progress_wait":
        ctx.report_progress("waiting", 1, 3, "first of three")
    if step in ("timeout", "wait", "progress_wait"):
        await asyncio.sleep(3600)
    raise ValueError(f"unknown step {step!r}")


def work_sync(job, ctx):
    step = _step(job)
    if step == "ok":
        return None
    if step == "log":
        ctx.log.info("step.logged", note=job.args.note)
        return None
    if step == "output":
        return {"echo": job.args.note}
    if step == "fail":
        raise RuntimeError(f"step {job.attempt} failed as told")
    if step == "cancel":
        raise JobCancel("the args said cancel")
    if step == "snooze":
        raise JobSnooze(0)
    if step == "progress":
        for current in range(1, 4):
            ctx.report_progress("counting", current, 3, f"item {current}")
            time.sleep(0.01)
        return None
    if step == "sleep":
        ctx.wait_cancelled(job.args.seconds)
        ctx.raise_if_cancelled()
        return None
    if step == "hang":
        time.sleep(job.args.seconds)  # deaf to ctx.cancelled: the stuck worker
        return None
    if step == "progress_wait":
        ctx.report_progress("waiting", 1, 3, "first of three")
    if step == "progress_slow":
        for current in range(1, 7):
            ctx.report_progress("scanning", current, 6, f"file {current} of 6")
            if ctx.wait_cancelled(job.args.seconds / 6):
                break
    if step in ("timeout", "wait", "progress_wait", "progress_slow"):
        ctx.wait_cancelled(3600)
        ctx.raise_if_cancelled()
    raise ValueError(f"unknown step {step!r}")


@hookimpl
def riverhost_job_kinds():
    common = {"timeout": TIMEOUT, "retry": QuickRetry(), "max_attempts": MAX_ATTEMPTS}
    return [
        JobKind(kind=StepArgs.kind, args=StepArgs, worker=work_async, **common),
        JobKind(kind=SyncStepArgs.kind, args=SyncStepArgs, worker=work_sync, **common),
        JobKind(
            kind=OtherQueueArgs.kind, args=OtherQueueArgs, worker=work_async, queue="bulk", **common
        ),
        JobKind(
            kind=LongStepArgs.kind,
            args=LongStepArgs,
            worker=work_sync,
            **{**common, "timeout": timedelta(minutes=1)},
        ),
    ]
