"""Search: the PostgreSQL full-text index of series (the default backend) and its worker.

Each indexed series has one row in ``tvshow.search_documents``: a ``tsvector`` ('simple'
configuration, so names and foreign titles match as written) of its titles and translations
(weight A, with accent-free forms), year, genres and networks (B), cast (C), overview and
episode titles (D), plus ``has_file``. ``tvshow_search_index`` indexes one series (the seed's
was a stub) or, with ``full_reindex``, rebuilds the whole index in one transaction (readers
see the old index until the new one commits). With neither set there is nothing to do and the
job says so. With ``search.backend: typesense`` the same worker sends series documents
(:func:`series_documents`) to a Typesense collection (``tvshows`` by default) through
:class:`riverhost_media.search.TypesenseBackend`; a Typesense that is down fails the attempt
(retried), a document it refuses (4xx) cancels with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobContext
from riverhost_media.search import (
    SearchBackend,
    TypesenseBackend,
    fulltext_rows,
    keyset_documents,
    run_on_backend,
)
from riverhost_media.typesense import TypesenseIndex
from riverhost_tvshow.jobs import SearchIndexArgs, TvShowResources, runtime
from riverhost_tvshow.repository import Conn

__all__ = [
    "TYPESENSE_COLLECTION",
    "TYPESENSE_FIELDS",
    "PostgresSearch",
    "SearchHit",
    "index_series",
    "reindex_all",
    "run_search_index",
    "search_backend",
    "search_series",
    "search_series_typesense",
    "series_documents",
]

TYPESENSE_COLLECTION = "tvshows"
TYPESENSE_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "string"},
    {"name": "original_title", "type": "string", "optional": True},
    {"name": "titles", "type": "string[]", "optional": True},
    {"name": "year", "type": "int32", "optional": True},
    {"name": "genres", "type": "string[]", "optional": True, "facet": True},
    {"name": "networks", "type": "string[]", "optional": True, "facet": True},
    {"name": "people", "type": "string[]", "optional": True},
    {"name": "overview", "type": "string", "optional": True},
    {"name": "has_file", "type": "bool", "optional": True},
]
_QUERY_BY = ["title", "original_title", "titles", "people", "genres", "networks", "overview"]

_DOCUMENTS = """
SELECT jsonb_strip_nulls(jsonb_build_object(
    'id', s.id::text, 'title', s.title, 'original_title', s.original_title, 'year', s.year,
    'overview', s.overview,
    'titles', (SELECT coalesce(jsonb_agg(DISTINCT t.v), '[]') FROM (
        SELECT value AS v FROM jsonb_each_text(s.titles_i18n)
        UNION SELECT s.title_norm UNION SELECT s.original_title_norm) t WHERE t.v IS NOT NULL),
    'genres', (SELECT coalesce(jsonb_agg(g.name ORDER BY g.name), '[]')
               FROM tvshow.series_genres g WHERE g.series_id = s.id),
    'networks', (SELECT coalesce(jsonb_agg(n.name ORDER BY n.name), '[]')
                 FROM tvshow.series_networks sn JOIN tvshow.networks n ON n.id = sn.network_id
                 WHERE sn.series_id = s.id),
    'people', (SELECT coalesce(jsonb_agg(c.name ORDER BY c.cast_order NULLS LAST), '[]')
               FROM tvshow.series_credits c
               WHERE c.series_id = s.id AND c.credit_type = 'cast' AND c.cast_order < 20),
    'has_file', EXISTS (SELECT 1 FROM tvshow.episode_files f
                        JOIN tvshow.episodes e ON e.id = f.episode_id
                        WHERE e.series_id = s.id AND f.deleted_at IS NULL)
))
FROM tvshow.series s
WHERE s.deleted_at IS NULL AND (%(all)s OR s.id = ANY(%(ids)s)) AND s.id > %(after)s
ORDER BY s.id
LIMIT %(limit)s
"""

_INDEX = """
INSERT INTO tvshow.search_documents (series_id, title, year, has_file, document, indexed_at)
SELECT s.id, s.title, s.year,
    EXISTS (SELECT 1 FROM tvshow.episode_files f JOIN tvshow.episodes e ON e.id = f.episode_id
            WHERE e.series_id = s.id AND f.deleted_at IS NULL),
    setweight(to_tsvector('simple', concat_ws(' ', s.title, s.original_title, s.title_norm,
        s.original_title_norm,
        (SELECT string_agg(value, ' ') FROM jsonb_each_text(s.titles_i18n)))), 'A')
    || setweight(to_tsvector('simple', concat_ws(' ', s.year,
        (SELECT string_agg(g.name, ' ') FROM tvshow.series_genres g WHERE g.series_id = s.id),
        (SELECT string_agg(n.name, ' ') FROM tvshow.series_networks sn
         JOIN tvshow.networks n ON n.id = sn.network_id WHERE sn.series_id = s.id))), 'B')
    || setweight(to_tsvector('simple', coalesce((
        SELECT string_agg(c.name, ' ') FROM tvshow.series_credits c
        WHERE c.series_id = s.id AND c.credit_type = 'cast' AND c.cast_order < 20), '')), 'C')
    || setweight(to_tsvector('simple', concat_ws(' ', s.overview,
        (SELECT string_agg(e.title, ' ') FROM tvshow.episodes e WHERE e.series_id = s.id))),
        'D'),
    now()
