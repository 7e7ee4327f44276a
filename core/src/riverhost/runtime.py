"""What a plugin's workers reach while a host runs: settings, resources, database, client.

The Go application the seeds come from handed its workers these by dependency injection; here
each enabled plugin gets one :class:`PluginRuntime`, shared by every attempt of its kinds and
reached through the attempt's :class:`~riverhost.worker.JobContext`. The database workers use
is a :class:`WorkerDatabase`: a pool of its own (``database.worker_connections``), apart from
the engine's fetch and completion pools, so workers holding connections can never starve the
engine. This module builds nothing at import and enters nothing: the host does (see
:mod:`riverhost.engine.resources`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from pydantic import BaseModel

from riverhost.client import AsyncClient, Client
from riverhost.db import adapt, queries
from riverhost.errors import JobNotRunningError, PluginRef
from riverhost.job import OUTPUT_KEY, PROGRESS_KEY, Job, JobProgress

if TYPE_CHECKING:
    from riverhost.registry import Registry

__all__ = ["PluginRuntime", "WorkerDatabase", "complete_tx", "complete_tx_sync"]

WORKER_APPLICATION_NAME = "riverhost-worker"
"""How workers' connections show in ``pg_stat_activity`` unless the URL names them."""


class WorkerDatabase:
    """The connections and clients workers use; one per host process, shared by plugins.

    The async pool opens empty and grows on demand up to ``max_size``; the sync pool (for plain
    ``def`` workers, which run in threads) is made on first use. Both are autocommit: a
    worker's :meth:`transaction` opens an explicit transaction, and the clients' own
    statements commit one by one.
    """

    def __init__(self, url: str, max_size: int, registry: Registry | None = None) -> None:
        self.url = url
        self.max_size = max_size
        self._registry = registry
        self.pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=0,
            max_size=max_size,
            open=False,
            kwargs=_connect_kwargs(),
            configure=adapt.configure_async,
        )
        self.client = AsyncClient(self.pool, registry=registry)
        self._sync_lock = threading.Lock()
        self._sync_client: Client | None = None

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()
        if self._sync_client is not None:
            await asyncio.to_thread(self._sync_client.pool.close)

    @property
    def client_sync(self) -> Client:
        """The blocking client on the sync pool (made on first use)."""
        client = self._sync_client
        if client is None:
            with self._sync_lock:
                if self._sync_client is None:
                    pool: ConnectionPool[Any] = ConnectionPool(
                        self.url,
                        min_size=0,
                        max_size=self.max_size,
                        open=True,
                        kwargs=_connect_kwargs(),
                        configure=adapt.configure,
                    )
                    self._sync_client = Client(pool, registry=self._registry)
                client = self._sync_client
        return client

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection in a transaction: committed when the block ends, rolled back if it
        raises (a timeout or cancel included); back in the pool either way."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def transaction_sync(self) -> Iterator[psycopg.Connection[Any]]:
        """:meth:`transaction` for plain ``def`` workers."""
        with self.client_sync.pool.connection() as conn, conn.transaction():
            yield conn


@dataclass(slots=True)
class PluginRuntime:
    """One enabled plugin's share of the running host; every attempt of its kinds sees it."""

    plugin: PluginRef
    settings: BaseModel | None
    database: WorkerDatabase
    resources: Any = None
    """What the plugin's ``riverhost_resources`` context manager yielded, once entered."""


def _completion(
    job: Job[Any], output: Any, progress: JobProgress | None
) -> tuple[str, dict[str, Any]]:
    metadata: dict[str, Any] = {}
    if output is not None:
        value = output.model_dump(mode="json") if isinstance(output, BaseModel) else output
        metadata[OUTPUT_KEY] = value
    if progress is not None:
        metadata[PROGRESS_KEY] = progress.model_dump()
    params = {"id": job.id, "attempted_at": job.attempted_at, "metadata": Jsonb(metadata)}
    return queries.COMPLETE_IN_TX, params


async def complete_tx(
    conn: psycopg.AsyncConnection[Any],
    job: Job[Any],
    output: Any = None,
    progress: JobProgress | None = None,
) -> None:
    """Mark ``job`` completed on ``conn``, inside the caller's transaction (River's
    ``JobCompleteTx``), with its output and last progress. Raises
    :class:`~riverhost.errors.JobNotRunningError` when the row no longer runs this attempt."""
    statement, params = _completion(job, output, progress)
    cursor = await conn.execute(statement, params)
    if await cursor.fetchone() is None:
        raise JobNotRunningError(job.id, job.attempt)


def complete_tx_sync(
    conn: psycopg.Connection[Any],
    job: Job[Any],
    output: Any = None,
    progress: JobProgress | None = None,
) -> None:
    """:func:`complete_tx` for plain ``def`` workers."""
    statement, params = _completion(job, output, progress)
    if conn.execute(statement, params).fetchone() is None:
        raise JobNotRunningError(job.id, job.attempt)


def _connect_kwargs() -> dict[str, Any]:
    return {"autocommit": True, "fallback_application_name": WORKER_APPLICATION_NAME}
