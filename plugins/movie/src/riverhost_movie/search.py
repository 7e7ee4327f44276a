"""Search: the PostgreSQL full-text index (the default backend) and the search-index worker.

Each indexed movie has one row in ``movie.search_documents``: a ``tsvector`` ('simple'
configuration, so names and foreign titles match as written) of its titles and translations
(weight A, with accent-free forms so ``amelie`` finds ``Amélie``), year and genres (B), cast
and directors (C) and overview (D), under a GIN index. :func:`search_movies` is the query the
plugin offers. ``movie_search_index`` indexes or removes one movie, or rebuilds the whole index
in one transaction (readers see the old index until the new one commits, unlike the seed,
which dropped its Typesense collection first). Typesense is refused at configuration time
(:mod:`riverhost_movie.settings`) until it is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from riverhost import Job, JobCancel, JobContext
from riverhost_media import normalise_title
from riverhost_movie.jobs import ZERO_UUID, SearchIndexArgs, runtime
from riverhost_movie.repository import Conn

__all__ = [
    "SearchHit",
    "index_movies",
    "reindex_all",
    "remove_movies",
    "run_search_index",
    "search_movies",
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
    params = {"raw": query, "plain": normalise_title(query), "limit": limit}
    cursor = await conn.execute(_SEARCH, params)
    return [SearchHit(*row) for row in await cursor.fetchall()]


async def run_search_index(job: Job[SearchIndexArgs], ctx: JobContext) -> dict[str, Any]:
    """The ``movie_search_index`` worker (PostgreSQL backend)."""
    runtime(ctx)  # checks the plugin's runtime is there
    args = job.args
    operation = args.operation
    if operation in ("index", "remove") and args.movie_id == ZERO_UUID:
        raise JobCancel(f"operation {operation!r} needs a movie_id")
    ctx.report_progress(operation, 0, 1, str(args.movie_id))
    async with ctx.transaction() as conn:
        if operation == "index":
            count = await index_movies(conn, [args.movie_id])
            if count == 0:
                await remove_movies(conn, [args.movie_id])  # gone since: not searchable either
            output: dict[str, Any] = {"operation": operation, "indexed": count}
            if count == 0:
                output["reason"] = f"movie {args.movie_id} does not exist (or was deleted)"
        elif operation == "remove":
            output = {"operation": operation, "removed": await remove_movies(conn, [args.movie_id])}
        else:
            output = {"operation": operation, "indexed": await reindex_all(conn)}
        ctx.report_progress("completed", 1, 1, operation)
        await ctx.complete_tx(conn, output)
    return output
