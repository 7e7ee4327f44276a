"""procrastinate: async tasks on a blueprint, ``defer_async`` / ``batch_defer_async``, one worker.

The worker runs ``App.run_worker_async(concurrency=...)`` with LISTEN/NOTIFY on (the default);
its connection pool gets ``concurrency + 2`` connections (capped at 60) so slots never wait for
one. Finished jobs stay in ``procrastinate_jobs`` as ``succeeded`` (``delete_jobs`` default).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import procrastinate

from benchmarks.peers._driver import SEED_QUEUES, Driver, MixJob, main, record_start

tasks = procrastinate.Blueprint()


@tasks.task(name="noop")
async def noop(n: int) -> None:
    record_start(n)


@tasks.task(
    name="mix", pass_context=True, retry=procrastinate.RetryStrategy(max_attempts=1, wait=1)
)
async def mixed(context: procrastinate.JobContext, n: int, sleep_ms: int, fail: bool) -> None:
    record_start(n)
    await asyncio.sleep(sleep_ms / 1000)
    assert context.job is not None
    if fail and context.job.attempts == 0:
        raise RuntimeError("fails on its first attempt")


class Procrastinate(Driver):
    package = "procrastinate"
    finished_sql = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
    inserted_sql = "SELECT count(*) FROM procrastinate_jobs"
    bulk_apis = ("batch_defer_async",)

    def __init__(self, url: str, task: dict[str, Any]) -> None:
        super().__init__(url, task)
        concurrency = int(task.get("concurrency", 10))
        if task["phase"] == "mix":
            concurrency = sum(SEED_QUEUES.values())
        connector = procrastinate.PsycopgConnector(
            conninfo=url, min_size=1, max_size=min(concurrency + 2, 60)
        )
        self.app = procrastinate.App(connector=connector)
        self.app.add_tasks_from(tasks, namespace="bench")

    async def setup(self) -> None:
        async with self.app.open_async():
            await self.app.schema_manager.apply_schema_async()

    async def open(self) -> None:
        await self.app.open_async()

    async def close(self) -> None:
        await self.app.close_async()

    async def insert_one(self, n: int) -> None:
        await self.app.configure_task("bench:noop").defer_async(n=n)

    async def insert_batch(self, ns: Sequence[int], api: str) -> None:
        await self.app.configure_task("bench:noop").batch_defer_async(*({"n": n} for n in ns))

    async def work(self, concurrency: int) -> None:
        async with self.app.open_async():
            await self.app.run_worker_async(concurrency=concurrency)

    async def insert_mix(self, jobs: Sequence[MixJob]) -> None:
        by_queue: dict[str, list[dict[str, Any]]] = {}
        for j in jobs:
            by_queue.setdefault(j.queue, []).append(
                {"n": j.n, "sleep_ms": j.sleep_ms, "fail": j.fail}
            )
        for queue, kwargs in by_queue.items():
            await self.app.configure_task("bench:mix", queue=queue).batch_defer_async(*kwargs)

    async def work_mix(self) -> None:
        async with self.app.open_async():
            # Concurrency is per worker in procrastinate: one worker per queue.
            await asyncio.gather(
                *(
                    self.app.run_worker_async(
                        queues=[queue],
                        concurrency=workers,
                        name=queue,
                        install_signal_handlers=False,
                    )
                    for queue, workers in SEED_QUEUES.items()
                )
            )


if __name__ == "__main__":
    main(Procrastinate)
