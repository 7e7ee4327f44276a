"""The search-index interface both media plugins' workers use, and its Typesense backend.

A plugin's ``*_search_index`` worker opens a transaction and calls one :class:`SearchBackend`
method in it: ``index`` (these ids; ids that no longer exist leave the index), ``remove`` or
``reindex`` (everything). The PostgreSQL backend of each plugin writes its own table in that
transaction; :class:`TypesenseBackend` reads the plugin's documents in it (a
:data:`DocumentSource`) and sends them to Typesense. :func:`permanent_or_raise` turns a
Typesense error that no retry would fix (a 4xx about a document) into ``JobCancel``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, NoReturn, Protocol

import psycopg

from riverhost import JobCancel, JobContext
from riverhost_media.errors import TypesenseError
from riverhost_media.names import normalise_title
from riverhost_media.typesense import TypesenseIndex

__all__ = [
    "DocumentSource",
    "SearchBackend",
    "TypesenseBackend",
    "fulltext_rows",
    "keyset_documents",
    "permanent_or_raise",
    "run_on_backend",
]

Conn = psycopg.AsyncConnection[Any]

#: The plugin's documents for these ids (None = all of them), in batches; each has an ``id``.
DocumentSource = Callable[[Conn, Sequence[uuid.UUID] | None], AsyncIterator[list[dict[str, Any]]]]


class SearchBackend(Protocol):
    """Where a plugin's search index lives."""

    name: str

    async def index(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        """(Re)index these items; drop the ones that no longer exist; return how many indexed."""
        ...

    async def remove(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        """Drop these items from the index; return how many were there."""
        ...

    async def reindex(self, conn: Conn) -> int:
        """Rebuild the whole index; return how many items it holds."""
        ...


class TypesenseBackend:
    """A plugin's index in one Typesense collection; documents come from ``documents``."""

    name = "typesense"

    def __init__(self, index: TypesenseIndex, documents: DocumentSource) -> None:
        self.index_ = index
        self.documents = documents

    async def index(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        found: set[str] = set()
        async for batch in self.documents(conn, ids):
            for document in batch:
                await self.index_.upsert(document)
                found.add(str(document["id"]))
        for gone in {str(each) for each in ids} - found:
            await self.index_.delete(gone)
        return len(found)

    async def remove(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        return sum([await self.index_.delete(str(each)) for each in ids])

    async def reindex(self, conn: Conn) -> int:
        # Drop and recreate (the seed's way): readers see a partial index until the import
        # ends. An alias swap would avoid that; not done yet.
        await self.index_.recreate()
        count = 0
        async for batch in self.documents(conn, None):
            count += await self.index_.import_documents(batch)
        return count


def permanent_or_raise(error: TypesenseError) -> NoReturn:
    """Cancel the job for an error no retry fixes (a 4xx about a document); else re-raise."""
    if error.retryable:
        raise error
    raise JobCancel(str(error)) from error


async def fulltext_rows(
    conn: Conn, statement: str, query: str, *, limit: int
) -> list[tuple[Any, ...]]:
    """The rows of a plugin's full-text ``statement`` for ``query`` in web-search syntax:
    ``%(raw)s`` is the query as typed, ``%(plain)s`` its normalised title form."""
    params = {"raw": query, "plain": normalise_title(query), "limit": limit}
    cursor = await conn.execute(statement, params)
    return await cursor.fetchall()


async def keyset_documents(
    conn: Conn, statement: str, ids: Sequence[uuid.UUID] | None, *, batch: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """A plugin's Typesense documents for these ids (None = all live ones), ``batch`` at a
    time: ``statement`` returns one JSON document a row, ordered by id, after ``%(after)s``
    (keyset paging), at most ``%(limit)s``, for ``%(all)s`` or ``%(ids)s``."""
    after = uuid.UUID(int=0)
    while True:
        params = {"all": ids is None, "ids": list(ids or []), "after": after, "limit": batch}
        rows = await (await conn.execute(statement, params)).fetchall()
        if not rows:
            return
        documents = [row[0] for row in rows]
        yield documents
        if len(rows) < batch:
            return
        after = uuid.UUID(documents[-1]["id"])


async def run_on_backend(
    ctx: JobContext,
    backend: SearchBackend,
    operation: str,
    work: Callable[[Conn], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """A search-index worker's operation in one transaction: ``work`` does it on ``backend``
    and says the output; a Typesense error cancels or is retried (:func:`permanent_or_raise`);
    the output names a backend other than PostgreSQL; the job completes in the transaction."""
    async with ctx.transaction() as conn:
        try:
            output = await work(conn)
        except TypesenseError as error:
            permanent_or_raise(error)
        if backend.name != "postgres":
            output["backend"] = backend.name
        ctx.report_progress("completed", 1, 1, operation)
        await ctx.complete_tx(conn, output)
    return output
