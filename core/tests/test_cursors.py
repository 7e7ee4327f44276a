"""Leased cursors (riverhost.db.cursors) against a real pool: connections the pool replaces
are forgotten, and work on a pool without autocommit is committed or rolled back."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from riverhost.db.cursors import AsyncCursors, Cursors


def test_a_connection_the_pool_replaced_is_forgotten_with_its_cursor(database_url):
    async def scenario():
        async with AsyncConnectionPool(
            database_url, min_size=1, max_size=1, kwargs={"autocommit": True}
        ) as pool:
            cursors = AsyncCursors(pool)
            async with cursors.lease() as cursor:
                first = cursor.connection
                (pid,) = await (await cursor.execute("SELECT pg_backend_pid()")).fetchone()
            async with await psycopg.AsyncConnection.connect(database_url) as admin:
                await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(psycopg.OperationalError):
                async with cursors.lease() as cursor:
                    await cursor.execute("SELECT 1")
            async with cursors.lease() as cursor:
                assert await (await cursor.execute("SELECT 2")).fetchone() == (2,)
                second = cursor.connection
            return first, second, list(cursors._kept)

    first, second, kept = asyncio.run(scenario())

    assert second is not first
    assert first.closed
    assert kept == [second]


def test_a_pool_without_autocommit_gets_its_commit_and_after_an_error_its_rollback(database_url):
    with ConnectionPool(database_url, min_size=1, max_size=1) as pool:
        cursors = Cursors(pool)
        with cursors.lease() as cursor:
            cursor.execute("CREATE TABLE leased (n int)")
            cursor.execute("INSERT INTO leased VALUES (1)")

        def fails_half_way():
            with cursors.lease() as cursor:
                cursor.execute("INSERT INTO leased VALUES (2)")
                cursor.execute("CREATE UNIQUE INDEX ON leased (n)")
                cursor.execute("INSERT INTO leased VALUES (1)")

        with pytest.raises(psycopg.errors.UniqueViolation):
            fails_half_way()
        with cursors.lease() as cursor:
            rows = cursor.execute("SELECT n FROM leased").fetchall()
            status = cursor.connection.info.transaction_status

    assert rows == [(1,)]
    assert status == psycopg.pq.TransactionStatus.INTRANS  # this lease's own, not a leftover
