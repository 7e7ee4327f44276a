"""PgQueuer: ``Queries.enqueue`` (one job or lists) and a ``QueueManager`` worker.

``task["pg_driver"]`` picks the driver: ``psycopg`` (one ``AsyncConnection``, autocommit) or
``asyncpg`` (one ``asyncpg`` connection); the worker listens and queries on that one connection,
as PgQueuer is built to. Concurrency is ``max_concurrent_tasks``; ``QueueManager.run`` requires
it to be at least twice ``batch_size`` (its own check), so the batch is the largest that rule
allows, ``concurrency // 2``: one dequeue fills half the slots and one status-log flush
(``JobStatusLogBuffer(max_size=batch_size)``) acknowledges as many jobs. Capping it at the
default 10 made every worker above c=20 fetch and acknowledge 10 jobs per round trip and ran
PgQueuer below its best.
In the mix, entrypoints stand for queues (``concurrency_limit`` = the queue's workers), the
batch is half of all their workers and ``dequeue_timeout`` is 1 s. A finished job is deleted
from ``pgqueuer`` and logged ``successful`` in ``pgqueuer_log``, which is what is counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import psycopg
from pgqueuer import Job, Queries, QueueManager, RetryRequested
from pgqueuer.db import AsyncpgDriver, PsycopgDriver
from psycopg.conninfo import conninfo_to_dict

from benchmarks.peers._driver import SEED_QUEUES, Driver, MixJob, main, record_start


class PgQueuerDriver(Driver):
    package = "pgqueuer"
    finished_sql = "SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'"
    inserted_sql = "SELECT count(*) FROM pgqueuer"
    bulk_apis = ("enqueue(lists)",)

    _conn: Any

    async def _queries(self) -> Queries:
        if self.task.get("pg_driver") == "asyncpg":
            params = conninfo_to_dict(self.url)
            params["database"] = params.pop("dbname", None)
            self._conn = await asyncpg.connect(**{k: v for k, v in params.items() if v})
            return Queries(AsyncpgDriver(self._conn))
        self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        return Queries(PsycopgDriver(self._conn))

    async def setup(self) -> None:
        queries = await self._queries()
        await queries.install()
        await self._conn.close()

    async def open(self) -> None:
        self.queries = await self._queries()

    async def close(self) -> None:
        await self._conn.close()

    async def insert_one(self, n: int) -> None:
        await self.queries.enqueue("noop", str(n).encode())

    async def insert_batch(self, ns: Sequence[int], api: str) -> None:
        await self.queries.enqueue(["noop"] * len(ns), [str(n).encode() for n in ns], [0] * len(ns))

    async def work(self, concurrency: int) -> None:
        logging.getLogger("pgqueuer").setLevel(logging.WARNING)
        qm = QueueManager(await self._queries())

        @qm.entrypoint("noop")
        async def noop(job: Job) -> None:
            record_start(int(job.payload or b"0"))

        await qm.run(batch_size=max(1, concurrency // 2), max_concurrent_tasks=concurrency)

    async def insert_mix(self, jobs: Sequence[MixJob]) -> None:
        await self.queries.enqueue(
            [j.queue for j in jobs],
            [f"{j.n} {j.sleep_ms} {int(j.fail)}".encode() for j in jobs],
            [0] * len(jobs),
        )

    async def work_mix(self) -> None:
        logging.getLogger("pgqueuer").setLevel(logging.WARNING)
        qm = QueueManager(await self._queries())

        async def mixed(job: Job) -> None:
            n, sleep_ms, fail = (int(x) for x in (job.payload or b"0 0 0").split())
            record_start(n)
            await asyncio.sleep(sleep_ms / 1000)
            if fail and job.attempts == 0:
                raise RetryRequested(delay=timedelta(seconds=1), reason="fails once")

        # Entrypoints play the role of queues; concurrency_limit is fleet-wide per entrypoint.
        for queue, workers in SEED_QUEUES.items():
            qm.entrypoint(queue, concurrency_limit=workers)(mixed)
        total = sum(SEED_QUEUES.values())
        # A retried job is due a second later; without a shorter fallback wait the worker
        # sleeps up to dequeue_timeout (30 s) for it. 1 s matches riverhost's poll interval.
        await qm.run(
            batch_size=total // 2, max_concurrent_tasks=total, dequeue_timeout=timedelta(seconds=1)
        )


if __name__ == "__main__":
    main(PgQueuerDriver)
