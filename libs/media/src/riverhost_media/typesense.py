"""One Typesense collection through the official ``typesense`` client (its async flavour).

:class:`TypesenseIndex` is the small surface the media plugins need: make sure the collection
exists, upsert / delete one document, recreate the collection and bulk-import into it, and a
search query. Every failure is a :class:`~riverhost_media.errors.TypesenseError` naming the
request (``POST /collections/movies/documents?action=upsert``) and, when there was an answer,
its status; ``retryable`` says whether another attempt may succeed (the server down, 5xx, 429)
or not (a 4xx about the document). The client itself retries 5xx and connection errors
``num_retries`` times, ``retry_interval`` apart, before the error reaches the caller.

Nothing here talks to the server until a method is called: a host whose Typesense is down
starts, and its search-index jobs fail (and are retried) until it is back.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx
import typesense
from typesense import exceptions as ts_errors

from riverhost_media.errors import TypesenseError, TypesenseStatusError, TypesenseTransportError

__all__ = ["TypesenseIndex"]

T = TypeVar("T")

Document = dict[str, Any]


class TypesenseIndex:
    """One collection (``collection``, with ``fields`` as its schema) on one Typesense node."""

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        collection: str,
        fields: Sequence[Mapping[str, Any]],
        num_retries: int = 2,
        retry_interval: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.collection = collection
        self.fields = [dict(field) for field in fields]
        with warnings.catch_warnings():
            # typesense 2.1 builds its deprecated AnalyticsV1 (in every client) and Overrides
            # and Synonyms (in every collection object) itself: not our use, not our warning.
            warnings.filterwarnings("ignore", ".* is deprecated on v30", DeprecationWarning)
            self._client = typesense.AsyncClient(
                {
                    "nodes": [self.url],
                    "api_key": api_key,
                    "num_retries": num_retries,
                    "retry_interval_seconds": retry_interval,
                    "connection_timeout_seconds": timeout,
                }
            )
            self._coll: Any = self._client.collections[collection]
        self._ready = False

    async def __aenter__(self) -> TypesenseIndex:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client's HTTP connections."""
        await self._client.api_call.aclose()

    # -- requests ----------------------------------------------------------------------------

    async def _call(self, request: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except ts_errors.TypesenseClientError as error:
            status = error.args[0] if error.args and isinstance(error.args[0], int) else None
            if status is None:
                raise TypesenseError(request, f"{type(error).__name__}: {error}") from error
            message = str(error.args[1]) if len(error.args) > 1 else ""
            raise TypesenseStatusError(request, status, message) from error
        except httpx.HTTPError as error:
            raise TypesenseTransportError(request, error) from error

    @property
    def _collection(self) -> Any:
        return self._coll

    def _schema(self) -> Any:  # the client's CollectionCreateSchema TypedDict
        return {"name": self.collection, "fields": self.fields}

    async def _create(self) -> None:
        try:
            await self._call(
                "POST /collections", lambda: self._client.collections.create(self._schema())
            )
        except TypesenseStatusError as error:
            if error.status != 409:  # made meanwhile by another worker: fine
                raise

    async def ensure_collection(self) -> None:
        """Create the collection unless it exists (checked once per process)."""
        if self._ready:
            return
        try:
            await self._call(f"GET /collections/{self.collection}", self._collection.retrieve)
        except TypesenseStatusError as error:
            if error.status != 404:
                raise
            await self._create()
        self._ready = True

    async def recreate(self) -> None:
        """Drop the collection (if it exists) and create it empty with the current schema."""
        try:
            await self._call(f"DELETE /collections/{self.collection}", self._collection.delete)
        except TypesenseStatusError as error:
            if error.status != 404:
                raise
        await self._create()
        self._ready = True

    async def upsert(self, document: Mapping[str, Any]) -> None:
        """Create or replace one document (its ``id`` says which)."""
        await self.ensure_collection()
        body = dict(document)
        await self._call(
            f"POST /collections/{self.collection}/documents?action=upsert id={body.get('id')}",
            lambda: self._collection.documents.upsert(body),
        )

    async def delete(self, document_id: str) -> bool:
        """Delete one document; False when it was not there."""
        await self.ensure_collection()
        try:
            await self._call(
                f"DELETE /collections/{self.collection}/documents/{document_id}",
                self._collection.documents[document_id].delete,
            )
        except TypesenseStatusError as error:
            if error.status == 404:
                return False
            raise
        return True

    async def import_documents(self, documents: Sequence[Mapping[str, Any]]) -> int:
        """Upsert a batch with one import request; a document Typesense refuses raises."""
        if not documents:
            return 0
        await self.ensure_collection()
        request = f"POST /collections/{self.collection}/documents/import?action=upsert"
        jsonl = "\n".join(json.dumps(dict(doc)) for doc in documents)
        answer = await self._call(
            request,
            lambda: self._collection.documents.import_(jsonl, {"action": "upsert"}),
        )
        results = [json.loads(line) for line in str(answer).splitlines() if line.strip()]
        failed = [
            (documents[n].get("id"), result)
            for n, result in enumerate(results)
            if not result.get("success", False)
        ]
        if failed:
            doc_id, first = failed[0]
            raise TypesenseStatusError(
                request,
                int(first.get("code", 400)),
                f"{len(failed)} of {len(documents)} documents refused, first id={doc_id}: "
                f"{first.get('error', '?')}",
            )
        return len(results)

    async def search(
        self,
        query: str,
        *,
        query_by: Sequence[str],
        limit: int = 20,
        filter_by: str | None = None,
    ) -> list[tuple[Document, int]]:
        """Documents matching ``query`` with their ``text_match`` score, best first."""
        await self.ensure_collection()
        params: dict[str, Any] = {"q": query, "query_by": ",".join(query_by), "per_page": limit}
        if filter_by:
            params["filter_by"] = filter_by
        answer = await self._call(
            f"GET /collections/{self.collection}/documents/search?q={query}",
            lambda: self._collection.documents.search(params),
        )
        hits: list[dict[str, Any]] = list(answer.get("hits") or [])
        return [(dict(hit["document"]), int(hit.get("text_match", 0))) for hit in hits]
