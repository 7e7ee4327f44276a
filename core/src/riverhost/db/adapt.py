"""How riverhost's own connections read JSON: orjson, falling back to the standard library.

Every fetched job carries three JSON values (args, metadata, errors); reading them with
``json.loads`` was a twentieth of a no-op job's cost. orjson reads the same documents about
three times faster. It refuses a few that PostgreSQL stores and ``json.loads`` reads (integers
beyond 64 bits, numbers beyond a float's range), so those fall back to ``json.loads``: no row
becomes unreadable for the change. Set per connection, never globally, so a caller's own
psycopg connections keep their loaders.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import psycopg
from psycopg.types.json import set_json_loads

__all__ = ["configure", "configure_async", "configure_fetching", "loads"]


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """One JSON document, read by orjson or, for what orjson refuses, by ``json.loads``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def configure(conn: psycopg.Connection[Any]) -> None:
    """Make ``conn`` read ``json``/``jsonb`` with :func:`loads` (a pool's ``configure``)."""
    set_json_loads(loads, conn)


async def configure_async(conn: psycopg.AsyncConnection[Any]) -> None:
    """:func:`configure` for an async pool."""
    set_json_loads(loads, conn)


async def configure_fetching(conn: psycopg.AsyncConnection[Any]) -> None:
    """:func:`configure_async`, for the connections that run only producers' fetches, which
    are also told to plan each prepared statement once.

    PostgreSQL otherwise keeps planning a prepared statement per execution when its generic
    plan looks costlier, as the fetch's does (it guesses a tenth of the table for ``LIMIT $1``):
    on an analyzed ``river_job`` that planning doubled a small fetch's server time. The fetch
    is written so its generic plan is the right one (see :data:`queries.FETCH`); other
    statements keep PostgreSQL's choice on the main pool.
    """
    await configure_async(conn)
    await conn.execute("SET plan_cache_mode = force_generic_plan")
