"""Search: the PostgreSQL full-text index (the default backend) and the search-index worker.

Each indexed movie has one row in ``movie.search_documents``: a ``tsvector`` ('simple'
configuration, so names and foreign titles match as written) of its titles and translations
(weight A, with accent-free forms so ``amelie`` finds ``Amélie``), year and genres (B), cast
and directors (C) and overview (D), under a GIN index. :func:`search_movies` is the query the
plugin offers. ``movie_search_index`` indexes or removes one movie, or rebuilds the whole index
in one transaction (readers see the old index until the new one commits, unlike the seed,
which dropped its Typesense collection first).

With ``search.backend: typesense`` the same worker sends the movies to a Typesense collection
(``movies`` unless ``search.typesense.collection`` names another) through
:class:`riverhost_media.search.TypesenseBackend`; :func:`movie_documents` builds the documents
(:data:`TYPESENSE_FIELDS`) and :func:`search_movies_typesense` is the query there. A Typesense
that is down fails the attempt (retried); a document it refuses (4xx) cancels with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_media.search import (
    SearchBackend,
    TypesenseBackend,
    fulltext_rows,
    keyset_documents,
    run_on_backend,
)
from riverhost_media.typesense import TypesenseIndex
from riverhost_movie.jobs import ZERO_UUID, MovieResources, SearchIndexArgs, runtime
from riverhost_movie.repository import Conn

__all__ = [
    "TYPESENSE_COLLECTION",
    "TYPESENSE_FIELDS",
    "PostgresSearch",
    "SearchHit",
    "index_movies",
    "movie_documents",
    "reindex_all",
    "remove_movies",
    "run_search_index",
    "search_backend",
    "search_movies",
    "search_movies_typesense",
]

# One statement for one movie, a batch or all of them (%(all)s); the correlated subqueries use
# the primary keys of movie_genres and movie_credits (movie_id first).
_INDEX = """
INSERT INTO movie.search_documents (movie_id, title, year, document, indexed_at)
SELECT m.id, m.title, m.year,
    setweight(to_tsvector('simple', concat_ws(' ', m.title, m.original_title, m.title_norm,
        m.original_title_norm,
        (SELECT string_agg(value, ' ') FROM jsonb_each_text(m.titles_i18n)))), 'A')
    || setweight(to_tsvector('simple', concat_ws(' ', m.year,
        (SELECT string_agg(g.name, ' ') FROM movie.movie_genres g WHERE g.movie_id = m.id))),
        'B')
    || setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(c.name, ' ') FROM movie.movie_credits c
        WHERE c.movie_id = m.id
          AND ((c.credit_type = 'cast' AND c.cast_order < 20) OR c.job = 'Director')), '')),
        'C')
    || setweight(to_tsvector('simple', coalesce(m.overview, '')), 'D'),
    now()
FROM movie.movies m
WHERE m.deleted_at IS NULL AND (%(all)s OR m.id = ANY(%(ids)s))
ON CONFLICT (movie_id) DO UPDATE SET
    title = EXCLUDED.title, year = EXCLUDED.year, document = EXCLUDED.document,
    indexed_at = now()
"""

# GIN index search_documents_document.
_SEARCH = """
SELECT d.movie_id, d.title, d.year, ts_rank(d.document, q.query) AS rank
FROM movie.search_documents d,
     (SELECT websearch_to_tsquery('simple', %(raw)s)
             || websearch_to_tsquery('simple', %(plain)s) AS query) q
WHERE d.document @@ q.query
ORDER BY rank DESC, d.title
LIMIT %(limit)s
"""

#: The Typesense collection's default name (the seed's) and schema.
TYPESENSE_COLLECTION = "movies"
TYPESENSE_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "string"},
    {"name": "original_title", "type": "string", "optional": True},
    {"name": "titles", "type": "string[]", "optional": True},
    {"name": "year", "type": "int32", "optional": True},
    {"name": "genres", "type": "string[]", "optional": True, "facet": True},
    {"name": "people", "type": "string[]", "optional": True},
    {"name": "overview", "type": "string", "optional": True},
]
_QUERY_BY = ["title", "original_title", "titles", "people", "genres", "overview"]

# One Typesense document per live movie, a page at a time by id (keyset).
_DOCUMENTS = """
SELECT jsonb_strip_nulls(jsonb_build_object(
    'id', m.id::text, 'title', m.title, 'original_title', m.original_title, 'year', m.year,
    'overview', m.overview,
    'titles', (SELECT coalesce(jsonb_agg(DISTINCT t.v), '[]') FROM (
        SELECT value AS v FROM jsonb_each_text(m.titles_i18n)
        UNION SELECT m.title_norm UNION SELECT m.original_title_norm) t WHERE t.v IS NOT NULL),
    'genres', (SELECT coalesce(jsonb_agg(g.name ORDER BY g.name), '[]')
               FROM movie.movie_genres g WHERE g.movie_id = m.id),
    'people', (SELECT coalesce(jsonb_agg(c.name ORDER BY c.cast_order NULLS LAST), '[]')
               FROM movie.movie_credits c WHERE c.movie_id = m.id
                 AND ((c.credit_type = 'cast' AND c.cast_order < 20) OR c.job = 'Director'))
))
FROM movie.movies m
WHERE m.deleted_at IS NULL AND (%(all)s OR m.id = ANY(%(ids)s)) AND m.id > %(after)s
ORDER BY m.id
LIMIT %(limit)s
"""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One movie found by :func:`search_movies`, best first."""

    movie_id: uuid.UUID
    title: str
    year: int | None
    rank: float


