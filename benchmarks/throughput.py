"""Work throughput: N no-op jobs queued first, then worked to the end by P engine processes.

    python benchmarks/throughput.py --jobs 20000 --processes 1 --workers 10

Uses ``RIVERHOST_DATABASE_URL`` (a server where it may create a scratch database) or else the
embedded PostgreSQL. Jobs go in through COPY; the clock starts when the engine processes
start and stops when the table shows every job completed. Prints one JSON line per run:
``jobs_per_s`` counts from the processes' start (start-up included),
``jobs_per_s_first_fetch_to_last_completion`` from the first fetch to the last completion as
the job table records them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import ClassVar

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from riverhost import JobArgs, JobKind, hookimpl


class NoopArgs(JobArgs):
    kind: ClassVar[str] = "bench_noop"
    n: int


async def noop(job: object, ctx: object) -> None:
    return None


class NoopPlugin:
    @hookimpl
    def riverhost_job_kinds(self) -> list[JobKind]:
        return [JobKind(kind=NoopArgs.kind, args=NoopArgs, worker=noop)]


def _engine(url: str, workers: int) -> None:
    from riverhost.config import load_config
    from riverhost.engine.host import Host
    from riverhost.logging import configure
    from riverhost.registry import host_from_objects

    configure(level="warning")
    config = load_config(environ={"RIVERHOST_JOBS__QUEUES__DEFAULT__MAX_WORKERS": str(workers)})
    registry = host_from_objects(("bench", NoopPlugin()), config=config)

    async def main() -> None:
        import signal

        host = Host(registry, url)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, host.stop)
        await host.run()

    asyncio.run(main())


def run(server_url: str, jobs: int, processes: int, workers: int) -> dict[str, object]:
    from riverhost import AsyncClient
    from riverhost.db.migrate import migrate

    name = f"rh_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(server_url, dbname=name)
    try:
        migrate(url)

        async def insert() -> float:
            async with await AsyncClient.connect(url) as client:
                start = time.perf_counter()
                for i in range(0, jobs, 5000):
                    await client.insert_many_fast(
                        [NoopArgs(n=n) for n in range(i, min(i + 5000, jobs))]
                    )
                return time.perf_counter() - start

        insert_s = asyncio.run(insert())
        spawn = multiprocessing.get_context("spawn")
        start = time.perf_counter()
        children = [spawn.Process(target=_engine, args=(url, workers)) for _ in range(processes)]
        for child in children:
            child.start()
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                done = conn.execute(
                    "SELECT count(*) FROM river_job WHERE state = 'completed'"
                ).fetchone()[0]
                if done >= jobs:
                    break
                time.sleep(0.02)
        elapsed = time.perf_counter() - start
        with psycopg.connect(url, autocommit=True) as conn:
            (working_s,) = conn.execute(
                "SELECT extract(epoch FROM max(finalized_at) - min(attempted_at)) FROM river_job"
            ).fetchone()
        for child in children:
            child.terminate()
        for child in children:
            child.join(30)
        return {
            "jobs": jobs,
            "processes": processes,
            "workers_per_process": workers,
            "seconds": round(elapsed, 3),
            "jobs_per_s": round(jobs / elapsed),
            "jobs_per_s_first_fetch_to_last_completion": round(jobs / float(working_s)),
            "copy_insert_jobs_per_s": round(jobs / insert_s),
        }
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, nargs="+", default=[10, 100])
    options = parser.parse_args()
    url = os.environ.get("RIVERHOST_DATABASE_URL")
    if url:
        for p in options.processes:
            for w in options.workers:
                print(json.dumps(run(url, options.jobs, p, w)), flush=True)
        return
    from riverhost.db.embedded import EmbeddedPostgres

    with (
        tempfile.TemporaryDirectory() as folder,
        EmbeddedPostgres(Path(folder) / "pg", delete=True) as url,
    ):
        for p in options.processes:
            for w in options.workers:
                print(json.dumps(run(url, options.jobs, p, w)), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
