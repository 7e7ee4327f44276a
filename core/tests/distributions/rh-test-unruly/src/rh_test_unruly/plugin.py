"""Throwaway plugin for the reliability tests: workers that misbehave as badly as workers can.

``crash`` jobs end their own process (``os._exit``) on every attempt; ``stall`` jobs block their
thread for ``seconds`` and ignore every request to stop; ``crash_after_complete`` jobs complete
themselves inside their own transaction and, on their first attempt, end their process before
that transaction commits. All live in the ``unruly`` queue.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from pydantic import BaseModel

from riverhost import ExponentialBackoff, JobKind, QueueSpec, hookimpl

CRASH_ATTEMPTS = 2


class CrashArgs(BaseModel):
    pass


class StallArgs(BaseModel):
    seconds: float


def crash(job) -> None:
    os._exit(17)


def crash_after_complete(job, ctx) -> None:
    with ctx.transaction_sync() as conn:
        ctx.complete_tx_sync(conn, output={"attempt": job.attempt})
        if job.attempt == 1:
            os._exit(17)  # the completion never commits


def stall(job) -> None:
    time.sleep(job.args.seconds)  # deaf to ctx.cancelled on purpose


@hookimpl
def riverhost_queues(settings):
    return [QueueSpec(name="unruly", max_workers=2)]


@hookimpl
def riverhost_job_kinds(settings):
    quick = ExponentialBackoff(base=timedelta(milliseconds=50))
    return [
        JobKind(
            kind="crash",
            args=CrashArgs,
            worker=crash,
            queue="unruly",
            timeout="1m",
            max_attempts=CRASH_ATTEMPTS,
            retry=quick,
        ),
        JobKind(kind="stall", args=StallArgs, worker=stall, queue="unruly", timeout="1m"),
        JobKind(
            kind="crash_after_complete",
            args=CrashArgs,
            worker=crash_after_complete,
            queue="unruly",
            timeout="1m",
            max_attempts=3,
            retry=quick,
        ),
    ]
