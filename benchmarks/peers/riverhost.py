"""riverhost: a plugin with a no-op kind and a mix kind, worked by the engine's :class:`Host`.

Bulk APIs: ``insert_many`` (one INSERT over arrays) and ``copy`` (``insert_many_fast``, COPY).
The work phase's backlog goes in through COPY. A worker process is one engine process with the
default config (the seeds' five queues), ``default`` set to the task's concurrency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from benchmarks.peers._driver import Driver, MixJob, main, record_start
from riverhost import AsyncClient, InsertOpts, JobArgs, JobKind, hookimpl
from riverhost.client import InsertParams


class NoopArgs(JobArgs):
    kind: ClassVar[str] = "bench_noop"
    n: int


class MixArgs(JobArgs):
    kind: ClassVar[str] = "bench_mix"
    n: int
    sleep_ms: int
    fail: bool


async def noop(job: Any, ctx: object) -> None:
    record_start(job.args.n)


async def mixed(job: Any, ctx: object) -> None:
    record_start(job.args.n)
    await asyncio.sleep(job.args.sleep_ms / 1000)
    if job.args.fail and job.attempt == 1:
        raise RuntimeError("fails on its first attempt")


class BenchPlugin:
    """The benchmark's job kinds, registered through the ordinary plugin hook."""

    @hookimpl
    def riverhost_job_kinds(self) -> list[JobKind]:
        return [
            JobKind(kind=NoopArgs.kind, args=NoopArgs, worker=noop),
            JobKind(kind=MixArgs.kind, args=MixArgs, worker=mixed),
        ]


async def run_engine(url: str, environ: dict[str, str]) -> None:
    """Run one engine on ``url`` until the process ends, configured by ``environ`` alone."""
    from riverhost.config import load_config
    from riverhost.engine.host import Host
    from riverhost.logging import configure
    from riverhost.registry import registry_from_objects

    configure(level="warning")
    registry = registry_from_objects(("bench", BenchPlugin()), config=load_config(environ=environ))
    await Host(registry, url).run()


class Riverhost(Driver):
    package = "riverhost"
    finished_sql = "SELECT count(*) FROM river_job WHERE state = 'completed'"
    inserted_sql = "SELECT count(*) FROM river_job"
    bulk_apis = ("insert_many", "copy")

    client: AsyncClient

    async def setup(self) -> None:
        from riverhost.db.migrate import migrate

        await asyncio.to_thread(migrate, self.url)

    async def open(self) -> None:
        self.client = await AsyncClient.connect(self.url)

    async def close(self) -> None:
        await self.client.close()

    async def insert_one(self, n: int) -> None:
        await self.client.insert(NoopArgs(n=n))

    async def insert_batch(self, ns: Sequence[int], api: str) -> None:
        items = [NoopArgs(n=n) for n in ns]
        if api == "copy":
            await self.client.insert_many_fast(items)
        else:
            await self.client.insert_many(items)

    async def backlog(self, ns: Sequence[int]) -> None:
        await self.insert_batch(ns, "copy")

    async def work(self, concurrency: int) -> None:
        env = {"RIVERHOST_JOBS__QUEUES__DEFAULT__MAX_WORKERS": str(concurrency)}
        await run_engine(self.url, env)

    async def insert_mix(self, jobs: Sequence[MixJob]) -> None:
        await self.client.insert_many_fast(
            [
                InsertParams(
                    MixArgs(n=j.n, sleep_ms=j.sleep_ms, fail=j.fail), InsertOpts(queue=j.queue)
                )
                for j in jobs
            ]
        )

    async def work_mix(self) -> None:
        await run_engine(self.url, {})


if __name__ == "__main__":
    main(Riverhost)
