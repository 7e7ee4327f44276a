"""Chancy: ``@job`` functions, ``push`` / ``push_many``, a ``Worker`` on asyncio-executor queues.

Queues are declared with ``executor=Chancy.Executor.Async`` (the jobs are ``async def``) and
``eager_polling=True``, without which a worker does not re-poll when a job finishes and drains a
backlog at a few jobs per second. Chancy's default plugins stay on; its per-job INFO log lines
are turned down to WARNING (riverhost runs at warning too). The pool gets ``concurrency + 2``
connections (capped at 60). Finished jobs stay in ``chancy_jobs`` as ``succeeded``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from chancy import Chancy, Job, Queue, QueuedJob, Worker, job
from chancy.plugins.retry import RetryPlugin

from benchmarks.peers._driver import SEED_QUEUES, Driver, MixJob, main, record_start


@job()
async def noop(n: int) -> None:
    record_start(n)


@job()
async def mixed(n: int, sleep_ms: int, fail: bool, *, context: Any) -> None:
    record_start(n)
    await asyncio.sleep(sleep_ms / 1000)
    if fail and context.attempts == 0:
        raise RuntimeError("fails on its first attempt")


# Chancy hands the running job to a keyword-only parameter annotated QueuedJob; it reads the
# annotation object itself, which ``from __future__ import annotations`` leaves a string.
mixed.__annotations__["context"] = QueuedJob  # type: ignore[attr-defined]
_RETRY_1S = {"backoff": 1, "backoff_factor": 1, "backoff_limit": 1, "backoff_jitter": [0, 0]}


class ChancyDriver(Driver):
    package = "chancy"
    finished_sql = "SELECT count(*) FROM chancy_jobs WHERE state = 'succeeded'"
    inserted_sql = "SELECT count(*) FROM chancy_jobs"
    bulk_apis = ("push_many",)

    def __init__(self, url: str, task: dict[str, Any]) -> None:
        super().__init__(url, task)
        concurrency = int(task.get("concurrency", 10))
        if task["phase"] == "mix":
            concurrency = sum(SEED_QUEUES.values())
        log = logging.getLogger("bench.chancy")
        log.setLevel(logging.WARNING)
        self.chancy = Chancy(
            url,
            max_connection_pool_size=min(concurrency + 2, 60),
            log=log,
            plugins=[RetryPlugin()] if task["phase"] == "mix" else None,
        )

    def _queue(self, name: str, concurrency: int) -> Queue:
        return Queue(
            name, concurrency=concurrency, executor=Chancy.Executor.Async, eager_polling=True
        )

    async def setup(self) -> None:
        async with self.chancy:
            await self.chancy.migrate()
            if self.task["phase"] == "mix":
                for name, workers in SEED_QUEUES.items():
                    await self.chancy.declare(self._queue(name, workers))
            else:
                concurrency = int(self.task.get("concurrency", 10))
                await self.chancy.declare(self._queue("default", concurrency))

    async def open(self) -> None:
        await self.chancy.__aenter__()

    async def close(self) -> None:
        await self.chancy.__aexit__(None, None, None)

    async def insert_one(self, n: int) -> None:
        await self.chancy.push(noop.job.with_kwargs(n=n))

    async def insert_batch(self, ns: Sequence[int], api: str) -> None:
        async for _ in self.chancy.push_many([noop.job.with_kwargs(n=n) for n in ns]):
            pass

    async def work(self, concurrency: int) -> None:
        async with self.chancy, Worker(self.chancy, register_signal_handlers=False) as worker:
            await worker.wait_for_shutdown()

    async def insert_mix(self, jobs: Sequence[MixJob]) -> None:
        base: Job = mixed.job
        items = [
            base.with_kwargs(n=j.n, sleep_ms=j.sleep_ms, fail=j.fail)
            .with_queue(j.queue)
            .with_max_attempts(2)
            .with_meta({"retry_settings": _RETRY_1S})
            for j in jobs
        ]
        async for _ in self.chancy.push_many(items):
            pass

    async def work_mix(self) -> None:
        await self.work(0)


if __name__ == "__main__":
    main(ChancyDriver)
