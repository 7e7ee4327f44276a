"""The raw-SQL ceiling on River's tables: what one Python process and psycopg 3 can move.

Inserts are plain SQL (one ``INSERT`` per job, or ``COPY`` of River-shaped rows). The worker
loops: one autocommit statement fetches up to ``concurrency`` (500 by default) available jobs
with ``FOR UPDATE SKIP LOCKED`` and marks them running as River does, the args are decoded, and
one batched ``UPDATE`` completes them. No job code, no retries, no notifications: a ceiling for
any engine on this schema, not an engine.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Sequence

import psycopg
from psycopg.types.json import Jsonb

from benchmarks.peers._driver import Driver, main, record_start

_INSERT = (
    "INSERT INTO river_job (args, kind, max_attempts, queue) "
    "VALUES (%s, 'bench_noop', 25, 'default')"
)
_COPY = "COPY river_job (args, kind, max_attempts, queue) FROM STDIN"
_FETCH = """
WITH locked AS (
    SELECT id FROM river_job
    WHERE state = 'available' AND queue = 'default' AND scheduled_at <= now()
    ORDER BY priority, scheduled_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE river_job SET state = 'running', attempt = river_job.attempt + 1, attempted_at = now(),
    attempted_by = array_append(river_job.attempted_by, %(client)s)
WHERE river_job.id = ANY(ARRAY(SELECT id FROM locked))
RETURNING river_job.id, river_job.args
"""
_COMPLETE = """
UPDATE river_job SET state = 'completed', finalized_at = now()
WHERE id = ANY(%s) AND state = 'running'
"""


class Ceiling(Driver):
    package = "psycopg"
    finished_sql = "SELECT count(*) FROM river_job WHERE state = 'completed'"
    inserted_sql = "SELECT count(*) FROM river_job"
    bulk_apis = ("copy",)

    conn: psycopg.AsyncConnection[object]

    def version(self) -> str:
        return f"psycopg {super().version()}"

    async def setup(self) -> None:
        from riverhost.db.migrate import migrate

        await asyncio.to_thread(migrate, self.url)

    async def open(self) -> None:
        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)

    async def close(self) -> None:
        await self.conn.close()

    async def insert_one(self, n: int) -> None:
        await self.conn.execute(_INSERT, (Jsonb({"n": n}),))

    async def insert_batch(self, ns: Sequence[int], api: str) -> None:
        cursor = self.conn.cursor()
        async with cursor.copy(_COPY) as copy:
            for n in ns:
                await copy.write_row((Jsonb({"n": n}), "bench_noop", 25, "default"))

    async def work(self, concurrency: int) -> None:
        client = f"{socket.gethostname()}_{os.getpid()}"
        params = {"limit": concurrency, "client": client}
        with psycopg.connect(self.url, autocommit=True) as conn:
            while True:
                rows = conn.execute(_FETCH, params).fetchall()  # type: ignore[arg-type]
                if not rows:
                    await asyncio.sleep(0.001)
                    continue
                for _, args in rows:
                    record_start(args["n"])
                conn.execute(_COMPLETE, ([row[0] for row in rows],))  # type: ignore[arg-type]


if __name__ == "__main__":
    main(Ceiling)