FROM tvshow.series s
WHERE s.deleted_at IS NULL AND (%(all)s OR s.id = ANY(%(ids)s))
ON CONFLICT (series_id) DO UPDATE SET
    title = EXCLUDED.title, year = EXCLUDED.year, has_file = EXCLUDED.has_file,
    document = EXCLUDED.document, indexed_at = now()
"""

_SEARCH = """
SELECT d.series_id, d.title, d.year, d.has_file, ts_rank(d.document, q.query) AS rank
FROM tvshow.search_documents d,
     (SELECT websearch_to_tsquery('simple', %(raw)s)
             || websearch_to_tsquery('simple', %(plain)s) AS query) q
WHERE d.document @@ q.query
ORDER BY rank DESC, d.title
LIMIT %(limit)s
"""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One series found by :func:`search_series`, best first."""

    series_id: uuid.UUID
    title: str
    year: int | None
    has_file: bool
    rank: float


async def index_series(conn: Conn, series_ids: list[uuid.UUID]) -> int:
    """(Re)index these series; drop the ones that no longer exist; return how many indexed."""
    count = (await conn.execute(_INDEX, {"all": False, "ids": series_ids})).rowcount
    await conn.execute(
        "DELETE FROM tvshow.search_documents d WHERE d.series_id = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM tvshow.series s WHERE s.id = d.series_id AND s.deleted_at IS NULL)",
        (series_ids,),
    )
    return count


async def reindex_all(conn: Conn) -> int:
    """Rebuild the whole index in the caller's transaction; return how many series."""
    await conn.execute("DELETE FROM tvshow.search_documents")
    return (await conn.execute(_INDEX, {"all": True, "ids": []})).rowcount


async def search_series(conn: Conn, query: str, *, limit: int = 20) -> list[SearchHit]:
    """Series matching ``query`` (web-search syntax), best first."""
    return [SearchHit(*row) for row in await fulltext_rows(conn, _SEARCH, query, limit=limit)]


async def series_documents(
    conn: Conn, ids: Sequence[uuid.UUID] | None, *, batch: int = 500
) -> AsyncIterator[list[dict[str, Any]]]:
    """Typesense documents of these series (None = all live ones), ``batch`` at a time."""
    async for documents in keyset_documents(conn, _DOCUMENTS, ids, batch=batch):
        yield documents


async def search_series_typesense(
    index: TypesenseIndex, query: str, *, limit: int = 20
) -> list[SearchHit]:
    """Series matching ``query`` in the Typesense collection, best first."""
    found = await index.search(query, query_by=_QUERY_BY, limit=limit)
    return [
        SearchHit(
            uuid.UUID(doc["id"]),
            doc["title"],
            doc.get("year"),
            bool(doc.get("has_file")),
            float(score),
        )
        for doc, score in found
    ]


class PostgresSearch:
    """The default backend: ``tvshow.search_documents`` in the job database."""

    name = "postgres"

    async def index(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        return await index_series(conn, list(ids))

    async def remove(self, conn: Conn, ids: Sequence[uuid.UUID]) -> int:
        cursor = await conn.execute(
            "DELETE FROM tvshow.search_documents WHERE series_id = ANY(%s)", (list(ids),)
        )
        return cursor.rowcount

    async def reindex(self, conn: Conn) -> int:
        return await reindex_all(conn)


def search_backend(resources: TvShowResources) -> SearchBackend:
    """The backend the settings chose: Typesense when the resources hold its index."""
    if resources.search_index is not None:
        return TypesenseBackend(resources.search_index, series_documents)
    return PostgresSearch()


async def run_search_index(job: Job[SearchIndexArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``tvshow_search_index`` worker (either backend)."""
    _, resources = runtime(ctx)
    backend = search_backend(resources)
    args = job.args
    if not args.full_reindex and args.series_id is None:
        return {"operation": "none", "reason": "neither series_id nor full_reindex was given"}
    operation = "reindex" if args.full_reindex else "index"
    ctx.report_progress(operation, 0, 1, str(args.series_id or "all"))

    async def work(conn: Conn) -> dict[str, Any]:
        if args.full_reindex:
            return {"operation": operation, "indexed": await backend.reindex(conn)}
        assert args.series_id is not None
        count = await backend.index(conn, [args.series_id])
        output: dict[str, Any] = {"operation": operation, "indexed": count}
        if count == 0:
            output["reason"] = f"series {args.series_id} does not exist (or was deleted)"
        return output

    return await run_on_backend(ctx, backend, operation, work)
