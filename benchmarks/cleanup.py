"""The maintenance plugin's batched cleanup on a table of 1,000,000 old rows, while another
session keeps inserting into the same table: how long the cleanup takes, and the longest
insert stall it causes (not a test assert: a figure).

    python -m benchmarks.cleanup [--rows 1000000] [--batch 5000 20000]

Uses ``RIVERHOST_DATABASE_URL`` or an embedded PostgreSQL in a temporary folder. For each
batch size: the table is rebuilt and analyzed, inserts run alone for 2 s (the baseline), then
the cleanup runs with ``riverhost_maintenance.targets.prune`` (as the ``cleanup`` worker calls
it) while inserts go on one at a time, each on its own autocommit statement. Prints one JSON
line per batch size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from riverhost_maintenance.targets import CleanupTarget, check_target, prune

TABLE = "bench_cleanup"


@contextlib.contextmanager
def _database() -> Iterator[str]:
    url = os.environ.get("RIVERHOST_DATABASE_URL")
    if url:
        yield url
        return
    from riverhost.db.embedded import EmbeddedPostgres

    with (
        tempfile.TemporaryDirectory(prefix="rh-cleanup-") as folder,
        EmbeddedPostgres(Path(folder) / "data", delete=True) as embedded,
    ):
        yield embedded


def _rebuild(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(
            f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, at timestamptz NOT NULL, "
            "payload text NOT NULL)"
        )
        conn.execute(
            f"INSERT INTO {TABLE} (at, payload) SELECT now() - interval '40 days', "
            "repeat('x', 60) FROM generate_series(1, %s)",
            (rows,),
        )
        conn.execute(f"CREATE INDEX ON {TABLE} (at)")
        conn.execute(f"VACUUM ANALYZE {TABLE}")


async def _inserts(url: str, stop: asyncio.Event, latencies: list[float]) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            started = time.perf_counter()
            await conn.execute(f"INSERT INTO {TABLE} (at, payload) VALUES (now(), 'new')")
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.002)


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "inserts": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def _run(url: str, rows: int, batch: int) -> dict[str, Any]:
    _rebuild(url, rows)
    baseline: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(_inserts(url, stop, baseline))
    await asyncio.sleep(2)
    stop.set()
    await task

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        target = CleanupTarget(
            name="bench", table=TABLE, column="at", older_than=timedelta(days=30)
        )
        checked = await check_target(conn, target, "benchmark")

        @contextlib.asynccontextmanager
        async def transaction() -> AsyncIterator[psycopg.AsyncConnection[Any]]:
            async with conn.transaction():
                yield conn

        during: list[float] = []
        stop = asyncio.Event()
        task = asyncio.create_task(_inserts(url, stop, during))
        started = time.perf_counter()
        deleted = await prune(
            checked,
            target.older_than,
            transaction=transaction,
            batch_size=batch,
            dry_run=False,
        )
        elapsed = time.perf_counter() - started
        stop.set()
        await task
    return {
        "rows": rows,
        "batch_size": batch,
        "deleted": deleted,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(deleted / elapsed),
        "baseline_inserts": _summary(baseline),
        "inserts_during_cleanup": _summary(during),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, nargs="+", default=[5000])
    options = parser.parse_args()
    with _database() as url:
        for batch in options.batch:
            print(json.dumps(asyncio.run(_run(url, options.rows, batch))), flush=True)


if __name__ == "__main__":
    main()