async def index_movies(conn: Conn, movie_ids: list[uuid.UUID]) -> int:
    """(Re)index these movies; return how many were indexed (deleted ones are not)."""
    cursor = await conn.execute(_INDEX, {"all": False, "ids": movie_ids})
    return cursor.rowcount


async def remove_movies(conn: Conn, movie_ids: list[uuid.UUID]) -> int:
    """Drop these movies from the index; return how many were there."""
    cursor = await conn.execute(
        "DELETE FROM movie.search_documents WHERE movie_id = ANY(%s)", (movie_ids,)
    )
    return cursor.rowcount


async def reindex_all(conn: Conn) -> int:
    """Rebuild the whole index in the caller's transaction; return how many movies."""
    await conn.execute("DELETE FROM movie.search_documents")
    cursor = await conn.execute(_INDEX, {"all": True, "ids": []})
    return cursor.rowcount


async def search_movies(conn: Conn, query: str, *, limit: int = 20) -> list[SearchHit]:
    """Movies matching ``query`` (web-search syntax: words, "phrases", or, -not), best first."""
    return [SearchHit(*row) for row in await fulltext_rows(conn, _SEARCH, query, limit=limit)]


async def movie_documents(
    conn: Conn, ids: Sequence[uuid.UUID] | None, *, batch: int = 500
) -> AsyncIterator[list[dict[str, Any]]]:
    """Typesense documents of these movies (None = all live ones), ``batch`` at a time."""
    async for documents in keyset_documents(conn, _DOCUMENTS, ids, batch=batch):
        yield documents


async def search_movies_typesense(
    index: TypesenseIndex, query: str, *, limit: int = 20
) -> list[SearchHit]:
    """Movies matching ``query`` in the Typesense collection, best first."""
    found = await index.search(query, query_by=_QUERY_BY, limit=limit)
    return [
        SearchHit(uuid.UUID(doc["id"]), doc["title"], doc.get("year"), float(score))
        for doc, score in found
    ]


class PostgresSearch:
    """The default backend: ``movie.search_documents`` in the job database."""

    name = "postgres"

    async def index(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        count = await index_movies(conn, list(ids))
        if count < len(ids):  # gone since: not searchable either
            await conn.execute(
                "DELETE FROM movie.search_documents d WHERE d.movie_id = ANY(%s) AND NOT EXISTS "
                "(SELECT 1 FROM movie.movies m WHERE m.id = d.movie_id AND m.deleted_at IS NULL)",
                (list(ids),),
            )
        return count

    async def remove(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        return await remove_movies(conn, list(ids))

    async def reindex(self, conn: Conn) -> int:
        return await reindex_all(conn)


def search_backend(resources: MovieResources) -> SearchBackend:
    """The backend the settings chose: Typesense when the resources hold its index."""
    if resources.search_index is not None:
        return TypesenseBackend(resources.search_index, movie_documents)
    return PostgresSearch()


async def run_search_index(job: Job[SearchIndexArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``movie_search_index`` worker (either backend)."""
    _, resources = runtime(ctx)
    backend = search_backend(resources)
    args = job.args
    operation = args.operation
    if operation in ("index", "remove") and args.movie_id == ZERO_UUID:
        raise JobCancel(f"operation {operation!r} needs a movie_id")
    ctx.report_progress(operation, 0, 1, str(args.movie_id))

    async def work(conn: Conn) -> dict[str, Any]:
        if operation == "index":
            count = await backend.index(conn, [args.movie_id])
            output: dict[str, Any] = {"operation": operation, "indexed": count}
            if count == 0:
                output["reason"] = f"movie {args.movie_id} does not exist (or was deleted)"
            return output
        if operation == "remove":
            return {"operation": operation, "removed": await backend.remove(conn, [args.movie_id])}
        return {"operation": operation, "indexed": await backend.reindex(conn)}

    return await run_on_backend(ctx, backend, operation, work)
