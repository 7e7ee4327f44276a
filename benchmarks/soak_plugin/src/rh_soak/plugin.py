"""Throwaway plugin for ``python -m benchmarks.soak``: one kind per default queue.

Every ``soak_<queue>`` job sleeps its ``ms`` (1-20 ms); on each attempt it overruns its kind's
timeout with probability ``hang`` and raises :class:`SoakFailure` with probability ``fail``, so
the retries, timeouts and rescues the soak counts come from the job table itself. A successful
attempt appends ``job_id attempt pid`` to ``$RH_SOAK_DONE`` (one ``write`` of a short line on an
``O_APPEND`` file: lines from many processes never interleave), so the audit can tell whether a
job's work ran more than once.
"""

from __future__ import annotations

import asyncio
import os
import random
from datetime import timedelta
from typing import IO, Any

from pydantic import BaseModel, Field

from riverhost import ExponentialBackoff, JobKind, hookimpl

QUEUES = ("critical", "high", "default", "low", "bulk")
TIMEOUT = timedelta(milliseconds=250)
HANG_SECONDS = 2.0  # far past TIMEOUT: the executor stops the attempt, not the sleep's end
MAX_ATTEMPTS = 6


class SoakArgs(BaseModel):
    ms: int = Field(ge=0, le=1000)
    fail: float = Field(default=0.0, ge=0, le=1)
    hang: float = Field(default=0.0, ge=0, le=1)


class SoakFailure(Exception):
    """The failure the soak injects; its name is how the audit counts them in ``errors``."""


_done: IO[str] | None = None


def _witness(line: str) -> None:
    global _done
    if _done is None:
        _done = open(os.environ.get("RH_SOAK_DONE", os.devnull), "a", buffering=1)  # noqa: SIM115
    _done.write(line)


async def work(job: Any) -> None:
    args = job.args
    if random.random() < args.hang:
        await asyncio.sleep(HANG_SECONDS)
    await asyncio.sleep(args.ms / 1000)
    if random.random() < args.fail:
        raise SoakFailure(f"injected on attempt {job.attempt}")
    _witness(f"{job.id} {job.attempt} {os.getpid()}\n")


@hookimpl
def riverhost_job_kinds(settings: Any) -> list[JobKind]:
    retry = ExponentialBackoff(base=timedelta(milliseconds=100), cap=timedelta(seconds=2))
    return [
        JobKind(
            kind=f"soak_{queue}",
            args=SoakArgs,
            worker=work,
            queue=queue,
            timeout=TIMEOUT,
            max_attempts=MAX_ATTEMPTS,
            retry=retry,
        )
        for queue in QUEUES
    ]
