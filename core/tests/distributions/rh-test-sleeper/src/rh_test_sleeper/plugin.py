"""Throwaway plugin for the fleet tests: long jobs that witness every finished attempt.

``sleep`` jobs sleep for their ``seconds`` and then append ``job_id attempt client_pid`` to
$RH_TEST_SLEEPER_DONE, so a test can tell whether any job finished twice.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from pydantic import BaseModel

from riverhost import ExponentialBackoff, JobKind, QueueSpec, hookimpl


class SleepArgs(BaseModel):
    seconds: float


async def sleep(job) -> None:
    await asyncio.sleep(job.args.seconds)
    with open(os.environ.get("RH_TEST_SLEEPER_DONE", os.devnull), "a") as done:
        done.write(f"{job.id} {job.attempt} {os.getpid()}\n")


@hookimpl
def riverhost_queues(settings):
    return [QueueSpec(name="sleepers", max_workers=4)]


@hookimpl
def riverhost_job_kinds(settings):
    quick = ExponentialBackoff(base=timedelta(milliseconds=50))  # a rescued job retries at once
    return [
        JobKind(
            kind="sleep", args=SleepArgs, worker=sleep, queue="sleepers", timeout="1m", retry=quick
        )
    ]
