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
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, NoReturn, Protocol

import psycopg

from riverhost import JobCancel
from riverhost_media.errors import TypesenseError
from riverhost_media.typesense import TypesenseIndex

__all__ = [
    "DocumentSource",
    "SearchBackend",
    "TypesenseBackend",
    "permanent_or_raise",
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
